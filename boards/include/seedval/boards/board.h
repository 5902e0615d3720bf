// Boards: what a device is reached through. A board descriptor (boards/*.json) names a backend and its
// parameters; open_board() validates it and asks the backend's factory for a Board.
//
//   auto board = seedval::open_board("seedchip-sim");        // a name in boards/, or a path
//   seedval::Device dev(board->connect(), board->info().name);
//
// Descriptor keys common to every backend:
//   "board"       backend name, e.g. "seedchip-sim"                  (required)
//   "transport"   "inproc", "usb", "zmq"                              (required)
//   "description" free text                                           (optional)
//   "include"     a descriptor file (or list) whose keys this one extends and overrides (optional);
//                 paths are relative to the including file
// Everything else belongs to the backend, which rejects keys it does not know.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <seedval/chip/identity.h>
#include <seedval/transport/transport.h>

namespace seedval {

struct BoardInfo {
  std::string name;       ///< descriptor name (file stem), e.g. "seedchip-sim"
  std::string backend;    ///< the "board" key
  std::string transport;  ///< the "transport" key
  std::string description;
  std::filesystem::path file;                ///< the descriptor opened
  std::vector<std::filesystem::path> files;  ///< it, every file it includes, and data files its backend reads
};

/// One defect of a simulated die as its model knows it (`seedval audit` compares bins with these).
struct KnownDefect {
  /// The defect class: a memory fault class ("SAF", "TF", ..., "RowHammer", "SAF row", "SAF column",
  /// "weak (low supply)" for a weak cell that fails at a low HBM supply, "weak (hot)" for one that
  /// fails only hot), "stuck-at" (a tensor core), "flaky lane" (silent data corruption), "stuck bit" (a
  /// register) or "slow die" (fmax below the product clock).
  std::string defect_class;
  std::string category;  ///< "memory", "core", "sdc", "register", "process"
  std::string where;     ///< e.g. "s0.ch1.b3.r0012.c005 bit 17", "core 3 lane 7 bit 21"
  /// Test categories that should catch it ("memory.march", "inference.golden", ...).
  std::vector<std::string> caught_by;
  /// The tensor core of a "core" or "sdc" defect (-1 otherwise): fusing the core off at test
  /// (harvesting) makes the part good.
  int core = -1;
};

/// Present on boards whose socket can be loaded with a chosen die (simulated boards): the simulated
/// handler uses it to insert each unit of a lot.
class DieSocket {
 public:
  virtual ~DieSocket() = default;
  /// Puts `die` into the socket; the next connect() reaches it. `insertion` counts from 1 for retests.
  virtual void insert(const chip::DieId& die, int insertion) = 0;
  virtual std::optional<chip::DieId> current() const = 0;
  /// The harmful defects of `die` (none: a good full-grade part), when this socket's dies come from a
  /// model that knows them; nullopt otherwise (a remote socket).
  virtual std::optional<std::vector<KnownDefect>> ground_truth(const chip::DieId&) const {
    return std::nullopt;
  }
};

class Board {
 public:
  explicit Board(BoardInfo info) : info_(std::move(info)) {}
  virtual ~Board() = default;
  Board(const Board&) = delete;
  Board& operator=(const Board&) = delete;

  const BoardInfo& info() const { return info_; }
  /// "seedchip-sim (boards/seedchip-sim.json)"
  std::string describe() const;
  /// Opens a link to the device now in the socket. Throws TransportError if it cannot be reached.
  virtual std::unique_ptr<Transport> connect() = 0;
  /// The die socket of a simulated board; nullptr for hardware.
  virtual DieSocket* die_socket() { return nullptr; }

 private:
  BoardInfo info_;
};

/// Opens the board described by `name_or_path`: an existing file, or a descriptor name looked up in the
/// data root's boards/ folder. Throws NotFoundError for an unknown name or backend, ConfigError (naming
/// the file, the key and what was expected) for a malformed descriptor.
std::unique_ptr<Board> open_board(std::string_view name_or_path);

/// The board name used when none is given.
inline constexpr std::string_view kDefaultBoard = "seedchip-sim";

/// Names of the registered backends, sorted.
std::vector<std::string> board_backends();

}  // namespace seedval

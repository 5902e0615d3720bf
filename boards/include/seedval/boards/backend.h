// For board backends: how a backend registers itself. Include only from a backend's .cpp.
//
//   namespace {
//   std::unique_ptr<Board> make(JsonObject& params, BoardInfo info) {
//     auto port = params.string("port");          // reads and so accepts the key
//     return std::make_unique<MyBoard>(std::move(info), port);
//   }
//   SEEDVAL_REGISTER_BOARD("my-board", "what it is", make);
//   }
//
// The factory reads its own keys from `params`; keys nobody read make open_board() fail with the
// file and key named. Relative paths in a descriptor are resolved with resolve_path().
#pragma once

#include <functional>

#include <seedval/boards/board.h>
#include <seedval/core/json_reader.h>

namespace seedval {

using BoardFactory = std::function<std::unique_ptr<Board>(JsonObject& params, BoardInfo info)>;

/// Adds a backend; returns true so it can initialise a static. Throws InternalError on a duplicate name.
bool register_board_backend(std::string name, std::string description, BoardFactory factory);

/// The path named by string key `key`, relative to the descriptor file it came from.
std::filesystem::path resolve_path(JsonObject& params, std::string_view key);

}  // namespace seedval

#define SEEDVAL_BOARD_CONCAT2(a, b) a##b
#define SEEDVAL_BOARD_CONCAT(a, b) SEEDVAL_BOARD_CONCAT2(a, b)
/// Registers a board backend at static-initialisation time (one line per backend).
#define SEEDVAL_REGISTER_BOARD(name, description, factory)                                \
  [[maybe_unused]] const bool SEEDVAL_BOARD_CONCAT(seedval_board_registered_, __LINE__) = \
      ::seedval::register_board_backend(name, description, factory)

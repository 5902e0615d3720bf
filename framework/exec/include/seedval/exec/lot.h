// Running a lot: the handler feeds units, each is tested on the board and binned, every finished unit
// goes to the result sinks at once (so a crash loses at most the unit in flight), and retestable
// units come back for another insertion.
#pragma once

#include <functional>
#include <optional>
#include <stop_token>
#include <vector>

#include <seedval/boards/board.h>
#include <seedval/device/device.h>
#include <seedval/exec/handler.h>
#include <seedval/exec/program.h>
#include <seedval/exec/record.h>

namespace seedval {

/// Receives results as they happen: the journal, a results store, a progress display.
class ResultSink {
 public:
  virtual ~ResultSink() = default;
  virtual void lot_started(const LotInfo&) {}
  /// Called as soon as a unit's insertion is binned. Throwing stops the lot (a result that cannot be
  /// recorded must not be silently dropped).
  virtual void unit_finished(const UnitRecord& unit) = 0;
  virtual void lot_finished(const LotResult&) {}
};

struct LotOptions {
  std::string lot_id = "LOT001";
  std::string step = "final-test";
  double temperature_c = 25.0;
  std::string station;  ///< defaults to the host name
  /// A site whose insertions bin as tester errors this many times in a row is taken out of service
  /// (a broken socket or a board that vanished); its units go to the other sites for retest.
  int site_error_limit = 3;
  /// Time limits of the sites' device calls (the link's base time per request, per MiB, retries); the
  /// device's defaults when empty. A station on a slow link raises them, a test of fault handling lowers
  /// them.
  std::optional<DeviceTimeouts> device_timeouts;
  /// Whether the returned LotResult holds every insertion. A lot whose sinks keep the records (a results
  /// store) leaves it false, so memory does not grow with the lot: each insertion, with its artifacts,
  /// is tens of KB.
  bool keep_insertions = true;
};

/// Tests every unit `handler` gives, on `sites` in parallel (one thread and one board each: a site
/// that hangs or fails holds up only itself), with `program`. Units are handed out as sites become free;
/// a unit binned for retest comes back through the handler, usually to another site. Sinks are called
/// one at a time, in the order units finish. Returns the complete record (without the insertions when
/// options.keep_insertions is false); stops early (cancelled, with
/// stopped_because) when `stop` is requested or every site is out of service. Throws only when a sink
/// fails, after every site has finished its unit in flight.
LotResult run_lot(const std::vector<Board*>& sites, Handler& handler, const Program& program,
                  const LotOptions& options, const std::vector<ResultSink*>& sinks,
                  std::stop_token stop = {});
/// The same on one site.
LotResult run_lot(Board& board, Handler& handler, const Program& program, const LotOptions& options,
                  const std::vector<ResultSink*>& sinks, std::stop_token stop = {});

/// SHA-256 of a file's bytes as lower-case hex. Throws IoError if it cannot be read.
std::string sha256_file(const std::filesystem::path& file);
/// SHA-256 of bytes as lower-case hex.
std::string sha256_hex(std::string_view bytes);

/// This host's name, for the station field of reports.
std::string host_name();

/// The seedval version string.
std::string_view seedval_version();

}  // namespace seedval

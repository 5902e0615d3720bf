// seedval lot: a production lot on the simulated handler, on one or more sites: every unit tested,
// binned, recorded as it finishes (results.db, the store the reports are built from, and units.jsonl),
// and the lot's yield.json, bins.json and STDF file written at the end.
#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <optional>
#include <thread>

#include <fmt/core.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <seedval/boards/board.h>
#include <seedval/core/error.h>
#include <seedval/core/log.h>
#include <seedval/exec/handler.h>
#include <seedval/exec/lot.h>
#include <seedval/reports/lot_reports.h>
#include <seedval/reports/summary.h>
#include <seedval/reports/unit_log.h>
#include <seedval/store/store.h>

#include "common.h"
#include "stored.h"

namespace seedval::cli {
namespace {

struct LotCliOptions {
  std::string board{kDefaultBoard};
  std::string program{kDefaultProgram};
  int units = 0;
  int sites = 1;
  std::string out;
  std::string lot_id = "LOT001";
  std::string station;
  std::string store;  ///< results store location; "" for DIR/results.db
  std::vector<std::string> limits;
  std::optional<double> temperature_c;
  std::string handler = "sim";
  bool overwrite = false;
  bool resume = false;
  bool quiet = false;
};

// Ctrl-C or SIGTERM asks the lot to stop cleanly. The handler only sets a flag (a signal handler may
// not take locks, and stop callbacks do); a watcher thread turns it into the stop request.
volatile std::sig_atomic_t g_signalled = 0;
extern "C" void on_signal(int) {
  g_signalled = 1;
}

// Progress on stderr. On a terminal, a live view redrawn at most 5 times a second: units done per
// site, running first-pass yield, units per hour and the time left. Otherwise (a log file, a pipe) a
// plain line about every 10% of the lot.
class Progress final : public ResultSink {
 public:
  Progress(int units, int sites, bool quiet)
      : units_(units),
        quiet_(quiet),
        live_(!quiet && ::isatty(STDERR_FILENO) != 0),
        per_site_(static_cast<std::size_t>(std::max(sites, 1)), 0),
        start_(std::chrono::steady_clock::now()) {}
  void unit_finished(const UnitRecord& u) override {
    if (u.insertion == 1) {
      ++first_;
      if (u.passed) ++first_pass_;
    }
    ++insertions_;
    if (u.site >= 0 && static_cast<std::size_t>(u.site) < per_site_.size())
      ++per_site_[static_cast<std::size_t>(u.site)];
    if (quiet_) return;
    const auto now = std::chrono::steady_clock::now();
    const double secs = std::max(std::chrono::duration<double>(now - start_).count(), 1e-9);
    const double rate = first_ / secs;  // first insertions a second
    const std::string eta = rate > 0
                                ? format_quantity(static_cast<double>(units_ - first_) / rate, units::second)
                                : std::string("?");
    if (live_) {
      if (first_ != units_ && now - drawn_ < std::chrono::milliseconds(200)) return;
      drawn_ = now;
      std::string sites;
      for (std::size_t i = 0; i < per_site_.size(); ++i) sites += fmt::format(" {}:{}", i, per_site_[i]);
      // Rewrite one line in place: carriage return, the line, erase to its end.
      std::fprintf(stderr,
                   "\r  %d/%d units  %d insertions  first-pass %.1f%%  %.0f units/h  ETA %s  sites%s\x1b[K",
                   first_, units_, insertions_, 100.0 * first_pass_ / std::max(1, first_), rate * 3600,
                   eta.c_str(), sites.c_str());
      if (first_ == units_) std::fputc('\n', stderr);
      return;
    }
    const int step = std::max(1, units_ / 10);
    if (u.insertion != 1 || (first_ % step != 0 && first_ != units_)) return;
    std::fprintf(stderr, "  %5d/%d units  first-pass %5.1f%%  %.1f units/s  ETA %s\n", first_, units_,
                 100.0 * first_pass_ / std::max(1, first_), rate, eta.c_str());
  }
  void lot_finished(const LotResult&) override {
    if (live_ && first_ != units_) std::fputc('\n', stderr);  // stopped early: end the live line
  }

 private:
  int units_;
  bool quiet_;
  bool live_;
  std::vector<int> per_site_;
  int first_ = 0, first_pass_ = 0, insertions_ = 0;
  std::chrono::steady_clock::time_point start_, drawn_{};
};

std::string percent(const reports::Ratio& r) {
  auto v = r.value();
  return v ? fmt::format("{}/{} = {:.1f}%", r.numerator, r.denominator, 100 * *v) : "n/a";
}

int lot(const LotCliOptions& o) {
  namespace fs = std::filesystem;
  Program program = load_program(o.program);
  for (const auto& l : o.limits) apply_limits_file(program, l);
  // One board per site, each its own failure domain.
  std::vector<std::unique_ptr<Board>> boards;
  std::vector<Board*> sites;
  for (int i = 0; i < o.sites; ++i) {
    boards.push_back(open_board(o.board));
    sites.push_back(boards.back().get());
  }
  Board* board = sites.front();
  const bool manual = o.handler == "manual";
  if (!manual && board->die_socket() == nullptr)
    throw InvalidArgumentError(
        ErrorCode::invalid_argument,
        fmt::format(
            "board {} has no die socket; the simulated handler needs a simulated board (at the bench, "
            "--handler manual)",
            board->info().name));
  if (manual && o.sites != 1)
    throw InvalidArgumentError(ErrorCode::invalid_argument,
                               "--handler manual tends one socket: give --sites 1");
  if (manual && o.resume)
    throw InvalidArgumentError(
        ErrorCode::invalid_argument,
        "--resume continues a lot of the simulated handler; at the bench, start a new lot");
  SimHandler sim_handler(o.lot_id, manual ? 0 : o.units);
  // The operator at the bench: asked on stderr, answering on stdin, told where each unit goes.
  ManualHandler manual_handler(
      o.lot_id, o.units, board->die_socket() != nullptr,
      [](const std::string& prompt) -> std::optional<std::string> {
        std::fputs(prompt.c_str(), stderr);
        std::fflush(stderr);
        std::string line;
        const bool got = static_cast<bool>(std::getline(std::cin, line));
        // A terminal echoes the answer; answers from a file or a pipe are echoed so the log reads the same.
        if (::isatty(STDIN_FILENO) == 0) std::fprintf(stderr, "%s\n", got ? line.c_str() : "(end of input)");
        if (!got) return std::nullopt;
        return line;
      },
      [](const std::string& message) { std::fprintf(stderr, "  %s\n", message.c_str()); },
      [&program](int bin) { return program.hard_bin(bin).name; });
  Handler& handler = manual ? static_cast<Handler&>(manual_handler) : sim_handler;

  const fs::path dir(o.out);
  const fs::path log_file = dir / "units.jsonl";
  std::error_code ec;
  // The results store: DIR/results.db, or --store (another file, or a PostgreSQL server many lots share).
  const std::string store_location = o.store.empty() ? (dir / "results.db").string() : o.store;
  const bool store_is_file = ResultStore::backend_of(store_location) == ResultStore::Backend::sqlite;
  if (o.resume && store_is_file && !fs::exists(store_location, ec))
    throw InvalidArgumentError(ErrorCode::invalid_argument,
                               o.store.empty()
                                   ? fmt::format("{} holds no lot to resume (no results.db)", dir.string())
                                   : fmt::format("{} holds no lot to resume (no such file)", store_location));
  if (!o.resume && fs::exists(log_file, ec) && fs::file_size(log_file, ec) > 0) {
    if (!o.overwrite)
      throw InvalidArgumentError(
          ErrorCode::invalid_argument,
          fmt::format("{} already holds a lot ({}); use another --out, or --overwrite to replace it",
                      dir.string(), log_file.string()));
    fs::remove(log_file, ec);
    if (o.store.empty())
      for (const char* f : {"results.db", "results.db-wal", "results.db-shm"}) fs::remove(dir / f, ec);
  }
  fs::create_directories(dir, ec);
  if (ec) throw IoError(ErrorCode::io, fmt::format("{}: cannot create: {}", dir.string(), ec.message()));

  // The store first: a unit counts once its record is durable there; then the journal and the display.
  const std::unique_ptr<ResultStore> opened = ResultStore::open(store_location);
  ResultStore& store = *opened;
  // --overwrite replaces the lot in a store shared with other lots (its own file was removed above).
  if (o.overwrite && store.has_lot(o.lot_id)) store.remove_lot(o.lot_id);
  // A lot killed while it was starting may have left a store that holds nothing yet: it starts afresh.
  // A server holds other lots: there, nothing of this lot and an empty journal mean nothing recorded yet.
  const bool resuming =
      o.resume && (store_is_file ? !(store.lots().empty() && !store.has_lot(o.lot_id))
                                 : store.has_lot(o.lot_id) ||
                                       (fs::exists(log_file, ec) && fs::file_size(log_file, ec) > 0));
  if (o.resume && !resuming && !o.quiet)
    std::fprintf(stderr, "lot %s: nothing recorded yet, starting it\n", o.lot_id.c_str());
  if (resuming) {
    // Continue the lot the store holds: the same lot, program and units; units with a final result are
    // not tested again, a unit in flight when the lot stopped is tested again.
    if (!store.has_lot(o.lot_id))
      throw InvalidArgumentError(ErrorCode::invalid_argument,
                                 fmt::format("{} holds no lot {} to resume (it holds: {})", store.location(),
                                             o.lot_id, fmt::join(store.lots(), ", ")));
    // What the handler needs of each insertion, without its steps: a long lot stays small in memory.
    LotResult before = store.load_header(o.lot_id);
    store.for_each_insertion(
        o.lot_id,
        [&](UnitRecord&& u) {
          u.steps.clear();
          u.steps.shrink_to_fit();
          before.insertions.push_back(std::move(u));
        },
        false);
    if (before.info.program.sha256 != program.sha256)
      throw InvalidArgumentError(
          ErrorCode::invalid_argument,
          fmt::format("lot {} was started with program {} (sha256 {}); resume it with the same program file",
                      o.lot_id, before.info.program.path, before.info.program.sha256.substr(0, 12)));
    std::vector<std::string> layers_before, layers_now;
    for (const auto& f : before.info.inputs)
      if (f.name.ends_with(" limits)")) layers_before.push_back(f.sha256.substr(0, 12));
    for (const auto& l : program.limits_layers) layers_now.push_back(l.sha256.substr(0, 12));
    if (layers_before != layers_now)
      throw InvalidArgumentError(
          ErrorCode::invalid_argument,
          fmt::format(
              "lot {} was started with limits files of sha256 [{}], not [{}]; resume it with the same "
              "--limits files",
              o.lot_id, fmt::join(layers_before, ", "), fmt::join(layers_now, ", ")));
    if (before.info.handler != handler.describe())
      throw InvalidArgumentError(ErrorCode::invalid_argument,
                                 fmt::format("lot {} was started as \"{}\"; resume it with the same --units",
                                             o.lot_id, before.info.handler));
    sim_handler.resume(before.insertions, [&](const UnitRecord& u) {
      return !u.passed && (u.aborted || program.retestable(u.hard_bin)) &&
             u.insertion < program.max_insertions;
    });
    if (!o.quiet)
      std::fprintf(stderr, "lot %s: resuming after %zu insertions\n", o.lot_id.c_str(),
                   before.insertions.size());
  }
  StoreSink stored_sink(store, resuming);
  stored_sink.keep_file("program", {program.name, program.file.string(), program.sha256});
  for (const LimitsLayer& l : program.limits_layers)
    stored_sink.keep_file("limits", {l.file.filename().string(), l.file.string(), l.sha256});
  reports::UnitLog unit_log(log_file, program);
  Progress progress(o.units, o.sites, o.quiet || manual);  // at the bench the prompts are the progress
  LotOptions options;
  options.lot_id = o.lot_id;
  options.station = o.station;
  if (o.temperature_c) options.temperature_c = *o.temperature_c;
  options.keep_insertions = false;  // the store keeps them; the reports read them back from it
  if (!o.quiet)
    std::fprintf(stderr, "lot %s: %s%d units on %d site%s of %s with %s %s\n", o.lot_id.c_str(),
                 manual ? "up to " : "", o.units, o.sites, o.sites == 1 ? "" : "s", board->describe().c_str(),
                 program.name.c_str(), program.revision.c_str());
  g_signalled = 0;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::stop_source stop;
  std::jthread watcher([&stop](std::stop_token done) {
    while (!done.stop_requested() && g_signalled == 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (g_signalled != 0) stop.request_stop();
  });
  const LotResult run =
      run_lot(sites, handler, program, options, {&stored_sink, &unit_log, &progress}, stop.get_token());
  watcher.request_stop();
  watcher.join();
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  // The reports are built from the store, as `seedval report` and the factory's tools see the lot.
  // One insertion at a time, so a lot of any size fits in memory.
  const LotResult result = store.load_header(run.info.lot_id);
  reports::LotSummary s;
  auto files = reports::write_lot_reports(result, program, insertions_of(store, result.info.lot_id), dir, &s);
  files.push_back(fs::path(store.location()));

  fmt::print("lot {}: {} units, {} insertions on {} site{}{}\n", o.lot_id, s.units, s.insertions, o.sites,
             o.sites == 1 ? "" : "s",
             result.cancelled ? fmt::format(" (STOPPED early: {})", result.stopped_because) : "");
  for (const auto& site : result.sites)
    if (site.out_of_service)
      fmt::print("  site {} OUT OF SERVICE after {} insertions, {} tester errors: {}\n", site.site,
                 site.insertions, site.tester_errors, site.reason);
  fmt::print("  first-pass yield  {}\n", percent(s.first_pass_yield));
  fmt::print("  final yield       {}\n", percent(s.final_yield));
  fmt::print("  retest rate       {}\n", percent(s.retest_rate));
  fmt::print("  recovery rate     {}\n", percent(s.recovery_rate));
  fmt::print("  hard bin  {:<24} {:>6} {:>7}\n", "name", "count", "share");
  for (const auto& b : s.final_bins.hard)
    fmt::print("  {:>8}  {:<24} {:>6} {:>6.1f}%\n", b.number, b.name + (b.pass ? " (pass)" : ""), b.count,
               s.units ? 100.0 * static_cast<double>(b.count) / static_cast<double>(s.units) : 0.0);
  if (!s.grades.empty()) {
    fmt::print("  grade             units   share\n");
    for (const auto& [name, n] : s.grades)
      fmt::print("  {:<16} {:>6} {:>6.1f}%\n", name, n,
                 s.units ? 100.0 * static_cast<double>(n) / static_cast<double>(s.units) : 0.0);
  }
  fmt::print("  mean test time    {}, {:.0f} units/hour\n",
             format_quantity(s.test_time_s.mean, units::second), s.units_per_hour);
  fmt::print("reports:\n");
  for (const auto& f : files) fmt::print("  {}\n", f.string());
  fmt::print("  {}\n", log_file.string());
  if (!(s.bins_sum_to_units && s.fpy_le_fy && s.sites_sum_to_units))
    throw InternalError(ErrorCode::internal,
                        "the lot's counts do not add up; the reports record which check failed");
  return result.cancelled ? kTesterError : kOk;
}

}  // namespace

void add_lot(CLI::App& app) {
  auto o = std::make_shared<LotCliOptions>();
  auto* cmd = app.add_subcommand(
      "lot", "test a lot of simulated units and write yield.json, bins.json and units.jsonl");
  cmd->add_option("--units,-n", o->units, "units in the lot (25 wafers at most)")
      ->required()
      ->check(CLI::Range(1, SimHandler::max_units()));
  cmd->add_option("--out,-o", o->out, "folder for the lot's reports")->required();
  cmd->add_option("--board,-b", o->board, board_option_help())->capture_default_str();
  cmd->add_option("--program,-p", o->program, "test program: a name in fixtures/programs/ or a path")
      ->capture_default_str();
  cmd->add_option("--lot-id,--lot", o->lot_id, "lot id, 1 to 6 characters of 0-9 and A-Z")
      ->capture_default_str();
  cmd->add_option("--sites,-s", o->sites,
                  "sites tested in parallel, each with its own board (--board opened once per site)")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  cmd->add_option("--station", o->station, "station name in the reports (default: this host's name)");
  cmd->add_option("--handler", o->handler,
                  "sim: the simulated handler feeds --units dies; manual: the bench, an operator puts each "
                  "unit in by hand (asked on stderr, answering on stdin; --units is the most)")
      ->check(CLI::IsMember({"sim", "manual"}))
      ->capture_default_str();
  cmd->add_option("--store", o->store,
                  "results store: a file (default DIR/results.db) or a PostgreSQL connection string "
                  "(postgresql://USER@HOST:PORT/DB or \"host=... dbname=...\")");
  cmd->add_option("--limits,-l", o->limits,
                  "limits file applied over the program's limits (a path or a name in fixtures/limits/); "
                  "repeat in order: base, then product, then temperature")
      ->allow_extra_args(false);
  cmd->add_option("--temperature", o->temperature_c, "test temperature in degC, recorded in the reports")
      ->check(CLI::Range(-60.0, 200.0));
  auto* overwrite = cmd->add_flag("--overwrite", o->overwrite, "replace a lot already in --out");
  cmd->add_flag("--resume", o->resume,
                "continue the lot in --out (stopped or killed): no unit lost, none counted twice; give the "
                "same --lot, --units and --program")
      ->excludes(overwrite);
  cmd->add_flag("--quiet,-q", o->quiet, "no progress lines");
  cmd->callback([o] { throw ExitRequest{guarded("lot", [&] { return lot(*o); })}; });
}

}  // namespace seedval::cli

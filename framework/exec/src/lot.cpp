// Running a lot on one or more sites. Each site has a thread and a board of its own; the handler, the
// sinks and the lot's record are shared and guarded by one mutex, so the sinks see one unit at a time.
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/core.h>

#include <seedval/core/clock.h>
#include <seedval/core/error.h>
#include <seedval/core/log.h>
#include <seedval/exec/lot.h>
#include <seedval/exec/runner.h>

namespace seedval {
namespace {

LotInfo lot_info(const std::vector<Board*>& sites, const Handler& handler, const Program& program,
                 const LotOptions& options) {
  LotInfo info;
  info.lot_id = options.lot_id;
  info.product = program.product;
  info.step = options.step;
  info.station = options.station.empty() ? host_name() : options.station;
  info.handler = handler.describe();
  info.site_count = static_cast<int>(sites.size());
  info.temperature_c = options.temperature_c;
  info.program = {program.name, program.file.string(), program.sha256};
  info.program_revision = program.revision;
  const Board& first = *sites.front();
  info.board = {first.info().name, first.info().file.string(), ""};
  std::set<std::string> seen;
  for (const Board* board : sites)
    for (const auto& f : board->info().files) {
      if (!seen.insert(f.string()).second) continue;
      FileRef ref{f.filename().string(), f.string(), sha256_file(f)};
      if (f == first.info().file) info.board.sha256 = ref.sha256;
      info.inputs.push_back(std::move(ref));
    }
  if (!program.file.empty()) info.inputs.push_back(info.program);
  for (const LimitsLayer& l : program.limits_layers)
    info.inputs.push_back(
        {fmt::format("{} ({} limits)", l.file.filename().string(), l.layer), l.file.string(), l.sha256});
  info.start_time = iso8601_now();
  info.seedval_version = std::string(seedval_version());
  return info;
}

// What the site threads share.
struct Floor {
  Handler& handler;
  const Program& program;
  const LotOptions& options;
  const std::vector<ResultSink*>& sinks;
  LotResult& result;
  std::mutex mutex;
  std::condition_variable changed;
  int in_flight = 0;                // units being tested now
  bool stopping = false;            // no more units are handed out
  std::exception_ptr sink_failure;  // the first sink that threw
  // A unit whose last insertion was a tester error goes back to another site when one is in service: the
  // site that failed it may be the fault, and a unit must not spend its insertions on a bad socket.
  std::map<int, int> errored_on;   // unit -> the site its last insertion ended in a tester error on
  std::deque<UnitSlot> set_aside;  // such units, taken from the handler by the site they erred on

  // Is a site other than `site` still in service?
  bool another_site_in_service(int site) const {
    for (const SiteRecord& s : result.sites)
      if (s.site != site && !s.out_of_service) return true;
    return false;
  }
  bool suits(const UnitSlot& slot, int site) const {
    const auto it = errored_on.find(slot.unit);
    return it == errored_on.end() || it->second != site || !another_site_in_service(site);
  }
  // The next unit for `site`: one set aside for it, else the handler's next, setting aside those the site
  // should not take.
  std::optional<UnitSlot> next_for(int site) {
    for (auto it = set_aside.begin(); it != set_aside.end(); ++it)
      if (suits(*it, site)) {
        UnitSlot slot = *it;
        set_aside.erase(it);
        return slot;
      }
    while (std::optional<UnitSlot> slot = handler.next()) {
      if (suits(*slot, site)) return slot;
      set_aside.push_back(*slot);
      changed.notify_all();  // another site may take it
    }
    return std::nullopt;
  }
};

void run_site(Floor& floor, Board& board, int site, std::stop_token stop) {
  DieSocket* socket = board.die_socket();
  int errors_in_a_row = 0;
  std::unique_lock lock(floor.mutex);
  SiteRecord& record = floor.result.sites[static_cast<std::size_t>(site)];
  while (true) {
    // The next unit; when none is left but other sites are still testing, one may come back for retest.
    std::optional<UnitSlot> slot;
    const auto ready = [&] {
      if (floor.stopping || stop.stop_requested()) return true;
      slot = floor.next_for(site);
      return slot.has_value() || floor.in_flight == 0;
    };
    // Timed: a stop request may come from a signal handler, which must not take a lock to wake us.
    while (!floor.changed.wait_for(lock, std::chrono::milliseconds(100), ready)) {
    }
    // A unit taken just as the lot stops is not tested and not recorded, as on one site.
    if (!slot || floor.stopping || stop.stop_requested()) break;
    ++floor.in_flight;
    lock.unlock();

    if (socket != nullptr && !slot->die_from_device) socket->insert(slot->die, slot->insertion);
    UnitContext ctx{slot->unit,      std::to_string(slot->unit + 1), slot->die, site,
                    slot->insertion, slot->die_from_device};
    UnitRecord unit = test_unit(board, floor.program, ctx, stop,
                                floor.options.device_timeouts ? &*floor.options.device_timeouts : nullptr);
    for (const FileRef& f : floor.result.info.inputs) unit.input_hashes.push_back(f.sha256);

    if (slot->die_from_device && unit.ecid && !(unit.die == slot->die)) {
      slot->die = unit.die;  // the die its ECID names: a retest must be the same one
      slot->die_from_device = false;
    }
    lock.lock();
    --floor.in_flight;
    const bool retest = !unit.passed && !unit.aborted && floor.program.retestable(unit.hard_bin) &&
                        slot->insertion < floor.program.max_insertions;
    log::debug("site {}: unit {} ({}) insertion {}: soft bin {} hard bin {}{}", site, unit.part_id,
               chip::to_string(unit.die), unit.insertion, unit.soft_bin, unit.hard_bin,
               retest ? ", to retest" : "");
    ++record.insertions;
    errors_in_a_row = unit.tester_error && !unit.aborted ? errors_in_a_row + 1 : 0;
    if (unit.tester_error) ++record.tester_errors;
    if (!floor.sink_failure) {
      try {
        for (auto* s : floor.sinks) s->unit_finished(unit);
      } catch (...) {
        // A result that cannot be recorded stops the lot: no further unit is started anywhere.
        floor.sink_failure = std::current_exception();
        floor.stopping = true;
        floor.result.stopped_because = "a result could not be recorded";
      }
    }
    const bool aborted = unit.aborted;
    const int hard_bin = unit.hard_bin;
    const bool tester_error = unit.tester_error;
    std::string message = unit.message;
    if (floor.options.keep_insertions) floor.result.insertions.push_back(std::move(unit));
    if (retest && tester_error)
      floor.errored_on[slot->unit] = site;
    else
      floor.errored_on.erase(slot->unit);
    floor.handler.sort(*slot, hard_bin, retest);
    if (aborted) {
      floor.stopping = true;
      if (floor.result.stopped_because.empty()) floor.result.stopped_because = "stopped on request";
    }
    if (errors_in_a_row >= floor.options.site_error_limit && !record.out_of_service) {
      record.out_of_service = true;
      record.reason = std::move(message);
      log::warn(
          "site {} ({}) is out of service after {} tester errors in a row; its units go to the other "
          "sites. Last error: {}",
          site, record.board, errors_in_a_row, record.reason);
    }
    floor.changed.notify_all();
    if (record.out_of_service) break;
  }
  floor.changed.notify_all();
}

}  // namespace

LotResult run_lot(const std::vector<Board*>& sites, Handler& handler, const Program& program,
                  const LotOptions& options, const std::vector<ResultSink*>& sinks, std::stop_token stop) {
  if (sites.empty()) throw InvalidArgumentError(ErrorCode::invalid_argument, "a lot needs at least one site");
  LotResult result;
  result.info = lot_info(sites, handler, program, options);
  for (std::size_t i = 0; i < sites.size(); ++i)
    result.sites.push_back(SiteRecord{static_cast<int>(i), sites[i]->describe(), 0, 0, false, ""});
  for (auto* s : sinks) s->lot_started(result.info);

  Floor floor{handler, program, options, sinks, result, {}, {}, 0, false, nullptr, {}, {}};
  {
    std::vector<std::jthread> threads;
    for (std::size_t i = 0; i < sites.size(); ++i)
      threads.emplace_back(
          [&floor, &stop, board = sites[i], i] { run_site(floor, *board, static_cast<int>(i), stop); });
  }  // joined

  if (stop.stop_requested() && result.stopped_because.empty()) result.stopped_because = "stopped on request";
  if (result.stopped_because.empty()) {
    // Sites that all went out of service may leave units with the handler.
    bool any_in_service = false;
    for (const auto& s : result.sites) any_in_service = any_in_service || !s.out_of_service;
    if (!any_in_service && (!floor.set_aside.empty() || handler.next()))
      result.stopped_because = "every site is out of service, with units left untested";
  }
  result.cancelled = !result.stopped_because.empty();
  result.info.finish_time = iso8601_now();
  if (floor.sink_failure) std::rethrow_exception(floor.sink_failure);
  for (auto* s : sinks) s->lot_finished(result);
  return result;
}

LotResult run_lot(Board& board, Handler& handler, const Program& program, const LotOptions& options,
                  const std::vector<ResultSink*>& sinks, std::stop_token stop) {
  return run_lot(std::vector<Board*>{&board}, handler, program, options, sinks, std::move(stop));
}

}  // namespace seedval

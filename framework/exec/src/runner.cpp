#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stop_token>
#include <thread>

#include <fmt/core.h>

#include <seedval/core/clock.h>
#include <seedval/core/error.h>
#include <seedval/core/log.h>
#include <seedval/core/strings.h>
#include <seedval/core/units.h>
#include <seedval/exec/runner.h>

namespace seedval {
namespace {

void bin_tester_error(UnitRecord& u, const Program& p, std::string step, std::string message) {
  if (u.tester_error) return;  // the first reason is the one that matters
  u.tester_error = true;
  u.soft_bin = p.tester_error_bin;
  u.failing_step = std::move(step);
  u.message = std::move(message);
}

// A step's time limit: its stop token is requested when the limit passes, or when the unit's own stop
// is requested, so a step waiting anywhere (on the device or off it) is ended cooperatively.
class StepWatchdog {
 public:
  StepWatchdog(std::stop_token unit_stop, Deadline deadline)
      : forward_(std::move(unit_stop), Forward{&source_}), timer_([this, deadline](std::stop_token done) {
          std::mutex m;
          std::unique_lock lock(m);
          std::condition_variable_any cv;
          cv.wait_until(lock, done, deadline.time_point(), [] { return false; });
          if (done.stop_requested()) return;
          expired_ = true;
          source_.request_stop();
        }) {}
  std::stop_token token() const { return source_.get_token(); }
  bool expired() const { return expired_; }

 private:
  struct Forward {
    std::stop_source* source;
    void operator()() const noexcept { source->request_stop(); }
  };
  std::stop_source source_;
  std::atomic<bool> expired_{false};
  std::stop_callback<Forward> forward_;
  std::jthread timer_;  // last: stopped and joined first
};

UnitRecord new_record(const UnitContext& ctx) {
  UnitRecord u;
  u.unit = ctx.unit;
  u.part_id = ctx.part_id.empty() ? std::to_string(ctx.unit + 1) : ctx.part_id;
  u.die = ctx.die;
  u.site = ctx.site;
  u.insertion = ctx.insertion;
  u.start_time = iso8601_now();
  return u;
}

// The first grade whose every condition holds; a passing unit that none takes goes to the no-grade bin.
void assign_grade(UnitRecord& u, const Program& program) {
  std::vector<std::string> missed;
  for (const Grade& g : program.grades) {
    std::string miss;
    for (const GradeCondition& c : g.when) {
      const auto step =
          std::find_if(u.steps.begin(), u.steps.end(), [&](const StepRecord& s) { return s.id == c.step; });
      const Measurement* m = nullptr;
      if (step != u.steps.end())
        for (const auto& x : step->measurements)
          if (x.name == c.measurement) m = &x;
      if (m == nullptr) {
        miss = fmt::format("{}.{} was not measured", c.step, c.measurement);
        break;
      }
      if (!c.limits.contains(m->value)) {
        miss = fmt::format("{}.{} = {} outside {}", c.step, c.measurement, format_quantity(m->value, m->unit),
                           to_string(c.limits, m->unit));
        break;
      }
    }
    if (miss.empty()) {
      u.soft_bin = g.soft_bin;
      u.grade = g.name;
      return;
    }
    missed.push_back(fmt::format("{}: {}", g.name, miss));
  }
  u.soft_bin = program.no_grade_bin;
  u.failing_step = "grade";
  u.message = fmt::format("no grade takes the unit ({})", join(missed, "; "));
}

}  // namespace

UnitRecord run_unit(Device& device, const Program& program, const UnitContext& ctx, std::stop_token stop) {
  UnitRecord u = new_record(ctx);
  const auto start = std::chrono::steady_clock::now();
  device.set_stop_token(stop);

  bool decided = false;  // a flow failure or tester error has fixed the bin
  // The unit is keyed by its ECID: read it first, and make sure it is the die the handler says it is.
  try {
    const Identity& id = device.identify(true);
    u.ecid = id.ecid;
    if (ctx.die_from_device) {
      if (id.die) u.die = *id.die;
    } else if (id.die && !(*id.die == ctx.die))
      bin_tester_error(u, program, "identify",
                       fmt::format("unit in the socket is {}, the handler gave {}", chip::to_string(*id.die),
                                   chip::to_string(ctx.die)));
  } catch (const Error& e) {
    if (e.code() == ErrorCode::cancelled) u.aborted = true;
    bin_tester_error(u, program, "identify", e.what());
  }
  decided = u.tester_error;

  auto run_step = [&](const Step& step, bool in_flow) {
    if (stop.stop_requested()) {
      u.aborted = true;
      bin_tester_error(u, program, step.id, "stop requested before the program finished");
      decided = true;
      return;
    }
    const std::optional<double> limit = step.time_limit_s ? step.time_limit_s : program.step_time_limit_s;
    StepRecord rec;
    if (!limit) {
      rec = run_test(device, *step.test, step.params, step.limits, stop, step.id);
    } else {
      const std::string what =
          fmt::format("step {}'s time limit of {}", step.id, format_quantity(*limit, units::second));
      const Deadline deadline = Deadline::after(
          std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(*limit)));
      StepWatchdog watchdog(stop, deadline);
      device.set_time_limit(deadline, what);
      device.set_stop_token(watchdog.token());
      rec = run_test(device, *step.test, step.params, step.limits, watchdog.token(), step.id);
      device.set_stop_token(stop);
      device.clear_time_limit();
      const bool expired = watchdog.expired() && !stop.stop_requested();
      if (expired && rec.outcome != Outcome::failed) {
        // The limit, not a stop request, ended it (or work off the device ran past it): never trusted.
        if (rec.error_code != ErrorCode::timeout)
          rec.message =
              fmt::format("{} ran out after {}{}{}", what, format_quantity(rec.duration_s, units::second),
                          rec.message.empty() ? "" : ": ", rec.message);
        rec.outcome = Outcome::error;
        rec.error_code = ErrorCode::timeout;
      }
    }
    const Outcome outcome = rec.outcome;
    const std::string message = rec.message;
    const ErrorCode code = rec.error_code;
    u.steps.push_back(std::move(rec));
    if (decided) return;
    switch (outcome) {
      case Outcome::passed:
        break;
      case Outcome::skipped:
        if (!step.optional)
          bin_tester_error(u, program, step.id,
                           fmt::format("required step {} was skipped ({}); an untested unit cannot pass",
                                       step.id, message));
        break;
      case Outcome::error:
        if (code == ErrorCode::cancelled) u.aborted = true;
        bin_tester_error(u, program, step.id, fmt::format("{}: {}", step.id, message));
        break;
      case Outcome::failed:
        if (in_flow) {
          u.soft_bin = step.fail_bin;
          for (const auto& m : u.steps.back().measurements) {
            if (m.outcome != Outcome::failed) continue;
            if (auto it = step.limit_bins.find(m.name); it != step.limit_bins.end()) u.soft_bin = it->second;
            break;
          }
          u.failing_step = step.id;
          u.message = fmt::format("{}: {}", step.id, message);
        } else {
          bin_tester_error(u, program, step.id,
                           fmt::format("setup or teardown step {} failed: {}", step.id, message));
        }
        break;
    }
    decided = decided || outcome == Outcome::error || (outcome == Outcome::failed) ||
              (outcome == Outcome::skipped && !step.optional);
  };

  if (!u.tester_error) {
    for (const auto& step : program.setup) run_step(step, false);
    const bool setup_ok = !decided;
    if (setup_ok) {
      for (const auto& step : program.flow) {
        if (decided && program.stop_on_fail) break;
        run_step(step, true);
      }
    }
    for (const auto& step : program.teardown) run_step(step, false);
  }

  if (!decided) {
    u.soft_bin = program.pass_bin;
    if (!program.grades.empty()) assign_grade(u, program);
  }
  u.hard_bin = program.soft_bin(u.soft_bin).hard_bin;
  u.passed = !u.tester_error && program.hard_bin(u.hard_bin).pass;
  u.test_time_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  u.finish_time = iso8601_now();
  return u;
}

UnitRecord test_unit(Board& board, const Program& program, const UnitContext& ctx, std::stop_token stop,
                     const DeviceTimeouts* timeouts) {
  try {
    Device device(board.connect(), board.info().name);
    if (timeouts != nullptr) device.set_timeouts(*timeouts);
    return run_unit(device, program, ctx, stop);
  } catch (const Error& e) {
    UnitRecord u = new_record(ctx);
    u.finish_time = u.start_time;
    if (e.code() == ErrorCode::cancelled) u.aborted = true;
    bin_tester_error(u, program, "connect",
                     fmt::format("cannot reach the unit on {}: {}", board.describe(), e.what()));
    u.hard_bin = program.soft_bin(u.soft_bin).hard_bin;
    return u;
  }
}

}  // namespace seedval

// Tests for seedval/exec/runner.h: how run_unit and test_unit bin a unit. The rules that matter most
// on a test floor: a tester fault is never a pass, the first failing flow step decides the bin, and
// setup/teardown always run.
#include <algorithm>
#include <chrono>
#include <memory>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <fmt/core.h>

#include <seedval/core/error.h>
#include <seedval/device/device.h>
#include <seedval/exec/runner.h>

#include "exec_test_support.h"

namespace seedval {
namespace {

using exec_test::contains;
using exec_test::make_program;
using exec_test::runs;
using exec_test::step_ids;
using Ids = std::vector<std::string>;

// A simulated board whose socket always makes contact, and a unit context for the die in it.
struct Bench {
  exec_test::TempDir dir;
  // A chip variant without tensor cores, for the steps that need them.
  std::unique_ptr<Board> board = exec_test::sim_board(
      dir, "exec-runner", R"("disable_capabilities": ["tensor"], "contact_failure_rate": 0)");

  UnitContext context() const {
    UnitContext ctx;
    ctx.unit = 6;
    ctx.die = *board->die_socket()->current();
    return ctx;
  }
  UnitRecord run(const Program& p, std::stop_token stop = {}) {
    Device device(board->connect(), board->info().name);
    return run_unit(device, p, context(), stop);
  }
};

// Checks the fields every tester-error verdict must have.
void check_tester_error(const UnitRecord& u, const std::string& step) {
  BOOST_TEST(u.tester_error);
  BOOST_TEST(!u.passed);
  BOOST_TEST(u.soft_bin == 900);
  BOOST_TEST(u.hard_bin == 9);
  BOOST_TEST(u.failing_step == step);
  BOOST_TEST(!u.message.empty());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(exec_runner)

BOOST_AUTO_TEST_CASE(every_step_passing_bins_pass) {
  Bench b;
  const Program p = make_program(R"([{"id": "a", "test": "test.pass", "fail_bin": 20},
                                      {"id": "b", "test": "test.pass", "params": {"value": 2.5}, "fail_bin": 30}])");
  const UnitRecord u = b.run(p);
  BOOST_TEST(u.passed);
  BOOST_TEST(!u.tester_error);
  BOOST_TEST(!u.aborted);
  BOOST_TEST(u.soft_bin == 1);
  BOOST_TEST(u.hard_bin == 1);
  BOOST_TEST(u.failing_step.empty());
  BOOST_TEST(u.message.empty());
  BOOST_TEST(step_ids(u) == (Ids{"a", "b"}), boost::test_tools::per_element());
  BOOST_REQUIRE(u.steps.size() == 2u);
  BOOST_REQUIRE(u.steps[1].measurements.size() == 1u);
  BOOST_TEST(u.steps[1].measurements[0].value == 2.5);
  // The record carries the handler's identity of the unit and the ECID the device reported.
  BOOST_TEST(u.unit == 6);
  BOOST_TEST(u.part_id == "7");
  BOOST_TEST(u.ecid.has_value());
  BOOST_TEST((u.die == b.context().die));
  BOOST_TEST(!u.start_time.empty());
  BOOST_TEST(u.test_time_s >= 0.0);
}

// A program whose one flow step measures `value`, with two grades on it.
Program graded_program(double value) {
  return parse_program(fmt::format(R"({{
    "program": "graded", "revision": "1",
    "hard_bins": [{{"number": 1, "name": "pass-a", "pass": true}}, {{"number": 4, "name": "pass-b", "pass": true}},
                  {{"number": 2, "name": "fail", "pass": false}}, {{"number": 9, "name": "tester-error", "pass": false}}],
    "soft_bins": [{{"number": 1, "name": "grade-a", "hard_bin": 1}}, {{"number": 2, "name": "grade-b", "hard_bin": 4}},
                  {{"number": 20, "name": "fail", "hard_bin": 2}}, {{"number": 25, "name": "no-grade", "hard_bin": 2}},
                  {{"number": 900, "name": "tester-error", "hard_bin": 9}}],
    "pass_bin": 1, "tester_error_bin": 900,
    "flow": [{{"id": "a", "test": "test.pass", "params": {{"value": {}}}, "fail_bin": 20}}],
    "grades": [{{"name": "A", "soft_bin": 1, "when": {{"a.reading": {{"low": 5}}}}}},
               {{"name": "B", "soft_bin": 2, "when": {{"a.reading": {{"low": 2, "high": 10}}}}}}],
    "no_grade_bin": 25
  }})",
                                   value),
                       "graded");
}

BOOST_AUTO_TEST_CASE(grades_sort_a_passing_unit_by_its_measurements) {
  Bench b;
  const UnitRecord a = b.run(graded_program(7));
  BOOST_TEST(a.passed);
  BOOST_TEST(a.grade == "A");
  BOOST_TEST(a.soft_bin == 1);
  const UnitRecord g = b.run(graded_program(3));
  BOOST_TEST(g.passed);
  BOOST_TEST(g.grade == "B");
  BOOST_TEST(g.soft_bin == 2);
  BOOST_TEST(g.hard_bin == 4);
  // A unit that passes every step but meets no grade is not a good part.
  const UnitRecord none = b.run(graded_program(1));
  BOOST_TEST(!none.passed);
  BOOST_TEST(none.grade.empty());
  BOOST_TEST(none.soft_bin == 25);
  BOOST_TEST(none.failing_step == "grade");
  BOOST_TEST(contains(none.message, "A: a.reading = 1 V outside"), none.message);
  BOOST_TEST(contains(none.message, "B: a.reading = 1 V outside"), none.message);
}

BOOST_AUTO_TEST_CASE(first_failing_step_decides_the_bin_and_stop_on_fail_stops) {
  Bench b;
  exec_test::reset_runs();
  const Program p = make_program(R"([{"id": "a", "test": "test.pass", "fail_bin": 20},
                                      {"id": "b", "test": "test.always_fail", "fail_bin": 30},
                                      {"id": "c", "test": "test.throws", "fail_bin": 20}])");
  BOOST_TEST(p.stop_on_fail);
  const UnitRecord u = b.run(p);
  BOOST_TEST(!u.passed);
  BOOST_TEST(!u.tester_error);
  BOOST_TEST(u.soft_bin == 30);
  BOOST_TEST(u.hard_bin == 3);
  BOOST_TEST(u.failing_step == "b");
  BOOST_TEST(contains(u.message, "deliberate failure"));
  BOOST_TEST(step_ids(u) == (Ids{"a", "b"}), boost::test_tools::per_element());
  BOOST_TEST(runs("test.throws") == 0);  // the step after the failure never ran
}

BOOST_AUTO_TEST_CASE(without_stop_on_fail_every_step_runs_and_the_first_failure_decides) {
  Bench b;
  exec_test::reset_runs();
  const Program p = make_program(R"([{"id": "a", "test": "test.pass", "fail_bin": 20},
                                      {"id": "b", "test": "test.always_fail", "fail_bin": 30},
                                      {"id": "c", "test": "test.always_fail", "fail_bin": 20},
                                      {"id": "d", "test": "test.throws", "fail_bin": 20}])",
                                 R"("stop_on_fail": false,)");
  BOOST_TEST(!p.stop_on_fail);
  const UnitRecord u = b.run(p);
  BOOST_TEST(step_ids(u) == (Ids{"a", "b", "c", "d"}), boost::test_tools::per_element());
  BOOST_TEST(runs("test.always_fail") == 2);
  BOOST_TEST(u.soft_bin == 30);
  BOOST_TEST(u.hard_bin == 3);
  BOOST_TEST(u.failing_step == "b");
  BOOST_TEST(!u.passed);
  // A later tester fault does not overwrite the unit's own failure.
  BOOST_TEST(!u.tester_error);
}

BOOST_AUTO_TEST_CASE(teardown_runs_after_a_failure) {
  Bench b;
  const Program p = make_program(R"([{"id": "a", "test": "test.always_fail", "fail_bin": 20},
                                      {"id": "b", "test": "test.pass", "fail_bin": 20}])",
                                 R"("setup": [{"id": "power_on", "test": "test.pass"}],
                                    "teardown": [{"id": "park", "test": "test.pass"}],)");
  const UnitRecord u = b.run(p);
  BOOST_TEST(step_ids(u) == (Ids{"power_on", "a", "park"}), boost::test_tools::per_element());
  BOOST_TEST(u.soft_bin == 20);
  BOOST_TEST(u.hard_bin == 2);
  BOOST_TEST(!u.tester_error);
}

BOOST_AUTO_TEST_CASE(teardown_runs_after_a_tester_error) {
  Bench b;
  const Program p = make_program(R"([{"id": "a", "test": "test.throws", "fail_bin": 20},
                                      {"id": "b", "test": "test.pass", "fail_bin": 20}])",
                                 R"("teardown": [{"id": "park", "test": "test.pass"}],)");
  const UnitRecord u = b.run(p);
  BOOST_TEST(step_ids(u) == (Ids{"a", "park"}), boost::test_tools::per_element());
  check_tester_error(u, "a");
}

BOOST_AUTO_TEST_CASE(transport_and_timeout_errors_are_tester_errors_never_a_pass) {
  for (const std::string kind : {"transport", "timeout", "protocol", "internal"}) {
    BOOST_TEST_CONTEXT("kind " << kind) {
      Bench b;
      const Program p =
          make_program(R"([{"id": "link", "test": "test.throws", "params": {"kind": ")" + kind +
                       R"("}, "fail_bin": 20}, {"id": "b", "test": "test.pass", "fail_bin": 30}])");
      const UnitRecord u = b.run(p);
      check_tester_error(u, "link");
      BOOST_TEST(!u.aborted);
      BOOST_REQUIRE(!u.steps.empty());
      BOOST_TEST(u.steps[0].outcome == Outcome::error);
      BOOST_TEST(contains(u.message, "injected"));
    }
  }
}

BOOST_AUTO_TEST_CASE(error_codes_are_kept_in_the_step_record) {
  Bench b;
  const Program p =
      make_program(R"([{"id": "t", "test": "test.throws", "params": {"kind": "timeout"}, "fail_bin": 20}])");
  const UnitRecord u = b.run(p);
  BOOST_REQUIRE(u.steps.size() == 1u);
  BOOST_TEST(u.steps[0].error_code == ErrorCode::timeout);
}

BOOST_AUTO_TEST_CASE(device_fault_fails_the_unit_into_the_steps_bin) {
  Bench b;
  const Program p =
      make_program(R"([{"id": "mbist", "test": "test.throws", "params": {"kind": "device"}, "fail_bin": 30},
                                      {"id": "b", "test": "test.pass", "fail_bin": 20}])");
  const UnitRecord u = b.run(p);
  BOOST_TEST(!u.tester_error);
  BOOST_TEST(!u.passed);
  BOOST_TEST(u.soft_bin == 30);
  BOOST_TEST(u.hard_bin == 3);
  BOOST_TEST(u.failing_step == "mbist");
  BOOST_REQUIRE(!u.steps.empty());
  BOOST_TEST(u.steps[0].outcome == Outcome::failed);
  BOOST_TEST(u.steps[0].error_code == ErrorCode::device);
  BOOST_TEST(contains(u.message, "mbist engine fault"));
}

BOOST_AUTO_TEST_CASE(skipped_required_step_is_a_tester_error) {
  Bench b;
  const Program p = make_program(R"([{"id": "a", "test": "test.pass", "fail_bin": 20},
                                      {"id": "nothing", "test": "test.skips", "fail_bin": 30}])");
  const UnitRecord u = b.run(p);
  check_tester_error(u, "nothing");
  BOOST_TEST(contains(u.message, "skipped"));
  BOOST_TEST(contains(u.message, "nothing to test here"));
}

BOOST_AUTO_TEST_CASE(step_skipped_for_a_missing_capability_is_a_tester_error) {
  Bench b;
  const Program p = make_program(R"([{"id": "tensor", "test": "test.needs_tensor", "fail_bin": 20}])");
  exec_test::reset_runs();
  const UnitRecord u = b.run(p);
  check_tester_error(u, "tensor");
  BOOST_TEST(contains(u.message, "tensor"));
  BOOST_TEST(runs("test.needs_tensor") == 0);
}

BOOST_AUTO_TEST_CASE(optional_skipped_steps_can_still_pass) {
  Bench b;
  const Program p = make_program(R"([{"id": "a", "test": "test.pass", "fail_bin": 20},
                                      {"id": "maybe", "test": "test.skips", "fail_bin": 30, "optional": true},
                                      {"id": "tensor", "test": "test.needs_tensor", "fail_bin": 30, "optional": true},
                                      {"id": "b", "test": "test.pass", "fail_bin": 20}])");
  const UnitRecord u = b.run(p);
  BOOST_TEST(u.passed);
  BOOST_TEST(!u.tester_error);
  BOOST_TEST(u.soft_bin == 1);
  BOOST_TEST(step_ids(u) == (Ids{"a", "maybe", "tensor", "b"}), boost::test_tools::per_element());
  BOOST_REQUIRE(u.steps.size() == 4u);
  BOOST_TEST(u.steps[1].outcome == Outcome::skipped);
  BOOST_TEST(u.steps[2].outcome == Outcome::skipped);
}

BOOST_AUTO_TEST_CASE(optional_step_that_fails_still_fails_the_unit) {
  Bench b;
  const Program p =
      make_program(R"([{"id": "opt", "test": "test.always_fail", "fail_bin": 30, "optional": true}])");
  const UnitRecord u = b.run(p);
  BOOST_TEST(!u.passed);
  BOOST_TEST(u.soft_bin == 30);
}

BOOST_AUTO_TEST_CASE(failing_setup_step_is_a_tester_error_and_the_flow_is_not_run) {
  Bench b;
  const Program p = make_program(R"([{"id": "a", "test": "test.pass", "fail_bin": 20}])",
                                 R"("setup": [{"id": "power_on", "test": "test.always_fail"}],
                                    "teardown": [{"id": "park", "test": "test.pass"}],)");
  const UnitRecord u = b.run(p);
  check_tester_error(u, "power_on");
  BOOST_TEST(step_ids(u) == (Ids{"power_on", "park"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(failing_teardown_step_is_a_tester_error) {
  Bench b;
  const Program p = make_program(R"([{"id": "a", "test": "test.pass", "fail_bin": 20}])",
                                 R"("teardown": [{"id": "park", "test": "test.always_fail"}],)");
  const UnitRecord u = b.run(p);
  check_tester_error(u, "park");
}

BOOST_AUTO_TEST_CASE(program_limits_override_the_tests_defaults) {
  Bench b;
  // 12 V is outside the test's default [0, 10] but inside the program's; 5 V the other way round.
  const UnitRecord widened = b.run(make_program(
      R"([{"id": "m", "test": "test.pass", "params": {"value": 12}, "limits": {"reading": {"high": 20}}, "fail_bin": 20}])"));
  BOOST_TEST(widened.passed);
  BOOST_REQUIRE(widened.steps.size() == 1u);
  BOOST_REQUIRE(widened.steps[0].measurements.size() == 1u);
  BOOST_TEST(*widened.steps[0].measurements[0].limits.high == 20.0);
  BOOST_TEST(!widened.steps[0].measurements[0].limits.low.has_value());

  const UnitRecord narrowed = b.run(make_program(
      R"([{"id": "m", "test": "test.pass", "params": {"value": 5}, "limits": {"reading": {"high": 4}}, "fail_bin": 20}])"));
  BOOST_TEST(!narrowed.passed);
  BOOST_TEST(!narrowed.tester_error);
  BOOST_TEST(narrowed.soft_bin == 20);
  BOOST_TEST(narrowed.failing_step == "m");
  BOOST_REQUIRE(narrowed.steps.size() == 1u);
  BOOST_REQUIRE(narrowed.steps[0].measurements.size() == 1u);
  BOOST_TEST(narrowed.steps[0].measurements[0].outcome == Outcome::failed);

  // Without program limits, the test's defaults judge.
  const UnitRecord defaults =
      b.run(make_program(R"([{"id": "m", "test": "test.pass", "params": {"value": 12}, "fail_bin": 20}])"));
  BOOST_TEST(!defaults.passed);
  BOOST_TEST(defaults.soft_bin == 20);
}

BOOST_AUTO_TEST_CASE(a_failing_measurement_with_its_own_bin_decides_the_bin) {
  Bench b;
  const UnitRecord own = b.run(make_program(
      R"([{"id": "m", "test": "test.pass", "params": {"value": 5}, "limits": {"reading": {"high": 4, "fail_bin": 30}}, "fail_bin": 20}])"));
  BOOST_TEST(!own.passed);
  BOOST_TEST(own.soft_bin == 30);
  BOOST_TEST(own.failing_step == "m");
  // Within its limit, the measurement's bin plays no part.
  const UnitRecord passing = b.run(make_program(
      R"([{"id": "m", "test": "test.pass", "params": {"value": 3}, "limits": {"reading": {"high": 4, "fail_bin": 30}}, "fail_bin": 20}])"));
  BOOST_TEST(passing.passed);
}

BOOST_AUTO_TEST_CASE(artifacts_stay_with_the_step_and_bad_names_are_tester_errors) {
  Bench b;
  const UnitRecord ok = b.run(make_program(
      R"([{"id": "m", "test": "test.attaches", "params": {"name": "fail_bitmap"}, "fail_bin": 20}])"));
  BOOST_TEST(ok.passed);
  BOOST_REQUIRE(ok.steps.size() == 1u);
  BOOST_REQUIRE(ok.steps[0].artifacts.size() == 1u);
  BOOST_TEST(ok.steps[0].artifacts[0].name == "fail_bitmap");
  BOOST_TEST(ok.steps[0].artifacts[0].media_type == "application/json");
  BOOST_TEST(ok.steps[0].artifacts[0].content == R"({"x": 1})");
  for (const char* bad : {"../escape", "twice", ""}) {
    BOOST_TEST_CONTEXT(bad) {
      const UnitRecord u = b.run(make_program(fmt::format(
          R"([{{"id": "m", "test": "test.attaches", "params": {{"name": "{}"}}, "fail_bin": 20}}])", bad)));
      BOOST_TEST(u.tester_error);
      BOOST_TEST(contains(u.message, "artifact"), u.message);
    }
  }
}

BOOST_AUTO_TEST_CASE(nan_measurement_fails_even_without_limits) {
  Bench b;
  const UnitRecord u = b.run(make_program(R"([{"id": "nan", "test": "test.measure_nan", "fail_bin": 30}])"));
  BOOST_TEST(!u.passed);
  BOOST_TEST(!u.tester_error);
  BOOST_TEST(u.soft_bin == 30);
  BOOST_REQUIRE(u.steps.size() == 1u);
  BOOST_REQUIRE(u.steps[0].measurements.size() == 1u);
  BOOST_TEST(u.steps[0].measurements[0].outcome == Outcome::failed);
}

BOOST_AUTO_TEST_CASE(cancelled_before_the_unit_is_aborted_and_a_tester_error) {
  Bench b;
  std::stop_source stop;
  stop.request_stop();
  exec_test::reset_runs();
  const UnitRecord u =
      b.run(make_program(R"([{"id": "a", "test": "test.pass", "fail_bin": 20}])"), stop.get_token());
  BOOST_TEST(u.tester_error);
  BOOST_TEST(!u.passed);
  BOOST_TEST(u.soft_bin == 900);
  BOOST_TEST(runs("test.pass") == 0);
  // Stopped before the program finished: the record must say so, or a lot would count and retest it as
  // an ordinary tester error.
  BOOST_TEST(u.aborted, "aborted is false; message: " << u.message);
}

BOOST_AUTO_TEST_CASE(cancelled_during_a_step_is_aborted_and_a_tester_error) {
  Bench b;
  std::stop_source stop;
  exec_test::reset_runs();
  const Program p = make_program(R"([{"id": "wait", "test": "test.wait_stop", "fail_bin": 20},
                                      {"id": "after", "test": "test.pass", "fail_bin": 20}])");
  std::jthread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    stop.request_stop();
  });
  const UnitRecord u = b.run(p, stop.get_token());
  BOOST_TEST(u.aborted);
  check_tester_error(u, "wait");
  BOOST_TEST(runs("test.pass") == 0);
  BOOST_REQUIRE(!u.steps.empty());
  BOOST_TEST(u.steps[0].outcome == Outcome::error);
  BOOST_TEST(u.steps[0].error_code == ErrorCode::cancelled);
}

BOOST_AUTO_TEST_CASE(a_step_past_its_time_limit_is_a_timeout_tester_error_not_an_abort) {
  Bench b;
  exec_test::reset_runs();
  // The step's own limit, and the program's for the steps without one.
  const Program p = make_program(R"([{"id": "first", "test": "test.pass", "fail_bin": 20},
                                      {"id": "hang", "test": "test.wait_stop", "fail_bin": 20, "time_limit_s": 0.2},
                                      {"id": "after", "test": "test.pass", "fail_bin": 20}])",
                                 R"("step_time_limit_s": 5,)");
  const auto start = std::chrono::steady_clock::now();
  const UnitRecord u = b.run(p);
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  check_tester_error(u, "hang");
  BOOST_TEST(!u.aborted);  // the lot goes on; the unit is retested
  BOOST_TEST(took < 5.0, "the hung step was not ended by its 0.2 s limit: the unit took " << took << " s");
  BOOST_REQUIRE(u.steps.size() == 2u);
  BOOST_TEST(u.steps[0].outcome == Outcome::passed);
  BOOST_TEST(u.steps[1].outcome == Outcome::error);
  BOOST_TEST(u.steps[1].error_code == ErrorCode::timeout);
  BOOST_TEST(contains(u.steps[1].message, "step hang's time limit of 200 ms ran out"), u.steps[1].message);
  BOOST_TEST(runs("test.pass") == 1);

  // The program's limit applies to a step without its own.
  const Program q = make_program(R"([{"id": "hang", "test": "test.wait_stop", "fail_bin": 20}])",
                                 R"("step_time_limit_s": 0.2,)");
  const UnitRecord v = b.run(q);
  check_tester_error(v, "hang");
  BOOST_TEST(!v.aborted);
  BOOST_REQUIRE(v.steps.size() == 1u);
  BOOST_TEST(v.steps[0].error_code == ErrorCode::timeout);

  // A stop request during a step with a limit is still an abort, not a timeout.
  std::stop_source stop;
  const Program r =
      make_program(R"([{"id": "hang", "test": "test.wait_stop", "fail_bin": 20, "time_limit_s": 30}])");
  std::jthread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    stop.request_stop();
  });
  const UnitRecord w = b.run(r, stop.get_token());
  BOOST_TEST(w.aborted);
  BOOST_REQUIRE(w.steps.size() == 1u);
  BOOST_TEST(w.steps[0].error_code == ErrorCode::cancelled);
}

BOOST_AUTO_TEST_CASE(a_step_within_its_time_limit_is_untouched) {
  Bench b;
  const Program p =
      make_program(R"([{"id": "ok", "test": "test.pass", "fail_bin": 20, "time_limit_s": 10}])");
  const UnitRecord u = b.run(p);
  BOOST_TEST(u.passed);
  BOOST_TEST(u.soft_bin == 1);
}

BOOST_AUTO_TEST_CASE(ecid_mismatch_is_a_tester_error_naming_both_dies) {
  Bench b;
  const chip::DieId in_socket{"SIM0", 1, 3, 4};
  const chip::DieId handler_says{"SIM0", 1, 5, 5};
  b.board->die_socket()->insert(in_socket, 1);
  UnitContext ctx = b.context();
  ctx.die = handler_says;
  exec_test::reset_runs();
  Device device(b.board->connect(), b.board->info().name);
  const UnitRecord u =
      run_unit(device, make_program(R"([{"id": "a", "test": "test.pass", "fail_bin": 20}])"), ctx);
  check_tester_error(u, "identify");
  BOOST_TEST(contains(u.message, chip::to_string(in_socket)));
  BOOST_TEST(contains(u.message, chip::to_string(handler_says)));
  BOOST_TEST(runs("test.pass") == 0);  // nothing is tested on the wrong unit
  BOOST_TEST((u.die == handler_says));
}

BOOST_AUTO_TEST_CASE(test_unit_connects_and_bins) {
  Bench b;
  const UnitRecord u =
      test_unit(*b.board, make_program(R"([{"id": "a", "test": "test.pass", "fail_bin": 20}])"), b.context());
  BOOST_TEST(u.passed);
  BOOST_TEST(u.soft_bin == 1);
}

BOOST_AUTO_TEST_CASE(test_unit_without_contact_is_a_tester_error_naming_the_board) {
  exec_test::TempDir dir;
  auto board = exec_test::sim_board(dir, "exec-open-contact", R"("contact_failure_rate": 1.0)");
  UnitContext ctx;
  ctx.die = *board->die_socket()->current();
  const UnitRecord u =
      test_unit(*board, make_program(R"([{"id": "a", "test": "test.pass", "fail_bin": 20}])"), ctx);
  BOOST_TEST(u.tester_error);
  BOOST_TEST(!u.passed);
  BOOST_TEST(u.soft_bin == 900);
  BOOST_TEST(u.hard_bin == 9);
  BOOST_TEST(contains(u.message, "exec-open-contact"));
  BOOST_TEST(u.steps.empty());
  BOOST_TEST(!u.ecid.has_value());
}

BOOST_AUTO_TEST_CASE(production_program_on_known_dies) {
  // Ground truth of the fixed population (fixtures/populations/a0-typical.json, seed 2026): the die at
  // SIM0 W01 (3, 4) is good, the one at (8, 1) has a memory cell one spare row repairs.
  exec_test::TempDir dir;
  auto board = exec_test::sim_board(dir, "exec-production");
  const Program p = load_program("seedchip-production");
  UnitContext ctx;
  ctx.die = {"SIM0", 1, 3, 4};
  board->die_socket()->insert(ctx.die, 1);
  const UnitRecord good = test_unit(*board, p, ctx);
  BOOST_TEST(good.passed, good.message);
  BOOST_TEST(good.soft_bin == p.pass_bin);

  ctx.die = {"SIM0", 1, 8, 1};
  board->die_socket()->insert(ctx.die, 1);
  const UnitRecord bad = test_unit(*board, p, ctx);
  BOOST_TEST(!bad.passed);
  BOOST_TEST(!bad.tester_error, bad.message);
  BOOST_TEST(bad.failing_step == "memory_march");
  BOOST_TEST(bad.soft_bin == 520);  // memory-repairable
  BOOST_TEST(bad.hard_bin == 2);    // repair
  // stop_on_fail: idle_power never ran, the teardown did.
  const Ids ids = step_ids(bad);
  BOOST_TEST((std::find(ids.begin(), ids.end(), "idle_power") == ids.end()));
  BOOST_TEST(ids.back() == "reset");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval

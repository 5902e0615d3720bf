// Test-only tests and helpers for the exec tests (see exec_test_support.h).
#include <chrono>
#include <cmath>
#include <map>
#include <mutex>
#include <thread>

#include <fmt/core.h>

#include <seedval/core/paths.h>
#include <seedval/testapi/test.h>

#include "exec_test_support.h"

namespace seedval::exec_test {
namespace {

std::mutex g_runs_mutex;
std::map<std::string, int, std::less<>> g_runs;  // test name -> executions

void count_run(const std::string& name) {
  std::lock_guard lock(g_runs_mutex);
  ++g_runs[name];
}

TestDefinition base(std::string name, std::string description) {
  TestDefinition t;
  t.name = std::move(name);
  t.description = std::move(description);
  return t;
}

TestDefinition pass_test() {
  TestDefinition t = base("test.pass", "measures its parameter");
  t.params = {{"value", ParamType::number, 1.0, "the reading to report", {}, {}, {}}};
  t.measurements = {{"reading", units::volt, "the parameter, echoed", {0.0, 10.0}}};
  t.run = [](TestContext& ctx) {
    count_run("test.pass");
    ctx.measure("reading", ctx.params().number("value"));
  };
  return t;
}

TestDefinition always_fail_test() {
  TestDefinition t = base("test.always_fail", "always fails");
  t.run = [](TestContext& ctx) {
    count_run("test.always_fail");
    ctx.fail("deliberate failure");
  };
  return t;
}

TestDefinition throws_test() {
  TestDefinition t = base("test.throws", "throws the error its parameter names");
  t.params = {{"kind",
               ParamType::string,
               std::string("transport"),
               "which error",
               {},
               {},
               {"transport", "timeout", "protocol", "device", "internal"}}};
  t.run = [](TestContext& ctx) {
    count_run("test.throws");
    const std::string& kind = ctx.params().string("kind");
    if (kind == "transport") throw TransportError(ErrorCode::transport, "link dropped (injected)");
    if (kind == "timeout") throw TimeoutError(ErrorCode::timeout, "no answer within 2 s (injected)");
    if (kind == "protocol") throw ProtocolError(ErrorCode::protocol, "bad frame (injected)");
    if (kind == "device") throw DeviceError(ErrorCode::device, "mbist engine fault (injected)");
    throw InternalError(ErrorCode::internal, "bug (injected)");
  };
  return t;
}

TestDefinition skips_test() {
  TestDefinition t = base("test.skips", "always skips");
  t.run = [](TestContext& ctx) {
    count_run("test.skips");
    ctx.skip("nothing to test here");
  };
  return t;
}

TestDefinition needs_tensor_test() {
  TestDefinition t = base("test.needs_tensor", "needs tensor cores, which the test board disables");
  t.requires_caps = {chip::Capability::tensor};
  t.run = [](TestContext&) { count_run("test.needs_tensor"); };
  return t;
}

TestDefinition measure_nan_test() {
  TestDefinition t = base("test.measure_nan", "measures NaN");
  t.measurements = {{"reading", units::volt, "not a number", {}}};
  t.run = [](TestContext& ctx) {
    count_run("test.measure_nan");
    ctx.measure("reading", std::nan(""));
  };
  return t;
}

// Attaches the artifact named by its parameter; "twice" attaches "a" twice.
TestDefinition attaches_test() {
  TestDefinition t = base("test.attaches", "attaches an artifact");
  t.params = {{"name", ParamType::string, std::string("a"), "artifact name", {}, {}, {}}};
  t.run = [](TestContext& ctx) {
    const std::string name = ctx.params().string("name");
    if (name == "twice") {
      ctx.attach("a", "1");
      ctx.attach("a", "2");
    }
    ctx.attach(name, R"({"x": 1})");
  };
  return t;
}

TestDefinition wait_stop_test() {
  TestDefinition t = base("test.wait_stop", "waits for a stop request");
  t.run = [](TestContext& ctx) {
    count_run("test.wait_stop");
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < until) {
      ctx.check_stop();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ctx.fail("no stop request arrived within 10 s");
  };
  return t;
}

SEEDVAL_REGISTER_TEST(pass_test());
SEEDVAL_REGISTER_TEST(always_fail_test());
SEEDVAL_REGISTER_TEST(throws_test());
SEEDVAL_REGISTER_TEST(skips_test());
SEEDVAL_REGISTER_TEST(needs_tensor_test());
SEEDVAL_REGISTER_TEST(measure_nan_test());
SEEDVAL_REGISTER_TEST(wait_stop_test());
SEEDVAL_REGISTER_TEST(attaches_test());

}  // namespace

int runs(std::string_view test_name) {
  std::lock_guard lock(g_runs_mutex);
  auto it = g_runs.find(test_name);
  return it == g_runs.end() ? 0 : it->second;
}

void reset_runs() {
  std::lock_guard lock(g_runs_mutex);
  g_runs.clear();
}

std::unique_ptr<Board> sim_board(const TempDir& dir, const std::string& name, const std::string& overrides) {
  const auto builtin = data_root() / "boards" / "seedchip-sim.json";
  const auto file =
      dir.write(name + ".json", fmt::format(R"({{"include": "{}", {}}})", builtin.string(), overrides));
  return open_board(file.string());
}

std::string program_text(std::string_view flow, std::string_view extra, int max_insertions) {
  return fmt::format(R"({{
  "program": "exec-test", "revision": "1", "product": "SeedChip test",
  "hard_bins": [{{"number": 1, "name": "pass", "pass": true}}, {{"number": 2, "name": "fail-a", "pass": false}},
                {{"number": 3, "name": "fail-b", "pass": false}}, {{"number": 9, "name": "tester-error", "pass": false}}],
  "soft_bins": [{{"number": 1, "name": "pass", "hard_bin": 1}}, {{"number": 20, "name": "a", "hard_bin": 2}},
                {{"number": 30, "name": "b", "hard_bin": 3}}, {{"number": 900, "name": "tester-error", "hard_bin": 9}}],
  "pass_bin": 1, "tester_error_bin": 900,
  "retest": {{"hard_bins": [9], "max_insertions": {}}},
  {}
  "flow": {}
}})",
                     max_insertions, extra, flow);
}

Program make_program(std::string_view flow, std::string_view extra, int max_insertions) {
  return parse_program(program_text(flow, extra, max_insertions), "exec-test");
}

std::vector<std::string> step_ids(const UnitRecord& u) {
  std::vector<std::string> ids;
  for (const auto& s : u.steps) ids.push_back(s.id);
  return ids;
}

}  // namespace seedval::exec_test

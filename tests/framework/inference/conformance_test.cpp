// Tests of the ONNX conformance run: Debian's libonnx-testdata node cases on a defect-free die (every
// case accounted for, none failed), on a die with a stuck MAC lane (MatMul and Gemm cases fail), cases
// the chip cannot run (unsupported, never passed), and the registered test inference.onnx_conformance.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <fmt/core.h>
#include <nlohmann/json.hpp>
#include <onnx/onnx_pb.h>

#include <seedval/core/error.h>
#include <seedval/inference/conformance.h>
#include <seedval/sim/faults.h>
#include <seedval/testapi/test.h>

#include "support/errors.h"
#include "support/sim_bench.h"
#include "support/temp_dir.h"

namespace seedval {

inline std::ostream& boost_test_print_type(std::ostream& os, Outcome o) {
  return os << to_string(o);
}

namespace inference {

inline std::ostream& boost_test_print_type(std::ostream& os, CaseOutcome o) {
  return os << to_string(o);
}

namespace {

namespace fs = std::filesystem;

const fs::path kNodeCases{kDebianNodeCases};

testing::SimBench bench(std::vector<sim::CoreFault> faults = {}) {
  auto die = testing::clean_die({"ONNX", 4, 5, 6});
  die.core_faults = std::move(faults);
  return testing::make_sim_bench(testing::chip_model(die, 16u << 20));
}

int case_folders(const fs::path& dir) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir))
    n += e.is_directory() && fs::exists(e.path() / "model.onnx");
  return n;
}

const ConformanceResult* find_case(const ConformanceReport& r, std::string_view name) {
  for (const auto& c : r.cases)
    if (c.name == name) return &c;
  return nullptr;
}

BOOST_AUTO_TEST_CASE(every_debian_node_case_is_accounted_for_and_none_fails_on_a_good_die) {
  if (!fs::is_directory(kNodeCases)) {
    BOOST_TEST_MESSAGE("skipped: " << kNodeCases << " is not installed (Debian package libonnx-testdata)");
    return;
  }
  auto sim = bench();
  const auto start = std::chrono::steady_clock::now();
  const ConformanceReport r = run_conformance(*sim.device, kNodeCases, {});
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const int folders = case_folders(kNodeCases);
  BOOST_TEST(static_cast<int>(r.cases.size()) == folders);
  BOOST_TEST(r.passed + r.failed + r.unsupported == folders);
  for (const auto& c : r.cases)
    if (c.outcome == CaseOutcome::failed) BOOST_ERROR(c.name << " failed: " << c.reason);
  BOOST_TEST(r.failed == 0);
  BOOST_TEST(r.passed > 0);
  for (const auto& c : r.cases) {
    // Every case that ran also ran on the host reference, and none it fails is passed.
    if (c.outcome == CaseOutcome::passed)
      BOOST_TEST((c.reference_passed == std::optional<bool>(true)), c.name);
    if (c.reference_passed == false) BOOST_TEST((c.outcome != CaseOutcome::passed), c.name);
    if (c.outcome == CaseOutcome::passed) BOOST_TEST(c.reason.empty());
    if (c.outcome == CaseOutcome::unsupported) BOOST_TEST(!c.reason.empty(), c.name);
  }
  for (const char* name : {"test_matmul_2d", "test_gemm_default_no_bias", "test_relu", "test_add"}) {
    const auto* c = find_case(r, name);
    BOOST_REQUIRE_MESSAGE(c != nullptr, name);
    BOOST_TEST(c->outcome == CaseOutcome::passed, name << ": " << c->reason);
  }
  const auto* conv = find_case(r, "test_qlinearconv");
  BOOST_REQUIRE(conv != nullptr);
  if (conv->outcome == CaseOutcome::unsupported && !conv->unsupported_operators.empty())
    BOOST_TEST(conv->reason == "operator QLinearConv is not in the chip's operator set");

  std::vector<std::pair<int, std::string>> ops;
  for (const auto& [op, n] : r.unsupported_operators) ops.emplace_back(n, op);
  std::sort(ops.rbegin(), ops.rend());
  std::string top;
  for (std::size_t i = 0; i < std::min<std::size_t>(ops.size(), 12); ++i)
    top += fmt::format("{}{} {}", i ? ", " : "", ops[i].second, ops[i].first);
  BOOST_TEST_MESSAGE(
      fmt::format("ONNX node cases: {} passed, {} failed, {} unsupported ({} rejected by validate) "
                  "of {} in {:.2f} s on core {}",
                  r.passed, r.failed, r.unsupported, r.rejected_by_validate, folders, seconds, r.core));
  BOOST_TEST_MESSAGE("most common operators outside the chip's set: " << top);
}

BOOST_AUTO_TEST_CASE(a_stuck_mac_lane_on_the_core_used_fails_matmul_and_gemm_cases) {
  if (!fs::is_directory(kNodeCases)) return;
  auto sim = bench({{.core = 0, .lane = 1, .bit = 30, .kind = sim::CoreFault::Kind::stuck1, .flip_rate = 0}});
  ConformanceOptions options;
  options.filter = "test_matmul_,test_gemm_";
  const ConformanceReport r = run_conformance(*sim.device, kNodeCases, options);
  BOOST_TEST(r.core == 0u);
  BOOST_TEST(r.failed > 0);
  const auto* c = find_case(r, "test_matmul_2d");
  BOOST_REQUIRE(c != nullptr);
  BOOST_TEST(c->outcome == CaseOutcome::failed);
  BOOST_TEST(c->first_mismatch.value_or(99) % 16 == 1u, "the first bad element is on lane 1");
  BOOST_TEST(c->max_abs_error.value_or(0) > 0);
  BOOST_TEST(c->reason.find("test_data_set_0, output 0") != std::string::npos, c->reason);

  // The same die on a healthy core passes them all.
  options.runner.core = 2;
  const ConformanceReport healthy = run_conformance(*sim.device, kNodeCases, options);
  BOOST_TEST(healthy.failed == 0);
  BOOST_TEST(healthy.passed > 0);
}

// ---- hand-made cases ----

void write_proto(const fs::path& file, const google::protobuf::MessageLite& m) {
  fs::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::binary);
  BOOST_REQUIRE(m.SerializeToOstream(&out));
}

onnx::TensorProto float_tensor(std::vector<std::int64_t> dims, std::vector<float> v) {
  onnx::TensorProto t;
  t.set_data_type(onnx::TensorProto::FLOAT);
  for (auto d : dims) t.add_dims(d);
  for (float f : v) t.add_float_data(f);
  return t;
}

/// A one-node case: y = op(x), x and y f32[2].
void write_case(const fs::path& dir, const std::string& op, std::vector<float> x, std::vector<float> y) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(17);
  auto* g = m.mutable_graph();
  const auto declare = [](onnx::ValueInfoProto* v, const char* name) {
    v->set_name(name);
    auto* tt = v->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    tt->mutable_shape()->add_dim()->set_dim_value(2);
  };
  declare(g->add_input(), "x");
  declare(g->add_output(), "y");
  auto* n = g->add_node();
  n->set_op_type(op);
  n->add_input("x");
  n->add_output("y");
  write_proto(dir / "model.onnx", m);
  write_proto(dir / "test_data_set_0" / "input_0.pb", float_tensor({2}, std::move(x)));
  write_proto(dir / "test_data_set_0" / "output_0.pb", float_tensor({2}, std::move(y)));
}

BOOST_AUTO_TEST_CASE(cases_the_chip_cannot_run_are_unsupported_and_wrong_answers_fail) {
  testing::TempDir dir;
  write_case(dir.path() / "test_relu_ok", "Relu", {-1, 2}, {0, 2});
  write_case(dir.path() / "test_relu_wrong", "Relu", {-1, 2}, {0, 3});
  write_case(dir.path() / "test_frobnicate", "Frobnicate", {1, 2}, {1, 2});
  fs::create_directories(dir.path() / "not_a_case");
  auto sim = bench();
  const ConformanceReport r = run_conformance(*sim.device, dir.path(), {});
  BOOST_REQUIRE(r.cases.size() == 3u);
  BOOST_TEST(r.cases[0].name == "test_frobnicate");
  BOOST_TEST(r.cases[0].outcome == CaseOutcome::unsupported);
  BOOST_TEST(r.cases[0].reason == "operator Frobnicate is not in the chip's operator set");
  BOOST_TEST(r.cases[1].outcome == CaseOutcome::passed);
  BOOST_TEST(r.cases[1].max_abs_error.value_or(-1) == 0.0);
  BOOST_TEST(r.cases[2].outcome == CaseOutcome::failed);
  BOOST_TEST(r.cases[2].first_mismatch.value_or(99) == 1u);
  BOOST_TEST(r.cases[2].max_abs_error.value_or(0) == 1.0);
  BOOST_TEST(r.passed == 1);
  BOOST_TEST(r.failed == 1);
  BOOST_TEST(r.unsupported == 1);
  BOOST_TEST((r.unsupported_operators == std::map<std::string, int>{{"Frobnicate", 1}}));

  const auto j = nlohmann::json::parse(to_json(r));
  BOOST_TEST(j["passed"] == 1);
  BOOST_TEST(j["unsupported_operators"]["Frobnicate"] == 1);
  BOOST_TEST(j["cases"][2]["outcome"] == "failed");
  BOOST_TEST(j["cases"][2]["first_mismatch"] == 1);
  BOOST_TEST(!j["cases"][1].contains("reason"));
  BOOST_TEST(j["cases"][1]["reference_passed"] == true);
  BOOST_TEST(j["cases"][2]["reference_passed"] == false);
  BOOST_TEST(!r.cases[0].reference_passed.has_value());

  // A chip whose lane 1 has bit 22 stuck at 1 computes Relu(2) = 3: what test_relu_wrong's outputs
  // say, not what the reference kernels do. It is not passed.
  auto odd = bench({{.core = 0, .lane = 1, .bit = 22, .kind = sim::CoreFault::Kind::stuck1, .flip_rate = 0}});
  ConformanceOptions wrong_only;
  wrong_only.filter = "relu_wrong";
  const ConformanceReport o = run_conformance(*odd.device, dir.path(), wrong_only);
  BOOST_REQUIRE(o.cases.size() == 1u);
  BOOST_TEST(o.cases[0].outcome == CaseOutcome::failed);
  BOOST_TEST(o.cases[0].max_abs_error.value_or(-1) == 0.0, "the chip matched the case's outputs");
  BOOST_TEST(o.cases[0].reason.find("but the host reference does not") != std::string::npos,
             o.cases[0].reason);

  ConformanceOptions only;
  only.filter = "relu_ok, frob";
  BOOST_TEST(run_conformance(*sim.device, dir.path(), only).cases.size() == 2u);
  only.filter = "nothing";
  BOOST_CHECK_EXCEPTION(run_conformance(*sim.device, dir.path(), only), NotFoundError,
                        testing::error_with(ErrorCode::not_found, "no ONNX test case matches \"nothing\""));
  BOOST_CHECK_EXCEPTION(
      run_conformance(*sim.device, dir.path() / "missing", {}), NotFoundError,
      testing::error_with(ErrorCode::not_found, "missing: no such folder of ONNX test cases"));
}

BOOST_AUTO_TEST_CASE(filters_select_by_parts_of_names) {
  BOOST_TEST(matches_filter("test_matmul_2d", ""));
  BOOST_TEST(matches_filter("test_matmul_2d", "matmul"));
  BOOST_TEST(matches_filter("test_gemm_alpha", "matmul, gemm"));
  BOOST_TEST(!matches_filter("test_relu", "matmul,gemm"));
  BOOST_TEST(!matches_filter("test_relu", ","));
}

// ---- the registered test ----

BOOST_AUTO_TEST_CASE(the_registered_test_measures_counts_and_attaches_the_cases) {
  if (!fs::is_directory(kNodeCases)) return;
  const TestDefinition& def = TestRegistry::instance().get("inference.onnx_conformance");
  auto good = bench();
  const StepRecord pass = run_test(
      *good.device, def, def.make_params({{"filter", std::string("test_matmul_2d,test_conv_")}}), {}, {});
  BOOST_TEST(pass.outcome == Outcome::passed, pass.message);
  std::map<std::string, double> m;
  for (const auto& x : pass.measurements) m[x.name] = x.value;
  BOOST_TEST(m["passed"] >= 1.0);
  BOOST_TEST(m["failed"] == 0.0);
  BOOST_TEST(m["cases"] == m["passed"] + m["unsupported"]);
  BOOST_REQUIRE(pass.artifacts.size() == 1u);
  BOOST_TEST(pass.artifacts[0].name == "conformance");
  const auto j = nlohmann::json::parse(pass.artifacts[0].content);
  BOOST_TEST(j["cases"].size() == static_cast<std::size_t>(m["cases"]));

  auto bad = bench({{.core = 0, .lane = 0, .bit = 29, .kind = sim::CoreFault::Kind::stuck1, .flip_rate = 0}});
  const StepRecord fail = run_test(
      *bad.device, def,
      def.make_params({{"filter", std::string("test_matmul_")}, {"max_notes", std::int64_t{1}}}), {}, {});
  BOOST_TEST(fail.outcome == Outcome::failed);
  BOOST_TEST(!fail.notes.empty());
  BOOST_TEST(fail.notes[0].find("test_matmul_") == 0u, fail.notes[0]);

  const StepRecord missing =
      run_test(*good.device, def, def.make_params({{"cases", std::string("/nonexistent/cases")}}), {}, {});
  BOOST_TEST(missing.outcome == Outcome::error);
  BOOST_TEST(missing.message.find("/nonexistent/cases") != std::string::npos, missing.message);
}

}  // namespace
}  // namespace inference
}  // namespace seedval

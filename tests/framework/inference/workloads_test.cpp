// Tests of the golden workloads and the silent-data-corruption screens: every workload and dtype matches
// golden bit for bit on a defect-free die, the independent host GEMM agrees with the chip's kernels, a
// stuck MAC bit fails the golden workload on its core only and the screen names the core and lane, a
// flaky lane is intermittent on one core, a clock above fmax is reported as timing corruption, and the
// registered tests inference.golden and inference.sdc measure, note and harvest.
#include <algorithm>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <seedval/chip/numeric.h>
#include <seedval/chip/registers.h>
#include <seedval/core/error.h>
#include <seedval/exec/program.h>
#include <seedval/exec/runner.h>
#include <seedval/inference/screen.h>
#include <seedval/inference/workloads.h>
#include <seedval/sim/faults.h>
#include <seedval/testapi/test.h>

#include "support/errors.h"
#include "support/sim_bench.h"

namespace seedval {

inline std::ostream& boost_test_print_type(std::ostream& os, Outcome o) {
  return os << to_string(o);
}

namespace inference {
namespace {

using sim::CoreFault;

testing::SimBench bench(std::vector<CoreFault> faults = {}) {
  auto die = testing::clean_die({"GOLD", 7, 3, 4});
  die.core_faults = std::move(faults);
  return testing::make_sim_bench(testing::chip_model(die, 16u << 20));
}

CoreFault stuck(int core, int lane, int bit, CoreFault::Kind kind = CoreFault::Kind::stuck1) {
  return {.core = core, .lane = lane, .bit = bit, .kind = kind, .flip_rate = 0};
}

ScreenOptions opts(int repeats, std::vector<std::uint32_t> cores = {}) {
  ScreenOptions o;
  o.repeats = repeats;
  o.cores = std::move(cores);
  return o;
}

std::map<std::string, double> measurements(const StepRecord& r) {
  std::map<std::string, double> m;
  for (const auto& x : r.measurements) m[x.name] = x.value;
  return m;
}

BOOST_AUTO_TEST_SUITE(golden_workloads)

BOOST_AUTO_TEST_CASE(every_workload_and_dtype_matches_golden_bit_for_bit_on_a_defect_free_die) {
  auto sim = bench();
  const std::vector<std::uint32_t> cores{0, 5};
  for (auto kind : kWorkloadKinds)
    for (auto dtype : kWorkloadDTypes) {
      const Workload w = make_workload({.kind = kind, .dtype = dtype, .seed = 11, .size = 32});
      BOOST_TEST_CONTEXT(w.name) {
        BOOST_TEST(w.reduction_length > 0u);
        const auto checks = check_workload(*sim.device, w, cores);
        BOOST_REQUIRE(checks.size() == 2u);
        for (const auto& c : checks) {
          BOOST_TEST(c.passed, c.comparison.reason);
          BOOST_TEST(c.comparison.mismatches == 0u);
          BOOST_TEST(c.macs > 0u);
        }
        // The result is not trivial: some output element is non-zero.
        const auto golden = run_reference(w.graph, w.inputs, w.outputs);
        const auto& out = golden.front().data;
        BOOST_TEST(std::any_of(out.begin(), out.end(), [](std::uint8_t b) { return b != 0; }));
      }
    }
}

BOOST_AUTO_TEST_CASE(the_graphs_use_the_operators_the_issue_names) {
  auto ops = [](WorkloadKind k, chip::DType t) {
    return make_workload({.kind = k, .dtype = t}).graph.operators();
  };
  auto has = [](const std::vector<std::string>& v, std::string_view op) {
    return std::find(v.begin(), v.end(), op) != v.end();
  };
  const auto tf = ops(WorkloadKind::transformer, chip::DType::f32);
  for (auto op : {"LayerNormalization", "MatMul", "Softmax", "Transpose", "Reshape", "Erf", "Gemm", "Add"})
    BOOST_TEST(has(tf, op), op);
  const auto tq = ops(WorkloadKind::transformer, chip::DType::i8);
  for (auto op : {"QuantizeLinear", "QLinearMatMul", "DequantizeLinear", "Softmax"})
    BOOST_TEST(has(tq, op), op);
  BOOST_TEST(has(ops(WorkloadKind::gemm, chip::DType::i8), "MatMulInteger"));
  BOOST_TEST(has(ops(WorkloadKind::conv, chip::DType::i8), "ConvInteger"));
  BOOST_TEST(has(ops(WorkloadKind::conv, chip::DType::bf16), "Conv"));
  BOOST_TEST(has(ops(WorkloadKind::mlp, chip::DType::f16), "Relu"));
  // Every tensor of a BF16 graph is BF16 (save the shape tensors).
  const auto w = make_workload({.kind = WorkloadKind::transformer, .dtype = chip::DType::bf16});
  for (const auto& v : w.graph.value_info) BOOST_TEST((v.dtype == chip::DType::bf16), v.name);
}

BOOST_AUTO_TEST_CASE(the_same_seed_gives_the_same_data_and_another_seed_other_data) {
  const auto a = make_workload({.kind = WorkloadKind::mlp, .dtype = chip::DType::f32, .seed = 5});
  const auto b = make_workload({.kind = WorkloadKind::mlp, .dtype = chip::DType::f32, .seed = 5});
  const auto c = make_workload({.kind = WorkloadKind::mlp, .dtype = chip::DType::f32, .seed = 6});
  BOOST_TEST((a.inputs == b.inputs));
  BOOST_TEST((a.graph.nodes == b.graph.nodes));
  BOOST_TEST((a.graph.initializers == b.graph.initializers));
  BOOST_TEST((a.inputs != c.inputs));
  // Known values pin the generator: a change to it changes every stored golden figure.
  float first;
  std::memcpy(&first, a.inputs[0].data.data(), 4);
  BOOST_TEST(first >= -1.0f);
  BOOST_TEST(first < 1.0f);
}

BOOST_AUTO_TEST_CASE(the_plain_host_gemm_agrees_with_the_chip_kernels_in_every_dtype) {
  for (auto dtype : kWorkloadDTypes) {
    const Workload w = make_workload({.kind = WorkloadKind::gemm, .dtype = dtype, .seed = 3, .size = 48});
    BOOST_TEST_CONTEXT(w.name) {
      const HostTensor& b = w.graph.initializers.begin()->second;
      const HostTensor plain = host_gemm(w.inputs[0], b);
      const auto golden = run_reference(w.graph, w.inputs, w.outputs);
      const Comparison c = compare_bits(plain, golden[0]);
      BOOST_TEST(c.match, c.reason);
    }
  }
  // A plain GEMM that adds in another order is not bit-exact: the check can fail.
  const Workload w =
      make_workload({.kind = WorkloadKind::gemm, .dtype = chip::DType::f32, .seed = 3, .size = 48});
  HostTensor reversed = host_gemm(w.inputs[0], w.graph.initializers.begin()->second);
  {
    const auto& A = w.inputs[0];
    const auto& B = w.graph.initializers.begin()->second;
    for (std::int64_t i = 0; i < 48; ++i)
      for (std::int64_t j = 0; j < 48; ++j) {
        float acc = 0;
        for (std::int64_t k = 47; k >= 0; --k) {
          float x, y;
          std::memcpy(&x, A.data.data() + 4 * (i * 48 + k), 4);
          std::memcpy(&y, B.data.data() + 4 * (k * 48 + j), 4);
          const float p = x * y;
          acc += p;
        }
        std::memcpy(reversed.data.data() + 4 * (i * 48 + j), &acc, 4);
      }
  }
  const auto golden = run_reference(w.graph, w.inputs, w.outputs);
  BOOST_TEST(!compare_bits(reversed, golden[0]).match);
  // ... but it is within the type-derived tolerance.
  double scale = 0;
  for (std::uint64_t i = 0; i < golden[0].elements(); ++i)
    scale = std::max(scale, std::fabs(golden[0].element(i)));
  BOOST_TEST(compare(reversed, golden[0], type_tolerance(chip::DType::f32, 48, scale)).match);
  BOOST_CHECK_THROW(host_gemm(w.inputs[0], HostTensor::from_floats({2, 2}, std::vector<float>(4))),
                    InvalidArgumentError);
}

BOOST_AUTO_TEST_CASE(type_tolerance_follows_the_output_type) {
  const Tolerance f32 = type_tolerance(chip::DType::f32, 64, 2.0);
  const Tolerance bf16 = type_tolerance(chip::DType::bf16, 64, 2.0);
  BOOST_TEST(bf16.rtol > f32.rtol);
  BOOST_TEST(bf16.atol == bf16.rtol * 2.0);
  BOOST_TEST(type_tolerance(chip::DType::i32, 64, 2.0).rtol == 0.0);
  // One BF16 ulp off passes the BF16 tolerance, not the bit-exact check.
  HostTensor a{.dtype = chip::DType::bf16, .shape = {1}, .data = {0x80, 0x3F}};  // 1.0
  HostTensor b{.dtype = chip::DType::bf16, .shape = {1}, .data = {0x81, 0x3F}};  // 1.0078125
  BOOST_TEST(!compare_bits(a, b).match);
  BOOST_TEST(compare(a, b, type_tolerance(chip::DType::bf16, 64, 1.0)).match);
  BOOST_TEST(!compare(a, b, type_tolerance(chip::DType::f32, 64, 1.0)).match);
}

BOOST_AUTO_TEST_CASE(bad_workload_specs_are_refused) {
  BOOST_CHECK_EXCEPTION(make_workload({.kind = WorkloadKind::gemm, .dtype = chip::DType::i32}),
                        InvalidArgumentError,
                        testing::error_with(ErrorCode::invalid_argument, "dtype i32 is not one of"));
  BOOST_CHECK_EXCEPTION(
      make_workload({.kind = WorkloadKind::gemm, .dtype = chip::DType::f32, .seed = 1, .size = 12}),
      InvalidArgumentError, testing::error_with(ErrorCode::invalid_argument, "size 12"));
  BOOST_CHECK_EXCEPTION(workload_from_string("resnet"), InvalidArgumentError,
                        testing::error_with(ErrorCode::invalid_argument, "unknown workload \"resnet\""));
}

BOOST_AUTO_TEST_CASE(a_stuck_mac_bit_fails_the_golden_workloads_on_its_core_only) {
  auto sim = bench({stuck(3, 5, 20)});
  const std::vector<std::uint32_t> cores = enabled_cores(*sim.device);
  BOOST_TEST(cores.size() == 8u);
  for (auto kind : kWorkloadKinds) {
    const Workload w = make_workload({.kind = kind, .dtype = chip::DType::f32, .seed = 2, .size = 32});
    BOOST_TEST_CONTEXT(w.name) {
      for (const auto& c : check_workload(*sim.device, w, cores)) {
        BOOST_TEST(c.passed == (c.core != 3), "core " << c.core << ": " << c.comparison.reason);
        if (c.core == 3) BOOST_TEST(c.comparison.mismatches > 0u);
      }
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(sdc_screen)

BOOST_AUTO_TEST_CASE(a_defect_free_die_screens_clean_on_every_core) {
  auto sim = bench();
  const Workload w = make_workload({});
  const ScreenReport r = run_sdc_screen(*sim.device, w, opts(2));
  BOOST_TEST(r.cores.size() == 8u);
  BOOST_TEST(r.runs == 16u);
  BOOST_TEST(r.corrupted_elements == 0u);
  BOOST_TEST(r.corruption_rate == 0.0);
  BOOST_TEST(r.corrupt_cores.empty());
  BOOST_TEST(r.disagreeing_cores.empty());
  BOOST_TEST(!r.timing_suspected);
  BOOST_TEST(r.findings.empty());
  BOOST_TEST(r.elements_checked == 16u * 64u * 64u);
  BOOST_TEST(r.frequency_mhz > 0u);
}

BOOST_AUTO_TEST_CASE(a_stuck_mac_bit_is_named_by_core_lane_and_bit) {
  auto sim = bench({stuck(6, 7, 21)});
  const ScreenReport r = run_sdc_screen(*sim.device, make_workload({}), opts(3));
  BOOST_TEST(r.corrupt_cores == std::vector<std::uint32_t>{6}, boost::test_tools::per_element());
  BOOST_TEST(r.disagreeing_cores == std::vector<std::uint32_t>{6}, boost::test_tools::per_element());
  BOOST_TEST(!r.timing_suspected);
  BOOST_TEST(r.unstable_runs == 0u);
  const CoreScreen& c = r.cores[6];
  BOOST_REQUIRE(c.core == 6u);
  BOOST_TEST(c.corrupted_runs == 3);
  BOOST_TEST(c.lane_period % 16u == 0u);  // 16 lanes per core: the period is a multiple of 16
  BOOST_TEST(c.lane_residue % 16u == 7u);
  BOOST_TEST(c.wrong_bits == (1u << 21));
  BOOST_REQUIRE(r.findings.size() == 1u);
  BOOST_TEST(r.findings[0].find("core 6: persistent corruption") == 0u, r.findings[0]);
  BOOST_TEST(r.findings[0].find("bits 21 wrong") != std::string::npos, r.findings[0]);
  BOOST_TEST(r.corruption_rate > 0.0);
  BOOST_TEST(r.corruption_rate < 1.0 / 16.0 / 8.0 + 1e-12);  // at most one lane of one core of eight
  const auto j = nlohmann::json::parse(to_json(r));
  BOOST_TEST(j["corrupt_cores"][0] == 6);
  BOOST_TEST(j["cores"][6]["diagnosis"].get<std::string>() == c.diagnosis);
}

BOOST_AUTO_TEST_CASE(a_flaky_lane_is_intermittent_on_one_core_and_not_timing) {
  auto sim = bench({{.core = 2, .lane = 3, .bit = 12, .kind = CoreFault::Kind::flaky, .flip_rate = 0.05}});
  const ScreenReport r = run_sdc_screen(*sim.device, make_workload({}), opts(4));
  BOOST_TEST(r.corrupt_cores == std::vector<std::uint32_t>{2}, boost::test_tools::per_element());
  BOOST_TEST(r.cores[2].unstable_runs > 0);
  BOOST_TEST(!r.timing_suspected);
  BOOST_TEST(r.findings[0].find("core 2: intermittent corruption") == 0u, r.findings[0]);
}

BOOST_AUTO_TEST_CASE(a_clock_above_fmax_is_reported_as_timing_corruption) {
  auto sim = bench();
  const Workload w = make_workload({});
  const double fmax = sim.model->fmax_mhz();
  const auto nominal = sim.device->read_register(chip::reg::PLL_FREQ_MHZ);
  BOOST_TEST(nominal < fmax);
  const ScreenReport clean = run_sdc_screen(*sim.device, w, opts(2));
  BOOST_TEST(!clean.timing_suspected);
  BOOST_TEST(clean.corrupted_elements == 0u);

  const auto vdd = sim.device->read_register(chip::reg::VDD_CORE_MV);
  sim.device->set_operating_point(vdd, static_cast<std::uint32_t>(fmax * 1.06));
  const ScreenReport hot = run_sdc_screen(*sim.device, w, opts(2));
  BOOST_TEST(hot.timing_suspected);
  BOOST_TEST(hot.corrupt_cores.size() >= 2u);
  BOOST_TEST(hot.unstable_runs > 0u);
  BOOST_TEST(hot.frequency_mhz == static_cast<std::uint32_t>(fmax * 1.06));
  BOOST_TEST(hot.findings.back().find("timing: intermittent corruption") == 0u, hot.findings.back());
}

BOOST_AUTO_TEST_CASE(bad_options_and_refusing_cores_are_errors_never_clean) {
  auto sim = bench();
  const Workload w = make_workload({});
  BOOST_CHECK_EXCEPTION(run_sdc_screen(*sim.device, w, opts(0)), InvalidArgumentError,
                        testing::error_with(ErrorCode::invalid_argument, "0 repeats"));
  BOOST_CHECK_EXCEPTION(run_sdc_screen(*sim.device, w, opts(3, {12})), InvalidArgumentError,
                        testing::error_with(ErrorCode::invalid_argument, "tensor core 12 does not exist"));
  // Core 8 is a spare, fused off: the chip refuses work there.
  BOOST_CHECK_EXCEPTION(run_sdc_screen(*sim.device, w, opts(3, {8})), DeviceError,
                        testing::error_with(ErrorCode::device, "fused off"));
  std::stop_source stop;
  stop.request_stop();
  BOOST_CHECK_THROW(run_sdc_screen(*sim.device, w, {}, stop.get_token()), CancelledError);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(registered_tests)

BOOST_AUTO_TEST_CASE(inference_golden_measures_each_workload_and_names_the_failing_core) {
  const TestDefinition& def = TestRegistry::instance().get("inference.golden");
  auto good = bench();
  const auto params = def.make_params({{"size", std::int64_t{16}}});
  const StepRecord pass = run_test(*good.device, def, params, {}, {});
  BOOST_TEST(pass.outcome == Outcome::passed, pass.message);
  auto m = measurements(pass);
  BOOST_TEST(m["checks"] == 16.0 * 8.0);
  BOOST_TEST(m["failed_checks"] == 0.0);
  BOOST_TEST(m.count("transformer_bf16_mismatches") == 1u);
  BOOST_TEST(m.count("conv_i8_max_abs_error") == 1u);
  BOOST_REQUIRE(pass.artifacts.size() == 1u);
  BOOST_TEST(nlohmann::json::parse(pass.artifacts[0].content).size() == 128u);

  auto bad = bench({stuck(4, 0, 22)});
  const StepRecord fail =
      run_test(*bad.device, def,
               def.make_params({{"size", std::int64_t{16}}, {"dtypes", std::string("f32,i8")}}), {}, {});
  BOOST_TEST(fail.outcome == Outcome::failed);
  m = measurements(fail);
  BOOST_TEST(m["gemm_f32_mismatches"] > 0.0);
  BOOST_TEST(m["gemm_i8_mismatches"] > 0.0);
  BOOST_TEST(m["failed_checks"] == 8.0);  // 4 workloads × 2 dtypes, on core 4 only
  BOOST_REQUIRE(!fail.notes.empty());
  BOOST_TEST(fail.notes[0].find("on core 4:") != std::string::npos, fail.notes[0]);

  const StepRecord wrong =
      run_test(*good.device, def, def.make_params({{"cores", std::string("0,x")}}), {}, {});
  BOOST_TEST(wrong.outcome == Outcome::error);
  BOOST_TEST(wrong.message.find("\"x\" is not a core number") != std::string::npos, wrong.message);
}

BOOST_AUTO_TEST_CASE(inference_sdc_fails_a_corrupt_core_or_harvests_it) {
  const TestDefinition& def = TestRegistry::instance().get("inference.sdc");
  auto good = bench();
  const StepRecord pass = run_test(*good.device, def, def.make_params({}), {}, {});
  BOOST_TEST(pass.outcome == Outcome::passed, pass.message);
  auto m = measurements(pass);
  BOOST_TEST(m["good_cores"] == 8.0);
  BOOST_TEST(m["harvest_mask"] == 0x300);

  auto bad = bench({stuck(1, 9, 3)});
  const StepRecord fail = run_test(*bad.device, def, def.make_params({}), {}, {});
  BOOST_TEST(fail.outcome == Outcome::failed);
  m = measurements(fail);
  BOOST_TEST(m["corrupt_cores"] == 1.0);
  BOOST_TEST(m["good_cores"] == 7.0);
  BOOST_TEST(m["timing_corruption"] == 0.0);
  BOOST_TEST(m["harvested_cores"] == 0.0);
  BOOST_TEST(fail.notes.at(0).find("gemm.f32: core 1: persistent corruption") == 0u, fail.notes.at(0));

  auto harvest = bench({stuck(1, 9, 3)});
  const StepRecord h = run_test(*harvest.device, def, def.make_params({{"harvest", true}}), {}, {});
  BOOST_TEST(h.outcome == Outcome::passed, h.message);
  m = measurements(h);
  BOOST_TEST(m["corrupt_cores"] == 0.0);
  BOOST_TEST(m["corruption_rate"] == 0.0);
  BOOST_TEST(m["good_cores"] == 7.0);
  BOOST_TEST(m["harvested_cores"] == 1.0);
  BOOST_TEST(m["harvest_mask"] == 0x302);
  BOOST_TEST((harvest.device->read_register(chip::reg::CORE_ENABLE) & 0x2u) == 0u);
  // A program that sells only full-grade parts bins it by good_cores.
  const StepRecord graded =
      run_test(*bench({stuck(1, 9, 3)}).device, def, def.make_params({{"harvest", true}}),
               {{"good_cores", Limits{.low = 8.0, .high = {}}}}, {});
  BOOST_TEST(graded.outcome == Outcome::failed);
}

BOOST_AUTO_TEST_CASE(inference_sdc_reports_timing_corruption_above_fmax) {
  const TestDefinition& def = TestRegistry::instance().get("inference.sdc");
  auto sim = bench();
  const auto vdd = sim.device->read_register(chip::reg::VDD_CORE_MV);
  sim.device->set_operating_point(vdd, static_cast<std::uint32_t>(sim.model->fmax_mhz() * 1.06));
  const StepRecord r = run_test(*sim.device, def, def.make_params({{"harvest", true}}), {}, {});
  BOOST_TEST(r.outcome == Outcome::failed);
  auto m = measurements(r);
  BOOST_TEST(m["timing_corruption"] == 1.0);
  BOOST_TEST(m["harvested_cores"] == 0.0);  // timing is not a core to harvest
  BOOST_TEST(std::any_of(r.notes.begin(), r.notes.end(),
                         [](const std::string& n) { return n.find(": timing:") != std::string::npos; }));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(production_program)

UnitRecord run_production(sim::DieInstance die) {
  static const Program program = load_program("seedchip-production");
  auto sim = testing::make_sim_bench(testing::chip_model(std::move(die), 16u << 20));
  UnitContext ctx;
  ctx.die = {"GOLD", 7, 3, 4};
  return run_unit(*sim.device, program, ctx);
}

double step_measurement(const UnitRecord& u, std::string_view step, std::string_view name) {
  for (const auto& s : u.steps)
    if (s.id == step)
      for (const auto& m : s.measurements)
        if (m.name == name) return m.value;
  BOOST_FAIL("no measurement " << name << " in step " << step);
  return 0;
}

BOOST_AUTO_TEST_CASE(a_defect_free_die_passes_every_inference_step) {
  const UnitRecord u = run_production(testing::clean_die({"GOLD", 7, 3, 4}));
  BOOST_TEST(u.passed, u.message);
  BOOST_TEST(u.grade == "A0-1400");
  for (const char* step : {"inference_sdc", "inference_golden", "inference_conformance", "speed"})
    BOOST_TEST(std::any_of(u.steps.begin(), u.steps.end(), [&](const StepRecord& s) { return s.id == step; }),
               step);
  BOOST_TEST(step_measurement(u, "inference_sdc", "good_cores") == 8.0);
}

BOOST_AUTO_TEST_CASE(a_stuck_mac_bit_harvests_its_core_into_the_seven_core_grade) {
  // Bit 22 shows in FP32 results; bit 29 only in the INT8 screen's int32 accumulators (FP32 data of
  // magnitude below 2 always has that exponent bit set).
  for (const int bit : {22, 29}) {
    BOOST_TEST_CONTEXT("bit " << bit) {
      auto die = testing::clean_die({"GOLD", 7, 3, 4});
      die.core_faults = {stuck(2, 3, bit)};
      const UnitRecord u = run_production(die);
      BOOST_TEST(u.passed, u.message);
      BOOST_TEST(u.grade == "A0-1200-7C");
      BOOST_TEST(u.soft_bin == 3);
      BOOST_TEST(u.hard_bin == 10);
      BOOST_TEST(step_measurement(u, "inference_sdc", "harvest_mask") == 0x304);
      BOOST_TEST(step_measurement(u, "inference_sdc", "good_cores") == 7.0);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_die_too_slow_for_the_product_clock_bins_as_timing_corruption) {
  auto die = testing::clean_die({"GOLD", 7, 3, 4});
  die.speed_factor = 0.76;  // fmax about 1140 MHz: the 1200 MHz product clock is 5 % above it
  const UnitRecord u = run_production(die);
  BOOST_TEST(!u.passed);
  BOOST_TEST(u.failing_step == "inference_sdc");
  BOOST_TEST(u.soft_bin == 710);
  BOOST_TEST(step_measurement(u, "inference_sdc", "timing_corruption") == 1.0);
  BOOST_TEST(step_measurement(u, "inference_sdc", "harvested_cores") == 0.0);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace inference
}  // namespace seedval

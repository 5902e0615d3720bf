// stress.compute, stress.soak and stress.combined: sustained checked load (see seedval/stress/load.h).
// Each restores the operating point and stops the load in teardown, whatever way the test ends.
#include <fmt/core.h>

#include <seedval/stress/load.h>
#include <seedval/stress/operating_point.h>
#include <seedval/testapi/test.h>

namespace seedval::stress {
namespace {

std::vector<ParamSpec> load_params(double duration_s, double interval_s, int size) {
  return {
      {"duration_s",
       ParamType::number,
       duration_s,
       "device seconds under load (the most, for a soak)",
       0.001,
       86400.0,
       {}},
      {"interval_s",
       ParamType::number,
       interval_s,
       "one sensor sample and one check per interval",
       0.001,
       3600.0,
       {}},
      {"ramp_s",
       ParamType::number,
       4.0,
       "the cores join one by one over this time (staggered start)",
       0.0,
       3600.0,
       {}},
      {"utilisation", ParamType::number, 1.0, "power-virus utilisation of the loaded cores", 0.0, 1.0, {}},
      {"target_power_w",
       ParamType::number,
       0.0,
       "hold this power instead of a utilisation (0: off)",
       0.0,
       1000.0,
       {}},
      {"workload",
       ParamType::string,
       std::string("gemm"),
       "the check run on every core each interval",
       {},
       {},
       {"gemm", "conv", "mlp", "transformer"}},
      {"dtype",
       ParamType::string,
       std::string("f32"),
       "the check's dtype",
       {},
       {},
       {"f32", "bf16", "f16", "i8"}},
      {"size", ParamType::integer, std::int64_t{size}, "the check's model width", 8.0, 1024.0, {}},
  };
}

LoadOptions load_options(const Params& p) {
  LoadOptions o;
  o.duration_s = p.number("duration_s");
  o.interval_s = p.number("interval_s");
  o.ramp_s = p.number("ramp_s");
  o.utilisation = p.number("utilisation");
  o.target_power_w = p.number("target_power_w");
  o.check = {.kind = inference::workload_from_string(p.string("workload")),
             .dtype = chip::dtype_from_string(p.string("dtype")),
             .seed = 1,
             .size = static_cast<int>(p.integer("size"))};
  return o;
}

std::vector<MeasurementSpec> load_measurements() {
  return {
      {"errors_p99", units::count, "99th percentile of wrong check elements per interval", {{}, 0.0}},
      {"errors_total", units::count, "wrong check elements over the run", {}},
      {"corrupt_cores", units::count, "cores whose check went wrong", {{}, 0.0}},
      {"throughput_p1", units::none, "1st percentile of the check's throughput per core, GMAC/s", {}},
      {"power_p50", units::watt, "median power", {}},
      {"temperature_max", units::celsius, "hottest die temperature", {}},
      {"throttled_intervals", units::count, "intervals the clock was throttled", {}},
      {"tripped", units::count, "1 if the die reached its thermal trip", {{}, 0.0}},
  };
}

void measure_load(TestContext& ctx, const LoadReport& r) {
  for (const auto& f : r.findings) ctx.note(f);
  ctx.attach("load", to_json(r));
  ctx.measure("errors_p99", r.errors_p99);
  ctx.measure("errors_total", static_cast<double>(r.errors_total));
  ctx.measure("corrupt_cores", static_cast<double>(r.corrupt_cores.size()));
  ctx.measure("throughput_p1", r.throughput_p1_gmacs);
  ctx.measure("power_p50", r.power_p50_w);
  ctx.measure("temperature_max", r.temperature_max_c);
  ctx.measure("throttled_intervals", r.throttled_intervals);
  ctx.measure("tripped", r.tripped ? 1 : 0);
}

TestDefinition compute_test() {
  TestDefinition t;
  t.name = "stress.compute";
  t.description =
      "sustained power-virus load on every enabled tensor core with a golden check on each core every "
      "interval; "
      "judged on p99 of errors and p1 of throughput";
  t.params = load_params(30.0, 1.0, 64);
  t.measurements = load_measurements();
  t.requires_caps = {chip::Capability::tensor, chip::Capability::dvfs, chip::Capability::sensors};
  t.run = [](TestContext& ctx) {
    SafeState safe(ctx.device());
    const LoadReport r = run_load(ctx.device(), load_options(ctx.params()), ctx.stop_token());
    safe.restore();
    measure_load(ctx, r);
  };
  return t;
}

TestDefinition soak_test() {
  TestDefinition t;
  t.name = "stress.soak";
  t.description =
      "thermal soak: full load until the die temperature settles, the check running on every core "
      "throughout; "
      "reports the temperature curve, throttling and the thermal trip";
  t.params = load_params(300.0, 2.0, 128);
  t.params.push_back({"settle_window_s",
                      ParamType::number,
                      20.0,
                      "settled when the temperature moved less than "
                      "settle_delta_c over this window",
                      1.0,
                      3600.0,
                      {}});
  t.params.push_back({"settle_delta_c", ParamType::number, 0.3, "see settle_window_s", 0.01, 10.0, {}});
  t.measurements = load_measurements();
  t.measurements.push_back({"settled_temperature", units::celsius, "die temperature once settled", {}});
  t.measurements.push_back({"settle_time", units::second, "device time to settle", {}});
  t.measurements.push_back({"settled", units::count, "1 if the temperature settled within the duration", {}});
  t.requires_caps = {chip::Capability::tensor, chip::Capability::dvfs, chip::Capability::sensors};
  t.run = [](TestContext& ctx) {
    const auto& p = ctx.params();
    LoadOptions o = load_options(p);
    o.until_settled = true;
    o.settle_window_s = p.number("settle_window_s");
    o.settle_delta_c = p.number("settle_delta_c");
    SafeState safe(ctx.device());
    const LoadReport r = run_load(ctx.device(), o, ctx.stop_token());
    safe.restore();
    if (!r.settled && !r.tripped)
      ctx.note(fmt::format("the temperature had not settled after {:.0f} s ({:.1f} °C)", o.duration_s,
                           r.temperature_final_c));
    measure_load(ctx, r);
    ctx.measure("settled_temperature", r.temperature_final_c);
    ctx.measure("settle_time", r.settle_time_s);
    ctx.measure("settled", r.settled ? 1 : 0);
  };
  return t;
}

TestDefinition combined_test() {
  TestDefinition t;
  t.name = "stress.combined";
  t.description =
      "memory traffic and compute at once: every interval a seeded pattern written to and read back from HBM "
      "while every core runs the power virus and the golden check";
  t.params = load_params(20.0, 1.0, 64);
  t.params.push_back({"memory_kib",
                      ParamType::integer,
                      std::int64_t{1024},
                      "HBM written and read back per interval",
                      1.0,
                      1048576.0,
                      {}});
  t.measurements = load_measurements();
  t.measurements.push_back({"memory_errors", units::count, "64-bit words read back wrong", {{}, 0.0}});
  t.requires_caps = {chip::Capability::tensor, chip::Capability::dvfs, chip::Capability::sensors,
                     chip::Capability::memory_bulk};
  t.run = [](TestContext& ctx) {
    LoadOptions o = load_options(ctx.params());
    o.memory_bytes = static_cast<std::uint64_t>(ctx.params().integer("memory_kib")) * 1024;
    SafeState safe(ctx.device());
    const LoadReport r = run_load(ctx.device(), o, ctx.stop_token());
    safe.restore();
    measure_load(ctx, r);
    ctx.measure("memory_errors", static_cast<double>(r.memory_errors));
  };
  return t;
}

SEEDVAL_REGISTER_TEST(compute_test());
SEEDVAL_REGISTER_TEST(soak_test());
SEEDVAL_REGISTER_TEST(combined_test());

}  // namespace
}  // namespace seedval::stress

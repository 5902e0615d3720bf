// inference.sdc: the silent-data-corruption screen. The same workload runs repeatedly on every enabled
// tensor core; results are compared bit for bit with golden, with the core's own first run and across
// cores. A corrupt core is named with where its errors sit (one MAC lane, which bits); intermittent
// corruption on several cores is reported as timing corruption. With `harvest`, corrupt cores are
// disabled (CORE_ENABLE) for the rest of the insertion and reported in `harvest_mask`, the fuse mask
// the part should carry, so a program can sort the die into a lower grade instead of failing it.
#include <algorithm>
#include <bit>

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <seedval/chip/registers.h>
#include <seedval/inference/screen.h>
#include <seedval/testapi/test.h>

#include "suite_params.h"

namespace seedval::inference {
namespace {

TestDefinition sdc_test() {
  TestDefinition t;
  t.name = "inference.sdc";
  t.description =
      "repeats a workload on every enabled tensor core and compares bit for bit with golden, with the core's "
      "first run and across cores; names corrupt cores and reports timing corruption";
  t.params = {
      {"workload", ParamType::string, std::string("gemm"), "gemm, conv, mlp or transformer", {}, {},
       {"gemm", "conv", "mlp", "transformer"}},
      {"dtype", ParamType::string, std::string("f32"),
       "f32 (every result bit visible), bf16, f16 or i8", {}, {}, {"f32", "bf16", "f16", "i8"}},
      {"size", ParamType::integer, std::int64_t{64}, "model width d (a multiple of 8)", 8.0, 1024.0, {}},
      {"seed", ParamType::integer, std::int64_t{1}, "seed of the workload's data", 0.0, 4294967295.0, {}},
      {"repeats", ParamType::integer, std::int64_t{3}, "runs per core", 1.0, 1000.0, {}},
      {"cores", ParamType::string, std::string("all"), "all (every enabled core), first, or a list such as 0,3",
       {}, {}, {}},
      {"harvest", ParamType::boolean, false,
       "disable corrupt cores (CORE_ENABLE) and re-screen the rest, instead of failing the die", {}, {}, {}},
  };
  t.measurements = {
      {"timing_corruption", units::count, "1 if intermittent corruption hit two or more cores", {{}, 0.0}},
      {"corrupt_cores", units::count, "enabled cores computing wrong results (after harvesting)", {{}, 0.0}},
      {"corruption_rate", units::ratio, "corrupted output elements / elements checked (after harvesting)",
       {{}, 0.0}},
      {"good_cores", units::count, "enabled cores that computed right every time", {}},
      {"harvested_cores", units::count, "cores this test disabled", {}},
      {"harvest_mask", units::none, "fuse mask the part should carry: HARVEST_MASK and the harvested cores", {}},
      {"disagreeing_cores", units::count, "cores outside the majority of the cross-core comparison", {}},
      {"unstable_runs", units::count, "runs differing from their core's first run", {}},
  };
  t.requires_caps = {chip::Capability::tensor};
  t.run = [](TestContext& ctx) {
    const auto& p = ctx.params();
    Device& dev = ctx.device();
    const Workload w = make_workload({.kind = workload_from_string(p.string("workload")),
                                      .dtype = chip::dtype_from_string(p.string("dtype")),
                                      .seed = static_cast<std::uint64_t>(p.integer("seed")),
                                      .size = static_cast<int>(p.integer("size"))});
    ScreenOptions options{.cores = detail::parse_cores(dev, p.string("cores")),
                          .repeats = static_cast<int>(p.integer("repeats")),
                          .runner = {}};
    ScreenReport report = run_sdc_screen(dev, w, options, ctx.stop_token());
    for (const auto& f : report.findings) ctx.note(f);
    ctx.attach("sdc_screen", to_json(report));
    const ScreenReport first = report;

    std::uint32_t harvested = 0;
    if (p.boolean("harvest") && !report.timing_suspected && !report.corrupt_cores.empty()) {
      for (auto c : report.corrupt_cores) harvested |= 1u << c;
      const std::uint32_t enable = dev.read_register(chip::reg::CORE_ENABLE);
      dev.write_register(chip::reg::CORE_ENABLE, enable & ~harvested);
      ctx.note(fmt::format("harvested cores {}: CORE_ENABLE 0x{:03x} -> 0x{:03x}", fmt::join(report.corrupt_cores, ", "),
                           enable, enable & ~harvested));
      options.cores.erase(std::remove_if(options.cores.begin(), options.cores.end(),
                                         [&](std::uint32_t c) { return (harvested >> c & 1u) != 0; }),
                          options.cores.end());
      if (!options.cores.empty()) {
        report = run_sdc_screen(dev, w, options, ctx.stop_token());
        for (const auto& f : report.findings) ctx.note("after harvesting: " + f);
        ctx.attach("sdc_screen_after_harvest", to_json(report));
      } else {
        report = {};
      }
    }
    const std::uint32_t fused = dev.read_register(chip::reg::HARVEST_MASK);
    ctx.measure("timing_corruption", first.timing_suspected || report.timing_suspected ? 1 : 0);
    ctx.measure("corrupt_cores", static_cast<double>(report.corrupt_cores.size()));
    ctx.measure("corruption_rate", report.corruption_rate);
    ctx.measure("good_cores", static_cast<double>(options.cores.size() - report.corrupt_cores.size()));
    ctx.measure("harvested_cores", std::popcount(harvested));
    ctx.measure("harvest_mask", fused | harvested);
    ctx.measure("disagreeing_cores", static_cast<double>(first.disagreeing_cores.size()));
    ctx.measure("unstable_runs", static_cast<double>(first.unstable_runs));
  };
  return t;
}

SEEDVAL_REGISTER_TEST(sdc_test());

}  // namespace
}  // namespace seedval::inference

// inference.sdc: the silent-data-corruption screen. The same workload runs repeatedly on every enabled
// tensor core; results are compared bit for bit with golden, with the core's own first run and across
// cores. A corrupt core is named with where its errors sit (one MAC lane, which bits); intermittent
// corruption on several cores is reported as timing corruption. With `harvest`, corrupt cores are
// disabled (CORE_ENABLE) for the rest of the insertion and reported in `harvest_mask`, the fuse mask
// the part should carry, so a program can sort the die into a lower grade instead of failing it.
#include <algorithm>
#include <bit>
#include <set>
#include <string_view>
#include <vector>

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
      {"workload",
       ParamType::string,
       std::string("gemm"),
       "gemm, conv, mlp or transformer",
       {},
       {},
       {"gemm", "conv", "mlp", "transformer"}},
      {"dtypes",
       ParamType::string,
       std::string("f32,i8"),
       "comma-separated, each screened in turn: f32 (every bit of the FP32 result visible), i8 (the int32 "
       "accumulator: the exponent-range bits FP32 data leaves constant), bf16, f16",
       {},
       {},
       {}},
      {"size", ParamType::integer, std::int64_t{64}, "model width d (a multiple of 8)", 8.0, 1024.0, {}},
      {"seed", ParamType::integer, std::int64_t{1}, "seed of the workload's data", 0.0, 4294967295.0, {}},
      {"repeats", ParamType::integer, std::int64_t{3}, "runs per core", 1.0, 1000.0, {}},
      {"cores",
       ParamType::string,
       std::string("all"),
       "all (every enabled core), first, or a list such as 0,3",
       {},
       {},
       {}},
      {"harvest",
       ParamType::boolean,
       false,
       "disable corrupt cores (CORE_ENABLE) and re-screen the rest, instead of failing the die",
       {},
       {},
       {}},
  };
  t.measurements = {
      {"timing_corruption", units::count, "1 if intermittent corruption hit two or more cores", {{}, 0.0}},
      {"corrupt_cores", units::count, "enabled cores computing wrong results (after harvesting)", {{}, 0.0}},
      {"corruption_rate",
       units::ratio,
       "corrupted output elements / elements checked (after harvesting)",
       {{}, 0.0}},
      {"good_cores", units::count, "enabled cores that computed right every time", {}},
      {"harvested_cores", units::count, "cores this test disabled", {}},
      {"harvest_mask",
       units::none,
       "fuse mask the part should carry: HARVEST_MASK and the harvested cores",
       {}},
      {"disagreeing_cores", units::count, "cores outside the majority of the cross-core comparison", {}},
      {"unstable_runs", units::count, "runs differing from their core's first run", {}},
  };
  t.requires_caps = {chip::Capability::tensor};
  t.run = [](TestContext& ctx) {
    const auto& p = ctx.params();
    Device& dev = ctx.device();
    std::vector<Workload> workloads;
    for (const auto dtype : detail::parse_dtypes(p.string("dtypes")))
      workloads.push_back(make_workload({.kind = workload_from_string(p.string("workload")),
                                         .dtype = dtype,
                                         .seed = static_cast<std::uint64_t>(p.integer("seed")),
                                         .size = static_cast<int>(p.integer("size"))}));
    ScreenOptions options;
    options.cores = detail::parse_cores(dev, p.string("cores"));
    options.repeats = static_cast<int>(p.integer("repeats"));

    // Every workload screened on `options.cores`; the totals over them.
    struct Totals {
      std::set<std::uint32_t> corrupt, disagreeing;
      bool timing = false;
      std::uint64_t corrupted = 0, checked = 0, unstable = 0;
    };
    auto screen_all = [&](std::string_view when) {
      Totals sum;
      for (const auto& w : workloads) {
        const ScreenReport r = run_sdc_screen(dev, w, options, ctx.stop_token());
        for (const auto& f : r.findings) ctx.note(fmt::format("{}{}: {}", when, w.name, f));
        ctx.attach(fmt::format("sdc_screen{}.{}", when.empty() ? "" : ".after_harvest", w.name), to_json(r));
        sum.corrupt.insert(r.corrupt_cores.begin(), r.corrupt_cores.end());
        sum.disagreeing.insert(r.disagreeing_cores.begin(), r.disagreeing_cores.end());
        sum.timing = sum.timing || r.timing_suspected;
        sum.corrupted += r.corrupted_elements;
        sum.checked += r.elements_checked;
        sum.unstable += r.unstable_runs;
      }
      return sum;
    };
    const Totals first = screen_all("");
    Totals last = first;

    std::uint32_t harvested = 0;
    if (p.boolean("harvest") && !first.timing && !first.corrupt.empty()) {
      for (auto c : first.corrupt) harvested |= 1u << c;
      const std::uint32_t enable = dev.read_register(chip::reg::CORE_ENABLE);
      dev.write_register(chip::reg::CORE_ENABLE, enable & ~harvested);
      ctx.note(fmt::format("harvested cores {}: CORE_ENABLE 0x{:03x} -> 0x{:03x}",
                           fmt::join(first.corrupt, ", "), enable, enable & ~harvested));
      std::erase_if(options.cores, [&](std::uint32_t c) { return (harvested >> c & 1u) != 0; });
      last = options.cores.empty() ? Totals{} : screen_all("after harvesting: ");
    }
    const std::uint32_t fused = dev.read_register(chip::reg::HARVEST_MASK);
    ctx.measure("timing_corruption", first.timing || last.timing ? 1 : 0);
    ctx.measure("corrupt_cores", static_cast<double>(last.corrupt.size()));
    ctx.measure(
        "corruption_rate",
        last.checked == 0 ? 0.0 : static_cast<double>(last.corrupted) / static_cast<double>(last.checked));
    ctx.measure("good_cores", static_cast<double>(options.cores.size() - last.corrupt.size()));
    ctx.measure("harvested_cores", std::popcount(harvested));
    ctx.measure("harvest_mask", fused | harvested);
    ctx.measure("disagreeing_cores", static_cast<double>(first.disagreeing.size()));
    ctx.measure("unstable_runs", static_cast<double>(first.unstable));
  };
  return t;
}

SEEDVAL_REGISTER_TEST(sdc_test());

}  // namespace
}  // namespace seedval::inference

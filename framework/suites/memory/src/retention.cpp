// memory.retention: do the cells hold their data without refresh for a given time at a given
// temperature? Refresh off, every cell written 0, a wait, read 0 and write 1, a wait, read 1 — the
// retention march {⇕(w0); Del; ⇕(r0,w1); Del; ⇕(r1)}, each phase one MBIST run and each wait a hold of
// the device, so a target temperature can be held by self-heating (tensor cores under load) through the
// waits. Leakage doubles about every 10 °C, so a hot short wait screens what a cold long one would.
#include <cmath>

#include <fmt/core.h>

#include <seedval/chip/registers.h>
#include <seedval/core/error.h>
#include <seedval/device/thermal.h>
#include <seedval/memory/backgrounds.h>

#include "memory_common.h"

namespace seedval::memory {
namespace {

TestDefinition retention_test() {
  TestDefinition t;
  t.name = "memory.retention";
  t.description =
      "refresh off: write, wait, read both data values; finds cells that leak (data retention faults), at a "
      "chosen temperature";
  t.params = {
      {"delay_ms",
       ParamType::number,
       64.0,
       "how long the cells must hold their data unrefreshed",
       0.001,
       3'600'000.0,
       {}},
      {"temperature_c",
       ParamType::number,
       0.0,
       "die temperature during the waits, reached by self-heating under tensor load (0: as it is)",
       0.0,
       150.0,
       {}},
      {"backgrounds",
       ParamType::string,
       std::string("solid"),
       "comma-separated data backgrounds: " + background_names(),
       {},
       {},
       {}},
      {"max_fails",
       ParamType::integer,
       std::int64_t{16384},
       "failing reads logged per read phase",
       1.0,
       65536.0,
       {}},
      {"repair",
       ParamType::boolean,
       true,
       "analyse repair with the chip's spare rows and columns",
       {},
       {},
       {}},
  };
  for (auto& p : region_params()) t.params.push_back(std::move(p));
  t.measurements = bitmap_measurements(true);
  t.measurements.push_back(
      {"temperature", units::celsius, "die temperature at the end of the last wait", {}});
  t.measurements.push_back(
      {"hbm_temperature", units::celsius, "HBM temperature at the end of the last wait", {}});
  t.requires_caps = {chip::Capability::mbist};
  t.run = [](TestContext& ctx) {
    Device& dev = ctx.device();
    const auto& p = ctx.params();
    const chip::HbmGeometry& g = dev.memory_geometry();
    const Region region = region_from_params(ctx, g, "memory.retention");
    const auto backgrounds = parse_backgrounds(p.string("backgrounds"), g);
    const auto delay = std::chrono::microseconds(static_cast<std::int64_t>(p.number("delay_ms") * 1000.0));
    const double target = p.number("temperature_c");

    EccOff raw_cells(dev);
    const std::uint32_t cores = target > 0 ? usable_cores(dev) : 0;
    double utilisation = 0.0;
    if (target > 0) {
      const Heating heating = heat_to(dev, cores, target);
      if (!heating.ok()) ctx.skip(heating.unreachable);
      utilisation = heating.utilisation;
    }
    const std::uint32_t load = utilisation > 0 ? cores : 0;
    RegisterOverride refresh_off(dev, chip::reg::HBM_REFRESH_CTRL, 0);

    // The whole test as one algorithm, for the bitmap's element names; each phase runs as its own march.
    const chip::MarchAlgorithm whole = chip::parse_march("{⇕(w0); Del; ⇕(r0,w1); Del; ⇕(r1)}", "Retention");
    const chip::MarchAlgorithm phases[] = {chip::parse_march("{⇕(w0)}"), chip::parse_march("{⇕(r0,w1)}"),
                                           chip::parse_march("{⇕(r1)}")};
    constexpr std::uint16_t kElementOf[] = {0, 2, 4};
    FailBitmap bitmap(g);
    protocol::SensorsResponse last{};
    for (const auto& bg : backgrounds) {
      for (int phase = 0; phase < 3; ++phase) {
        ctx.check_stop();
        if (phase > 0) last = dev.hold(delay, load, utilisation);
        chip::MarchOptions options;
        options.first_word = region.first_word;
        options.words = region.words;
        options.background = bg.background;
        options.max_fails = static_cast<std::size_t>(p.integer("max_fails"));
        auto run = dev.run_mbist(phases[phase], options);
        for (auto& f : run.result.fails) f.element = kElementOf[phase];
        bitmap.add_march_fails(run.result.fails, whole, bg.name);
        if (run.result.truncated())
          ctx.note(fmt::format("background {} phase {}: {} failing reads, only the first {} logged", bg.name,
                               phase, run.result.fail_count, run.result.fails.size()));
      }
    }
    report_bitmap(ctx, bitmap, repair_from_params(ctx));
    ctx.measure("temperature", die_temperature_c(last));
    ctx.measure("hbm_temperature", last.hbm_temperature_mc / 1000.0);
  };
  return t;
}

SEEDVAL_REGISTER_TEST(retention_test());

}  // namespace
}  // namespace seedval::memory

// power.idle: at the nominal operating point with no load, the die's power, temperature and supply.
// Idle power is dominated by leakage, so this is where a leaky die (a fast-corner outlier) shows.
#include <fmt/core.h>

#include <seedval/chip/registers.h>
#include <seedval/testapi/test.h>

namespace seedval {
namespace {

TestDefinition idle_power_test() {
  TestDefinition t;
  t.name = "power.idle";
  t.description = "sets the operating point, then reads idle power, die temperature and core supply";
  t.requires_caps = {chip::Capability::sensors, chip::Capability::dvfs};
  t.params = {
      {"voltage_mv", ParamType::integer, std::int64_t{750}, "core supply set point", 500.0, 1000.0, {}},
      {"frequency_mhz", ParamType::integer, std::int64_t{1200}, "core clock", 100.0, 3000.0, {}},
  };
  t.measurements = {
      {"power", units::watt, "idle package power", {{}, 6.0}},
      {"temperature", units::celsius, "die temperature", {{}, 85.0}},
      {"vdd_core", units::volt, "core supply measured at the die", {}},
  };
  t.run = [](TestContext& ctx) {
    Device& dev = ctx.device();
    const auto mv = static_cast<std::uint32_t>(ctx.params().integer("voltage_mv"));
    const auto mhz = static_cast<std::uint32_t>(ctx.params().integer("frequency_mhz"));
    // Leave the operating point as found, whatever happens in between.
    struct Restore {
      Device& dev;
      std::uint32_t mv, mhz;
      ~Restore() {
        try {
          dev.write_register(chip::reg::VDD_CORE_MV, mv);
          dev.write_register(chip::reg::PLL_FREQ_MHZ, mhz);
        } catch (const std::exception&) {  // the link is gone; the step already reports why
        }
      }
    } restore{dev, dev.read_register(chip::reg::VDD_CORE_MV), dev.read_register(chip::reg::PLL_FREQ_MHZ)};
    dev.write_register(chip::reg::VDD_CORE_MV, mv);
    dev.write_register(chip::reg::PLL_FREQ_MHZ, mhz);
    const double power = dev.read_register(chip::reg::POWER_MW) / 1000.0;
    const double temp = dev.read_register(chip::reg::TEMP_DIE_MC) / 1000.0;
    const double vdd = dev.read_register(chip::reg::VDD_SENSE_MV) / 1000.0;
    ctx.measure("power", power);
    ctx.measure("temperature", temp);
    ctx.measure("vdd_core", vdd);
  };
  return t;
}

SEEDVAL_REGISTER_TEST(idle_power_test());

}  // namespace
}  // namespace seedval

#include <algorithm>
#include <cmath>

#include <fmt/core.h>

#include <seedval/chip/registers.h>
#include <seedval/device/thermal.h>

namespace seedval {

std::uint32_t usable_cores(Device& device) {
  if (!device.has(chip::Capability::tensor)) return 0;
  const std::uint32_t count = device.read_register(chip::reg::CORE_COUNT);
  const std::uint32_t all = count >= 32 ? ~0u : (1u << count) - 1;
  return all & ~device.read_register(chip::reg::HARVEST_MASK);
}

double die_temperature_c(const protocol::SensorsResponse& s) noexcept {
  return s.temperature_mc / 1000.0;
}

Heating heat_to(Device& device, std::uint32_t cores, double target_c) {
  Heating h;
  const double idle = die_temperature_c(device.hold(kThermalSettle, 0, 0.0));
  h.temperature_c = idle;
  if (target_c <= idle + 0.5) {
    if (target_c < idle - 2.0)
      h.unreachable = fmt::format(
          "the idle die sits at {:.1f} °C, above the {:.1f} °C asked: cooling needs a thermal chamber", idle,
          target_c);
    return h;
  }
  if (cores == 0) {
    h.unreachable = "the chip has no tensor cores to heat it: a thermal chamber is needed";
    return h;
  }
  const double full = die_temperature_c(device.hold(kThermalSettle, cores, 1.0));
  h.temperature_c = full;
  h.utilisation = 1.0;
  if (full < target_c - 1.0) {
    h.unreachable = fmt::format(
        "full load heats the die to {:.1f} °C, short of the {:.1f} °C asked: a thermal chamber or hot "
        "insertion is needed",
        full, target_c);
    return h;
  }
  // Temperature rises close to linearly with utilisation: interpolate, then correct.
  double lo = 0.0, t_lo = idle, hi = 1.0, t_hi = full;
  for (int i = 0; i < 6; ++i) {
    h.utilisation = std::clamp(lo + (hi - lo) * (target_c - t_lo) / std::max(t_hi - t_lo, 1e-6), 0.0, 1.0);
    h.temperature_c = die_temperature_c(device.hold(kThermalSettle, cores, h.utilisation));
    if (std::fabs(h.temperature_c - target_c) <= 0.5) break;
    if (h.temperature_c < target_c) {
      lo = h.utilisation;
      t_lo = h.temperature_c;
    } else {
      hi = h.utilisation;
      t_hi = h.temperature_c;
    }
  }
  return h;
}

}  // namespace seedval

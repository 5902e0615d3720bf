// Die temperature by self-heating: a bench without a thermal chamber reaches a temperature above the
// idle die's by loading the tensor cores (Device::hold) at the utilisation that holds it there.
//
//   const Heating h = heat_to(dev, usable_cores(dev), 55.0);
//   if (!h.ok()) ctx.skip(h.unreachable);
//   dev.hold(wait, usable_cores(dev), h.utilisation);        // stays at about 55 °C
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <seedval/device/device.h>

namespace seedval {

/// Five thermal time constants of the package: what a hold needs for the die to settle.
inline constexpr std::chrono::seconds kThermalSettle{20};

struct Heating {
  double utilisation = 0;    ///< with usable cores under load, holds the target
  double temperature_c = 0;  ///< die temperature reached
  std::string unreachable;   ///< why the target cannot be reached by self-heating; empty if it can
  bool ok() const noexcept { return unreachable.empty(); }
};

/// Tensor cores that are not fused off (a mask); 0 for a chip without tensor cores.
std::uint32_t usable_cores(Device& device);
/// The die temperature of a sensor reading, in °C.
double die_temperature_c(const protocol::SensorsResponse& s) noexcept;

/// Brings the die to within 0.5 °C of `target_c` by self-heating with `cores` under load: idle first,
/// then full load, then interpolation corrected up to six times. When the idle die is already within
/// 0.5 °C (or above, by less than 2 °C) the utilisation is 0. Unreachable when the idle die is more than
/// 2 °C hotter (cooling needs a thermal chamber), when there are no cores, or when full load falls more
/// than 1 °C short. Throws what the Device throws.
Heating heat_to(Device& device, std::uint32_t cores, double target_c);

}  // namespace seedval

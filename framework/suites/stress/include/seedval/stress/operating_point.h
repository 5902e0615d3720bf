// The operating point (core supply, clock, HBM supply) and the guard that puts it back. Every stress and
// characterization test moves the die off its nominal point or loads it; SafeState returns it to the
// point it was found at and stops the load when the test ends in any way — passed, failed, timed out,
// cancelled or thrown — and does so even when the device's stop token has been requested.
//
//   SafeState safe(dev);                      // remembers 750 mV, 1200 MHz, 1100 mV
//   safe.set(700, 1500);                      // the search moves the die
//   ...                                       // a throw here still restores
//   safe.restore();                           // explicit: throws if the device cannot be restored
#pragma once

#include <cstdint>
#include <string>

#include <seedval/device/device.h>

namespace seedval::stress {

struct OperatingPoint {
  std::uint32_t vdd_core_mv = 0;
  std::uint32_t frequency_mhz = 0;
  std::uint32_t vdd_hbm_mv = 0;
  friend bool operator==(const OperatingPoint&, const OperatingPoint&) = default;
};

/// The set point (VDD_CORE_MV, PLL_FREQ_MHZ, VDD_HBM_MV registers), not the measured one.
OperatingPoint current_operating_point(Device& device);

class SafeState {
 public:
  /// Reads and keeps the current operating point. Throws what the Device throws.
  explicit SafeState(Device& device);
  /// restore() unless it has run; never throws (a failure is logged as an error).
  ~SafeState();
  SafeState(const SafeState&) = delete;
  SafeState& operator=(const SafeState&) = delete;

  /// Moves the core supply and clock (the HBM supply stays as saved). Throws what the Device throws
  /// (DeviceError for a point outside the regulator's or PLL's range).
  void set(std::uint32_t vdd_core_mv, std::uint32_t frequency_mhz);
  /// Stops any load (an idle hold of zero length) and sets the saved operating point back, with the
  /// device's stop token suspended so a cancelled test still cleans up. Throws if the device cannot.
  void restore();

  const OperatingPoint& saved() const noexcept { return saved_; }
  bool restored() const noexcept { return restored_; }

 private:
  Device& device_;
  OperatingPoint saved_;
  bool restored_ = false;
};

}  // namespace seedval::stress

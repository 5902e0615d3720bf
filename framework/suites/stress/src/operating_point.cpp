#include <chrono>

#include <seedval/chip/registers.h>
#include <seedval/core/log.h>
#include <seedval/stress/operating_point.h>

namespace seedval::stress {

OperatingPoint current_operating_point(Device& device) {
  return {.vdd_core_mv = device.read_register(chip::reg::VDD_CORE_MV),
          .frequency_mhz = device.read_register(chip::reg::PLL_FREQ_MHZ),
          .vdd_hbm_mv = device.read_register(chip::reg::VDD_HBM_MV)};
}

SafeState::SafeState(Device& device) : device_(device), saved_(current_operating_point(device)) {}

SafeState::~SafeState() {
  if (restored_) return;
  try {
    restore();
  } catch (const std::exception& e) {
    log::error("{}: could not restore the operating point {} mV, {} MHz after the test: {}", device_.name(),
               saved_.vdd_core_mv, saved_.frequency_mhz, e.what());
  }
}

void SafeState::set(std::uint32_t vdd_core_mv, std::uint32_t frequency_mhz) {
  restored_ = false;
  device_.set_operating_point(vdd_core_mv, frequency_mhz, saved_.vdd_hbm_mv);
}

void SafeState::restore() {
  // Teardown must happen even for a cancelled test: the stop token is set aside for these calls.
  struct Uncancellable {
    Device& d;
    std::stop_token saved;
    explicit Uncancellable(Device& dev) : d(dev), saved(dev.stop_token()) { d.set_stop_token({}); }
    ~Uncancellable() { d.set_stop_token(saved); }
  } scope(device_);
  if (device_.has(chip::Capability::dvfs)) {
    device_.hold(std::chrono::microseconds(0), 0, 0.0);
    device_.set_operating_point(saved_.vdd_core_mv, saved_.frequency_mhz, saved_.vdd_hbm_mv);
  }
  restored_ = true;
}

}  // namespace seedval::stress

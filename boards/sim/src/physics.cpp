#include <algorithm>
#include <cmath>

#include <seedval/sim/physics.h>

namespace seedval::sim::physics {

double fmax_mhz(const DieInstance& die, double vdd_mv, double temp_c) noexcept {
  if (vdd_mv <= kVtMv) return 0.0;
  const double drive = std::pow((vdd_mv - kVtMv) / (kNominalMv - kVtMv), kAlpha) * (kNominalMv / vdd_mv);
  const double derate = std::max(0.1, 1.0 - kTempCo * (temp_c - 25.0));
  return die.speed_factor * kFmaxRefMhz * drive * derate;
}

double vmin_mv(const DieInstance& die, double f_mhz, double temp_c) noexcept {
  double lo = kVtMv, hi = 2000.0;
  if (fmax_mhz(die, hi, temp_c) < f_mhz) return hi;
  for (int i = 0; i < 60; ++i) {
    const double mid = 0.5 * (lo + hi);
    (fmax_mhz(die, mid, temp_c) >= f_mhz ? hi : lo) = mid;
  }
  return hi;
}

double leakage_w(const DieInstance& die, double vdd_mv, double temp_c) noexcept {
  const double v = vdd_mv / kNominalMv;
  return kNominalLeakageW * die.leakage_factor * v * v * v * std::exp((temp_c - 25.0) / 40.0);
}

double dynamic_w(double vdd_mv, double f_mhz, double busy_cores, double utilisation) noexcept {
  const double v = vdd_mv / kNominalMv, f = f_mhz / kNominalMhz;
  return (kIdleDynamicW + kCoreDynamicW * busy_cores * std::clamp(utilisation, 0.0, 1.0)) * v * v * f;
}

double steady_temperature_c(const DieInstance& die, double power_w) noexcept {
  return die.ambient_c + kThetaCPerW * power_w;
}

double timing_error_rate(double f_mhz, double fmax) noexcept {
  if (fmax <= 0.0) return 0.5;
  const double over = f_mhz / fmax - 1.0;
  if (over <= 0.0) return 0.0;
  // log-linear between 1e-6 at +1 % and 1e-3 at +5 %.
  const double log_rate = -6.0 + (over - 0.01) * (3.0 / 0.04);
  return std::min(0.5, std::pow(10.0, log_rate));
}

}  // namespace seedval::sim::physics

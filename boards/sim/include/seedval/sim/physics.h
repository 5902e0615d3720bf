// Physics-lite of a SeedChip die: how fast it can run, what it draws, how hot it gets.
//
// fmax follows the alpha-power law of a CMOS path, scaled by the die's speed factor and derated with
// temperature:
//   fmax(V, T) = speed · kFmaxRef · ((V − Vt) / (Vref − Vt))^α · (Vref / V) · (1 − kTempCo · (T − 25))
// with Vt = 380 mV, α = 1.3, kFmaxRef = 1500 MHz at Vref = 750 mV and 25 °C, kTempCo = 0.0012 /°C.
// Leakage grows with the cube of the supply and doubles about every 28 °C; dynamic power is
// C·V²·f·activity. The thermal path is a single RC: T' = (Tamb + θ·P − T) / τ.
#pragma once

#include <cstdint>

#include <seedval/sim/population.h>

namespace seedval::sim::physics {

inline constexpr double kNominalMv = 750.0;    ///< VDD_CORE at reset
inline constexpr double kNominalMhz = 1200.0;  ///< PLL at reset
inline constexpr double kVtMv = 380.0;
inline constexpr double kAlpha = 1.3;
inline constexpr double kFmaxRefMhz = 1500.0;  ///< a typical die at 750 mV, 25 °C
inline constexpr double kTempCo = 0.0012;
inline constexpr double kIdleDynamicW = 3.0;     ///< clock tree and control at nominal V, f
inline constexpr double kCoreDynamicW = 9.0;     ///< one tensor core fully busy at nominal V, f
inline constexpr double kNominalLeakageW = 1.2;  ///< at nominal V, 25 °C, leakage factor 1
inline constexpr double kThetaCPerW = 0.45;      ///< junction to ambient, with the bench heatsink
inline constexpr double kTauS = 4.0;             ///< thermal time constant
inline constexpr double kTripC = 110.0;          ///< thermal trip: the die halts compute
inline constexpr double kThrottleC = 100.0;      ///< above this the PLL halves its clock

/// Highest clock (MHz) at which the die's critical paths close.
double fmax_mhz(const DieInstance& die, double vdd_mv, double temp_c) noexcept;
/// Lowest supply (mV) at which fmax reaches `f_mhz`, by bisection on fmax; 2000 if none below 2 V.
double vmin_mv(const DieInstance& die, double f_mhz, double temp_c) noexcept;
double leakage_w(const DieInstance& die, double vdd_mv, double temp_c) noexcept;
/// Dynamic power with `busy_cores` tensor cores at `utilisation` (0..1).
double dynamic_w(double vdd_mv, double f_mhz, double busy_cores, double utilisation) noexcept;
/// Temperature a constant `power_w` settles at.
double steady_temperature_c(const DieInstance& die, double power_w) noexcept;
/// Probability that one output element computed at f > fmax carries a timing error: 0 at or below
/// fmax, rising with the relative overshoot (1e-6 at +1 %, 1e-3 at +5 %, saturating at 0.5).
double timing_error_rate(double f_mhz, double fmax) noexcept;

}  // namespace seedval::sim::physics

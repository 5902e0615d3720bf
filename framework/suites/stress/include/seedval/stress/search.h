// Characterization: the check run at one operating point, the Vmin and Fmax searches, and the shmoo
// grid, with its renderings as JSON, SVG (a browser shows it) and ASCII (a terminal shows it).
//
//   SafeState safe(dev);
//   const PointCheck probe = timing_probe({});             // element-wise work on every enabled core
//   SearchResult f = search_fmax(dev, safe, 750, {.lo = 800, .hi = 2000, .resolution = 10,
//                                                 .guard_band = 30, .check = probe});
//   Shmoo s = run_shmoo(dev, safe, parse_axis("600:900:25", "voltage"), parse_axis("800:1800:50",
//   "frequency"),
//                       probe, "timing probe");
//   fmt::print("{}", to_ascii(s));  write(to_svg(s));
//
// Timing errors near fmax are rare per element (about 2e-7 just above it in the chip model, 1e-6 at
// +1 %): the timing probe checks millions of lane results per point so that the search lands within its
// resolution. Every point is judged by comparing with the host's golden result bit for bit.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include <seedval/device/device.h>
#include <seedval/stress/operating_point.h>

namespace seedval::stress {

/// What running the check at one operating point found.
struct PointVerdict {
  bool pass = false;
  std::uint64_t errors = 0;  ///< wrong result elements (or failing measurements of a test)
  std::string detail;        ///< why it failed
};

/// Runs at the device's current operating point; throws what the Device throws.
using PointCheck = std::function<PointVerdict(Device&)>;

struct ProbeOptions {
  std::uint64_t elements = 1u << 18;  ///< lane results per operation (an element-wise Add), 1..2^24
  int runs = 4;                       ///< operations per core and point
  std::vector<std::uint32_t> cores;   ///< empty: every enabled core (read at each point)
  std::uint64_t seed = 1;
};
/// A check that runs an FP32 Add of two seeded vectors `runs` times on each core and compares every
/// lane result with the host's golden; it stops at the first run with a wrong result (whose count is the
/// point's errors). Throws InvalidArgumentError for bad options.
PointCheck timing_probe(const ProbeOptions& options);

/// A check that runs the registered test `name` with its default parameters at each point: pass when the
/// test passes, the count of failing measurements as errors. A test that errors (link, timeout) throws
/// its error. Throws NotFoundError for an unknown test and InvalidArgumentError for a stress.* test (it
/// moves the operating point itself).
PointCheck registered_test_check(std::string_view name, std::stop_token stop = {});

struct SearchPoint {
  double value = 0;  ///< MHz for fmax, mV for vmin
  bool pass = false;
  std::uint64_t errors = 0;
  double temperature_c = 0;
};

struct SearchOptions {
  double lo = 0;
  double hi = 0;
  double resolution = 10;  ///< the search stops when the pass/fail bracket is this narrow
  double guard_band = 0;   ///< subtracted from fmax, added to vmin
  PointCheck check;
};

struct SearchResult {
  bool found = false;               ///< a passing point was found
  double limit = 0;                 ///< fmax: the highest passing clock; vmin: the lowest passing supply
  double guarded = 0;               ///< limit less (fmax) or plus (vmin) the guard band
  double temperature_c = 0;         ///< die temperature at the limit point
  std::vector<SearchPoint> points;  ///< in the order tried
  std::string note;                 ///< e.g. "passes at the top of the range: fmax is at least 2000 MHz"
};

/// Highest passing clock at `vdd_core_mv` in [lo, hi], by bisection (the pass region below fmax is
/// assumed contiguous). The die is left at the last point tried: the caller's SafeState restores it.
/// Throws InvalidArgumentError for a bad range, CancelledError, and what the Device throws.
SearchResult search_fmax(Device& device, SafeState& safe, std::uint32_t vdd_core_mv,
                         const SearchOptions& options, std::stop_token stop = {});
/// Lowest passing supply at `frequency_mhz` in [lo, hi], by bisection.
SearchResult search_vmin(Device& device, SafeState& safe, std::uint32_t frequency_mhz,
                         const SearchOptions& options, std::stop_token stop = {});

// ---- Shmoo ----

/// "LO:HI:STEP", inclusive of LO and of HI when a step lands on it.
struct Axis {
  double lo = 0;
  double hi = 0;
  double step = 1;
  std::vector<double> values() const;
};
/// Parses "LO:HI:STEP"; throws InvalidArgumentError naming `what` for anything else (HI below LO, a step
/// that is not positive, more than 200 values).
Axis parse_axis(std::string_view text, std::string_view what);

struct ShmooCell {
  double voltage_mv = 0;
  double frequency_mhz = 0;
  bool pass = false;
  bool error = false;  ///< the point could not be run (the regulator or PLL refused it, ...)
  std::uint64_t errors = 0;
  double temperature_c = 0;
  std::string detail;
};

struct Shmoo {
  Axis voltage;
  Axis frequency;
  std::string test;                     ///< what ran at each point
  std::optional<double> temperature_c;  ///< the die temperature held by self-heating, if one was asked
  std::vector<ShmooCell> cells;         ///< row-major: frequency (outer), voltage (inner)
  const ShmooCell& at(std::size_t voltage_index, std::size_t frequency_index) const;
  int passes() const noexcept;
  int errors() const noexcept;
};

/// Runs `check` at every point of the grid, row by row from the lowest clock. A point the device refuses
/// (DeviceError) is an error cell, not a fail. With `temperature_c`, the die is brought there by
/// self-heating (heat_to) at every point before the check: UnsupportedError when it cannot be reached at
/// the starting point, an error cell where it cannot at a point. Throws CancelledError and other Device
/// errors.
Shmoo run_shmoo(Device& device, SafeState& safe, const Axis& voltage, const Axis& frequency,
                const PointCheck& check, std::string test, std::stop_token stop = {},
                std::optional<double> temperature_c = std::nullopt);

std::string to_json(const Shmoo& shmoo);
/// A self-contained SVG: one square per point (class "pass", "fail" or "error"), axes in mV and MHz, a
/// title and a legend.
std::string to_svg(const Shmoo& shmoo);
/// Rows from the highest clock down, columns from the lowest supply: '*' pass, '.' fail, 'x' error.
std::string to_ascii(const Shmoo& shmoo);

}  // namespace seedval::stress

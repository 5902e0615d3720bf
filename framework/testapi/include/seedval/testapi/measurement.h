// Measurements: a named value with its unit, limits and outcome. Tests declare them up front (name,
// unit, default limits); programs may override the limits; the runner judges each value.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <seedval/core/units.h>

namespace seedval {

/// Inclusive limits; a missing side is open. NaN is never within limits.
struct Limits {
  std::optional<double> low;
  std::optional<double> high;
  bool contains(double value) const;
  bool empty() const { return !low && !high; }
};
/// "[0.735, 0.765] V", "<= 0 count", "any"
std::string to_string(const Limits& l, Unit unit);

enum class Outcome { passed, failed, skipped, error };
std::string_view to_string(Outcome o) noexcept;

struct MeasurementSpec {
  std::string name;
  Unit unit = units::none;
  std::string description;
  Limits limits;  ///< defaults; a program's limits replace them
};

struct Measurement {
  std::string name;
  double value = 0;
  Unit unit = units::none;
  Limits limits;
  Outcome outcome = Outcome::passed;  ///< passed or failed
};

}  // namespace seedval

#include <cmath>

#include <fmt/core.h>

#include <seedval/testapi/measurement.h>

namespace seedval {

bool Limits::contains(double value) const {
  if (std::isnan(value)) return false;
  if (low && value < *low) return false;
  if (high && value > *high) return false;
  return true;
}

std::string to_string(const Limits& l, Unit unit) {
  const std::string u =
      unit.symbol.empty() || unit == units::count ? std::string() : fmt::format(" {}", unit.symbol);
  if (l.low && l.high)
    return *l.low == *l.high ? fmt::format("== {}{}", *l.low, u)
                             : fmt::format("[{}, {}]{}", *l.low, *l.high, u);
  if (l.low) return fmt::format(">= {}{}", *l.low, u);
  if (l.high) return fmt::format("<= {}{}", *l.high, u);
  return "any";
}

std::string_view to_string(Outcome o) noexcept {
  switch (o) {
    case Outcome::passed:
      return "passed";
    case Outcome::failed:
      return "failed";
    case Outcome::skipped:
      return "skipped";
    case Outcome::error:
      return "error";
  }
  return "?";
}

}  // namespace seedval

// Units for measurements.
//
// A measurement's value is always stored in the base unit (volts, hertz, seconds, degrees Celsius,
// bytes, ...), as STDF wants results with RES_SCAL = 0; prefixes are only for display:
//
//   format_quantity(1.35e9, units::hertz)  -> "1.35 GHz"
//   format_quantity(0.000012, units::ampere) -> "12 uA"
//   format_quantity(16777216, units::byte) -> "16 MiB"  (bytes take binary prefixes)
//   format_quantity(3, units::count) -> "3"
//
// Symbols are ASCII ("degC", "uA") so they can be written into STDF and any terminal.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace seedval {

struct Unit {
  std::string_view symbol;    ///< ASCII symbol of the base unit, "" for a plain number
  std::string_view quantity;  ///< what it measures, e.g. "voltage"
  bool prefixable;            ///< whether SI prefixes make sense when displaying it
  friend bool operator==(const Unit& a, const Unit& b) { return a.symbol == b.symbol; }
};

namespace units {
inline constexpr Unit none{"", "number", false};
inline constexpr Unit count{"count", "count", false};
inline constexpr Unit ratio{"ratio", "ratio", false};
inline constexpr Unit percent{"%", "percentage", false};
inline constexpr Unit volt{"V", "voltage", true};
inline constexpr Unit ampere{"A", "current", true};
inline constexpr Unit watt{"W", "power", true};
inline constexpr Unit hertz{"Hz", "frequency", true};
inline constexpr Unit second{"s", "time", true};
inline constexpr Unit celsius{"degC", "temperature", false};
inline constexpr Unit byte{"B", "size", false};
inline constexpr Unit bit{"bit", "size", false};
inline constexpr Unit ohm{"Ohm", "resistance", true};
inline constexpr Unit byte_per_second{"B/s", "throughput", false};
}  // namespace units

/// Every unit seedval knows, for parsing program files.
std::optional<Unit> unit_from_symbol(std::string_view symbol) noexcept;

/// Human-readable value with an SI prefix where the unit takes one (binary prefixes for bytes),
/// 4 significant digits.
std::string format_quantity(double value, Unit unit);

}  // namespace seedval

#include <array>
#include <cmath>

#include <fmt/core.h>

#include <seedval/core/units.h>

namespace seedval {
namespace {
constexpr std::array kAll{units::none,   units::count, units::ratio, units::percent,        units::volt,
                          units::ampere, units::watt,  units::hertz, units::second,         units::celsius,
                          units::byte,   units::bit,   units::ohm,   units::byte_per_second};
}

std::optional<Unit> unit_from_symbol(std::string_view symbol) noexcept {
  for (const Unit& u : kAll)
    if (u.symbol == symbol) return u;
  return std::nullopt;
}

std::string format_quantity(double value, Unit unit) {
  // A count reads best as a bare number: "3", not "3 count".
  const std::string_view symbol = unit == units::count ? std::string_view() : unit.symbol;
  std::string_view sep = symbol.empty() ? "" : " ";
  if ((unit == units::byte || unit == units::byte_per_second) && std::isfinite(value) &&
      std::fabs(value) >= 1024.0) {
    static constexpr const char* kBinary[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    double v = value / 1024.0;
    int i = 0;
    // Promote where 4 significant digits would round up to 1024 anyway (1048575 B is "1 MiB").
    while (std::fabs(v) >= 1023.95 && i < 4) {
      v /= 1024.0;
      ++i;
    }
    return fmt::format("{:.4g} {}{}", v, kBinary[i], unit == units::byte_per_second ? "/s" : "");
  }
  if (!unit.prefixable || value == 0.0 || !std::isfinite(value))
    return fmt::format("{:.4g}{}{}", value, sep, symbol);
  struct Prefix {
    double scale;
    const char* symbol;
  };
  static constexpr Prefix kPrefixes[] = {{1e12, "T"}, {1e9, "G"},  {1e6, "M"},  {1e3, "k"},  {1.0, ""},
                                         {1e-3, "m"}, {1e-6, "u"}, {1e-9, "n"}, {1e-12, "p"}};
  double mag = std::fabs(value);
  for (const auto& p : kPrefixes)
    if (mag >= p.scale * 0.9995) return fmt::format("{:.4g} {}{}", value / p.scale, p.symbol, unit.symbol);
  return fmt::format("{:.4g} p{}", value / 1e-12, unit.symbol);
}

}  // namespace seedval

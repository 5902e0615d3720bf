// Small string helpers for messages.
#pragma once

#include <string>
#include <string_view>

namespace seedval {

/// The items of `range` (anything whose elements convert to std::string_view) separated by `sep`:
/// join(names) -> "a, b, c".
template <typename Range>
std::string join(const Range& range, std::string_view sep = ", ") {
  std::string out;
  for (const auto& item : range) {
    if (!out.empty()) out += sep;
    out += std::string_view(item);
  }
  return out;
}

/// join() over a projection: join_by(tests, [](const auto& t) -> std::string_view { return t.name; }).
template <typename Range, typename Projection>
std::string join_by(const Range& range, Projection proj, std::string_view sep = ", ") {
  std::string out;
  for (const auto& item : range) {
    if (!out.empty()) out += sep;
    out += std::string_view(proj(item));
  }
  return out;
}

}  // namespace seedval

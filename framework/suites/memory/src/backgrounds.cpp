#include <bit>
#include <charconv>

#include <fmt/core.h>

#include <seedval/core/error.h>
#include <seedval/memory/backgrounds.h>

namespace seedval::memory {
namespace {

constexpr std::uint64_t kWordPatterns[] = {
    0x5555555555555555ull, 0x3333333333333333ull, 0x0F0F0F0F0F0F0F0Full,
    0x00FF00FF00FF00FFull, 0x0000FFFF0000FFFFull, 0x00000000FFFFFFFFull,
};

// Word-index bit of row bit 0: rows change slowest (geometry.h).
std::uint64_t row_bit(const chip::HbmGeometry& g) {
  return g.words() / g.rows;  // a power of two
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

}  // namespace

std::vector<NamedBackground> word_backgrounds() {
  std::vector<NamedBackground> out{{"solid", {0, 0}}};
  for (std::size_t i = 0; i < std::size(kWordPatterns); ++i)
    out.push_back({fmt::format("word-{}", i + 1), {kWordPatterns[i], 0}});
  return out;
}

std::string background_names() {
  return "solid, word-1..word-6, word, checkerboard, row-stripes, column-stripes, walking-byte, 0x<64-bit "
         "value>";
}

std::vector<NamedBackground> parse_backgrounds(std::string_view list, const chip::HbmGeometry& g) {
  std::vector<NamedBackground> out;
  const auto words = word_backgrounds();
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    const std::string_view item = trim(list.substr(0, comma));
    list.remove_prefix(comma == std::string_view::npos ? list.size() : comma + 1);
    if (item.empty()) continue;
    bool found = false;
    for (const auto& w : words)
      if (item == w.name) {
        out.push_back(w);
        found = true;
      }
    if (found) continue;
    if (item == "word") {
      out.insert(out.end(), words.begin(), words.end());
    } else if (item == "checkerboard") {
      out.push_back({"checkerboard", {0x5555555555555555ull, 1 | row_bit(g)}});
    } else if (item == "row-stripes") {
      out.push_back({"row-stripes", {0, row_bit(g)}});
    } else if (item == "column-stripes") {
      out.push_back({"column-stripes", {0, 1}});
    } else if (item == "walking-byte") {
      for (int b = 0; b < 8; ++b)
        out.push_back({fmt::format("walking-byte-{}", b), {0x0101010101010101ull << b, 0}});
    } else if (item.starts_with("0x") || item.starts_with("0X")) {
      std::uint64_t v = 0;
      const auto digits = item.substr(2);
      const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v, 16);
      if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size())
        throw InvalidArgumentError(ErrorCode::invalid_argument,
                                   fmt::format("background \"{}\" is not a 64-bit hexadecimal value", item));
      out.push_back({fmt::format("0x{:016x}", v), {v, 0}});
    } else {
      throw InvalidArgumentError(
          ErrorCode::invalid_argument,
          fmt::format("unknown background \"{}\" (known: {})", item, background_names()));
    }
  }
  if (out.empty()) throw InvalidArgumentError(ErrorCode::invalid_argument, "no background given");
  return out;
}

}  // namespace seedval::memory

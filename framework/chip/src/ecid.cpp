#include <optional>

#include <fmt/core.h>

#include <seedval/chip/identity.h>
#include <seedval/core/error.h>

namespace seedval::chip {
namespace {

int char_code(char c) {
  if (c >= '0' && c <= '9') return 1 + (c - '0');
  if (c >= 'A' && c <= 'Z') return 11 + (c - 'A');
  return -1;
}

char code_char(int v) {
  return v <= 10 ? static_cast<char>('0' + v - 1) : static_cast<char>('A' + v - 11);
}

std::uint64_t check_bits(std::uint64_t payload57) {
  std::uint64_t c = 0;
  for (int shift = 0; shift < 57; shift += 7) c ^= (payload57 >> shift) & 0x7F;
  return c;
}

}  // namespace

std::string to_string(const DieId& d) {
  return fmt::format("{}-W{:02}-X{:03}-Y{:03}", d.lot, d.wafer, d.x, d.y);
}

void validate(const DieId& d) {
  if (d.lot.empty() || d.lot.size() > 6)
    throw InvalidArgumentError(ErrorCode::invalid_argument,
                               fmt::format("lot id \"{}\" must have 1 to 6 characters", d.lot));
  for (char c : d.lot)
    if (char_code(c) < 0)
      throw InvalidArgumentError(ErrorCode::invalid_argument,
                                 fmt::format("lot id \"{}\" may hold only 0-9 and A-Z", d.lot));
  if (d.wafer < 1 || d.wafer > 25)
    throw InvalidArgumentError(ErrorCode::invalid_argument,
                               fmt::format("wafer {} is outside 1..25", d.wafer));
  if (d.x < 0 || d.x > 255 || d.y < 0 || d.y > 255)
    throw InvalidArgumentError(ErrorCode::invalid_argument,
                               fmt::format("die ({}, {}) is outside 0..255", d.x, d.y));
}

namespace {

// Reads 1 to 3 decimal digits at text[pos], advancing pos; nullopt if there are none or too many.
std::optional<int> read_number(std::string_view text, std::size_t& pos) {
  std::size_t start = pos;
  int v = 0;
  while (pos < text.size() && pos - start < 4 && text[pos] >= '0' && text[pos] <= '9')
    v = v * 10 + (text[pos++] - '0');
  if (pos == start || pos - start > 3) return std::nullopt;
  return v;
}

std::optional<DieId> parse_die_form(std::string_view text, char sep, bool labelled) {
  DieId d;
  std::size_t pos = 0;
  while (pos < text.size() && text[pos] != sep) d.lot.push_back(text[pos++]);
  for (char label : {'W', 'X', 'Y'}) {
    if (pos >= text.size() || text[pos++] != sep) return std::nullopt;
    if (labelled && (pos >= text.size() || text[pos++] != label)) return std::nullopt;
    auto v = read_number(text, pos);
    if (!v) return std::nullopt;
    (label == 'W' ? d.wafer : label == 'X' ? d.x : d.y) = *v;
  }
  if (pos != text.size()) return std::nullopt;
  return d;
}

}  // namespace

DieId parse_die_id(std::string_view text) {
  auto d = parse_die_form(text, '-', true);
  if (!d) d = parse_die_form(text, ':', false);
  if (!d)
    throw InvalidArgumentError(
        ErrorCode::invalid_argument,
        fmt::format("die \"{}\" is not of the form LOT-W01-X010-Y020 or LOT:1:10:20", text));
  validate(*d);
  return *d;
}

std::uint64_t encode_ecid(const DieId& d) {
  validate(d);
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < d.lot.size(); ++i) v |= std::uint64_t(char_code(d.lot[i])) << (6 * i);
  v |= std::uint64_t(d.wafer) << 36;
  v |= std::uint64_t(d.x) << 41;
  v |= std::uint64_t(d.y) << 49;
  return v | (check_bits(v) << 57);
}

DieId decode_ecid(std::uint64_t ecid) {
  const std::uint64_t payload = ecid & ((std::uint64_t{1} << 57) - 1);
  if ((ecid >> 57) != check_bits(payload))
    throw DeviceError(ErrorCode::device,
                      fmt::format("ECID 0x{:016x} fails its check bits (misread fuses?)", ecid));
  DieId d;
  bool ended = false;
  for (int i = 0; i < 6; ++i) {
    int code = static_cast<int>((payload >> (6 * i)) & 0x3F);
    if (code == 0) {
      ended = true;
      continue;
    }
    if (ended || code > 36)
      throw DeviceError(ErrorCode::device, fmt::format("ECID 0x{:016x} holds an invalid lot id", ecid));
    d.lot.push_back(code_char(code));
  }
  d.wafer = static_cast<int>((payload >> 36) & 0x1F);
  d.x = static_cast<int>((payload >> 41) & 0xFF);
  d.y = static_cast<int>((payload >> 49) & 0xFF);
  if (d.lot.empty() || d.wafer < 1 || d.wafer > 25)
    throw DeviceError(ErrorCode::device, fmt::format("ECID 0x{:016x} holds no valid lot and wafer", ecid));
  return d;
}

}  // namespace seedval::chip

#include <bit>

#include <fmt/core.h>

#include <seedval/chip/geometry.h>
#include <seedval/core/error.h>
#include <seedval/core/units.h>

namespace seedval::chip {
namespace {

constexpr int kBurstBits = 2;  // column[1:0]: 4 words, one 32-byte burst

int log2u(std::uint32_t v) noexcept {
  return std::countr_zero(v);
}

std::uint64_t field(std::uint64_t word, int& shift, int bits) noexcept {
  const std::uint64_t v = (word >> shift) & ((std::uint64_t{1} << bits) - 1);
  shift += bits;
  return v;
}

void put(std::uint64_t& word, int& shift, int bits, std::uint64_t v) noexcept {
  word |= v << shift;
  shift += bits;
}

}  // namespace

std::string to_string(const PhysicalAddress& p) {
  return fmt::format("s{}.ch{}.b{}.r{:04}.c{:03}", p.stack, p.channel, p.bank, p.row, p.column);
}

void HbmGeometry::validate() const {
  auto check = [](std::string_view what, std::uint32_t v, std::uint32_t lo, std::uint32_t hi) {
    if (v < lo || v > hi || !std::has_single_bit(v))
      throw InvalidArgumentError(
          ErrorCode::invalid_argument,
          fmt::format("HBM {} = {} must be a power of two from {} to {}", what, v, lo, hi));
  };
  check("stacks", stacks, 1, 8);
  check("channels", channels, 1, 16);
  check("banks", banks, 1, 64);
  check("rows", rows, 1, 1u << 20);
  check("columns", columns, 4, 1u << 12);
  if (bytes() > (std::uint64_t{1} << 40))
    throw InvalidArgumentError(ErrorCode::invalid_argument,
                               fmt::format("HBM of {} exceeds 1 TiB", describe()));
}

HbmGeometry HbmGeometry::for_size(std::uint64_t bytes) {
  HbmGeometry g;
  const std::uint64_t row_set = std::uint64_t{g.stacks} * g.channels * g.banks * g.columns * 8;
  if (bytes < row_set || !std::has_single_bit(bytes) || bytes / row_set > (1u << 20))
    throw InvalidArgumentError(ErrorCode::invalid_argument,
                               fmt::format("HBM size of {} bytes is not a power of two from {} to {}", bytes,
                                           format_quantity(static_cast<double>(row_set), units::byte),
                                           format_quantity(static_cast<double>(row_set << 20), units::byte)));
  g.rows = static_cast<std::uint32_t>(bytes / row_set);
  g.validate();
  return g;
}

PhysicalAddress HbmGeometry::to_physical(std::uint64_t word) const noexcept {
  int shift = 0;
  const int col_bits = log2u(columns);
  PhysicalAddress p;
  const auto col_lo = field(word, shift, kBurstBits);
  p.channel = static_cast<std::uint32_t>(field(word, shift, log2u(channels)));
  p.stack = static_cast<std::uint32_t>(field(word, shift, log2u(stacks)));
  p.bank = static_cast<std::uint32_t>(field(word, shift, log2u(banks)));
  const auto col_hi = field(word, shift, col_bits - kBurstBits);
  p.row = static_cast<std::uint32_t>(field(word, shift, log2u(rows)));
  p.column = static_cast<std::uint32_t>(col_lo | (col_hi << kBurstBits));
  return p;
}

std::uint64_t HbmGeometry::to_word(const PhysicalAddress& p) const noexcept {
  std::uint64_t w = 0;
  int shift = 0;
  const int col_bits = log2u(columns);
  put(w, shift, kBurstBits, p.column & ((1u << kBurstBits) - 1));
  put(w, shift, log2u(channels), p.channel);
  put(w, shift, log2u(stacks), p.stack);
  put(w, shift, log2u(banks), p.bank);
  put(w, shift, col_bits - kBurstBits, p.column >> kBurstBits);
  put(w, shift, log2u(rows), p.row);
  return w;
}

std::uint32_t HbmGeometry::encode() const noexcept {
  return static_cast<std::uint32_t>(log2u(stacks) | log2u(channels) << 5 | log2u(banks) << 10 |
                                    log2u(rows) << 15 | log2u(columns) << 20);
}

HbmGeometry HbmGeometry::decode(std::uint32_t reg) {
  HbmGeometry g;
  auto dim = [&](int shift) { return std::uint32_t{1} << ((reg >> shift) & 31u); };
  g.stacks = dim(0);
  g.channels = dim(5);
  g.banks = dim(10);
  g.rows = dim(15);
  g.columns = dim(20);
  try {
    g.validate();
  } catch (const Error& e) {
    throw DeviceError(ErrorCode::device,
                      fmt::format("HBM_GEOMETRY 0x{:08x} does not decode: {}", reg, e.message()));
  }
  return g;
}

std::string HbmGeometry::describe() const {
  return fmt::format("{} stacks × {} channels × {} banks × {} rows × {} columns ({})", stacks, channels,
                     banks, rows, columns, format_quantity(static_cast<double>(bytes()), units::byte));
}

}  // namespace seedval::chip

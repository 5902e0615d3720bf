#include <cmath>
#include <cstdint>
#include <limits>

#include <seedval/chip/numeric.h>

namespace seedval::chip {
namespace {

template <typename Q>
Q quantize(float x, float scale, Q zero_point) noexcept {
  constexpr auto lo = static_cast<float>(std::numeric_limits<Q>::min());
  constexpr auto hi = static_cast<float>(std::numeric_limits<Q>::max());
  const float r = round_half_even(x / scale);
  if (std::isnan(r)) return zero_point;
  // Saturate in float before converting: r + zero_point is exact for every r that does not saturate.
  const float v = r + static_cast<float>(zero_point);
  if (v <= lo) return std::numeric_limits<Q>::min();
  if (v >= hi) return std::numeric_limits<Q>::max();
  return static_cast<Q>(static_cast<int>(v));
}

// Maps the bits of a sign-magnitude float of `width` bits onto a line where adjacent values are
// adjacent integers (and +0, -0 coincide).
std::int64_t ordinal(std::uint32_t bits, int width) noexcept {
  const std::uint32_t sign_bit = 1u << (width - 1);
  const std::int64_t magnitude = bits & (sign_bit - 1u);
  return (bits & sign_bit) != 0 ? -magnitude : magnitude;
}

std::uint64_t distance(std::int64_t a, std::int64_t b) noexcept {
  return a > b ? static_cast<std::uint64_t>(a - b) : static_cast<std::uint64_t>(b - a);
}

}  // namespace

float round_half_even(float x) noexcept {
  if (!std::isfinite(x) || std::fabs(x) >= 0x1p23f) return x;  // already an integer (or inf/NaN)
  const float t = std::trunc(x);
  const float frac = std::fabs(x - t);  // exact for |x| < 2^23
  if (frac < 0.5f) return t;
  const float away = t + std::copysign(1.0f, x);
  if (frac > 0.5f) return away;
  return std::fmod(t, 2.0f) == 0.0f ? t : away;
}

std::int8_t quantize_int8(float x, float scale, std::int8_t zero_point) noexcept {
  return quantize<std::int8_t>(x, scale, zero_point);
}

std::uint8_t quantize_uint8(float x, float scale, std::uint8_t zero_point) noexcept {
  return quantize<std::uint8_t>(x, scale, zero_point);
}

float dequantize(std::int8_t q, float scale, std::int8_t zero_point) noexcept {
  return static_cast<float>(int{q} - int{zero_point}) * scale;
}

float dequantize(std::uint8_t q, float scale, std::uint8_t zero_point) noexcept {
  return static_cast<float>(int{q} - int{zero_point}) * scale;
}

std::uint64_t ulp_distance(float a, float b) noexcept {
  if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<std::uint64_t>::max();
  return distance(ordinal(float_bits(a), 32), ordinal(float_bits(b), 32));
}

std::uint64_t ulp_distance_fp16(std::uint16_t a, std::uint16_t b) noexcept {
  if (fp16_is_nan(a) || fp16_is_nan(b)) return std::numeric_limits<std::uint64_t>::max();
  return distance(ordinal(a, 16), ordinal(b, 16));
}

std::uint64_t ulp_distance_bf16(std::uint16_t a, std::uint16_t b) noexcept {
  if (bf16_is_nan(a) || bf16_is_nan(b)) return std::numeric_limits<std::uint64_t>::max();
  return distance(ordinal(a, 16), ordinal(b, 16));
}

}  // namespace seedval::chip

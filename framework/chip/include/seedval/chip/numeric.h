// Reduced-precision numerics shared by the chip model and the host's golden reference: BF16 and FP16
// conversions, ONNX-style INT8 quantisation, and distances in units in the last place.
//
// Reduced-precision values travel as their bit patterns (std::uint16_t), exactly as they sit in device
// memory. Widening to float is exact; narrowing rounds to nearest, ties to even, whatever the current
// floating-point rounding mode.
//
//   std::uint16_t h = chip::float_to_fp16(1.0f / 3.0f);   // 0x3555
//   float back = chip::fp16_to_float(h);                  // 0.333251953125f
//   std::int8_t q = chip::quantize_int8(2.5f, 1.0f, 0);   // 2 (half to even)
//
// NaN: narrowing keeps the sign and the top payload bits and always gives a quiet NaN (a signalling NaN
// whose payload would vanish still comes back as NaN); widening copies the bits unchanged. Overflow:
// FP16 rounds to infinity at and above 65520 (the half-way point above 65504); BF16 at and above
// 0x1.ff8p127. Subnormals of both types are produced and read exactly.
#pragma once

#include <bit>
#include <cstdint>

namespace seedval::chip {

/// The IEEE binary32 bits of `f` and back.
constexpr std::uint32_t float_bits(float f) noexcept {
  return std::bit_cast<std::uint32_t>(f);
}
constexpr float float_from_bits(std::uint32_t bits) noexcept {
  return std::bit_cast<float>(bits);
}

// ---- BF16: the upper half of a binary32 ----

/// Widens a BF16 bit pattern to float (exact).
constexpr float bf16_to_float(std::uint16_t h) noexcept {
  return float_from_bits(std::uint32_t{h} << 16);
}

/// Rounds `f` to BF16 (nearest, ties to even).
constexpr std::uint16_t float_to_bf16(float f) noexcept {
  const std::uint32_t x = float_bits(f);
  if ((x & 0x7FFFFFFFu) > 0x7F800000u)  // NaN: keep sign and top payload, force quiet
    return static_cast<std::uint16_t>((x >> 16) | 0x0040u);
  const std::uint32_t lsb = (x >> 16) & 1u;
  // Carries propagate into the exponent, so the largest finite values round up to infinity correctly.
  return static_cast<std::uint16_t>((x + 0x7FFFu + lsb) >> 16);
}

// ---- FP16: IEEE binary16 ----

/// Widens an FP16 bit pattern to float (exact, including subnormals; NaN payload bits are kept).
constexpr float fp16_to_float(std::uint16_t h) noexcept {
  const std::uint32_t sign = std::uint32_t{h & 0x8000u} << 16;
  const std::uint32_t exp = (h >> 10) & 0x1Fu;
  std::uint32_t mant = h & 0x3FFu;
  if (exp == 0x1F) return float_from_bits(sign | 0x7F800000u | (mant << 13));  // inf, NaN
  if (exp != 0) return float_from_bits(sign | ((exp + 112u) << 23) | (mant << 13));
  if (mant == 0) return float_from_bits(sign);  // ±0
  // Subnormal: normalise into a binary32 normal.
  std::uint32_t e = 113;  // binary32 biased exponent of 2^-14
  while ((mant & 0x400u) == 0) {
    mant <<= 1;
    --e;
  }
  return float_from_bits(sign | (e << 23) | ((mant & 0x3FFu) << 13));
}

/// Rounds `f` to FP16 (nearest, ties to even; overflow to ±infinity, underflow to subnormals or ±0).
constexpr std::uint16_t float_to_fp16(float f) noexcept {
  const std::uint32_t x = float_bits(f);
  const auto sign = static_cast<std::uint16_t>((x >> 16) & 0x8000u);
  std::uint32_t a = x & 0x7FFFFFFFu;
  if (a > 0x7F800000u)  // NaN
    return static_cast<std::uint16_t>(sign | 0x7E00u | ((a >> 13) & 0x3FFu));
  if (a >= 0x477FF000u) return static_cast<std::uint16_t>(sign | 0x7C00u);  // ≥ 65520, or inf
  if (a >= 0x38800000u) {                                                   // normal result
    a += 0xFFFu + ((a >> 13) & 1u);
    return static_cast<std::uint16_t>(sign | ((a - 0x38000000u) >> 13));
  }
  if (a <= 0x33000000u) return sign;  // ≤ 2^-25 (the tie with the smallest subnormal goes to 0)
  // Subnormal result in units of 2^-24: significand m × 2^(e-150) = m × 2^-24 / 2^(126-e).
  const std::uint32_t e = a >> 23;  // 102..112
  const std::uint32_t m = (a & 0x7FFFFFu) | 0x800000u;
  const std::uint32_t shift = 126u - e;  // 14..24
  std::uint32_t r = m >> shift;
  const std::uint32_t rest = m & ((1u << shift) - 1u);
  const std::uint32_t half = 1u << (shift - 1u);
  if (rest > half || (rest == half && (r & 1u) != 0)) ++r;  // may carry into the smallest normal
  return static_cast<std::uint16_t>(sign | r);
}

/// `f` rounded to the nearest BF16 / FP16 value, as a float.
constexpr float round_to_bf16(float f) noexcept {
  return bf16_to_float(float_to_bf16(f));
}
constexpr float round_to_fp16(float f) noexcept {
  return fp16_to_float(float_to_fp16(f));
}

constexpr bool fp16_is_nan(std::uint16_t h) noexcept {
  return (h & 0x7FFFu) > 0x7C00u;
}
constexpr bool bf16_is_nan(std::uint16_t h) noexcept {
  return (h & 0x7FFFu) > 0x7F80u;
}

// ---- INT8 quantisation (ONNX QuantizeLinear / DequantizeLinear) ----

/// q = saturate(round_half_to_even(x / scale) + zero_point), the division in float. NaN gives the zero
/// point; ±infinity saturate. `scale` should be positive and finite (not checked: a zero scale
/// saturates every non-zero x).
std::int8_t quantize_int8(float x, float scale, std::int8_t zero_point) noexcept;
std::uint8_t quantize_uint8(float x, float scale, std::uint8_t zero_point) noexcept;

/// x = (q - zero_point) × scale, in float.
float dequantize(std::int8_t q, float scale, std::int8_t zero_point) noexcept;
float dequantize(std::uint8_t q, float scale, std::uint8_t zero_point) noexcept;

/// round_half_to_even(x) as float (independent of the current rounding mode). NaN and ±inf pass.
float round_half_even(float x) noexcept;

// ---- Distances in units in the last place ----

/// How many representable values lie between `a` and `b` (0 when equal; +0 and -0 are equal). A NaN
/// on either side gives UINT64_MAX. For the golden reference's tolerances.
std::uint64_t ulp_distance(float a, float b) noexcept;
/// The same for FP16 and BF16 bit patterns.
std::uint64_t ulp_distance_fp16(std::uint16_t a, std::uint16_t b) noexcept;
std::uint64_t ulp_distance_bf16(std::uint16_t a, std::uint16_t b) noexcept;

}  // namespace seedval::chip

// Tests for seedval/chip/numeric.h: exhaustive BF16 and FP16 conversions against slow references built
// here from the definitions (nearest value in a table of every finite value, ties to the even pattern),
// ONNX quantisation and ULP distances.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <seedval/chip/numeric.h>

namespace seedval::chip {
namespace {

// A 16-bit format described by its field widths, decoded with ldexp (no bit tricks shared with the
// code under test).
struct Format16 {
  int mant_bits;  // 10 for FP16, 7 for BF16
  int bias;       // 15, 127

  int exp_bits() const { return 15 - mant_bits; }
  std::uint16_t exp_max() const { return static_cast<std::uint16_t>((1 << exp_bits()) - 1); }
  bool is_nan(std::uint16_t h) const {
    return ((h >> mant_bits) & exp_max()) == exp_max() && (h & ((1 << mant_bits) - 1)) != 0;
  }
  double value(std::uint16_t h) const {
    const int e = (h >> mant_bits) & exp_max();
    const int m = h & ((1 << mant_bits) - 1);
    const double sign = (h & 0x8000) != 0 ? -1.0 : 1.0;
    if (e == exp_max()) return m == 0 ? sign * HUGE_VAL : std::nan("");
    if (e == 0) return sign * std::ldexp(m, 1 - bias - mant_bits);
    return sign * std::ldexp(m + (1 << mant_bits), e - bias - mant_bits);
  }
  // The value infinity would have if the exponent range went on: where overflow rounding switches.
  double beyond_max() const { return std::ldexp(1.0, exp_max() - bias); }
};

constexpr Format16 kFp16{10, 15};
constexpr Format16 kBf16{7, 127};

// Slow reference rounding: binary search in the sorted table of non-negative finite values (plus
// "infinity" at beyond_max), nearest wins, a tie goes to the even bit pattern.
class SlowRounder {
 public:
  explicit SlowRounder(Format16 f) : f_(f) {
    const auto inf = static_cast<std::uint16_t>(f.exp_max() << f.mant_bits);
    for (std::uint32_t h = 0; h < inf; ++h) {
      patterns_.push_back(static_cast<std::uint16_t>(h));
      values_.push_back(f.value(static_cast<std::uint16_t>(h)));
    }
    patterns_.push_back(inf);
    values_.push_back(f.beyond_max());
  }

  std::uint16_t round(float x) const {
    if (std::isnan(x)) return 0x7FFF;  // callers check NaN separately
    const auto sign = static_cast<std::uint16_t>(std::signbit(x) ? 0x8000 : 0);
    const double a = std::fabs(static_cast<double>(x));
    if (a >= values_.back()) return sign | patterns_.back();
    const auto it = std::upper_bound(values_.begin(), values_.end(), a);
    const auto hi = static_cast<std::size_t>(it - values_.begin());  // values_[hi-1] <= a < values_[hi]
    const std::size_t lo = hi - 1;
    const double dlo = a - values_[lo], dhi = values_[hi] - a;
    std::size_t pick = dlo < dhi ? lo : hi;
    if (dlo == dhi) pick = (patterns_[lo] & 1) == 0 ? lo : hi;
    return sign | patterns_[pick];
  }

  // Every finite non-negative value, and the midpoints between neighbours with a float ulp either side.
  std::vector<float> interesting() const {
    std::vector<float> out;
    for (std::size_t i = 0; i + 1 < values_.size(); ++i) {
      const auto v = static_cast<float>(values_[i]);
      const auto mid = static_cast<float>((values_[i] + values_[i + 1]) / 2);
      BOOST_REQUIRE(static_cast<double>(mid) == (values_[i] + values_[i + 1]) / 2);  // midpoints are floats
      for (const float x : {v, mid, std::nextafter(mid, 0.0f), std::nextafter(mid, HUGE_VALF)}) {
        out.push_back(x);
        out.push_back(-x);
      }
    }
    return out;
  }

 private:
  Format16 f_;
  std::vector<std::uint16_t> patterns_;
  std::vector<double> values_;
};

// A deterministic stream of float bit patterns for random sweeps (SplitMix64).
struct Bits {
  std::uint64_t state;
  std::uint32_t next() {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return static_cast<std::uint32_t>((z ^ (z >> 31)) >> 32);
  }
};

float from_bits(std::uint32_t b) {
  return std::bit_cast<float>(b);
}
std::uint32_t to_bits(float f) {
  return std::bit_cast<std::uint32_t>(f);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(chip_numeric)

BOOST_AUTO_TEST_CASE(fp16_widening_matches_the_definition_for_every_pattern) {
  int mismatches = 0;
  for (std::uint32_t h = 0; h <= 0xFFFF; ++h) {
    const auto p = static_cast<std::uint16_t>(h);
    const float f = fp16_to_float(p);
    if (kFp16.is_nan(p)) {
      if (!std::isnan(f) || std::signbit(f) != ((h & 0x8000) != 0)) ++mismatches;
      continue;
    }
    if (static_cast<double>(f) != kFp16.value(p) || std::signbit(f) != ((h & 0x8000) != 0)) {
      if (++mismatches < 5) BOOST_ERROR("fp16 0x" << std::hex << h << " widens to " << f);
    }
  }
  BOOST_TEST(mismatches == 0);
}

BOOST_AUTO_TEST_CASE(bf16_widening_matches_the_definition_for_every_pattern) {
  int mismatches = 0;
  for (std::uint32_t h = 0; h <= 0xFFFF; ++h) {
    const auto p = static_cast<std::uint16_t>(h);
    const float f = bf16_to_float(p);
    if (kBf16.is_nan(p)) {
      if (!std::isnan(f)) ++mismatches;
      continue;
    }
    if (static_cast<double>(f) != kBf16.value(p) || std::signbit(f) != ((h & 0x8000) != 0)) ++mismatches;
  }
  BOOST_TEST(mismatches == 0);
}

BOOST_AUTO_TEST_CASE(every_fp16_and_bf16_pattern_round_trips_through_float) {
  for (std::uint32_t h = 0; h <= 0xFFFF; ++h) {
    const auto p = static_cast<std::uint16_t>(h);
    BOOST_TEST_CONTEXT("pattern 0x" << std::hex << h) {
      const auto h16 = float_to_fp16(fp16_to_float(p));
      const auto b16 = float_to_bf16(bf16_to_float(p));
      if (!kFp16.is_nan(p)) {
        BOOST_TEST(h16 == p);
      } else {
        // NaN stays NaN with its sign and payload; a signalling NaN comes back quiet.
        BOOST_TEST(h16 == (p | 0x0200));
      }
      if (!kBf16.is_nan(p)) {
        BOOST_TEST(b16 == p);
      } else {
        BOOST_TEST(b16 == (p | 0x0040));
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(fp16_rounding_matches_the_slow_reference) {
  const SlowRounder ref(kFp16);
  std::vector<float> xs = ref.interesting();
  Bits bits{1};
  for (int i = 0; i < 300'000; ++i) xs.push_back(from_bits(bits.next()));
  // Around the overflow threshold and the subnormal range.
  for (const float x : {65504.0f, 65519.0f, 65519.996f, 65520.0f, 65520.004f, 65536.0f, 1e10f, HUGE_VALF,
                        std::numeric_limits<float>::max(), 0x1p-24f, 0x1p-25f, 0x1.000002p-25f, 0x1.8p-24f,
                        0x1p-26f, 0x1p-149f, 0x1p-126f, 0x1.ffcp-15f, 0x1.ffep-15f, 0.0f})
    for (const float s : {1.0f, -1.0f}) xs.push_back(s * x);
  std::size_t mismatches = 0, nans = 0;
  for (const float x : xs) {
    if (std::isnan(x)) {
      ++nans;
      const auto h = float_to_fp16(x);
      if (!fp16_is_nan(h) || (h & 0x8000) != ((to_bits(x) >> 16) & 0x8000) || (h & 0x0200) == 0) ++mismatches;
      continue;
    }
    const auto got = float_to_fp16(x);
    const auto want = ref.round(x);
    if (got != want && ++mismatches <= 5)
      BOOST_ERROR("fp16(" << x << " = 0x" << std::hex << to_bits(x) << "): got 0x" << got << ", want 0x"
                          << want);
  }
  BOOST_TEST(mismatches == 0u);
  BOOST_TEST(nans > 0u);  // the random sweep reaches NaN patterns too
  BOOST_TEST_MESSAGE("fp16: " << xs.size() << " values checked");
}

BOOST_AUTO_TEST_CASE(bf16_rounding_matches_the_slow_reference) {
  const SlowRounder ref(kBf16);
  std::vector<float> xs = ref.interesting();
  Bits bits{2};
  for (int i = 0; i < 300'000; ++i) xs.push_back(from_bits(bits.next()));
  for (const float x : {std::numeric_limits<float>::max(), 0x1.fep127f, 0x1.ff8p127f, 0x1.ff7ffep127f,
                        std::numeric_limits<float>::denorm_min(), 0x1p-133f, 0x1.8p-133f, HUGE_VALF, 0.0f})
    for (const float s : {1.0f, -1.0f}) xs.push_back(s * x);
  std::size_t mismatches = 0;
  for (const float x : xs) {
    if (std::isnan(x)) {
      const auto h = float_to_bf16(x);
      if (!bf16_is_nan(h) || (h & 0x8000) != ((to_bits(x) >> 16) & 0x8000) || (h & 0x0040) == 0) ++mismatches;
      continue;
    }
    const auto got = float_to_bf16(x);
    const auto want = ref.round(x);
    if (got != want && ++mismatches <= 5)
      BOOST_ERROR("bf16(" << x << " = 0x" << std::hex << to_bits(x) << "): got 0x" << got << ", want 0x"
                          << want);
  }
  BOOST_TEST(mismatches == 0u);
}

BOOST_AUTO_TEST_CASE(midpoints_round_to_even) {
  // FP16 around 1: spacing 2^-10. 1 + 2^-11 lies between 0x3C00 (even) and 0x3C01: goes down;
  // 1 + 3·2^-11 lies between 0x3C01 and 0x3C02 (even): goes up.
  BOOST_TEST(float_to_fp16(1.0f + 0x1p-11f) == 0x3C00);
  BOOST_TEST(float_to_fp16(1.0f + 3 * 0x1p-11f) == 0x3C02);
  BOOST_TEST(float_to_fp16(1.0f + 0x1p-11f + 0x1p-23f) == 0x3C01);  // just above the midpoint
  BOOST_TEST(float_to_fp16(-(1.0f + 3 * 0x1p-11f)) == 0xBC02);
  // BF16 around 1: spacing 2^-7.
  BOOST_TEST(float_to_bf16(1.0f + 0x1p-8f) == 0x3F80);
  BOOST_TEST(float_to_bf16(1.0f + 3 * 0x1p-8f) == 0x3F82);
  BOOST_TEST(float_to_bf16(1.0f + 0x1p-8f + 0x1p-23f) == 0x3F81);
  // Subnormal FP16 midpoints: 2^-25 is half the smallest subnormal (ties to 0), 3·2^-25 ties to 2·2^-24.
  BOOST_TEST(float_to_fp16(0x1p-25f) == 0x0000);
  BOOST_TEST(float_to_fp16(3 * 0x1p-25f) == 0x0002);
  BOOST_TEST(float_to_fp16(-0x1p-25f) == 0x8000);
  // The largest subnormal rounds up into the smallest normal.
  BOOST_TEST(float_to_fp16(0x1.ffep-15f) == 0x0400);
}

BOOST_AUTO_TEST_CASE(overflow_goes_to_infinity) {
  BOOST_TEST(float_to_fp16(65504.0f) == 0x7BFF);
  BOOST_TEST(float_to_fp16(65519.99f) == 0x7BFF);
  BOOST_TEST(float_to_fp16(65520.0f) == 0x7C00);  // the midpoint to 2^16 ties to the even pattern: inf
  BOOST_TEST(float_to_fp16(-1e6f) == 0xFC00);
  BOOST_TEST(float_to_fp16(HUGE_VALF) == 0x7C00);
  BOOST_TEST(float_to_bf16(std::numeric_limits<float>::max()) == 0x7F80);
  BOOST_TEST(float_to_bf16(0x1.fep127f) == 0x7F7F);
  BOOST_TEST(float_to_bf16(-HUGE_VALF) == 0xFF80);
  BOOST_TEST(std::isinf(round_to_fp16(1e5f)));
  BOOST_TEST(std::isfinite(round_to_bf16(3.0e38f)));
}

BOOST_AUTO_TEST_CASE(nan_stays_nan_and_quiet) {
  const float qnan = std::numeric_limits<float>::quiet_NaN();
  const float snan = from_bits(0x7F800001);  // payload only in bits that narrowing drops
  BOOST_TEST(fp16_is_nan(float_to_fp16(qnan)));
  BOOST_TEST(fp16_is_nan(float_to_fp16(snan)));
  BOOST_TEST(bf16_is_nan(float_to_bf16(snan)));
  BOOST_TEST(float_to_bf16(snan) == 0x7FC0);
  BOOST_TEST(float_to_fp16(snan) == 0x7E00);
  BOOST_TEST(float_to_fp16(-qnan) == 0xFE00);
  BOOST_TEST(std::isnan(fp16_to_float(0x7C01)));
  BOOST_TEST(std::isnan(bf16_to_float(0xFF81)));
  BOOST_TEST(!fp16_is_nan(0x7C00));
  BOOST_TEST(!bf16_is_nan(0xFF80));
}

BOOST_AUTO_TEST_CASE(signed_zero_and_subnormals) {
  BOOST_TEST(float_to_fp16(-0.0f) == 0x8000);
  BOOST_TEST(float_to_bf16(-0.0f) == 0x8000);
  BOOST_TEST(fp16_to_float(0x0001) == 0x1p-24f);
  BOOST_TEST(fp16_to_float(0x03FF) == 0x1.ff8p-15f);
  BOOST_TEST(bf16_to_float(0x0001) == 0x1p-133f);
  BOOST_TEST(float_to_bf16(0x1p-133f) == 0x0001);
  BOOST_TEST(float_to_fp16(std::numeric_limits<float>::denorm_min()) == 0x0000);
}

BOOST_AUTO_TEST_CASE(conversions_are_constexpr) {
  static_assert(float_to_bf16(1.0f) == 0x3F80);
  static_assert(float_to_fp16(1.0f) == 0x3C00);
  static_assert(fp16_to_float(0x3555) == 0x1.554p-2f);
  static_assert(round_to_fp16(1.0f / 3.0f) == 0x1.554p-2f);
  BOOST_TEST(float_to_fp16(1.0f / 3.0f) == 0x3555);
}

BOOST_AUTO_TEST_CASE(round_half_even_cases) {
  const float cases[][2] = {{0.5f, 0.0f},
                            {1.5f, 2.0f},
                            {2.5f, 2.0f},
                            {-0.5f, -0.0f},
                            {-1.5f, -2.0f},
                            {-2.5f, -2.0f},
                            {2.4999998f, 2},
                            {2.5000002f, 3},
                            {7.0f, 7.0f},
                            {0x1p23f, 0x1p23f},
                            {0x1.fffffep22f, 0x1p23f},
                            {-3.5f, -4.0f}};
  for (const auto& c : cases) BOOST_TEST(round_half_even(c[0]) == c[1], "round_half_even(" << c[0] << ")");
  BOOST_TEST(std::signbit(round_half_even(-0.4f)));
  BOOST_TEST(std::isnan(round_half_even(std::nanf(""))));
  BOOST_TEST(std::isinf(round_half_even(-HUGE_VALF)));
}

BOOST_AUTO_TEST_CASE(quantize_per_onnx_quantize_linear) {
  // Round half to even, then add the zero point, then saturate.
  BOOST_TEST(quantize_int8(2.5f, 1.0f, 0) == 2);
  BOOST_TEST(quantize_int8(3.5f, 1.0f, 0) == 4);
  BOOST_TEST(quantize_int8(-2.5f, 1.0f, 0) == -2);
  BOOST_TEST(quantize_int8(1.0f, 0.4f, 0) == 2);  // 1 / 0.4f is 2.5 in float: half to even
  BOOST_TEST(quantize_int8(300.0f, 1.0f, 0) == 127);
  BOOST_TEST(quantize_int8(-300.0f, 1.0f, 0) == -128);
  BOOST_TEST(quantize_int8(100.0f, 1.0f, 100) == 127);
  BOOST_TEST(quantize_int8(-1.0f, 0.5f, -127) == -128);
  BOOST_TEST(quantize_int8(HUGE_VALF, 1.0f, 0) == 127);
  BOOST_TEST(quantize_int8(std::nanf(""), 1.0f, 5) == 5);
  BOOST_TEST(quantize_uint8(-1.0f, 1.0f, 0) == 0);
  BOOST_TEST(quantize_uint8(0.5f, 1.0f, 128) == 128);
  BOOST_TEST(quantize_uint8(1.5f, 1.0f, 128) == 130);
  BOOST_TEST(quantize_uint8(1000.0f, 2.0f, 10) == 255);
  BOOST_TEST(quantize_uint8(-HUGE_VALF, 1.0f, 10) == 0);
  BOOST_TEST(dequantize(std::int8_t{-128}, 0.5f, std::int8_t{127}) == -127.5f);
  BOOST_TEST(dequantize(std::uint8_t{255}, 0.25f, std::uint8_t{0}) == 63.75f);
}

BOOST_AUTO_TEST_CASE(quantize_matches_a_double_reference_over_a_sweep) {
  Bits bits{3};
  int mismatches = 0;
  for (int i = 0; i < 200'000; ++i) {
    const float x = static_cast<float>(static_cast<int>(bits.next() % 200'001) - 100'000) / 256.0f;
    const float scale = 0.01f + static_cast<float>(bits.next() % 1000) / 100.0f;
    const int zp8 = static_cast<int>(bits.next() % 256) - 128;
    const int zpu = static_cast<int>(bits.next() % 256);
    const double q = std::nearbyint(static_cast<double>(x / scale));  // default mode: ties to even
    const auto want8 = static_cast<int>(std::clamp(q + zp8, -128.0, 127.0));
    const auto wantu = static_cast<int>(std::clamp(q + zpu, 0.0, 255.0));
    if (quantize_int8(x, scale, static_cast<std::int8_t>(zp8)) != want8) ++mismatches;
    if (quantize_uint8(x, scale, static_cast<std::uint8_t>(zpu)) != wantu) ++mismatches;
    const auto q8 = static_cast<std::int8_t>(want8);
    if (dequantize(q8, scale, static_cast<std::int8_t>(zp8)) != static_cast<float>(want8 - zp8) * scale)
      ++mismatches;
  }
  BOOST_TEST(mismatches == 0);
}

BOOST_AUTO_TEST_CASE(ulp_distances) {
  BOOST_TEST(ulp_distance(1.0f, 1.0f) == 0u);
  BOOST_TEST(ulp_distance(1.0f, std::nextafter(1.0f, 2.0f)) == 1u);
  BOOST_TEST(ulp_distance(std::nextafter(1.0f, 2.0f), 1.0f) == 1u);
  BOOST_TEST(ulp_distance(0.0f, -0.0f) == 0u);
  const float tiny = std::numeric_limits<float>::denorm_min();
  BOOST_TEST(ulp_distance(-tiny, tiny) == 2u);
  BOOST_TEST(ulp_distance(std::numeric_limits<float>::max(), HUGE_VALF) == 1u);
  BOOST_TEST(ulp_distance(1.0f, std::nanf("")) == std::numeric_limits<std::uint64_t>::max());
  BOOST_TEST(ulp_distance(-HUGE_VALF, HUGE_VALF) == 2u * 0x7F800000u);
  BOOST_TEST(ulp_distance_fp16(0x3C00, 0x3C01) == 1u);
  BOOST_TEST(ulp_distance_fp16(0x8001, 0x0001) == 2u);
  BOOST_TEST(ulp_distance_fp16(0x7C00, 0x7E00) == std::numeric_limits<std::uint64_t>::max());
  BOOST_TEST(ulp_distance_bf16(0x3F80, 0x3F90) == 16u);
  BOOST_TEST(ulp_distance_bf16(0x8000, 0x0000) == 0u);
  BOOST_TEST(ulp_distance_bf16(0x7FC0, 0x3F80) == std::numeric_limits<std::uint64_t>::max());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval::chip

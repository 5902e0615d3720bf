// Tests for the "more element-wise math" family of seedval/chip/tensor.h (Mod, IsNaN, IsInf, Tan, Asin,
// Acos, Atan, Sinh, Cosh, Asinh, Acosh, Atanh, Celu, Shrink, CastLike): hand-worked results, dtype and
// shape errors, wire round trips, and lane results.
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <seedval/chip/tensor.h>
#include <seedval/core/error.h>

#include "tensor_test_util.h"

namespace seedval::chip::test {
namespace {

constexpr auto f = DType::f32;
using V = std::vector<double>;
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

TensorOp unary(TensorOpKind k, DType t, Shape s, std::vector<Attribute> attrs = {}) {
  return make(k, {operand(t, s)}, {operand(t, s)}, std::move(attrs));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(chip_tensor_math)

BOOST_AUTO_TEST_CASE(mod_integer_and_float) {
  // Python-style (sign of the divisor) by default for integers.
  const auto m = make(TensorOpKind::mod, {operand(DType::i32, {4}), operand(DType::i32, {4})},
                      {operand(DType::i32, {4})});
  CHECK_VALUES(eval(m, {{7, -7, 7, -7}, {3, 3, -3, -3}}), (V{1, 2, -2, -1}), 0);
  // fmod = 1: the dividend's sign; x mod 0 gives 0.
  auto mf = m;
  mf.set(AttrId::fmod, std::int64_t{1});
  CHECK_VALUES(eval(mf, {{7, -7, 7, 5}, {3, 3, -3, 0}}), (V{1, -1, 1, 0}), 0);
  // Floats need fmod = 1; B broadcasts.
  const auto ff = make(TensorOpKind::mod, {operand(f, {3}), operand(f, {})}, {operand(f, {3})},
                       {attr(AttrId::fmod, std::int64_t{1})});
  CHECK_VALUES(eval(ff, {{5.5, -5.5, 1.25}, {2}}), (V{1.5, -1.5, 1.25}), 0);
  // u8 stays non-negative; i8 keeps its sign.
  const auto u8 =
      make(TensorOpKind::mod, {operand(DType::u8, {2}), operand(DType::u8, {2})}, {operand(DType::u8, {2})});
  CHECK_VALUES(eval(u8, {{200, 9}, {7, 4}}), (V{4, 1}), 0);
  const auto i8 =
      make(TensorOpKind::mod, {operand(DType::i8, {2}), operand(DType::i8, {1})}, {operand(DType::i8, {2})});
  CHECK_VALUES(eval(i8, {{-128, 100}, {-3}}), (V{-2, -2}), 0);
}

BOOST_AUTO_TEST_CASE(mod_errors) {
  invalid(make(TensorOpKind::mod, {operand(f, {3}), operand(f, {3})}, {operand(f, {3})}),
          "Mod: attribute fmod = 0 is for integers; input 0 (A) dtype f32 needs fmod = 1");
  invalid(make(TensorOpKind::mod, {operand(DType::i32, {3}), operand(DType::i64, {3})},
               {operand(DType::i32, {3})}),
          "Mod: input 1 (B): dtype i64 differs from input 0 (A) dtype i32");
  invalid(make(TensorOpKind::mod, {operand(DType::i32, {3}), operand(DType::i32, {2})},
               {operand(DType::i32, {3})}),
          "Mod: input 1 (B): shape [2] does not broadcast with input 0 (A) [3]");
  invalid(make(TensorOpKind::mod, {operand(DType::i32, {3}), operand(DType::i32, {3})},
               {operand(DType::i32, {3})}, {attr(AttrId::fmod, std::int64_t{2})}),
          "Mod: attribute fmod = 2 should be 0 or 1");
  unsupported(make(TensorOpKind::mod, {operand(DType::boolean, {3}), operand(DType::boolean, {3})},
                   {operand(DType::boolean, {3})}),
              "Mod: input 0 (A): dtype bool is not supported");
}

BOOST_AUTO_TEST_CASE(isnan_isinf) {
  const V x{1, kNaN, kInf, -kInf, 0};
  CHECK_VALUES(eval(make(TensorOpKind::is_nan, {operand(f, {5})}, {operand(DType::boolean, {5})}), {x}),
               (V{0, 1, 0, 0, 0}), 0);
  const auto inf = make(TensorOpKind::is_inf, {operand(DType::f16, {5})}, {operand(DType::boolean, {5})});
  CHECK_VALUES(eval(inf, {x}), (V{0, 0, 1, 1, 0}), 0);
  auto neg_only = inf;
  neg_only.set(AttrId::detect_positive, std::int64_t{0});
  CHECK_VALUES(eval(neg_only, {x}), (V{0, 0, 0, 1, 0}), 0);
  auto pos_only = inf;
  pos_only.set(AttrId::detect_negative, std::int64_t{0});
  CHECK_VALUES(eval(pos_only, {x}), (V{0, 0, 1, 0, 0}), 0);
  invalid(make(TensorOpKind::is_nan, {operand(f, {5})}, {operand(f, {5})}),
          "IsNaN: output 0 (Y): dtype f32 should be bool");
  unsupported(make(TensorOpKind::is_inf, {operand(DType::i32, {5})}, {operand(DType::boolean, {5})}),
              "IsInf: input 0 (X): dtype i32 is not supported");
  invalid(make(TensorOpKind::is_nan, {operand(f, {5})}, {operand(DType::boolean, {4})}),
          "IsNaN: output 0 (Y): shape [4] should be [5]");
}

BOOST_AUTO_TEST_CASE(trigonometric_and_hyperbolic) {
  // Values with closed forms: tan(pi/4) = 1, asin(0.5) = pi/6, acos(0.5) = pi/3, atan(1) = pi/4,
  // sinh(ln 2) = 0.75, cosh(ln 2) = 1.25, asinh(0.75) = ln 2, acosh(1.25) = ln 2, atanh(0.6) = ln 2.
  const double pi = 3.14159265358979323846, ln2 = 0.69314718055994530942;
  auto one = [](TensorOpKind k, double x) { return eval(unary(k, f, {1}), {{x}}); };
  CHECK_VALUES(one(TensorOpKind::tan, pi / 4), V{1}, 1e-6);
  CHECK_VALUES(one(TensorOpKind::asin, 0.5), V{pi / 6}, 1e-6);
  CHECK_VALUES(one(TensorOpKind::acos, 0.5), V{pi / 3}, 1e-6);
  CHECK_VALUES(one(TensorOpKind::atan, 1), V{pi / 4}, 1e-6);
  CHECK_VALUES(one(TensorOpKind::sinh, ln2), V{0.75}, 1e-6);
  CHECK_VALUES(one(TensorOpKind::cosh, ln2), V{1.25}, 1e-6);
  CHECK_VALUES(one(TensorOpKind::asinh, 0.75), V{ln2}, 1e-6);
  CHECK_VALUES(one(TensorOpKind::acosh, 1.25), V{ln2}, 1e-6);
  CHECK_VALUES(one(TensorOpKind::atanh, 0.6), V{ln2}, 1e-6);
  // Outside the domain: NaN; atanh(1) = +inf.
  CHECK_VALUES(one(TensorOpKind::asin, 2), V{kNaN}, 0);
  CHECK_VALUES(one(TensorOpKind::acosh, 0.5), V{kNaN}, 0);
  CHECK_VALUES(one(TensorOpKind::atanh, 1), V{kInf}, 0);
  // bf16 rounds once: tan(1) = 1.5574077 -> 1.5546875 (bf16 has 8 significant bits).
  CHECK_VALUES(eval(unary(TensorOpKind::tan, DType::bf16, {1}), {{1}}), V{1.5546875}, 0);
  unsupported(unary(TensorOpKind::sinh, DType::i32, {2}), "Sinh: input 0 (X): dtype i32 is not supported");
  invalid(make(TensorOpKind::cosh, {operand(f, {2})}, {operand(DType::f16, {2})}),
          "Cosh: output 0 (Y): dtype f16 differs from input 0 (X) dtype f32");
}

BOOST_AUTO_TEST_CASE(celu_and_shrink) {
  // Celu alpha = 2: x >= 0 unchanged; x = -2 gives 2·(exp(-1) - 1) = -1.2642411.
  const auto celu = unary(TensorOpKind::celu, f, {3}, {attr(AttrId::alpha, 2.0)});
  CHECK_VALUES(eval(celu, {{3, 0, -2}}), (V{3, 0, -1.2642411176571153}), 1e-6);
  // Default alpha 1: -1 gives exp(-1) - 1.
  CHECK_VALUES(eval(unary(TensorOpKind::celu, f, {1}), {{-1}}), V{-0.6321205588285577}, 1e-6);
  invalid(unary(TensorOpKind::celu, f, {1}, {attr(AttrId::alpha, 0.0)}),
          "Celu: attribute alpha must not be 0");
  // Shrink: default lambd 0.5, bias 0 (hard shrink); soft shrink with bias = lambd = 1.5.
  CHECK_VALUES(eval(unary(TensorOpKind::shrink, f, {5}), {{-2, -0.5, 0.25, 0.5, 3}}), (V{-2, 0, 0, 0, 3}), 0);
  const auto soft = unary(TensorOpKind::shrink, f, {4}, {attr(AttrId::lambd, 1.5), attr(AttrId::bias, 1.5)});
  CHECK_VALUES(eval(soft, {{-2, -1, 1, 2}}), (V{-0.5, 0, 0, 0.5}), 0);
  unsupported(unary(TensorOpKind::shrink, f, {1}, {attr(AttrId::alpha, 1.0)}),
              "Shrink: attribute alpha is not supported by this operator");
  invalid(unary(TensorOpKind::shrink, f, {1}, {attr(AttrId::lambd, std::int64_t{1})}),
          "Shrink: attribute lambd has the wrong type i64");
}

BOOST_AUTO_TEST_CASE(cast_like) {
  // The target dtype comes from input 1 (its values are not read).
  const auto cl =
      make(TensorOpKind::cast_like, {operand(f, {4}), operand(DType::i8, {1})}, {operand(DType::i8, {4})});
  CHECK_VALUES(eval(cl, {{1.9, -2.7, 300, kNaN}, {0}}), (V{1, -2, 127, 0}), 0);
  const auto to_f16 =
      make(TensorOpKind::cast_like, {operand(f, {1}), operand(DType::f16, {3})}, {operand(DType::f16, {1})});
  // 1/3 rounds to the nearest f16: 0x3555 = 0.333251953125.
  CHECK_VALUES(eval(to_f16, {{1.0 / 3.0}, {0, 0, 0}}), V{0.333251953125}, 0);
  invalid(
      make(TensorOpKind::cast_like, {operand(f, {4}), operand(DType::i8, {1})}, {operand(DType::i32, {4})}),
      "CastLike: output 0 (output): dtype i32 differs from input 1 (target_type) dtype i8");
  invalid(
      make(TensorOpKind::cast_like, {operand(f, {4}), operand(DType::i8, {1})}, {operand(DType::i8, {3})}),
      "CastLike: output 0 (output): shape [3] should be [4]");
  invalid(make(TensorOpKind::cast_like, {operand(f, {4})}, {operand(f, {4})}),
          "CastLike: 1 inputs given, 2 expected");
  BOOST_TEST(!has_lane_results(TensorOpKind::cast_like));
  BOOST_TEST(mac_count(cl) == 0u);
  BOOST_TEST(lane_results(cl, {{1, 2, 3, 4}, {0}}) == 0u);
}

BOOST_AUTO_TEST_CASE(names_round_trips_and_lane_results) {
  for (const auto& [name, kind] :
       {std::pair{"Mod", TensorOpKind::mod}, std::pair{"IsNaN", TensorOpKind::is_nan},
        std::pair{"Atanh", TensorOpKind::atanh}, std::pair{"CastLike", TensorOpKind::cast_like}})
    BOOST_TEST((kind_from_string(name) == kind));
  BOOST_TEST((attr_from_string("lambd") == AttrId::lambd));
  BOOST_TEST((attr_from_string("detect_negative") == AttrId::detect_negative));
  check_round_trip(unary(TensorOpKind::shrink, DType::f16, {2, 3}, {attr(AttrId::bias, 0.5)}));
  check_round_trip(make(TensorOpKind::mod, {operand(DType::i64, {2}), operand(DType::i64, {})},
                        {operand(DType::i64, {2})}, {attr(AttrId::fmod, std::int64_t{1})}));

  // Every output element's lane result goes through the tap; the tap flips bit 0.
  const auto tanh_like = unary(TensorOpKind::atan, f, {2, 2});
  BOOST_TEST(has_lane_results(TensorOpKind::atan));
  BOOST_TEST(mac_count(tanh_like) == 4u);
  BOOST_TEST(lane_results(tanh_like, {{0, 1, 2, 3}}) == 4u);
  const auto isnan = make(TensorOpKind::is_nan, {operand(f, {3})}, {operand(DType::boolean, {3})});
  BOOST_TEST(lane_results(isnan, {{0, kNaN, 1}}) == 3u);
  // A flipped 0/1 lane result stores as "non-zero": everything reads true except the NaN (1 -> 0).
  {
    RecordingTap tap;
    const auto out = reference_execute(isnan, std::vector<Bytes>{pack(f, {0, kNaN, 1})}, &tap);
    CHECK_VALUES(unpack(DType::boolean, out[0]), (V{1, 0, 1}), 0);
  }
  // Integer Mod: the lane result is the low half, so a flip of bit 0 changes 1 into 0.
  const auto m = make(TensorOpKind::mod, {operand(DType::i64, {2}), operand(DType::i64, {2})},
                      {operand(DType::i64, {2})});
  {
    RecordingTap tap;
    const auto out =
        reference_execute(m, std::vector<Bytes>{pack(DType::i64, {7, 9}), pack(DType::i64, {3, 4})}, &tap);
    CHECK_VALUES(unpack(DType::i64, out[0]), (V{0, 0}), 0);
    BOOST_TEST(tap.seen.size() == 2u);
  }
  // Float: bit 0 of the FP32 result: 1.0f (0x3F800000) becomes 0x3F800001.
  {
    const auto celu = unary(TensorOpKind::celu, f, {1});
    RecordingTap tap;
    const auto out = reference_execute(celu, std::vector<Bytes>{pack(f, {1})}, &tap);
    CHECK_VALUES(unpack(f, out[0]), V{1.00000011920928955078125}, 0);
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval::chip::test

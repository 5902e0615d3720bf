// Tests for the element-wise additions to seedval/chip/tensor.h: Clip's bounds as inputs, variadic
// Max/Min/Sum/Mean, Pow with an integer exponent, MatMulInteger's zero points as inputs, the further
// activations (Reciprocal ... Cos, PRelu) and the comparison and logic family.
#include <cmath>
#include <cstdint>
#include <numbers>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <seedval/chip/tensor.h>
#include <seedval/core/error.h>

#include "tensor_test_util.h"

namespace seedval::chip::test {
namespace {

constexpr auto f = DType::f32;
constexpr auto b8 = DType::boolean;
using V = std::vector<double>;

TensorOp unary(TensorOpKind k, std::int64_t n, std::vector<Attribute> attrs = {}) {
  return make(k, {operand(f, {n})}, {operand(f, {n})}, std::move(attrs));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(chip_tensor_elementwise)

BOOST_AUTO_TEST_CASE(clip_bounds_as_inputs) {
  const auto lo_only =
      make(TensorOpKind::clip, {operand(f, {3}), operand(f, {}), absent()}, {operand(f, {3})});
  CHECK_VALUES(eval(lo_only, {{-2, 0, 3}, {-1}, {}}), (V{-1, 0, 3}), 0);
  const auto both =
      make(TensorOpKind::clip, {operand(f, {3}), operand(f, {}), operand(f, {1})}, {operand(f, {3})});
  CHECK_VALUES(eval(both, {{-2, 0.5, 3}, {0}, {1}}), (V{0, 0.5, 1}), 0);
  invalid(make(TensorOpKind::clip, {operand(f, {3}), operand(f, {})}, {operand(f, {3})},
               {attr(AttrId::min, 0.0)}),
          "Clip: min given both as input 1 (min) and attribute");
  invalid(make(TensorOpKind::clip, {operand(f, {3}), operand(f, {2})}, {operand(f, {3})}),
          "Clip: input 1 (min): shape [2] should be a scalar");
  invalid(make(TensorOpKind::clip, {operand(f, {3}), operand(DType::f16, {})}, {operand(f, {3})}),
          "Clip: input 1 (min): dtype f16 differs from input 0 (X) dtype f32");
}

BOOST_AUTO_TEST_CASE(variadic_max_min_sum_mean) {
  const auto max3 =
      make(TensorOpKind::max, {operand(f, {2}), operand(f, {2}), operand(f, {})}, {operand(f, {2})});
  CHECK_VALUES(eval(max3, {{1, 5}, {3, 2}, {4}}), (V{4, 5}), 0);
  CHECK_VALUES(eval(make(TensorOpKind::min, {operand(f, {2})}, {operand(f, {2})}), {{1, 2}}), (V{1, 2}), 0);
  const auto sum =
      make(TensorOpKind::sum, {operand(f, {2}), operand(f, {1}), operand(f, {2})}, {operand(f, {2})});
  CHECK_VALUES(eval(sum, {{1, 2}, {10}, {100, 200}}), (V{111, 212}), 0);
  const auto mean = make(TensorOpKind::mean, {operand(f, {2}), operand(f, {2})}, {operand(f, {2})});
  CHECK_VALUES(eval(mean, {{1, 2}, {3, 4}}), (V{2, 3}), 0);
  invalid(make(TensorOpKind::sum, {operand(f, {2}), operand(f, {3})}, {operand(f, {2})}),
          "Sum: input 1 (B): shape [3] does not broadcast with input 0 (A) [2]");
  invalid(make(TensorOpKind::sum, {operand(f, {2}), operand(f, {2}), operand(f, {3})}, {operand(f, {2})}),
          "Sum: input 2 (data): shape [3] does not broadcast with the others [2]");
  invalid(make(TensorOpKind::mean, {operand(f, {2}), absent()}, {operand(f, {2})}),
          "Mean: input 1 (B) is required");
  invalid(make(TensorOpKind::add, {operand(f, {2}), operand(f, {2}), operand(f, {2})}, {operand(f, {2})}),
          "Add: 3 inputs given, 2 expected");
}

BOOST_AUTO_TEST_CASE(pow_integer_exponent_and_matmul_integer_zero_point_inputs) {
  const auto pw = make(TensorOpKind::pow, {operand(f, {2}), operand(DType::i64, {2})}, {operand(f, {2})});
  CHECK_VALUES(eval(pw, {{2, 3}, {3, 2}}), (V{8, 9}), 0);
  const auto mmi = make(TensorOpKind::matmul_integer,
                        {operand(DType::u8, {1, 2}), operand(DType::u8, {2, 1}), operand(DType::u8, {}),
                         operand(DType::u8, {1})},
                        {operand(DType::i32, {1, 1})});
  // (5 - 1)·(1 - 1) + (6 - 1)·(2 - 1) = 5.
  CHECK_VALUES(eval(mmi, {{5, 6}, {1, 2}, {1}, {1}}), (V{5}), 0);
  const auto per_row =
      make(TensorOpKind::matmul_integer,
           {operand(DType::i8, {2, 1}), operand(DType::i8, {1, 1}), operand(DType::i8, {2}), absent()},
           {operand(DType::i32, {2, 1})});
  CHECK_VALUES(eval(per_row, {{-3, 4}, {2}, {-1, 4}, {}}), (V{-4, 0}), 0);
  invalid(make(TensorOpKind::matmul_integer,
               {operand(DType::u8, {1, 2}), operand(DType::u8, {2, 1}), operand(DType::i8, {})},
               {operand(DType::i32, {1, 1})}),
          "MatMulInteger: input 2 (a_zero_point): dtype i8 differs from input 0 (A) dtype u8");
  invalid(make(TensorOpKind::matmul_integer,
               {operand(DType::u8, {1, 2}), operand(DType::u8, {2, 1}), operand(DType::u8, {3})},
               {operand(DType::i32, {1, 1})}),
          "MatMulInteger: input 2 (a_zero_point): shape [3] should be a scalar or [1]");
  invalid(make(TensorOpKind::matmul_integer,
               {operand(DType::u8, {1, 2}), operand(DType::u8, {2, 1}), operand(DType::u8, {})},
               {operand(DType::i32, {1, 1})}, {attr(AttrId::a_zero_point, std::int64_t{0})}),
          "MatMulInteger: a_zero_point given both as input 2 (a_zero_point) and attribute");
}

BOOST_AUTO_TEST_CASE(further_activations) {
  CHECK_VALUES(eval(unary(TensorOpKind::reciprocal, 2), {{4, -0.5}}), (V{0.25, -2}), 0);
  CHECK_VALUES(eval(unary(TensorOpKind::floor, 2), {{-1.5, 2.5}}), (V{-2, 2}), 0);
  CHECK_VALUES(eval(unary(TensorOpKind::ceil, 2), {{-1.5, 2.5}}), (V{-1, 3}), 0);
  CHECK_VALUES(eval(unary(TensorOpKind::round, 4), {{0.5, 1.5, 2.5, -2.5}}), (V{0, 2, 2, -2}), 0);
  CHECK_VALUES(eval(unary(TensorOpKind::sign, 4), {{-3, 0, 2, NAN}}), (V{-1, 0, 1, NAN}), 0);
  // e^ln(1/2) - 1 = -1/2, times alpha 2.
  CHECK_VALUES(eval(unary(TensorOpKind::elu, 2, {attr(AttrId::alpha, 2.0)}), {{std::log(0.5), 3}}),
               (V{-1, 3}), 1e-6);
  CHECK_VALUES(eval(unary(TensorOpKind::selu, 2), {{1, 0}}), (V{1.0507010221481323, 0}), 1e-7);
  CHECK_VALUES(eval(unary(TensorOpKind::selu, 1, {attr(AttrId::alpha, 2.0), attr(AttrId::gamma, 3.0)}),
                    {{std::log(0.5)}}),
               (V{-3}), 1e-6);  // 3·(2·1/2 - 2)
  CHECK_VALUES(eval(unary(TensorOpKind::hard_sigmoid, 3), {{1, 5, -5}}), (V{0.7, 1, 0}), 1e-7);
  CHECK_VALUES(
      eval(unary(TensorOpKind::hard_sigmoid, 1, {attr(AttrId::alpha, 0.5), attr(AttrId::beta, 0.25)}), {{1}}),
      (V{0.75}), 0);
  CHECK_VALUES(eval(unary(TensorOpKind::softplus, 2), {{0, -100}}), (V{std::log(2.0), std::exp(-100.0)}),
               1e-6);
  CHECK_VALUES(eval(unary(TensorOpKind::softsign, 2), {{3, -1}}), (V{0.75, -0.5}), 0);
  CHECK_VALUES(eval(unary(TensorOpKind::thresholded_relu, 3), {{0.5, 1, 2}}), (V{0, 0, 2}), 0);
  CHECK_VALUES(eval(unary(TensorOpKind::hard_swish, 4), {{3, 0, -1, -4}}), (V{3, 0, -1.0 / 3, 0}), 1e-6);
  CHECK_VALUES(eval(unary(TensorOpKind::sin, 1), {{std::numbers::pi / 2}}), (V{1}), 1e-7);
  CHECK_VALUES(eval(unary(TensorOpKind::cos, 1), {{0}}), (V{1}), 0);
  const auto prelu = make(TensorOpKind::prelu, {operand(f, {2, 2}), operand(f, {2})}, {operand(f, {2, 2})});
  CHECK_VALUES(eval(prelu, {{-2, 3, -4, 0}, {0.5, 0.25}}), (V{-1, 3, -2, 0}), 0);
  unsupported(make(TensorOpKind::floor, {operand(DType::i32, {2})}, {operand(DType::i32, {2})}),
              "Floor: input 0 (X): dtype i32 is not supported");
  unsupported(unary(TensorOpKind::softsign, 2, {attr(AttrId::alpha, 1.0)}),
              "Softsign: attribute alpha is not supported by this operator");
  check_round_trip(unary(TensorOpKind::selu, 2, {attr(AttrId::alpha, 2.0), attr(AttrId::gamma, 3.0)}));
  BOOST_TEST(lane_results(unary(TensorOpKind::elu, 3), {{1, 2, 3}}) == 3u);
}

BOOST_AUTO_TEST_CASE(comparison_and_logic) {
  const auto cmp = [](TensorOpKind k, DType t, Shape a, Shape b, Shape y) {
    return make(k, {operand(t, std::move(a)), operand(t, std::move(b))}, {operand(b8, std::move(y))});
  };
  CHECK_VALUES(eval(cmp(TensorOpKind::equal, f, {2}, {2}, {2}), {{1, 2}, {1, 3}}), (V{1, 0}), 0);
  CHECK_VALUES(eval(cmp(TensorOpKind::equal, b8, {2}, {2}, {2}), {{1, 0}, {1, 1}}), (V{1, 0}), 0);
  CHECK_VALUES(eval(cmp(TensorOpKind::less, DType::i32, {2}, {1}, {2}), {{1, 5}, {3}}), (V{1, 0}), 0);
  CHECK_VALUES(eval(cmp(TensorOpKind::less_or_equal, DType::i64, {3}, {}, {3}), {{2, 3, 4}, {3}}),
               (V{1, 1, 0}), 0);
  CHECK_VALUES(eval(cmp(TensorOpKind::greater, DType::u8, {2}, {2}, {2}), {{200, 1}, {100, 2}}), (V{1, 0}),
               0);
  CHECK_VALUES(eval(cmp(TensorOpKind::greater_or_equal, f, {3}, {3}, {3}), {{NAN, 2, 1}, {1, 2, 2}}),
               (V{0, 1, 0}), 0);
  CHECK_VALUES(eval(cmp(TensorOpKind::logical_and, b8, {4}, {4}, {4}), {{1, 1, 0, 0}, {1, 0, 1, 0}}),
               (V{1, 0, 0, 0}), 0);
  CHECK_VALUES(eval(cmp(TensorOpKind::logical_or, b8, {4}, {4}, {4}), {{1, 1, 0, 0}, {1, 0, 1, 0}}),
               (V{1, 1, 1, 0}), 0);
  CHECK_VALUES(eval(cmp(TensorOpKind::logical_xor, b8, {4}, {4}, {4}), {{1, 1, 0, 0}, {1, 0, 1, 0}}),
               (V{0, 1, 1, 0}), 0);
  CHECK_VALUES(eval(make(TensorOpKind::logical_not, {operand(b8, {2})}, {operand(b8, {2})}), {{1, 0}}),
               (V{0, 1}), 0);
  unsupported(cmp(TensorOpKind::less, b8, {2}, {2}, {2}), "Less: input 0 (A): dtype bool is not supported");
  unsupported(cmp(TensorOpKind::logical_and, f, {2}, {2}, {2}),
              "And: input 0 (A): dtype f32 is not supported");
  invalid(make(TensorOpKind::equal, {operand(f, {2}), operand(f, {2})}, {operand(f, {2})}),
          "Equal: output 0 (C): dtype f32 should be bool");
  invalid(cmp(TensorOpKind::equal, f, {2}, {3}, {2}), "Equal: input 1 (B): shape [3] does not broadcast");
  invalid(make(TensorOpKind::equal, {operand(f, {2}), operand(DType::i32, {2})}, {operand(b8, {2})}),
          "Equal: input 1 (B): dtype i32 differs");
  BOOST_TEST(lane_results(cmp(TensorOpKind::less, f, {3}, {3}, {3}), {{1, 2, 3}, {3, 2, 1}}) == 3u);
  BOOST_TEST((kind_from_string("GreaterOrEqual") == TensorOpKind::greater_or_equal));
  BOOST_TEST(to_string(TensorOpKind::logical_not) == "Not");
  check_round_trip(cmp(TensorOpKind::logical_xor, b8, {2}, {2}, {2}));
}

BOOST_AUTO_TEST_CASE(integer_arithmetic_wraps) {
  const auto bin = [](TensorOpKind k, DType t, std::vector<Shape> in, Shape y) {
    std::vector<TensorOperand> ops;
    for (auto& s : in) ops.push_back(operand(t, std::move(s)));
    return make(k, std::move(ops), {operand(t, std::move(y))});
  };
  CHECK_VALUES(eval(bin(TensorOpKind::add, DType::u8, {{2}, {2}}, {2}), {{250, 3}, {10, 4}}), (V{4, 7}), 0);
  CHECK_VALUES(eval(bin(TensorOpKind::sub, DType::i8, {{1}, {1}}, {1}), {{-128}, {1}}), (V{127}), 0);
  CHECK_VALUES(eval(bin(TensorOpKind::mul, DType::i32, {{1}, {1}}, {1}), {{65536}, {65536}}), (V{0}), 0);
  CHECK_VALUES(eval(bin(TensorOpKind::div, DType::i32, {{3}, {3}}, {3}), {{7, -7, 5}, {2, 2, 0}}),
               (V{3, -3, 0}), 0);
  CHECK_VALUES(eval(bin(TensorOpKind::max, DType::i64, {{2}, {}, {2}}, {2}), {{1, 9}, {5}, {3, 2}}),
               (V{5, 9}), 0);
  CHECK_VALUES(eval(bin(TensorOpKind::pow, DType::i64, {{2}, {2}}, {2}), {{2, 3}, {10, 2}}), (V{1024, 9}), 0);
  const auto pow_f =
      make(TensorOpKind::pow, {operand(DType::i32, {1}), operand(f, {1})}, {operand(DType::i32, {1})});
  CHECK_VALUES(eval(pow_f, {{4}, {0.5}}), (V{2}), 0);
  const auto clip =
      make(TensorOpKind::clip, {operand(DType::i8, {3}), operand(DType::i8, {}), operand(DType::i8, {})},
           {operand(DType::i8, {3})});
  CHECK_VALUES(eval(clip, {{-100, 3, 100}, {-1}, {5}}), (V{-1, 3, 5}), 0);
  CHECK_VALUES(
      eval(make(TensorOpKind::neg, {operand(DType::i8, {2})}, {operand(DType::i8, {2})}), {{-128, 5}}),
      (V{-128, -5}), 0);
  CHECK_VALUES(eval(make(TensorOpKind::abs, {operand(DType::i32, {1})}, {operand(DType::i32, {1})}), {{-7}}),
               (V{7}), 0);
  // The lane result is the low 32 bits; an i64 keeps its high half.
  const auto add64 = bin(TensorOpKind::add, DType::i64, {{2}, {2}}, {2});
  RecordingTap tap;
  const auto out = reference_execute(
      add64, std::vector<Bytes>{pack(DType::i64, {4, 4294967296.0}), pack(DType::i64, {0, 0})}, &tap);
  CHECK_VALUES(unpack(DType::i64, out[0]), (V{5, 4294967297.0}), 0);
  unsupported(bin(TensorOpKind::mean, DType::i32, {{1}, {1}}, {1}),
              "Mean: input 0 (A): dtype i32 is not supported");
  invalid(make(TensorOpKind::add, {operand(DType::i32, {1}), operand(DType::i64, {1})},
               {operand(DType::i32, {1})}),
          "Add: input 1 (B): dtype i64 differs from input 0 (A) dtype i32");
  unsupported(make(TensorOpKind::pow, {operand(f, {1}), operand(b8, {1})}, {operand(f, {1})}),
              "Pow: input 1 (B): dtype bool is not supported");
}

BOOST_AUTO_TEST_CASE(cast_to_attribute) {
  const auto cast = [](std::int64_t to) {
    return make(TensorOpKind::cast, {operand(f, {2})}, {operand(DType::f16, {2})}, {attr(AttrId::to, to)});
  };
  CHECK_VALUES(eval(cast(10), {{1.5, -2}}), (V{1.5, -2}), 0);
  invalid(cast(1), "Cast: attribute to = 1 (f32) differs from output 0 (Y) dtype f16");
  unsupported(cast(11), "Cast: attribute to = 11 names a dtype the chip lacks");
  check_round_trip(cast(10));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval::chip::test

// Tests for the quantised operators of seedval/chip/tensor.h (QuantizeLinear, DequantizeLinear,
// QLinearMatMul, ConvInteger, QLinearConv): hand-computed results including rounding half to even,
// saturation and per-axis parameters, dtype and shape errors, wire round trips and lane results.
#include <cstdint>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <seedval/chip/tensor.h>
#include <seedval/core/error.h>

#include "tensor_test_util.h"

namespace seedval::chip::test {
namespace {

constexpr auto f = DType::f32;
constexpr auto u8 = DType::u8;
constexpr auto i8 = DType::i8;
using V = std::vector<double>;

TensorOp quantize(Shape x, Shape params, DType q, bool zp = true, std::vector<Attribute> attrs = {}) {
  std::vector<TensorOperand> in{operand(f, x), operand(f, params)};
  if (zp) in.push_back(operand(q, params));
  return make(TensorOpKind::quantize_linear, std::move(in), {operand(q, x)}, std::move(attrs));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(chip_tensor_quant)

BOOST_AUTO_TEST_CASE(quantize_linear) {
  // x / 0.5 = 0, 3, 5, -2, 600, -600; plus 10, saturated to 0..255.
  CHECK_VALUES(eval(quantize({6}, {}, u8), {{0, 1.5, 2.5, -1, 300, -300}, {0.5}, {10}}),
               (V{10, 13, 15, 8, 255, 0}), 0);
  // Ties round to even: 0.5 -> 0, 1.5 -> 2, -2.5 -> -2.
  CHECK_VALUES(eval(quantize({3}, {}, u8), {{0.25, 0.75, -1.25}, {0.5}, {10}}), (V{10, 12, 8}), 0);
  CHECK_VALUES(eval(quantize({2}, {}, u8, false), {{-1, 1}, {1}}), (V{0, 1}), 0);
  CHECK_VALUES(eval(quantize({3}, {}, i8), {{200, -200, 1}, {1}, {-1}}), (V{127, -128, 0}), 0);
  // Per axis 1: column scales 1 and 0.5, zero points 0 and 1.
  CHECK_VALUES(eval(quantize({2, 2}, {2}, u8), {{1, 2, 3, 4}, {1, 0.5}, {0, 1}}), (V{1, 5, 3, 9}), 0);
}

BOOST_AUTO_TEST_CASE(dequantize_linear) {
  const auto dq = make(TensorOpKind::dequantize_linear, {operand(u8, {2}), operand(f, {}), operand(u8, {})},
                       {operand(f, {2})});
  CHECK_VALUES(eval(dq, {{10, 20}, {0.5}, {10}}), (V{0, 5}), 0);
  const auto dq32 =
      make(TensorOpKind::dequantize_linear, {operand(DType::i32, {1}), operand(f, {})}, {operand(f, {1})});
  CHECK_VALUES(eval(dq32, {{100}, {2}}), (V{200}), 0);
  const auto axis0 =
      make(TensorOpKind::dequantize_linear, {operand(i8, {2, 1}), operand(f, {2}), operand(i8, {2})},
           {operand(f, {2, 1})}, {attr(AttrId::axis, std::int64_t{0})});
  CHECK_VALUES(eval(axis0, {{-1, 4}, {2, 3}, {1, 1}}), (V{-4, 9}), 0);
}

BOOST_AUTO_TEST_CASE(qlinear_matmul) {
  const auto op = make(TensorOpKind::qlinear_matmul,
                       {operand(u8, {1, 2}), operand(f, {}), operand(u8, {}), operand(u8, {2, 1}),
                        operand(f, {}), operand(u8, {}), operand(f, {}), operand(u8, {})},
                       {operand(u8, {1, 1})});
  // (2 - 0)·(3 - 1) + (4 - 0)·(5 - 1) = 20, times 0.5·2/1.
  CHECK_VALUES(eval(op, {{2, 4}, {0.5}, {0}, {3, 5}, {2}, {1}, {1}, {0}}), (V{20}), 0);
  // Requantised with y_scale 8 and y_zero_point 100: 20/8 = 2.5 rounds to 2.
  CHECK_VALUES(eval(op, {{2, 4}, {0.5}, {0}, {3, 5}, {2}, {1}, {8}, {100}}), (V{102}), 0);
}

BOOST_AUTO_TEST_CASE(conv_integer_and_qlinear_conv) {
  const auto ci = [](Shape y, std::vector<Attribute> attrs = {}) {
    return make(TensorOpKind::conv_integer,
                {operand(u8, {1, 1, 3}), operand(u8, {1, 1, 2}), operand(u8, {}), operand(u8, {})},
                {operand(DType::i32, std::move(y))}, std::move(attrs));
  };
  // (x - 5)·(w - 1) with x = 5, 6, 7 and w = 1, 2: windows give 0 + 1 and 0 + 2.
  CHECK_VALUES(eval(ci({1, 1, 2}), {{5, 6, 7}, {1, 2}, {5}, {1}}), (V{1, 2}), 0);
  // Padding holds the zero point: it adds nothing.
  CHECK_VALUES(eval(ci({1, 1, 3}, {ints(AttrId::pads, {1, 0})}), {{5, 6, 7}, {1, 2}, {5}, {1}}), (V{0, 1, 2}),
               0);
  const auto ql =
      make(TensorOpKind::qlinear_conv,
           {operand(u8, {1, 1, 2}), operand(f, {}), operand(u8, {}), operand(u8, {1, 1, 1}), operand(f, {}),
            operand(u8, {}), operand(f, {}), operand(u8, {}), operand(DType::i32, {1})},
           {operand(u8, {1, 1, 2})});
  // (4 - 2)·(3 - 1) + 1 = 5 and (6 - 2)·2 + 1 = 9, times 0.5·1/0.5, plus 10.
  CHECK_VALUES(eval(ql, {{4, 6}, {0.5}, {2}, {3}, {1}, {1}, {0.5}, {10}, {1}}), (V{15, 19}), 0);
}

BOOST_AUTO_TEST_CASE(validation) {
  invalid(make(TensorOpKind::quantize_linear, {operand(f, {2}), operand(f, {}), operand(u8, {})},
               {operand(i8, {2})}),
          "QuantizeLinear: output 0 (y): dtype i8 should be u8, that of the zero point");
  unsupported(
      make(TensorOpKind::quantize_linear, {operand(DType::i32, {2}), operand(f, {})}, {operand(u8, {2})}),
      "QuantizeLinear: input 0 (x): dtype i32 is not supported");
  unsupported(
      make(TensorOpKind::quantize_linear, {operand(f, {2}), operand(DType::f16, {})}, {operand(u8, {2})}),
      "QuantizeLinear: input 1 (y_scale): dtype f16 is not supported (supported: f32)");
  invalid(make(TensorOpKind::dequantize_linear, {operand(u8, {2, 2}), operand(f, {3})}, {operand(f, {2, 2})}),
          "DequantizeLinear: input 1 (x_scale): shape [3] should be [2]");
  invalid(
      make(TensorOpKind::dequantize_linear, {operand(u8, {2}), operand(f, {})}, {operand(DType::f16, {2})}),
      "DequantizeLinear: output 0 (y): dtype f16 should be f32");
  invalid(make(TensorOpKind::dequantize_linear, {operand(u8, {2}), operand(f, {}), operand(i8, {})},
               {operand(f, {2})}),
          "DequantizeLinear: input 2 (x_zero_point): dtype i8 differs from input 0 (x) dtype u8");
  const std::vector<TensorOperand> qmm{operand(u8, {1, 2}), operand(f, {}), operand(u8, {}),
                                       operand(u8, {3, 1}), operand(f, {}), operand(u8, {}),
                                       operand(f, {}),      operand(u8, {})};
  invalid(make(TensorOpKind::qlinear_matmul, qmm, {operand(u8, {1, 1})}),
          "QLinearMatMul: input 3 (b): shape [3,1] does not match input 0 (a) [1,2]: inner dimensions 2 and "
          "3 differ");
  auto qmm_scale = qmm;
  qmm_scale[3] = operand(u8, {2, 1});
  qmm_scale[6] = operand(f, {2});
  qmm_scale[7] = operand(u8, {2});
  invalid(make(TensorOpKind::qlinear_matmul, qmm_scale, {operand(u8, {1, 1})}),
          "QLinearMatMul: input 6 (y_scale): shape [2] should be a scalar or [1]");
  invalid(make(TensorOpKind::conv_integer, {operand(u8, {1, 1, 3}), operand(u8, {1, 1, 2})},
               {operand(f, {1, 1, 2})}),
          "ConvInteger: output 0 (y): dtype f32 should be i32");
  invalid(make(TensorOpKind::conv_integer, {operand(u8, {1, 1, 3}), operand(u8, {1, 1, 2}), operand(u8, {2})},
               {operand(DType::i32, {1, 1, 2})}),
          "ConvInteger: input 2 (x_zero_point): shape [2] should be a scalar");
  unsupported(make(TensorOpKind::conv_integer, {operand(f, {1, 1, 3}), operand(u8, {1, 1, 2})},
                   {operand(DType::i32, {1, 1, 2})}),
              "ConvInteger: input 0 (x): dtype f32 is not supported (supported: i8, u8)");
  unsupported(make(TensorOpKind::qlinear_conv,
                   {operand(u8, {1, 1, 2}), operand(f, {}), operand(u8, {}), operand(u8, {1, 1, 1}),
                    operand(f, {}), operand(u8, {}), operand(f, {}), operand(u8, {}), operand(f, {1})},
                   {operand(u8, {1, 1, 2})}),
              "QLinearConv: input 8 (B): dtype f32 is not supported (supported: i32)");
}

BOOST_AUTO_TEST_CASE(wire_round_trip_and_lanes) {
  const auto q = quantize({2, 2}, {2}, u8, true, {attr(AttrId::axis, std::int64_t{-1})});
  check_round_trip(q);
  BOOST_TEST(lane_results(q, {{1, 2, 3, 4}, {1, 1}, {0, 0}}) == 4u);
  // The lane result of ConvInteger is the int32 accumulator: flipping bit 0 turns 1, 2 into 0, 3.
  const auto ci = make(TensorOpKind::conv_integer,
                       {operand(u8, {1, 1, 3}), operand(u8, {1, 1, 2}), operand(u8, {}), operand(u8, {})},
                       {operand(DType::i32, {1, 1, 2})});
  RecordingTap tap;
  const auto out = reference_execute(
      ci, std::vector<Bytes>{pack(u8, {5, 6, 7}), pack(u8, {1, 2}), pack(u8, {5}), pack(u8, {1})}, &tap);
  CHECK_VALUES(unpack(DType::i32, out[0]), (V{0, 3}), 0);
  BOOST_TEST(tap.seen.size() == 2u);
  BOOST_TEST(mac_count(ci) == 4u);
  BOOST_TEST((kind_from_string("QLinearConv") == TensorOpKind::qlinear_conv));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval::chip::test

// Tests for the convolution and pooling families of seedval/chip/tensor.h (Conv, ConvTranspose,
// MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool): hand-computed results for padding, strides,
// dilations, groups, auto_pad and ceil_mode, dtype and shape errors, wire round trips and lane results.
#include <cstdint>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <seedval/chip/tensor.h>
#include <seedval/core/error.h>

#include "tensor_test_util.h"

namespace seedval::chip::test {
namespace {

constexpr auto f = DType::f32;
using V = std::vector<double>;

TensorOp conv(Shape x, Shape w, Shape y, std::vector<Attribute> attrs = {}, bool bias = false) {
  std::vector<TensorOperand> in{operand(f, std::move(x)), operand(f, w)};
  if (bias) in.push_back(operand(f, {w[0]}));
  return make(TensorOpKind::conv, std::move(in), {operand(f, std::move(y))}, std::move(attrs));
}

TensorOp pool(TensorOpKind k, Shape x, Shape y, std::vector<Attribute> attrs = {}, DType t = f) {
  return make(k, {operand(t, std::move(x))}, {operand(t, std::move(y))}, std::move(attrs));
}

Attribute pad_mode(const char* mode) {
  return attr(AttrId::auto_pad, string_attribute_value(AttrId::auto_pad, mode));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(chip_tensor_conv)

BOOST_AUTO_TEST_CASE(conv_1d) {
  const V x{1, 2, 3, 4, 5};
  // y[i] = x[i] - x[i + 2].
  CHECK_VALUES(eval(conv({1, 1, 5}, {1, 1, 3}, {1, 1, 3}), {x, {1, 0, -1}}), (V{-2, -2, -2}), 0);
  // Zero padding of one each side, and a bias.
  CHECK_VALUES(
      eval(conv({1, 1, 5}, {1, 1, 3}, {1, 1, 5}, {ints(AttrId::pads, {1, 1})}, true), {x, {1, 0, -1}, {10}}),
      (V{8, 8, 8, 8, 14}), 0);
  // Dilation 2: y[i] = x[i] + x[i + 2].
  CHECK_VALUES(eval(conv({1, 1, 5}, {1, 1, 2}, {1, 1, 3}, {ints(AttrId::dilations, {2})}), {x, {1, 1}}),
               (V{4, 6, 8}), 0);
  // SAME_UPPER pads the end, SAME_LOWER the beginning.
  CHECK_VALUES(eval(conv({1, 1, 4}, {1, 1, 2}, {1, 1, 4}, {pad_mode("SAME_UPPER")}), {{1, 2, 3, 4}, {1, 1}}),
               (V{3, 5, 7, 4}), 0);
  CHECK_VALUES(eval(conv({1, 1, 4}, {1, 1, 2}, {1, 1, 4}, {pad_mode("SAME_LOWER")}), {{1, 2, 3, 4}, {1, 1}}),
               (V{1, 3, 5, 7}), 0);
  CHECK_VALUES(eval(conv({1, 1, 4}, {1, 1, 2}, {1, 1, 2}, {pad_mode("VALID"), ints(AttrId::strides, {2})}),
                    {{1, 2, 3, 4}, {1, 1}}),
               (V{3, 7}), 0);
}

BOOST_AUTO_TEST_CASE(conv_2d_strides_groups_and_channels) {
  const V x{1, 2, 3, 4, 5, 6, 7, 8, 9};
  CHECK_VALUES(eval(conv({1, 1, 3, 3}, {1, 1, 2, 2}, {1, 1, 2, 2}), {x, {1, 1, 1, 1}}), (V{12, 16, 24, 28}),
               0);
  // Stride 2 with padding only at the end: windows at rows/cols 0 and 2.
  CHECK_VALUES(eval(conv({1, 1, 3, 3}, {1, 1, 2, 2}, {1, 1, 2, 2},
                         {ints(AttrId::strides, {2, 2}), ints(AttrId::pads, {0, 0, 1, 1})}),
                    {x, {1, 1, 1, 1}}),
               (V{12, 9, 15, 9}), 0);
  // Two groups of one channel each.
  CHECK_VALUES(eval(conv({1, 2, 1, 1}, {2, 1, 1, 1}, {1, 2, 1, 1}, {attr(AttrId::group, std::int64_t{2})}),
                    {{3, 5}, {2, 10}}),
               (V{6, 50}), 0);
  // Two input channels summed into each of two output channels, two batch items.
  CHECK_VALUES(eval(conv({2, 2, 1, 1}, {2, 2, 1, 1}, {2, 2, 1, 1}), {{1, 2, 3, 4}, {1, 1, 1, -1}}),
               (V{3, -1, 7, -1}), 0);
}

BOOST_AUTO_TEST_CASE(conv_transpose) {
  const auto ct = [](Shape x, Shape w, Shape y, std::vector<Attribute> attrs = {}) {
    return make(TensorOpKind::conv_transpose, {operand(f, std::move(x)), operand(f, std::move(w))},
                {operand(f, std::move(y))}, std::move(attrs));
  };
  // Each input spreads over two outputs: [1, 1+2, 2+3, 3].
  CHECK_VALUES(eval(ct({1, 1, 3}, {1, 1, 2}, {1, 1, 4}), {{1, 2, 3}, {1, 1}}), (V{1, 3, 5, 3}), 0);
  CHECK_VALUES(eval(ct({1, 1, 3}, {1, 1, 2}, {1, 1, 6}, {ints(AttrId::strides, {2})}), {{1, 2, 3}, {1, 1}}),
               (V{1, 1, 2, 2, 3, 3}), 0);
  CHECK_VALUES(
      eval(ct({1, 1, 3}, {1, 1, 2}, {1, 1, 5}, {ints(AttrId::strides, {2}), ints(AttrId::pads, {1, 0})}),
           {{1, 2, 3}, {1, 1}}),
      (V{1, 2, 2, 3, 3}), 0);
  // output_padding adds a zero at the end; output_shape asks for the same.
  CHECK_VALUES(eval(ct({1, 1, 2}, {1, 1, 1}, {1, 1, 4},
                       {ints(AttrId::strides, {2}), ints(AttrId::output_padding, {1})}),
                    {{1, 2}, {3}}),
               (V{3, 0, 6, 0}), 0);
  CHECK_VALUES(
      eval(ct({1, 1, 2}, {1, 1, 1}, {1, 1, 4}, {ints(AttrId::strides, {2}), ints(AttrId::output_shape, {4})}),
           {{1, 2}, {3}}),
      (V{3, 0, 6, 0}), 0);
  // One input channel into two output channels, with bias.
  const auto two =
      make(TensorOpKind::conv_transpose, {operand(f, {1, 1, 2}), operand(f, {1, 2, 1}), operand(f, {2})},
           {operand(f, {1, 2, 2})});
  CHECK_VALUES(eval(two, {{1, 4}, {2, 3}, {0, 1}}), (V{2, 8, 4, 13}), 0);
}

BOOST_AUTO_TEST_CASE(pools) {
  V x16(16);
  for (std::size_t i = 0; i < 16; ++i) x16[i] = static_cast<double>(i + 1);
  const auto mp = make(TensorOpKind::max_pool, {operand(f, {1, 1, 4, 4})},
                       {operand(f, {1, 1, 2, 2}), operand(DType::i64, {1, 1, 2, 2})},
                       {ints(AttrId::kernel_shape, {2, 2}), ints(AttrId::strides, {2, 2})});
  CHECK_VALUES(eval(mp, {x16}, 0), (V{6, 8, 14, 16}), 0);
  CHECK_VALUES(eval(mp, {x16}, 1), (V{5, 7, 13, 15}), 0);
  auto mp_col = mp;
  mp_col.set(AttrId::storage_order, std::int64_t{1});
  CHECK_VALUES(eval(mp_col, {x16}, 1), (V{5, 13, 7, 15}), 0);
  // Padding is never the maximum.
  CHECK_VALUES(eval(pool(TensorOpKind::max_pool, {1, 1, 3}, {1, 1, 4},
                         {ints(AttrId::kernel_shape, {2}), ints(AttrId::pads, {1, 1})}),
                    {{-1, -2, -3}}),
               (V{-1, -1, -2, -3}), 0);
  CHECK_VALUES(
      eval(pool(TensorOpKind::max_pool, {1, 1, 3}, {1, 1, 2}, {ints(AttrId::kernel_shape, {2})}, DType::u8),
           {{200, 7, 255}}),
      (V{200, 255}), 0);
  // Average with and without the padding counted.
  CHECK_VALUES(eval(pool(TensorOpKind::average_pool, {1, 1, 3}, {1, 1, 4},
                         {ints(AttrId::kernel_shape, {2}), ints(AttrId::pads, {1, 1})}),
                    {{1, 2, 3}}),
               (V{1, 1.5, 2.5, 3}), 0);
  CHECK_VALUES(eval(pool(TensorOpKind::average_pool, {1, 1, 3}, {1, 1, 4},
                         {ints(AttrId::kernel_shape, {2}), ints(AttrId::pads, {1, 1}),
                          attr(AttrId::count_include_pad, std::int64_t{1})}),
                    {{1, 2, 3}}),
               (V{0.5, 1.5, 2.5, 1.5}), 0);
  // ceil_mode adds a last, partial window.
  CHECK_VALUES(eval(pool(TensorOpKind::average_pool, {1, 1, 4}, {1, 1, 1},
                         {ints(AttrId::kernel_shape, {3}), ints(AttrId::strides, {2})}),
                    {{1, 2, 3, 4}}),
               (V{2}), 0);
  CHECK_VALUES(eval(pool(TensorOpKind::average_pool, {1, 1, 4}, {1, 1, 2},
                         {ints(AttrId::kernel_shape, {3}), ints(AttrId::strides, {2}),
                          attr(AttrId::ceil_mode, std::int64_t{1})}),
                    {{1, 2, 3, 4}}),
               (V{2, 3.5}), 0);
  CHECK_VALUES(eval(pool(TensorOpKind::global_average_pool, {1, 2, 2, 1}, {1, 2, 1, 1}), {{1, 2, 3, 5}}),
               (V{1.5, 4}), 0);
  CHECK_VALUES(eval(pool(TensorOpKind::global_max_pool, {1, 2, 2, 1}, {1, 2, 1, 1}), {{1, 2, 3, 5}}),
               (V{2, 5}), 0);
}

BOOST_AUTO_TEST_CASE(validation) {
  unsupported(make(TensorOpKind::conv, {operand(DType::i32, {1, 1, 3}), operand(DType::i32, {1, 1, 1})},
                   {operand(DType::i32, {1, 1, 3})}),
              "Conv: input 0 (X): dtype i32 is not supported (supported: f32, f16, bf16)");
  invalid(conv({1, 2, 3}, {1, 1, 1}, {1, 1, 3}),
          "Conv: input 1 (W): shape [1,1,1] should have 2 input channels per group (2 channels, group 1)");
  invalid(conv({1, 1, 3}, {1, 1, 1}, {1, 1, 4}), "Conv: output 0 (Y): shape [1,1,4] should be [1,1,3]");
  invalid(conv({1, 3, 3}, {1, 1, 1}, {1, 1, 3}, {attr(AttrId::group, std::int64_t{2})}),
          "Conv: attribute group = 2 does not divide the 3 channels of input 0 (X)");
  invalid(conv({1, 1, 3}, {1, 1, 1}, {1, 1, 3}, {ints(AttrId::pads, {1})}),
          "Conv: attribute pads has 1 values, 2 expected");
  invalid(conv({1, 1, 3}, {1, 1, 1}, {1, 1, 3}, {ints(AttrId::strides, {0})}),
          "Conv: attribute strides value 0 is outside 1..");
  invalid(conv({1, 1, 2}, {1, 1, 3}, {1, 1, 1}),
          "Conv: the window of 3 (dilated) on spatial axis 0 exceeds the padded input of 2");
  invalid(conv({1, 1, 3}, {1, 1, 1}, {1, 1, 3}, {ints(AttrId::kernel_shape, {2})}),
          "Conv: attribute kernel_shape [2] differs from the kernel [1] of input 1 (W)");
  invalid(conv({1, 3}, {1, 3}, {1, 3}), "Conv: input 0 (X): rank 2 should be 3 to 5");
  invalid(make(TensorOpKind::conv, {operand(f, {1, 1, 3}), operand(f, {2, 1, 1}), operand(f, {3})},
               {operand(f, {1, 2, 3})}),
          "Conv: input 2 (B): shape [3] should be [2]");
  invalid(conv({1, 1, 3}, {1, 1, 1}, {1, 1, 3}, {attr(AttrId::auto_pad, std::int64_t{7})}),
          "Conv: attribute auto_pad = 7 is outside 0..3");
  invalid(make(TensorOpKind::conv_transpose, {operand(f, {1, 2, 3}), operand(f, {1, 1, 1})},
               {operand(f, {1, 1, 3})}),
          "ConvTranspose: input 1 (W): shape [1,1,1] should have 2 input channels");
  invalid(pool(TensorOpKind::max_pool, {1, 1, 3}, {1, 1, 3}), "MaxPool: attribute kernel_shape is required");
  unsupported(
      pool(TensorOpKind::average_pool, {1, 1, 3}, {1, 1, 3}, {ints(AttrId::kernel_shape, {1})}, DType::i8),
      "AveragePool: input 0 (X): dtype i8 is not supported");
  unsupported(pool(TensorOpKind::average_pool, {1, 1, 3}, {1, 1, 3},
                   {ints(AttrId::kernel_shape, {1}), ints(AttrId::dilations, {1})}),
              "AveragePool: attribute dilations is not supported by this operator");
  invalid(make(TensorOpKind::max_pool, {operand(f, {1, 1, 3})},
               {operand(f, {1, 1, 3}), operand(DType::i32, {1, 1, 3})}, {ints(AttrId::kernel_shape, {1})}),
          "MaxPool: output 1 (Indices): dtype i32 should be i64");
  invalid(pool(TensorOpKind::global_average_pool, {1, 2, 3}, {1, 2, 3}),
          "GlobalAveragePool: output 0 (Y): shape [1,2,3] should be [1,2,1]");
}

BOOST_AUTO_TEST_CASE(wire_round_trip_and_lanes) {
  const auto op =
      conv({1, 2, 5, 5}, {4, 1, 3, 3}, {1, 4, 3, 3},
           {pad_mode("VALID"), ints(AttrId::dilations, {1, 1}), attr(AttrId::group, std::int64_t{2}),
            ints(AttrId::kernel_shape, {3, 3}), ints(AttrId::strides, {1, 1})});
  BOOST_CHECK_NO_THROW(validate(op));
  check_round_trip(op);
  BOOST_TEST(mac_count(op) == 36u * 9u);
  check_round_trip(make(
      TensorOpKind::conv_transpose, {operand(f, {1, 1, 3}), operand(f, {1, 1, 2})}, {operand(f, {1, 1, 7})},
      {ints(AttrId::output_padding, {1}), ints(AttrId::output_shape, {7}), ints(AttrId::strides, {2})}));
  check_round_trip(pool(TensorOpKind::average_pool, {1, 1, 4}, {1, 1, 2},
                        {ints(AttrId::kernel_shape, {3}), attr(AttrId::ceil_mode, std::int64_t{1}),
                         attr(AttrId::count_include_pad, std::int64_t{1}), ints(AttrId::pads, {0, 1})}));
  BOOST_TEST(lane_results(conv({1, 1, 3, 3}, {2, 1, 2, 2}, {1, 2, 2, 2}), {V(9, 1), V(8, 1)}) == 8u);
  BOOST_TEST(
      lane_results(pool(TensorOpKind::max_pool, {1, 1, 4}, {1, 1, 3}, {ints(AttrId::kernel_shape, {2})}),
                   {{1, 2, 3, 4}}) == 3u);
  BOOST_TEST((kind_from_string("GlobalMaxPool") == TensorOpKind::global_max_pool));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval::chip::test

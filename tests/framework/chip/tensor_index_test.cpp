// Tests for the index and generation family of seedval/chip/tensor.h (GatherElements, GatherND,
// ScatterElements, ScatterND, ConstantOfShape, Size, Range, OneHot, EyeLike, CumSum, TopK, Hardmax):
// hand-worked results, values checked at execution, dtype and shape errors, wire round trips, and which
// operators have lane results.
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
constexpr auto i32 = DType::i32;
constexpr auto i64 = DType::i64;
using V = std::vector<double>;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

Attribute axis(std::int64_t a) {
  return attr(AttrId::axis, a);
}

void rejected_at_execution(const TensorOp& op, const std::vector<V>& inputs, const std::string& needle) {
  BOOST_CHECK_EXCEPTION(eval(op, inputs), InvalidArgumentError,
                        testing::error_with(ErrorCode::invalid_argument, needle));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(chip_tensor_index)

BOOST_AUTO_TEST_CASE(gather_elements) {
  // data [[1,2],[3,4]], indices [[0,0],[1,0]] along axis 1: [[1,1],[4,3]].
  const auto g = make(TensorOpKind::gather_elements, {operand(f, {2, 2}), operand(i64, {2, 2})},
                      {operand(f, {2, 2})}, {axis(1)});
  CHECK_VALUES(eval(g, {{1, 2, 3, 4}, {0, 0, 1, 0}}), (V{1, 1, 4, 3}), 0);
  // Axis 0 with negative indices (-1 is the last row) and fewer index rows than data rows.
  const auto g0 = make(TensorOpKind::gather_elements, {operand(DType::i8, {3, 2}), operand(i32, {1, 2})},
                       {operand(DType::i8, {1, 2})});
  CHECK_VALUES(eval(g0, {{1, 2, 3, 4, 5, 6}, {-1, 1}}), (V{5, 4}), 0);
  rejected_at_execution(g, {{1, 2, 3, 4}, {0, 2, 0, 0}},
                        "GatherElements: input 1 (indices): index 2 is outside 0..1");
  invalid(make(TensorOpKind::gather_elements, {operand(f, {2, 2}), operand(i64, {4})}, {operand(f, {4})}),
          "GatherElements: input 1 (indices): rank 1 differs from input 0 (data) rank 2");
  invalid(make(TensorOpKind::gather_elements, {operand(f, {2, 2}), operand(i64, {2, 2})},
               {operand(f, {2, 2})}, {axis(2)}),
          "GatherElements: attribute axis 2 is out of range for rank 2");
  invalid(
      make(TensorOpKind::gather_elements, {operand(f, {2, 2}), operand(i64, {2, 3})}, {operand(f, {2, 3})}),
      "GatherElements: input 1 (indices): shape [2,3] exceeds input 0 (data) shape [2,2] at dim 1");
  unsupported(
      make(TensorOpKind::gather_elements, {operand(f, {2, 2}), operand(f, {2, 2})}, {operand(f, {2, 2})}),
      "GatherElements: input 1 (indices): dtype f32 is not supported");
}

BOOST_AUTO_TEST_CASE(gather_nd) {
  // data [[0,1],[2,3]]: indices [[0,0],[1,1]] pick elements, [[1],[0]] pick rows.
  const auto e =
      make(TensorOpKind::gather_nd, {operand(i32, {2, 2}), operand(i64, {2, 2})}, {operand(i32, {2})});
  CHECK_VALUES(eval(e, {{0, 1, 2, 3}, {0, 0, 1, 1}}), (V{0, 3}), 0);
  const auto r =
      make(TensorOpKind::gather_nd, {operand(f, {2, 2}), operand(i64, {2, 1})}, {operand(f, {2, 2})});
  CHECK_VALUES(eval(r, {{0, 1, 2, 3}, {1, 0}}), (V{2, 3, 0, 1}), 0);
  // batch_dims 1: data [2,2,2] = 0..7, indices [[1],[0]]: batch 0 row 1 = [2,3], batch 1 row 0 = [4,5].
  const auto b = make(TensorOpKind::gather_nd, {operand(f, {2, 2, 2}), operand(i64, {2, 1})},
                      {operand(f, {2, 2})}, {attr(AttrId::batch_dims, std::int64_t{1})});
  CHECK_VALUES(eval(b, {{0, 1, 2, 3, 4, 5, 6, 7}, {1, 0}}), (V{2, 3, 4, 5}), 0);
  rejected_at_execution(e, {{0, 1, 2, 3}, {0, -3, 1, 1}},
                        "GatherND: input 1 (indices): index -3 is outside 0..1");
  invalid(make(TensorOpKind::gather_nd, {operand(f, {2, 2}), operand(i64, {2, 3})}, {operand(f, {2})}),
          "GatherND: input 1 (indices): last dim 3 should be 1..2");
  invalid(make(TensorOpKind::gather_nd, {operand(f, {2, 2}), operand(i64, {2, 1})}, {operand(f, {2})}),
          "GatherND: output 0 (output): shape [2] should be [2,2]");
  invalid(make(TensorOpKind::gather_nd, {operand(f, {2, 2, 2}), operand(i64, {3, 1})}, {operand(f, {3, 2})},
               {attr(AttrId::batch_dims, std::int64_t{1})}),
          "GatherND: input 1 (indices): batch dim 0 = 3 differs from input 0 (data) dim 2");
  unsupported(make(TensorOpKind::gather_nd, {operand(f, {2, 2}), operand(i32, {2, 2})}, {operand(f, {2})}),
              "GatherND: input 1 (indices): dtype i32 is not supported");
}

BOOST_AUTO_TEST_CASE(scatter_elements) {
  // data zeros [3,3], indices [[1,0,2],[0,2,1]], updates [[1,2,3],[4,5,6]] along axis 0.
  const auto s = make(TensorOpKind::scatter_elements,
                      {operand(f, {3, 3}), operand(i64, {2, 3}), operand(f, {2, 3})}, {operand(f, {3, 3})});
  CHECK_VALUES(eval(s, {V(9, 0), {1, 0, 2, 0, 2, 1}, {1, 2, 3, 4, 5, 6}}), (V{4, 2, 0, 1, 0, 6, 0, 5, 3}), 0);
  // Duplicates with reduction add and mul along axis 1 (data [[1,2,3,4,5]], indices [[1,1]], updates
  // [[1.5,2]]): add gives 2 + 1.5 + 2, mul 2·1.5·2.
  auto dup = make(TensorOpKind::scatter_elements,
                  {operand(f, {1, 5}), operand(i32, {1, 2}), operand(f, {1, 2})}, {operand(f, {1, 5})},
                  {axis(1), attr(AttrId::reduction, string_attribute_value(AttrId::reduction, "add"))});
  CHECK_VALUES(eval(dup, {{1, 2, 3, 4, 5}, {1, 1}, {1.5, 2}}), (V{1, 5.5, 3, 4, 5}), 0);
  dup.set(AttrId::reduction, string_attribute_value(AttrId::reduction, "mul"));
  CHECK_VALUES(eval(dup, {{1, 2, 3, 4, 5}, {1, 1}, {1.5, 2}}), (V{1, 6, 3, 4, 5}), 0);
  dup.set(AttrId::reduction, string_attribute_value(AttrId::reduction, "max"));
  CHECK_VALUES(eval(dup, {{1, 2, 3, 4, 5}, {-4, 3}, {1.5, 2}}), (V{1, 2, 3, 4, 5}), 0);
  dup.set(AttrId::reduction, string_attribute_value(AttrId::reduction, "min"));
  CHECK_VALUES(eval(dup, {{1, 2, 3, 4, 5}, {-4, 3}, {1.5, 2}}), (V{1, 1.5, 3, 2, 5}), 0);
  // Integers wrap: i8 100 + 100 = -56.
  const auto wrap = make(TensorOpKind::scatter_elements,
                         {operand(DType::i8, {2}), operand(i64, {1}), operand(DType::i8, {1})},
                         {operand(DType::i8, {2})}, {attr(AttrId::reduction, std::int64_t{1})});
  CHECK_VALUES(eval(wrap, {{100, 7}, {0}, {100}}), (V{-56, 7}), 0);
  BOOST_TEST(string_attribute_value(AttrId::reduction, "none") == 0);
  BOOST_CHECK_THROW(string_attribute_value(AttrId::reduction, "mean"), UnsupportedError);
  rejected_at_execution(s, {V(9, 0), {3, 0, 0, 0, 0, 0}, V(6, 1)},
                        "ScatterElements: input 1 (indices): index 3 is outside 0..2");
  invalid(make(TensorOpKind::scatter_elements, {operand(f, {3, 3}), operand(i64, {2, 3}), operand(f, {3, 2})},
               {operand(f, {3, 3})}),
          "ScatterElements: input 2 (updates): shape [3,2] should be [2,3]");
  invalid(make(TensorOpKind::scatter_elements,
               {operand(f, {3, 3}), operand(i64, {2, 3}), operand(DType::f16, {2, 3})}, {operand(f, {3, 3})}),
          "ScatterElements: input 2 (updates): dtype f16 differs from input 0 (data) dtype f32");
  unsupported(make(TensorOpKind::scatter_elements,
                   {operand(DType::boolean, {2}), operand(i64, {1}), operand(DType::boolean, {1})},
                   {operand(DType::boolean, {2})}, {attr(AttrId::reduction, std::int64_t{1})}),
              "ScatterElements: input 0 (data): dtype bool is not supported");
}

BOOST_AUTO_TEST_CASE(scatter_nd) {
  // data [1..8], indices [[4],[3],[1],[7]], updates [9,10,11,12]: ONNX's example.
  const auto s = make(TensorOpKind::scatter_nd, {operand(f, {8}), operand(i64, {4, 1}), operand(f, {4})},
                      {operand(f, {8})});
  CHECK_VALUES(eval(s, {{1, 2, 3, 4, 5, 6, 7, 8}, {4, 3, 1, 7}, {9, 10, 11, 12}}),
               (V{1, 11, 3, 10, 9, 6, 7, 12}), 0);
  // Row updates with add: data [2,2] ones, indices [[1],[1]], updates [[1,2],[3,4]] -> [[1,1],[5,7]].
  const auto rows =
      make(TensorOpKind::scatter_nd, {operand(i32, {2, 2}), operand(i64, {2, 1}), operand(i32, {2, 2})},
           {operand(i32, {2, 2})}, {attr(AttrId::reduction, std::int64_t{1})});
  CHECK_VALUES(eval(rows, {{1, 1, 1, 1}, {1, 1}, {1, 2, 3, 4}}), (V{1, 1, 5, 7}), 0);
  invalid(make(TensorOpKind::scatter_nd, {operand(f, {8}), operand(i64, {4, 1}), operand(f, {3})},
               {operand(f, {8})}),
          "ScatterND: input 2 (updates): shape [3] should be [4]");
  invalid(make(TensorOpKind::scatter_nd, {operand(f, {8}), operand(i64, {4, 1}), operand(f, {4})},
               {operand(f, {8})}, {attr(AttrId::reduction, std::int64_t{5})}),
          "ScatterND: attribute reduction = 5 should be 0..4");
}

BOOST_AUTO_TEST_CASE(constant_of_shape_and_size) {
  const auto c = make(TensorOpKind::constant_of_shape, {operand(i64, {2})}, {operand(i32, {2, 3})},
                      {attr(AttrId::value, 7.0)});
  CHECK_VALUES(eval(c, {{2, 3}}), V(6, 7), 0);
  // Default: f32 zeros; an empty shape value gives an empty tensor.
  const auto z = make(TensorOpKind::constant_of_shape, {operand(i64, {1})}, {operand(f, {0})});
  CHECK_VALUES(eval(z, {{0}}), V{}, 0);
  const auto h = make(TensorOpKind::constant_of_shape, {operand(i64, {1})}, {operand(DType::f16, {2})},
                      {attr(AttrId::value, 0.1)});
  CHECK_VALUES(eval(h, {{2}}), (V{0.0999755859375, 0.0999755859375}), 0);  // 0.1 rounded once to f16
  rejected_at_execution(c, {{3, 2}},
                        "ConstantOfShape: output 0 (output): shape [2,3] differs from the values [3,2]");
  invalid(make(TensorOpKind::constant_of_shape, {operand(i64, {1})}, {operand(i32, {2})}),
          "ConstantOfShape: output 0 (output): dtype i32 should be f32 without attribute value");
  invalid(make(TensorOpKind::constant_of_shape, {operand(i64, {1})}, {operand(DType::u8, {2})},
               {attr(AttrId::value, 256.0)}),
          "ConstantOfShape: attribute value 256 is not a u8 value");
  invalid(make(TensorOpKind::constant_of_shape, {operand(i64, {2})}, {operand(f, {2})}),
          "ConstantOfShape: output 0 (output): rank 1 differs from the 2 values of input 0 (input)");

  const auto s = make(TensorOpKind::size, {operand(DType::boolean, {2, 3, 4})}, {operand(i64, {})});
  CHECK_VALUES(eval(s, {V(24, 1)}), V{24}, 0);
  invalid(make(TensorOpKind::size, {operand(f, {2})}, {operand(i32, {})}),
          "Size: output 0 (size): dtype i32 should be i64");
}

BOOST_AUTO_TEST_CASE(range) {
  const auto r =
      make(TensorOpKind::range, {operand(i32, {}), operand(i32, {}), operand(i32, {})}, {operand(i32, {4})});
  CHECK_VALUES(eval(r, {{10}, {0}, {-3}}), (V{10, 7, 4, 1}), 0);
  const auto rf =
      make(TensorOpKind::range, {operand(f, {}), operand(f, {}), operand(f, {})}, {operand(f, {3})});
  CHECK_VALUES(eval(rf, {{0.5}, {2}, {0.5}}), (V{0.5, 1, 1.5}), 0);
  // An empty range, and a length that does not match the output.
  const auto empty =
      make(TensorOpKind::range, {operand(i64, {}), operand(i64, {}), operand(i64, {})}, {operand(i64, {0})});
  CHECK_VALUES(eval(empty, {{5}, {1}, {2}}), V{}, 0);
  rejected_at_execution(rf, {{0}, {2}, {0.5}}, "Range: output 0 (output): shape [3] should be [4]");
  rejected_at_execution(r, {{0}, {2}, {0}}, "Range: input 2 (delta): delta is 0");
  unsupported(
      make(TensorOpKind::range, {operand(DType::f16, {}), operand(DType::f16, {}), operand(DType::f16, {})},
           {operand(DType::f16, {3})}),
      "Range: input 0 (start): dtype f16 is not supported");
  invalid(make(TensorOpKind::range, {operand(f, {}), operand(f, {2}), operand(f, {})}, {operand(f, {3})}),
          "Range: input 1 (limit): shape [2] should be a scalar");
}

BOOST_AUTO_TEST_CASE(one_hot_and_eye_like) {
  // indices [0, -1, 3, 5] depth 4 values [off=0, on=5]; -1 is 3, 5 is out of range (all off).
  const auto oh =
      make(TensorOpKind::one_hot, {operand(i64, {4}), operand(f, {}), operand(f, {2})}, {operand(f, {4, 4})});
  CHECK_VALUES(eval(oh, {{0, -1, 3, 5}, {4}, {0, 5}}), (V{5, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 5, 0, 0, 0, 0}),
               0);
  // axis 0: the depth dim comes first; float indices truncate (1.7 -> 1).
  const auto oh0 = make(TensorOpKind::one_hot, {operand(f, {2}), operand(i64, {1}), operand(i32, {2})},
                        {operand(i32, {3, 2})}, {axis(0)});
  CHECK_VALUES(eval(oh0, {{1.7, 0}, {3}, {-1, 1}}), (V{-1, 1, 1, -1, -1, -1}), 0);
  rejected_at_execution(
      oh, {{0, 0, 0, 0}, {3}, {0, 1}},
      "OneHot: output 0 (output): dim 1 = 4 differs from the depth given by input 1 (depth)");
  invalid(
      make(TensorOpKind::one_hot, {operand(i64, {4}), operand(f, {}), operand(f, {3})}, {operand(f, {4, 4})}),
      "OneHot: input 2 (values): shape [3] should be [2]");
  invalid(make(TensorOpKind::one_hot, {operand(i64, {4}), operand(f, {}), operand(f, {2})},
               {operand(f, {4, 4})}, {axis(2)}),
          "OneHot: attribute axis 2 is out of range for rank 2");

  // EyeLike k = 1 on [3,4]; dtype 7 (int64) overrides the input's dtype.
  const auto eye = make(TensorOpKind::eye_like, {operand(f, {3, 4})}, {operand(i64, {3, 4})},
                        {attr(AttrId::k, std::int64_t{1}), attr(AttrId::dtype, std::int64_t{7})});
  CHECK_VALUES(eval(eye, {V(12, 9)}), (V{0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}), 0);
  const auto eye_neg = make(TensorOpKind::eye_like, {operand(i32, {3, 2})}, {operand(i32, {3, 2})},
                            {attr(AttrId::k, std::int64_t{-1})});
  CHECK_VALUES(eval(eye_neg, {V(6, 0)}), (V{0, 0, 1, 0, 0, 1}), 0);
  unsupported(make(TensorOpKind::eye_like, {operand(f, {2, 2})}, {operand(f, {2, 2})},
                   {attr(AttrId::dtype, std::int64_t{11})}),
              "EyeLike: attribute dtype = 11 names a dtype the chip lacks");
  invalid(make(TensorOpKind::eye_like, {operand(f, {2, 2})}, {operand(i32, {2, 2})}),
          "EyeLike: output 0 (output): dtype i32 differs from input 0 (input) dtype f32");
  invalid(make(TensorOpKind::eye_like, {operand(f, {2})}, {operand(f, {2})}),
          "EyeLike: input 0 (input): rank 1 should be 2");
}

BOOST_AUTO_TEST_CASE(cum_sum) {
  const auto cs = make(TensorOpKind::cum_sum, {operand(f, {2, 3}), operand(i32, {})}, {operand(f, {2, 3})});
  const V x{1, 2, 3, 4, 5, 6};
  CHECK_VALUES(eval(cs, {x, {1}}), (V{1, 3, 6, 4, 9, 15}), 0);
  CHECK_VALUES(eval(cs, {x, {0}}), (V{1, 2, 3, 5, 7, 9}), 0);
  CHECK_VALUES(eval(cs, {x, {-1}}), (V{1, 3, 6, 4, 9, 15}), 0);
  auto ex = cs;
  ex.set(AttrId::exclusive, std::int64_t{1});
  CHECK_VALUES(eval(ex, {x, {1}}), (V{0, 1, 3, 0, 4, 9}), 0);
  ex.set(AttrId::reverse, std::int64_t{1});
  CHECK_VALUES(eval(ex, {x, {1}}), (V{5, 3, 0, 11, 6, 0}), 0);
  auto rev = cs;
  rev.set(AttrId::reverse, std::int64_t{1});
  CHECK_VALUES(eval(rev, {x, {1}}), (V{6, 5, 3, 15, 11, 6}), 0);
  // i32 wraps: 2^31 - 1 + 1.
  const auto ci = make(TensorOpKind::cum_sum, {operand(i32, {2}), operand(i64, {1})}, {operand(i32, {2})});
  CHECK_VALUES(eval(ci, {{2147483647, 1}, {0}}), (V{2147483647, -2147483648.0}), 0);
  rejected_at_execution(cs, {x, {2}}, "CumSum: axis 2 is out of range for rank 2");
  unsupported(
      make(TensorOpKind::cum_sum, {operand(DType::i8, {2}), operand(i64, {})}, {operand(DType::i8, {2})}),
      "CumSum: input 0 (x): dtype i8 is not supported");
  invalid(make(TensorOpKind::cum_sum, {operand(f, {2}), operand(i64, {2})}, {operand(f, {2})}),
          "CumSum: input 1 (axis): shape [2] should be a scalar");
}

BOOST_AUTO_TEST_CASE(top_k) {
  // X [2,4]: K = 2 along the last axis; ties keep the lower index first.
  const auto tk = make(TensorOpKind::top_k, {operand(f, {2, 4}), operand(i64, {1})},
                       {operand(f, {2, 2}), operand(i64, {2, 2})});
  const V x{3, 1, 3, 2, -1, 0, 5, kNaN};
  CHECK_VALUES(eval(tk, {x, {2}}, 0), (V{3, 3, kNaN, 5}), 0);
  CHECK_VALUES(eval(tk, {x, {2}}, 1), (V{0, 2, 3, 2}), 0);
  auto small = tk;
  small.set(AttrId::largest, std::int64_t{0});
  CHECK_VALUES(eval(small, {x, {2}}, 0), (V{1, 2, -1, 0}), 0);
  CHECK_VALUES(eval(small, {x, {2}}, 1), (V{1, 3, 0, 1}), 0);
  // Axis 0 of the same data, K = 1.
  const auto t0 = make(TensorOpKind::top_k, {operand(i32, {2, 4}), operand(i64, {1})},
                       {operand(i32, {1, 4}), operand(i64, {1, 4})}, {axis(0)});
  CHECK_VALUES(eval(t0, {{3, 1, 3, 2, -1, 0, 5, 7}, {1}}, 1), (V{0, 0, 1, 1}), 0);
  rejected_at_execution(tk, {x, {3}}, "TopK: input 1 (K): K = 3 differs from output 0 (Values) dim 1 = 2");
  invalid(make(TensorOpKind::top_k, {operand(f, {2, 4}), operand(i64, {1})},
               {operand(f, {2, 5}), operand(i64, {2, 5})}),
          "TopK: output 0 (Values): shape [2,5] does not fit input 0 (X) [2,4] along axis 1");
  invalid(make(TensorOpKind::top_k, {operand(f, {2, 4}), operand(i64, {1})},
               {operand(f, {2, 2}), operand(i32, {2, 2})}),
          "TopK: output 1 (Indices): dtype i32 should be i64");
  invalid(make(TensorOpKind::top_k, {operand(f, {2, 4}), operand(i64, {1})},
               {operand(f, {2, 2}), operand(i64, {2, 2})}, {axis(-3)}),
          "TopK: attribute axis -3 is out of range for rank 2");
}

BOOST_AUTO_TEST_CASE(hardmax) {
  // The first maximum along the axis is 1; NaN wins.
  const auto hm = make(TensorOpKind::hardmax, {operand(f, {2, 3})}, {operand(f, {2, 3})});
  CHECK_VALUES(eval(hm, {{1, 3, 3, 2, kNaN, 9}}), (V{0, 1, 0, 0, 1, 0}), 0);
  const auto h0 =
      make(TensorOpKind::hardmax, {operand(DType::bf16, {2, 3})}, {operand(DType::bf16, {2, 3})}, {axis(0)});
  CHECK_VALUES(eval(h0, {{1, 3, 3, 2, 3, -1}}), (V{0, 1, 1, 1, 0, 0}), 0);
  unsupported(make(TensorOpKind::hardmax, {operand(i32, {2})}, {operand(i32, {2})}),
              "Hardmax: input 0 (input): dtype i32 is not supported");
  invalid(make(TensorOpKind::hardmax, {operand(f, {})}, {operand(f, {})}),
          "Hardmax: attribute axis -1 is out of range for rank 0");
}

BOOST_AUTO_TEST_CASE(lane_results_and_round_trips) {
  // Data movement and generation: no lane results.
  for (const auto k :
       {TensorOpKind::gather_elements, TensorOpKind::gather_nd, TensorOpKind::constant_of_shape,
        TensorOpKind::size, TensorOpKind::one_hot, TensorOpKind::eye_like})
    BOOST_TEST(!has_lane_results(k), to_string(k));
  for (const auto k : {TensorOpKind::scatter_elements, TensorOpKind::scatter_nd, TensorOpKind::range,
                       TensorOpKind::cum_sum, TensorOpKind::top_k, TensorOpKind::hardmax})
    BOOST_TEST(has_lane_results(k), to_string(k));
  const auto g =
      make(TensorOpKind::gather_elements, {operand(f, {2, 2}), operand(i64, {2, 2})}, {operand(f, {2, 2})});
  BOOST_TEST(lane_results(g, {{1, 2, 3, 4}, {0, 0, 1, 0}}) == 0u);
  BOOST_TEST(mac_count(g) == 0u);

  // CumSum: every output element passes the tap; bit 0 of 3.0f (0x40400000) flips to 0x40400001.
  const auto cs = make(TensorOpKind::cum_sum, {operand(f, {3}), operand(i64, {})}, {operand(f, {3})});
  BOOST_TEST(mac_count(cs) == 3u);
  {
    RecordingTap tap;
    const auto out = reference_execute(cs, std::vector<Bytes>{pack(f, {1, 2, 0}), pack(i64, {0})}, &tap);
    BOOST_TEST(tap.seen.size() == 3u);
    CHECK_VALUES(unpack(f, out[0]),
                 (V{1.00000011920928955078125, 3.0000002384185791015625, 3.0000002384185791015625}), 0);
  }
  // Scatter: every output element (its final value) is a lane result; integers flip their low bit.
  const auto sc = make(TensorOpKind::scatter_elements,
                       {operand(i64, {3}), operand(i64, {1}), operand(i64, {1})}, {operand(i64, {3})});
  {
    RecordingTap tap;
    const auto out =
        reference_execute(sc, std::vector<Bytes>{pack(i64, {4, 4, 4}), pack(i64, {1}), pack(i64, {7})}, &tap);
    BOOST_TEST(tap.seen.size() == 3u);
    CHECK_VALUES(unpack(i64, out[0]), (V{5, 6, 5}), 0);
  }
  // TopK: the Values are lane results; the Indices are not.
  const auto tk =
      make(TensorOpKind::top_k, {operand(f, {3}), operand(i64, {1})}, {operand(f, {2}), operand(i64, {2})});
  BOOST_TEST(lane_results(tk, {{1, 2, 3}, {2}}) == 2u);
  const auto rg =
      make(TensorOpKind::range, {operand(i64, {}), operand(i64, {}), operand(i64, {})}, {operand(i64, {3})});
  BOOST_TEST(lane_results(rg, {{0}, {3}, {1}}) == 3u);
  const auto hm = make(TensorOpKind::hardmax, {operand(f, {2, 2})}, {operand(f, {2, 2})});
  BOOST_TEST(lane_results(hm, {{1, 2, 3, 4}}) == 4u);

  check_round_trip(make(TensorOpKind::scatter_nd, {operand(f, {8}), operand(i64, {4, 1}), operand(f, {4})},
                        {operand(f, {8})}, {attr(AttrId::reduction, std::int64_t{3})}));
  check_round_trip(make(TensorOpKind::constant_of_shape, {operand(i64, {2})}, {operand(f, {2, 3})},
                        {attr(AttrId::value, 1.5)}));
  BOOST_TEST((kind_from_string("GatherND") == TensorOpKind::gather_nd));
  BOOST_TEST((kind_from_string("TopK") == TensorOpKind::top_k));
  BOOST_TEST((attr_from_string("batch_dims") == AttrId::batch_dims));
  BOOST_TEST((attr_from_string("sorted") == AttrId::sorted));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval::chip::test

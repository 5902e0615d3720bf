// Tests for the reduction family of seedval/chip/tensor.h (ReduceSum ... ArgMin): hand-computed results,
// axes as attribute and as input, dtype and shape errors, wire round trips and lane results.
#include <cmath>
#include <cstdint>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <seedval/chip/tensor.h>
#include <seedval/core/error.h>

#include "tensor_test_util.h"

namespace seedval::chip::test {
namespace {

constexpr auto f = DType::f32;
const std::vector<double> k2x3{1, 2, 3, 4, 5, 6};

TensorOp reduce(TensorOpKind k, Shape in, Shape out, std::vector<Attribute> attrs = {}, DType t = f) {
  return make(k, {operand(t, std::move(in))}, {operand(t, std::move(out))}, std::move(attrs));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(chip_tensor_reduce)

BOOST_AUTO_TEST_CASE(sums_and_means) {
  CHECK_VALUES(eval(reduce(TensorOpKind::reduce_sum, {2, 3}, {2, 1}, {ints(AttrId::axes, {1})}), {k2x3}),
               (std::vector<double>{6, 15}), 0);
  CHECK_VALUES(eval(reduce(TensorOpKind::reduce_sum, {2, 3}, {1, 1}), {k2x3}), (std::vector<double>{21}), 0);
  CHECK_VALUES(
      eval(reduce(TensorOpKind::reduce_sum, {2, 3}, {}, {attr(AttrId::keepdims, std::int64_t{0})}), {k2x3}),
      (std::vector<double>{21}), 0);
  // Axes as the second input (ReduceSum since opset 13), negative axis.
  const auto by_input = make(TensorOpKind::reduce_sum, {operand(f, {2, 3}), operand(DType::i64, {1})},
                             {operand(f, {3})}, {attr(AttrId::keepdims, std::int64_t{0})});
  CHECK_VALUES(eval(by_input, {k2x3, {-2}}), (std::vector<double>{5, 7, 9}), 0);
  // Empty axes input with noop_with_empty_axes: the input unchanged.
  const auto noop = make(TensorOpKind::reduce_sum, {operand(f, {2, 3}), operand(DType::i64, {0})},
                         {operand(f, {2, 3})}, {attr(AttrId::noop_with_empty_axes, std::int64_t{1})});
  CHECK_VALUES(eval(noop, {k2x3, {}}), k2x3, 0);
  CHECK_VALUES(eval(reduce(TensorOpKind::reduce_mean, {2, 3}, {1, 3}, {ints(AttrId::axes, {0})}), {k2x3}),
               (std::vector<double>{2.5, 3.5, 4.5}), 0);
  CHECK_VALUES(eval(reduce(TensorOpKind::reduce_mean, {2, 3}, {2},
                           {ints(AttrId::axes, {1}), attr(AttrId::keepdims, std::int64_t{0})}, DType::bf16),
                    {k2x3}),
               (std::vector<double>{2, 5}), 0);
}

BOOST_AUTO_TEST_CASE(extremes_products_and_norms) {
  CHECK_VALUES(eval(reduce(TensorOpKind::reduce_max, {2, 3}, {2, 1}, {ints(AttrId::axes, {1})}), {k2x3}),
               (std::vector<double>{3, 6}), 0);
  CHECK_VALUES(eval(reduce(TensorOpKind::reduce_min, {2, 3}, {1, 3}, {ints(AttrId::axes, {0})}),
                    {{3, -2, 9, 1, 5, -7}}),
               (std::vector<double>{1, -2, -7}), 0);
  CHECK_VALUES(eval(reduce(TensorOpKind::reduce_max, {3}, {1}), {{1, NAN, 2}}), (std::vector<double>{NAN}),
               0);
  CHECK_VALUES(eval(reduce(TensorOpKind::reduce_prod, {2, 3}, {2, 1}, {ints(AttrId::axes, {1})}), {k2x3}),
               (std::vector<double>{6, 120}), 0);
  CHECK_VALUES(eval(reduce(TensorOpKind::reduce_l1, {2, 2}, {1, 1}), {{-1, 2, 3, -4}}),
               (std::vector<double>{10}), 0);
  CHECK_VALUES(
      eval(reduce(TensorOpKind::reduce_l2, {2, 2}, {2, 1}, {ints(AttrId::axes, {1})}), {{3, -4, 5, 12}}),
      (std::vector<double>{5, 13}), 0);
  CHECK_VALUES(eval(reduce(TensorOpKind::reduce_sum_square, {3}, {1}), {{1, -2, 3}}),
               (std::vector<double>{14}), 0);
  CHECK_VALUES(
      eval(reduce(TensorOpKind::reduce_log_sum, {2, 2}, {2, 1}, {ints(AttrId::axes, {1})}), {{1, 2, 3, 4}}),
      (std::vector<double>{std::log(3.0), std::log(7.0)}), 1e-6);
  // log(e^1000 + e^1000) = 1000 + log 2: the shift by the maximum keeps it finite.
  CHECK_VALUES(eval(reduce(TensorOpKind::reduce_log_sum_exp, {2}, {1}), {{1000, 1000}}),
               (std::vector<double>{1000 + std::log(2.0)}), 1e-6);
  CHECK_VALUES(eval(reduce(TensorOpKind::reduce_log_sum_exp, {3}, {1}), {{0, 0, 0}}),
               (std::vector<double>{std::log(3.0)}), 1e-6);
  // Empty reductions: the identities of the operations.
  CHECK_VALUES(eval(reduce(TensorOpKind::reduce_sum, {2, 0}, {2, 1}, {ints(AttrId::axes, {1})}), {{}}),
               (std::vector<double>{0, 0}), 0);
  CHECK_VALUES(eval(reduce(TensorOpKind::reduce_prod, {0}, {1}), {{}}), (std::vector<double>{1}), 0);
  CHECK_VALUES(eval(reduce(TensorOpKind::reduce_max, {0}, {1}), {{}}), (std::vector<double>{-INFINITY}), 0);
}

BOOST_AUTO_TEST_CASE(arg_max_and_min) {
  const std::vector<double> x{1, 5, 5, 7, 2, 3};
  const auto am = [](Shape out, std::vector<Attribute> attrs) {
    return make(TensorOpKind::arg_max, {operand(f, {2, 3})}, {operand(DType::i64, std::move(out))},
                std::move(attrs));
  };
  CHECK_VALUES(eval(am({2, 1}, {attr(AttrId::axis, std::int64_t{1})}), {x}), (std::vector<double>{1, 0}), 0);
  CHECK_VALUES(eval(am({2}, {attr(AttrId::axis, std::int64_t{-1}), attr(AttrId::keepdims, std::int64_t{0}),
                             attr(AttrId::select_last_index, std::int64_t{1})}),
                    {x}),
               (std::vector<double>{2, 0}), 0);
  CHECK_VALUES(eval(am({1, 3}, {}), {x}), (std::vector<double>{1, 0, 0}), 0);
  const auto amin = make(TensorOpKind::arg_min, {operand(DType::f16, {2, 3})}, {operand(DType::i64, {1, 3})});
  CHECK_VALUES(eval(amin, {x}), (std::vector<double>{0, 1, 1}), 0);
}

BOOST_AUTO_TEST_CASE(validation) {
  unsupported(reduce(TensorOpKind::reduce_sum, {2}, {1}, {}, DType::i32),
              "ReduceSum: input 0 (data): dtype i32 is not supported (supported: f32, f16, bf16)");
  unsupported(make(TensorOpKind::reduce_sum, {operand(f, {2}), operand(DType::i32, {1})}, {operand(f, {1})}),
              "ReduceSum: input 1 (axes): dtype i32 is not supported");
  unsupported(reduce(TensorOpKind::reduce_sum, {2}, {1}, {attr(AttrId::alpha, 1.0)}),
              "ReduceSum: attribute alpha is not supported by this operator");
  invalid(reduce(TensorOpKind::reduce_mean, {2, 3}, {2},
                 {ints(AttrId::axes, {0}), attr(AttrId::keepdims, std::int64_t{0})}),
          "ReduceMean: output 0 (reduced): shape [2] should be [3]");
  invalid(reduce(TensorOpKind::reduce_max, {2, 3}, {2}, {ints(AttrId::axes, {2})}),
          "ReduceMax: axis 2 is out of range for rank 2");
  invalid(reduce(TensorOpKind::reduce_max, {2, 3}, {1, 1}, {ints(AttrId::axes, {1, -1})}),
          "ReduceMax: axis -1 appears twice in axes");
  invalid(reduce(TensorOpKind::reduce_max, {2, 3}, {1, 1}, {attr(AttrId::keepdims, std::int64_t{2})}),
          "ReduceMax: attribute keepdims = 2 should be 0 or 1");
  invalid(make(TensorOpKind::reduce_l2, {operand(f, {2})}, {operand(DType::f16, {1})}),
          "ReduceL2: output 0 (reduced): dtype f16 differs from input 0 (data) dtype f32");
  invalid(make(TensorOpKind::arg_max, {operand(f, {2, 3})}, {operand(DType::i32, {1, 3})}),
          "ArgMax: output 0 (reduced): dtype i32 should be i64");
  invalid(make(TensorOpKind::arg_max, {operand(f, {2, 3})}, {operand(DType::i64, {2, 3})}),
          "ArgMax: output 0 (reduced): shape [2,3] should be [1,3]");
  invalid(make(TensorOpKind::arg_min, {operand(f, {0, 3})}, {operand(DType::i64, {1, 3})}),
          "ArgMin: input 0 (data): axis 0 is empty");
  // With axes as an input only the rank is known at validate time; execution checks the shape.
  const auto late =
      make(TensorOpKind::reduce_sum, {operand(f, {2, 3}), operand(DType::i64, {1})}, {operand(f, {2, 1})});
  BOOST_CHECK_NO_THROW(validate(late));
  BOOST_CHECK_EXCEPTION(eval(late, {k2x3, {0}}), InvalidArgumentError,
                        testing::error_with(ErrorCode::invalid_argument,
                                            "ReduceSum: output 0 (reduced): shape [2,1] should be [1,3]"));
  invalid(make(TensorOpKind::reduce_sum, {operand(f, {2, 3}), operand(DType::i64, {1})}, {operand(f, {2})}),
          "ReduceSum: output 0 (reduced): rank 1 cannot be a reduction of input 0 (data) [2,3] (keepdims=1)");
  invalid(
      make(TensorOpKind::reduce_sum, {operand(f, {2}), operand(f, {2}), operand(f, {2})}, {operand(f, {1})}),
      "ReduceSum: 3 inputs given, 1 to 2 expected");
}

BOOST_AUTO_TEST_CASE(wire_round_trip_and_lanes) {
  const auto op = reduce(TensorOpKind::reduce_log_sum_exp, {2, 3, 4}, {3},
                         {ints(AttrId::axes, {0, -1}), attr(AttrId::keepdims, std::int64_t{0}),
                          attr(AttrId::noop_with_empty_axes, std::int64_t{1})});
  check_round_trip(op);
  check_round_trip(
      make(TensorOpKind::arg_min, {operand(f, {2, 3})}, {operand(DType::i64, {2, 1})},
           {attr(AttrId::axis, std::int64_t{1}), attr(AttrId::select_last_index, std::int64_t{1})}));
  BOOST_TEST(has_lane_results(TensorOpKind::reduce_mean));
  BOOST_TEST(has_lane_results(TensorOpKind::arg_max));
  BOOST_TEST(lane_results(reduce(TensorOpKind::reduce_mean, {2, 3}, {2, 1}, {ints(AttrId::axes, {1})}),
                          {k2x3}) == 2u);
  BOOST_TEST(mac_count(op) == 24u);
  BOOST_TEST(to_string(TensorOpKind::reduce_sum_square) == "ReduceSumSquare");
  BOOST_TEST((kind_from_string("ArgMax") == TensorOpKind::arg_max));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval::chip::test

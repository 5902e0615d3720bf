// Tests for the normalisation family of seedval/chip/tensor.h (BatchNormalization, LayerNormalization,
// Softmax, LogSoftmax): hand-computed results, dtype and shape errors, wire round trips and lane results.
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

}  // namespace

BOOST_AUTO_TEST_SUITE(chip_tensor_norm)

BOOST_AUTO_TEST_CASE(softmax_and_log_softmax) {
  // exp(x - max) / sum: for [1, 2, 3] the terms are e^-2, e^-1, 1.
  const double s = std::exp(-2.0) + std::exp(-1.0) + 1.0;
  CHECK_VALUES(eval(make(TensorOpKind::softmax, {operand(f, {1, 3})}, {operand(f, {1, 3})}), {{1, 2, 3}}),
               (std::vector<double>{std::exp(-2.0) / s, std::exp(-1.0) / s, 1 / s}), 1e-6);
  // Over axis 0 of [[0, 0], [ln 3, 0]]: columns [1/4, 3/4] and [1/2, 1/2].
  const auto ax0 = make(TensorOpKind::softmax, {operand(f, {2, 2})}, {operand(f, {2, 2})},
                        {attr(AttrId::axis, std::int64_t{0})});
  CHECK_VALUES(eval(ax0, {{0, 0, std::log(3.0), 0}}), (std::vector<double>{0.25, 0.5, 0.75, 0.5}), 1e-6);
  // Large inputs do not overflow: the maximum is subtracted first.
  CHECK_VALUES(eval(make(TensorOpKind::softmax, {operand(f, {2})}, {operand(f, {2})}), {{1000, 1000}}),
               (std::vector<double>{0.5, 0.5}), 0);
  CHECK_VALUES(
      eval(make(TensorOpKind::log_softmax, {operand(f, {2})}, {operand(f, {2})}), {{0, std::log(3.0)}}),
      (std::vector<double>{-std::log(4.0), std::log(3.0) - std::log(4.0)}), 1e-6);
  CHECK_VALUES(eval(make(TensorOpKind::log_softmax, {operand(DType::bf16, {2})}, {operand(DType::bf16, {2})}),
                    {{5, 5}}),
               (std::vector<double>{-std::log(2.0), -std::log(2.0)}), 4e-3);
}

BOOST_AUTO_TEST_CASE(layer_normalization) {
  // Rows [1, 2, 3] and [2, 4, 6]: means 2 and 4, variances 2/3 and 8/3, so both normalise to
  // [-sqrt(3/2), 0, sqrt(3/2)].
  const double r = std::sqrt(1.5);
  const auto op =
      make(TensorOpKind::layer_normalization, {operand(f, {2, 3}), operand(f, {3}), operand(f, {3})},
           {operand(f, {2, 3}), operand(f, {2, 1}), operand(f, {2, 1})}, {attr(AttrId::epsilon, 0.0)});
  const std::vector<std::vector<double>> in{{1, 2, 3, 2, 4, 6}, {2, 1, 1}, {1, 0, 0}};
  CHECK_VALUES(eval(op, in, 0), (std::vector<double>{1 - 2 * r, 0, r, 1 - 2 * r, 0, r}), 1e-6);
  CHECK_VALUES(eval(op, in, 1), (std::vector<double>{2, 4}), 1e-7);
  CHECK_VALUES(eval(op, in, 2), (std::vector<double>{1 / std::sqrt(2.0 / 3), 1 / std::sqrt(8.0 / 3)}), 1e-6);
  // Over the last two axes with no bias, epsilon 1: [0, 2, 4, 6] has mean 3, variance 5.
  const auto two =
      make(TensorOpKind::layer_normalization, {operand(f, {1, 2, 2}), operand(f, {1, 2}), absent()},
           {operand(f, {1, 2, 2})}, {attr(AttrId::axis, std::int64_t{1}), attr(AttrId::epsilon, 1.0)});
  const double k = 1 / std::sqrt(6.0);
  CHECK_VALUES(eval(two, {{0, 2, 4, 6}, {1, 2}, {}}), (std::vector<double>{-3 * k, -2 * k, 1 * k, 6 * k}),
               1e-6);
}

BOOST_AUTO_TEST_CASE(batch_normalization) {
  // Channel 0: mean 2, var 1, scale 1, bias 0; channel 1: mean 15, var 25, scale 2, bias 1.
  const auto op =
      make(TensorOpKind::batch_normalization,
           {operand(f, {1, 2, 1, 2}), operand(f, {2}), operand(f, {2}), operand(f, {2}), operand(f, {2})},
           {operand(f, {1, 2, 1, 2})}, {attr(AttrId::epsilon, 0.0)});
  CHECK_VALUES(eval(op, {{1, 3, 10, 20}, {1, 2}, {0, 1}, {2, 15}, {1, 25}}),
               (std::vector<double>{-1, 1, -1, 3}), 1e-7);
  // Default epsilon 1e-5 on a rank-2 input.
  const auto op2 =
      make(TensorOpKind::batch_normalization,
           {operand(f, {2, 1}), operand(f, {1}), operand(f, {1}), operand(f, {1}), operand(f, {1})},
           {operand(f, {2, 1})});
  CHECK_VALUES(eval(op2, {{1, -1}, {1}, {0}, {0}, {1}}),
               (std::vector<double>{1 / std::sqrt(1 + 1e-5), -1 / std::sqrt(1 + 1e-5)}), 1e-6);
}

BOOST_AUTO_TEST_CASE(validation) {
  unsupported(make(TensorOpKind::softmax, {operand(DType::i32, {2})}, {operand(DType::i32, {2})}),
              "Softmax: input 0 (input): dtype i32 is not supported (supported: f32, f16, bf16)");
  invalid(make(TensorOpKind::softmax, {operand(f, {2, 3})}, {operand(f, {2, 3})},
               {attr(AttrId::axis, std::int64_t{2})}),
          "Softmax: attribute axis 2 is out of range for rank 2");
  invalid(make(TensorOpKind::log_softmax, {operand(f, {2, 3})}, {operand(f, {3, 2})}),
          "LogSoftmax: output 0 (output): shape [3,2] should be [2,3]");
  invalid(make(TensorOpKind::softmax, {operand(f, {})}, {operand(f, {})}),
          "Softmax: input 0 (input): a scalar has no axis");
  const std::vector<TensorOperand> bn_in{operand(f, {1, 2, 2}), operand(f, {2}), operand(f, {2}),
                                         operand(f, {2}), operand(f, {2})};
  unsupported(make(TensorOpKind::batch_normalization, bn_in, {operand(f, {1, 2, 2})},
                   {attr(AttrId::training_mode, std::int64_t{1})}),
              "BatchNormalization: attribute training_mode = 1 is not supported (inference only)");
  unsupported(
      make(TensorOpKind::batch_normalization, bn_in,
           {operand(f, {1, 2, 2}), operand(f, {2}), operand(f, {2})}),
      "BatchNormalization: output 1 (running_mean): running statistics are only produced in training mode");
  auto bad_mean = bn_in;
  bad_mean[3] = operand(f, {3});
  invalid(make(TensorOpKind::batch_normalization, bad_mean, {operand(f, {1, 2, 2})}),
          "BatchNormalization: input 3 (input_mean): shape [3] should be [2]");
  invalid(make(TensorOpKind::batch_normalization, {bn_in[0], bn_in[1]}, {operand(f, {1, 2, 2})}),
          "BatchNormalization: 2 inputs given, 5 expected");
  unsupported(
      make(TensorOpKind::batch_normalization,
           {operand(DType::i8, {1, 2}), operand(f, {2}), operand(f, {2}), operand(f, {2}), operand(f, {2})},
           {operand(DType::i8, {1, 2})}),
      "BatchNormalization: input 0 (X): dtype i8 is not supported");
  invalid(
      make(TensorOpKind::layer_normalization, {operand(f, {2, 3}), operand(f, {2})}, {operand(f, {2, 3})}),
      "LayerNormalization: input 1 (Scale): shape [2] does not broadcast to the normalised shape [3]");
  invalid(make(TensorOpKind::layer_normalization, {operand(f, {2, 3}), operand(f, {3})},
               {operand(f, {2, 3}), operand(f, {2})}),
          "LayerNormalization: output 1 (Mean): shape [2] should be [2,1]");
  unsupported(make(TensorOpKind::layer_normalization, {operand(f, {2, 3}), operand(f, {3})},
                   {operand(f, {2, 3})}, {attr(AttrId::stash_type, std::int64_t{0})}),
              "LayerNormalization: attribute stash_type = 0 is not supported");
}

BOOST_AUTO_TEST_CASE(wire_round_trip_and_lanes) {
  check_round_trip(make(TensorOpKind::layer_normalization, {operand(f, {2, 3}), operand(f, {3}), absent()},
                        {operand(f, {2, 3}), absent(), operand(f, {2, 1})},
                        {attr(AttrId::axis, std::int64_t{-1}), attr(AttrId::epsilon, 1e-3),
                         attr(AttrId::stash_type, std::int64_t{1})}));
  check_round_trip(make(
      TensorOpKind::batch_normalization,
      {operand(f, {1, 2}), operand(f, {2}), operand(f, {2}), operand(f, {2}), operand(f, {2})},
      {operand(f, {1, 2})}, {attr(AttrId::momentum, 0.9), attr(AttrId::training_mode, std::int64_t{0})}));
  BOOST_TEST(lane_results(make(TensorOpKind::softmax, {operand(f, {2, 3})}, {operand(f, {2, 3})}),
                          {{1, 2, 3, 4, 5, 6}}) == 6u);
  BOOST_TEST(to_string(TensorOpKind::log_softmax) == "LogSoftmax");
  BOOST_TEST((kind_from_string("BatchNormalization") == TensorOpKind::batch_normalization));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval::chip::test

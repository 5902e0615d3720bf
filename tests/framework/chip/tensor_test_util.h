// Small helpers for the tests of the tensor operator families: building descriptors and operands,
// filling buffers from literal values, reading results back, and checking validate() errors.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <seedval/chip/numeric.h>
#include <seedval/chip/tensor.h>
#include <seedval/core/error.h>

#include "support/errors.h"

namespace seedval::chip::test {

using Shape = std::vector<std::int64_t>;
using Bytes = std::vector<std::uint8_t>;

inline TensorOperand operand(DType t, Shape shape, std::uint64_t address = 0) {
  return TensorOperand{.address = address, .dtype = t, .shape = std::move(shape), .absent = false};
}
inline TensorOperand absent() {
  return TensorOperand{.address = 0, .dtype = DType::f32, .shape = {}, .absent = true};
}
inline TensorOp make(TensorOpKind kind, std::vector<TensorOperand> in, std::vector<TensorOperand> out,
                     std::vector<Attribute> attrs = {}) {
  return TensorOp{
      .kind = kind, .inputs = std::move(in), .outputs = std::move(out), .attributes = std::move(attrs)};
}
// The value is built in place (not moved from a parameter): GCC 12 reports a false maybe-uninitialized
// on moving a variant that holds a vector.
template <typename T>
Attribute attr(AttrId id, T v) {
  return Attribute{.id = id, .value = AttrValue(std::in_place_type<T>, v)};
}
inline Attribute ints(AttrId id, std::vector<std::int64_t> v) {
  return Attribute{.id = id, .value = AttrValue(std::in_place_type<std::vector<std::int64_t>>, std::move(v))};
}

/// Values stored in dtype `t` (floats round once to t; integers wrap).
inline Bytes pack(DType t, const std::vector<double>& values) {
  Bytes b(values.size() * dtype_size(t));
  for (std::size_t i = 0; i < values.size(); ++i) {
    std::uint64_t u = 0;
    const auto f = static_cast<float>(values[i]);
    switch (t) {
      case DType::f32:
        u = std::bit_cast<std::uint32_t>(f);
        break;
      case DType::f16:
        u = float_to_fp16(f);
        break;
      case DType::bf16:
        u = float_to_bf16(f);
        break;
      default:
        u = static_cast<std::uint64_t>(static_cast<std::int64_t>(values[i]));
        break;
    }
    for (std::size_t k = 0; k < dtype_size(t); ++k)
      b[i * dtype_size(t) + k] = static_cast<std::uint8_t>(u >> (8 * k));
  }
  return b;
}

/// The values of a result buffer of dtype `t`, as doubles (booleans 0/1).
inline std::vector<double> unpack(DType t, const Bytes& b) {
  const std::size_t size = dtype_size(t);
  std::vector<double> v(b.size() / size);
  for (std::size_t i = 0; i < v.size(); ++i) {
    std::uint64_t u = 0;
    for (std::size_t k = 0; k < size; ++k) u |= std::uint64_t{b[i * size + k]} << (8 * k);
    switch (t) {
      case DType::f32:
        v[i] = std::bit_cast<float>(static_cast<std::uint32_t>(u));
        break;
      case DType::f16:
        v[i] = fp16_to_float(static_cast<std::uint16_t>(u));
        break;
      case DType::bf16:
        v[i] = bf16_to_float(static_cast<std::uint16_t>(u));
        break;
      case DType::i8:
        v[i] = static_cast<std::int8_t>(u);
        break;
      case DType::i32:
        v[i] = static_cast<std::int32_t>(u);
        break;
      case DType::i64:
        v[i] = static_cast<double>(static_cast<std::int64_t>(u));
        break;
      default:
        v[i] = static_cast<double>(u);
        break;
    }
  }
  return v;
}

/// Runs `op` on inputs given as values (an empty vector for an absent input) and returns output `index`.
inline std::vector<double> eval(const TensorOp& op, const std::vector<std::vector<double>>& inputs,
                                std::size_t index = 0) {
  std::vector<Bytes> in;
  for (std::size_t i = 0; i < inputs.size(); ++i)
    in.push_back(op.inputs.at(i).absent ? Bytes{} : pack(op.inputs[i].dtype, inputs[i]));
  const auto out = reference_execute(op, in);
  return unpack(op.outputs.at(index).dtype, out.at(index));
}

/// Each value within `tol` (relative, plus 1e-30 absolute) of the expected one; NaNs must match.
#define CHECK_VALUES(got, want, tol)                                                            \
  do {                                                                                          \
    const auto got_ = (got);                                                                    \
    const std::vector<double> want_ = want;                                                     \
    BOOST_TEST_REQUIRE(got_.size() == want_.size());                                            \
    for (std::size_t i_ = 0; i_ < got_.size(); ++i_)                                            \
      BOOST_TEST((got_[i_] == want_[i_] || std::isnan(want_[i_])                                \
                      ? got_[i_] == want_[i_] || std::isnan(got_[i_])                           \
                      : std::fabs(got_[i_] - want_[i_]) <= (tol)*std::fabs(want_[i_]) + 1e-30), \
                 "element " << i_ << ": got " << got_[i_] << ", want " << want_[i_]);           \
  } while (false)

template <typename E>
void expect_rejected(const TensorOp& op, ErrorCode code, const std::string& needle) {
  BOOST_TEST_CONTEXT(op.describe()) {
    const auto msg = testing::expect_error<E>([&] { validate(op); }, code);
    CHECK_CONTAINS(msg, needle);
  }
}
inline void invalid(const TensorOp& op, const std::string& needle) {
  expect_rejected<InvalidArgumentError>(op, ErrorCode::invalid_argument, needle);
}
inline void unsupported(const TensorOp& op, const std::string& needle) {
  expect_rejected<UnsupportedError>(op, ErrorCode::unsupported, needle);
}

/// encode/decode gives the same descriptor back.
inline void check_round_trip(const TensorOp& op) {
  BOOST_TEST_CONTEXT(op.describe()) {
    BOOST_TEST((decode_tensor_op(encode_tensor_op(op)) == op));
  }
}

/// A tap that records the elements it sees and flips bit 0.
struct RecordingTap final : ResultTap {
  std::vector<std::uint64_t> seen;
  std::uint32_t apply(std::uint64_t element, std::uint32_t bits) override {
    seen.push_back(element);
    return bits ^ 1u;
  }
};

/// The number of lane results `op` produces on the given inputs (values as for eval()).
inline std::size_t lane_results(const TensorOp& op, const std::vector<std::vector<double>>& inputs) {
  std::vector<Bytes> in;
  for (std::size_t i = 0; i < inputs.size(); ++i)
    in.push_back(op.inputs.at(i).absent ? Bytes{} : pack(op.inputs[i].dtype, inputs[i]));
  RecordingTap tap;
  reference_execute(op, in, &tap);
  return tap.seen.size();
}

}  // namespace seedval::chip::test

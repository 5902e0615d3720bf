// Tests of host tensors and their ONNX TensorProto form, and of the output comparison.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <ostream>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <onnx/onnx_pb.h>

#include <seedval/chip/numeric.h>
#include <seedval/core/error.h>
#include <seedval/inference/compare.h>
#include <seedval/inference/host_tensor.h>

#include "support/errors.h"

namespace seedval::chip {
inline std::ostream& boost_test_print_type(std::ostream& os, DType t) {
  return os << to_string(t);
}
}  // namespace seedval::chip

namespace seedval::inference {
namespace {

template <typename T>
HostTensor tensor_of(chip::DType dtype, std::vector<std::int64_t> shape, const std::vector<T>& values) {
  HostTensor t{.dtype = dtype,
               .shape = std::move(shape),
               .data = std::vector<std::uint8_t>(values.size() * sizeof(T))};
  if (!values.empty()) std::memcpy(t.data.data(), values.data(), t.data.size());
  return t;
}

std::vector<std::uint8_t> serialize(const onnx::TensorProto& p) {
  std::string s;
  BOOST_REQUIRE(p.SerializeToString(&s));
  return {s.begin(), s.end()};
}

/// One tensor of every dtype, with values that exercise signs, NaN and the narrow types' bit patterns.
std::vector<HostTensor> every_dtype() {
  return {
      tensor_of<float>(chip::DType::f32, {2, 2},
                       {1.5f, -0.0f, std::numeric_limits<float>::infinity(), 3e-39f}),
      tensor_of<std::uint16_t>(chip::DType::f16, {3}, {0x3C00, 0x8001, 0x7E00}),
      tensor_of<std::uint16_t>(chip::DType::bf16, {3}, {0x3F80, 0xC2F7, 0x7FC0}),
      tensor_of<std::int8_t>(chip::DType::i8, {4}, {-128, -1, 0, 127}),
      tensor_of<std::uint8_t>(chip::DType::u8, {2, 1}, {0, 255}),
      tensor_of<std::int32_t>(chip::DType::i32, {2}, {-2147483647 - 1, 123456}),
      tensor_of<std::int64_t>(chip::DType::i64, {}, {-(std::int64_t{1} << 40)}),
      tensor_of<std::uint8_t>(chip::DType::boolean, {3}, {1, 0, 1}),
      tensor_of<float>(chip::DType::f32, {0, 3}, {}),
  };
}

BOOST_AUTO_TEST_CASE(every_dtype_survives_a_tensor_proto_round_trip) {
  for (const auto& t : every_dtype()) {
    const auto bytes = tensor_to_proto(t, "x");
    const HostTensor back = tensor_from_proto(bytes, "x.pb");
    BOOST_TEST((back == t), t.describe() << " came back as " << back.describe());
    onnx::TensorProto p;
    BOOST_REQUIRE(p.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())));
    BOOST_TEST(p.data_type() == onnx_data_type(t.dtype));
    BOOST_TEST(p.name() == "x");
    BOOST_TEST(dtype_from_onnx(p.data_type()) == t.dtype);
  }
}

BOOST_AUTO_TEST_CASE(the_typed_repeated_fields_read_as_raw_data_does) {
  for (const auto& t : every_dtype()) {
    onnx::TensorProto p;
    p.set_data_type(onnx_data_type(t.dtype));
    for (auto d : t.shape) p.add_dims(d);
    for (std::uint64_t i = 0; i < t.elements(); ++i) {
      const std::uint8_t* e = t.data.data() + i * chip::dtype_size(t.dtype);
      switch (t.dtype) {
        case chip::DType::f32: {
          float f;
          std::memcpy(&f, e, 4);
          p.add_float_data(f);
          break;
        }
        case chip::DType::i64: {
          std::int64_t v;
          std::memcpy(&v, e, 8);
          p.add_int64_data(v);
          break;
        }
        case chip::DType::i32: {
          std::int32_t v;
          std::memcpy(&v, e, 4);
          p.add_int32_data(v);
          break;
        }
        case chip::DType::f16:
        case chip::DType::bf16: {
          std::uint16_t v;
          std::memcpy(&v, e, 2);
          p.add_int32_data(v);
          break;
        }
        case chip::DType::i8:
          p.add_int32_data(static_cast<std::int8_t>(*e));
          break;
        default:
          p.add_int32_data(*e);
          break;
      }
    }
    const HostTensor back = tensor_from_proto(serialize(p), "typed.pb");
    BOOST_TEST((back == t), t.describe() << " came back as " << back.describe());
  }
}

BOOST_AUTO_TEST_CASE(element_types_without_a_chip_dtype_are_unsupported_and_bad_data_a_config_error) {
  onnx::TensorProto p;
  p.set_data_type(onnx::TensorProto::DOUBLE);
  p.add_dims(1);
  p.add_double_data(1.0);
  BOOST_CHECK_EXCEPTION(tensor_from_proto(serialize(p), "d.pb"), UnsupportedError,
                        testing::error_with(ErrorCode::unsupported, "d.pb: element type double"));
  p.set_data_type(onnx::TensorProto::STRING);
  BOOST_CHECK_EXCEPTION(tensor_from_proto(serialize(p), "s.pb"), UnsupportedError,
                        testing::error_with(ErrorCode::unsupported, "element type string"));

  onnx::TensorProto short_raw;
  short_raw.set_data_type(onnx::TensorProto::FLOAT);
  short_raw.add_dims(3);
  short_raw.set_raw_data(std::string(8, '\0'));
  BOOST_CHECK_EXCEPTION(tensor_from_proto(serialize(short_raw), "short.pb"), ConfigError,
                        testing::error_with(ErrorCode::config, "short.pb: raw_data has 8 bytes"));
  onnx::TensorProto few;
  few.set_data_type(onnx::TensorProto::INT64);
  few.add_dims(2);
  few.add_int64_data(1);
  BOOST_CHECK_EXCEPTION(tensor_from_proto(serialize(few), "few.pb"), ConfigError,
                        testing::error_with(ErrorCode::config, "holds 1 values"));
  const std::vector<std::uint8_t> garbage{0xFF, 0xFF, 0xFF};
  BOOST_CHECK_EXCEPTION(tensor_from_proto(garbage, "junk.pb"), ConfigError,
                        testing::error_with(ErrorCode::config, "junk.pb: not a valid ONNX TensorProto"));
  BOOST_CHECK_EXCEPTION(load_tensor_file("/nonexistent/input_0.pb"), IoError,
                        testing::error_with(ErrorCode::io, "/nonexistent/input_0.pb"));
}

// ---- comparison ----

HostTensor f32(std::vector<float> v) {
  const auto n = static_cast<std::int64_t>(v.size());
  return HostTensor::from_floats({n}, v);
}

BOOST_AUTO_TEST_CASE(floats_compare_as_numpy_allclose) {
  // |a - e| <= atol + rtol * |e| with rtol 1e-3, atol 1e-7.
  const auto c = compare(f32({1000.9f, 0.0f, -2.0f}), f32({1000.0f, 5e-8f, -2.0f}));
  BOOST_TEST(c.match, c.reason);
  BOOST_TEST(c.max_abs_error == 0.9, boost::test_tools::tolerance(1e-4));
  BOOST_TEST(c.max_rel_error == 1.0);  // 0 for 5e-8: within atol, but all of it

  const auto bad = compare(f32({1.0f, 1.0f, 1.0015f, 9.0f}), f32({1.0f, 1.0f, 1.0f, 9.0f}));
  BOOST_TEST(!bad.match);
  BOOST_TEST(bad.mismatches == 1u);
  BOOST_TEST(bad.first_mismatch.value_or(99) == 2u);
  BOOST_TEST(bad.reason.find("1 of 4 elements") != std::string::npos, bad.reason);
  BOOST_TEST(bad.reason.find("first at 2") != std::string::npos, bad.reason);

  BOOST_TEST(compare(f32({1.0015f}), f32({1.0f}), {.rtol = 1e-2, .atol = 0}).match);
  BOOST_TEST(!compare(f32({1e-7f}), f32({0.0f}), {.rtol = 0, .atol = 1e-8}).match);
}

BOOST_AUTO_TEST_CASE(nan_matches_only_nan_and_infinities_must_be_equal) {
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  BOOST_TEST(compare(f32({nan, inf, -inf}), f32({nan, inf, -inf})).match);
  BOOST_TEST(compare(f32({nan}), f32({1.0f})).first_mismatch.value_or(99) == 0u);
  BOOST_TEST(!compare(f32({1.0f}), f32({nan})).match);
  BOOST_TEST(!compare(f32({inf}), f32({-inf})).match);
  BOOST_TEST(!compare(f32({3e38f}), f32({inf})).match);
  const auto c = compare(f32({0.0f, nan}), f32({0.0f, 2.0f}));
  BOOST_TEST(c.first_mismatch.value_or(99) == 1u);
  BOOST_TEST(std::isfinite(c.max_abs_error));
}

BOOST_AUTO_TEST_CASE(narrow_floats_compare_by_value) {
  const auto a = tensor_of<std::uint16_t>(chip::DType::bf16, {2}, {chip::float_to_bf16(1.0f), 0x7FC1});
  const auto e = tensor_of<std::uint16_t>(chip::DType::bf16, {2}, {chip::float_to_bf16(1.0f), 0x7FC0});
  BOOST_TEST(compare(a, e).match);  // two NaNs
  const auto h1 = tensor_of<std::uint16_t>(chip::DType::f16, {1}, {chip::float_to_fp16(1.0f)});
  const auto h2 = tensor_of<std::uint16_t>(chip::DType::f16, {1}, {chip::float_to_fp16(1.001f)});
  BOOST_TEST(!compare(h2, h1, {.rtol = 1e-4, .atol = 0}).match);
}

BOOST_AUTO_TEST_CASE(integers_and_booleans_must_be_exact) {
  const auto a = tensor_of<std::int32_t>(chip::DType::i32, {3}, {1, 2, 1000001});
  const auto e = tensor_of<std::int32_t>(chip::DType::i32, {3}, {1, 2, 1000000});
  const auto c = compare(a, e, {.rtol = 1.0, .atol = 1.0});  // tolerances do not apply
  BOOST_TEST(!c.match);
  BOOST_TEST(c.first_mismatch.value_or(99) == 2u);
  BOOST_TEST(c.max_abs_error == 1.0);
  BOOST_TEST(compare(tensor_of<std::uint8_t>(chip::DType::boolean, {2}, {1, 0}),
                     tensor_of<std::uint8_t>(chip::DType::boolean, {2}, {1, 0}))
                 .match);
  BOOST_TEST(!compare(tensor_of<std::uint8_t>(chip::DType::boolean, {2}, {1, 1}),
                      tensor_of<std::uint8_t>(chip::DType::boolean, {2}, {1, 0}))
                  .match);
  BOOST_TEST(!compare(tensor_of<std::int64_t>(chip::DType::i64, {1}, {-1}),
                      tensor_of<std::int64_t>(chip::DType::i64, {1}, {1}))
                  .match);
}

BOOST_AUTO_TEST_CASE(a_dtype_or_shape_mismatch_is_a_failure) {
  const auto e = f32({1, 2, 3, 4});
  auto reshaped = e;
  reshaped.shape = {2, 2};
  const auto c = compare(reshaped, e);
  BOOST_TEST(!c.match);
  BOOST_TEST(!c.first_mismatch.has_value());
  BOOST_TEST(c.reason == "got f32[2,2], expected f32[4]");
  auto retyped = e;
  retyped.dtype = chip::DType::i32;
  BOOST_TEST(!compare(retyped, e).match);
}

}  // namespace
}  // namespace seedval::inference

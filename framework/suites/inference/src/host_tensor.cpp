#include <algorithm>
#include <bit>
#include <cctype>
#include <cstring>
#include <fstream>
#include <limits>

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <seedval/chip/numeric.h>
#include <seedval/core/error.h>
#include <seedval/inference/host_tensor.h>

#include "proto.h"

namespace seedval::inference {

static_assert(std::endian::native == std::endian::little, "tensor bytes are little-endian");

std::uint64_t HostTensor::elements() const noexcept {
  std::uint64_t n = 1;
  for (auto d : shape) n *= static_cast<std::uint64_t>(d);
  return n;
}

std::string HostTensor::describe() const {
  return fmt::format("{}[{}]", chip::to_string(dtype), fmt::join(shape, ","));
}

HostTensor HostTensor::from_floats(std::vector<std::int64_t> shape, std::span<const float> values) {
  HostTensor t{.dtype = chip::DType::f32, .shape = std::move(shape), .data = {}};
  if (t.elements() != values.size())
    throw InvalidArgumentError(
        ErrorCode::invalid_argument,
        fmt::format("{} holds {} values, not {}", t.describe(), t.elements(), values.size()));
  t.data.resize(values.size_bytes());
  std::memcpy(t.data.data(), values.data(), values.size_bytes());
  return t;
}

namespace {
template <typename T>
T load(const std::uint8_t* p) noexcept {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
}  // namespace

double HostTensor::element(std::uint64_t i) const noexcept {
  const std::uint8_t* p = data.data() + i * chip::dtype_size(dtype);
  switch (dtype) {
    case chip::DType::f32:
      return load<float>(p);
    case chip::DType::f16:
      return chip::fp16_to_float(load<std::uint16_t>(p));
    case chip::DType::bf16:
      return chip::bf16_to_float(load<std::uint16_t>(p));
    case chip::DType::i8:
      return load<std::int8_t>(p);
    case chip::DType::u8:
      return load<std::uint8_t>(p);
    case chip::DType::i32:
      return load<std::int32_t>(p);
    case chip::DType::i64:
      return static_cast<double>(load<std::int64_t>(p));
    case chip::DType::boolean:
      return *p != 0 ? 1.0 : 0.0;
  }
  return 0;
}

int onnx_data_type(chip::DType t) noexcept {
  switch (t) {
    case chip::DType::f32:
      return onnx::TensorProto::FLOAT;
    case chip::DType::f16:
      return onnx::TensorProto::FLOAT16;
    case chip::DType::bf16:
      return onnx::TensorProto::BFLOAT16;
    case chip::DType::i8:
      return onnx::TensorProto::INT8;
    case chip::DType::u8:
      return onnx::TensorProto::UINT8;
    case chip::DType::i32:
      return onnx::TensorProto::INT32;
    case chip::DType::i64:
      return onnx::TensorProto::INT64;
    case chip::DType::boolean:
      return onnx::TensorProto::BOOL;
  }
  return onnx::TensorProto::UNDEFINED;
}

chip::DType dtype_from_onnx(int data_type) {
  switch (data_type) {
    case onnx::TensorProto::FLOAT:
      return chip::DType::f32;
    case onnx::TensorProto::FLOAT16:
      return chip::DType::f16;
    case onnx::TensorProto::BFLOAT16:
      return chip::DType::bf16;
    case onnx::TensorProto::INT8:
      return chip::DType::i8;
    case onnx::TensorProto::UINT8:
      return chip::DType::u8;
    case onnx::TensorProto::INT32:
      return chip::DType::i32;
    case onnx::TensorProto::INT64:
      return chip::DType::i64;
    case onnx::TensorProto::BOOL:
      return chip::DType::boolean;
    default:
      break;
  }
  throw UnsupportedError(ErrorCode::unsupported,
                         fmt::format("element type {} has no chip dtype", detail::onnx_type_name(data_type)));
}

namespace detail {

std::string onnx_type_name(int data_type) {
  std::string name =
      onnx::TensorProto::DataType_IsValid(data_type)
          ? onnx::TensorProto::DataType_Name(static_cast<onnx::TensorProto::DataType>(data_type))
          : fmt::format("#{}", data_type);
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return name;
}

std::vector<std::uint8_t> read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw IoError(ErrorCode::io, fmt::format("{}: cannot open for reading", file.string()));
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw IoError(ErrorCode::io, fmt::format("{}: read error", file.string()));
  return bytes;
}

HostTensor from_proto(const onnx::TensorProto& proto, std::string_view what) {
  auto config_error = [&](std::string_view why) {
    return ConfigError(ErrorCode::config, fmt::format("{}: {}", what, why));
  };
  if (proto.data_location() == onnx::TensorProto::EXTERNAL || proto.external_data_size() > 0)
    throw UnsupportedError(ErrorCode::unsupported, fmt::format("{}: data in an external file", what));
  chip::DType dtype;
  try {
    dtype = dtype_from_onnx(proto.data_type());
  } catch (const UnsupportedError& e) {
    rethrow_with_context(e, what);
  }
  HostTensor t;
  t.dtype = dtype;
  std::uint64_t n = 1;
  for (const auto d : proto.dims()) {
    if (d < 0 || d > chip::kMaxTensorDim) throw config_error(fmt::format("dimension {} out of range", d));
    t.shape.push_back(d);
    if (d != 0 && n > chip::kMaxTensorElements / static_cast<std::uint64_t>(d))
      throw config_error("too many elements");
    n *= static_cast<std::uint64_t>(d);
  }
  const std::size_t size = chip::dtype_size(dtype);
  auto count_error = [&](std::size_t got) {
    return config_error(
        fmt::format("holds {} values for dims [{}] ({} elements)", got, fmt::join(t.shape, ","), n));
  };
  if (proto.has_raw_data()) {
    const std::string& raw = proto.raw_data();
    if (raw.size() != n * size)
      throw config_error(fmt::format("raw_data has {} bytes, dims [{}] of {} need {}", raw.size(),
                                     fmt::join(t.shape, ","), chip::to_string(dtype), n * size));
    t.data.assign(raw.begin(), raw.end());
    if (dtype == chip::DType::boolean)
      for (auto& b : t.data) b = b != 0 ? 1 : 0;
    return t;
  }
  t.data.resize(n * size);
  auto put = [&]<typename T>(std::size_t i, T v) { std::memcpy(t.data.data() + i * size, &v, sizeof v); };
  switch (dtype) {
    case chip::DType::f32:
      if (static_cast<std::uint64_t>(proto.float_data_size()) != n)
        throw count_error(proto.float_data_size());
      for (std::size_t i = 0; i < n; ++i) put(i, proto.float_data(static_cast<int>(i)));
      break;
    case chip::DType::i64:
      if (static_cast<std::uint64_t>(proto.int64_data_size()) != n)
        throw count_error(proto.int64_data_size());
      for (std::size_t i = 0; i < n; ++i)
        put(i, static_cast<std::int64_t>(proto.int64_data(static_cast<int>(i))));
      break;
    default:
      // ONNX keeps the narrower types in int32_data: float16 and bfloat16 as their bit patterns.
      if (static_cast<std::uint64_t>(proto.int32_data_size()) != n)
        throw count_error(proto.int32_data_size());
      for (std::size_t i = 0; i < n; ++i) {
        const std::int32_t v = proto.int32_data(static_cast<int>(i));
        switch (dtype) {
          case chip::DType::f16:
          case chip::DType::bf16:
            put(i, static_cast<std::uint16_t>(v));
            break;
          case chip::DType::i8:
            put(i, static_cast<std::int8_t>(v));
            break;
          case chip::DType::u8:
            put(i, static_cast<std::uint8_t>(v));
            break;
          case chip::DType::boolean:
            put(i, static_cast<std::uint8_t>(v != 0 ? 1 : 0));
            break;
          default:
            put(i, v);
            break;
        }
      }
      break;
  }
  return t;
}

}  // namespace detail

HostTensor tensor_from_proto(std::span<const std::uint8_t> serialized, std::string_view what) {
  onnx::TensorProto proto;
  if (serialized.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()) ||
      !proto.ParseFromArray(serialized.data(), static_cast<int>(serialized.size())))
    throw ConfigError(ErrorCode::config, fmt::format("{}: not a valid ONNX TensorProto", what));
  return detail::from_proto(proto, what);
}

HostTensor load_tensor_file(const std::filesystem::path& file) {
  return tensor_from_proto(detail::read_file(file), file.string());
}

std::vector<std::uint8_t> tensor_to_proto(const HostTensor& t, std::string_view name) {
  onnx::TensorProto proto;
  proto.set_name(std::string(name));
  proto.set_data_type(onnx_data_type(t.dtype));
  for (auto d : t.shape) proto.add_dims(d);
  proto.set_raw_data(t.data.data(), t.data.size());
  std::string bytes;
  if (!proto.SerializeToString(&bytes))
    throw InternalError(ErrorCode::internal,
                        fmt::format("cannot serialize {} as a TensorProto", t.describe()));
  return {bytes.begin(), bytes.end()};
}

}  // namespace seedval::inference

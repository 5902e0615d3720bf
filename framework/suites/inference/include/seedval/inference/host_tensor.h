// Tensors on the host: what a graph's inputs, initializers and expected outputs are before they go to
// the device and after they come back. Dense, row-major, little-endian, in one of the chip's dtypes.
//
//   HostTensor x = HostTensor::from_floats({2, 3}, {1, 2, 3, 4, 5, 6});
//   HostTensor y = load_tensor_file("test_data_set_0/output_0.pb");   // an ONNX TensorProto
//   std::vector<std::uint8_t> pb = tensor_to_proto(x);                 // and back
//
// The ONNX protobuf classes stay inside the library's .cpp files: TensorProto crosses this header as
// its serialized bytes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <seedval/chip/tensor.h>

namespace seedval::inference {

struct HostTensor {
  chip::DType dtype = chip::DType::f32;
  std::vector<std::int64_t> shape;  ///< empty: a scalar
  std::vector<std::uint8_t> data;   ///< elements() × dtype_size(dtype) bytes; booleans one byte each

  /// Product of the dimensions (1 for a scalar).
  std::uint64_t elements() const noexcept;
  /// "f32[2,3]"
  std::string describe() const;
  friend bool operator==(const HostTensor&, const HostTensor&) = default;

  /// An f32 tensor of `shape` holding `values` (one per element). Throws InvalidArgumentError if the
  /// count does not match the shape.
  static HostTensor from_floats(std::vector<std::int64_t> shape, std::span<const float> values);
  /// Element `i` widened to double (floats, integers and booleans alike). `i` must be < elements().
  double element(std::uint64_t i) const noexcept;
};

/// Parses a serialized ONNX TensorProto: raw_data or the typed repeated fields, for float, float16,
/// bfloat16, int8, uint8, int32, int64 and bool. `what` names the source in messages (a file name).
/// Throws UnsupportedError for another element type or external data, ConfigError for a malformed
/// message or a data length that does not match the dims.
HostTensor tensor_from_proto(std::span<const std::uint8_t> serialized, std::string_view what);
/// Reads a .pb file holding one TensorProto. Throws IoError if it cannot be read, else as above with the
/// file's name.
HostTensor load_tensor_file(const std::filesystem::path& file);
/// Serializes `t` as a TensorProto with raw_data (`name` as its name).
std::vector<std::uint8_t> tensor_to_proto(const HostTensor& t, std::string_view name = {});

/// The ONNX TensorProto.DataType value of `t` (FLOAT = 1, ...).
int onnx_data_type(chip::DType t) noexcept;
/// The chip dtype for an ONNX TensorProto.DataType value. Throws UnsupportedError naming the ONNX type
/// ("double", "string", ...) for a type the chip has no dtype for.
chip::DType dtype_from_onnx(int data_type);

}  // namespace seedval::inference

// The ONNX protobuf side of the library, kept out of its public headers.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>
#include <vector>

#include <onnx/onnx_pb.h>

#include <seedval/inference/host_tensor.h>

namespace seedval::inference::detail {

/// A TensorProto as a HostTensor; `what` names it in messages ("model.onnx: initializer \"w\"").
HostTensor from_proto(const onnx::TensorProto& proto, std::string_view what);

/// The whole of a file. Throws IoError naming it.
std::vector<std::uint8_t> read_file(const std::filesystem::path& file);

/// "double", "string", "float16"...: the ONNX data type's name, lower case.
std::string onnx_type_name(int data_type);

}  // namespace seedval::inference::detail

// A computation graph as the host runner sees it: ONNX's model, with nothing the runner does not need.
// Loaded from a model file (an ONNX ModelProto) or built in code, e.g. by a golden workload:
//
//   Graph g;
//   g.inputs = {{"x", chip::DType::f32, {{4, 8}}}};
//   g.initializers["w"] = w;                                   // a HostTensor
//   g.nodes = {{.op_type = "MatMul", .inputs = {"x", "w"}, .outputs = {"h"}},
//              {.op_type = "Relu", .inputs = {"h"}, .outputs = {"y"}}};
//   g.value_info = {{"h", chip::DType::f32, {{4, 16}}}};         // shapes of intermediate values
//   g.outputs = {{"y", chip::DType::f32, {{4, 16}}}};
//
// Attributes keep ONNX's names and types; the runner maps them onto the chip's descriptor, so a graph
// can name operators and attributes the chip does not have (they make the run unsupported, not the load).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <seedval/inference/host_tensor.h>

namespace seedval::inference {

/// An ONNX attribute value of a type the runner can map: INT, FLOAT, INTS, FLOATS, STRING, TENSOR.
/// Other types (GRAPH, SPARSE_TENSOR, TYPE_PROTO...) load as `Unmappable`, naming the type.
struct Unmappable {
  std::string type;  ///< the ONNX attribute type, e.g. "GRAPH"
  friend bool operator==(const Unmappable&, const Unmappable&) = default;
};
using NodeAttrValue = std::variant<std::int64_t, double, std::vector<std::int64_t>, std::vector<double>,
                                   std::string, HostTensor, Unmappable>;

struct NodeAttribute {
  std::string name;  ///< the ONNX name, e.g. "transA"
  NodeAttrValue value;
  friend bool operator==(const NodeAttribute&, const NodeAttribute&) = default;
};

struct Node {
  std::string name;                  ///< may be empty
  std::string op_type;               ///< ONNX op_type, e.g. "Gemm"
  std::string domain;                ///< empty or "ai.onnx" for the default operator set
  std::vector<std::string> inputs;   ///< value names in ONNX order; "" is an absent optional input
  std::vector<std::string> outputs;  ///< "" is an output left out
  std::vector<NodeAttribute> attributes;
  friend bool operator==(const Node&, const Node&) = default;

  const NodeAttribute* attribute(std::string_view name) const noexcept;
  /// "node 0 (MatMul)" or "node 0 \"mm\" (MatMul)"
  std::string describe(std::size_t index) const;
};

/// A named value's type: a tensor of `dtype` with a fully known `shape`, or what is missing.
struct ValueInfo {
  std::string name;
  std::optional<chip::DType> dtype;                ///< empty: not a tensor the chip has a dtype for
  std::optional<std::vector<std::int64_t>> shape;  ///< empty: unknown or symbolic dimensions
  /// Why dtype is empty, if it is: "a sequence, not a tensor", "of element type double, which has no
  /// chip dtype".
  std::string unsupported;
  friend bool operator==(const ValueInfo&, const ValueInfo&) = default;
};

struct Graph {
  std::string name;
  std::vector<Node> nodes;  ///< in an order that runs (ONNX requires a topological order)
  /// Constant values by name: the model's initializers. Constant nodes stay nodes (the runner uploads
  /// their value).
  std::map<std::string, HostTensor, std::less<>> initializers;
  std::vector<ValueInfo> inputs;  ///< graph inputs the caller binds, in order (initializers excluded)
  std::vector<ValueInfo> outputs;
  std::vector<ValueInfo> value_info;  ///< known types of intermediate values
  std::int64_t opset = 0;             ///< the default domain's opset version; 0 if not stated

  /// Loads an ONNX model file. Throws IoError if it cannot be read, ConfigError naming the file for a
  /// malformed model, UnsupportedError naming the file and the tensor for an initializer of a type the
  /// chip has no dtype for.
  static Graph load(const std::filesystem::path& model_file);
  /// Parses a serialized ModelProto; `what` names it in messages.
  static Graph parse(std::span<const std::uint8_t> model, std::string_view what);

  /// The type known for `name` (outputs, then value_info, then inputs), or nullptr.
  const ValueInfo* find_value_info(std::string_view name) const noexcept;
  /// The distinct op_types of the nodes, in first-use order.
  std::vector<std::string> operators() const;
};

}  // namespace seedval::inference

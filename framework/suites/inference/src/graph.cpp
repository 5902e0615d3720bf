#include <limits>
#include <set>

#include <fmt/core.h>
#include <onnx/shape_inference/implementation.h>

#include <seedval/core/error.h>
#include <seedval/inference/graph.h>

#include "proto.h"

namespace seedval::inference {
namespace {

ValueInfo to_value_info(const onnx::ValueInfoProto& v) {
  ValueInfo info;
  info.name = v.name();
  if (!v.has_type()) {
    info.unsupported = "of unknown type";
    return info;
  }
  const onnx::TypeProto& type = v.type();
  switch (type.value_case()) {
    case onnx::TypeProto::kTensorType:
      break;
    case onnx::TypeProto::kSequenceType:
      info.unsupported = "a sequence, not a tensor";
      return info;
    case onnx::TypeProto::kMapType:
      info.unsupported = "a map, not a tensor";
      return info;
    case onnx::TypeProto::kOptionalType:
      info.unsupported = "an optional, not a tensor";
      return info;
    case onnx::TypeProto::kSparseTensorType:
      info.unsupported = "a sparse tensor";
      return info;
    default:
      info.unsupported = "not a tensor";
      return info;
  }
  const auto& tensor = type.tensor_type();
  try {
    info.dtype = dtype_from_onnx(tensor.elem_type());
  } catch (const UnsupportedError&) {
    info.unsupported = fmt::format("of element type {}, which has no chip dtype",
                                   detail::onnx_type_name(tensor.elem_type()));
  }
  if (tensor.has_shape()) {
    std::vector<std::int64_t> shape;
    bool known = true;
    for (const auto& d : tensor.shape().dim()) {
      if (!d.has_dim_value() || d.dim_value() < 0) {
        known = false;
        break;
      }
      shape.push_back(d.dim_value());
    }
    if (known) info.shape = std::move(shape);
  }
  return info;
}

std::string attribute_type_name(onnx::AttributeProto::AttributeType t) {
  return onnx::AttributeProto::AttributeType_IsValid(t) ? onnx::AttributeProto::AttributeType_Name(t)
                                                        : fmt::format("#{}", static_cast<int>(t));
}

NodeAttribute attribute(const onnx::AttributeProto& a, std::string_view what) {
  NodeAttribute out;
  out.name = a.name();
  switch (a.type()) {
    case onnx::AttributeProto::INT:
      out.value = static_cast<std::int64_t>(a.i());
      break;
    case onnx::AttributeProto::FLOAT:
      out.value = static_cast<double>(a.f());
      break;
    case onnx::AttributeProto::INTS:
      out.value = std::vector<std::int64_t>(a.ints().begin(), a.ints().end());
      break;
    case onnx::AttributeProto::FLOATS: {
      std::vector<double> values;
      for (float f : a.floats()) values.push_back(static_cast<double>(f));
      out.value = std::move(values);
      break;
    }
    case onnx::AttributeProto::STRING:
      out.value = a.s();
      break;
    case onnx::AttributeProto::TENSOR:
      out.value = detail::from_proto(a.t(), fmt::format("{}: attribute \"{}\"", what, a.name()));
      break;
    default:
      out.value = Unmappable{attribute_type_name(a.type())};
      break;
  }
  return out;
}

}  // namespace

const NodeAttribute* Node::attribute(std::string_view attr_name) const noexcept {
  for (const auto& a : attributes)
    if (a.name == attr_name) return &a;
  return nullptr;
}

std::string Node::describe(std::size_t index) const {
  return name.empty() ? fmt::format("node {} ({})", index, op_type)
                      : fmt::format("node {} \"{}\" ({})", index, name, op_type);
}

namespace {

// Intermediate values whose type the model does not state (the "_expanded" function bodies, most
// models straight from an exporter) get one from ONNX's own shape inference, with data propagation so
// that shapes computed by Shape/Gather/Concat chains resolve. Inference is best effort: a value it
// cannot type stays untyped and makes its node unsupported.
void infer_missing_types(onnx::ModelProto& model) {
  const onnx::GraphProto& g = model.graph();
  std::set<std::string> typed;
  for (const auto* list : {&g.input(), &g.output(), &g.value_info()})
    for (const auto& v : *list) typed.insert(v.name());
  for (const auto& init : g.initializer()) typed.insert(init.name());
  bool missing = false;
  for (const auto& n : g.node())
    for (const auto& out : n.output()) missing = missing || (!out.empty() && !typed.contains(out));
  if (!missing) return;
  onnx::ShapeInferenceOptions options;
  options.check_type = false;
  options.error_mode = 0;  // a node ONNX cannot infer is skipped, not fatal
  options.enable_data_propagation = true;
  try {
    onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(), options);
  } catch (const std::exception&) {
    // Whatever was inferred before the failure stays; the rest remains unknown.
  }
}

}  // namespace

Graph Graph::load(const std::filesystem::path& model_file) {
  return parse(detail::read_file(model_file), model_file.string());
}

Graph Graph::parse(std::span<const std::uint8_t> bytes, std::string_view what) {
  onnx::ModelProto model;
  if (bytes.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()) ||
      !model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    throw ConfigError(ErrorCode::config, fmt::format("{}: not a valid ONNX model", what));
  if (!model.has_graph())
    throw ConfigError(ErrorCode::config, fmt::format("{}: the model has no graph", what));
  infer_missing_types(model);
  const onnx::GraphProto& g = model.graph();
  Graph graph;
  graph.name = g.name();
  for (const auto& op : model.opset_import())
    if (op.domain().empty() || op.domain() == "ai.onnx") graph.opset = op.version();
  if (g.sparse_initializer_size() > 0)
    throw UnsupportedError(ErrorCode::unsupported, fmt::format("{}: sparse initializer \"{}\"", what,
                                                               g.sparse_initializer(0).values().name()));
  for (const auto& init : g.initializer()) {
    const std::string where = fmt::format("{}: initializer \"{}\"", what, init.name());
    if (init.name().empty())
      throw ConfigError(ErrorCode::config, fmt::format("{}: an initializer has no name", what));
    graph.initializers.insert_or_assign(init.name(), detail::from_proto(init, where));
  }
  for (const auto& in : g.input())
    if (!graph.initializers.contains(in.name())) graph.inputs.push_back(to_value_info(in));
  for (const auto& out : g.output()) graph.outputs.push_back(to_value_info(out));
  for (const auto& v : g.value_info()) graph.value_info.push_back(to_value_info(v));
  for (int i = 0; i < g.node_size(); ++i) {
    const onnx::NodeProto& n = g.node(i);
    Node node{.name = n.name(),
              .op_type = n.op_type(),
              .domain = n.domain(),
              .inputs = {n.input().begin(), n.input().end()},
              .outputs = {n.output().begin(), n.output().end()},
              .attributes = {}};
    const std::string where = fmt::format("{}: {}", what, node.describe(static_cast<std::size_t>(i)));
    for (const auto& a : n.attribute()) node.attributes.push_back(attribute(a, where));
    graph.nodes.push_back(std::move(node));
  }
  return graph;
}

const ValueInfo* Graph::find_value_info(std::string_view value) const noexcept {
  for (const auto* list : {&outputs, &value_info, &inputs})
    for (const auto& v : *list)
      if (v.name == value) return &v;
  return nullptr;
}

std::vector<std::string> Graph::operators() const {
  std::vector<std::string> ops;
  std::set<std::string, std::less<>> seen;
  for (const auto& n : nodes)
    if (seen.insert(n.op_type).second) ops.push_back(n.op_type);
  return ops;
}

}  // namespace seedval::inference

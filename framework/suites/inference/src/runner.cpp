#include <algorithm>
#include <cstring>
#include <map>
#include <set>

#include <fmt/core.h>

#include <seedval/chip/registers.h>
#include <seedval/inference/runner.h>

namespace seedval::inference {
namespace {

bool default_domain(const Node& n) {
  return n.domain.empty() || n.domain == "ai.onnx";
}

std::string qualified(const Node& n) {
  return default_domain(n) ? n.op_type : n.domain + "." + n.op_type;
}

[[noreturn]] void unsupported(std::string message) {
  throw UnsupportedError(ErrorCode::unsupported, std::move(message));
}

std::string_view value_type_name(const NodeAttrValue& v) {
  switch (v.index()) {
    case 0:
      return "INT";
    case 1:
      return "FLOAT";
    case 2:
      return "INTS";
    case 3:
      return "FLOATS";
    case 4:
      return "STRING";
    case 5:
      return "TENSOR";
    default:
      return std::get<Unmappable>(v).type;
  }
}

chip::AttrValue chip_value(const Node& node, std::size_t index, const NodeAttribute& a, chip::AttrId id) {
  struct Visitor {
    const Node& node;
    std::size_t index;
    const NodeAttribute& a;
    chip::AttrId id;
    chip::AttrValue operator()(std::int64_t v) const { return v; }
    chip::AttrValue operator()(double v) const { return v; }
    chip::AttrValue operator()(const std::vector<std::int64_t>& v) const { return v; }
    chip::AttrValue operator()(const std::vector<double>& v) const { return v; }
    chip::AttrValue operator()(const std::string& s) const {
      try {
        return chip::string_attribute_value(id, s);
      } catch (const UnsupportedError& e) {
        rethrow_with_context(e, node.describe(index));
      }
    }
    chip::AttrValue operator()(const HostTensor&) const { return refuse(); }
    chip::AttrValue operator()(const Unmappable&) const { return refuse(); }
    chip::AttrValue refuse() const {
      unsupported(fmt::format("{}: attribute \"{}\" of type {} cannot be carried by the chip's descriptor",
                              node.describe(index), a.name, value_type_name(a.value)));
    }
  };
  return std::visit(Visitor{node, index, a, id}, a.value);
}

/// A Constant node's value as a tensor (value, value_float(s), value_int(s)).
HostTensor constant_value(const Node& node, std::size_t index) {
  if (node.attributes.size() != 1)
    throw InvalidArgumentError(
        ErrorCode::invalid_argument,
        fmt::format("{}: a Constant takes exactly one attribute", node.describe(index)));
  const NodeAttribute& a = node.attributes.front();
  auto scalar_or_list = [](chip::DType dtype, auto values, bool scalar) {
    HostTensor t{.dtype = dtype, .shape = {}, .data = {}};
    if (!scalar) t.shape = {static_cast<std::int64_t>(values.size())};
    t.data.resize(values.size() * sizeof(values[0]));
    if (!values.empty()) std::memcpy(t.data.data(), values.data(), t.data.size());
    return t;
  };
  if (a.name == "value" && std::holds_alternative<HostTensor>(a.value)) return std::get<HostTensor>(a.value);
  if (a.name == "value_float" && std::holds_alternative<double>(a.value))
    return scalar_or_list(chip::DType::f32, std::vector<float>{static_cast<float>(std::get<double>(a.value))},
                          true);
  if (a.name == "value_floats" && std::holds_alternative<std::vector<double>>(a.value)) {
    const auto& d = std::get<std::vector<double>>(a.value);
    return scalar_or_list(chip::DType::f32, std::vector<float>(d.begin(), d.end()), false);
  }
  if (a.name == "value_int" && std::holds_alternative<std::int64_t>(a.value))
    return scalar_or_list(chip::DType::i64, std::vector<std::int64_t>{std::get<std::int64_t>(a.value)}, true);
  if (a.name == "value_ints" && std::holds_alternative<std::vector<std::int64_t>>(a.value))
    return scalar_or_list(chip::DType::i64, std::get<std::vector<std::int64_t>>(a.value), false);
  unsupported(fmt::format("{}: a constant given as \"{}\" of type {}", node.describe(index), a.name,
                          value_type_name(a.value)));
}

std::uint64_t align_up(std::uint64_t v) {
  return (v + kTensorAlignment - 1) / kTensorAlignment * kTensorAlignment;
}

std::uint64_t tensor_bytes(const OutputSpec& t) {
  std::uint64_t n = 1;
  for (auto d : t.shape) n *= static_cast<std::uint64_t>(d);
  return n * chip::dtype_size(t.dtype);
}

chip::TensorOpKind node_kind(const Node& node, std::size_t index) {
  if (default_domain(node)) {
    try {
      return chip::kind_from_string(node.op_type);
    } catch (const NotFoundError&) {
    }
  }
  unsupported(fmt::format("{}: operator {} is not in the chip's operator set", node.describe(index),
                          qualified(node)));
}

}  // namespace

std::vector<std::string> unsupported_operators(const Graph& graph) {
  std::vector<std::string> out;
  for (const auto& n : graph.nodes) {
    if (default_domain(n) && n.op_type == "Constant") continue;
    bool known = default_domain(n);
    if (known) {
      try {
        chip::kind_from_string(n.op_type);
      } catch (const NotFoundError&) {
        known = false;
      }
    }
    if (!known && std::find(out.begin(), out.end(), qualified(n)) == out.end()) out.push_back(qualified(n));
  }
  return out;
}

chip::TensorOp describe_node(const Node& node, std::size_t index,
                             const std::function<const OutputSpec*(const std::string&)>& types) {
  const std::string where = node.describe(index);
  chip::TensorOp op;
  op.kind = node_kind(node, index);
  for (const auto& a : node.attributes) {
    chip::AttrId id;
    try {
      id = chip::attr_from_string(a.name);
    } catch (const NotFoundError&) {
      unsupported(
          fmt::format("{}: attribute \"{}\" is not one the chip's descriptor carries", where, a.name));
    }
    op.attributes.push_back({.id = id, .value = chip_value(node, index, a, id)});
  }
  auto operand = [&](const std::string& value, std::string_view role, std::size_t k) {
    chip::TensorOperand o;
    if (value.empty()) {
      o.absent = true;
      return o;
    }
    const OutputSpec* t = types(value);
    if (t == nullptr)
      throw InvalidArgumentError(
          ErrorCode::invalid_argument,
          fmt::format("{}: {} {} \"{}\" has no known type and shape", where, role, k, value));
    o.dtype = t->dtype;
    o.shape = t->shape;
    return o;
  };
  for (std::size_t k = 0; k < node.inputs.size(); ++k)
    op.inputs.push_back(operand(node.inputs[k], "input", k));
  for (std::size_t k = 0; k < node.outputs.size(); ++k)
    op.outputs.push_back(operand(node.outputs[k], "output", k));
  try {
    chip::validate(op);
  } catch (const UnsupportedError& e) {
    rethrow_with_context(e, where);
  } catch (const InvalidArgumentError& e) {
    throw ValidateRejection(ErrorCode::invalid_argument, fmt::format("{}: {}", where, e.message()));
  }
  return op;
}

GraphRunner::GraphRunner(Device& device, RunnerOptions options) : device_(device), options_(options) {
  const std::uint32_t count = device_.read_register(chip::reg::CORE_COUNT);
  if (options_.core) {
    if (*options_.core >= count)
      throw InvalidArgumentError(ErrorCode::invalid_argument,
                                 fmt::format("{}: tensor core {} does not exist (the chip has {})",
                                             device_.name(), *options_.core, count));
    core_ = *options_.core;
    return;
  }
  const std::uint32_t harvest = device_.read_register(chip::reg::HARVEST_MASK);
  const std::uint32_t enable = device_.read_register(chip::reg::CORE_ENABLE);
  for (std::uint32_t c = 0; c < count && c < 32; ++c) {
    if (((harvest >> c) & 1u) == 0 && ((enable >> c) & 1u) != 0) {
      core_ = c;
      return;
    }
  }
  throw DeviceError(
      ErrorCode::device,
      fmt::format("{}: no tensor core is enabled (CORE_COUNT {}, HARVEST_MASK 0x{:03x}, CORE_ENABLE "
                  "0x{:03x})",
                  device_.name(), count, harvest, enable));
}

std::vector<HostTensor> GraphRunner::run(const Graph& graph, std::span<const HostTensor> inputs,
                                         std::span<const OutputSpec> outputs) {
  if (inputs.size() != graph.inputs.size())
    throw InvalidArgumentError(ErrorCode::invalid_argument, fmt::format("the graph has {} inputs, {} given",
                                                                        graph.inputs.size(), inputs.size()));
  if (outputs.size() != graph.outputs.size())
    throw InvalidArgumentError(
        ErrorCode::invalid_argument,
        fmt::format("the graph has {} outputs, {} expected", graph.outputs.size(), outputs.size()));

  // The type of every value, and the host data of those known before the run.
  std::map<std::string, OutputSpec, std::less<>> types;
  std::map<std::string, const HostTensor*, std::less<>> host_values;
  std::vector<HostTensor> constants;
  constants.reserve(graph.nodes.size());
  for (std::size_t k = 0; k < outputs.size(); ++k) types[graph.outputs[k].name] = outputs[k];
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    const ValueInfo& in = graph.inputs[k];
    if (!in.unsupported.empty())
      unsupported(fmt::format("graph input \"{}\" is {}", in.name, in.unsupported));
    if (in.dtype && *in.dtype != inputs[k].dtype)
      throw InvalidArgumentError(ErrorCode::invalid_argument,
                                 fmt::format("graph input \"{}\" is {}, given {}", in.name,
                                             chip::to_string(*in.dtype), inputs[k].describe()));
    types[in.name] = {inputs[k].dtype, inputs[k].shape};
    host_values[in.name] = &inputs[k];
  }
  for (const auto& [name, t] : graph.initializers) {
    types[name] = {t.dtype, t.shape};
    host_values[name] = &t;
  }
  for (const auto& out : graph.outputs)
    if (!out.unsupported.empty())
      unsupported(fmt::format("graph output \"{}\" is {}", out.name, out.unsupported));

  // Map and check every node before anything reaches the device.
  std::vector<chip::TensorOp> ops(graph.nodes.size());
  std::vector<bool> is_constant(graph.nodes.size(), false);
  std::set<std::string, std::less<>> defined;
  for (const auto& [name, t] : host_values) defined.insert(name);
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    const Node& node = graph.nodes[i];
    for (std::size_t k = 0; k < node.inputs.size(); ++k)
      if (!node.inputs[k].empty() && !defined.contains(node.inputs[k]))
        throw InvalidArgumentError(ErrorCode::invalid_argument,
                                   fmt::format("{}: input {} \"{}\" is not defined before it is used",
                                               node.describe(i), k, node.inputs[k]));
    if (default_domain(node) && node.op_type == "Constant") {
      if (node.outputs.size() != 1 || node.outputs[0].empty())
        throw InvalidArgumentError(ErrorCode::invalid_argument,
                                   fmt::format("{}: a Constant has one output", node.describe(i)));
      constants.push_back(constant_value(node, i));
      is_constant[i] = true;
      types[node.outputs[0]] = {constants.back().dtype, constants.back().shape};
      host_values[node.outputs[0]] = &constants.back();
      defined.insert(node.outputs[0]);
      continue;
    }
    node_kind(node, i);  // an operator outside the set says so before anything else
    for (const auto& out : node.outputs) {
      if (out.empty() || types.contains(out)) continue;
      const ValueInfo* info = graph.find_value_info(out);
      if (info == nullptr || !info->dtype || !info->shape)
        unsupported(
            fmt::format("{}: the type and shape of output \"{}\" are not known", node.describe(i), out));
      types[out] = {*info->dtype, *info->shape};
    }
    ops[i] = describe_node(node, i, [&](const std::string& v) -> const OutputSpec* {
      const auto it = types.find(v);
      return it == types.end() ? nullptr : &it->second;
    });
    for (const auto& out : node.outputs)
      if (!out.empty()) defined.insert(out);
  }
  for (const auto& out : graph.outputs)
    if (!defined.contains(out.name))
      throw InvalidArgumentError(ErrorCode::invalid_argument,
                                 fmt::format("graph output \"{}\" is computed by no node", out.name));

  // Place every value the run touches: a bump allocator over the runner's part of HBM.
  const std::uint64_t memory = device_.identify().memory_size;
  const std::uint64_t base = align_up(options_.memory_base);
  const std::uint64_t available =
      base >= memory
          ? 0
          : (options_.memory_limit == 0 ? memory - base : std::min(options_.memory_limit, memory - base));
  std::map<std::string, std::uint64_t, std::less<>> address;
  std::uint64_t used = 0;
  auto place = [&](const std::string& v) {
    if (v.empty() || address.contains(v)) return;
    address[v] = base + used;
    used += align_up(tensor_bytes(types.at(v)));
  };
  for (const auto& node : graph.nodes) {
    for (const auto& v : node.inputs) place(v);
    for (const auto& v : node.outputs) place(v);
  }
  for (const auto& out : graph.outputs) place(out.name);
  if (used > available)
    unsupported(fmt::format("the graph needs {} bytes of device memory, {} are available", used, available));

  for (const auto& [name, t] : host_values) {
    const auto it = address.find(name);
    if (it != address.end() && !t->data.empty()) device_.write_memory(it->second, t->data);
  }
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    if (is_constant[i]) continue;
    chip::TensorOp& op = ops[i];
    const Node& node = graph.nodes[i];
    for (std::size_t k = 0; k < node.inputs.size(); ++k)
      if (!node.inputs[k].empty()) op.inputs[k].address = address.at(node.inputs[k]);
    for (std::size_t k = 0; k < node.outputs.size(); ++k)
      if (!node.outputs[k].empty()) op.outputs[k].address = address.at(node.outputs[k]);
    device_.execute_tensor(core_, op);
  }
  std::vector<HostTensor> results;
  for (const auto& out : graph.outputs) {
    const OutputSpec& t = types.at(out.name);
    HostTensor r{.dtype = t.dtype, .shape = t.shape, .data = {}};
    r.data.resize(tensor_bytes(t));
    if (!r.data.empty()) device_.read_memory(address.at(out.name), r.data);
    results.push_back(std::move(r));
  }
  return results;
}

}  // namespace seedval::inference

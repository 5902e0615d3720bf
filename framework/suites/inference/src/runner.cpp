#include <algorithm>
#include <cstring>
#include <limits>
#include <map>
#include <set>

#include <fmt/core.h>

#include <seedval/chip/numeric.h>
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
    // A one-element tensor (ConstantOfShape's value) travels as its f64 value when that is exact.
    chip::AttrValue operator()(const HostTensor& t) const {
      const std::size_t size = chip::dtype_size(t.dtype);
      if (t.elements() != 1 || size == 0 || t.data.size() != size) return refuse();
      std::uint64_t u = 0;
      for (std::size_t i = 0; i < size; ++i) u |= std::uint64_t{t.data[i]} << (8 * i);
      switch (t.dtype) {
        case chip::DType::f32:
          return static_cast<double>(chip::float_from_bits(static_cast<std::uint32_t>(u)));
        case chip::DType::f16:
          return static_cast<double>(chip::fp16_to_float(static_cast<std::uint16_t>(u)));
        case chip::DType::bf16:
          return static_cast<double>(chip::bf16_to_float(static_cast<std::uint16_t>(u)));
        case chip::DType::i8:
          return static_cast<double>(static_cast<std::int8_t>(u));
        case chip::DType::i32:
          return static_cast<double>(static_cast<std::int32_t>(u));
        case chip::DType::i64: {
          const auto v = static_cast<std::int64_t>(u);
          if (v < -(std::int64_t{1} << 53) || v > (std::int64_t{1} << 53)) return refuse();
          return static_cast<double>(v);
        }
        default:  // u8, bool
          return static_cast<double>(u);
      }
    }
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

namespace {

// Maps and checks every node and places every value: no device traffic. `available` bytes from `base`.
// `caps`, when given, is what the chip declares: a node outside it is unsupported.
PreparedGraph plan(const Graph& graph, std::span<const OutputSpec> input_types,
                   std::span<const OutputSpec> outputs, std::uint64_t base, std::uint64_t available,
                   const protocol::TensorCapabilities* caps) {
  if (input_types.size() != graph.inputs.size())
    throw InvalidArgumentError(
        ErrorCode::invalid_argument,
        fmt::format("the graph has {} inputs, {} given", graph.inputs.size(), input_types.size()));
  if (outputs.size() != graph.outputs.size())
    throw InvalidArgumentError(
        ErrorCode::invalid_argument,
        fmt::format("the graph has {} outputs, {} expected", graph.outputs.size(), outputs.size()));

  PreparedGraph p;
  // The type of every value, and the values known before the run.
  std::map<std::string, OutputSpec, std::less<>> types;
  std::map<std::string, HostTensor, std::less<>> constants;
  for (std::size_t k = 0; k < outputs.size(); ++k) types[graph.outputs[k].name] = outputs[k];
  std::set<std::string, std::less<>> defined;
  for (std::size_t k = 0; k < input_types.size(); ++k) {
    const ValueInfo& in = graph.inputs[k];
    if (!in.unsupported.empty())
      unsupported(fmt::format("graph input \"{}\" is {}", in.name, in.unsupported));
    if (in.dtype && *in.dtype != input_types[k].dtype)
      throw InvalidArgumentError(
          ErrorCode::invalid_argument,
          fmt::format("graph input \"{}\" is {}, given {}", in.name, chip::to_string(*in.dtype),
                      HostTensor{.dtype = input_types[k].dtype, .shape = input_types[k].shape, .data = {}}
                          .describe()));
    types[in.name] = input_types[k];
    defined.insert(in.name);
  }
  for (const auto& [name, t] : graph.initializers) {
    types[name] = {t.dtype, t.shape};
    defined.insert(name);
  }
  for (const auto& out : graph.outputs)
    if (!out.unsupported.empty())
      unsupported(fmt::format("graph output \"{}\" is {}", out.name, out.unsupported));

  std::vector<std::optional<chip::TensorOp>> ops(graph.nodes.size());
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
      HostTensor value = constant_value(node, i);
      types[node.outputs[0]] = {value.dtype, value.shape};
      constants[node.outputs[0]] = std::move(value);
      defined.insert(node.outputs[0]);
      continue;
    }
    const chip::TensorOpKind kind = node_kind(node, i);  // an operator outside the set says so first
    if (caps != nullptr &&
        !std::binary_search(caps->operators.begin(), caps->operators.end(), static_cast<std::uint16_t>(kind)))
      unsupported(fmt::format("{}: operator {} is not in the operator set the chip declares",
                              node.describe(i), node.op_type));
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
    if (caps != nullptr)
      for (const auto* list : {&ops[i]->inputs, &ops[i]->outputs})
        for (const auto& o : *list)
          if (!o.absent && (caps->dtypes >> static_cast<unsigned>(o.dtype) & 1u) == 0)
            unsupported(fmt::format("{}: dtype {} is not among the dtypes the chip declares",
                                    node.describe(i), chip::to_string(o.dtype)));
    for (const auto& out : node.outputs)
      if (!out.empty()) defined.insert(out);
  }
  for (const auto& out : graph.outputs)
    if (!defined.contains(out.name))
      throw InvalidArgumentError(ErrorCode::invalid_argument,
                                 fmt::format("graph output \"{}\" is computed by no node", out.name));

  // Place every value the run touches: a bump allocator over [base, base + available).
  std::map<std::string, std::uint64_t, std::less<>> address;
  std::uint64_t used = 0;
  auto place = [&](const std::string& v) {
    if (v.empty() || address.contains(v)) return;
    address[v] = base + used;
    used += align_up(tensor_bytes(types.at(v)));
  };
  for (const auto& in : graph.inputs) place(in.name);
  for (const auto& node : graph.nodes) {
    for (const auto& v : node.inputs) place(v);
    for (const auto& v : node.outputs) place(v);
  }
  for (const auto& out : graph.outputs) place(out.name);
  if (used > available)
    unsupported(fmt::format("the graph needs {} bytes of device memory, {} are available", used, available));
  p.memory_base = base;
  p.memory_used = used;

  for (const auto& [name, t] : graph.initializers)
    if (const auto it = address.find(name); it != address.end() && !t.data.empty())
      p.constants.push_back({it->second, t});
  for (auto& [name, t] : constants)
    if (const auto it = address.find(name); it != address.end() && !t.data.empty())
      p.constants.push_back({it->second, std::move(t)});
  for (const auto& in : graph.inputs) {
    p.inputs.push_back(types.at(in.name));
    p.input_addresses.push_back(address.at(in.name));
  }
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    if (!ops[i]) continue;
    chip::TensorOp op = std::move(*ops[i]);
    const Node& node = graph.nodes[i];
    for (std::size_t k = 0; k < node.inputs.size(); ++k)
      if (!node.inputs[k].empty()) op.inputs[k].address = address.at(node.inputs[k]);
    for (std::size_t k = 0; k < node.outputs.size(); ++k)
      if (!node.outputs[k].empty()) op.outputs[k].address = address.at(node.outputs[k]);
    p.macs += chip::mac_count(op);
    p.ops.push_back(std::move(op));
    p.op_nodes.push_back(i);
  }
  for (const auto& out : graph.outputs) {
    p.outputs.push_back(types.at(out.name));
    p.output_addresses.push_back(address.at(out.name));
  }
  return p;
}

void check_inputs(const PreparedGraph& p, std::span<const HostTensor> inputs) {
  if (inputs.size() != p.inputs.size())
    throw InvalidArgumentError(ErrorCode::invalid_argument, fmt::format("the graph has {} inputs, {} given",
                                                                        p.inputs.size(), inputs.size()));
  for (std::size_t k = 0; k < inputs.size(); ++k)
    if (inputs[k].dtype != p.inputs[k].dtype || inputs[k].shape != p.inputs[k].shape ||
        inputs[k].data.size() != tensor_bytes(p.inputs[k]))
      throw InvalidArgumentError(
          ErrorCode::invalid_argument,
          fmt::format(
              "input {} is {}, the graph was prepared for {}", k, inputs[k].describe(),
              HostTensor{.dtype = p.inputs[k].dtype, .shape = p.inputs[k].shape, .data = {}}.describe()));
}

}  // namespace

PreparedGraph GraphRunner::prepare(const Graph& graph, std::span<const OutputSpec> input_types,
                                   std::span<const OutputSpec> outputs) {
  const std::uint64_t memory = device_.identify().memory_size;
  const std::uint64_t base = align_up(options_.memory_base);
  const std::uint64_t available =
      base >= memory
          ? 0
          : (options_.memory_limit == 0 ? memory - base : std::min(options_.memory_limit, memory - base));
  return plan(graph, input_types, outputs, base, available, &device_.tensor_capabilities());
}

void GraphRunner::load(const PreparedGraph& prepared, std::span<const HostTensor> inputs) {
  check_inputs(prepared, inputs);
  for (const auto& [address, t] : prepared.constants) device_.write_memory(address, t.data);
  for (std::size_t k = 0; k < inputs.size(); ++k)
    if (!inputs[k].data.empty()) device_.write_memory(prepared.input_addresses[k], inputs[k].data);
}

ExecutionStats GraphRunner::execute(const PreparedGraph& prepared, std::optional<std::uint32_t> core) {
  const std::uint32_t c = core.value_or(core_);
  ExecutionStats stats;
  for (const auto& op : prepared.ops) {
    const protocol::TensorResponse r = device_.execute_tensor(c, op);
    stats.macs += r.macs;
    stats.device_ns += r.device_ns;
  }
  return stats;
}

std::vector<HostTensor> GraphRunner::read_outputs(const PreparedGraph& prepared) {
  std::vector<HostTensor> results;
  for (std::size_t k = 0; k < prepared.outputs.size(); ++k) {
    const OutputSpec& t = prepared.outputs[k];
    HostTensor r{.dtype = t.dtype, .shape = t.shape, .data = {}};
    r.data.resize(tensor_bytes(t));
    if (!r.data.empty()) device_.read_memory(prepared.output_addresses[k], r.data);
    results.push_back(std::move(r));
  }
  return results;
}

PreparedGraph GraphRunner::prepare_and_load(const Graph& graph, std::span<const HostTensor> inputs,
                                            std::span<const OutputSpec> outputs) {
  if (inputs.size() != graph.inputs.size())
    throw InvalidArgumentError(ErrorCode::invalid_argument, fmt::format("the graph has {} inputs, {} given",
                                                                        graph.inputs.size(), inputs.size()));
  std::vector<OutputSpec> input_types;
  for (const auto& t : inputs) input_types.push_back({t.dtype, t.shape});
  PreparedGraph prepared = prepare(graph, input_types, outputs);
  load(prepared, inputs);
  return prepared;
}

std::vector<HostTensor> GraphRunner::run(const Graph& graph, std::span<const HostTensor> inputs,
                                         std::span<const OutputSpec> outputs) {
  const PreparedGraph prepared = prepare_and_load(graph, inputs, outputs);
  execute(prepared);
  return read_outputs(prepared);
}

std::vector<HostTensor> run_reference(const Graph& graph, std::span<const HostTensor> inputs,
                                      std::span<const OutputSpec> outputs) {
  std::vector<OutputSpec> input_types;
  for (const auto& t : inputs) input_types.push_back({t.dtype, t.shape});
  const PreparedGraph p =
      plan(graph, input_types, outputs, 0, std::numeric_limits<std::uint64_t>::max(), nullptr);
  check_inputs(p, inputs);
  // Host memory laid out as the device's would be: the same descriptors run on it unchanged.
  std::vector<std::uint8_t> memory(p.memory_used);
  auto at = [&](std::uint64_t address, std::uint64_t bytes) {
    return std::span<std::uint8_t>(memory).subspan(address, bytes);
  };
  for (const auto& [address, t] : p.constants)
    std::copy(t.data.begin(), t.data.end(), memory.begin() + static_cast<std::ptrdiff_t>(address));
  for (std::size_t k = 0; k < inputs.size(); ++k)
    std::copy(inputs[k].data.begin(), inputs[k].data.end(),
              memory.begin() + static_cast<std::ptrdiff_t>(p.input_addresses[k]));
  std::vector<std::span<const std::uint8_t>> in;
  for (const auto& op : p.ops) {
    in.clear();
    for (const auto& o : op.inputs)
      in.push_back(o.absent ? std::span<const std::uint8_t>{} : at(o.address, o.bytes()));
    const auto out = chip::reference_execute(op, std::span<const std::span<const std::uint8_t>>(in));
    for (std::size_t k = 0; k < op.outputs.size(); ++k)
      if (!op.outputs[k].absent)
        std::copy(out[k].begin(), out[k].end(),
                  memory.begin() + static_cast<std::ptrdiff_t>(op.outputs[k].address));
  }
  std::vector<HostTensor> results;
  for (std::size_t k = 0; k < p.outputs.size(); ++k) {
    const auto bytes = at(p.output_addresses[k], tensor_bytes(p.outputs[k]));
    results.push_back(
        {.dtype = p.outputs[k].dtype, .shape = p.outputs[k].shape, .data = {bytes.begin(), bytes.end()}});
  }
  return results;
}

}  // namespace seedval::inference

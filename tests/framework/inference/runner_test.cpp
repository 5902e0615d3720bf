// Tests of the graph runner on the chip model: a graph built in code runs node by node on a tensor core
// and gives what the chip's reference kernels give chained on the host; what the chip cannot run is
// unsupported before any work reaches it; ONNX models load with their nodes, attributes and
// initializers.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <ostream>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <onnx/onnx_pb.h>

#include <seedval/chip/registers.h>
#include <seedval/chip/tensor.h>
#include <seedval/core/error.h>
#include <seedval/inference/graph.h>
#include <seedval/inference/runner.h>
#include <seedval/protocol/frame.h>
#include <seedval/protocol/messages.h>

#include "support/errors.h"
#include "support/sim_bench.h"

namespace seedval::chip {
inline std::ostream& boost_test_print_type(std::ostream& os, DType t) {
  return os << to_string(t);
}
}  // namespace seedval::chip

namespace seedval::inference {
namespace {

HostTensor ramp(std::vector<std::int64_t> shape, float start, float step) {
  HostTensor t{.dtype = chip::DType::f32, .shape = std::move(shape), .data = {}};
  std::vector<float> v(t.elements());
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = start + step * static_cast<float>((i * 7) % 13);
  return HostTensor::from_floats(t.shape, v);
}

testing::SimBench bench(std::uint64_t memory = 1u << 20) {
  return testing::make_sim_bench(testing::chip_model(testing::clean_die({"ONNX", 1, 2, 3}), memory));
}

/// y = Relu(x · w) + b, with the intermediate values' types declared.
Graph mlp_layer(const HostTensor& w, const HostTensor& b) {
  Graph g;
  g.name = "layer";
  g.inputs = {
      {.name = "x", .dtype = chip::DType::f32, .shape = std::vector<std::int64_t>{4, 8}, .unsupported = {}}};
  g.initializers["w"] = w;
  g.initializers["b"] = b;
  g.nodes = {
      {.name = "mm",
       .op_type = "MatMul",
       .domain = {},
       .inputs = {"x", "w"},
       .outputs = {"h"},
       .attributes = {}},
      {.name = {}, .op_type = "Relu", .domain = {}, .inputs = {"h"}, .outputs = {"r"}, .attributes = {}},
      {.name = {}, .op_type = "Add", .domain = {}, .inputs = {"r", "b"}, .outputs = {"y"}, .attributes = {}}};
  g.value_info = {
      {.name = "h", .dtype = chip::DType::f32, .shape = std::vector<std::int64_t>{4, 16}, .unsupported = {}},
      {.name = "r", .dtype = chip::DType::f32, .shape = std::vector<std::int64_t>{4, 16}, .unsupported = {}}};
  g.outputs = {
      {.name = "y", .dtype = chip::DType::f32, .shape = std::vector<std::int64_t>{4, 16}, .unsupported = {}}};
  return g;
}

chip::TensorOperand operand(const HostTensor& t) {
  return {.address = 0, .dtype = t.dtype, .shape = t.shape, .absent = false};
}

HostTensor reference(chip::TensorOpKind kind, const std::vector<const HostTensor*>& in,
                     std::vector<std::int64_t> out_shape) {
  chip::TensorOp op{.kind = kind, .inputs = {}, .outputs = {}, .attributes = {}};
  std::vector<std::vector<std::uint8_t>> bytes;
  for (const auto* t : in) {
    op.inputs.push_back(operand(*t));
    bytes.push_back(t->data);
  }
  HostTensor out{.dtype = chip::DType::f32, .shape = std::move(out_shape), .data = {}};
  op.outputs.push_back(operand(out));
  out.data = chip::reference_execute(op, bytes).at(0);
  return out;
}

BOOST_AUTO_TEST_CASE(a_graph_built_in_code_matches_the_reference_kernels_chained_on_the_host) {
  const HostTensor x = ramp({4, 8}, -1.0f, 0.25f), w = ramp({8, 16}, -0.5f, 0.125f),
                   b = ramp({16}, 0.0f, 1.0f);
  const Graph g = mlp_layer(w, b);
  auto sim = bench();
  GraphRunner runner(*sim.device);
  BOOST_TEST(runner.core() == 0u);
  const std::vector<HostTensor> inputs{x};
  const std::vector<OutputSpec> outputs{{chip::DType::f32, {4, 16}}};
  const auto y = runner.run(g, inputs, outputs);
  BOOST_REQUIRE(y.size() == 1u);

  const HostTensor h = reference(chip::TensorOpKind::matmul, {&x, &w}, {4, 16});
  const HostTensor r = reference(chip::TensorOpKind::relu, {&h}, {4, 16});
  const HostTensor expected = reference(chip::TensorOpKind::add, {&r, &b}, {4, 16});
  BOOST_TEST((y[0] == expected), "bit-for-bit as the reference kernels");
  BOOST_TEST(sim.device->read_register(chip::reg::TENSOR_OPS) == 3u);

  // The same graph again on another core, with operands placed higher up.
  GraphRunner other(*sim.device, {.core = 5, .memory_base = 0x8000, .memory_limit = 0});
  BOOST_TEST(other.core() == 5u);
  BOOST_TEST((other.run(g, inputs, outputs)[0] == expected));
}

// A chip that declares less than the model can run: its tensor_caps answer is replaced on the way back.
class DeclaringTransport final : public testing::ForwardingTransport {
 public:
  DeclaringTransport(std::unique_ptr<Transport> inner, protocol::TensorCapabilities caps)
      : ForwardingTransport(std::move(inner)), caps_(std::move(caps)) {}
  void exchange_into(std::span<const std::uint8_t> request, std::vector<std::uint8_t>& response,
                     Deadline deadline, std::stop_token stop) override {
    const protocol::FrameView req = protocol::decode_frame(request);
    if (req.header.opcode != protocol::Opcode::tensor_caps) {
      ForwardingTransport::exchange_into(request, response, deadline, std::move(stop));
      return;
    }
    protocol::Header h = req.header;
    h.flags = protocol::kFlagResponse;
    const auto payload = protocol::encode(caps_);
    h.length = static_cast<std::uint32_t>(payload.size());
    response = protocol::encode_frame(h, payload);
  }

 private:
  protocol::TensorCapabilities caps_;
};

BOOST_AUTO_TEST_CASE(the_chip_declares_its_operator_set_and_a_node_outside_it_is_unsupported) {
  auto sim = bench();
  const protocol::TensorCapabilities& caps = sim.device->tensor_capabilities();
  BOOST_TEST(caps.cores == 10u);
  BOOST_TEST(caps.lanes_per_core == 16u);
  BOOST_TEST(caps.operators.size() == chip::known_kinds().size());
  BOOST_TEST(std::is_sorted(caps.operators.begin(), caps.operators.end()));
  BOOST_TEST(caps.dtypes == (1u << chip::kDTypeCount) - 1u);

  const HostTensor w = ramp({8, 16}, -0.5f, 0.125f), b = ramp({16}, 0.0f, 1.0f);
  const std::vector<HostTensor> inputs{ramp({4, 8}, -1.0f, 0.25f)};
  const std::vector<OutputSpec> outputs{{chip::DType::f32, {4, 16}}};
  auto declare = [&](std::vector<chip::TensorOpKind> kinds, std::uint32_t dtypes) {
    protocol::TensorCapabilities c{.cores = 10, .lanes_per_core = 16, .dtypes = dtypes, .operators = {}};
    for (auto k : kinds) c.operators.push_back(static_cast<std::uint16_t>(k));
    std::sort(c.operators.begin(), c.operators.end());
    return testing::make_sim_bench(testing::chip_model(testing::clean_die({"ONNX", 1, 2, 3}), 1u << 20),
                                   [c](std::unique_ptr<Transport> link) -> std::unique_ptr<Transport> {
                                     return std::make_unique<DeclaringTransport>(std::move(link), c);
                                   });
  };
  const std::uint32_t f32 = 1u << static_cast<unsigned>(chip::DType::f32);
  {
    auto partial = declare({chip::TensorOpKind::matmul, chip::TensorOpKind::add}, f32);
    GraphRunner runner(*partial.device);
    BOOST_CHECK_EXCEPTION(
        runner.run(mlp_layer(w, b), inputs, outputs), UnsupportedError,
        testing::error_with(ErrorCode::unsupported,
                            "(Relu): operator Relu is not in the operator set the chip declares"));
    BOOST_TEST(partial.device->read_register(chip::reg::TENSOR_OPS) == 0u, "nothing ran");
  }
  {
    auto no_f32 = declare({chip::TensorOpKind::matmul, chip::TensorOpKind::add, chip::TensorOpKind::relu},
                          1u << static_cast<unsigned>(chip::DType::bf16));
    GraphRunner runner(*no_f32.device);
    BOOST_CHECK_EXCEPTION(
        runner.run(mlp_layer(w, b), inputs, outputs), UnsupportedError,
        testing::error_with(ErrorCode::unsupported, "dtype f32 is not among the dtypes the chip declares"));
  }
  {
    auto enough =
        declare({chip::TensorOpKind::matmul, chip::TensorOpKind::add, chip::TensorOpKind::relu}, f32);
    GraphRunner runner(*enough.device);
    BOOST_TEST(runner.run(mlp_layer(w, b), inputs, outputs).size() == 1u);
  }
}

BOOST_AUTO_TEST_CASE(the_runner_picks_the_first_core_neither_fused_off_nor_disabled) {
  auto die = testing::clean_die({"ONNX", 1, 2, 3});
  die.harvest_mask = 0x301;  // core 0 harvested with both spares
  auto sim = testing::make_sim_bench(testing::chip_model(die, 1u << 20));
  sim.device->write_register(chip::reg::CORE_ENABLE, 0x0FC);  // core 1 disabled by software
  BOOST_TEST(GraphRunner(*sim.device).core() == 2u);
  BOOST_CHECK_EXCEPTION(GraphRunner(*sim.device, {.core = 10, .memory_base = 0, .memory_limit = 0}),
                        InvalidArgumentError,
                        testing::error_with(ErrorCode::invalid_argument, "tensor core 10 does not exist"));
  sim.device->write_register(chip::reg::CORE_ENABLE, 0);
  BOOST_CHECK_EXCEPTION(GraphRunner{*sim.device}, DeviceError,
                        testing::error_with(ErrorCode::device, "no tensor core is enabled"));
}

BOOST_AUTO_TEST_CASE(what_the_chip_cannot_run_is_unsupported_before_any_work_reaches_it) {
  const HostTensor w = ramp({8, 16}, 0, 1), b = ramp({16}, 0, 1);
  const std::vector<HostTensor> inputs{ramp({4, 8}, 0, 1)};
  const std::vector<OutputSpec> outputs{{chip::DType::f32, {4, 16}}};
  auto sim = bench();
  GraphRunner runner(*sim.device);
  const auto expect_unsupported = [&](const Graph& g, const std::string& needle) {
    BOOST_CHECK_EXCEPTION(runner.run(g, inputs, outputs), UnsupportedError,
                          testing::error_with(ErrorCode::unsupported, needle));
  };

  Graph unknown = mlp_layer(w, b);
  unknown.nodes[1].op_type = "Frobnicate";
  BOOST_TEST(unsupported_operators(unknown) == std::vector<std::string>{"Frobnicate"});
  expect_unsupported(unknown, "node 1 (Frobnicate): operator Frobnicate is not in the chip's operator set");

  Graph other_domain = mlp_layer(w, b);
  other_domain.nodes[1].domain = "com.example";
  expect_unsupported(other_domain, "operator com.example.Relu is not in the chip's operator set");

  Graph unknown_attr = mlp_layer(w, b);
  unknown_attr.nodes[1].attributes = {{.name = "frobnication", .value = std::int64_t{1}}};
  expect_unsupported(unknown_attr, "attribute \"frobnication\"");

  Graph graph_attr = mlp_layer(w, b);
  graph_attr.nodes[1].attributes = {{.name = "alpha", .value = Unmappable{"GRAPH"}}};
  expect_unsupported(graph_attr, "attribute \"alpha\" of type GRAPH");

  Graph unknown_shape = mlp_layer(w, b);
  unknown_shape.value_info.clear();
  expect_unsupported(unknown_shape,
                     "node 0 \"mm\" (MatMul): the type and shape of output \"h\" are not known");

  // 16 MiB in and out on a 1 MiB device.
  Graph too_big;
  too_big.inputs = {{.name = "x", .dtype = chip::DType::f32, .shape = {}, .unsupported = {}}};
  too_big.nodes = {
      {.name = {}, .op_type = "Relu", .domain = {}, .inputs = {"x"}, .outputs = {"y"}, .attributes = {}}};
  too_big.outputs = {{.name = "y", .dtype = chip::DType::f32, .shape = {}, .unsupported = {}}};
  const std::vector<HostTensor> big_in{HostTensor{
      .dtype = chip::DType::f32, .shape = {4, 1 << 20}, .data = std::vector<std::uint8_t>(16u << 20)}};
  BOOST_CHECK_EXCEPTION(
      runner.run(too_big, big_in, {}), InvalidArgumentError,
      testing::error_with(ErrorCode::invalid_argument, "the graph has 1 outputs, 0 expected"));
  const std::vector<OutputSpec> big_out{{chip::DType::f32, {4, 1 << 20}}};
  BOOST_CHECK_EXCEPTION(runner.run(too_big, big_in, big_out), UnsupportedError,
                        testing::error_with(ErrorCode::unsupported, "needs 33554432 bytes of device memory"));

  // A descriptor the chip's validate calls inconsistent: the declared intermediate shape is wrong.
  Graph inconsistent = mlp_layer(w, b);
  inconsistent.value_info[0].shape = std::vector<std::int64_t>{4, 15};
  BOOST_CHECK_THROW(runner.run(inconsistent, inputs, outputs), ValidateRejection);

  BOOST_TEST(sim.device->read_register(chip::reg::TENSOR_OPS) == 0u);
}

BOOST_AUTO_TEST_CASE(intermediate_types_the_model_leaves_out_come_from_onnx_shape_inference) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(17);
  auto* g = m.mutable_graph();
  auto declare = [](onnx::ValueInfoProto* v, const char* name, std::vector<std::int64_t> dims) {
    v->set_name(name);
    auto* tt = v->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    for (auto d : dims) tt->mutable_shape()->add_dim()->set_dim_value(d);
  };
  declare(g->add_input(), "x", {4, 8});
  declare(g->add_input(), "w", {8, 16});
  declare(g->add_output(), "y", {4, 16});
  auto add_node = [&](const char* op, std::vector<const char*> ins, const char* out) {
    auto* n = g->add_node();
    n->set_op_type(op);
    for (auto* i : ins) n->add_input(i);
    n->add_output(out);
  };
  add_node("MatMul", {"x", "w"}, "h");  // "h" has no value_info in the model
  add_node("Relu", {"h"}, "y");
  std::string bytes;
  BOOST_REQUIRE(m.SerializeToString(&bytes));
  const Graph graph = Graph::parse(
      std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()), "two-node model");
  const ValueInfo* h = graph.find_value_info("h");
  BOOST_REQUIRE(h != nullptr);
  BOOST_TEST((h->dtype == chip::DType::f32));
  BOOST_REQUIRE(h->shape.has_value());
  BOOST_TEST((*h->shape == std::vector<std::int64_t>{4, 16}));
  auto sim = bench();
  GraphRunner runner(*sim.device);
  const std::vector<HostTensor> inputs{ramp({4, 8}, -1.0f, 0.25f), ramp({8, 16}, -0.5f, 0.125f)};
  const std::vector<OutputSpec> outputs{{chip::DType::f32, {4, 16}}};
  BOOST_TEST((runner.run(graph, inputs, outputs) == run_reference(graph, inputs, outputs)));
}

BOOST_AUTO_TEST_CASE(an_onnx_model_loads_with_its_nodes_attributes_and_initializers) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  auto* opset = m.add_opset_import();
  opset->set_domain("");
  opset->set_version(17);
  auto* g = m.mutable_graph();
  g->set_name("gemm");
  for (const char* name : {"a", "b"}) {
    auto* in = g->add_input();
    in->set_name(name);
    auto* tt = in->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    tt->mutable_shape()->add_dim()->set_dim_value(2);
    tt->mutable_shape()->add_dim()->set_dim_param("N");
  }
  auto* c = g->add_initializer();
  c->set_name("b");
  c->set_data_type(onnx::TensorProto::FLOAT);
  c->add_dims(2);
  c->add_float_data(1.0f);
  c->add_float_data(2.0f);
  auto* seq = g->add_output();
  seq->set_name("y");
  seq->mutable_type()->mutable_sequence_type();
  auto* node = g->add_node();
  node->set_op_type("Gemm");
  node->add_input("a");
  node->add_input("b");
  node->add_input("");
  node->add_output("y");
  auto* alpha = node->add_attribute();
  alpha->set_name("alpha");
  alpha->set_type(onnx::AttributeProto::FLOAT);
  alpha->set_f(0.5f);
  auto* trans = node->add_attribute();
  trans->set_name("transB");
  trans->set_type(onnx::AttributeProto::INT);
  trans->set_i(1);
  auto* body = node->add_attribute();
  body->set_name("body");
  body->set_type(onnx::AttributeProto::GRAPH);
  std::string bytes;
  BOOST_REQUIRE(m.SerializeToString(&bytes));

  const Graph graph =
      Graph::parse({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()}, "m.onnx");
  BOOST_TEST(graph.name == "gemm");
  BOOST_TEST(graph.opset == 17);
  BOOST_REQUIRE(graph.inputs.size() == 1u);  // "b" is an initializer
  BOOST_TEST(graph.inputs[0].name == "a");
  BOOST_TEST((graph.inputs[0].dtype == chip::DType::f32));
  BOOST_TEST(!graph.inputs[0].shape.has_value());  // a symbolic dimension
  BOOST_TEST(graph.initializers.at("b").describe() == "f32[2]");
  BOOST_REQUIRE(graph.outputs.size() == 1u);
  BOOST_TEST(graph.outputs[0].unsupported == "a sequence, not a tensor");
  BOOST_REQUIRE(graph.nodes.size() == 1u);
  const Node& n = graph.nodes[0];
  BOOST_TEST(n.op_type == "Gemm");
  BOOST_TEST((n.inputs == std::vector<std::string>{"a", "b", ""}));
  BOOST_TEST(std::get<double>(n.attribute("alpha")->value) == 0.5);
  BOOST_TEST(std::get<std::int64_t>(n.attribute("transB")->value) == 1);
  BOOST_TEST(std::get<Unmappable>(n.attribute("body")->value).type == "GRAPH");
  BOOST_TEST(graph.operators() == std::vector<std::string>{"Gemm"});

  const std::vector<std::uint8_t> junk{1, 2, 3};
  BOOST_CHECK_EXCEPTION(Graph::parse(junk, "junk.onnx"), ConfigError,
                        testing::error_with(ErrorCode::config, "junk.onnx: not a valid ONNX model"));
  BOOST_CHECK_EXCEPTION(Graph::load("/nonexistent/model.onnx"), IoError,
                        testing::error_with(ErrorCode::io, "/nonexistent/model.onnx"));
}

BOOST_AUTO_TEST_CASE(constant_nodes_are_uploaded_like_inputs) {
  Graph g;
  g.inputs = {
      {.name = "x", .dtype = chip::DType::f32, .shape = std::vector<std::int64_t>{3}, .unsupported = {}}};
  g.nodes = {
      {.name = {},
       .op_type = "Constant",
       .domain = {},
       .inputs = {},
       .outputs = {"c"},
       .attributes = {{.name = "value_floats", .value = std::vector<double>{1.0, -2.0, 0.5}}}},
      {.name = {}, .op_type = "Mul", .domain = {}, .inputs = {"x", "c"}, .outputs = {"y"}, .attributes = {}}};
  g.outputs = {
      {.name = "y", .dtype = chip::DType::f32, .shape = std::vector<std::int64_t>{3}, .unsupported = {}}};
  auto sim = bench();
  GraphRunner runner(*sim.device);
  const std::vector<float> x{2.0f, 3.0f, 4.0f};
  const std::vector<HostTensor> inputs{HostTensor::from_floats({3}, x)};
  const std::vector<OutputSpec> outputs{{chip::DType::f32, {3}}};
  const std::vector<float> want{2.0f, -6.0f, 2.0f};
  BOOST_TEST((runner.run(g, inputs, outputs)[0] == HostTensor::from_floats({3}, want)));
}

}  // namespace
}  // namespace seedval::inference

// Runs a Graph on a SeedChip, one node at a time: each node becomes a chip::TensorOp whose operands sit
// in device memory, executed on one tensor core with Device::execute_tensor. The runner knows no
// operator: op_type and attribute names are mapped through chip::kind_from_string and
// chip::attr_from_string, so every operator the chip's set gains runs without a change here.
//
//   GraphRunner runner(dev);                               // picks the first enabled tensor core
//   std::vector<HostTensor> y = runner.run(graph, {x}, {{chip::DType::f32, {4, 16}}});
//
// What the chip cannot run is an UnsupportedError naming the node and the reason (an operator not in
// the chip's set, an attribute it does not take or of a type it cannot carry, a dtype, memory); a
// descriptor the chip's own validate() calls inconsistent is a ValidateRejection. Either comes before
// any work reaches the device. Errors of the device itself (a core refusing) arrive as DeviceError.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <seedval/chip/tensor.h>
#include <seedval/core/error.h>
#include <seedval/device/device.h>
#include <seedval/inference/graph.h>
#include <seedval/inference/host_tensor.h>

namespace seedval::inference {

/// chip::validate() rejected a node's descriptor as inconsistent (its InvalidArgumentError), though the
/// graph is well formed: the chip declines the node. Callers that count why nodes do not run tell it
/// apart from UnsupportedError; others treat it as an InvalidArgumentError.
class ValidateRejection : public InvalidArgumentError {
 public:
  using InvalidArgumentError::InvalidArgumentError;
};

/// What an output must be: its dtype and shape (for ONNX node cases, those of output_K.pb).
struct OutputSpec {
  chip::DType dtype = chip::DType::f32;
  std::vector<std::int64_t> shape;
};

struct RunnerOptions {
  /// Tensor core to run on; empty: the lowest core that is neither fused off (HARVEST_MASK) nor
  /// disabled (CORE_ENABLE).
  std::optional<std::uint32_t> core;
  /// Device memory the runner may use: [memory_base, memory_base + memory_limit) of HBM; a limit of 0
  /// means up to the end of HBM.
  std::uint64_t memory_base = 0;
  std::uint64_t memory_limit = 0;
};

/// Device memory every tensor is placed at: 64-byte aligned.
inline constexpr std::uint64_t kTensorAlignment = 64;

/// The op_types of `graph` outside the chip's operator set (chip::kind_from_string does not know them,
/// or they belong to another domain than ONNX's default), each once, in first-use order. Constant is
/// in every set: the runner uploads its value.
std::vector<std::string> unsupported_operators(const Graph& graph);

/// The node's descriptor as the chip would get it, operands at address 0: maps op_type, attributes
/// and operand types, then runs chip::validate. `types` gives each input and output value's dtype and
/// shape. Throws UnsupportedError or ValidateRejection as GraphRunner::run does.
chip::TensorOp describe_node(const Node& node, std::size_t index,
                             const std::function<const OutputSpec*(const std::string&)>& types);

/// A graph mapped onto the chip and placed in device memory: every node's descriptor with its operands'
/// addresses. Prepared once, it can be loaded once and executed any number of times, on any core (the
/// silent-data-corruption screens repeat the same work this way); inputs and constants are never
/// written by the nodes, so every execution computes the same thing.
struct PreparedGraph {
  std::vector<chip::TensorOp> ops;    ///< one per node that runs on a core (not Constant), in order
  std::vector<std::size_t> op_nodes;  ///< the graph node of each op
  std::vector<std::pair<std::uint64_t, HostTensor>> constants;  ///< initializers and Constant values
  std::vector<OutputSpec> inputs;                               ///< type of each graph input
  std::vector<std::uint64_t> input_addresses;
  std::vector<OutputSpec> outputs;  ///< type of each graph output
  std::vector<std::uint64_t> output_addresses;
  std::uint64_t memory_base = 0;
  std::uint64_t memory_used = 0;  ///< bytes from memory_base
  std::uint64_t macs = 0;         ///< chip::mac_count summed over the ops: the lane work of one execution
};

/// What one execution of a prepared graph cost on the device.
struct ExecutionStats {
  std::uint64_t macs = 0;       ///< lane operations, as the device counted them
  std::uint64_t device_ns = 0;  ///< the device's own time for the ops (its clock, throttling included)
};

class GraphRunner {
 public:
  /// Borrows `device` for the runner's lifetime. Reads CORE_COUNT, HARVEST_MASK and CORE_ENABLE to
  /// choose a core; throws InvalidArgumentError for a chosen core the chip does not have and
  /// DeviceError if no core is enabled.
  explicit GraphRunner(Device& device, RunnerOptions options = {});

  std::uint32_t core() const noexcept { return core_; }

  /// Runs `graph` with `inputs` bound to graph.inputs in order and returns graph.outputs in order, each
  /// of the dtype and shape `outputs` gives. Every intermediate value must have a known type
  /// (graph.value_info) or the node that makes it is unsupported. Throws UnsupportedError (including
  /// "needs N bytes of device memory"), ValidateRejection, InvalidArgumentError when `inputs` or
  /// `outputs` do not match the graph, and what the Device throws.
  std::vector<HostTensor> run(const Graph& graph, std::span<const HostTensor> inputs,
                              std::span<const OutputSpec> outputs);

  /// run() in steps. prepare() maps, checks and places `graph` for inputs of `input_types` (no work
  /// reaches the device; throws as run() does); load() writes the constants and `inputs` (which must be
  /// of the prepared types: InvalidArgumentError otherwise); execute() issues every op on `core` (the
  /// runner's core if empty); read_outputs() downloads the outputs.
  PreparedGraph prepare(const Graph& graph, std::span<const OutputSpec> input_types,
                        std::span<const OutputSpec> outputs);
  void load(const PreparedGraph& prepared, std::span<const HostTensor> inputs);
  ExecutionStats execute(const PreparedGraph& prepared, std::optional<std::uint32_t> core = std::nullopt);
  std::vector<HostTensor> read_outputs(const PreparedGraph& prepared);
  /// prepare() for the types of `inputs`, then load() them: ready to execute() any number of times.
  PreparedGraph prepare_and_load(const Graph& graph, std::span<const HostTensor> inputs,
                                 std::span<const OutputSpec> outputs);

 private:
  Device& device_;
  RunnerOptions options_;
  std::uint32_t core_ = 0;
};

/// The host's golden reference: runs `graph` as GraphRunner::run would, on host memory laid out as the
/// device's, with the chip's reference kernels (chip::reference_execute) and no lane faults, so a chip
/// that computes right matches it bit for bit. Throws as GraphRunner::run does (less the device's errors).
std::vector<HostTensor> run_reference(const Graph& graph, std::span<const HostTensor> inputs,
                                      std::span<const OutputSpec> outputs);

}  // namespace seedval::inference

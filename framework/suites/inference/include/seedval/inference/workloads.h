// Golden workloads: seeded random GEMM, convolution, MLP and transformer-block graphs in FP32, BF16,
// FP16 and INT8, run on the chip and checked against the host's golden reference (run_reference), which
// models the chip's accumulation, so a correct chip matches bit for bit.
//
//   Workload w = make_workload({.kind = WorkloadKind::transformer, .dtype = chip::DType::bf16, .seed = 7});
//   GraphRunner runner(dev);
//   auto got = runner.run(w.graph, w.inputs, w.outputs);
//   auto want = run_reference(w.graph, w.inputs, w.outputs);
//   Comparison c = compare_bits(got[0], want[0]);
//
// The graphs (`size` is the model width d, default 64):
//   gemm         A[d,d]·B[d,d] (MatMul); INT8: MatMulInteger of int8 operands into int32.
//   conv         Conv 3×3 pad 1 + bias, Relu, grouped (2) Conv 3×3 stride 2 + bias on a [1, d/4, 16, 16]
//                image; INT8: ConvInteger of a uint8 image (zero point 128) with int8 weights into int32.
//   mlp          Gemm + bias, Relu, Gemm + bias on a batch of 16; INT8: each Gemm a QuantizeLinear →
//                QLinearMatMul (int8 weights) → DequantizeLinear chain, bias and Relu in FP32.
//   transformer  one pre-norm decoder block on 16 tokens: LayerNormalization, Q/K/V projections, two
//                heads (Reshape, Transpose), scaled causal attention (MatMul, Mul, Add mask, Softmax,
//                MatMul), output projection, residual Add, LayerNormalization, an MLP of width 2d with
//                GELU (Erf), residual Add. INT8: the six projections quantised as in mlp, the rest FP32.
// FP16/BF16 graphs hold every tensor in that type (each operator computes in FP32 and rounds once).
// Weights are scaled by 1/sqrt(fan-in) so activations stay in range; the same seed gives the same data
// on every host (the generator is the project's own, not the standard library's distributions).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <seedval/inference/compare.h>
#include <seedval/inference/graph.h>
#include <seedval/inference/runner.h>

namespace seedval::inference {

enum class WorkloadKind : std::uint8_t { gemm, conv, mlp, transformer };
inline constexpr WorkloadKind kWorkloadKinds[] = {WorkloadKind::gemm, WorkloadKind::conv, WorkloadKind::mlp,
                                                  WorkloadKind::transformer};
/// The dtypes every workload comes in.
inline constexpr chip::DType kWorkloadDTypes[] = {chip::DType::f32, chip::DType::bf16, chip::DType::f16,
                                                  chip::DType::i8};

std::string_view to_string(WorkloadKind kind) noexcept;
/// "gemm", "conv", "mlp", "transformer"; throws InvalidArgumentError listing them.
WorkloadKind workload_from_string(std::string_view name);

struct WorkloadSpec {
  WorkloadKind kind = WorkloadKind::gemm;
  chip::DType dtype = chip::DType::f32;  ///< f32, bf16, f16 or i8
  std::uint64_t seed = 1;
  int size = 64;  ///< model width d: a multiple of 8, 8..1024
};

struct Workload {
  std::string name;  ///< "transformer.bf16"
  WorkloadSpec spec;
  Graph graph;
  std::vector<HostTensor> inputs;  ///< one per graph input
  std::vector<OutputSpec> outputs;
  std::uint64_t reduction_length = 0;  ///< the longest FP32 or int32 accumulation of one element
};

/// Builds the graph and its seeded data. Throws InvalidArgumentError for a dtype or size outside the
/// above.
Workload make_workload(const WorkloadSpec& spec);

/// How a workload's result is judged against golden: bit for bit (a deterministic chip whose
/// accumulation the reference models), or within type_tolerance() of the output's dtype.
enum class Match : std::uint8_t { exact, tolerance };

/// One workload on one core against golden.
struct GoldenCheck {
  std::string workload;
  std::uint32_t core = 0;
  bool passed = false;
  Comparison comparison;   ///< of the output with most mismatching elements (the first output if none)
  std::uint64_t macs = 0;  ///< lane operations of one execution
  double seconds = 0;      ///< device execution and download, host reference excluded
};

/// Computes golden once on the host, loads the workload once, runs it on each of `cores` and compares.
/// Throws what GraphRunner and the Device throw.
std::vector<GoldenCheck> check_workload(Device& device, const Workload& workload,
                                        std::span<const std::uint32_t> cores, Match match = Match::exact,
                                        const RunnerOptions& runner = {});

/// A plain host GEMM, written independently of the chip's kernels as a cross-check of them and as the
/// benchmark's baseline: C[m,n] = Σ_k A[m,k]·B[k,n] with the chip's numerics (FP32 products added in
/// index order to an FP32 accumulator from +0, rounded once to `a`'s float type; int8 operands into an
/// int32 accumulator with wrap). `a` and `b` are row-major 2-D tensors of one dtype (f32, f16, bf16, i8).
HostTensor host_gemm(const HostTensor& a, const HostTensor& b);

}  // namespace seedval::inference

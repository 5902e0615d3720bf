// Parameter parsing shared by the inference suite's registered tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <seedval/chip/tensor.h>
#include <seedval/device/device.h>
#include <seedval/inference/workloads.h>

namespace seedval::inference::detail {

/// "all" (every enabled core), "first" (the lowest enabled core) or a comma-separated list of core
/// numbers. Throws InvalidArgumentError naming the parameter for anything else.
std::vector<std::uint32_t> parse_cores(Device& device, const std::string& text);
/// Comma-separated workload names ("gemm,mlp"); throws InvalidArgumentError for an unknown one.
std::vector<WorkloadKind> parse_workloads(const std::string& text);
/// Comma-separated dtypes among f32, bf16, f16, i8.
std::vector<chip::DType> parse_dtypes(const std::string& text);

}  // namespace seedval::inference::detail

#include "suite_params.h"

#include <algorithm>
#include <charconv>

#include <fmt/core.h>

#include <seedval/core/error.h>
#include <seedval/core/strings.h>
#include <seedval/inference/screen.h>

namespace seedval::inference::detail {
namespace {

std::vector<std::string> items(const std::string& text, std::string_view what) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find(',', start), text.size());
    std::string item = text.substr(start, end - start);
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (item.empty())
      throw InvalidArgumentError(ErrorCode::invalid_argument,
                                 fmt::format("{}: empty item in \"{}\"", what, text));
    if (std::find(out.begin(), out.end(), item) == out.end()) out.push_back(std::move(item));
    start = end + 1;
  }
  return out;
}

}  // namespace

std::vector<std::uint32_t> parse_cores(Device& device, const std::string& text) {
  if (text == "all" || text == "first") {
    std::vector<std::uint32_t> cores = enabled_cores(device);
    if (cores.empty())
      throw DeviceError(ErrorCode::device, fmt::format("{}: no tensor core is enabled", device.name()));
    if (text == "first") return {cores.front()};
    return cores;
  }
  std::vector<std::uint32_t> cores;
  for (const auto& item : items(text, "cores")) {
    std::uint32_t c = 0;
    const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), c);
    if (ec != std::errc() || end != item.data() + item.size() || c > 31)
      throw InvalidArgumentError(
          ErrorCode::invalid_argument,
          fmt::format(
              "cores: \"{}\" is not a core number 0..31 (give \"all\", \"first\" or a list like \"0,3\")",
              item));
    cores.push_back(c);
  }
  return cores;
}

std::vector<WorkloadKind> parse_workloads(const std::string& text) {
  std::vector<WorkloadKind> out;
  for (const auto& item : items(text, "workloads")) out.push_back(workload_from_string(item));
  return out;
}

std::vector<chip::DType> parse_dtypes(const std::string& text) {
  std::vector<chip::DType> out;
  for (const auto& item : items(text, "dtypes")) {
    const auto it = std::find_if(std::begin(kWorkloadDTypes), std::end(kWorkloadDTypes),
                                 [&](chip::DType t) { return chip::to_string(t) == item; });
    if (it == std::end(kWorkloadDTypes))
      throw InvalidArgumentError(ErrorCode::invalid_argument,
                                 fmt::format("dtypes: \"{}\" is not one of f32, bf16, f16, i8", item));
    out.push_back(*it);
  }
  return out;
}

}  // namespace seedval::inference::detail

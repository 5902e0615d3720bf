#include <seedval/chip/identity.h>

#include <seedval/core/error.h>

#include <array>

#include <fmt/core.h>

namespace seedval::chip {
namespace {
constexpr std::array<std::string_view, kCapabilityCount> kNames{
    "registers.batch", "memory.bulk", "memory.fill", "sensors", "dvfs", "ecc", "mbist", "tensor", "reset"};
}

std::string_view to_string(Capability c) noexcept {
  auto i = static_cast<std::size_t>(c);
  return i < kNames.size() ? kNames[i] : "unknown";
}

Capability capability_from_string(std::string_view name) {
  for (std::size_t i = 0; i < kNames.size(); ++i)
    if (kNames[i] == name) return static_cast<Capability>(i);
  std::string list;
  for (auto n : kNames) list += (list.empty() ? "" : ", ") + std::string(n);
  throw NotFoundError(ErrorCode::not_found, fmt::format("unknown capability \"{}\" (known: {})", name, list));
}

std::vector<std::string> capability_names(std::uint64_t mask) {
  std::vector<std::string> out;
  for (int b = 0; b < 64; ++b) {
    if ((mask >> b & 1) == 0) continue;
    out.push_back(b < kCapabilityCount ? std::string(kNames[static_cast<std::size_t>(b)]) : fmt::format("bit {}", b));
  }
  return out;
}

}  // namespace seedval::chip

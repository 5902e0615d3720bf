#include <array>

#include <fmt/core.h>

#include <seedval/chip/identity.h>
#include <seedval/core/error.h>
#include <seedval/core/strings.h>

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
  throw NotFoundError(ErrorCode::not_found,
                      fmt::format("unknown capability \"{}\" (known: {})", name, join(kNames)));
}

std::vector<std::string> capability_names(std::uint64_t mask) {
  std::vector<std::string> out;
  for (int b = 0; b < 64; ++b) {
    if ((mask >> b & 1) == 0) continue;
    out.push_back(b < kCapabilityCount ? std::string(kNames[static_cast<std::size_t>(b)])
                                       : fmt::format("bit {}", b));
  }
  return out;
}

}  // namespace seedval::chip

// Shared pieces of the libFuzzer targets.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include <seedval/protocol/crc32c.h>
#include <seedval/protocol/frame.h>

namespace seedval::fuzz {

/// Traps (a crash libFuzzer reports) when an invariant does not hold.
inline void check(bool ok) {
  if (!ok) __builtin_trap();
}

/// `input` made into a frame with the right magic, version, length and CRC-32C, so the fuzzer reaches
/// what lies behind those checks; nullopt when the input is too short or too long to be a frame.
inline std::optional<std::vector<std::uint8_t>> sealed_frame(std::span<const std::uint8_t> input) {
  using namespace seedval::protocol;
  if (input.size() < kHeaderSize + kTrailerSize || input.size() - kHeaderSize - kTrailerSize > kMaxPayload)
    return std::nullopt;
  std::vector<std::uint8_t> sealed(input.begin(), input.end());
  const auto put32 = [&sealed](std::size_t at, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) sealed[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
  };
  const std::size_t body = input.size() - kTrailerSize;
  sealed[0] = static_cast<std::uint8_t>(kMagic);
  sealed[1] = static_cast<std::uint8_t>(kMagic >> 8);
  sealed[2] = kVersion;
  put32(12, static_cast<std::uint32_t>(body - kHeaderSize));
  put32(body, crc32c(std::span<const std::uint8_t>(sealed).first(body)));
  return sealed;
}

}  // namespace seedval::fuzz

// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of every protocol frame.
// Uses the SSE4.2 crc32 instruction when the CPU has it, a slicing-by-8 table otherwise; both give
// identical results (crc32c("123456789") == 0xE3069283).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace seedval::protocol {

/// CRC-32C of `data`. To checksum in pieces, pass the previous result as `crc`.
std::uint32_t crc32c(std::span<const std::uint8_t> data, std::uint32_t crc = 0) noexcept;
/// The portable implementation, exposed so tests can compare it with the hardware path.
std::uint32_t crc32c_portable(std::span<const std::uint8_t> data, std::uint32_t crc = 0) noexcept;

}  // namespace seedval::protocol

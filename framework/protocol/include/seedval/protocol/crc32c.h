// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of every protocol frame.
//
// The fastest implementation the CPU has is chosen at run time: carry-less multiplication folding
// 256 bytes at a time (AVX-512 VPCLMULQDQ), else the SSE4.2 crc32 instruction over several interleaved
// streams (so its latency is hidden), else a slicing-by-8 table. All give identical results
// (crc32c("123456789") == 0xE3069283).
//
//   std::uint32_t crc = crc32c(header);                    // checksum in pieces ...
//   crc = crc32c_copy(dst, payload, crc);                  // ... copying a piece while checksumming it
//   crc = crc32c_combine(crc32c(a), crc32c(b), b.size());  // == crc32c(a ++ b)
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace seedval::protocol {

/// CRC-32C of `data`. To checksum in pieces, pass the previous result as `crc`.
std::uint32_t crc32c(std::span<const std::uint8_t> data, std::uint32_t crc = 0) noexcept;

/// Copies `src` to `dst` (which must have at least src.size() bytes and must not overlap `src`) and
/// returns crc32c(src, crc), reading the source once: the same result as memcpy followed by crc32c(),
/// in about the time of the checksum alone. The CRC describes exactly the bytes stored into `dst`,
/// even if `src` changes meanwhile.
std::uint32_t crc32c_copy(std::uint8_t* dst, std::span<const std::uint8_t> src,
                          std::uint32_t crc = 0) noexcept;

/// The CRC-32C of the concatenation a ++ b, given crc_a = crc32c(a), crc_b = crc32c(b) and the length of
/// b, without the data: lets pieces checksummed separately (or in another order) be joined.
std::uint32_t crc32c_combine(std::uint32_t crc_a, std::uint32_t crc_b, std::uint64_t length_b) noexcept;

/// The portable implementations, exposed so tests can compare them with the hardware paths.
std::uint32_t crc32c_portable(std::span<const std::uint8_t> data, std::uint32_t crc = 0) noexcept;
std::uint32_t crc32c_copy_portable(std::uint8_t* dst, std::span<const std::uint8_t> src,
                                   std::uint32_t crc = 0) noexcept;

/// The implementations crc32c() and crc32c_copy() choose from; for tests and benchmarks, which run
/// every path the CPU has.
enum class Crc32cPath {
  portable,  ///< slicing-by-8 tables
  sse42,     ///< the crc32 instruction, interleaved streams joined with crc32c_combine's algebra
  vpclmul,   ///< carry-less multiply folding (AVX-512 VPCLMULQDQ); short buffers take the sse42 path
};
bool crc32c_path_available(Crc32cPath path) noexcept;
/// crc32c() and crc32c_copy() on `path`, which must be available.
std::uint32_t crc32c_on(Crc32cPath path, std::span<const std::uint8_t> data, std::uint32_t crc = 0) noexcept;
std::uint32_t crc32c_copy_on(Crc32cPath path, std::uint8_t* dst, std::span<const std::uint8_t> src,
                             std::uint32_t crc = 0) noexcept;

}  // namespace seedval::protocol

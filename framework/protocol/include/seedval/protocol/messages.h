// Typed payloads of each opcode, encoded and decoded here only, so the host driver and every device-side
// server (the chip model, a board's firmware agent) agree on one definition.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <seedval/protocol/frame.h>

namespace seedval::protocol {

// identify: empty request.
struct IdentifyResponse {
  std::uint32_t chip_id = 0;
  std::uint32_t revision = 0;
  std::uint64_t ecid = 0;
  std::uint64_t capabilities = 0;  ///< bit set of chip::Capability
  std::uint64_t memory_size = 0;   ///< device memory in bytes
  std::string model;               ///< e.g. "seedchip-sim" or firmware identification
};
std::vector<std::uint8_t> encode(const IdentifyResponse& m);
IdentifyResponse decode_identify_response(std::span<const std::uint8_t> payload);

// reg_read: u32 address -> u32 value.  reg_write: u32 address, u32 value -> empty.
struct RegisterOp {
  enum class Kind : std::uint8_t { read = 0, write = 1 };
  Kind kind = Kind::read;
  std::uint32_t address = 0;
  std::uint32_t value = 0;  ///< written value; ignored for reads
};
inline constexpr std::size_t kRegisterOpSize = 9;
/// The most operations one reg_batch frame carries.
inline constexpr std::size_t kMaxBatchOps = 65536;

std::vector<std::uint8_t> encode_reg_read(std::uint32_t address);
std::vector<std::uint8_t> encode_reg_write(std::uint32_t address, std::uint32_t value);
// reg_batch request: u32 count, u32 first_index, count x (u8 kind, u32 address, u32 value).
// Response: u32 count, count x u32 (the value read, or the value written). The device executes the
// operations in order and stops at the first failure; its error message starts with
// "operation <first_index + i>:", so a list split over several frames reports positions in the whole list.
struct RegBatchRequest {
  std::uint32_t first_index = 0;
  std::vector<RegisterOp> ops;
};
std::vector<std::uint8_t> encode_reg_batch(std::span<const RegisterOp> ops, std::uint32_t first_index = 0);
RegBatchRequest decode_reg_batch(std::span<const std::uint8_t> payload);
std::vector<std::uint8_t> encode_reg_values(std::span<const std::uint32_t> values);
std::vector<std::uint32_t> decode_reg_values(std::span<const std::uint8_t> payload, std::size_t expected);

// mem_read: u64 address, u32 length -> the bytes.
struct MemReadRequest {
  std::uint64_t address = 0;
  std::uint32_t length = 0;
};
std::vector<std::uint8_t> encode(const MemReadRequest& m);
MemReadRequest decode_mem_read(std::span<const std::uint8_t> payload);

// mem_write: u64 address, then the bytes (the rest of the payload) -> empty.
std::vector<std::uint8_t> encode_mem_write(std::uint64_t address, std::span<const std::uint8_t> data);

// mem_fill: u64 address, u64 length, u64 pattern -> empty. Byte i of the range takes byte
// ((address + i) mod 8) of the little-endian pattern, so a pattern is anchored to absolute addresses.
struct MemFillRequest {
  std::uint64_t address = 0;
  std::uint64_t length = 0;
  std::uint64_t pattern = 0;
};
std::vector<std::uint8_t> encode(const MemFillRequest& m);
MemFillRequest decode_mem_fill(std::span<const std::uint8_t> payload);

// reset: u8 kind -> empty.
enum class ResetKind : std::uint8_t { soft = 0, hard = 1 };

}  // namespace seedval::protocol

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

// mbist: run a march program (chip::encode_march) over a region of device memory with a data
// background. Request: u64 address, u64 length (bytes, both multiples of 8), u64 pattern,
// u64 invert_mask, u8 any_order (0 up, 1 down), u64 retention_delay_us, u32 max_fails, u32 program
// length, program bytes. Response: u64 fail_count, u64 operations, u64 device_ns, u32 n, then n fails of
// (u64 word, u64 expected, u64 actual, u16 element, u16 op).
struct MbistRequest {
  std::uint64_t address = 0;
  std::uint64_t length = 0;
  std::uint64_t pattern = 0;
  std::uint64_t invert_mask = 0;
  std::uint8_t any_order = 0;
  std::uint64_t retention_delay_us = 100'000;
  std::uint32_t max_fails = 256;
  std::vector<std::uint8_t> program;
};
struct MbistFailRecord {
  std::uint64_t word = 0;
  std::uint64_t expected = 0;
  std::uint64_t actual = 0;
  std::uint16_t element = 0;
  std::uint16_t op = 0;
};
struct MbistResponse {
  std::uint64_t fail_count = 0;
  std::uint64_t operations = 0;
  std::uint64_t device_ns = 0;  ///< time the run took on the device
  std::vector<MbistFailRecord> fails;
};
/// The most fail records one response carries (the engine's fail memory).
inline constexpr std::uint32_t kMaxMbistFails = 65536;
std::vector<std::uint8_t> encode(const MbistRequest& m);
MbistRequest decode_mbist_request(std::span<const std::uint8_t> payload);
std::vector<std::uint8_t> encode(const MbistResponse& m);
MbistResponse decode_mbist_response(std::span<const std::uint8_t> payload);

// tensor: u32 core, then the operation descriptor (chip::encode_tensor_op) as the rest of the payload.
// Response: u64 macs, u64 elements (output elements written), u64 device_ns.
struct TensorResponse {
  std::uint64_t macs = 0;
  std::uint64_t elements = 0;
  std::uint64_t device_ns = 0;
};
std::vector<std::uint8_t> encode(const TensorResponse& m);
TensorResponse decode_tensor_response(std::span<const std::uint8_t> payload);

// tensor_caps: empty request. What the tensor cores declare they can run: an operator outside
// `operators` or an operand dtype outside `dtypes` is never sent to them.
struct TensorCapabilities {
  std::uint32_t cores = 0;           ///< tensor cores on the die (fused-off ones included)
  std::uint32_t lanes_per_core = 0;  ///< MAC lanes: output element i of an operator runs on lane i % lanes
  std::uint32_t dtypes = 0;          ///< bit per chip::DType value the cores accept
  std::vector<std::uint16_t> operators;  ///< chip::TensorOpKind values, ascending
  friend bool operator==(const TensorCapabilities&, const TensorCapabilities&) = default;
};
// u32 cores, u32 lanes_per_core, u32 dtypes, u32 count, count × u16 operator
std::vector<std::uint8_t> encode(const TensorCapabilities& m);
/// Throws ProtocolError for a truncated payload, trailing bytes or more than 4096 operators.
TensorCapabilities decode_tensor_capabilities(std::span<const std::uint8_t> payload);

// sensors: empty request. hold and operating_point answer with the same record.
struct SensorsResponse {
  std::int32_t temperature_mc = 0;      ///< die, milli-degC
  std::int32_t hbm_temperature_mc = 0;  ///< HBM stacks, milli-degC
  std::uint32_t power_mw = 0;
  std::uint32_t current_ma = 0;
  std::uint32_t vdd_core_mv = 0;  ///< measured at the die
  std::uint32_t vdd_hbm_mv = 0;
  std::uint32_t frequency_mhz = 0;  ///< effective core clock (after any thermal throttle)
  std::uint32_t status = 0;         ///< the STATUS register
  std::uint64_t time_us = 0;        ///< the device's microsecond timer
};
std::vector<std::uint8_t> encode(const SensorsResponse& m);
SensorsResponse decode_sensors_response(std::span<const std::uint8_t> payload);

// hold: u64 duration_us, u32 core_mask (cores kept busy with a power-virus kernel, 0 = idle),
// u16 utilisation in per mille -> SensorsResponse at the end of the hold.
struct HoldRequest {
  std::uint64_t duration_us = 0;
  std::uint32_t core_mask = 0;
  std::uint16_t utilisation_permille = 1000;
};
std::vector<std::uint8_t> encode(const HoldRequest& m);
HoldRequest decode_hold_request(std::span<const std::uint8_t> payload);

// operating_point: u32 vdd_core_mv, u32 frequency_mhz, u32 vdd_hbm_mv (0 = leave as is)
// -> SensorsResponse once the PLL has locked and the supplies settled.
struct OperatingPointRequest {
  std::uint32_t vdd_core_mv = 0;
  std::uint32_t frequency_mhz = 0;
  std::uint32_t vdd_hbm_mv = 0;
};
std::vector<std::uint8_t> encode(const OperatingPointRequest& m);
OperatingPointRequest decode_operating_point_request(std::span<const std::uint8_t> payload);

}  // namespace seedval::protocol

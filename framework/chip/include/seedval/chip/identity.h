// SeedChip identity: the ECID fuse layout and the capability bits a chip declares.
//
// ECID (64 bits, fused at wafer sort):
//   bits 0..35  lot id, 6 characters of [0-9A-Z], 6 bits each (0 = unused, '0'..'9' = 1..10, 'A'..'Z'
//   = 11..36) bits 36..40 wafer number, 1..25 bits 41..48 die x on the wafer, 0..255 bits 49..56 die y on the
//   wafer, 0..255 bits 57..63 check bits: XOR-fold of bits 0..56 into 7 bits (a misread fuse is detected)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace seedval::chip {

struct DieId {
  std::string lot;  ///< 1 to 6 characters of [0-9A-Z]
  int wafer = 1;    ///< 1..25
  int x = 0;        ///< 0..255
  int y = 0;        ///< 0..255
  friend bool operator==(const DieId&, const DieId&) = default;
};

/// "LOT-W03-X012-Y034"
std::string to_string(const DieId& die);
/// Throws InvalidArgumentError naming the field out of range.
void validate(const DieId& die);
/// Parses "LOT-W03-X012-Y034" (the form to_string writes) or "LOT:3:12:34". Throws InvalidArgumentError.
DieId parse_die_id(std::string_view text);
/// Throws InvalidArgumentError for an invalid DieId.
std::uint64_t encode_ecid(const DieId& die);
/// Throws DeviceError if the check bits do not match or a field is out of range.
DieId decode_ecid(std::uint64_t ecid);

/// What a chip (or a board) can do. Tests ask before they use an optional feature and are skipped
/// with the reason when it is missing. Bit values cross the wire: never renumber, only append.
enum class Capability : std::uint8_t {
  register_batch = 0,  ///< reg_batch opcode
  memory_bulk = 1,     ///< mem_read / mem_write
  memory_fill = 2,     ///< mem_fill on the device
  sensors = 3,         ///< temperature, power and voltage sensors
  dvfs = 4,            ///< voltage and frequency control
  ecc = 5,             ///< SECDED on device memory
  mbist = 6,           ///< on-device march engine
  tensor = 7,          ///< tensor-op execution
  reset = 8,           ///< reset opcode
};
inline constexpr int kCapabilityCount = 9;

std::string_view to_string(Capability c) noexcept;
/// Parses "memory.fill" etc.; throws NotFoundError listing the known names.
Capability capability_from_string(std::string_view name);
constexpr std::uint64_t bit(Capability c) noexcept {
  return std::uint64_t{1} << static_cast<int>(c);
}
/// The names of the set bits, in bit order; unknown bits as "bit N".
std::vector<std::string> capability_names(std::uint64_t mask);

}  // namespace seedval::chip

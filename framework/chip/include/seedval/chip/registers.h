// The SeedChip register map: the one table both the chip model and the host driver use.
//
// Registers are 32 bits wide at 4-byte aligned addresses. An address not in the table is reserved:
// silicon answers an access to it with an address error, and so does the model. Writing a read-only
// register is a read-only error, never a silent success.
//
//   const RegisterInfo& r = chip::register_by_name("SCRATCH");   // throws NotFoundError if unknown
//   const RegisterInfo* s = chip::find_register(0x0020);        // nullptr if reserved
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace seedval::chip {

enum class Access : std::uint8_t {
  ro,   ///< read-only; writes are errors
  rw,   ///< read-write
  w1c,  ///< read; writing 1 to a bit clears it
};

std::string_view to_string(Access a) noexcept;

struct RegisterInfo {
  std::uint32_t address;
  std::string_view name;
  Access access;
  std::uint32_t reset_value;
  std::uint32_t writable_mask;  ///< bits a write can change (rw) or clear (w1c)
  std::string_view description;
};

/// A named bit field of a register, for decoding values on the bench (`seedval reg read STATUS`).
struct FieldInfo {
  std::uint32_t address;  ///< the register
  std::string_view name;
  std::uint8_t lsb;
  std::uint8_t width;
  std::string_view description;

  std::uint32_t extract(std::uint32_t value) const noexcept {
    return width >= 32 ? value >> lsb : (value >> lsb) & ((1u << width) - 1);
  }
};

/// Every register, in address order.
std::span<const RegisterInfo> register_map() noexcept;
/// The register at `address`, or nullptr for a reserved address.
const RegisterInfo* find_register(std::uint32_t address) noexcept;
/// The register called `name` (case-insensitive). Throws NotFoundError listing close names.
const RegisterInfo& register_by_name(std::string_view name);
/// The named fields of the register at `address`, low bits first; empty for a plain value.
std::span<const FieldInfo> fields_of(std::uint32_t address) noexcept;

/// Addresses by name, for code on both sides of the wire.
namespace reg {
// Identity and fuses.
inline constexpr std::uint32_t CHIP_ID = 0x0000;
inline constexpr std::uint32_t REVISION = 0x0004;
inline constexpr std::uint32_t ECID_LO = 0x0008;
inline constexpr std::uint32_t ECID_HI = 0x000C;
inline constexpr std::uint32_t CAPS_LO = 0x0010;
inline constexpr std::uint32_t CAPS_HI = 0x0014;
inline constexpr std::uint32_t MEM_SIZE_LO = 0x0018;
inline constexpr std::uint32_t MEM_SIZE_HI = 0x001C;
inline constexpr std::uint32_t SCRATCH0 = 0x0020;
inline constexpr std::uint32_t SCRATCH1 = 0x0024;
inline constexpr std::uint32_t HBM_GEOMETRY = 0x0028;
inline constexpr std::uint32_t SRAM_SIZE_KIB = 0x002C;
// Control, status, interrupts, error log.
inline constexpr std::uint32_t CONTROL = 0x0030;
inline constexpr std::uint32_t STATUS = 0x0034;
inline constexpr std::uint32_t INT_STATUS = 0x0040;
inline constexpr std::uint32_t INT_ENABLE = 0x0044;
inline constexpr std::uint32_t ERR_COUNT = 0x0050;
inline constexpr std::uint32_t ERR_ADDR_LO = 0x0054;
inline constexpr std::uint32_t ERR_ADDR_HI = 0x0058;
inline constexpr std::uint32_t ERR_CODE = 0x005C;
// Clock and supplies.
inline constexpr std::uint32_t PLL_FREQ_MHZ = 0x0100;
inline constexpr std::uint32_t PLL_STATUS = 0x0104;
inline constexpr std::uint32_t VDD_CORE_MV = 0x0110;
inline constexpr std::uint32_t VDD_HBM_MV = 0x0114;
inline constexpr std::uint32_t THERMAL_LIMIT_C = 0x0120;
// Sensors.
inline constexpr std::uint32_t TEMP_DIE_MC = 0x0200;
inline constexpr std::uint32_t POWER_MW = 0x0204;
inline constexpr std::uint32_t VDD_SENSE_MV = 0x0208;
inline constexpr std::uint32_t TEMP_HBM_MC = 0x020C;
inline constexpr std::uint32_t CURRENT_MA = 0x0210;
inline constexpr std::uint32_t TIMER_US_LO = 0x0214;
inline constexpr std::uint32_t TIMER_US_HI = 0x0218;
// ECC and refresh.
inline constexpr std::uint32_t ECC_CTRL = 0x0300;
inline constexpr std::uint32_t ECC_CE_COUNT = 0x0304;
inline constexpr std::uint32_t ECC_UE_COUNT = 0x0308;
inline constexpr std::uint32_t ECC_ERR_ADDR_LO = 0x030C;
inline constexpr std::uint32_t ECC_ERR_ADDR_HI = 0x0310;
inline constexpr std::uint32_t ECC_ERR_INFO = 0x0314;
inline constexpr std::uint32_t ECC_INJECT_ADDR_LO = 0x0318;
inline constexpr std::uint32_t ECC_INJECT_ADDR_HI = 0x031C;
inline constexpr std::uint32_t ECC_INJECT_MASK_LO = 0x0320;
inline constexpr std::uint32_t ECC_INJECT_MASK_HI = 0x0324;
inline constexpr std::uint32_t ECC_INJECT_CTRL = 0x0328;
inline constexpr std::uint32_t HBM_REFRESH_CTRL = 0x0330;
inline constexpr std::uint32_t HBM_REFRESH_US = 0x0334;
inline constexpr std::uint32_t HBM_SPARES = 0x0338;
// MBIST engine.
inline constexpr std::uint32_t MBIST_CTRL = 0x0400;
inline constexpr std::uint32_t MBIST_STATUS = 0x0404;
inline constexpr std::uint32_t MBIST_FAIL_COUNT = 0x0408;
inline constexpr std::uint32_t MBIST_FAIL_ADDR_LO = 0x040C;
inline constexpr std::uint32_t MBIST_FAIL_ADDR_HI = 0x0410;
inline constexpr std::uint32_t MBIST_HAMMER_BANK = 0x0414;
inline constexpr std::uint32_t MBIST_HAMMER_ROW = 0x0418;
inline constexpr std::uint32_t MBIST_HAMMER_COUNT = 0x041C;
inline constexpr std::uint32_t MBIST_HAMMER_CTRL = 0x0420;
// Tensor cores.
inline constexpr std::uint32_t HARVEST_MASK = 0x0500;
inline constexpr std::uint32_t CORE_COUNT = 0x0504;
inline constexpr std::uint32_t CORE_ENABLE = 0x0508;
inline constexpr std::uint32_t CORE_ERROR = 0x050C;
inline constexpr std::uint32_t TENSOR_OPS = 0x0510;
}  // namespace reg

/// Bits of CONTROL, STATUS, INT_STATUS and the ECC, refresh and MBIST registers.
namespace bits {
inline constexpr std::uint32_t CONTROL_ENABLE = 1u << 0;
inline constexpr std::uint32_t CONTROL_CLEAR_TRIP = 1u << 1;   ///< self-clearing: leave thermal trip
inline constexpr std::uint32_t CONTROL_SOFT_RESET = 1u << 31;  ///< self-clearing
inline constexpr std::uint32_t STATUS_READY = 1u << 0;
inline constexpr std::uint32_t STATUS_PLL_LOCKED = 1u << 1;
inline constexpr std::uint32_t STATUS_ERROR = 1u << 2;
inline constexpr std::uint32_t STATUS_THROTTLED = 1u << 3;
inline constexpr std::uint32_t STATUS_THERMAL_TRIP = 1u << 4;
inline constexpr std::uint32_t INT_ECC_CORRECTED = 1u << 0;
inline constexpr std::uint32_t INT_ECC_UNCORRECTABLE = 1u << 1;
inline constexpr std::uint32_t INT_THERMAL_THROTTLE = 1u << 2;
inline constexpr std::uint32_t INT_THERMAL_TRIP = 1u << 3;
inline constexpr std::uint32_t INT_MBIST_DONE = 1u << 4;
inline constexpr std::uint32_t INT_TENSOR_ERROR = 1u << 5;
inline constexpr std::uint32_t ECC_ENABLE = 1u << 0;
inline constexpr std::uint32_t ECC_INFO_VALID = 1u << 0;
inline constexpr std::uint32_t ECC_INFO_UNCORRECTABLE = 1u << 1;
inline constexpr std::uint32_t ECC_INJECT_GO = 1u << 0;  ///< self-clearing
inline constexpr std::uint32_t REFRESH_ENABLE = 1u << 0;
inline constexpr std::uint32_t MBIST_ENABLE = 1u << 0;
inline constexpr std::uint32_t MBIST_DONE = 1u << 0;
inline constexpr std::uint32_t MBIST_HAMMER_GO = 1u << 0;  ///< self-clearing
/// With GO: MBIST_HAMMER_ROW is the victim; the kernel waits for a refresh tick, then activates the rows
/// on both sides of it alternately, MBIST_HAMMER_COUNT times each.
inline constexpr std::uint32_t MBIST_HAMMER_DOUBLE = 1u << 1;
inline constexpr std::uint32_t MBIST_FAILED = 1u << 1;
}  // namespace bits

/// The value every SeedChip answers in CHIP_ID.
inline constexpr std::uint32_t kChipId = 0x5EEDC41Bu;

}  // namespace seedval::chip

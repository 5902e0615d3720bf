#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <vector>

#include <fmt/core.h>

#include <seedval/chip/registers.h>
#include <seedval/core/error.h>
#include <seedval/core/strings.h>

namespace seedval::chip {
namespace {

using enum Access;

// Address order. Reset values of identity registers are placeholders: the device fills them at power-on.
constexpr std::array kRegisters{
    RegisterInfo{reg::CHIP_ID, "CHIP_ID", ro, kChipId, 0, "chip identifier, always 0x5EEDC41B"},
    RegisterInfo{reg::REVISION, "REVISION", ro, 0xA0, 0, "silicon revision (0xA0 = A0)"},
    RegisterInfo{reg::ECID_LO, "ECID_LO", ro, 0, 0, "electronic chip id, bits 31:0"},
    RegisterInfo{reg::ECID_HI, "ECID_HI", ro, 0, 0, "electronic chip id, bits 63:32"},
    RegisterInfo{reg::CAPS_LO, "CAPS_LO", ro, 0, 0, "capability bits 31:0"},
    RegisterInfo{reg::CAPS_HI, "CAPS_HI", ro, 0, 0, "capability bits 63:32"},
    RegisterInfo{reg::MEM_SIZE_LO, "MEM_SIZE_LO", ro, 0, 0, "device memory size in bytes, bits 31:0"},
    RegisterInfo{reg::MEM_SIZE_HI, "MEM_SIZE_HI", ro, 0, 0, "device memory size in bytes, bits 63:32"},
    RegisterInfo{reg::SCRATCH0, "SCRATCH0", rw, 0, 0xFFFFFFFF, "scratch register for link and bus checks"},
    RegisterInfo{reg::SCRATCH1, "SCRATCH1", rw, 0, 0xFFFFFFFF, "scratch register for link and bus checks"},
    RegisterInfo{reg::HBM_GEOMETRY, "HBM_GEOMETRY", ro, 0, 0,
                 "log2 of HBM stacks, channels, banks, rows, columns (5 bits each)"},
    RegisterInfo{reg::SRAM_SIZE_KIB, "SRAM_SIZE_KIB", ro, 0, 0, "on-chip SRAM per tensor core in KiB"},
    RegisterInfo{reg::CONTROL, "CONTROL", rw, bits::CONTROL_ENABLE, 0x80000003,
                 "bit 0 enable, bit 1 clear thermal trip, bit 31 soft reset"},
    RegisterInfo{reg::STATUS, "STATUS", ro, bits::STATUS_READY | bits::STATUS_PLL_LOCKED, 0,
                 "ready, PLL locked, error logged, thermal throttle, thermal trip"},
    RegisterInfo{reg::INT_STATUS, "INT_STATUS", w1c, 0, 0xFFFFFFFF, "pending interrupts, write 1 to clear"},
    RegisterInfo{reg::INT_ENABLE, "INT_ENABLE", rw, 0, 0xFFFFFFFF, "interrupt enables"},
    RegisterInfo{reg::ERR_COUNT, "ERR_COUNT", w1c, 0, 0xFFFFFFFF,
                 "errors logged since reset; write 1s to clear"},
    RegisterInfo{reg::ERR_ADDR_LO, "ERR_ADDR_LO", ro, 0, 0, "address of the last logged error, bits 31:0"},
    RegisterInfo{reg::ERR_ADDR_HI, "ERR_ADDR_HI", ro, 0, 0, "address of the last logged error, bits 63:32"},
    RegisterInfo{reg::ERR_CODE, "ERR_CODE", ro, 0, 0, "code of the last logged error"},
    RegisterInfo{reg::PLL_FREQ_MHZ, "PLL_FREQ_MHZ", rw, 1200, 0x0000FFFF, "core clock in MHz (100..3000)"},
    RegisterInfo{reg::PLL_STATUS, "PLL_STATUS", ro, 1, 0, "bit 0 locked"},
    RegisterInfo{reg::VDD_CORE_MV, "VDD_CORE_MV", rw, 750, 0x0000FFFF,
                 "core supply set point in mV (500..1000)"},
    RegisterInfo{reg::VDD_HBM_MV, "VDD_HBM_MV", rw, 1100, 0x0000FFFF,
                 "HBM supply set point in mV (900..1300)"},
    RegisterInfo{reg::THERMAL_LIMIT_C, "THERMAL_LIMIT_C", ro, 110, 0, "thermal trip temperature in degC"},
    RegisterInfo{reg::TEMP_DIE_MC, "TEMP_DIE_MC", ro, 25000, 0, "die temperature in milli-degC"},
    RegisterInfo{reg::POWER_MW, "POWER_MW", ro, 0, 0, "package power in mW"},
    RegisterInfo{reg::VDD_SENSE_MV, "VDD_SENSE_MV", ro, 750, 0, "core supply measured at the die in mV"},
    RegisterInfo{reg::TEMP_HBM_MC, "TEMP_HBM_MC", ro, 25000, 0, "HBM stack temperature in milli-degC"},
    RegisterInfo{reg::CURRENT_MA, "CURRENT_MA", ro, 0, 0, "core supply current in mA"},
    RegisterInfo{reg::TIMER_US_LO, "TIMER_US_LO", ro, 0, 0, "free-running microsecond timer, bits 31:0"},
    RegisterInfo{reg::TIMER_US_HI, "TIMER_US_HI", ro, 0, 0, "free-running microsecond timer, bits 63:32"},
    RegisterInfo{reg::ECC_CTRL, "ECC_CTRL", rw, 1, 0x00000001, "bit 0 SECDED enable"},
    RegisterInfo{reg::ECC_CE_COUNT, "ECC_CE_COUNT", w1c, 0, 0xFFFFFFFF,
                 "corrected errors; write 1s to clear"},
    RegisterInfo{reg::ECC_UE_COUNT, "ECC_UE_COUNT", w1c, 0, 0xFFFFFFFF,
                 "uncorrectable errors; write 1s to clear"},
    RegisterInfo{reg::ECC_ERR_ADDR_LO, "ECC_ERR_ADDR_LO", ro, 0, 0,
                 "byte address of the word of the last ECC error, bits 31:0"},
    RegisterInfo{reg::ECC_ERR_ADDR_HI, "ECC_ERR_ADDR_HI", ro, 0, 0,
                 "byte address of the word of the last ECC error, bits 63:32"},
    RegisterInfo{reg::ECC_ERR_INFO, "ECC_ERR_INFO", w1c, 0, 0x00000003,
                 "bit 0 an error is logged, bit 1 it was uncorrectable; write 1s to clear"},
    RegisterInfo{reg::ECC_INJECT_ADDR_LO, "ECC_INJECT_ADDR_LO", rw, 0, 0xFFFFFFF8,
                 "byte address of the word to corrupt, bits 31:0 (word aligned)"},
    RegisterInfo{reg::ECC_INJECT_ADDR_HI, "ECC_INJECT_ADDR_HI", rw, 0, 0xFFFFFFFF,
                 "byte address of the word to corrupt, bits 63:32"},
    RegisterInfo{reg::ECC_INJECT_MASK_LO, "ECC_INJECT_MASK_LO", rw, 0, 0xFFFFFFFF,
                 "data bits to flip, bits 31:0"},
    RegisterInfo{reg::ECC_INJECT_MASK_HI, "ECC_INJECT_MASK_HI", rw, 0, 0xFFFFFFFF,
                 "data bits to flip, bits 63:32"},
    RegisterInfo{reg::ECC_INJECT_CTRL, "ECC_INJECT_CTRL", rw, 0, 0x00000001,
                 "write 1: flip the masked stored bits of the word without updating its check bits"},
    RegisterInfo{reg::HBM_REFRESH_CTRL, "HBM_REFRESH_CTRL", rw, 1, 0x00000001, "bit 0 refresh enable"},
    RegisterInfo{reg::HBM_REFRESH_US, "HBM_REFRESH_US", rw, 32000, 0x00FFFFFF,
                 "refresh interval in microseconds (1000..10000000)"},
    RegisterInfo{reg::HBM_SPARES, "HBM_SPARES", ro, 0, 0,
                 "repair resources per bank: spare rows (15:0) and spare word columns (31:16)"},
    RegisterInfo{reg::MBIST_CTRL, "MBIST_CTRL", rw, 1, 0x00000001, "bit 0 MBIST engine enable"},
    RegisterInfo{reg::MBIST_STATUS, "MBIST_STATUS", ro, 0, 0, "bit 0 last run done, bit 1 it failed"},
    RegisterInfo{reg::MBIST_FAIL_COUNT, "MBIST_FAIL_COUNT", ro, 0, 0,
                 "failing reads of the last run (saturates)"},
    RegisterInfo{reg::MBIST_FAIL_ADDR_LO, "MBIST_FAIL_ADDR_LO", ro, 0, 0,
                 "byte address of the first failing read of the last run, bits 31:0"},
    RegisterInfo{reg::MBIST_FAIL_ADDR_HI, "MBIST_FAIL_ADDR_HI", ro, 0, 0,
                 "byte address of the first failing read of the last run, bits 63:32"},
    RegisterInfo{reg::MBIST_HAMMER_BANK, "MBIST_HAMMER_BANK", rw, 0, 0x0000FFFF,
                 "flat bank (stack, channel, bank) of the row the hammer kernel activates"},
    RegisterInfo{reg::MBIST_HAMMER_ROW, "MBIST_HAMMER_ROW", rw, 0, 0x000FFFFF,
                 "row the hammer kernel activates"},
    RegisterInfo{reg::MBIST_HAMMER_COUNT, "MBIST_HAMMER_COUNT", rw, 0, 0xFFFFFFFF,
                 "activations per hammer run"},
    RegisterInfo{
        reg::MBIST_HAMMER_CTRL, "MBIST_HAMMER_CTRL", rw, 0, 0x00000003,
        "GO: activate the row COUNT times; with DOUBLE the row is the victim and its two "
        "neighbours take COUNT activations each within one refresh window (needs MBIST_CTRL.ENABLE)"},
    RegisterInfo{reg::HARVEST_MASK, "HARVEST_MASK", ro, 0, 0, "tensor cores fused off (bit per core)"},
    RegisterInfo{reg::CORE_COUNT, "CORE_COUNT", ro, 10, 0, "tensor cores on the die, spares included"},
    RegisterInfo{reg::CORE_ENABLE, "CORE_ENABLE", rw, 0, 0x000003FF,
                 "tensor cores enabled by software (fused-off cores stay off)"},
    RegisterInfo{reg::CORE_ERROR, "CORE_ERROR", w1c, 0, 0x000003FF,
                 "cores that refused or aborted work; write 1s to clear"},
    RegisterInfo{reg::TENSOR_OPS, "TENSOR_OPS", ro, 0, 0, "tensor operations completed since reset"},
};

constexpr std::array kFields{
    FieldInfo{reg::REVISION, "MINOR", 0, 4, "metal revision"},
    FieldInfo{reg::REVISION, "MAJOR", 4, 4, "base layer revision (0xA = A)"},
    FieldInfo{reg::HBM_GEOMETRY, "STACKS_LOG2", 0, 5, "log2 of HBM stacks"},
    FieldInfo{reg::HBM_GEOMETRY, "CHANNELS_LOG2", 5, 5, "log2 of channels per stack"},
    FieldInfo{reg::HBM_GEOMETRY, "BANKS_LOG2", 10, 5, "log2 of banks per channel"},
    FieldInfo{reg::HBM_GEOMETRY, "ROWS_LOG2", 15, 5, "log2 of rows per bank"},
    FieldInfo{reg::HBM_GEOMETRY, "COLUMNS_LOG2", 20, 5, "log2 of 64-bit columns per row"},
    FieldInfo{reg::CONTROL, "ENABLE", 0, 1, "device enabled"},
    FieldInfo{reg::CONTROL, "CLEAR_TRIP", 1, 1, "leave thermal trip (self-clearing)"},
    FieldInfo{reg::CONTROL, "SOFT_RESET", 31, 1, "soft reset (self-clearing)"},
    FieldInfo{reg::STATUS, "READY", 0, 1, "ready for work"},
    FieldInfo{reg::STATUS, "PLL_LOCKED", 1, 1, "core PLL locked"},
    FieldInfo{reg::STATUS, "ERROR", 2, 1, "an error is logged"},
    FieldInfo{reg::STATUS, "THROTTLED", 3, 1, "clock halved by the thermal throttle"},
    FieldInfo{reg::STATUS, "THERMAL_TRIP", 4, 1, "thermal trip: compute halted"},
    FieldInfo{reg::INT_STATUS, "ECC_CORRECTED", 0, 1, "corrected ECC error"},
    FieldInfo{reg::INT_STATUS, "ECC_UNCORRECTABLE", 1, 1, "uncorrectable ECC error"},
    FieldInfo{reg::INT_STATUS, "THERMAL_THROTTLE", 2, 1, "thermal throttle engaged"},
    FieldInfo{reg::INT_STATUS, "THERMAL_TRIP", 3, 1, "thermal trip"},
    FieldInfo{reg::INT_STATUS, "MBIST_DONE", 4, 1, "MBIST run finished"},
    FieldInfo{reg::INT_STATUS, "TENSOR_ERROR", 5, 1, "a tensor core refused or aborted work"},
    FieldInfo{reg::PLL_STATUS, "LOCKED", 0, 1, "PLL locked"},
    FieldInfo{reg::ECC_CTRL, "ENABLE", 0, 1, "SECDED enabled"},
    FieldInfo{reg::ECC_ERR_INFO, "VALID", 0, 1, "an error is logged"},
    FieldInfo{reg::ECC_ERR_INFO, "UNCORRECTABLE", 1, 1, "the logged error was uncorrectable"},
    FieldInfo{reg::ECC_INJECT_CTRL, "GO", 0, 1, "inject now (self-clearing)"},
    FieldInfo{reg::HBM_REFRESH_CTRL, "ENABLE", 0, 1, "refresh enabled"},
    FieldInfo{reg::HBM_SPARES, "ROWS", 0, 16, "spare rows per bank"},
    FieldInfo{reg::HBM_SPARES, "COLUMNS", 16, 16, "spare word columns per bank"},
    FieldInfo{reg::MBIST_CTRL, "ENABLE", 0, 1, "MBIST engine enabled"},
    FieldInfo{reg::MBIST_STATUS, "DONE", 0, 1, "last run done"},
    FieldInfo{reg::MBIST_STATUS, "FAILED", 1, 1, "last run found failing reads"},
    FieldInfo{reg::MBIST_HAMMER_CTRL, "GO", 0, 1, "run the hammer kernel now (self-clearing)"},
    FieldInfo{reg::MBIST_HAMMER_CTRL, "DOUBLE", 1, 1, "double-sided: ROW is the victim"},
};

static_assert(std::is_sorted(kFields.begin(), kFields.end(), [](const FieldInfo& a, const FieldInfo& b) {
  return a.address != b.address ? a.address < b.address : a.lsb < b.lsb;
}));

static_assert(std::is_sorted(kRegisters.begin(), kRegisters.end(),
                             [](const RegisterInfo& a, const RegisterInfo& b) {
                               return a.address < b.address;
                             }));

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string_view to_string(Access a) noexcept {
  switch (a) {
    case ro:
      return "ro";
    case rw:
      return "rw";
    case w1c:
      return "w1c";
  }
  return "?";
}

std::span<const RegisterInfo> register_map() noexcept {
  return kRegisters;
}

const RegisterInfo* find_register(std::uint32_t address) noexcept {
  auto it = std::lower_bound(kRegisters.begin(), kRegisters.end(), address,
                             [](const RegisterInfo& r, std::uint32_t a) { return r.address < a; });
  return it != kRegisters.end() && it->address == address ? &*it : nullptr;
}

std::span<const FieldInfo> fields_of(std::uint32_t address) noexcept {
  auto lo = std::lower_bound(kFields.begin(), kFields.end(), address,
                             [](const FieldInfo& f, std::uint32_t a) { return f.address < a; });
  auto hi = std::upper_bound(lo, kFields.end(), address,
                             [](std::uint32_t a, const FieldInfo& f) { return a < f.address; });
  return {lo, hi};
}

const RegisterInfo& register_by_name(std::string_view name) {
  const std::string want = upper(name);
  for (const auto& r : kRegisters)
    if (r.name == want) return r;
  std::vector<std::string_view> close;
  for (const auto& r : kRegisters) {
    const std::string_view n = r.name;
    if (!want.empty() &&
        (n.find(want) != std::string_view::npos || want.find(n) != std::string::npos ||
         n.substr(0, std::min<std::size_t>(3, n.size())) == std::string_view(want).substr(0, 3)))
      close.push_back(n);
  }
  throw NotFoundError(ErrorCode::not_found,
                      fmt::format("no register named \"{}\"{}", name,
                                  close.empty() ? "" : " (did you mean " + join(close) + "?)"));
}

}  // namespace seedval::chip

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
    RegisterInfo{reg::CONTROL, "CONTROL", rw, bits::CONTROL_ENABLE, 0x80000001,
                 "bit 0 enable, bit 31 soft reset"},
    RegisterInfo{reg::STATUS, "STATUS", ro, bits::STATUS_READY | bits::STATUS_PLL_LOCKED, 0,
                 "bit 0 ready, bit 1 PLL locked, bit 2 error logged"},
    RegisterInfo{reg::INT_STATUS, "INT_STATUS", w1c, 0, 0xFFFFFFFF, "pending interrupts, write 1 to clear"},
    RegisterInfo{reg::INT_ENABLE, "INT_ENABLE", rw, 0, 0xFFFFFFFF, "interrupt enables"},
    RegisterInfo{reg::ERR_COUNT, "ERR_COUNT", w1c, 0, 0xFFFFFFFF,
                 "errors logged since reset; write 1s to clear"},
    RegisterInfo{reg::ERR_ADDR_LO, "ERR_ADDR_LO", ro, 0, 0, "address of the last logged error, bits 31:0"},
    RegisterInfo{reg::ERR_ADDR_HI, "ERR_ADDR_HI", ro, 0, 0, "address of the last logged error, bits 63:32"},
    RegisterInfo{reg::ERR_CODE, "ERR_CODE", ro, 0, 0, "code of the last logged error"},
    RegisterInfo{reg::PLL_FREQ_MHZ, "PLL_FREQ_MHZ", rw, 1200, 0x0000FFFF, "core clock in MHz"},
    RegisterInfo{reg::PLL_STATUS, "PLL_STATUS", ro, 1, 0, "bit 0 locked"},
    RegisterInfo{reg::VDD_CORE_MV, "VDD_CORE_MV", rw, 750, 0x0000FFFF, "core supply set point in mV"},
    RegisterInfo{reg::VDD_HBM_MV, "VDD_HBM_MV", rw, 1100, 0x0000FFFF, "HBM supply set point in mV"},
    RegisterInfo{reg::TEMP_DIE_MC, "TEMP_DIE_MC", ro, 25000, 0, "die temperature in milli-degC"},
    RegisterInfo{reg::POWER_MW, "POWER_MW", ro, 0, 0, "package power in mW"},
    RegisterInfo{reg::VDD_SENSE_MV, "VDD_SENSE_MV", ro, 750, 0, "core supply measured at the die in mV"},
    RegisterInfo{reg::ECC_CTRL, "ECC_CTRL", rw, 1, 0x00000001, "bit 0 SECDED enable"},
    RegisterInfo{reg::ECC_CE_COUNT, "ECC_CE_COUNT", w1c, 0, 0xFFFFFFFF, "corrected errors"},
    RegisterInfo{reg::ECC_UE_COUNT, "ECC_UE_COUNT", w1c, 0, 0xFFFFFFFF, "uncorrectable errors"},
    RegisterInfo{reg::ECC_ERR_ADDR_LO, "ECC_ERR_ADDR_LO", ro, 0, 0,
                 "address of the last ECC error, bits 31:0"},
    RegisterInfo{reg::ECC_ERR_ADDR_HI, "ECC_ERR_ADDR_HI", ro, 0, 0,
                 "address of the last ECC error, bits 63:32"},
    RegisterInfo{reg::MBIST_CTRL, "MBIST_CTRL", rw, 0, 0xFFFFFFFF, "MBIST engine control"},
    RegisterInfo{reg::MBIST_STATUS, "MBIST_STATUS", ro, 0, 0, "MBIST engine status"},
    RegisterInfo{reg::HARVEST_MASK, "HARVEST_MASK", ro, 0, 0, "tensor cores fused off (bit per core)"},
    RegisterInfo{reg::CORE_COUNT, "CORE_COUNT", ro, 8, 0, "tensor cores on the die, spares included"},
};

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

// Tests for seedval/chip/registers.h: the register map's invariants and lookups.
#include <cctype>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <seedval/chip/registers.h>
#include <seedval/core/error.h>

#include "support/errors.h"

namespace seedval::chip {
namespace {

// Predicate for BOOST_CHECK_EXCEPTION: a not-found error whose message holds `needle`.
auto not_found(std::string needle) {
  return testing::error_with(ErrorCode::not_found, std::move(needle));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(chip_registers)

BOOST_AUTO_TEST_CASE(map_is_sorted_aligned_and_unique) {
  const auto map = register_map();
  BOOST_REQUIRE(!map.empty());
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < map.size(); ++i) {
    const RegisterInfo& r = map[i];
    BOOST_TEST_CONTEXT(r.name << " at 0x" << std::hex << r.address) {
      BOOST_TEST(r.address % 4 == 0u);
      if (i > 0) BOOST_TEST(map[i - 1].address < r.address, "not strictly ascending");
      BOOST_TEST(names.insert(r.name).second, "duplicate name");
      BOOST_TEST(!r.description.empty());
      for (char c : r.name)
        BOOST_TEST((std::isupper(static_cast<unsigned char>(c)) ||
                    std::isdigit(static_cast<unsigned char>(c)) || c == '_'));
      if (r.access == Access::ro) BOOST_TEST(r.writable_mask == 0u, "read-only register with writable bits");
      if (r.access != Access::ro)
        BOOST_TEST(r.writable_mask != 0u, "writable register without writable bits");
    }
  }
}

BOOST_AUTO_TEST_CASE(find_register_finds_every_entry) {
  for (const RegisterInfo& r : register_map()) {
    const RegisterInfo* found = find_register(r.address);
    BOOST_TEST(found == &r, r.name);
  }
}

BOOST_AUTO_TEST_CASE(reserved_addresses_are_not_found) {
  BOOST_TEST(find_register(0x0038) == nullptr);      // gap after STATUS
  BOOST_TEST(find_register(0x0022) == nullptr);      // unaligned
  BOOST_TEST(find_register(0x0001) == nullptr);      // unaligned, inside CHIP_ID
  BOOST_TEST(find_register(0x0514) == nullptr);      // after the last register
  BOOST_TEST(find_register(0xFFFFFFFC) == nullptr);  // far beyond
  // Every address between two registers is reserved.
  const auto map = register_map();
  for (std::size_t i = 1; i < map.size(); ++i)
    for (std::uint32_t a = map[i - 1].address + 1; a < map[i].address; ++a)
      if (find_register(a) != nullptr) BOOST_ERROR("address " << a << " should be reserved");
}

BOOST_AUTO_TEST_CASE(named_constants_match_the_table) {
  const std::vector<std::pair<std::uint32_t, std::string_view>> constants{
      {reg::CHIP_ID, "CHIP_ID"},
      {reg::REVISION, "REVISION"},
      {reg::ECID_LO, "ECID_LO"},
      {reg::ECID_HI, "ECID_HI"},
      {reg::CAPS_LO, "CAPS_LO"},
      {reg::CAPS_HI, "CAPS_HI"},
      {reg::MEM_SIZE_LO, "MEM_SIZE_LO"},
      {reg::MEM_SIZE_HI, "MEM_SIZE_HI"},
      {reg::SCRATCH0, "SCRATCH0"},
      {reg::SCRATCH1, "SCRATCH1"},
      {reg::HBM_GEOMETRY, "HBM_GEOMETRY"},
      {reg::SRAM_SIZE_KIB, "SRAM_SIZE_KIB"},
      {reg::CONTROL, "CONTROL"},
      {reg::STATUS, "STATUS"},
      {reg::INT_STATUS, "INT_STATUS"},
      {reg::INT_ENABLE, "INT_ENABLE"},
      {reg::ERR_COUNT, "ERR_COUNT"},
      {reg::ERR_ADDR_LO, "ERR_ADDR_LO"},
      {reg::ERR_ADDR_HI, "ERR_ADDR_HI"},
      {reg::ERR_CODE, "ERR_CODE"},
      {reg::PLL_FREQ_MHZ, "PLL_FREQ_MHZ"},
      {reg::PLL_STATUS, "PLL_STATUS"},
      {reg::VDD_CORE_MV, "VDD_CORE_MV"},
      {reg::VDD_HBM_MV, "VDD_HBM_MV"},
      {reg::THERMAL_LIMIT_C, "THERMAL_LIMIT_C"},
      {reg::TEMP_DIE_MC, "TEMP_DIE_MC"},
      {reg::POWER_MW, "POWER_MW"},
      {reg::VDD_SENSE_MV, "VDD_SENSE_MV"},
      {reg::TEMP_HBM_MC, "TEMP_HBM_MC"},
      {reg::CURRENT_MA, "CURRENT_MA"},
      {reg::TIMER_US_LO, "TIMER_US_LO"},
      {reg::TIMER_US_HI, "TIMER_US_HI"},
      {reg::ECC_CTRL, "ECC_CTRL"},
      {reg::ECC_CE_COUNT, "ECC_CE_COUNT"},
      {reg::ECC_UE_COUNT, "ECC_UE_COUNT"},
      {reg::ECC_ERR_ADDR_LO, "ECC_ERR_ADDR_LO"},
      {reg::ECC_ERR_ADDR_HI, "ECC_ERR_ADDR_HI"},
      {reg::ECC_ERR_INFO, "ECC_ERR_INFO"},
      {reg::ECC_INJECT_ADDR_LO, "ECC_INJECT_ADDR_LO"},
      {reg::ECC_INJECT_ADDR_HI, "ECC_INJECT_ADDR_HI"},
      {reg::ECC_INJECT_MASK_LO, "ECC_INJECT_MASK_LO"},
      {reg::ECC_INJECT_MASK_HI, "ECC_INJECT_MASK_HI"},
      {reg::ECC_INJECT_CTRL, "ECC_INJECT_CTRL"},
      {reg::HBM_REFRESH_CTRL, "HBM_REFRESH_CTRL"},
      {reg::HBM_REFRESH_US, "HBM_REFRESH_US"},
      {reg::HBM_SPARES, "HBM_SPARES"},
      {reg::MBIST_CTRL, "MBIST_CTRL"},
      {reg::MBIST_STATUS, "MBIST_STATUS"},
      {reg::MBIST_FAIL_COUNT, "MBIST_FAIL_COUNT"},
      {reg::MBIST_FAIL_ADDR_LO, "MBIST_FAIL_ADDR_LO"},
      {reg::MBIST_FAIL_ADDR_HI, "MBIST_FAIL_ADDR_HI"},
      {reg::MBIST_HAMMER_BANK, "MBIST_HAMMER_BANK"},
      {reg::MBIST_HAMMER_ROW, "MBIST_HAMMER_ROW"},
      {reg::MBIST_HAMMER_COUNT, "MBIST_HAMMER_COUNT"},
      {reg::MBIST_HAMMER_CTRL, "MBIST_HAMMER_CTRL"},
      {reg::HARVEST_MASK, "HARVEST_MASK"},
      {reg::CORE_COUNT, "CORE_COUNT"},
      {reg::CORE_ENABLE, "CORE_ENABLE"},
      {reg::CORE_ERROR, "CORE_ERROR"},
      {reg::TENSOR_OPS, "TENSOR_OPS"},
  };
  BOOST_TEST(constants.size() == register_map().size(), "a register has no reg:: constant, or the reverse");
  for (const auto& [address, name] : constants) {
    const RegisterInfo* r = find_register(address);
    BOOST_REQUIRE_MESSAGE(r != nullptr, name << " is not in the map");
    BOOST_TEST(r->name == name);
  }
}

BOOST_AUTO_TEST_CASE(identity_and_control_registers) {
  const RegisterInfo& id = register_by_name("CHIP_ID");
  BOOST_TEST(id.reset_value == kChipId);
  BOOST_TEST((id.access == Access::ro));
  const RegisterInfo& control = register_by_name("CONTROL");
  BOOST_TEST((control.writable_mask & bits::CONTROL_SOFT_RESET) != 0u);
  BOOST_TEST((control.reset_value & bits::CONTROL_ENABLE) != 0u);
  BOOST_TEST((register_by_name("INT_STATUS").access == Access::w1c));
  BOOST_TEST((register_by_name("SCRATCH0").access == Access::rw));
  BOOST_TEST(register_by_name("SCRATCH0").writable_mask == 0xFFFFFFFFu);
}

BOOST_AUTO_TEST_CASE(register_by_name_is_case_insensitive) {
  BOOST_TEST(register_by_name("scratch0").address == reg::SCRATCH0);
  BOOST_TEST(register_by_name("Scratch1").address == reg::SCRATCH1);
  BOOST_TEST(register_by_name("chip_id").address == reg::CHIP_ID);
  BOOST_TEST(&register_by_name("ecc_ctrl") == find_register(reg::ECC_CTRL));
}

BOOST_AUTO_TEST_CASE(unknown_name_is_not_found_with_suggestions) {
  BOOST_CHECK_EXCEPTION(register_by_name("SCRATCH9"), NotFoundError,
                        not_found("no register named \"SCRATCH9\""));
  BOOST_CHECK_EXCEPTION(register_by_name("SCRATCH9"), NotFoundError, not_found("did you mean"));
  BOOST_CHECK_EXCEPTION(register_by_name("SCRATCH9"), NotFoundError, not_found("SCRATCH0"));
  BOOST_CHECK_EXCEPTION(register_by_name("scratch"), NotFoundError,
                        not_found("no register named \"scratch\""));
  BOOST_CHECK_EXCEPTION(register_by_name(""), NotFoundError, not_found("no register named \"\""));
  BOOST_CHECK_EXCEPTION(register_by_name("QQQQ"), NotFoundError, [](const NotFoundError& e) {
    return e.message() == "no register named \"QQQQ\"";  // nothing close: no suggestion list
  });
}

BOOST_AUTO_TEST_CASE(fields_lie_inside_their_registers_without_overlap) {
  std::size_t total = 0;
  for (const RegisterInfo& r : register_map()) {
    std::uint32_t used = 0;
    std::set<std::string_view> names;
    for (const FieldInfo& f : fields_of(r.address)) {
      ++total;
      BOOST_TEST_CONTEXT(r.name << "." << f.name) {
        BOOST_TEST(f.address == r.address);
        BOOST_TEST(f.width >= 1);
        BOOST_TEST(f.lsb + f.width <= 32);
        const std::uint32_t mask = (f.width >= 32 ? 0xFFFFFFFFu : (1u << f.width) - 1) << f.lsb;
        BOOST_TEST((used & mask) == 0u, "overlapping fields");
        used |= mask;
        BOOST_TEST(names.insert(f.name).second, "duplicate field name");
        BOOST_TEST(!f.description.empty());
      }
    }
  }
  BOOST_TEST(total > 20u);
  BOOST_TEST(fields_of(reg::SCRATCH0).empty());
  BOOST_TEST(fields_of(0x0038).empty());  // reserved
}

BOOST_AUTO_TEST_CASE(fields_decode_values) {
  const auto status = fields_of(reg::STATUS);
  BOOST_REQUIRE(status.size() >= 5u);
  const std::uint32_t v = bits::STATUS_READY | bits::STATUS_THERMAL_TRIP;
  for (const FieldInfo& f : status) {
    const bool set = f.name == "READY" || f.name == "THERMAL_TRIP";
    BOOST_TEST(f.extract(v) == (set ? 1u : 0u), f.name);
  }
  const auto geometry = fields_of(reg::HBM_GEOMETRY);
  BOOST_REQUIRE(geometry.size() == 5u);
  BOOST_TEST(geometry[3].name == "ROWS_LOG2");
  BOOST_TEST(geometry[3].extract(8u << 15 | 31u) == 8u);
}

BOOST_AUTO_TEST_CASE(access_names) {
  BOOST_TEST(to_string(Access::ro) == "ro");
  BOOST_TEST(to_string(Access::rw) == "rw");
  BOOST_TEST(to_string(Access::w1c) == "w1c");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval::chip

// Tests for the capability part of seedval/chip/identity.h: names, bits and masks.
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <seedval/chip/identity.h>
#include <seedval/core/error.h>

namespace seedval::chip {

BOOST_AUTO_TEST_SUITE(chip_capabilities)

BOOST_AUTO_TEST_CASE(names_round_trip_for_every_capability) {
  std::set<std::string> names;
  for (int i = 0; i < kCapabilityCount; ++i) {
    const auto c = static_cast<Capability>(i);
    const std::string name(to_string(c));
    BOOST_TEST_CONTEXT("capability " << i << " \"" << name << "\"") {
      BOOST_TEST(name != "unknown");
      BOOST_TEST((capability_from_string(name) == c));
      BOOST_TEST(bit(c) == std::uint64_t{1} << i);
      names.insert(name);
    }
  }
  BOOST_TEST(names.size() == static_cast<std::size_t>(kCapabilityCount), "two capabilities share a name");
}

BOOST_AUTO_TEST_CASE(specific_names) {
  BOOST_TEST((capability_from_string("memory.fill") == Capability::memory_fill));
  BOOST_TEST((capability_from_string("registers.batch") == Capability::register_batch));
  BOOST_TEST(to_string(Capability::reset) == "reset");
  BOOST_TEST(to_string(static_cast<Capability>(kCapabilityCount)) == "unknown");
}

BOOST_AUTO_TEST_CASE(unknown_name_lists_the_known_ones) {
  BOOST_CHECK_EXCEPTION(capability_from_string("memory.fil"), NotFoundError, [](const NotFoundError& e) {
    BOOST_TEST_MESSAGE("got: " << e.what());
    return e.code() == ErrorCode::not_found && e.message().find("unknown capability \"memory.fil\"") == 0 &&
           e.message().find("known: registers.batch, memory.bulk, memory.fill,") != std::string::npos &&
           e.message().find("reset)") != std::string::npos;
  });
  BOOST_CHECK_THROW(capability_from_string(""), NotFoundError);
  BOOST_CHECK_THROW(capability_from_string("Memory.Fill"), NotFoundError);
}

BOOST_AUTO_TEST_CASE(mask_names_in_bit_order_with_unknown_bits) {
  const std::uint64_t mask = bit(Capability::ecc) | bit(Capability::memory_fill) | (std::uint64_t{1} << 40);
  const std::vector<std::string> expected{"memory.fill", "ecc", "bit 40"};
  BOOST_TEST(capability_names(mask) == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(empty_and_full_masks) {
  BOOST_TEST(capability_names(0).empty());
  const auto all = capability_names(~std::uint64_t{0});
  BOOST_REQUIRE(all.size() == 64u);
  BOOST_TEST(all.front() == "registers.batch");
  BOOST_TEST(all[kCapabilityCount - 1] == "reset");
  BOOST_TEST(all[kCapabilityCount] == "bit " + std::to_string(kCapabilityCount));
  BOOST_TEST(all.back() == "bit 63");
}

BOOST_AUTO_TEST_CASE(every_known_bit_names_its_capability) {
  for (int i = 0; i < kCapabilityCount; ++i) {
    const auto c = static_cast<Capability>(i);
    const auto names = capability_names(bit(c));
    BOOST_REQUIRE(names.size() == 1u);
    BOOST_TEST(names[0] == std::string(to_string(c)));
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval::chip

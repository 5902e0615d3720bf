// Tests for the ECID part of seedval/chip/identity.h: the documented fuse layout, round trips over many
// dies, range checks, and detection of misread fuses.
#include <cstdint>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <fmt/core.h>

#include <seedval/chip/identity.h>
#include <seedval/core/error.h>

#include "support/errors.h"

namespace seedval::chip {

inline std::ostream& boost_test_print_type(std::ostream& os, const DieId& d) {
  return os << to_string(d);
}

namespace {

constexpr std::uint64_t kPayloadMask = (std::uint64_t{1} << 57) - 1;

// The documented check: XOR-fold of bits 0..56 into 7 bits, written independently of the library.
std::uint64_t fold7(std::uint64_t payload) {
  std::uint64_t c = 0;
  for (int bit = 0; bit < 57; ++bit) c ^= ((payload >> bit) & 1u) << (bit % 7);
  return c;
}

std::uint64_t with_check_bits(std::uint64_t payload) {
  return payload | (fold7(payload) << 57);
}

int lot_code(char c) {
  return c <= '9' ? 1 + (c - '0') : 11 + (c - 'A');
}

// Predicates for BOOST_CHECK_EXCEPTION: the error's code, and a message that holds `needle`.
auto invalid_argument(std::string needle) {
  return testing::error_with(ErrorCode::invalid_argument, std::move(needle));
}

auto device_error(std::string needle) {
  return testing::error_with(ErrorCode::device, std::move(needle));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(chip_ecid)

BOOST_AUTO_TEST_CASE(layout_matches_the_documented_fuse_map) {
  const DieId d{"L12345", 17, 200, 99};
  const std::uint64_t v = encode_ecid(d);
  for (std::size_t i = 0; i < d.lot.size(); ++i)
    BOOST_TEST(((v >> (6 * i)) & 0x3F) == static_cast<std::uint64_t>(lot_code(d.lot[i])),
               "lot character " << i);
  BOOST_TEST(((v >> 36) & 0x1F) == 17u);
  BOOST_TEST(((v >> 41) & 0xFF) == 200u);
  BOOST_TEST(((v >> 49) & 0xFF) == 99u);
  BOOST_TEST((v >> 57) == fold7(v & kPayloadMask));
}

BOOST_AUTO_TEST_CASE(short_lots_leave_the_unused_characters_zero) {
  const std::uint64_t v = encode_ecid({"A", 1, 0, 0});
  BOOST_TEST((v & 0x3F) == 11u);
  BOOST_TEST(((v >> 6) & ((std::uint64_t{1} << 30) - 1)) == 0u);
  BOOST_TEST(v == with_check_bits(11u | (std::uint64_t{1} << 36)));
}

BOOST_AUTO_TEST_CASE(round_trip_over_many_dies) {
  const std::vector<std::string> lots{"A", "Z", "0", "9", "AB", "Z9Z9Z9", "L12345", "ZZZZZZ", "000000", "Q7"};
  const std::vector<int> wafers{1, 2, 13, 24, 25};
  const std::vector<int> coords{0, 1, 127, 128, 254, 255};
  std::set<std::uint64_t> seen;
  std::size_t dies = 0;
  for (const auto& lot : lots)
    for (int wafer : wafers)
      for (int x : coords)
        for (int y : coords) {
          const DieId d{lot, wafer, x, y};
          const std::uint64_t v = encode_ecid(d);
          const DieId back = decode_ecid(v);
          if (!(back == d)) BOOST_ERROR("die " << to_string(d) << " decodes as " << to_string(back));
          seen.insert(v);
          ++dies;
        }
  BOOST_TEST(seen.size() == dies, "two dies share an ECID");
}

BOOST_AUTO_TEST_CASE(to_string_format) {
  BOOST_TEST(to_string(DieId{"L12345", 3, 12, 34}) == "L12345-W03-X012-Y034");
  BOOST_TEST(to_string(DieId{"A", 25, 255, 0}) == "A-W25-X255-Y000");
}

BOOST_AUTO_TEST_CASE(parse_die_id_reads_what_to_string_writes) {
  for (const DieId& d : {DieId{"L12345", 3, 12, 34}, DieId{"A", 1, 0, 0}, DieId{"Z9Z9Z9", 25, 255, 255}}) {
    const DieId back = parse_die_id(to_string(d));
    BOOST_TEST(back == d, to_string(d));
  }
}

BOOST_AUTO_TEST_CASE(parse_die_id_reads_the_short_form) {
  BOOST_TEST(parse_die_id("L12345:3:12:34") == (DieId{"L12345", 3, 12, 34}));
  BOOST_TEST(parse_die_id("A:25:255:0") == (DieId{"A", 25, 255, 0}));
  BOOST_TEST(parse_die_id("L1-W3-X12-Y34") == (DieId{"L1", 3, 12, 34}));  // zero padding is optional
}

BOOST_AUTO_TEST_CASE(parse_die_id_rejects_malformed_text) {
  const auto not_a_die = [](const std::string& text) {
    return invalid_argument("die \"" + text + "\" is not of the form LOT-W01-X010-Y020 or LOT:1:10:20");
  };
  for (const std::string text : {"", "L12345", "L12345-W03-X012", "L12345-W03-X012-Y034x", "L12345:3:12",
                                 "L12345:3:12:34:5", "L12345-W03:12:34", "L1-W 3-X1-Y1", "L1-W+3-X1-Y1",
                                 "L1:1:0:-1", "L1:1:0:99999999999", "L1:0x1:1:1"}) {
    BOOST_CHECK_EXCEPTION(parse_die_id(text), InvalidArgumentError, not_a_die(text));
  }
  // Well-formed but with a lot id that cannot be fused: the message says what is wrong with it.
  BOOST_CHECK_EXCEPTION(parse_die_id("l12345-W03-X012-Y034"), InvalidArgumentError,
                        invalid_argument("may hold only 0-9 and A-Z"));
  BOOST_CHECK_EXCEPTION(parse_die_id("ABCDEFGH:1:1:1"), InvalidArgumentError,
                        invalid_argument("1 to 6 characters"));
}

BOOST_AUTO_TEST_CASE(parse_die_id_validates_the_fields) {
  BOOST_CHECK_EXCEPTION(parse_die_id("L1:26:0:0"), InvalidArgumentError,
                        invalid_argument("wafer 26 is outside 1..25"));
  BOOST_CHECK_EXCEPTION(parse_die_id("L1-W00-X000-Y000"), InvalidArgumentError, invalid_argument("wafer 0"));
  BOOST_CHECK_EXCEPTION(parse_die_id("L1:1:256:0"), InvalidArgumentError, invalid_argument("die (256, 0)"));
  BOOST_CHECK_EXCEPTION(parse_die_id("ABCDEFG:1:0:0"), InvalidArgumentError,
                        invalid_argument("1 to 6 characters"));
}

BOOST_AUTO_TEST_CASE(validate_accepts_the_limits) {
  BOOST_CHECK_NO_THROW(validate({"Z9Z9Z9", 25, 255, 255}));
  BOOST_CHECK_NO_THROW(validate({"0", 1, 0, 0}));
}

BOOST_AUTO_TEST_CASE(validate_rejects_bad_lots) {
  BOOST_CHECK_EXCEPTION(validate({"l12345", 1, 0, 0}), InvalidArgumentError,
                        invalid_argument("lot id \"l12345\" may hold only 0-9 and A-Z"));
  BOOST_CHECK_EXCEPTION(validate({"AB-1", 1, 0, 0}), InvalidArgumentError,
                        invalid_argument("may hold only 0-9 and A-Z"));
  BOOST_CHECK_EXCEPTION(validate({"ABCDEFG", 1, 0, 0}), InvalidArgumentError,
                        invalid_argument("lot id \"ABCDEFG\" must have 1 to 6 characters"));
  BOOST_CHECK_EXCEPTION(validate({"", 1, 0, 0}), InvalidArgumentError,
                        invalid_argument("must have 1 to 6 characters"));
}

BOOST_AUTO_TEST_CASE(validate_rejects_out_of_range_numbers) {
  BOOST_CHECK_EXCEPTION(validate({"A", 0, 0, 0}), InvalidArgumentError,
                        invalid_argument("wafer 0 is outside 1..25"));
  BOOST_CHECK_EXCEPTION(validate({"A", 26, 0, 0}), InvalidArgumentError,
                        invalid_argument("wafer 26 is outside 1..25"));
  BOOST_CHECK_EXCEPTION(validate({"A", 1, 256, 0}), InvalidArgumentError,
                        invalid_argument("die (256, 0) is outside 0..255"));
  BOOST_CHECK_EXCEPTION(validate({"A", 1, 0, 256}), InvalidArgumentError, invalid_argument("die (0, 256)"));
  BOOST_CHECK_EXCEPTION(validate({"A", 1, -1, 0}), InvalidArgumentError, invalid_argument("die (-1, 0)"));
  BOOST_CHECK_EXCEPTION(validate({"A", 1, 0, -1}), InvalidArgumentError, invalid_argument("die (0, -1)"));
}

BOOST_AUTO_TEST_CASE(encode_validates_first) {
  BOOST_CHECK_EXCEPTION(encode_ecid({"abc", 1, 0, 0}), InvalidArgumentError,
                        invalid_argument("lot id \"abc\""));
  BOOST_CHECK_EXCEPTION(encode_ecid({"A", 26, 0, 0}), InvalidArgumentError, invalid_argument("wafer 26"));
  BOOST_CHECK_EXCEPTION(encode_ecid({"A", 1, 256, 0}), InvalidArgumentError,
                        invalid_argument("die (256, 0)"));
}

BOOST_AUTO_TEST_CASE(every_single_flipped_fuse_fails_the_check_bits) {
  for (const DieId& d : {DieId{"L12345", 7, 12, 34}, DieId{"A", 1, 0, 0}, DieId{"Z9Z9Z9", 25, 255, 255}}) {
    const std::uint64_t good = encode_ecid(d);
    for (int bit = 0; bit < 64; ++bit) {
      const std::uint64_t bad = good ^ (std::uint64_t{1} << bit);
      BOOST_CHECK_EXCEPTION(decode_ecid(bad), DeviceError, device_error("fails its check bits"));
    }
  }
}

BOOST_AUTO_TEST_CASE(check_bits_message_shows_the_value) {
  const std::uint64_t bad = encode_ecid({"A", 1, 0, 0}) ^ 1u;
  BOOST_CHECK_EXCEPTION(decode_ecid(bad), DeviceError,
                        device_error(fmt::format("ECID 0x{:016x} fails", bad)));
}

BOOST_AUTO_TEST_CASE(decode_rejects_consistent_but_invalid_contents) {
  // Correct check bits over contents no encoder produces.
  const std::uint64_t wafer1 = std::uint64_t{1} << 36;
  BOOST_CHECK_EXCEPTION(decode_ecid(with_check_bits(37u | wafer1)), DeviceError,
                        device_error("invalid lot id"));
  BOOST_CHECK_EXCEPTION(decode_ecid(with_check_bits(63u | wafer1)), DeviceError,
                        device_error("invalid lot id"));
  // A gap: character 0 and 2 set, character 1 unused.
  BOOST_CHECK_EXCEPTION(decode_ecid(with_check_bits(11u | (11u << 12) | wafer1)), DeviceError,
                        device_error("invalid lot id"));
  // No lot, or wafer outside 1..25.
  BOOST_CHECK_EXCEPTION(decode_ecid(0), DeviceError, device_error("no valid lot and wafer"));
  BOOST_CHECK_EXCEPTION(decode_ecid(with_check_bits(wafer1)), DeviceError,
                        device_error("no valid lot and wafer"));
  BOOST_CHECK_EXCEPTION(decode_ecid(with_check_bits(11u)), DeviceError,
                        device_error("no valid lot and wafer"));
  BOOST_CHECK_EXCEPTION(decode_ecid(with_check_bits(11u | (std::uint64_t{26} << 36))), DeviceError,
                        device_error("no valid lot and wafer"));
  BOOST_CHECK_EXCEPTION(decode_ecid(with_check_bits(11u | (std::uint64_t{31} << 36))), DeviceError,
                        device_error("no valid lot and wafer"));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval::chip

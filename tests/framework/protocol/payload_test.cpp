// Tests for seedval/protocol/payload.h: little-endian writing and bounds-checked reading.
#include <cstdint>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <seedval/core/error.h>
#include <seedval/protocol/payload.h>

#include "support/errors.h"

namespace seedval::protocol {
namespace {

using Bytes = std::vector<std::uint8_t>;

// Predicate for BOOST_CHECK_EXCEPTION: a ProtocolError (code protocol) whose message holds `needle`.
auto protocol_error(std::string needle) {
  return testing::error_with(ErrorCode::protocol, std::move(needle));
}

Bytes written(const PayloadWriter& w) {
  return Bytes(w.data().begin(), w.data().end());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(protocol_payload)

BOOST_AUTO_TEST_CASE(writer_is_little_endian) {
  PayloadWriter w;
  w.u8(0x11);
  w.u16(0x2233);
  w.u32(0x44556677);
  w.u64(0x8899AABBCCDDEEFFull);
  const Bytes expected{0x11, 0x33, 0x22, 0x77, 0x66, 0x55, 0x44, 0xFF,
                       0xEE, 0xDD, 0xCC, 0xBB, 0xAA, 0x99, 0x88};
  BOOST_TEST(written(w) == expected, boost::test_tools::per_element());
  BOOST_TEST(w.size() == expected.size());
}

BOOST_AUTO_TEST_CASE(round_trip_every_field_type) {
  PayloadWriter w;
  w.u8(0xFE);
  w.u16(0xFFFF);
  w.u32(0);
  w.u64(~0ull);
  w.string("seedchip-sim");
  w.string("");
  w.bytes(Bytes{1, 2, 3});
  const Bytes data = std::move(w).take();
  PayloadReader r(data, "test payload");
  BOOST_TEST(r.u8() == 0xFE);
  BOOST_TEST(r.u16() == 0xFFFF);
  BOOST_TEST(r.u32() == 0u);
  BOOST_TEST(r.u64() == ~0ull);
  BOOST_TEST(r.string() == "seedchip-sim");
  BOOST_TEST(r.string() == "");
  const auto b = r.bytes(3);
  BOOST_TEST((Bytes(b.begin(), b.end()) == Bytes{1, 2, 3}));
  BOOST_TEST(r.remaining() == 0u);
  BOOST_CHECK_NO_THROW(r.expect_end());
}

BOOST_AUTO_TEST_CASE(strings_are_length_prefixed_and_cut_at_65535) {
  PayloadWriter w;
  w.string("ab");
  BOOST_TEST((written(w) == Bytes{0x02, 0x00, 'a', 'b'}));
  PayloadWriter big;
  const std::string long_string(70000, 'z');
  big.string(long_string);
  BOOST_TEST(big.size() == 2u + 65535u);
  PayloadReader r(big.data(), "big");
  BOOST_TEST(r.string() == long_string.substr(0, 65535));
  BOOST_CHECK_NO_THROW(r.expect_end());
}

BOOST_AUTO_TEST_CASE(extend_appends_zeros_to_fill_in_place) {
  PayloadWriter w;
  w.u8(9);
  std::uint8_t* p = w.extend(4);
  BOOST_TEST(w.size() == 5u);
  BOOST_TEST((written(w) == Bytes{9, 0, 0, 0, 0}));
  p[0] = 1;
  p[3] = 4;
  BOOST_TEST((written(w) == Bytes{9, 1, 0, 0, 4}));
}

BOOST_AUTO_TEST_CASE(headroom_is_kept_out_of_the_payload) {
  Bytes storage(100, 0xEE);  // old contents and capacity to reuse
  const auto* old_buffer = storage.data();
  PayloadWriter w(std::move(storage), 16);
  BOOST_TEST(w.headroom() == 16u);
  BOOST_TEST(w.size() == 0u);
  BOOST_TEST(w.data().empty());
  w.u32(0x01020304);
  BOOST_TEST(w.size() == 4u);
  BOOST_TEST((written(w) == Bytes{4, 3, 2, 1}));
  BOOST_TEST(w.buffer().size() == 20u);
  BOOST_TEST((w.buffer().data() == old_buffer), "the storage's capacity was not reused");
}

BOOST_AUTO_TEST_CASE(reading_past_the_end_names_payload_offset_and_field) {
  const Bytes three{1, 2, 3};
  {
    PayloadReader r(three, "mem_read request");
    BOOST_CHECK_EXCEPTION(
        r.u32(), ProtocolError,
        protocol_error("mem_read request: truncated at offset 0: a u32 needs 4 bytes, 3 left"));
  }
  {
    PayloadReader r(three, "x");
    r.u8();
    BOOST_CHECK_EXCEPTION(r.u64(), ProtocolError,
                          protocol_error("x: truncated at offset 1: a u64 needs 8 bytes, 2 left"));
  }
  {
    PayloadReader r(three, "x");
    r.u16();
    BOOST_CHECK_EXCEPTION(r.u16(), ProtocolError,
                          protocol_error("truncated at offset 2: a u16 needs 2 bytes, 1 left"));
  }
  {
    PayloadReader r({}, "empty");
    BOOST_CHECK_EXCEPTION(r.u8(), ProtocolError,
                          protocol_error("empty: truncated at offset 0: a u8 needs 1 bytes, 0 left"));
  }
  {
    PayloadReader r(three, "x");
    BOOST_CHECK_EXCEPTION(r.bytes(4), ProtocolError,
                          protocol_error("truncated at offset 0: 4 bytes expected, 3 left"));
  }
}

BOOST_AUTO_TEST_CASE(string_longer_than_the_rest_is_truncated) {
  const Bytes data{0x05, 0x00, 'a', 'b'};
  PayloadReader r(data, "identify response");
  BOOST_CHECK_EXCEPTION(r.string(), ProtocolError,
                        protocol_error("identify response: truncated at offset 2: 5 bytes expected, 2 left"));
}

BOOST_AUTO_TEST_CASE(expect_end_reports_trailing_bytes) {
  const Bytes data{1, 2, 3, 4, 5, 6};
  PayloadReader r(data, "reg_read request");
  r.u32();
  BOOST_CHECK_EXCEPTION(r.expect_end(), ProtocolError,
                        protocol_error("reg_read request: 2 unexpected bytes after offset 4"));
}

BOOST_AUTO_TEST_CASE(rest_takes_everything_left) {
  const Bytes data{1, 2, 3, 4, 5};
  PayloadReader r(data, "x");
  r.u8();
  const auto rest = r.rest();
  BOOST_TEST((Bytes(rest.begin(), rest.end()) == Bytes{2, 3, 4, 5}));
  BOOST_TEST(r.remaining() == 0u);
  BOOST_CHECK_NO_THROW(r.expect_end());
  BOOST_TEST(r.rest().empty());
}

BOOST_AUTO_TEST_CASE(fail_prefixes_the_payload_name) {
  PayloadReader r({}, "reset request");
  BOOST_CHECK_EXCEPTION(r.fail("unknown reset kind 7"), ProtocolError, [](const ProtocolError& e) {
    return e.message() == "reset request: unknown reset kind 7";
  });
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval::protocol

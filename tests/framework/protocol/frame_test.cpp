// Tests for seedval/protocol/frame.h: the frame layout, round trips, and every check decode_frame() and
// frame_size() make on malformed input.
#include <cstdint>
#include <ostream>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <fmt/core.h>

#include <seedval/protocol/crc32c.h>
#include <seedval/protocol/frame.h>
#include <seedval/protocol/payload.h>

#include "support/errors.h"

namespace seedval::protocol {

inline std::ostream& boost_test_print_type(std::ostream& os, Opcode op) {
  return os << opcode_name(static_cast<std::uint8_t>(op));
}

namespace {

using Bytes = std::vector<std::uint8_t>;

constexpr std::uint8_t kLastOpcode = static_cast<std::uint8_t>(Opcode::reset);

Bytes random_bytes(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes v(n);
  for (auto& b : v) b = static_cast<std::uint8_t>(rng());
  return v;
}

Bytes text(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

std::string as_string(std::span<const std::uint8_t> b) {
  return std::string(b.begin(), b.end());
}

void put32(Bytes& b, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
}

// Recomputes the trailing CRC so that only the field a test changed is wrong.
void reseal(Bytes& frame) {
  const std::size_t body = frame.size() - kTrailerSize;
  put32(frame, body, crc32c(std::span<const std::uint8_t>(frame).first(body)));
}

// Predicate for BOOST_CHECK_EXCEPTION: a ProtocolError with `code` whose message holds `needle`.
auto protocol_error(std::string needle, ErrorCode code = ErrorCode::protocol) {
  return testing::error_with(code, std::move(needle));
}

Bytes sample_request(std::size_t payload_size = 10) {
  return encode_request(Opcode::mem_write, 0x01020304, random_bytes(payload_size, 42));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(protocol_frame)

BOOST_AUTO_TEST_CASE(layout_matches_the_documented_table) {
  const Bytes f = encode_request(Opcode::reg_read, 0x0A0B0C0D, Bytes{0xAA, 0xBB});
  BOOST_REQUIRE(f.size() == kHeaderSize + 2 + kTrailerSize);
  const Bytes header{0xED, 0x5E, kVersion, 0x02, 0x00, 0x00, 0x00, 0x00,
                     0x0D, 0x0C, 0x0B,     0x0A, 0x02, 0x00, 0x00, 0x00};
  BOOST_TEST(Bytes(f.begin(), f.begin() + 16) == header, boost::test_tools::per_element());
  BOOST_TEST(f[16] == 0xAA);
  BOOST_TEST(f[17] == 0xBB);
  const std::uint32_t crc = crc32c(std::span<const std::uint8_t>(f).first(18));
  const Bytes trailer{static_cast<std::uint8_t>(crc), static_cast<std::uint8_t>(crc >> 8),
                      static_cast<std::uint8_t>(crc >> 16), static_cast<std::uint8_t>(crc >> 24)};
  BOOST_TEST(Bytes(f.begin() + 18, f.end()) == trailer, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(response_and_status_fields_are_little_endian) {
  Header h;
  h.opcode = Opcode::mem_fill;
  h.flags = kFlagResponse;
  h.status = ErrorCode::busy;
  h.sequence = 0xFFFFFFFE;
  const Bytes f = encode_frame(h, {});
  BOOST_TEST(f[3] == 0x07);
  BOOST_TEST(f[4] == 0x01);
  BOOST_TEST(f[5] == 0x00);
  BOOST_TEST(f[6] == 15);
  BOOST_TEST(f[7] == 0x00);
  BOOST_TEST(f[8] == 0xFE);
  BOOST_TEST(f[11] == 0xFF);
}

BOOST_AUTO_TEST_CASE(round_trip_every_opcode_sequence_flag_and_payload_size) {
  const std::vector<std::uint32_t> sequences{0, 1, 0x12345678, 0xFFFFFFFF};
  const std::vector<std::size_t> sizes{0, 1, 2, 255, 256, 100000};
  for (std::uint8_t op = 0; op <= kLastOpcode; ++op) {
    for (auto seq : sequences) {
      for (std::uint16_t flags : {std::uint16_t{0}, kFlagResponse}) {
        for (auto n : sizes) {
          BOOST_TEST_CONTEXT("opcode " << int(op) << " sequence " << seq << " flags " << flags << " size "
                                       << n) {
            const Bytes payload = random_bytes(n, seq ^ static_cast<std::uint32_t>(n));
            Header h;
            h.opcode = static_cast<Opcode>(op);
            h.flags = flags;
            h.sequence = seq;
            const Bytes f = encode_frame(h, payload);
            BOOST_TEST(f.size() == kHeaderSize + n + kTrailerSize);
            const FrameView v = decode_frame(f);
            BOOST_TEST(v.header.version == kVersion);
            BOOST_TEST(v.header.opcode == static_cast<Opcode>(op));
            BOOST_TEST(v.header.flags == flags);
            BOOST_TEST(v.header.is_response() == (flags == kFlagResponse));
            BOOST_TEST(v.header.status == ErrorCode::ok);
            BOOST_TEST(v.header.sequence == seq);
            BOOST_TEST(v.header.length == n);
            BOOST_TEST(v.payload.size() == n);
            BOOST_TEST((v.payload.data() == f.data() + kHeaderSize), "payload must point into the buffer");
            BOOST_TEST((Bytes(v.payload.begin(), v.payload.end()) == payload));
            BOOST_TEST(frame_size(f).value_or(0) == f.size());
            BOOST_TEST(peek_sequence(f).value_or(~seq) == seq);
          }
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(request_and_response_helpers_set_the_flags) {
  const auto payload = text("hello");
  const Bytes req = encode_request(Opcode::ping, 9, payload);
  const Bytes rsp = encode_response(Opcode::ping, 9, payload);
  BOOST_TEST(!decode_frame(req).header.is_response());
  BOOST_TEST(decode_frame(req).header.flags == 0);
  BOOST_TEST(decode_frame(rsp).header.is_response());
  BOOST_TEST(decode_frame(rsp).header.flags == kFlagResponse);
  BOOST_TEST(decode_frame(rsp).header.status == ErrorCode::ok);
  BOOST_TEST(as_string(decode_frame(rsp).payload) == "hello");
}

BOOST_AUTO_TEST_CASE(every_status_round_trips_in_a_response) {
  for (std::uint16_t s = 1; s <= static_cast<std::uint16_t>(ErrorCode::busy); ++s) {
    const auto code = static_cast<ErrorCode>(s);
    const Bytes f = encode_error(Opcode::mem_read, 77, code, "address 0x10 is out of range");
    const FrameView v = decode_frame(f);
    BOOST_TEST(v.header.status == code);
    BOOST_TEST(v.header.is_response());
    BOOST_TEST(v.header.sequence == 77u);
    BOOST_TEST(v.header.opcode == Opcode::mem_read);
    BOOST_TEST(as_string(v.payload) == "address 0x10 is out of range");
  }
}

BOOST_AUTO_TEST_CASE(encode_error_never_sends_ok) {
  const FrameView v = decode_frame(encode_error(Opcode::ping, 1, ErrorCode::ok, "odd"));
  BOOST_TEST(v.header.status == ErrorCode::internal);
}

BOOST_AUTO_TEST_CASE(encode_error_truncates_long_messages_to_4_kib) {
  const std::string message(10000, 'm');
  const Bytes f = encode_error(Opcode::ping, 1, ErrorCode::device, message);
  const FrameView v = decode_frame(f);
  BOOST_TEST(v.payload.size() == 4096u);
  BOOST_TEST(as_string(v.payload) == message.substr(0, 4096));
}

BOOST_AUTO_TEST_CASE(unknown_opcodes_still_frame) {
  const FrameView v = decode_frame(encode_request(static_cast<Opcode>(0x42), 5, {}));
  BOOST_TEST(static_cast<int>(v.header.opcode) == 0x42);
}

// --- malformed frames --------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(shorter_than_header_and_trailer) {
  const Bytes f = sample_request(10);
  for (std::size_t n = 0; n < kHeaderSize + kTrailerSize; ++n) {
    BOOST_TEST_CONTEXT("size " << n) {
      BOOST_CHECK_EXCEPTION(decode_frame(std::span<const std::uint8_t>(f).first(n)), ProtocolError,
                            protocol_error("malformed frame: truncated: " + std::to_string(n) +
                                           " bytes, a frame has at least 20"));
    }
  }
}

BOOST_AUTO_TEST_CASE(truncated_payload) {
  const Bytes f = sample_request(10);
  for (std::size_t cut = 1; cut <= 10; ++cut) {
    const auto part = std::span<const std::uint8_t>(f).first(f.size() - cut);
    BOOST_CHECK_EXCEPTION(
        decode_frame(part), ProtocolError,
        protocol_error("truncated: header announces 30 bytes, " + std::to_string(30 - cut) + " received"));
  }
}

BOOST_AUTO_TEST_CASE(trailing_bytes) {
  Bytes f = sample_request(10);
  f.push_back(0);
  BOOST_CHECK_EXCEPTION(decode_frame(f), ProtocolError,
                        protocol_error("1 trailing bytes after a 30-byte frame"));
  // Two frames back to back are not one frame.
  Bytes two = sample_request(10);
  const Bytes second = sample_request(0);
  two.insert(two.end(), second.begin(), second.end());
  BOOST_CHECK_EXCEPTION(decode_frame(two), ProtocolError, protocol_error("20 trailing bytes"));
}

BOOST_AUTO_TEST_CASE(bad_magic) {
  Bytes f = sample_request();
  f[0] = 0xEE;
  reseal(f);
  BOOST_CHECK_EXCEPTION(decode_frame(f), ProtocolError, protocol_error("bad magic 0x5eee (expected 0x5eed)"));
  Bytes swapped = sample_request();
  std::swap(swapped[0], swapped[1]);  // big-endian magic
  BOOST_CHECK_EXCEPTION(decode_frame(swapped), ProtocolError, protocol_error("magic"));
}

BOOST_AUTO_TEST_CASE(bad_version) {
  Bytes f = sample_request();
  f[2] = 2;
  reseal(f);
  BOOST_CHECK_EXCEPTION(decode_frame(f), ProtocolError,
                        protocol_error("unsupported version 2 (this host speaks version 1)"));
  Header h;
  h.version = 0;
  BOOST_CHECK_EXCEPTION(decode_frame(encode_frame(h, {})), ProtocolError, protocol_error("version 0"));
}

BOOST_AUTO_TEST_CASE(length_above_the_maximum) {
  Bytes f = sample_request(10);
  put32(f, 12, static_cast<std::uint32_t>(kMaxPayload + 1));
  BOOST_CHECK_EXCEPTION(decode_frame(f), ProtocolError,
                        protocol_error("payload length 16777217 exceeds the maximum 16777216"));
  put32(f, 12, 0xFFFFFFFF);
  BOOST_CHECK_EXCEPTION(decode_frame(f), ProtocolError, protocol_error("exceeds"));
}

BOOST_AUTO_TEST_CASE(crc_mismatch_is_a_checksum_error) {
  Bytes f = sample_request(10);
  f[20] ^= 0x10;  // a payload byte
  BOOST_CHECK_EXCEPTION(decode_frame(f), ProtocolError,
                        protocol_error("CRC-32C mismatch", ErrorCode::checksum));
  Bytes g = sample_request(10);
  g.back() ^= 0x80;  // the CRC itself
  BOOST_CHECK_EXCEPTION(decode_frame(g), ProtocolError, protocol_error("CRC", ErrorCode::checksum));
  Bytes h = sample_request(0);
  h[8] ^= 0x01;  // the sequence, which only the CRC protects
  BOOST_CHECK_EXCEPTION(decode_frame(h), ProtocolError, protocol_error("CRC", ErrorCode::checksum));
}

BOOST_AUTO_TEST_CASE(crc_message_shows_both_values) {
  Bytes f = sample_request(0);
  put32(f, 16, 0xDEADBEEF);
  const std::uint32_t real = crc32c(std::span<const std::uint8_t>(f).first(16));
  BOOST_CHECK_EXCEPTION(
      decode_frame(f), ProtocolError,
      protocol_error(fmt::format("frame says 0xdeadbeef, data gives 0x{:08x}", real), ErrorCode::checksum));
}

BOOST_AUTO_TEST_CASE(unknown_flags) {
  Header h;
  h.flags = 0x0002;
  BOOST_CHECK_EXCEPTION(decode_frame(encode_frame(h, {})), ProtocolError,
                        protocol_error("unknown flags 0x0002"));
  h.flags = 0x8001;
  BOOST_CHECK_EXCEPTION(decode_frame(encode_frame(h, {})), ProtocolError,
                        protocol_error("unknown flags 0x8001"));
}

BOOST_AUTO_TEST_CASE(unknown_status_code) {
  Header h;
  h.flags = kFlagResponse;
  h.status = static_cast<ErrorCode>(16);
  BOOST_CHECK_EXCEPTION(decode_frame(encode_frame(h, {})), ProtocolError,
                        protocol_error("unknown status code 16"));
  h.status = static_cast<ErrorCode>(0xFFFF);
  BOOST_CHECK_EXCEPTION(decode_frame(encode_frame(h, {})), ProtocolError,
                        protocol_error("unknown status code 65535"));
}

BOOST_AUTO_TEST_CASE(request_carrying_a_status) {
  Header h;
  h.flags = 0;
  h.status = ErrorCode::timeout;
  BOOST_CHECK_EXCEPTION(decode_frame(encode_frame(h, {})), ProtocolError,
                        protocol_error("request carries status 9"));
}

BOOST_AUTO_TEST_CASE(every_single_bit_flip_is_rejected) {
  for (std::size_t payload_size : {0u, 1u, 37u}) {
    const Bytes good = sample_request(payload_size);
    BOOST_REQUIRE_NO_THROW(decode_frame(good));
    int rejected = 0;
    for (std::size_t bit = 0; bit < good.size() * 8; ++bit) {
      Bytes f = good;
      const std::size_t byte = bit / 8;
      f[byte] ^= static_cast<std::uint8_t>(1u << (bit % 8));
      // Magic, version and length are checked before the CRC; everything else only the CRC can catch.
      const bool checked_before_crc = byte <= 2 || (byte >= 12 && byte < 16);
      const ErrorCode expected = checked_before_crc ? ErrorCode::protocol : ErrorCode::checksum;
      try {
        decode_frame(f);
        BOOST_ERROR("payload " << payload_size << ": flipping bit " << bit << " was not detected");
      } catch (const ProtocolError& e) {
        ++rejected;
        if (e.code() != expected)
          BOOST_ERROR("payload " << payload_size << ", bit " << bit << ": code " << to_string(e.code())
                                 << " (" << e.what() << "), expected " << to_string(expected));
      }
    }
    BOOST_TEST(rejected == static_cast<int>(good.size() * 8));
  }
}

BOOST_AUTO_TEST_CASE(random_garbage_never_decodes) {
  std::mt19937 rng(5);
  for (int i = 0; i < 2000; ++i) {
    const Bytes junk = random_bytes(rng() % 64, static_cast<std::uint32_t>(i));
    BOOST_CHECK_THROW(decode_frame(junk), ProtocolError);
  }
}

// --- frame_size / peek_sequence ---------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(frame_size_needs_a_whole_header) {
  const Bytes f = sample_request(1000);
  for (std::size_t n = 0; n < kHeaderSize; ++n)
    BOOST_TEST(!frame_size(std::span<const std::uint8_t>(f).first(n)).has_value(), "prefix of " << n);
  for (std::size_t n : {kHeaderSize, kHeaderSize + 1, std::size_t{100}, f.size()})
    BOOST_TEST(frame_size(std::span<const std::uint8_t>(f).first(n)).value_or(0) == 1020u, "prefix of " << n);
}

BOOST_AUTO_TEST_CASE(frame_size_rejects_a_bad_header_early) {
  Bytes f = sample_request(10);
  const auto header = [&f] { return std::span<const std::uint8_t>(f).first(kHeaderSize); };
  f[1] = 0x00;
  BOOST_CHECK_EXCEPTION(frame_size(header()), ProtocolError, protocol_error("magic"));
  f = sample_request(10);
  f[2] = 9;
  BOOST_CHECK_EXCEPTION(frame_size(header()), ProtocolError, protocol_error("version 9"));
  f = sample_request(10);
  put32(f, 12, static_cast<std::uint32_t>(kMaxPayload) + 1);
  BOOST_CHECK_EXCEPTION(frame_size(header()), ProtocolError, protocol_error("exceeds"));
}

BOOST_AUTO_TEST_CASE(frame_size_accepts_the_maximum_length) {
  Bytes f = sample_request(0);
  put32(f, 12, static_cast<std::uint32_t>(kMaxPayload));
  BOOST_TEST(frame_size(std::span<const std::uint8_t>(f).first(kHeaderSize)).value_or(0) ==
             kMaxPayload + kHeaderSize + kTrailerSize);
}

BOOST_AUTO_TEST_CASE(peek_sequence_reads_an_unvalidated_header) {
  Bytes f = sample_request(10);
  f[20] ^= 0xFF;  // CRC now wrong: peek_sequence does not care
  BOOST_TEST(peek_sequence(f).value_or(0) == 0x01020304u);
  BOOST_TEST(!peek_sequence(std::span<const std::uint8_t>(f).first(kHeaderSize - 1)).has_value());
  f[0] = 0;
  BOOST_TEST(!peek_sequence(f).has_value());
}

// --- encode limits -----------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(encode_frame_rejects_an_oversized_payload) {
  const Bytes too_big(kMaxPayload + 1);
  BOOST_CHECK_EXCEPTION(
      encode_request(Opcode::mem_write, 1, too_big), InvalidArgumentError, [](const InvalidArgumentError& e) {
        BOOST_TEST_MESSAGE("got: " << e.what());
        return e.code() == ErrorCode::invalid_argument &&
               e.message() == "mem_write payload of 16777217 bytes exceeds the frame maximum of 16777216";
      });
}

BOOST_AUTO_TEST_CASE(encode_frame_accepts_the_maximum_payload) {
  const Bytes biggest(kMaxPayload, 0x5A);
  const Bytes f = encode_response(Opcode::mem_read, 3, biggest);
  BOOST_TEST(f.size() == kMaxPayload + kHeaderSize + kTrailerSize);
  const FrameView v = decode_frame(f);
  BOOST_TEST(v.payload.size() == kMaxPayload);
}

// --- in-place framing ------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(encode_frame_into_equals_encode_frame_and_reuses_capacity) {
  Header h;
  h.opcode = Opcode::mem_read;
  h.flags = kFlagResponse;
  h.sequence = 99;
  Bytes out;
  out.reserve(4096);
  const auto* buffer = out.data();
  for (std::size_t n : {0u, 1u, 1000u, 10u}) {
    const Bytes payload = random_bytes(n, static_cast<std::uint32_t>(n));
    encode_frame_into(h, payload, out);
    BOOST_TEST(out == encode_frame(h, payload), boost::test_tools::per_element());
    BOOST_TEST((out.data() == buffer), "encode_frame_into reallocated for " << n << " bytes");
  }
  BOOST_CHECK_THROW(encode_frame_into(h, Bytes(kMaxPayload + 1), out), InvalidArgumentError);
}

BOOST_AUTO_TEST_CASE(finish_frame_equals_encode_frame) {
  Header h;
  h.opcode = Opcode::reg_batch;
  h.flags = kFlagResponse;
  h.sequence = 0xABCDEF01;
  for (std::size_t n : {0u, 1u, 5000u}) {
    const Bytes payload = random_bytes(n, 77);
    PayloadWriter w(Bytes(3, 0xEE), kHeaderSize);  // stale contents must not leak into the frame
    w.bytes(payload);
    const Bytes f = finish_frame(h, std::move(w));
    BOOST_TEST(f == encode_frame(h, payload), boost::test_tools::per_element());
    BOOST_CHECK_NO_THROW(decode_frame(f));
  }
}

BOOST_AUTO_TEST_CASE(finish_frame_needs_header_headroom) {
  Header h;
  PayloadWriter w;
  w.u8(1);
  BOOST_CHECK_EXCEPTION(finish_frame(h, std::move(w)), InternalError, [](const InternalError& e) {
    return e.code() == ErrorCode::internal && e.message().find("headroom") != std::string::npos;
  });
}

BOOST_AUTO_TEST_CASE(finish_frame_rejects_an_oversized_payload) {
  Header h;
  h.opcode = Opcode::mem_read;
  PayloadWriter w(Bytes{}, kHeaderSize);
  w.extend(kMaxPayload + 1);
  BOOST_CHECK_EXCEPTION(finish_frame(h, std::move(w)), InvalidArgumentError,
                        [](const InvalidArgumentError& e) {
                          return e.code() == ErrorCode::invalid_argument &&
                                 e.message().find("exceeds the frame maximum") != std::string::npos;
                        });
}

BOOST_AUTO_TEST_CASE(opcode_names) {
  BOOST_TEST(opcode_name(0x00) == "ping");
  BOOST_TEST(opcode_name(0x01) == "identify");
  BOOST_TEST(opcode_name(0x02) == "reg_read");
  BOOST_TEST(opcode_name(0x03) == "reg_write");
  BOOST_TEST(opcode_name(0x04) == "reg_batch");
  BOOST_TEST(opcode_name(0x05) == "mem_read");
  BOOST_TEST(opcode_name(0x06) == "mem_write");
  BOOST_TEST(opcode_name(0x07) == "mem_fill");
  BOOST_TEST(opcode_name(0x08) == "reset");
  BOOST_TEST(opcode_name(0x42) == "opcode 0x42");
  BOOST_TEST(opcode_name(0x09) == "opcode 0x09");
  for (unsigned op = 0; op <= 0xFF; ++op)
    BOOST_TEST(is_known_opcode(static_cast<std::uint8_t>(op)) == (op <= kLastOpcode), "opcode " << op);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval::protocol

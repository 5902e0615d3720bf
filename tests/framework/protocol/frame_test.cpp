// Tests for seedval/protocol/frame.h: the frame layout, round trips, and every check decode_frame() and
// frame_size() make on malformed input.
#include <algorithm>
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

using protocol::kLastOpcode;

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

// --- bulk payloads: checksummed as they are copied in ------------------------------------------------

namespace {

// One way of writing a payload; `pieces` gives the bulk pieces in order.
enum class Layout {
  bulk_only,
  field_then_bulk,
  bulk_then_field,
  bulk_field_bulk,
  bytes_extend_bulk,
  bulk_bulk
};

// Writes `pieces` into `w` in `layout` and returns the payload that encode_frame() would be given.
Bytes write_payload(PayloadWriter& w, Layout layout, const Bytes& a, const Bytes& b) {
  Bytes expected;
  const auto add = [&](const Bytes& x) { expected.insert(expected.end(), x.begin(), x.end()); };
  const Bytes field{0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
  switch (layout) {
    case Layout::bulk_only:
      w.bulk(a);
      add(a);
      break;
    case Layout::field_then_bulk:
      w.u64(0x8877665544332211ull);
      w.bulk(a);
      add(field);
      add(a);
      break;
    case Layout::bulk_then_field:
      w.bulk(a);
      w.u64(0x8877665544332211ull);
      add(a);
      add(field);
      break;
    case Layout::bulk_field_bulk:
      w.bulk(a);
      w.u64(0x8877665544332211ull);
      w.bulk(b);
      add(a);
      add(field);
      add(b);
      break;
    case Layout::bytes_extend_bulk: {
      w.bytes(b);
      std::uint8_t* p = w.extend(3);
      p[0] = 1;
      p[2] = 3;
      w.bulk(a);
      add(b);
      add(Bytes{1, 0, 3});
      add(a);
      break;
    }
    case Layout::bulk_bulk:
      w.bulk(a);
      w.bulk(b);
      add(a);
      add(b);
      break;
  }
  return expected;
}

}  // namespace

BOOST_AUTO_TEST_CASE(finish_frame_after_bulk_equals_encode_frame) {
  Header h;
  h.opcode = Opcode::mem_write;
  h.sequence = 0x0BADF00D;
  const std::vector<std::size_t> sizes{0, 1, 7, 8, 300, 5000, 100003, (1u << 20) + 5};
  for (int layout = 0; layout <= static_cast<int>(Layout::bulk_bulk); ++layout) {
    for (std::size_t n : sizes) {
      // A fresh buffer, one that held a larger frame (stale bytes beyond what is written) and a smaller.
      for (std::size_t stale : {std::size_t{0}, n + 4096, n / 2}) {
        BOOST_TEST_CONTEXT("layout " << layout << " size " << n << " stale storage " << stale) {
          const Bytes a = random_bytes(n, static_cast<std::uint32_t>(n + 1));
          const Bytes b = random_bytes(n / 3 + 1, static_cast<std::uint32_t>(n + 2));
          PayloadWriter w(Bytes(stale, 0xEE), kHeaderSize);
          const Bytes payload = write_payload(w, static_cast<Layout>(layout), a, b);
          BOOST_TEST(w.size() == payload.size());
          const Bytes f = finish_frame(h, std::move(w));
          BOOST_TEST((f == encode_frame(h, payload)), "frame differs from encode_frame's");
          BOOST_CHECK_NO_THROW(decode_frame(f));
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(bulk_records_the_crc_of_what_it_wrote) {
  const Bytes a = random_bytes(10000, 3);
  PayloadWriter w(Bytes{}, kHeaderSize);
  w.u32(0xCAFEF00D);
  w.bulk(a);
  BOOST_TEST(w.checksummed_size() == 4u + a.size());
  BOOST_TEST(w.checksummed_crc() == crc32c(w.data()));
  w.u8(9);  // written after the bulk piece: not checksummed yet
  BOOST_TEST(w.checksummed_size() == 4u + a.size());
}

BOOST_AUTO_TEST_CASE(changing_bytes_through_buffer_forgets_the_recorded_crc) {
  Header h;
  h.opcode = Opcode::mem_write;
  const Bytes a = random_bytes(5000, 4);
  PayloadWriter w(Bytes{}, kHeaderSize);
  w.bulk(a);
  w.buffer()[kHeaderSize + 100] ^= 0xFF;
  BOOST_TEST(w.checksummed_size() == 0u);
  const Bytes f = finish_frame(h, std::move(w));
  Bytes changed = a;
  changed[100] ^= 0xFF;
  BOOST_TEST((f == encode_frame(h, changed)));
  BOOST_CHECK_NO_THROW(decode_frame(f));
}

BOOST_AUTO_TEST_CASE(extend_zeroes_reused_storage) {
  PayloadWriter w(Bytes(200, 0xEE), kHeaderSize);
  w.u8(1);
  const std::uint8_t* p = w.extend(300);  // 183 reused bytes, the rest new
  BOOST_TEST(std::all_of(p, p + 300, [](std::uint8_t v) { return v == 0; }));
  BOOST_TEST(w.size() == 301u);
}

BOOST_AUTO_TEST_CASE(extend_for_overwrite_fills_in_place) {
  Header h;
  h.opcode = Opcode::mem_read;
  h.flags = kFlagResponse;
  const Bytes a = random_bytes(70000, 5);
  for (std::size_t stale : {std::size_t{0}, std::size_t{100}, std::size_t{200000}}) {
    PayloadWriter w(Bytes(stale, 0xEE), kHeaderSize);
    const auto out = w.extend_for_overwrite(a.size());
    BOOST_TEST(out.size() == a.size());
    std::copy(a.begin(), a.end(), out.begin());
    BOOST_TEST(w.size() == a.size());
    BOOST_TEST((finish_frame(h, std::move(w)) == encode_frame(h, a)), "stale storage " << stale);
  }
}

BOOST_AUTO_TEST_CASE(take_and_data_stop_at_what_was_written) {
  PayloadWriter w(Bytes(64, 0xEE), 0);
  w.u16(0x0201);
  w.bulk(Bytes{3, 4});
  BOOST_TEST((Bytes(w.data().begin(), w.data().end()) == Bytes{1, 2, 3, 4}));
  BOOST_TEST((std::move(w).take() == Bytes{1, 2, 3, 4}));
}

// --- decode_frame_into: the payload checked and copied out in one pass ---------------------------------

BOOST_AUTO_TEST_CASE(decode_frame_into_copies_the_payload_it_verified) {
  for (std::size_t n : {0u, 1u, 15u, 4096u, 100001u, (1u << 20) + 7u}) {
    const Bytes payload = random_bytes(n, static_cast<std::uint32_t>(n + 9));
    const Bytes f = encode_response(Opcode::mem_read, 42, payload);
    Bytes out(n + 2, 0xEE);
    const FrameView v = decode_frame_into(f, std::span(out).first(n));
    const FrameView plain = decode_frame(f);
    BOOST_TEST(v.header.sequence == plain.header.sequence);
    BOOST_TEST(v.header.length == plain.header.length);
    BOOST_TEST(v.header.opcode == plain.header.opcode);
    BOOST_TEST(v.header.flags == plain.header.flags);
    BOOST_TEST((v.payload.data() == plain.payload.data()), "payload must point into the frame");
    BOOST_TEST(v.payload.size() == n);
    BOOST_TEST((Bytes(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n)) == payload), "size " << n);
    BOOST_TEST(out[n] == 0xEE);  // nothing written past the destination
    BOOST_TEST(out[n + 1] == 0xEE);
  }
}

BOOST_AUTO_TEST_CASE(decode_frame_into_leaves_a_destination_of_another_size_alone) {
  const Bytes payload = random_bytes(100, 10);
  const Bytes f = encode_response(Opcode::mem_read, 1, payload);
  for (std::size_t size : {99u, 101u, 1u}) {
    Bytes out(size, 0xEE);
    const FrameView v = decode_frame_into(f, out);
    BOOST_TEST(v.payload.size() == 100u);
    BOOST_TEST((Bytes(v.payload.begin(), v.payload.end()) == payload));
    BOOST_TEST(std::all_of(out.begin(), out.end(), [](std::uint8_t b) { return b == 0xEE; }));
  }
}

namespace {

// decode_frame_into must reject exactly what decode_frame rejects, with the same error.
void expect_same_verdict(std::span<const std::uint8_t> frame, std::size_t out_size, const std::string& what) {
  Bytes out(out_size);
  std::string plain_error, into_error;
  ErrorCode plain_code = ErrorCode::ok, into_code = ErrorCode::ok;
  try {
    decode_frame(frame);
  } catch (const ProtocolError& e) {
    plain_error = e.what();
    plain_code = e.code();
  }
  try {
    decode_frame_into(frame, out);
  } catch (const ProtocolError& e) {
    into_error = e.what();
    into_code = e.code();
  }
  BOOST_TEST(into_error == plain_error, what);
  BOOST_TEST((into_code == plain_code),
             what << ": " << to_string(into_code) << " vs " << to_string(plain_code));
}

}  // namespace

BOOST_AUTO_TEST_CASE(decode_frame_into_rejects_every_single_bit_flip_like_decode_frame) {
  for (std::size_t payload_size : {0u, 1u, 37u, 1000u}) {
    const Bytes good = encode_response(Opcode::mem_read, 0x01020304, random_bytes(payload_size, 42));
    for (std::size_t bit = 0; bit < good.size() * 8; ++bit) {
      Bytes f = good;
      f[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
      Bytes out(payload_size);
      BOOST_CHECK_THROW(decode_frame_into(f, out), ProtocolError);
      expect_same_verdict(f, payload_size, fmt::format("payload {} bit {}", payload_size, bit));
    }
  }
}

BOOST_AUTO_TEST_CASE(decode_frame_into_reports_a_crc_mismatch_as_a_checksum_error) {
  Bytes f = encode_response(Opcode::mem_read, 5, random_bytes(4096, 11));
  f[kHeaderSize + 2000] ^= 0x10;
  Bytes out(4096);
  BOOST_CHECK_EXCEPTION(decode_frame_into(f, out), ProtocolError,
                        protocol_error("CRC-32C mismatch", ErrorCode::checksum));
}

BOOST_AUTO_TEST_CASE(decode_frame_into_rejects_malformed_frames_like_decode_frame) {
  const Bytes good = sample_request(10);
  // Too short, truncated, trailing bytes.
  for (std::size_t n = 0; n < good.size(); ++n)
    expect_same_verdict(std::span<const std::uint8_t>(good).first(n), 10, fmt::format("first {} bytes", n));
  Bytes longer = good;
  longer.push_back(0);
  expect_same_verdict(longer, 10, "a trailing byte");
  // Header fields checked after the CRC, with the CRC made right.
  Bytes flags = good;
  flags[4] = 0x80;
  reseal(flags);
  expect_same_verdict(flags, 10, "unknown flags");
  Bytes status = good;
  status[6] = 3;
  reseal(status);
  expect_same_verdict(status, 10, "request with a status");
  BOOST_CHECK_THROW(decode_frame(status), ProtocolError);
  // Random garbage.
  std::mt19937 rng(6);
  for (int i = 0; i < 500; ++i) {
    const Bytes junk = random_bytes(rng() % 64, static_cast<std::uint32_t>(i + 1000));
    expect_same_verdict(junk, junk.size() > 20 ? junk.size() - 20 : 0, fmt::format("junk {}", i));
  }
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
  BOOST_TEST(opcode_name(0x09) == "mbist");
  BOOST_TEST(opcode_name(0x0D) == "operating_point");
  BOOST_TEST(opcode_name(0x0E) == "tensor_caps");
  BOOST_TEST(opcode_name(0x0F) == "opcode 0x0f");
  for (unsigned op = 0; op <= 0xFF; ++op)
    BOOST_TEST(is_known_opcode(static_cast<std::uint8_t>(op)) == (op <= kLastOpcode), "opcode " << op);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval::protocol

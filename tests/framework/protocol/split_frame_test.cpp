// Tests for split frames (seedval/protocol/frame.h SplitFrame, PayloadReader over two pieces,
// PayloadWriter::external, serve_split): a frame held in pieces is byte for byte the frame it flattens
// to, is checked exactly as that frame would be, and bulk data crosses without being copied.
#include <cstdint>
#include <cstring>
#include <ostream>
#include <random>
#include <span>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <fmt/core.h>

#include <seedval/protocol/crc32c.h>
#include <seedval/protocol/frame.h>
#include <seedval/protocol/messages.h>
#include <seedval/protocol/payload.h>
#include <seedval/protocol/server.h>

#include "support/errors.h"

namespace seedval::protocol {

inline std::ostream& boost_test_print_type(std::ostream& os, Opcode op) {
  return os << opcode_name(static_cast<std::uint8_t>(op));
}

namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes random_bytes(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes v(n);
  for (auto& b : v) b = static_cast<std::uint8_t>(rng());
  return v;
}

// A split mem_write request: head = header room + the 8-byte address, bulk = data.
struct SplitRequest {
  Bytes head;
  Bytes bulk;
  std::uint32_t crc = 0;
  SplitFrame parts() const { return {head, bulk, crc}; }
};

SplitRequest split_write(std::uint64_t address, Bytes data, std::uint32_t sequence, Checksum checksum) {
  SplitRequest r;
  PayloadWriter w(Bytes{}, kHeaderSize);
  w.u64(address);
  r.head = std::move(w.buffer());
  r.bulk = std::move(data);
  Header h;
  h.opcode = Opcode::mem_write;
  h.sequence = sequence;
  r.crc = seal_split(h, r.head, r.bulk, checksum);
  return r;
}

// The verdict of a decoder on a frame: "" when it decodes, else the error code and message.
template <typename F>
std::string verdict(F&& decode) {
  try {
    decode();
    return "";
  } catch (const ProtocolError& e) {
    return fmt::format("{}: {}", to_string(e.code()), e.message());
  }
}

// Answers mem_write by storing the data, mem_read from `memory` left external, ping by echoing.
class MemoryHandler final : public RequestHandler {
 public:
  explicit MemoryHandler(std::size_t size) : memory(size) {}
  void handle(Opcode op, PayloadReader& request, PayloadWriter& response) override {
    ++calls;
    if (op == Opcode::mem_write) {
      const auto address = request.u64();
      const auto data = request.rest();
      last_write = data.data();
      std::memcpy(memory.data() + address, data.data(), data.size());
    } else if (op == Opcode::mem_read) {
      const auto m = decode_mem_read(request.rest());
      response.external(std::span(memory).subspan(m.address, m.length));
    } else {
      response.bytes(request.rest());
    }
  }
  Bytes memory;
  const std::uint8_t* last_write = nullptr;
  int calls = 0;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(protocol_split_frame)

BOOST_AUTO_TEST_CASE(a_split_frame_flattens_to_what_encode_frame_builds) {
  for (std::size_t n : {0u, 1u, 7u, 4096u, 100000u}) {
    BOOST_TEST_CONTEXT(n << " bulk bytes") {
      const Bytes data = random_bytes(n, static_cast<std::uint32_t>(n + 1));
      const SplitRequest r = split_write(0x1122334455667788ull, data, 77, Checksum::computed);
      Bytes flat;
      flatten_frame(r.parts(), flat);
      PayloadWriter payload;
      payload.u64(0x1122334455667788ull);
      payload.bytes(data);
      BOOST_TEST((flat == encode_request(Opcode::mem_write, 77, payload.data())));
    }
  }
}

BOOST_AUTO_TEST_CASE(without_a_checksum_the_crc_is_zero_and_the_rest_identical) {
  const Bytes data = random_bytes(1000, 3);
  const SplitRequest with = split_write(64, data, 5, Checksum::computed);
  const SplitRequest without = split_write(64, data, 5, Checksum::unnecessary);
  BOOST_TEST(without.crc == 0u);
  BOOST_TEST(with.crc != 0u);
  BOOST_TEST((with.head == without.head));
}

BOOST_AUTO_TEST_CASE(decode_split_hands_back_fields_and_bulk_in_place) {
  const SplitRequest r = split_write(0xABCDEF, random_bytes(5000, 4), 9, Checksum::computed);
  const auto v = decode_split(r.parts(), Checksum::computed);
  BOOST_TEST(v.header.opcode == Opcode::mem_write);
  BOOST_TEST(v.header.sequence == 9u);
  BOOST_TEST(v.header.length == 5008u);
  BOOST_TEST(v.fields.data() == r.head.data() + kHeaderSize);
  BOOST_TEST(v.fields.size() == 8u);
  BOOST_TEST(v.bulk.data() == r.bulk.data(), "the bulk bytes were copied");
}

BOOST_AUTO_TEST_CASE(decode_split_copies_the_payload_into_a_destination_of_its_size) {
  const Bytes data = random_bytes(3000, 8);
  for (Checksum c : {Checksum::computed, Checksum::unnecessary}) {
    const SplitRequest r = split_write(0x55, data, 1, c);
    Bytes out(3008, 0xEE);
    decode_split(r.parts(), c, out);
    BOOST_TEST((Bytes(out.begin() + 8, out.end()) == data));
    BOOST_TEST(out[0] == 0x55u);
    Bytes other(10, 0xEE);
    decode_split(r.parts(), c, other);
    BOOST_TEST((other == Bytes(10, 0xEE)), "a destination of another size was written");
  }
}

// Every split point and every single-bit flip: decode_split with CRCs gives decode_frame's verdict on
// the flattened frame, word for word.
BOOST_AUTO_TEST_CASE(decode_split_rejects_exactly_what_decode_frame_rejects) {
  const SplitRequest r = split_write(0x40, random_bytes(40, 5), 0x01020304, Checksum::computed);
  Bytes good;
  flatten_frame(r.parts(), good);
  for (std::size_t bit = 0; bit < good.size() * 8; bit += 3) {
    Bytes f = good;
    f[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    const std::string plain = verdict([&] { decode_frame(f); });
    BOOST_TEST(!plain.empty(), "bit " << bit << " flipped and the frame still decodes");
    const std::size_t body = f.size() - kTrailerSize;
    std::uint32_t crc = 0;
    for (int i = 0; i < 4; ++i) crc |= std::uint32_t{f[body + static_cast<std::size_t>(i)]} << (8 * i);
    for (std::size_t split : {kHeaderSize, kHeaderSize + 8, kHeaderSize + 20, body}) {
      const SplitFrame parts{std::span(f).first(split), std::span(f).subspan(split, body - split), crc};
      BOOST_TEST(verdict([&] { decode_split(parts, Checksum::computed); }) == plain,
                 "bit " << bit << ", split at " << split);
    }
  }
}

BOOST_AUTO_TEST_CASE(without_a_checksum_every_other_check_still_runs) {
  const SplitRequest good = split_write(0x40, random_bytes(100, 6), 3, Checksum::unnecessary);
  BOOST_CHECK_NO_THROW(decode_split(good.parts(), Checksum::unnecessary));
  // The CRC is not looked at...
  SplitRequest wrong_crc = good;
  wrong_crc.crc = 0xDEADBEEF;
  BOOST_CHECK_NO_THROW(decode_split(wrong_crc.parts(), Checksum::unnecessary));
  BOOST_CHECK_EXCEPTION(decode_split(wrong_crc.parts(), Checksum::computed), ProtocolError,
                        testing::error_with(ErrorCode::checksum, "CRC-32C mismatch"));
  // ...but magic, length, flags and status are.
  SplitRequest magic = good;
  magic.head[0] ^= 1;
  BOOST_CHECK_EXCEPTION(decode_split(magic.parts(), Checksum::unnecessary), ProtocolError,
                        testing::error_with(ErrorCode::protocol, "bad magic"));
  SplitRequest shorter = good;
  shorter.bulk.pop_back();
  BOOST_CHECK_EXCEPTION(
      decode_split(shorter.parts(), Checksum::unnecessary), ProtocolError,
      testing::error_with(ErrorCode::protocol, "truncated: header announces 128 bytes, 127"));
  SplitRequest longer = good;
  longer.bulk.push_back(0);
  BOOST_CHECK_EXCEPTION(decode_split(longer.parts(), Checksum::unnecessary), ProtocolError,
                        testing::error_with(ErrorCode::protocol, "1 trailing bytes"));
  SplitRequest flags = good;
  flags.head[4] = 0x80;
  BOOST_CHECK_EXCEPTION(decode_split(flags.parts(), Checksum::unnecessary), ProtocolError,
                        testing::error_with(ErrorCode::protocol, "unknown flags"));
  const Bytes tiny(10, 0xED);
  BOOST_CHECK_EXCEPTION(decode_split(SplitFrame{tiny, {}, 0}, Checksum::unnecessary), ProtocolError,
                        testing::error_with(ErrorCode::protocol, "truncated"));
}

BOOST_AUTO_TEST_CASE(seal_split_rejects_an_oversized_payload) {
  Bytes head(kHeaderSize + 8);
  const Bytes bulk(kMaxPayload - 7);
  Header h;
  h.opcode = Opcode::mem_write;
  BOOST_CHECK_EXCEPTION(seal_split(h, head, bulk, Checksum::computed), InvalidArgumentError,
                        testing::error_with(ErrorCode::invalid_argument, "exceeds the frame maximum"));
}

BOOST_AUTO_TEST_CASE(a_reader_over_two_pieces_reads_them_as_one) {
  const Bytes first{1, 0, 0, 0, 2, 0};  // u32 1, then the low half of a u32
  const Bytes second{0, 0, 9, 8, 7};    // the high half, then three bytes
  PayloadReader r(first, second, "two-piece payload");
  BOOST_TEST(r.remaining() == 11u);
  BOOST_TEST(r.u32() == 1u);
  BOOST_TEST(r.u32() == 2u, "a field straddling the pieces");
  const auto rest = r.rest();
  BOOST_TEST((Bytes(rest.begin(), rest.end()) == Bytes{9, 8, 7}));
  BOOST_TEST(r.remaining() == 0u);
}

BOOST_AUTO_TEST_CASE(rest_after_the_fields_is_the_second_piece_itself) {
  const Bytes fields{0x10, 0, 0, 0, 0, 0, 0, 0};
  const Bytes bulk = random_bytes(1000, 7);
  PayloadReader r(fields, bulk, "mem_write request");
  BOOST_TEST(r.u64() == 0x10u);
  const auto rest = r.rest();
  BOOST_TEST(rest.data() == bulk.data(), "the bulk was copied");
  BOOST_TEST(rest.size() == bulk.size());
  BOOST_CHECK_NO_THROW(r.expect_end());
}

BOOST_AUTO_TEST_CASE(a_truncated_two_piece_payload_names_the_payload_offset) {
  const Bytes first{1, 2, 3};
  const Bytes second{4, 5};
  PayloadReader r(first, second, "reg_read request");
  (void)r.u16();
  (void)r.u16();
  BOOST_CHECK_EXCEPTION(
      r.u16(), ProtocolError,
      testing::error_with(ErrorCode::protocol,
                          "reg_read request: truncated at offset 4: a u16 needs 2 bytes, 1 left"));
}

BOOST_AUTO_TEST_CASE(finish_frame_copies_external_bytes_in) {
  const Bytes memory = random_bytes(777, 9);
  PayloadWriter w(Bytes{}, kHeaderSize);
  w.u32(0xAABBCCDD);
  w.external(memory);
  Header h;
  h.opcode = Opcode::mem_read;
  h.flags = kFlagResponse;
  h.sequence = 4;
  PayloadWriter plain;
  plain.u32(0xAABBCCDD);
  plain.bytes(memory);
  BOOST_TEST((finish_frame(h, std::move(w)) == encode_frame(h, plain.data())));
}

BOOST_AUTO_TEST_CASE(serve_split_stores_bulk_data_straight_from_the_request) {
  for (Checksum c : {Checksum::computed, Checksum::unnecessary}) {
    MemoryHandler handler(4096);
    const Bytes data = random_bytes(1000, 10);
    const SplitRequest r = split_write(100, data, 12, c);
    ReceivedFrame response;
    serve_split(handler, r.parts(), response, c);
    BOOST_TEST(handler.last_write == r.bulk.data(), "the handler got a copy of the bulk");
    BOOST_TEST((Bytes(handler.memory.begin() + 100, handler.memory.begin() + 1100) == data));
    BOOST_TEST(!response.split, "an empty response needs no split");
    const auto v = decode_frame(response.bytes);
    BOOST_TEST(v.header.status == ErrorCode::ok);
    BOOST_TEST(v.header.sequence == 12u);
  }
}

BOOST_AUTO_TEST_CASE(serve_split_answers_external_bytes_by_reference) {
  MemoryHandler handler(8192);
  handler.memory = random_bytes(8192, 11);
  for (Checksum c : {Checksum::computed, Checksum::unnecessary}) {
    PayloadWriter w(Bytes{}, kHeaderSize);
    w.bytes(encode(MemReadRequest{1000, 3000}));
    Bytes head = std::move(w.buffer());
    Header h;
    h.opcode = Opcode::mem_read;
    h.sequence = 21;
    const std::uint32_t crc = seal_split(h, head, {}, c);
    ReceivedFrame response;
    serve_split(handler, SplitFrame{head, {}, crc}, response, c);
    BOOST_REQUIRE(response.split);
    BOOST_TEST(response.bulk.data() == handler.memory.data() + 1000, "the memory was copied");
    Bytes out(3000);
    const auto v = decode_split(response.parts(), c, out);
    BOOST_TEST(v.header.is_response());
    BOOST_TEST(v.header.sequence == 21u);
    BOOST_TEST((out == Bytes(handler.memory.begin() + 1000, handler.memory.begin() + 4000)));
    // Flattened, the split response is exactly the frame serve() sends over a wire.
    Bytes flat, request_flat;
    flatten_frame(response.parts(), flat);
    flatten_frame(SplitFrame{head, {}, crc}, request_flat);
    if (c == Checksum::computed) BOOST_TEST((flat == serve(handler, request_flat)));
  }
}

BOOST_AUTO_TEST_CASE(serve_split_rejects_a_corrupted_request_when_it_checks_crcs) {
  MemoryHandler handler(4096);
  SplitRequest r = split_write(0, random_bytes(512, 12), 31, Checksum::computed);
  r.bulk[300] ^= 0x20;
  ReceivedFrame response;
  serve_split(handler, r.parts(), response, Checksum::computed);
  BOOST_TEST(handler.calls == 0, "the handler ran on a corrupted request");
  const auto v = decode_frame(response.bytes);
  BOOST_TEST(v.header.status == ErrorCode::checksum);
  BOOST_TEST(v.header.sequence == 31u);
  const std::string text(v.payload.begin(), v.payload.end());
  CHECK_STARTS_WITH(text, "device rejected the request: malformed frame: CRC-32C mismatch");
  BOOST_TEST((handler.memory == Bytes(4096, 0)), "a corrupted write changed memory");
}

BOOST_AUTO_TEST_CASE(serve_split_answers_a_malformed_request_with_an_error_frame) {
  MemoryHandler handler(64);
  SplitRequest r = split_write(0, random_bytes(16, 13), 44, Checksum::unnecessary);
  r.head[2] = 9;  // version
  ReceivedFrame response;
  response.split = true;
  serve_split(handler, r.parts(), response, Checksum::unnecessary);
  BOOST_TEST(!response.split);
  const auto v = decode_frame(response.bytes);
  BOOST_TEST(v.header.status == ErrorCode::protocol);
  BOOST_TEST(v.header.sequence == 44u);
  BOOST_TEST(handler.calls == 0);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval::protocol

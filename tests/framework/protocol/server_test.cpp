// Tests for seedval/protocol/server.h: whatever arrives, serve() answers with one well-formed response
// frame, and errors cross back with their code and message.
#include <cstdint>
#include <functional>
#include <new>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <seedval/protocol/crc32c.h>
#include <seedval/protocol/messages.h>
#include <seedval/protocol/server.h>

#include "support/errors.h"

namespace seedval::protocol {

inline std::ostream& boost_test_print_type(std::ostream& os, Opcode op) {
  return os << opcode_name(static_cast<std::uint8_t>(op));
}

namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes text(std::string_view s) {
  return Bytes(s.begin(), s.end());
}
std::string as_string(std::span<const std::uint8_t> b) {
  return std::string(b.begin(), b.end());
}

// ping echoes; reg_read answers the complement of the address; reg_batch answers each op's address;
// everything else is unsupported.
class EchoHandler : public RequestHandler {
 public:
  void handle(Opcode op, PayloadReader& request, PayloadWriter& response) override {
    ++calls;
    switch (op) {
      case Opcode::ping:
        response.bytes(request.rest());
        return;
      case Opcode::reg_read: {
        const std::uint32_t address = request.u32();
        request.expect_end();
        response.u32(~address);
        return;
      }
      case Opcode::reg_batch: {
        const auto ops = decode_reg_batch(request.rest()).ops;
        std::vector<std::uint32_t> values;
        for (const auto& o : ops) values.push_back(o.address);
        response.bytes(encode_reg_values(values));
        return;
      }
      default:
        throw UnsupportedError(ErrorCode::unsupported, opcode_name(static_cast<std::uint8_t>(op)) +
                                                           " is not supported by the echo handler");
    }
  }
  int calls = 0;
};

// Runs a function given by the test.
class FunctionHandler : public RequestHandler {
 public:
  explicit FunctionHandler(std::function<void(Opcode, PayloadReader&, PayloadWriter&)> f)
      : f_(std::move(f)) {}
  void handle(Opcode op, PayloadReader& request, PayloadWriter& response) override {
    f_(op, request, response);
  }

 private:
  std::function<void(Opcode, PayloadReader&, PayloadWriter&)> f_;
};

// What serve() returned, decoded. Owns the bytes the decoded view points into, so it is not copyable.
class Response {
 public:
  explicit Response(Bytes bytes) : bytes_(std::move(bytes)) {
    BOOST_REQUIRE_NO_THROW(view_ = decode_frame(bytes_));
    BOOST_TEST(view_.header.is_response());
    BOOST_TEST(view_.header.flags == kFlagResponse);
  }
  Response(const Response&) = delete;
  Response& operator=(const Response&) = delete;

  const Header& header() const { return view_.header; }
  std::span<const std::uint8_t> payload() const { return view_.payload; }
  std::string text() const { return as_string(view_.payload); }

 private:
  Bytes bytes_;
  FrameView view_;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(protocol_server)

BOOST_AUTO_TEST_CASE(valid_request_gets_a_response_with_the_same_sequence_and_opcode) {
  EchoHandler h;
  const Response v(serve(h, encode_request(Opcode::ping, 0xCAFEBABE, text("hello"))));
  BOOST_TEST(v.header().sequence == 0xCAFEBABEu);
  BOOST_TEST(v.header().opcode == Opcode::ping);
  BOOST_TEST(v.header().status == ErrorCode::ok);
  BOOST_TEST(v.text() == "hello");
  BOOST_TEST(h.calls == 1);
}

BOOST_AUTO_TEST_CASE(typed_payloads_reach_the_handler) {
  EchoHandler h;
  const Response v(serve(h, encode_request(Opcode::reg_read, 7, encode_reg_read(0x20))));
  BOOST_TEST(v.header().status == ErrorCode::ok);
  BOOST_TEST(v.header().opcode == Opcode::reg_read);
  PayloadReader r(v.payload(), "reg_read response");
  BOOST_TEST(r.u32() == ~std::uint32_t{0x20});
  BOOST_CHECK_NO_THROW(r.expect_end());

  const std::vector<RegisterOp> ops{{RegisterOp::Kind::read, 0x20, 0}, {RegisterOp::Kind::write, 0x24, 5}};
  const Response v2(serve(h, encode_request(Opcode::reg_batch, 8, encode_reg_batch(ops))));
  BOOST_TEST(v2.header().status == ErrorCode::ok);
  BOOST_TEST((decode_reg_values(v2.payload(), 2) == std::vector<std::uint32_t>{0x20, 0x24}));
}

BOOST_AUTO_TEST_CASE(handler_error_crosses_with_code_and_message) {
  FunctionHandler h([](Opcode, PayloadReader&, PayloadWriter&) {
    throw AddressError(ErrorCode::read_only, "register STATUS (0x0034) is read-only");
  });
  const Response v(serve(h, encode_request(Opcode::reg_write, 41, encode_reg_write(0x34, 1))));
  BOOST_TEST(v.header().status == ErrorCode::read_only);
  BOOST_TEST(v.header().sequence == 41u);
  BOOST_TEST(v.header().opcode == Opcode::reg_write);
  BOOST_TEST(v.text() == "register STATUS (0x0034) is read-only");
}

BOOST_AUTO_TEST_CASE(every_error_code_crosses_intact) {
  for (std::uint16_t c = 1; c <= static_cast<std::uint16_t>(ErrorCode::busy); ++c) {
    const auto code = static_cast<ErrorCode>(c);
    FunctionHandler h([code](Opcode, PayloadReader&, PayloadWriter&) { throw_error(code, "failure"); });
    const Response v(serve(h, encode_request(Opcode::identify, c, {})));
    BOOST_TEST(v.header().status == code);
    BOOST_TEST(v.header().sequence == c);
    BOOST_TEST(v.text() == "failure");
  }
}

BOOST_AUTO_TEST_CASE(a_handler_error_with_code_ok_is_sent_as_internal) {
  FunctionHandler h([](Opcode, PayloadReader&, PayloadWriter&) { throw Error(ErrorCode::ok, "confused"); });
  const Response v(serve(h, encode_request(Opcode::ping, 1, {})));
  BOOST_TEST(v.header().status == ErrorCode::internal);
}

BOOST_AUTO_TEST_CASE(payload_errors_inside_the_handler_name_the_request) {
  EchoHandler h;
  Bytes payload = encode_reg_read(0x20);
  payload.push_back(0xFF);
  const Response v(serve(h, encode_request(Opcode::reg_read, 3, payload)));
  BOOST_TEST(v.header().status == ErrorCode::protocol);
  BOOST_TEST(v.text() == "reg_read request: 1 unexpected bytes after offset 4");
  const Response v2(serve(h, encode_request(Opcode::reg_read, 4, Bytes{1})));
  BOOST_TEST(v2.text() == "reg_read request: truncated at offset 0: a u32 needs 4 bytes, 1 left");
}

BOOST_AUTO_TEST_CASE(std_exception_becomes_internal) {
  FunctionHandler h([](Opcode, PayloadReader&, PayloadWriter&) { throw std::runtime_error("disk on fire"); });
  const Response v(serve(h, encode_request(Opcode::mem_read, 9, encode(MemReadRequest{0, 4}))));
  BOOST_TEST(v.header().status == ErrorCode::internal);
  BOOST_TEST(v.header().sequence == 9u);
  BOOST_TEST(v.header().opcode == Opcode::mem_read);
  BOOST_TEST(v.text().find("disk on fire") != std::string::npos, v.text());
}

BOOST_AUTO_TEST_CASE(bad_alloc_escapes) {
  FunctionHandler h([](Opcode, PayloadReader&, PayloadWriter&) { throw std::bad_alloc(); });
  BOOST_CHECK_THROW(serve(h, encode_request(Opcode::ping, 1, {})), std::bad_alloc);
}

BOOST_AUTO_TEST_CASE(unsupported_opcode_from_the_handler) {
  EchoHandler h;
  const Response v(serve(h, encode_request(static_cast<Opcode>(0x42), 12, {})));
  BOOST_TEST(v.header().status == ErrorCode::unsupported);
  BOOST_TEST(static_cast<int>(v.header().opcode) == 0x42);
  BOOST_TEST(v.text() == "opcode 0x42 is not supported by the echo handler");
}

BOOST_AUTO_TEST_CASE(corrupted_request_gets_a_checksum_error_with_its_sequence) {
  EchoHandler h;
  Bytes req = encode_request(Opcode::reg_read, 0x11223344, encode_reg_read(0x20));
  req[17] ^= 0x04;
  const Response v(serve(h, req));
  BOOST_TEST(v.header().status == ErrorCode::checksum);
  BOOST_TEST(v.header().sequence == 0x11223344u);
  BOOST_TEST(v.header().opcode == Opcode::reg_read);
  BOOST_TEST(v.text().find("device rejected the request") == 0u, v.text());
  BOOST_TEST(v.text().find("CRC-32C mismatch") != std::string::npos, v.text());
  BOOST_TEST(h.calls == 0, "the handler ran on a corrupted request");
}

BOOST_AUTO_TEST_CASE(response_frame_sent_as_a_request_is_rejected) {
  EchoHandler h;
  const Response v(serve(h, encode_response(Opcode::ping, 55, text("x"))));
  BOOST_TEST(v.header().status == ErrorCode::protocol);
  BOOST_TEST(v.header().sequence == 55u);
  BOOST_TEST(v.text().find("response frame") != std::string::npos, v.text());
  BOOST_TEST(h.calls == 0);
}

BOOST_AUTO_TEST_CASE(garbage_gets_a_decodable_error_response) {
  EchoHandler h;
  for (const Bytes& junk :
       {Bytes{}, Bytes{0x01, 0x02, 0x03}, Bytes{0xED, 0x5E, 0x01, 0x04, 0xFF}, Bytes(100, 0xAB)}) {
    BOOST_TEST_CONTEXT(junk.size() << " bytes of garbage") {
      const Response v(serve(h, junk));
      BOOST_TEST(v.header().status == ErrorCode::protocol);
      BOOST_TEST(v.header().sequence == 0u);
      BOOST_TEST(v.text().find("device rejected the request: malformed frame") == 0u, v.text());
    }
  }
  BOOST_TEST(h.calls == 0);
}

BOOST_AUTO_TEST_CASE(three_bytes_of_garbage_name_the_truncation) {
  EchoHandler h;
  const Response v(serve(h, Bytes{0x01, 0x02, 0x03}));
  BOOST_TEST(v.text().find("truncated") != std::string::npos, v.text());
}

BOOST_AUTO_TEST_CASE(a_request_with_a_status_is_rejected) {
  EchoHandler h;
  Header hd;
  hd.opcode = Opcode::ping;
  hd.sequence = 6;
  hd.status = ErrorCode::device;
  const Response v(serve(h, encode_frame(hd, {})));
  BOOST_TEST(v.header().status == ErrorCode::protocol);
  BOOST_TEST(v.header().sequence == 6u);
  BOOST_TEST(v.text().find("request carries status 11") != std::string::npos, v.text());
  BOOST_TEST(h.calls == 0);
}

BOOST_AUTO_TEST_CASE(an_oversized_response_becomes_an_error) {
  FunctionHandler h(
      [](Opcode, PayloadReader&, PayloadWriter& response) { response.extend(kMaxPayload + 1); });
  const Response v(serve(h, encode_request(Opcode::mem_read, 2, encode(MemReadRequest{0, 0}))));
  BOOST_TEST(v.header().status == ErrorCode::invalid_argument);
  BOOST_TEST(v.text().find("exceeds") != std::string::npos, v.text());
}

BOOST_AUTO_TEST_CASE(long_error_messages_are_cut_to_4_kib) {
  FunctionHandler h([](Opcode, PayloadReader&, PayloadWriter&) {
    throw DeviceError(ErrorCode::device, std::string(8000, 'e'));
  });
  const Response v(serve(h, encode_request(Opcode::ping, 2, {})));
  BOOST_TEST(v.header().status == ErrorCode::device);
  BOOST_TEST(v.payload().size() == 4096u);
}

BOOST_AUTO_TEST_CASE(serve_into_a_buffer_gives_the_same_frames) {
  EchoHandler h;
  Bytes response;
  const std::vector<Bytes> requests{
      encode_request(Opcode::ping, 1, text("hello")),
      encode_request(Opcode::reg_read, 2, encode_reg_read(0x20)),
      encode_request(Opcode::reg_read, 3, Bytes{1}),  // handler error
      encode_response(Opcode::ping, 4, {}),           // rejected before the handler
      Bytes{1, 2, 3},                                 // garbage
      encode_request(Opcode::ping, 5, Bytes(3000, 0x11)),
      encode_request(Opcode::ping, 6, {}),
  };
  for (const Bytes& req : requests) {
    serve(h, req, response);
    BOOST_TEST(response == serve(h, req), boost::test_tools::per_element());
  }
}

BOOST_AUTO_TEST_CASE(serve_into_a_buffer_reuses_its_capacity) {
  EchoHandler h;
  Bytes response;
  response.reserve(8192);
  serve(h, encode_request(Opcode::ping, 1, Bytes(4000, 0x22)), response);
  const auto* buffer = response.data();
  for (std::uint32_t seq = 2; seq < 10; ++seq) {
    serve(h, encode_request(Opcode::ping, seq, Bytes(500 * seq, 0x33)), response);
    BOOST_TEST((response.data() == buffer), "sequence " << seq << ": the response buffer was reallocated");
    const Response v(response);
    BOOST_TEST(v.header().sequence == seq);
    BOOST_TEST(v.payload().size() == 500u * seq);
  }
}

BOOST_AUTO_TEST_CASE(every_single_bit_flip_of_a_request_gets_an_error_response) {
  EchoHandler h;
  const Bytes good = encode_request(Opcode::ping, 0x0BADF00D, text("payload"));
  for (std::size_t bit = 0; bit < good.size() * 8; ++bit) {
    Bytes req = good;
    req[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    Bytes rsp;
    BOOST_REQUIRE_NO_THROW(rsp = serve(h, req));
    FrameView v;
    BOOST_REQUIRE_NO_THROW(v = decode_frame(rsp));
    if (!v.header.is_response() || v.header.status == ErrorCode::ok)
      BOOST_ERROR("bit " << bit << ": expected an error response");
  }
  BOOST_TEST(h.calls == 0);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval::protocol

#include <new>
#include <string>

#include <fmt/core.h>

#include <seedval/protocol/server.h>

namespace seedval::protocol {

namespace {

// Runs the handler on a decoded request and writes the response: a whole frame into `response.bytes`,
// or, when `split` allows and the handler left bulk bytes external, a split frame.
void answer(RequestHandler& handler, const Header& header, PayloadReader& request, ReceivedFrame& response,
            bool split, Checksum checksum) {
  const Opcode op = header.opcode;
  const std::uint32_t sequence = header.sequence;
  response.split = false;
  response.bulk = {};
  if (header.is_response()) {
    response.bytes = encode_error(op, sequence, ErrorCode::protocol,
                                  "device rejected the request: it is a response frame");
    return;
  }
  try {
    PayloadWriter writer(std::move(response.bytes), kHeaderSize);
    response.bytes = {};
    handler.handle(op, request, writer);
    Header h;
    h.opcode = op;
    h.flags = kFlagResponse;
    h.sequence = sequence;
    if (split && !writer.external().empty()) {
      const auto bulk = writer.external();
      response.bytes = std::move(writer.buffer());
      response.crc = seal_split(h, response.bytes, bulk, checksum);
      response.bulk = bulk;
      response.split = true;
      return;
    }
    response.bytes = finish_frame(h, std::move(writer));
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const Error& e) {
    response.bytes = encode_error(op, sequence, e.code(), e.message());
  } catch (const std::exception& e) {
    response.bytes =
        encode_error(op, sequence, ErrorCode::internal, fmt::format("device-side failure: {}", e.what()));
  }
}

std::string request_name(Opcode op) {
  return opcode_name(static_cast<std::uint8_t>(op)) + " request";
}

}  // namespace

void serve(RequestHandler& handler, std::span<const std::uint8_t> request_frame,
           std::vector<std::uint8_t>& response) {
  FrameView frame;
  try {
    frame = decode_frame(request_frame);
  } catch (const Error& e) {
    const std::uint32_t sequence = peek_sequence(request_frame).value_or(0);
    const auto op = request_frame.size() > 3 ? static_cast<Opcode>(request_frame[3]) : Opcode::ping;
    response =
        encode_error(op, sequence, e.code(), fmt::format("device rejected the request: {}", e.message()));
    return;
  }
  const std::string what = request_name(frame.header.opcode);
  PayloadReader request(frame.payload, what);
  ReceivedFrame out;
  out.bytes = std::move(response);
  answer(handler, frame.header, request, out, false, Checksum::computed);
  response = std::move(out.bytes);
}

void serve_split(RequestHandler& handler, const SplitFrame& request_frame, ReceivedFrame& response,
                 Checksum checksum) {
  SplitFrameView frame;
  try {
    frame = decode_split(request_frame, checksum);
  } catch (const Error& e) {
    const std::uint32_t sequence = peek_sequence(request_frame.head).value_or(0);
    const auto op = request_frame.head.size() > 3 ? static_cast<Opcode>(request_frame.head[3]) : Opcode::ping;
    response.split = false;
    response.bulk = {};
    response.bytes =
        encode_error(op, sequence, e.code(), fmt::format("device rejected the request: {}", e.message()));
    return;
  }
  const std::string what = request_name(frame.header.opcode);
  PayloadReader request(frame.fields, frame.bulk, what);
  answer(handler, frame.header, request, response, true, checksum);
}

std::vector<std::uint8_t> serve(RequestHandler& handler, std::span<const std::uint8_t> request_frame) {
  std::vector<std::uint8_t> response;
  serve(handler, request_frame, response);
  return response;
}

}  // namespace seedval::protocol

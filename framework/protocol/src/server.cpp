#include <new>
#include <string>

#include <fmt/core.h>

#include <seedval/protocol/server.h>

namespace seedval::protocol {

void serve(RequestHandler& handler, std::span<const std::uint8_t> request_frame,
           std::vector<std::uint8_t>& response) {
  const std::uint32_t sequence = peek_sequence(request_frame).value_or(0);
  const auto fallback_op = request_frame.size() > 3 ? static_cast<Opcode>(request_frame[3]) : Opcode::ping;
  FrameView frame;
  try {
    frame = decode_frame(request_frame);
  } catch (const Error& e) {
    response = encode_error(fallback_op, sequence, e.code(),
                            fmt::format("device rejected the request: {}", e.message()));
    return;
  }
  const Opcode op = frame.header.opcode;
  if (frame.header.is_response()) {
    response = encode_error(op, sequence, ErrorCode::protocol,
                            "device rejected the request: it is a response frame");
    return;
  }
  try {
    const std::string what = opcode_name(static_cast<std::uint8_t>(op)) + " request";
    PayloadReader request(frame.payload, what);
    PayloadWriter writer(std::move(response), kHeaderSize);
    response = {};
    handler.handle(op, request, writer);
    Header h;
    h.opcode = op;
    h.flags = kFlagResponse;
    h.sequence = sequence;
    response = finish_frame(h, std::move(writer));
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const Error& e) {
    response = encode_error(op, sequence, e.code(), e.message());
  } catch (const std::exception& e) {
    response =
        encode_error(op, sequence, ErrorCode::internal, fmt::format("device-side failure: {}", e.what()));
  }
}

std::vector<std::uint8_t> serve(RequestHandler& handler, std::span<const std::uint8_t> request_frame) {
  std::vector<std::uint8_t> response;
  serve(handler, request_frame, response);
  return response;
}

}  // namespace seedval::protocol

// The device side of the protocol: turns one request frame into one response frame.
//
// A device-side implementation (the chip model, a board's firmware agent, a USB gadget) implements
// RequestHandler; serve() does the framing around it. Whatever arrives, serve() answers with a
// well-formed response frame: a malformed request gets an error response naming the problem, and any
// seedval::Error the handler throws crosses back to the host with its code and message intact.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include <seedval/protocol/frame.h>
#include <seedval/protocol/payload.h>

namespace seedval::protocol {

class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  /// Executes one request. Reads its payload from `request` (call expect_end() when done) and writes
  /// the response payload to `response`. Throws seedval::Error to answer with an error status.
  /// Bulk data (a memory read's bytes) is cheapest copied in with response.bulk(), which checksums as
  /// it copies so that serve() does not read the bytes again to seal the frame, or produced in place
  /// into response.extend_for_overwrite(n), which does not zero them first, or, cheapest of all, left
  /// where they lie with response.external(bytes), which a split-frame link passes by reference.
  virtual void handle(Opcode op, PayloadReader& request, PayloadWriter& response) = 0;
};

/// Answers one request frame. Never throws for bad input; only std::bad_alloc escapes.
std::vector<std::uint8_t> serve(RequestHandler& handler, std::span<const std::uint8_t> request_frame);
/// The same, writing the response frame into `response` and reusing its capacity (no allocation per
/// frame once it has grown: bulk transfers stay at memory speed). `request_frame` must not point into
/// `response`.
void serve(RequestHandler& handler, std::span<const std::uint8_t> request_frame,
           std::vector<std::uint8_t>& response);

/// serve() for a split request frame, answering with a split response when the handler left bulk bytes
/// external (else with a whole frame in response.bytes). `checksum` says whether the link computes and
/// checks CRCs (see Checksum). A split response's bulk stays valid until the handler's next request.
void serve_split(RequestHandler& handler, const SplitFrame& request, ReceivedFrame& response,
                 Checksum checksum);

}  // namespace seedval::protocol

// libFuzzer target for the wire protocol: decode_frame(), frame_size(), serve() and the payload
// decoders of messages.h.
//
// Invariants checked on every input (a violation traps, so libFuzzer reports it as a crash):
//   - malformed input is only ever rejected with a seedval::Error; any other exception escapes and crashes;
//   - a frame that decodes re-encodes to exactly the input bytes, and frame_size() agrees with its size;
//   - serve() answers every input with a frame that decodes and is a response, with an error status
//     whenever the request did not decode, and the request's sequence and opcode when it did; serving
//     into a reused buffer gives the same bytes;
//   - every payload decoder that accepts a payload re-encodes it to the same bytes;
//   - the input held as a split frame (cut at a point the input chooses) gets decode_frame()'s verdict
//     from decode_split() and serve()'s answer from serve_split().
//
// Random bytes almost never carry a valid CRC-32C, so each input is also run a second time with its magic,
// version, length field and CRC fixed up: that lets the fuzzer reach the flag and status checks and the
// payload decoders even without the seed corpus in tests/fuzz/corpus/frames/ (one valid request per
// opcode, plus an error response).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include <seedval/protocol/crc32c.h>
#include <seedval/protocol/frame.h>
#include <seedval/protocol/messages.h>
#include <seedval/protocol/payload.h>
#include <seedval/protocol/server.h>

#include "fuzz_support.h"

namespace {

using namespace seedval;
using namespace seedval::protocol;
using Bytes = std::vector<std::uint8_t>;

using seedval::fuzz::check;

bool same(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

// Decodes each request payload with the messages.h decoders, as a device would.
class DecodingHandler : public RequestHandler {
 public:
  void handle(Opcode op, PayloadReader& request, PayloadWriter& response) override {
    switch (op) {
      case Opcode::ping:
        response.bytes(request.rest());
        return;
      case Opcode::identify: {
        // Not a request payload, but the decoder that the host runs on the answer: fuzz it here too.
        const auto payload = request.rest();
        const IdentifyResponse m = decode_identify_response(payload);
        check(same(encode(m), payload));
        response.bytes(encode(m));
        return;
      }
      case Opcode::tensor_caps: {
        // Like identify: the host's decoder of the answer, fuzzed on the request bytes.
        const auto payload = request.rest();
        const TensorCapabilities m = decode_tensor_capabilities(payload);
        check(same(encode(m), payload));
        response.bytes(encode(m));
        return;
      }
      case Opcode::reg_read:
        response.u32(~request.u32());
        request.expect_end();
        return;
      case Opcode::reg_write:
        request.u32();
        request.u32();
        request.expect_end();
        return;
      case Opcode::reg_batch: {
        const auto payload = request.rest();
        const auto batch = decode_reg_batch(payload);
        const auto& ops = batch.ops;
        check(ops.size() <= kMaxBatchOps);
        check(same(encode_reg_batch(ops, batch.first_index), payload));
        std::vector<std::uint32_t> values;
        values.reserve(ops.size());
        for (const auto& o : ops) values.push_back(o.kind == RegisterOp::Kind::write ? o.value : o.address);
        const Bytes answer = encode_reg_values(values);
        check(decode_reg_values(answer, values.size()) == values);
        response.bytes(answer);
        return;
      }
      case Opcode::mem_read: {
        const auto payload = request.rest();
        const MemReadRequest m = decode_mem_read(payload);
        check(same(encode(m), payload));
        // Answer with at most 64 bytes so a huge length costs nothing.
        const std::uint32_t n = m.length < 64 ? m.length : 64;
        std::uint8_t* out = response.extend(n);
        for (std::uint32_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(m.address + i);
        return;
      }
      case Opcode::mem_write: {
        const std::uint64_t address = request.u64();
        const auto data = request.rest();
        check(same(encode_mem_write(address, data), request_bytes_));
        return;
      }
      case Opcode::mem_fill: {
        const auto payload = request.rest();
        const MemFillRequest m = decode_mem_fill(payload);
        check(same(encode(m), payload));
        return;
      }
      case Opcode::reset: {
        const std::uint8_t kind = request.u8();
        request.expect_end();
        if (kind > static_cast<std::uint8_t>(ResetKind::hard))
          throw InvalidArgumentError(ErrorCode::invalid_argument, "unknown reset kind");
        return;
      }
      case Opcode::mbist: {
        const auto payload = request.rest();
        const MbistRequest m = decode_mbist_request(payload);
        check(same(encode(m), payload));
        MbistResponse answer;
        answer.fail_count = m.max_fails;
        answer.fails.resize(m.max_fails < 4 ? m.max_fails : 4,
                            MbistFailRecord{m.address, m.pattern, ~m.pattern, 1, 2});
        const Bytes out = encode(answer);
        const MbistResponse back = decode_mbist_response(out);
        check(back.fails.size() == answer.fails.size() && back.fail_count == answer.fail_count);
        response.bytes(out);
        return;
      }
      case Opcode::tensor:
        request.u32();
        response.bytes(encode(TensorResponse{request.remaining(), 0, 0}));
        return;
      case Opcode::sensors:
        request.expect_end();
        response.bytes(encode(SensorsResponse{}));
        return;
      case Opcode::hold: {
        const auto payload = request.rest();
        const HoldRequest m = decode_hold_request(payload);
        check(same(encode(m), payload));
        response.bytes(encode(SensorsResponse{}));
        return;
      }
      case Opcode::operating_point: {
        const auto payload = request.rest();
        const OperatingPointRequest m = decode_operating_point_request(payload);
        check(same(encode(m), payload));
        response.bytes(encode(SensorsResponse{}));
        return;
      }
    }
    throw UnsupportedError(ErrorCode::unsupported,
                           opcode_name(static_cast<std::uint8_t>(op)) + " is not supported");
  }

  // The whole payload of the request being served (for the mem_write round trip).
  std::span<const std::uint8_t> request_bytes_;
};

void run(std::span<const std::uint8_t> input) {
  // frame_size() on the prefix: nothing below a header, else a size no smaller than an empty frame.
  bool size_rejected = false;
  std::size_t announced = 0;
  try {
    const auto n = frame_size(input);
    if (input.size() < kHeaderSize) {
      check(!n.has_value());
    } else {
      check(n.has_value());
      announced = *n;
      check(announced >= kHeaderSize + kTrailerSize && announced <= kHeaderSize + kMaxPayload + kTrailerSize);
    }
  } catch (const seedval::Error&) {
    check(input.size() >= kHeaderSize);
    size_rejected = true;
  }

  bool decoded = false;
  Header request_header;
  try {
    const FrameView f = decode_frame(input);
    decoded = true;
    request_header = f.header;
    check(!size_rejected && announced == input.size());
    check(f.payload.size() == f.header.length);
    check(f.payload.data() == input.data() + kHeaderSize);
    check(same(encode_frame(f.header, f.payload), input));
  } catch (const seedval::Error& e) {
    check(e.code() == ErrorCode::protocol || e.code() == ErrorCode::checksum);
  }

  DecodingHandler handler;
  if (decoded && input.size() >= kHeaderSize + kTrailerSize)
    handler.request_bytes_ = input.subspan(kHeaderSize, input.size() - kHeaderSize - kTrailerSize);
  const Bytes answer = serve(handler, input);
  // The buffer-reusing form gives the same frame, whatever stale bytes its buffer held.
  Bytes reused(input.begin(), input.end());
  serve(handler, input, reused);
  check(reused == answer);
  try {
    const FrameView r = decode_frame(answer);
    check(r.header.is_response());
    if (!decoded || request_header.is_response()) check(r.header.status != ErrorCode::ok);
    if (decoded) {
      check(r.header.sequence == request_header.sequence);
      check(r.header.opcode == request_header.opcode);
    }
    if (r.header.status != ErrorCode::ok) check(r.payload.size() <= 4096);
  } catch (const seedval::Error&) {
    __builtin_trap();  // serve() must always produce a decodable frame
  }

  // The same bytes held in pieces.
  if (input.size() < kHeaderSize + kTrailerSize) return;
  const std::size_t body = input.size() - kTrailerSize;
  const std::size_t cut =
      kHeaderSize + (body > kHeaderSize ? input[input.size() - 1] % (body - kHeaderSize + 1) : 0);
  std::uint32_t crc = 0;
  for (std::size_t i = 0; i < 4; ++i) crc |= std::uint32_t{input[body + i]} << (8 * i);
  const SplitFrame parts{input.first(cut), input.subspan(cut, body - cut), crc};
  bool split_decoded = false;
  try {
    const SplitFrameView v = decode_split(parts, Checksum::computed);
    split_decoded = true;
    check(v.fields.size() + v.bulk.size() == v.header.length);
  } catch (const seedval::Error&) {
  }
  check(split_decoded == decoded);
  ReceivedFrame split_answer;
  serve_split(handler, parts, split_answer, Checksum::computed);
  check(!split_answer.split);  // this handler never leaves bytes external
  check(split_answer.bytes == answer);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  run(input);

  // The same bytes as a frame with the right magic, version, length and CRC. The raw run above already
  // covers those checks (they come before the CRC); this one reaches everything after them.
  if (const auto sealed = seedval::fuzz::sealed_frame(input)) run(*sealed);
  return 0;
}

// The wire format every transport carries: one request frame, one response frame.
//
//   offset size field
//   0      2    magic        0x5EED (little-endian: ED 5E)
//   2      1    version      kVersion
//   3      1    opcode       Opcode
//   4      2    flags        bit 0: response
//   6      2    status       ErrorCode of a response (0 = ok); 0 in requests
//   8      4    sequence     chosen by the host, echoed by the device
//   12     4    length       payload bytes (at most kMaxPayload)
//   16     n    payload      opcode-specific (messages.h); for an error response, the error message
//   16+n   4    crc          CRC-32C over bytes [0, 16+n)
//
// All integers are little-endian. decode_frame() checks every field before it trusts it and never reads
// outside the buffer it is given; a malformed frame is a ProtocolError that says which check failed.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include <seedval/core/error.h>

namespace seedval::protocol {

inline constexpr std::uint16_t kMagic = 0x5EED;
inline constexpr std::uint8_t kVersion = 1;
inline constexpr std::size_t kHeaderSize = 16;
inline constexpr std::size_t kTrailerSize = 4;
inline constexpr std::size_t kMaxPayload = 16u << 20;  ///< 16 MiB
inline constexpr std::uint16_t kFlagResponse = 0x0001;
inline constexpr std::uint16_t kKnownFlags = kFlagResponse;

/// Operations. Values are part of the wire protocol: never renumber, only append.
enum class Opcode : std::uint8_t {
  ping = 0x00,             ///< echo the payload (link check, transport conformance)
  identify = 0x01,         ///< chip id, revision, ECID, capabilities, memory size
  reg_read = 0x02,         ///< one 32-bit register
  reg_write = 0x03,        ///< one 32-bit register
  reg_batch = 0x04,        ///< a list of register reads and writes, executed in order
  mem_read = 0x05,         ///< bulk read of device memory
  mem_write = 0x06,        ///< bulk write of device memory
  mem_fill = 0x07,         ///< fill a memory range with a repeating 64-bit pattern
  reset = 0x08,            ///< reset the device
  mbist = 0x09,            ///< run a march program on the device's MBIST engine
  tensor = 0x0A,           ///< execute one tensor operation on a tensor core
  sensors = 0x0B,          ///< read every sensor and the operating point at once
  hold = 0x0C,             ///< hold the device (idle or under load) for a time
  operating_point = 0x0D,  ///< set core voltage and clock (and HBM voltage) at once
  tensor_caps = 0x0E,      ///< the tensor cores' declared operator set, dtypes and geometry
};
inline constexpr std::uint8_t kLastOpcode = 0x0E;

/// "mem_read" etc.; "opcode 0x42" for values outside the enum.
std::string opcode_name(std::uint8_t opcode);
bool is_known_opcode(std::uint8_t opcode) noexcept;
/// Whether executing a request of `op` twice leaves the device as executing it once and answers the
/// same: such a request may be sent again when its response was lost or damaged. Reads and writes of
/// memory, reads of registers and state; not register writes (a write-1-to-clear register), batches,
/// resets, MBIST runs, tensor operations, holds or operating-point changes.
bool is_idempotent(Opcode op) noexcept;

struct Header {
  std::uint8_t version = kVersion;
  Opcode opcode = Opcode::ping;
  std::uint16_t flags = 0;
  ErrorCode status = ErrorCode::ok;
  std::uint32_t sequence = 0;
  std::uint32_t length = 0;

  bool is_response() const noexcept { return (flags & kFlagResponse) != 0; }
};

/// A decoded frame; `payload` points into the buffer passed to decode_frame().
struct FrameView {
  Header header;
  std::span<const std::uint8_t> payload;
};

/// Builds a complete frame (header, payload, CRC). Throws InvalidArgumentError if the payload is too big.
std::vector<std::uint8_t> encode_frame(const Header& header, std::span<const std::uint8_t> payload);
std::vector<std::uint8_t> encode_request(Opcode op, std::uint32_t sequence,
                                         std::span<const std::uint8_t> payload);
std::vector<std::uint8_t> encode_response(Opcode op, std::uint32_t sequence,
                                          std::span<const std::uint8_t> payload);
/// An error response: `status` in the header, the message as payload (truncated to 4 KiB).
std::vector<std::uint8_t> encode_error(Opcode op, std::uint32_t sequence, ErrorCode status,
                                       std::string_view message);

class PayloadWriter;
/// Turns a PayloadWriter created with kHeaderSize headroom into a complete frame in place (header
/// written into the headroom, CRC appended) and returns its buffer. Avoids copying large payloads, and
/// does not read again the bytes PayloadWriter::bulk() checksummed as it wrote them (the CRC is joined
/// with crc32c_combine): the frame is byte for byte what encode_frame() makes of the same payload.
std::vector<std::uint8_t> finish_frame(const Header& header, PayloadWriter&& writer);
/// encode_frame into `out`, reusing its capacity.
void encode_frame_into(const Header& header, std::span<const std::uint8_t> payload,
                       std::vector<std::uint8_t>& out);

/// Validates and decodes exactly one frame occupying all of `bytes`. Throws ProtocolError (code
/// `checksum` for a CRC mismatch, `protocol` otherwise) naming the check that failed.
FrameView decode_frame(std::span<const std::uint8_t> bytes);

/// decode_frame() for a frame whose payload the caller wants in its own buffer, e.g. a memory read's
/// response: when the payload has exactly out.size() bytes, it is copied into `out` in the same pass
/// that checks the CRC, reading each byte once, so what lands in `out` is exactly what the CRC covered.
/// Otherwise nothing is copied. The checks, their order and the errors are decode_frame()'s; when one
/// fails `out` may already hold some bytes, which must then not be used. The returned payload points
/// into `bytes` as with decode_frame(): payload.size() == out.size() says whether `out` was filled.
FrameView decode_frame_into(std::span<const std::uint8_t> bytes, std::span<std::uint8_t> out);

/// Whether a frame's CRC is computed and checked. A link on which no medium can corrupt a frame (the
/// in-process transport: frames pass by reference within one address space) may declare checksums
/// unnecessary for split frames, as a loopback network interface does; every other check still runs.
enum class Checksum { computed, unnecessary };

/// A frame held in pieces, for bulk data that should not be copied into a frame buffer: `head` holds the
/// header and the payload's leading fields, `bulk` the rest of the payload where it already lies (the
/// caller's buffer, the device's memory), `crc` the trailer. Sent back to back, the pieces are byte for
/// byte the frame encode_frame() builds; an in-process link passes them by reference.
struct SplitFrame {
  std::span<const std::uint8_t> head;
  std::span<const std::uint8_t> bulk;
  std::uint32_t crc = 0;
};

/// Writes the header into head[0, kHeaderSize) for a payload of the fields after it plus `bulk`, and
/// returns the frame's CRC (0 with Checksum::unnecessary). Throws InvalidArgumentError if the payload
/// is too big.
std::uint32_t seal_split(const Header& header, std::span<std::uint8_t> head,
                         std::span<const std::uint8_t> bulk, Checksum checksum);
/// The split frame as one contiguous frame (what a wire carries), into `out`.
void flatten_frame(const SplitFrame& frame, std::vector<std::uint8_t>& out);

/// A decoded split frame: the payload is `fields` followed by `bulk`.
struct SplitFrameView {
  Header header;
  std::span<const std::uint8_t> fields;
  std::span<const std::uint8_t> bulk;
};
/// decode_frame() for a split frame, with the same checks and errors (the CRC skipped with
/// Checksum::unnecessary). When the payload has exactly out.size() bytes it is copied into `out` in the
/// pass that checks the CRC, as decode_frame_into() does.
SplitFrameView decode_split(const SplitFrame& frame, Checksum checksum, std::span<std::uint8_t> out = {});

/// A response as a transport hands it over: a whole frame in `bytes`, or, from a transport that passes
/// split frames (TransportCapabilities::split_frames), a split frame whose head is `bytes`, whose bulk
/// lies in the device's memory (valid until the next exchange on that transport) and whose CRC is `crc`.
struct ReceivedFrame {
  std::vector<std::uint8_t> bytes;
  std::span<const std::uint8_t> bulk;
  std::uint32_t crc = 0;
  bool split = false;

  SplitFrame parts() const { return {bytes, bulk, crc}; }
};

/// For stream transports: given the first bytes of a frame, the total size of the frame, or nullopt if
/// fewer than kHeaderSize bytes are available. Throws ProtocolError if the header is already invalid
/// (bad magic, version or length), so a reader never waits for a length it will reject.
std::optional<std::size_t> frame_size(std::span<const std::uint8_t> prefix);

/// The sequence number of a frame whose header is readable, without validating the rest.
std::optional<std::uint32_t> peek_sequence(std::span<const std::uint8_t> bytes) noexcept;

}  // namespace seedval::protocol

#include <cstring>

#include <fmt/core.h>

#include <seedval/protocol/crc32c.h>
#include <seedval/protocol/frame.h>
#include <seedval/protocol/payload.h>

namespace seedval::protocol {
namespace {

void put16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v);
  p[1] = static_cast<std::uint8_t>(v >> 8);
}
void put32(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
std::uint16_t get16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}
std::uint32_t get32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) |
         (std::uint32_t{p[3]} << 24);
}

[[noreturn]] void reject(std::string_view what) {
  throw ProtocolError(ErrorCode::protocol, fmt::format("malformed frame: {}", what));
}

// Checks the fixed header fields that do not depend on the rest of the frame.
void check_prefix(std::span<const std::uint8_t> b) {
  if (std::uint16_t magic = get16(b.data()); magic != kMagic)
    reject(fmt::format("bad magic 0x{:04x} (expected 0x{:04x})", magic, kMagic));
  if (b[2] != kVersion)
    reject(fmt::format("unsupported version {} (this host speaks version {})", b[2], kVersion));
  if (std::uint32_t len = get32(b.data() + 12); len > kMaxPayload)
    reject(fmt::format("payload length {} exceeds the maximum {}", len, kMaxPayload));
}

}  // namespace

std::string opcode_name(std::uint8_t opcode) {
  switch (static_cast<Opcode>(opcode)) {
    case Opcode::ping:
      return "ping";
    case Opcode::identify:
      return "identify";
    case Opcode::reg_read:
      return "reg_read";
    case Opcode::reg_write:
      return "reg_write";
    case Opcode::reg_batch:
      return "reg_batch";
    case Opcode::mem_read:
      return "mem_read";
    case Opcode::mem_write:
      return "mem_write";
    case Opcode::mem_fill:
      return "mem_fill";
    case Opcode::reset:
      return "reset";
    case Opcode::mbist:
      return "mbist";
    case Opcode::tensor:
      return "tensor";
    case Opcode::sensors:
      return "sensors";
    case Opcode::hold:
      return "hold";
    case Opcode::operating_point:
      return "operating_point";
    case Opcode::tensor_caps:
      return "tensor_caps";
  }
  return fmt::format("opcode 0x{:02x}", opcode);
}

bool is_known_opcode(std::uint8_t opcode) noexcept {
  return opcode <= kLastOpcode;
}

bool is_idempotent(Opcode op) noexcept {
  switch (op) {
    case Opcode::ping:
    case Opcode::identify:
    case Opcode::reg_read:
    case Opcode::mem_read:
    case Opcode::mem_write:
    case Opcode::mem_fill:
    case Opcode::sensors:
    case Opcode::tensor_caps:
      return true;
    case Opcode::reg_write:
    case Opcode::reg_batch:
    case Opcode::reset:
    case Opcode::mbist:
    case Opcode::tensor:
    case Opcode::hold:
    case Opcode::operating_point:
      return false;
  }
  return false;
}

namespace {

void check_payload_size(const Header& h, std::size_t n) {
  if (n > kMaxPayload)
    throw InvalidArgumentError(ErrorCode::invalid_argument,
                               fmt::format("{} payload of {} bytes exceeds the frame maximum of {}",
                                           opcode_name(static_cast<std::uint8_t>(h.opcode)), n, kMaxPayload));
}

void write_header(const Header& h, std::uint8_t* p, std::size_t n) {
  put16(p, kMagic);
  p[2] = h.version;
  p[3] = static_cast<std::uint8_t>(h.opcode);
  put16(p + 4, h.flags);
  put16(p + 6, static_cast<std::uint16_t>(h.status));
  put32(p + 8, h.sequence);
  put32(p + 12, static_cast<std::uint32_t>(n));
}

// Writes the header for a payload of `n` bytes at p[0..16) and the CRC after the payload.
void seal(const Header& h, std::uint8_t* p, std::size_t n) {
  write_header(h, p, n);
  put32(p + kHeaderSize + n, crc32c({p, kHeaderSize + n}));
}

}  // namespace

void encode_frame_into(const Header& h, std::span<const std::uint8_t> payload,
                       std::vector<std::uint8_t>& out) {
  check_payload_size(h, payload.size());
  out.resize(kHeaderSize + payload.size() + kTrailerSize);
  if (!payload.empty()) std::memcpy(out.data() + kHeaderSize, payload.data(), payload.size());
  seal(h, out.data(), payload.size());
}

std::vector<std::uint8_t> encode_frame(const Header& h, std::span<const std::uint8_t> payload) {
  std::vector<std::uint8_t> out;
  encode_frame_into(h, payload, out);
  return out;
}

std::vector<std::uint8_t> finish_frame(const Header& h, PayloadWriter&& w) {
  if (w.headroom() != kHeaderSize)
    throw InternalError(ErrorCode::internal, "finish_frame needs a writer with kHeaderSize headroom");
  w.flatten_external();
  const std::size_t n = w.size();
  check_payload_size(h, n);
  // Read before buffer(), which forgets them.
  const std::size_t known = w.checksummed_size();
  const std::uint32_t known_crc = w.checksummed_crc();
  std::vector<std::uint8_t>& buf = w.buffer();
  buf.resize(kHeaderSize + n + kTrailerSize);
  std::uint8_t* p = buf.data();
  write_header(h, p, n);
  std::uint32_t crc = crc32c({p, kHeaderSize});
  crc = crc32c_combine(crc, known_crc, known);
  crc = crc32c({p + kHeaderSize + known, n - known}, crc);
  put32(p + kHeaderSize + n, crc);
  return std::move(buf);
}

std::vector<std::uint8_t> encode_request(Opcode op, std::uint32_t sequence,
                                         std::span<const std::uint8_t> payload) {
  Header h;
  h.opcode = op;
  h.sequence = sequence;
  return encode_frame(h, payload);
}

std::vector<std::uint8_t> encode_response(Opcode op, std::uint32_t sequence,
                                          std::span<const std::uint8_t> payload) {
  Header h;
  h.opcode = op;
  h.flags = kFlagResponse;
  h.sequence = sequence;
  return encode_frame(h, payload);
}

std::vector<std::uint8_t> encode_error(Opcode op, std::uint32_t sequence, ErrorCode status,
                                       std::string_view message) {
  Header h;
  h.opcode = op;
  h.flags = kFlagResponse;
  // A code the wire does not know (or ok) would make the frame undecodable: send it as internal.
  h.status = status == ErrorCode::ok || !is_known_error_code(static_cast<std::uint16_t>(status))
                 ? ErrorCode::internal
                 : status;
  h.sequence = sequence;
  message = message.substr(0, 4096);
  return encode_frame(h, {reinterpret_cast<const std::uint8_t*>(message.data()), message.size()});
}

namespace {

void check_crc(std::uint32_t want, std::uint32_t got) {
  if (want != got)
    throw ProtocolError(
        ErrorCode::checksum,
        fmt::format("malformed frame: CRC-32C mismatch (frame says 0x{:08x}, data gives 0x{:08x})", want,
                    got));
}

// The checks made once the CRC holds: flags and status. Returns the header of a payload of `len` bytes.
Header checked_header(const std::uint8_t* b, std::uint32_t len) {
  const std::uint16_t flags = get16(b + 4);
  if ((flags & ~kKnownFlags) != 0) reject(fmt::format("unknown flags 0x{:04x}", flags));
  const std::uint16_t status = get16(b + 6);
  if (!is_known_error_code(status)) reject(fmt::format("unknown status code {}", status));
  if (status != 0 && (flags & kFlagResponse) == 0) reject(fmt::format("request carries status {}", status));
  Header h;
  h.version = b[2];
  h.opcode = static_cast<Opcode>(b[3]);
  h.flags = flags;
  h.status = static_cast<ErrorCode>(status);
  h.sequence = get32(b + 8);
  h.length = len;
  return h;
}

// Compares the length a header announces with the payload bytes present.
void check_length(std::uint32_t len, std::size_t payload_bytes) {
  const std::size_t total = kHeaderSize + std::size_t{len} + kTrailerSize;
  const std::size_t received = kHeaderSize + payload_bytes + kTrailerSize;
  if (received < total)
    reject(fmt::format("truncated: header announces {} bytes, {} received", total, received));
  if (received > total)
    reject(fmt::format("{} trailing bytes after a {}-byte frame", received - total, total));
}

// decode_frame() and decode_frame_into(): `out` is copied to when it has the payload's size.
FrameView decode(std::span<const std::uint8_t> b, std::span<std::uint8_t> out, bool copy) {
  if (b.size() < kHeaderSize + kTrailerSize)
    reject(fmt::format("truncated: {} bytes, a frame has at least {}", b.size(), kHeaderSize + kTrailerSize));
  check_prefix(b);
  const std::uint32_t len = get32(b.data() + 12);
  check_length(len, b.size() - kHeaderSize - kTrailerSize);
  const std::uint32_t want = get32(b.data() + kHeaderSize + len);
  const auto payload = b.subspan(kHeaderSize, len);
  std::uint32_t got = crc32c(b.first(kHeaderSize));
  got = copy && out.size() == len ? crc32c_copy(out.data(), payload, got) : crc32c(payload, got);
  check_crc(want, got);
  return FrameView{checked_header(b.data(), len), payload};
}

}  // namespace

FrameView decode_frame(std::span<const std::uint8_t> b) {
  return decode(b, {}, false);
}

FrameView decode_frame_into(std::span<const std::uint8_t> b, std::span<std::uint8_t> out) {
  return decode(b, out, true);
}

std::uint32_t seal_split(const Header& h, std::span<std::uint8_t> head, std::span<const std::uint8_t> bulk,
                         Checksum checksum) {
  if (head.size() < kHeaderSize)
    throw InternalError(ErrorCode::internal, "seal_split needs a head with room for the frame header");
  const std::size_t n = head.size() - kHeaderSize + bulk.size();
  check_payload_size(h, n);
  write_header(h, head.data(), n);
  if (checksum == Checksum::unnecessary) return 0;
  return crc32c(bulk, crc32c(head));
}

void flatten_frame(const SplitFrame& f, std::vector<std::uint8_t>& out) {
  out.resize(f.head.size() + f.bulk.size() + kTrailerSize);
  std::uint8_t* p = out.data();
  if (!f.head.empty()) std::memcpy(p, f.head.data(), f.head.size());
  if (!f.bulk.empty()) std::memcpy(p + f.head.size(), f.bulk.data(), f.bulk.size());
  put32(p + f.head.size() + f.bulk.size(), f.crc);
}

SplitFrameView decode_split(const SplitFrame& f, Checksum checksum, std::span<std::uint8_t> out) {
  if (f.head.size() < kHeaderSize)
    reject(fmt::format("truncated: {} bytes, a frame has at least {}", f.head.size(),
                       kHeaderSize + kTrailerSize));
  check_prefix(f.head);
  const std::uint32_t len = get32(f.head.data() + 12);
  const auto fields = f.head.subspan(kHeaderSize);
  check_length(len, fields.size() + f.bulk.size());
  const bool copy = out.size() == len;
  if (copy && !fields.empty()) std::memcpy(out.data(), fields.data(), fields.size());
  if (checksum == Checksum::computed) {
    const std::uint32_t crc = crc32c(f.head);
    check_crc(f.crc, copy ? crc32c_copy(out.data() + fields.size(), f.bulk, crc) : crc32c(f.bulk, crc));
  } else if (copy && !f.bulk.empty()) {
    std::memcpy(out.data() + fields.size(), f.bulk.data(), f.bulk.size());
  }
  return SplitFrameView{checked_header(f.head.data(), len), fields, f.bulk};
}

std::optional<std::size_t> frame_size(std::span<const std::uint8_t> prefix) {
  if (prefix.size() < kHeaderSize) return std::nullopt;
  check_prefix(prefix);
  return kHeaderSize + std::size_t{get32(prefix.data() + 12)} + kTrailerSize;
}

std::optional<std::uint32_t> peek_sequence(std::span<const std::uint8_t> bytes) noexcept {
  if (bytes.size() < kHeaderSize || get16(bytes.data()) != kMagic) return std::nullopt;
  return get32(bytes.data() + 8);
}

}  // namespace seedval::protocol

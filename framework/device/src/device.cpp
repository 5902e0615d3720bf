#include <algorithm>
#include <cstring>

#include <fmt/core.h>

#include <seedval/chip/registers.h>
#include <seedval/core/error.h>
#include <seedval/core/log.h>
#include <seedval/device/device.h>
#include <seedval/protocol/payload.h>

namespace seedval {
namespace {

std::string register_label(std::uint32_t address) {
  if (const auto* r = chip::find_register(address)) return fmt::format("0x{:04x} ({})", address, r->name);
  return fmt::format("0x{:04x}", address);
}

constexpr std::size_t kDefaultChunk = 1u << 20;     // 1 MiB per memory frame
constexpr std::size_t kMemoryRequestOverhead = 16;  // address and length fields in a memory request

}  // namespace

template <typename F>
auto Device::decode(std::string_view label, F&& decode_fn) -> decltype(decode_fn()) {
  try {
    return decode_fn();
  } catch (const Error& e) {
    rethrow_with_context(e, fmt::format("{}: {}", name_, label));
  }
}

const chip::RegisterInfo& Device::named_register(std::string_view name) const {
  try {
    return chip::register_by_name(name);
  } catch (const Error& e) {
    rethrow_with_context(e, name_);
  }
}

std::string Identity::revision_name() const {
  return fmt::format("{:X}", revision & 0xFF);  // 0xA0 reads "A0", 0xB1 "B1"
}

Device::Device(std::unique_ptr<Transport> transport, std::string name)
    : transport_(std::move(transport)), name_(std::move(name)) {
  if (!transport_) throw InvalidArgumentError(ErrorCode::invalid_argument, "a device needs a transport");
}

Device::~Device() = default;

protocol::PayloadWriter Device::begin_request() {
  return protocol::PayloadWriter(std::move(tx_), protocol::kHeaderSize);
}

std::span<const std::uint8_t> Device::call(protocol::Opcode op, std::span<const std::uint8_t> payload,
                                           std::string_view what) {
  auto w = begin_request();
  w.bytes(payload);
  return send(op, std::move(w), what);
}

std::span<const std::uint8_t> Device::send(protocol::Opcode op, protocol::PayloadWriter&& request,
                                           std::string_view what, std::uint64_t work_bytes) {
  const std::string op_name = protocol::opcode_name(static_cast<std::uint8_t>(op));
  const std::string label = what.empty() ? op_name : fmt::format("{} {}", op_name, what);
  const std::uint32_t seq = sequence_++;
  // Capped so an absurd length cannot overflow the clock; the device rejects such ranges anyway.
  const auto mib = static_cast<long>(
      std::min<std::uint64_t>(std::max<std::uint64_t>(work_bytes, request.size()) >> 20, 1u << 20) + 1);
  const Deadline deadline = Deadline::after(timeouts_.base + timeouts_.per_mib * mib);
  try {
    protocol::Header h;
    h.opcode = op;
    h.sequence = seq;
    tx_ = protocol::finish_frame(h, std::move(request));
    transport_->exchange_into(tx_, rx_, deadline, stop_);
  } catch (const Error& e) {
    // Transports name their link in their own messages.
    rethrow_with_context(e, fmt::format("{}: {}", name_, label));
  }
  protocol::FrameView frame;
  try {
    frame = protocol::decode_frame(rx_);
  } catch (const Error& e) {
    rethrow_with_context(e, fmt::format("{}: {}: response", name_, label));
  }
  const auto& h = frame.header;
  if (!h.is_response())
    throw ProtocolError(ErrorCode::protocol,
                        fmt::format("{}: {}: the device answered with a request frame", name_, label));
  if (h.sequence != seq)
    throw ProtocolError(
        ErrorCode::protocol,
        fmt::format("{}: {}: response sequence {} does not match request {}", name_, label, h.sequence, seq));
  if (h.status != ErrorCode::ok) {
    std::string message(frame.payload.begin(), frame.payload.end());
    throw_error(h.status, fmt::format("{}: {}: {}", name_, label, message));
  }
  if (h.opcode != op)
    throw ProtocolError(ErrorCode::protocol,
                        fmt::format("{}: {}: response is for {}", name_, label,
                                    protocol::opcode_name(static_cast<std::uint8_t>(h.opcode))));
  return frame.payload;
}

const Identity& Device::identify(bool refresh) {
  if (identity_ && !refresh) return *identity_;
  const auto payload = call(protocol::Opcode::identify, {});
  const auto m = decode("identify", [&] { return protocol::decode_identify_response(payload); });
  Identity id;
  id.chip_id = m.chip_id;
  id.revision = m.revision;
  id.ecid = m.ecid;
  id.capabilities = m.capabilities;
  id.memory_size = m.memory_size;
  id.model = m.model;
  try {
    id.die = chip::decode_ecid(m.ecid);
  } catch (const Error& e) {
    id.ecid_error = e.message();
  }
  identity_ = std::move(id);
  return *identity_;
}

std::vector<std::uint8_t> Device::ping(std::span<const std::uint8_t> data) {
  auto echo = call(protocol::Opcode::ping, data);
  return {echo.begin(), echo.end()};
}

std::uint32_t Device::read_register(std::uint32_t address) {
  const std::string label = register_label(address);
  auto payload = call(protocol::Opcode::reg_read, protocol::encode_reg_read(address), label);
  return decode("reg_read " + label, [&] {
    protocol::PayloadReader r(payload, "reg_read response");
    auto v = r.u32();
    r.expect_end();
    return v;
  });
}

std::uint32_t Device::read_register(std::string_view name) {
  return read_register(named_register(name).address);
}

void Device::write_register(std::uint32_t address, std::uint32_t value) {
  const std::string label = register_label(address);
  auto payload = call(protocol::Opcode::reg_write, protocol::encode_reg_write(address, value), label);
  decode("reg_write " + label, [&] { protocol::PayloadReader(payload, "reg_write response").expect_end(); });
}

void Device::write_register(std::string_view name, std::uint32_t value) {
  write_register(named_register(name).address, value);
}

std::vector<std::uint32_t> Device::execute(std::span<const protocol::RegisterOp> ops) {
  std::vector<std::uint32_t> values;
  values.reserve(ops.size());
  if (!has(chip::Capability::register_batch)) {
    for (std::size_t i = 0; i < ops.size(); ++i) {
      try {
        if (ops[i].kind == protocol::RegisterOp::Kind::read) {
          values.push_back(read_register(ops[i].address));
        } else {
          write_register(ops[i].address, ops[i].value);
          values.push_back(ops[i].value);
        }
      } catch (const Error& e) {
        // "<device>: operation i: <what failed>", the same shape as a batch failure.
        std::string_view rest = e.message();
        if (const std::string prefix = name_ + ": "; rest.starts_with(prefix))
          rest.remove_prefix(prefix.size());
        throw_error(e.code(), fmt::format("{}: operation {}: {}", name_, i, rest));
      }
    }
    return values;
  }
  for (std::size_t start = 0; start < ops.size(); start += protocol::kMaxBatchOps) {
    auto part = ops.subspan(start, std::min(protocol::kMaxBatchOps, ops.size() - start));
    const std::string label =
        fmt::format("of operations {}..{} of {}", start, start + part.size() - 1, ops.size());
    auto payload = call(protocol::Opcode::reg_batch,
                        protocol::encode_reg_batch(part, static_cast<std::uint32_t>(start)), label);
    auto got =
        decode("reg_batch " + label, [&] { return protocol::decode_reg_values(payload, part.size()); });
    values.insert(values.end(), got.begin(), got.end());
  }
  return values;
}

std::size_t Device::chunk_size() {
  const std::size_t link = transport_->capabilities().max_frame_payload;
  // Leave room for the request's address fields inside the frame; keep chunks whole 64-bit words.
  if (link < kMemoryRequestOverhead + 8)
    throw UnsupportedError(
        ErrorCode::unsupported,
        fmt::format("{}: the link's frames ({} bytes of payload) are too small for memory access", name_,
                    link));
  return std::min(kDefaultChunk, (link - kMemoryRequestOverhead) & ~std::size_t{7});
}

void Device::read_memory(std::uint64_t address, std::span<std::uint8_t> out) {
  const std::size_t chunk = chunk_size();
  for (std::size_t done = 0; done < out.size();) {
    const std::size_t n = std::min(chunk, out.size() - done);
    const std::uint64_t at = address + done;
    auto w = begin_request();
    w.bytes(protocol::encode(protocol::MemReadRequest{at, static_cast<std::uint32_t>(n)}));
    auto payload = send(protocol::Opcode::mem_read, std::move(w), fmt::format("0x{:x}+{}", at, n), n);
    if (payload.size() != n)
      throw ProtocolError(ErrorCode::protocol, fmt::format("{}: mem_read 0x{:x}+{}: device returned {} bytes",
                                                           name_, at, n, payload.size()));
    std::memcpy(out.data() + done, payload.data(), n);
    done += n;
  }
}

std::vector<std::uint8_t> Device::read_memory(std::uint64_t address, std::size_t length) {
  std::vector<std::uint8_t> out(length);
  read_memory(address, out);
  return out;
}

void Device::write_memory(std::uint64_t address, std::span<const std::uint8_t> data) {
  const std::size_t chunk = chunk_size();
  for (std::size_t done = 0; done < data.size();) {
    const std::size_t n = std::min(chunk, data.size() - done);
    const std::uint64_t at = address + done;
    auto w = begin_request();
    w.u64(at);
    w.bytes(data.subspan(done, n));
    const std::string label = fmt::format("0x{:x}+{}", at, n);
    auto payload = send(protocol::Opcode::mem_write, std::move(w), label);
    decode("mem_write " + label,
           [&] { protocol::PayloadReader(payload, "mem_write response").expect_end(); });
    done += n;
  }
}

void Device::fill_memory(std::uint64_t address, std::uint64_t length, std::uint64_t pattern) {
  if (has(chip::Capability::memory_fill)) {
    const std::string label = fmt::format("0x{:x}+{}", address, length);
    auto w = begin_request();
    w.bytes(protocol::encode(protocol::MemFillRequest{address, length, pattern}));
    auto payload = send(protocol::Opcode::mem_fill, std::move(w), label, length);
    decode("mem_fill " + label, [&] { protocol::PayloadReader(payload, "mem_fill response").expect_end(); });
    return;
  }
  // No fill engine: write the pattern from the host, one chunk at a time.
  const std::size_t chunk = chunk_size() & ~std::size_t{7};
  std::vector<std::uint8_t> buffer(static_cast<std::size_t>(std::min<std::uint64_t>(chunk, length)));
  for (std::uint64_t done = 0; done < length;) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), length - done));
    const std::uint64_t at = address + done;
    for (std::size_t i = 0; i < n; ++i)
      buffer[i] = static_cast<std::uint8_t>(pattern >> (8 * ((at + i) % 8)));
    write_memory(at, std::span(buffer).first(n));
    done += n;
  }
}

void Device::reset(protocol::ResetKind kind) {
  protocol::PayloadWriter w;
  w.u8(static_cast<std::uint8_t>(kind));
  auto payload = call(protocol::Opcode::reset, w.data(), kind == protocol::ResetKind::soft ? "soft" : "hard");
  decode("reset", [&] { protocol::PayloadReader(payload, "reset response").expect_end(); });
  identity_.reset();
}

}  // namespace seedval

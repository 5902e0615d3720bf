#include <algorithm>
#include <cmath>
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

namespace {

std::string call_label(protocol::Opcode op, std::string_view what) {
  const std::string op_name = protocol::opcode_name(static_cast<std::uint8_t>(op));
  return what.empty() ? op_name : fmt::format("{} {}", op_name, what);
}

Deadline call_deadline(const DeviceTimeouts& timeouts, std::uint64_t work_bytes, Milliseconds extra_time) {
  // Capped so an absurd length cannot overflow the clock; the device rejects such ranges anyway.
  const auto mib = static_cast<long>(std::min<std::uint64_t>(work_bytes >> 20, 1u << 20) + 1);
  return Deadline::after(timeouts.base + timeouts.per_mib * mib + extra_time);
}

// Frames `request` into `tx` and exchanges it for the response frame in `rx`. `context` ("<device>:
// <operation>") goes in front of transport errors, which name their link themselves.
void exchange_frame(Transport& transport, std::vector<std::uint8_t>& tx, std::vector<std::uint8_t>& rx,
                    protocol::PayloadWriter&& request, const protocol::Header& header, Deadline deadline,
                    const std::stop_token& stop, const std::string& context) {
  try {
    tx = protocol::finish_frame(header, std::move(request));
    transport.exchange_into(tx, rx, deadline, stop);
  } catch (const Error& e) {
    rethrow_with_context(e, context);
  }
}

// Checks a decoded response to request `sequence` (its payload: `fields` then `bulk`). Throws the
// device's own error for an error response.
void check_response(const protocol::Header& h, std::span<const std::uint8_t> fields,
                    std::span<const std::uint8_t> bulk, protocol::Opcode op, std::uint32_t sequence,
                    const std::string& context) {
  if (!h.is_response())
    throw ProtocolError(ErrorCode::protocol,
                        fmt::format("{}: the device answered with a request frame", context));
  if (h.sequence != sequence)
    throw ProtocolError(ErrorCode::protocol, fmt::format("{}: response sequence {} does not match request {}",
                                                         context, h.sequence, sequence));
  if (h.status != ErrorCode::ok) {
    std::string message(fields.begin(), fields.end());
    message.append(bulk.begin(), bulk.end());
    throw_error(h.status, fmt::format("{}: {}", context, message));
  }
  if (h.opcode != op)
    throw ProtocolError(ErrorCode::protocol,
                        fmt::format("{}: response is for {}", context,
                                    protocol::opcode_name(static_cast<std::uint8_t>(h.opcode))));
}

// Verifies the response frame in `rx` to request `sequence` and returns its payload, copying it into
// `out` in the same pass when it has out.size() bytes (protocol::decode_frame_into).
std::span<const std::uint8_t> checked_response(std::span<const std::uint8_t> rx, std::span<std::uint8_t> out,
                                               protocol::Opcode op, std::uint32_t sequence,
                                               const std::string& context) {
  protocol::FrameView frame;
  try {
    frame = out.empty() ? protocol::decode_frame(rx) : protocol::decode_frame_into(rx, out);
  } catch (const Error& e) {
    rethrow_with_context(e, fmt::format("{}: response", context));
  }
  check_response(frame.header, frame.payload, {}, op, sequence, context);
  return frame.payload;
}

}  // namespace

std::span<const std::uint8_t> Device::send(protocol::Opcode op, protocol::PayloadWriter&& request,
                                           std::string_view what, std::uint64_t work_bytes,
                                           Milliseconds extra_time) {
  const std::string context = fmt::format("{}: {}", name_, call_label(op, what));
  const Deadline deadline =
      call_deadline(timeouts_, std::max<std::uint64_t>(work_bytes, request.size()), extra_time);
  protocol::Header h;
  h.opcode = op;
  h.sequence = sequence_++;
  exchange_frame(*transport_, tx_, rx_, std::move(request), h, deadline, stop_, context);
  return checked_response(rx_, {}, op, h.sequence, context);
}

std::size_t Device::send_bulk(protocol::Opcode op, protocol::PayloadWriter&& request,
                              std::span<const std::uint8_t> bulk, std::span<std::uint8_t> out,
                              std::string_view what) {
  const std::string context = fmt::format("{}: {}", name_, call_label(op, what));
  const TransportCapabilities caps = transport_->capabilities();
  const Deadline deadline = call_deadline(
      timeouts_, std::max<std::uint64_t>(out.size(), request.size() + bulk.size()), Milliseconds{0});
  protocol::Header h;
  h.opcode = op;
  h.sequence = sequence_++;
  if (!caps.split_frames) {
    // One frame: the bulk bytes are copied into it and checksummed in the same pass.
    request.bulk(bulk);
    exchange_frame(*transport_, tx_, rx_, std::move(request), h, deadline, stop_, context);
    return checked_response(rx_, out, op, h.sequence, context).size();
  }
  const auto checksum =
      caps.checksum_unnecessary ? protocol::Checksum::unnecessary : protocol::Checksum::computed;
  try {
    tx_ = std::move(request.buffer());
    const std::uint32_t crc = protocol::seal_split(h, tx_, bulk, checksum);
    transport_->exchange_split({tx_, bulk, crc}, bulk_rx_, deadline, stop_);
  } catch (const Error& e) {
    rethrow_with_context(e, context);
  }
  protocol::SplitFrameView frame;
  try {
    if (bulk_rx_.split) {
      frame = protocol::decode_split(bulk_rx_.parts(), checksum, out);
    } else {
      const auto whole = out.empty() ? protocol::decode_frame(bulk_rx_.bytes)
                                     : protocol::decode_frame_into(bulk_rx_.bytes, out);
      frame = {whole.header, whole.payload, {}};
    }
  } catch (const Error& e) {
    rethrow_with_context(e, fmt::format("{}: response", context));
  }
  check_response(frame.header, frame.fields, frame.bulk, op, h.sequence, context);
  return frame.fields.size() + frame.bulk.size();
}

const protocol::TensorCapabilities& Device::tensor_capabilities(bool refresh) {
  if (tensor_caps_ && !refresh) return *tensor_caps_;
  const auto payload = call(protocol::Opcode::tensor_caps, {});
  tensor_caps_ = decode("tensor_caps", [&] { return protocol::decode_tensor_capabilities(payload); });
  return *tensor_caps_;
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
  return std::min(kMemoryChunk, (link - kMemoryRequestOverhead) & ~std::size_t{7});
}

void Device::read_memory(std::uint64_t address, std::span<std::uint8_t> out) {
  const std::size_t chunk = chunk_size();
  for (std::size_t done = 0; done < out.size();) {
    const std::size_t n = std::min(chunk, out.size() - done);
    const std::uint64_t at = address + done;
    auto w = begin_request();
    w.bytes(protocol::encode(protocol::MemReadRequest{at, static_cast<std::uint32_t>(n)}));
    // The payload lands in `out` as its CRC is checked; a chunk whose check fails throws.
    const std::size_t got = send_bulk(protocol::Opcode::mem_read, std::move(w), {}, out.subspan(done, n),
                                      fmt::format("0x{:x}+{}", at, n));
    if (got != n)
      throw ProtocolError(ErrorCode::protocol,
                          fmt::format("{}: mem_read 0x{:x}+{}: device returned {} bytes", name_, at, n, got));
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
    const std::string label = fmt::format("0x{:x}+{}", at, n);
    const auto got = send_bulk(protocol::Opcode::mem_write, std::move(w), data.subspan(done, n), {}, label);
    if (got != 0)
      throw ProtocolError(
          ErrorCode::protocol,
          fmt::format("{}: mem_write {}: the response carries {} unexpected bytes", name_, label, got));
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
  tensor_caps_.reset();
  geometry_.reset();
}

const chip::HbmGeometry& Device::memory_geometry() {
  if (!geometry_) {
    const std::uint32_t value = read_register(chip::reg::HBM_GEOMETRY);
    geometry_ = decode("HBM_GEOMETRY", [&] { return chip::HbmGeometry::decode(value); });
  }
  return *geometry_;
}

Device::MbistRun Device::run_mbist(const chip::MarchAlgorithm& algorithm, const chip::MarchOptions& options) {
  if (!has(chip::Capability::mbist))
    throw UnsupportedError(ErrorCode::unsupported,
                           fmt::format("{}: mbist: the chip declares no MBIST engine", name_));
  if (options.any_order == chip::AddressOrder::any)
    throw InvalidArgumentError(ErrorCode::invalid_argument,
                               fmt::format("{}: mbist: resolve ⇕ to up or down before running", name_));
  protocol::MbistRequest m;
  m.address = options.first_word * 8;
  m.length = options.words * 8;
  m.pattern = options.background.pattern;
  m.invert_mask = options.background.invert_mask;
  m.any_order = options.any_order == chip::AddressOrder::down ? 1 : 0;
  m.retention_delay_us = static_cast<std::uint64_t>(options.retention_delay.count());
  m.max_fails =
      static_cast<std::uint32_t>(std::min<std::size_t>(options.max_fails, protocol::kMaxMbistFails));
  m.program = chip::encode_march(algorithm);
  // The engine touches every word once per operation; delays run on the device's clock.
  Milliseconds delays{0};
  for (const auto& e : algorithm.elements)
    if (e.is_delay)
      delays +=
          std::chrono::duration_cast<Milliseconds>(e.delay.count() > 0 ? e.delay : options.retention_delay);
  const std::string label = fmt::format(
      "{} over 0x{:x}+{}", algorithm.name.empty() ? "march" : algorithm.name, m.address, m.length);
  auto w = begin_request();
  w.bytes(protocol::encode(m));
  auto payload = send(protocol::Opcode::mbist, std::move(w), label,
                      m.length * std::max<std::size_t>(1, algorithm.length()), delays);
  auto response = decode(label, [&] { return protocol::decode_mbist_response(payload); });
  MbistRun run;
  run.device_ns = response.device_ns;
  run.result.fail_count = response.fail_count;
  run.result.operations = response.operations;
  run.result.fails.reserve(response.fails.size());
  for (const auto& f : response.fails)
    run.result.fails.push_back(
        {.word = f.word, .expected = f.expected, .actual = f.actual, .element = f.element, .op = f.op});
  return run;
}

protocol::TensorResponse Device::execute_tensor(std::uint32_t core, const chip::TensorOp& op) {
  if (!has(chip::Capability::tensor))
    throw UnsupportedError(ErrorCode::unsupported,
                           fmt::format("{}: tensor: the chip declares no tensor cores", name_));
  auto w = begin_request();
  w.u32(core);
  w.bytes(chip::encode_tensor_op(op));
  std::uint64_t work = 0;
  for (const auto& t : op.inputs) work += t.bytes();
  for (const auto& t : op.outputs) work += t.bytes();
  const std::string label = fmt::format("core {} {}", core, chip::to_string(op.kind));
  auto payload = send(protocol::Opcode::tensor, std::move(w), label, work);
  return decode(label, [&] { return protocol::decode_tensor_response(payload); });
}

protocol::SensorsResponse Device::read_sensors() {
  auto payload = call(protocol::Opcode::sensors, {});
  return decode("sensors", [&] { return protocol::decode_sensors_response(payload); });
}

protocol::SensorsResponse Device::hold(std::chrono::microseconds duration, std::uint32_t core_mask,
                                       double utilisation) {
  if (duration.count() < 0 || !(utilisation >= 0.0 && utilisation <= 1.0))
    throw InvalidArgumentError(
        ErrorCode::invalid_argument,
        fmt::format("{}: hold: duration must not be negative and utilisation must be 0..1, got {} us at {}",
                    name_, duration.count(), utilisation));
  protocol::HoldRequest m;
  m.duration_us = static_cast<std::uint64_t>(duration.count());
  m.core_mask = core_mask;
  m.utilisation_permille = static_cast<std::uint16_t>(std::lround(utilisation * 1000.0));
  auto w = begin_request();
  w.bytes(protocol::encode(m));
  const std::string label = fmt::format("{} us, cores 0x{:x}", m.duration_us, core_mask);
  auto payload = send(protocol::Opcode::hold, std::move(w), label, 0,
                      std::chrono::duration_cast<Milliseconds>(duration));
  return decode("hold", [&] { return protocol::decode_sensors_response(payload); });
}

protocol::SensorsResponse Device::set_operating_point(std::uint32_t vdd_core_mv, std::uint32_t frequency_mhz,
                                                      std::uint32_t vdd_hbm_mv) {
  auto w = begin_request();
  w.bytes(protocol::encode(protocol::OperatingPointRequest{vdd_core_mv, frequency_mhz, vdd_hbm_mv}));
  const std::string label = fmt::format("{} mV, {} MHz", vdd_core_mv, frequency_mhz);
  auto payload = send(protocol::Opcode::operating_point, std::move(w), label);
  return decode("operating_point", [&] { return protocol::decode_sensors_response(payload); });
}

}  // namespace seedval

#include <algorithm>
#include <cmath>
#include <cstring>
#include <deque>

#include <fmt/core.h>

#include <seedval/chip/registers.h>
#include <seedval/core/error.h>
#include <seedval/core/log.h>
#include <seedval/device/device.h>
#include <seedval/protocol/crc32c.h>
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

// A failure on the way to the device or back (lost, damaged or out-of-sequence frames), as opposed to an
// answer of the device. Such an exchange may be tried again when the request is idempotent.
bool is_link_fault(ErrorCode code) {
  return code == ErrorCode::timeout || code == ErrorCode::checksum || code == ErrorCode::protocol;
}

// Counts a failed exchange of `op`; true when it is to be sent again: retries left, a lost, damaged or
// out-of-sequence answer, and an idempotent request.
bool retry_after_link_fault(LinkStats& stats, const Error& e, protocol::Opcode op, bool may_retry) {
  ++stats.link_faults;
  if (!may_retry || !is_link_fault(e.code()) || !protocol::is_idempotent(op)) return false;
  ++stats.retries;
  return true;
}

// The link-level checks of a decoded response to request `sequence`: a response frame, to this request.
void check_link(const protocol::Header& h, std::uint32_t sequence, const std::string& context) {
  if (!h.is_response())
    throw ProtocolError(ErrorCode::protocol,
                        fmt::format("{}: the device answered with a request frame", context));
  if (h.sequence != sequence)
    throw ProtocolError(ErrorCode::protocol, fmt::format("{}: response sequence {} does not match request {}",
                                                         context, h.sequence, sequence));
}

// The device's answer: its own error for an error response, else a response to `op`.
void check_answer(const protocol::Header& h, std::span<const std::uint8_t> fields,
                  std::span<const std::uint8_t> bulk, protocol::Opcode op, const std::string& context) {
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

// Decodes the response frame in `rx` (copying its payload into `out` in the same pass when it has
// out.size() bytes, protocol::decode_frame_into) and checks it answers request `sequence`.
protocol::FrameView decode_response(std::span<const std::uint8_t> rx, std::span<std::uint8_t> out,
                                    std::uint32_t sequence, const std::string& context) {
  protocol::FrameView frame;
  try {
    frame = out.empty() ? protocol::decode_frame(rx) : protocol::decode_frame_into(rx, out);
  } catch (const Error& e) {
    rethrow_with_context(e, fmt::format("{}: response", context));
  }
  check_link(frame.header, sequence, context);
  return frame;
}

// Gives a whole frame a new sequence number (and so a new CRC).
void resequence(std::vector<std::uint8_t>& frame, std::uint32_t sequence) {
  for (int i = 0; i < 4; ++i) frame[8 + i] = static_cast<std::uint8_t>(sequence >> (8 * i));
  const std::size_t body = frame.size() - protocol::kTrailerSize;
  const std::uint32_t crc = protocol::crc32c(std::span<const std::uint8_t>(frame).first(body));
  for (int i = 0; i < 4; ++i) frame[body + i] = static_cast<std::uint8_t>(crc >> (8 * i));
}

// Runs `f` (a transport call), putting `context` in front of its errors (transports name their link).
template <typename F>
void on_link(const std::string& context, F&& f) {
  try {
    f();
  } catch (const Error& e) {
    rethrow_with_context(e, context);
  }
}

}  // namespace

void Device::set_time_limit(Deadline limit, std::string what) {
  limit_ = limit;
  limit_what_ = std::move(what);
}

void Device::clear_time_limit() {
  limit_ = Deadline::never();
  limit_what_.clear();
}

Deadline Device::request_deadline(std::uint64_t work_bytes, Milliseconds extra_time,
                                  std::string_view context) const {
  if (time_limit_passed())
    throw TimeoutError(ErrorCode::timeout, fmt::format("{}: {} ran out", context, limit_what_));
  const Deadline own = call_deadline(timeouts_, work_bytes, extra_time);
  return limit_.time_point() < own.time_point() ? limit_ : own;
}

void Device::check_time_limit(const Error& e, std::string_view context) const {
  if (!time_limit_passed() || (e.code() != ErrorCode::timeout && e.code() != ErrorCode::cancelled)) return;
  throw TimeoutError(ErrorCode::timeout,
                     fmt::format("{}: {} ran out while the call was waiting", context, limit_what_));
}

void Device::set_batch_limit(std::size_t ops) {
  if (ops == 0 || ops > protocol::kMaxBatchOps)
    throw InvalidArgumentError(ErrorCode::invalid_argument,
                               fmt::format("{}: a batch frame carries 1 to {} operations, not {}", name_,
                                           protocol::kMaxBatchOps, ops));
  batch_limit_ = ops;
}

std::span<const std::uint8_t> Device::send(protocol::Opcode op, protocol::PayloadWriter&& request,
                                           std::string_view what, std::uint64_t work_bytes,
                                           Milliseconds extra_time) {
  const std::string context = fmt::format("{}: {}", name_, call_label(op, what));
  const std::uint64_t work = std::max<std::uint64_t>(work_bytes, request.size());
  protocol::Header h;
  h.opcode = op;
  h.sequence = sequence_++;
  on_link(context, [&] { tx_ = protocol::finish_frame(h, std::move(request)); });
  if (time_limit_passed())
    throw TimeoutError(ErrorCode::timeout, fmt::format("{}: {} ran out", context, limit_what_));
  ++stats_.requests;
  for (int attempt = 0;; ++attempt) {
    const bool may_retry = attempt < timeouts_.retries;
    protocol::FrameView frame;
    try {
      on_link(context, [&] {
        transport_->exchange_into(tx_, rx_, request_deadline(work, extra_time, context), stop_);
      });
      frame = decode_response(rx_, {}, h.sequence, context);
    } catch (const Error& e) {
      check_time_limit(e, context);
      if (!retry_after_link_fault(stats_, e, op, may_retry)) throw;
      continue;  // the same frame, the same sequence: a remote agent answers a duplicate once
    }
    if (frame.header.status == ErrorCode::checksum && may_retry) {
      // The request arrived damaged; the device executed nothing, so any request may go again. Under a
      // new sequence number: a copy of the "damaged" answer still on the wire must not be taken for
      // the answer to the resent request (which would send it, and run it, once more).
      ++stats_.link_faults;
      ++stats_.retries;
      h.sequence = sequence_++;
      resequence(tx_, h.sequence);
      continue;
    }
    check_answer(frame.header, frame.payload, {}, op, context);
    return frame.payload;
  }
}

std::size_t Device::send_bulk(protocol::Opcode op, protocol::PayloadWriter&& request,
                              std::span<const std::uint8_t> bulk, std::span<std::uint8_t> out,
                              std::string_view what) {
  const std::string context = fmt::format("{}: {}", name_, call_label(op, what));
  const TransportCapabilities caps = transport_->capabilities();
  const std::uint64_t work = std::max<std::uint64_t>(out.size(), request.size() + bulk.size());
  protocol::Header h;
  h.opcode = op;
  h.sequence = sequence_++;
  const auto checksum =
      caps.checksum_unnecessary ? protocol::Checksum::unnecessary : protocol::Checksum::computed;
  std::uint32_t crc = 0;
  on_link(context, [&] {
    if (caps.split_frames) {
      tx_ = std::move(request.buffer());
      crc = protocol::seal_split(h, tx_, bulk, checksum);
    } else {
      // One frame: the bulk bytes are copied into it and checksummed in the same pass.
      request.bulk(bulk);
      tx_ = protocol::finish_frame(h, std::move(request));
    }
  });
  if (time_limit_passed())
    throw TimeoutError(ErrorCode::timeout, fmt::format("{}: {} ran out", context, limit_what_));
  ++stats_.requests;
  for (int attempt = 0;; ++attempt) {
    const bool may_retry = attempt < timeouts_.retries;
    protocol::SplitFrameView frame;
    try {
      on_link(context, [&] {
        const Deadline deadline = request_deadline(work, Milliseconds{0}, context);
        if (caps.split_frames) {
          transport_->exchange_split({tx_, bulk, crc}, bulk_rx_, deadline, stop_);
        } else {
          bulk_rx_.split = false;
          bulk_rx_.bulk = {};
          transport_->exchange_into(tx_, bulk_rx_.bytes, deadline, stop_);
        }
      });
      if (bulk_rx_.split) {
        try {
          frame = protocol::decode_split(bulk_rx_.parts(), checksum, out);
        } catch (const Error& e) {
          rethrow_with_context(e, fmt::format("{}: response", context));
        }
        check_link(frame.header, h.sequence, context);
      } else {
        const auto whole = decode_response(bulk_rx_.bytes, out, h.sequence, context);
        frame = {whole.header, whole.payload, {}};
      }
    } catch (const Error& e) {
      check_time_limit(e, context);
      if (!retry_after_link_fault(stats_, e, op, may_retry)) throw;
      continue;  // the same frame, the same sequence: a remote agent answers a duplicate once
    }
    if (frame.header.status == ErrorCode::checksum && may_retry) {
      ++stats_.link_faults;
      ++stats_.retries;
      h.sequence = sequence_++;  // as in send(): a new sequence for a request the device refused
      if (caps.split_frames)
        crc = protocol::seal_split(h, tx_, bulk, checksum);
      else
        resequence(tx_, h.sequence);
      continue;
    }
    check_answer(frame.header, frame.fields, frame.bulk, op, context);
    return frame.fields.size() + frame.bulk.size();
  }
}

void Device::pipelined(std::size_t count, bool allow_pipelining,
                       const std::function<PipelineItem(std::size_t, protocol::PayloadWriter&)>& build,
                       const std::function<void(std::size_t, std::span<const std::uint8_t>)>& take) {
  const std::size_t depth = allow_pipelining ? transport_->capabilities().pipeline_depth : 1;
  std::size_t next = 0;  // the next request whose response is taken
  if (depth > 1 && count > 1) {
    struct InFlight {
      std::uint32_t sequence = 0;
      PipelineItem item;
      Deadline deadline = Deadline::after(Milliseconds{0});
    };
    std::deque<InFlight> flight;
    std::size_t posted = 0;
    std::uint64_t in_flight_bytes = 0;
    bool on_wire = true;  // a failure now is the link's (not the device's answer)
    try {
      while (next < count) {
        while (posted < count && flight.size() < depth && in_flight_bytes < kPipelineBytes) {
          auto w = begin_request();
          InFlight f;
          f.item = build(posted, w);
          f.sequence = sequence_++;
          protocol::Header h;
          h.opcode = f.item.op;
          h.sequence = f.sequence;
          const std::string context = fmt::format("{}: {}", name_, call_label(f.item.op, f.item.label));
          on_link(context, [&] { tx_ = protocol::finish_frame(h, std::move(w)); });
          f.deadline = request_deadline(std::max<std::uint64_t>(f.item.work_bytes, tx_.size()),
                                        Milliseconds{0}, context);
          on_link(context, [&] { transport_->post(tx_, f.deadline, stop_); });
          ++stats_.requests;
          if (!flight.empty()) ++stats_.pipelined;
          in_flight_bytes += f.item.work_bytes;
          flight.push_back(std::move(f));
          ++posted;
        }
        InFlight& f = flight.front();
        const std::string context = fmt::format("{}: {}", name_, call_label(f.item.op, f.item.label));
        on_link(context, [&] { transport_->collect(f.sequence, rx_, f.deadline, stop_); });
        const auto frame = decode_response(rx_, f.item.out, f.sequence, context);
        if (frame.header.status == ErrorCode::checksum)
          throw ProtocolError(ErrorCode::checksum,
                              fmt::format("{}: the device received the request damaged", context));
        on_wire = false;
        check_answer(frame.header, frame.payload, {}, f.item.op, context);
        take(next, frame.payload);
        on_wire = true;
        in_flight_bytes -= f.item.work_bytes;
        flight.pop_front();
        ++next;
      }
      return;
    } catch (const Error& e) {
      transport_->discard_posted();
      if (!on_wire) throw;
      check_time_limit(e, fmt::format("{}: {}", name_, "pipelined requests"));
      ++stats_.link_faults;
      // Every request still in flight may have executed: they go again one at a time only if all are
      // idempotent, or if the failed one is alone and arrived damaged (so never executed).
      const bool all_idempotent = std::all_of(
          flight.begin(), flight.end(), [](const InFlight& f) { return protocol::is_idempotent(f.item.op); });
      const bool damaged_alone = e.code() == ErrorCode::checksum && flight.size() == 1;
      if (timeouts_.retries <= 0 || !is_link_fault(e.code()) || !(all_idempotent || damaged_alone)) throw;
      // The rest one at a time, each with send()'s retries.
      ++stats_.retries;
    }
  }
  for (; next < count; ++next) {
    auto w = begin_request();
    PipelineItem item = build(next, w);
    const auto payload = send(item.op, std::move(w), item.label, item.work_bytes);
    if (!item.out.empty() && payload.size() == item.out.size())
      std::memcpy(item.out.data(), payload.data(), payload.size());
    take(next, payload);
  }
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
  if (ops.empty()) return values;
  // Requests behind a failing one would already be on their way: only lists without writes are
  // pipelined, so a failure stops the list where it happened.
  const bool reads_only = std::all_of(ops.begin(), ops.end(), [](const protocol::RegisterOp& op) {
    return op.kind == protocol::RegisterOp::Kind::read;
  });
  if (!has(chip::Capability::register_batch) || !transport_->capabilities().batched_registers) {
    // One request per operation, pipelined where the link allows.
    try {
      pipelined(
          ops.size(), reads_only,
          [&](std::size_t i, protocol::PayloadWriter& w) {
            const bool read = ops[i].kind == protocol::RegisterOp::Kind::read;
            w.bytes(read ? protocol::encode_reg_read(ops[i].address)
                         : protocol::encode_reg_write(ops[i].address, ops[i].value));
            return PipelineItem{read ? protocol::Opcode::reg_read : protocol::Opcode::reg_write,
                                register_label(ops[i].address),
                                0,
                                {}};
          },
          [&](std::size_t i, std::span<const std::uint8_t> payload) {
            protocol::PayloadReader r(payload, "register response");
            values.push_back(ops[i].kind == protocol::RegisterOp::Kind::read ? r.u32() : ops[i].value);
            r.expect_end();
          });
    } catch (const Error& e) {
      // "<device>: operation i: <what failed>", the same shape as a batch failure.
      std::string_view rest = e.message();
      if (const std::string prefix = name_ + ": "; rest.starts_with(prefix))
        rest.remove_prefix(prefix.size());
      throw_error(e.code(), fmt::format("{}: operation {}: {}", name_, values.size(), rest));
    }
    return values;
  }
  const std::size_t frames = (ops.size() + batch_limit_ - 1) / batch_limit_;
  pipelined(
      frames, reads_only,
      [&](std::size_t f, protocol::PayloadWriter& w) {
        const std::size_t start = f * batch_limit_;
        const auto part = ops.subspan(start, std::min(batch_limit_, ops.size() - start));
        w.bytes(protocol::encode_reg_batch(part, static_cast<std::uint32_t>(start)));
        return PipelineItem{
            protocol::Opcode::reg_batch,
            fmt::format("of operations {}..{} of {}", start, start + part.size() - 1, ops.size()),
            0,
            {}};
      },
      [&](std::size_t f, std::span<const std::uint8_t> payload) {
        const std::size_t start = f * batch_limit_;
        const std::size_t n = std::min(batch_limit_, ops.size() - start);
        auto got = decode(fmt::format("reg_batch of operations {}..{}", start, start + n - 1),
                          [&] { return protocol::decode_reg_values(payload, n); });
        values.insert(values.end(), got.begin(), got.end());
      });
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
  const auto check = [&](std::uint64_t at, std::size_t n, std::size_t got) {
    if (got != n)
      throw ProtocolError(ErrorCode::protocol,
                          fmt::format("{}: mem_read 0x{:x}+{}: device returned {} bytes", name_, at, n, got));
  };
  if (transport_->capabilities().pipeline_depth > 1 && out.size() > chunk) {
    // Several chunks in flight: a remote link pays its latency once per window, not per chunk.
    pipelined((out.size() + chunk - 1) / chunk, true,
              [&](std::size_t i, protocol::PayloadWriter& w) {
                const std::size_t n = std::min(chunk, out.size() - i * chunk);
                const std::uint64_t at = address + i * chunk;
                w.bytes(protocol::encode(protocol::MemReadRequest{at, static_cast<std::uint32_t>(n)}));
                return PipelineItem{protocol::Opcode::mem_read, fmt::format("0x{:x}+{}", at, n), n,
                                    out.subspan(i * chunk, n)};
              },
              [&](std::size_t i, std::span<const std::uint8_t> payload) {
                check(address + i * chunk, std::min(chunk, out.size() - i * chunk), payload.size());
              });
    return;
  }
  for (std::size_t done = 0; done < out.size();) {
    const std::size_t n = std::min(chunk, out.size() - done);
    const std::uint64_t at = address + done;
    auto w = begin_request();
    w.bytes(protocol::encode(protocol::MemReadRequest{at, static_cast<std::uint32_t>(n)}));
    // The payload lands in `out` as its CRC is checked; a chunk whose check fails throws.
    check(at, n,
          send_bulk(protocol::Opcode::mem_read, std::move(w), {}, out.subspan(done, n),
                    fmt::format("0x{:x}+{}", at, n)));
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
  const auto check = [&](const std::string& label, std::size_t got) {
    if (got != 0)
      throw ProtocolError(
          ErrorCode::protocol,
          fmt::format("{}: mem_write {}: the response carries {} unexpected bytes", name_, label, got));
  };
  if (transport_->capabilities().pipeline_depth > 1 && data.size() > chunk) {
    pipelined((data.size() + chunk - 1) / chunk, true,
              [&](std::size_t i, protocol::PayloadWriter& w) {
                const std::size_t n = std::min(chunk, data.size() - i * chunk);
                const std::uint64_t at = address + i * chunk;
                w.u64(at);
                w.bulk(data.subspan(i * chunk, n));
                return PipelineItem{protocol::Opcode::mem_write, fmt::format("0x{:x}+{}", at, n), n, {}};
              },
              [&](std::size_t i, std::span<const std::uint8_t> payload) {
                const std::size_t n = std::min(chunk, data.size() - i * chunk);
                check(fmt::format("0x{:x}+{}", address + i * chunk, n), payload.size());
              });
    return;
  }
  for (std::size_t done = 0; done < data.size();) {
    const std::size_t n = std::min(chunk, data.size() - done);
    const std::uint64_t at = address + done;
    auto w = begin_request();
    w.u64(at);
    const std::string label = fmt::format("0x{:x}+{}", at, n);
    check(label, send_bulk(protocol::Opcode::mem_write, std::move(w), data.subspan(done, n), {}, label));
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

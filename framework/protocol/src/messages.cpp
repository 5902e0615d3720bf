#include <fmt/core.h>

#include <seedval/protocol/messages.h>
#include <seedval/protocol/payload.h>

namespace seedval::protocol {

std::vector<std::uint8_t> encode(const IdentifyResponse& m) {
  PayloadWriter w;
  w.u32(m.chip_id);
  w.u32(m.revision);
  w.u64(m.ecid);
  w.u64(m.capabilities);
  w.u64(m.memory_size);
  w.string(m.model);
  return std::move(w).take();
}

IdentifyResponse decode_identify_response(std::span<const std::uint8_t> payload) {
  PayloadReader r(payload, "identify response");
  IdentifyResponse m;
  m.chip_id = r.u32();
  m.revision = r.u32();
  m.ecid = r.u64();
  m.capabilities = r.u64();
  m.memory_size = r.u64();
  m.model = r.string();
  r.expect_end();
  return m;
}

std::vector<std::uint8_t> encode(const TensorCapabilities& m) {
  PayloadWriter w;
  w.u32(m.cores);
  w.u32(m.lanes_per_core);
  w.u32(m.dtypes);
  w.u32(static_cast<std::uint32_t>(m.operators.size()));
  for (auto op : m.operators) w.u16(op);
  return std::move(w).take();
}

TensorCapabilities decode_tensor_capabilities(std::span<const std::uint8_t> payload) {
  PayloadReader r(payload, "tensor_caps response");
  TensorCapabilities m;
  m.cores = r.u32();
  m.lanes_per_core = r.u32();
  m.dtypes = r.u32();
  const std::uint32_t count = r.u32();
  if (count > 4096)
    throw ProtocolError(ErrorCode::protocol,
                        fmt::format("tensor_caps response: {} operators exceeds the limit of 4096", count));
  m.operators.reserve(count);
  for (std::uint32_t i = 0; i < count; ++i) m.operators.push_back(r.u16());
  r.expect_end();
  return m;
}

std::vector<std::uint8_t> encode_reg_read(std::uint32_t address) {
  PayloadWriter w;
  w.u32(address);
  return std::move(w).take();
}

std::vector<std::uint8_t> encode_reg_write(std::uint32_t address, std::uint32_t value) {
  PayloadWriter w;
  w.u32(address);
  w.u32(value);
  return std::move(w).take();
}

std::vector<std::uint8_t> encode_reg_batch(std::span<const RegisterOp> ops, std::uint32_t first_index) {
  if (ops.size() > kMaxBatchOps)
    throw InvalidArgumentError(
        ErrorCode::invalid_argument,
        fmt::format("a register batch holds at most {} operations, got {}", kMaxBatchOps, ops.size()));
  PayloadWriter w;
  w.reserve(8 + ops.size() * kRegisterOpSize);
  w.u32(static_cast<std::uint32_t>(ops.size()));
  w.u32(first_index);
  for (const auto& op : ops) {
    w.u8(static_cast<std::uint8_t>(op.kind));
    w.u32(op.address);
    w.u32(op.value);
  }
  return std::move(w).take();
}

RegBatchRequest decode_reg_batch(std::span<const std::uint8_t> payload) {
  PayloadReader r(payload, "reg_batch request");
  const std::uint32_t n = r.u32();
  if (n > kMaxBatchOps) r.fail(fmt::format("{} operations exceed the maximum of {}", n, kMaxBatchOps));
  RegBatchRequest out;
  out.first_index = r.u32();
  if (r.remaining() != std::size_t{n} * kRegisterOpSize)
    r.fail(fmt::format("{} operations need {} bytes, {} present", n, std::size_t{n} * kRegisterOpSize,
                       r.remaining()));
  out.ops.resize(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    const std::uint8_t kind = r.u8();
    if (kind > 1) r.fail(fmt::format("operation {}: unknown kind {}", i, kind));
    out.ops[i].kind = static_cast<RegisterOp::Kind>(kind);
    out.ops[i].address = r.u32();
    out.ops[i].value = r.u32();
  }
  return out;
}

std::vector<std::uint8_t> encode_reg_values(std::span<const std::uint32_t> values) {
  PayloadWriter w;
  w.reserve(4 + values.size() * 4);
  w.u32(static_cast<std::uint32_t>(values.size()));
  for (auto v : values) w.u32(v);
  return std::move(w).take();
}

std::vector<std::uint32_t> decode_reg_values(std::span<const std::uint8_t> payload, std::size_t expected) {
  PayloadReader r(payload, "reg_batch response");
  const std::uint32_t n = r.u32();
  if (n != expected) r.fail(fmt::format("{} values for {} operations", n, expected));
  if (r.remaining() != std::size_t{n} * 4)
    r.fail(fmt::format("{} values need {} bytes, {} present", n, std::size_t{n} * 4, r.remaining()));
  std::vector<std::uint32_t> values(n);
  for (auto& v : values) v = r.u32();
  return values;
}

std::vector<std::uint8_t> encode(const MemReadRequest& m) {
  PayloadWriter w;
  w.u64(m.address);
  w.u32(m.length);
  return std::move(w).take();
}

MemReadRequest decode_mem_read(std::span<const std::uint8_t> payload) {
  PayloadReader r(payload, "mem_read request");
  MemReadRequest m;
  m.address = r.u64();
  m.length = r.u32();
  r.expect_end();
  return m;
}

std::vector<std::uint8_t> encode_mem_write(std::uint64_t address, std::span<const std::uint8_t> data) {
  PayloadWriter w;
  w.reserve(8 + data.size());
  w.u64(address);
  w.bytes(data);
  return std::move(w).take();
}

std::vector<std::uint8_t> encode(const MemFillRequest& m) {
  PayloadWriter w;
  w.u64(m.address);
  w.u64(m.length);
  w.u64(m.pattern);
  return std::move(w).take();
}

MemFillRequest decode_mem_fill(std::span<const std::uint8_t> payload) {
  PayloadReader r(payload, "mem_fill request");
  MemFillRequest m;
  m.address = r.u64();
  m.length = r.u64();
  m.pattern = r.u64();
  r.expect_end();
  return m;
}

std::vector<std::uint8_t> encode(const MbistRequest& m) {
  PayloadWriter w;
  w.reserve(53 + m.program.size());
  w.u64(m.address);
  w.u64(m.length);
  w.u64(m.pattern);
  w.u64(m.invert_mask);
  w.u8(m.any_order);
  w.u64(m.retention_delay_us);
  w.u32(m.max_fails);
  w.u32(static_cast<std::uint32_t>(m.program.size()));
  w.bytes(m.program);
  return std::move(w).take();
}

MbistRequest decode_mbist_request(std::span<const std::uint8_t> payload) {
  PayloadReader r(payload, "mbist request");
  MbistRequest m;
  m.address = r.u64();
  m.length = r.u64();
  m.pattern = r.u64();
  m.invert_mask = r.u64();
  m.any_order = r.u8();
  if (m.any_order > 1) r.fail(fmt::format("any_order {} is neither 0 (up) nor 1 (down)", m.any_order));
  m.retention_delay_us = r.u64();
  m.max_fails = r.u32();
  if (m.max_fails > kMaxMbistFails)
    r.fail(fmt::format("max_fails {} exceeds the fail memory of {}", m.max_fails, kMaxMbistFails));
  const std::uint32_t n = r.u32();
  if (n != r.remaining()) r.fail(fmt::format("program of {} bytes, {} present", n, r.remaining()));
  const auto program = r.bytes(n);
  m.program.assign(program.begin(), program.end());
  return m;
}

namespace {
constexpr std::size_t kFailRecordSize = 28;
}

std::vector<std::uint8_t> encode(const MbistResponse& m) {
  PayloadWriter w;
  w.reserve(28 + m.fails.size() * kFailRecordSize);
  w.u64(m.fail_count);
  w.u64(m.operations);
  w.u64(m.device_ns);
  w.u32(static_cast<std::uint32_t>(m.fails.size()));
  for (const auto& f : m.fails) {
    w.u64(f.word);
    w.u64(f.expected);
    w.u64(f.actual);
    w.u16(f.element);
    w.u16(f.op);
  }
  return std::move(w).take();
}

MbistResponse decode_mbist_response(std::span<const std::uint8_t> payload) {
  PayloadReader r(payload, "mbist response");
  MbistResponse m;
  m.fail_count = r.u64();
  m.operations = r.u64();
  m.device_ns = r.u64();
  const std::uint32_t n = r.u32();
  if (n > kMaxMbistFails) r.fail(fmt::format("{} fail records exceed the maximum of {}", n, kMaxMbistFails));
  if (n > m.fail_count) r.fail(fmt::format("{} fail records for a fail count of {}", n, m.fail_count));
  if (r.remaining() != std::size_t{n} * kFailRecordSize)
    r.fail(fmt::format("{} fail records need {} bytes, {} present", n, std::size_t{n} * kFailRecordSize,
                       r.remaining()));
  m.fails.resize(n);
  for (auto& f : m.fails) {
    f.word = r.u64();
    f.expected = r.u64();
    f.actual = r.u64();
    f.element = r.u16();
    f.op = r.u16();
  }
  return m;
}

std::vector<std::uint8_t> encode(const TensorResponse& m) {
  PayloadWriter w;
  w.u64(m.macs);
  w.u64(m.elements);
  w.u64(m.device_ns);
  return std::move(w).take();
}

TensorResponse decode_tensor_response(std::span<const std::uint8_t> payload) {
  PayloadReader r(payload, "tensor response");
  TensorResponse m;
  m.macs = r.u64();
  m.elements = r.u64();
  m.device_ns = r.u64();
  r.expect_end();
  return m;
}

std::vector<std::uint8_t> encode(const SensorsResponse& m) {
  PayloadWriter w;
  w.u32(static_cast<std::uint32_t>(m.temperature_mc));
  w.u32(static_cast<std::uint32_t>(m.hbm_temperature_mc));
  w.u32(m.power_mw);
  w.u32(m.current_ma);
  w.u32(m.vdd_core_mv);
  w.u32(m.vdd_hbm_mv);
  w.u32(m.frequency_mhz);
  w.u32(m.status);
  w.u64(m.time_us);
  return std::move(w).take();
}

SensorsResponse decode_sensors_response(std::span<const std::uint8_t> payload) {
  PayloadReader r(payload, "sensors response");
  SensorsResponse m;
  m.temperature_mc = static_cast<std::int32_t>(r.u32());
  m.hbm_temperature_mc = static_cast<std::int32_t>(r.u32());
  m.power_mw = r.u32();
  m.current_ma = r.u32();
  m.vdd_core_mv = r.u32();
  m.vdd_hbm_mv = r.u32();
  m.frequency_mhz = r.u32();
  m.status = r.u32();
  m.time_us = r.u64();
  r.expect_end();
  return m;
}

std::vector<std::uint8_t> encode(const HoldRequest& m) {
  PayloadWriter w;
  w.u64(m.duration_us);
  w.u32(m.core_mask);
  w.u16(m.utilisation_permille);
  return std::move(w).take();
}

HoldRequest decode_hold_request(std::span<const std::uint8_t> payload) {
  PayloadReader r(payload, "hold request");
  HoldRequest m;
  m.duration_us = r.u64();
  m.core_mask = r.u32();
  m.utilisation_permille = r.u16();
  r.expect_end();
  if (m.utilisation_permille > 1000)
    r.fail(fmt::format("utilisation of {} per mille exceeds 1000", m.utilisation_permille));
  return m;
}

std::vector<std::uint8_t> encode(const OperatingPointRequest& m) {
  PayloadWriter w;
  w.u32(m.vdd_core_mv);
  w.u32(m.frequency_mhz);
  w.u32(m.vdd_hbm_mv);
  return std::move(w).take();
}

OperatingPointRequest decode_operating_point_request(std::span<const std::uint8_t> payload) {
  PayloadReader r(payload, "operating_point request");
  OperatingPointRequest m;
  m.vdd_core_mv = r.u32();
  m.frequency_mhz = r.u32();
  m.vdd_hbm_mv = r.u32();
  r.expect_end();
  return m;
}

}  // namespace seedval::protocol

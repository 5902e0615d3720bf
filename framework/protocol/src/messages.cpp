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

}  // namespace seedval::protocol

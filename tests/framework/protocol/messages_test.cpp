// Tests for seedval/protocol/messages.h: every typed payload round-trips, and decoders reject payloads
// whose sizes or fields do not add up, naming the payload and the problem.
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <seedval/protocol/messages.h>
#include <seedval/protocol/payload.h>

#include "support/errors.h"

namespace seedval::protocol {
namespace {

using Bytes = std::vector<std::uint8_t>;

// Predicate for BOOST_CHECK_EXCEPTION: a ProtocolError (code protocol) whose message holds `needle`.
auto protocol_error(std::string needle) {
  return testing::error_with(ErrorCode::protocol, std::move(needle));
}

bool same(const RegisterOp& a, const RegisterOp& b) {
  return a.kind == b.kind && a.address == b.address && a.value == b.value;
}

std::vector<RegisterOp> sample_ops(std::size_t n) {
  std::vector<RegisterOp> ops(n);
  for (std::size_t i = 0; i < n; ++i) {
    ops[i].kind = i % 3 == 0 ? RegisterOp::Kind::write : RegisterOp::Kind::read;
    ops[i].address = static_cast<std::uint32_t>(0x20 + 4 * i);
    ops[i].value = ops[i].kind == RegisterOp::Kind::write ? static_cast<std::uint32_t>(i * 0x01010101u) : 0u;
  }
  return ops;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(protocol_messages)

// --- identify ----------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(identify_response_round_trip) {
  IdentifyResponse m;
  m.chip_id = 0x5EEDC41B;
  m.revision = 0xA0;
  m.ecid = 0xFEDCBA9876543210ull;
  m.capabilities = 0x1FF;
  m.memory_size = 1ull << 34;
  m.model = "seedchip-sim";
  const Bytes payload = encode(m);
  BOOST_TEST(payload.size() == 4u + 4 + 8 + 8 + 8 + 2 + m.model.size());
  const IdentifyResponse d = decode_identify_response(payload);
  BOOST_TEST(d.chip_id == m.chip_id);
  BOOST_TEST(d.revision == m.revision);
  BOOST_TEST(d.ecid == m.ecid);
  BOOST_TEST(d.capabilities == m.capabilities);
  BOOST_TEST(d.memory_size == m.memory_size);
  BOOST_TEST(d.model == m.model);
}

BOOST_AUTO_TEST_CASE(identify_response_with_empty_model) {
  IdentifyResponse m;
  m.chip_id = 1;
  const IdentifyResponse d = decode_identify_response(encode(m));
  BOOST_TEST(d.model.empty());
  BOOST_TEST(d.chip_id == 1u);
}

BOOST_AUTO_TEST_CASE(identify_response_rejects_short_and_long_payloads) {
  IdentifyResponse m;
  m.model = "abc";
  Bytes payload = encode(m);
  const Bytes shorter(payload.begin(), payload.end() - 1);
  BOOST_CHECK_EXCEPTION(decode_identify_response(shorter), ProtocolError,
                        protocol_error("identify response: truncated at offset 34"));
  payload.push_back(0);
  BOOST_CHECK_EXCEPTION(decode_identify_response(payload), ProtocolError,
                        protocol_error("identify response: 1 unexpected bytes"));
  BOOST_CHECK_EXCEPTION(decode_identify_response({}), ProtocolError, protocol_error("truncated at offset 0"));
}

// --- registers ---------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(reg_read_and_write_layout) {
  BOOST_TEST((encode_reg_read(0x00000034) == Bytes{0x34, 0, 0, 0}));
  BOOST_TEST((encode_reg_write(0x20, 0xCAFEF00D) == Bytes{0x20, 0, 0, 0, 0x0D, 0xF0, 0xFE, 0xCA}));
}

BOOST_AUTO_TEST_CASE(reg_batch_layout) {
  const std::vector<RegisterOp> ops{{RegisterOp::Kind::write, 0x20, 0x11223344}};
  const Bytes expected{1, 0, 0, 0, 0, 0, 0, 0, 1, 0x20, 0, 0, 0, 0x44, 0x33, 0x22, 0x11};
  BOOST_TEST(encode_reg_batch(ops) == expected, boost::test_tools::per_element());
  const Bytes with_index{1, 0, 0, 0, 0x03, 0, 0x01, 0, 1, 0x20, 0, 0, 0, 0x44, 0x33, 0x22, 0x11};
  BOOST_TEST(encode_reg_batch(ops, 0x10003) == with_index, boost::test_tools::per_element());
  BOOST_TEST(decode_reg_batch(with_index).first_index == 0x10003u);
}

BOOST_AUTO_TEST_CASE(reg_batch_round_trip) {
  for (std::size_t n : {0u, 1u, 2u, 1000u}) {
    const auto ops = sample_ops(n);
    const Bytes payload = encode_reg_batch(ops);
    BOOST_TEST(payload.size() == 8 + n * kRegisterOpSize);
    const auto decoded = decode_reg_batch(payload).ops;
    BOOST_REQUIRE(decoded.size() == n);
    for (std::size_t i = 0; i < n; ++i) BOOST_TEST(same(decoded[i], ops[i]), "n " << n << " op " << i);
  }
}

BOOST_AUTO_TEST_CASE(reg_batch_at_the_maximum) {
  const auto ops = sample_ops(kMaxBatchOps);
  const auto decoded = decode_reg_batch(encode_reg_batch(ops)).ops;
  BOOST_TEST(decoded.size() == kMaxBatchOps);
  BOOST_TEST(same(decoded.back(), ops.back()));
}

BOOST_AUTO_TEST_CASE(encode_reg_batch_rejects_too_many_operations) {
  const std::vector<RegisterOp> ops(kMaxBatchOps + 1);
  BOOST_CHECK_EXCEPTION(encode_reg_batch(ops), InvalidArgumentError, [](const InvalidArgumentError& e) {
    BOOST_TEST_MESSAGE("got: " << e.what());
    return e.code() == ErrorCode::invalid_argument &&
           e.message() == "a register batch holds at most 65536 operations, got 65537";
  });
}

BOOST_AUTO_TEST_CASE(decode_reg_batch_rejects_count_and_size_mismatch) {
  Bytes payload = encode_reg_batch(sample_ops(2));
  // Count says 2, one operation's bytes are missing.
  const Bytes shorter(payload.begin(), payload.end() - kRegisterOpSize);
  BOOST_CHECK_EXCEPTION(decode_reg_batch(shorter), ProtocolError,
                        protocol_error("reg_batch request: 2 operations need 18 bytes, 9 present"));
  // One byte too many.
  payload.push_back(0);
  BOOST_CHECK_EXCEPTION(decode_reg_batch(payload), ProtocolError,
                        protocol_error("reg_batch request: 2 operations need 18 bytes, 19 present"));
  // A partial operation.
  const Bytes partial(payload.begin(), payload.begin() + 8 + kRegisterOpSize + 3);
  BOOST_CHECK_EXCEPTION(decode_reg_batch(partial), ProtocolError,
                        protocol_error("2 operations need 18 bytes, 12 present"));
  // No count at all.
  BOOST_CHECK_EXCEPTION(decode_reg_batch(Bytes{1, 0}), ProtocolError,
                        protocol_error("reg_batch request: truncated at offset 0"));
}

BOOST_AUTO_TEST_CASE(decode_reg_batch_rejects_an_unknown_kind) {
  Bytes payload = encode_reg_batch(sample_ops(3));
  payload[8 + kRegisterOpSize] = 2;  // kind of operation 1
  BOOST_CHECK_EXCEPTION(decode_reg_batch(payload), ProtocolError,
                        protocol_error("reg_batch request: operation 1: unknown kind 2"));
  payload[8 + kRegisterOpSize] = 0xFF;
  BOOST_CHECK_EXCEPTION(decode_reg_batch(payload), ProtocolError,
                        protocol_error("operation 1: unknown kind 255"));
}

BOOST_AUTO_TEST_CASE(decode_reg_batch_rejects_a_count_above_the_maximum) {
  // Only the count: the check must come before any size arithmetic or allocation.
  for (std::uint32_t count : {static_cast<std::uint32_t>(kMaxBatchOps + 1), 0xFFFFFFFFu}) {
    PayloadWriter w;
    w.u32(count);
    BOOST_CHECK_EXCEPTION(decode_reg_batch(w.data()), ProtocolError,
                          protocol_error(std::to_string(count) + " operations exceed the maximum of 65536"));
  }
}

BOOST_AUTO_TEST_CASE(reg_values_round_trip) {
  const std::vector<std::uint32_t> values{0, 1, 0xDEADBEEF, 0xFFFFFFFF};
  const Bytes payload = encode_reg_values(values);
  BOOST_TEST(payload.size() == 4u + 4 * values.size());
  BOOST_TEST(decode_reg_values(payload, values.size()) == values, boost::test_tools::per_element());
  BOOST_TEST(decode_reg_values(encode_reg_values({}), 0).empty());
}

BOOST_AUTO_TEST_CASE(reg_values_count_mismatch) {
  const std::vector<std::uint32_t> values{1, 2, 3};
  const Bytes payload = encode_reg_values(values);
  BOOST_CHECK_EXCEPTION(decode_reg_values(payload, 2), ProtocolError,
                        protocol_error("reg_batch response: 3 values for 2 operations"));
  BOOST_CHECK_EXCEPTION(decode_reg_values(payload, 4), ProtocolError,
                        protocol_error("3 values for 4 operations"));
  const Bytes shorter(payload.begin(), payload.end() - 1);
  BOOST_CHECK_EXCEPTION(decode_reg_values(shorter, 3), ProtocolError,
                        protocol_error("reg_batch response: 3 values need 12 bytes, 11 present"));
  Bytes longer = payload;
  longer.push_back(0);
  BOOST_CHECK_EXCEPTION(decode_reg_values(longer, 3), ProtocolError,
                        protocol_error("3 values need 12 bytes, 13 present"));
}

// --- memory ------------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(mem_read_round_trip) {
  const MemReadRequest m{0x0000'0004'0000'1000ull, 0xFFFFFFFF};
  const Bytes payload = encode(m);
  BOOST_TEST(payload.size() == 12u);
  const MemReadRequest d = decode_mem_read(payload);
  BOOST_TEST(d.address == m.address);
  BOOST_TEST(d.length == m.length);
}

BOOST_AUTO_TEST_CASE(mem_read_rejects_extra_and_missing_bytes) {
  Bytes payload = encode(MemReadRequest{16, 4});
  payload.push_back(0);
  BOOST_CHECK_EXCEPTION(decode_mem_read(payload), ProtocolError,
                        protocol_error("mem_read request: 1 unexpected bytes after offset 12"));
  payload.resize(11);
  BOOST_CHECK_EXCEPTION(
      decode_mem_read(payload), ProtocolError,
      protocol_error("mem_read request: truncated at offset 8: a u32 needs 4 bytes, 3 left"));
}

BOOST_AUTO_TEST_CASE(mem_write_layout) {
  const Bytes data{0xAA, 0xBB, 0xCC};
  const Bytes payload = encode_mem_write(0x0102030405060708ull, data);
  const Bytes expected{0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, 0xAA, 0xBB, 0xCC};
  BOOST_TEST(payload == expected, boost::test_tools::per_element());
  PayloadReader r(payload, "mem_write request");
  BOOST_TEST(r.u64() == 0x0102030405060708ull);
  const auto rest = r.rest();
  BOOST_TEST((Bytes(rest.begin(), rest.end()) == data));
  BOOST_TEST(encode_mem_write(5, {}).size() == 8u);
}

BOOST_AUTO_TEST_CASE(mem_fill_round_trip) {
  const MemFillRequest m{0x1000, 1ull << 33, 0x0123456789ABCDEFull};
  const Bytes payload = encode(m);
  BOOST_TEST(payload.size() == 24u);
  const MemFillRequest d = decode_mem_fill(payload);
  BOOST_TEST(d.address == m.address);
  BOOST_TEST(d.length == m.length);
  BOOST_TEST(d.pattern == m.pattern);
}

BOOST_AUTO_TEST_CASE(mem_fill_rejects_extra_and_missing_bytes) {
  Bytes payload = encode(MemFillRequest{0, 8, 0});
  payload.insert(payload.end(), {1, 2, 3});
  BOOST_CHECK_EXCEPTION(decode_mem_fill(payload), ProtocolError,
                        protocol_error("mem_fill request: 3 unexpected bytes after offset 24"));
  payload.resize(20);
  BOOST_CHECK_EXCEPTION(decode_mem_fill(payload), ProtocolError,
                        protocol_error("mem_fill request: truncated at offset 16"));
}

BOOST_AUTO_TEST_CASE(mbist_request_round_trips_and_rejects_bad_fields) {
  MbistRequest m;
  m.address = 0x1000;
  m.length = 0x20000;
  m.pattern = 0x5555555555555555ull;
  m.invert_mask = 0x81;
  m.any_order = 1;
  m.retention_delay_us = 64000;
  m.max_fails = 100;
  m.program = {1, 0, 2, 1, 1};
  const Bytes bytes = encode(m);
  const MbistRequest back = decode_mbist_request(bytes);
  BOOST_TEST(back.address == m.address);
  BOOST_TEST(back.length == m.length);
  BOOST_TEST(back.pattern == m.pattern);
  BOOST_TEST(back.invert_mask == m.invert_mask);
  BOOST_TEST(back.any_order == 1);
  BOOST_TEST(back.retention_delay_us == 64000u);
  BOOST_TEST(back.max_fails == 100u);
  BOOST_TEST(back.program == m.program);
  for (std::size_t n = 0; n < bytes.size(); ++n)
    BOOST_CHECK_THROW(decode_mbist_request({bytes.data(), n}), ProtocolError);
  Bytes order = bytes;
  order[32] = 2;
  BOOST_CHECK_EXCEPTION(decode_mbist_request(order), ProtocolError,
                        testing::error_with(ErrorCode::protocol, "mbist request: any_order 2"));
  m.max_fails = kMaxMbistFails + 1;
  BOOST_CHECK_EXCEPTION(decode_mbist_request(encode(m)), ProtocolError,
                        testing::error_with(ErrorCode::protocol, "exceeds the fail memory"));
}

BOOST_AUTO_TEST_CASE(mbist_response_round_trips_and_checks_counts) {
  MbistResponse m;
  m.fail_count = 7;
  m.operations = 1000;
  m.device_ns = 123456;
  m.fails = {{10, 0, 1, 1, 0}, {11, ~0ull, 0xFFull, 4, 2}};
  const MbistResponse back = decode_mbist_response(encode(m));
  BOOST_TEST(back.fail_count == 7u);
  BOOST_TEST(back.operations == 1000u);
  BOOST_TEST(back.device_ns == 123456u);
  BOOST_REQUIRE(back.fails.size() == 2u);
  BOOST_TEST(back.fails[1].word == 11u);
  BOOST_TEST(back.fails[1].expected == ~0ull);
  BOOST_TEST(back.fails[1].actual == 0xFFu);
  BOOST_TEST(back.fails[1].element == 4);
  BOOST_TEST(back.fails[1].op == 2);
  m.fail_count = 1;  // fewer failing reads than records: a lying device
  BOOST_CHECK_EXCEPTION(decode_mbist_response(encode(m)), ProtocolError,
                        testing::error_with(ErrorCode::protocol, "2 fail records for a fail count of 1"));
}

BOOST_AUTO_TEST_CASE(sensor_hold_and_operating_point_messages_round_trip) {
  SensorsResponse s{.temperature_mc = -5000,
                    .hbm_temperature_mc = 41000,
                    .power_mw = 12345,
                    .current_ma = 16000,
                    .vdd_core_mv = 749,
                    .vdd_hbm_mv = 1100,
                    .frequency_mhz = 1200,
                    .status = 3,
                    .time_us = 1ull << 40};
  const SensorsResponse t = decode_sensors_response(encode(s));
  BOOST_TEST(t.temperature_mc == -5000);
  BOOST_TEST(t.hbm_temperature_mc == 41000);
  BOOST_TEST(t.power_mw == 12345u);
  BOOST_TEST(t.time_us == (1ull << 40));
  const HoldRequest h = decode_hold_request(encode(HoldRequest{5'000'000, 0x3FF, 750}));
  BOOST_TEST(h.duration_us == 5'000'000u);
  BOOST_TEST(h.core_mask == 0x3FFu);
  BOOST_TEST(h.utilisation_permille == 750);
  BOOST_CHECK_EXCEPTION(decode_hold_request(encode(HoldRequest{1, 1, 1001})), ProtocolError,
                        testing::error_with(ErrorCode::protocol, "1001 per mille"));
  const auto op = decode_operating_point_request(encode(OperatingPointRequest{800, 1500, 1150}));
  BOOST_TEST(op.vdd_core_mv == 800u);
  BOOST_TEST(op.frequency_mhz == 1500u);
  BOOST_TEST(op.vdd_hbm_mv == 1150u);
  const auto tr = decode_tensor_response(encode(TensorResponse{1u << 20, 4096, 777}));
  BOOST_TEST(tr.macs == (1u << 20));
  BOOST_TEST(tr.elements == 4096u);
  BOOST_TEST(tr.device_ns == 777u);
}

BOOST_AUTO_TEST_CASE(tensor_capabilities_round_trip_and_reject_bad_lengths) {
  const TensorCapabilities c{
      .cores = 10, .lanes_per_core = 16, .dtypes = 0xFF, .operators = {0x100, 0x101, 0x900}};
  const Bytes wire = encode(c);
  BOOST_TEST(wire.size() == 16u + 3u * 2u);
  BOOST_TEST((decode_tensor_capabilities(wire) == c));
  Bytes truncated(wire.begin(), wire.end() - 1);
  BOOST_CHECK_THROW(decode_tensor_capabilities(truncated), ProtocolError);
  Bytes extra = wire;
  extra.push_back(0);
  BOOST_CHECK_THROW(decode_tensor_capabilities(extra), ProtocolError);
  Bytes huge = encode(TensorCapabilities{});
  huge[12] = 0x01;
  huge[13] = 0x10;  // 4097 operators
  BOOST_CHECK_EXCEPTION(decode_tensor_capabilities(huge), ProtocolError,
                        testing::error_with(ErrorCode::protocol, "4097 operators exceeds the limit"));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval::protocol

// Tests of the Device link-level calls against the SeedChip model: ping, raw call, reset, cancellation.
#include <cstdint>
#include <random>
#include <stop_token>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <seedval/chip/identity.h>
#include <seedval/chip/registers.h>
#include <seedval/core/error.h>
#include <seedval/device/device.h>
#include <seedval/protocol/frame.h>

#include "support/errors.h"
#include "support/sim_bench.h"

namespace seedval {
namespace {

using testing::expect_error;
using testing::kSimName;

testing::SimBench make_bench() {
  return testing::make_sim_bench(
      testing::chip_model(testing::population("device-link"), {"LINK", 11, 12, 13}, 1u << 20));
}

std::vector<std::uint8_t> random_bytes(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::uint8_t> out(n);
  for (auto& b : out) b = static_cast<std::uint8_t>(rng());
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(device_link)

BOOST_AUTO_TEST_CASE(ping_echoes_its_payload) {
  auto b = make_bench();
  Device& dev = *b.device;
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{64} << 10}) {
    BOOST_TEST_CONTEXT(n << " bytes") {
      const auto data = random_bytes(n, n + 1);
      const auto echo = dev.ping(data);
      BOOST_TEST(echo.size() == n);
      BOOST_TEST((echo == data));
    }
  }
}

BOOST_AUTO_TEST_CASE(ping_of_the_largest_frame_payload_echoes_and_one_more_byte_is_refused) {
  auto b = make_bench();
  Device& dev = *b.device;
  const auto data = random_bytes(protocol::kMaxPayload, 9);
  BOOST_TEST((dev.ping(data) == data));
  const auto too_big = std::vector<std::uint8_t>(protocol::kMaxPayload + 1, 0x5A);
  const auto msg =
      expect_error<InvalidArgumentError>([&] { dev.ping(too_big); }, ErrorCode::invalid_argument);
  CHECK_STARTS_WITH(msg, kSimName + ": ping");
  CHECK_CONTAINS(msg, "exceeds");
  // The refusal did not desynchronise the link.
  BOOST_TEST((dev.ping(std::vector<std::uint8_t>{1, 2, 3}) == std::vector<std::uint8_t>{1, 2, 3}));
}

BOOST_AUTO_TEST_CASE(raw_call_returns_the_response_payload) {
  auto b = make_bench();
  Device& dev = *b.device;
  const std::vector<std::uint8_t> reg_read_chip_id{0, 0, 0, 0};
  const auto payload = dev.call(protocol::Opcode::reg_read, reg_read_chip_id);
  BOOST_REQUIRE(payload.size() == 4u);
  const std::uint32_t value =
      payload[0] | (payload[1] << 8) | (payload[2] << 16) | (std::uint32_t{payload[3]} << 24);
  BOOST_TEST(value == chip::kChipId);
}

BOOST_AUTO_TEST_CASE(malformed_raw_request_is_a_protocol_error_from_the_device) {
  auto b = make_bench();
  Device& dev = *b.device;
  const std::vector<std::uint8_t> short_payload{0, 0};  // a reg_read address needs four bytes
  const auto msg = expect_error<ProtocolError>([&] { dev.call(protocol::Opcode::reg_read, short_payload); },
                                               ErrorCode::protocol);
  CHECK_STARTS_WITH(msg, kSimName + ": reg_read");
  CHECK_CONTAINS(msg, "truncated");
}

BOOST_AUTO_TEST_CASE(unknown_opcode_is_unsupported) {
  auto b = make_bench();
  Device& dev = *b.device;
  const auto msg = expect_error<UnsupportedError>(
      [&] { dev.call(static_cast<protocol::Opcode>(0x42), std::vector<std::uint8_t>{}); },
      ErrorCode::unsupported);
  CHECK_STARTS_WITH(msg, kSimName);
  CHECK_CONTAINS(msg, "not supported");
}

BOOST_AUTO_TEST_CASE(reset_restores_registers_and_invalidates_identity) {
  auto b = make_bench();
  Device& dev = *b.device;
  const auto ecid = dev.identify().ecid;
  dev.write_register(chip::reg::SCRATCH0, 0xC0FFEEu);
  dev.write_register(chip::reg::VDD_CORE_MV, 800u);
  dev.reset();  // soft by default
  BOOST_TEST(dev.read_register(chip::reg::SCRATCH0) == 0u);
  BOOST_TEST(dev.read_register(chip::reg::VDD_CORE_MV) == 750u);
  BOOST_TEST(dev.identify().ecid == ecid);
}

BOOST_AUTO_TEST_CASE(requested_stop_cancels_calls_before_they_reach_the_device) {
  auto b = make_bench();
  Device& dev = *b.device;
  std::stop_source source;
  dev.set_stop_token(source.get_token());
  dev.write_register(chip::reg::SCRATCH0, 1u);  // not yet stopped
  source.request_stop();
  const auto msg = expect_error<CancelledError>([&] { dev.write_register(chip::reg::SCRATCH0, 2u); },
                                                ErrorCode::cancelled);
  CHECK_STARTS_WITH(msg, kSimName);
  CHECK_CONTAINS(msg, "cancelled");
  dev.set_stop_token({});
  BOOST_TEST(dev.read_register(chip::reg::SCRATCH0) == 1u, "a cancelled write reached the device");
}

BOOST_AUTO_TEST_CASE(a_device_needs_a_transport) {
  expect_error<InvalidArgumentError>([] { Device dev(nullptr, kSimName); }, ErrorCode::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval

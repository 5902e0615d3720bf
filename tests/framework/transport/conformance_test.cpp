// The transport conformance suite: the same cases on every transport (links.h). Whatever carries the
// frames, a Device must identify the chip, move registers and memory of any size, run batches, let the
// device's errors arrive intact, time out and cancel cleanly. This file is compiled into each test
// executable that brings transports (test_transport: inproc and ZeroMQ; test_usb: USB), each with its own
// conformance_links() and open_link().
#include <chrono>
#include <cstdint>
#include <random>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include <fmt/core.h>

// GCC 12 warns -Wrestrict inside Boost.Test's name generator for data test cases (a false positive in
// std::string's inlined append, GCC bug 105329); nothing of ours is involved.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wrestrict"
#endif
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <seedval/chip/identity.h>
#include <seedval/chip/registers.h>
#include <seedval/core/error.h>
#include <seedval/protocol/messages.h>

#include "links.h"
#include "support/errors.h"
#include "support/sim_bench.h"

namespace seedval {
namespace {

namespace bdata = boost::unit_test::data;
using testing::expect_error;

std::vector<std::uint8_t> random_bytes(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::uint8_t> out(n);
  for (auto& b : out) b = static_cast<std::uint8_t>(rng());
  return out;
}

std::vector<std::uint8_t> text(std::string_view s) {
  return {s.begin(), s.end()};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(transport_conformance)

BOOST_DATA_TEST_CASE(identify, bdata::make(testing::conformance_links()), kind) {
  auto link = testing::open_link(kind);
  const Identity& id = link->device->identify();
  BOOST_TEST(id.chip_id == chip::kChipId);
  BOOST_REQUIRE(id.die.has_value());
  BOOST_TEST(chip::to_string(*id.die) == "LINK-W02-X030-Y040");
  BOOST_TEST(id.memory_size == (16u << 20));
  BOOST_TEST(link->device->ping(text("hello")) == text("hello"));
}

BOOST_DATA_TEST_CASE(register_access, bdata::make(testing::conformance_links()), kind) {
  auto link = testing::open_link(kind);
  auto& dev = *link->device;
  for (std::uint32_t v : {0u, 1u, 0xFFFFFFFFu, 0xA5A55A5Au}) {
    dev.write_register(chip::reg::SCRATCH0, v);
    BOOST_TEST(dev.read_register(chip::reg::SCRATCH0) == v);
  }
  dev.write_register("SCRATCH1", 0x1234u);
  BOOST_TEST(dev.read_register("SCRATCH1") == 0x1234u);
}

BOOST_DATA_TEST_CASE(errors_cross_intact, bdata::make(testing::conformance_links()), kind) {
  auto link = testing::open_link(kind);
  auto& dev = *link->device;
  // The device's own errors arrive as the same typed error with its message, whatever the link.
  auto msg =
      expect_error<AddressError>([&] { dev.write_register(chip::reg::CHIP_ID, 1); }, ErrorCode::read_only);
  CHECK_CONTAINS(msg, "read-only");
  msg = expect_error<AddressError>([&] { dev.read_register(0xFFF0u); }, ErrorCode::address);
  CHECK_STARTS_WITH(msg, fmt::format("{}: reg_read", testing::kSimName));
  msg = expect_error<AddressError>([&] { (void)dev.read_memory((16u << 20) - 4, 8); }, ErrorCode::address);
  CHECK_CONTAINS(msg, "mem_read");
  // And the link still works after them.
  BOOST_TEST(dev.read_register(chip::reg::CHIP_ID) == chip::kChipId);
}

BOOST_DATA_TEST_CASE(bulk_memory_of_odd_and_large_sizes, bdata::make(testing::conformance_links()), kind) {
  auto link = testing::open_link(kind);
  auto& dev = *link->device;
  const std::vector<std::pair<std::uint64_t, std::size_t>> cases = {{0, 1},
                                                                    {3, 7},
                                                                    {4093, 4099},
                                                                    {(1u << 20) + 5, (256u << 10) + 3},
                                                                    {1u << 21, 8u << 20},
                                                                    {(15u << 20) - 1, 1u << 20}};
  std::uint64_t seed = 1;
  for (const auto& [address, size] : cases) {
    BOOST_TEST_CONTEXT(size << " bytes at 0x" << std::hex << address) {
      const auto data = random_bytes(size, seed++);
      dev.write_memory(address, data);
      BOOST_TEST((dev.read_memory(address, size) == data));
    }
  }
  // Fill is anchored to absolute addresses on every link.
  dev.fill_memory(100, 1000, 0x0123456789ABCDEFull);
  const auto filled = dev.read_memory(100, 1000);
  for (std::size_t i = 0; i < filled.size(); ++i)
    if (filled[i] != static_cast<std::uint8_t>(0x0123456789ABCDEFull >> (8 * ((100 + i) % 8)))) {
      BOOST_ERROR("fill byte " << i << " wrong");
      break;
    }
  if (dev.transport().capabilities().pipeline_depth > 1)
    BOOST_TEST(dev.link_stats().pipelined > 0u,
               "a pipelining link should have pipelined the large transfers");
  BOOST_TEST(dev.link_stats().retries == 0u);
}

BOOST_DATA_TEST_CASE(batches, bdata::make(testing::conformance_links()), kind) {
  auto link = testing::open_link(kind);
  auto& dev = *link->device;
  std::vector<protocol::RegisterOp> ops;
  for (std::uint32_t i = 0; i < 3000; ++i) {
    const std::uint32_t reg = i % 2 == 0 ? chip::reg::SCRATCH0 : chip::reg::SCRATCH1;
    ops.push_back({protocol::RegisterOp::Kind::write, reg, i});
    ops.push_back({protocol::RegisterOp::Kind::read, reg, 0});
  }
  dev.set_batch_limit(500);  // several frames: pipelined where the link allows
  const auto values = dev.execute(ops);
  BOOST_REQUIRE(values.size() == ops.size());
  for (std::uint32_t i = 0; i < 3000; ++i) BOOST_TEST_REQUIRE(values[2 * i + 1] == i);
  // The first error is reported with its index in the whole list; operations before it took effect.
  std::vector<protocol::RegisterOp> failing(
      1200, protocol::RegisterOp{protocol::RegisterOp::Kind::write, chip::reg::SCRATCH1, 7});
  failing[777] = {protocol::RegisterOp::Kind::write, chip::reg::CHIP_ID, 1};
  failing[776].value = 776;
  const auto msg = expect_error<AddressError>([&] { dev.execute(failing); }, ErrorCode::read_only);
  CHECK_CONTAINS(msg, "operation 777");
  BOOST_TEST(dev.read_register(chip::reg::SCRATCH1) == 776u);
}

BOOST_DATA_TEST_CASE(timeouts, bdata::make(testing::conformance_links()), kind) {
  auto link = testing::open_link(kind);
  auto& dev = *link->device;
  if (!testing::on_a_wire(kind)) {
    // An in-process call cannot be interrupted once the device runs it; its deadline is checked before
    // sending, so a call whose deadline has already passed times out without reaching the device.
    DeviceTimeouts none;
    none.base = Milliseconds{0};
    none.per_mib = Milliseconds{0};
    none.retries = 0;
    dev.set_timeouts(none);
    expect_error<TimeoutError>([&] { dev.write_register(chip::reg::SCRATCH0, 0xDEADu); }, ErrorCode::timeout);
    dev.set_timeouts({});
    BOOST_TEST(dev.read_register(chip::reg::SCRATCH0) != 0xDEADu,
               "a call past its deadline reached the device");
    return;
  }
  DeviceTimeouts t;
  t.base = Milliseconds{100};
  t.retries = 0;
  dev.set_timeouts(t);
  const auto start = std::chrono::steady_clock::now();
  const auto msg = expect_error<TimeoutError>([&] { (void)dev.ping(text("sleep 600")); }, ErrorCode::timeout);
  const auto took = std::chrono::steady_clock::now() - start;
  BOOST_TEST(took < std::chrono::milliseconds(400),
             "the timeout took " << (took / std::chrono::milliseconds(1)) << " ms");
  CHECK_STARTS_WITH(msg, fmt::format("{}: ping", testing::kSimName));
  // The late answer is not mistaken for the next one.
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  t.base = Milliseconds{2000};
  dev.set_timeouts(t);
  BOOST_TEST(dev.ping(text("next")) == text("next"));
  BOOST_TEST(dev.read_register(chip::reg::CHIP_ID) == chip::kChipId);
}

BOOST_DATA_TEST_CASE(cancellation, bdata::make(testing::conformance_links()), kind) {
  auto link = testing::open_link(kind);
  auto& dev = *link->device;
  std::stop_source stop;
  dev.set_stop_token(stop.get_token());
  stop.request_stop();
  expect_error<CancelledError>([&] { (void)dev.read_register(chip::reg::CHIP_ID); }, ErrorCode::cancelled);
  if (testing::on_a_wire(kind)) {
    // A stop while a request is on the wire ends the wait at once.
    std::stop_source mid;
    dev.set_stop_token(mid.get_token());
    std::jthread canceller([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      mid.request_stop();
    });
    const auto start = std::chrono::steady_clock::now();
    expect_error<CancelledError>([&] { (void)dev.ping(text("sleep 1500")); }, ErrorCode::cancelled);
    const auto took = std::chrono::steady_clock::now() - start;
    BOOST_TEST(took < std::chrono::milliseconds(1000),
               "cancelled after " << took / std::chrono::milliseconds(1) << " ms");
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  }
  std::stop_source fresh;
  dev.set_stop_token(fresh.get_token());
  BOOST_TEST(dev.read_register(chip::reg::CHIP_ID) == chip::kChipId);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval

// Tests of Device memory access (read, write, fill; chunked at kMemoryChunk) against the SeedChip model,
// including stuck-at faults from a die instance built by hand.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <seedval/chip/identity.h>
#include <seedval/chip/registers.h>
#include <seedval/core/error.h>
#include <seedval/device/device.h>
#include <seedval/protocol/frame.h>
#include <seedval/protocol/messages.h>
#include <seedval/sim/population.h>
#include <seedval/transport/inproc.h>

#include "support/errors.h"
#include "support/sim_bench.h"

namespace seedval {
namespace {

using testing::expect_error;
using testing::kSimName;

constexpr std::uint64_t kMemory = 8u << 20;
constexpr std::size_t kMiB = kMemoryChunk;  // the chunk: tests cross its boundaries
constexpr std::uint64_t kPattern = 0x8877665544332211ull;

// Records the opcode and payload size of every request, then passes it on. With `strip_fill` it also
// hides the memory.fill capability, so the host's fill fallback runs.
class RecordingTransport final : public testing::ForwardingTransport {
 public:
  struct Sent {
    protocol::Opcode op;
    std::size_t payload;
  };
  RecordingTransport(std::unique_ptr<Transport> inner, std::vector<Sent>& log, bool strip_fill,
                     std::size_t max_frame_payload)
      : ForwardingTransport(std::move(inner)),
        log_(log),
        strip_fill_(strip_fill),
        max_frame_payload_(max_frame_payload) {}
  TransportCapabilities capabilities() const override {
    auto caps = ForwardingTransport::capabilities();
    if (max_frame_payload_ != 0) caps.max_frame_payload = max_frame_payload_;
    return caps;
  }
  void exchange_into(std::span<const std::uint8_t> request, std::vector<std::uint8_t>& response,
                     Deadline deadline, std::stop_token stop) override {
    const auto req = protocol::decode_frame(request);
    log_.push_back({req.header.opcode, req.payload.size()});
    ForwardingTransport::exchange_into(request, response, deadline, std::move(stop));
    if (!strip_fill_ || req.header.opcode != protocol::Opcode::identify) return;
    auto id = protocol::decode_identify_response(protocol::decode_frame(response).payload);
    id.capabilities &= ~chip::bit(chip::Capability::memory_fill);
    response =
        protocol::encode_response(protocol::Opcode::identify, req.header.sequence, protocol::encode(id));
  }

 private:
  std::vector<Sent>& log_;
  bool strip_fill_;
  std::size_t max_frame_payload_;
};

sim::DieInstance clean_die() {
  return testing::clean_die({"MEM1", 9, 40, 41});
}

struct Bench : testing::SimBench {
  std::vector<RecordingTransport::Sent> log;
};

// `max_frame_payload` other than 0 makes the link declare that limit instead of the in-process one.
std::unique_ptr<Bench> make_bench(sim::DieInstance die = clean_die(), bool strip_fill = false,
                                  std::size_t max_frame_payload = 0) {
  auto b = std::make_unique<Bench>();
  testing::SimBench& sim = *b;
  sim = testing::make_sim_bench(
      testing::chip_model(std::move(die), kMemory), [&](std::unique_ptr<Transport> link) {
        return std::make_unique<RecordingTransport>(std::move(link), b->log, strip_fill, max_frame_payload);
      });
  return b;
}

std::vector<std::uint8_t> random_bytes(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::uint8_t> out(n);
  for (auto& b : out) b = static_cast<std::uint8_t>(rng());
  return out;
}

std::uint8_t pattern_byte(std::uint64_t pattern, std::uint64_t address) {
  return static_cast<std::uint8_t>(pattern >> (8 * (address % 8)));
}

// Index of the first byte in [address, address+length) that does not hold the anchored pattern.
std::optional<std::uint64_t> first_pattern_mismatch(const std::vector<std::uint8_t>& mem, std::uint64_t base,
                                                    std::uint64_t address, std::uint64_t length,
                                                    std::uint64_t pattern) {
  for (std::uint64_t a = address; a < address + length; ++a)
    if (mem[a - base] != pattern_byte(pattern, a)) return a;
  return std::nullopt;
}

std::optional<std::size_t> first_difference(const std::vector<std::uint8_t>& a,
                                            const std::vector<std::uint8_t>& b) {
  if (a.size() != b.size()) return std::min(a.size(), b.size());
  auto m = std::mismatch(a.begin(), a.end(), b.begin());
  if (m.first == a.end()) return std::nullopt;
  return static_cast<std::size_t>(m.first - a.begin());
}

std::size_t count(const std::vector<RecordingTransport::Sent>& log, protocol::Opcode op) {
  return static_cast<std::size_t>(
      std::count_if(log.begin(), log.end(), [&](const auto& s) { return s.op == op; }));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(device_memory)

BOOST_AUTO_TEST_CASE(random_data_round_trips_across_chunk_boundaries) {
  auto b = make_bench();
  Device& dev = *b->device;
  dev.fill_memory(0, kMemory, 0xEEEEEEEEEEEEEEEEull);
  const std::uint64_t offset = 5;
  const auto data = random_bytes(3 * kMiB + 13, 1);
  b->log.clear();
  dev.write_memory(offset, data);
  // Chunked: 4 frames, none carrying more than one chunk of data (+ the 8-byte address).
  BOOST_TEST(count(b->log, protocol::Opcode::mem_write) == 4u);
  for (const auto& s : b->log) BOOST_TEST(s.payload <= kMiB + 8);

  const auto back = dev.read_memory(offset, data.size());
  const auto diff = first_difference(back, data);
  BOOST_TEST(!diff.has_value(), "first difference at offset " << diff.value_or(0));

  // Unaligned sub-ranges read back the matching slice, and the bytes around the write are untouched.
  const auto mid = dev.read_memory(offset + kMiB - 3, kMiB + 7);
  BOOST_TEST((mid == std::vector<std::uint8_t>(data.begin() + kMiB - 3, data.begin() + 2 * kMiB + 4)));
  const auto before = dev.read_memory(0, offset);
  BOOST_TEST((before == std::vector<std::uint8_t>(offset, 0xEE)));
  const auto after = dev.read_memory(offset + data.size(), 11);
  BOOST_TEST((after == std::vector<std::uint8_t>(11, 0xEE)));
}

BOOST_AUTO_TEST_CASE(reads_are_chunked_at_the_memory_chunk) {
  auto b = make_bench();
  Device& dev = *b->device;
  for (std::size_t length : {kMiB - 1, kMiB, kMiB + 1, 3 * kMiB + 13}) {
    BOOST_TEST_CONTEXT("length " << length) {
      b->log.clear();
      BOOST_TEST(dev.read_memory(3, length).size() == length);
      BOOST_TEST(count(b->log, protocol::Opcode::mem_read) == (length + kMiB - 1) / kMiB);
    }
  }
}

BOOST_AUTO_TEST_CASE(memory_frames_respect_the_links_max_frame_payload) {
  constexpr std::size_t kLink = 4096;
  auto b = make_bench(clean_die(), false, kLink);
  Device& dev = *b->device;
  const auto data = random_bytes(100000, 4);
  dev.write_memory(7, data);
  const auto back = dev.read_memory(7, data.size());
  BOOST_TEST(count(b->log, protocol::Opcode::mem_write) >= data.size() / kLink + 1);
  BOOST_TEST(count(b->log, protocol::Opcode::mem_read) >= data.size() / kLink + 1);
  for (const auto& s : b->log) BOOST_TEST(s.payload <= kLink);
  const auto diff = first_difference(back, data);
  BOOST_TEST(!diff.has_value(), "first difference at " << diff.value_or(0));
}

BOOST_AUTO_TEST_CASE(whole_memory_round_trips) {
  auto b = make_bench();
  Device& dev = *b->device;
  const auto data = random_bytes(kMemory, 2);
  dev.write_memory(0, data);
  const auto diff = first_difference(dev.read_memory(0, kMemory), data);
  BOOST_TEST(!diff.has_value(), "first difference at " << diff.value_or(0));
}

BOOST_AUTO_TEST_CASE(fill_is_anchored_to_absolute_addresses) {
  auto b = make_bench();
  Device& dev = *b->device;
  dev.fill_memory(0, 64, 0xEEEEEEEEEEEEEEEEull);
  dev.fill_memory(3, 29, kPattern);  // unaligned start and end
  const auto mem = dev.read_memory(0, 64);
  for (std::uint64_t a = 0; a < 64; ++a) {
    const std::uint8_t want = (a >= 3 && a < 32) ? pattern_byte(kPattern, a) : 0xEE;
    BOOST_TEST(mem[a] == want, "byte " << a);
  }
  BOOST_TEST(mem[3] == 0x44u);  // byte 3 of the pattern, not byte 0
  BOOST_TEST(mem[8] == 0x11u);
}

BOOST_AUTO_TEST_CASE(large_unaligned_fill_is_anchored) {
  auto b = make_bench();
  Device& dev = *b->device;
  const std::uint64_t address = 5, length = 3 * kMiB + 13;
  dev.fill_memory(0, kMemory, 0);
  dev.fill_memory(address, length, kPattern);
  const auto mem = dev.read_memory(0, address + length + 8);
  const auto bad = first_pattern_mismatch(mem, 0, address, length, kPattern);
  BOOST_TEST(!bad.has_value(), "byte 0x" << std::hex << bad.value_or(0) << " does not hold the pattern");
  for (std::uint64_t a = 0; a < address; ++a) BOOST_TEST(mem[a] == 0u, "byte " << a << " before the fill");
  for (std::uint64_t a = address + length; a < mem.size(); ++a)
    BOOST_TEST(mem[a] == 0u, "byte " << a << " after");
}

BOOST_AUTO_TEST_CASE(host_fill_fallback_is_anchored_like_the_device_fill) {
  auto b = make_bench(clean_die(), /*strip_fill=*/true);
  Device& dev = *b->device;
  BOOST_REQUIRE(!dev.has(chip::Capability::memory_fill));
  const std::uint64_t address = 0x1003, length = 2 * kMiB + 11;
  dev.write_memory(0, std::vector<std::uint8_t>(address + length + 16, 0xEE));
  b->log.clear();
  dev.fill_memory(address, length, kPattern);
  BOOST_TEST(count(b->log, protocol::Opcode::mem_fill) == 0u, "the fallback sent a mem_fill the chip lacks");
  BOOST_TEST(count(b->log, protocol::Opcode::mem_write) >= 3u);
  const auto mem = dev.read_memory(0, address + length + 16);
  const auto bad = first_pattern_mismatch(mem, 0, address, length, kPattern);
  BOOST_TEST(!bad.has_value(), "byte 0x" << std::hex << bad.value_or(0) << " does not hold the pattern");
  BOOST_TEST(mem[address - 1] == 0xEEu);
  BOOST_TEST(mem[address + length] == 0xEEu);
}

BOOST_AUTO_TEST_CASE(out_of_range_access_is_an_address_error_naming_the_range) {
  auto b = make_bench();
  Device& dev = *b->device;
  auto msg = expect_error<AddressError>([&] { dev.read_memory(kMemory - 4, 8); }, ErrorCode::address);
  CHECK_CONTAINS(msg, "0x7ffffc+8");
  CHECK_CONTAINS(msg, "outside device memory (HBM 0x0..0x7fffff");
  CHECK_STARTS_WITH(msg, kSimName + ": mem_read");

  msg = expect_error<AddressError>([&] { dev.write_memory(kMemory, std::vector<std::uint8_t>(1, 0xAB)); },
                                   ErrorCode::address);
  CHECK_CONTAINS(msg, "outside device memory");
  CHECK_STARTS_WITH(msg, kSimName + ": mem_write");

  msg = expect_error<AddressError>([&] { dev.fill_memory(kMemory - 8, 16, kPattern); }, ErrorCode::address);
  CHECK_CONTAINS(msg, "outside device memory");
  CHECK_STARTS_WITH(msg, kSimName + ": mem_fill");
  // A refused fill writes nothing, not even the part that was in range.
  BOOST_TEST((dev.read_memory(kMemory - 8, 8) == std::vector<std::uint8_t>(8, 0)));
}

BOOST_AUTO_TEST_CASE(ranges_that_would_wrap_around_are_refused) {
  auto b = make_bench();
  Device& dev = *b->device;
  const auto max = std::numeric_limits<std::uint64_t>::max();
  expect_error<AddressError>([&] { dev.read_memory(max - 3, 8); }, ErrorCode::address);
  expect_error<AddressError>([&] { dev.fill_memory(8, max, kPattern); }, ErrorCode::address);
  expect_error<AddressError>([&] { dev.fill_memory(max - 7, 16, kPattern); }, ErrorCode::address);
  expect_error<AddressError>([&] { dev.write_memory(max, std::vector<std::uint8_t>(2, 1)); },
                             ErrorCode::address);
}

BOOST_AUTO_TEST_CASE(zero_length_operations_succeed_and_change_nothing) {
  auto b = make_bench();
  Device& dev = *b->device;
  dev.fill_memory(0, 64, kPattern);
  BOOST_TEST(dev.read_memory(0x10, 0).empty());
  dev.write_memory(0x10, std::vector<std::uint8_t>{});
  dev.fill_memory(0x10, 0, 0);
  dev.fill_memory(kMemory, 0, 0);  // an empty range at the very end is still inside memory
  const auto mem = dev.read_memory(0, 64);
  const auto bad = first_pattern_mismatch(mem, 0, 0, 64, kPattern);
  BOOST_TEST(!bad.has_value(), "byte " << bad.value_or(0) << " changed");
}

// A stuck-at fault on bit `bit` of the byte at `address`.
sim::MemoryFault stuck(std::uint64_t address, int bit, bool value) {
  sim::MemoryFault f;
  f.kind = sim::FaultClass::saf;
  f.victim = {address / 8, static_cast<std::uint8_t>((address % 8) * 8 + static_cast<std::uint64_t>(bit))};
  f.value = value;
  return f;
}

BOOST_AUTO_TEST_CASE(memory_stuck_bits_override_what_is_written) {
  auto die = clean_die();
  die.memory_faults = {stuck(0x1003, 2, true), stuck(0x2000, 7, false), stuck(kMemory - 1, 0, true)};
  auto b = make_bench(die);
  Device& dev = *b->device;
  dev.fill_memory(0, kMemory, 0);
  // SECDED corrects one bad bit per word: with ECC on the host never sees it, but the chip counts it.
  BOOST_TEST(dev.read_memory(0x1003, 1)[0] == 0x00u);
  BOOST_TEST(dev.read_register("ECC_CE_COUNT") == 1u);
  BOOST_TEST(dev.read_register("ECC_ERR_ADDR_LO") == 0x1000u);
  dev.write_register("ECC_CTRL", 0);  // the raw cells from here on

  dev.fill_memory(0, kMemory, 0);
  BOOST_TEST(dev.read_memory(0x1003, 1)[0] == 0x04u, "stuck-at-1 bit reads 0 after a fill with zeros");
  BOOST_TEST(dev.read_memory(kMemory - 1, 1)[0] == 0x01u);
  BOOST_TEST(dev.read_memory(0x2000, 1)[0] == 0x00u);
  // Neighbours are not disturbed.
  BOOST_TEST((dev.read_memory(0x1000, 3) == std::vector<std::uint8_t>(3, 0)));
  BOOST_TEST(dev.read_memory(0x1004, 1)[0] == 0u);

  dev.fill_memory(0, kMemory, ~std::uint64_t{0});
  BOOST_TEST(dev.read_memory(0x2000, 1)[0] == 0x7Fu, "stuck-at-0 bit reads 1 after a fill with ones");
  BOOST_TEST(dev.read_memory(0x1003, 1)[0] == 0xFFu);
  BOOST_TEST(dev.read_memory(0x1FFF, 1)[0] == 0xFFu);

  // Host writes are overridden the same way.
  dev.write_memory(0x1000, std::vector<std::uint8_t>(0x1001, 0x00));
  BOOST_TEST(dev.read_memory(0x1003, 1)[0] == 0x04u);
  dev.write_memory(0x1FF0, std::vector<std::uint8_t>(0x20, 0xFF));
  BOOST_TEST(dev.read_memory(0x2000, 1)[0] == 0x7Fu);
}

namespace {

// A device on the plain in-process link (split frames: bulk data passed by reference), with or without
// CRCs; `wrap` may put a split-aware test transport around the link.
std::unique_ptr<Device> split_device(std::shared_ptr<sim::ChipModel> model, protocol::Checksum checksum,
                                     const testing::LinkWrapper& wrap = {}) {
  std::unique_ptr<Transport> link = std::make_unique<InprocTransport>(model, kSimName, checksum);
  if (wrap) link = wrap(std::move(link));
  return std::make_unique<Device>(std::move(link), kSimName);
}

// Passes split frames on, flipping one bit of the request's or the response's bulk data in a copy: the
// corruption a wire could cause, on a link that declares its CRCs computed.
class SplitCorrupter final : public Transport {
 public:
  SplitCorrupter(std::unique_ptr<Transport> inner, bool request_side)
      : inner_(std::move(inner)), request_side_(request_side) {}
  std::string describe() const override { return inner_->describe(); }
  TransportCapabilities capabilities() const override { return inner_->capabilities(); }
  void exchange_into(std::span<const std::uint8_t> request, std::vector<std::uint8_t>& response,
                     Deadline deadline, std::stop_token stop) override {
    inner_->exchange_into(request, response, deadline, std::move(stop));
  }
  void exchange_split(const protocol::SplitFrame& request, protocol::ReceivedFrame& response,
                      Deadline deadline, std::stop_token stop) override {
    protocol::SplitFrame sent = request;
    if (request_side_ && !request.bulk.empty()) {
      copy_.assign(request.bulk.begin(), request.bulk.end());
      copy_[copy_.size() / 2] ^= 0x08;
      sent.bulk = copy_;
    }
    inner_->exchange_split(sent, response, deadline, std::move(stop));
    if (!request_side_ && response.split && !response.bulk.empty()) {
      copy_.assign(response.bulk.begin(), response.bulk.end());
      copy_[copy_.size() / 3] ^= 0x40;
      response.bulk = copy_;
    }
  }

 private:
  std::unique_ptr<Transport> inner_;
  bool request_side_;
  std::vector<std::uint8_t> copy_;
};

}  // namespace

BOOST_AUTO_TEST_CASE(split_frame_links_move_the_same_bytes_as_a_wire) {
  auto die = clean_die();
  die.memory_faults = {stuck(0x1003, 2, true)};  // one chunk answers through the fault path
  for (auto checksum : {protocol::Checksum::unnecessary, protocol::Checksum::computed}) {
    BOOST_TEST_CONTEXT((checksum == protocol::Checksum::computed ? "CRCs computed" : "CRCs skipped")) {
      auto model = testing::chip_model(die, kMemory);
      auto split = split_device(model, checksum);
      BOOST_TEST(split->transport().capabilities().split_frames);
      split->write_register("ECC_CTRL", 0);
      const auto data = random_bytes(3 * kMiB + 13, 21);
      split->write_memory(5, data);
      auto expected = data;
      expected[0x1003 - 5] |= 0x04;
      const auto back = split->read_memory(5, data.size());
      const auto diff = first_difference(back, expected);
      BOOST_TEST(!diff.has_value(), "first difference at offset " << diff.value_or(0));
      // A wire-like link to the same model reads exactly the same bytes.
      auto wire = testing::make_sim_bench(model, [](std::unique_ptr<Transport> link) {
        return std::make_unique<testing::ForwardingTransport>(std::move(link));
      });
      BOOST_TEST(!wire.device->transport().capabilities().split_frames);
      BOOST_TEST((wire.device->read_memory(5, data.size()) == back));
    }
  }
}

BOOST_AUTO_TEST_CASE(a_corrupted_split_response_is_a_checksum_error_when_crcs_are_checked) {
  auto model = testing::chip_model(clean_die(), kMemory);
  auto dev = split_device(model, protocol::Checksum::computed, [](std::unique_ptr<Transport> link) {
    return std::make_unique<SplitCorrupter>(std::move(link), false);
  });
  dev->write_memory(0, random_bytes(4096, 22));
  std::vector<std::uint8_t> out(4096);
  const auto msg = expect_error<ProtocolError>([&] { dev->read_memory(0, out); }, ErrorCode::checksum);
  CHECK_STARTS_WITH(msg, kSimName + ": mem_read 0x0+4096: response: malformed frame: CRC-32C mismatch");
}

BOOST_AUTO_TEST_CASE(a_corrupted_split_request_changes_no_memory_when_crcs_are_checked) {
  auto model = testing::chip_model(clean_die(), kMemory);
  auto dev = split_device(model, protocol::Checksum::computed, [](std::unique_ptr<Transport> link) {
    return std::make_unique<SplitCorrupter>(std::move(link), true);
  });
  dev->fill_memory(0, 8192, 0x5A5A5A5A5A5A5A5Aull);
  const auto msg =
      expect_error<ProtocolError>([&] { dev->write_memory(0, random_bytes(8192, 23)); }, ErrorCode::checksum);
  CHECK_STARTS_WITH(msg,
                    kSimName + ": mem_write 0x0+8192: device rejected the request: malformed frame: CRC-32C");
  BOOST_TEST((dev->read_memory(0, 8192) == std::vector<std::uint8_t>(8192, 0x5A)),
             "the corrupted write landed");
}

BOOST_AUTO_TEST_CASE(soft_reset_keeps_memory_and_hard_reset_clears_it) {
  auto die = clean_die();
  die.memory_faults = {stuck(0x400, 6, true)};
  auto b = make_bench(die);
  Device& dev = *b->device;
  const auto data = random_bytes(4096, 3);
  dev.write_memory(0x800, data);
  dev.write_register("SCRATCH0", 0xFEEDu);

  dev.reset(protocol::ResetKind::soft);
  BOOST_TEST(dev.read_register("SCRATCH0") == 0u);
  BOOST_TEST((dev.read_memory(0x800, data.size()) == data), "soft reset changed memory");

  dev.write_register("SCRATCH0", 0xFEEDu);
  dev.reset(protocol::ResetKind::hard);
  BOOST_TEST(dev.read_register("SCRATCH0") == 0u);
  BOOST_TEST((dev.read_memory(0x800, data.size()) == std::vector<std::uint8_t>(data.size(), 0)),
             "hard reset kept memory");
  // The defect survives the reset: it is in the silicon, not in the data.
  dev.write_register("ECC_CTRL", 0);
  BOOST_TEST(dev.read_memory(0x400, 1)[0] == 0x40u);
  BOOST_TEST(dev.identify().chip_id == chip::kChipId);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval

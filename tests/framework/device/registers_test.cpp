// Tests of Device register access (single and batched) against the SeedChip model: access rules, masks,
// and errors that cross the wire as the same typed error the model raised.
#include <cstdint>
#include <memory>
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

#include "support/errors.h"
#include "support/sim_bench.h"

namespace seedval {
namespace {

using protocol::RegisterOp;
using testing::expect_error;
using testing::kSimName;

testing::SimBench make_bench(const testing::LinkWrapper& wrap = {}) {
  return testing::make_sim_bench(
      testing::chip_model(testing::population("device-registers"), {"REG1", 2, 10, 20}, 1u << 20), wrap);
}

// Rewrites identify responses so the chip appears to lack `registers.batch`: exercises the host's
// one-by-one fallback of execute().
class NoBatchTransport final : public testing::ForwardingTransport {
 public:
  using ForwardingTransport::ForwardingTransport;
  void exchange_into(std::span<const std::uint8_t> request, std::vector<std::uint8_t>& response,
                     Deadline deadline, std::stop_token stop) override {
    ForwardingTransport::exchange_into(request, response, deadline, std::move(stop));
    const auto frame = protocol::decode_frame(response);
    if (frame.header.opcode != protocol::Opcode::identify || frame.header.status != ErrorCode::ok) return;
    auto id = protocol::decode_identify_response(frame.payload);
    id.capabilities &= ~chip::bit(chip::Capability::register_batch);
    response =
        protocol::encode_response(protocol::Opcode::identify, frame.header.sequence, protocol::encode(id));
  }
};

std::unique_ptr<Transport> without_batch(std::unique_ptr<Transport> t) {
  return std::make_unique<NoBatchTransport>(std::move(t));
}

RegisterOp rd(std::uint32_t address) {
  return {RegisterOp::Kind::read, address, 0};
}
RegisterOp wr(std::uint32_t address, std::uint32_t value) {
  return {RegisterOp::Kind::write, address, value};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(device_registers)

BOOST_AUTO_TEST_CASE(scratch_register_round_trips_every_pattern) {
  auto b = make_bench();
  Device& dev = *b.device;
  BOOST_TEST(dev.read_register(chip::reg::SCRATCH0) == 0u);  // reset value
  for (std::uint32_t v : {0xFFFFFFFFu, 0xA5A5A5A5u, 0x5A5A5A5Au, 0x00000001u, 0x80000000u, 0u, 0xDEADBEEFu}) {
    dev.write_register(chip::reg::SCRATCH0, v);
    BOOST_TEST(dev.read_register(chip::reg::SCRATCH0) == v);
  }
  // The two scratch registers are distinct flops.
  dev.write_register(chip::reg::SCRATCH1, 0x12345678u);
  BOOST_TEST(dev.read_register(chip::reg::SCRATCH0) == 0xDEADBEEFu);
  BOOST_TEST(dev.read_register(chip::reg::SCRATCH1) == 0x12345678u);
}

BOOST_AUTO_TEST_CASE(registers_are_reached_by_name_case_insensitively) {
  auto b = make_bench();
  Device& dev = *b.device;
  dev.write_register("scratch0", 0x0BADF00Du);
  BOOST_TEST(dev.read_register(chip::reg::SCRATCH0) == 0x0BADF00Du);
  BOOST_TEST(dev.read_register("SCRATCH0") == 0x0BADF00Du);
  BOOST_TEST(dev.read_register("Scratch0") == 0x0BADF00Du);
  dev.write_register(chip::reg::SCRATCH1, 0x600DCAFEu);
  BOOST_TEST(dev.read_register("sCrAtCh1") == 0x600DCAFEu);
  BOOST_TEST(dev.read_register("chip_id") == chip::kChipId);
  BOOST_TEST(dev.read_register("Revision") == 0xA0u);
}

BOOST_AUTO_TEST_CASE(reset_values_are_those_of_the_register_map) {
  auto b = make_bench();
  Device& dev = *b.device;
  BOOST_TEST(dev.read_register(chip::reg::CHIP_ID) == chip::kChipId);
  BOOST_TEST(dev.read_register(chip::reg::PLL_FREQ_MHZ) == 1200u);
  BOOST_TEST(dev.read_register(chip::reg::VDD_CORE_MV) == 750u);
  BOOST_TEST(dev.read_register(chip::reg::CONTROL) == chip::bits::CONTROL_ENABLE);
  BOOST_TEST(dev.read_register(chip::reg::INT_STATUS) == 0u);
  BOOST_TEST(dev.read_register(chip::reg::ERR_COUNT) == 0u);
}

BOOST_AUTO_TEST_CASE(w1c_registers_cannot_be_set_by_writes) {
  auto b = make_bench();
  Device& dev = *b.device;
  for (std::uint32_t address : {chip::reg::INT_STATUS, chip::reg::ERR_COUNT, chip::reg::ECC_CE_COUNT}) {
    BOOST_TEST_CONTEXT("register 0x" << std::hex << address) {
      BOOST_REQUIRE(chip::find_register(address)->access == chip::Access::w1c);
      BOOST_TEST(dev.read_register(address) == 0u);
      dev.write_register(address, 0xFFFFFFFFu);  // writing 1s clears; it never sets
      BOOST_TEST(dev.read_register(address) == 0u);
      dev.write_register(address, 0x00000001u);
      BOOST_TEST(dev.read_register(address) == 0u);
    }
  }
}

BOOST_AUTO_TEST_CASE(rw_registers_ignore_bits_outside_their_writable_mask) {
  auto b = make_bench();
  Device& dev = *b.device;
  dev.write_register(chip::reg::PLL_FREQ_MHZ,
                     0xABCD0000u | 1500u);  // upper 16 bits are not part of the field
  BOOST_TEST(dev.read_register(chip::reg::PLL_FREQ_MHZ) == 1500u);
  dev.write_register(chip::reg::ECC_CTRL, 0xFFFFFFFEu);  // only bit 0 is writable
  BOOST_TEST(dev.read_register(chip::reg::ECC_CTRL) == 0u);
  dev.write_register(chip::reg::ECC_CTRL, 0xFFFFFFFFu);
  BOOST_TEST(dev.read_register(chip::reg::ECC_CTRL) == 1u);
}

BOOST_AUTO_TEST_CASE(writing_chip_id_is_a_read_only_address_error) {
  auto b = make_bench();
  Device& dev = *b.device;
  auto msg =
      expect_error<AddressError>([&] { dev.write_register(chip::reg::CHIP_ID, 0); }, ErrorCode::read_only);
  CHECK_CONTAINS(msg, "CHIP_ID");
  CHECK_CONTAINS(msg, "read-only");
  CHECK_STARTS_WITH(msg, kSimName + ": reg_write");
  msg = expect_error<AddressError>([&] { dev.write_register("chip_id", 0x12345678u); }, ErrorCode::read_only);
  CHECK_CONTAINS(msg, "CHIP_ID");
  CHECK_CONTAINS(msg, "read-only");
  CHECK_STARTS_WITH(msg, kSimName);
  BOOST_TEST(dev.read_register(chip::reg::CHIP_ID) == chip::kChipId, "a refused write changed CHIP_ID");
  // Every read-only register refuses, not only CHIP_ID.
  for (const auto& r : chip::register_map()) {
    if (r.access != chip::Access::ro) continue;
    BOOST_TEST_CONTEXT(r.name) {
      msg = expect_error<AddressError>([&] { dev.write_register(r.address, 0xFFFFFFFFu); },
                                       ErrorCode::read_only);
      CHECK_CONTAINS(msg, std::string(r.name));
    }
  }
}

BOOST_AUTO_TEST_CASE(reserved_address_is_an_address_error) {
  auto b = make_bench();
  Device& dev = *b.device;
  auto msg = expect_error<AddressError>([&] { dev.read_register(0x0FF0u); }, ErrorCode::address);
  CHECK_CONTAINS(msg, "reserved");
  CHECK_CONTAINS(msg, "0x0ff0");
  CHECK_STARTS_WITH(msg, kSimName + ": reg_read");
  msg = expect_error<AddressError>([&] { dev.write_register(0x0FF0u, 1); }, ErrorCode::address);
  CHECK_CONTAINS(msg, "reserved");
  CHECK_STARTS_WITH(msg, kSimName + ": reg_write");
}

BOOST_AUTO_TEST_CASE(unaligned_address_is_an_address_error) {
  auto b = make_bench();
  Device& dev = *b.device;
  auto msg =
      expect_error<AddressError>([&] { dev.read_register(chip::reg::SCRATCH0 + 2); }, ErrorCode::address);
  CHECK_CONTAINS(msg, "aligned");
  CHECK_STARTS_WITH(msg, kSimName);
  msg =
      expect_error<AddressError>([&] { dev.write_register(chip::reg::SCRATCH0 + 1, 5); }, ErrorCode::address);
  CHECK_CONTAINS(msg, "aligned");
  BOOST_TEST(dev.read_register(chip::reg::SCRATCH0) == 0u);
}

BOOST_AUTO_TEST_CASE(unknown_register_name_is_not_found) {
  auto b = make_bench();
  Device& dev = *b.device;
  auto msg = expect_error<NotFoundError>([&] { dev.read_register("SCRATCH"); }, ErrorCode::not_found);
  CHECK_CONTAINS(msg, "no register named");
  CHECK_CONTAINS(msg, "SCRATCH0");  // close names are suggested
  msg = expect_error<NotFoundError>([&] { dev.write_register("NO_SUCH_REG", 1); }, ErrorCode::not_found);
  CHECK_CONTAINS(msg, "no register named");
  CHECK_CONTAINS(msg, "NO_SUCH_REG");
}

// device.h: "Every failure is a seedval::Error whose message starts with the device name and the operation".
BOOST_AUTO_TEST_CASE(unknown_register_name_error_starts_with_the_device_name) {
  auto b = make_bench();
  Device& dev = *b.device;
  auto msg = expect_error<NotFoundError>([&] { dev.read_register("NO_SUCH_REG"); }, ErrorCode::not_found);
  CHECK_STARTS_WITH(msg, kSimName);
}

BOOST_AUTO_TEST_CASE(batch_returns_values_in_order) {
  auto b = make_bench();
  Device& dev = *b.device;
  const std::vector<RegisterOp> ops{
      wr(chip::reg::SCRATCH0, 0x11u), wr(chip::reg::SCRATCH1, 0x22u), rd(chip::reg::SCRATCH0),
      rd(chip::reg::CHIP_ID),         rd(chip::reg::REVISION),        wr(chip::reg::SCRATCH0, 0x33u),
      rd(chip::reg::SCRATCH0),        rd(chip::reg::SCRATCH1),        wr(chip::reg::PLL_FREQ_MHZ, 1000u),
      rd(chip::reg::PLL_FREQ_MHZ)};
  const auto values = dev.execute(ops);
  const std::vector<std::uint32_t> expected{0x11u, 0x22u, 0x11u, chip::kChipId, 0xA0u,
                                            0x33u, 0x33u, 0x22u, 1000u,         1000u};
  BOOST_TEST(values == expected, boost::test_tools::per_element());
  BOOST_TEST(dev.execute(std::vector<RegisterOp>{}).empty());
}

BOOST_AUTO_TEST_CASE(batch_larger_than_one_frame_keeps_its_order) {
  auto b = make_bench();
  Device& dev = *b.device;
  // Alternate write k / read back, across the kMaxBatchOps split.
  const std::size_t pairs = protocol::kMaxBatchOps / 2 + 5000;
  std::vector<RegisterOp> ops;
  for (std::uint32_t k = 0; k < pairs; ++k) {
    ops.push_back(wr(chip::reg::SCRATCH0, k * 2654435761u));
    ops.push_back(rd(chip::reg::SCRATCH0));
  }
  BOOST_REQUIRE(ops.size() > protocol::kMaxBatchOps);
  const auto values = dev.execute(ops);
  BOOST_REQUIRE(values.size() == ops.size());
  std::size_t wrong = 0;
  for (std::uint32_t k = 0; k < pairs; ++k)
    if (values[2 * k] != k * 2654435761u || values[2 * k + 1] != k * 2654435761u) ++wrong;
  BOOST_TEST(wrong == 0u);
  BOOST_TEST(dev.read_register(chip::reg::SCRATCH0) == static_cast<std::uint32_t>((pairs - 1) * 2654435761u));
}

BOOST_AUTO_TEST_CASE(batch_failure_names_the_operation_and_keeps_earlier_effects) {
  auto b = make_bench();
  Device& dev = *b.device;
  const std::vector<RegisterOp> ops{wr(chip::reg::SCRATCH0, 0xA1u), wr(chip::reg::SCRATCH1, 0xB2u),
                                    wr(chip::reg::INT_ENABLE, 0xC3u), wr(chip::reg::CHIP_ID, 0u),
                                    wr(chip::reg::SCRATCH0, 0xDEADu)};
  const auto msg = expect_error<AddressError>([&] { dev.execute(ops); }, ErrorCode::read_only);
  CHECK_CONTAINS(msg, "operation 3");
  CHECK_CONTAINS(msg, "CHIP_ID");
  CHECK_CONTAINS(msg, "read-only");
  CHECK_STARTS_WITH(msg, kSimName);
  BOOST_TEST(dev.read_register(chip::reg::SCRATCH0) == 0xA1u, "operation 4 ran after the failure");
  BOOST_TEST(dev.read_register(chip::reg::SCRATCH1) == 0xB2u);
  BOOST_TEST(dev.read_register(chip::reg::INT_ENABLE) == 0xC3u);
}

// device.h: "On failure the error message names the index of the first failing operation" — also when
// the list is longer than one reg_batch frame carries.
BOOST_AUTO_TEST_CASE(batch_failure_beyond_the_first_frame_names_the_index_in_the_whole_list) {
  auto b = make_bench();
  Device& dev = *b.device;
  std::vector<RegisterOp> ops(protocol::kMaxBatchOps, rd(chip::reg::SCRATCH0));
  ops.push_back(wr(chip::reg::SCRATCH0, 0x77u));
  ops.push_back(rd(chip::reg::SCRATCH0));
  ops.push_back(rd(chip::reg::CHIP_ID));
  ops.push_back(wr(chip::reg::CHIP_ID, 0u));  // index kMaxBatchOps + 3 = 65539
  ops.push_back(wr(chip::reg::SCRATCH0, 0x99u));
  const auto msg = expect_error<AddressError>([&] { dev.execute(ops); }, ErrorCode::read_only);
  CHECK_CONTAINS(msg, "operation " + std::to_string(protocol::kMaxBatchOps + 3));
  BOOST_TEST(dev.read_register(chip::reg::SCRATCH0) == 0x77u);
}

BOOST_AUTO_TEST_CASE(batch_with_a_reserved_read_fails_at_that_operation) {
  auto b = make_bench();
  Device& dev = *b.device;
  const std::vector<RegisterOp> ops{wr(chip::reg::SCRATCH0, 7u), rd(0x0FF0u), wr(chip::reg::SCRATCH0, 8u)};
  const auto msg = expect_error<AddressError>([&] { dev.execute(ops); }, ErrorCode::address);
  CHECK_CONTAINS(msg, "operation 1");
  CHECK_CONTAINS(msg, "reserved");
  BOOST_TEST(dev.read_register(chip::reg::SCRATCH0) == 7u);
}

BOOST_AUTO_TEST_CASE(batch_fallback_without_batch_capability_gives_the_same_results) {
  auto b = make_bench(without_batch);
  Device& dev = *b.device;
  BOOST_REQUIRE(!dev.has(chip::Capability::register_batch));
  const std::vector<RegisterOp> ops{wr(chip::reg::SCRATCH0, 0x11u), rd(chip::reg::SCRATCH0),
                                    rd(chip::reg::CHIP_ID)};
  const std::vector<std::uint32_t> expected{0x11u, 0x11u, chip::kChipId};
  BOOST_TEST(dev.execute(ops) == expected, boost::test_tools::per_element());

  const std::vector<RegisterOp> failing{wr(chip::reg::SCRATCH0, 0xA1u), wr(chip::reg::SCRATCH1, 0xB2u),
                                        wr(chip::reg::INT_ENABLE, 0xC3u), wr(chip::reg::CHIP_ID, 0u),
                                        wr(chip::reg::SCRATCH0, 0xDEADu)};
  const auto msg = expect_error<AddressError>([&] { dev.execute(failing); }, ErrorCode::read_only);
  CHECK_CONTAINS(msg, "operation 3");
  CHECK_CONTAINS(msg, "read-only");
  BOOST_TEST(dev.read_register(chip::reg::SCRATCH0) == 0xA1u);
  BOOST_TEST(dev.read_register(chip::reg::SCRATCH1) == 0xB2u);
  BOOST_TEST(dev.read_register(chip::reg::INT_ENABLE) == 0xC3u);
}

// device.h: "Every failure is a seedval::Error whose message starts with the device name and the operation"
// — on both paths of execute().
BOOST_AUTO_TEST_CASE(batch_fallback_error_starts_with_the_device_name) {
  auto b = make_bench(without_batch);
  Device& dev = *b.device;
  const std::vector<RegisterOp> failing{wr(chip::reg::SCRATCH0, 1u), wr(chip::reg::CHIP_ID, 0u)};
  const auto msg = expect_error<AddressError>([&] { dev.execute(failing); }, ErrorCode::read_only);
  CHECK_STARTS_WITH(msg, kSimName);
}

BOOST_AUTO_TEST_CASE(soft_reset_via_control_bit_restores_reset_values) {
  auto b = make_bench();
  Device& dev = *b.device;
  dev.write_register(chip::reg::SCRATCH0, 0x1234u);
  dev.write_register(chip::reg::PLL_FREQ_MHZ, 900u);
  dev.write_register(chip::reg::CONTROL, chip::bits::CONTROL_SOFT_RESET | chip::bits::CONTROL_ENABLE);
  BOOST_TEST(dev.read_register(chip::reg::SCRATCH0) == 0u);
  BOOST_TEST(dev.read_register(chip::reg::PLL_FREQ_MHZ) == 1200u);
  BOOST_TEST(dev.read_register(chip::reg::CONTROL) == chip::bits::CONTROL_ENABLE,
             "soft reset bit did not self-clear");
}

BOOST_AUTO_TEST_CASE(register_stuck_bits_show_in_readback) {
  auto die = testing::clean_die({"STUCK", 5, 6, 7});
  die.register_stuck = {{chip::reg::SCRATCH0, 5, true}, {chip::reg::SCRATCH1, 30, false}};
  auto b = testing::make_sim_bench(testing::chip_model(die, 1u << 20));
  Device& dev = *b.device;
  dev.write_register(chip::reg::SCRATCH0, 0u);
  BOOST_TEST(dev.read_register(chip::reg::SCRATCH0) == 0x00000020u);
  dev.write_register(chip::reg::SCRATCH0, 0xFFFFFFFFu);
  BOOST_TEST(dev.read_register(chip::reg::SCRATCH0) == 0xFFFFFFFFu);
  dev.write_register(chip::reg::SCRATCH1, 0xFFFFFFFFu);
  BOOST_TEST(dev.read_register(chip::reg::SCRATCH1) == 0xBFFFFFFFu);
  dev.write_register(chip::reg::SCRATCH1, 0u);
  BOOST_TEST(dev.read_register(chip::reg::SCRATCH1) == 0u);
  // The stuck flop is there from reset on, too.
  dev.reset(protocol::ResetKind::soft);
  BOOST_TEST(dev.read_register(chip::reg::SCRATCH0) == 0x00000020u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval

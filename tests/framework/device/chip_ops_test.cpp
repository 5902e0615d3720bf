// Tests of the Device calls for heavy on-chip work — MBIST, tensor operations, sensors, holds and the
// operating point — against the SeedChip model over the in-process link, as suites use them.
#include <chrono>
#include <cstdint>
#include <cstring>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <seedval/chip/march.h>
#include <seedval/chip/registers.h>
#include <seedval/chip/tensor.h>
#include <seedval/core/error.h>
#include <seedval/device/device.h>
#include <seedval/sim/faults.h>

#include "support/errors.h"
#include "support/sim_bench.h"

namespace seedval {
namespace {

constexpr std::uint64_t kMemory = 1u << 20;

sim::MemoryFault saf(std::uint64_t word, std::uint8_t bit, bool value) {
  sim::MemoryFault f;
  f.kind = sim::FaultClass::saf;
  f.victim = {word, bit};
  f.value = value;
  return f;
}

testing::SimBench bench(sim::DieInstance die) {
  return testing::make_sim_bench(testing::chip_model(std::move(die), kMemory));
}

const chip::MarchAlgorithm& march_c() {
  static const auto a = chip::parse_march("{⇕(w0);⇑(r0,w1);⇑(r1,w0);⇓(r0,w1);⇓(r1,w0);⇕(r0)}", "March C-");
  return a;
}

chip::MarchOptions whole(std::uint64_t pattern = 0) {
  chip::MarchOptions o;
  o.words = kMemory / 8;
  o.background = {.pattern = pattern, .invert_mask = 0};
  return o;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(device_chip_ops)

BOOST_AUTO_TEST_CASE(mbist_reports_the_failing_reads_of_a_stuck_cell) {
  auto die = testing::clean_die({"MBIST", 1, 2, 3});
  die.memory_faults = {saf(0x1234, 17, true)};
  auto b = bench(die);
  const auto run = b.device->run_mbist(march_c(), whole());
  // SA1 at bit 17 fails every read that expects 0 there: r0 of elements 1, 3 and 5.
  BOOST_TEST(run.result.fail_count == 3u);
  BOOST_REQUIRE(run.result.fails.size() == 3u);
  const std::uint16_t elements[] = {1, 3, 5};
  for (std::size_t i = 0; i < 3; ++i) {
    const auto& f = run.result.fails[i];
    BOOST_TEST(f.word == 0x1234u);
    BOOST_TEST(f.element == elements[i]);
    BOOST_TEST(f.op == 0);
    BOOST_TEST(f.expected == 0u);
    BOOST_TEST(f.actual == (std::uint64_t{1} << 17));
  }
  BOOST_TEST(run.result.operations == 10 * kMemory / 8);
  BOOST_TEST(run.device_ns > 0u);
  BOOST_TEST(b.device->read_register(chip::reg::MBIST_STATUS) ==
             (chip::bits::MBIST_DONE | chip::bits::MBIST_FAILED));
  BOOST_TEST(b.device->read_register(chip::reg::MBIST_FAIL_COUNT) == 3u);
  BOOST_TEST(b.device->read_register(chip::reg::MBIST_FAIL_ADDR_LO) == 0x1234u * 8);
}

BOOST_AUTO_TEST_CASE(mbist_fail_log_is_bounded_but_the_count_is_not) {
  auto die = testing::clean_die({"MBIST", 1, 2, 4});
  for (std::uint64_t w = 0; w < 100; ++w) die.memory_faults.push_back(saf(w * 37, 3, false));
  auto b = bench(die);
  auto options = whole(~std::uint64_t{0});
  options.max_fails = 10;
  const auto run = b.device->run_mbist(march_c(), options);
  BOOST_TEST(run.result.fails.size() == 10u);
  BOOST_TEST(run.result.fail_count == 300u);  // SA0 under an all-ones background fails the three r0 reads
  BOOST_TEST(run.result.truncated());
}

BOOST_AUTO_TEST_CASE(mbist_on_a_good_die_passes_in_both_orders_and_on_a_subregion) {
  auto b = bench(testing::clean_die({"MBIST", 1, 2, 5}));
  auto options = whole(0x0F0F0F0F0F0F0F0Full);
  options.any_order = chip::AddressOrder::down;
  BOOST_TEST(b.device->run_mbist(march_c(), options).result.fail_count == 0u);
  options.first_word = 1000;
  options.words = 24;
  const auto run = b.device->run_mbist(march_c(), options);
  BOOST_TEST(run.result.fail_count == 0u);
  BOOST_TEST(run.result.operations == 240u);
}

BOOST_AUTO_TEST_CASE(mbist_errors_name_the_problem) {
  auto b = bench(testing::clean_die({"MBIST", 1, 2, 6}));
  auto outside = whole();
  outside.first_word = kMemory / 8 - 4;
  BOOST_CHECK_EXCEPTION(b.device->run_mbist(march_c(), outside), AddressError,
                        testing::error_with(ErrorCode::address, "lies outside HBM"));
  auto any = whole();
  any.any_order = chip::AddressOrder::any;
  BOOST_CHECK_EXCEPTION(b.device->run_mbist(march_c(), any), InvalidArgumentError,
                        testing::error_with(ErrorCode::invalid_argument, "resolve"));
  b.device->write_register(chip::reg::MBIST_CTRL, 0);
  BOOST_CHECK_EXCEPTION(b.device->run_mbist(march_c(), whole()), DeviceError,
                        testing::error_with(ErrorCode::device, "MBIST engine is disabled"));
}

BOOST_AUTO_TEST_CASE(retention_march_finds_a_leaky_cell_only_without_refresh) {
  auto die = testing::clean_die({"MBIST", 1, 2, 7});
  sim::MemoryFault drf;
  drf.kind = sim::FaultClass::drf;
  drf.victim = {0x2000, 5};
  drf.value = true;
  drf.retention_ms = 45;  // about 39 ms at the idle die temperature: longer than the 32 ms refresh
  die.memory_faults = {drf};
  auto b = bench(die);
  const auto del = chip::parse_march("{⇕(w1);Del(50ms);⇕(r1)}");
  BOOST_TEST(b.device->run_mbist(del, whole()).result.fail_count == 0u,
             "refresh every 32 ms keeps a 39 ms cell alive");
  b.device->write_register(chip::reg::HBM_REFRESH_CTRL, 0);
  const auto run = b.device->run_mbist(del, whole());
  BOOST_REQUIRE(run.result.fail_count == 1u);
  BOOST_TEST(run.result.fails[0].word == 0x2000u);
  BOOST_TEST(run.device_ns >= 50'000'000u);
}

BOOST_AUTO_TEST_CASE(ecc_injection_is_corrected_counted_and_logged) {
  auto b = bench(testing::clean_die({"ECC", 1, 2, 3}));
  Device& dev = *b.device;
  const std::vector<std::uint8_t> data{1, 2, 3, 4, 5, 6, 7, 8};
  dev.write_memory(0x4000, data);
  auto inject = [&](std::uint64_t address, std::uint64_t mask) {
    dev.write_register(chip::reg::ECC_INJECT_ADDR_LO, static_cast<std::uint32_t>(address));
    dev.write_register(chip::reg::ECC_INJECT_ADDR_HI, static_cast<std::uint32_t>(address >> 32));
    dev.write_register(chip::reg::ECC_INJECT_MASK_LO, static_cast<std::uint32_t>(mask));
    dev.write_register(chip::reg::ECC_INJECT_MASK_HI, static_cast<std::uint32_t>(mask >> 32));
    dev.write_register(chip::reg::ECC_INJECT_CTRL, chip::bits::ECC_INJECT_GO);
  };
  inject(0x4000, 1ull << 40);
  BOOST_TEST((dev.read_memory(0x4000, 8) == data), "single-bit error not corrected");
  BOOST_TEST(dev.read_register(chip::reg::ECC_CE_COUNT) == 1u);
  BOOST_TEST(dev.read_register(chip::reg::ECC_UE_COUNT) == 0u);
  BOOST_TEST(dev.read_register(chip::reg::ECC_ERR_ADDR_LO) == 0x4000u);
  BOOST_TEST(dev.read_register(chip::reg::ECC_ERR_INFO) == chip::bits::ECC_INFO_VALID);
  BOOST_TEST((dev.read_register(chip::reg::INT_STATUS) & chip::bits::INT_ECC_CORRECTED) != 0u);

  inject(0x8008, (1ull << 3) | (1ull << 60));
  const auto raw = dev.read_memory(0x8008, 8);  // detected, not corrected: the raw word comes back
  BOOST_TEST(raw[0] == 0x08u);
  BOOST_TEST(raw[7] == 0x10u);
  BOOST_TEST(dev.read_register(chip::reg::ECC_UE_COUNT) == 1u);
  BOOST_TEST(dev.read_register(chip::reg::ECC_ERR_ADDR_LO) == 0x8008u);
  BOOST_TEST(dev.read_register(chip::reg::ECC_ERR_INFO) ==
             (chip::bits::ECC_INFO_VALID | chip::bits::ECC_INFO_UNCORRECTABLE));
  BOOST_TEST((dev.read_register(chip::reg::STATUS) & chip::bits::STATUS_ERROR) != 0u);

  dev.write_register(chip::reg::ECC_CE_COUNT, 0xFFFFFFFF);  // w1c
  dev.write_register(chip::reg::ECC_UE_COUNT, 0xFFFFFFFF);
  BOOST_TEST(dev.read_register(chip::reg::ECC_CE_COUNT) == 0u);
  BOOST_TEST(dev.read_register(chip::reg::ECC_UE_COUNT) == 0u);

  // With ECC off, the host sees the raw cells: the injected flip shows.
  dev.write_register(chip::reg::ECC_CTRL, 0);
  const auto flipped = dev.read_memory(0x4000, 8);
  BOOST_TEST(flipped[5] == (data[5] ^ 0x01u));
  BOOST_TEST(dev.read_register(chip::reg::ECC_CE_COUNT) == 0u);
  BOOST_CHECK_EXCEPTION(inject(kMemory, 1), AddressError,
                        testing::error_with(ErrorCode::address, "outside HBM"));
}

BOOST_AUTO_TEST_CASE(hold_sensors_and_operating_point) {
  auto b = bench(testing::clean_die({"PWR", 1, 2, 3}));
  Device& dev = *b.device;
  const auto idle = dev.read_sensors();
  const auto loaded = dev.hold(std::chrono::seconds(30), 0xFF, 1.0);
  BOOST_TEST(loaded.temperature_mc > idle.temperature_mc + 20000);
  BOOST_TEST(loaded.power_mw > 5 * idle.power_mw);
  BOOST_TEST(loaded.time_us >= idle.time_us + 30'000'000u);
  const auto op = dev.set_operating_point(800, 1400);
  BOOST_TEST(op.frequency_mhz == 1400u);
  BOOST_TEST(dev.read_register(chip::reg::VDD_CORE_MV) == 800u);
  BOOST_CHECK_EXCEPTION(dev.set_operating_point(1200, 1400), DeviceError,
                        testing::error_with(ErrorCode::device, "outside the regulator"));
  BOOST_CHECK_EXCEPTION(dev.hold(std::chrono::seconds(1), 0, 1.5), InvalidArgumentError,
                        testing::error_with(ErrorCode::invalid_argument, "utilisation"));
}

BOOST_AUTO_TEST_CASE(tensor_operations_run_on_enabled_cores) {
  auto die = testing::clean_die({"TNS", 1, 2, 3});
  die.harvest_mask = 0x302;
  auto b = bench(die);
  Device& dev = *b.device;
  // y = relu(x) on 256 floats in core 0's SRAM.
  std::vector<float> x(256);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i) - 128.0f;
  std::vector<std::uint8_t> bytes(x.size() * 4);
  std::memcpy(bytes.data(), x.data(), bytes.size());
  const std::uint64_t sram = chip::kSramBase;
  dev.write_memory(sram, bytes);
  chip::TensorOp op;
  op.kind = chip::TensorOpKind::relu;
  op.inputs = {{.address = sram, .dtype = chip::DType::f32, .shape = {256}, .absent = false}};
  op.outputs = {{.address = sram + 4096, .dtype = chip::DType::f32, .shape = {256}, .absent = false}};
  const auto r = dev.execute_tensor(0, op);
  BOOST_TEST(r.elements == 256u);
  const auto out = dev.read_memory(sram + 4096, bytes.size());
  std::vector<float> y(256);
  std::memcpy(y.data(), out.data(), out.size());
  for (std::size_t i = 0; i < y.size(); ++i) BOOST_TEST(y[i] == (x[i] > 0 ? x[i] : 0.0f));
  BOOST_CHECK_EXCEPTION(
      dev.execute_tensor(1, op), DeviceError,
      testing::error_with(ErrorCode::device, "tensor core 1 refused Relu: it is fused off"));
  op.inputs[0].dtype = chip::DType::i8;
  BOOST_CHECK_THROW(dev.execute_tensor(0, op), Error);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval

// Tests of the SeedChip model's physics-lite: power and temperature from the operating point, the die's
// leakage and ambient temperature, and the regulator's range. Registers are reached through protocol
// frames (serve()), as every transport reaches them; the model's own sensors are its test back door.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <typeinfo>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <seedval/chip/identity.h>
#include <seedval/chip/registers.h>
#include <seedval/chip/tensor.h>
#include <seedval/core/error.h>
#include <seedval/protocol/frame.h>
#include <seedval/protocol/messages.h>
#include <seedval/protocol/payload.h>
#include <seedval/protocol/server.h>
#include <seedval/sim/chip_model.h>
#include <seedval/sim/physics.h>
#include <seedval/sim/population.h>

#include "support/errors.h"

namespace seedval::sim {
namespace {

using protocol::Opcode;

DieInstance die_with(double leakage_factor, double ambient_c = 25.0) {
  const chip::DieId id{"PWR", 1, 2, 3};
  DieInstance d;
  d.id = id;
  d.ecid = chip::encode_ecid(id);
  d.leakage_factor = leakage_factor;
  d.ambient_c = ambient_c;
  return d;
}

ChipModel make_model(const DieInstance& die) {
  ChipConfig config;
  config.memory_size = 1u << 20;
  return ChipModel(config, die);
}

// One request through the protocol server; an error response is rethrown as its typed error.
std::vector<std::uint8_t> request(ChipModel& model, Opcode op, const std::vector<std::uint8_t>& payload) {
  const auto bytes = protocol::serve(model, protocol::encode_request(op, 1, payload));
  const auto frame = protocol::decode_frame(bytes);
  if (frame.header.status != ErrorCode::ok)
    throw_error(frame.header.status, std::string(frame.payload.begin(), frame.payload.end()));
  return {frame.payload.begin(), frame.payload.end()};
}

std::uint32_t read_reg(ChipModel& model, std::uint32_t address) {
  const auto p = request(model, Opcode::reg_read, protocol::encode_reg_read(address));
  BOOST_REQUIRE(p.size() == 4u);
  return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) |
         (std::uint32_t{p[3]} << 24);
}

void write_reg(ChipModel& model, std::uint32_t address, std::uint32_t value) {
  request(model, Opcode::reg_write, protocol::encode_reg_write(address, value));
}

// Lets the die sit for `seconds` (idle, or with `cores` busy) and returns the sensors at the end.
protocol::SensorsResponse hold(ChipModel& model, double seconds, std::uint32_t cores = 0,
                               std::uint16_t permille = 1000) {
  protocol::HoldRequest h;
  h.duration_us = static_cast<std::uint64_t>(seconds * 1e6);
  h.core_mask = cores;
  h.utilisation_permille = permille;
  return protocol::decode_sensors_response(request(model, Opcode::hold, protocol::encode(h)));
}

// MatMul of two f32 matrices already in HBM at 0 and 0x10000, output at 0x20000, on `core`.
chip::TensorOp matmul(std::int64_t m, std::int64_t k, std::int64_t n) {
  chip::TensorOp op;
  op.kind = chip::TensorOpKind::matmul;
  op.inputs = {{.address = 0, .dtype = chip::DType::f32, .shape = {m, k}, .absent = false},
               {.address = 0x10000, .dtype = chip::DType::f32, .shape = {k, n}, .absent = false}};
  op.outputs = {{.address = 0x20000, .dtype = chip::DType::f32, .shape = {m, n}, .absent = false}};
  return op;
}

std::vector<std::uint8_t> random_floats(std::size_t n, std::uint32_t seed) {
  std::vector<std::uint8_t> out(n * 4);
  std::uint32_t x = seed * 2654435761u + 1;
  for (std::size_t i = 0; i < n; ++i) {
    x = x * 1664525u + 1013904223u;
    const float f = static_cast<float>(static_cast<int>(x >> 8) % 2001 - 1000) / 256.0f;
    std::memcpy(out.data() + 4 * i, &f, 4);
  }
  return out;
}

struct MatmulRun {
  std::vector<std::uint8_t> expected, actual;
  protocol::TensorResponse stats;
  // Output elements whose bits differ from the reference.
  std::vector<std::size_t> mismatches() const {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < expected.size() / 4; ++i)
      if (std::memcmp(expected.data() + 4 * i, actual.data() + 4 * i, 4) != 0) out.push_back(i);
    return out;
  }
};

MatmulRun run_matmul(ChipModel& model, std::uint32_t core, std::int64_t m = 64, std::int64_t k = 32,
                     std::int64_t n = 64) {
  const auto op = matmul(m, k, n);
  const auto a = random_floats(static_cast<std::size_t>(m * k), 1);
  const auto b = random_floats(static_cast<std::size_t>(k * n), 2);
  request(model, Opcode::mem_write, protocol::encode_mem_write(0, a));
  request(model, Opcode::mem_write, protocol::encode_mem_write(0x10000, b));
  protocol::PayloadWriter w;
  w.u32(core);
  w.bytes(chip::encode_tensor_op(op));
  MatmulRun r;
  r.stats = protocol::decode_tensor_response(request(model, Opcode::tensor, std::move(w).take()));
  r.actual =
      request(model, Opcode::mem_read,
              protocol::encode(protocol::MemReadRequest{0x20000, static_cast<std::uint32_t>(m * n * 4)}));
  const std::vector<std::vector<std::uint8_t>> inputs{a, b};
  r.expected = chip::reference_execute(op, inputs).at(0);
  return r;
}

// Long enough for the thermal RC (τ = 4 s) to settle.
constexpr double kSettle = 60.0;

}  // namespace

BOOST_AUTO_TEST_SUITE(sim_chip_model)

BOOST_AUTO_TEST_CASE(higher_core_voltage_reads_higher_power_and_temperature) {
  auto model = make_model(die_with(1.0));
  std::uint32_t last_power = 0, last_temp = 0;
  for (std::uint32_t mv : {500u, 600u, 750u, 900u, 1000u}) {
    BOOST_TEST_CONTEXT(mv << " mV") {
      write_reg(model, chip::reg::VDD_CORE_MV, mv);
      hold(model, kSettle);
      BOOST_TEST(read_reg(model, chip::reg::VDD_CORE_MV) == mv);
      // The sensed supply droops below the set point by the IR drop of a few amps.
      const auto sensed = read_reg(model, chip::reg::VDD_SENSE_MV);
      BOOST_TEST((sensed <= mv && sensed + 15 >= mv), sensed << " mV sensed");
      const auto power = read_reg(model, chip::reg::POWER_MW);
      const auto temp = read_reg(model, chip::reg::TEMP_DIE_MC);
      BOOST_TEST(power > last_power);
      BOOST_TEST(temp > last_temp);
      last_power = power;
      last_temp = temp;
    }
  }
}

BOOST_AUTO_TEST_CASE(higher_clock_reads_higher_power) {
  auto model = make_model(die_with(1.0));
  write_reg(model, chip::reg::PLL_FREQ_MHZ, 600u);
  const auto slow = read_reg(model, chip::reg::POWER_MW);
  write_reg(model, chip::reg::PLL_FREQ_MHZ, 2400u);
  const auto fast = read_reg(model, chip::reg::POWER_MW);
  BOOST_TEST(fast > slow);
}

BOOST_AUTO_TEST_CASE(leakier_die_reads_higher_power_and_temperature) {
  auto nominal = make_model(die_with(1.0));
  auto leaky = make_model(die_with(3.0));
  BOOST_TEST(read_reg(leaky, chip::reg::POWER_MW) > read_reg(nominal, chip::reg::POWER_MW));
  BOOST_TEST(read_reg(leaky, chip::reg::TEMP_DIE_MC) > read_reg(nominal, chip::reg::TEMP_DIE_MC));
  BOOST_TEST(leaky.power_w() > nominal.power_w());
  BOOST_TEST(leaky.temperature_c() > nominal.temperature_c());
}

BOOST_AUTO_TEST_CASE(hotter_ambient_reads_a_hotter_die) {
  auto cool = make_model(die_with(1.0, 25.0));
  auto hot = make_model(die_with(1.0, 85.0));
  BOOST_TEST(read_reg(hot, chip::reg::TEMP_DIE_MC) > read_reg(cool, chip::reg::TEMP_DIE_MC) + 50000u);
  BOOST_TEST(read_reg(hot, chip::reg::POWER_MW) >
             read_reg(cool, chip::reg::POWER_MW));              // leakage rises with T
  BOOST_TEST(read_reg(cool, chip::reg::TEMP_DIE_MC) > 25000u);  // above ambient: the die dissipates power
}

BOOST_AUTO_TEST_CASE(sensor_registers_agree_with_the_model) {
  auto model = make_model(die_with(1.7));
  write_reg(model, chip::reg::VDD_CORE_MV, 820u);
  hold(model, kSettle);
  BOOST_TEST(read_reg(model, chip::reg::POWER_MW) ==
             static_cast<std::uint32_t>(std::lround(model.power_w() * 1000)));
  BOOST_TEST(read_reg(model, chip::reg::TEMP_DIE_MC) ==
             static_cast<std::uint32_t>(std::lround(model.temperature_c() * 1000)));
  // Plausible figures for an idle die: a few watts, tens of degrees.
  BOOST_TEST((model.power_w() > 1.0 && model.power_w() < 50.0), model.power_w() << " W");
  BOOST_TEST((model.temperature_c() > 25.0 && model.temperature_c() < 150.0), model.temperature_c()
                                                                                  << " degC");
}

BOOST_AUTO_TEST_CASE(core_voltage_outside_the_regulator_range_is_a_device_error) {
  auto model = make_model(die_with(1.0));
  write_reg(model, chip::reg::VDD_CORE_MV, 800u);
  for (std::uint32_t mv : {0u, 499u, 1001u, 5000u}) {
    BOOST_TEST_CONTEXT(mv << " mV") {
      bool thrown = false;
      try {
        write_reg(model, chip::reg::VDD_CORE_MV, mv);
      } catch (const DeviceError& e) {
        thrown = true;
        BOOST_TEST(std::string(to_string(e.code())) == "device");
        CHECK_CONTAINS(std::string(e.what()), "outside the regulator range");
        CHECK_CONTAINS(std::string(e.what()), std::to_string(mv));
      }
      BOOST_TEST(thrown);
      BOOST_TEST(read_reg(model, chip::reg::VDD_CORE_MV) == 800u, "a refused set point was applied");
    }
  }
  // The range is inclusive at both ends.
  write_reg(model, chip::reg::VDD_CORE_MV, 500u);
  BOOST_TEST(read_reg(model, chip::reg::VDD_CORE_MV) == 500u);
  write_reg(model, chip::reg::VDD_CORE_MV, 1000u);
  BOOST_TEST(read_reg(model, chip::reg::VDD_CORE_MV) == 1000u);
}

BOOST_AUTO_TEST_CASE(clock_outside_the_pll_range_is_a_device_error) {
  auto model = make_model(die_with(1.0));
  for (std::uint32_t mhz : {99u, 3001u}) {
    bool thrown = false;
    try {
      write_reg(model, chip::reg::PLL_FREQ_MHZ, mhz);
    } catch (const DeviceError& e) {
      thrown = true;
      CHECK_CONTAINS(std::string(e.what()), "PLL range");
    }
    BOOST_TEST(thrown, mhz << " MHz accepted");
  }
  BOOST_TEST(read_reg(model, chip::reg::PLL_FREQ_MHZ) == 1200u);
}

BOOST_AUTO_TEST_CASE(model_refuses_a_memory_size_that_is_not_a_power_of_two) {
  for (std::uint64_t size : {std::uint64_t{0}, std::uint64_t{1001}, std::uint64_t{3} << 20}) {
    ChipConfig config;
    config.memory_size = size;
    BOOST_CHECK_THROW(ChipModel(config, die_with(1.0)), InvalidArgumentError);
  }
}

BOOST_AUTO_TEST_CASE(load_heats_the_die_along_an_rc_curve_and_idle_cools_it) {
  auto model = make_model(die_with(1.0));
  const double idle = model.temperature_c();
  std::vector<double> curve;
  for (int s = 0; s < 30; ++s) curve.push_back(hold(model, 1.0, 0xFF).temperature_mc / 1000.0);
  const double hot = curve.back();
  BOOST_TEST(hot > idle + 20.0, "8 busy cores heat the die: " << idle << " -> " << hot << " degC");
  for (std::size_t i = 1; i < curve.size(); ++i)
    BOOST_TEST(curve[i] >= curve[i - 1], "not monotonic at " << i);
  // First-order RC: the first second closes 1 - e^(-1/4) ≈ 22 % of the gap; after 30 s nearly all of it.
  const double gap = hot - idle;
  BOOST_TEST((curve[0] - idle) / gap > 0.15);
  BOOST_TEST((curve[0] - idle) / gap < 0.30);
  BOOST_TEST(curve[28] - curve[27] < 0.01 * gap);
  // Power under load reads the cores' dynamic power.
  const auto loaded = hold(model, 0.1, 0xFF);
  BOOST_TEST(loaded.power_mw > 60000u, loaded.power_mw << " mW");
  const auto cooled = hold(model, kSettle);
  BOOST_TEST(std::abs(cooled.temperature_mc / 1000.0 - idle) < 0.5);
  BOOST_TEST(cooled.power_mw < 10000u);
}

BOOST_AUTO_TEST_CASE(half_utilisation_heats_less_than_full) {
  auto full = make_model(die_with(1.0));
  auto half = make_model(die_with(1.0));
  BOOST_TEST(hold(half, kSettle, 0xFF, 500).temperature_mc < hold(full, kSettle, 0xFF, 1000).temperature_mc);
}

BOOST_AUTO_TEST_CASE(fused_off_cores_add_no_load) {
  DieInstance d = die_with(1.0);
  d.harvest_mask = 0x3F0;  // only cores 0..3 on
  auto model = make_model(d);
  auto reference = make_model(die_with(1.0));
  BOOST_TEST(read_reg(model, chip::reg::HARVEST_MASK) == 0x3F0u);
  BOOST_TEST(read_reg(model, chip::reg::CORE_ENABLE) == 0x00Fu);
  write_reg(model, chip::reg::CORE_ENABLE, 0x3FF);  // fuses win over software
  BOOST_TEST(read_reg(model, chip::reg::CORE_ENABLE) == 0x00Fu);
  const auto four = hold(model, kSettle, 0x3FF).power_mw;
  const auto eight = hold(reference, kSettle, 0x0FF).power_mw;
  BOOST_TEST(four < eight);
}

BOOST_AUTO_TEST_CASE(thermal_throttle_halves_the_clock_and_trip_halts_load) {
  auto model = make_model(die_with(2.0, 70.0));  // a leaky die in a hot chamber
  write_reg(model, chip::reg::VDD_CORE_MV, 950);
  auto s = hold(model, 1.0, 0xFF);
  BOOST_TEST(s.frequency_mhz == 1200u);
  bool throttled = false;
  for (int i = 0; i < 200 && (s.status & chip::bits::STATUS_THERMAL_TRIP) == 0; ++i) {
    s = hold(model, 0.5, 0xFF);
    if ((s.status & chip::bits::STATUS_THROTTLED) != 0) {
      throttled = true;
      BOOST_TEST(s.frequency_mhz == 600u);
    }
  }
  BOOST_TEST(throttled);
  BOOST_REQUIRE((s.status & chip::bits::STATUS_THERMAL_TRIP) != 0u);
  BOOST_TEST((read_reg(model, chip::reg::INT_STATUS) & chip::bits::INT_THERMAL_TRIP) != 0u);
  // Tripped, the cores stop: the die cools even though load is still requested.
  const auto later = hold(model, kSettle, 0xFF);
  BOOST_TEST(later.temperature_mc < s.temperature_mc);
  // The trip is latched until cleared, and clearing needs the die below the limit minus 10 degC.
  BOOST_TEST((later.status & chip::bits::STATUS_THERMAL_TRIP) != 0u);
  write_reg(model, chip::reg::CONTROL, chip::bits::CONTROL_ENABLE | chip::bits::CONTROL_CLEAR_TRIP);
  BOOST_TEST((read_reg(model, chip::reg::STATUS) & chip::bits::STATUS_THERMAL_TRIP) == 0u);
  BOOST_TEST((read_reg(model, chip::reg::CONTROL) & chip::bits::CONTROL_CLEAR_TRIP) == 0u, "self-clearing");
}

BOOST_AUTO_TEST_CASE(fmax_follows_voltage_temperature_and_the_die) {
  DieInstance fast = die_with(1.0), slow = die_with(1.0);
  fast.speed_factor = 1.1;
  slow.speed_factor = 0.9;
  auto f = make_model(fast);
  auto s = make_model(slow);
  BOOST_TEST(f.fmax_mhz() > s.fmax_mhz());
  BOOST_TEST(f.fmax_mhz() == physics::fmax_mhz(fast, 750, f.temperature_c()));
  const double at_750 = f.fmax_mhz();
  write_reg(f, chip::reg::VDD_CORE_MV, 900);
  BOOST_TEST(f.fmax_mhz() > at_750 * 1.2);
  // Hotter is slower.
  const double cool = f.fmax_mhz();
  hold(f, kSettle, 0xFF);
  BOOST_TEST(f.fmax_mhz() < cool);
  // vmin inverts fmax.
  const double vmin = physics::vmin_mv(fast, 1400, 25.0);
  BOOST_TEST(std::abs(physics::fmax_mhz(fast, vmin, 25.0) - 1400.0) < 0.01);
  BOOST_TEST(physics::fmax_mhz(fast, vmin - 5, 25.0) < 1400.0);
}

BOOST_AUTO_TEST_CASE(operating_point_request_sets_all_or_nothing) {
  auto model = make_model(die_with(1.0));
  const auto s = protocol::decode_sensors_response(request(
      model, Opcode::operating_point, protocol::encode(protocol::OperatingPointRequest{850, 1500, 1150})));
  BOOST_TEST(s.frequency_mhz == 1500u);
  BOOST_TEST(s.vdd_hbm_mv == 1150u);
  BOOST_TEST(read_reg(model, chip::reg::VDD_CORE_MV) == 850u);
  BOOST_CHECK_EXCEPTION(request(model, Opcode::operating_point,
                                protocol::encode(protocol::OperatingPointRequest{800, 3500, 0})),
                        DeviceError, testing::error_with(ErrorCode::device, "3500 MHz"));
  BOOST_TEST(read_reg(model, chip::reg::VDD_CORE_MV) == 850u, "a refused operating point was applied");
  BOOST_TEST(read_reg(model, chip::reg::PLL_FREQ_MHZ) == 1500u);
}

BOOST_AUTO_TEST_CASE(timer_advances_with_work_not_with_the_host_clock) {
  auto a = make_model(die_with(1.0));
  const auto t0 = hold(a, 0).time_us;
  const auto t1 = hold(a, 2.5).time_us;
  BOOST_TEST(t1 - t0 == 2'500'000u);
  // Two models fed the same requests agree to the nanosecond and the milli-degree.
  auto b = make_model(die_with(1.0));
  hold(b, 0);
  hold(b, 2.5);
  BOOST_TEST(a.now_ns() == b.now_ns());
  BOOST_TEST(hold(a, 1, 0xF).temperature_mc == hold(b, 1, 0xF).temperature_mc);
}

BOOST_AUTO_TEST_CASE(every_read_only_register_refuses_writes_and_reserved_addresses_are_errors) {
  auto model = make_model(die_with(1.0));
  for (const auto& r : chip::register_map()) {
    if (r.access != chip::Access::ro) continue;
    BOOST_CHECK_EXCEPTION(write_reg(model, r.address, 0), AddressError,
                          testing::error_with(ErrorCode::read_only, std::string(r.name) + " is read-only"));
  }
  int reserved = 0;
  for (std::uint32_t a = 0; a < 0x600; a += 4) {
    if (chip::find_register(a) != nullptr) continue;
    ++reserved;
    BOOST_CHECK_EXCEPTION(read_reg(model, a), AddressError,
                          testing::error_with(ErrorCode::address, "reserved"));
    BOOST_CHECK_EXCEPTION(write_reg(model, a, 1), AddressError,
                          testing::error_with(ErrorCode::address, "reserved"));
  }
  BOOST_TEST(reserved > 300);
  BOOST_CHECK_EXCEPTION(read_reg(model, 0x0022), AddressError,
                        testing::error_with(ErrorCode::address, "aligned"));
}

BOOST_AUTO_TEST_CASE(identity_registers_describe_the_die) {
  DieInstance d = die_with(1.0);
  d.harvest_mask = 0x301;
  ChipConfig config;
  config.memory_size = 4u << 20;
  ChipModel model(config, d);
  BOOST_TEST(read_reg(model, chip::reg::CHIP_ID) == chip::kChipId);
  BOOST_TEST((std::uint64_t{read_reg(model, chip::reg::ECID_HI)} << 32 |
              read_reg(model, chip::reg::ECID_LO)) == d.ecid);
  BOOST_TEST((chip::HbmGeometry::decode(read_reg(model, chip::reg::HBM_GEOMETRY)) == model.geometry()));
  BOOST_TEST(model.geometry().bytes() == 4u << 20);
  BOOST_TEST(read_reg(model, chip::reg::MEM_SIZE_LO) == 4u << 20);
  BOOST_TEST(read_reg(model, chip::reg::HARVEST_MASK) == 0x301u);
  BOOST_TEST(read_reg(model, chip::reg::CORE_COUNT) == 10u);
  BOOST_TEST(read_reg(model, chip::reg::SRAM_SIZE_KIB) == 256u);
}

BOOST_AUTO_TEST_CASE(sram_windows_are_reachable_and_bounded) {
  auto model = make_model(die_with(1.0));
  const std::uint64_t core3 = chip::kSramBase + 3 * chip::kSramStride;
  const std::vector<std::uint8_t> data{1, 2, 3, 4, 5, 6, 7, 8, 9};
  request(model, Opcode::mem_write, protocol::encode_mem_write(core3 + 100, data));
  BOOST_TEST(
      (request(model, Opcode::mem_read, protocol::encode(protocol::MemReadRequest{core3 + 100, 9})) == data));
  // Core 2's SRAM is separate.
  BOOST_TEST((request(model, Opcode::mem_read,
                      protocol::encode(protocol::MemReadRequest{core3 - chip::kSramStride + 100, 9})) ==
              std::vector<std::uint8_t>(9, 0)));
  BOOST_CHECK_EXCEPTION(request(model, Opcode::mem_read,
                                protocol::encode(protocol::MemReadRequest{core3 + (256u << 10) - 4, 8})),
                        AddressError, testing::error_with(ErrorCode::address, "lies outside device memory"));
  BOOST_CHECK_EXCEPTION(
      request(model, Opcode::mem_read,
              protocol::encode(protocol::MemReadRequest{chip::kSramBase + 10 * chip::kSramStride, 8})),
      AddressError, testing::error_with(ErrorCode::address, "lies outside device memory"));
}

BOOST_AUTO_TEST_CASE(tensor_core_computes_what_the_reference_computes) {
  DieInstance d = die_with(1.0);
  d.harvest_mask = 0x300;
  auto model = make_model(d);
  for (std::uint32_t core : {0u, 7u}) {
    const auto r = run_matmul(model, core);
    BOOST_TEST(r.mismatches().empty(), "core " << core);
    BOOST_TEST(r.stats.macs == 64u * 32u * 64u);
    BOOST_TEST(r.stats.elements == 64u * 64u);
    BOOST_TEST(r.stats.device_ns > 0u);
  }
  BOOST_TEST(read_reg(model, chip::reg::TENSOR_OPS) == 2u);
}

BOOST_AUTO_TEST_CASE(fused_off_disabled_and_tripped_cores_refuse_work) {
  DieInstance d = die_with(1.0);
  d.harvest_mask = 0x304;
  auto model = make_model(d);
  BOOST_CHECK_EXCEPTION(
      run_matmul(model, 2), DeviceError,
      testing::error_with(ErrorCode::device, "tensor core 2 refused MatMul: it is fused off"));
  BOOST_TEST(read_reg(model, chip::reg::CORE_ERROR) == 0x004u);
  BOOST_TEST((read_reg(model, chip::reg::INT_STATUS) & chip::bits::INT_TENSOR_ERROR) != 0u);
  write_reg(model, chip::reg::CORE_ENABLE, 0x0FE);
  BOOST_CHECK_EXCEPTION(run_matmul(model, 0), DeviceError,
                        testing::error_with(ErrorCode::device, "disabled"));
  BOOST_CHECK_EXCEPTION(run_matmul(model, 10), InvalidArgumentError,
                        testing::error_with(ErrorCode::invalid_argument, "tensor core 10 does not exist"));
  BOOST_TEST(run_matmul(model, 1).mismatches().empty());
}

BOOST_AUTO_TEST_CASE(a_stuck_mac_lane_corrupts_its_lane_on_its_core_only) {
  DieInstance d = die_with(1.0);
  d.core_faults = {{.core = 3, .lane = 5, .bit = 20, .kind = CoreFault::Kind::stuck1, .flip_rate = 0}};
  auto model = make_model(d);
  BOOST_TEST(run_matmul(model, 2).mismatches().empty());
  const auto r = run_matmul(model, 3);
  const auto bad = r.mismatches();
  BOOST_TEST(!bad.empty());
  for (auto i : bad) BOOST_TEST(i % kLanesPerCore == 5u, "element " << i << " is not on lane 5");
}

BOOST_AUTO_TEST_CASE(clocking_past_fmax_brings_timing_errors_that_grow_with_the_overshoot) {
  auto model = make_model(die_with(1.0));
  const double fmax = model.fmax_mhz();
  BOOST_TEST((fmax > 1400 && fmax < 1600), fmax);
  std::vector<std::size_t> errors;
  for (double over : {-0.05, 0.045, 0.07}) {
    write_reg(model, chip::reg::PLL_FREQ_MHZ, static_cast<std::uint32_t>(fmax * (1 + over)));
    std::size_t n = 0;
    for (int rep = 0; rep < 4; ++rep) n += run_matmul(model, 0, 64, 16, 128).mismatches().size();
    errors.push_back(n);
  }
  BOOST_TEST(errors[0] == 0u, "errors below fmax");
  BOOST_TEST(errors[1] > 0u);
  BOOST_TEST(errors[2] > 4 * errors[1], errors[1] << " at +4.5 %, " << errors[2] << " at +7 %");
}

BOOST_AUTO_TEST_CASE(a_thermal_trip_halts_tensor_work) {
  auto model = make_model(die_with(2.0, 70.0));
  write_reg(model, chip::reg::VDD_CORE_MV, 950);
  for (int i = 0; i < 400 && (hold(model, 0.5, 0xFF).status & chip::bits::STATUS_THERMAL_TRIP) == 0; ++i) {
  }
  BOOST_CHECK_EXCEPTION(run_matmul(model, 0), DeviceError,
                        testing::error_with(ErrorCode::device, "thermal trip"));
}

BOOST_AUTO_TEST_CASE(hbm_spares_report_the_configured_repair_resources) {
  ChipConfig config;
  config.memory_size = 1u << 20;
  config.spare_rows = 6;
  config.spare_columns = 3;
  ChipModel model(config, die_with(1.0));
  BOOST_TEST(read_reg(model, chip::reg::HBM_SPARES) == ((3u << 16) | 6u));
  BOOST_CHECK_THROW(write_reg(model, chip::reg::HBM_SPARES, 0), AddressError);
}

BOOST_AUTO_TEST_CASE(the_hammer_kernel_disturbs_the_neighbours_of_the_row_it_activates) {
  ChipConfig config;
  config.memory_size = 1u << 20;
  const chip::HbmGeometry g = config.hbm_geometry();
  chip::PhysicalAddress victim_at{0, 1, 2, 10, 5};
  const std::uint64_t victim = g.to_word(victim_at);
  DieInstance die = die_with(1.0);
  MemoryFault f;
  f.kind = FaultClass::rowhammer;
  f.victim = {victim, 9};
  f.value = false;  // a stored 0 flips
  f.hammer_threshold = 20000;
  die.memory_faults = {f};
  ChipModel model(config, die);
  write_reg(model, chip::reg::ECC_CTRL, 0);
  request(model, Opcode::mem_fill, protocol::encode(protocol::MemFillRequest{0, g.bytes(), 0}));
  auto hammer = [&](std::uint32_t row, std::uint32_t count) {
    write_reg(model, chip::reg::MBIST_HAMMER_BANK, g.bank_index(victim_at));
    write_reg(model, chip::reg::MBIST_HAMMER_ROW, row);
    write_reg(model, chip::reg::MBIST_HAMMER_COUNT, count);
    write_reg(model, chip::reg::MBIST_HAMMER_CTRL, chip::bits::MBIST_HAMMER_GO);
    BOOST_TEST(read_reg(model, chip::reg::MBIST_HAMMER_CTRL) == 0u, "GO clears itself");
  };
  auto victim_word = [&] {
    const auto p =
        request(model, Opcode::mem_read, protocol::encode(protocol::MemReadRequest{victim * 8, 8}));
    std::uint64_t v = 0;
    std::memcpy(&v, p.data(), 8);
    return v;
  };
  hammer(9, 5000);
  hammer(11, 5000);
  BOOST_TEST(victim_word() == 0u, "10000 activations stay below the threshold");
  hammer(14, 50000);  // a row farther away disturbs nothing
  BOOST_TEST(victim_word() == 0u);
  // Reading the victim activated its row and restored it: the count starts again.
  hammer(9, 8000);
  hammer(11, 8000);
  BOOST_TEST(victim_word() == 0u, "16000 activations since the victim row was last opened");
  hammer(9, 12000);
  hammer(11, 12000);
  BOOST_TEST(victim_word() == (std::uint64_t{1} << 9), "24000 activations of the neighbours flip the cell");
  // Double-sided: the victim's two neighbours, COUNT each, inside one refresh window.
  request(model, Opcode::mem_fill, protocol::encode(protocol::MemFillRequest{0, g.bytes(), 0}));
  auto double_sided = [&](std::uint32_t count) {
    write_reg(model, chip::reg::MBIST_HAMMER_ROW, 10);
    write_reg(model, chip::reg::MBIST_HAMMER_COUNT, count);
    write_reg(model, chip::reg::MBIST_HAMMER_CTRL,
              chip::bits::MBIST_HAMMER_GO | chip::bits::MBIST_HAMMER_DOUBLE);
  };
  for (int i = 0; i < 5; ++i) double_sided(9000);  // 18000 a window, whenever the windows fall
  BOOST_TEST(victim_word() == 0u);
  double_sided(10000);
  BOOST_TEST(victim_word() == (std::uint64_t{1} << 9), "2 × 10000 activations in one window flip the cell");
  // Out of range and with the engine off: errors, nothing run.
  write_reg(model, chip::reg::MBIST_HAMMER_ROW, g.rows);
  BOOST_CHECK_EXCEPTION(write_reg(model, chip::reg::MBIST_HAMMER_CTRL, 1), AddressError,
                        testing::error_with(ErrorCode::address, "lies outside the HBM"));
  write_reg(model, chip::reg::MBIST_HAMMER_ROW, 9);
  write_reg(model, chip::reg::MBIST_CTRL, 0);
  BOOST_CHECK_EXCEPTION(write_reg(model, chip::reg::MBIST_HAMMER_CTRL, 1), DeviceError,
                        testing::error_with(ErrorCode::device, "MBIST engine is disabled"));
}

BOOST_AUTO_TEST_CASE(same_die_same_requests_same_answers) {
  DieInstance d = die_with(1.3);
  d.core_faults = {{.core = 0, .lane = 1, .bit = 3, .kind = CoreFault::Kind::flaky, .flip_rate = 0.05}};
  auto a = make_model(d);
  auto b = make_model(d);
  write_reg(a, chip::reg::PLL_FREQ_MHZ, 1560);
  write_reg(b, chip::reg::PLL_FREQ_MHZ, 1560);
  const auto ra = run_matmul(a, 0);
  const auto rb = run_matmul(b, 0);
  BOOST_TEST(!ra.mismatches().empty());
  BOOST_TEST((ra.actual == rb.actual));
  BOOST_TEST(hold(a, 3, 0xF).temperature_mc == hold(b, 3, 0xF).temperature_mc);
  // Repeating the work on one die draws the flaky lane afresh: that is what an SDC screen relies on.
  const auto again = run_matmul(a, 0);
  BOOST_TEST((again.actual != ra.actual));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval::sim

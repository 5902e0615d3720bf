// Tests of the SeedChip model's physics-lite: power and temperature from the operating point, the die's
// leakage and ambient temperature, and the regulator's range. Registers are reached through protocol
// frames (serve()), as every transport reaches them; the model's own sensors are its test back door.
#include <cmath>
#include <cstdint>
#include <string>
#include <typeinfo>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <seedval/chip/identity.h>
#include <seedval/chip/registers.h>
#include <seedval/core/error.h>
#include <seedval/protocol/frame.h>
#include <seedval/protocol/messages.h>
#include <seedval/protocol/server.h>
#include <seedval/sim/chip_model.h>
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

}  // namespace

BOOST_AUTO_TEST_SUITE(sim_chip_model)

BOOST_AUTO_TEST_CASE(higher_core_voltage_reads_higher_power_and_temperature) {
  auto model = make_model(die_with(1.0));
  std::uint32_t last_power = 0, last_temp = 0;
  for (std::uint32_t mv : {500u, 600u, 750u, 900u, 1000u}) {
    BOOST_TEST_CONTEXT(mv << " mV") {
      write_reg(model, chip::reg::VDD_CORE_MV, mv);
      BOOST_TEST(read_reg(model, chip::reg::VDD_CORE_MV) == mv);
      BOOST_TEST(read_reg(model, chip::reg::VDD_SENSE_MV) == mv);
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

BOOST_AUTO_TEST_CASE(model_refuses_a_memory_size_that_is_not_whole_words) {
  for (std::uint64_t size : {std::uint64_t{0}, std::uint64_t{1001}}) {
    ChipConfig config;
    config.memory_size = size;
    BOOST_CHECK_THROW(ChipModel(config, die_with(1.0)), InvalidArgumentError);
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval::sim

// Tests of Device::identify() against the SeedChip model, reached through the in-process transport.
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <seedval/boards/board.h>
#include <seedval/chip/identity.h>
#include <seedval/chip/registers.h>
#include <seedval/core/error.h>
#include <seedval/core/paths.h>
#include <seedval/device/device.h>
#include <seedval/sim/chip_model.h>
#include <seedval/sim/population.h>

#include "support/sim_bench.h"
#include "support/temp_dir.h"

namespace seedval {
namespace {

namespace fs = std::filesystem;

using testing::kSimName;
using testing::TempDir;

// A fault-free population: identify must not depend on what faults a die carries.
sim::PopulationSpec clean_spec() {
  sim::PopulationSpec spec = testing::population("device-identify");
  spec.seed = 77;
  return spec;
}

std::shared_ptr<sim::ChipModel> make_model(const chip::DieId& id, std::uint64_t memory_size) {
  return testing::chip_model(clean_spec(), id, memory_size);
}

Device make_device(std::shared_ptr<sim::ChipModel> model) {
  return Device(testing::inproc_link(std::move(model)), kSimName);
}

std::uint64_t read64(Device& dev, std::uint32_t lo, std::uint32_t hi) {
  return std::uint64_t{dev.read_register(lo)} | (std::uint64_t{dev.read_register(hi)} << 32);
}

// Passes every exchange through and counts them.
class CountingTransport final : public testing::ForwardingTransport {
 public:
  CountingTransport(std::unique_ptr<Transport> inner, int& count)
      : ForwardingTransport(std::move(inner)), count_(count) {}
  void exchange_into(std::span<const std::uint8_t> request, std::vector<std::uint8_t>& response,
                     Deadline deadline, std::stop_token stop) override {
    ++count_;
    ForwardingTransport::exchange_into(request, response, deadline, std::move(stop));
  }

 private:
  int& count_;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(device_identify)

BOOST_AUTO_TEST_CASE(identify_reports_chip_id_revision_and_model) {
  Device dev = make_device(make_model({"LOTA1", 7, 120, 33}, 4u << 20));
  const Identity& id = dev.identify();
  BOOST_TEST(id.chip_id == 0x5EEDC41Bu);
  BOOST_TEST(id.chip_id == chip::kChipId);
  BOOST_TEST(id.revision == 0xA0u);
  BOOST_TEST(id.revision_name() == "A0");
  BOOST_TEST(id.model == "seedchip-sim");
}

BOOST_AUTO_TEST_CASE(ecid_decodes_to_the_die_in_the_model) {
  const std::vector<chip::DieId> dies{
      {"LOTA1", 7, 120, 33}, {"Z", 1, 0, 0}, {"ZZZZZZ", 25, 255, 255}, {"0A9B", 12, 1, 254}};
  for (const auto& die : dies) {
    BOOST_TEST_CONTEXT("die " << chip::to_string(die)) {
      Device dev = make_device(make_model(die, 1u << 20));
      const Identity& id = dev.identify();
      BOOST_TEST(id.ecid == chip::encode_ecid(die));
      BOOST_REQUIRE(id.die.has_value());
      BOOST_TEST(chip::to_string(*id.die) == chip::to_string(die));
      BOOST_TEST(id.ecid_error.empty());
      // The fuse registers carry the same ECID as the identify response.
      BOOST_TEST(read64(dev, chip::reg::ECID_LO, chip::reg::ECID_HI) == id.ecid);
    }
  }
}

BOOST_AUTO_TEST_CASE(undecodable_ecid_is_reported_in_the_identity_not_thrown) {
  const chip::DieId die{"LOTA1", 7, 120, 33};
  sim::DieInstance instance = testing::clean_die(die);
  instance.ecid ^= 1u;  // one misread fuse: the check bits no longer match
  Device dev = make_device(testing::chip_model(instance, 1u << 20));
  const Identity& id = dev.identify();
  BOOST_TEST(id.ecid == instance.ecid);
  BOOST_TEST(!id.die.has_value());
  BOOST_TEST(id.ecid_error.find("check bits") != std::string::npos, "ecid_error: " << id.ecid_error);
}

BOOST_AUTO_TEST_CASE(capabilities_are_those_the_model_declares) {
  Device dev = make_device(make_model({"CAPS", 2, 3, 4}, 1u << 20));
  const Identity& id = dev.identify();
  BOOST_TEST(id.capabilities == sim::ChipModel::all_capabilities());
  for (auto c :
       {chip::Capability::register_batch, chip::Capability::memory_bulk, chip::Capability::memory_fill,
        chip::Capability::sensors, chip::Capability::dvfs, chip::Capability::reset}) {
    BOOST_TEST(id.has(c), "missing " << chip::to_string(c));
    BOOST_TEST(dev.has(c), "missing " << chip::to_string(c));
  }
  for (int b = 0; b < chip::kCapabilityCount; ++b) {
    const auto c = static_cast<chip::Capability>(b);
    BOOST_TEST(id.has(c) == ((sim::ChipModel::all_capabilities() & chip::bit(c)) != 0), chip::to_string(c));
  }
  const auto names = chip::capability_names(id.capabilities);
  BOOST_TEST((std::find(names.begin(), names.end(), "memory.fill") != names.end()));
  BOOST_TEST((std::find(names.begin(), names.end(), "registers.batch") != names.end()));
  BOOST_TEST(read64(dev, chip::reg::CAPS_LO, chip::reg::CAPS_HI) == id.capabilities);
}

BOOST_AUTO_TEST_CASE(memory_size_is_the_configured_size) {
  for (std::uint64_t mib : {1u, 4u, 16u}) {
    BOOST_TEST_CONTEXT(mib << " MiB") {
      Device dev = make_device(make_model({"MEM", 1, 1, 1}, mib << 20));
      BOOST_TEST(dev.identify().memory_size == mib << 20);
      BOOST_TEST(read64(dev, chip::reg::MEM_SIZE_LO, chip::reg::MEM_SIZE_HI) == mib << 20);
    }
  }
}

BOOST_AUTO_TEST_CASE(memory_size_follows_the_descriptor_memory_mib) {
  TempDir dir;
  const fs::path population = data_root() / "fixtures" / "populations" / "a0-typical.json";
  const fs::path file =
      dir.write("four-mib.json", R"({"board": "seedchip-sim", "transport": "inproc", "population": ")" +
                                     population.string() + R"(", "memory_mib": 4})");
  auto board = open_board(file.string());
  Device dev(board->connect(), board->info().name);
  BOOST_TEST(dev.identify().memory_size == std::uint64_t{4} << 20);
}

BOOST_AUTO_TEST_CASE(builtin_board_identifies_its_default_die) {
  auto board = open_board("seedchip-sim");
  Device dev(board->connect(), board->info().name);
  const Identity& id = dev.identify();
  BOOST_TEST(id.chip_id == chip::kChipId);
  BOOST_TEST(id.memory_size == std::uint64_t{16} << 20);  // boards/seedchip-sim.json: "memory_mib": 16
  BOOST_REQUIRE(id.die.has_value());
  BOOST_TEST(chip::to_string(*id.die) == "SIM0-W01-X000-Y000");
}

BOOST_AUTO_TEST_CASE(identify_is_cached_until_refresh_or_reset) {
  int exchanges = 0;
  auto model = make_model({"CACHE", 4, 5, 6}, 1u << 20);
  Device dev(std::make_unique<CountingTransport>(testing::inproc_link(model), exchanges), kSimName);
  const auto ecid = dev.identify().ecid;
  BOOST_TEST(exchanges == 1);
  BOOST_TEST(dev.identify().ecid == ecid);
  BOOST_TEST(dev.has(chip::Capability::memory_fill));
  BOOST_TEST(exchanges == 1, "a second identify() went to the device");
  dev.identify(true);
  BOOST_TEST(exchanges == 2, "identify(true) did not ask the device again");
  dev.reset();
  const int after_reset = exchanges;
  dev.identify();
  BOOST_TEST(exchanges == after_reset + 1, "identify() after reset() used the stale identity");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval

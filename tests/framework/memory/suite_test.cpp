// Tests of the memory suite's tests (memory.march, memory.retention, memory.rowhammer, memory.ecc) on the
// chip model, with dies whose faults are placed by hand: each finds what it is for, names the cell, and
// misses what it should miss.
#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <seedval/chip/march_library.h>
#include <seedval/chip/registers.h>
#include <seedval/exec/program.h>
#include <seedval/exec/runner.h>
#include <seedval/memory/backgrounds.h>
#include <seedval/memory/march_runner.h>
#include <seedval/testapi/test.h>

#include "boards/fault_builders.h"
#include "support/errors.h"
#include "support/sim_bench.h"

namespace seedval {

inline std::ostream& boost_test_print_type(std::ostream& os, Outcome o) {
  return os << to_string(o);
}

namespace memory {
namespace {

using nlohmann::json;
using testing::cell_fault;
using testing::coupling;
using ParamMap = std::map<std::string, ParamValue, std::less<>>;

constexpr std::uint64_t kMemory = 1u << 20;  // 64 banks of 16 rows

sim::DieInstance die_with(std::vector<sim::MemoryFault> faults) {
  auto die = testing::clean_die({"MEMS", 3, 4, 5});
  die.memory_faults = std::move(faults);
  return die;
}

testing::SimBench bench(std::vector<sim::MemoryFault> faults) {
  return testing::make_sim_bench(testing::chip_model(die_with(std::move(faults)), kMemory));
}

StepRecord run(Device& dev, std::string_view test, const ParamMap& params = {}) {
  const TestDefinition& def = TestRegistry::instance().get(test);
  return run_test(dev, def, def.make_params(params), {}, {});
}

double measured(const StepRecord& s, std::string_view name) {
  for (const auto& m : s.measurements)
    if (m.name == name) return m.value;
  BOOST_FAIL("no measurement " << name << " in " << s.test);
  return 0;
}

json artifact(const StepRecord& s, std::string_view name) {
  for (const auto& a : s.artifacts)
    if (a.name == name) return json::parse(a.content);
  return nullptr;
}

// True if the step's fail bitmap holds the cell.
bool names_cell(const StepRecord& s, const sim::Cell& cell) {
  const json bitmap = artifact(s, "fail_bitmap");
  if (bitmap.is_null()) return false;
  for (const auto& c : bitmap["cells"])
    if (c["address"] == fmt::format("0x{:x}", cell.word * 8) && c["bit"] == cell.bit) return true;
  return false;
}

sim::Cell cell(std::uint64_t word, std::uint8_t bit) {
  return {word, bit};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(memory_suite)

BOOST_AUTO_TEST_CASE(a_clean_die_passes_every_memory_test) {
  auto b = bench({});
  for (const char* test : {"memory.march", "memory.retention", "memory.rowhammer", "memory.ecc"}) {
    BOOST_TEST_CONTEXT(test) {
      const StepRecord s = run(*b.device, test);
      BOOST_TEST(s.outcome == Outcome::passed, s.message);
      BOOST_TEST(s.artifacts.empty(), "a clean die needs no fail bitmap");
    }
  }
}

BOOST_AUTO_TEST_CASE(march_names_the_failing_cell_with_its_physical_location) {
  const sim::Cell victim = cell(0x1234, 17);
  auto b = bench({cell_fault(sim::FaultClass::tf, victim.word, victim.bit, true)});
  const StepRecord s = run(*b.device, "memory.march");
  BOOST_TEST(s.outcome == Outcome::failed);
  BOOST_TEST(measured(s, "failing_cells") == 1.0);
  BOOST_TEST(measured(s, "unrepairable_banks") == 0.0);
  BOOST_TEST(measured(s, "spare_rows_used") + measured(s, "spare_columns_used") == 1.0);
  const json bitmap = artifact(s, "fail_bitmap");
  BOOST_REQUIRE(bitmap["cells"].size() == 1u);
  const json& c = bitmap["cells"][0];
  const auto at = b.device->memory_geometry().to_physical(victim.word);
  BOOST_TEST(c["address"] == "0x91a0");
  BOOST_TEST(c["bit"] == 17);
  BOOST_TEST(c["stack"] == at.stack);
  BOOST_TEST(c["channel"] == at.channel);
  BOOST_TEST(c["bank"] == at.bank);
  BOOST_TEST(c["row"] == at.row);
  BOOST_TEST(c["column"] == at.column);
  BOOST_TEST(c["expected"] == 1);  // it cannot rise
  BOOST_TEST(c["read"] == 0);
  BOOST_TEST(c["test"] == "March C-");
  BOOST_TEST(c["background"] == "solid");
  BOOST_TEST(!artifact(s, "repair_plan").is_null());
}

BOOST_AUTO_TEST_CASE(on_device_and_host_driven_marches_find_the_same_fails) {
  // Static faults in the first 16 KiB; the host-driven march covers only that region.
  std::vector<sim::MemoryFault> faults = {
      cell_fault(sim::FaultClass::saf, 10, 3, true),   cell_fault(sim::FaultClass::tf, 100, 60, false),
      cell_fault(sim::FaultClass::wdf, 200, 7, false), cell_fault(sim::FaultClass::rdf, 300, 8, true),
      cell_fault(sim::FaultClass::irf, 400, 9, false), cell_fault(sim::FaultClass::drdf, 500, 1, true)};
  auto cf = coupling(sim::FaultClass::cfid, cell(600, 2), cell(601, 5));
  cf.value = true;
  faults.push_back(cf);
  auto b = bench(faults);
  const auto library = chip::builtin_march_library();
  for (const char* name : {"March C-", "March SS", "March Y"}) {
    for (const auto& bg : parse_backgrounds("solid,checkerboard", b.device->memory_geometry())) {
      BOOST_TEST_CONTEXT(name << ", " << bg.name) {
        chip::MarchOptions options;
        options.words = 2048;
        options.background = bg.background;
        // Both start from the same state: power-on (zeroed cells, fault state reset), ECC off.
        auto from_power_on = [&](MarchPath path) {
          b.device->reset(protocol::ResetKind::hard);
          b.device->write_register(chip::reg::ECC_CTRL, 0);
          return run_march_on(*b.device, path, library.get(name), options);
        };
        const auto mbist = from_power_on(MarchPath::mbist);
        const auto host = from_power_on(MarchPath::host);
        BOOST_TEST(mbist.result.fail_count > 0u);
        BOOST_TEST(host.result.fail_count == mbist.result.fail_count);
        BOOST_TEST((host.result.fails == mbist.result.fails));
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(the_host_path_runs_through_the_memory_test_too) {
  const sim::Cell victim = cell(77, 40);
  auto b = bench({cell_fault(sim::FaultClass::saf, victim.word, victim.bit, false)});
  const StepRecord s =
      run(*b.device, "memory.march", {{"path", std::string("host")}, {"length", std::int64_t{4096}}});
  BOOST_TEST(s.outcome == Outcome::failed);
  BOOST_TEST(names_cell(s, victim));
  BOOST_TEST(measured(s, "bytes_tested") == 4096.0);
}

BOOST_AUTO_TEST_CASE(intra_word_coupling_needs_the_word_backgrounds) {
  // Aggressor bit 0 rising forces bit 1 of the same word to 1: with a solid background both bits are
  // written the same value at once, so no read can see it.
  auto cf = coupling(sim::FaultClass::cfid, cell(900, 0), cell(900, 1));
  cf.aggressor_rises = true;
  cf.value = true;
  auto b = bench({cf});
  const StepRecord solid = run(*b.device, "memory.march", {{"backgrounds", std::string("solid")}});
  BOOST_TEST(solid.outcome == Outcome::passed);
  const StepRecord word = run(*b.device, "memory.march", {{"backgrounds", std::string("word")}});
  BOOST_TEST(word.outcome == Outcome::failed);
  BOOST_TEST(names_cell(word, cell(900, 1)));
}

BOOST_AUTO_TEST_CASE(weak_cells_fail_only_at_low_hbm_supply) {
  auto weak = cell_fault(sim::FaultClass::weak, 5000, 33, true);
  weak.fail_below_mv = 1060;
  auto b = bench({weak});
  BOOST_TEST(run(*b.device, "memory.march").outcome == Outcome::passed);
  const StepRecord low = run(*b.device, "memory.march", {{"vdd_hbm_mv", std::int64_t{1030}}});
  BOOST_TEST(low.outcome == Outcome::failed);
  BOOST_TEST(names_cell(low, cell(5000, 33)));
  BOOST_TEST(b.device->read_register(chip::reg::VDD_HBM_MV) != 1030u, "the supply was not put back");
}

BOOST_AUTO_TEST_CASE(retention_finds_leaky_cells_by_wait_and_temperature) {
  auto drf = cell_fault(sim::FaultClass::drf, 7000, 12, true);  // a stored 1 leaks away
  drf.retention_ms = 50;                                        // at 25 °C, halving every 10 °C
  auto b = bench({drf});
  const StepRecord short_wait = run(*b.device, "memory.retention", {{"delay_ms", 20.0}});
  BOOST_TEST(short_wait.outcome == Outcome::passed, "20 ms is within the cell's 50 ms");
  const StepRecord long_wait = run(*b.device, "memory.retention", {{"delay_ms", 80.0}});
  BOOST_TEST(long_wait.outcome == Outcome::failed);
  BOOST_TEST(names_cell(long_wait, cell(7000, 12)));
  // 20 ms at 45 °C: the cell holds a quarter as long.
  const StepRecord hot = run(*b.device, "memory.retention", {{"delay_ms", 20.0}, {"temperature_c", 45.0}});
  BOOST_TEST(hot.outcome == Outcome::failed, hot.message);
  BOOST_TEST(std::abs(measured(hot, "temperature") - 45.0) < 2.0);
  BOOST_TEST(names_cell(hot, cell(7000, 12)));
  BOOST_TEST(b.device->read_register(chip::reg::HBM_REFRESH_CTRL) == chip::bits::REFRESH_ENABLE,
             "refresh was not turned back on");
}

BOOST_AUTO_TEST_CASE(retention_at_an_unreachable_temperature_is_skipped_not_passed) {
  auto b = bench({});
  const StepRecord s = run(*b.device, "memory.retention", {{"temperature_c", 140.0}});
  BOOST_TEST(s.outcome == Outcome::skipped);
  CHECK_CONTAINS(s.message, "thermal chamber");
}

BOOST_AUTO_TEST_CASE(rowhammer_finds_the_victim_and_its_threshold) {
  const auto g = chip::HbmGeometry::for_size(kMemory);
  const std::uint64_t victim_word = g.to_word({1, 2, 3, 7, 9});
  auto rh = cell_fault(sim::FaultClass::rowhammer, victim_word, 21, false);  // a stored 0 flips
  rh.hammer_threshold = 20000;  // activations of the neighbours within one refresh window
  auto b = bench({rh});
  const StepRecord below = run(*b.device, "memory.rowhammer", {{"hammer_count", std::int64_t{9000}}});
  BOOST_TEST(below.outcome == Outcome::passed, "2 × 9000 activations stay under the threshold");
  BOOST_TEST(measured(below, "min_flip_count") == 9000.0);
  const StepRecord s = run(*b.device, "memory.rowhammer");
  BOOST_TEST(s.outcome == Outcome::failed);
  BOOST_TEST(names_cell(s, cell(victim_word, 21)));
  BOOST_TEST(measured(s, "failing_cells") == 1.0);
  BOOST_TEST(measured(s, "min_flip_count") == 10000.0, "double-sided: 10000 per aggressor is 20000 in all");
  BOOST_TEST(measured(s, "victim_rows") == static_cast<double>(g.total_banks() * g.rows));
}

BOOST_AUTO_TEST_CASE(repairable_and_unrepairable_dies_are_told_apart) {
  const auto g = chip::HbmGeometry::for_size(kMemory);
  // Stuck cells along one row of one bank: one spare row repairs them.
  std::vector<sim::MemoryFault> row;
  for (std::uint32_t col = 0; col < 16; ++col)
    row.push_back(cell_fault(sim::FaultClass::saf, g.to_word({0, 0, 5, 3, col}), 4, true));
  auto repairable = bench(row);
  const StepRecord r = run(*repairable.device, "memory.march");
  BOOST_TEST(r.outcome == Outcome::failed);
  BOOST_TEST(measured(r, "unrepairable_banks") == 0.0);
  BOOST_TEST(measured(r, "spare_rows_used") == 1.0);
  BOOST_TEST(measured(r, "spare_columns_used") == 0.0);
  // A diagonal of 16 cells in one bank: 4 spare rows and 2 spare columns cover at most 6 of its lines.
  std::vector<sim::MemoryFault> diagonal;
  for (std::uint32_t i = 0; i < 16; ++i)
    diagonal.push_back(cell_fault(sim::FaultClass::saf, g.to_word({1, 2, 6, i, i * 3}), 9, true));
  auto broken = bench(diagonal);
  const StepRecord u = run(*broken.device, "memory.march");
  BOOST_TEST(measured(u, "unrepairable_banks") == 1.0);
  // The first failing measurement decides the bin: unrepairable_banks comes before failing_cells.
  BOOST_TEST(u.measurements.front().name == "unrepairable_banks");
  BOOST_TEST(u.measurements.front().outcome == Outcome::failed);
}

BOOST_AUTO_TEST_CASE(ecc_test_passes_on_working_secded_and_restores_ecc) {
  auto b = bench({});
  b.device->write_register(chip::reg::ECC_CTRL, 0);
  const StepRecord s = run(*b.device, "memory.ecc",
                           {{"single_errors", std::int64_t{20}}, {"double_errors", std::int64_t{10}}});
  BOOST_TEST(s.outcome == Outcome::passed, s.message);
  BOOST_TEST(measured(s, "errors_injected") == 30.0);
  BOOST_TEST(b.device->read_register(chip::reg::ECC_CTRL) == 0u, "ECC_CTRL was not restored");
  BOOST_TEST(b.device->read_register(chip::reg::ECC_CE_COUNT) == 0u);
}

namespace {

// Hides the correctable-error counter: reads of ECC_CE_COUNT answer 0, as a broken counter would.
class BrokenCounter final : public testing::ForwardingTransport {
 public:
  using ForwardingTransport::ForwardingTransport;
  void exchange_into(std::span<const std::uint8_t> request, std::vector<std::uint8_t>& response,
                     Deadline deadline, std::stop_token stop) override {
    ForwardingTransport::exchange_into(request, response, deadline, std::move(stop));
    const auto req = protocol::decode_frame(request);
    if (req.header.opcode != protocol::Opcode::reg_read) return;
    if (protocol::PayloadReader(req.payload, "reg_read").u32() != chip::reg::ECC_CE_COUNT) return;
    response = protocol::encode_response(protocol::Opcode::reg_read, req.header.sequence,
                                         std::vector<std::uint8_t>{0, 0, 0, 0});
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(ecc_test_catches_a_counter_that_does_not_count) {
  auto b = testing::make_sim_bench(
      testing::chip_model(die_with({}), kMemory),
      [](std::unique_ptr<Transport> link) { return std::make_unique<BrokenCounter>(std::move(link)); });
  const StepRecord s =
      run(*b.device, "memory.ecc", {{"single_errors", std::int64_t{3}}, {"double_errors", std::int64_t{0}}});
  BOOST_TEST(s.outcome == Outcome::failed);
  BOOST_TEST(measured(s, "counter_errors") == 3.0);
  BOOST_TEST(measured(s, "uncorrected_single") == 0.0);
}

// The acceptance case of the production flow: a die with one fault of a class fails the production
// program in a memory step, and that step's fail bitmap names the faulty cell.
BOOST_AUTO_TEST_CASE(the_production_program_flags_one_fault_of_every_class_and_names_its_cell) {
  const Program program = load_program("seedchip-production");
  const auto g = chip::HbmGeometry::for_size(kMemory);
  const sim::Cell victim = cell(g.to_word({1, 3, 2, 9, 70}), 37);
  const sim::Cell aggressor = cell(g.to_word({1, 3, 2, 9, 71}), 5);
  auto single = [&](sim::FaultClass c, bool value) { return cell_fault(c, victim.word, victim.bit, value); };
  auto pair = [&](sim::FaultClass c) { return coupling(c, aggressor, victim); };
  std::vector<std::pair<std::string, sim::MemoryFault>> cases;
  cases.emplace_back("SAF", single(sim::FaultClass::saf, true));
  cases.emplace_back("TF", single(sim::FaultClass::tf, false));
  cases.emplace_back("WDF", single(sim::FaultClass::wdf, true));
  cases.emplace_back("RDF", single(sim::FaultClass::rdf, false));
  cases.emplace_back("DRDF", single(sim::FaultClass::drdf, true));
  cases.emplace_back("IRF", single(sim::FaultClass::irf, false));
  cases.emplace_back("SOF", single(sim::FaultClass::sof, false));
  auto drf = single(sim::FaultClass::drf, true);
  drf.retention_ms = 300;  // 37.5 ms at 55 °C: the 64 ms retention step finds it
  cases.emplace_back("DRF", drf);
  auto af = single(sim::FaultClass::af, false);
  af.af = sim::AfKind::alias;
  af.other_word = aggressor.word;
  cases.emplace_back("AF", af);
  auto cfin = pair(sim::FaultClass::cfin);
  cfin.aggressor_rises = false;
  cases.emplace_back("CFin", cfin);
  auto cfid = pair(sim::FaultClass::cfid);
  cfid.value = true;
  cases.emplace_back("CFid", cfid);
  auto cfst = pair(sim::FaultClass::cfst);
  cfst.aggressor_state = true;
  cfst.value = false;
  cases.emplace_back("CFst", cfst);
  auto cfds = pair(sim::FaultClass::cfds);
  cfds.aggressor_read = false;
  cfds.aggressor_state = true;
  cfds.value = false;
  cases.emplace_back("CFds", cfds);
  auto intra = coupling(sim::FaultClass::cfid, cell(victim.word, 36), victim);
  intra.value = true;
  cases.emplace_back("intra-word CFid", intra);
  auto rh = single(sim::FaultClass::rowhammer, false);
  rh.hammer_threshold = 30000;
  cases.emplace_back("RowHammer", rh);
  auto weak = single(sim::FaultClass::weak, true);
  weak.fail_below_mv = 1060;
  cases.emplace_back("weak", weak);
  for (const auto& [name, fault] : cases) {
    BOOST_TEST_CONTEXT(name) {
      auto b = bench({fault});
      UnitContext ctx;
      ctx.die = {"MEMS", 3, 4, 5};
      const UnitRecord u = run_unit(*b.device, program, ctx);
      BOOST_TEST(!u.passed);
      BOOST_TEST(!u.tester_error, u.message);
      BOOST_TEST(u.failing_step.starts_with("memory_"), u.failing_step);
      const auto step = std::find_if(u.steps.begin(), u.steps.end(),
                                     [&](const StepRecord& s) { return s.id == u.failing_step; });
      BOOST_REQUIRE(step != u.steps.end());
      if (fault.kind == sim::FaultClass::af) {
        // A decoder fault has no one bad cell: the bitmap names the words of the faulty address pair.
        const json bitmap = artifact(*step, "fail_bitmap");
        bool names_word = false;
        for (const auto& c : bitmap["cells"])
          names_word = names_word || c["address"] == fmt::format("0x{:x}", victim.word * 8) ||
                       c["address"] == fmt::format("0x{:x}", aggressor.word * 8);
        BOOST_TEST(names_word);
      } else {
        BOOST_TEST(names_cell(*step, victim), "the bitmap of " << u.failing_step << " lacks the cell");
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(address_in_address_finds_an_alias_that_solid_fills_miss) {
  auto af = cell_fault(sim::FaultClass::af, 3000, 0, false);
  af.af = sim::AfKind::alias;  // address 3000 reaches the cell of word 3400
  af.other_word = 3400;
  auto b = bench({af});
  const StepRecord solid = run(*b.device, "memory.pattern", {{"patterns", std::string("zeros,ones")}});
  BOOST_TEST(solid.outcome == Outcome::passed);
  const StepRecord address = run(*b.device, "memory.pattern", {{"patterns", std::string("address")}});
  BOOST_TEST(address.outcome == Outcome::failed);
  BOOST_TEST(measured(address, "failing_words") >= 1.0);
  BOOST_TEST(!artifact(address, "fail_bitmap").is_null(), "memory.pattern attaches its fail bitmap");
  for (const char* p : {"walking-ones", "walking-zeros", "inverse-address", "random"}) {
    BOOST_TEST_CONTEXT(p) {
      const StepRecord s = run(*b.device, "memory.pattern", {{"patterns", std::string(p)}});
      BOOST_TEST(s.outcome == Outcome::failed,
                 "the aliased pair holds different data under every such pattern");
    }
  }
  auto clean = bench({});
  const StepRecord all =
      run(*clean.device, "memory.pattern",
          {{"patterns", std::string("walking-ones,walking-zeros,address,inverse-address,random")}});
  BOOST_TEST(all.outcome == Outcome::passed);
}

BOOST_AUTO_TEST_CASE(bad_parameters_are_errors_that_name_them) {
  auto b = bench({});
  const StepRecord alg = run(*b.device, "memory.march", {{"algorithm", std::string("March Q")}});
  BOOST_TEST(alg.outcome == Outcome::error);
  CHECK_CONTAINS(alg.message, "no march algorithm called \"March Q\"");
  const StepRecord bg = run(*b.device, "memory.march", {{"backgrounds", std::string("plaid")}});
  BOOST_TEST(bg.outcome == Outcome::error);
  CHECK_CONTAINS(bg.message, "unknown background \"plaid\"");
  const StepRecord range = run(*b.device, "memory.march", {{"offset", std::int64_t{4}}});
  BOOST_TEST(range.outcome == Outcome::error);
  CHECK_CONTAINS(range.message, "must be 8-byte aligned");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace memory
}  // namespace seedval

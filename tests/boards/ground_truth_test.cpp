// Tests of ground truth and population summaries: every defect of a die is listed once with its
// physical location and the test categories that should catch it, harmless faults (on fused-off cores)
// are marked, the process entry carries the true fmax and vmin, and summarize() agrees with counting
// the dies directly.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <seedval/chip/identity.h>
#include <seedval/chip/registers.h>
#include <seedval/core/error.h>
#include <seedval/core/paths.h>
#include <seedval/sim/ground_truth.h>
#include <seedval/sim/physics.h>
#include <seedval/sim/population.h>

#include "support/errors.h"

namespace seedval::sim {
namespace {

namespace fs = std::filesystem;

const chip::HbmGeometry kGeometry = chip::HbmGeometry::for_size(16u << 20);

fs::path fixture(const std::string& name) {
  return data_root() / "fixtures" / "populations" / (name + ".json");
}

DieInstance clean_die() {
  DieInstance d;
  d.id = {"GT", 1, 7, 7};
  d.ecid = chip::encode_ecid(d.id);
  return d;
}

MemoryFault fault(FaultClass kind, std::uint64_t word, std::uint8_t bit) {
  MemoryFault f;
  f.kind = kind;
  f.victim = Cell{.word = word, .bit = bit};
  f.value = true;
  return f;
}

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

const Defect& only_physical(const std::vector<Defect>& truth) {
  BOOST_REQUIRE_EQUAL(truth.size(), 2u);
  BOOST_REQUIRE(truth.back().category == "process");
  return truth.front();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sim_ground_truth)

BOOST_AUTO_TEST_CASE(a_clean_die_has_only_its_process_entry) {
  const auto die = clean_die();
  const auto truth = ground_truth(die, kGeometry);
  BOOST_REQUIRE_EQUAL(truth.size(), 1u);
  const auto& p = truth.front();
  BOOST_TEST(p.category == "process");
  BOOST_TEST(p.kind == "speed");
  BOOST_TEST(p.harmless);
  BOOST_TEST(p.caught_by.empty());
  CHECK_CONTAINS(p.detail, "fmax 1500 MHz at 750 mV");
  BOOST_TEST(is_full_grade(truth));
  BOOST_TEST(true_fmax_mhz(die) == physics::fmax_mhz(die, 750.0, 25.0));
  BOOST_TEST(true_vmin_mv(die) == physics::vmin_mv(die, 1200.0, 25.0));
  BOOST_TEST(true_vmin_mv(die) < 750.0);
}

BOOST_AUTO_TEST_CASE(a_slow_die_is_a_process_defect_caught_by_stress_fmax) {
  auto die = clean_die();
  die.speed_factor = 0.75;  // 1125 MHz at 750 mV, below the 1200 MHz product clock
  const auto truth = ground_truth(die, kGeometry);
  BOOST_REQUIRE_EQUAL(truth.size(), 1u);
  BOOST_TEST(truth[0].kind == "slow die");
  BOOST_TEST(!truth[0].harmless);
  BOOST_TEST(truth[0].caught_by == std::vector<std::string>{"stress.fmax"}, boost::test_tools::per_element());
  BOOST_TEST(!is_full_grade(truth));
  BOOST_TEST(true_vmin_mv(die) > 750.0);
}

BOOST_AUTO_TEST_CASE(memory_faults_name_their_location_and_the_tests_that_catch_them) {
  struct Case {
    FaultClass kind;
    const char* algorithm;
    std::vector<std::string> caught_by;
  };
  const Case cases[] = {
      {FaultClass::saf, "MATS+", {"memory.march", "memory.pattern", "memory.ecc"}},
      {FaultClass::tf, "March X", {"memory.march", "memory.pattern", "memory.ecc"}},
      {FaultClass::wdf, "March SS", {"memory.march", "memory.ecc"}},
      {FaultClass::rdf, "MATS+", {"memory.march", "memory.ecc"}},
      {FaultClass::drdf, "March SR", {"memory.march", "memory.ecc"}},
      {FaultClass::irf, "MATS+", {"memory.march", "memory.ecc"}},
      {FaultClass::sof, "MATS++", {"memory.march", "memory.ecc"}},
      {FaultClass::drf, "IFA-13", {"memory.retention", "memory.ecc"}},
      {FaultClass::rowhammer, "", {"memory.rowhammer", "memory.ecc"}},
  };
  const std::uint64_t word = 0x1234;
  const auto where = chip::to_string(kGeometry.to_physical(word));
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(to_string(c.kind)) {
      auto die = clean_die();
      auto f = fault(c.kind, word, 17);
      if (c.kind == FaultClass::drf) f.retention_ms = 50;
      if (c.kind == FaultClass::rowhammer) f.hammer_threshold = 5000;
      die.memory_faults.push_back(f);
      const auto truth = ground_truth(die, kGeometry);
      const Defect& d = only_physical(truth);
      BOOST_TEST(d.category == "memory");
      BOOST_TEST(d.kind == std::string(to_string(c.kind)));
      BOOST_TEST(d.where == where + " bit 17 (word 0x1234)");
      BOOST_TEST(d.detail == f.describe());
      BOOST_TEST(d.algorithm == c.algorithm);
      BOOST_TEST(d.caught_by == c.caught_by, boost::test_tools::per_element());
      BOOST_TEST(!d.harmless);
      BOOST_TEST(d.ecc_correctable);
      BOOST_TEST(!is_full_grade(truth));
    }
  }
}

BOOST_AUTO_TEST_CASE(weak_cells_are_caught_at_the_corner_they_fail) {
  auto die = clean_die();
  auto low_v = fault(FaultClass::weak, 0x10, 1);
  low_v.fail_below_mv = 1060;
  auto hot = fault(FaultClass::weak, 0x20, 2);
  hot.fail_above_c = 85;
  die.memory_faults = {low_v, hot};
  const auto truth = ground_truth(die, kGeometry);
  BOOST_REQUIRE_EQUAL(truth.size(), 3u);
  BOOST_TEST(has(truth[0].caught_by, "memory.march at low HBM supply"));
  BOOST_TEST(!has(truth[0].caught_by, "memory.march at a hot insertion"));
  BOOST_TEST(has(truth[1].caught_by, "memory.march at a hot insertion"));
  BOOST_TEST(!has(truth[1].caught_by, "memory.march at low HBM supply"));
}

BOOST_AUTO_TEST_CASE(coupling_and_decoder_faults_name_both_cells) {
  auto die = clean_die();
  auto cf = fault(FaultClass::cfid, 0x100, 3);
  cf.aggressor = Cell{.word = 0x104, .bit = 3};
  auto intra = fault(FaultClass::cfst, 0x200, 5);
  intra.aggressor = Cell{.word = 0x200, .bit = 9};
  auto af = fault(FaultClass::af, 0x300, 0);
  af.other_word = 0x301;
  die.memory_faults = {cf, intra, af};
  const auto truth = ground_truth(die, kGeometry);
  BOOST_REQUIRE_EQUAL(truth.size(), 4u);
  CHECK_CONTAINS(truth[0].where, "aggressor " + chip::to_string(kGeometry.to_physical(0x104)));
  BOOST_TEST(truth[0].algorithm == "March C-");
  CHECK_CONTAINS(truth[1].where, "bit 9 of the same word");
  BOOST_TEST(truth[1].algorithm == "March C- with 7 data backgrounds");
  BOOST_TEST(has(truth[1].caught_by, "memory.march"));
  CHECK_CONTAINS(truth[2].where, "word 0x300");
  CHECK_CONTAINS(truth[2].where, "word 0x301");
  BOOST_TEST(truth[2].algorithm == "MATS+");
  // A decoder fault moves whole words with their check bits: ECC cannot see it.
  BOOST_TEST(!has(truth[2].caught_by, "memory.ecc"));
  BOOST_TEST(!truth[2].ecc_correctable);
}

BOOST_AUTO_TEST_CASE(two_faulty_cells_in_one_word_are_not_correctable) {
  auto die = clean_die();
  die.memory_faults = {fault(FaultClass::saf, 0x40, 1), fault(FaultClass::tf, 0x40, 2),
                       fault(FaultClass::saf, 0x48, 1)};
  const auto truth = ground_truth(die, kGeometry);
  BOOST_REQUIRE_EQUAL(truth.size(), 4u);
  BOOST_TEST(!truth[0].ecc_correctable);
  BOOST_TEST(!truth[1].ecc_correctable);
  BOOST_TEST(truth[2].ecc_correctable);
}

BOOST_AUTO_TEST_CASE(core_sdc_and_register_faults_are_named) {
  auto die = clean_die();
  die.core_faults = {
      CoreFault{.core = 2, .lane = 5, .bit = 30, .kind = CoreFault::Kind::stuck1, .flip_rate = 0},
      CoreFault{.core = 4, .lane = 1, .bit = 3, .kind = CoreFault::Kind::flaky, .flip_rate = 1e-6},
      CoreFault{.core = 9, .lane = 0, .bit = 0, .kind = CoreFault::Kind::stuck0, .flip_rate = 0},
  };
  die.register_stuck = {RegisterStuckBit{.address = chip::reg::SCRATCH1, .bit = 4, .value = true}};
  const auto truth = ground_truth(die, kGeometry);
  BOOST_REQUIRE_EQUAL(truth.size(), 5u);
  BOOST_TEST(truth[0].category == "core");
  BOOST_TEST(truth[0].kind == "stuck-at");
  BOOST_TEST(truth[0].where == "core 2 lane 5 bit 30");
  BOOST_TEST(truth[0].detail == die.core_faults[0].describe());
  BOOST_TEST(has(truth[0].caught_by, "inference.golden"));
  BOOST_TEST(has(truth[0].caught_by, "inference.sdc"));
  BOOST_TEST(!truth[0].harmless);
  BOOST_TEST(truth[1].category == "sdc");
  BOOST_TEST(truth[1].kind == "flaky lane");
  BOOST_TEST(truth[1].caught_by == std::vector<std::string>{"inference.sdc"},
             boost::test_tools::per_element());
  // Core 9 is a spare, fused off by default: its fault is harmless and nothing can catch it.
  BOOST_TEST(truth[2].harmless);
  BOOST_TEST(truth[2].caught_by.empty());
  CHECK_CONTAINS(truth[2].detail, "fused off");
  BOOST_TEST(truth[3].category == "register");
  BOOST_TEST(truth[3].where == "SCRATCH1 (0x0024) bit 4");
  BOOST_TEST(truth[3].detail == "stuck at 1");
  BOOST_TEST(truth[3].caught_by == std::vector<std::string>{"chip.registers"},
             boost::test_tools::per_element());
  BOOST_TEST(!is_full_grade(truth));
}

BOOST_AUTO_TEST_CASE(a_die_with_only_faults_on_fused_off_cores_is_full_grade) {
  auto die = clean_die();
  die.harvest_mask = (1u << 3) | (1u << 9);  // core 3 harvested, spare 8 enabled
  die.core_faults = {
      CoreFault{.core = 3, .lane = 2, .bit = 7, .kind = CoreFault::Kind::stuck0, .flip_rate = 0},
      CoreFault{.core = 9, .lane = 4, .bit = 1, .kind = CoreFault::Kind::flaky, .flip_rate = 1e-5}};
  auto truth = ground_truth(die, kGeometry);
  BOOST_TEST(truth[0].harmless);
  BOOST_TEST(truth[1].harmless);
  BOOST_TEST(is_full_grade(truth));
  // ... but a fault on the spare that replaced core 3 matters.
  die.core_faults.push_back(
      CoreFault{.core = 8, .lane = 0, .bit = 0, .kind = CoreFault::Kind::stuck1, .flip_rate = 0});
  truth = ground_truth(die, kGeometry);
  BOOST_TEST(!is_full_grade(truth));
}

BOOST_AUTO_TEST_CASE(every_generated_defect_is_listed_once) {
  auto spec = load_population(fixture("a0-memory-heavy"));
  spec.category_weights = {{"memory", 0.7}, {"core", 0.1}, {"register", 0.1}, {"sdc", 0.1}};
  spec.prefused_core_fraction = 0.5;
  int clusters = 0, harmless = 0;
  for (int x = 0; x < 300; ++x) {
    const auto die = make_die(spec, {"GTALL", 2, x % 16, x / 16}, kGeometry);
    const auto truth = ground_truth(die, kGeometry);
    BOOST_TEST_CONTEXT(chip::to_string(die.id)) {
      std::size_t cluster_cells = 0;
      for (const auto& k : die.memory_clusters) cluster_cells += k.cells();
      clusters += static_cast<int>(die.memory_clusters.size());
      const std::size_t expected = die.memory_faults.size() - cluster_cells + die.memory_clusters.size() +
                                   die.core_faults.size() + die.register_stuck.size() + 1;
      BOOST_TEST(truth.size() == expected);
      BOOST_TEST(truth.back().category == "process");
      // Each single memory fault by its description, each cluster by its shape.
      std::map<std::string, int> details;
      for (const auto& d : truth) ++details[d.detail];
      for (const auto& f : die.memory_faults) {
        const auto p = kGeometry.to_physical(f.victim.word);
        const bool in_cluster =
            std::any_of(die.memory_clusters.begin(), die.memory_clusters.end(),
                        [&](const MemoryCluster& k) { return k.contains(p, f.victim.bit); });
        if (!in_cluster) BOOST_TEST(details[f.describe()] >= 1, f.describe());
      }
      const auto shaped = std::count_if(truth.begin(), truth.end(), [](const Defect& d) {
        return d.kind == "SAF row" || d.kind == "SAF column";
      });
      BOOST_TEST(static_cast<std::size_t>(shaped) == die.memory_clusters.size());
      for (const auto& d : truth) {
        BOOST_TEST(!d.where.empty());
        BOOST_TEST(!d.detail.empty());
        if (d.harmless) {
          BOOST_TEST(d.caught_by.empty());
          if (d.category != "process") ++harmless;
        } else {
          BOOST_TEST(!d.caught_by.empty(), d.category << " " << d.kind << " names no test");
        }
        if (d.category == "memory")
          BOOST_TEST((d.where.rfind("s", 0) == 0 || d.where.rfind("word", 0) == 0), d.where);
      }
    }
  }
  BOOST_TEST(clusters > 0);
  BOOST_TEST(harmless > 0);
}

BOOST_AUTO_TEST_CASE(spread_interpolates_between_order_statistics) {
  std::vector<double> v;
  for (int i = 100; i >= 0; --i) v.push_back(i);
  const Spread s = spread_of(v);
  BOOST_TEST(s.min == 0.0);
  BOOST_TEST(s.p1 == 1.0);
  BOOST_TEST(s.p50 == 50.0);
  BOOST_TEST(s.p99 == 99.0);
  BOOST_TEST(s.max == 100.0);
  std::vector<double> two{1.0, 2.0};
  BOOST_TEST(spread_of(two).p50 == 1.5);
  std::vector<double> none;
  BOOST_TEST(spread_of(none).max == 0.0);
}

BOOST_AUTO_TEST_CASE(population_dies_run_wafer_by_wafer_and_lot_by_lot) {
  const auto first = population_die("LOT", 0);
  BOOST_TEST(first.lot == "LOT001");
  BOOST_TEST(first.wafer == 1);
  BOOST_TEST(first.x == wafer_sites()[0].x);
  BOOST_TEST(first.y == wafer_sites()[0].y);
  BOOST_TEST(population_die("LOT", kDiesPerWafer).wafer == 2);
  BOOST_TEST(population_die("LOT", kDiesPerWafer - 1).wafer == 1);
  const auto second_lot = population_die("P", 25 * kDiesPerWafer);
  BOOST_TEST(second_lot.lot == "P002");
  BOOST_TEST(second_lot.wafer == 1);
  BOOST_CHECK_THROW(population_die("LOTS", 0), InvalidArgumentError);
  BOOST_CHECK_THROW(population_die("lo", 0), InvalidArgumentError);
  BOOST_CHECK_THROW(population_die("LOT", 999 * 25 * kDiesPerWafer), InvalidArgumentError);
  BOOST_CHECK_THROW(summarize(PopulationSpec{}, 0, kGeometry), InvalidArgumentError);
}

BOOST_AUTO_TEST_CASE(summary_agrees_with_counting_the_dies) {
  auto spec = load_population(fixture("a0-typical"));
  spec.defect_density_per_cm2 = 0.3;
  spec.speed_sigma = 0.12;  // some slow dies
  const int n = 2000;
  const auto s = summarize(spec, n, kGeometry, "SUM");
  int good = 0, defective = 0, harmful = 0, slow = 0, harvested = 0, defects = 0;
  std::map<std::string, int> by_category, by_class;
  double fmax_min = 1e9, fmax_max = 0, vmin_max = 0;
  for (int i = 0; i < n; ++i) {
    const auto die = make_die(spec, population_die("SUM", i), kGeometry);
    const auto truth = ground_truth(die, kGeometry);
    good += is_full_grade(truth) ? 1 : 0;
    defective += die.has_defects() ? 1 : 0;
    harvested += die.harvested() ? 1 : 0;
    slow += true_fmax_mhz(die) < kProductClockMhz ? 1 : 0;
    bool bad = false;
    for (const auto& d : truth) {
      if (d.category == "process") continue;
      ++defects;
      ++by_category[d.category];
      ++by_class[d.kind];
      bad = bad || !d.harmless;
    }
    harmful += bad ? 1 : 0;
    fmax_min = std::min(fmax_min, true_fmax_mhz(die));
    fmax_max = std::max(fmax_max, true_fmax_mhz(die));
    vmin_max = std::max(vmin_max, true_vmin_mv(die));
  }
  BOOST_TEST(s.population == "a0-typical");
  BOOST_TEST(s.dies == n);
  BOOST_TEST(s.good_dies == good);
  BOOST_TEST(s.dies_with_defects == defective);
  BOOST_TEST(s.dies_with_harmful_defects == harmful);
  BOOST_TEST(s.slow_dies == slow);
  BOOST_TEST(slow > 0);
  BOOST_TEST(s.harvested_dies == harvested);
  BOOST_TEST(s.defects == defects);
  BOOST_TEST(s.good_share() == static_cast<double>(good) / n);
  BOOST_TEST(s.mean_defects_per_die() == static_cast<double>(defects) / n);
  for (const auto& [k, v] : by_category) BOOST_TEST(s.defects_by_category.at(k) == v, k);
  for (const auto& [k, v] : by_class) BOOST_TEST(s.defects_by_class.at(k) == v, k);
  int listed = 0;
  for (const auto& [k, v] : s.defects_by_class) listed += v;
  BOOST_TEST(listed == defects);
  // Every class is a key, counted or not, so the summary's shape does not depend on the sample.
  BOOST_TEST(s.defects_by_class.size() == static_cast<std::size_t>(kFaultClassCount) + 5u);
  BOOST_TEST(s.defects_by_category.size() == 4u);
  BOOST_TEST(s.fmax_mhz.min == fmax_min);
  BOOST_TEST(s.fmax_mhz.max == fmax_max);
  BOOST_TEST(s.vmin_mv.max == vmin_max);
  BOOST_TEST((s.fmax_mhz.min <= s.fmax_mhz.p1 && s.fmax_mhz.p1 <= s.fmax_mhz.p50 &&
              s.fmax_mhz.p50 <= s.fmax_mhz.p99 && s.fmax_mhz.p99 <= s.fmax_mhz.max));
  // Good dies are those with neither a harmful defect nor a slow clock.
  BOOST_TEST(good <= n - harmful);
  BOOST_TEST(good >= n - harmful - slow);
}

BOOST_AUTO_TEST_CASE(the_fixtures_yield_what_their_descriptions_say) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto typical = summarize(load_population(fixture("a0-typical")), 10'000, kGeometry);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  BOOST_TEST_MESSAGE("a0-typical over 10000 dies: full grade " << typical.good_share() << ", "
                                                               << typical.mean_defects_per_die()
                                                               << " defects a die, in " << seconds << " s");
  BOOST_TEST((typical.good_share() > 0.4 && typical.good_share() < 0.7));
  BOOST_TEST(typical.slow_dies > 0);
  BOOST_TEST(typical.harvested_dies > 0);
  BOOST_TEST(seconds < 30.0);  // about 0.1 s in a release build; sanitizer builds are slower

  const auto clean = summarize(load_population(fixture("a0-clean")), 2000, kGeometry);
  BOOST_TEST(clean.good_dies == 2000);
  BOOST_TEST(clean.defects == 0);
  BOOST_TEST(clean.fmax_mhz.min == clean.fmax_mhz.max);

  const auto heavy = summarize(load_population(fixture("a0-memory-heavy")), 1000, kGeometry);
  BOOST_TEST(heavy.good_share() < 0.1);
  BOOST_TEST(heavy.mean_defects_per_die() > 8.0);
  for (int c = 0; c < kFaultClassCount; ++c) {
    const std::string name(to_string(static_cast<FaultClass>(c)));
    BOOST_TEST(heavy.defects_by_class.at(name) > 0, name);
  }
  BOOST_TEST(heavy.defects_by_class.at("SAF row") > 0);
  BOOST_TEST(heavy.defects_by_class.at("SAF column") > 0);
  BOOST_TEST(heavy.defects_by_category.at("core") == 0);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval::sim

// Tests of simulated die populations: loading specs, and make_die's determinism and statistics (the
// ground truth every lot audit relies on).
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <seedval/chip/identity.h>
#include <seedval/chip/registers.h>
#include <seedval/core/error.h>
#include <seedval/core/paths.h>
#include <seedval/sim/population.h>

#include "support/errors.h"
#include "support/temp_dir.h"

namespace seedval::sim {
namespace {

namespace fs = std::filesystem;

using testing::TempDir;

// Loads `file`, which must fail with a ConfigError; returns the message.
std::string load_error(const fs::path& file) {
  BOOST_TEST_INFO_SCOPE("loading " << file.string());
  return testing::expect_error<ConfigError>([&] { load_population(file); }, ErrorCode::config);
}

constexpr std::uint64_t kMemory = 16u << 20;

PopulationSpec stats_spec() {
  PopulationSpec s;
  s.name = "stats";
  s.seed = 12345;
  s.leakage_sigma = 0.35;
  s.memory_stuck_die_fraction = 0.06;
  s.memory_stuck_min = 1;
  s.memory_stuck_max = 4;
  s.register_stuck_die_fraction = 0.05;
  return s;
}

// 5000 distinct dies: 5 wafers x 50 columns x 20 rows.
std::vector<chip::DieId> lot_of_5000() {
  std::vector<chip::DieId> dies;
  for (int w = 1; w <= 5; ++w)
    for (int x = 0; x < 50; ++x)
      for (int y = 0; y < 20; ++y) dies.push_back({"STAT01", w, x, y});
  return dies;
}

bool same_instance(const DieInstance& a, const DieInstance& b) {
  return a.id == b.id && a.ecid == b.ecid && a.leakage_factor == b.leakage_factor &&
         a.ambient_c == b.ambient_c && a.memory_stuck == b.memory_stuck &&
         a.register_stuck == b.register_stuck;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sim_population)

BOOST_AUTO_TEST_CASE(typical_fixture_loads_with_its_values) {
  const auto file = data_root() / "fixtures" / "populations" / "a0-typical.json";
  const PopulationSpec s = load_population(file);
  BOOST_TEST(s.name == "a0-typical");
  BOOST_TEST(s.seed == 2026u);
  BOOST_TEST(s.leakage_sigma == 0.35);
  BOOST_TEST(s.ambient_c == 25.0);
  BOOST_TEST(s.memory_stuck_die_fraction == 0.06);
  BOOST_TEST(s.memory_stuck_min == 1);
  BOOST_TEST(s.memory_stuck_max == 4);
  BOOST_TEST(s.register_stuck_die_fraction == 0.01);
  BOOST_TEST(s.file == file);
}

BOOST_AUTO_TEST_CASE(die_fraction_above_one_is_refused) {
  TempDir dir;
  const auto f =
      dir.write("p.json", R"({"population": "p", "faults": {"memory_stuck_bits": {"die_fraction": 1.5}}})");
  const auto msg = load_error(f);
  CHECK_STARTS_WITH(msg, f.string() + ": faults.memory_stuck_bits.die_fraction");
  CHECK_CONTAINS(msg, "fraction");
  const auto g = dir.write(
      "q.json", R"({"population": "p", "faults": {"register_stuck_bits": {"die_fraction": -0.5}}})");
  CHECK_STARTS_WITH(load_error(g), g.string() + ": faults.register_stuck_bits.die_fraction");
}

BOOST_AUTO_TEST_CASE(unknown_key_under_faults_is_refused) {
  TempDir dir;
  const auto f = dir.write(
      "p.json",
      R"({"population": "p", "faults": {"memory_stuck_bits": {"die_fraction": 0.1}, "bridging": {}}})");
  const auto msg = load_error(f);
  CHECK_STARTS_WITH(msg, f.string() + ": faults.bridging");
  CHECK_CONTAINS(msg, "unknown key");
  CHECK_CONTAINS(msg, "memory_stuck_bits");
  CHECK_CONTAINS(msg, "register_stuck_bits");
}

BOOST_AUTO_TEST_CASE(max_per_die_below_min_per_die_is_refused) {
  TempDir dir;
  const auto f = dir.write(
      "p.json",
      R"({"population": "p", "faults": {"memory_stuck_bits": {"die_fraction": 0.1, "min_per_die": 5, "max_per_die": 2}}})");
  const auto msg = load_error(f);
  CHECK_STARTS_WITH(msg, f.string() + ": faults.memory_stuck_bits.max_per_die");
  CHECK_CONTAINS(msg, "min_per_die");
}

BOOST_AUTO_TEST_CASE(other_malformed_specs_are_refused_with_the_key) {
  TempDir dir;
  struct Case {
    const char* text;
    const char* key;
    const char* says;
  };
  const Case cases[] = {
      {R"({"description": "no name"})", "population", "required key is missing"},
      {R"({"population": "p", "seed": -1})", "seed", "from 0 to"},
      {R"({"population": "p", "process": {"leakage_sigma": 3}})", "process.leakage_sigma", "from 0 to 2"},
      {R"({"population": "p", "process": {"ambient_c": 200}})", "process.ambient_c", "temperature"},
      {R"({"population": "p", "process": {"sigma": 0.1}})", "process.sigma", "unknown key"},
      {R"({"population": "p", "faults": {"memory_stuck_bits": {}}})", "faults.memory_stuck_bits.die_fraction",
       "required key is missing"},
      {R"({"population": "p", "fault": {}})", "fault", "unknown key"},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.text) {
      const auto f = dir.write("p.json", c.text);
      const auto msg = load_error(f);
      CHECK_STARTS_WITH(msg, f.string() + ": " + c.key);
      CHECK_CONTAINS(msg, std::string(c.says));
    }
  }
}

BOOST_AUTO_TEST_CASE(make_die_is_deterministic) {
  const auto spec = stats_spec();
  const chip::DieId die{"DET1", 4, 10, 11};
  const DieInstance a = make_die(spec, die, kMemory);
  const DieInstance b = make_die(spec, die, kMemory);
  BOOST_TEST(same_instance(a, b));
  BOOST_TEST(a.ecid == chip::encode_ecid(die));
  BOOST_TEST((a.id == die));
  BOOST_TEST(a.ambient_c == spec.ambient_c);
  // The same holds for every die of a lot, faulty or not.
  for (const auto& d : lot_of_5000())
    if (!same_instance(make_die(spec, d, kMemory), make_die(spec, d, kMemory)))
      BOOST_ERROR(chip::to_string(d) << " differs between two calls");
}

BOOST_AUTO_TEST_CASE(different_dies_get_different_ecids_and_draws) {
  const auto spec = stats_spec();
  const auto a = make_die(spec, {"DET1", 4, 10, 11}, kMemory);
  const auto b = make_die(spec, {"DET1", 4, 10, 12}, kMemory);
  BOOST_TEST(a.ecid != b.ecid);
  BOOST_TEST(a.leakage_factor != b.leakage_factor);
}

BOOST_AUTO_TEST_CASE(different_seeds_give_different_faults) {
  auto one = stats_spec();
  one.memory_stuck_die_fraction = 0.5;
  auto two = one;
  two.seed = one.seed + 1;
  int differ = 0, leak_differ = 0;
  const auto dies = lot_of_5000();
  for (std::size_t i = 0; i < 1000; ++i) {
    const auto a = make_die(one, dies[i], kMemory);
    const auto b = make_die(two, dies[i], kMemory);
    if (a.memory_stuck != b.memory_stuck) ++differ;
    if (a.leakage_factor != b.leakage_factor) ++leak_differ;
  }
  // Faulty in either with p = 0.75; two independent fault lists practically never coincide.
  BOOST_TEST(differ > 600);
  BOOST_TEST(leak_differ == 1000);
}

BOOST_AUTO_TEST_CASE(fault_fractions_match_the_spec_over_5000_dies) {
  const auto spec = stats_spec();
  const auto dies = lot_of_5000();
  const double n = static_cast<double>(dies.size());
  int memory_faulty = 0, register_faulty = 0, stuck_at_one = 0, stuck_bits = 0;
  for (const auto& d : dies) {
    const auto die = make_die(spec, d, kMemory);
    if (!die.memory_stuck.empty()) {
      ++memory_faulty;
      const auto count = static_cast<int>(die.memory_stuck.size());
      BOOST_TEST((count >= spec.memory_stuck_min && count <= spec.memory_stuck_max), "count " << count);
    }
    if (!die.register_stuck.empty()) ++register_faulty;
    BOOST_TEST(die.has_defects() == (!die.memory_stuck.empty() || !die.register_stuck.empty()));
    for (const auto& f : die.memory_stuck) {
      stuck_at_one += f.value ? 1 : 0;
      ++stuck_bits;
    }
  }
  BOOST_TEST_MESSAGE("over " << n << " dies: " << memory_faulty / n << " with stuck memory bits, "
                             << register_faulty / n << " with a stuck register bit, " << stuck_at_one
                             << " of " << stuck_bits << " stuck bits stuck at 1");
  const auto within = [n](int count, double p) {
    const double sigma = std::sqrt(p * (1 - p) / n);
    return std::abs(count / n - p) <= 4 * sigma;
  };
  BOOST_TEST(within(memory_faulty, spec.memory_stuck_die_fraction),
             "memory-faulty fraction " << memory_faulty / n);
  BOOST_TEST(within(register_faulty, spec.register_stuck_die_fraction),
             "register-faulty fraction " << register_faulty / n);
  // Stuck-at-1 and stuck-at-0 are equally likely.
  BOOST_REQUIRE(stuck_bits > 0);
  BOOST_TEST(std::abs(static_cast<double>(stuck_at_one) / stuck_bits - 0.5) < 0.1);
}

BOOST_AUTO_TEST_CASE(zero_fractions_give_fault_free_dies) {
  auto spec = stats_spec();
  spec.memory_stuck_die_fraction = 0;
  spec.register_stuck_die_fraction = 0;
  int defective = 0;
  for (const auto& d : lot_of_5000()) defective += make_die(spec, d, kMemory).has_defects() ? 1 : 0;
  BOOST_TEST(defective == 0);
}

BOOST_AUTO_TEST_CASE(stuck_bits_lie_inside_memory_and_are_sorted) {
  auto spec = stats_spec();
  spec.memory_stuck_die_fraction = 1.0;
  spec.memory_stuck_min = 1;
  spec.memory_stuck_max = 50;
  spec.register_stuck_die_fraction = 1.0;
  for (std::uint64_t memory : {std::uint64_t{1} << 20, kMemory}) {
    for (int x = 0; x < 200; ++x) {
      const auto die = make_die(spec, {"SORT", 1, x, 0}, memory);
      BOOST_TEST_CONTEXT(chip::to_string(die.id) << " with " << memory << " bytes") {
        BOOST_TEST(!die.memory_stuck.empty());
        for (std::size_t i = 0; i < die.memory_stuck.size(); ++i) {
          const auto& f = die.memory_stuck[i];
          BOOST_TEST(f.address < memory);
          BOOST_TEST((f.bit >= 0 && f.bit <= 7));
          if (i > 0) BOOST_TEST(die.memory_stuck[i - 1].address <= f.address, "not sorted by address");
        }
        BOOST_REQUIRE(die.register_stuck.size() == 1u);
        const auto& r = die.register_stuck[0];
        BOOST_TEST((r.address == chip::reg::SCRATCH0 || r.address == chip::reg::SCRATCH1));
        BOOST_TEST((r.bit >= 0 && r.bit <= 31));
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(leakage_factor_is_lognormal_with_median_one) {
  const auto spec = stats_spec();
  std::vector<double> logs;
  for (const auto& d : lot_of_5000()) {
    const double leak = make_die(spec, d, kMemory).leakage_factor;
    BOOST_REQUIRE(leak > 0);
    logs.push_back(std::log(leak));
  }
  std::vector<double> sorted = logs;
  std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2, sorted.end());
  const double median = std::exp(sorted[sorted.size() / 2]);
  BOOST_TEST(std::abs(median - 1.0) < 0.05, "median leakage factor " << median);
  double mean = 0, var = 0;
  for (double l : logs) mean += l;
  mean /= static_cast<double>(logs.size());
  for (double l : logs) var += (l - mean) * (l - mean);
  const double sd = std::sqrt(var / static_cast<double>(logs.size() - 1));
  BOOST_TEST_MESSAGE("leakage factor: median " << median << ", ln mean " << mean << ", ln sd " << sd);
  BOOST_TEST(std::abs(mean) < 0.03, "mean of ln(leakage) " << mean);
  BOOST_TEST(std::abs(sd - spec.leakage_sigma) < 0.1 * spec.leakage_sigma, "sd of ln(leakage) " << sd);
}

BOOST_AUTO_TEST_CASE(zero_leakage_sigma_gives_nominal_leakage) {
  auto spec = stats_spec();
  spec.leakage_sigma = 0;
  for (int x = 0; x < 100; ++x) BOOST_TEST(make_die(spec, {"NOM", 2, x, 5}, kMemory).leakage_factor == 1.0);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval::sim

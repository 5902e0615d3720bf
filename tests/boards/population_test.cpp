// Tests of simulated die populations: loading specs (every key, every error naming the file and key),
// make_die's determinism, the statistics of 5000-die samples (defect counts, clustering, category and
// class mix, process spread, wafer gradient), the validity of every generated fault, and the harvest
// rules. The ground truth every lot audit relies on starts here.
#include <algorithm>
#include <bit>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <seedval/chip/identity.h>
#include <seedval/chip/registers.h>
#include <seedval/core/error.h>
#include <seedval/core/paths.h>
#include <seedval/sim/ground_truth.h>
#include <seedval/sim/population.h>

#include "support/errors.h"
#include "support/temp_dir.h"

namespace seedval::sim {
namespace {

namespace fs = std::filesystem;

using testing::TempDir;

const chip::HbmGeometry kGeometry = chip::HbmGeometry::for_size(16u << 20);

// Loads `file`, which must fail with a ConfigError; returns the message.
std::string load_error(const fs::path& file) {
  BOOST_TEST_INFO_SCOPE("loading " << file.string());
  return testing::expect_error<ConfigError>([&] { load_population(file); }, ErrorCode::config);
}

fs::path fixture(const std::string& name) {
  return data_root() / "fixtures" / "populations" / (name + ".json");
}

// A spec with enough defects for statistics: 1.8 defects a die on average, every category and class.
PopulationSpec stats_spec() {
  PopulationSpec s;
  s.name = "stats";
  s.seed = 12345;
  s.die_area_mm2 = 600;
  s.speed_sigma = 0.05;
  s.leakage_sigma = 0.35;
  s.speed_leakage_corr = 0.6;
  s.wafer_gradient = 0.0;
  s.defect_density_per_cm2 = 0.3;
  s.clustering_alpha = 2.0;
  s.category_weights = {{"memory", 0.6}, {"core", 0.2}, {"register", 0.05}, {"sdc", 0.15}};
  s.cluster_share = 0.1;
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
  return a.id == b.id && a.ecid == b.ecid && a.speed_factor == b.speed_factor &&
         a.leakage_factor == b.leakage_factor && a.ambient_c == b.ambient_c &&
         a.harvest_mask == b.harvest_mask && a.memory_faults == b.memory_faults &&
         a.core_faults == b.core_faults && a.register_stuck == b.register_stuck &&
         a.memory_clusters == b.memory_clusters;
}

// Physical defects of a die, counted from its lists: a cluster is one defect however many cells it has.
int defect_count(const DieInstance& d) {
  std::size_t cluster_cells = 0;
  for (const auto& k : d.memory_clusters) cluster_cells += k.cells();
  return static_cast<int>(d.memory_faults.size() - cluster_cells + d.memory_clusters.size() +
                          d.core_faults.size() + d.register_stuck.size());
}

struct Moments {
  double mean = 0;
  double var = 0;
};
Moments moments(const std::vector<double>& v) {
  Moments m;
  for (double x : v) m.mean += x;
  m.mean /= static_cast<double>(v.size());
  for (double x : v) m.var += (x - m.mean) * (x - m.mean);
  m.var /= static_cast<double>(v.size() - 1);
  return m;
}

double correlation(const std::vector<double>& a, const std::vector<double>& b) {
  const Moments ma = moments(a), mb = moments(b);
  double cov = 0;
  for (std::size_t i = 0; i < a.size(); ++i) cov += (a[i] - ma.mean) * (b[i] - mb.mean);
  cov /= static_cast<double>(a.size() - 1);
  return cov / std::sqrt(ma.var * mb.var);
}

// |share - p| within 4 binomial σ of n draws.
bool near_share(int count, int n, double p) {
  const double share = static_cast<double>(count) / n;
  return std::abs(share - p) <= 4 * std::sqrt(p * (1 - p) / n) + 1e-12;
}

constexpr const char* kFullSpec = R"({
  "population": "full",
  "description": "every key",
  "seed": 77,
  "die": {"area_mm2": 412.5},
  "process": {"speed_sigma": 0.07, "leakage_sigma": 0.4, "speed_leakage_correlation": -0.2,
              "wafer_gradient": 0.11, "ambient_c": 35},
  "defects": {"density_per_cm2": 0.25, "clustering_alpha": 1.5,
              "categories": {"memory": 3, "core": 2, "register": 1, "sdc": 0.5},
              "memory_classes": {"SAF": 5, "tf": 4, "RowHammer": 2, "weak": 1},
              "cluster_share": 0.2, "intra_word_share": 0.4,
              "drf_retention_ms": [10, 100], "rowhammer_threshold": [1000, 9000],
              "weak_fail_below_mv": [1000, 1050], "weak_fail_above_c": [80, 90],
              "sdc_flip_rate": [1e-6, 1e-4]},
  "harvest": {"prefused_core_fraction": 0.125}
})";

}  // namespace

BOOST_AUTO_TEST_SUITE(sim_population)

// ---- loading ------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(every_key_of_a_spec_is_read) {
  TempDir dir;
  const auto file = dir.write("full.json", kFullSpec);
  const PopulationSpec s = load_population(file);
  BOOST_TEST(s.name == "full");
  BOOST_TEST(s.description == "every key");
  BOOST_TEST(s.seed == 77u);
  BOOST_TEST((s.file == file));
  BOOST_TEST(s.die_area_mm2 == 412.5);
  BOOST_TEST(s.speed_sigma == 0.07);
  BOOST_TEST(s.leakage_sigma == 0.4);
  BOOST_TEST(s.speed_leakage_corr == -0.2);
  BOOST_TEST(s.wafer_gradient == 0.11);
  BOOST_TEST(s.ambient_c == 35.0);
  BOOST_TEST(s.defect_density_per_cm2 == 0.25);
  BOOST_TEST(s.clustering_alpha == 1.5);
  const std::map<std::string, double> categories{{"memory", 3}, {"core", 2}, {"register", 1}, {"sdc", 0.5}};
  BOOST_TEST((s.category_weights == categories));
  // Class names are case-insensitive; classes not named weigh nothing.
  const std::map<FaultClass, double> classes{
      {FaultClass::saf, 5}, {FaultClass::tf, 4}, {FaultClass::rowhammer, 2}, {FaultClass::weak, 1}};
  BOOST_TEST((s.memory_class_weights == classes));
  BOOST_TEST(s.cluster_share == 0.2);
  BOOST_TEST(s.intra_word_share == 0.4);
  BOOST_TEST((s.drf_retention_ms == Range{.lo = 10, .hi = 100}));
  BOOST_TEST((s.hammer_threshold == Range{.lo = 1000, .hi = 9000}));
  BOOST_TEST((s.weak_fail_below_mv == Range{.lo = 1000, .hi = 1050}));
  BOOST_TEST((s.weak_fail_above_c == Range{.lo = 80, .hi = 90}));
  BOOST_TEST((s.sdc_flip_rate == Range{.lo = 1e-6, .hi = 1e-4}));
  BOOST_TEST(s.prefused_core_fraction == 0.125);
}

BOOST_AUTO_TEST_CASE(a_minimal_spec_keeps_the_defaults_and_has_no_defects) {
  TempDir dir;
  const PopulationSpec s = load_population(dir.write("p.json", R"({"population": "p"})"));
  const PopulationSpec d;
  BOOST_TEST(s.name == "p");
  BOOST_TEST(s.seed == d.seed);
  BOOST_TEST(s.die_area_mm2 == d.die_area_mm2);
  BOOST_TEST(s.speed_sigma == d.speed_sigma);
  BOOST_TEST(s.defect_density_per_cm2 == 0.0);
  BOOST_TEST((s.category_weights == d.category_weights));
  BOOST_TEST((s.memory_class_weights == d.memory_class_weights));
  BOOST_TEST(s.memory_class_weights.size() == static_cast<std::size_t>(kFaultClassCount));
  BOOST_TEST(s.prefused_core_fraction == 0.0);
  for (int x = 0; x < 50; ++x) {
    const auto die = make_die(s, {"MIN", 1, x, 3}, kGeometry);
    BOOST_TEST(!die.has_defects());
    BOOST_TEST(die.harvest_mask == kSpareCoreMask);
  }
}

BOOST_AUTO_TEST_CASE(the_fixtures_load) {
  const auto typical = load_population(fixture("a0-typical"));
  BOOST_TEST(typical.name == "a0-typical");
  BOOST_TEST(typical.die_area_mm2 == 600.0);
  BOOST_TEST(typical.defect_density_per_cm2 > 0.0);
  BOOST_TEST(typical.prefused_core_fraction > 0.0);
  const auto clean = load_population(fixture("a0-clean"));
  BOOST_TEST(clean.name == "a0-clean");
  BOOST_TEST(clean.defect_density_per_cm2 == 0.0);
  BOOST_TEST(clean.speed_sigma == 0.0);
  BOOST_TEST(clean.leakage_sigma == 0.0);
  BOOST_TEST(clean.wafer_gradient == 0.0);
  const auto heavy = load_population(fixture("a0-memory-heavy"));
  BOOST_TEST(heavy.name == "a0-memory-heavy");
  BOOST_TEST(heavy.memory_class_weights.size() == static_cast<std::size_t>(kFaultClassCount));
  for (const auto& [c, w] : heavy.memory_class_weights) BOOST_TEST(w > 0.0, to_string(c));
  BOOST_TEST(heavy.cluster_share > 0.0);
}

BOOST_AUTO_TEST_CASE(malformed_specs_are_refused_naming_the_file_and_key) {
  TempDir dir;
  struct Case {
    const char* text;
    const char* key;
    const char* says;
  };
  const Case cases[] = {
      {R"({"description": "no name"})", "population", "required key is missing"},
      {R"({"population": ""})", "population", "non-empty"},
      {R"({"population": 5})", "population", "expected a string"},
      {R"({"population": "p", "seed": -1})", "seed", "from 0 to"},
      {R"({"population": "p", "seed": 1.5})", "seed", "expected an integer"},
      {R"({"population": "p", "die": {"area_mm2": 0}})", "die.area_mm2", "above 0"},
      {R"({"population": "p", "die": {"area_mm2": 5000}})", "die.area_mm2", "at most 1000"},
      {R"({"population": "p", "die": {"size": 5}})", "die.size", "unknown key (expected one of: area_mm2)"},
      {R"({"population": "p", "process": "fast"})", "process", "expected an object"},
      {R"({"population": "p", "process": {"speed_sigma": 0.9}})", "process.speed_sigma", "from 0 to 0.5"},
      {R"({"population": "p", "process": {"leakage_sigma": 3}})", "process.leakage_sigma", "from 0 to 2"},
      {R"({"population": "p", "process": {"speed_leakage_correlation": 1.5}})",
       "process.speed_leakage_correlation", "correlation from -1 to 1"},
      {R"({"population": "p", "process": {"wafer_gradient": -0.1}})", "process.wafer_gradient",
       "from 0 to 0.5"},
      {R"({"population": "p", "process": {"ambient_c": 200}})", "process.ambient_c", "temperature"},
      {R"({"population": "p", "process": {"sigma": 0.1}})", "process.sigma", "speed_leakage_correlation"},
      {R"({"population": "p", "defects": {"density_per_cm2": -1}})", "defects.density_per_cm2",
       "from 0 to 100"},
      {R"({"population": "p", "defects": {"density_per_cm2": "high"}})", "defects.density_per_cm2",
       "expected a number"},
      {R"({"population": "p", "defects": {"clustering_alpha": 0}})", "defects.clustering_alpha", "above 0"},
      {R"({"population": "p", "defects": {"categories": {"memroy": 1}}})", "defects.categories.memroy",
       "unknown key (expected one of: core, memory, register, sdc)"},
      {R"({"population": "p", "defects": {"categories": {"core": -1}}})", "defects.categories.core",
       "weight from 0"},
      {R"({"population": "p", "defects": {"density_per_cm2": 0.1, "categories": {"memory": 0}}})",
       "defects.categories", "at least one category"},
      {R"({"population": "p", "defects": {"memory_classes": {"XF": 1}}})", "defects.memory_classes.XF",
       "unknown fault class (expected one of: SAF, TF,"},
      {R"({"population": "p", "defects": {"memory_classes": {"SAF": 1, "saf": 2}}})",
       "defects.memory_classes.saf", "given twice"},
      {R"({"population": "p", "defects": {"memory_classes": {"TF": -2}}})", "defects.memory_classes.TF",
       "weight"},
      {R"({"population": "p", "defects": {"density_per_cm2": 0.1, "memory_classes": {"SAF": 0}}})",
       "defects.memory_classes", "at least one class"},
      {R"({"population": "p", "defects": {"cluster_share": 2}})", "defects.cluster_share",
       "fraction from 0 to 1"},
      {R"({"population": "p", "defects": {"intra_word_share": -1}})", "defects.intra_word_share", "fraction"},
      {R"({"population": "p", "defects": {"drf_retention_ms": [500, 5]}})", "defects.drf_retention_ms",
       "lo ≤ hi"},
      {R"({"population": "p", "defects": {"drf_retention_ms": [0, 5]}})", "defects.drf_retention_ms",
       "above 0"},
      {R"({"population": "p", "defects": {"drf_retention_ms": "5"}})", "defects.drf_retention_ms",
       "expected [lo, hi]"},
      {R"({"population": "p", "defects": {"drf_retention_ms": [1, 2, 3]}})", "defects.drf_retention_ms",
       "expected [lo, hi]"},
      {R"({"population": "p", "defects": {"rowhammer_threshold": [0, 10]}})", "defects.rowhammer_threshold",
       "from 1 to"},
      {R"({"population": "p", "defects": {"weak_fail_below_mv": [100, 200]}})", "defects.weak_fail_below_mv",
       "from 400 to 1500"},
      {R"({"population": "p", "defects": {"weak_fail_above_c": [70, 300]}})", "defects.weak_fail_above_c",
       "from -55 to 150"},
      {R"({"population": "p", "defects": {"sdc_flip_rate": [1e-5, 2]}})", "defects.sdc_flip_rate",
       "at most 1"},
      {R"({"population": "p", "defects": {"stuck_bits": 1}})", "defects.stuck_bits", "sdc_flip_rate"},
      {R"({"population": "p", "harvest": {"prefused_core_fraction": 1.5}})", "harvest.prefused_core_fraction",
       "fraction from 0 to 1"},
      {R"({"population": "p", "harvest": {"cores": 2}})", "harvest.cores", "prefused_core_fraction"},
      {R"({"population": "p", "faults": {}})", "faults", "unknown key"},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.text) {
      const auto f = dir.write("p.json", c.text);
      const auto msg = load_error(f);
      CHECK_STARTS_WITH(msg, f.string() + ": " + c.key + ":");
      CHECK_CONTAINS(msg, std::string(c.says));
    }
  }
}

BOOST_AUTO_TEST_CASE(an_unknown_top_level_key_lists_the_known_ones) {
  TempDir dir;
  const auto f = dir.write("p.json", R"({"population": "p", "proces": {}})");
  const auto msg = load_error(f);
  CHECK_STARTS_WITH(msg, f.string() + ": proces: unknown key");
  for (const char* key : {"population", "description", "seed", "die", "process", "defects", "harvest"})
    CHECK_CONTAINS(msg, std::string(key));
}

BOOST_AUTO_TEST_CASE(a_file_that_is_not_json_or_absent_is_named) {
  TempDir dir;
  const auto f = dir.write("broken.json", "{\n  \"population\": \"p\"\n  \"seed\": 1\n}\n");
  CHECK_STARTS_WITH(load_error(f), f.string() + ":3:");
  const auto missing = dir.path() / "nope.json";
  const auto msg =
      testing::expect_error<NotFoundError>([&] { load_population(missing); }, ErrorCode::not_found);
  CHECK_CONTAINS(msg, missing.string());
}

// ---- determinism --------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(make_die_is_deterministic) {
  const auto spec = stats_spec();
  const chip::DieId die{"DET1", 4, 10, 11};
  const DieInstance a = make_die(spec, die, kGeometry);
  BOOST_TEST(same_instance(a, make_die(spec, die, kGeometry)));
  BOOST_TEST(a.ecid == chip::encode_ecid(die));
  BOOST_TEST((a.id == die));
  BOOST_TEST(a.ambient_c == spec.ambient_c);
  for (const auto& d : lot_of_5000())
    if (!same_instance(make_die(spec, d, kGeometry), make_die(spec, d, kGeometry)))
      BOOST_ERROR(chip::to_string(d) << " differs between two calls");
}

BOOST_AUTO_TEST_CASE(different_dies_and_seeds_give_different_draws) {
  const auto spec = stats_spec();
  auto other_seed = spec;
  other_seed.seed = spec.seed + 1;
  const auto dies = lot_of_5000();
  int process_differ = 0, defects_differ = 0, seed_differ = 0, seed_defects_differ = 0, defective = 0;
  for (std::size_t i = 0; i + 1 < 1000; ++i) {
    const auto a = make_die(spec, dies[i], kGeometry);
    const auto b = make_die(spec, dies[i + 1], kGeometry);
    const auto c = make_die(other_seed, dies[i], kGeometry);
    process_differ += a.speed_factor != b.speed_factor && a.leakage_factor != b.leakage_factor ? 1 : 0;
    seed_differ += a.speed_factor != c.speed_factor && a.leakage_factor != c.leakage_factor ? 1 : 0;
    if (a.has_defects()) {
      ++defective;
      defects_differ += a.memory_faults != b.memory_faults || a.core_faults != b.core_faults ? 1 : 0;
      seed_defects_differ += a.memory_faults != c.memory_faults || a.core_faults != c.core_faults ? 1 : 0;
    }
  }
  BOOST_TEST(process_differ == 999);
  BOOST_TEST(seed_differ == 999);
  BOOST_TEST(defective > 500);
  // Two independent fault lists practically never coincide.
  BOOST_TEST(defects_differ >= defective - 5);
  BOOST_TEST(seed_defects_differ >= defective - 5);
}

BOOST_AUTO_TEST_CASE(changing_the_defects_leaves_the_process_draws_alone) {
  // Each aspect draws from its own stream: a what-if on the defect density must not reshuffle Fmax.
  auto spec = stats_spec();
  auto denser = spec;
  denser.defect_density_per_cm2 = 2.0;
  denser.prefused_core_fraction = 0.5;
  for (int x = 0; x < 100; ++x) {
    const auto a = make_die(spec, {"STRM", 2, x, 1}, kGeometry);
    const auto b = make_die(denser, {"STRM", 2, x, 1}, kGeometry);
    BOOST_TEST(a.speed_factor == b.speed_factor);
    BOOST_TEST(a.leakage_factor == b.leakage_factor);
  }
}

BOOST_AUTO_TEST_CASE(an_invalid_die_id_is_refused) {
  BOOST_CHECK_THROW(make_die(stats_spec(), {"LOT", 26, 0, 0}, kGeometry), InvalidArgumentError);
}

// ---- statistics over 5000 dies ------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(defect_counts_are_negative_binomial_with_the_spec_mean) {
  const auto spec = stats_spec();
  const double mean = spec.defect_density_per_cm2 * spec.die_area_mm2 / 100.0;  // 1.8
  std::vector<double> counts;
  int zero = 0;
  for (const auto& d : lot_of_5000()) {
    const int n = defect_count(make_die(spec, d, kGeometry));
    counts.push_back(n);
    zero += n == 0 ? 1 : 0;
  }
  const Moments m = moments(counts);
  const double nb_var = mean + mean * mean / spec.clustering_alpha;
  BOOST_TEST_MESSAGE("defects a die: mean " << m.mean << " (spec " << mean << "), variance " << m.var
                                            << " (negative binomial " << nb_var << ")");
  BOOST_TEST(std::abs(m.mean - mean) < 4 * std::sqrt(nb_var / 5000), "mean " << m.mean);
  // Clustering: the variance is well above the Poisson variance (= mean), near μ + μ²/α.
  BOOST_TEST(m.var > 1.5 * mean, "variance " << m.var);
  BOOST_TEST(std::abs(m.var - nb_var) < 0.2 * nb_var, "variance " << m.var);
  // The zero-defect share follows the negative-binomial yield (1 + μ/α)^-α.
  const double y0 = std::pow(1 + mean / spec.clustering_alpha, -spec.clustering_alpha);
  BOOST_TEST(near_share(zero, 5000, y0), "defect-free share " << zero / 5000.0 << ", expected " << y0);
}

BOOST_AUTO_TEST_CASE(a_huge_clustering_alpha_gives_poisson_counts) {
  auto spec = stats_spec();
  spec.clustering_alpha = 1e6;
  const double mean = spec.defect_density_per_cm2 * spec.die_area_mm2 / 100.0;
  std::vector<double> counts;
  for (const auto& d : lot_of_5000()) counts.push_back(defect_count(make_die(spec, d, kGeometry)));
  const Moments m = moments(counts);
  BOOST_TEST(std::abs(m.mean - mean) < 0.1, "mean " << m.mean);
  BOOST_TEST(std::abs(m.var / m.mean - 1.0) < 0.1, "variance/mean " << m.var / m.mean);
}

BOOST_AUTO_TEST_CASE(categories_and_classes_follow_their_weights) {
  auto spec = stats_spec();
  spec.defect_density_per_cm2 = 0.5;
  spec.clustering_alpha = 50;
  spec.memory_class_weights = {{FaultClass::saf, 4},
                               {FaultClass::drf, 2},
                               {FaultClass::cfid, 2},
                               {FaultClass::weak, 1},
                               {FaultClass::af, 1}};
  std::map<std::string, int> by_category;
  std::map<FaultClass, int> by_class;
  int total = 0, memory = 0, clusters = 0, coupling = 0, intra = 0;
  for (const auto& d : lot_of_5000()) {
    const auto die = make_die(spec, d, kGeometry);
    for (const auto& t : ground_truth(die, kGeometry)) {
      if (t.category == "process") continue;
      ++total;
      ++by_category[t.category];
    }
    clusters += static_cast<int>(die.memory_clusters.size());
    for (const auto& f : die.memory_faults) {
      if (std::any_of(die.memory_clusters.begin(), die.memory_clusters.end(), [&](const MemoryCluster& k) {
            return k.contains(kGeometry.to_physical(f.victim.word), f.victim.bit);
          }))
        continue;
      ++by_class[f.kind];
      if (f.is_coupling()) {
        ++coupling;
        intra += f.aggressor.word == f.victim.word ? 1 : 0;
      }
    }
  }
  memory = by_category["memory"];
  BOOST_TEST_MESSAGE("over " << total << " defects: " << memory << " memory (" << clusters << " clusters), "
                             << by_category["core"] << " core, " << by_category["register"] << " register, "
                             << by_category["sdc"] << " sdc");
  BOOST_REQUIRE(total > 10000);
  BOOST_TEST(near_share(by_category["memory"], total, 0.6));
  BOOST_TEST(near_share(by_category["core"], total, 0.2));
  BOOST_TEST(near_share(by_category["register"], total, 0.05));
  BOOST_TEST(near_share(by_category["sdc"], total, 0.15));
  BOOST_TEST(near_share(clusters, memory, spec.cluster_share));
  const int singles = memory - clusters;
  BOOST_TEST(near_share(by_class[FaultClass::saf], singles, 0.4));
  BOOST_TEST(near_share(by_class[FaultClass::drf], singles, 0.2));
  BOOST_TEST(near_share(by_class[FaultClass::cfid], singles, 0.2));
  BOOST_TEST(near_share(by_class[FaultClass::weak], singles, 0.1));
  BOOST_TEST(near_share(by_class[FaultClass::af], singles, 0.1));
  BOOST_TEST(by_class[FaultClass::tf] == 0);
  BOOST_TEST(near_share(intra, coupling, spec.intra_word_share));
}

BOOST_AUTO_TEST_CASE(speed_and_leakage_have_the_spec_spread_and_correlation) {
  for (double rho : {0.6, -0.5}) {
    auto spec = stats_spec();
    spec.speed_leakage_corr = rho;
    std::vector<double> speed, log_leak;
    for (const auto& d : lot_of_5000()) {
      const auto die = make_die(spec, d, kGeometry);
      BOOST_REQUIRE(die.leakage_factor > 0);
      speed.push_back(die.speed_factor);
      log_leak.push_back(std::log(die.leakage_factor));
    }
    const Moments s = moments(speed), l = moments(log_leak);
    const double r = correlation(speed, log_leak);
    BOOST_TEST_MESSAGE("rho " << rho << ": speed mean " << s.mean << " sd " << std::sqrt(s.var)
                              << ", ln leakage mean " << l.mean << " sd " << std::sqrt(l.var)
                              << ", correlation " << r);
    BOOST_TEST(std::abs(s.mean - 1.0) < 0.005);
    BOOST_TEST(std::abs(std::sqrt(s.var) - spec.speed_sigma) < 0.1 * spec.speed_sigma);
    BOOST_TEST(std::abs(l.mean) < 0.03);
    BOOST_TEST(std::abs(std::sqrt(l.var) - spec.leakage_sigma) < 0.1 * spec.leakage_sigma);
    BOOST_TEST(std::abs(r - rho) < 0.06, "correlation " << r);
    BOOST_TEST((r > 0) == (rho > 0));
  }
}

BOOST_AUTO_TEST_CASE(edge_dies_are_slower_by_the_wafer_gradient) {
  auto spec = stats_spec();
  spec.wafer_gradient = 0.08;
  std::vector<double> centre, edge;
  double centre_r = 0, edge_r = 0;
  for (int w = 1; w <= 25; ++w)
    for (const auto& site : wafer_sites()) {
      const double r = wafer_radius_fraction(site.x, site.y);
      const double speed = make_die(spec, {"GRAD", w, site.x, site.y}, kGeometry).speed_factor;
      if (r < 0.4) {
        centre.push_back(speed);
        centre_r += r;
      } else if (r > 0.75) {
        edge.push_back(speed);
        edge_r += r;
      }
    }
  const double dc = centre_r / static_cast<double>(centre.size()),
               de = edge_r / static_cast<double>(edge.size());
  const double loss = moments(centre).mean - moments(edge).mean;
  const double expected = spec.wafer_gradient * (de - dc);
  BOOST_TEST_MESSAGE("centre " << centre.size() << " dies, edge " << edge.size() << ": edge slower by "
                               << loss << " (expected " << expected << ")");
  BOOST_TEST(loss > 0.0);
  BOOST_TEST(std::abs(loss - expected) < 0.008);
}

BOOST_AUTO_TEST_CASE(the_wafer_is_the_simulated_handlers_disc) {
  const auto sites = wafer_sites();
  BOOST_TEST(sites.size() == static_cast<std::size_t>(kDiesPerWafer));
  std::set<std::pair<int, int>> seen;
  for (const auto& s : sites) {
    BOOST_TEST((s.x >= 0 && s.x < 16 && s.y >= 0 && s.y < 16));
    seen.insert({s.x, s.y});
    // The disc is symmetric about the centre (7.5, 7.5).
    BOOST_TEST(std::any_of(sites.begin(), sites.end(),
                           [&](const WaferSite& o) { return o.x == 15 - s.x && o.y == 15 - s.y; }));
    BOOST_TEST(wafer_radius_fraction(s.x, s.y) <= 1.0);
  }
  BOOST_TEST(seen.size() == sites.size());
  BOOST_TEST(wafer_radius_fraction(7, 7) < 0.1);
  BOOST_TEST(wafer_radius_fraction(200, 200) == 1.0);  // off the disc: clamped
}

// ---- the clean spec -----------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(the_clean_fixture_gives_identical_defect_free_dies) {
  const auto spec = load_population(fixture("a0-clean"));
  int nominal = 0;
  for (const auto& d : lot_of_5000()) {
    const auto die = make_die(spec, d, kGeometry);
    if (die.has_defects() || die.speed_factor != 1.0 || die.leakage_factor != 1.0 ||
        die.harvest_mask != kSpareCoreMask || !die.memory_clusters.empty())
      BOOST_ERROR(chip::to_string(d) << " is not the nominal clean die");
    else
      ++nominal;
  }
  BOOST_TEST(nominal == 5000);
}

// ---- validity of every fault --------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(every_fault_is_inside_the_geometry_and_valid_for_its_class) {
  auto spec = load_population(fixture("a0-memory-heavy"));
  spec.category_weights = {{"memory", 0.7}, {"core", 0.1}, {"register", 0.1}, {"sdc", 0.1}};
  spec.prefused_core_fraction = 0.3;
  std::map<FaultClass, int> seen;
  for (const auto& g : {chip::HbmGeometry::for_size(1u << 20), kGeometry}) {
    for (int x = 0; x < 200; ++x) {
      const auto die = make_die(spec, {"VALID", 3, x % 16, x / 16}, g);
      BOOST_TEST_CONTEXT(chip::to_string(die.id) << " on " << g.describe()) {
        std::set<Cell> victims;
        for (std::size_t i = 0; i < die.memory_faults.size(); ++i) {
          const auto& f = die.memory_faults[i];
          ++seen[f.kind];
          BOOST_TEST_CONTEXT(f.describe()) {
            BOOST_TEST(f.victim.word < g.words());
            BOOST_TEST(f.victim.bit < 64);
            BOOST_TEST(victims.insert(f.victim).second, "two faults on one cell");
            if (i > 0) {
              const auto& p = die.memory_faults[i - 1];
              BOOST_TEST((std::tie(p.victim, p.kind) <= std::tie(f.victim, f.kind)), "not sorted");
            }
            BOOST_TEST((f.retention_ms > 0) == (f.kind == FaultClass::drf));
            BOOST_TEST((f.hammer_threshold > 0) == (f.kind == FaultClass::rowhammer));
            if (f.kind != FaultClass::weak) BOOST_TEST((f.fail_below_mv == 0 && f.fail_above_c == 0));
            if (f.is_coupling()) {
              BOOST_TEST(f.aggressor.word < g.words());
              BOOST_TEST(f.aggressor.bit < 64);
              BOOST_TEST((f.aggressor != f.victim));
              if (f.aggressor.word != f.victim.word) {
                // Physical neighbours: same bank and bit, adjacent row and/or column.
                const auto a = g.to_physical(f.aggressor.word), v = g.to_physical(f.victim.word);
                BOOST_TEST((a.stack == v.stack && a.channel == v.channel && a.bank == v.bank));
                BOOST_TEST(std::abs(static_cast<int>(a.row) - static_cast<int>(v.row)) <= 1);
                BOOST_TEST(std::abs(static_cast<int>(a.column) - static_cast<int>(v.column)) <= 1);
                BOOST_TEST(f.aggressor.bit == f.victim.bit);
              }
            }
            switch (f.kind) {
              case FaultClass::af:
                BOOST_TEST(f.other_word < g.words());
                BOOST_TEST(std::has_single_bit(f.other_word ^ f.victim.word), "one address bit apart");
                break;
              case FaultClass::drf:
                BOOST_TEST((f.retention_ms >= spec.drf_retention_ms.lo &&
                            f.retention_ms <= spec.drf_retention_ms.hi));
                break;
              case FaultClass::rowhammer:
                BOOST_TEST((f.hammer_threshold >= spec.hammer_threshold.lo - 0.5 &&
                            f.hammer_threshold <= spec.hammer_threshold.hi + 0.5));
                break;
              case FaultClass::weak: {
                const bool low_v = f.fail_below_mv > 0, hot = f.fail_above_c > 0;
                BOOST_TEST(low_v != hot, "a weak cell fails at low supply or when hot");
                if (low_v)
                  BOOST_TEST((f.fail_below_mv >= spec.weak_fail_below_mv.lo - 0.5 &&
                              f.fail_below_mv <= spec.weak_fail_below_mv.hi + 0.5));
                if (hot)
                  BOOST_TEST((f.fail_above_c >= spec.weak_fail_above_c.lo - 0.5 &&
                              f.fail_above_c <= spec.weak_fail_above_c.hi + 0.5));
                break;
              }
              default:
                break;
            }
          }
        }
        // Clusters: a row or column segment of stuck-at cells, all in memory_faults.
        for (const auto& k : die.memory_clusters) {
          BOOST_TEST(k.first <= k.last);
          BOOST_TEST(k.cells() <= 512u);
          const auto members =
              std::count_if(die.memory_faults.begin(), die.memory_faults.end(), [&](const auto& f) {
                return f.kind == FaultClass::saf && f.value == k.value &&
                       k.contains(g.to_physical(f.victim.word), f.victim.bit);
              });
          BOOST_TEST(static_cast<std::uint32_t>(members) == k.cells());
          if (k.shape == MemoryCluster::Shape::row)
            BOOST_TEST(k.last < g.columns);
          else
            BOOST_TEST(k.last < g.rows);
        }
        std::set<std::tuple<int, int, int>> slots;
        for (std::size_t i = 0; i < die.core_faults.size(); ++i) {
          const auto& c = die.core_faults[i];
          BOOST_TEST((c.core >= 0 && c.core < kCoreCount && c.lane >= 0 && c.lane < kLanesPerCore &&
                      c.bit >= 0 && c.bit < 32));
          BOOST_TEST(slots.insert({c.core, c.lane, c.bit}).second);
          if (c.kind == CoreFault::Kind::flaky)
            BOOST_TEST((c.flip_rate >= spec.sdc_flip_rate.lo && c.flip_rate <= spec.sdc_flip_rate.hi));
          else
            BOOST_TEST(c.flip_rate == 0.0);
          if (i > 0)
            BOOST_TEST((std::tie(die.core_faults[i - 1].core, die.core_faults[i - 1].lane,
                                 die.core_faults[i - 1].bit) < std::tie(c.core, c.lane, c.bit)));
        }
        for (std::size_t i = 0; i < die.register_stuck.size(); ++i) {
          const auto& r = die.register_stuck[i];
          BOOST_TEST((r.address == chip::reg::SCRATCH0 || r.address == chip::reg::SCRATCH1));
          BOOST_TEST((r.bit >= 0 && r.bit <= 31));
          if (i > 0)
            BOOST_TEST((std::tie(die.register_stuck[i - 1].address, die.register_stuck[i - 1].bit) <
                        std::tie(r.address, r.bit)));
        }
      }
    }
  }
  for (int c = 0; c < kFaultClassCount; ++c)
    BOOST_TEST(seen[static_cast<FaultClass>(c)] > 0,
               "no " << to_string(static_cast<FaultClass>(c)) << " generated");
}

BOOST_AUTO_TEST_CASE(a_tiny_memory_still_gets_valid_distinct_faults) {
  auto spec = stats_spec();
  spec.defect_density_per_cm2 = 5.0;  // 30 defects a die in 1 MiB
  spec.category_weights = {{"memory", 1}};
  spec.cluster_share = 0.3;
  const auto g = chip::HbmGeometry::for_size(1u << 20);
  for (int x = 0; x < 20; ++x) {
    const auto die = make_die(spec, {"TINY", 1, x, 0}, g);
    std::set<Cell> cells;
    for (const auto& f : die.memory_faults) BOOST_TEST(cells.insert(f.victim).second);
  }
}

// ---- harvest ------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(harvest_masks_follow_the_rules) {
  auto spec = stats_spec();
  spec.defect_density_per_cm2 = 0;
  spec.prefused_core_fraction = 0.3;
  int harvested = 0;
  const auto dies = lot_of_5000();
  for (const auto& d : dies) {
    const auto die = make_die(spec, d, kGeometry);
    if (!die.harvested()) {
      BOOST_TEST(die.harvest_mask == kSpareCoreMask);
      BOOST_TEST(die.core_faults.empty());
      continue;
    }
    ++harvested;
    // One of the eight cores is fused off, spare 8 enabled in its place, spare 9 still off.
    const std::uint32_t main = die.harvest_mask & 0xFFu;
    BOOST_TEST(std::popcount(main) == 1);
    BOOST_TEST((die.harvest_mask & 0x100u) == 0u);
    BOOST_TEST((die.harvest_mask & 0x200u) == 0x200u);
    BOOST_TEST((die.harvest_mask & ~0x3FFu) == 0u);
    BOOST_TEST(std::popcount(die.harvest_mask) == kCoreCount - kFullGradeCores);
    // The fault wafer sort found sits on the fused core.
    BOOST_REQUIRE(die.core_faults.size() == 1u);
    const auto& f = die.core_faults.front();
    BOOST_TEST(die.fused_off(f.core));
    BOOST_TEST((main >> f.core) == 1u);
    BOOST_TEST((f.kind != CoreFault::Kind::flaky));
  }
  BOOST_TEST(near_share(harvested, static_cast<int>(dies.size()), 0.3), "harvested " << harvested);
  spec.prefused_core_fraction = 1.0;
  for (int x = 0; x < 50; ++x) BOOST_TEST(make_die(spec, {"H", 1, x, 0}, kGeometry).harvested());
  spec.prefused_core_fraction = 0.0;
  for (int x = 0; x < 50; ++x) BOOST_TEST(!make_die(spec, {"H", 1, x, 0}, kGeometry).harvested());
}

// ---- the generator ------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(gamma_and_poisson_draws_have_the_right_moments) {
  Rng rng(99);
  for (double shape : {0.5, 2.0, 10.0}) {
    std::vector<double> v;
    for (int i = 0; i < 40000; ++i) v.push_back(rng.gamma(shape));
    const Moments m = moments(v);
    BOOST_TEST(std::abs(m.mean - shape) < 0.03 * shape + 0.01, "gamma(" << shape << ") mean " << m.mean);
    BOOST_TEST(std::abs(m.var - shape) < 0.1 * shape, "gamma(" << shape << ") variance " << m.var);
    BOOST_TEST(*std::min_element(v.begin(), v.end()) >= 0.0);
  }
  for (double mean : {0.5, 3.0, 40.0}) {
    std::vector<double> v;
    for (int i = 0; i < 40000; ++i) v.push_back(static_cast<double>(rng.poisson(mean)));
    const Moments m = moments(v);
    BOOST_TEST(std::abs(m.mean - mean) < 0.03 * mean + 0.01, "poisson(" << mean << ") mean " << m.mean);
    BOOST_TEST(std::abs(m.var - mean) < 0.1 * mean, "poisson(" << mean << ") variance " << m.var);
  }
  BOOST_TEST(rng.poisson(0.0) == 0u);
}

BOOST_AUTO_TEST_CASE(the_generator_sequence_is_fixed) {
  // The same numbers on every platform: ground truth must not depend on the machine.
  Rng rng(1);
  BOOST_TEST(rng.next() == mix64(1 + 0x9E3779B97F4A7C15ull));
  BOOST_TEST(mix64(0) == 0u);
  BOOST_TEST(mix64(1) == 0x5692161D100B05E5ull);
}

// ---- the fixtures' dies other tests name --------------------------------------------------------

BOOST_AUTO_TEST_CASE(the_typical_fixture_keeps_the_dies_other_tests_rely_on) {
  // tests/apps (run.pass, run.die_json, run.failing_die) and the exec runner tests test these dies of
  // the built-in board: SIM0-W01-X000-Y000 and X003-Y004 are good, X008-Y001 has stuck memory cells
  // and nothing else.
  const auto spec = load_population(fixture("a0-typical"));
  for (const chip::DieId& id : {chip::DieId{"SIM0", 1, 0, 0}, chip::DieId{"SIM0", 1, 3, 4}}) {
    const auto die = make_die(spec, id, kGeometry);
    BOOST_TEST(is_full_grade(ground_truth(die, kGeometry)), chip::to_string(id));
    BOOST_TEST(die.leakage_factor < 1.6, chip::to_string(id));
  }
  const auto bad = make_die(spec, {"SIM0", 1, 8, 1}, kGeometry);
  BOOST_TEST(bad.core_faults.empty());
  BOOST_TEST(bad.register_stuck.empty());
  BOOST_TEST(std::any_of(bad.memory_faults.begin(), bad.memory_faults.end(),
                         [](const MemoryFault& f) { return f.kind == FaultClass::saf; }));
  BOOST_TEST(bad.leakage_factor < 1.6);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval::sim

// Ground truth of simulated dies: what is wrong with a die, where, and which test categories should
// catch it; and the summary of a whole population, the what-if a product engineer plans a ramp with
// (`seedval population`). See docs/populations.md for the rules.
//
//   const auto g = chip::HbmGeometry::for_size(16 << 20);
//   for (const auto& d : sim::ground_truth(sim::make_die(spec, {"LOT001", 1, 3, 4}, g), g))
//     fmt::print("{} {} at {}: {}\n", d.category, d.kind, d.where, fmt::join(d.caught_by, ", "));
//
//   const auto s = sim::summarize(spec, 10'000, g);   // good_share(), fmax_mhz.p1, ...
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <seedval/chip/geometry.h>
#include <seedval/sim/population.h>

namespace seedval::sim {

/// The product operating point: a full-grade part runs its enabled cores at 1200 MHz from 750 mV.
inline constexpr double kProductClockMhz = 1200.0;
inline constexpr double kProductVddMv = 750.0;
/// The temperature the true fmax and vmin are given at.
inline constexpr double kTruthTempC = 25.0;

/// One entry of a die's ground truth.
struct Defect {
  /// "memory", "core", "register", "sdc" (a flaky MAC lane) or "process" (the die's speed).
  std::string category;
  /// memory: the class name ("SAF", ..., "weak") or "SAF row" / "SAF column" for a cluster;
  /// core: "stuck-at"; sdc: "flaky lane"; register: "stuck bit"; process: "speed" or "slow die".
  std::string kind;
  /// memory: the physical location "s0.ch1.b3.r0012.c005 bit 17 (word 0x1234)"; core/sdc:
  /// "core 3 lane 7 bit 21"; register: "SCRATCH0 (0x0020) bit 4"; process: "die".
  std::string where;
  /// The fault's own description (its primitive and parameters), fmax/vmin for process entries.
  std::string detail;
  /// memory: the shortest classic test of the reference page that finds the class ("MATS+", "March
  /// C-", "IFA-13"), with the data backgrounds an intra-word fault needs; empty otherwise.
  std::string algorithm;
  /// Test categories that should catch it ("memory.march", "inference.golden", ...); empty for a
  /// harmless entry that no test can or need catch.
  std::vector<std::string> caught_by;
  /// True for a fault on a fused-off core, and for the process entry of a die fast enough for the
  /// product clock.
  bool harmless = false;
  /// memory: true if SECDED corrects the error it causes (one wrong bit per word, no other faulty
  /// cell in the word).
  bool ecc_correctable = false;
};

/// The die's true fmax (MHz) at kProductVddMv and kTruthTempC.
double true_fmax_mhz(const DieInstance& die) noexcept;
/// The die's true vmin (mV) at kProductClockMhz and kTruthTempC.
double true_vmin_mv(const DieInstance& die) noexcept;

/// Every defect of `die`, physical ones first in the order of the die's lists (memory faults with a
/// cluster's cells reported once as the cluster, core faults, register bits), then one "process" entry
/// with the true fmax and vmin, which is a defect (kind "slow die", caught by stress.fmax) when fmax is
/// below the product clock.
std::vector<Defect> ground_truth(const DieInstance& die, const chip::HbmGeometry& geometry);

/// True if no entry is harmful: the die is a good full-grade part.
bool is_full_grade(const std::vector<Defect>& truth) noexcept;

/// Min, 1st, 50th and 99th percentile (linear interpolation between order statistics) and max.
struct Spread {
  double min = 0;
  double p1 = 0;
  double p50 = 0;
  double p99 = 0;
  double max = 0;
};
/// The spread of `values` (reordered); all zero when empty.
Spread spread_of(std::vector<double>& values);

struct PopulationSummary {
  std::string population;
  std::uint64_t seed = 0;
  int dies = 0;
  int dies_with_defects = 0;                    ///< any physical defect, harmful or not
  int dies_with_harmful_defects = 0;            ///< a physical defect that matters
  int slow_dies = 0;                            ///< fmax below the product clock
  int good_dies = 0;                            ///< full grade: no harmful defect and fast enough
  int harvested_dies = 0;                       ///< a core fused off at wafer sort, a spare enabled
  int defects = 0;                              ///< physical defects (a cluster counts once; slow dies not)
  int harmless_defects = 0;                     ///< of them, on fused-off cores
  std::map<std::string, int> defects_by_class;  ///< by Defect::kind
  std::map<std::string, int> defects_by_category;  ///< by Defect::category
  Spread fmax_mhz;                                 ///< at kProductVddMv, kTruthTempC
  Spread vmin_mv;                                  ///< at kProductClockMhz, kTruthTempC
  Spread leakage_factor;
  double elapsed_s = 0;  ///< time to make and summarise the dies

  double good_share() const noexcept { return share(good_dies); }
  double harvested_share() const noexcept { return share(harvested_dies); }
  double mean_defects_per_die() const noexcept { return share(defects); }
  double share(int count) const noexcept { return dies > 0 ? static_cast<double>(count) / dies : 0.0; }
};

/// The die `index` (from 0) of a population as summarize() draws it: lots `<prefix>001`,
/// `<prefix>002`, ... of 25 wafers each, wafers of the 188 wafer_sites() in order. With the default
/// prefix the first lot is the one `seedval lot` tests by default (LOT001).
chip::DieId population_die(std::string_view lot_prefix, int index);

/// Makes `dies` dies of `spec` (see population_die) and summarises their ground truth. Throws
/// InvalidArgumentError for dies < 1 or beyond 999 lots, or a prefix that is not 1 to 3 characters of
/// [0-9A-Z].
PopulationSummary summarize(const PopulationSpec& spec, int dies, const chip::HbmGeometry& geometry,
                            std::string_view lot_prefix = "LOT");

}  // namespace seedval::sim

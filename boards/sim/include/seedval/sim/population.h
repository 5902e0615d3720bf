// Populations of simulated dies: a spec (fixtures/populations/*.json) plus a die's coordinates give one
// die instance, deterministically and identically on every machine. The instance's defect list is the
// ground truth a lot is audited against (see ground_truth.h). The format, the statistics and the
// fixtures are documented in docs/populations.md; in short:
//
//   {
//     "population": "a0-typical",                      name (required)
//     "description": "...",                            free text
//     "seed": 2643,                                    0 .. 2^63-1; with the die's ECID, seeds every draw
//     "die":     {"area_mm2": 600},                    (0, 1000]
//     "process": {"speed_sigma": 0.06,                 σ of the speed factor (fmax multiplier), 0 .. 0.5
//                 "leakage_sigma": 0.35,               σ of ln(leakage factor), 0 .. 2
//                 "speed_leakage_correlation": 0.6,    correlation of speed and ln(leakage), -1 .. 1
//                 "wafer_gradient": 0.05,              speed lost at the usable wafer edge, 0 .. 0.5
//                 "ambient_c": 25},                    -55 .. 150
//     "defects": {"density_per_cm2": 0.1,              defects per cm² of die, 0 .. 100
//                 "clustering_alpha": 2,               negative-binomial shape α, (0, 1e6]
//                 "categories": {"memory": 0.6, "core": 0.2, "register": 0.05, "sdc": 0.15},
//                 "memory_classes": {"SAF": 30, "TF": 8, ..., "RowHammer": 8, "weak": 12},
//                 "cluster_share": 0.1,                memory defects that are a row or column of SAFs
//                 "intra_word_share": 0.3,             coupling faults between two bits of one word
//                 "drf_retention_ms": [5, 500],        log-uniform
//                 "rowhammer_threshold": [2e3, 5e4],   log-uniform
//                 "weak_fail_below_mv": [1040, 1090],  uniform
//                 "weak_fail_above_c": [70, 95],       uniform
//                 "sdc_flip_rate": [1e-7, 1e-5]},      log-uniform
//     "harvest": {"prefused_core_fraction": 0.08}      dies whose wafer sort fused off a faulty core
//   }
//
// Every key but "population" is optional and defaults to the PopulationSpec field below. Unknown keys
// are errors that list the known ones; every error names the file and the key path.
//
//   const auto spec = sim::load_population("fixtures/populations/a0-typical.json");
//   const auto die = sim::make_die(spec, {"LOT001", 3, 7, 9}, chip::HbmGeometry::for_size(16 << 20));
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <vector>

#include <seedval/chip/geometry.h>
#include <seedval/chip/identity.h>
#include <seedval/sim/faults.h>

namespace seedval::sim {

/// Tensor cores on every die (spares included), MAC lanes per core, and the cores a full-grade part
/// has enabled.
inline constexpr int kCoreCount = 10;
inline constexpr int kLanesPerCore = 16;
inline constexpr int kFullGradeCores = 8;
/// The harvest mask of a die whose wafer sort found no faulty core: the two spares (cores 8 and 9)
/// fused off.
inline constexpr std::uint32_t kSpareCoreMask = 0x300;

/// Bounds [lo, hi] of a parameter drawn log-uniformly (retention times, hammer thresholds) or uniformly.
struct Range {
  double lo = 0;
  double hi = 0;
  friend bool operator==(const Range&, const Range&) = default;
};

/// The defect categories, in the order make_die draws them.
inline constexpr const char* kDefectCategories[] = {"memory", "core", "register", "sdc"};

struct PopulationSpec {
  std::string name;
  std::string description;
  std::uint64_t seed = 1;
  std::filesystem::path file;  ///< where it was loaded from; empty for a built-in spec

  // Die and process.
  double die_area_mm2 = 600.0;
  double ambient_c = 25.0;
  double speed_sigma = 0.04;        ///< σ of the die's speed factor (fmax multiplier, mean 1)
  double leakage_sigma = 0.3;       ///< σ of ln(leakage factor)
  double speed_leakage_corr = 0.6;  ///< fast dies leak more
  double wafer_gradient = 0.02;     ///< speed loss from wafer centre to edge (fraction)

  // Defects: a negative-binomial count per die (density × area, clustering α), each defect assigned a
  // category by weight, then a class and parameters within it.
  double defect_density_per_cm2 = 0.0;
  double clustering_alpha = 2.0;
  /// "memory", "core", "register", "sdc"; a loaded spec's "categories" replaces the whole map.
  std::map<std::string, double> category_weights{
      {"memory", 0.6}, {"core", 0.25}, {"register", 0.05}, {"sdc", 0.1}};
  /// Within "memory"; a loaded spec's "memory_classes" replaces the whole map (absent classes weigh 0).
  std::map<FaultClass, double> memory_class_weights{
      {FaultClass::saf, 1},  {FaultClass::tf, 1},   {FaultClass::wdf, 1},       {FaultClass::rdf, 1},
      {FaultClass::drdf, 1}, {FaultClass::irf, 1},  {FaultClass::sof, 1},       {FaultClass::drf, 1},
      {FaultClass::af, 1},   {FaultClass::cfin, 1}, {FaultClass::cfid, 1},      {FaultClass::cfst, 1},
      {FaultClass::cfds, 1}, {FaultClass::weak, 1}, {FaultClass::rowhammer, 1},
  };
  /// Share of memory defects that are a cluster (a row or a column segment of stuck-at cells in one
  /// bank) instead of a single fault of a class.
  double cluster_share = 0.0;
  /// Share of coupling faults whose aggressor and victim are two bits of one word.
  double intra_word_share = 0.3;
  Range drf_retention_ms{5, 500};
  Range hammer_threshold{2'000, 50'000};
  Range weak_fail_below_mv{1040, 1090};
  Range weak_fail_above_c{70, 95};
  Range sdc_flip_rate{1e-7, 1e-5};
  /// Share of dies whose cores the wafer-sort test already harvested (a defective core fused off).
  double prefused_core_fraction = 0.0;
};

/// Loads and validates a population file. Throws ConfigError naming the file and key, NotFoundError or
/// IoError if the file cannot be read.
PopulationSpec load_population(const std::filesystem::path& file);

/// A cluster of stuck-at cells from one physical defect (a broken word-line segment or bit line): the
/// same bit of every word along a row (shape row: columns [first, last] of `at.row`) or along a column
/// (shape column: rows [first, last] of `at.column`) of one bank. Its cells are also in
/// DieInstance::memory_faults, one SAF each; ground truth reports the cluster as one defect.
struct MemoryCluster {
  enum class Shape : std::uint8_t { row, column } shape = Shape::row;
  chip::PhysicalAddress at;  ///< stack, channel, bank, and the row (row shape) or column (column shape)
  std::uint32_t first = 0;   ///< first column (row shape) or row (column shape)
  std::uint32_t last = 0;    ///< last, inclusive
  std::uint8_t bit = 0;
  bool value = false;  ///< the value the cells are stuck at
  friend bool operator==(const MemoryCluster&, const MemoryCluster&) = default;

  std::uint32_t cells() const noexcept { return last - first + 1; }
  /// True if the cell at physical location `p`, bit `bit` is one of the cluster's.
  bool contains(const chip::PhysicalAddress& p, int bit) const noexcept;
};

/// One simulated die: its identity, process parameters and defects (the ground truth).
struct DieInstance {
  chip::DieId id;
  std::uint64_t ecid = 0;
  double speed_factor = 1.0;    ///< multiplies the nominal fmax(V, T)
  double leakage_factor = 1.0;  ///< multiplies nominal leakage power
  double ambient_c = 25.0;
  std::uint32_t harvest_mask = kSpareCoreMask;   ///< cores fused off (bit per core); the spares beyond
                                                 ///< 8 are fused off unless a harvested core needed them
  std::vector<MemoryFault> memory_faults;        ///< sorted by victim, then class (see make_die)
  std::vector<CoreFault> core_faults;            ///< sorted by core, lane, bit
  std::vector<RegisterStuckBit> register_stuck;  ///< sorted by address, bit
  std::vector<MemoryCluster> memory_clusters;    ///< clusters whose cells are in memory_faults

  bool has_defects() const {
    return !memory_faults.empty() || !core_faults.empty() || !register_stuck.empty();
  }
  /// True if wafer sort fused off a faulty core (and enabled a spare in its place).
  bool harvested() const noexcept { return harvest_mask != kSpareCoreMask; }
  /// True if core `core` is fused off; faults on it are harmless.
  bool fused_off(int core) const noexcept { return core < 0 || core >= 32 || ((harvest_mask >> core) & 1u); }
};

/// Makes the die at `id` of `spec` for HBM of `geometry`. Throws InvalidArgumentError for an invalid
/// die id. The same (spec, id, geometry) give the same instance on every machine.
DieInstance make_die(const PopulationSpec& spec, const chip::DieId& id, const chip::HbmGeometry& geometry);

/// The dies of one wafer, as the simulated handler feeds them: the whole dies of a disc on a 16 × 16
/// grid centred at (7.5, 7.5) with a usable radius of 8.44 die pitches, row by row (188 sites).
struct WaferSite {
  int x = 0;
  int y = 0;
};
std::span<const WaferSite> wafer_sites() noexcept;
inline constexpr int kDiesPerWafer = 188;
/// Distance of (x, y) from the wafer centre as a fraction of the usable radius, clamped to 1 for
/// coordinates off the disc. The speed factor loses wafer_gradient × this.
double wafer_radius_fraction(int x, int y) noexcept;

/// A 64-bit mix of its inputs (SplitMix64 finaliser); the basis of every seeded choice in the model.
std::uint64_t mix64(std::uint64_t x) noexcept;

/// A small deterministic generator: the same sequence on every platform and standard library
/// (std::*_distribution are implementation-defined, which would make ground truth machine-dependent).
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() noexcept { return mix64(state_ += 0x9E3779B97F4A7C15ull); }
  double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  std::uint64_t below(std::uint64_t n) noexcept { return n == 0 ? 0 : next() % n; }
  double normal() noexcept;
  /// Log-uniform in [r.lo, r.hi] (both > 0).
  double log_uniform(const Range& r) noexcept;
  /// Uniform in [r.lo, r.hi].
  double uniform(const Range& r) noexcept { return r.lo + uniform() * (r.hi - r.lo); }
  /// Gamma(shape, scale 1) by Marsaglia and Tsang's method (shape > 0).
  double gamma(double shape) noexcept;
  /// Poisson(mean), exact (Knuth's product method in chunks, so large means do not underflow).
  std::uint64_t poisson(double mean) noexcept;

 private:
  std::uint64_t state_;
};

}  // namespace seedval::sim

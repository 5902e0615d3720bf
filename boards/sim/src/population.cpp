#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <set>
#include <string>
#include <tuple>

#include <fmt/core.h>

#include <seedval/chip/registers.h>
#include <seedval/core/error.h>
#include <seedval/core/json_reader.h>
#include <seedval/core/strings.h>
#include <seedval/sim/population.h>

namespace seedval::sim {
namespace {

namespace fs = std::filesystem;

// ---- the wafer ----------------------------------------------------------------------------------

// The disc the simulated handler (framework/exec SimHandler) feeds: the whole dies of a 16 × 16 grid
// whose far corner lies inside the usable radius. Kept equal to it by population_test.
constexpr int kGrid = 16;
constexpr double kWaferCentre = (kGrid - 1) / 2.0;
constexpr double kUsableRadius = 8.44;  // die pitches: a 300 mm wafer less its edge exclusion

// ---- independent streams of one die -------------------------------------------------------------
// Each aspect of a die draws from its own stream, so a spec that changes one aspect (say the defect
// density) leaves the others (the process draws, the harvest) of every die as they were.
constexpr std::uint64_t kProcessStream = 0x70726F63657373ull;  // "process"
constexpr std::uint64_t kDefectStream = 0x64656665637473ull;   // "defects"
constexpr std::uint64_t kHarvestStream = 0x68617276657374ull;  // "harvest"

/// Physical defects one die can carry before the generator stops (a guard against absurd specs).
constexpr std::uint64_t kMaxDefectsPerDie = 100'000;
/// Draws for a free place before a defect is dropped (only in memories far too small for the density).
constexpr int kPlacementTries = 1000;
/// A cluster spans at most one mat: 512 rows or 512 columns.
constexpr std::uint32_t kMatSpan = 512;

// ---- loading ------------------------------------------------------------------------------------

std::string number_text(double v) {
  return fmt::format("{:g}", v);
}

// A number at `key` from `lo` to `hi` (above `lo` when `lo_open`), or `fallback` when absent.
double bounded(JsonObject& o, std::string_view key, double fallback, double lo, double hi,
               std::string_view what = "a number", bool lo_open = false) {
  if (!o.has(key)) return fallback;
  const double v = o.number(key);
  const bool ok = (lo_open ? v > lo : v >= lo) && v <= hi;
  if (!ok) {
    o.fail(key, lo_open ? fmt::format("expected {} above {} and at most {}, got {}", what, number_text(lo),
                                      number_text(hi), number_text(v))
                        : fmt::format("expected {} from {} to {}, got {}", what, number_text(lo),
                                      number_text(hi), number_text(v)));
  }
  return v;
}

// A range [lo, hi] at `key`: two numbers, lo ≤ hi, both within [min, max] (above min when positive).
Range range(JsonObject& o, std::string_view key, Range fallback, double min, double max, bool positive) {
  const nlohmann::json* raw = o.raw(key);
  if (raw == nullptr) return fallback;
  const std::string bounds = positive
                                 ? fmt::format("above {} and at most {}", number_text(min), number_text(max))
                                 : fmt::format("from {} to {}", number_text(min), number_text(max));
  const std::string expected = fmt::format("expected [lo, hi] with lo ≤ hi, both {}", bounds);
  if (!raw->is_array() || raw->size() != 2 || !(*raw)[0].is_number() || !(*raw)[1].is_number())
    o.fail(key, fmt::format("{}, got {} {}", expected, json_type_name(*raw), raw->dump()));
  const Range r{.lo = (*raw)[0].get<double>(), .hi = (*raw)[1].get<double>()};
  const auto inside = [&](double v) { return (positive ? v > min : v >= min) && v <= max; };
  if (!(r.lo <= r.hi) || !inside(r.lo) || !inside(r.hi))
    o.fail(key, fmt::format("{}, got {}", expected, raw->dump()));
  return r;
}

double weight(JsonObject& o, std::string_view key) {
  return bounded(o, key, 0.0, 0.0, 1e9, "a weight");
}

std::string class_names() {
  std::vector<std::string> names;
  for (int c = 0; c < kFaultClassCount; ++c) names.emplace_back(to_string(static_cast<FaultClass>(c)));
  return join(names);
}

void load_process(JsonObject& p, PopulationSpec& s) {
  s.speed_sigma = bounded(p, "speed_sigma", s.speed_sigma, 0.0, 0.5);
  s.leakage_sigma = bounded(p, "leakage_sigma", s.leakage_sigma, 0.0, 2.0);
  s.speed_leakage_corr =
      bounded(p, "speed_leakage_correlation", s.speed_leakage_corr, -1.0, 1.0, "a correlation");
  s.wafer_gradient = bounded(p, "wafer_gradient", s.wafer_gradient, 0.0, 0.5, "a fraction");
  s.ambient_c = bounded(p, "ambient_c", s.ambient_c, -55.0, 150.0, "a temperature in °C");
  p.finish();
}

void load_defects(JsonObject& d, PopulationSpec& s) {
  s.defect_density_per_cm2 = bounded(d, "density_per_cm2", s.defect_density_per_cm2, 0.0, 100.0);
  s.clustering_alpha = bounded(d, "clustering_alpha", s.clustering_alpha, 0.0, 1e6, "a shape", true);
  if (auto c = d.optional_object("categories")) {
    s.category_weights.clear();
    for (const char* name : kDefectCategories) s.category_weights[name] = weight(*c, name);
    c->finish();
  }
  double category_sum = 0;
  for (const auto& [name, w] : s.category_weights) category_sum += w;
  if (s.defect_density_per_cm2 > 0 && category_sum <= 0)
    d.fail("categories", "expected at least one category with a weight above 0 when density_per_cm2 > 0");

  if (const nlohmann::json* raw = d.raw("memory_classes")) {
    JsonObject m(*raw, d.origin("memory_classes"),
                 d.path().empty() ? "memory_classes" : d.path() + ".memory_classes");
    s.memory_class_weights.clear();
    for (const auto& [key, value] : raw->items()) {
      FaultClass c{};
      try {
        c = fault_class_from_string(key);
      } catch (const Error&) {
        m.fail(key, fmt::format("unknown fault class (expected one of: {})", class_names()));
      }
      if (s.memory_class_weights.count(c) != 0) m.fail(key, fmt::format("{} is given twice", to_string(c)));
      s.memory_class_weights[c] = weight(m, key);
    }
    m.finish();
  }
  double class_sum = 0;
  for (const auto& [c, w] : s.memory_class_weights) class_sum += w;
  const auto memory = s.category_weights.find("memory");
  if (s.defect_density_per_cm2 > 0 && memory != s.category_weights.end() && memory->second > 0 &&
      class_sum <= 0)
    d.fail("memory_classes",
           "expected at least one class with a weight above 0 when memory defects are drawn");

  s.cluster_share = bounded(d, "cluster_share", s.cluster_share, 0.0, 1.0, "a fraction");
  s.intra_word_share = bounded(d, "intra_word_share", s.intra_word_share, 0.0, 1.0, "a fraction");
  s.drf_retention_ms = range(d, "drf_retention_ms", s.drf_retention_ms, 0.0, 1e7, true);
  s.hammer_threshold = range(d, "rowhammer_threshold", s.hammer_threshold, 1.0, 1e9, false);
  s.weak_fail_below_mv = range(d, "weak_fail_below_mv", s.weak_fail_below_mv, 400.0, 1500.0, false);
  s.weak_fail_above_c = range(d, "weak_fail_above_c", s.weak_fail_above_c, -55.0, 150.0, false);
  s.sdc_flip_rate = range(d, "sdc_flip_rate", s.sdc_flip_rate, 0.0, 1.0, true);
  d.finish();
}

// ---- making a die -------------------------------------------------------------------------------

// Picks an index by weight (weights ≥ 0, sum > 0).
template <typename Weights>
std::size_t pick(Rng& rng, const Weights& weights) {
  double sum = 0;
  for (double w : weights) sum += w;
  double u = rng.uniform() * sum;
  std::size_t last = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    if (weights[i] <= 0) continue;
    last = i;
    if (u < weights[i]) return i;
    u -= weights[i];
  }
  return last;  // rounding at the top end
}

bool coin(Rng& rng) noexcept {
  return (rng.next() >> 63) != 0;
}

// The cells and words already given to a fault, so that no two faults share a cell: overlapping
// faults have no defined behaviour in the model, and ground truth counts each defect once.
class Occupancy {
 public:
  Occupancy(const chip::HbmGeometry& g, const std::vector<MemoryCluster>& clusters)
      : g_(g), clusters_(clusters) {}

  bool cell_taken(const Cell& c) const {
    if (cells_.count(c) != 0 || whole_words_.count(c.word) != 0) return true;
    if (clusters_.empty()) return false;
    const auto p = g_.to_physical(c.word);
    return std::any_of(clusters_.begin(), clusters_.end(),
                       [&](const MemoryCluster& k) { return k.contains(p, c.bit); });
  }
  bool word_taken(std::uint64_t word) const {
    if (whole_words_.count(word) != 0) return true;
    const auto it = cells_.lower_bound(Cell{.word = word, .bit = 0});
    if (it != cells_.end() && it->word == word) return true;
    if (clusters_.empty()) return false;
    const auto p = g_.to_physical(word);
    return std::any_of(clusters_.begin(), clusters_.end(),
                       [&](const MemoryCluster& k) { return k.contains(p, k.bit); });
  }
  void take(const Cell& c) { cells_.insert(c); }
  void take_word(std::uint64_t word) { whole_words_.insert(word); }

 private:
  const chip::HbmGeometry& g_;
  const std::vector<MemoryCluster>& clusters_;
  std::set<Cell> cells_;
  std::set<std::uint64_t> whole_words_;
};

class DieBuilder {
 public:
  DieBuilder(const PopulationSpec& spec, const chip::HbmGeometry& g, DieInstance& die, Rng& rng)
      : spec_(spec), g_(g), die_(die), rng_(rng), occupied_(g, die.memory_clusters) {
    for (std::size_t i = 0; i < category_weights_.size(); ++i) {
      const auto it = spec.category_weights.find(kDefectCategories[i]);
      category_weights_[i] = it == spec.category_weights.end() ? 0.0 : it->second;
    }
    for (int c = 0; c < kFaultClassCount; ++c) {
      const auto it = spec.memory_class_weights.find(static_cast<FaultClass>(c));
      class_weights_[static_cast<std::size_t>(c)] = it == spec.memory_class_weights.end() ? 0.0 : it->second;
    }
  }

  void add_defect() {
    switch (pick(rng_, category_weights_)) {
      case 0:
        add_memory_defect();
        break;
      case 1:
        add_core_fault(false);
        break;
      case 2:
        add_register_bit();
        break;
      default:
        add_core_fault(true);
        break;
    }
  }

  /// A stuck-at fault on one of the enabled cores, found at wafer sort: the core is fused off and the
  /// first spare enabled in its place.
  void prefuse_core(Rng& rng) {
    const int core = static_cast<int>(rng.below(kFullGradeCores));
    die_.harvest_mask = (1u << core) | (kSpareCoreMask & ~(1u << kFullGradeCores));
    CoreFault f{.core = core,
                .lane = static_cast<int>(rng.below(kLanesPerCore)),
                .bit = static_cast<int>(rng.below(32)),
                .kind = coin(rng) ? CoreFault::Kind::stuck1 : CoreFault::Kind::stuck0,
                .flip_rate = 0};
    core_slots_.insert({f.core, f.lane, f.bit});
    die_.core_faults.push_back(f);
  }

  void sort() {
    std::sort(die_.memory_faults.begin(), die_.memory_faults.end(),
              [](const MemoryFault& a, const MemoryFault& b) {
                return std::tie(a.victim, a.kind, a.aggressor, a.other_word) <
                       std::tie(b.victim, b.kind, b.aggressor, b.other_word);
              });
    std::sort(die_.core_faults.begin(), die_.core_faults.end(), [](const CoreFault& a, const CoreFault& b) {
      return std::tie(a.core, a.lane, a.bit) < std::tie(b.core, b.lane, b.bit);
    });
    std::sort(die_.register_stuck.begin(), die_.register_stuck.end(),
              [](const RegisterStuckBit& a, const RegisterStuckBit& b) {
                return std::tie(a.address, a.bit) < std::tie(b.address, b.bit);
              });
    std::sort(die_.memory_clusters.begin(), die_.memory_clusters.end(),
              [](const MemoryCluster& a, const MemoryCluster& b) {
                return std::tie(a.at.stack, a.at.channel, a.at.bank, a.at.row, a.at.column, a.shape, a.bit) <
                       std::tie(b.at.stack, b.at.channel, b.at.bank, b.at.row, b.at.column, b.shape, b.bit);
              });
  }

 private:
  Cell random_cell() {
    return Cell{.word = rng_.below(g_.words()), .bit = static_cast<std::uint8_t>(rng_.below(64))};
  }

  void add_memory_defect() {
    if (rng_.uniform() < spec_.cluster_share) {
      add_cluster();
      return;
    }
    const auto kind = static_cast<FaultClass>(pick(rng_, class_weights_));
    for (int attempt = 0; attempt < kPlacementTries; ++attempt) {
      MemoryFault f;
      f.kind = kind;
      f.victim = random_cell();
      f.value = coin(rng_);
      if (kind == FaultClass::af) {
        // A broken decoder line: the faulty address and the one it reaches differ in one address bit.
        f.victim.bit = 0;
        const int address_bits = std::countr_zero(g_.words());
        if (address_bits == 0) return;
        f.other_word =
            f.victim.word ^ (std::uint64_t{1} << rng_.below(static_cast<std::uint64_t>(address_bits)));
        f.af = static_cast<AfKind>(rng_.below(4));
        f.value = false;
        if (occupied_.word_taken(f.victim.word) || occupied_.word_taken(f.other_word)) continue;
        occupied_.take_word(f.victim.word);
        occupied_.take_word(f.other_word);
        die_.memory_faults.push_back(f);
        return;
      }
      if (occupied_.cell_taken(f.victim)) continue;
      if (f.is_coupling()) {
        f.aggressor = aggressor_for(f.victim);
        if (occupied_.cell_taken(f.aggressor)) continue;
        f.aggressor_rises = coin(rng_);
        f.aggressor_state = coin(rng_);
        f.aggressor_read = coin(rng_);
        occupied_.take(f.aggressor);
      }
      switch (kind) {
        case FaultClass::drf:
          f.retention_ms = rng_.log_uniform(spec_.drf_retention_ms);
          break;
        case FaultClass::rowhammer:
          f.hammer_threshold = std::round(rng_.log_uniform(spec_.hammer_threshold));
          break;
        case FaultClass::weak:
          // Half the weak cells fail at low supply, half when hot.
          if (coin(rng_))
            f.fail_below_mv = std::round(rng_.uniform(spec_.weak_fail_below_mv));
          else
            f.fail_above_c = std::round(rng_.uniform(spec_.weak_fail_above_c));
          break;
        default:
          break;
      }
      occupied_.take(f.victim);
      die_.memory_faults.push_back(f);
      return;
    }
  }

  // A cell coupled to `victim`: another bit of the same word (intra-word), or the same bit of a
  // physically adjacent word (the next row or column of the same bank).
  Cell aggressor_for(const Cell& victim) {
    if (rng_.uniform() < spec_.intra_word_share)
      return Cell{.word = victim.word,
                  .bit = static_cast<std::uint8_t>((victim.bit + 1 + rng_.below(63)) % 64)};
    const auto p = g_.to_physical(victim.word);
    std::array<chip::PhysicalAddress, 8> near{};
    std::size_t n = 0;
    for (int dr = -1; dr <= 1; ++dr)
      for (int dc = -1; dc <= 1; ++dc) {
        if (dr == 0 && dc == 0) continue;
        const auto row = static_cast<std::int64_t>(p.row) + dr,
                   col = static_cast<std::int64_t>(p.column) + dc;
        if (row < 0 || row >= g_.rows || col < 0 || col >= g_.columns) continue;
        auto q = p;
        q.row = static_cast<std::uint32_t>(row);
        q.column = static_cast<std::uint32_t>(col);
        near[n++] = q;
      }
    return Cell{.word = g_.to_word(near[rng_.below(n)]), .bit = victim.bit};
  }

  void add_cluster() {
    for (int attempt = 0; attempt < kPlacementTries; ++attempt) {
      MemoryCluster k;
      k.shape = coin(rng_) ? MemoryCluster::Shape::column : MemoryCluster::Shape::row;
      k.at.stack = static_cast<std::uint32_t>(rng_.below(g_.stacks));
      k.at.channel = static_cast<std::uint32_t>(rng_.below(g_.channels));
      k.at.bank = static_cast<std::uint32_t>(rng_.below(g_.banks));
      k.bit = static_cast<std::uint8_t>(rng_.below(64));
      k.value = coin(rng_);
      const bool row = k.shape == MemoryCluster::Shape::row;
      const std::uint32_t length = row ? g_.columns : g_.rows;
      const std::uint32_t span = std::min(length, kMatSpan);
      k.first = static_cast<std::uint32_t>(rng_.below(length / span)) * span;
      k.last = k.first + span - 1;
      (row ? k.at.row : k.at.column) = static_cast<std::uint32_t>(rng_.below(row ? g_.rows : g_.columns));
      std::vector<Cell> cells;
      cells.reserve(span);
      bool free = true;
      for (std::uint32_t i = k.first; i <= k.last && free; ++i) {
        auto p = k.at;
        (row ? p.column : p.row) = i;
        const Cell c{.word = g_.to_word(p), .bit = k.bit};
        free = !occupied_.cell_taken(c);
        cells.push_back(c);
      }
      if (!free) continue;
      for (const auto& c : cells) {
        MemoryFault f;
        f.kind = FaultClass::saf;
        f.victim = c;
        f.value = k.value;
        die_.memory_faults.push_back(f);
      }
      die_.memory_clusters.push_back(k);  // occupied_ sees the cluster's cells from here on
      return;
    }
  }

  void add_core_fault(bool flaky) {
    for (int attempt = 0; attempt < kPlacementTries; ++attempt) {
      CoreFault f{.core = static_cast<int>(rng_.below(kCoreCount)),
                  .lane = static_cast<int>(rng_.below(kLanesPerCore)),
                  .bit = static_cast<int>(rng_.below(32)),
                  .kind = CoreFault::Kind::flaky,
                  .flip_rate = 0};
      if (flaky)
        f.flip_rate = rng_.log_uniform(spec_.sdc_flip_rate);
      else
        f.kind = coin(rng_) ? CoreFault::Kind::stuck1 : CoreFault::Kind::stuck0;
      if (!core_slots_.insert({f.core, f.lane, f.bit}).second) continue;
      die_.core_faults.push_back(f);
      return;
    }
  }

  // The scratch registers stand in for the register file: a broken flop there shows on a bus check.
  void add_register_bit() {
    for (int attempt = 0; attempt < kPlacementTries; ++attempt) {
      const RegisterStuckBit r{.address = coin(rng_) ? chip::reg::SCRATCH1 : chip::reg::SCRATCH0,
                               .bit = static_cast<int>(rng_.below(32)),
                               .value = coin(rng_)};
      if (!register_slots_.insert({r.address, r.bit}).second) continue;
      die_.register_stuck.push_back(r);
      return;
    }
  }

  const PopulationSpec& spec_;
  const chip::HbmGeometry& g_;
  DieInstance& die_;
  Rng& rng_;
  Occupancy occupied_;
  std::array<double, std::size(kDefectCategories)> category_weights_{};
  std::array<double, kFaultClassCount> class_weights_{};
  std::set<std::tuple<int, int, int>> core_slots_;
  std::set<std::pair<std::uint32_t, int>> register_slots_;
};

}  // namespace

std::uint64_t mix64(std::uint64_t x) noexcept {
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBull;
  x ^= x >> 31;
  return x;
}

PopulationSpec load_population(const fs::path& file) {
  const auto j = load_json_file(file);
  JsonObject o(j, file.string());
  PopulationSpec s;
  s.file = file;
  s.name = o.string("population");
  if (s.name.empty()) o.fail("population", "expected a non-empty name");
  s.description = o.string_or("description", "");
  s.seed = static_cast<std::uint64_t>(o.integer_or("seed", 1, 0, INT64_MAX));
  if (auto d = o.optional_object("die")) {
    s.die_area_mm2 = bounded(*d, "area_mm2", s.die_area_mm2, 0.0, 1000.0, "an area in mm²", true);
    d->finish();
  }
  if (auto p = o.optional_object("process")) load_process(*p, s);
  if (auto d = o.optional_object("defects")) load_defects(*d, s);
  if (auto h = o.optional_object("harvest")) {
    s.prefused_core_fraction =
        bounded(*h, "prefused_core_fraction", s.prefused_core_fraction, 0.0, 1.0, "a fraction");
    h->finish();
  }
  o.finish();
  return s;
}

bool MemoryCluster::contains(const chip::PhysicalAddress& p, int b) const noexcept {
  if (b != bit || p.stack != at.stack || p.channel != at.channel || p.bank != at.bank) return false;
  return shape == Shape::row ? p.row == at.row && p.column >= first && p.column <= last
                             : p.column == at.column && p.row >= first && p.row <= last;
}

std::span<const WaferSite> wafer_sites() noexcept {
  static const std::vector<WaferSite> sites = [] {
    std::vector<WaferSite> out;
    for (int y = 0; y < kGrid; ++y)
      for (int x = 0; x < kGrid; ++x) {
        const double dx = std::abs(x - kWaferCentre) + 0.5, dy = std::abs(y - kWaferCentre) + 0.5;
        if (dx * dx + dy * dy <= kUsableRadius * kUsableRadius) out.push_back({.x = x, .y = y});
      }
    return out;
  }();
  return sites;
}

double wafer_radius_fraction(int x, int y) noexcept {
  return std::min(1.0, std::hypot(x - kWaferCentre, y - kWaferCentre) / kUsableRadius);
}

double Rng::normal() noexcept {
  const double u1 = std::max(uniform(), 1e-300), u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

double Rng::log_uniform(const Range& r) noexcept {
  return std::exp(std::log(r.lo) + uniform() * (std::log(r.hi) - std::log(r.lo)));
}

double Rng::gamma(double shape) noexcept {
  if (shape < 1.0) {
    // Gamma(a) = Gamma(a + 1) · U^(1/a) (Marsaglia and Tsang, section 6).
    const double u = std::max(uniform(), 1e-300);
    return gamma(shape + 1.0) * std::pow(u, 1.0 / shape);
  }
  const double d = shape - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    double x = 0, v = 0;
    do {
      x = normal();
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = uniform(), x2 = x * x;
    if (u < 1.0 - 0.0331 * x2 * x2) return d * v;
    if (std::log(std::max(u, 1e-300)) < 0.5 * x2 + d * (1.0 - v + std::log(v))) return d * v;
  }
}

std::uint64_t Rng::poisson(double mean) noexcept {
  // Knuth's method counts uniforms until their product drops below e^-mean; e^-mean underflows for
  // large means, so draw Poisson(16) chunks and add them (a sum of Poissons is Poisson).
  std::uint64_t n = 0;
  while (mean > 0.0 && n < kMaxDefectsPerDie) {
    const double chunk = std::min(mean, 16.0);
    mean -= chunk;
    const double limit = std::exp(-chunk);
    for (double p = uniform(); p > limit; p *= uniform()) ++n;
  }
  return n;
}

DieInstance make_die(const PopulationSpec& spec, const chip::DieId& id, const chip::HbmGeometry& geometry) {
  DieInstance d;
  d.id = id;
  d.ecid = chip::encode_ecid(id);
  d.ambient_c = spec.ambient_c;
  const std::uint64_t base = mix64(spec.seed) ^ d.ecid;

  // Process: ln(leakage) = σL·z1; speed = 1 + σS·(ρ·z1 + √(1-ρ²)·z2) − gradient·r.
  Rng process(mix64(base ^ kProcessStream));
  const double z1 = process.normal(), z2 = process.normal();
  const double rho = spec.speed_leakage_corr;
  d.leakage_factor = std::exp(spec.leakage_sigma * z1);
  d.speed_factor = std::max(0.05, 1.0 + spec.speed_sigma * (rho * z1 + std::sqrt(1.0 - rho * rho) * z2) -
                                      spec.wafer_gradient * wafer_radius_fraction(id.x, id.y));

  Rng defects(mix64(base ^ kDefectStream));
  DieBuilder builder(spec, geometry, d, defects);
  Rng harvest(mix64(base ^ kHarvestStream));
  if (harvest.uniform() < spec.prefused_core_fraction) builder.prefuse_core(harvest);

  // Defect count: negative binomial as a gamma-Poisson mixture (the die's own defect density is
  // Gamma(α, mean/α), so defects cluster on some dies and spare others).
  const double mean = spec.defect_density_per_cm2 * spec.die_area_mm2 / 100.0;
  if (mean > 0.0) {
    const double alpha = spec.clustering_alpha;
    const double lambda = mean * defects.gamma(alpha) / alpha;
    const std::uint64_t n = std::min(defects.poisson(lambda), kMaxDefectsPerDie);
    for (std::uint64_t i = 0; i < n; ++i) builder.add_defect();
  }
  builder.sort();
  return d;
}

}  // namespace seedval::sim

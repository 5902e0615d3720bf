#include <algorithm>
#include <chrono>
#include <cmath>

#include <fmt/core.h>

#include <seedval/chip/registers.h>
#include <seedval/core/error.h>
#include <seedval/sim/ground_truth.h>
#include <seedval/sim/physics.h>

namespace seedval::sim {
namespace {

// Data backgrounds a march needs on 64-bit words to cover intra-word coupling: log2(64) + 1.
constexpr int kBackgrounds = 7;
constexpr int kLotWafers = 25;

// What catches a memory fault class: the shortest classic march of the reference page that finds it
// (or the test family for faults no plain march finds), and the test categories.
struct MemoryCoverage {
  const char* algorithm;
  bool march;    // memory.march
  bool pattern;  // memory.pattern (solid and checkerboard writes, then reads) also finds it
};

MemoryCoverage coverage(FaultClass c) noexcept {
  switch (c) {
    case FaultClass::saf:
      return {"MATS+", true, true};
    case FaultClass::tf:
      return {"March X", true, true};
    case FaultClass::wdf:
      return {"March SS", true, false};  // a write of the held value, then a read
    case FaultClass::rdf:
    case FaultClass::irf:
      return {"MATS+", true, false};  // the first read returns the wrong value
    case FaultClass::drdf:
      return {"March SR", true, false};  // two reads in a row of one cell
    case FaultClass::sof:
      return {"MATS++", true, false};  // rx ... rx̄ of one cell inside one element
    case FaultClass::af:
      return {"MATS+", true, false};
    case FaultClass::cfin:
      return {"March X", true, false};
    case FaultClass::cfid:
    case FaultClass::cfst:
      return {"March C-", true, false};
    case FaultClass::cfds:
      return {"March SS", true, false};
    case FaultClass::drf:
      return {"IFA-13", false, false};  // needs Del: memory.retention
    case FaultClass::rowhammer:
    case FaultClass::weak:
      return {"", false, false};
  }
  return {"", false, false};
}

std::string cell_location(const chip::HbmGeometry& g, const Cell& c) {
  return fmt::format("{} bit {} (word 0x{:x})", chip::to_string(g.to_physical(c.word)), c.bit, c.word);
}

std::string word_location(const chip::HbmGeometry& g, std::uint64_t word) {
  return fmt::format("word 0x{:x} ({})", word, chip::to_string(g.to_physical(word)));
}

std::string register_name(std::uint32_t address) {
  const auto* r = chip::find_register(address);
  return r != nullptr ? std::string(r->name) : "reserved";
}

Defect memory_defect(const MemoryFault& f, const chip::HbmGeometry& g, bool correctable) {
  const MemoryCoverage cov = coverage(f.kind);
  Defect d;
  d.category = "memory";
  d.kind = std::string(to_string(f.kind));
  d.detail = f.describe();
  const bool intra_word = f.is_coupling() && f.aggressor.word == f.victim.word;
  d.algorithm = intra_word ? fmt::format("{} with {} data backgrounds", cov.algorithm, kBackgrounds)
                           : std::string(cov.algorithm);
  if (f.kind == FaultClass::af) {
    d.where = fmt::format("{} -> {}", word_location(g, f.victim.word), word_location(g, f.other_word));
  } else if (f.is_coupling()) {
    d.where = fmt::format(
        "{}; aggressor {}", cell_location(g, f.victim),
        intra_word ? fmt::format("bit {} of the same word", f.aggressor.bit) : cell_location(g, f.aggressor));
  } else {
    d.where = cell_location(g, f.victim);
  }
  if (cov.march) d.caught_by.emplace_back("memory.march");
  if (cov.pattern) d.caught_by.emplace_back("memory.pattern");
  if (f.kind == FaultClass::drf) d.caught_by.emplace_back("memory.retention");
  if (f.kind == FaultClass::rowhammer) d.caught_by.emplace_back("memory.rowhammer");
  if (f.kind == FaultClass::weak) {
    if (f.fail_below_mv > 0) d.caught_by.emplace_back("memory.march at low HBM supply");
    if (f.fail_above_c > 0) d.caught_by.emplace_back("memory.march at a hot insertion");
  }
  // An address-decoder fault moves whole words with their check bits: ECC sees a valid codeword.
  if (f.kind != FaultClass::af) d.caught_by.emplace_back("memory.ecc");
  d.ecc_correctable = f.kind != FaultClass::af && correctable;
  return d;
}

Defect cluster_defect(const MemoryCluster& k, bool correctable) {
  const bool row = k.shape == MemoryCluster::Shape::row;
  Defect d;
  d.category = "memory";
  d.kind = row ? "SAF row" : "SAF column";
  d.where = fmt::format("s{}.ch{}.b{} {} {} bit {}, {} {}-{}", k.at.stack, k.at.channel, k.at.bank,
                        row ? "row" : "column", row ? k.at.row : k.at.column, k.bit, row ? "columns" : "rows",
                        k.first, k.last);
  d.detail =
      fmt::format("{} cells of a {} stuck at {} ({})", k.cells(), row ? "word-line segment" : "bit line",
                  k.value ? 1 : 0, row ? "a broken word line" : "a broken bit line or sense amplifier");
  d.algorithm = "MATS+";
  d.caught_by = {"memory.march", "memory.pattern", "memory.ecc"};
  d.ecc_correctable = correctable;
  return d;
}

Defect core_defect(const DieInstance& die, const CoreFault& f) {
  Defect d;
  const bool flaky = f.kind == CoreFault::Kind::flaky;
  d.category = flaky ? "sdc" : "core";
  d.kind = flaky ? "flaky lane" : "stuck-at";
  d.where = fmt::format("core {} lane {} bit {}", f.core, f.lane, f.bit);
  d.detail = f.describe();
  d.harmless = die.fused_off(f.core);
  if (d.harmless)
    d.detail = fmt::format("{}; the core is fused off", d.detail);
  else if (flaky)
    d.caught_by = {"inference.sdc"};
  else
    d.caught_by = {"inference.golden", "inference.sdc"};
  return d;
}

Defect register_defect(const RegisterStuckBit& r) {
  Defect d;
  d.category = "register";
  d.kind = "stuck bit";
  d.where = fmt::format("{} (0x{:04x}) bit {}", register_name(r.address), r.address, r.bit);
  d.detail = fmt::format("stuck at {}", r.value ? 1 : 0);
  d.caught_by = {"chip.registers"};
  return d;
}

Defect process_entry(const DieInstance& die) {
  const double fmax = true_fmax_mhz(die), vmin = true_vmin_mv(die);
  Defect d;
  d.category = "process";
  d.where = "die";
  d.harmless = fmax >= kProductClockMhz;
  d.kind = d.harmless ? "speed" : "slow die";
  d.detail = fmt::format(
      "fmax {:.0f} MHz at {:.0f} mV, {:.0f} °C; vmin {:.0f} mV at {:.0f} MHz; speed x{:.3f}, "
      "leakage x{:.2f}",
      fmax, kProductVddMv, kTruthTempC, vmin, kProductClockMhz, die.speed_factor, die.leakage_factor);
  if (!d.harmless) d.caught_by = {"stress.fmax"};
  return d;
}

}  // namespace

double true_fmax_mhz(const DieInstance& die) noexcept {
  return physics::fmax_mhz(die, kProductVddMv, kTruthTempC);
}

double true_vmin_mv(const DieInstance& die) noexcept {
  return physics::vmin_mv(die, kProductClockMhz, kTruthTempC);
}

std::vector<Defect> ground_truth(const DieInstance& die, const chip::HbmGeometry& g) {
  std::vector<Defect> out;
  // Faulty cells per word: SECDED corrects a word with one wrong bit, not two.
  // An address-decoder fault spoils both its words wholesale: they count twice.
  std::vector<std::uint64_t> wrong_bits;
  wrong_bits.reserve(die.memory_faults.size());
  for (const auto& f : die.memory_faults) {
    wrong_bits.push_back(f.victim.word);
    if (f.kind == FaultClass::af)
      wrong_bits.insert(wrong_bits.end(), {f.victim.word, f.other_word, f.other_word});
  }
  std::sort(wrong_bits.begin(), wrong_bits.end());
  const auto single = [&](std::uint64_t word) {
    const auto [lo, hi] = std::equal_range(wrong_bits.begin(), wrong_bits.end(), word);
    return hi - lo <= 1;
  };

  std::vector<bool> cluster_correctable(die.memory_clusters.size(), true);
  for (const auto& f : die.memory_faults) {
    std::size_t k = die.memory_clusters.size();
    if (f.kind == FaultClass::saf && !die.memory_clusters.empty()) {
      const auto p = g.to_physical(f.victim.word);
      for (k = 0; k < die.memory_clusters.size(); ++k)
        if (die.memory_clusters[k].contains(p, f.victim.bit) && die.memory_clusters[k].value == f.value)
          break;
    }
    if (k < die.memory_clusters.size()) {
      if (!single(f.victim.word)) cluster_correctable[k] = false;
      continue;
    }
    out.push_back(memory_defect(f, g, single(f.victim.word)));
  }
  for (std::size_t k = 0; k < die.memory_clusters.size(); ++k)
    out.push_back(cluster_defect(die.memory_clusters[k], cluster_correctable[k]));
  for (const auto& f : die.core_faults) out.push_back(core_defect(die, f));
  for (const auto& r : die.register_stuck) out.push_back(register_defect(r));
  out.push_back(process_entry(die));
  return out;
}

bool is_full_grade(const std::vector<Defect>& truth) noexcept {
  return std::all_of(truth.begin(), truth.end(), [](const Defect& d) { return d.harmless; });
}

Spread spread_of(std::vector<double>& v) {
  if (v.empty()) return {};
  std::sort(v.begin(), v.end());
  const auto at = [&](double q) {
    const double pos = q * static_cast<double>(v.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(pos));
    const std::size_t hi = std::min(lo + 1, v.size() - 1);
    return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
  };
  return Spread{.min = v.front(), .p1 = at(0.01), .p50 = at(0.5), .p99 = at(0.99), .max = v.back()};
}

chip::DieId population_die(std::string_view lot_prefix, int index) {
  const int per_lot = kLotWafers * kDiesPerWafer;
  const int lot = index / per_lot + 1;
  const bool prefix_ok = !lot_prefix.empty() && lot_prefix.size() <= 3 &&
                         std::all_of(lot_prefix.begin(), lot_prefix.end(),
                                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'); });
  if (!prefix_ok)
    throw InvalidArgumentError(
        ErrorCode::invalid_argument,
        fmt::format("lot prefix \"{}\" must be 1 to 3 characters of 0-9 and A-Z", lot_prefix));
  if (index < 0 || lot > 999)
    throw InvalidArgumentError(ErrorCode::invalid_argument,
                               fmt::format("die {} is outside 999 lots of {} dies", index, per_lot));
  const int within = index % per_lot;
  const WaferSite site = wafer_sites()[static_cast<std::size_t>(within % kDiesPerWafer)];
  return chip::DieId{.lot = fmt::format("{}{:03}", lot_prefix, lot),
                     .wafer = within / kDiesPerWafer + 1,
                     .x = site.x,
                     .y = site.y};
}

PopulationSummary summarize(const PopulationSpec& spec, int dies, const chip::HbmGeometry& geometry,
                            std::string_view lot_prefix) {
  if (dies < 1)
    throw InvalidArgumentError(ErrorCode::invalid_argument,
                               fmt::format("a summary needs at least 1 die, got {}", dies));
  population_die(lot_prefix, dies - 1);  // checks the prefix and the count up front
  const auto start = std::chrono::steady_clock::now();
  PopulationSummary s;
  s.population = spec.name;
  s.seed = spec.seed;
  s.dies = dies;
  // Every kind and category is listed, counted or not, so the summary has the same keys every time.
  for (const char* c : kDefectCategories) s.defects_by_category[c] = 0;
  for (int c = 0; c < kFaultClassCount; ++c)
    s.defects_by_class[std::string(to_string(static_cast<FaultClass>(c)))] = 0;
  for (const char* k : {"SAF row", "SAF column", "stuck-at", "flaky lane", "stuck bit"})
    s.defects_by_class[k] = 0;
  std::vector<double> fmax, vmin, leakage;
  fmax.reserve(static_cast<std::size_t>(dies));
  vmin.reserve(static_cast<std::size_t>(dies));
  leakage.reserve(static_cast<std::size_t>(dies));
  for (int i = 0; i < dies; ++i) {
    const DieInstance die = make_die(spec, population_die(lot_prefix, i), geometry);
    const auto truth = ground_truth(die, geometry);
    bool harmful = false;
    for (const auto& d : truth) {
      if (d.category == "process") {
        if (!d.harmless) ++s.slow_dies;
        continue;
      }
      ++s.defects;
      ++s.defects_by_class[d.kind];
      ++s.defects_by_category[d.category];
      if (d.harmless)
        ++s.harmless_defects;
      else
        harmful = true;
    }
    if (die.has_defects()) ++s.dies_with_defects;
    if (harmful) ++s.dies_with_harmful_defects;
    if (is_full_grade(truth)) ++s.good_dies;
    if (die.harvested()) ++s.harvested_dies;
    fmax.push_back(true_fmax_mhz(die));
    vmin.push_back(true_vmin_mv(die));
    leakage.push_back(die.leakage_factor);
  }
  s.fmax_mhz = spread_of(fmax);
  s.vmin_mv = spread_of(vmin);
  s.leakage_factor = spread_of(leakage);
  s.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return s;
}

}  // namespace seedval::sim

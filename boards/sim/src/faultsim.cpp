#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <chrono>
#include <cmath>
#include <random>
#include <utility>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <seedval/chip/geometry.h>
#include <seedval/core/error.h>
#include <seedval/sim/faultsim.h>

#include "hbm.h"

namespace seedval::sim {
namespace {

constexpr std::array<FaultClass, 13> kSimulated = {
    FaultClass::saf,  FaultClass::tf,   FaultClass::wdf,  FaultClass::rdf, FaultClass::drdf,
    FaultClass::irf,  FaultClass::sof,  FaultClass::drf,  FaultClass::af,  FaultClass::cfin,
    FaultClass::cfid, FaultClass::cfst, FaultClass::cfds,
};

bool is_simulated(FaultClass c) noexcept {
  return std::find(kSimulated.begin(), kSimulated.end(), c) != kSimulated.end();
}

std::string simulated_names() {
  std::string out;
  for (FaultClass c : kSimulated) out += fmt::format("{}{}", out.empty() ? "" : ", ", to_string(c));
  return out;
}

void check_words(std::uint64_t words) {
  if (words < 4 || words > kMaxFaultSimWords || !std::has_single_bit(words))
    throw InvalidArgumentError(
        ErrorCode::invalid_argument,
        fmt::format("fault simulation memory of {} words must be a power of two from 4 to {}", words,
                    kMaxFaultSimWords));
}

void check_options(const FaultSimOptions& o) {
  check_words(o.words);
  if (o.random_states < 0 || o.random_states > 1000)
    throw InvalidArgumentError(
        ErrorCode::invalid_argument,
        fmt::format("fault simulation: {} random initial states (0 to 1000)", o.random_states));
  if (o.retention_delay.count() <= 0)
    throw InvalidArgumentError(ErrorCode::invalid_argument,
                               fmt::format("fault simulation: retention delay of {} us must be positive",
                                           o.retention_delay.count()));
}

// words/4 rows of 4 columns in one bank: the smallest geometry the array accepts.
chip::HbmGeometry geometry_for(std::uint64_t words) {
  return chip::HbmGeometry{
      .stacks = 1, .channels = 1, .banks = 1, .rows = static_cast<std::uint32_t>(words / 4), .columns = 4};
}

Cell bit0(std::uint64_t word) {
  return Cell{.word = word, .bit = 0};
}

MemoryFault cell_fault(FaultClass c, std::uint64_t word, bool value) {
  MemoryFault f;
  f.kind = c;
  f.victim = bit0(word);
  f.value = value;
  return f;
}

// Every coupling fault of class `c` from `aggressor` to `victim`, in a fixed order of the polarities.
void couplings(FaultClass c, Cell aggressor, Cell victim, std::vector<MemoryFault>& out) {
  MemoryFault f;
  f.kind = c;
  f.aggressor = aggressor;
  f.victim = victim;
  switch (c) {
    case FaultClass::cfin:
      for (bool rises : {true, false}) {
        f.aggressor_rises = rises;
        out.push_back(f);
      }
      break;
    case FaultClass::cfid:
      for (bool rises : {true, false})
        for (bool value : {false, true}) {
          f.aggressor_rises = rises;
          f.value = value;
          out.push_back(f);
        }
      break;
    case FaultClass::cfst:
      for (bool state : {false, true})
        for (bool value : {false, true}) {
          f.aggressor_state = state;
          f.value = value;
          out.push_back(f);
        }
      break;
    case FaultClass::cfds:
      for (bool read : {true, false})
        for (bool state : {false, true})
          for (bool value : {false, true}) {
            f.aggressor_read = read;
            f.aggressor_state = state;
            f.value = value;
            out.push_back(f);
          }
      break;
    default:
      break;
  }
}

// One run: a fresh array holding `fault`, the initial state in its cells, the algorithm over all of it.
class Simulator {
 public:
  explicit Simulator(const FaultSimOptions& options)
      : options_(options), geometry_(geometry_for(options.words)), states_(initial_states(options)) {}

  const std::vector<std::vector<std::uint64_t>>& states() const { return states_; }

  bool run(const chip::MarchAlgorithm& algorithm, const MemoryFault& fault, std::size_t state,
           chip::AddressOrder any, const chip::DataBackground& background) {
    FixedEnvironment env;
    HbmArray hbm(geometry_, {fault}, env, std::move(storage_));
    hbm.set_refresh(false);
    // On the fast path only reads of the fault's own word move the sense amplifier, so a no-cell address
    // reads the value latched before the run: van de Goor's fixed value (see the header).
    const bool fixed_no_cell = fault.kind == FaultClass::af && fault.af == AfKind::no_cell &&
                               options_.no_cell_read == NoCellRead::fixed;
    hbm.set_model_every_access(!fixed_no_cell);
    const std::vector<std::uint64_t>& init = states_[state];
    std::copy(init.begin(), init.end(), hbm.storage());
    // The sense amplifier starts with what a word the fault does not involve holds.
    const auto involved = fault.words();
    std::uint64_t idle = 0;
    while (std::find(involved.begin(), involved.end(), idle) != involved.end()) ++idle;
    hbm.read(idle);
    chip::MarchOptions mo;
    mo.words = options_.words;
    mo.background = background;
    mo.any_order = any;
    mo.retention_delay = options_.retention_delay;
    mo.max_fails = 1;
    const chip::MarchResult r = chip::run_march(algorithm, hbm, mo);
    storage_ = hbm.release_storage();
    return r.fail_count > 0;
  }

 private:
  const FaultSimOptions& options_;
  chip::HbmGeometry geometry_;
  std::vector<std::vector<std::uint64_t>> states_;
  std::vector<std::uint64_t> storage_;
};

bool has_any_order(const chip::MarchAlgorithm& algorithm) {
  return std::any_of(algorithm.elements.begin(), algorithm.elements.end(), [](const chip::MarchElement& e) {
    return !e.is_delay && e.order == chip::AddressOrder::any;
  });
}

std::vector<chip::AddressOrder> resolutions(const chip::MarchAlgorithm& algorithm) {
  if (has_any_order(algorithm)) return {chip::AddressOrder::up, chip::AddressOrder::down};
  return {chip::AddressOrder::up};
}

void check_fault(const MemoryFault& fault, std::uint64_t words) {
  for (std::uint64_t w : fault.words())
    if (w >= words)
      throw InvalidArgumentError(
          ErrorCode::invalid_argument,
          fmt::format("fault simulation: fault {} lies outside the {}-word memory", fault.describe(), words));
}

bool worst_case(Simulator& sim, const chip::MarchAlgorithm& algorithm, const MemoryFault& fault,
                const chip::DataBackground& background) {
  const auto orders = resolutions(algorithm);
  for (std::size_t s = 0; s < sim.states().size(); ++s)
    for (chip::AddressOrder any : orders)
      if (!sim.run(algorithm, fault, s, any, background)) return false;
  return true;
}

std::string percent_cell(const Coverage& c) {
  if (c.total == 0) return "-";
  if (c.complete()) return "100%";
  if (c.detected == 0) return "0%";
  const double p = c.percent();
  if (p < 1) return "<1%";
  return fmt::format("{}%", static_cast<int>(std::floor(p)));
}

}  // namespace

std::span<const FaultClass> simulated_fault_classes() noexcept {
  return kSimulated;
}

FaultClass simulated_fault_class(std::string_view name) {
  for (FaultClass c : kSimulated) {
    const std::string_view n = to_string(c);
    if (n.size() == name.size() && std::equal(n.begin(), n.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
        }))
      return c;
  }
  throw NotFoundError(ErrorCode::not_found, fmt::format("no simulated fault class called \"{}\" (known: {})",
                                                        name, simulated_names()));
}

std::vector<MemoryFault> fault_instances(FaultClass c, std::uint64_t words,
                                         std::chrono::microseconds drf_retention) {
  check_words(words);
  if (!is_simulated(c))
    throw InvalidArgumentError(
        ErrorCode::invalid_argument,
        fmt::format("fault class {} is not simulated (simulated: {})", to_string(c), simulated_names()));
  std::vector<MemoryFault> out;
  switch (c) {
    case FaultClass::saf:
    case FaultClass::tf:
    case FaultClass::wdf:
    case FaultClass::rdf:
    case FaultClass::drdf:
    case FaultClass::irf:
    case FaultClass::drf:
      for (std::uint64_t w = 0; w < words; ++w)
        for (bool value : {false, true}) {
          MemoryFault f = cell_fault(c, w, value);
          if (c == FaultClass::drf) f.retention_ms = static_cast<double>(drf_retention.count()) / 1000.0;
          out.push_back(f);
        }
      break;
    case FaultClass::sof:
      for (std::uint64_t w = 0; w < words; ++w) out.push_back(cell_fault(c, w, false));
      break;
    case FaultClass::af:
      for (AfKind kind : {AfKind::no_cell, AfKind::alias, AfKind::multi_and, AfKind::multi_or})
        for (std::uint64_t a = 0; a < words; ++a) {
          MemoryFault f;
          f.kind = FaultClass::af;
          f.af = kind;
          f.victim = bit0(a);
          if (kind == AfKind::no_cell) {
            out.push_back(f);
            continue;
          }
          for (std::uint64_t b = 0; b < words; ++b) {
            if (b == a) continue;
            f.other_word = b;
            out.push_back(f);
          }
        }
      break;
    default:  // the couplings
      for (std::uint64_t v = 0; v < words; ++v)
        for (std::uint64_t a = 0; a < words; ++a)
          if (a != v) couplings(c, bit0(a), bit0(v), out);
      break;
  }
  return out;
}

std::vector<std::vector<std::uint64_t>> initial_states(const FaultSimOptions& options) {
  check_options(options);
  std::vector<std::vector<std::uint64_t>> out;
  out.emplace_back(options.words, 0);
  out.emplace_back(options.words, ~std::uint64_t{0});
  std::mt19937_64 rng(options.seed);
  for (int i = 0; i < options.random_states; ++i) {
    std::vector<std::uint64_t> s(options.words);
    for (auto& w : s) w = rng();
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<SimulationRun> simulate_runs(const chip::MarchAlgorithm& algorithm, const MemoryFault& fault,
                                         const FaultSimOptions& options,
                                         const chip::DataBackground& background) {
  check_fault(fault, options.words);
  Simulator sim(options);
  std::vector<SimulationRun> out;
  for (std::size_t s = 0; s < sim.states().size(); ++s)
    for (chip::AddressOrder any : resolutions(algorithm))
      out.push_back(SimulationRun{
          .initial_state = s, .any_order = any, .detected = sim.run(algorithm, fault, s, any, background)});
  return out;
}

bool detects(const chip::MarchAlgorithm& algorithm, const MemoryFault& fault, const FaultSimOptions& options,
             const chip::DataBackground& background) {
  check_fault(fault, options.words);
  Simulator sim(options);
  return worst_case(sim, algorithm, fault, background);
}

const Coverage& CoverageMatrix::at(std::string_view algorithm, FaultClass c) const {
  const auto a = std::find(algorithms.begin(), algorithms.end(), algorithm);
  const auto k = std::find(classes.begin(), classes.end(), c);
  if (a == algorithms.end())
    throw NotFoundError(ErrorCode::not_found,
                        fmt::format("coverage matrix has no algorithm \"{}\"", algorithm));
  if (k == classes.end())
    throw NotFoundError(ErrorCode::not_found, fmt::format("coverage matrix has no class {}", to_string(c)));
  return cells[static_cast<std::size_t>(a - algorithms.begin())]
              [static_cast<std::size_t>(k - classes.begin())];
}

std::string CoverageMatrix::to_json() const {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (std::size_t a = 0; a < algorithms.size(); ++a) {
    nlohmann::ordered_json row = nlohmann::ordered_json::object();
    for (std::size_t k = 0; k < classes.size(); ++k)
      row[std::string(to_string(classes[k]))] = {{"detected", cells[a][k].detected},
                                                 {"total", cells[a][k].total}};
    j[algorithms[a]] = std::move(row);
  }
  return j.dump(2);
}

std::string CoverageMatrix::to_table() const {
  std::size_t name_width = 9;  // "instances"
  for (const auto& a : algorithms) name_width = std::max(name_width, a.size());
  constexpr std::size_t kColumn = 6;
  std::string out = fmt::format("{:<{}}", "algorithm", name_width);
  for (FaultClass c : classes) out += fmt::format(" {:>{}}", to_string(c), kColumn);
  out += "\n";
  out += fmt::format("{:<{}}", "instances", name_width);
  for (std::size_t k = 0; k < classes.size(); ++k)
    out += fmt::format(" {:>{}}", cells.empty() ? 0 : cells.front()[k].total, kColumn);
  out += "\n";
  for (std::size_t a = 0; a < algorithms.size(); ++a) {
    out += fmt::format("{:<{}}", algorithms[a], name_width);
    for (std::size_t k = 0; k < classes.size(); ++k)
      out += fmt::format(" {:>{}}", percent_cell(cells[a][k]), kColumn);
    out += "\n";
  }
  out += fmt::format(
      "\nworst case over {} initial states and both resolutions of ⇕, faults injected one at a time into {} "
      "cells;\n{} algorithm{} × {} class{} simulated in {:.2f} s\n",
      initial_states, words, algorithms.size(), algorithms.size() == 1 ? "" : "s", classes.size(),
      classes.size() == 1 ? "" : "es", elapsed_s);
  return out;
}

CoverageMatrix simulate_coverage(const std::vector<chip::MarchAlgorithm>& algorithms,
                                 const FaultSimOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  check_options(options);
  for (std::size_t i = 0; i < algorithms.size(); ++i) {
    if (algorithms[i].name.empty())
      throw InvalidArgumentError(ErrorCode::invalid_argument,
                                 fmt::format("fault simulation: algorithm {} has no name", i));
    for (std::size_t j = 0; j < i; ++j)
      if (algorithms[j].name == algorithms[i].name)
        throw InvalidArgumentError(
            ErrorCode::invalid_argument,
            fmt::format("fault simulation: two algorithms called \"{}\"", algorithms[i].name));
  }
  CoverageMatrix m;
  m.classes = options.classes;
  m.words = options.words;
  Simulator sim(options);
  m.initial_states = sim.states().size();
  std::vector<std::vector<MemoryFault>> instances;
  const auto drf_retention = options.retention_delay / 2;
  for (FaultClass c : m.classes) instances.push_back(fault_instances(c, options.words, drf_retention));
  for (const chip::MarchAlgorithm& algorithm : algorithms) {
    m.algorithms.push_back(algorithm.name);
    auto& row = m.cells.emplace_back();
    for (const auto& faults : instances) {
      Coverage c{.detected = 0, .total = faults.size()};
      for (const MemoryFault& f : faults)
        if (worst_case(sim, algorithm, f, chip::DataBackground{})) ++c.detected;
      row.push_back(c);
    }
  }
  m.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return m;
}

// ---- intra-word coupling ----------------------------------------------------------------------------------

std::vector<chip::DataBackground> word_backgrounds(unsigned width) {
  if (width < 2 || width > 64 || !std::has_single_bit(width))
    throw InvalidArgumentError(ErrorCode::invalid_argument,
                               fmt::format("word width {} must be a power of two from 2 to 64", width));
  std::vector<chip::DataBackground> out{chip::DataBackground{}};
  for (int m = 0; (1u << m) < width; ++m) {
    std::uint64_t pattern = 0;
    for (unsigned i = 0; i < 64; ++i)
      if (((i >> m) & 1u) == 0) pattern |= std::uint64_t{1} << i;
    out.push_back(chip::DataBackground{.pattern = pattern, .invert_mask = 0});
  }
  return out;
}

std::vector<MemoryFault> intra_word_instances(FaultClass c, unsigned width) {
  word_backgrounds(width);  // validates the width
  if (c != FaultClass::cfin && c != FaultClass::cfid && c != FaultClass::cfst && c != FaultClass::cfds)
    throw InvalidArgumentError(
        ErrorCode::invalid_argument,
        fmt::format("intra-word faults are couplings (CFin, CFid, CFst, CFds), not {}", to_string(c)));
  std::vector<MemoryFault> out;
  for (unsigned v = 0; v < width; ++v)
    for (unsigned a = 0; a < width; ++a)
      if (a != v)
        couplings(c, Cell{.word = 0, .bit = static_cast<std::uint8_t>(a)},
                  Cell{.word = 0, .bit = static_cast<std::uint8_t>(v)}, out);
  return out;
}

std::vector<Coverage> intra_word_coverage(const chip::MarchAlgorithm& algorithm, FaultClass c, unsigned width,
                                          const FaultSimOptions& options) {
  const auto backgrounds = word_backgrounds(width);
  const auto faults = intra_word_instances(c, width);
  check_options(options);
  Simulator sim(options);
  // first[i]: the first background that detects instance i, or backgrounds.size() if none does.
  std::vector<std::size_t> first(faults.size(), backgrounds.size());
  for (std::size_t i = 0; i < faults.size(); ++i)
    for (std::size_t b = 0; b < backgrounds.size(); ++b)
      if (worst_case(sim, algorithm, faults[i], backgrounds[b])) {
        first[i] = b;
        break;
      }
  std::vector<Coverage> out;
  for (std::size_t k = 1; k <= backgrounds.size(); ++k) {
    Coverage cov{.detected = 0, .total = faults.size()};
    for (std::size_t f : first)
      if (f < k) ++cov.detected;
    out.push_back(cov);
  }
  return out;
}

}  // namespace seedval::sim

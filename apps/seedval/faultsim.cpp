// seedval faultsim: the fault-coverage matrix of march algorithms, measured by fault simulation on the
// chip model's HBM array (see sim/faultsim.h): for each algorithm and fault class, how many of the
// class's instances the algorithm detects in the worst case. With --intra-word, the coverage of
// intra-word coupling faults as data backgrounds are added.
#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <seedval/chip/march_library.h>
#include <seedval/core/error.h>
#include <seedval/sim/faultsim.h>

#include "common.h"

namespace seedval::cli {
namespace {

struct FaultsimOptions {
  std::vector<std::string> algorithms;
  std::vector<std::string> classes;
  bool json = false;
  std::string library;
  std::uint64_t words = 8;
  int random_states = 4;
  std::uint64_t seed = 0x5eed;
  std::string no_cell = "fixed";
  std::optional<unsigned> intra_word;
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

std::vector<chip::MarchAlgorithm> chosen_algorithms(const chip::MarchLibrary& library,
                                                    const std::vector<std::string>& names) {
  if (names.empty()) return library.algorithms();
  std::vector<chip::MarchAlgorithm> out;
  for (const auto& n : names) {
    const std::string_view name = trim(n);
    if (name.empty()) continue;
    const chip::MarchAlgorithm& a = library.get(name);  // throws NotFoundError listing the names
    bool seen = false;
    for (const auto& o : out) seen = seen || o.name == a.name;
    if (!seen) out.push_back(a);
  }
  if (out.empty()) throw InvalidArgumentError(ErrorCode::invalid_argument, "--algorithms names no algorithm");
  return out;
}

std::vector<sim::FaultClass> chosen_classes(const std::vector<std::string>& names) {
  const auto all = sim::simulated_fault_classes();
  if (names.empty()) return {all.begin(), all.end()};
  std::vector<sim::FaultClass> out;
  for (const auto& n : names) {
    const std::string_view name = trim(n);
    if (name.empty()) continue;
    const sim::FaultClass c = sim::simulated_fault_class(name);  // throws NotFoundError listing the names
    if (std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
  }
  if (out.empty()) throw InvalidArgumentError(ErrorCode::invalid_argument, "--classes names no fault class");
  return out;
}

int intra_word(const std::vector<chip::MarchAlgorithm>& algorithms,
               const std::vector<sim::FaultClass>& classes, const sim::FaultSimOptions& options,
               const FaultsimOptions& o) {
  std::vector<sim::FaultClass> couplings;
  for (sim::FaultClass c : classes)
    if (c == sim::FaultClass::cfin || c == sim::FaultClass::cfid || c == sim::FaultClass::cfst ||
        c == sim::FaultClass::cfds)
      couplings.push_back(c);
  if (couplings.empty())
    throw InvalidArgumentError(
        ErrorCode::invalid_argument,
        "--intra-word needs a coupling class among --classes (CFin, CFid, CFst, CFds)");
  const auto start = std::chrono::steady_clock::now();
  const auto backgrounds = sim::word_backgrounds(*o.intra_word);
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  std::string table = fmt::format("{:<12} {:<5}", "algorithm", "class");
  for (std::size_t k = 1; k <= backgrounds.size(); ++k)
    table += fmt::format(" {:>8}", fmt::format("{} bg", k));
  table += "\n";
  for (const auto& a : algorithms) {
    nlohmann::ordered_json row = nlohmann::ordered_json::object();
    for (sim::FaultClass c : couplings) {
      const auto coverage = sim::intra_word_coverage(a, c, *o.intra_word, options);
      nlohmann::ordered_json steps = nlohmann::ordered_json::array();
      table += fmt::format("{:<12} {:<5}", a.name, sim::to_string(c));
      for (std::size_t k = 0; k < coverage.size(); ++k) {
        steps.push_back(
            {{"backgrounds", k + 1}, {"detected", coverage[k].detected}, {"total", coverage[k].total}});
        table += fmt::format(" {:>8}", fmt::format("{}/{}", coverage[k].detected, coverage[k].total));
      }
      table += "\n";
      row[std::string(sim::to_string(c))] = std::move(steps);
    }
    j[a.name] = std::move(row);
  }
  if (o.json) {
    std::cout << j.dump(2) << "\n";
    return kOk;
  }
  std::string names;
  for (const auto& b : backgrounds) names += fmt::format("{}0x{:016x}", names.empty() ? "" : ", ", b.pattern);
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fmt::print(
      "{}\nintra-word coupling faults between bits 0..{} of one word, detected with the first k data "
      "backgrounds of\n{};\nworst case over {} initial states, simulated in {:.2f} s\n",
      table, *o.intra_word - 1, names, sim::initial_states(options).size(), elapsed);
  return kOk;
}

int faultsim(const FaultsimOptions& o) {
  const chip::MarchLibrary library =
      o.library.empty() ? chip::builtin_march_library() : chip::load_march_library(o.library);
  const auto algorithms = chosen_algorithms(library, o.algorithms);
  sim::FaultSimOptions options;
  options.words = o.words;
  options.random_states = o.random_states;
  options.seed = o.seed;
  options.no_cell_read = o.no_cell == "latch" ? sim::NoCellRead::sense_latch : sim::NoCellRead::fixed;
  options.classes = chosen_classes(o.classes);
  if (o.intra_word) return intra_word(algorithms, options.classes, options, o);
  const sim::CoverageMatrix m = sim::simulate_coverage(algorithms, options);
  if (o.json)
    std::cout << m.to_json() << "\n";
  else
    std::cout << m.to_table();
  return kOk;
}

}  // namespace

void add_faultsim(CLI::App& app) {
  auto o = std::make_shared<FaultsimOptions>();
  auto* cmd = app.add_subcommand(
      "faultsim", "fault-coverage matrix of march algorithms, by fault simulation on the chip model's HBM");
  cmd->add_option("--algorithms,-a", o->algorithms,
                  "algorithms to simulate, comma-separated (default: every one in the library)")
      ->delimiter(',');
  cmd->add_option("--classes,-c", o->classes,
                  "fault classes, comma-separated: SAF, TF, WDF, RDF, DRDF, IRF, SOF, DRF, AF, CFin, CFid, "
                  "CFst, CFds (default: all)")
      ->delimiter(',');
  cmd->add_flag("--json", o->json, "print JSON: algorithm -> class -> {\"detected\", \"total\"}");
  cmd->add_option("--library", o->library,
                  "a .march file or a folder of them (default: the shipped fixtures/march/)");
  cmd->add_option("--words", o->words, "cells of the simulated memory, a power of two from 4 to 64")
      ->capture_default_str();
  cmd->add_option("--random-states", o->random_states, "random initial states besides all-0 and all-1")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  cmd->add_option("--seed", o->seed, "seed of the random initial states")->capture_default_str();
  cmd->add_option("--no-cell-read", o->no_cell,
                  "what an address that reaches no cell reads: fixed (a fixed value, van de Goor's AF "
                  "model) or latch (the sense amplifier's last read)")
      ->check(CLI::IsMember({"fixed", "latch"}))
      ->capture_default_str();
  cmd->add_option("--intra-word", o->intra_word,
                  "instead: coverage of intra-word coupling faults among this many bits of a word (a power "
                  "of two, 2 to 64) with the first k data backgrounds");
  cmd->footer(
      "An instance counts as detected only if some read fails from every initial state tried and for both "
      "resolutions of ⇕ (the worst case). See the reference on memory faults, \"How coverage is measured\".");
  cmd->callback([o] { throw ExitRequest{guarded("faultsim", [&] { return faultsim(*o); })}; });
}

}  // namespace seedval::cli

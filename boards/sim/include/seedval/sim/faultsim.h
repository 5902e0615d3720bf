// Fault simulation of march tests on the chip model's HBM array: the fault-coverage matrix of the
// reference page on memory faults ("How coverage is measured").
//
// For each algorithm and fault class, every instance of the class (every cell, polarity and ordered
// aggressor/victim pair, aggressor below and above the victim) is injected alone into a small
// bit-oriented memory — `words` words of the model's array, the faults on bit 0 of each word — and the
// algorithm runs on it once per initial state and per resolution of ⇕. An instance counts as detected
// only if some read fails in every one of those runs (the worst case).
//
//   const auto library = chip::builtin_march_library();
//   sim::CoverageMatrix m = sim::simulate_coverage(library.algorithms(), {});
//   m.at("March C-", sim::FaultClass::cfid);   // {.detected = 224, .total = 224}
//   std::cout << m.to_table();
//
// How each run is set up, and why:
//  - The array is a tiny geometry (1 stack, 1 channel, 1 bank, words/4 rows of 4 columns) in a
//    FixedEnvironment at 25 °C with refresh off, every access modelled (HbmArray::
//    set_model_every_access), background pattern 0 (bit-oriented: w0 writes 0, w1 all ones).
//  - Initial states: all zeros, all ones, then `random_states` seeded random states, written straight
//    into the cells before the run. The static faults (SAF, CFst) take hold at the first access of
//    their words. The sense amplifier starts out holding the initial contents of the lowest word the
//    fault does not involve (a read of it before the run), so its first latched value varies with the
//    initial state too.
//  - DRF: the leaking value is lost after half the run's retention delay (the bare Del), so a test with
//    Del finds it and one without does not.
//  - AF, an address that reaches no cell: van de Goor's decoder model, on which the reference's rule
//    ⇑(rx … wx̄), ⇓(rx̄ … wx) rests, has such an address read a fixed value (NoCellRead::fixed, the
//    default): the run takes the array's fast path, where only reads of the fault's word move the
//    sense amplifier, so the address reads, all through the run, the word latched before it (the
//    initial contents of the word above: all zeros, all ones or random, one per initial state).
//    NoCellRead::sense_latch models every access instead, so the address reads whatever the last read
//    of any word left there, like a stuck-open cell; a march then finds it only where that read
//    expected the other value. Alias and multi-cell faults never involve the sense amplifier.
//
// Intra-word coupling: intra_word_coverage() injects each coupling fault between two bits of word 0 of
// the same small memory and runs the algorithm once per data background of word_backgrounds(); an
// instance is detected by the first k backgrounds if one of those backgrounds detects it in the worst
// case on its own (each background's run is taken from every initial state, not from what the previous
// background left: a lower bound on what the sequence of runs finds).
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <seedval/chip/march.h>
#include <seedval/sim/faults.h>

namespace seedval::sim {

/// How a read of an address that reaches no cell (AF no-cell) behaves in the simulation.
enum class NoCellRead : std::uint8_t {
  fixed,        ///< a fixed value: the value latched before the run (van de Goor; the default)
  sense_latch,  ///< the value the last read of any word latched (every access modelled)
};

/// The classes a coverage matrix has, in the reference's order: SAF, TF, WDF, RDF, DRDF, IRF, SOF, DRF,
/// AF, CFin, CFid, CFst, CFds (not RowHammer or weak, which no march test targets).
std::span<const FaultClass> simulated_fault_classes() noexcept;
/// The simulated class called `name` (case-insensitive, as to_string() spells it). Throws NotFoundError
/// naming `name` and listing the simulated classes.
FaultClass simulated_fault_class(std::string_view name);

struct FaultSimOptions {
  /// Memory size in words (cells): a power of two from 4 to kMaxFaultSimWords.
  std::uint64_t words = 8;
  /// Random initial states tried besides all zeros and all ones.
  int random_states = 4;
  std::uint64_t seed = 0x5eed;
  /// The retention delay of a bare Del; DRF cells lose their value after half of it.
  std::chrono::microseconds retention_delay{100'000};
  NoCellRead no_cell_read = NoCellRead::fixed;
  /// The columns of simulate_coverage(), in this order.
  std::vector<FaultClass> classes{simulated_fault_classes().begin(), simulated_fault_classes().end()};
};
/// The cost of a matrix grows with the cube of the size (pairs × the words a run sweeps).
inline constexpr std::uint64_t kMaxFaultSimWords = 64;

/// Every instance of class `c` in a bit-oriented memory of `words` cells (bit 0 of each word), in a
/// fixed order. For a pair, the victim runs over every cell and the aggressor over every other cell.
///   SAF, TF, WDF, RDF, DRDF, IRF   every cell × value (2N)
///   SOF                            every cell (N)
///   DRF                            every cell × value, retention `drf_retention` (2N)
///   AF                             no-cell at every address, alias / multi-AND / multi-OR for every
///                                  ordered pair of addresses (N + 3N(N−1))
///   CFin                           every ordered pair × ↑/↓ (2N(N−1))
///   CFid                           every ordered pair × ↑/↓ × forced value (4N(N−1))
///   CFst                           every ordered pair × aggressor state × forced value (4N(N−1))
///   CFds                           every ordered pair × read / non-transition write × aggressor state
///                                  × victim value (8N(N−1))
/// Throws InvalidArgumentError for a class that is not simulated or a size outside FaultSimOptions.
std::vector<MemoryFault> fault_instances(
    FaultClass c, std::uint64_t words,
    std::chrono::microseconds drf_retention = std::chrono::milliseconds(50));

/// The initial memory states a simulation tries, in order: all zeros, all ones, then the random ones.
std::vector<std::vector<std::uint64_t>> initial_states(const FaultSimOptions& options);

/// One run of a simulation: the initial state (an index into initial_states()), how ⇕ was resolved, and
/// whether some read failed.
struct SimulationRun {
  std::size_t initial_state = 0;
  chip::AddressOrder any_order = chip::AddressOrder::up;
  bool detected = false;
  friend bool operator==(const SimulationRun&, const SimulationRun&) = default;
};

/// Runs `algorithm` on a memory of options.words words holding `fault` alone, from every initial state
/// and with ⇕ up and down (once only when the algorithm has no ⇕ element), with `background` (pattern
/// 0 for the bit-oriented simulation). Throws InvalidArgumentError for a bad size or a fault outside it.
std::vector<SimulationRun> simulate_runs(const chip::MarchAlgorithm& algorithm, const MemoryFault& fault,
                                         const FaultSimOptions& options,
                                         const chip::DataBackground& background = {});

/// True if every run of simulate_runs() detects the fault (the worst case); stops at the first run that
/// does not.
bool detects(const chip::MarchAlgorithm& algorithm, const MemoryFault& fault, const FaultSimOptions& options,
             const chip::DataBackground& background = {});

/// Detected instances of a class.
struct Coverage {
  std::uint64_t detected = 0;
  std::uint64_t total = 0;
  bool complete() const noexcept { return detected == total; }
  double percent() const noexcept {
    return total == 0 ? 0.0 : 100.0 * static_cast<double>(detected) / static_cast<double>(total);
  }
  friend bool operator==(const Coverage&, const Coverage&) = default;
};

struct CoverageMatrix {
  std::vector<std::string> algorithms;       ///< row names, as given
  std::vector<FaultClass> classes;           ///< columns
  std::vector<std::vector<Coverage>> cells;  ///< [algorithm][class]
  std::uint64_t words = 0;
  std::size_t initial_states = 0;
  double elapsed_s = 0;  ///< wall time of the simulation

  /// Throws NotFoundError for an algorithm or class the matrix lacks.
  const Coverage& at(std::string_view algorithm, FaultClass c) const;
  /// {"MATS+": {"SAF": {"detected": 16, "total": 16}, …}, …}: algorithms and classes in matrix order,
  /// indented by 2.
  std::string to_json() const;
  /// A terminal table: a row per algorithm, a column per class with the percentage detected, a row of
  /// instance counts, and a footer with the set-up and the time taken.
  std::string to_table() const;
};

/// The coverage matrix of `algorithms` over options.classes. Throws InvalidArgumentError for an
/// algorithm without a name, two with one name, or bad options.
CoverageMatrix simulate_coverage(const std::vector<chip::MarchAlgorithm>& algorithms,
                                 const FaultSimOptions& options);

// ---- intra-word coupling ------------------------------------------------------------------------------

/// The log2(width) + 1 data backgrounds of a width-bit word: solid 0x0, then stripes 0x5555…, 0x3333…,
/// 0x0F0F…, 0x00FF…, … (bit i of stripe m is 1 when bit m of i is 0). `width` is a power of two from 2
/// to 64, else InvalidArgumentError.
std::vector<chip::DataBackground> word_backgrounds(unsigned width);

/// Every coupling fault of class `c` (CFin, CFid, CFst or CFds) between two bits of word 0 among bits
/// 0..width−1: every ordered pair of bits times the class's polarities, as in fault_instances().
std::vector<MemoryFault> intra_word_instances(FaultClass c, unsigned width);

/// Coverage of intra_word_instances(c, width) by `algorithm` applied with the first k backgrounds of
/// word_backgrounds(width), for k = 1 … log2(width) + 1 (element k − 1). An instance is detected by a
/// set if some background of the set detects it in the worst case (detects()).
std::vector<Coverage> intra_word_coverage(const chip::MarchAlgorithm& algorithm, FaultClass c, unsigned width,
                                          const FaultSimOptions& options);

}  // namespace seedval::sim

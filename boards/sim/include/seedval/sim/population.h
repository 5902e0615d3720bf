// Populations of simulated dies: a spec (fixtures/populations/*.json) plus a die's coordinates give one
// die instance, deterministically. The instance's fault list is the ground truth a lot is audited against.
//
// Spec keys:
//   "population"   name                                             (required)
//   "description"  free text
//   "seed"         integer; the same seed and die give the same instance on every machine
//   "process":  {"leakage_sigma": σ of ln(leakage factor), "ambient_c": ambient temperature}
//   "faults":   {"memory_stuck_bits":   {"die_fraction": p, "min_per_die": a, "max_per_die": b},
//                "register_stuck_bits": {"die_fraction": p}}
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <seedval/chip/identity.h>

namespace seedval::sim {

struct PopulationSpec {
  std::string name;
  std::string description;
  std::uint64_t seed = 1;
  double leakage_sigma = 0.3;
  double ambient_c = 25.0;
  double memory_stuck_die_fraction = 0.0;
  int memory_stuck_min = 1;
  int memory_stuck_max = 1;
  double register_stuck_die_fraction = 0.0;
  std::filesystem::path file;  ///< where it was loaded from; empty for a built-in spec
};

/// Loads and validates a population file. Throws ConfigError naming the file and key.
PopulationSpec load_population(const std::filesystem::path& file);

/// A stuck-at fault on one bit of device memory.
struct MemoryStuckBit {
  std::uint64_t address = 0;  ///< byte address
  int bit = 0;                ///< 0..7
  bool value = false;         ///< the value the bit is stuck at
  friend bool operator==(const MemoryStuckBit&, const MemoryStuckBit&) = default;
};

/// A stuck-at fault on one bit of a register (a broken flop in the register file).
struct RegisterStuckBit {
  std::uint32_t address = 0;
  int bit = 0;
  bool value = false;
  friend bool operator==(const RegisterStuckBit&, const RegisterStuckBit&) = default;
};

/// One simulated die: its identity, process parameters and defects (the ground truth).
struct DieInstance {
  chip::DieId id;
  std::uint64_t ecid = 0;
  double leakage_factor = 1.0;  ///< multiplies nominal leakage power
  double ambient_c = 25.0;
  std::vector<MemoryStuckBit> memory_stuck;  ///< sorted by address
  std::vector<RegisterStuckBit> register_stuck;

  bool has_defects() const { return !memory_stuck.empty() || !register_stuck.empty(); }
};

/// Makes the die at `id` of `spec` for a device memory of `memory_size` bytes.
DieInstance make_die(const PopulationSpec& spec, const chip::DieId& id, std::uint64_t memory_size);

/// A 64-bit mix of its inputs (SplitMix64 finaliser); the basis of every seeded choice in the model.
std::uint64_t mix64(std::uint64_t x) noexcept;

}  // namespace seedval::sim

// One tensor core of the SeedChip model: runs a chip::TensorOp over device memory with the reference
// kernels of seedval/chip/tensor.h, then applies the core's MAC-lane faults and timing errors.
//
// Output element i of an arithmetic operator is computed on lane i % kLanesPerCore. The 32-bit lane
// result (FP32 bits before rounding to the output dtype, or the int32 accumulator) is where faults act:
//   - a stuck0/stuck1 CoreFault forces its bit on every element of its lane;
//   - a flaky CoreFault flips its bit with probability flip_rate per element of its lane;
//   - a timing error flips one random bit of any element with probability timing_error_rate.
// Every random draw is a hash of (seed, core, element), so the same work under the same conditions
// gives the same result bit for bit. Identity and Cast move data without the lanes and are never
// corrupted. Whether a core is fused off, and how long the work takes, is the caller's business.
//
//   TensorCore core(3, die.core_faults);
//   TensorStats s = core.execute(op, memory, {.timing_error_rate = 0.0, .seed = request_seed});
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include <seedval/chip/tensor.h>
#include <seedval/sim/faults.h>

namespace seedval::sim {

/// Device memory as a tensor core sees it. The chip model implements it over HBM and SRAM.
class TensorMemory {
 public:
  virtual ~TensorMemory() = default;
  /// Throws AddressError unless [address, address + bytes) is memory the core may access. Called for
  /// every operand before any buffer is allocated or anything is read or written.
  virtual void check(std::uint64_t address, std::uint64_t bytes) const = 0;
  virtual void read(std::uint64_t address, std::span<std::uint8_t> out) = 0;
  virtual void write(std::uint64_t address, std::span<const std::uint8_t> data) = 0;
};

/// Operating conditions of one execution.
struct ExecConditions {
  double timing_error_rate = 0.0;  ///< probability per output element of one flipped result bit
  std::uint64_t seed = 0;          ///< makes the random draws (flaky lanes, timing errors) repeatable
};

struct TensorStats {
  std::uint64_t macs = 0;           ///< chip::mac_count(op)
  std::uint64_t elements = 0;       ///< output elements written
  std::uint64_t timing_errors = 0;  ///< elements with a bit flipped by a timing error
  std::uint64_t lane_errors = 0;    ///< elements whose result a lane fault changed
  friend bool operator==(const TensorStats&, const TensorStats&) = default;
};

class TensorCore {
 public:
  /// Core `index` keeps the faults of `faults` that name it. Throws InvalidArgumentError for a fault
  /// of this core with a lane, bit or flip rate out of range.
  TensorCore(int index, std::span<const CoreFault> faults);

  int index() const noexcept { return index_; }
  const std::vector<CoreFault>& faults() const noexcept { return faults_; }

  /// Validates `op` (chip::validate: InvalidArgumentError or UnsupportedError), checks every operand's
  /// range (the memory's AddressError), reads the inputs, computes, and writes the outputs. Nothing is
  /// written if anything throws before the writes. Throws InvalidArgumentError for a rate outside 0..1.
  TensorStats execute(const chip::TensorOp& op, TensorMemory& memory, const ExecConditions& conditions);

 private:
  int index_;
  std::vector<CoreFault> faults_;
  std::vector<std::vector<std::uint8_t>> scratch_;  ///< input buffers, reused
};

}  // namespace seedval::sim

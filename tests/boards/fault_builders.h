// Builders of memory faults for the model's tests: the fields every fault of a kind needs, the rest
// left at their defaults for the test to set.
#pragma once

#include <cstdint>

#include <seedval/sim/faults.h>

namespace seedval::testing {

using sim::Cell;
using sim::FaultClass;
using sim::MemoryFault;

/// A single-cell fault (SAF, TF, WDF, RDF, DRDF, IRF, SOF, DRF, weak, RowHammer) on bit `b` of `word`.
inline MemoryFault cell_fault(FaultClass kind, std::uint64_t word, std::uint8_t b, bool value) {
  MemoryFault f;
  f.kind = kind;
  f.victim = {.word = word, .bit = b};
  f.value = value;
  return f;
}

/// A coupling fault of `aggressor` on `victim`.
inline MemoryFault coupling(FaultClass kind, Cell aggressor, Cell victim) {
  MemoryFault f;
  f.kind = kind;
  f.aggressor = aggressor;
  f.victim = victim;
  return f;
}

}  // namespace seedval::testing

// The defects a simulated die can carry: the fault models of the memory-test literature (see
// docs/chip-model.md and the reference page on memory faults), tensor-core faults and register faults.
// A DieInstance holds a list of them; that list is the die's ground truth.
//
// Memory cells are named by word index (byte address / 8) and bit (0..63). Every field not listed for a
// class is ignored for it.
//
//   class      primitive                 fields used
//   saf        <∀/v/->                   victim, value (the stuck value)
//   tf         <v̄wv/v̄/->                 victim, value (the value the cell cannot reach)
//   wdf        <vwv/v̄/->                 victim, value (the held value whose rewrite flips the cell)
//   rdf        <vrv/v̄/v̄>                 victim, value (the held value whose read flips the cell)
//   drdf       <vrv/v̄/v>                 victim, value
//   irf        <vrv/v/v̄>                 victim, value
//   sof        stuck-open                victim (reads of the cell return the sense amplifier's last bit)
//   drf        <v T/v̄/->                 victim, value (the value that leaks away), retention_ms at 25 °C
//                                        (halves every 10 °C above)
//   af         address decoder           victim.word (the faulty address), other_word (not for no_cell), af
//   cfin       <t;↕>                     aggressor, victim, aggressor_rises
//   cfid       <t;v>                     aggressor, victim, aggressor_rises, value (forced on the victim)
//   cfst       <s;v>                     aggressor, victim, aggressor_state, value (forced while a = s)
//   cfds       <s op s; v/v̄/->           aggressor, victim, aggressor_state (the aggressor's value s),
//                                        aggressor_op (read, or non-transition write), value (the
//                                        victim value that flips)
//   rowhammer  disturbance               victim (a cell of the victim row), value (the value that
//                                        flips), hammer_threshold (activations of the neighbouring rows
//                                        within one refresh window)
//   weak       marginal cell             victim, value (read value when failing), fail_below_mv (HBM
//                                        supply), fail_above_c (die temperature); 0 disables a bound
// An intra-word coupling fault is a CF whose aggressor and victim share a word.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace seedval::sim {

/// One bit of device memory.
struct Cell {
  std::uint64_t word = 0;
  std::uint8_t bit = 0;  ///< 0..63
  friend auto operator<=>(const Cell&, const Cell&) = default;
};

enum class FaultClass : std::uint8_t {
  saf,
  tf,
  wdf,
  rdf,
  drdf,
  irf,
  sof,
  drf,
  af,
  cfin,
  cfid,
  cfst,
  cfds,
  rowhammer,
  weak,
};
inline constexpr int kFaultClassCount = 15;

/// "SAF", "TF", ..., "RowHammer", "weak" (the names of the reference page).
std::string_view to_string(FaultClass c) noexcept;
/// Parses the name (case-insensitive, also "saf"); throws NotFoundError listing the known names.
FaultClass fault_class_from_string(std::string_view name);

/// Address-decoder fault kinds. `victim.word` is the faulty address A, `other_word` the address B.
enum class AfKind : std::uint8_t {
  no_cell,    ///< A reaches no cell: writes are lost, reads return the sense amplifier's last word
  alias,      ///< A reaches B's cell instead of its own: A's cell is reached by no address, B's by two
  multi_and,  ///< A reaches its own cell and B's: writes go to both, a read returns the wired-AND
  multi_or,   ///< ... a read returns the wired-OR
};

struct MemoryFault {
  FaultClass kind = FaultClass::saf;
  Cell victim;
  Cell aggressor;                ///< coupling faults
  std::uint64_t other_word = 0;  ///< address-decoder faults
  AfKind af = AfKind::no_cell;
  bool value = false;
  bool aggressor_rises = true;   ///< cfin/cfid: ↑ (true) or ↓
  bool aggressor_state = false;  ///< cfst/cfds
  bool aggressor_read = true;    ///< cfds: a read (true) or a non-transition write of the aggressor
  double retention_ms = 0;       ///< drf
  double hammer_threshold = 0;   ///< rowhammer
  double fail_below_mv = 0;      ///< weak
  double fail_above_c = 0;       ///< weak
  friend bool operator==(const MemoryFault&, const MemoryFault&) = default;

  /// True for the coupling classes (cfin, cfid, cfst, cfds).
  bool is_coupling() const noexcept;
  /// "CFid <↑;1> a=0x1234.7 v=0x1240.3": the primitive and the cells, for logs and the audit.
  std::string describe() const;
  /// Every word whose accesses the fault can change or observe (victim, aggressor, other word).
  std::vector<std::uint64_t> words() const;
};

/// A fault in one MAC lane of one tensor core: output elements computed on the lane have `bit` of
/// their 32-bit result (FP32 bits or the int32 accumulator) stuck, or flipped at random with
/// probability `flip_rate` per element (a flaky lane, the source of rare silent data corruption).
struct CoreFault {
  int core = 0;
  int lane = 0;
  int bit = 0;  ///< 0..31
  enum class Kind : std::uint8_t { stuck0, stuck1, flaky } kind = Kind::stuck1;
  double flip_rate = 0;
  friend bool operator==(const CoreFault&, const CoreFault&) = default;
  std::string describe() const;
};

/// A broken flop in the register file.
struct RegisterStuckBit {
  std::uint32_t address = 0;
  int bit = 0;
  bool value = false;
  friend bool operator==(const RegisterStuckBit&, const RegisterStuckBit&) = default;
};

}  // namespace seedval::sim

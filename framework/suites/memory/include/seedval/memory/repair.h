// Memory-repair analysis: which spare rows and spare columns of each HBM bank replace the failing cells
// a test found, or why a bank cannot be repaired. A pure algorithm on a list of cells; no device access.
//
// Each bank has its own spares (SpareBudget): a spare row replaces one whole row of the bank, a spare
// column one whole word column, so all failing bits of one word are one cell here. Per bank:
//
//   1. must-repair, to a fixed point: a row with more failing cells than the spare columns left must take
//      a spare row, and a column with more failing cells than the spare rows left a spare column;
//      every allocation can force others, so the rules are applied again until none fires. A forced line
//      with no spare left makes the bank unrepairable.
//   2. a quick reject: after must-repair a row holds at most C and a column at most R of the cells left
//      (R, C: spares left), so a repairable bank has at most 2·R·C cells left.
//   3. up to RepairOptions::exact_limit cells left, an exact branch and bound that uses the fewest spares
//      (rows + columns) in total; beyond it, repair-most (greedy: take the line that covers most cells).
//      If repair-most finds no allocation the exact search still runs before the bank is called
//      unrepairable, so greedy never turns a repairable bank into an unrepairable one by itself.
//
// Allocation is NP-complete in general; the exact search is bounded by RepairOptions::max_search_nodes
// per bank and says in BankRepair::note when it stopped early. Every plan marked repairable is valid:
// each cell lies in a replaced row or column and no bank uses more spares than it has. The output
// depends only on the set of cells, not on their order or duplicates.
//
//   const memory::SpareBudget spares{.rows = 2, .columns = 2};
//   std::vector<memory::RepairCell> cells = {{.bank = 5, .row = 12, .column = 3},
//                                            {.bank = 5, .row = 12, .column = 9}};
//   memory::RepairPlan plan = memory::analyse_repair(cells, spares);
//   log::info("{}", memory::summary(plan));   // "repairable: 1 spare row in 1 bank"
//   std::string json = memory::repair_plan_json(plan, spares);
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace seedval::memory {

/// One failing cell as repair sees it: a spare row or column replaces a whole row or a whole word column
/// of one bank, so the bits of one word count as one cell.
struct RepairCell {
  std::uint32_t bank = 0;    ///< flat bank index (chip::HbmGeometry::bank_index)
  std::uint32_t row = 0;     ///< row within the bank
  std::uint32_t column = 0;  ///< word column within the row
  friend auto operator<=>(const RepairCell&, const RepairCell&) = default;
};

/// Spares of one bank; every bank has the same.
struct SpareBudget {
  std::uint32_t rows = 0;
  std::uint32_t columns = 0;
  friend bool operator==(const SpareBudget&, const SpareBudget&) = default;
};

/// How a bank's allocation was found; for an unrepairable bank, the step that gave up.
enum class RepairMethod {
  none,         ///< the bank had nothing to repair (never in a RepairPlan, which lists failing banks only)
  must_repair,  ///< must-repair alone covered every cell, or found a line with no spare, or the quick reject
  exact,        ///< branch and bound
  greedy,       ///< repair-most
};

/// "none", "must-repair", "exact", "greedy".
std::string_view to_string(RepairMethod method) noexcept;

/// The repair of one bank that has failing cells.
struct BankRepair {
  std::uint32_t bank = 0;
  std::size_t failing_cells = 0;  ///< distinct cells
  /// Rows and columns replaced by spares, ascending. For an unrepairable bank: only the lines
  /// must-repair had taken when the analysis gave up.
  std::vector<std::uint32_t> rows;
  std::vector<std::uint32_t> columns;
  std::size_t must_rows = 0;     ///< of `rows`, those taken by must-repair (step 1)
  std::size_t must_columns = 0;  ///< of `columns`, those taken by must-repair
  bool repairable = true;
  /// True when no allocation uses fewer spares: a finished exact search, or must-repair alone. Greedy
  /// plans are never marked optimal, even when they happen to be.
  bool optimal = false;
  RepairMethod method = RepairMethod::none;
  std::uint64_t search_nodes = 0;  ///< nodes the exact search visited (0 if it did not run)
  /// Why the bank is not repairable, starting with the bank, e.g. "bank 5: 13 failing cells left after
  /// must-repair, more than the 12 (2 × 2 × 3) that 2 spare rows and 3 spare columns can cover".
  /// Empty for a repairable bank.
  std::string reason;
  /// What else a reader should know, e.g. "exact search stopped after 1000000 nodes; repair-most used".
  /// Usually empty.
  std::string note;
};

/// The repair of a whole device.
struct RepairPlan {
  bool repairable = true;         ///< every bank is repairable
  std::vector<BankRepair> banks;  ///< only banks with failing cells, ascending bank
  std::uint64_t rows_used = 0;    ///< spare rows over all banks (see BankRepair::rows)
  std::uint64_t columns_used = 0;
  std::uint32_t unrepairable_banks = 0;
  std::size_t failing_cells = 0;  ///< distinct cells over all banks
};

struct RepairOptions {
  /// Cells left after must-repair up to which a bank gets the exact search first; beyond, repair-most
  /// (and the exact search only if repair-most fails). 0 means always repair-most first.
  std::size_t exact_limit = 32;
  /// Exact-search budget per bank, in search nodes. When it runs out the bank takes the better of the
  /// best allocation found so far and repair-most's, is not marked optimal, and BankRepair::note says
  /// so; a bank with neither is unrepairable with a reason that says it was not proven. 0 turns the
  /// exact search off. A node costs time roughly linear in the cells left (quadratic at worst), so the
  /// budget bounds the time spent on a bank.
  std::uint64_t max_search_nodes = 1'000'000;
};

/// Allocates spares to cover `cells` (any order; duplicates count once) with `budget` spares per bank.
/// Throws nothing of its own: every cell and budget is valid input (std::bad_alloc aside).
RepairPlan analyse_repair(std::span<const RepairCell> cells, SpareBudget budget,
                          const RepairOptions& options = {});

/// The plan as a JSON object (indented by 2, no trailing newline):
///   {"repairable", "failing_cells", "rows_used", "columns_used", "unrepairable_banks",
///    "spares_per_bank": {"rows", "columns"},
///    "banks": [{"bank", "failing_cells", "rows": [..], "columns": [..], "must_rows", "must_columns",
///               "repairable", "optimal", "method", "search_nodes", "reason"?, "note"?}]}
/// "method" is to_string(RepairMethod); "reason" and "note" appear only when not empty.
std::string repair_plan_json(const RepairPlan& plan, SpareBudget budget);

/// One line for logs and test notes: "repairable: 3 spare rows and 1 spare column in 2 banks" (a kind
/// of spare no bank used is left out), "repairable: no failing cells", or "not repairable: " and the
/// first unrepairable bank's reason, then "; 2 more banks unrepairable" when there are others.
std::string summary(const RepairPlan& plan);

}  // namespace seedval::memory

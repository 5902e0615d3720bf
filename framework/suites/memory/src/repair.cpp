#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <seedval/memory/repair.h>

namespace seedval::memory {
namespace {

// "1 spare row", "2 spare rows".
std::string count_of(std::uint64_t n, std::string_view noun) {
  return fmt::format("{} {}{}", n, noun, n == 1 ? "" : "s");
}

// "2 spare rows and 3 spare columns"
std::string spares(std::uint64_t rows, std::uint64_t columns) {
  return fmt::format("{} and {}", count_of(rows, "spare row"), count_of(columns, "spare column"));
}

// A cell of one bank with its row and column renumbered 0..n-1 (dense, so state fits in vectors).
struct LocalCell {
  std::uint32_t row = 0;
  std::uint32_t column = 0;
};

// The cells of one bank and, for each local row and column, the cells on it.
struct BankCells {
  std::vector<LocalCell> cells;
  std::vector<std::vector<std::uint32_t>> row_cells;
  std::vector<std::vector<std::uint32_t>> column_cells;

  BankCells(std::vector<LocalCell> c, std::uint32_t rows, std::uint32_t columns)
      : cells(std::move(c)), row_cells(rows), column_cells(columns) {
    for (std::uint32_t i = 0; i < cells.size(); ++i) {
      row_cells[cells[i].row].push_back(i);
      column_cells[cells[i].column].push_back(i);
    }
  }
};

// A must-repair that found no spare: which line, and how many cells it still had.
struct Shortage {
  bool found = false;
  bool row = false;
  std::uint32_t line = 0;  // local index
  std::size_t cells = 0;
};

// Which lines of a bank are replaced so far and what is still uncovered, kept up to date incrementally.
// Copyable: repair-most works on a copy of the state must-repair left.
class Cover {
 public:
  Cover(const BankCells& bank, SpareBudget budget)
      : bank_(&bank),
        row_taken_(bank.row_cells.size(), 0),
        column_taken_(bank.column_cells.size(), 0),
        covered_(bank.cells.size(), 0),
        rows_left_(budget.rows),
        columns_left_(budget.columns),
        uncovered_(bank.cells.size()) {
    row_count_.reserve(bank.row_cells.size());
    for (const auto& r : bank.row_cells) row_count_.push_back(r.size());
    column_count_.reserve(bank.column_cells.size());
    for (const auto& c : bank.column_cells) column_count_.push_back(c.size());
  }

  std::uint32_t rows_left() const { return rows_left_; }
  std::uint32_t columns_left() const { return columns_left_; }
  std::size_t uncovered() const { return uncovered_; }
  bool covered(std::uint32_t cell) const { return covered_[cell] != 0; }

  std::vector<std::uint32_t> taken_rows() const { return taken(row_taken_); }
  std::vector<std::uint32_t> taken_columns() const { return taken(column_taken_); }

  void take_row(std::uint32_t r) {
    row_taken_[r] = 1;
    --rows_left_;
    for (const std::uint32_t i : bank_->row_cells[r]) uncover(i);
  }
  void take_column(std::uint32_t c) {
    column_taken_[c] = 1;
    --columns_left_;
    for (const std::uint32_t i : bank_->column_cells[c]) uncover(i);
  }

  // Must-repair to a fixed point. Rows taken in one sweep do not change each other's counts or the
  // columns left, so a sweep may take several; the other kind is swept again afterwards.
  Shortage must_repair() {
    for (bool changed = true; changed;) {
      changed = false;
      for (std::uint32_t r = 0; r < row_count_.size(); ++r) {
        if (row_taken_[r] || row_count_[r] <= columns_left_) continue;
        if (rows_left_ == 0) return {true, true, r, row_count_[r]};
        take_row(r);
        changed = true;
      }
      for (std::uint32_t c = 0; c < column_count_.size(); ++c) {
        if (column_taken_[c] || column_count_[c] <= rows_left_) continue;
        if (columns_left_ == 0) return {true, false, c, column_count_[c]};
        take_column(c);
        changed = true;
      }
    }
    return {};
  }

  // Repair-most: repeatedly replace the line that covers most uncovered cells (ties: the kind with more
  // spares left, then rows, then the lowest line), applying must-repair again after each choice. False
  // if the spares run out first.
  bool repair_most() {
    for (;;) {
      if (must_repair().found) return false;
      if (uncovered_ == 0) return true;
      std::size_t best_row_count = 0;
      std::uint32_t best_row = 0;
      if (rows_left_ > 0)
        for (std::uint32_t r = 0; r < row_count_.size(); ++r)
          if (!row_taken_[r] && row_count_[r] > best_row_count) best_row_count = row_count_[r], best_row = r;
      std::size_t best_column_count = 0;
      std::uint32_t best_column = 0;
      if (columns_left_ > 0)
        for (std::uint32_t c = 0; c < column_count_.size(); ++c)
          if (!column_taken_[c] && column_count_[c] > best_column_count)
            best_column_count = column_count_[c], best_column = c;
      if (best_row_count == 0 && best_column_count == 0) return false;
      const bool row = best_row_count > best_column_count ||
                       (best_row_count == best_column_count && rows_left_ >= columns_left_);
      if (row)
        take_row(best_row);
      else
        take_column(best_column);
    }
  }

 private:
  static std::vector<std::uint32_t> taken(const std::vector<char>& flags) {
    std::vector<std::uint32_t> out;
    for (std::uint32_t i = 0; i < flags.size(); ++i)
      if (flags[i]) out.push_back(i);
    return out;
  }

  void uncover(std::uint32_t cell) {
    if (covered_[cell]) return;
    covered_[cell] = 1;
    --row_count_[bank_->cells[cell].row];
    --column_count_[bank_->cells[cell].column];
    --uncovered_;
  }

  const BankCells* bank_;  // borrowed
  std::vector<char> row_taken_;
  std::vector<char> column_taken_;
  std::vector<char> covered_;
  std::vector<std::size_t> row_count_;
  std::vector<std::size_t> column_count_;
  std::uint32_t rows_left_;
  std::uint32_t columns_left_;
  std::size_t uncovered_;
};

// Branch and bound for the fewest spares (rows + columns) that cover every cell within the budget.
//
// A node fixes each line as free, taken or excluded (never to be taken). It first propagates: a cell
// whose row is excluded needs its column and vice versa, and must-repair applies with the spares the
// node has left. Then it prunes when the spares used plus a maximum matching of the uncovered cells
// (a lower bound: no two matched cells share a line, so each needs its own spare) cannot beat the best
// allocation, or when the largest free rows and columns the spares allow cannot cover what is left.
// Otherwise it branches on the free line with most uncovered cells: take it, or exclude it. Every
// allocation lies in exactly one branch, so the search is complete and visits nothing twice. Excluding a
// line forces at least one spare for its cells, so every level uses a spare and the recursion is no
// deeper than the budget.
class ExactSearch {
 public:
  ExactSearch(const BankCells& bank, std::uint32_t rows_left, std::uint32_t columns_left,
              std::uint64_t max_nodes)
      : bank_(bank),
        rows_left_(rows_left),
        columns_left_(columns_left),
        max_nodes_(max_nodes),
        best_(std::uint64_t{rows_left} + columns_left + 1),
        row_count_(bank.row_cells.size()),
        column_count_(bank.column_cells.size()),
        match_(bank.column_cells.size()),
        seen_(bank.column_cells.size()) {}

  // An allocation known to work (repair-most's): the search then looks only for fewer spares.
  void seed(std::vector<std::uint32_t> rows, std::vector<std::uint32_t> columns) {
    best_ = rows.size() + columns.size();
    best_rows_ = std::move(rows);
    best_columns_ = std::move(columns);
    have_best_ = true;
  }

  void run() {
    Node root{std::vector<std::uint8_t>(bank_.row_cells.size(), kFree),
              std::vector<std::uint8_t>(bank_.column_cells.size(), kFree), rows_left_, columns_left_, 0};
    visit(std::move(root));
  }

  bool exhausted() const { return exhausted_; }
  bool improved() const { return improved_; }  // found an allocation better than the seed (or any)
  bool have_best() const { return have_best_; }
  std::uint64_t nodes() const { return std::min(nodes_, max_nodes_); }
  const std::vector<std::uint32_t>& best_rows() const { return best_rows_; }
  const std::vector<std::uint32_t>& best_columns() const { return best_columns_; }

 private:
  static constexpr std::uint8_t kFree = 0;
  static constexpr std::uint8_t kTaken = 1;
  static constexpr std::uint8_t kExcluded = 2;

  struct Node {
    std::vector<std::uint8_t> row;
    std::vector<std::uint8_t> column;
    std::uint32_t rows_left = 0;
    std::uint32_t columns_left = 0;
    std::uint64_t used = 0;
  };

  static bool take(std::vector<std::uint8_t>& state, std::uint32_t line, std::uint32_t& left,
                   std::uint64_t& used) {
    if (left == 0) return false;
    state[line] = kTaken;
    --left;
    ++used;
    return true;
  }

  // Fills uncovered_ and the counts; false if the node has no allocation.
  bool propagate(Node& n) {
    for (;;) {
      uncovered_.clear();
      std::fill(row_count_.begin(), row_count_.end(), 0);
      std::fill(column_count_.begin(), column_count_.end(), 0);
      for (std::uint32_t i = 0; i < bank_.cells.size(); ++i) {
        const LocalCell& c = bank_.cells[i];
        if (n.row[c.row] == kTaken || n.column[c.column] == kTaken) continue;
        uncovered_.push_back(i);
        ++row_count_[c.row];
        ++column_count_[c.column];
      }
      bool changed = false;
      for (const std::uint32_t i : uncovered_) {
        const LocalCell& c = bank_.cells[i];
        const std::uint8_t r = n.row[c.row];
        const std::uint8_t k = n.column[c.column];
        if (r == kTaken || k == kTaken) continue;  // taken earlier in this sweep
        if (r == kExcluded && k == kExcluded) return false;
        if (r == kExcluded) {
          if (!take(n.column, c.column, n.columns_left, n.used)) return false;
          changed = true;
        } else if (k == kExcluded) {
          if (!take(n.row, c.row, n.rows_left, n.used)) return false;
          changed = true;
        }
      }
      if (changed) continue;
      for (std::uint32_t r = 0; r < row_count_.size(); ++r) {
        if (n.row[r] != kFree || row_count_[r] <= n.columns_left) continue;
        if (!take(n.row, r, n.rows_left, n.used)) return false;
        changed = true;
      }
      if (changed) continue;
      for (std::uint32_t c = 0; c < column_count_.size(); ++c) {
        if (n.column[c] != kFree || column_count_[c] <= n.rows_left) continue;
        if (!take(n.column, c, n.columns_left, n.used)) return false;
        changed = true;
      }
      if (!changed) return true;
    }
  }

  // The largest `k` of `counts` over free lines, summed.
  static std::uint64_t top_sum(const std::vector<std::size_t>& counts, const std::vector<std::uint8_t>& state,
                               std::uint32_t k, std::vector<std::size_t>& scratch) {
    scratch.clear();
    for (std::size_t i = 0; i < counts.size(); ++i)
      if (state[i] == kFree && counts[i] > 0) scratch.push_back(counts[i]);
    const std::size_t take = std::min<std::size_t>(k, scratch.size());
    std::partial_sort(scratch.begin(), scratch.begin() + static_cast<std::ptrdiff_t>(take), scratch.end(),
                      std::greater<>());
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < take; ++i) sum += scratch[i];
    return sum;
  }

  // Size of a maximum matching between rows and columns over the uncovered cells (Kuhn's augmenting
  // paths, over rows in order), or `enough` if it is at least that: the caller only compares it with
  // the spares it may still use, and stopping there bounds the recursion by the spare budget.
  std::size_t matching(std::uint64_t enough) {
    adjacency_.assign(bank_.row_cells.size(), {});
    for (const std::uint32_t i : uncovered_) adjacency_[bank_.cells[i].row].push_back(bank_.cells[i].column);
    std::fill(match_.begin(), match_.end(), kUnmatched);
    std::size_t size = 0;
    for (std::uint32_t r = 0; r < adjacency_.size(); ++r) {
      if (adjacency_[r].empty()) continue;
      ++stamp_;
      if (augment(r) && ++size >= enough) break;
    }
    return size;
  }

  bool augment(std::uint32_t r) {
    for (const std::uint32_t c : adjacency_[r]) {
      if (seen_[c] == stamp_) continue;
      seen_[c] = stamp_;
      if (match_[c] == kUnmatched || augment(match_[c])) {
        match_[c] = r;
        return true;
      }
    }
    return false;
  }

  void visit(Node n) {
    if (++nodes_ > max_nodes_) {
      exhausted_ = true;
      return;
    }
    if (!propagate(n) || n.used >= best_) return;
    if (uncovered_.empty()) {
      best_ = n.used;
      best_rows_.clear();
      best_columns_.clear();
      for (std::uint32_t r = 0; r < n.row.size(); ++r)
        if (n.row[r] == kTaken) best_rows_.push_back(r);
      for (std::uint32_t c = 0; c < n.column.size(); ++c)
        if (n.column[c] == kTaken) best_columns_.push_back(c);
      have_best_ = improved_ = true;
      return;
    }
    if (top_sum(row_count_, n.row, n.rows_left, scratch_) +
            top_sum(column_count_, n.column, n.columns_left, scratch_) <
        uncovered_.size())
      return;
    if (n.used + matching(best_ - n.used) >= best_) return;

    // After propagation both kinds have spares left (with none of one kind, every cell would have forced
    // the other), so the busiest free line can be taken.
    std::size_t best_count = 0;
    bool row = true;
    std::uint32_t line = 0;
    const bool rows_first = n.rows_left >= n.columns_left;
    for (int pass = 0; pass < 2; ++pass) {
      const bool rows = (pass == 0) == rows_first;
      const auto& counts = rows ? row_count_ : column_count_;
      const auto& state = rows ? n.row : n.column;
      if ((rows ? n.rows_left : n.columns_left) == 0) continue;
      for (std::uint32_t i = 0; i < counts.size(); ++i)
        if (state[i] == kFree && counts[i] > best_count) best_count = counts[i], row = rows, line = i;
    }
    if (best_count == 0) return;

    Node excluded = n;
    (row ? excluded.row : excluded.column)[line] = kExcluded;
    if (row)
      take(n.row, line, n.rows_left, n.used);
    else
      take(n.column, line, n.columns_left, n.used);
    visit(std::move(n));
    if (exhausted_) return;
    visit(std::move(excluded));
  }

  static constexpr std::uint32_t kUnmatched = std::numeric_limits<std::uint32_t>::max();

  const BankCells& bank_;
  std::uint32_t rows_left_;
  std::uint32_t columns_left_;
  std::uint64_t max_nodes_;
  std::uint64_t nodes_ = 0;
  bool exhausted_ = false;
  bool improved_ = false;
  bool have_best_ = false;
  std::uint64_t best_;  // spares of the best allocation; budget + 1 while there is none
  std::vector<std::uint32_t> best_rows_;
  std::vector<std::uint32_t> best_columns_;
  // Scratch for the node being visited; children are visited only after it is no longer needed.
  std::vector<std::uint32_t> uncovered_;
  std::vector<std::size_t> row_count_;
  std::vector<std::size_t> column_count_;
  std::vector<std::size_t> scratch_;
  std::vector<std::vector<std::uint32_t>> adjacency_;
  std::vector<std::uint32_t> match_;
  std::vector<std::uint64_t> seen_;
  std::uint64_t stamp_ = 0;
};

constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();

// The uncovered cells of `cover`, renumbered densely, with the maps back to `cover`'s local lines.
struct Residue {
  std::vector<std::uint32_t> rows;     // residue row -> bank-local row
  std::vector<std::uint32_t> columns;  // residue column -> bank-local column
  std::vector<LocalCell> cells;
};

Residue residue(const BankCells& bank, const Cover& cover) {
  Residue out;
  std::vector<std::uint32_t> row_map(bank.row_cells.size(), kNone);
  std::vector<std::uint32_t> column_map(bank.column_cells.size(), kNone);
  for (std::uint32_t i = 0; i < bank.cells.size(); ++i) {
    if (cover.covered(i)) continue;
    const LocalCell& c = bank.cells[i];
    if (row_map[c.row] == kNone) {
      row_map[c.row] = static_cast<std::uint32_t>(out.rows.size());
      out.rows.push_back(c.row);
    }
    if (column_map[c.column] == kNone) {
      column_map[c.column] = static_cast<std::uint32_t>(out.columns.size());
      out.columns.push_back(c.column);
    }
    out.cells.push_back({row_map[c.row], column_map[c.column]});
  }
  return out;
}

// Analyses one bank. `cells` are (row, column) pairs of that bank, sorted and distinct.
BankRepair analyse_bank(std::uint32_t bank_index,
                        const std::vector<std::pair<std::uint32_t, std::uint32_t>>& cells, SpareBudget budget,
                        const RepairOptions& options) {
  BankRepair out;
  out.bank = bank_index;
  out.failing_cells = cells.size();

  // Dense local numbering of the bank's rows and columns.
  std::vector<std::uint32_t> row_ids;
  std::vector<std::uint32_t> column_ids;
  for (const auto& [r, c] : cells) {
    if (row_ids.empty() || row_ids.back() != r) row_ids.push_back(r);
    column_ids.push_back(c);
  }
  std::sort(column_ids.begin(), column_ids.end());
  column_ids.erase(std::unique(column_ids.begin(), column_ids.end()), column_ids.end());
  std::vector<LocalCell> local;
  local.reserve(cells.size());
  const auto index_of = [](const std::vector<std::uint32_t>& ids, std::uint32_t id) {
    return static_cast<std::uint32_t>(std::lower_bound(ids.begin(), ids.end(), id) - ids.begin());
  };
  for (const auto& [r, c] : cells) local.push_back({index_of(row_ids, r), index_of(column_ids, c)});
  const BankCells bank(std::move(local), static_cast<std::uint32_t>(row_ids.size()),
                       static_cast<std::uint32_t>(column_ids.size()));

  std::vector<std::uint32_t> rows;     // bank-local
  std::vector<std::uint32_t> columns;  // bank-local
  const auto finish = [&] {
    for (const std::uint32_t r : rows) out.rows.push_back(row_ids[r]);
    for (const std::uint32_t c : columns) out.columns.push_back(column_ids[c]);
    std::sort(out.rows.begin(), out.rows.end());
    std::sort(out.columns.begin(), out.columns.end());
    return out;
  };
  const auto fail = [&](std::string reason) {
    out.repairable = false;
    out.optimal = false;
    out.reason = fmt::format("bank {}: {}", bank_index, reason);
    return finish();
  };

  // 1. must-repair
  Cover cover(bank, budget);
  const Shortage shortage = cover.must_repair();
  rows = cover.taken_rows();
  columns = cover.taken_columns();
  out.must_rows = rows.size();
  out.must_columns = columns.size();
  out.method = RepairMethod::must_repair;
  if (shortage.found) {
    return fail(
        shortage.row
            ? fmt::format("row {} needs a spare row ({}, more than the {} left) but none is left",
                          row_ids[shortage.line], count_of(shortage.cells, "failing cell"),
                          count_of(cover.columns_left(), "spare column"))
            : fmt::format("column {} needs a spare column ({}, more than the {} left) but none is left",
                          column_ids[shortage.line], count_of(shortage.cells, "failing cell"),
                          count_of(cover.rows_left(), "spare row")));
  }
  if (cover.uncovered() == 0) {
    out.optimal = true;  // every must-repair line is in every allocation
    return finish();
  }

  // 2. quick reject: each spare row covers at most columns_left cells now, each column rows_left.
  const std::uint64_t r_left = cover.rows_left();
  const std::uint64_t c_left = cover.columns_left();
  const std::uint64_t capacity =
      c_left != 0 && r_left > std::numeric_limits<std::uint64_t>::max() / (2 * c_left)
          ? std::numeric_limits<std::uint64_t>::max()
          : r_left * c_left * 2;
  const std::string left = spares(r_left, c_left);
  if (cover.uncovered() > capacity)
    return fail(fmt::format("{} left after must-repair, more than the {} (2 × {} × {}) that {} can cover",
                            count_of(cover.uncovered(), "failing cell"), capacity, r_left, c_left, left));

  // 3. repair-most, and the exact search where it is due.
  Cover greedy = cover;
  const bool greedy_ok = greedy.repair_most();
  const std::size_t remaining = cover.uncovered();
  const bool want_exact = remaining <= options.exact_limit || !greedy_ok;
  if (!want_exact || options.max_search_nodes == 0) {
    out.method = RepairMethod::greedy;
    if (!greedy_ok)
      return fail(
          fmt::format("repair-most found no allocation of {} for the {} left after must-repair and the "
                      "exact search is off (not proven unrepairable)",
                      left, count_of(remaining, "failing cell")));
    rows = greedy.taken_rows();
    columns = greedy.taken_columns();
    return finish();
  }

  const Residue rest = residue(bank, cover);
  const BankCells rest_cells(rest.cells, static_cast<std::uint32_t>(rest.rows.size()),
                             static_cast<std::uint32_t>(rest.columns.size()));
  ExactSearch search(rest_cells, cover.rows_left(), cover.columns_left(), options.max_search_nodes);
  if (greedy_ok) {
    // Repair-most's extra lines, in residue numbering (every line it took beyond must-repair has an
    // uncovered cell, so it is in the residue).
    std::vector<std::uint32_t> seed_rows;
    std::vector<std::uint32_t> seed_columns;
    for (const std::uint32_t r : greedy.taken_rows())
      if (!std::binary_search(rows.begin(), rows.end(), r))
        seed_rows.push_back(
            static_cast<std::uint32_t>(std::find(rest.rows.begin(), rest.rows.end(), r) - rest.rows.begin()));
    for (const std::uint32_t c : greedy.taken_columns())
      if (!std::binary_search(columns.begin(), columns.end(), c))
        seed_columns.push_back(static_cast<std::uint32_t>(
            std::find(rest.columns.begin(), rest.columns.end(), c) - rest.columns.begin()));
    search.seed(std::move(seed_rows), std::move(seed_columns));
  }
  search.run();
  out.search_nodes = search.nodes();
  out.method = RepairMethod::exact;

  if (!search.have_best()) {
    if (search.exhausted())
      return fail(
          fmt::format("repair-most found no allocation of {} for the {} left after must-repair and the "
                      "exact search stopped after {} (not proven unrepairable)",
                      left, count_of(remaining, "failing cell"), count_of(options.max_search_nodes, "node")));
    return fail(fmt::format("no allocation of {} covers the {} left after must-repair", left,
                            count_of(remaining, "failing cell")));
  }
  for (const std::uint32_t r : search.best_rows()) rows.push_back(rest.rows[r]);
  for (const std::uint32_t c : search.best_columns()) columns.push_back(rest.columns[c]);
  if (!search.exhausted()) {
    out.optimal = true;
  } else if (search.improved()) {
    out.note = fmt::format("exact search stopped after {}; best allocation found so far used",
                           count_of(options.max_search_nodes, "node"));
  } else {
    out.method = RepairMethod::greedy;
    out.note = fmt::format("exact search stopped after {}; repair-most used",
                           count_of(options.max_search_nodes, "node"));
  }
  return finish();
}

}  // namespace

std::string_view to_string(RepairMethod method) noexcept {
  switch (method) {
    case RepairMethod::none:
      return "none";
    case RepairMethod::must_repair:
      return "must-repair";
    case RepairMethod::exact:
      return "exact";
    case RepairMethod::greedy:
      return "greedy";
  }
  return "unknown";
}

RepairPlan analyse_repair(std::span<const RepairCell> cells, SpareBudget budget,
                          const RepairOptions& options) {
  std::vector<RepairCell> sorted(cells.begin(), cells.end());
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());

  RepairPlan plan;
  plan.failing_cells = sorted.size();
  std::vector<std::pair<std::uint32_t, std::uint32_t>> bank_cells;
  for (std::size_t i = 0; i < sorted.size();) {
    const std::uint32_t bank = sorted[i].bank;
    bank_cells.clear();
    for (; i < sorted.size() && sorted[i].bank == bank; ++i)
      bank_cells.emplace_back(sorted[i].row, sorted[i].column);
    BankRepair b = analyse_bank(bank, bank_cells, budget, options);
    plan.rows_used += b.rows.size();
    plan.columns_used += b.columns.size();
    if (!b.repairable) {
      plan.repairable = false;
      ++plan.unrepairable_banks;
    }
    plan.banks.push_back(std::move(b));
  }
  return plan;
}

std::string repair_plan_json(const RepairPlan& plan, SpareBudget budget) {
  nlohmann::ordered_json banks = nlohmann::ordered_json::array();
  for (const BankRepair& b : plan.banks) {
    nlohmann::ordered_json j;
    j["bank"] = b.bank;
    j["failing_cells"] = b.failing_cells;
    j["rows"] = b.rows;
    j["columns"] = b.columns;
    j["must_rows"] = b.must_rows;
    j["must_columns"] = b.must_columns;
    j["repairable"] = b.repairable;
    j["optimal"] = b.optimal;
    j["method"] = to_string(b.method);
    j["search_nodes"] = b.search_nodes;
    if (!b.reason.empty()) j["reason"] = b.reason;
    if (!b.note.empty()) j["note"] = b.note;
    banks.push_back(std::move(j));
  }
  nlohmann::ordered_json j;
  j["repairable"] = plan.repairable;
  j["failing_cells"] = plan.failing_cells;
  j["rows_used"] = plan.rows_used;
  j["columns_used"] = plan.columns_used;
  j["unrepairable_banks"] = plan.unrepairable_banks;
  j["spares_per_bank"] = {{"rows", budget.rows}, {"columns", budget.columns}};
  j["banks"] = std::move(banks);
  // Reasons come from our own text, but replace rather than throw should a byte ever be invalid UTF-8.
  return j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string summary(const RepairPlan& plan) {
  if (plan.repairable) {
    if (plan.banks.empty()) return "repairable: no failing cells";
    std::string used;
    if (plan.rows_used > 0) used = count_of(plan.rows_used, "spare row");
    if (plan.columns_used > 0)
      used += (used.empty() ? "" : " and ") + count_of(plan.columns_used, "spare column");
    return fmt::format("repairable: {} in {}", used, count_of(plan.banks.size(), "bank"));
  }
  const auto first =
      std::find_if(plan.banks.begin(), plan.banks.end(), [](const BankRepair& b) { return !b.repairable; });
  std::string out = "not repairable: " + first->reason;
  if (plan.unrepairable_banks > 1)
    out += fmt::format("; {} more {} unrepairable", plan.unrepairable_banks - 1,
                       plan.unrepairable_banks == 2 ? "bank" : "banks");
  return out;
}

}  // namespace seedval::memory

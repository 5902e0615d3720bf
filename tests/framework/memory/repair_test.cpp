// Tests for seedval/memory/repair.h: spare allocations worked out by hand, the case where repair-most
// goes wrong and the exact search does not, unrepairable banks with reasons that name them, a
// cross-check of the exact search against exhaustive enumeration, repair-most on thousands of cells, and
// the JSON and one-line forms of a plan.
#include <algorithm>
#include <bit>
#include <chrono>
#include <cstdint>
#include <limits>
#include <map>
#include <ostream>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include <seedval/memory/repair.h>

#include "support/errors.h"

namespace seedval::memory {

/// How Boost.Test prints the methods it compares (found by argument-dependent lookup).
inline std::ostream& boost_test_print_type(std::ostream& os, RepairMethod method) {
  return os << to_string(method);
}

namespace {

RepairCell cell(std::uint32_t bank, std::uint32_t row, std::uint32_t column) {
  return RepairCell{.bank = bank, .row = row, .column = column};
}

std::size_t spares_used(const BankRepair& b) {
  return b.rows.size() + b.columns.size();
}

bool contains(const std::vector<std::uint32_t>& v, std::uint32_t x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// Checks everything a plan promises about `cells`, independently of how it was made: the banks with
// failing cells in ascending order, the counts, ascending distinct lines within the budget and, for a
// repairable bank, every cell in a replaced row or column.
void check_plan(const std::vector<RepairCell>& cells, SpareBudget budget, const RepairPlan& plan) {
  std::map<std::uint32_t, std::set<std::pair<std::uint32_t, std::uint32_t>>> by_bank;
  for (const RepairCell& c : cells) by_bank[c.bank].insert({c.row, c.column});
  BOOST_REQUIRE_EQUAL(plan.banks.size(), by_bank.size());
  std::size_t total_cells = 0;
  std::uint64_t rows = 0;
  std::uint64_t columns = 0;
  std::uint32_t unrepairable = 0;
  auto expected = by_bank.begin();
  for (const BankRepair& b : plan.banks) {
    BOOST_TEST_CONTEXT("bank " << b.bank) {
      BOOST_TEST(b.bank == expected->first);
      BOOST_TEST(b.failing_cells == expected->second.size());
      BOOST_TEST(std::is_sorted(b.rows.begin(), b.rows.end()));
      BOOST_TEST(std::is_sorted(b.columns.begin(), b.columns.end()));
      BOOST_TEST((std::adjacent_find(b.rows.begin(), b.rows.end()) == b.rows.end()));
      BOOST_TEST((std::adjacent_find(b.columns.begin(), b.columns.end()) == b.columns.end()));
      BOOST_TEST(b.rows.size() <= budget.rows);
      BOOST_TEST(b.columns.size() <= budget.columns);
      BOOST_TEST(b.must_rows <= b.rows.size());
      BOOST_TEST(b.must_columns <= b.columns.size());
      BOOST_TEST(b.reason.empty() == b.repairable);
      if (b.repairable) {
        std::size_t uncovered = 0;
        for (const auto& [r, c] : expected->second)
          if (!contains(b.rows, r) && !contains(b.columns, c)) ++uncovered;
        BOOST_TEST(uncovered == 0u);
      } else {
        ++unrepairable;
        CHECK_STARTS_WITH(b.reason, "bank " + std::to_string(b.bank) + ": ");
      }
    }
    total_cells += b.failing_cells;
    rows += b.rows.size();
    columns += b.columns.size();
    ++expected;
  }
  BOOST_TEST(plan.failing_cells == total_cells);
  BOOST_TEST(plan.rows_used == rows);
  BOOST_TEST(plan.columns_used == columns);
  BOOST_TEST(plan.unrepairable_banks == unrepairable);
  BOOST_TEST(plan.repairable == (unrepairable == 0));
}

// The fewest spares that cover `cells` (one bank) with `budget`, or -1: every set of at most
// budget.rows failing rows, the rest covered by the distinct columns left.
int exhaustive_minimum(const std::vector<RepairCell>& cells, SpareBudget budget) {
  std::vector<std::uint32_t> rows;
  for (const RepairCell& c : cells) rows.push_back(c.row);
  std::sort(rows.begin(), rows.end());
  rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
  BOOST_REQUIRE(rows.size() <= 20u);
  int best = -1;
  for (std::uint32_t mask = 0; mask < (1u << rows.size()); ++mask) {
    const auto taken = static_cast<std::uint32_t>(std::popcount(mask));
    if (taken > budget.rows) continue;
    std::set<std::uint32_t> columns;
    for (const RepairCell& c : cells) {
      const auto i = std::lower_bound(rows.begin(), rows.end(), c.row) - rows.begin();
      if ((mask & (1u << i)) == 0) columns.insert(c.column);
    }
    if (columns.size() > budget.columns) continue;
    const int total = static_cast<int>(taken + columns.size());
    if (best < 0 || total < best) best = total;
  }
  return best;
}

// The trap for repair-most (2 spare rows, 3 spare columns): rows 0 and 4 have the most cells, but row 0
// is better covered by columns 0, 1 and 2, which also cover (1,0), (2,1) and (3,2). The cheapest
// allocation is row 4 and columns 0–2; the five cells (1,0), (2,1), (3,2), (4,5) and (5,8) share no line
// with each other, so no allocation uses fewer than 4 (and with (5,8), fewer than 5) spares.
std::vector<RepairCell> trap(std::uint32_t bank, bool with_last_cell) {
  std::vector<RepairCell> cells = {cell(bank, 0, 0), cell(bank, 0, 1), cell(bank, 0, 2),
                                   cell(bank, 1, 0), cell(bank, 2, 1), cell(bank, 3, 2),
                                   cell(bank, 4, 5), cell(bank, 4, 6), cell(bank, 4, 7)};
  if (with_last_cell) cells.push_back(cell(bank, 5, 8));
  return cells;
}

constexpr SpareBudget kTrapBudget{.rows = 2, .columns = 3};

}  // namespace

BOOST_AUTO_TEST_SUITE(memory_repair)

BOOST_AUTO_TEST_CASE(to_string_names_every_method) {
  BOOST_TEST(to_string(RepairMethod::none) == "none");
  BOOST_TEST(to_string(RepairMethod::must_repair) == "must-repair");
  BOOST_TEST(to_string(RepairMethod::exact) == "exact");
  BOOST_TEST(to_string(RepairMethod::greedy) == "greedy");
}

BOOST_AUTO_TEST_CASE(no_failing_cells_need_no_spares) {
  const RepairPlan plan = analyse_repair({}, {.rows = 2, .columns = 2});
  BOOST_TEST(plan.repairable);
  BOOST_TEST(plan.banks.empty());
  BOOST_TEST(plan.rows_used + plan.columns_used == 0u);
  BOOST_TEST(summary(plan) == "repairable: no failing cells");
}

BOOST_AUTO_TEST_CASE(a_single_failing_cell_takes_one_spare) {
  const std::vector<RepairCell> cells = {cell(3, 17, 42)};

  const RepairPlan both = analyse_repair(cells, {.rows = 1, .columns = 1});
  check_plan(cells, {1, 1}, both);
  BOOST_REQUIRE_EQUAL(both.banks.size(), 1u);
  BOOST_TEST(both.repairable);
  BOOST_TEST(spares_used(both.banks[0]) == 1u);
  BOOST_TEST(both.banks[0].method == RepairMethod::exact);
  BOOST_TEST(both.banks[0].optimal);
  BOOST_TEST(both.banks[0].must_rows + both.banks[0].must_columns == 0u);

  // With no spare row, the cell's column has more cells (1) than spare rows (0): must-repair.
  const RepairPlan columns_only = analyse_repair(cells, {.rows = 0, .columns = 1});
  check_plan(cells, {0, 1}, columns_only);
  BOOST_TEST(columns_only.banks[0].columns == std::vector<std::uint32_t>{42});
  BOOST_TEST(columns_only.banks[0].rows.empty());
  BOOST_TEST(columns_only.banks[0].method == RepairMethod::must_repair);
  BOOST_TEST(columns_only.banks[0].must_columns == 1u);
  BOOST_TEST(summary(columns_only) == "repairable: 1 spare column in 1 bank");

  const RepairPlan none = analyse_repair(cells, {.rows = 0, .columns = 0});
  check_plan(cells, {0, 0}, none);
  BOOST_TEST(!none.repairable);
  BOOST_TEST(
      none.banks[0].reason ==
      "bank 3: row 17 needs a spare row (1 failing cell, more than the 0 spare columns left) but none is "
      "left");
}

BOOST_AUTO_TEST_CASE(a_full_row_takes_a_must_repair_row) {
  std::vector<RepairCell> cells;
  for (std::uint32_t c = 0; c < 128; ++c) cells.push_back(cell(2, 7, c));
  const RepairPlan plan = analyse_repair(cells, {.rows = 2, .columns = 2});
  check_plan(cells, {2, 2}, plan);
  BOOST_REQUIRE_EQUAL(plan.banks.size(), 1u);
  const BankRepair& b = plan.banks[0];
  BOOST_TEST(b.failing_cells == 128u);
  BOOST_TEST(b.rows == std::vector<std::uint32_t>{7});
  BOOST_TEST(b.columns.empty());
  BOOST_TEST(b.must_rows == 1u);
  BOOST_TEST(b.method == RepairMethod::must_repair);
  BOOST_TEST(b.optimal);
  BOOST_TEST(b.search_nodes == 0u);

  // The same row with no spare row left is unrepairable, and the reason says which row.
  const RepairPlan no_rows = analyse_repair(cells, {.rows = 0, .columns = 100});
  check_plan(cells, {0, 100}, no_rows);
  BOOST_TEST(!no_rows.repairable);
  BOOST_TEST(
      no_rows.banks[0].reason ==
      "bank 2: row 7 needs a spare row (128 failing cells, more than the 100 spare columns left) but none "
      "is left");
}

BOOST_AUTO_TEST_CASE(a_cross_takes_one_row_and_one_column) {
  // Row 4 and column 5 of an 8 × 8 corner fail completely: both are must-repair with 2 + 2 spares (row 4
  // has 8 cells > 2 columns; then column 5 has 7 > the 1 row left).
  std::vector<RepairCell> big;
  for (std::uint32_t i = 0; i < 8; ++i) {
    big.push_back(cell(0, 4, i));
    big.push_back(cell(0, i, 5));
  }
  const RepairPlan must = analyse_repair(big, {.rows = 2, .columns = 2});
  check_plan(big, {2, 2}, must);
  BOOST_TEST(must.banks[0].failing_cells == 15u);
  BOOST_TEST(must.banks[0].rows == std::vector<std::uint32_t>{4});
  BOOST_TEST(must.banks[0].columns == std::vector<std::uint32_t>{5});
  BOOST_TEST(must.banks[0].must_rows == 1u);
  BOOST_TEST(must.banks[0].must_columns == 1u);
  BOOST_TEST(must.banks[0].method == RepairMethod::must_repair);

  // A 3 × 3 cross with 3 + 3 spares forces nothing; the only two-line cover is row 1 and column 1, and
  // (1,0) and (0,1) share no line, so two is the least.
  const std::vector<RepairCell> small = {cell(0, 1, 0), cell(0, 1, 1), cell(0, 1, 2), cell(0, 0, 1),
                                         cell(0, 2, 1)};
  const RepairPlan exact = analyse_repair(small, {.rows = 3, .columns = 3});
  check_plan(small, {3, 3}, exact);
  BOOST_TEST(exact.banks[0].rows == std::vector<std::uint32_t>{1});
  BOOST_TEST(exact.banks[0].columns == std::vector<std::uint32_t>{1});
  BOOST_TEST(exact.banks[0].must_rows + exact.banks[0].must_columns == 0u);
  BOOST_TEST(exact.banks[0].method == RepairMethod::exact);
  BOOST_TEST(exact.banks[0].optimal);
}

BOOST_AUTO_TEST_CASE(must_repair_runs_to_a_fixed_point) {
  // 2 + 2 spares. Column 0 (5 cells) is forced first; with 1 spare column left, row 7 (2 cells) is
  // forced; with 1 spare row left, column 9 (2 cells) is forced. Nothing is left for the search.
  std::vector<RepairCell> cells;
  for (std::uint32_t r = 0; r < 5; ++r) cells.push_back(cell(1, r, 0));
  cells.push_back(cell(1, 7, 1));
  cells.push_back(cell(1, 7, 2));
  cells.push_back(cell(1, 20, 9));
  cells.push_back(cell(1, 21, 9));
  const RepairPlan plan = analyse_repair(cells, {.rows = 2, .columns = 2});
  check_plan(cells, {2, 2}, plan);
  const BankRepair& b = plan.banks[0];
  BOOST_TEST(b.rows == std::vector<std::uint32_t>{7});
  BOOST_TEST(b.columns == (std::vector<std::uint32_t>{0, 9}));
  BOOST_TEST(b.must_rows == 1u);
  BOOST_TEST(b.must_columns == 2u);
  BOOST_TEST(b.method == RepairMethod::must_repair);
  BOOST_TEST(b.optimal);

  // Must-repair lines plus a leftover cell the search covers with one more spare.
  std::vector<RepairCell> mixed;
  for (std::uint32_t c = 0; c < 5; ++c) mixed.push_back(cell(6, 3, c));
  for (std::uint32_t r = 10; r < 15; ++r) mixed.push_back(cell(6, r, 9));
  mixed.push_back(cell(6, 20, 20));
  const RepairPlan m = analyse_repair(mixed, {.rows = 2, .columns = 2});
  check_plan(mixed, {2, 2}, m);
  BOOST_TEST(m.banks[0].must_rows == 1u);
  BOOST_TEST(m.banks[0].must_columns == 1u);
  BOOST_TEST(contains(m.banks[0].rows, 3));
  BOOST_TEST(contains(m.banks[0].columns, 9));
  BOOST_TEST(spares_used(m.banks[0]) == 3u);
  BOOST_TEST(m.banks[0].method == RepairMethod::exact);
}

BOOST_AUTO_TEST_CASE(repair_most_misses_what_the_exact_search_finds) {
  const RepairOptions greedy_only{.exact_limit = 0, .max_search_nodes = 0};

  // Suboptimal: repair-most takes row 0, then row 4, then columns 0–2: 5 spares where 4 do.
  const std::vector<RepairCell> costly = trap(0, false);
  const RepairPlan greedy = analyse_repair(costly, kTrapBudget, greedy_only);
  check_plan(costly, kTrapBudget, greedy);
  BOOST_TEST(greedy.repairable);
  BOOST_TEST(greedy.banks[0].method == RepairMethod::greedy);
  BOOST_TEST(!greedy.banks[0].optimal);
  BOOST_TEST(spares_used(greedy.banks[0]) == 5u);
  const RepairPlan exact = analyse_repair(costly, kTrapBudget);
  check_plan(costly, kTrapBudget, exact);
  BOOST_TEST(exact.banks[0].method == RepairMethod::exact);
  BOOST_TEST(exact.banks[0].optimal);
  BOOST_TEST(exact.banks[0].rows == std::vector<std::uint32_t>{4});
  BOOST_TEST(exact.banks[0].columns == (std::vector<std::uint32_t>{0, 1, 2}));

  // Failing: with (5,8) as well, after rows 0 and 4 four columns need a spare and three are left.
  const std::vector<RepairCell> cells = trap(0, true);
  const RepairPlan failed = analyse_repair(cells, kTrapBudget, greedy_only);
  check_plan(cells, kTrapBudget, failed);
  BOOST_TEST(!failed.repairable);
  CHECK_STARTS_WITH(failed.banks[0].reason,
                    "bank 0: repair-most found no allocation of 2 spare rows and 3 "
                    "spare columns for the 10 failing cells left after must-repair");
  CHECK_CONTAINS(failed.banks[0].reason, "not proven unrepairable");
  BOOST_TEST(failed.banks[0].method == RepairMethod::greedy);
  BOOST_TEST(failed.banks[0].search_nodes == 0u);

  for (const RepairOptions& options : {RepairOptions{}, RepairOptions{.exact_limit = 0}}) {
    BOOST_TEST_CONTEXT("exact_limit " << options.exact_limit) {
      const RepairPlan found = analyse_repair(cells, kTrapBudget, options);
      check_plan(cells, kTrapBudget, found);
      BOOST_TEST(found.repairable);
      BOOST_TEST(found.banks[0].method == RepairMethod::exact);
      BOOST_TEST(found.banks[0].optimal);
      BOOST_TEST(found.banks[0].rows == (std::vector<std::uint32_t>{4, 5}));
      BOOST_TEST(found.banks[0].columns == (std::vector<std::uint32_t>{0, 1, 2}));
      BOOST_TEST(found.banks[0].search_nodes > 0u);
    }
  }
}

BOOST_AUTO_TEST_CASE(an_exhausted_search_falls_back_and_says_so) {
  const RepairOptions one_node{.max_search_nodes = 1};
  const std::vector<RepairCell> costly = trap(4, false);
  const RepairPlan fallback = analyse_repair(costly, kTrapBudget, one_node);
  check_plan(costly, kTrapBudget, fallback);
  BOOST_TEST(fallback.repairable);
  BOOST_TEST(fallback.banks[0].method == RepairMethod::greedy);
  BOOST_TEST(!fallback.banks[0].optimal);
  BOOST_TEST(fallback.banks[0].note == "exact search stopped after 1 node; repair-most used");

  const std::vector<RepairCell> cells = trap(4, true);
  const RepairPlan unknown = analyse_repair(cells, kTrapBudget, one_node);
  check_plan(cells, kTrapBudget, unknown);
  BOOST_TEST(!unknown.repairable);
  CHECK_CONTAINS(unknown.banks[0].reason, "exact search stopped after 1 node (not proven unrepairable)");
  BOOST_TEST(unknown.banks[0].method == RepairMethod::exact);
  BOOST_TEST(unknown.banks[0].search_nodes == 1u);
}

BOOST_AUTO_TEST_CASE(unrepairable_banks_are_named_in_the_reason) {
  // Three cells on a diagonal with 1 + 1 spares: nothing is forced, but 3 > 2 · 1 · 1.
  const std::vector<RepairCell> diagonal = {cell(5, 0, 0), cell(5, 1, 1), cell(5, 2, 2)};
  const RepairPlan quick = analyse_repair(diagonal, {.rows = 1, .columns = 1});
  check_plan(diagonal, {1, 1}, quick);
  BOOST_TEST(!quick.repairable);
  BOOST_TEST(quick.unrepairable_banks == 1u);
  BOOST_TEST(
      quick.banks[0].reason ==
      "bank 5: 3 failing cells left after must-repair, more than the 2 (2 × 1 × 1) that 1 spare row and 1 "
      "spare column can cover");
  CHECK_STARTS_WITH(summary(quick), "not repairable: bank 5: 3 failing cells");
  BOOST_TEST(quick.banks[0].method == RepairMethod::must_repair);

  // Five cells on a diagonal with 2 + 2 spares pass the quick check (5 <= 8) but no four lines cover
  // five cells that share no line: the search proves it.
  std::vector<RepairCell> five;
  for (std::uint32_t i = 0; i < 5; ++i) five.push_back(cell(9, i, i));
  const RepairPlan proven = analyse_repair(five, {.rows = 2, .columns = 2});
  check_plan(five, {2, 2}, proven);
  BOOST_TEST(
      proven.banks[0].reason ==
      "bank 9: no allocation of 2 spare rows and 2 spare columns covers the 5 failing cells left after "
      "must-repair");
  BOOST_TEST(proven.banks[0].method == RepairMethod::exact);

  // A column short of a spare: column 3 has 2 cells with 1 spare row, and the one spare column went to
  // column 1 first.
  const std::vector<RepairCell> columns = {cell(7, 0, 1), cell(7, 1, 1), cell(7, 5, 3), cell(7, 6, 3)};
  const RepairPlan short_column = analyse_repair(columns, {.rows = 1, .columns = 1});
  check_plan(columns, {1, 1}, short_column);
  BOOST_TEST(
      short_column.banks[0].reason ==
      "bank 7: column 3 needs a spare column (2 failing cells, more than the 1 spare row left) but none is "
      "left");
  BOOST_TEST(short_column.banks[0].columns == std::vector<std::uint32_t>{1});
  BOOST_TEST(short_column.banks[0].must_columns == 1u);
  BOOST_TEST(short_column.banks[0].method == RepairMethod::must_repair);
}

BOOST_AUTO_TEST_CASE(huge_budgets_do_not_overflow) {
  constexpr std::uint32_t kMax = std::numeric_limits<std::uint32_t>::max();
  std::vector<RepairCell> diagonal;
  for (std::uint32_t i = 0; i < 5; ++i) diagonal.push_back(cell(kMax, kMax - i, kMax - i));
  // Five cells that share no line need five spares, whatever the budget.
  const RepairPlan both = analyse_repair(diagonal, {.rows = kMax, .columns = kMax});
  check_plan(diagonal, {kMax, kMax}, both);
  BOOST_TEST(both.repairable);
  BOOST_TEST(both.rows_used + both.columns_used == 5u);
  BOOST_TEST(both.banks[0].bank == kMax);
  // With no spare column every row is must-repair.
  const RepairPlan rows_only = analyse_repair(diagonal, {.rows = kMax, .columns = 0});
  check_plan(diagonal, {kMax, 0}, rows_only);
  BOOST_TEST(rows_only.rows_used == 5u);
  BOOST_TEST(rows_only.banks[0].method == RepairMethod::must_repair);
}

BOOST_AUTO_TEST_CASE(duplicates_count_once_and_order_does_not_matter) {
  const std::vector<RepairCell> clean = trap(2, true);
  std::vector<RepairCell> messy = clean;
  messy.insert(messy.end(), clean.begin(), clean.end());
  messy.push_back(clean[3]);
  std::mt19937 rng(7);
  std::shuffle(messy.begin(), messy.end(), rng);
  const RepairPlan a = analyse_repair(clean, kTrapBudget);
  const RepairPlan b = analyse_repair(messy, kTrapBudget);
  check_plan(messy, kTrapBudget, b);
  BOOST_TEST(b.failing_cells == clean.size());
  BOOST_TEST(b.banks[0].failing_cells == clean.size());
  BOOST_TEST(repair_plan_json(a, kTrapBudget) == repair_plan_json(b, kTrapBudget));

  const std::vector<RepairCell> same = {cell(1, 2, 3), cell(1, 2, 3), cell(1, 2, 3)};
  const RepairPlan one = analyse_repair(same, {.rows = 1, .columns = 0});
  BOOST_TEST(one.failing_cells == 1u);
  BOOST_TEST(one.banks[0].rows == std::vector<std::uint32_t>{2});
}

BOOST_AUTO_TEST_CASE(banks_are_analysed_independently) {
  // Bank 7 is unrepairable, banks 0 and 3 are not; the same row and column numbers in several banks do
  // not interact.
  std::vector<RepairCell> cells = {cell(7, 0, 0), cell(7, 1, 1), cell(7, 2, 2), cell(3, 0, 0),
                                   cell(3, 0, 9), cell(0, 1, 1), cell(0, 2, 1), cell(0, 0, 0)};
  const SpareBudget budget{.rows = 1, .columns = 1};
  const RepairPlan plan = analyse_repair(cells, budget);
  check_plan(cells, budget, plan);
  BOOST_REQUIRE_EQUAL(plan.banks.size(), 3u);
  BOOST_TEST(plan.banks[0].bank == 0u);
  BOOST_TEST(plan.banks[1].bank == 3u);
  BOOST_TEST(plan.banks[2].bank == 7u);
  BOOST_TEST(!plan.repairable);
  BOOST_TEST(plan.unrepairable_banks == 1u);
  BOOST_TEST(plan.banks[0].repairable);
  BOOST_TEST(plan.banks[1].repairable);
  BOOST_TEST(!plan.banks[2].repairable);
  // Bank 0: column 1 holds two cells (> 1 spare row): must-repair; then (0,0) takes the spare row.
  BOOST_TEST(plan.banks[0].columns == std::vector<std::uint32_t>{1});
  BOOST_TEST(plan.banks[0].rows == std::vector<std::uint32_t>{0});
  // Bank 3: row 0 holds two cells (> 1 spare column).
  BOOST_TEST(plan.banks[1].rows == std::vector<std::uint32_t>{0});
  BOOST_TEST(plan.banks[1].columns.empty());

  for (const BankRepair& b : plan.banks) {
    std::vector<RepairCell> alone;
    for (const RepairCell& c : cells)
      if (c.bank == b.bank) alone.push_back(c);
    const RepairPlan single = analyse_repair(alone, budget);
    BOOST_REQUIRE_EQUAL(single.banks.size(), 1u);
    BOOST_TEST(single.banks[0].rows == b.rows);
    BOOST_TEST(single.banks[0].columns == b.columns);
    BOOST_TEST(single.banks[0].reason == b.reason);
  }
  CHECK_STARTS_WITH(summary(plan), "not repairable: bank 7: ");
  CHECK_LACKS(summary(plan), "more bank");

  cells.push_back(cell(12, 0, 0));
  cells.push_back(cell(12, 1, 1));
  cells.push_back(cell(12, 2, 2));
  const RepairPlan two = analyse_repair(cells, budget);
  BOOST_TEST(two.unrepairable_banks == 2u);
  CHECK_STARTS_WITH(summary(two), "not repairable: bank 7: ");
  CHECK_CONTAINS(summary(two), "; 1 more bank unrepairable");
}

BOOST_AUTO_TEST_CASE(summaries_count_the_spares_and_the_banks) {
  // 3 + 1 spares. Bank 1: rows 3 and 4 each hold 3 cells (> 1 spare column): two must-repair rows.
  std::vector<RepairCell> cells;
  for (std::uint32_t c = 0; c < 3; ++c) {
    cells.push_back(cell(1, 3, c));
    cells.push_back(cell(1, 4, c + 10));
  }
  // Bank 2: row 9 holds 2 cells (> 1 spare column) and takes a spare row; then column 6 holds 4 cells
  // (> the 2 spare rows left) and takes the spare column.
  for (std::uint32_t r = 0; r < 4; ++r) cells.push_back(cell(2, r, 6));
  cells.push_back(cell(2, 9, 0));
  cells.push_back(cell(2, 9, 1));
  const RepairPlan plan = analyse_repair(cells, {.rows = 3, .columns = 1});
  check_plan(cells, {3, 1}, plan);
  BOOST_TEST(plan.rows_used == 3u);
  BOOST_TEST(plan.columns_used == 1u);
  BOOST_TEST(summary(plan) == "repairable: 3 spare rows and 1 spare column in 2 banks");
}

BOOST_AUTO_TEST_CASE(the_exact_search_matches_exhaustive_enumeration) {
  std::mt19937 rng(20240611);
  std::uniform_int_distribution<std::uint32_t> coordinate(0, 7);
  std::uniform_int_distribution<std::uint32_t> spare(0, 3);
  std::uniform_int_distribution<int> count(1, 10);
  int repairable = 0;
  int trials = 0;
  for (; trials < 3000; ++trials) {
    std::vector<RepairCell> cells;
    const int n = count(rng);
    for (int i = 0; i < n; ++i) cells.push_back(cell(0, coordinate(rng), coordinate(rng)));
    const SpareBudget budget{.rows = spare(rng), .columns = spare(rng)};
    std::sort(cells.begin(), cells.end());
    cells.erase(std::unique(cells.begin(), cells.end()), cells.end());
    const int minimum = exhaustive_minimum(cells, budget);
    repairable += minimum >= 0 ? 1 : 0;

    BOOST_TEST_CONTEXT("trial " << trials << ", " << cells.size() << " cells, budget " << budget.rows << "+"
                                << budget.columns) {
      const RepairPlan exact = analyse_repair(cells, budget);
      check_plan(cells, budget, exact);
      BOOST_TEST(exact.repairable == (minimum >= 0));
      if (minimum >= 0) {
        BOOST_TEST(exact.rows_used + exact.columns_used == static_cast<std::uint64_t>(minimum));
        BOOST_TEST(exact.banks[0].optimal);
      }
      // Repair-most first: never fewer spares than the least, and never unrepairable when it is not (the
      // exact search runs when repair-most fails).
      const RepairPlan greedy = analyse_repair(cells, budget, {.exact_limit = 0});
      check_plan(cells, budget, greedy);
      BOOST_TEST(greedy.repairable == (minimum >= 0));
      if (minimum >= 0)
        BOOST_TEST(greedy.rows_used + greedy.columns_used >= static_cast<std::uint64_t>(minimum));
    }
  }
  // The random sets must exercise both outcomes.
  BOOST_TEST_MESSAGE(repairable << " of " << trials << " random fault sets repairable");
  BOOST_TEST(repairable > trials / 10);
  BOOST_TEST(repairable < trials * 9 / 10);
}

BOOST_AUTO_TEST_CASE(the_exact_search_matches_exhaustive_enumeration_on_larger_banks) {
  // Up to 32 cells in a 16 × 16 bank with 1 to 6 spares of each kind. Even trials scatter cells at
  // random (few lines forced, so the search does the work); odd ones build them on a hidden cover of
  // budget-many lines, with a little noise. The hardest case is reported.
  std::mt19937 rng(99);
  std::uniform_int_distribution<std::uint32_t> coordinate(0, 15);
  std::uniform_int_distribution<std::uint32_t> spare(1, 6);
  std::uniform_int_distribution<std::size_t> size(8, 32);
  std::uint64_t most_nodes = 0;
  double slowest_ms = 0;
  int repairable = 0;
  const int trials = 400;
  for (int trial = 0; trial < trials; ++trial) {
    const SpareBudget budget{.rows = spare(rng), .columns = spare(rng)};
    const std::size_t target = size(rng);
    std::vector<RepairCell> cells;
    std::vector<std::uint32_t> rows;
    std::vector<std::uint32_t> columns;
    for (std::uint32_t i = 0; i < budget.rows; ++i) rows.push_back(coordinate(rng));
    for (std::uint32_t i = 0; i < budget.columns; ++i) columns.push_back(coordinate(rng));
    while (cells.size() < target) {
      if (trial % 2 == 0 || rng() % 10 == 0)
        cells.push_back(cell(0, coordinate(rng), coordinate(rng)));
      else if (rng() % 2 == 0)
        cells.push_back(cell(0, rows[rng() % rows.size()], coordinate(rng)));
      else
        cells.push_back(cell(0, coordinate(rng), columns[rng() % columns.size()]));
      std::sort(cells.begin(), cells.end());
      cells.erase(std::unique(cells.begin(), cells.end()), cells.end());
    }
    const int minimum = exhaustive_minimum(cells, budget);
    repairable += minimum >= 0 ? 1 : 0;
    BOOST_TEST_CONTEXT("trial " << trial << ", " << cells.size() << " cells, budget " << budget.rows << "+"
                                << budget.columns) {
      const auto start = std::chrono::steady_clock::now();
      const RepairPlan plan = analyse_repair(cells, budget);
      const double ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      slowest_ms = std::max(slowest_ms, ms);
      check_plan(cells, budget, plan);
      BOOST_TEST(plan.repairable == (minimum >= 0));
      if (minimum >= 0) {
        BOOST_TEST(plan.rows_used + plan.columns_used == static_cast<std::uint64_t>(minimum));
        BOOST_TEST(plan.banks[0].optimal);
      }
      most_nodes = std::max(most_nodes, plan.banks[0].search_nodes);
    }
  }
  BOOST_TEST_MESSAGE("larger banks: " << repairable << " of " << trials << " repairable; hardest search "
                                      << most_nodes << " nodes; slowest bank " << slowest_ms << " ms");
  BOOST_TEST(repairable > trials / 10);
  BOOST_TEST(repairable < trials * 9 / 10);
  BOOST_TEST(most_nodes > 1u);  // some trials must have needed the search to branch
}

BOOST_AUTO_TEST_CASE(repair_most_gives_a_valid_plan_for_thousands_of_cells) {
  // 256 banks of 256 rows × 128 columns with 8 + 8 spares. Each bank's cells lie on at most 8 rows and
  // 8 columns chosen at random, so every bank is repairable; lines with many cells become must-repair,
  // and with no exact limit the rest goes to repair-most.
  const SpareBudget budget{.rows = 8, .columns = 8};
  std::mt19937 rng(1234);
  std::vector<RepairCell> cells;
  for (std::uint32_t bank = 0; bank < 256; ++bank) {
    const std::uint32_t n_rows = rng() % 9;
    const std::uint32_t n_columns = rng() % 9;
    for (std::uint32_t i = 0; i < n_rows; ++i) {
      const std::uint32_t row = rng() % 256;
      const std::uint32_t hits = 1 + rng() % 12;
      for (std::uint32_t k = 0; k < hits; ++k) cells.push_back(cell(bank, row, rng() % 128));
    }
    for (std::uint32_t i = 0; i < n_columns; ++i) {
      const std::uint32_t column = rng() % 128;
      const std::uint32_t hits = 1 + rng() % 12;
      for (std::uint32_t k = 0; k < hits; ++k) cells.push_back(cell(bank, rng() % 256, column));
    }
  }
  // And 16 banks where repair-most runs out of spares, for the exact search: the trap at 8 + 8. Row 0
  // holds 8 cells, in columns 0-7, and each of those columns one more (rows 1-8); rows 100-107 hold 8
  // cells each in columns of their own. All 16 spares are needed (those 16 lines each hold a cell no
  // other of them does) and suffice: rows 100-107 and columns 0-7. Repair-most takes row 0 first (the
  // lowest of the rows with most cells), so one of rows 100-107 finds no spare row left.
  for (std::uint32_t bank = 256; bank < 272; ++bank) {
    for (std::uint32_t c = 0; c < 8; ++c) {
      cells.push_back(cell(bank, 0, c));
      cells.push_back(cell(bank, 1 + c, c));
    }
    for (std::uint32_t r = 0; r < 8; ++r)
      for (std::uint32_t c = 0; c < 8; ++c) cells.push_back(cell(bank, 100 + r, 16 + 8 * r + c));
  }
  BOOST_TEST_REQUIRE(cells.size() > 5000u);

  const auto start = std::chrono::steady_clock::now();
  const RepairPlan plan = analyse_repair(cells, budget, {.exact_limit = 0});
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  check_plan(cells, budget, plan);
  BOOST_TEST(plan.repairable, summary(plan));
  std::map<RepairMethod, int> methods;
  std::uint64_t nodes = 0;
  for (const BankRepair& b : plan.banks) {
    ++methods[b.method];
    nodes += b.search_nodes;
  }
  BOOST_TEST(methods[RepairMethod::greedy] > 100);
  BOOST_TEST(methods[RepairMethod::exact] >= 16);
  BOOST_TEST_MESSAGE("repair-most: " << plan.failing_cells << " cells in " << plan.banks.size()
                                     << " banks in " << ms << " ms (" << methods[RepairMethod::greedy]
                                     << " greedy, " << methods[RepairMethod::must_repair] << " must-repair, "
                                     << methods[RepairMethod::exact] << " exact after repair-most failed, "
                                     << nodes << " search nodes); " << summary(plan));
  BOOST_TEST(ms < 10'000.0);
}

BOOST_AUTO_TEST_CASE(the_plan_as_json_round_trips) {
  std::vector<RepairCell> cells = trap(1, false);
  cells.push_back(cell(6, 0, 0));
  cells.push_back(cell(6, 1, 1));
  cells.push_back(cell(6, 2, 2));
  cells.push_back(cell(6, 3, 3));
  cells.push_back(cell(6, 4, 4));
  cells.push_back(cell(6, 5, 5));
  cells.push_back(cell(6, 6, 6));
  const RepairPlan plan = analyse_repair(cells, kTrapBudget);
  BOOST_REQUIRE_EQUAL(plan.banks.size(), 2u);

  const nlohmann::json j = nlohmann::json::parse(repair_plan_json(plan, kTrapBudget));
  BOOST_TEST(j.at("repairable").get<bool>() == false);
  BOOST_TEST(j.at("failing_cells").get<std::size_t>() == 16u);
  BOOST_TEST(j.at("rows_used").get<std::uint64_t>() == plan.rows_used);
  BOOST_TEST(j.at("columns_used").get<std::uint64_t>() == plan.columns_used);
  BOOST_TEST(j.at("unrepairable_banks").get<std::uint32_t>() == 1u);
  BOOST_TEST(j.at("spares_per_bank").at("rows").get<std::uint32_t>() == 2u);
  BOOST_TEST(j.at("spares_per_bank").at("columns").get<std::uint32_t>() == 3u);
  BOOST_REQUIRE_EQUAL(j.at("banks").size(), 2u);

  const nlohmann::json& good = j.at("banks").at(0);
  BOOST_TEST(good.at("bank").get<std::uint32_t>() == 1u);
  BOOST_TEST(good.at("failing_cells").get<std::size_t>() == 9u);
  BOOST_TEST(good.at("rows").get<std::vector<std::uint32_t>>() == std::vector<std::uint32_t>{4});
  BOOST_TEST(good.at("columns").get<std::vector<std::uint32_t>>() == (std::vector<std::uint32_t>{0, 1, 2}));
  BOOST_TEST(good.at("must_rows").get<std::size_t>() == 0u);
  BOOST_TEST(good.at("must_columns").get<std::size_t>() == 0u);
  BOOST_TEST(good.at("repairable").get<bool>() == true);
  BOOST_TEST(good.at("optimal").get<bool>() == true);
  BOOST_TEST(good.at("method").get<std::string>() == "exact");
  BOOST_TEST(good.at("search_nodes").get<std::uint64_t>() == plan.banks[0].search_nodes);
  BOOST_TEST(!good.contains("reason"));
  BOOST_TEST(!good.contains("note"));

  // Seven cells on a diagonal with 2 + 3 spares pass the quick check (7 <= 2 · 2 · 3), but seven cells
  // that share no line need seven spares.
  const nlohmann::json& bad = j.at("banks").at(1);
  BOOST_TEST(bad.at("bank").get<std::uint32_t>() == 6u);
  BOOST_TEST(bad.at("repairable").get<bool>() == false);
  BOOST_TEST(bad.at("rows").empty());
  BOOST_TEST(bad.at("columns").empty());
  BOOST_TEST(bad.at("optimal").get<bool>() == false);
  BOOST_TEST(bad.at("method").get<std::string>() == "exact");
  BOOST_TEST(bad.at("reason").get<std::string>() == plan.banks[1].reason);
  CHECK_STARTS_WITH(bad.at("reason").get<std::string>(),
                    "bank 6: no allocation of 2 spare rows and 3 spare columns");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval::memory

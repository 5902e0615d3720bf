// The fail bitmap: the artifact every memory test writes. It holds each failing cell (one bit of a
// 64-bit word) with its logical address, its physical location, what was expected and read, and which
// test step read it wrong; and it sorts the cells into failure shapes. A pure data structure: no device
// access.
//
//   memory::FailBitmap bitmap(geometry);
//   chip::MarchResult r = chip::run_march(alg, memory, options);
//   bitmap.add_march_fails(r.fails, alg, memory::describe_background(options.background));
//   bitmap.add_read(word, 0x0, read, "zeros", "", "solid 0x0000000000000000");   // a pattern test
//   for (const memory::ShapeGroup& g : bitmap.classify())
//     log::info("{} {} ({} cells)", memory::to_string(g.shape), g.where, g.cells.size());
//   ctx.attach("fail_bitmap", bitmap.to_json());
//
// Cells are kept sorted by address, then bit, and each cell once, whatever order the reads came in; a
// cell read wrong again only has its fail_count raised. Order matters in two places only: a cell read
// wrong by several reads is described by the first, and a full bitmap keeps the cells that came first.
//
// Shapes. classify() puts every kept cell into exactly one group. Each bank (flat bank index) is looked
// at on its own; a "line" below is a row or a word column of that bank. With the default ShapeRules:
//
//   row       a row whose failing cells lie in >= 4 distinct word columns (a wordline failure);
//             the group is every failing cell of the row.
//   column    among cells not in a row group: a bitline (word column and bit) failing in >= 4 distinct
//             rows. The group is the cells of every such bitline of one word column (a column-select
//             failure takes all bits of the column: one group, not 64).
//   bank      the whole bank is one group, taking its rows and columns too, when either
//               - it has >= 8 row and column groups (more lines than independent defects explain), or
//               - the cells outside row and column groups lie in >= 8 distinct rows, >= 8 distinct word
//                 columns and >= 16 distinct words that are also >= 1/1024 of the bank's words (a
//                 bank-wide scatter; the density keeps a sprinkle of weak cells in a large bank, which
//                 ECC corrects, single bits).
//   cluster   among what is left: words that chain together with at most 2 rows and 2 columns between
//             neighbours, when the chain holds >= 3 cells in >= 2 words (a local defect). Bit positions
//             play no part: the bits of a word are not physically adjacent.
//   words     the rest, per word: 1 failing bit is single-bit, 2 double-bit-word (the shape SECDED
//             detects but cannot correct), 3 or more multi-bit-word.
//
// So the priority is bank > row > column > cluster > word shapes. Classification costs O(n log n) in
// the number of cells: a full 65536-cell map takes about a tenth of a second.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <seedval/chip/geometry.h>
#include <seedval/chip/march.h>

namespace seedval::memory {

/// One failing cell: one bit of one word.
struct FailingCell {
  std::uint64_t address = 0;       ///< byte address of the word (word index × 8)
  std::uint8_t bit = 0;            ///< 0..63
  chip::PhysicalAddress location;  ///< where the word is
  std::uint32_t bank = 0;          ///< flat bank index (chip::HbmGeometry::bank_index)
  bool expected = false;           ///< the bit that was written
  bool read = false;               ///< the bit that was read
  std::string test;                ///< algorithm or pattern, e.g. "March C-" or "checkerboard"
  std::string element;             ///< e.g. "M2 ⇑(r1,w0) op 0 (r1)"; empty for a pattern test
  std::string background;          ///< e.g. "solid 0x0000000000000000"
  std::uint32_t fail_count = 1;    ///< failing reads of this cell seen (the first one is described)
};

enum class FailShape { single_bit, double_bit_word, multi_bit_word, row, column, cluster, bank };

/// "single-bit", "double-bit-word", "multi-bit-word", "row", "column", "cluster", "bank".
std::string_view to_string(FailShape shape) noexcept;

/// Cells that fail together.
struct ShapeGroup {
  FailShape shape = FailShape::single_bit;
  std::uint32_t bank = 0;          ///< flat bank index
  std::vector<std::size_t> cells;  ///< indexes into FailBitmap::cells(), ascending
  /// Where, starting with the bank: "s0.ch1.b3" (bank), "s0.ch1.b3 row 17", "s0.ch1.b3 column 5 bit 12"
  /// or "s0.ch1.b3 column 5, 64 bits", "s0.ch1.b3 rows 16-18 columns 4-6" (a cluster; "row 16" or
  /// "column 4" when it spans one), and for word shapes the word: "s0.ch1.b3.r0017.c005 bit 12",
  /// "s0.ch1.b3.r0017.c005 bits 3,12", "s0.ch1.b3.r0017.c005 5 bits".
  std::string where;
};

/// The thresholds of classify(); the defaults are the rules of the header comment.
struct ShapeRules {
  std::uint32_t row_min_columns = 4;      ///< distinct word columns failing in one row
  std::uint32_t column_min_rows = 4;      ///< distinct rows failing on one bitline
  std::uint32_t bank_min_lines = 8;       ///< row and column groups in one bank
  std::uint32_t bank_min_rows = 8;        ///< scatter: distinct rows outside row and column groups ...
  std::uint32_t bank_min_columns = 8;     ///< ... distinct word columns ...
  std::uint32_t bank_min_words = 16;      ///< ... and distinct words, at least this many ...
  double bank_min_fraction = 1.0 / 1024;  ///< ... and at least this fraction of the bank's words
  std::uint32_t cluster_reach = 2;        ///< rows and columns between neighbouring words (cost ~ reach²)
  std::uint32_t cluster_min_cells = 3;    ///< cells in a cluster (which also needs >= 2 words)
};

/// "solid 0x0000000000000000" for a background without an invert mask, else
/// "0x5555555555555555 inverted by parity of word & 0x0000000000000201".
std::string describe_background(const chip::DataBackground& background);

/// The failing cells of one test run, and their shapes.
///
/// Const members may be called from several threads at once (the first of them after an addition
/// sorts the new cells, under a lock); additions need the bitmap to themselves.
class FailBitmap {
 public:
  /// A bitmap for a device of `geometry` that keeps at most `max_cells` cells. Throws
  /// InvalidArgumentError if the geometry is not valid (chip::HbmGeometry::validate).
  explicit FailBitmap(const chip::HbmGeometry& geometry, std::size_t max_cells = 65536);

  /// Copies and moves; a moved-from bitmap keeps its geometry and max_cells and holds nothing.
  FailBitmap(const FailBitmap& other);
  FailBitmap(FailBitmap&& other) noexcept;
  FailBitmap& operator=(const FailBitmap& other);
  FailBitmap& operator=(FailBitmap&& other) noexcept;
  ~FailBitmap() = default;

  /// Records one failing read of word index `word`: every bit where `expected` and `actual` differ is a
  /// failing cell. A cell already recorded only has its fail_count raised. Beyond max_cells new cells
  /// are counted (dropped_cells) but not kept. A read with expected == actual records nothing. Throws
  /// InvalidArgumentError, recording nothing, if `word` lies outside the HBM of the geometry.
  void add_read(std::uint64_t word, std::uint64_t expected, std::uint64_t actual, std::string_view test,
                std::string_view element, std::string_view background);

  /// Records the failing reads of a march run with `algorithm`: the test is the algorithm's name (its
  /// notation if it has none) and each element is described as "M<element> <notation of the element>
  /// op <op> (<op>)", both indexes from 0 as in chip::MarchFail, e.g. "M2 ⇑(r1,w0) op 0 (r1)". Throws
  /// InvalidArgumentError, recording nothing, if a fail names an element or operation the algorithm
  /// lacks or one that is not a read, or a word outside the HBM.
  void add_march_fails(std::span<const chip::MarchFail> fails, const chip::MarchAlgorithm& algorithm,
                       std::string_view background);

  /// The kept cells, sorted by address then bit, each once.
  const std::vector<FailingCell>& cells() const;
  /// Failing reads recorded (reads with at least one failing bit, kept or not).
  std::uint64_t failing_reads() const noexcept { return state_.failing_reads; }
  /// Failing bits that found the bitmap full. A dropped cell read wrong twice counts twice.
  std::uint64_t dropped_cells() const noexcept { return state_.dropped_cells; }
  /// True if cells were dropped: cells() is then not the whole picture.
  bool truncated() const noexcept { return state_.dropped_cells > 0; }
  /// Distinct words among the kept cells.
  std::size_t failing_words() const;
  std::size_t max_cells() const noexcept { return state_.max_cells; }
  const chip::HbmGeometry& geometry() const noexcept { return state_.geometry; }

  /// Puts every kept cell into exactly one group (see the header comment). Groups come ordered by bank,
  /// then by their first cell.
  std::vector<ShapeGroup> classify(const ShapeRules& rules = {}) const;

  /// The bitmap as a JSON object, indented by 2 with one cell or shape per line, no trailing newline:
  ///   {"geometry": {"stacks", "channels", "banks", "rows", "columns"},
  ///    "failing_cells", "failing_words", "failing_reads", "truncated", "dropped_cells",
  ///    "cells": [{"address": "0x...", "bit", "stack", "channel", "bank", "row", "column", "flat_bank",
  ///               "expected", "read", "test", "element", "background", "fail_count"}],
  ///    "shapes": [{"shape", "bank", "where", "cells", "first": {"address", "bit", "stack", "channel",
  ///                "bank", "row", "column"}}],
  ///    "shape_counts": {"single-bit": n, ...}}
  /// "expected" and "read" are 0 or 1; "shapes" is classify() with the default rules, "cells" there is
  /// the group's cell count and "first" its first cell; "shape_counts" counts groups and names every
  /// shape, with 0 for those absent.
  std::string to_json() const;

 private:
  struct State {
    chip::HbmGeometry geometry;
    std::size_t max_cells = 0;
    // [0, sorted) in (address, bit) order; [sorted, end) new cells in arrival order, found by tail.
    std::vector<FailingCell> cells;
    std::size_t sorted = 0;
    std::unordered_map<std::uint64_t, std::size_t> tail;  // cell key -> index into cells
    std::size_t words = 0;                                // distinct words of [0, sorted)
    std::uint64_t failing_reads = 0;
    std::uint64_t dropped_cells = 0;
  };

  void check_word(std::uint64_t word) const;
  void clear() noexcept;  // what a moved-from bitmap holds
  FailingCell* find(std::uint64_t key);
  const State& settled() const;  // merges the new cells in order, under the lock

  mutable State state_;
  mutable std::mutex mutex_;
};

}  // namespace seedval::memory

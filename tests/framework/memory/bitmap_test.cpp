// Tests for seedval/memory/bitmap.h: failing cells land at the physical location the address map gives,
// repeated and dropped cells are counted, the JSON artifact carries every field, and each failure shape
// is recognised with every cell in exactly one group.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <seedval/chip/geometry.h>
#include <seedval/chip/march.h>
#include <seedval/core/error.h>
#include <seedval/memory/bitmap.h>

#include "support/errors.h"

namespace seedval::memory {
namespace {

// 2 stacks × 4 channels × 8 banks × 256 rows × 128 columns.
const chip::HbmGeometry kGeometry = chip::HbmGeometry::for_size(16 << 20);

std::uint64_t word_at(std::uint32_t stack, std::uint32_t channel, std::uint32_t bank, std::uint32_t row,
                      std::uint32_t column) {
  return kGeometry.to_word({.stack = stack, .channel = channel, .bank = bank, .row = row, .column = column});
}

std::uint64_t bit(unsigned b) {
  return std::uint64_t{1} << b;
}

void add(FailBitmap& bitmap, std::uint64_t word, std::uint64_t bits) {
  bitmap.add_read(word, 0, bits, "zeros", "", "solid 0x0000000000000000");
}

// Every kept cell is in exactly one group, and the groups' cell lists are ascending.
void check_partition(const std::vector<ShapeGroup>& groups, std::size_t cells) {
  std::vector<int> seen(cells, 0);
  for (const ShapeGroup& g : groups) {
    BOOST_TEST(!g.cells.empty());
    BOOST_TEST(std::is_sorted(g.cells.begin(), g.cells.end()));
    for (std::size_t i : g.cells) {
      BOOST_REQUIRE(i < cells);
      ++seen[i];
    }
  }
  BOOST_TEST(std::count(seen.begin(), seen.end(), 1) == static_cast<std::ptrdiff_t>(cells));
}

std::size_t count_shape(const std::vector<ShapeGroup>& groups, FailShape shape) {
  return static_cast<std::size_t>(
      std::count_if(groups.begin(), groups.end(), [&](const ShapeGroup& g) { return g.shape == shape; }));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(memory_bitmap)

BOOST_AUTO_TEST_CASE(a_single_failing_bit_has_its_exact_physical_location) {
  const chip::PhysicalAddress p{.stack = 1, .channel = 2, .bank = 5, .row = 17, .column = 33};
  // The documented map, from bit 0: column[1:0], channel (2 bits), stack (1), bank (3), column[6:2] (5),
  // row (8).
  const std::uint64_t word = (33u & 3u) | (2u << 2) | (1u << 4) | (5u << 5) | ((33u >> 2) << 8) | (17u << 13);
  BOOST_TEST(kGeometry.to_word(p) == word);
  BOOST_TEST((kGeometry.to_physical(word) == p));

  FailBitmap bitmap(kGeometry);
  bitmap.add_read(word, 0xFFFFFFFFFFFFFFFFull, 0xFFFFFFFFFFFFFFFFull ^ bit(13), "ones", "",
                  "solid 0xffffffffffffffff");
  BOOST_REQUIRE(bitmap.cells().size() == 1u);
  const FailingCell& c = bitmap.cells()[0];
  BOOST_TEST(c.address == word * 8);
  BOOST_TEST(c.bit == 13u);
  BOOST_TEST((c.location == p));
  BOOST_TEST(c.bank == (1u * 4 + 2) * 8 + 5);
  BOOST_TEST(c.expected == true);
  BOOST_TEST(c.read == false);
  BOOST_TEST(c.test == "ones");
  BOOST_TEST(c.element == "");
  BOOST_TEST(c.background == "solid 0xffffffffffffffff");
  BOOST_TEST(c.fail_count == 1u);
  BOOST_TEST(bitmap.failing_reads() == 1u);
  BOOST_TEST(bitmap.failing_words() == 1u);
  BOOST_TEST(!bitmap.truncated());

  const std::vector<ShapeGroup> groups = bitmap.classify();
  BOOST_REQUIRE(groups.size() == 1u);
  BOOST_TEST((groups[0].shape == FailShape::single_bit));
  BOOST_TEST(groups[0].bank == 53u);
  BOOST_TEST(groups[0].where == "s1.ch2.b5.r0017.c033 bit 13");

  const auto j = nlohmann::json::parse(bitmap.to_json());
  BOOST_TEST(j["geometry"]["stacks"] == 2);
  BOOST_TEST(j["geometry"]["channels"] == 4);
  BOOST_TEST(j["geometry"]["banks"] == 8);
  BOOST_TEST(j["geometry"]["rows"] == 256);
  BOOST_TEST(j["geometry"]["columns"] == 128);
  BOOST_TEST(j["failing_cells"] == 1);
  BOOST_TEST(j["failing_words"] == 1);
  BOOST_TEST(j["failing_reads"] == 1);
  BOOST_TEST(j["truncated"] == false);
  BOOST_TEST(j["dropped_cells"] == 0);
  BOOST_REQUIRE(j["cells"].size() == 1u);
  const auto& cell = j["cells"][0];
  BOOST_TEST(cell.size() == 14u);
  BOOST_TEST(cell["address"] == fmt::format("0x{:x}", word * 8));
  BOOST_TEST(cell["bit"] == 13);
  BOOST_TEST(cell["stack"] == 1);
  BOOST_TEST(cell["channel"] == 2);
  BOOST_TEST(cell["bank"] == 5);
  BOOST_TEST(cell["row"] == 17);
  BOOST_TEST(cell["column"] == 33);
  BOOST_TEST(cell["flat_bank"] == 53);
  BOOST_TEST(cell["expected"] == 1);
  BOOST_TEST(cell["read"] == 0);
  BOOST_TEST(cell["test"] == "ones");
  BOOST_TEST(cell["element"] == "");
  BOOST_TEST(cell["background"] == "solid 0xffffffffffffffff");
  BOOST_TEST(cell["fail_count"] == 1);
  BOOST_REQUIRE(j["shapes"].size() == 1u);
  BOOST_TEST(j["shapes"][0]["shape"] == "single-bit");
  BOOST_TEST(j["shapes"][0]["bank"] == 53);
  BOOST_TEST(j["shapes"][0]["where"] == "s1.ch2.b5.r0017.c033 bit 13");
  BOOST_TEST(j["shapes"][0]["cells"] == 1);
  BOOST_TEST(j["shapes"][0]["first"]["row"] == 17);
  BOOST_TEST(j["shapes"][0]["first"]["column"] == 33);
  BOOST_TEST(j["shapes"][0]["first"]["bit"] == 13);
  const nlohmann::json counts = {{"single-bit", 1}, {"double-bit-word", 0}, {"multi-bit-word", 0},
                                 {"row", 0},        {"column", 0},          {"cluster", 0},
                                 {"bank", 0}};
  BOOST_TEST(j["shape_counts"] == counts);
}

BOOST_AUTO_TEST_CASE(two_bits_of_a_word_are_a_double_bit_word_and_three_a_multi_bit_word) {
  FailBitmap bitmap(kGeometry);
  add(bitmap, word_at(0, 0, 0, 10, 10), bit(40) | bit(3));
  add(bitmap, word_at(1, 3, 7, 200, 100), bit(0) | bit(1) | bit(63));
  BOOST_TEST(bitmap.cells().size() == 5u);
  BOOST_TEST(bitmap.failing_words() == 2u);
  const std::vector<ShapeGroup> groups = bitmap.classify();
  BOOST_REQUIRE(groups.size() == 2u);
  BOOST_TEST((groups[0].shape == FailShape::double_bit_word));
  BOOST_TEST(groups[0].cells.size() == 2u);
  BOOST_TEST(groups[0].where == "s0.ch0.b0.r0010.c010 bits 3,40");
  BOOST_TEST((groups[1].shape == FailShape::multi_bit_word));
  BOOST_TEST(groups[1].cells.size() == 3u);
  BOOST_TEST(groups[1].where == "s1.ch3.b7.r0200.c100 3 bits");
  check_partition(groups, bitmap.cells().size());
}

BOOST_AUTO_TEST_CASE(a_whole_row_of_one_bank_is_one_row_group) {
  FailBitmap bitmap(kGeometry);
  for (std::uint32_t col = 0; col < kGeometry.columns; ++col)
    bitmap.add_read(word_at(0, 1, 3, 17, col), ~std::uint64_t{0}, 0, "ones", "", "solid 0xffffffffffffffff");
  BOOST_TEST(bitmap.cells().size() == 128u * 64u);
  const std::vector<ShapeGroup> groups = bitmap.classify();
  BOOST_REQUIRE(groups.size() == 1u);
  BOOST_TEST((groups[0].shape == FailShape::row));
  BOOST_TEST(groups[0].bank == 11u);
  BOOST_TEST(groups[0].where == "s0.ch1.b3 row 17");
  BOOST_TEST(groups[0].cells.size() == 128u * 64u);
  check_partition(groups, bitmap.cells().size());
}

BOOST_AUTO_TEST_CASE(a_row_needs_four_failing_columns_unless_the_rules_say_otherwise) {
  FailBitmap bitmap(kGeometry);
  for (std::uint32_t col : {10u, 40u, 90u}) add(bitmap, word_at(0, 0, 1, 5, col), bit(2));
  const std::vector<ShapeGroup> by_default = bitmap.classify();
  BOOST_TEST(by_default.size() == 3u);
  BOOST_TEST(count_shape(by_default, FailShape::single_bit) == 3u);
  const std::vector<ShapeGroup> loose = bitmap.classify({.row_min_columns = 3});
  BOOST_REQUIRE(loose.size() == 1u);
  BOOST_TEST((loose[0].shape == FailShape::row));
  BOOST_TEST(loose[0].where == "s0.ch0.b1 row 5");
}

BOOST_AUTO_TEST_CASE(a_bitline_is_one_column_group_and_a_failing_column_select_another) {
  FailBitmap bitmap(kGeometry);
  // One bitline over every row of bank s1.ch0.b2.
  for (std::uint32_t row = 0; row < kGeometry.rows; ++row) add(bitmap, word_at(1, 0, 2, row, 9), bit(21));
  // Every bit of column 40 in 6 rows of bank s0.ch2.b6.
  for (std::uint32_t row = 100; row < 106; ++row) add(bitmap, word_at(0, 2, 6, row, 40), ~std::uint64_t{0});
  const std::vector<ShapeGroup> groups = bitmap.classify();
  BOOST_REQUIRE(groups.size() == 2u);
  const ShapeGroup& select = groups[0];  // flat bank 22 comes before 34
  const ShapeGroup& bitline = groups[1];
  BOOST_TEST((select.shape == FailShape::column));
  BOOST_TEST(select.bank == 22u);
  BOOST_TEST(select.where == "s0.ch2.b6 column 40, 64 bits");
  BOOST_TEST(select.cells.size() == 6u * 64u);
  BOOST_TEST((bitline.shape == FailShape::column));
  BOOST_TEST(bitline.bank == 34u);
  BOOST_TEST(bitline.where == "s1.ch0.b2 column 9 bit 21");
  BOOST_TEST(bitline.cells.size() == 256u);
  check_partition(groups, bitmap.cells().size());
}

BOOST_AUTO_TEST_CASE(a_bank_wide_scatter_is_one_bank_group) {
  FailBitmap bitmap(kGeometry);
  // 32 words, each alone in its row and column and 8 rows from the next: no row, column or cluster.
  for (std::uint32_t i = 0; i < 32; ++i) add(bitmap, word_at(0, 3, 7, i * 8, (i * 37) % 128), bit(i % 64));
  std::vector<ShapeGroup> groups = bitmap.classify();
  BOOST_REQUIRE(groups.size() == 1u);
  BOOST_TEST((groups[0].shape == FailShape::bank));
  BOOST_TEST(groups[0].bank == 31u);
  BOOST_TEST(groups[0].where == "s0.ch3.b7");
  BOOST_TEST(groups[0].cells.size() == 32u);

  // 31 such words are fewer than 1 in 1024 of the bank's 32768: a sprinkle of single bits.
  FailBitmap sparse(kGeometry);
  for (std::uint32_t i = 0; i < 31; ++i) add(sparse, word_at(0, 3, 7, i * 8, (i * 37) % 128), bit(i % 64));
  groups = sparse.classify();
  BOOST_TEST(groups.size() == 31u);
  BOOST_TEST(count_shape(groups, FailShape::single_bit) == 31u);
  // With a lower density threshold, 16 words over 16 rows and columns make a bank; 8 rows do not.
  BOOST_TEST(count_shape(sparse.classify({.bank_min_fraction = 0}), FailShape::bank) == 1u);
  FailBitmap few(kGeometry);
  for (std::uint32_t i = 0; i < 7; ++i) add(few, word_at(0, 3, 7, i * 8, (i * 37) % 128), bit(i % 64));
  BOOST_TEST(count_shape(few.classify({.bank_min_words = 1, .bank_min_fraction = 0}), FailShape::bank) == 0u);

  // Eight failing rows are more than independent defects explain: the bank takes them.
  FailBitmap rows(kGeometry);
  for (std::uint32_t r = 0; r < 8; ++r)
    for (std::uint32_t col = 0; col < 8; ++col) add(rows, word_at(1, 1, 1, r * 30, col * 16), bit(r));
  groups = rows.classify();
  BOOST_REQUIRE(groups.size() == 1u);
  BOOST_TEST((groups[0].shape == FailShape::bank));
  BOOST_TEST(groups[0].cells.size() == 64u);
  BOOST_TEST(rows.classify({.bank_min_lines = 9}).size() == 8u);
}

BOOST_AUTO_TEST_CASE(a_3x3_neighbourhood_is_a_cluster) {
  FailBitmap bitmap(kGeometry);
  for (std::uint32_t row = 100; row < 103; ++row)
    for (std::uint32_t col = 50; col < 53; ++col) add(bitmap, word_at(1, 3, 0, row, col), bit(7));
  std::vector<ShapeGroup> groups = bitmap.classify();
  BOOST_REQUIRE(groups.size() == 1u);
  BOOST_TEST((groups[0].shape == FailShape::cluster));
  BOOST_TEST(groups[0].where == "s1.ch3.b0 rows 100-102 columns 50-52");
  BOOST_TEST(groups[0].cells.size() == 9u);

  // Neighbours chain with up to 2 rows and columns between them; 3 apart they stand alone.
  FailBitmap chain(kGeometry);
  add(chain, word_at(0, 0, 4, 10, 10), bit(1));
  add(chain, word_at(0, 0, 4, 12, 12), bit(1));
  add(chain, word_at(0, 0, 4, 14, 14), bit(1));
  add(chain, word_at(0, 0, 4, 17, 17), bit(1));
  groups = chain.classify();
  BOOST_REQUIRE(groups.size() == 2u);
  BOOST_TEST((groups[0].shape == FailShape::cluster));
  BOOST_TEST(groups[0].where == "s0.ch0.b4 rows 10-14 columns 10-14");
  BOOST_TEST(groups[0].cells.size() == 3u);
  BOOST_TEST((groups[1].shape == FailShape::single_bit));

  // Two neighbouring single bits are not enough; a double bit beside a single bit is.
  FailBitmap pair(kGeometry);
  add(pair, word_at(0, 0, 4, 10, 10), bit(1));
  add(pair, word_at(0, 0, 4, 11, 10), bit(1));
  BOOST_TEST(count_shape(pair.classify(), FailShape::single_bit) == 2u);
  add(pair, word_at(0, 0, 4, 11, 10), bit(2));
  groups = pair.classify();
  BOOST_REQUIRE(groups.size() == 1u);
  BOOST_TEST((groups[0].shape == FailShape::cluster));
  BOOST_TEST(groups[0].where == "s0.ch0.b4 rows 10-11 column 10");
}

BOOST_AUTO_TEST_CASE(a_mixed_map_puts_every_cell_in_exactly_one_group) {
  FailBitmap bitmap(kGeometry);
  std::size_t expected_cells = 0;
  // Bank s0.ch0.b0: row 17 fails in every bit of every column; bitline (9, 5) fails in every row,
  // crossing the row (that cell belongs to the row).
  for (std::uint32_t col = 0; col < 128; ++col) add(bitmap, word_at(0, 0, 0, 17, col), ~std::uint64_t{0});
  for (std::uint32_t row = 0; row < 256; ++row) add(bitmap, word_at(0, 0, 0, row, 9), bit(5));
  expected_cells += 128 * 64 + 255;
  // Bank s0.ch0.b1: a 2x2 cluster, and apart from it a single, a double and a multi-bit word.
  for (std::uint32_t row = 40; row < 42; ++row)
    for (std::uint32_t col = 70; col < 72; ++col) add(bitmap, word_at(0, 0, 1, row, col), bit(60));
  add(bitmap, word_at(0, 0, 1, 200, 3), bit(0));
  add(bitmap, word_at(0, 0, 1, 150, 90), bit(8) | bit(9));
  add(bitmap, word_at(0, 0, 1, 5, 120), bit(10) | bit(20) | bit(30) | bit(40));
  expected_cells += 4 + 1 + 2 + 4;
  // Bank s1.ch1.b1: a scatter of 40 words, 6 rows apart.
  for (std::uint32_t i = 0; i < 40; ++i) add(bitmap, word_at(1, 1, 1, i * 6, (i * 53) % 128), bit(33));
  expected_cells += 40;
  // Bank s1.ch3.b7: a lone bit.
  add(bitmap, word_at(1, 3, 7, 255, 127), bit(63));
  expected_cells += 1;

  BOOST_TEST(bitmap.cells().size() == expected_cells);
  const std::vector<ShapeGroup> groups = bitmap.classify();
  check_partition(groups, bitmap.cells().size());
  BOOST_TEST(groups.size() == 8u);
  BOOST_TEST(count_shape(groups, FailShape::row) == 1u);
  BOOST_TEST(count_shape(groups, FailShape::column) == 1u);
  BOOST_TEST(count_shape(groups, FailShape::cluster) == 1u);
  BOOST_TEST(count_shape(groups, FailShape::bank) == 1u);
  BOOST_TEST(count_shape(groups, FailShape::single_bit) == 2u);
  BOOST_TEST(count_shape(groups, FailShape::double_bit_word) == 1u);
  BOOST_TEST(count_shape(groups, FailShape::multi_bit_word) == 1u);
  for (const ShapeGroup& g : groups) {
    BOOST_TEST_CONTEXT(g.where) {
      if (g.shape == FailShape::row) BOOST_TEST(g.cells.size() == 128u * 64u);
      if (g.shape == FailShape::column) BOOST_TEST(g.cells.size() == 255u);
      if (g.shape == FailShape::cluster) BOOST_TEST(g.cells.size() == 4u);
      if (g.shape == FailShape::bank) BOOST_TEST(g.cells.size() == 40u);
      for (std::size_t i : g.cells) BOOST_TEST(bitmap.cells()[i].bank == g.bank);
    }
  }
  // Groups come by bank.
  BOOST_TEST(std::is_sorted(groups.begin(), groups.end(),
                            [](const ShapeGroup& a, const ShapeGroup& b) { return a.bank < b.bank; }));

  const auto j = nlohmann::json::parse(bitmap.to_json());
  BOOST_TEST(j["shapes"].size() == 8u);
  BOOST_TEST(j["shape_counts"]["row"] == 1);
  BOOST_TEST(j["shape_counts"]["single-bit"] == 2);
  BOOST_TEST(j["cells"].size() == expected_cells);
}

BOOST_AUTO_TEST_CASE(repeated_reads_raise_fail_count_and_add_no_cells) {
  FailBitmap bitmap(kGeometry);
  const std::uint64_t w = word_at(0, 1, 2, 3, 4);
  bitmap.add_read(w, 0, bit(5) | bit(6), "March C-", "M1 ⇑(r0,w1) op 0 (r0)", "solid 0x0000000000000000");
  bitmap.add_read(w, 0, bit(5), "March C-", "M3 ⇓(r0,w1) op 0 (r0)", "solid 0x0000000000000000");
  bitmap.add_read(w, 0, bit(5) | bit(7), "March C-", "M5 ⇕(r0) op 0 (r0)", "solid 0x0000000000000000");
  bitmap.add_read(w, 0, 0, "March C-", "M5 ⇕(r0) op 0 (r0)", "solid 0x0000000000000000");  // passes
  BOOST_TEST(bitmap.failing_reads() == 3u);
  BOOST_REQUIRE(bitmap.cells().size() == 3u);
  const auto& cells = bitmap.cells();
  BOOST_TEST(cells[0].bit == 5u);
  BOOST_TEST(cells[0].fail_count == 3u);
  BOOST_TEST(cells[0].element == "M1 ⇑(r0,w1) op 0 (r0)");  // the first failing read describes it
  BOOST_TEST(cells[1].bit == 6u);
  BOOST_TEST(cells[1].fail_count == 1u);
  BOOST_TEST(cells[2].bit == 7u);
  BOOST_TEST(cells[2].fail_count == 1u);
  BOOST_TEST(cells[2].element == "M5 ⇕(r0) op 0 (r0)");
  BOOST_TEST(bitmap.failing_words() == 1u);
  const auto j = nlohmann::json::parse(bitmap.to_json());
  BOOST_TEST(j["cells"][0]["fail_count"] == 3);
  BOOST_TEST(j["failing_reads"] == 3);
}

BOOST_AUTO_TEST_CASE(cells_beyond_max_cells_are_counted_and_reported) {
  FailBitmap bitmap(kGeometry, 10);
  add(bitmap, word_at(0, 0, 0, 1, 1), 0xFFull);          // 8 cells kept
  add(bitmap, word_at(0, 0, 0, 2, 2), 0xFFull);          // 2 kept, 6 dropped
  add(bitmap, word_at(0, 0, 0, 1, 1), bit(0) | bit(9));  // bit 0 counted again, bit 9 dropped
  BOOST_TEST(bitmap.cells().size() == 10u);
  BOOST_TEST(bitmap.dropped_cells() == 7u);
  BOOST_TEST(bitmap.truncated());
  BOOST_TEST(bitmap.failing_reads() == 3u);
  BOOST_TEST(bitmap.cells()[0].fail_count == 2u);
  const auto j = nlohmann::json::parse(bitmap.to_json());
  BOOST_TEST(j["truncated"] == true);
  BOOST_TEST(j["dropped_cells"] == 7);
  BOOST_TEST(j["failing_cells"] == 10);
  BOOST_TEST(j["failing_words"] == 2);

  FailBitmap none(kGeometry, 0);
  add(none, 0, bit(1));
  BOOST_TEST(none.cells().empty());
  BOOST_TEST(none.truncated());
  BOOST_TEST(none.classify().empty());
}

BOOST_AUTO_TEST_CASE(march_fails_are_described_from_the_algorithm_notation) {
  const chip::MarchAlgorithm march_c =
      chip::parse_march("{b(w0);u(r0,w1);u(r1,w0);d(r0,w1);d(r1,w0);b(r0)}", "March C-");
  const std::uint64_t w = word_at(1, 0, 3, 77, 12);
  const std::vector<chip::MarchFail> fails = {
      {.word = w, .expected = ~std::uint64_t{0}, .actual = ~bit(4), .element = 2, .op = 0},
      {.word = w + 1, .expected = 0, .actual = bit(60), .element = 5, .op = 0},
  };
  FailBitmap bitmap(kGeometry);
  bitmap.add_march_fails(fails, march_c, describe_background(chip::DataBackground{}));
  BOOST_REQUIRE(bitmap.cells().size() == 2u);
  const FailingCell& first = bitmap.cells()[0];
  BOOST_TEST(first.address == w * 8);
  BOOST_TEST(first.bit == 4u);
  BOOST_TEST(first.test == "March C-");
  BOOST_TEST(first.element == "M2 ⇑(r1,w0) op 0 (r1)");
  BOOST_TEST(first.background == "solid 0x0000000000000000");
  BOOST_TEST(first.expected == true);
  BOOST_TEST(first.read == false);
  BOOST_TEST(bitmap.cells()[1].element == "M5 ⇕(r0) op 0 (r0)");

  // An unnamed algorithm is named by its notation; the op index picks the op.
  const chip::MarchAlgorithm unnamed = chip::parse_march("{u(w1);d(w0,r0,r0)}");
  FailBitmap other(kGeometry);
  other.add_march_fails(
      std::vector<chip::MarchFail>{{.word = 7, .expected = 0, .actual = 1, .element = 1, .op = 2}}, unnamed,
      describe_background({.pattern = 0x5555555555555555ull, .invert_mask = 0x201}));
  BOOST_REQUIRE(other.cells().size() == 1u);
  BOOST_TEST(other.cells()[0].test == "{⇑(w1);⇓(w0,r0,r0)}");
  BOOST_TEST(other.cells()[0].element == "M1 ⇓(w0,r0,r0) op 2 (r0)");
  BOOST_TEST(other.cells()[0].background ==
             "0x5555555555555555 inverted by parity of word & 0x0000000000000201");

  // A fail the algorithm cannot have made is rejected and nothing of the batch is recorded.
  const std::vector<chip::MarchFail> bad_element = {{.word = 1, .actual = 1, .element = 1, .op = 0},
                                                    {.word = 2, .actual = 1, .element = 6, .op = 0}};
  BOOST_CHECK_EXCEPTION(
      bitmap.add_march_fails(bad_element, march_c, ""), InvalidArgumentError,
      testing::error_with(ErrorCode::invalid_argument, "\"March C-\" has no element 6 (it has 6)"));
  const std::vector<chip::MarchFail> write_op = {{.word = 2, .actual = 1, .element = 1, .op = 1}};
  BOOST_CHECK_EXCEPTION(
      bitmap.add_march_fails(write_op, march_c, ""), InvalidArgumentError,
      testing::error_with(ErrorCode::invalid_argument, "op 1 of element 1 of \"March C-\" is a write"));
  const std::vector<chip::MarchFail> no_op = {{.word = 2, .actual = 1, .element = 5, .op = 1}};
  BOOST_CHECK_EXCEPTION(
      bitmap.add_march_fails(no_op, march_c, ""), InvalidArgumentError,
      testing::error_with(ErrorCode::invalid_argument, "element 5 of \"March C-\" has no op 1"));
  BOOST_TEST(bitmap.cells().size() == 2u);
  BOOST_TEST(bitmap.failing_reads() == 2u);
}

BOOST_AUTO_TEST_CASE(words_outside_the_hbm_and_bad_geometries_are_rejected) {
  FailBitmap bitmap(kGeometry);
  const std::string msg = testing::expect_error<InvalidArgumentError>(
      [&] { add(bitmap, kGeometry.words(), bit(0)); }, ErrorCode::invalid_argument);
  CHECK_STARTS_WITH(msg, "fail bitmap: word index 0x200000 is outside");
  BOOST_TEST(bitmap.failing_reads() == 0u);
  chip::HbmGeometry bad = kGeometry;
  bad.banks = 6;
  BOOST_CHECK_EXCEPTION(FailBitmap{bad}, InvalidArgumentError,
                        testing::error_with(ErrorCode::invalid_argument, "fail bitmap: HBM banks = 6"));
}

BOOST_AUTO_TEST_CASE(insertion_order_changes_neither_cells_nor_json) {
  struct Read {
    std::uint64_t word;
    std::uint64_t bits;
  };
  std::vector<Read> reads;
  for (std::uint32_t col = 0; col < 128; col += 3) reads.push_back({word_at(0, 1, 0, 9, col), bit(col % 64)});
  for (std::uint32_t row = 0; row < 256; row += 5) reads.push_back({word_at(1, 2, 3, row, 77), bit(11)});
  for (std::uint32_t i = 0; i < 40; ++i)
    reads.push_back({word_at(1, 0, 0, i * 6, (i * 29) % 128), bit(i) | bit(63 - i)});
  reads.push_back({word_at(0, 0, 0, 0, 0), ~std::uint64_t{0}});

  auto build = [&](const std::vector<Read>& order) {
    FailBitmap b(kGeometry);
    for (const Read& r : order) b.add_read(r.word, 0, r.bits, "zeros", "", "solid 0x0000000000000000");
    return b;
  };
  const FailBitmap forward = build(reads);
  std::vector<Read> reversed(reads.rbegin(), reads.rend());
  std::vector<Read> shuffled = reads;
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(12345));
  const FailBitmap backward = build(reversed);
  const FailBitmap mixed = build(shuffled);

  std::vector<std::pair<std::uint64_t, unsigned>> expected;
  for (const Read& r : reads)
    for (unsigned b = 0; b < 64; ++b)
      if ((r.bits >> b) & 1) expected.emplace_back(r.word * 8, b);
  std::sort(expected.begin(), expected.end());
  for (const FailBitmap* b : {&forward, &backward, &mixed}) {
    std::vector<std::pair<std::uint64_t, unsigned>> got;
    for (const FailingCell& c : b->cells()) got.emplace_back(c.address, c.bit);
    BOOST_TEST((got == expected));
    BOOST_TEST(b->failing_words() == reads.size());
  }
  const std::string json = forward.to_json();
  BOOST_TEST(backward.to_json() == json);
  BOOST_TEST(mixed.to_json() == json);

  // A copy taken before the new cells were sorted in is the same bitmap.
  FailBitmap pending = build(shuffled);
  const FailBitmap copy = pending;
  BOOST_TEST(copy.to_json() == json);
  FailBitmap moved = std::move(pending);
  BOOST_TEST(moved.to_json() == json);
  BOOST_TEST(pending.cells().empty());  // NOLINT(bugprone-use-after-move): a moved-from bitmap is empty
  BOOST_TEST(pending.failing_reads() == 0u);
  add(pending, reads[0].word, reads[0].bits);
  BOOST_TEST(pending.cells().size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_full_map_of_65536_cells_classifies_quickly) {
  // 1 GiB: 16384 rows per bank, so 1000-odd random cells per bank stay single bits.
  const chip::HbmGeometry g = chip::HbmGeometry::for_size(std::uint64_t{1} << 30);
  const chip::PhysicalAddress row_start{.stack = 1, .channel = 1, .bank = 1, .row = 1000, .column = 0};
  std::mt19937_64 random(7);
  std::vector<std::pair<std::uint64_t, unsigned>> cells;
  std::vector<std::uint64_t> keys;
  while (cells.size() < 65536 - g.columns) {
    const std::uint64_t w = random() % g.words();
    const auto b = static_cast<unsigned>(random() % 64);
    const chip::PhysicalAddress p = g.to_physical(w);
    if (p.row == row_start.row && g.bank_index(p) == g.bank_index(row_start)) continue;
    cells.emplace_back(w, b);
    keys.push_back(w * 64 + b);
  }
  std::sort(keys.begin(), keys.end());
  BOOST_REQUIRE(std::adjacent_find(keys.begin(), keys.end()) == keys.end());

  FailBitmap bitmap(g);
  const auto t0 = std::chrono::steady_clock::now();
  for (const auto& [w, b] : cells) bitmap.add_read(w, 0, bit(b), "zeros", "", "solid");
  // and a whole row (bit 0 of each word), arriving after the random cells
  for (std::uint32_t col = 0; col < g.columns; ++col) {
    chip::PhysicalAddress p = row_start;
    p.column = col;
    bitmap.add_read(g.to_word(p), 0, 1, "zeros", "", "solid");
  }
  const auto t1 = std::chrono::steady_clock::now();
  BOOST_TEST(bitmap.cells().size() == 65536u);
  BOOST_TEST(!bitmap.truncated());
  const auto t2 = std::chrono::steady_clock::now();
  const std::vector<ShapeGroup> groups = bitmap.classify();
  const auto t3 = std::chrono::steady_clock::now();
  const std::string json = bitmap.to_json();
  const auto t4 = std::chrono::steady_clock::now();
  check_partition(groups, bitmap.cells().size());
  BOOST_TEST(count_shape(groups, FailShape::row) >= 1u);  // the whole row, and any random one
  BOOST_TEST(count_shape(groups, FailShape::bank) == 0u);
  BOOST_TEST(count_shape(groups, FailShape::single_bit) > 60000u);
  auto ms = [](auto d) { return std::chrono::duration<double, std::milli>(d).count(); };
  BOOST_TEST_MESSAGE(
      fmt::format("65536 cells: add {:.1f} ms, sort {:.1f} ms, classify {:.1f} ms ({} groups), "
                  "to_json {:.1f} ms ({} bytes)",
                  ms(t1 - t0), ms(t2 - t1), ms(t3 - t2), groups.size(), ms(t4 - t3), json.size()));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval::memory

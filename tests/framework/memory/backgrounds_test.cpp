// Tests for seedval/memory/backgrounds.h: the names expand to the backgrounds the reference and the
// geometry define.
#include <bit>
#include <cstdint>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <seedval/memory/backgrounds.h>

#include "support/errors.h"

namespace seedval::memory {

BOOST_AUTO_TEST_SUITE(memory_backgrounds)

BOOST_AUTO_TEST_CASE(word_backgrounds_are_log2_w_plus_one_alternating_groups) {
  const auto bgs = word_backgrounds();
  BOOST_REQUIRE(bgs.size() == 7u);  // log2(64) + 1
  BOOST_TEST(bgs[0].background.pattern == 0u);
  for (std::size_t k = 1; k < bgs.size(); ++k) {
    // Background k alternates groups of 2^(k-1) bits: bit b is set iff bit (k-1) of b is 0.
    const std::uint64_t p = bgs[k].background.pattern;
    for (unsigned b = 0; b < 64; ++b)
      BOOST_TEST(((p >> b) & 1u) == (((b >> (k - 1)) & 1u) == 0 ? 1u : 0u),
                 "background " << k << " bit " << b);
    BOOST_TEST(bgs[k].background.invert_mask == 0u);
    BOOST_TEST(bgs[k].name == "word-" + std::to_string(k));
  }
  // Every pair of bits is told apart by some background: what intra-word coupling needs.
  for (unsigned a = 0; a < 64; ++a)
    for (unsigned v = a + 1; v < 64; ++v) {
      bool apart = false;
      for (const auto& bg : bgs)
        apart = apart || (((bg.background.pattern >> a) ^ (bg.background.pattern >> v)) & 1u);
      BOOST_TEST(apart, "bits " << a << " and " << v);
    }
}

BOOST_AUTO_TEST_CASE(physical_backgrounds_follow_the_geometry) {
  const auto g = chip::HbmGeometry::for_size(1u << 20);
  const auto bgs = parse_backgrounds("checkerboard,row-stripes,column-stripes", g);
  BOOST_REQUIRE(bgs.size() == 3u);
  auto value = [&](const chip::DataBackground& bg, chip::PhysicalAddress p) {
    return bg.value(g.to_word(p), false);
  };
  const chip::PhysicalAddress at{1, 2, 3, 5, 9};
  auto right = at;
  right.column += 1;
  auto below = at;
  below.row += 1;
  auto diagonal = below;
  diagonal.column += 1;
  // Checkerboard: neighbours along a row or a column differ, diagonal ones agree; bits alternate within a
  // word.
  BOOST_TEST(value(bgs[0].background, at) == ~value(bgs[0].background, right));
  BOOST_TEST(value(bgs[0].background, at) == ~value(bgs[0].background, below));
  BOOST_TEST(value(bgs[0].background, at) == value(bgs[0].background, diagonal));
  BOOST_TEST(std::popcount(value(bgs[0].background, at)) == 32);
  // Row stripes change with the row only, column stripes with the column only.
  BOOST_TEST(value(bgs[1].background, at) == value(bgs[1].background, right));
  BOOST_TEST(value(bgs[1].background, at) == ~value(bgs[1].background, below));
  BOOST_TEST(value(bgs[2].background, at) == ~value(bgs[2].background, right));
  BOOST_TEST(value(bgs[2].background, at) == value(bgs[2].background, below));
}

BOOST_AUTO_TEST_CASE(lists_values_and_errors) {
  const auto g = chip::HbmGeometry::for_size(1u << 20);
  const auto bgs = parse_backgrounds(" solid, word ,0xDEADBEEF00000001,walking-byte", g);
  BOOST_TEST(bgs.size() == 1u + 7u + 1u + 8u);
  BOOST_TEST(bgs[8].background.pattern == 0xDEADBEEF00000001ull);
  BOOST_TEST(bgs[8].name == "0xdeadbeef00000001");
  BOOST_TEST(bgs[9].background.pattern == 0x0101010101010101ull);
  BOOST_TEST(bgs[16].background.pattern == 0x8080808080808080ull);
  BOOST_CHECK_EXCEPTION(
      parse_backgrounds("solid,plaid", g), InvalidArgumentError,
      testing::error_with(ErrorCode::invalid_argument, "unknown background \"plaid\" (known: solid"));
  BOOST_CHECK_EXCEPTION(parse_backgrounds("0x12G4", g), InvalidArgumentError,
                        testing::error_with(ErrorCode::invalid_argument, "not a 64-bit hexadecimal value"));
  BOOST_CHECK_EXCEPTION(parse_backgrounds(" , ", g), InvalidArgumentError,
                        testing::error_with(ErrorCode::invalid_argument, "no background given"));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval::memory

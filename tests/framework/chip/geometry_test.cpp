// Tests for seedval/chip/geometry.h: HBM organisation and the logical→physical address map.
#include <cstdint>
#include <set>
#include <tuple>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <seedval/chip/geometry.h>
#include <seedval/core/error.h>

#include "support/errors.h"

namespace seedval::chip {
namespace {

auto tuple_of(const PhysicalAddress& p) {
  return std::tuple(p.stack, p.channel, p.bank, p.row, p.column);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(chip_geometry)

BOOST_AUTO_TEST_CASE(default_size_is_sixteen_mib) {
  const HbmGeometry g = HbmGeometry::for_size(16u << 20);
  BOOST_TEST(g.bytes() == 16u << 20);
  BOOST_TEST(g.stacks == 2u);
  BOOST_TEST(g.channels == 4u);
  BOOST_TEST(g.banks == 8u);
  BOOST_TEST(g.columns == 128u);
  BOOST_TEST(g.rows == 256u);
  BOOST_TEST(g.total_banks() == 64u);
  BOOST_TEST(g.describe() == "2 stacks × 4 channels × 8 banks × 256 rows × 128 columns (16 MiB)");
  BOOST_TEST(HbmGeometry::for_size(std::uint64_t{4} << 30).rows == 65536u);
}

BOOST_AUTO_TEST_CASE(map_is_a_bijection_on_a_small_array) {
  const HbmGeometry g{.stacks = 2, .channels = 2, .banks = 4, .rows = 8, .columns = 8};
  std::set<std::tuple<std::uint32_t, std::uint32_t, std::uint32_t, std::uint32_t, std::uint32_t>> seen;
  for (std::uint64_t w = 0; w < g.words(); ++w) {
    const PhysicalAddress p = g.to_physical(w);
    BOOST_TEST(p.stack < g.stacks);
    BOOST_TEST(p.channel < g.channels);
    BOOST_TEST(p.bank < g.banks);
    BOOST_TEST(p.row < g.rows);
    BOOST_TEST(p.column < g.columns);
    BOOST_TEST(g.to_word(p) == w);
    BOOST_TEST(seen.insert(tuple_of(p)).second, "two words at one location");
  }
  BOOST_TEST(seen.size() == g.words());
}

BOOST_AUTO_TEST_CASE(round_trip_on_the_default_and_a_large_array) {
  for (const auto& g : {HbmGeometry::for_size(16u << 20), HbmGeometry::for_size(std::uint64_t{8} << 30)}) {
    std::uint64_t x = 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < 100000; ++i) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      const std::uint64_t w = (x >> 7) % g.words();
      if (g.to_word(g.to_physical(w)) != w) BOOST_ERROR("word " << w << " does not round-trip");
    }
    BOOST_TEST(g.to_word(g.to_physical(g.words() - 1)) == g.words() - 1);
  }
}

BOOST_AUTO_TEST_CASE(documented_bit_order) {
  const HbmGeometry g = HbmGeometry::for_size(16u << 20);
  // A 32-byte burst (4 words) stays in one row of one channel.
  for (std::uint64_t w = 0; w < 4; ++w) {
    const auto p = g.to_physical(w);
    BOOST_TEST((p.stack == 0u && p.channel == 0u && p.bank == 0u && p.row == 0u && p.column == w));
  }
  // Then bursts walk the channels, the stacks, the banks, the rest of the row, and the rows.
  BOOST_TEST(g.to_physical(4).channel == 1u);
  BOOST_TEST(g.to_physical(4 * 4).stack == 1u);
  BOOST_TEST(g.to_physical(4 * 4 * 2).bank == 1u);
  BOOST_TEST(g.to_physical(4 * 4 * 2 * 8).column == 4u);
  BOOST_TEST(g.to_physical(std::uint64_t{4} * 4 * 2 * 8 * 32).row == 1u);
  const PhysicalAddress p{.stack = 1, .channel = 3, .bank = 5, .row = 77, .column = 126};
  BOOST_TEST(g.to_word(p) == ((((std::uint64_t{77} * 32 + 31) * 8 + 5) * 2 + 1) * 4 + 3) * 4 + 2);
  BOOST_TEST(to_string(p) == "s1.ch3.b5.r0077.c126");
  BOOST_TEST(g.bank_index(p) == (1u * 4 + 3) * 8 + 5);
}

BOOST_AUTO_TEST_CASE(register_encoding_round_trips) {
  for (const auto& g : {HbmGeometry::for_size(16u << 20), HbmGeometry{1, 1, 1, 4, 4},
                        HbmGeometry{8, 16, 64, 1u << 10, 1u << 12}}) {
    BOOST_TEST((HbmGeometry::decode(g.encode()) == g), g.describe());
  }
  BOOST_CHECK_EXCEPTION(HbmGeometry::decode(0), DeviceError,
                        testing::error_with(ErrorCode::device, "HBM_GEOMETRY 0x00000000 does not decode"));
}

BOOST_AUTO_TEST_CASE(invalid_geometries_are_rejected) {
  BOOST_CHECK_EXCEPTION(
      (HbmGeometry{3, 4, 8, 256, 128}.validate()), InvalidArgumentError,
      testing::error_with(ErrorCode::invalid_argument, "HBM stacks = 3 must be a power of two"));
  BOOST_CHECK_EXCEPTION((HbmGeometry{2, 4, 8, 256, 2}.validate()), InvalidArgumentError,
                        testing::error_with(ErrorCode::invalid_argument, "HBM columns = 2"));
  BOOST_CHECK_EXCEPTION(HbmGeometry::for_size(3u << 20), InvalidArgumentError,
                        testing::error_with(ErrorCode::invalid_argument, "is not a power of two"));
  BOOST_CHECK_EXCEPTION(HbmGeometry::for_size(1024), InvalidArgumentError,
                        testing::error_with(ErrorCode::invalid_argument, "HBM size of 1024 bytes"));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval::chip

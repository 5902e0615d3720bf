// Tests for seedval/protocol/crc32c.h: known CRC-32C values, the hardware path against the portable one,
// and checksumming in pieces.
#include <cstdint>
#include <random>
#include <span>
#include <string_view>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <seedval/protocol/crc32c.h>

namespace seedval::protocol {
namespace {

std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::vector<std::uint8_t> random_bytes(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::uint8_t> v(n);
  for (auto& b : v) b = static_cast<std::uint8_t>(rng());
  return v;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(protocol_crc32c)

BOOST_AUTO_TEST_CASE(check_value) {
  BOOST_TEST(crc32c(bytes_of("123456789")) == 0xE3069283u);
  BOOST_TEST(crc32c_portable(bytes_of("123456789")) == 0xE3069283u);
}

BOOST_AUTO_TEST_CASE(empty_input) {
  BOOST_TEST(crc32c({}) == 0u);
  BOOST_TEST(crc32c_portable({}) == 0u);
  // An empty piece leaves a running CRC unchanged.
  BOOST_TEST(crc32c({}, 0xE3069283u) == 0xE3069283u);
  BOOST_TEST(crc32c_portable({}, 0xE3069283u) == 0xE3069283u);
}

// The iSCSI test vectors of RFC 3720, appendix B.4.
BOOST_AUTO_TEST_CASE(rfc3720_vectors) {
  std::vector<std::uint8_t> zeros(32, 0x00), ones(32, 0xFF), up(32), down(32);
  for (std::size_t i = 0; i < 32; ++i) {
    up[i] = static_cast<std::uint8_t>(i);
    down[i] = static_cast<std::uint8_t>(31 - i);
  }
  for (auto f : {&crc32c, &crc32c_portable}) {
    BOOST_TEST(f(zeros, 0) == 0x8A9136AAu);
    BOOST_TEST(f(ones, 0) == 0x62A8AB43u);
    BOOST_TEST(f(up, 0) == 0x46DD794Eu);
    BOOST_TEST(f(down, 0) == 0x113FDB5Cu);
  }
}

BOOST_AUTO_TEST_CASE(hardware_and_portable_agree_on_every_small_length_and_alignment) {
  const auto buffer = random_bytes(300 + 8, 1);
  for (std::size_t offset = 0; offset < 8; ++offset) {
    for (std::size_t n = 0; n <= 300; ++n) {
      const auto data = std::span<const std::uint8_t>(buffer).subspan(offset, n);
      const auto hw = crc32c(data);
      const auto sw = crc32c_portable(data);
      if (hw != sw) BOOST_ERROR("length " << n << " at offset " << offset << ": " << hw << " != " << sw);
    }
  }
}

BOOST_AUTO_TEST_CASE(hardware_and_portable_agree_on_large_buffers) {
  std::uint32_t seed = 10;
  for (std::size_t n : {4095u, 4096u, 65537u, (1u << 20) + 3u}) {
    const auto data = random_bytes(n, seed++);
    BOOST_TEST(crc32c(data) == crc32c_portable(data), "length " << n);
    BOOST_TEST(crc32c(data, 0x12345678u) == crc32c_portable(data, 0x12345678u),
               "length " << n << " with seed");
  }
}

BOOST_AUTO_TEST_CASE(incremental_equals_one_shot) {
  const auto data = random_bytes(300, 7);
  const std::span<const std::uint8_t> all(data);
  const auto whole = crc32c(all);
  BOOST_TEST(crc32c_portable(all) == whole);
  for (std::size_t split = 0; split <= all.size(); ++split) {
    const auto first = all.first(split), second = all.subspan(split);
    if (crc32c(second, crc32c(first)) != whole) BOOST_ERROR("hardware path, split at " << split);
    if (crc32c_portable(second, crc32c_portable(first)) != whole)
      BOOST_ERROR("portable path, split at " << split);
    // The two implementations can be mixed mid-stream.
    if (crc32c(second, crc32c_portable(first)) != whole) BOOST_ERROR("mixed paths, split at " << split);
  }
}

BOOST_AUTO_TEST_CASE(incremental_in_many_pieces) {
  const auto data = random_bytes(10000, 8);
  const std::span<const std::uint8_t> all(data);
  std::uint32_t crc = 0;
  std::size_t at = 0, piece = 1;
  while (at < all.size()) {
    const auto n = std::min(piece, all.size() - at);
    crc = crc32c(all.subspan(at, n), crc);
    at += n;
    piece = piece * 3 % 97 + 1;
  }
  BOOST_TEST(crc == crc32c(all));
}

BOOST_AUTO_TEST_CASE(every_single_bit_change_changes_the_crc) {
  auto data = random_bytes(64, 9);
  const auto original = crc32c(data);
  for (std::size_t bit = 0; bit < data.size() * 8; ++bit) {
    data[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    if (crc32c(data) == original) BOOST_ERROR("flipping bit " << bit << " leaves the CRC unchanged");
    data[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval::protocol

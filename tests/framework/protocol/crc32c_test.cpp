// Tests for seedval/protocol/crc32c.h: known CRC-32C values, the hardware path against the portable one,
// the copying and combining variants against memcpy and the portable path, and checksumming in pieces.
#include <algorithm>
#include <cstdint>
#include <cstring>
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

// Lengths that exercise every branch of every path: every length up to a few thousand bytes (the serial
// tails, the short interleaved groups, the start of the folding path at 1 KiB), the lengths around each
// multiple of the group sizes (a group boundary one byte either way; 256 is the folding step) and random
// ones, up to 100000.
std::vector<std::size_t> interesting_lengths() {
  std::vector<std::size_t> n;
  for (std::size_t i = 0; i <= 3200; ++i) n.push_back(i);
  for (std::size_t group : {256u, 3u * 256u, 6u * 256u, 3u * 4096u, 6u * 4096u, 6u * 4160u, 3u * 4160u}) {
    const std::size_t limit = group == 256 ? 20000 : 100000;
    for (std::size_t m = group; m <= limit; m += group)
      for (std::size_t d :
           {m - 9, m - 8, m - 1, m, m + 1, m + 7, m + 8, m + 255, m + 256, m + 1535, m + 1536})
        n.push_back(d);
  }
  std::mt19937 rng(12345);
  for (int i = 0; i < 200; ++i) n.push_back(rng() % 100001);
  n.push_back(100000);
  std::sort(n.begin(), n.end());
  n.erase(std::unique(n.begin(), n.end()), n.end());
  return n;
}

// Every implementation this CPU can run.
std::vector<Crc32cPath> available_paths() {
  std::vector<Crc32cPath> paths;
  for (auto p : {Crc32cPath::portable, Crc32cPath::sse42, Crc32cPath::vpclmul})
    if (crc32c_path_available(p)) paths.push_back(p);
  return paths;
}

const char* path_name(Crc32cPath p) {
  switch (p) {
    case Crc32cPath::portable:
      return "portable";
    case Crc32cPath::sse42:
      return "sse42";
    case Crc32cPath::vpclmul:
      return "vpclmul";
  }
  return "?";
}

constexpr std::size_t kMaxLength = 100000 + 1536 + 64;
constexpr std::size_t kAlignments = 16;

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

// --- the interleaved hardware path --------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(every_path_agrees_with_the_portable_one_on_every_length_and_alignment) {
  const auto paths = available_paths();
  BOOST_TEST_MESSAGE("paths on this CPU: " << paths.size());
  const auto buffer = random_bytes(kMaxLength + kAlignments, 21);
  const std::span<const std::uint8_t> all(buffer);
  std::size_t failures = 0, i = 0;
  for (std::size_t n : interesting_lengths()) {
    // Every alignment for the short lengths, a rotating one for the long.
    const std::size_t first = n <= 3200 ? 0 : i++ % kAlignments;
    const std::size_t last = n <= 3200 ? kAlignments : first + 1;
    for (std::size_t offset = first; offset < last; ++offset) {
      const auto data = all.subspan(offset, n);
      const auto seed = static_cast<std::uint32_t>(n * 2654435761u);
      const std::uint32_t want = crc32c_portable(data), want_seeded = crc32c_portable(data, seed);
      const auto fail = [&](const char* what) {
        if (++failures <= 10) BOOST_ERROR(what << ": length " << n << " at offset " << offset);
      };
      if (crc32c(data) != want || crc32c(data, seed) != want_seeded) fail("dispatched");
      for (auto p : paths)
        if (crc32c_on(p, data) != want || crc32c_on(p, data, seed) != want_seeded) fail(path_name(p));
    }
  }
  BOOST_TEST(failures == 0u);
}

// --- crc32c_copy ---------------------------------------------------------------------------------------

// Copies all.subspan(src_offset, n) into a guarded buffer at dst_offset with `copy`, checks the CRC
// against the portable one of the source, the copied bytes and that nothing around them was touched.
template <typename Copy>
bool copy_matches(Copy copy, std::span<const std::uint8_t> all, std::size_t src_offset,
                  std::size_t dst_offset, std::size_t n, std::uint32_t seed, std::vector<std::uint8_t>& out) {
  constexpr std::uint8_t kGuard = 0xA5;
  out.assign(dst_offset + n + 64, kGuard);
  const auto src = all.subspan(src_offset, n);
  const std::uint32_t got = copy(out.data() + dst_offset, src, seed);
  if (got != crc32c_portable(src, seed)) return false;
  if (n > 0 && std::memcmp(out.data() + dst_offset, src.data(), n) != 0) return false;
  const auto untouched = [&](std::size_t from, std::size_t to) {
    return std::all_of(out.begin() + static_cast<std::ptrdiff_t>(from),
                       out.begin() + static_cast<std::ptrdiff_t>(to),
                       [](std::uint8_t b) { return b == kGuard; });
  };
  return untouched(0, dst_offset) && untouched(dst_offset + n, out.size());
}

BOOST_AUTO_TEST_CASE(copy_equals_memcpy_and_crc_on_every_path_length_and_alignment) {
  const auto paths = available_paths();
  const auto buffer = random_bytes(kMaxLength + kAlignments, 22);
  std::vector<std::uint8_t> out;
  std::size_t failures = 0, i = 0;
  for (std::size_t n : interesting_lengths()) {
    const std::uint32_t seed = n % 3 == 0 ? 0u : static_cast<std::uint32_t>(n * 40503u);
    // Source and destination misaligned independently.
    const std::size_t pairs = n <= 3200 ? 4 : 1;
    for (std::size_t k = 0; k < pairs; ++k, ++i) {
      const std::size_t src_offset = i % kAlignments, dst_offset = (i * 7 + 3) % kAlignments;
      const auto fail = [&](const char* what) {
        if (++failures <= 10)
          BOOST_ERROR(what << ": length " << n << ", source offset " << src_offset << ", destination offset "
                           << dst_offset);
      };
      if (!copy_matches(&crc32c_copy, buffer, src_offset, dst_offset, n, seed, out)) fail("dispatched");
      if (!copy_matches(&crc32c_copy_portable, buffer, src_offset, dst_offset, n, seed, out))
        fail("portable");
      for (auto p : paths) {
        const auto on_path = [p](std::uint8_t* dst, std::span<const std::uint8_t> src, std::uint32_t crc) {
          return crc32c_copy_on(p, dst, src, crc);
        };
        if (!copy_matches(on_path, buffer, src_offset, dst_offset, n, seed, out)) fail(path_name(p));
      }
    }
  }
  BOOST_TEST(failures == 0u);
}

BOOST_AUTO_TEST_CASE(copy_of_nothing_leaves_the_crc_and_the_destination_alone) {
  std::uint8_t dst = 0x77;
  BOOST_TEST(crc32c_copy(&dst, {}, 0xE3069283u) == 0xE3069283u);
  BOOST_TEST(crc32c_copy_portable(&dst, {}, 0xE3069283u) == 0xE3069283u);
  BOOST_TEST(crc32c_copy(nullptr, {}) == 0u);
  BOOST_TEST(dst == 0x77);
}

BOOST_AUTO_TEST_CASE(copy_check_value) {
  const auto src = bytes_of("123456789");
  std::uint8_t dst[9] = {};
  BOOST_TEST(crc32c_copy(dst, src) == 0xE3069283u);
  BOOST_TEST(std::memcmp(dst, src.data(), 9) == 0);
}

// --- crc32c_combine ----------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(combine_equals_the_crc_of_the_concatenation) {
  const auto data = random_bytes(100000, 23);
  const std::span<const std::uint8_t> all(data);
  std::mt19937 rng(24);
  std::vector<std::size_t> lengths{0, 1, 2, 3, 4, 7, 8, 9, 255, 256, 1535, 1536, 4096, 24576, 65536, 100000};
  for (int i = 0; i < 100; ++i) lengths.push_back(rng() % 100001);
  std::size_t failures = 0;
  for (std::size_t n : lengths) {
    const auto piece = all.first(n);
    for (std::size_t split : {std::size_t{0}, n / 3, n / 2, n > 0 ? n - 1 : 0, n}) {
      const auto a = piece.first(split), b = piece.subspan(split);
      const std::uint32_t whole = crc32c_portable(piece);
      if (crc32c_combine(crc32c_portable(a), crc32c_portable(b), b.size()) != whole) {
        if (++failures <= 10) BOOST_ERROR("length " << n << " split at " << split);
      }
    }
  }
  BOOST_TEST(failures == 0u);
}

BOOST_AUTO_TEST_CASE(combine_with_an_empty_piece) {
  const auto data = random_bytes(1000, 25);
  const std::uint32_t crc = crc32c_portable(data);
  BOOST_TEST(crc32c_combine(crc, 0, 0) == crc);            // nothing appended
  BOOST_TEST(crc32c_combine(0, crc, data.size()) == crc);  // nothing in front
}

BOOST_AUTO_TEST_CASE(combine_agrees_with_chained_updates) {
  // crc32c(b, crc32c(a)) and crc32c_combine(crc32c(a), crc32c(b), |b|) are two ways to the same value.
  const auto data = random_bytes(50000, 26);
  const std::span<const std::uint8_t> all(data);
  std::mt19937 rng(27);
  for (int i = 0; i < 200; ++i) {
    const std::size_t split = rng() % (all.size() + 1);
    const auto a = all.first(split), b = all.subspan(split);
    BOOST_TEST(crc32c_combine(crc32c(a), crc32c(b), b.size()) == crc32c(b, crc32c(a)), "split " << split);
  }
}

BOOST_AUTO_TEST_CASE(combine_handles_lengths_beyond_any_buffer) {
  // The CRC of n zero bytes, built by doubling with combine, must agree with combine's own shift by n:
  // checks the operators for large powers of two (up to 2^40 bytes) without the data.
  const std::vector<std::uint8_t> zero_byte{0};
  std::uint32_t zeros = crc32c_portable(zero_byte);  // crc of 2^k zero bytes, k = 0
  std::uint64_t n = 1;
  const std::uint32_t front = 0x9A3F17C5u;
  for (int k = 0; k < 40; ++k) {
    const std::uint32_t doubled = crc32c_combine(zeros, zeros, n);
    // Appending 2n zeros at once equals appending n zeros twice.
    BOOST_TEST(
        crc32c_combine(front, doubled, 2 * n) == crc32c_combine(crc32c_combine(front, zeros, n), zeros, n),
        "2^" << k + 1 << " zero bytes");
    zeros = doubled;
    n *= 2;
  }
  // Shifting by p then q equals shifting by p + q, for lengths with many bits set.
  std::mt19937_64 rng(30);
  for (int i = 0; i < 200; ++i) {
    const std::uint64_t p = rng() >> 14, q = rng() >> 14;
    const auto x = static_cast<std::uint32_t>(rng()), y = static_cast<std::uint32_t>(rng());
    BOOST_TEST(crc32c_combine(crc32c_combine(front, x, p), y, q) ==
                   crc32c_combine(front, crc32c_combine(x, y, q), p + q),
               "lengths " << p << " and " << q);
  }
  // And the small ones against the data.
  const std::vector<std::uint8_t> block(4096, 0);
  BOOST_TEST(crc32c_combine(0, crc32c_portable(block), block.size()) == crc32c_portable(block));
  std::uint32_t built = crc32c_portable(zero_byte);
  for (std::size_t m = 1; m < 4096; m *= 2) built = crc32c_combine(built, built, m);
  BOOST_TEST(built == crc32c_portable(block));
}

// --- mixing the variants -----------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(chained_updates_mixing_every_variant_equal_one_shot) {
  const auto paths = available_paths();
  const auto data = random_bytes(300000, 28);
  const std::span<const std::uint8_t> all(data);
  const std::uint32_t whole = crc32c_portable(all);
  std::vector<std::uint8_t> copy(all.size());
  std::mt19937 rng(29);
  for (int round = 0; round < 20; ++round) {
    std::fill(copy.begin(), copy.end(), std::uint8_t{0});
    std::uint32_t crc = 0;
    std::size_t at = 0;
    int step = 0;
    while (at < all.size()) {
      // Pieces from one byte to beyond the long groups.
      const std::size_t limit = (rng() % 4 == 0) ? 40000 : (rng() % 2 == 0 ? 2000 : 20);
      const std::size_t n = std::min<std::size_t>(rng() % limit + 1, all.size() - at);
      const auto piece = all.subspan(at, n);
      const int kind = step++ % 7;
      const Crc32cPath path = paths[rng() % paths.size()];
      switch (kind) {
        case 0:
          crc = crc32c(piece, crc);
          break;
        case 1:
          crc = crc32c_portable(piece, crc);
          break;
        case 2:
          crc = crc32c_copy(copy.data() + at, piece, crc);
          break;
        case 3:
          crc = crc32c_copy_portable(copy.data() + at, piece, crc);
          break;
        case 4:
          crc = crc32c_combine(crc, crc32c(piece), n);
          break;
        case 5:
          crc = crc32c_on(path, piece, crc);
          break;
        default:
          crc = crc32c_copy_on(path, copy.data() + at, piece, crc);
          break;
      }
      if (kind != 2 && kind != 3 && kind != 6) std::memcpy(copy.data() + at, piece.data(), n);
      at += n;
    }
    BOOST_TEST(crc == whole, "round " << round);
    BOOST_TEST((copy == data), "round " << round);
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval::protocol

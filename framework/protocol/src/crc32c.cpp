#include <algorithm>
#include <array>
#include <cstring>

#include <seedval/protocol/crc32c.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>
#define SEEDVAL_CRC32C_X86 1
#endif

// The register arithmetic below works on the raw CRC register (no initial or final inversion), in the
// reflected bit order of the crc32 instruction. Updating the register with a message M is linear over
// GF(2) in the pair (register, M), so
//
//   raw(c, A ++ B) = Z[|B|](raw(c, A)) ^ raw(0, B)
//
// where Z[n] is the linear map "feed n zero bytes" on the 32-bit register. That identity is what lets
// consecutive blocks be checksummed independently and joined, and what crc32c_combine() evaluates. Z[n] is a
// 32x32 bit matrix; Z[1] follows from the byte table, Z[2^k] by squaring, any Z[n] as the product of
// the Z[2^k] of n's set bits. For the fixed block lengths of the interleaved loop Z[n] is also tabulated
// per input byte (four 256-entry tables), so applying it costs four lookups.

namespace seedval::protocol {
namespace {

constexpr std::uint32_t kPoly = 0x82F63B78u;

using ByteTables = std::array<std::array<std::uint32_t, 256>, 8>;

constexpr ByteTables make_tables() {
  ByteTables t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1u) ? (c >> 1) ^ kPoly : c >> 1;
    t[0][i] = c;
  }
  for (std::size_t i = 0; i < 256; ++i)
    for (std::size_t s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFFu];
  return t;
}

constexpr ByteTables kTables = make_tables();

// --- GF(2) linear maps on the register ----------------------------------------------------------------

struct Gf2Matrix {
  std::array<std::uint32_t, 32> column{};  ///< column[i]: the image of register bit i
};

constexpr std::uint32_t apply(const Gf2Matrix& m, std::uint32_t v) noexcept {
  std::uint32_t r = 0;
  for (std::size_t i = 0; i < 32; ++i, v >>= 1) r ^= m.column[i] & (0u - (v & 1u));
  return r;
}

// a after b.
constexpr Gf2Matrix compose(const Gf2Matrix& a, const Gf2Matrix& b) {
  Gf2Matrix r;
  for (std::size_t i = 0; i < 32; ++i) r.column[i] = apply(a, b.column[i]);
  return r;
}

// kZeroPowers[k] = Z[2^k]: feeding 2^k zero bytes.
constexpr std::array<Gf2Matrix, 64> make_zero_powers() {
  std::array<Gf2Matrix, 64> p{};
  for (std::size_t i = 0; i < 32; ++i) {
    const std::uint32_t bit = 1u << i;
    p[0].column[i] = (bit >> 8) ^ kTables[0][bit & 0xFFu];  // one byte step with a zero data byte
  }
  for (std::size_t k = 1; k < 64; ++k) p[k] = compose(p[k - 1], p[k - 1]);
  return p;
}

constexpr std::array<Gf2Matrix, 64> kZeroPowers = make_zero_powers();

// Z[n] as a matrix.
constexpr Gf2Matrix zeros_operator(std::uint64_t n) {
  Gf2Matrix m;
  for (std::size_t i = 0; i < 32; ++i) m.column[i] = 1u << i;
  for (std::size_t k = 0; n != 0; ++k, n >>= 1)
    if (n & 1u) m = compose(kZeroPowers[k], m);
  return m;
}

// Z[n] tabulated per register byte: Z[n](c) = t[0][c & 0xFF] ^ t[1][(c >> 8) & 0xFF] ^ ...
struct ShiftTable {
  std::array<std::array<std::uint32_t, 256>, 4> t{};

  std::uint32_t operator()(std::uint32_t c) const noexcept {
    return t[0][c & 0xFFu] ^ t[1][(c >> 8) & 0xFFu] ^ t[2][(c >> 16) & 0xFFu] ^ t[3][c >> 24];
  }
};

constexpr ShiftTable make_shift_table(std::uint64_t n) {
  const Gf2Matrix m = zeros_operator(n);
  ShiftTable s;
  for (std::uint32_t k = 0; k < 4; ++k)
    for (std::uint32_t b = 0; b < 256; ++b) s.t[k][b] = apply(m, b << (8 * k));
  return s;
}

// --- portable path ------------------------------------------------------------------------------------

std::uint32_t update_portable(std::uint32_t crc, const std::uint8_t* p, std::size_t n) noexcept {
  while (n >= 8) {
    std::uint32_t lo, hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + 4, 4);
    lo ^= crc;
    crc = kTables[7][lo & 0xFF] ^ kTables[6][(lo >> 8) & 0xFF] ^ kTables[5][(lo >> 16) & 0xFF] ^
          kTables[4][lo >> 24] ^ kTables[3][hi & 0xFF] ^ kTables[2][(hi >> 8) & 0xFF] ^
          kTables[1][(hi >> 16) & 0xFF] ^ kTables[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) crc = (crc >> 8) ^ kTables[0][(crc ^ *p++) & 0xFFu];
  return crc;
}

// Copies in pieces that stay in L1 and checksums each piece from the destination, so the CRC describes
// what was stored.
std::uint32_t copy_portable(std::uint32_t crc, std::uint8_t* dst, const std::uint8_t* src,
                            std::size_t n) noexcept {
  constexpr std::size_t kPiece = 4096;
  while (n > 0) {
    const std::size_t m = std::min(n, kPiece);
    std::memcpy(dst, src, m);
    crc = update_portable(crc, dst, m);
    dst += m;
    src += m;
    n -= m;
  }
  return crc;
}

// --- SSE4.2 path --------------------------------------------------------------------------------------

#ifdef SEEDVAL_CRC32C_X86

// The crc32 instruction has a latency of three cycles. One stream over the data waits on it; independent
// streams over consecutive blocks keep it busy. Three streams fill a core that issues one crc32 per
// cycle (Intel); AMD Zen 5 issues two per cycle and needs six (measured: 8.7 GiB/s for one stream, 26
// for three, 52 for six). Six cost nothing where three would do: the per-byte work is the same.
constexpr std::size_t kStreams = 6;
// Block lengths: kStreams long blocks at a time while the buffer allows, then kStreams short ones, then
// one serial stream for what is left (less than kStreams * kShortBlock bytes). The copying loop's long
// block is not a multiple of 4 KiB so its twelve streams do not all fall into one L1 cache set.
constexpr std::size_t kLongBlock = 4096;
constexpr std::size_t kLongCopyBlock = 4096 + 64;
constexpr std::size_t kShortBlock = 256;
constexpr ShiftTable kShiftLong = make_shift_table(kLongBlock);
constexpr ShiftTable kShiftLongCopy = make_shift_table(kLongCopyBlock);
constexpr ShiftTable kShiftShort = make_shift_table(kShortBlock);

using Streams = std::array<std::uint64_t, kStreams>;

// Joins the registers of kStreams consecutive blocks (the first seeded with the running CRC, the others
// with zero): each partial result is moved past the next block with Z[block] and the next one added.
inline std::uint32_t join(const Streams& c, const ShiftTable& shift) noexcept {
  auto crc = static_cast<std::uint32_t>(c[0]);
  for (std::size_t k = 1; k < kStreams; ++k) crc = shift(crc) ^ static_cast<std::uint32_t>(c[k]);
  return crc;
}

// Checksums as many groups of kStreams `kBlock`-byte blocks as fit in n, advancing the cursor.
template <std::size_t kBlock>
__attribute__((target("sse4.2"))) inline std::uint32_t crc_blocks(std::uint32_t crc, const std::uint8_t*& src,
                                                                  std::size_t& n,
                                                                  const ShiftTable& shift) noexcept {
  while (n >= kStreams * kBlock) {
    Streams c{};
    c[0] = crc;
    for (std::size_t i = 0; i < kBlock; i += 8) {
#pragma GCC unroll 8
      for (std::size_t k = 0; k < kStreams; ++k) {
        std::uint64_t v;
        std::memcpy(&v, src + k * kBlock + i, 8);
        c[k] = __builtin_ia32_crc32di(c[k], v);
      }
    }
    crc = join(c, shift);
    src += kStreams * kBlock;
    n -= kStreams * kBlock;
  }
  return crc;
}

// The same, copying to dst as it goes: each 16 bytes are loaded once, stored, and checksummed from the
// register, so the CRC is of exactly what was stored.
template <std::size_t kBlock>
__attribute__((target("sse4.2"))) inline std::uint32_t copy_blocks(std::uint32_t crc, std::uint8_t*& dst,
                                                                   const std::uint8_t*& src, std::size_t& n,
                                                                   const ShiftTable& shift) noexcept {
  static_assert(kBlock % 16 == 0);
  while (n >= kStreams * kBlock) {
    Streams c{};
    c[0] = crc;
    for (std::size_t i = 0; i < kBlock; i += 16) {
#pragma GCC unroll 8
      for (std::size_t k = 0; k < kStreams; ++k) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + k * kBlock + i));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + k * kBlock + i), v);
        c[k] = __builtin_ia32_crc32di(c[k], static_cast<std::uint64_t>(_mm_cvtsi128_si64(v)));
        c[k] = __builtin_ia32_crc32di(c[k], static_cast<std::uint64_t>(_mm_extract_epi64(v, 1)));
      }
    }
    crc = join(c, shift);
    src += kStreams * kBlock;
    dst += kStreams * kBlock;
    n -= kStreams * kBlock;
  }
  return crc;
}

// One serial stream; copies too when dst is not null.
template <bool kCopy>
__attribute__((target("sse4.2"))) inline std::uint32_t serial(std::uint32_t crc, std::uint8_t* dst,
                                                              const std::uint8_t* src,
                                                              std::size_t n) noexcept {
  std::uint64_t c = crc;
  for (; n >= 8; n -= 8, src += 8) {
    std::uint64_t v;
    std::memcpy(&v, src, 8);
    c = __builtin_ia32_crc32di(c, v);
    if constexpr (kCopy) {
      std::memcpy(dst, &v, 8);
      dst += 8;
    }
  }
  auto c32 = static_cast<std::uint32_t>(c);
  for (; n > 0; --n) {
    const std::uint8_t v = *src++;
    c32 = __builtin_ia32_crc32qi(c32, v);
    if constexpr (kCopy) *dst++ = v;
  }
  return c32;
}

__attribute__((target("sse4.2"))) std::uint32_t update_sse42(std::uint32_t crc, const std::uint8_t* src,
                                                             std::size_t n) noexcept {
  crc = crc_blocks<kLongBlock>(crc, src, n, kShiftLong);
  crc = crc_blocks<kShortBlock>(crc, src, n, kShiftShort);
  return serial<false>(crc, nullptr, src, n);
}

__attribute__((target("sse4.2"))) std::uint32_t copy_sse42(std::uint32_t crc, std::uint8_t* dst,
                                                           const std::uint8_t* src, std::size_t n) noexcept {
  crc = copy_blocks<kLongCopyBlock>(crc, dst, src, n, kShiftLongCopy);
  crc = copy_blocks<kShortBlock>(crc, dst, src, n, kShiftShort);
  return serial<true>(crc, dst, src, n);
}

// --- carry-less multiplication path (AVX-512 VPCLMULQDQ) -----------------------------------------------
//
// Folding: a 16-byte block X of the message followed by D more bytes contributes X(x) * x^(8D) to the
// message polynomial, and only the message modulo P matters. Split X = Xh * x^64 + Xl (64-bit halves);
// then X * x^(8D) = Xh * x^(8D+64) + Xl * x^(8D), and with each power replaced by its remainder mod P
// (32 bits) the two products have fewer than 96 bits: they can be added into the block D bytes further
// on, and X dropped. Sixteen blocks (four 512-bit registers) are folded 256 bytes forward per step, then
// into one block, whose CRC the crc32 instruction takes; the register seeds the first block (feeding
// register c then data equals feeding zero then the data with c added to its first four bytes).
//
// Bit order: loaded little-endian, bit j of a 128-bit block is the coefficient of x^(127-j), so the low
// 64 bits hold Xh. A carry-less product of two such reflected operands comes out multiplied by x, which
// the constants absorb: they are x^(8D+63) and x^(8D-1) mod P. A remainder r (reflected register form,
// bit i = coefficient of x^(31-i)) becomes a 64-bit operand as r << 32.

// x^e mod P in the reflected register form (multiplying by x is one zero-bit step of the register).
constexpr std::uint32_t x_power_mod(std::uint64_t e) {
  std::uint32_t r = 0x80000000u;  // x^0
  for (std::uint64_t i = 0; i < e; ++i) r = (r >> 1) ^ ((r & 1u) ? kPoly : 0u);
  return r;
}

// The two constants that fold a block D bytes forward: for the low half (Xh) and the high half (Xl).
struct FoldConstants {
  std::uint64_t low, high;
};
constexpr FoldConstants fold_constants(std::uint64_t distance) {
  return {std::uint64_t{x_power_mod(8 * distance + 63)} << 32,
          std::uint64_t{x_power_mod(8 * distance - 1)} << 32};
}

constexpr FoldConstants kFold256 = fold_constants(256);
constexpr FoldConstants kFold192 = fold_constants(192);
constexpr FoldConstants kFold128 = fold_constants(128);
constexpr FoldConstants kFold64 = fold_constants(64);
constexpr FoldConstants kFold48 = fold_constants(48);
constexpr FoldConstants kFold32 = fold_constants(32);
constexpr FoldConstants kFold16 = fold_constants(16);

// Below this the setup costs more than it saves; the interleaved crc32 path takes such buffers.
constexpr std::size_t kFoldMinimum = 1024;

#define SEEDVAL_FOLD_TARGET __attribute__((target("avx512f,vpclmulqdq,pclmul,sse4.2")))

SEEDVAL_FOLD_TARGET inline __m512i broadcast(const FoldConstants& k) noexcept {
  const auto lo = static_cast<long long>(k.low), hi = static_cast<long long>(k.high);
  return _mm512_set_epi64(hi, lo, hi, lo, hi, lo, hi, lo);
}

// Each 128-bit lane of `acc` folded by `k` and added to `data`.
SEEDVAL_FOLD_TARGET inline __m512i fold512(__m512i acc, __m512i k, __m512i data) noexcept {
  return _mm512_ternarylogic_epi64(_mm512_clmulepi64_epi128(acc, k, 0x00),
                                   _mm512_clmulepi64_epi128(acc, k, 0x11), data, 0x96);  // a ^ b ^ c
}

SEEDVAL_FOLD_TARGET inline __m128i fold128(__m128i acc, const FoldConstants& k, __m128i data) noexcept {
  const __m128i kk = _mm_set_epi64x(static_cast<long long>(k.high), static_cast<long long>(k.low));
  return _mm_xor_si128(
      _mm_xor_si128(_mm_clmulepi64_si128(acc, kk, 0x00), _mm_clmulepi64_si128(acc, kk, 0x11)), data);
}

// 64 bytes at `at`, also stored to dst when kCopy.
template <bool kCopy>
SEEDVAL_FOLD_TARGET inline __m512i load64(std::uint8_t* dst, const std::uint8_t* src,
                                          std::size_t at) noexcept {
  const __m512i v = _mm512_loadu_si512(src + at);
  if constexpr (kCopy) _mm512_storeu_si512(dst + at, v);
  return v;
}

// n >= kFoldMinimum. Copies to dst as well when kCopy: every 64 bytes are loaded once, stored, and
// folded from the register.
template <bool kCopy>
SEEDVAL_FOLD_TARGET std::uint32_t fold_vpclmul(std::uint32_t crc, std::uint8_t* dst, const std::uint8_t* src,
                                               std::size_t n) noexcept {
  __m512i a0 = load64<kCopy>(dst, src, 0), a1 = load64<kCopy>(dst, src, 64),
          a2 = load64<kCopy>(dst, src, 128), a3 = load64<kCopy>(dst, src, 192);
  a0 = _mm512_xor_si512(a0, _mm512_maskz_set1_epi32(1, static_cast<int>(crc)));
  const __m512i k256 = broadcast(kFold256);
  std::size_t at = 256;
  for (; at + 256 <= n; at += 256) {
    a0 = fold512(a0, k256, load64<kCopy>(dst, src, at));
    a1 = fold512(a1, k256, load64<kCopy>(dst, src, at + 64));
    a2 = fold512(a2, k256, load64<kCopy>(dst, src, at + 128));
    a3 = fold512(a3, k256, load64<kCopy>(dst, src, at + 192));
  }
  // Sixteen blocks into four (the lanes of a3), then into one: the last block before `at`.
  __m512i x = fold512(a0, broadcast(kFold192), a3);
  x = fold512(a1, broadcast(kFold128), x);
  x = fold512(a2, broadcast(kFold64), x);
  __m128i b = _mm512_maskz_extracti32x4_epi32(0xF, x, 3);
  b = fold128(_mm512_maskz_extracti32x4_epi32(0xF, x, 0), kFold48, b);
  b = fold128(_mm512_maskz_extracti32x4_epi32(0xF, x, 1), kFold32, b);
  b = fold128(_mm512_maskz_extracti32x4_epi32(0xF, x, 2), kFold16, b);
  std::uint64_t c = __builtin_ia32_crc32di(0, static_cast<std::uint64_t>(_mm_cvtsi128_si64(b)));
  c = __builtin_ia32_crc32di(c, static_cast<std::uint64_t>(_mm_extract_epi64(b, 1)));
  // The tail, fewer than 256 bytes.
  return serial<kCopy>(static_cast<std::uint32_t>(c), kCopy ? dst + at : nullptr, src + at, n - at);
}

#undef SEEDVAL_FOLD_TARGET

bool cpu_has_sse42() noexcept {
  unsigned a = 0, b = 0, c = 0, d = 0;
  return __get_cpuid(1, &a, &b, &c, &d) != 0 && (c & bit_SSE4_2) != 0;
}

bool cpu_has_vpclmul() noexcept {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid(1, &a, &b, &c, &d) == 0) return false;
  if ((c & bit_SSE4_2) == 0 || (c & bit_PCLMUL) == 0 || (c & bit_OSXSAVE) == 0) return false;
  // The OS must save the AVX-512 state: XCR0 bits 1, 2 (SSE, AVX) and 5, 6, 7 (opmask, upper ZMM).
  unsigned xcr0_low = 0, xcr0_high = 0;
  __asm__("xgetbv" : "=a"(xcr0_low), "=d"(xcr0_high) : "c"(0));
  if ((xcr0_low & 0xE6u) != 0xE6u) return false;
  if (__get_cpuid_count(7, 0, &a, &b, &c, &d) == 0) return false;
  return (b & bit_AVX512F) != 0 && (c & bit_VPCLMULQDQ) != 0;
}

#endif

// The fastest path this CPU has, found once.
Crc32cPath best_path() noexcept {
#ifdef SEEDVAL_CRC32C_X86
  static const Crc32cPath path = cpu_has_vpclmul() ? Crc32cPath::vpclmul
                                 : cpu_has_sse42() ? Crc32cPath::sse42
                                                   : Crc32cPath::portable;
  return path;
#else
  return Crc32cPath::portable;
#endif
}

// The raw register update (no inversions) on `path`; copies to dst too when it is not null.
std::uint32_t update(Crc32cPath path, std::uint32_t crc, std::uint8_t* dst, const std::uint8_t* src,
                     std::size_t n) noexcept {
  switch (path) {
#ifdef SEEDVAL_CRC32C_X86
    case Crc32cPath::vpclmul:
      if (n >= kFoldMinimum)
        return dst ? fold_vpclmul<true>(crc, dst, src, n) : fold_vpclmul<false>(crc, nullptr, src, n);
      [[fallthrough]];
    case Crc32cPath::sse42:
      return dst ? copy_sse42(crc, dst, src, n) : update_sse42(crc, src, n);
#endif
    default:
      return dst ? copy_portable(crc, dst, src, n) : update_portable(crc, src, n);
  }
}

}  // namespace

std::uint32_t crc32c_portable(std::span<const std::uint8_t> data, std::uint32_t crc) noexcept {
  return ~update_portable(~crc, data.data(), data.size());
}

std::uint32_t crc32c_copy_portable(std::uint8_t* dst, std::span<const std::uint8_t> src,
                                   std::uint32_t crc) noexcept {
  return ~copy_portable(~crc, dst, src.data(), src.size());
}

std::uint32_t crc32c(std::span<const std::uint8_t> data, std::uint32_t crc) noexcept {
  return ~update(best_path(), ~crc, nullptr, data.data(), data.size());
}

std::uint32_t crc32c_copy(std::uint8_t* dst, std::span<const std::uint8_t> src, std::uint32_t crc) noexcept {
  if (src.empty()) return crc;
  return ~update(best_path(), ~crc, dst, src.data(), src.size());
}

bool crc32c_path_available(Crc32cPath path) noexcept {
  switch (path) {
    case Crc32cPath::portable:
      return true;
#ifdef SEEDVAL_CRC32C_X86
    case Crc32cPath::sse42:
      return best_path() != Crc32cPath::portable;
    case Crc32cPath::vpclmul:
      return best_path() == Crc32cPath::vpclmul;
#endif
    default:
      return false;
  }
}

std::uint32_t crc32c_on(Crc32cPath path, std::span<const std::uint8_t> data, std::uint32_t crc) noexcept {
  return ~update(path, ~crc, nullptr, data.data(), data.size());
}

std::uint32_t crc32c_copy_on(Crc32cPath path, std::uint8_t* dst, std::span<const std::uint8_t> src,
                             std::uint32_t crc) noexcept {
  if (src.empty()) return crc;
  return ~update(path, ~crc, dst, src.data(), src.size());
}

std::uint32_t crc32c_combine(std::uint32_t crc_a, std::uint32_t crc_b, std::uint64_t length_b) noexcept {
  // With the inversions of the finished CRCs worked through, crc(a ++ b) = Z[|b|](crc_a) ^ crc_b.
  for (std::size_t k = 0; length_b != 0; ++k, length_b >>= 1)
    if (length_b & 1u) crc_a = apply(kZeroPowers[k], crc_a);
  return crc_a ^ crc_b;
}

}  // namespace seedval::protocol

// Tests for seedval/chip/tensor.h: names, the codec (round trips, a pinned byte layout, rejection of
// every truncation and of garbage), validate(), and the reference kernels against loops written here
// from the documented numerics (bit-exact for the specified accumulation order, exact for integers).
#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <seedval/chip/numeric.h>
#include <seedval/chip/tensor.h>
#include <seedval/core/error.h>

#include "support/errors.h"

namespace seedval::chip {
namespace {

using Shape = std::vector<std::int64_t>;

// numpy matmul semantics, written independently of the kernels: a rank-1 A gains a leading 1, a
// rank-1 B a trailing 1; leading dimensions broadcast; `full` is the broadcast batch plus (M, N).
struct MatmulShapes {
  Shape a_batch, b_batch, full;
  std::int64_t m_dim, k_dim, n_dim;
};

MatmulShapes matmul_shapes(Shape pa, Shape pb) {
  if (pa.size() == 1) pa.insert(pa.begin(), 1);
  if (pb.size() == 1) pb.push_back(1);
  MatmulShapes r{.a_batch = Shape(pa.begin(), pa.end() - 2),
                 .b_batch = Shape(pb.begin(), pb.end() - 2),
                 .full = {},
                 .m_dim = pa[pa.size() - 2],
                 .k_dim = pa.back(),
                 .n_dim = pb.back()};
  r.full = broadcast_shapes(r.a_batch, r.b_batch);
  r.full.push_back(r.m_dim);
  r.full.push_back(r.n_dim);
  return r;
}

using Bytes = std::vector<std::uint8_t>;

struct Rand {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double uniform(double lo, double hi) {
    return lo + (hi - lo) * static_cast<double>(next() >> 11) * 0x1.0p-53;
  }
};

TensorOperand operand(std::uint64_t address, DType t, Shape shape) {
  return TensorOperand{.address = address, .dtype = t, .shape = std::move(shape), .absent = false};
}
TensorOperand absent() {
  return TensorOperand{.address = 0, .dtype = DType::f32, .shape = {}, .absent = true};
}

TensorOp make(TensorOpKind kind, std::vector<TensorOperand> in, std::vector<TensorOperand> out,
              std::vector<Attribute> attrs = {}) {
  return TensorOp{
      .kind = kind, .inputs = std::move(in), .outputs = std::move(out), .attributes = std::move(attrs)};
}

std::uint64_t count(const Shape& s) {
  std::uint64_t n = 1;
  for (const auto d : s) n *= static_cast<std::uint64_t>(d);
  return n;
}

// Element access by dtype, little-endian, independent of the kernels' loaders.
float get_float(DType t, const Bytes& b, std::size_t i) {
  switch (t) {
    case DType::f16:
      return fp16_to_float(static_cast<std::uint16_t>(b[2 * i] | b[2 * i + 1] << 8));
    case DType::bf16:
      return bf16_to_float(static_cast<std::uint16_t>(b[2 * i] | b[2 * i + 1] << 8));
    default: {
      std::uint32_t v = 0;
      for (int k = 0; k < 4; ++k) v |= std::uint32_t{b[4 * i + static_cast<std::size_t>(k)]} << (8 * k);
      return std::bit_cast<float>(v);
    }
  }
}

std::uint32_t get_u32(const Bytes& b, std::size_t i) {
  std::uint32_t v = 0;
  for (int k = 0; k < 4; ++k) v |= std::uint32_t{b[4 * i + static_cast<std::size_t>(k)]} << (8 * k);
  return v;
}

void put_float(DType t, Bytes& b, std::size_t i, float v) {
  if (t == DType::f32) {
    const auto u = std::bit_cast<std::uint32_t>(v);
    for (int k = 0; k < 4; ++k)
      b[4 * i + static_cast<std::size_t>(k)] = static_cast<std::uint8_t>(u >> (8 * k));
    return;
  }
  const std::uint16_t h = t == DType::f16 ? float_to_fp16(v) : float_to_bf16(v);
  b[2 * i] = static_cast<std::uint8_t>(h);
  b[2 * i + 1] = static_cast<std::uint8_t>(h >> 8);
}

// The bits a float result has once stored in dtype `t`, for exact comparison.
std::uint32_t stored_bits(DType t, float v) {
  if (t == DType::f32) return std::bit_cast<std::uint32_t>(v);
  return t == DType::f16 ? float_to_fp16(v) : float_to_bf16(v);
}
std::uint32_t stored_bits(DType t, const Bytes& b, std::size_t i) {
  if (t == DType::f32) return get_u32(b, i);
  return static_cast<std::uint32_t>(b[2 * i] | b[2 * i + 1] << 8);
}

// Random values representable in `t` (and so exact when widened), in [lo, hi].
Bytes random_floats(DType t, const Shape& s, Rand& r, double lo = -2.0, double hi = 2.0) {
  const auto n = count(s);
  Bytes b(n * dtype_size(t));
  for (std::size_t i = 0; i < n; ++i) put_float(t, b, i, static_cast<float>(r.uniform(lo, hi)));
  return b;
}

// Row-major multi-index helpers (a different formulation from the kernels' odometer).
std::vector<std::int64_t> unravel(std::uint64_t i, const Shape& s) {
  std::vector<std::int64_t> idx(s.size());
  for (std::size_t a = s.size(); a-- > 0;) {
    idx[a] = static_cast<std::int64_t>(i % static_cast<std::uint64_t>(s[a]));
    i /= static_cast<std::uint64_t>(s[a]);
  }
  return idx;
}
// Offset in `in` of the element that numpy broadcasting maps onto output index `idx`.
std::uint64_t broadcast_offset(const std::vector<std::int64_t>& idx, const Shape& in) {
  std::uint64_t off = 0;
  const std::size_t shift = idx.size() - in.size();
  for (std::size_t a = 0; a < in.size(); ++a) {
    const auto d = in[a];
    off = off * static_cast<std::uint64_t>(d) + (d == 1 ? 0 : static_cast<std::uint64_t>(idx[a + shift]));
  }
  return off;
}

// The documented dot product: exact products (in double) rounded to float, float accumulator from +0,
// k ascending, each addition rounded to float.
float spec_dot(const std::function<float(std::int64_t)>& a, const std::function<float(std::int64_t)>& b,
               std::int64_t k) {
  float acc = 0.0f;
  for (std::int64_t i = 0; i < k; ++i) {
    const auto p = static_cast<float>(static_cast<double>(a(i)) * static_cast<double>(b(i)));
    acc = static_cast<float>(static_cast<double>(acc) + static_cast<double>(p));
  }
  return acc;
}

std::vector<std::vector<std::uint8_t>> run(const TensorOp& op, const std::vector<Bytes>& in) {
  return reference_execute(op, in);
}

std::string str(const Shape& s) {
  std::string out = "[";
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i != 0) out += ',';
    out += std::to_string(s[i]);
  }
  out += ']';
  return out;
}

// MatMul on random data of `t` against the spec loop (bit-exact) and, loosely, a double dot product.
void check_matmul(DType t, const Shape& a, const Shape& b, const Shape& y, std::uint64_t seed) {
  BOOST_TEST_CONTEXT("MatMul " << to_string(t) << " A" << str(a) << " B" << str(b) << " Y" << str(y)) {
    Rand r{seed};
    const auto op =
        make(TensorOpKind::matmul, {operand(0, t, a), operand(0x10000, t, b)}, {operand(0x20000, t, y)});
    BOOST_CHECK_NO_THROW(validate(op));
    const Bytes ab = random_floats(t, a, r), bb = random_floats(t, b, r);
    const Bytes out = run(op, {ab, bb}).at(0);
    BOOST_REQUIRE(out.size() == count(y) * dtype_size(t));
    const auto [a_batch, b_batch, full, m_dim, k_dim, n_dim] = matmul_shapes(a, b);
    BOOST_REQUIRE(count(full) == count(y));
    int mismatches = 0, loose = 0;
    for (std::uint64_t i = 0; i < count(full); ++i) {
      const auto idx = unravel(i, full);
      const std::vector<std::int64_t> bidx(idx.begin(), idx.end() - 2);
      const auto m = idx[idx.size() - 2], n = idx.back();
      const auto ao = broadcast_offset(bidx, a_batch) * static_cast<std::uint64_t>(m_dim * k_dim);
      const auto bo = broadcast_offset(bidx, b_batch) * static_cast<std::uint64_t>(k_dim * n_dim);
      auto av = [&](std::int64_t k) {
        return get_float(t, ab, ao + static_cast<std::uint64_t>(m * k_dim + k));
      };
      auto bv = [&](std::int64_t k) {
        return get_float(t, bb, bo + static_cast<std::uint64_t>(k * n_dim + n));
      };
      const float acc = spec_dot(av, bv, k_dim);
      if (stored_bits(t, acc) != stored_bits(t, out, i) && ++mismatches <= 3)
        BOOST_ERROR("element " << i << ": got " << get_float(t, out, i) << ", want " << acc);
      double exact = 0, mag = 0;
      for (std::int64_t k = 0; k < k_dim; ++k) {
        exact += static_cast<double>(av(k)) * bv(k);
        mag += std::fabs(static_cast<double>(av(k)) * bv(k));
      }
      const double ulp_out = t == DType::f32 ? 0x1p-23 : t == DType::f16 ? 0x1p-10 : 0x1p-7;
      if (std::fabs(get_float(t, out, i) - exact) >
          static_cast<double>(k_dim) * 0x1p-23 * mag + ulp_out * std::fabs(exact) + 1e-30)
        ++loose;
    }
    BOOST_TEST(mismatches == 0);
    BOOST_TEST(loose == 0);
  }
}

void check_gemm(DType t, std::int64_t m_dim, std::int64_t k_dim, std::int64_t n_dim, bool ta, bool tb,
                std::optional<double> alpha, std::optional<double> beta, std::optional<Shape> c_shape,
                std::uint64_t seed) {
  const Shape a = ta ? Shape{k_dim, m_dim} : Shape{m_dim, k_dim};
  const Shape b = tb ? Shape{n_dim, k_dim} : Shape{k_dim, n_dim};
  BOOST_TEST_CONTEXT("Gemm " << to_string(t) << " A" << str(a) << " B" << str(b) << " C"
                             << (c_shape ? str(*c_shape) : std::string("-")) << " transA=" << ta << " transB="
                             << tb << " alpha=" << alpha.value_or(1) << " beta=" << beta.value_or(1)) {
    Rand r{seed};
    std::vector<Attribute> attrs;
    if (alpha) attrs.push_back(Attribute{.id = AttrId::alpha, .value = *alpha});
    if (beta) attrs.push_back(Attribute{.id = AttrId::beta, .value = *beta});
    attrs.push_back(Attribute{.id = AttrId::trans_a, .value = std::int64_t{ta}});
    if (tb) attrs.push_back(Attribute{.id = AttrId::trans_b, .value = std::int64_t{1}});
    std::vector<TensorOperand> in{operand(0, t, a), operand(0x10000, t, b)};
    if (c_shape) in.push_back(operand(0x20000, t, *c_shape));
    const auto op = make(TensorOpKind::gemm, in, {operand(0x30000, t, {m_dim, n_dim})}, attrs);
    const Bytes ab = random_floats(t, a, r), bb = random_floats(t, b, r);
    const Bytes cb = c_shape ? random_floats(t, *c_shape, r) : Bytes{};
    const Bytes out = run(op, c_shape ? std::vector<Bytes>{ab, bb, cb} : std::vector<Bytes>{ab, bb}).at(0);
    const auto al = static_cast<float>(alpha.value_or(1.0));
    const auto be = static_cast<float>(beta.value_or(1.0));
    int mismatches = 0;
    for (std::int64_t m = 0; m < m_dim; ++m)
      for (std::int64_t n = 0; n < n_dim; ++n) {
        auto av = [&](std::int64_t k) {
          return get_float(t, ab, static_cast<std::size_t>(ta ? k * m_dim + m : m * k_dim + k));
        };
        auto bv = [&](std::int64_t k) {
          return get_float(t, bb, static_cast<std::size_t>(tb ? n * k_dim + k : k * n_dim + n));
        };
        const float acc = spec_dot(av, bv, k_dim);
        auto y = static_cast<float>(static_cast<double>(al) * acc);
        if (c_shape) {
          const float c = get_float(t, cb, broadcast_offset({m, n}, *c_shape));
          const auto scaled = static_cast<float>(static_cast<double>(be) * c);
          y = static_cast<float>(static_cast<double>(y) + scaled);
        }
        const auto i = static_cast<std::size_t>(m * n_dim + n);
        if (stored_bits(t, y) != stored_bits(t, out, i) && ++mismatches <= 3)
          BOOST_ERROR("element (" << m << "," << n << "): got " << get_float(t, out, i) << ", want " << y);
      }
    BOOST_TEST(mismatches == 0);
  }
}

// Integer matrices of `t` with values over the whole range.
Bytes random_ints(DType t, const Shape& s, Rand& r) {
  Bytes b(count(s));
  for (auto& x : b) x = static_cast<std::uint8_t>(r.next());
  (void)t;
  return b;
}

std::int64_t int_at(DType t, const Bytes& b, std::size_t i) {
  return t == DType::i8 ? static_cast<std::int64_t>(static_cast<std::int8_t>(b[i])) : std::int64_t{b[i]};
}

void check_matmul_integer(DType ta, DType tb, const Shape& a, const Shape& b, const Shape& y, AttrValue za,
                          AttrValue zb, std::uint64_t seed) {
  BOOST_TEST_CONTEXT("MatMulInteger " << to_string(ta) << str(a) << " x " << to_string(tb) << str(b)) {
    Rand r{seed};
    const auto op =
        make(TensorOpKind::matmul_integer, {operand(0, ta, a), operand(0x1000, tb, b)},
             {operand(0x2000, DType::i32, y)},
             {{.id = AttrId::a_zero_point, .value = za}, {.id = AttrId::b_zero_point, .value = zb}});
    const Bytes ab = random_ints(ta, a, r), bb = random_ints(tb, b, r);
    const Bytes out = run(op, {ab, bb}).at(0);
    const auto [a_batch, b_batch, full, m_dim, k_dim, n_dim] = matmul_shapes(a, b);
    auto zp = [](const AttrValue& v, std::int64_t i) {
      if (const auto* s = std::get_if<std::int64_t>(&v)) return *s;
      return std::get<std::vector<std::int64_t>>(v).at(static_cast<std::size_t>(i));
    };
    int mismatches = 0;
    for (std::uint64_t i = 0; i < count(full); ++i) {
      const auto idx = unravel(i, full);
      const std::vector<std::int64_t> bidx(idx.begin(), idx.end() - 2);
      const auto m = idx[idx.size() - 2], n = idx.back();
      const auto ao = broadcast_offset(bidx, a_batch) * static_cast<std::uint64_t>(m_dim * k_dim);
      const auto bo = broadcast_offset(bidx, b_batch) * static_cast<std::uint64_t>(k_dim * n_dim);
      std::int64_t sum = 0;
      for (std::int64_t k = 0; k < k_dim; ++k)
        sum += (int_at(ta, ab, ao + static_cast<std::uint64_t>(m * k_dim + k)) - zp(za, m)) *
               (int_at(tb, bb, bo + static_cast<std::uint64_t>(k * n_dim + n)) - zp(zb, n));
      const auto want = static_cast<std::uint32_t>(sum);
      if (get_u32(out, i) != want && ++mismatches <= 3)
        BOOST_ERROR("element " << i << ": got " << static_cast<std::int32_t>(get_u32(out, i)) << ", want "
                               << sum);
    }
    BOOST_TEST(mismatches == 0);
  }
}

constexpr std::array kFloats{DType::f32, DType::f16, DType::bf16};

// Operators whose outputs are moved, not computed: they have no lane results.
const std::set<TensorOpKind> kDataMovement{TensorOpKind::identity,
                                           TensorOpKind::cast,
                                           TensorOpKind::reshape,
                                           TensorOpKind::transpose,
                                           TensorOpKind::concat,
                                           TensorOpKind::flatten,
                                           TensorOpKind::squeeze,
                                           TensorOpKind::unsqueeze,
                                           TensorOpKind::slice,
                                           TensorOpKind::gather,
                                           TensorOpKind::split,
                                           TensorOpKind::pad,
                                           TensorOpKind::expand,
                                           TensorOpKind::shape,
                                           TensorOpKind::where,
                                           TensorOpKind::trilu,
                                           TensorOpKind::depth_to_space,
                                           TensorOpKind::space_to_depth,
                                           TensorOpKind::tile,
                                           TensorOpKind::dropout,
                                           TensorOpKind::gather_elements,
                                           TensorOpKind::gather_nd,
                                           TensorOpKind::constant_of_shape,
                                           TensorOpKind::size,
                                           TensorOpKind::one_hot,
                                           TensorOpKind::eye_like,
                                           TensorOpKind::cast_like};
constexpr std::size_t kKnownKindCount = 121;

// A counting tap that flips bit 0 of every lane result.
struct FlipTap final : ResultTap {
  std::vector<std::uint64_t> seen;
  std::uint32_t apply(std::uint64_t element, std::uint32_t bits) override {
    seen.push_back(element);
    return bits ^ 1u;
  }
};

}  // namespace

// ---------------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(chip_tensor_names)

BOOST_AUTO_TEST_CASE(dtype_names_sizes_and_classes) {
  std::set<std::string> names;
  for (int i = 0; i < kDTypeCount; ++i) {
    const auto t = static_cast<DType>(i);
    const std::string name(to_string(t));
    BOOST_TEST(name != "unknown");
    BOOST_TEST((dtype_from_string(name) == t));
    BOOST_TEST(dtype_size(t) > 0u);
    BOOST_TEST(is_known_dtype(static_cast<std::uint8_t>(i)));
    names.insert(name);
  }
  BOOST_TEST(names.size() == static_cast<std::size_t>(kDTypeCount));
  BOOST_TEST(!is_known_dtype(kDTypeCount));
  BOOST_TEST(to_string(static_cast<DType>(200)) == "unknown");
  BOOST_TEST(dtype_size(static_cast<DType>(200)) == 0u);
  BOOST_TEST((dtype_from_string("bfloat16") == DType::bf16));
  BOOST_TEST((dtype_from_string("float") == DType::f32));
  BOOST_TEST(dtype_size(DType::i64) == 8u);
  BOOST_TEST(dtype_size(DType::boolean) == 1u);
  BOOST_TEST(is_float(DType::bf16));
  BOOST_TEST(!is_float(DType::i8));
  BOOST_TEST(is_integer(DType::u8));
  BOOST_TEST(!is_integer(DType::boolean));
  BOOST_CHECK_EXCEPTION(dtype_from_string("fp8"), NotFoundError,
                        testing::error_with(ErrorCode::not_found, "known: f32, f16, bf16"));
}

BOOST_AUTO_TEST_CASE(wire_values_are_stable) {
  // These values cross the wire: changing one breaks every deployed peer.
  static_assert(static_cast<int>(DType::f32) == 0 && static_cast<int>(DType::boolean) == 7);
  static_assert(static_cast<int>(TensorOpKind::identity) == 0x001);
  static_assert(static_cast<int>(TensorOpKind::relu) == 0x100);
  static_assert(static_cast<int>(TensorOpKind::add) == 0x200);
  static_assert(static_cast<int>(TensorOpKind::matmul) == 0x300);
  static_assert(static_cast<int>(TensorOpKind::gemm) == 0x301);
  static_assert(static_cast<int>(TensorOpKind::matmul_integer) == 0x302);
  static_assert(static_cast<int>(AttrId::alpha) == 1 && static_cast<int>(AttrId::b_zero_point) == 8);
  static_assert(static_cast<int>(TensorOpKind::conv) == 0x400);
  static_assert(static_cast<int>(TensorOpKind::conv_transpose) == 0x401);
  static_assert(static_cast<int>(TensorOpKind::qlinear_conv) == 0x403);
  static_assert(static_cast<int>(TensorOpKind::max_pool) == 0x500);
  static_assert(static_cast<int>(TensorOpKind::quantize_linear) == 0x900);
  static_assert(static_cast<int>(TensorOpKind::qlinear_matmul) == 0x902);
  static_assert(static_cast<int>(TensorOpKind::global_max_pool) == 0x503);
  static_assert(static_cast<int>(TensorOpKind::batch_normalization) == 0x600);
  static_assert(static_cast<int>(TensorOpKind::log_softmax) == 0x603);
  static_assert(static_cast<int>(TensorOpKind::reduce_sum) == 0x700);
  static_assert(static_cast<int>(TensorOpKind::reduce_log_sum_exp) == 0x709);
  static_assert(static_cast<int>(TensorOpKind::arg_min) == 0x70B);
  static_assert(static_cast<int>(TensorOpKind::cos) == 0x118);
  static_assert(static_cast<int>(TensorOpKind::prelu) == 0x209);
  static_assert(static_cast<int>(TensorOpKind::equal) == 0xA00);
  static_assert(static_cast<int>(TensorOpKind::logical_xor) == 0xA08);
  static_assert(static_cast<int>(TensorOpKind::reshape) == 0x800);
  static_assert(static_cast<int>(TensorOpKind::where) == 0x80C);
  static_assert(static_cast<int>(TensorOpKind::dropout) == 0x811);
  static_assert(static_cast<int>(AttrId::axis) == 9 && static_cast<int>(AttrId::seed) == 39);
  BOOST_TEST(known_kinds().size() == kKnownKindCount);
  BOOST_TEST(std::is_sorted(known_kinds().begin(), known_kinds().end()));
}

BOOST_AUTO_TEST_CASE(kind_names_round_trip) {
  std::set<std::string> names;
  for (const auto k : known_kinds()) {
    const std::string name(to_string(k));
    BOOST_TEST_CONTEXT(name) {
      BOOST_TEST(name != "unknown");
      BOOST_TEST((kind_from_string(name) == k));
      BOOST_TEST(is_known_kind(static_cast<std::uint16_t>(k)));
      BOOST_TEST(has_lane_results(k) == !kDataMovement.contains(k));
    }
    names.insert(name);
  }
  BOOST_TEST(names.size() == known_kinds().size());
  BOOST_TEST((kind_from_string("LeakyRelu") == TensorOpKind::leaky_relu));
  BOOST_TEST((kind_from_string("MatMulInteger") == TensorOpKind::matmul_integer));
  BOOST_TEST(!is_known_kind(0));
  BOOST_TEST(!is_known_kind(0x303));
  BOOST_TEST(to_string(static_cast<TensorOpKind>(0x999)) == "unknown");
  BOOST_CHECK_EXCEPTION(kind_from_string("Einsum"), NotFoundError,
                        testing::error_with(ErrorCode::not_found, "unknown tensor operator \"Einsum\""));
  BOOST_CHECK_EXCEPTION(kind_from_string("matmul"), NotFoundError,
                        testing::error_with(ErrorCode::not_found, "MatMul"));
}

BOOST_AUTO_TEST_CASE(attribute_names) {
  BOOST_TEST(to_string(AttrId::trans_a) == "transA");
  BOOST_TEST((attr_from_string("b_zero_point") == AttrId::b_zero_point));
  BOOST_TEST(to_string(static_cast<AttrId>(999)) == "unknown");
  BOOST_CHECK_THROW(attr_from_string("coordinate_transformation_mode"), NotFoundError);
  BOOST_TEST((attr_from_string("noop_with_empty_axes") == AttrId::noop_with_empty_axes));
  BOOST_TEST((attr_from_string("auto_pad") == AttrId::auto_pad));
  BOOST_TEST(to_string(AttrId::count_include_pad) == "count_include_pad");
  // Every attribute id round-trips through its name.
  for (int v = 1; v <= static_cast<int>(AttrId::seed); ++v) {
    const auto id = static_cast<AttrId>(v);
    BOOST_TEST_CONTEXT(v) {
      BOOST_TEST((attr_from_string(to_string(id)) == id));
    }
  }
}

BOOST_AUTO_TEST_CASE(string_attribute_values) {
  BOOST_TEST(string_attribute_value(AttrId::auto_pad, "NOTSET") == 0);
  BOOST_TEST(string_attribute_value(AttrId::auto_pad, "SAME_UPPER") == 1);
  BOOST_TEST(string_attribute_value(AttrId::auto_pad, "SAME_LOWER") == 2);
  BOOST_TEST(string_attribute_value(AttrId::auto_pad, "VALID") == 3);
  BOOST_TEST(string_attribute_value(AttrId::mode, "constant") == 0);
  BOOST_TEST(string_attribute_value(AttrId::mode, "reflect") == 1);
  BOOST_TEST(string_attribute_value(AttrId::mode, "edge") == 2);
  BOOST_CHECK_EXCEPTION(string_attribute_value(AttrId::auto_pad, "same_upper"), UnsupportedError,
                        testing::error_with(ErrorCode::unsupported,
                                            "attribute auto_pad: value \"same_upper\" is not supported "
                                            "(supported: NOTSET, SAME_UPPER, SAME_LOWER, VALID)"));
  BOOST_CHECK_EXCEPTION(string_attribute_value(AttrId::mode, "wrap"), UnsupportedError,
                        testing::error_with(ErrorCode::unsupported, "mode: value \"wrap\""));
  BOOST_CHECK_EXCEPTION(string_attribute_value(AttrId::alpha, "x"), UnsupportedError,
                        testing::error_with(ErrorCode::unsupported, "attribute alpha takes no string value"));
}

BOOST_AUTO_TEST_CASE(operand_and_op_helpers) {
  const auto a = operand(0x4000, DType::bf16, {64, 128});
  BOOST_TEST(a.elements() == 8192u);
  BOOST_TEST(a.bytes() == 16384u);
  BOOST_TEST(a.describe() == "bf16[64,128]@0x4000");
  BOOST_TEST(operand(0, DType::f32, {}).elements() == 1u);
  BOOST_TEST(operand(0, DType::f32, {3, 0}).bytes() == 0u);
  BOOST_TEST(absent().bytes() == 0u);
  BOOST_TEST(absent().describe() == "absent");
  auto op = make(TensorOpKind::gemm, {a, operand(0, DType::bf16, {128, 2})},
                 {operand(0x8000, DType::bf16, {64, 2})});
  op.set(AttrId::alpha, 0.5);
  op.set(AttrId::trans_b, std::int64_t{0});
  op.set(AttrId::alpha, 0.25);
  BOOST_TEST(op.attributes.size() == 2u);
  BOOST_TEST(op.attr_f64(AttrId::alpha, 1.0) == 0.25);
  BOOST_TEST(op.attr_f64(AttrId::beta, 1.0) == 1.0);
  BOOST_TEST(op.attr_i64(AttrId::trans_b, 7) == 0);
  BOOST_TEST(op.find(AttrId::beta) == nullptr);
  BOOST_CHECK_EXCEPTION(
      op.attr_i64(AttrId::alpha, 0), InvalidArgumentError,
      testing::error_with(ErrorCode::invalid_argument, "Gemm: attribute alpha is f64, not i64"));
  BOOST_TEST(op.describe() ==
             "Gemm(bf16[64,128]@0x4000, bf16[128,2]@0x0) -> bf16[64,2]@0x8000 alpha=0.25 transB=0");
  BOOST_TEST(mac_count(op) == 64u * 2u * 128u);
}

BOOST_AUTO_TEST_CASE(mac_counts) {
  const auto mm =
      make(TensorOpKind::matmul, {operand(0, DType::f32, {3, 4, 5}), operand(0, DType::f32, {5, 6})},
           {operand(0, DType::f32, {3, 4, 6})});
  BOOST_TEST(mac_count(mm) == 3u * 4u * 6u * 5u);
  const auto gemm_t =
      make(TensorOpKind::gemm, {operand(0, DType::f32, {7, 2}), operand(0, DType::f32, {7, 3})},
           {operand(0, DType::f32, {2, 3})}, {{.id = AttrId::trans_a, .value = std::int64_t{1}}});
  BOOST_TEST(mac_count(gemm_t) == 2u * 3u * 7u);
  const auto add = make(TensorOpKind::add, {operand(0, DType::f32, {4, 5}), operand(0, DType::f32, {5})},
                        {operand(0, DType::f32, {4, 5})});
  BOOST_TEST(mac_count(add) == 20u);
  const auto cast = make(TensorOpKind::cast, {operand(0, DType::f32, {4})}, {operand(0, DType::i8, {4})});
  BOOST_TEST(mac_count(cast) == 0u);
}

BOOST_AUTO_TEST_CASE(broadcasting_shapes) {
  BOOST_TEST(broadcast_shapes(Shape{2, 3, 4}, Shape{3, 1}) == (Shape{2, 3, 4}));
  BOOST_TEST(broadcast_shapes(Shape{}, Shape{5}) == (Shape{5}));
  BOOST_TEST(broadcast_shapes(Shape{1, 0}, Shape{3, 1}) == (Shape{3, 0}));
  BOOST_TEST(broadcast_shapes(Shape{8, 1, 6, 1}, Shape{7, 1, 5}) == (Shape{8, 7, 6, 5}));
  BOOST_CHECK_EXCEPTION(
      broadcast_shapes(Shape{2, 3}, Shape{4}), InvalidArgumentError,
      testing::error_with(ErrorCode::invalid_argument, "shapes [2,3] and [4] do not broadcast"));
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(chip_tensor_codec)

TensorOp sample_op() {
  return make(
      TensorOpKind::gemm,
      {operand(0x1000, DType::bf16, {64, 128}), operand(0xFFFF'FFFF'0000, DType::bf16, {128, 32}), absent()},
      {operand(0x8000, DType::bf16, {64, 32})},
      {{.id = AttrId::alpha, .value = 0.5},
       {.id = AttrId::trans_b, .value = std::int64_t{-1}},
       {.id = static_cast<AttrId>(0x7777), .value = std::vector<std::int64_t>{1, -2, 3}},
       {.id = static_cast<AttrId>(0x7778), .value = std::vector<double>{1.5, -0.0, 1e300}},
       {.id = static_cast<AttrId>(0x7779), .value = std::vector<double>{}}});
}

BOOST_AUTO_TEST_CASE(round_trip) {
  const auto op = sample_op();
  const auto wire = encode_tensor_op(op);
  const auto back = decode_tensor_op(wire);
  BOOST_TEST((back == op));
  BOOST_TEST((encode_tensor_op(back) == wire));
  // Unknown kinds and ranks 0 to 8 travel too.
  for (std::size_t rank = 0; rank <= kMaxTensorRank; ++rank) {
    const auto o = make(static_cast<TensorOpKind>(0xABCD), {operand(rank, DType::i64, Shape(rank, 2))},
                        {operand(0, DType::boolean, {0})});
    BOOST_TEST((decode_tensor_op(encode_tensor_op(o)) == o));
  }
}

BOOST_AUTO_TEST_CASE(byte_layout_is_pinned) {
  const auto op = make(TensorOpKind::leaky_relu, {operand(0x10, DType::f16, {2, 3})},
                       {operand(0x100, DType::f16, {6})}, {{.id = AttrId::alpha, .value = 0.5}});
  // clang-format off
  const Bytes want{
      0x09, 0x01,                                       // kind LeakyRelu (0x109)
      0x01,                                             // one input
      0x00, 0x01, 0x02,                                 // flags, dtype f16, rank 2
      0x10, 0, 0, 0, 0, 0, 0, 0,                        // address 0x10
      2, 0, 0, 0, 0, 0, 0, 0,                           // dim 0
      3, 0, 0, 0, 0, 0, 0, 0,                           // dim 1
      0x01,                                             // one output
      0x00, 0x01, 0x01,                                 // flags, dtype f16, rank 1
      0x00, 0x01, 0, 0, 0, 0, 0, 0,                     // address 0x100
      6, 0, 0, 0, 0, 0, 0, 0,                           // dim 0
      0x01, 0x00,                                       // one attribute
      0x01, 0x00, 0x01,                                 // id alpha, type f64
      0, 0, 0, 0, 0, 0, 0xE0, 0x3F,                     // 0.5
  };
  // clang-format on
  BOOST_TEST(encode_tensor_op(op) == want, boost::test_tools::per_element());
  BOOST_TEST(encode_tensor_op(make(TensorOpKind::identity, {absent()}, {})) ==
                 (Bytes{0x01, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(every_truncation_is_rejected) {
  const auto wire = encode_tensor_op(sample_op());
  for (std::size_t n = 0; n < wire.size(); ++n) {
    const Bytes cut(wire.begin(), wire.begin() + static_cast<std::ptrdiff_t>(n));
    BOOST_TEST_CONTEXT("first " << n << " bytes") {
      const auto msg =
          testing::expect_error<ProtocolError>([&] { decode_tensor_op(cut); }, ErrorCode::protocol);
      CHECK_STARTS_WITH(msg, "tensor op: ");
      CHECK_CONTAINS(msg, "truncated");
    }
  }
  Bytes longer = wire;
  longer.push_back(0);
  const auto msg =
      testing::expect_error<ProtocolError>([&] { decode_tensor_op(longer); }, ErrorCode::protocol);
  CHECK_CONTAINS(msg, "1 unexpected bytes");
}

BOOST_AUTO_TEST_CASE(truncation_names_the_field) {
  const auto wire = encode_tensor_op(sample_op());
  auto msg = [&](std::size_t n) {
    try {
      decode_tensor_op(std::span(wire).first(n));
    } catch (const ProtocolError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_CONTAINS(msg(1), "tensor op: kind: truncated at offset 0");
  CHECK_CONTAINS(msg(2), "input count");
  CHECK_CONTAINS(msg(4), "input 0 dtype");
  CHECK_CONTAINS(msg(7), "input 0 address");
  CHECK_CONTAINS(msg(28), "input 0 dim 1: truncated at offset 22");
}

// Patches one byte of an encoded Relu(f32[2,3]) and expects the named rejection.
BOOST_AUTO_TEST_CASE(malformed_fields_are_rejected) {
  const auto base = encode_tensor_op(
      make(TensorOpKind::relu, {operand(0, DType::f32, {2, 3})}, {operand(0x100, DType::f32, {2, 3})}));
  struct Case {
    std::size_t at;
    std::uint8_t value;
    std::string needle;
  };
  const std::vector<Case> cases{
      {.at = 2, .value = 65, .needle = "input count: 65 exceeds the maximum of 64"},
      {.at = 3, .value = 0x02, .needle = "input 0 flags: reserved bits set in 0x02"},
      {.at = 4, .value = 8, .needle = "input 0 dtype: unknown dtype 8"},
      {.at = 5, .value = 9, .needle = "input 0 rank: 9 exceeds the maximum of 8"},
      {.at = 21, .value = 0x80, .needle = "input 0 shape: dim 0 = "},  // top byte of dim 0: negative
      {.at = 27, .value = 0x01, .needle = "input 0 shape: dim 1 = "},  // 2^40 + 3 > kMaxTensorDim
      {.at = 30, .value = 200, .needle = "output count: 200 exceeds"},
  };
  for (const auto& c : cases) {
    Bytes b = base;
    b.at(c.at) = c.value;
    BOOST_TEST_CONTEXT("byte " << c.at << " = " << int{c.value}) {
      const auto msg =
          testing::expect_error<ProtocolError>([&] { decode_tensor_op(b); }, ErrorCode::protocol);
      CHECK_CONTAINS(msg, c.needle);
    }
  }
}

BOOST_AUTO_TEST_CASE(element_count_limit) {
  // Each dim is allowed, their product is not.
  Shape huge{std::int64_t{1} << 20, std::int64_t{1} << 20, 2};
  auto op = make(TensorOpKind::relu, {operand(0, DType::f32, huge)}, {operand(0, DType::f32, {1})});
  BOOST_CHECK_EXCEPTION(encode_tensor_op(op), InvalidArgumentError,
                        testing::error_with(ErrorCode::invalid_argument, "input 0: shape"));
  // Encode it by hand from a legal op: patch the last dim from 1 to 2.
  op.inputs[0].shape.back() = 1;
  auto wire = encode_tensor_op(op);
  wire.at(3 + 3 + 8 + 16) = 2;
  const auto msg = testing::expect_error<ProtocolError>([&] { decode_tensor_op(wire); }, ErrorCode::protocol);
  CHECK_CONTAINS(msg, "more than 1099511627776 elements");
  // A zero dimension makes any other dimension count fine.
  op.inputs[0].shape = {kMaxTensorDim, kMaxTensorDim, 0};
  BOOST_TEST((decode_tensor_op(encode_tensor_op(op)) == op));
}

BOOST_AUTO_TEST_CASE(malformed_attributes_are_rejected) {
  auto op = make(
      TensorOpKind::clip, {operand(0, DType::f32, {1})}, {operand(0, DType::f32, {1})},
      {{.id = AttrId::min, .value = 0.0}, {.id = AttrId::trans_a, .value = std::vector<std::int64_t>{1, 2}}});
  const auto wire = encode_tensor_op(op);
  const std::size_t attrs = 2 + 1 + 19 + 1 + 19;  // offset of the attribute count
  auto patched = [&](std::size_t at, std::uint8_t v) {
    Bytes b = wire;
    b.at(at) = v;
    return b;
  };
  auto expect = [](const Bytes& b, const std::string& needle) {
    const auto msg = testing::expect_error<ProtocolError>([&] { decode_tensor_op(b); }, ErrorCode::protocol);
    CHECK_CONTAINS(msg, needle);
  };
  expect(patched(attrs, 65), "attribute count: 65 exceeds the maximum of 64");
  expect(patched(attrs + 4, 4), "attribute 0 type: unknown type 4");
  expect(patched(attrs + 2 + 11, static_cast<std::uint8_t>(AttrId::min)),
         "attribute 1 id: min appears twice");
  expect(patched(attrs + 2 + 11 + 4, 0x04), "attribute 1 count: 1026 exceeds the maximum of 1024");  // 0x0402
  expect(patched(attrs + 2 + 11 + 3, 0xFF), "attribute 1 values: truncated");  // 255 values, 16 bytes left
  // Encode refuses what decode would refuse.
  op.attributes.push_back(Attribute{.id = AttrId::min, .value = 1.0});
  BOOST_CHECK_EXCEPTION(encode_tensor_op(op), InvalidArgumentError,
                        testing::error_with(ErrorCode::invalid_argument, "attribute min appears twice"));
  op.attributes.pop_back();
  op.attributes.push_back(Attribute{.id = AttrId::max, .value = std::vector<double>(kMaxAttrListLength + 1)});
  BOOST_CHECK_THROW(encode_tensor_op(op), InvalidArgumentError);
  op.attributes.pop_back();
  op.inputs.assign(kMaxTensorOperands + 1, operand(0, DType::f32, {1}));
  BOOST_CHECK_EXCEPTION(
      encode_tensor_op(op), InvalidArgumentError,
      testing::error_with(ErrorCode::invalid_argument, "65 inputs exceed the maximum of 64"));
  op.inputs.assign(1, operand(0, DType::f32, Shape(9, 1)));
  BOOST_CHECK_EXCEPTION(encode_tensor_op(op), InvalidArgumentError,
                        testing::error_with(ErrorCode::invalid_argument, "input 0: rank 9 exceeds"));
  op.inputs.assign(1, operand(0, static_cast<DType>(9), {1}));
  BOOST_CHECK_THROW(encode_tensor_op(op), InvalidArgumentError);
}

BOOST_AUTO_TEST_CASE(garbage_and_mutations_never_escape_as_other_errors) {
  Rand r{42};
  const auto valid = encode_tensor_op(sample_op());
  int decoded = 0, rejected = 0;
  for (int iter = 0; iter < 20'000; ++iter) {
    Bytes b;
    if (iter % 2 == 0) {
      b.resize(r.next() % 96);
      for (auto& x : b) x = static_cast<std::uint8_t>(r.next() % 4 == 0 ? r.next() : r.next() % 3);
    } else {
      b = valid;
      const int flips = 1 + static_cast<int>(r.next() % 3);
      for (int f = 0; f < flips; ++f) b[r.next() % b.size()] = static_cast<std::uint8_t>(r.next());
      if (r.next() % 4 == 0) b.resize(r.next() % (b.size() + 1));
    }
    try {
      const auto op = decode_tensor_op(b);
      ++decoded;
      // Whatever decodes is canonical: it encodes back to the same bytes.
      BOOST_REQUIRE(encode_tensor_op(op) == b);
    } catch (const ProtocolError&) {
      ++rejected;
    }
  }
  BOOST_TEST(decoded > 0);
  BOOST_TEST(rejected > 0);
  BOOST_TEST_MESSAGE("garbage: " << decoded << " decoded, " << rejected << " rejected");
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(chip_tensor_validate)

template <typename E>
void expect_rejected(const TensorOp& op, ErrorCode code, const std::string& needle) {
  BOOST_TEST_CONTEXT(op.describe()) {
    const auto msg = testing::expect_error<E>([&] { validate(op); }, code);
    CHECK_CONTAINS(msg, needle);
  }
}
void invalid(const TensorOp& op, const std::string& needle) {
  expect_rejected<InvalidArgumentError>(op, ErrorCode::invalid_argument, needle);
}
void unsupported(const TensorOp& op, const std::string& needle) {
  expect_rejected<UnsupportedError>(op, ErrorCode::unsupported, needle);
}

BOOST_AUTO_TEST_CASE(valid_ops_pass) {
  const auto f = DType::f32;
  const std::vector<TensorOp> ok{
      make(TensorOpKind::matmul, {operand(0, f, {4}), operand(0, f, {4})}, {operand(0, f, {})}),
      make(TensorOpKind::matmul, {operand(0, f, {2, 1, 3, 4}), operand(0, f, {5, 4, 6})},
           {operand(0, f, {2, 5, 3, 6})}),
      make(TensorOpKind::matmul, {operand(0, f, {0, 4}), operand(0, f, {4, 0})}, {operand(0, f, {0, 0})}),
      make(TensorOpKind::gemm, {operand(0, f, {2, 3}), operand(0, f, {3, 4}), absent()},
           {operand(0, f, {2, 4})}),
      make(TensorOpKind::gemm, {operand(0, f, {2, 3}), operand(0, f, {3, 4}), operand(0, f, {2, 1})},
           {operand(0, f, {2, 4})}),
      make(TensorOpKind::add, {operand(0, f, {}), operand(0, f, {3, 1})}, {operand(0, f, {3, 1})}),
      make(TensorOpKind::identity, {operand(0, DType::i64, {3})}, {operand(0, DType::i64, {3})}),
      make(TensorOpKind::cast, {operand(0, DType::boolean, {3})}, {operand(0, DType::bf16, {3})}),
      make(TensorOpKind::matmul_integer, {operand(0, DType::u8, {2, 3}), operand(0, DType::i8, {3, 4})},
           {operand(0, DType::i32, {2, 4})},
           {{.id = AttrId::a_zero_point, .value = std::vector<std::int64_t>{0, 255}},
            {.id = AttrId::b_zero_point, .value = std::int64_t{-128}}}),
      make(TensorOpKind::clip, {operand(0, DType::bf16, {3})}, {operand(0, DType::bf16, {3})},
           {{.id = AttrId::min, .value = -1.0}}),
      make(TensorOpKind::relu, {operand(0xFFFF'FFFF'FFFF'FFF0, f, {4})},
           {operand(0, f, {4})}),  // ends at 2^64
  };
  for (const auto& op : ok) BOOST_CHECK_NO_THROW(validate(op));
}

BOOST_AUTO_TEST_CASE(counts_and_presence) {
  const auto f = DType::f32;
  invalid(make(TensorOpKind::add, {operand(0, f, {1})}, {operand(0, f, {1})}),
          "Add: 1 inputs given, 2 expected");
  invalid(make(TensorOpKind::gemm, {operand(0, f, {1, 1})}, {operand(0, f, {1, 1})}),
          "Gemm: 1 inputs given, 2 to 3 expected");
  invalid(make(TensorOpKind::relu, {operand(0, f, {1})}, {}), "Relu: 0 outputs given, 1 expected");
  invalid(make(TensorOpKind::relu, {operand(0, f, {1})}, {absent()}), "Relu: output 0 (Y) is required");
  invalid(make(TensorOpKind::matmul, {operand(0, f, {1, 1}), absent()}, {operand(0, f, {1, 1})}),
          "MatMul: input 1 (B) is required");
  invalid(make(TensorOpKind::relu, {operand(0xFFFF'FFFF'FFFF'FFF1, f, {4})}, {operand(0, f, {4})}),
          "Relu: input 0 (X): 16 bytes at 0xfffffffffffffff1 wrap around the address space");
  invalid(make(TensorOpKind::relu, {operand(0, f, Shape(9, 1))}, {operand(0, f, {1})}),
          "Relu: input 0 (X): rank 9 exceeds the maximum of 8");
  invalid(make(TensorOpKind::relu, {operand(0, f, {-1})}, {operand(0, f, {1})}), "input 0 (X): dim 0 = -1");
  invalid(make(TensorOpKind::relu, {operand(0, static_cast<DType>(42), {1})}, {operand(0, f, {1})}),
          "Relu: input 0 (X): unknown dtype 42");
}

BOOST_AUTO_TEST_CASE(unknown_kind_is_unsupported) {
  unsupported(make(static_cast<TensorOpKind>(0x999), {}, {}), "tensor op 0x999: unknown operator");
}

BOOST_AUTO_TEST_CASE(dtypes) {
  const auto f = DType::f32;
  unsupported(make(TensorOpKind::matmul, {operand(0, DType::i32, {2, 2}), operand(0, DType::i32, {2, 2})},
                   {operand(0, DType::i32, {2, 2})}),
              "MatMul: input 0 (A): dtype i32 is not supported (supported: f32, f16, bf16)");
  unsupported(make(TensorOpKind::sigmoid, {operand(0, DType::i8, {2})}, {operand(0, DType::i8, {2})}),
              "Sigmoid: input 0 (X): dtype i8 is not supported");
  unsupported(
      make(TensorOpKind::matmul_integer, {operand(0, DType::i8, {2, 2}), operand(0, DType::f16, {2, 2})},
           {operand(0, DType::i32, {2, 2})}),
      "MatMulInteger: input 1 (B): dtype f16 is not supported (supported: i8, u8)");
  invalid(make(TensorOpKind::add, {operand(0, f, {2}), operand(0, DType::f16, {2})}, {operand(0, f, {2})}),
          "Add: input 1 (B): dtype f16 differs from input 0 (A) dtype f32");
  invalid(make(TensorOpKind::mul, {operand(0, f, {2}), operand(0, f, {2})}, {operand(0, DType::bf16, {2})}),
          "Mul: output 0 (C): dtype bf16 differs");
  invalid(make(TensorOpKind::matmul, {operand(0, DType::bf16, {2, 2}), operand(0, DType::bf16, {2, 2})},
               {operand(0, f, {2, 2})}),
          "MatMul: output 0 (Y): dtype f32 differs");
  invalid(make(TensorOpKind::matmul_integer, {operand(0, DType::i8, {2, 2}), operand(0, DType::i8, {2, 2})},
               {operand(0, DType::i64, {2, 2})}),
          "MatMulInteger: output 0 (Y): dtype i64 should be i32");
  invalid(make(TensorOpKind::identity, {operand(0, DType::i8, {2})}, {operand(0, DType::u8, {2})}),
          "Identity: output 0 (Y): dtype u8 differs");
  invalid(
      make(TensorOpKind::gemm, {operand(0, f, {2, 2}), operand(0, f, {2, 2}), operand(0, DType::f16, {2})},
           {operand(0, f, {2, 2})}),
      "Gemm: input 2 (C): dtype f16 differs");
}

BOOST_AUTO_TEST_CASE(shapes) {
  const auto f = DType::f32;
  invalid(
      make(TensorOpKind::matmul, {operand(0, f, {2, 3}), operand(0, f, {4, 5})}, {operand(0, f, {2, 5})}),
      "MatMul: input 1 (B): shape [4,5] does not match input 0 (A) [2,3]: inner dimensions 3 and 4 differ");
  invalid(make(TensorOpKind::matmul, {operand(0, f, {2, 2, 3}), operand(0, f, {3, 3, 5})},
               {operand(0, f, {2, 2, 5})}),
          "MatMul: input 1 (B): batch dimensions of [3,3,5] do not broadcast");
  invalid(make(TensorOpKind::matmul, {operand(0, f, {2, 3}), operand(0, f, {3, 5})}, {operand(0, f, {5, 2})}),
          "MatMul: output 0 (Y): shape [5,2] should be [2,5]");
  invalid(make(TensorOpKind::matmul, {operand(0, f, {3}), operand(0, f, {3})}, {operand(0, f, {1})}),
          "MatMul: output 0 (Y): shape [1] should be []");
  invalid(make(TensorOpKind::matmul, {operand(0, f, {}), operand(0, f, {3})}, {operand(0, f, {3})}),
          "MatMul: input 0 (A): a scalar cannot be multiplied");
  invalid(
      make(TensorOpKind::gemm, {operand(0, f, {1, 2, 3}), operand(0, f, {3, 4})}, {operand(0, f, {2, 4})}),
      "Gemm: input 0 (A): rank 3 should be 2");
  invalid(
      make(TensorOpKind::gemm, {operand(0, f, {2, 3}), operand(0, f, {4, 3})}, {operand(0, f, {2, 4})}),
      "Gemm: input 1 (B): shape [4,3] (transB=0) does not match input 0 (A) [2,3] (transA=0): K = 3 and 4");
  invalid(make(TensorOpKind::gemm, {operand(0, f, {2, 3}), operand(0, f, {3, 4}), operand(0, f, {3})},
               {operand(0, f, {2, 4})}),
          "Gemm: input 2 (C): shape [3] does not broadcast to [2,4]");
  invalid(make(TensorOpKind::gemm, {operand(0, f, {2, 3}), operand(0, f, {3, 4}), operand(0, f, {1, 2, 4})},
               {operand(0, f, {2, 4})}),
          "Gemm: input 2 (C): shape [1,2,4] does not broadcast to [2,4]");
  invalid(make(TensorOpKind::add, {operand(0, f, {2, 3}), operand(0, f, {4})}, {operand(0, f, {2, 3})}),
          "Add: input 1 (B): shape [4] does not broadcast with input 0 (A) [2,3]");
  invalid(make(TensorOpKind::add, {operand(0, f, {2, 3}), operand(0, f, {3})}, {operand(0, f, {3})}),
          "Add: output 0 (C): shape [3] should be [2,3]");
  invalid(make(TensorOpKind::exp, {operand(0, f, {2, 3})}, {operand(0, f, {6})}),
          "Exp: output 0 (Y): shape [6] should be [2,3]");
  invalid(make(TensorOpKind::cast, {operand(0, f, {2, 3})}, {operand(0, DType::i8, {3, 2})}),
          "Cast: output 0 (Y): shape [3,2] should be [2,3]");
}

BOOST_AUTO_TEST_CASE(attributes) {
  const auto f = DType::f32;
  const auto gemm = [&](std::vector<Attribute> attrs) {
    return make(TensorOpKind::gemm, {operand(0, f, {2, 2}), operand(0, f, {2, 2})}, {operand(0, f, {2, 2})},
                std::move(attrs));
  };
  invalid(gemm({{.id = AttrId::trans_a, .value = std::int64_t{2}}}),
          "Gemm: attribute transA = 2 should be 0 or 1");
  invalid(gemm({{.id = AttrId::alpha, .value = std::int64_t{1}}}),
          "Gemm: attribute alpha has the wrong type i64");
  invalid(gemm({{.id = AttrId::alpha, .value = 1.0}, {.id = AttrId::alpha, .value = 2.0}}),
          "Gemm: attribute alpha appears twice");
  unsupported(gemm({{.id = AttrId::min, .value = 1.0}}),
              "Gemm: attribute min is not supported by this operator");
  unsupported(gemm({{.id = static_cast<AttrId>(999), .value = 1.0}}), "Gemm: attribute 999 is not supported");
  unsupported(make(TensorOpKind::relu, {operand(0, f, {1})}, {operand(0, f, {1})},
                   {{.id = AttrId::alpha, .value = 0.1}}),
              "Relu: attribute alpha is not supported");
  invalid(make(TensorOpKind::clip, {operand(0, f, {1})}, {operand(0, f, {1})},
               {{.id = AttrId::max, .value = std::nan("")}}),
          "Clip: attribute max is NaN");
  const auto mmi = [&](AttrValue za, AttrValue zb) {
    return make(TensorOpKind::matmul_integer, {operand(0, DType::i8, {2, 3}), operand(0, DType::u8, {3, 4})},
                {operand(0, DType::i32, {2, 4})},
                {{.id = AttrId::a_zero_point, .value = std::move(za)},
                 {.id = AttrId::b_zero_point, .value = std::move(zb)}});
  };
  BOOST_CHECK_NO_THROW(validate(mmi(std::int64_t{-128}, std::vector<std::int64_t>{0, 1, 2, 255})));
  invalid(mmi(std::int64_t{128}, std::int64_t{0}),
          "MatMulInteger: attribute a_zero_point value 128 is outside the i8 range -128..127");
  invalid(mmi(std::int64_t{0}, std::int64_t{-1}),
          "attribute b_zero_point value -1 is outside the u8 range 0..255");
  invalid(mmi(std::vector<std::int64_t>{1, 2, 3}, std::int64_t{0}),
          "attribute a_zero_point has 3 values; it should be a scalar or have 2");
  invalid(mmi(0.5, std::int64_t{0}), "attribute a_zero_point has the wrong type f64");
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(chip_tensor_kernels)

BOOST_AUTO_TEST_CASE(matmul_2d_every_float_dtype) {
  std::uint64_t seed = 1;
  for (const auto t : kFloats) {
    check_matmul(t, {7, 33}, {33, 5}, {7, 5}, seed++);
    check_matmul(t, {1, 300}, {300, 3}, {1, 3}, seed++);  // long reductions show the accumulation order
    check_matmul(t, {3, 0}, {0, 4}, {3, 4}, seed++);      // K = 0: zeros
  }
}

BOOST_AUTO_TEST_CASE(matmul_batched_and_broadcast) {
  std::uint64_t seed = 100;
  for (const auto t : kFloats) {
    check_matmul(t, {2, 1, 3, 4}, {5, 4, 6}, {2, 5, 3, 6}, seed++);
    check_matmul(t, {3, 2, 4}, {4, 5}, {3, 2, 5}, seed++);
    check_matmul(t, {2, 4}, {3, 4, 5}, {3, 2, 5}, seed++);
    check_matmul(t, {4}, {4, 5}, {5}, seed++);
    check_matmul(t, {2, 3, 4}, {4}, {2, 3}, seed++);
    check_matmul(t, {6}, {6}, {}, seed++);
    check_matmul(t, {4}, {2, 4, 3}, {2, 3}, seed++);
  }
}

BOOST_AUTO_TEST_CASE(matmul_accumulates_in_order_in_fp32) {
  // 1 + 2^-24 + 2^-24 ... : in order each tiny product is lost against 1; summed first it would not be.
  const std::size_t k = 9;
  Bytes a(k * 4), b(k * 4);
  for (std::size_t i = 0; i < k; ++i) {
    put_float(DType::f32, a, i, i == 0 ? 1.0f : 0x1p-24f);
    put_float(DType::f32, b, i, 1.0f);
  }
  const auto op = make(TensorOpKind::matmul, {operand(0, DType::f32, {1, 9}), operand(0, DType::f32, {9, 1})},
                       {operand(0, DType::f32, {1, 1})});
  BOOST_TEST(get_float(DType::f32, run(op, {a, b})[0], 0) == 1.0f);
  // And a reduced-type product is exact before it is accumulated: bf16 (1 + 2^-7)^2 = 1 + 2^-6 + 2^-14.
  Bytes ab(2), bb(2);
  put_float(DType::bf16, ab, 0, 1.0f + 0x1p-7f);
  put_float(DType::bf16, bb, 0, 1.0f + 0x1p-7f);
  const auto opb =
      make(TensorOpKind::matmul, {operand(0, DType::bf16, {1, 1}), operand(0, DType::bf16, {1, 1})},
           {operand(0, DType::bf16, {1, 1})});
  // The exact 1 + 2^-6 + 2^-14 is rounded once, at the end, to the bf16 1 + 2^-6.
  BOOST_TEST(get_float(DType::bf16, run(opb, {ab, bb})[0], 0) == 1.0f + 0x1p-6f);
}

BOOST_AUTO_TEST_CASE(gemm_transposes_alpha_beta_and_c) {
  std::uint64_t seed = 200;
  const std::vector<std::optional<Shape>> cs{std::nullopt, Shape{},     Shape{5},
                                             Shape{3, 1},  Shape{1, 5}, Shape{3, 5}};
  for (const auto t : kFloats)
    for (const bool ta : {false, true})
      for (const bool tb : {false, true})
        for (const auto& c : cs) check_gemm(t, 3, 17, 5, ta, tb, std::nullopt, std::nullopt, c, seed++);
  for (const auto t : kFloats) {
    check_gemm(t, 4, 9, 6, false, true, 0.5, 2.0, Shape{4, 6}, seed++);
    check_gemm(t, 4, 9, 6, true, false, -1.25, 0.0, Shape{6}, seed++);
    check_gemm(t, 4, 9, 6, false, false, 0.1, 0.3, Shape{4, 1}, seed++);  // alpha, beta not exact in float
    check_gemm(t, 2, 0, 3, false, false, 2.0, 1.0, Shape{3}, seed++);
  }
}

BOOST_AUTO_TEST_CASE(matmul_integer_exact) {
  std::uint64_t seed = 300;
  for (const auto ta : {DType::i8, DType::u8})
    for (const auto tb : {DType::i8, DType::u8}) {
      const std::int64_t za = ta == DType::i8 ? -3 : 128, zb = tb == DType::i8 ? 5 : 17;
      check_matmul_integer(ta, tb, {6, 40}, {40, 7}, {6, 7}, std::int64_t{0}, std::int64_t{0}, seed++);
      check_matmul_integer(ta, tb, {6, 40}, {40, 7}, {6, 7}, za, zb, seed++);
      check_matmul_integer(ta, tb, {2, 3, 8}, {8, 4}, {2, 3, 4}, std::vector<std::int64_t>{za, 0, za + 1},
                           std::vector<std::int64_t>{zb, 0, 1, zb}, seed++);
      check_matmul_integer(ta, tb, {8}, {2, 8, 3}, {2, 3}, za, zb, seed++);
    }
}

BOOST_AUTO_TEST_CASE(matmul_integer_wraps_in_int32) {
  // 255 · 255 · 40000 = 2'601'000'000 > 2^31 - 1: the int32 accumulator wraps.
  const std::size_t k = 40'000;
  const Bytes a(k, 255), b(k, 255);
  const auto op = make(TensorOpKind::matmul_integer,
                       {operand(0, DType::u8, {1, 40'000}), operand(0, DType::u8, {40'000, 1})},
                       {operand(0, DType::i32, {1, 1})});
  const auto got = static_cast<std::int32_t>(get_u32(run(op, {a, b})[0], 0));
  BOOST_TEST(got == static_cast<std::int32_t>(static_cast<std::uint32_t>(2'601'000'000ull)));
  BOOST_TEST(got < 0);
}

BOOST_AUTO_TEST_CASE(elementwise_binary_with_broadcasting) {
  const std::vector<std::array<Shape, 3>> shapes{{Shape{2, 3, 4}, Shape{3, 1}, Shape{2, 3, 4}},
                                                 {Shape{1}, Shape{2, 2}, Shape{2, 2}},
                                                 {Shape{}, Shape{5}, Shape{5}},
                                                 {Shape{2, 1, 4}, Shape{3, 1}, Shape{2, 3, 4}},
                                                 {Shape{4, 1}, Shape{1, 4}, Shape{4, 4}},
                                                 {Shape{0, 3}, Shape{3}, Shape{0, 3}}};
  const std::vector<TensorOpKind> exact{TensorOpKind::add, TensorOpKind::sub, TensorOpKind::mul,
                                        TensorOpKind::div, TensorOpKind::max, TensorOpKind::min};
  Rand r{400};
  for (const auto t : kFloats)
    for (const auto& s : shapes)
      for (const auto kind : exact) {
        BOOST_TEST_CONTEXT(to_string(kind) << " " << to_string(t) << " " << str(s[0]) << " " << str(s[1])) {
          const auto op = make(kind, {operand(0, t, s[0]), operand(0, t, s[1])}, {operand(0, t, s[2])});
          const Bytes a = random_floats(t, s[0], r, -4, 4), b = random_floats(t, s[1], r, 0.25, 4);
          const Bytes out = run(op, {a, b})[0];
          int mismatches = 0;
          for (std::uint64_t i = 0; i < count(s[2]); ++i) {
            const auto idx = unravel(i, s[2]);
            const double x = get_float(t, a, broadcast_offset(idx, s[0]));
            const double y = get_float(t, b, broadcast_offset(idx, s[1]));
            double want = 0;
            switch (kind) {
              case TensorOpKind::add:
                want = x + y;
                break;
              case TensorOpKind::sub:
                want = x - y;
                break;
              case TensorOpKind::mul:
                want = x * y;
                break;
              case TensorOpKind::div:
                want = x / y;
                break;
              case TensorOpKind::max:
                want = std::max(x, y);
                break;
              default:
                want = std::min(x, y);
                break;
            }
            // Rounding the double result to float is the single FP32 rounding (53 >= 2·24 + 2).
            if (stored_bits(t, static_cast<float>(want)) != stored_bits(t, out, i)) ++mismatches;
          }
          BOOST_TEST(mismatches == 0);
        }
      }
}

BOOST_AUTO_TEST_CASE(elementwise_pow_within_an_ulp_of_double) {
  Rand r{401};
  const Shape s{64};
  const auto op = make(TensorOpKind::pow, {operand(0, DType::f32, s), operand(0, DType::f32, {1})},
                       {operand(0, DType::f32, s)});
  for (int rep = 0; rep < 8; ++rep) {
    const Bytes a = random_floats(DType::f32, s, r, 0.1, 3), b = random_floats(DType::f32, {1}, r, -3, 3);
    const Bytes out = run(op, {a, b})[0];
    for (std::size_t i = 0; i < 64; ++i) {
      const auto want = static_cast<float>(std::pow(static_cast<double>(get_float(DType::f32, a, i)),
                                                    static_cast<double>(get_float(DType::f32, b, 0))));
      BOOST_TEST(ulp_distance(get_float(DType::f32, out, i), want) <= 1u);
    }
  }
}

BOOST_AUTO_TEST_CASE(elementwise_unary) {
  Rand r{500};
  const Shape s{3, 50};
  struct Case {
    TensorOpKind kind;
    double lo, hi;
    std::function<double(double)> f;
    std::uint64_t ulps;  // 0: exact
    std::vector<Attribute> attrs;
  };
  const std::vector<Case> cases{
      {TensorOpKind::relu, -4, 4, [](double x) { return x < 0 ? 0.0 : x; }, 0, {}},
      {TensorOpKind::neg, -4, 4, [](double x) { return -x; }, 0, {}},
      {TensorOpKind::abs, -4, 4, [](double x) { return std::fabs(x); }, 0, {}},
      {TensorOpKind::sqrt, 0, 100, [](double x) { return std::sqrt(x); }, 0, {}},
      {TensorOpKind::leaky_relu,
       -4,
       4,
       [](double x) { return x < 0 ? static_cast<double>(0.01f) * x : x; },
       0,
       {}},
      {TensorOpKind::leaky_relu,
       -4,
       4,
       [](double x) { return x < 0 ? 0.2 * x : x; },
       0,
       {{.id = AttrId::alpha, .value = 0.2}}},  // 0.2 rounds to float first: documented
      {TensorOpKind::clip,
       -4,
       4,
       [](double x) { return std::clamp(x, -1.0, 2.5); },
       0,
       {{.id = AttrId::min, .value = -1.0}, {.id = AttrId::max, .value = 2.5}}},
      {TensorOpKind::clip,
       -4,
       4,
       [](double x) { return std::min(x, 0.5); },
       0,
       {{.id = AttrId::max, .value = 0.5}}},
      {TensorOpKind::exp, -10, 10, [](double x) { return std::exp(x); }, 2, {}},
      {TensorOpKind::log, 0.001, 1000, [](double x) { return std::log(x); }, 2, {}},
      {TensorOpKind::tanh, -5, 5, [](double x) { return std::tanh(x); }, 2, {}},
      {TensorOpKind::erf, -3, 3, [](double x) { return std::erf(x); }, 2, {}},
      {TensorOpKind::sigmoid, -20, 20, [](double x) { return 1 / (1 + std::exp(-x)); }, 4, {}},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(to_string(c.kind)) {
      const auto op32 = make(c.kind, {operand(0, DType::f32, s)}, {operand(0, DType::f32, s)}, c.attrs);
      const Bytes x = random_floats(DType::f32, s, r, c.lo, c.hi);
      const Bytes y = run(op32, {x})[0];
      int bad = 0;
      for (std::uint64_t i = 0; i < count(s); ++i) {
        const double arg = get_float(DType::f32, x, i);
        auto want = static_cast<float>(c.f(arg));
        if (c.kind == TensorOpKind::leaky_relu && !c.attrs.empty() && arg < 0)
          want = static_cast<float>(static_cast<double>(0.2f) * arg);
        const float got = get_float(DType::f32, y, i);
        if (ulp_distance(got, want) > c.ulps && ++bad <= 3)
          BOOST_ERROR("x=" << arg << ": got " << got << ", want " << want);
      }
      BOOST_TEST(bad == 0);
      // Reduced types: the FP32 result of the widened inputs, rounded once.
      for (const auto t : {DType::f16, DType::bf16}) {
        const auto op = make(c.kind, {operand(0, t, s)}, {operand(0, t, s)}, c.attrs);
        const Bytes xr = random_floats(t, s, r, c.lo, c.hi);
        Bytes x32(count(s) * 4);
        for (std::size_t i = 0; i < count(s); ++i) put_float(DType::f32, x32, i, get_float(t, xr, i));
        const Bytes y32 = run(op32, {x32})[0];
        const Bytes yr = run(op, {xr})[0];
        int diff = 0;
        for (std::size_t i = 0; i < count(s); ++i)
          if (stored_bits(t, get_float(DType::f32, y32, i)) != stored_bits(t, yr, i)) ++diff;
        BOOST_TEST(diff == 0, to_string(t));
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(special_values) {
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = HUGE_VALF;
  auto unary = [](TensorOpKind k, std::vector<float> xs, std::vector<Attribute> attrs = {}) {
    const Shape s{static_cast<std::int64_t>(xs.size())};
    Bytes b(xs.size() * 4);
    for (std::size_t i = 0; i < xs.size(); ++i) put_float(DType::f32, b, i, xs[i]);
    const Bytes out =
        run(make(k, {operand(0, DType::f32, s)}, {operand(0, DType::f32, s)}, std::move(attrs)), {b})[0];
    std::vector<float> ys;
    for (std::size_t i = 0; i < xs.size(); ++i) ys.push_back(get_float(DType::f32, out, i));
    return ys;
  };
  auto binary = [](TensorOpKind k, float x, float y) {
    Bytes a(4), b(4);
    put_float(DType::f32, a, 0, x);
    put_float(DType::f32, b, 0, y);
    return get_float(DType::f32,
                     run(make(k, {operand(0, DType::f32, {1}), operand(0, DType::f32, {1})},
                              {operand(0, DType::f32, {1})}),
                         {a, b})[0],
                     0);
  };
  const auto relu = unary(TensorOpKind::relu, {nan, -0.0f, -inf, inf});
  BOOST_TEST(std::isnan(relu[0]));
  BOOST_TEST((relu[1] == 0.0f && std::signbit(relu[1])));
  BOOST_TEST(relu[2] == 0.0f);
  BOOST_TEST(relu[3] == inf);
  const auto sig = unary(TensorOpKind::sigmoid, {-200.0f, 200.0f, 0.0f, nan});
  BOOST_TEST(sig[0] == 0.0f);
  BOOST_TEST(sig[1] == 1.0f);
  BOOST_TEST(sig[2] == 0.5f);
  BOOST_TEST(std::isnan(sig[3]));
  const auto clip = unary(TensorOpKind::clip, {nan, -inf, inf},
                          {{.id = AttrId::min, .value = 0.0}, {.id = AttrId::max, .value = 1.0}});
  BOOST_TEST(std::isnan(clip[0]));
  BOOST_TEST(clip[1] == 0.0f);
  BOOST_TEST(clip[2] == 1.0f);
  BOOST_TEST(std::isnan(unary(TensorOpKind::sqrt, {-1.0f})[0]));
  BOOST_TEST(unary(TensorOpKind::log, {0.0f})[0] == -inf);
  BOOST_TEST(std::isnan(binary(TensorOpKind::max, nan, 1.0f)));
  BOOST_TEST(std::isnan(binary(TensorOpKind::min, 1.0f, nan)));
  BOOST_TEST(!std::signbit(binary(TensorOpKind::max, -0.0f, 0.0f)));
  BOOST_TEST(!std::signbit(binary(TensorOpKind::max, 0.0f, -0.0f)));
  BOOST_TEST(std::signbit(binary(TensorOpKind::min, 0.0f, -0.0f)));
  BOOST_TEST(std::signbit(binary(TensorOpKind::min, -0.0f, 0.0f)));
  BOOST_TEST(binary(TensorOpKind::div, 1.0f, 0.0f) == inf);
  BOOST_TEST(std::isnan(binary(TensorOpKind::div, 0.0f, 0.0f)));
  BOOST_TEST(binary(TensorOpKind::pow, 2.0f, 10.0f) == 1024.0f);
  // FP16 overflow of an FP32 result: 300 · 300 = 90000 > 65504.
  Bytes a(2), b(2);
  put_float(DType::f16, a, 0, 300.0f);
  put_float(DType::f16, b, 0, 300.0f);
  const auto mul16 = make(TensorOpKind::mul, {operand(0, DType::f16, {1}), operand(0, DType::f16, {1})},
                          {operand(0, DType::f16, {1})});
  BOOST_TEST(std::isinf(get_float(DType::f16, run(mul16, {a, b})[0], 0)));
}

BOOST_AUTO_TEST_CASE(cast_between_every_pair_of_dtypes) {
  // One value table per source dtype, with the expected results per destination spelled out.
  auto cast = [](DType from, DType to, const Bytes& in) {
    const Shape s{static_cast<std::int64_t>(in.size() / dtype_size(from))};
    return run(make(TensorOpKind::cast, {operand(0, from, s)}, {operand(0, to, s)}), {in})[0];
  };
  auto f32_bytes = [](std::vector<float> xs) {
    Bytes b(xs.size() * 4);
    for (std::size_t i = 0; i < xs.size(); ++i) put_float(DType::f32, b, i, xs[i]);
    return b;
  };
  const auto nan = std::numeric_limits<float>::quiet_NaN();
  const Bytes src = f32_bytes({2.7f, -2.7f, 300.0f, -300.0f, nan, 0.0f, 1e20f, -1e20f, 65520.0f});
  BOOST_TEST(cast(DType::f32, DType::i8, src) == (Bytes{2, 0xFE, 127, 0x80, 0, 0, 127, 0x80, 127}),
             boost::test_tools::per_element());
  BOOST_TEST(cast(DType::f32, DType::u8, src) == (Bytes{2, 0, 255, 0, 0, 0, 255, 0, 255}),
             boost::test_tools::per_element());
  BOOST_TEST(cast(DType::f32, DType::boolean, src) == (Bytes{1, 1, 1, 1, 1, 0, 1, 1, 1}),
             boost::test_tools::per_element());
  const Bytes i32 = cast(DType::f32, DType::i32, src);
  BOOST_TEST(static_cast<std::int32_t>(get_u32(i32, 2)) == 300);
  BOOST_TEST(static_cast<std::int32_t>(get_u32(i32, 6)) == std::numeric_limits<std::int32_t>::max());
  BOOST_TEST(static_cast<std::int32_t>(get_u32(i32, 7)) == std::numeric_limits<std::int32_t>::min());
  const Bytes i64 = cast(DType::f32, DType::i64, f32_bytes({-1e30f, 1e30f, -5.5f}));
  BOOST_TEST(i64 == (Bytes{0,    0,    0,    0,    0,    0,    0,    0x80, 0xFF, 0xFF, 0xFF, 0xFF,
                           0xFF, 0xFF, 0xFF, 0x7F, 0xFB, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}),
             boost::test_tools::per_element());
  const Bytes h = cast(DType::f32, DType::f16, src);
  BOOST_TEST(stored_bits(DType::f16, h, 0) == float_to_fp16(2.7f));
  BOOST_TEST(stored_bits(DType::f16, h, 8) == 0x7C00u);  // overflow
  BOOST_TEST(fp16_is_nan(static_cast<std::uint16_t>(stored_bits(DType::f16, h, 4))));
  // Integer to integer wraps; integer to float goes through FP32.
  const Bytes i32_src{0x2C, 0x01, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x00, 0x00, 0x01};  // 300, -1, 2^24 + 1
  BOOST_TEST(cast(DType::i32, DType::i8, i32_src) == (Bytes{0x2C, 0xFF, 0x01}),
             boost::test_tools::per_element());
  BOOST_TEST(cast(DType::i32, DType::u8, i32_src) == (Bytes{0x2C, 0xFF, 0x01}),
             boost::test_tools::per_element());
  BOOST_TEST(cast(DType::i32, DType::boolean, i32_src) == (Bytes{1, 1, 1}), boost::test_tools::per_element());
  const Bytes f = cast(DType::i32, DType::f32, i32_src);
  BOOST_TEST(get_float(DType::f32, f, 0) == 300.0f);
  BOOST_TEST(get_float(DType::f32, f, 1) == -1.0f);
  BOOST_TEST(get_float(DType::f32, f, 2) == 16777216.0f);  // 2^24 + 1 rounds to even
  BOOST_TEST(
      cast(DType::i8, DType::i64, Bytes{0xFF}) == (Bytes{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}),
      boost::test_tools::per_element());
  BOOST_TEST(cast(DType::u8, DType::i8, Bytes{200}) == (Bytes{200}), boost::test_tools::per_element());
  BOOST_TEST(cast(DType::boolean, DType::f32, Bytes{0, 1, 7}) == f32_bytes({0.0f, 1.0f, 1.0f}),
             boost::test_tools::per_element());
  BOOST_TEST(cast(DType::boolean, DType::i32, Bytes{7}) == (Bytes{1, 0, 0, 0}),
             boost::test_tools::per_element());
  const Bytes bf = cast(DType::f16, DType::bf16, Bytes{0x55, 0x35});  // fp16 0x3555 = 0.333251953125
  BOOST_TEST(stored_bits(DType::bf16, bf, 0) == float_to_bf16(0.333251953125f));
  // Every pair runs.
  for (int from = 0; from < kDTypeCount; ++from)
    for (int to = 0; to < kDTypeCount; ++to) {
      const auto tf = static_cast<DType>(from), tt = static_cast<DType>(to);
      const Bytes in(3 * dtype_size(tf), 0x41);
      BOOST_TEST(cast(tf, tt, in).size() == 3 * dtype_size(tt));
    }
}

BOOST_AUTO_TEST_CASE(identity_copies_bytes) {
  const Bytes in{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  BOOST_TEST(run(make(TensorOpKind::identity, {operand(0, DType::i64, {2})}, {operand(0, DType::i64, {2})}),
                 {in})[0] == in);
  const Bytes nan16{0x01, 0x7C};  // a signalling FP16 NaN is copied, not quieted
  BOOST_TEST(run(make(TensorOpKind::identity, {operand(0, DType::f16, {1})}, {operand(0, DType::f16, {1})}),
                 {nan16})[0] == nan16);
}

BOOST_AUTO_TEST_CASE(result_tap_sees_every_lane_result_before_rounding) {
  Rand r{600};
  const Shape s{3, 7};
  const Bytes x = random_floats(DType::f32, s, r);
  const auto op = make(TensorOpKind::relu, {operand(0, DType::f32, s)}, {operand(0, DType::f32, s)});
  FlipTap tap;
  const Bytes plain = run(op, {x})[0];
  const std::vector<std::span<const std::uint8_t>> spans{x};
  const Bytes tapped = reference_execute(op, spans, &tap)[0];
  BOOST_TEST(tap.seen.size() == count(s));
  std::vector<std::uint64_t> sorted = tap.seen;
  std::sort(sorted.begin(), sorted.end());
  for (std::size_t i = 0; i < sorted.size(); ++i) BOOST_TEST(sorted[i] == i);
  for (std::size_t i = 0; i < count(s); ++i) BOOST_TEST((get_u32(tapped, i) ^ get_u32(plain, i)) == 1u);
  // Integer results are tapped as the int32 accumulator.
  FlipTap itap;
  const auto mmi =
      make(TensorOpKind::matmul_integer, {operand(0, DType::i8, {2, 2}), operand(0, DType::i8, {2, 2})},
           {operand(0, DType::i32, {2, 2})});
  const std::vector<Bytes> ints{Bytes{1, 2, 3, 4}, Bytes{1, 0, 0, 1}};
  const Bytes yi = reference_execute(mmi, ints, &itap)[0];
  BOOST_TEST(itap.seen.size() == 4u);
  BOOST_TEST(get_u32(yi, 0) == (1u ^ 1u));
  BOOST_TEST(get_u32(yi, 3) == (4u ^ 1u));
  // Reduced outputs: the tap acts on FP32 bits, so flipping bit 0 vanishes when rounding to bf16.
  FlipTap btap;
  const Bytes xb = random_floats(DType::bf16, s, r);
  const auto opb = make(TensorOpKind::relu, {operand(0, DType::bf16, s)}, {operand(0, DType::bf16, s)});
  BOOST_TEST(reference_execute(opb, std::vector<Bytes>{xb}, &btap)[0] == run(opb, {xb})[0]);
  // Data movement has no lane results.
  FlipTap none;
  reference_execute(make(TensorOpKind::identity, {operand(0, DType::f32, s)}, {operand(0, DType::f32, s)}),
                    std::vector<Bytes>{x}, &none);
  reference_execute(make(TensorOpKind::cast, {operand(0, DType::f32, s)}, {operand(0, DType::f16, s)}),
                    std::vector<Bytes>{x}, &none);
  BOOST_TEST(none.seen.empty());
}

BOOST_AUTO_TEST_CASE(buffers_must_match_the_operands) {
  const auto op = make(TensorOpKind::add, {operand(0, DType::f32, {2}), operand(0, DType::f32, {2})},
                       {operand(0, DType::f32, {2})});
  BOOST_CHECK_EXCEPTION(
      run(op, {Bytes(8)}), InvalidArgumentError,
      testing::error_with(ErrorCode::invalid_argument, "Add: 1 input buffers for 2 inputs"));
  BOOST_CHECK_EXCEPTION(run(op, {Bytes(8), Bytes(7)}), InvalidArgumentError,
                        testing::error_with(ErrorCode::invalid_argument,
                                            "Add: input 1 (B): buffer of 7 bytes for f32[2]@0x0 (8 bytes)"));
  BOOST_CHECK_THROW(
      run(make(TensorOpKind::relu, {operand(0, DType::i8, {2})}, {operand(0, DType::i8, {2})}), {Bytes(2)}),
      UnsupportedError);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval::chip

// Private to framework/chip: helpers shared by the tensor operator families (tensor.cpp and the
// tensor_<family>.cpp files) — the validation Checker, element loads and stores, the Emitter that routes
// lane results through a ResultTap, broadcasting — and the hooks each operator family provides.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/core.h>

#include <seedval/chip/numeric.h>
#include <seedval/chip/tensor.h>
#include <seedval/core/error.h>
#include <seedval/core/strings.h>

namespace seedval::chip::detail {

/// "Gemm", or "tensor op 0x999" for a kind this build does not know.
std::string kind_label(TensorOpKind k);
/// "alpha", or the number for an id this build does not know.
std::string attr_label(AttrId id);
/// "[2,3]".
std::string shape_string(std::span<const std::int64_t> shape);
/// Product of the dimensions (1 for a scalar).
std::uint64_t product(std::span<const std::int64_t> shape) noexcept;
/// The operand's name as ONNX gives it ("X", "B", "Y"...), for messages.
std::string_view operand_name(TensorOpKind k, bool input, std::size_t i);

class Checker {
 public:
  explicit Checker(const TensorOp& op) : op_(op), name_(kind_label(op.kind)) {}

  [[noreturn]] void invalid(const std::string& message) const {
    throw InvalidArgumentError(ErrorCode::invalid_argument, fmt::format("{}: {}", name_, message));
  }
  [[noreturn]] void unsupported(const std::string& message) const {
    throw UnsupportedError(ErrorCode::unsupported, fmt::format("{}: {}", name_, message));
  }
  std::string in(std::size_t i) const {
    return fmt::format("input {} ({})", i, operand_name(op_.kind, true, i));
  }
  std::string out(std::size_t i) const {
    return fmt::format("output {} ({})", i, operand_name(op_.kind, false, i));
  }
  const TensorOp& op() const { return op_; }

 private:
  const TensorOp& op_;
  std::string name_;
};

inline constexpr std::array kFloatTypes{DType::f32, DType::f16, DType::bf16};
inline constexpr std::array kNumericTypes{DType::f32, DType::f16, DType::bf16, DType::i8,
                                          DType::u8,  DType::i32, DType::i64};
inline constexpr std::array kInt8Types{DType::i8, DType::u8};

template <std::size_t N>
void require_dtype(const Checker& c, const std::string& label, DType t, const std::array<DType, N>& allowed) {
  if (std::find(allowed.begin(), allowed.end(), t) != allowed.end()) return;
  c.unsupported(fmt::format("{}: dtype {} is not supported (supported: {})", label, to_string(t),
                            join_by(allowed, [](DType d) { return to_string(d); })));
}

inline void require_same_dtype(const Checker& c, const std::string& label, DType t,
                               const std::string& ref_label, DType ref) {
  if (t != ref)
    c.invalid(
        fmt::format("{}: dtype {} differs from {} dtype {}", label, to_string(t), ref_label, to_string(ref)));
}

inline void require_shape(const Checker& c, const std::string& label, std::span<const std::int64_t> shape,
                          std::span<const std::int64_t> expected) {
  if (!std::equal(shape.begin(), shape.end(), expected.begin(), expected.end()))
    c.invalid(fmt::format("{}: shape {} should be {}", label, shape_string(shape), shape_string(expected)));
}

inline std::optional<std::vector<std::int64_t>> try_broadcast(std::span<const std::int64_t> a,
                                                              std::span<const std::int64_t> b) {
  const std::size_t rank = std::max(a.size(), b.size());
  std::vector<std::int64_t> out(rank);
  for (std::size_t i = 0; i < rank; ++i) {
    const std::int64_t da = i < a.size() ? a[a.size() - 1 - i] : 1;
    const std::int64_t db = i < b.size() ? b[b.size() - 1 - i] : 1;
    if (da != db && da != 1 && db != 1) return std::nullopt;
    out[rank - 1 - i] = da == 1 ? db : da;
  }
  return out;
}

// Which attributes an operator takes, with their types (a STRING attribute travels as i64).
struct AttrRule {
  AttrId id;
  bool i64 = false, f64 = false, i64_list = false;
};
inline AttrRule i64_attr(AttrId id) {
  return {.id = id, .i64 = true, .f64 = false, .i64_list = false};
}
inline AttrRule f64_attr(AttrId id) {
  return {.id = id, .i64 = false, .f64 = true, .i64_list = false};
}
inline AttrRule list_attr(AttrId id) {
  return {.id = id, .i64 = false, .f64 = false, .i64_list = true};
}

/// IEEE 754-2019 maximum/minimum: NaN propagates, -0 orders below +0 (Max, Min, scatter reductions).
inline float fmax_nan(float a, float b) noexcept {
  if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<float>::quiet_NaN();
  if (a == b) return std::signbit(a) ? b : a;
  return a > b ? a : b;
}
inline float fmin_nan(float a, float b) noexcept {
  if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<float>::quiet_NaN();
  if (a == b) return std::signbit(a) ? a : b;
  return a < b ? a : b;
}

// ---- Element access ----

template <typename U>
U load_le(const std::uint8_t* p) noexcept {
  U v = 0;
  for (std::size_t i = 0; i < sizeof(U); ++i) v = static_cast<U>(v | static_cast<U>(U{p[i]} << (8 * i)));
  return v;
}

template <typename U>
void store_le(std::uint8_t* p, U v) noexcept {
  for (std::size_t i = 0; i < sizeof(U); ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}

inline float load_float(const std::uint8_t* p, DType t) noexcept {
  switch (t) {
    case DType::f16:
      return fp16_to_float(load_le<std::uint16_t>(p));
    case DType::bf16:
      return bf16_to_float(load_le<std::uint16_t>(p));
    default:
      return float_from_bits(load_le<std::uint32_t>(p));
  }
}

inline void store_float(std::uint8_t* p, DType t, float v) noexcept {
  switch (t) {
    case DType::f16:
      store_le(p, float_to_fp16(v));
      break;
    case DType::bf16:
      store_le(p, float_to_bf16(v));
      break;
    default:
      store_le(p, float_bits(v));
      break;
  }
}

inline std::int64_t load_int(const std::uint8_t* p, DType t) noexcept {
  switch (t) {
    case DType::i8:
      return static_cast<std::int8_t>(p[0]);
    case DType::u8:
      return p[0];
    case DType::i32:
      return static_cast<std::int32_t>(load_le<std::uint32_t>(p));
    case DType::i64:
      return static_cast<std::int64_t>(load_le<std::uint64_t>(p));
    case DType::boolean:
      return p[0] != 0 ? 1 : 0;
    default:
      return 0;
  }
}

inline void store_int(std::uint8_t* p, DType t, std::int64_t v) noexcept {
  const auto u = static_cast<std::uint64_t>(v);
  switch (t) {
    case DType::i8:
    case DType::u8:
      p[0] = static_cast<std::uint8_t>(u);
      break;
    case DType::boolean:
      p[0] = v != 0 ? 1 : 0;
      break;
    case DType::i32:
      store_le(p, static_cast<std::uint32_t>(u));
      break;
    default:
      store_le(p, u);
      break;
  }
}

inline std::vector<float> load_floats(const TensorOperand& o, std::span<const std::uint8_t> bytes) {
  const std::size_t n = o.elements();
  const std::size_t size = dtype_size(o.dtype);
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = load_float(bytes.data() + i * size, o.dtype);
  return v;
}

// Writes output elements: the lane result goes through the tap, then is rounded to the output dtype.
class Emitter {
 public:
  Emitter(const TensorOperand& out, std::vector<std::uint8_t>& bytes, ResultTap* tap)
      : dtype_(out.dtype), size_(dtype_size(out.dtype)), bytes_(bytes.data()), tap_(tap) {}

  void f32(std::uint64_t i, float v) {
    std::uint32_t bits = float_bits(v);
    if (tap_ != nullptr) bits = tap_->apply(i, bits);
    store_float(bytes_ + i * size_, dtype_, float_from_bits(bits));
  }
  void i32(std::uint64_t i, std::uint32_t bits) {
    if (tap_ != nullptr) bits = tap_->apply(i, bits);
    store_le(bytes_ + i * size_, bits);
  }

 private:
  DType dtype_;
  std::size_t size_;
  std::uint8_t* bytes_;
  ResultTap* tap_;
};

// Calls f(i, ia, ib) for every element i of `out` (row-major) with the offsets of the elements of `a`
// and `b` that broadcast to it.
template <typename F>
void for_each_broadcast(std::span<const std::int64_t> out, std::span<const std::int64_t> a,
                        std::span<const std::int64_t> b, F&& f) {
  const std::size_t rank = out.size();
  std::array<std::int64_t, kMaxTensorRank> sa{}, sb{}, idx{};
  auto strides = [&](std::span<const std::int64_t> in, std::array<std::int64_t, kMaxTensorRank>& s) {
    std::int64_t stride = 1;
    for (std::size_t j = 0; j < in.size(); ++j) {
      const std::size_t axis = rank - 1 - j;
      const std::int64_t d = in[in.size() - 1 - j];
      s[axis] = d == 1 ? 0 : stride;
      stride *= d;
    }
  };
  strides(a, sa);
  strides(b, sb);
  const std::uint64_t total = product(out);
  std::int64_t oa = 0, ob = 0;
  for (std::uint64_t i = 0; i < total; ++i) {
    f(i, oa, ob);
    for (std::size_t axis = rank; axis-- > 0;) {
      oa += sa[axis];
      ob += sb[axis];
      if (++idx[axis] < out[axis]) break;
      oa -= sa[axis] * out[axis];
      ob -= sb[axis] * out[axis];
      idx[axis] = 0;
    }
  }
}

// ---- Operator families ----

using InputBytes = std::span<const std::span<const std::uint8_t>>;
using OutputBytes = std::vector<std::vector<std::uint8_t>>;

/// Operand counts and names of one operator; inputs past min_in and outputs past min_out are optional.
struct OpSignature {
  std::size_t min_in = 1, max_in = 1, min_out = 1, max_out = 1;
  std::vector<std::string_view> inputs, outputs;
};

/// What a family of operators (one 0x100 block of TensorOpKind) provides to validate() and
/// reference_execute(). Operand counts and presence, the format of each operand and attribute types are
/// checked before check() runs; run() gets validated operands and buffers of the right sizes, and its
/// outputs already sized.
struct FamilyOps {
  OpSignature (*signature)(TensorOpKind);
  std::vector<AttrRule> (*attr_rules)(TensorOpKind);
  void (*check)(const Checker&);
  void (*run)(const Checker&, InputBytes, OutputBytes&, ResultTap*);
  std::uint64_t (*macs)(const TensorOp&) noexcept;  ///< op is valid
  bool (*lanes)(TensorOpKind) noexcept;
};

/// The family an operator beyond the original four (movement, unary, binary, matrix) belongs to, or
/// nullptr.
const FamilyOps* extension_family(TensorOpKind k) noexcept;

extern const FamilyOps kConvFamily;    // 0x400
extern const FamilyOps kPoolFamily;    // 0x500
extern const FamilyOps kNormFamily;    // 0x600
extern const FamilyOps kReduceFamily;  // 0x700
extern const FamilyOps kShapeFamily;   // 0x800
extern const FamilyOps kQuantFamily;   // 0x900
extern const FamilyOps kLogicFamily;   // 0xA00
extern const FamilyOps kIndexFamily;   // 0xB00
extern const FamilyOps kMathFamily;    // 0xC00

/// The chip dtype of an ONNX TensorProto.DataType number (Cast's "to", EyeLike's "dtype"), or nothing.
std::optional<DType> dtype_from_onnx(std::int64_t onnx_type) noexcept;

/// Cast semantics (see tensor.h) of input 0 to output 0's dtype, element by element.
void run_cast(const TensorOp& op, std::span<const std::uint8_t> in, std::vector<std::uint8_t>& out);

// ---- Shared helpers for the families ----

/// Normalises an ONNX axis (negative counts from the end) for a tensor of `rank`; throws
/// InvalidArgumentError naming `what` when out of range.
inline std::size_t normalize_axis(const Checker& c, std::int64_t axis, std::size_t rank,
                                  std::string_view what) {
  const auto r = static_cast<std::int64_t>(rank);
  if (axis < -r || axis >= r) c.invalid(fmt::format("{} {} is out of range for rank {}", what, axis, rank));
  return static_cast<std::size_t>(axis < 0 ? axis + r : axis);
}

/// Reads an integer tensor (i32 or i64) as int64 values.
inline std::vector<std::int64_t> load_ints(const TensorOperand& o, std::span<const std::uint8_t> bytes) {
  const std::size_t n = o.elements();
  const std::size_t size = dtype_size(o.dtype);
  std::vector<std::int64_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = load_int(bytes.data() + i * size, o.dtype);
  return v;
}

/// Row-major strides of `shape`.
inline std::vector<std::uint64_t> strides_of(std::span<const std::int64_t> shape) {
  std::vector<std::uint64_t> s(shape.size());
  std::uint64_t stride = 1;
  for (std::size_t i = shape.size(); i-- > 0;) {
    s[i] = stride;
    stride *= static_cast<std::uint64_t>(shape[i]);
  }
  return s;
}

/// Quantises one FP32 value (already divided by the scale) to `t` (i8 or u8): round half to even, add
/// the zero point, saturate. The lane result is the int32 before saturation (the rounded value clamped to
/// ±2^30 plus the zero point); `tap` may change it.
inline void store_quantized(std::uint8_t* out, DType t, std::uint64_t i, float v, std::int32_t zp,
                            ResultTap* tap) {
  float r = std::nearbyint(v);  // the default rounding mode: half to even
  if (std::isnan(r)) r = 0.0f;
  r = std::min(std::max(r, -0x1p30f), 0x1p30f);
  auto bits = static_cast<std::uint32_t>(static_cast<std::int32_t>(r) + zp);
  if (tap != nullptr) bits = tap->apply(i, bits);
  const auto q = static_cast<std::int64_t>(static_cast<std::int32_t>(bits));
  const std::int64_t lo = t == DType::i8 ? -128 : 0, hi = t == DType::i8 ? 127 : 255;
  out[i] = static_cast<std::uint8_t>(std::min(std::max(q, lo), hi));
}

/// The sliding-window geometry of a convolution or pooling over the spatial axes of X [N, C, D1...].
struct Window {
  std::vector<std::int64_t> in, kernel, strides, dilations, pad_begin, pad_end, out;
  std::uint64_t kernel_elements() const noexcept { return product(kernel); }
};

/// Reads and checks strides, dilations, pads, auto_pad and (if `ceil_allowed`) ceil_mode for a window of
/// `kernel` over `in` (the spatial dims), and computes the output dims. Throws InvalidArgumentError.
Window window_geometry(const Checker& c, std::span<const std::int64_t> in, std::vector<std::int64_t> kernel,
                       bool ceil_allowed);

/// Calls f(out_index, offsets, taps) for every spatial output position of `w` in row-major order: the
/// spatial input offsets (row-major in w.in) of the kernel positions that fall inside the input, in
/// row-major kernel order, and the index of each of those kernel positions.
template <typename F>
void for_each_window(const Window& w, F&& f) {
  const std::size_t r = w.in.size();
  const auto in_strides = strides_of(w.in);
  const std::uint64_t outs = product(w.out), taps = product(w.kernel);
  std::vector<std::int64_t> o(r, 0), k(r, 0);
  std::vector<std::uint64_t> offsets, tap_index;
  offsets.reserve(taps);
  tap_index.reserve(taps);
  for (std::uint64_t oi = 0; oi < outs; ++oi) {
    offsets.clear();
    tap_index.clear();
    std::fill(k.begin(), k.end(), 0);
    for (std::uint64_t t = 0; t < taps; ++t) {
      std::uint64_t off = 0;
      bool inside = true;
      for (std::size_t a = 0; a < r && inside; ++a) {
        const std::int64_t p = o[a] * w.strides[a] - w.pad_begin[a] + k[a] * w.dilations[a];
        inside = p >= 0 && p < w.in[a];
        off += static_cast<std::uint64_t>(p) * in_strides[a];
      }
      if (inside) {
        offsets.push_back(off);
        tap_index.push_back(t);
      }
      for (std::size_t a = r; a-- > 0;) {
        if (++k[a] < w.kernel[a]) break;
        k[a] = 0;
      }
    }
    f(oi, std::span<const std::uint64_t>(offsets), std::span<const std::uint64_t>(tap_index));
    for (std::size_t a = r; a-- > 0;) {
      if (++o[a] < w.out[a]) break;
      o[a] = 0;
    }
  }
}

}  // namespace seedval::chip::detail

// More element-wise math (0xC00): Mod, IsNaN, IsInf, Tan, Asin, Acos, Atan, Sinh, Cosh, Asinh, Acosh,
// Atanh, Celu, Shrink, CastLike. Each output element is one FP32 operation (libm's float functions) with
// its FP32 result as the lane result; IsNaN/IsInf give a 0/1 lane result as the comparisons do; integer
// Mod gives the low half of its result. CastLike is Cast to input 1's dtype: data movement.
#include <cmath>
#include <limits>

#include "tensor_kernels.h"

namespace seedval::chip::detail {
namespace {

using K = TensorOpKind;

OpSignature signature(TensorOpKind k) {
  switch (k) {
    case K::mod:
      return {.min_in = 2, .max_in = 2, .min_out = 1, .max_out = 1, .inputs = {"A", "B"}, .outputs = {"C"}};
    case K::cast_like:
      return {.min_in = 2,
              .max_in = 2,
              .min_out = 1,
              .max_out = 1,
              .inputs = {"input", "target_type"},
              .outputs = {"output"}};
    case K::shrink:
      return {
          .min_in = 1, .max_in = 1, .min_out = 1, .max_out = 1, .inputs = {"input"}, .outputs = {"output"}};
    default:
      return {.min_in = 1, .max_in = 1, .min_out = 1, .max_out = 1, .inputs = {"X"}, .outputs = {"Y"}};
  }
}

std::vector<AttrRule> attr_rules(TensorOpKind k) {
  switch (k) {
    case K::mod:
      return {i64_attr(AttrId::fmod)};
    case K::is_inf:
      return {i64_attr(AttrId::detect_negative), i64_attr(AttrId::detect_positive)};
    case K::celu:
      return {f64_attr(AttrId::alpha)};
    case K::shrink:
      return {f64_attr(AttrId::bias), f64_attr(AttrId::lambd)};
    default:
      return {};
  }
}

void require_flag(const Checker& c, AttrId id, std::int64_t fallback) {
  const auto v = c.op().attr_i64(id, fallback);
  if (v != 0 && v != 1) c.invalid(fmt::format("attribute {} = {} should be 0 or 1", attr_label(id), v));
}

void check(const Checker& c) {
  const auto& op = c.op();
  const auto& x = op.inputs[0];
  const auto& y = op.outputs[0];
  switch (op.kind) {
    case K::cast_like:
      require_same_dtype(c, c.out(0), y.dtype, c.in(1), op.inputs[1].dtype);
      return require_shape(c, c.out(0), y.shape, x.shape);
    case K::mod: {
      require_dtype(c, c.in(0), x.dtype, kNumericTypes);
      const auto& b = op.inputs[1];
      require_same_dtype(c, c.in(1), b.dtype, c.in(0), x.dtype);
      require_flag(c, AttrId::fmod, 0);
      if (is_float(x.dtype) && op.attr_i64(AttrId::fmod, 0) != 1)
        c.invalid(fmt::format("attribute fmod = 0 is for integers; {} dtype {} needs fmod = 1", c.in(0),
                              to_string(x.dtype)));
      const auto out = try_broadcast(x.shape, b.shape);
      if (!out)
        c.invalid(fmt::format("{}: shape {} does not broadcast with {} {}", c.in(1), shape_string(b.shape),
                              c.in(0), shape_string(x.shape)));
      require_same_dtype(c, c.out(0), y.dtype, c.in(0), x.dtype);
      return require_shape(c, c.out(0), y.shape, *out);
    }
    case K::is_nan:
    case K::is_inf:
      require_dtype(c, c.in(0), x.dtype, kFloatTypes);
      if (y.dtype != DType::boolean)
        c.invalid(fmt::format("{}: dtype {} should be bool", c.out(0), to_string(y.dtype)));
      if (op.kind == K::is_inf) {
        require_flag(c, AttrId::detect_negative, 1);
        require_flag(c, AttrId::detect_positive, 1);
      }
      return require_shape(c, c.out(0), y.shape, x.shape);
    default:
      require_dtype(c, c.in(0), x.dtype, kFloatTypes);
      if (op.kind == K::celu && op.attr_f64(AttrId::alpha, 1.0) == 0.0)
        c.invalid("attribute alpha must not be 0");
      if (op.kind == K::shrink)
        for (const auto id : {AttrId::bias, AttrId::lambd})
          if (std::isnan(op.attr_f64(id, 0))) c.invalid(fmt::format("attribute {} is NaN", attr_label(id)));
      require_same_dtype(c, c.out(0), y.dtype, c.in(0), x.dtype);
      return require_shape(c, c.out(0), y.shape, x.shape);
  }
}

bool lanes(TensorOpKind k) noexcept {
  return k != K::cast_like;
}

std::uint64_t macs(const TensorOp& op) noexcept {
  return lanes(op.kind) ? op.outputs[0].elements() : 0;
}

// Integer modulo: the sign of the divisor (fmod = 0, Python's %) or of the dividend (fmod = 1, C's %);
// x mod 0 is 0.
std::int64_t int_mod(std::int64_t a, std::int64_t b, bool c_fmod) noexcept {
  if (b == 0 || b == -1) return 0;
  std::int64_t r = a % b;
  if (!c_fmod && r != 0 && ((r < 0) != (b < 0))) r += b;
  return r;
}

float unary(TensorOpKind k, float x, float alpha, float bias, float lambd) noexcept {
  switch (k) {
    case K::tan:
      return std::tan(x);
    case K::asin:
      return std::asin(x);
    case K::acos:
      return std::acos(x);
    case K::atan:
      return std::atan(x);
    case K::sinh:
      return std::sinh(x);
    case K::cosh:
      return std::cosh(x);
    case K::asinh:
      return std::asinh(x);
    case K::acosh:
      return std::acosh(x);
    case K::atanh:
      return std::atanh(x);
    case K::celu: {
      const float e = std::exp(x / alpha) - 1.0f;
      const float neg = std::min(0.0f, alpha * e);
      return std::max(0.0f, x) + neg;
    }
    default:  // shrink
      if (x < -lambd) return x + bias;
      if (x > lambd) return x - bias;
      return 0.0f;
  }
}

void run(const Checker& c, InputBytes in, OutputBytes& out, ResultTap* tap) {
  const auto& op = c.op();
  const auto& x = op.inputs[0];
  const auto& y = op.outputs[0];
  if (op.kind == K::cast_like) return run_cast(op, in[0], out[0]);
  if (op.kind == K::is_nan || op.kind == K::is_inf) {
    const bool neg = op.attr_i64(AttrId::detect_negative, 1) != 0;
    const bool pos = op.attr_i64(AttrId::detect_positive, 1) != 0;
    const auto v = load_floats(x, in[0]);
    for (std::size_t i = 0; i < v.size(); ++i) {
      const bool r = op.kind == K::is_nan ? std::isnan(v[i]) : std::isinf(v[i]) && (v[i] < 0 ? neg : pos);
      std::uint32_t bits = r ? 1u : 0u;
      if (tap != nullptr) bits = tap->apply(i, bits);
      out[0][i] = bits != 0 ? 1 : 0;
    }
    return;
  }
  if (op.kind == K::mod) {
    const auto& b = op.inputs[1];
    const std::size_t size = dtype_size(x.dtype);
    if (is_float(x.dtype)) {
      Emitter e(y, out[0], tap);
      for_each_broadcast(y.shape, x.shape, b.shape, [&](std::uint64_t i, std::int64_t ia, std::int64_t ib) {
        const float va = load_float(in[0].data() + static_cast<std::size_t>(ia) * size, x.dtype);
        const float vb = load_float(in[1].data() + static_cast<std::size_t>(ib) * size, x.dtype);
        e.f32(i, std::fmod(va, vb));
      });
      return;
    }
    const bool c_fmod = op.attr_i64(AttrId::fmod, 0) != 0;
    for_each_broadcast(y.shape, x.shape, b.shape, [&](std::uint64_t i, std::int64_t ia, std::int64_t ib) {
      const auto va = load_int(in[0].data() + static_cast<std::size_t>(ia) * size, x.dtype);
      const auto vb = load_int(in[1].data() + static_cast<std::size_t>(ib) * size, x.dtype);
      // The lane result is the low 32 bits (an i64 keeps its high half).
      auto u = static_cast<std::uint64_t>(int_mod(va, vb, c_fmod));
      if (tap != nullptr) u = (u & 0xFFFF'FFFF'0000'0000ull) | tap->apply(i, static_cast<std::uint32_t>(u));
      store_int(out[0].data() + i * size, y.dtype, static_cast<std::int64_t>(u));
    });
    return;
  }
  const auto alpha = static_cast<float>(op.attr_f64(AttrId::alpha, 1.0));
  const auto bias = static_cast<float>(op.attr_f64(AttrId::bias, 0.0));
  const auto lambd = static_cast<float>(op.attr_f64(AttrId::lambd, 0.5));
  const auto v = load_floats(x, in[0]);
  Emitter e(y, out[0], tap);
  for (std::size_t i = 0; i < v.size(); ++i) e.f32(i, unary(op.kind, v[i], alpha, bias, lambd));
}

}  // namespace

const FamilyOps kMathFamily{.signature = signature,
                            .attr_rules = attr_rules,
                            .check = check,
                            .run = run,
                            .macs = macs,
                            .lanes = lanes};

}  // namespace seedval::chip::detail

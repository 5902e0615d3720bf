// Quantisation (0x900): QuantizeLinear, DequantizeLinear, QLinearMatMul.
#include <cmath>

#include "tensor_kernels.h"

namespace seedval::chip::detail {
namespace {

using K = TensorOpKind;

constexpr std::array kQuantTypes{DType::i8, DType::u8};
constexpr std::array kDequantTypes{DType::i8, DType::u8, DType::i32};
constexpr std::array kScaleTypes{DType::f32};

OpSignature signature(TensorOpKind k) {
  switch (k) {
    case K::quantize_linear:
      return {.min_in = 2,
              .max_in = 3,
              .min_out = 1,
              .max_out = 1,
              .inputs = {"x", "y_scale", "y_zero_point"},
              .outputs = {"y"}};
    case K::dequantize_linear:
      return {.min_in = 2,
              .max_in = 3,
              .min_out = 1,
              .max_out = 1,
              .inputs = {"x", "x_scale", "x_zero_point"},
              .outputs = {"y"}};
    default:
      return {.min_in = 8,
              .max_in = 8,
              .min_out = 1,
              .max_out = 1,
              .inputs = {"a", "a_scale", "a_zero_point", "b", "b_scale", "b_zero_point", "y_scale",
                         "y_zero_point"},
              .outputs = {"y"}};
  }
}

std::vector<AttrRule> attr_rules(TensorOpKind k) {
  if (k == K::qlinear_matmul) return {};
  return {i64_attr(AttrId::axis)};
}

bool present(const TensorOp& op, std::size_t i) {
  return op.inputs.size() > i && !op.inputs[i].absent;
}

// Scale and zero point of Quantize/DequantizeLinear: scalars, or 1-D along `axis` (per axis).
void check_params(const Checker& c, std::size_t x_index) {
  const auto& op = c.op();
  const auto& x = op.inputs[x_index];
  const auto& scale = op.inputs[x_index + 1];
  require_dtype(c, c.in(x_index + 1), scale.dtype, kScaleTypes);
  const bool per_axis =
      !scale.shape.empty() && !(scale.shape.size() == 1 && scale.shape[0] == 1 && x.shape.empty());
  if (per_axis) {
    if (scale.shape.size() != 1)
      c.invalid(fmt::format("{}: rank {} should be 0 or 1", c.in(x_index + 1), scale.shape.size()));
    if (x.shape.empty())
      c.invalid(fmt::format("{}: per-axis scales need a tensor, not a scalar", c.in(x_index)));
    const auto axis = normalize_axis(c, op.attr_i64(AttrId::axis, 1), x.shape.size(), "attribute axis");
    const std::array<std::int64_t, 1> want{x.shape[axis]};
    if (scale.shape[0] != 1) require_shape(c, c.in(x_index + 1), scale.shape, want);
  }
  if (present(op, x_index + 2))
    require_shape(c, c.in(x_index + 2), op.inputs[x_index + 2].shape, scale.shape);
}

void check(const Checker& c) {
  const auto& op = c.op();
  const auto& y = op.outputs[0];
  switch (op.kind) {
    case K::quantize_linear: {
      require_dtype(c, c.in(0), op.inputs[0].dtype, kFloatTypes);
      check_params(c, 0);
      const DType qt = present(op, 2) ? op.inputs[2].dtype : DType::u8;
      if (present(op, 2)) require_dtype(c, c.in(2), qt, kQuantTypes);
      if (y.dtype != qt)
        c.invalid(fmt::format("{}: dtype {} should be {}, that of the zero point", c.out(0),
                              to_string(y.dtype), to_string(qt)));
      require_shape(c, c.out(0), y.shape, op.inputs[0].shape);
      return;
    }
    case K::dequantize_linear: {
      const auto& x = op.inputs[0];
      require_dtype(c, c.in(0), x.dtype, kDequantTypes);
      check_params(c, 0);
      if (present(op, 2)) require_same_dtype(c, c.in(2), op.inputs[2].dtype, c.in(0), x.dtype);
      if (y.dtype != DType::f32)
        c.invalid(fmt::format("{}: dtype {} should be f32", c.out(0), to_string(y.dtype)));
      require_shape(c, c.out(0), y.shape, x.shape);
      return;
    }
    default: {
      const auto& a = op.inputs[0];
      const auto& b = op.inputs[3];
      require_dtype(c, c.in(0), a.dtype, kQuantTypes);
      require_dtype(c, c.in(3), b.dtype, kQuantTypes);
      if (a.shape.size() < 2 || b.shape.size() < 2)
        c.invalid(fmt::format("{} and {} should have rank 2 or more", c.in(0), c.in(3)));
      const auto m = a.shape[a.shape.size() - 2], k = a.shape.back(), kb = b.shape[b.shape.size() - 2],
                 n = b.shape.back();
      if (k != kb)
        c.invalid(fmt::format("{}: shape {} does not match {} {}: inner dimensions {} and {} differ", c.in(3),
                              shape_string(b.shape), c.in(0), shape_string(a.shape), k, kb));
      const std::span<const std::int64_t> ab(a.shape.data(), a.shape.size() - 2),
          bb(b.shape.data(), b.shape.size() - 2);
      auto batch = try_broadcast(ab, bb);
      if (!batch)
        c.invalid(fmt::format("{}: batch dimensions do not broadcast with those of {}", c.in(3), c.in(0)));
      batch->push_back(m);
      batch->push_back(n);
      // Scales f32 and zero points of the operand's dtype: scalars, or per row of A / per column of B.
      const std::array<std::pair<std::size_t, std::int64_t>, 3> params{{{1, m}, {4, n}, {6, 1}}};
      for (const auto& [i, count] : params) {
        const auto& s = op.inputs[i];
        const auto& z = op.inputs[i + 1];
        require_dtype(c, c.in(i), s.dtype, kScaleTypes);
        if (s.shape.size() > 1 || (s.elements() != 1 && static_cast<std::int64_t>(s.elements()) != count))
          c.invalid(
              fmt::format("{}: shape {} should be a scalar or [{}]", c.in(i), shape_string(s.shape), count));
        require_shape(c, c.in(i + 1), z.shape, s.shape);
      }
      require_same_dtype(c, c.in(2), op.inputs[2].dtype, c.in(0), a.dtype);
      require_same_dtype(c, c.in(5), op.inputs[5].dtype, c.in(3), b.dtype);
      require_dtype(c, c.in(7), op.inputs[7].dtype, kQuantTypes);
      require_same_dtype(c, c.out(0), y.dtype, c.in(7), op.inputs[7].dtype);
      require_shape(c, c.out(0), y.shape, *batch);
      return;
    }
  }
}

std::uint64_t macs(const TensorOp& op) noexcept {
  if (op.kind == K::qlinear_matmul)
    return op.outputs[0].elements() * static_cast<std::uint64_t>(op.inputs[0].shape.back());
  return op.outputs[0].elements();
}

bool lanes(TensorOpKind) noexcept {
  return true;
}

// The index into per-axis parameters of each element: (i / inner) % dim along `axis`, or 0.
struct AxisIndex {
  std::uint64_t inner = 1, dim = 1;
  bool per_axis = false;
  std::size_t operator()(std::uint64_t i) const noexcept { return per_axis ? (i / inner) % dim : 0; }
};

AxisIndex axis_index(const Checker& c, std::size_t x_index) {
  const auto& op = c.op();
  const auto& x = op.inputs[x_index];
  const auto& scale = op.inputs[x_index + 1];
  if (scale.elements() <= 1 || x.shape.empty()) return {};
  const auto axis = normalize_axis(c, op.attr_i64(AttrId::axis, 1), x.shape.size(), "attribute axis");
  return {.inner = product(std::span(x.shape).subspan(axis + 1)),
          .dim = static_cast<std::uint64_t>(x.shape[axis]),
          .per_axis = true};
}

std::vector<std::int32_t> zero_point_values(const TensorOp& op, InputBytes in, std::size_t i,
                                            std::size_t count) {
  if (!present(op, i)) return std::vector<std::int32_t>(count, 0);
  const auto v = load_ints(op.inputs[i], in[i]);
  return std::vector<std::int32_t>(v.begin(), v.end());
}

void run(const Checker& c, InputBytes in, OutputBytes& out, ResultTap* tap) {
  const auto& op = c.op();
  switch (op.kind) {
    case K::quantize_linear: {
      const auto x = load_floats(op.inputs[0], in[0]);
      const auto scale = load_floats(op.inputs[1], in[1]);
      const auto zp = zero_point_values(op, in, 2, scale.size());
      const auto at = axis_index(c, 0);
      for (std::size_t i = 0; i < x.size(); ++i) {
        const auto p = at(i);
        store_quantized(out[0].data(), op.outputs[0].dtype, i, x[i] / scale[p], zp[p], tap);
      }
      return;
    }
    case K::dequantize_linear: {
      const auto x = load_ints(op.inputs[0], in[0]);
      const auto scale = load_floats(op.inputs[1], in[1]);
      const auto zp = zero_point_values(op, in, 2, scale.size());
      const auto at = axis_index(c, 0);
      Emitter e(op.outputs[0], out[0], tap);
      for (std::size_t i = 0; i < x.size(); ++i) {
        const auto p = at(i);
        // The difference is exact in int64 and rounds once to FP32 (exact for 8-bit inputs).
        const auto d = static_cast<float>(x[i] - zp[p]);
        e.f32(i, d * scale[p]);
      }
      return;
    }
    default: {
      const auto& a = op.inputs[0];
      const auto& b = op.inputs[3];
      const auto m = static_cast<std::uint64_t>(a.shape[a.shape.size() - 2]);
      const auto k = static_cast<std::uint64_t>(a.shape.back());
      const auto n = static_cast<std::uint64_t>(b.shape.back());
      const auto as = load_floats(op.inputs[1], in[1]), bs = load_floats(op.inputs[4], in[4]),
                 ys = load_floats(op.inputs[6], in[6]);
      const auto az = zero_point_values(op, in, 2, as.size()), bz = zero_point_values(op, in, 5, bs.size()),
                 yz = zero_point_values(op, in, 7, 1);
      const auto av = load_ints(a, in[0]), bv = load_ints(b, in[3]);
      const auto& y = op.outputs[0].shape;
      const std::vector<std::int64_t> batch(y.begin(), y.end() - 2);
      const std::vector<std::int64_t> a_batch(a.shape.begin(), a.shape.end() - 2),
          b_batch(b.shape.begin(), b.shape.end() - 2);
      for_each_broadcast(batch, a_batch, b_batch, [&](std::uint64_t bi, std::int64_t ia, std::int64_t ib) {
        const auto pa = static_cast<std::uint64_t>(ia) * m * k, pb = static_cast<std::uint64_t>(ib) * k * n;
        for (std::uint64_t i = 0; i < m; ++i)
          for (std::uint64_t j = 0; j < n; ++j) {
            const std::int32_t za = az[az.size() == 1 ? 0 : i], zb = bz[bz.size() == 1 ? 0 : j];
            std::uint32_t acc = 0;  // int32 with two's complement wrap
            for (std::uint64_t kk = 0; kk < k; ++kk)
              acc += static_cast<std::uint32_t>((static_cast<std::int32_t>(av[pa + i * k + kk]) - za) *
                                                (static_cast<std::int32_t>(bv[pb + kk * n + j]) - zb));
            // Requantise: multiplier fl(fl(a_scale·b_scale) / y_scale), one FP32 product, then round.
            const float ab = as[as.size() == 1 ? 0 : i] * bs[bs.size() == 1 ? 0 : j];
            const float mult = ab / ys[0];
            const float v = static_cast<float>(static_cast<std::int32_t>(acc)) * mult;
            store_quantized(out[0].data(), op.outputs[0].dtype, (bi * m + i) * n + j, v, yz[0], tap);
          }
      });
      return;
    }
  }
}

}  // namespace

const FamilyOps kQuantFamily{.signature = signature,
                             .attr_rules = attr_rules,
                             .check = check,
                             .run = run,
                             .macs = macs,
                             .lanes = lanes};

}  // namespace seedval::chip::detail

// Normalisation (0x600): BatchNormalization (inference), LayerNormalization, Softmax, LogSoftmax.
#include <cmath>
#include <limits>

#include "tensor_kernels.h"

namespace seedval::chip::detail {
namespace {

OpSignature signature(TensorOpKind k) {
  switch (k) {
    case TensorOpKind::batch_normalization:
      return {.min_in = 5,
              .max_in = 5,
              .min_out = 1,
              .max_out = 3,
              .inputs = {"X", "scale", "B", "input_mean", "input_var"},
              .outputs = {"Y", "running_mean", "running_var"}};
    case TensorOpKind::layer_normalization:
      return {.min_in = 2,
              .max_in = 3,
              .min_out = 1,
              .max_out = 3,
              .inputs = {"X", "Scale", "B"},
              .outputs = {"Y", "Mean", "InvStdDev"}};
    default:
      return {
          .min_in = 1, .max_in = 1, .min_out = 1, .max_out = 1, .inputs = {"input"}, .outputs = {"output"}};
  }
}

std::vector<AttrRule> attr_rules(TensorOpKind k) {
  switch (k) {
    case TensorOpKind::batch_normalization:
      return {f64_attr(AttrId::epsilon), f64_attr(AttrId::momentum), i64_attr(AttrId::training_mode)};
    case TensorOpKind::layer_normalization:
      return {i64_attr(AttrId::axis), f64_attr(AttrId::epsilon), i64_attr(AttrId::stash_type)};
    default:
      return {i64_attr(AttrId::axis)};
  }
}

std::size_t norm_axis(const Checker& c) {
  const auto& x = c.op().inputs[0];
  if (x.shape.empty()) c.invalid(fmt::format("{}: a scalar has no axis", c.in(0)));
  return normalize_axis(c, c.op().attr_i64(AttrId::axis, -1), x.shape.size(), "attribute axis");
}

void check(const Checker& c) {
  const auto& op = c.op();
  const auto& x = op.inputs[0];
  const auto& y = op.outputs[0];
  require_dtype(c, c.in(0), x.dtype, kFloatTypes);
  require_same_dtype(c, c.out(0), y.dtype, c.in(0), x.dtype);
  require_shape(c, c.out(0), y.shape, x.shape);
  switch (op.kind) {
    case TensorOpKind::batch_normalization: {
      if (op.attr_i64(AttrId::training_mode, 0) != 0)
        c.unsupported("attribute training_mode = 1 is not supported (inference only)");
      if (op.outputs.size() > 1)
        c.unsupported(fmt::format("{}: running statistics are only produced in training mode", c.out(1)));
      if (x.shape.size() < 2)
        c.invalid(fmt::format("{}: rank {} should be at least 2", c.in(0), x.shape.size()));
      const std::array<std::int64_t, 1> channels{x.shape[1]};
      for (std::size_t i = 1; i < 5; ++i) {
        require_dtype(c, c.in(i), op.inputs[i].dtype, kFloatTypes);
        require_shape(c, c.in(i), op.inputs[i].shape, channels);
      }
      if (op.attr_f64(AttrId::epsilon, 1e-5) < 0 || std::isnan(op.attr_f64(AttrId::epsilon, 1e-5)))
        c.invalid("attribute epsilon should not be negative");
      return;
    }
    case TensorOpKind::layer_normalization: {
      const auto axis = norm_axis(c);
      if (op.attr_i64(AttrId::stash_type, 1) != 1)
        c.unsupported(fmt::format("attribute stash_type = {} is not supported (supported: 1)",
                                  op.attr_i64(AttrId::stash_type, 1)));
      const std::span<const std::int64_t> normalized(x.shape.begin() + static_cast<std::ptrdiff_t>(axis),
                                                     x.shape.end());
      for (std::size_t i = 1; i < op.inputs.size(); ++i) {
        const auto& p = op.inputs[i];
        if (p.absent) continue;
        require_same_dtype(c, c.in(i), p.dtype, c.in(0), x.dtype);
        const auto b = try_broadcast(p.shape, normalized);
        if (p.shape.size() > normalized.size() || !b || !std::equal(b->begin(), b->end(), normalized.begin()))
          c.invalid(fmt::format("{}: shape {} does not broadcast to the normalised shape {}", c.in(i),
                                shape_string(p.shape), shape_string(normalized)));
      }
      std::vector<std::int64_t> stat = x.shape;
      for (std::size_t i = axis; i < stat.size(); ++i) stat[i] = 1;
      for (std::size_t i = 1; i < op.outputs.size(); ++i) {
        const auto& o = op.outputs[i];
        if (o.absent) continue;
        require_dtype(c, c.out(i), o.dtype, kFloatTypes);
        require_shape(c, c.out(i), o.shape, stat);
      }
      if (op.attr_f64(AttrId::epsilon, 1e-5) < 0 || std::isnan(op.attr_f64(AttrId::epsilon, 1e-5)))
        c.invalid("attribute epsilon should not be negative");
      return;
    }
    default:
      norm_axis(c);
      return;
  }
}

std::uint64_t macs(const TensorOp& op) noexcept {
  return op.outputs[0].elements();
}

bool lanes(TensorOpKind) noexcept {
  return true;
}

void run_batch_norm(const Checker& c, InputBytes in, Emitter& e) {
  const auto& op = c.op();
  const auto x = load_floats(op.inputs[0], in[0]);
  const auto scale = load_floats(op.inputs[1], in[1]);
  const auto bias = load_floats(op.inputs[2], in[2]);
  const auto mean = load_floats(op.inputs[3], in[3]);
  const auto var = load_floats(op.inputs[4], in[4]);
  const auto eps = static_cast<float>(op.attr_f64(AttrId::epsilon, 1e-5));
  const auto& s = op.inputs[0].shape;
  const auto channels = static_cast<std::size_t>(s[1]);
  const auto inner = product(std::span(s).subspan(2));
  for (std::size_t i = 0; i < x.size(); ++i) {
    const std::size_t ch = (i / inner) % channels;
    const float d = x[i] - mean[ch];
    const float v = var[ch] + eps;
    const float sd = std::sqrt(v);
    const float n = d / sd;
    const float scaled = n * scale[ch];
    e.f32(i, scaled + bias[ch]);
  }
}

void run_layer_norm(const Checker& c, InputBytes in, OutputBytes& out, Emitter& e) {
  const auto& op = c.op();
  const auto& xs = op.inputs[0].shape;
  const auto axis = norm_axis(c);
  const auto x = load_floats(op.inputs[0], in[0]);
  const std::span<const std::int64_t> normalized(xs.begin() + static_cast<std::ptrdiff_t>(axis), xs.end());
  const auto n = product(normalized);
  const auto rows = n == 0 ? 0 : x.size() / n;
  // Scale and B broadcast to the normalised shape: expand them to it once.
  auto expand = [&](std::size_t i, float fallback) {
    std::vector<float> v(n, fallback);
    if (i >= op.inputs.size() || op.inputs[i].absent) return v;
    const auto p = load_floats(op.inputs[i], in[i]);
    for_each_broadcast(
        normalized, normalized, op.inputs[i].shape,
        [&](std::uint64_t j, std::int64_t, std::int64_t ip) { v[j] = p[static_cast<std::size_t>(ip)]; });
    return v;
  };
  const auto scale = expand(1, 1.0f);
  const auto bias = expand(2, 0.0f);
  const bool has_bias = op.inputs.size() > 2 && !op.inputs[2].absent;
  const auto eps = static_cast<float>(op.attr_f64(AttrId::epsilon, 1e-5));
  for (std::size_t r = 0; r < rows; ++r) {
    const float* row = x.data() + r * n;
    float sum = 0.0f;
    for (std::size_t j = 0; j < n; ++j) sum = sum + row[j];
    const float mean = sum / static_cast<float>(n);
    float sq = 0.0f;
    for (std::size_t j = 0; j < n; ++j) {
      const float d = row[j] - mean;
      const float d2 = d * d;
      sq = sq + d2;
    }
    const float var = sq / static_cast<float>(n);
    const float sd = std::sqrt(var + eps);
    const float inv = 1.0f / sd;
    for (std::size_t j = 0; j < n; ++j) {
      const float d = row[j] - mean;
      const float normed = d * inv;
      float y = normed * scale[j];
      if (has_bias) y = y + bias[j];
      e.f32(r * n + j, y);
    }
    if (op.outputs.size() > 1 && !op.outputs[1].absent)
      store_float(out[1].data() + r * dtype_size(op.outputs[1].dtype), op.outputs[1].dtype, mean);
    if (op.outputs.size() > 2 && !op.outputs[2].absent)
      store_float(out[2].data() + r * dtype_size(op.outputs[2].dtype), op.outputs[2].dtype, inv);
  }
}

void run_softmax(const Checker& c, InputBytes in, Emitter& e) {
  const auto& op = c.op();
  const auto& s = op.inputs[0].shape;
  const auto axis = norm_axis(c);
  const auto x = load_floats(op.inputs[0], in[0]);
  const auto len = static_cast<std::size_t>(s[axis]);
  const auto inner = product(std::span(s).subspan(axis + 1));
  const auto outer = product(std::span(s).first(axis));
  const bool log = op.kind == TensorOpKind::log_softmax;
  std::vector<float> ex(len);
  for (std::uint64_t o = 0; o < outer; ++o)
    for (std::uint64_t i = 0; i < inner; ++i) {
      const std::size_t base = o * len * inner + i;
      auto at = [&](std::size_t j) { return x[base + j * inner]; };
      float m = -std::numeric_limits<float>::infinity();
      for (std::size_t j = 0; j < len; ++j)
        if (!(at(j) <= m)) m = at(j);  // a NaN becomes the maximum and propagates
      float sum = 0.0f;
      for (std::size_t j = 0; j < len; ++j) {
        ex[j] = std::exp(at(j) - m);
        sum = sum + ex[j];
      }
      const float log_sum = log ? std::log(sum) : 0.0f;
      for (std::size_t j = 0; j < len; ++j) {
        if (log) {
          const float shifted = at(j) - m;
          e.f32(base + j * inner, shifted - log_sum);
        } else {
          e.f32(base + j * inner, ex[j] / sum);
        }
      }
    }
}

void run(const Checker& c, InputBytes in, OutputBytes& out, ResultTap* tap) {
  Emitter e(c.op().outputs[0], out[0], tap);
  switch (c.op().kind) {
    case TensorOpKind::batch_normalization:
      return run_batch_norm(c, in, e);
    case TensorOpKind::layer_normalization:
      return run_layer_norm(c, in, out, e);
    default:
      return run_softmax(c, in, e);
  }
}

}  // namespace

const FamilyOps kNormFamily{.signature = signature,
                            .attr_rules = attr_rules,
                            .check = check,
                            .run = run,
                            .macs = macs,
                            .lanes = lanes};

}  // namespace seedval::chip::detail

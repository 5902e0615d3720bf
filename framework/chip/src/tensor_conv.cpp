// Convolution (0x400): Conv and ConvTranspose over 1 to 3 spatial axes, and the window geometry the
// pooling family shares.
#include <cmath>

#include "tensor_kernels.h"

namespace seedval::chip::detail {

namespace {

enum AutoPad : std::int64_t { kNotSet = 0, kSameUpper = 1, kSameLower = 2, kValid = 3 };

// Window attributes (strides, dilations, pads, output padding) stay below this so that the geometry's
// products of them with dims (at most kMaxTensorDim) cannot overflow.
constexpr std::int64_t kMaxWindowAttr = std::int64_t{1} << 20;

// An i64 list attribute of `count` values, each in min..kMaxWindowAttr, or `fallback` repeated.
std::vector<std::int64_t> list_of(const Checker& c, AttrId id, std::size_t count, std::int64_t min,
                                  std::int64_t fallback) {
  const auto* v = c.op().find(id);
  if (v == nullptr) return std::vector<std::int64_t>(count, fallback);
  const auto& l = std::get<std::vector<std::int64_t>>(*v);
  if (l.size() != count)
    c.invalid(fmt::format("attribute {} has {} values, {} expected", attr_label(id), l.size(), count));
  for (const auto x : l)
    if (x < min || x > kMaxWindowAttr)
      c.invalid(
          fmt::format("attribute {} value {} is outside {}..{}", attr_label(id), x, min, kMaxWindowAttr));
  return l;
}

std::int64_t auto_pad(const Checker& c) {
  const auto a = c.op().attr_i64(AttrId::auto_pad, kNotSet);
  if (a < kNotSet || a > kValid) c.invalid(fmt::format("attribute auto_pad = {} is outside 0..3", a));
  return a;
}

std::int64_t flag(const Checker& c, AttrId id) {
  const auto v = c.op().attr_i64(id, 0);
  if (v != 0 && v != 1) c.invalid(fmt::format("attribute {} = {} should be 0 or 1", attr_label(id), v));
  return v;
}

}  // namespace

Window window_geometry(const Checker& c, std::span<const std::int64_t> in, std::vector<std::int64_t> kernel,
                       bool ceil_allowed) {
  const std::size_t r = in.size();
  Window w;
  w.in.assign(in.begin(), in.end());
  w.kernel = std::move(kernel);
  w.strides = list_of(c, AttrId::strides, r, 1, 1);
  w.dilations = list_of(c, AttrId::dilations, r, 1, 1);
  const auto pads = list_of(c, AttrId::pads, 2 * r, 0, 0);
  const auto mode = auto_pad(c);
  const bool ceil = ceil_allowed && flag(c, AttrId::ceil_mode) != 0;
  w.pad_begin.assign(pads.begin(), pads.begin() + static_cast<std::ptrdiff_t>(r));
  w.pad_end.assign(pads.begin() + static_cast<std::ptrdiff_t>(r), pads.end());
  w.out.resize(r);
  for (std::size_t a = 0; a < r; ++a) {
    const std::int64_t ke = (w.kernel[a] - 1) * w.dilations[a] + 1;
    const std::int64_t s = w.strides[a];
    if (mode == kSameUpper || mode == kSameLower) {
      w.out[a] = (w.in[a] + s - 1) / s;
      const std::int64_t total = std::max<std::int64_t>(0, (w.out[a] - 1) * s + ke - w.in[a]);
      w.pad_begin[a] = mode == kSameUpper ? total / 2 : total - total / 2;
      w.pad_end[a] = total - w.pad_begin[a];
      continue;
    }
    if (mode == kValid) w.pad_begin[a] = w.pad_end[a] = 0;
    const std::int64_t span = w.in[a] + w.pad_begin[a] + w.pad_end[a] - ke;
    if (span < 0)
      c.invalid(fmt::format("the window of {} (dilated) on spatial axis {} exceeds the padded input of {}",
                            ke, a, w.in[a] + w.pad_begin[a] + w.pad_end[a]));
    w.out[a] = (ceil ? (span + s - 1) / s : span / s) + 1;
    // With ceil_mode the last window must still start inside the input or its begin padding.
    if (ceil && (w.out[a] - 1) * s >= w.in[a] + w.pad_begin[a]) --w.out[a];
  }
  return w;
}

namespace {

bool is_transpose(TensorOpKind k) noexcept {
  return k == TensorOpKind::conv_transpose;
}

OpSignature signature(TensorOpKind k) {
  if (k == TensorOpKind::conv_integer)
    return {.min_in = 2,
            .max_in = 4,
            .min_out = 1,
            .max_out = 1,
            .inputs = {"x", "w", "x_zero_point", "w_zero_point"},
            .outputs = {"y"}};
  if (k == TensorOpKind::qlinear_conv)
    return {.min_in = 8,
            .max_in = 9,
            .min_out = 1,
            .max_out = 1,
            .inputs = {"x", "x_scale", "x_zero_point", "w", "w_scale", "w_zero_point", "y_scale",
                       "y_zero_point", "B"},
            .outputs = {"y"}};
  return {.min_in = 2, .max_in = 3, .min_out = 1, .max_out = 1, .inputs = {"X", "W", "B"}, .outputs = {"Y"}};
}

// Where W and B are among the inputs (B: none for ConvInteger).
std::size_t w_index(TensorOpKind k) noexcept {
  return k == TensorOpKind::qlinear_conv ? 3 : 1;
}
std::size_t b_index(TensorOpKind k) noexcept {
  return k == TensorOpKind::qlinear_conv ? 8 : k == TensorOpKind::conv_integer ? 99 : 2;
}

std::vector<AttrRule> attr_rules(TensorOpKind k) {
  std::vector<AttrRule> r{i64_attr(AttrId::auto_pad), list_attr(AttrId::dilations),
                          i64_attr(AttrId::group),    list_attr(AttrId::kernel_shape),
                          list_attr(AttrId::pads),    list_attr(AttrId::strides)};
  if (is_transpose(k)) {
    r.push_back(list_attr(AttrId::output_padding));
    r.push_back(list_attr(AttrId::output_shape));
  }
  return r;
}

// The geometry and channel layout of a Conv or ConvTranspose.
struct ConvPlan {
  Window w;
  std::int64_t n = 0, c = 0, m = 0, group = 1;
  std::vector<std::int64_t> out;  // full output shape
};

ConvPlan conv_plan(const Checker& c) {
  const auto& op = c.op();
  const auto& x = op.inputs[0];
  const auto wi = w_index(op.kind);
  const auto& wt = op.inputs[wi];
  if (x.shape.size() < 3 || x.shape.size() > 5)
    c.invalid(
        fmt::format("{}: rank {} should be 3 to 5 (N, C and 1 to 3 spatial axes)", c.in(0), x.shape.size()));
  if (wt.shape.size() != x.shape.size())
    c.invalid(fmt::format("{}: rank {} should be {}, that of {}", c.in(wi), wt.shape.size(), x.shape.size(),
                          c.in(0)));
  ConvPlan p;
  p.n = x.shape[0];
  p.c = x.shape[1];
  p.group = op.attr_i64(AttrId::group, 1);
  if (p.group < 1 || p.c % p.group != 0)
    c.invalid(
        fmt::format("attribute group = {} does not divide the {} channels of {}", p.group, p.c, c.in(0)));
  const std::size_t r = x.shape.size() - 2;
  std::vector<std::int64_t> kernel(wt.shape.begin() + 2, wt.shape.end());
  if (const auto* ks = op.find(AttrId::kernel_shape);
      ks != nullptr && std::get<std::vector<std::int64_t>>(*ks) != kernel)
    c.invalid(fmt::format("attribute kernel_shape {} differs from the kernel {} of {}",
                          shape_string(std::get<std::vector<std::int64_t>>(*ks)), shape_string(kernel),
                          c.in(wi)));
  const std::span<const std::int64_t> spatial(x.shape.begin() + 2, x.shape.end());
  if (!is_transpose(op.kind)) {
    if (wt.shape[1] * p.group != p.c)
      c.invalid(fmt::format("{}: shape {} should have {} input channels per group ({} channels, group {})",
                            c.in(wi), shape_string(wt.shape), p.c / p.group, p.c, p.group));
    p.m = wt.shape[0];
    if (p.m % p.group != 0)
      c.invalid(fmt::format("{}: {} output channels are not divisible by group {}", c.in(wi), p.m, p.group));
    p.w = window_geometry(c, spatial, std::move(kernel), false);
  } else {
    if (wt.shape[0] != p.c)
      c.invalid(fmt::format("{}: shape {} should have {} input channels, those of {}", c.in(wi),
                            shape_string(wt.shape), p.c, c.in(0)));
    p.m = wt.shape[1] * p.group;
    Window& w = p.w;
    w.in.assign(spatial.begin(), spatial.end());
    w.kernel = std::move(kernel);
    w.strides = list_of(c, AttrId::strides, r, 1, 1);
    w.dilations = list_of(c, AttrId::dilations, r, 1, 1);
    const auto pads = list_of(c, AttrId::pads, 2 * r, 0, 0);
    const auto out_pad = list_of(c, AttrId::output_padding, r, 0, 0);
    const auto mode = auto_pad(c);
    const auto* os = op.find(AttrId::output_shape);
    std::vector<std::int64_t> out_shape;
    if (os != nullptr) {
      out_shape = std::get<std::vector<std::int64_t>>(*os);
      if (out_shape.size() == r + 2) out_shape.erase(out_shape.begin(), out_shape.begin() + 2);
      if (out_shape.size() != r)
        c.invalid(fmt::format("attribute output_shape has {} values, {} expected", out_shape.size(), r));
    }
    w.pad_begin.assign(pads.begin(), pads.begin() + static_cast<std::ptrdiff_t>(r));
    w.pad_end.assign(pads.begin() + static_cast<std::ptrdiff_t>(r), pads.end());
    w.out.resize(r);
    for (std::size_t a = 0; a < r; ++a) {
      if (out_pad[a] >= std::max(w.strides[a], w.dilations[a]))
        c.invalid(fmt::format("attribute output_padding value {} should be less than the stride or dilation",
                              out_pad[a]));
      const std::int64_t full =
          w.strides[a] * (w.in[a] - 1) + out_pad[a] + (w.kernel[a] - 1) * w.dilations[a] + 1;
      if (os != nullptr || mode == kSameUpper || mode == kSameLower) {
        w.out[a] = os != nullptr ? out_shape[a] : w.in[a] * w.strides[a];
        // An output_shape beyond the full output extends it at the end (negative padding), as the ONNX
        // reference does with floor division.
        const std::int64_t total = full - w.out[a];
        const std::int64_t half = total >= 0 ? total / 2 : -((-total + 1) / 2);
        if (w.out[a] < 0 || total < -w.strides[a])
          c.invalid(fmt::format("output size {} on spatial axis {} is outside 0..{}", w.out[a], a,
                                full + w.strides[a]));
        w.pad_begin[a] = mode == kSameUpper ? half : total - half;
        w.pad_end[a] = total - w.pad_begin[a];
      } else {
        if (mode == kValid) w.pad_begin[a] = w.pad_end[a] = 0;
        w.out[a] = full - w.pad_begin[a] - w.pad_end[a];
        if (w.out[a] < 0) c.invalid(fmt::format("pads leave a negative output on spatial axis {}", a));
      }
    }
  }
  p.out = {p.n, p.m};
  p.out.insert(p.out.end(), p.w.out.begin(), p.w.out.end());
  return p;
}

constexpr std::array kInt8Types8{DType::i8, DType::u8};

// A quantisation parameter: a scalar, or one value per output channel when `per_channel`.
void check_qparam(const Checker& c, std::size_t i, std::int64_t channels, bool per_channel) {
  const auto& o = c.op().inputs[i];
  if (o.absent) return;
  if (o.shape.size() > 1 ||
      (o.elements() != 1 && (!per_channel || static_cast<std::int64_t>(o.elements()) != channels)))
    c.invalid(per_channel ? fmt::format("{}: shape {} should be a scalar or [{}]", c.in(i),
                                        shape_string(o.shape), channels)
                          : fmt::format("{}: shape {} should be a scalar", c.in(i), shape_string(o.shape)));
}

void check(const Checker& c) {
  const auto& op = c.op();
  const auto& x = op.inputs[0];
  const auto wi = w_index(op.kind), bi = b_index(op.kind);
  const auto& y = op.outputs[0];
  const bool quantized = op.kind == TensorOpKind::conv_integer || op.kind == TensorOpKind::qlinear_conv;
  if (quantized) {
    require_dtype(c, c.in(0), x.dtype, kInt8Types8);
    require_dtype(c, c.in(wi), op.inputs[wi].dtype, kInt8Types8);
  } else {
    require_dtype(c, c.in(0), x.dtype, kFloatTypes);
    require_same_dtype(c, c.in(1), op.inputs[1].dtype, c.in(0), x.dtype);
    require_same_dtype(c, c.out(0), y.dtype, c.in(0), x.dtype);
  }
  const auto p = conv_plan(c);
  if (op.kind == TensorOpKind::conv_integer) {
    if (y.dtype != DType::i32)
      c.invalid(fmt::format("{}: dtype {} should be i32", c.out(0), to_string(y.dtype)));
    for (std::size_t i = 2; i < op.inputs.size(); ++i)
      if (!op.inputs[i].absent)
        require_same_dtype(c, c.in(i), op.inputs[i].dtype, c.in(i - 2), op.inputs[i - 2].dtype);
    if (op.inputs.size() > 2) check_qparam(c, 2, p.m, false);
    if (op.inputs.size() > 3) check_qparam(c, 3, p.m, true);
  }
  if (op.kind == TensorOpKind::qlinear_conv) {
    for (const std::size_t i : {1, 4, 6})
      require_dtype(c, c.in(i), op.inputs[i].dtype, std::array{DType::f32});
    require_same_dtype(c, c.in(2), op.inputs[2].dtype, c.in(0), x.dtype);
    require_same_dtype(c, c.in(5), op.inputs[5].dtype, c.in(3), op.inputs[3].dtype);
    require_dtype(c, c.in(7), op.inputs[7].dtype, kInt8Types8);
    require_same_dtype(c, c.out(0), y.dtype, c.in(7), op.inputs[7].dtype);
    for (const std::size_t i : {1, 2, 6, 7}) check_qparam(c, i, p.m, false);
    for (const std::size_t i : {4, 5}) check_qparam(c, i, p.m, true);
  }
  if (op.inputs.size() > bi && !op.inputs[bi].absent) {
    if (op.kind == TensorOpKind::qlinear_conv)
      require_dtype(c, c.in(bi), op.inputs[bi].dtype, std::array{DType::i32});
    else
      require_same_dtype(c, c.in(bi), op.inputs[bi].dtype, c.in(0), x.dtype);
    const std::array<std::int64_t, 1> m{p.m};
    require_shape(c, c.in(bi), op.inputs[bi].shape, m);
  }
  require_shape(c, c.out(0), y.shape, p.out);
}

std::uint64_t macs(const TensorOp& op) noexcept {
  const auto& w = op.inputs[w_index(op.kind)].shape;
  const auto taps = product(std::span(w).subspan(2));
  if (is_transpose(op.kind)) return op.inputs[0].elements() * static_cast<std::uint64_t>(w[1]) * taps;
  return op.outputs[0].elements() * static_cast<std::uint64_t>(w[1]) * taps;
}

bool lanes(TensorOpKind) noexcept {
  return true;
}

void run_conv(const Checker& c, const ConvPlan& p, std::span<const float> x, std::span<const float> wt,
              std::span<const float> bias, Emitter& e) {
  const auto in_size = product(p.w.in), out_size = product(p.w.out), taps = p.w.kernel_elements();
  const auto cg = static_cast<std::uint64_t>(p.c / p.group), mg = static_cast<std::uint64_t>(p.m / p.group);
  (void)c;
  for (std::uint64_t n = 0; n < static_cast<std::uint64_t>(p.n); ++n)
    for (std::uint64_t m = 0; m < static_cast<std::uint64_t>(p.m); ++m) {
      const std::uint64_t g = m / mg;
      const float* wm = wt.data() + m * cg * taps;
      for_each_window(
          p.w, [&](std::uint64_t o, std::span<const std::uint64_t> offs, std::span<const std::uint64_t> tap) {
            float acc = 0.0f;
            for (std::uint64_t cc = 0; cc < cg; ++cc) {
              const float* xc = x.data() + (n * static_cast<std::uint64_t>(p.c) + g * cg + cc) * in_size;
              for (std::size_t j = 0; j < offs.size(); ++j) {
                const float prod = xc[offs[j]] * wm[cc * taps + tap[j]];
                acc = acc + prod;
              }
            }
            if (!bias.empty()) acc = acc + bias[m];
            e.f32((n * static_cast<std::uint64_t>(p.m) + m) * out_size + o, acc);
          });
    }
}

void run_conv_transpose(const ConvPlan& p, std::span<const float> x, std::span<const float> wt,
                        std::span<const float> bias, Emitter& e) {
  const Window& w = p.w;
  const std::size_t r = w.in.size();
  const auto in_size = product(w.in), out_size = product(w.out), taps = w.kernel_elements();
  const auto in_strides = strides_of(w.in);
  const auto cg = static_cast<std::uint64_t>(p.c / p.group), mg = static_cast<std::uint64_t>(p.m / p.group);
  std::vector<std::int64_t> o(r), k(r);
  for (std::uint64_t n = 0; n < static_cast<std::uint64_t>(p.n); ++n)
    for (std::uint64_t m = 0; m < static_cast<std::uint64_t>(p.m); ++m) {
      const std::uint64_t g = m / mg, mm = m % mg;
      std::fill(o.begin(), o.end(), 0);
      for (std::uint64_t oi = 0; oi < out_size; ++oi) {
        // y[o] = sum over channels, then kernel positions (row-major), of x[i]·w[k] with i·s + k·d - pad = o.
        float acc = 0.0f;
        for (std::uint64_t cc = 0; cc < cg; ++cc) {
          const std::uint64_t ch = g * cg + cc;
          const float* xc = x.data() + (n * static_cast<std::uint64_t>(p.c) + ch) * in_size;
          const float* wc = wt.data() + (ch * mg + mm) * taps;
          std::fill(k.begin(), k.end(), 0);
          for (std::uint64_t t = 0; t < taps; ++t) {
            std::uint64_t off = 0;
            bool hit = true;
            for (std::size_t a = 0; a < r && hit; ++a) {
              const std::int64_t num = o[a] + w.pad_begin[a] - k[a] * w.dilations[a];
              hit = num >= 0 && num % w.strides[a] == 0 && num / w.strides[a] < w.in[a];
              if (hit) off += static_cast<std::uint64_t>(num / w.strides[a]) * in_strides[a];
            }
            if (hit) {
              const float prod = xc[off] * wc[t];
              acc = acc + prod;
            }
            for (std::size_t a = r; a-- > 0;) {
              if (++k[a] < w.kernel[a]) break;
              k[a] = 0;
            }
          }
        }
        if (!bias.empty()) acc = acc + bias[m];
        e.f32((n * static_cast<std::uint64_t>(p.m) + m) * out_size + oi, acc);
        for (std::size_t a = r; a-- > 0;) {
          if (++o[a] < w.out[a]) break;
          o[a] = 0;
        }
      }
    }
}

// ConvInteger and QLinearConv: (x - x_zero_point)·(w - w_zero_point) summed in int32 with wrap, in
// the order of Conv; padding contributes nothing (it holds the zero point). QLinearConv adds B to the
// accumulator and requantises it: fl(fl(fl(x_scale·w_scale) / y_scale) · acc), rounded half to even,
// plus y_zero_point, saturated.
void run_integer(const Checker& c, const ConvPlan& p, InputBytes in, OutputBytes& out, ResultTap* tap) {
  const auto& op = c.op();
  const bool qlinear = op.kind == TensorOpKind::qlinear_conv;
  const auto wi = w_index(op.kind);
  const auto x = load_ints(op.inputs[0], in[0]);
  const auto wt = load_ints(op.inputs[wi], in[wi]);
  auto param_ints = [&](std::size_t i) {
    if (op.inputs.size() <= i || op.inputs[i].absent) return std::vector<std::int64_t>{0};
    return load_ints(op.inputs[i], in[i]);
  };
  const auto xz = param_ints(qlinear ? 2 : 2), wz = param_ints(qlinear ? 5 : 3);
  std::vector<std::int64_t> bias;
  if (qlinear && op.inputs.size() > 8 && !op.inputs[8].absent) bias = load_ints(op.inputs[8], in[8]);
  std::vector<float> ws{1.0f}, xs{1.0f}, ys{1.0f};
  std::int32_t yz = 0;
  if (qlinear) {
    xs = load_floats(op.inputs[1], in[1]);
    ws = load_floats(op.inputs[4], in[4]);
    ys = load_floats(op.inputs[6], in[6]);
    yz = static_cast<std::int32_t>(load_int(in[7].data(), op.inputs[7].dtype));
  }
  const auto in_size = product(p.w.in), out_size = product(p.w.out), taps = p.w.kernel_elements();
  const auto cg = static_cast<std::uint64_t>(p.c / p.group), mg = static_cast<std::uint64_t>(p.m / p.group);
  for (std::uint64_t n = 0; n < static_cast<std::uint64_t>(p.n); ++n)
    for (std::uint64_t m = 0; m < static_cast<std::uint64_t>(p.m); ++m) {
      const std::uint64_t g = m / mg;
      const auto x0 = static_cast<std::int32_t>(xz[0]);
      const auto w0 = static_cast<std::int32_t>(wz[wz.size() == 1 ? 0 : m]);
      const std::int64_t* wm = wt.data() + m * cg * taps;
      const float ab = xs[0] * ws[ws.size() == 1 ? 0 : m];
      const float mult = ab / ys[0];
      for_each_window(p.w, [&](std::uint64_t o, std::span<const std::uint64_t> offs,
                               std::span<const std::uint64_t> tap_index) {
        std::uint32_t acc = 0;
        for (std::uint64_t cc = 0; cc < cg; ++cc) {
          const std::int64_t* xc = x.data() + (n * static_cast<std::uint64_t>(p.c) + g * cg + cc) * in_size;
          for (std::size_t j = 0; j < offs.size(); ++j)
            acc += static_cast<std::uint32_t>((static_cast<std::int32_t>(xc[offs[j]]) - x0) *
                                              (static_cast<std::int32_t>(wm[cc * taps + tap_index[j]]) - w0));
        }
        const std::uint64_t i = (n * static_cast<std::uint64_t>(p.m) + m) * out_size + o;
        if (!qlinear) {
          if (tap != nullptr) acc = tap->apply(i, acc);
          store_le(out[0].data() + i * 4, acc);
          return;
        }
        if (!bias.empty()) acc += static_cast<std::uint32_t>(bias[m]);
        const float v = static_cast<float>(static_cast<std::int32_t>(acc)) * mult;
        store_quantized(out[0].data(), op.outputs[0].dtype, i, v, yz, tap);
      });
    }
}

void run(const Checker& c, InputBytes in, OutputBytes& out, ResultTap* tap) {
  const auto& op = c.op();
  const auto p = conv_plan(c);
  if (op.kind == TensorOpKind::conv_integer || op.kind == TensorOpKind::qlinear_conv)
    return run_integer(c, p, in, out, tap);
  const auto x = load_floats(op.inputs[0], in[0]);
  const auto wt = load_floats(op.inputs[1], in[1]);
  std::vector<float> bias;
  if (op.inputs.size() == 3 && !op.inputs[2].absent) bias = load_floats(op.inputs[2], in[2]);
  Emitter e(op.outputs[0], out[0], tap);
  if (is_transpose(op.kind))
    run_conv_transpose(p, x, wt, bias, e);
  else
    run_conv(c, p, x, wt, bias, e);
}

}  // namespace

const FamilyOps kConvFamily{.signature = signature,
                            .attr_rules = attr_rules,
                            .check = check,
                            .run = run,
                            .macs = macs,
                            .lanes = lanes};

}  // namespace seedval::chip::detail

// Pooling (0x500): MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool over 1 to 3 spatial axes.
#include <cmath>
#include <limits>

#include "tensor_kernels.h"

namespace seedval::chip::detail {
namespace {

constexpr std::array kMaxPoolTypes{DType::f32, DType::f16, DType::bf16, DType::i8, DType::u8};

bool is_global(TensorOpKind k) noexcept {
  return k == TensorOpKind::global_average_pool || k == TensorOpKind::global_max_pool;
}

OpSignature signature(TensorOpKind k) {
  if (k == TensorOpKind::max_pool)
    return {
        .min_in = 1, .max_in = 1, .min_out = 1, .max_out = 2, .inputs = {"X"}, .outputs = {"Y", "Indices"}};
  return {.min_in = 1, .max_in = 1, .min_out = 1, .max_out = 1, .inputs = {"X"}, .outputs = {"Y"}};
}

std::vector<AttrRule> attr_rules(TensorOpKind k) {
  switch (k) {
    case TensorOpKind::max_pool:
      return {i64_attr(AttrId::auto_pad),      i64_attr(AttrId::ceil_mode), list_attr(AttrId::dilations),
              list_attr(AttrId::kernel_shape), list_attr(AttrId::pads),     i64_attr(AttrId::storage_order),
              list_attr(AttrId::strides)};
    case TensorOpKind::average_pool:
      return {
          i64_attr(AttrId::auto_pad),      i64_attr(AttrId::ceil_mode), i64_attr(AttrId::count_include_pad),
          list_attr(AttrId::kernel_shape), list_attr(AttrId::pads),     list_attr(AttrId::strides)};
    default:
      return {};
  }
}

Window pool_window(const Checker& c) {
  const auto& op = c.op();
  const auto& x = op.inputs[0].shape;
  if (x.size() < 3 || x.size() > 5)
    c.invalid(fmt::format("{}: rank {} should be 3 to 5 (N, C and 1 to 3 spatial axes)", c.in(0), x.size()));
  const std::span<const std::int64_t> spatial(x.begin() + 2, x.end());
  if (is_global(op.kind)) {
    Window w;
    w.in.assign(spatial.begin(), spatial.end());
    w.kernel = w.in;
    w.strides.assign(w.in.size(), 1);
    w.dilations.assign(w.in.size(), 1);
    w.pad_begin.assign(w.in.size(), 0);
    w.pad_end.assign(w.in.size(), 0);
    w.out.assign(w.in.size(), 1);
    return w;
  }
  const auto* ks = op.find(AttrId::kernel_shape);
  if (ks == nullptr) c.invalid("attribute kernel_shape is required");
  const auto& kernel = std::get<std::vector<std::int64_t>>(*ks);
  if (kernel.size() != spatial.size())
    c.invalid(fmt::format("attribute kernel_shape has {} values for {} spatial axes", kernel.size(),
                          spatial.size()));
  for (const auto k : kernel)
    if (k < 1 || k > kMaxTensorDim)
      c.invalid(fmt::format("attribute kernel_shape value {} is not positive", k));
  return window_geometry(c, spatial, kernel, true);
}

std::vector<std::int64_t> out_shape(const TensorOp& op, const Window& w) {
  std::vector<std::int64_t> s{op.inputs[0].shape[0], op.inputs[0].shape[1]};
  s.insert(s.end(), w.out.begin(), w.out.end());
  return s;
}

void check(const Checker& c) {
  const auto& op = c.op();
  const auto& x = op.inputs[0];
  if (op.kind == TensorOpKind::max_pool || op.kind == TensorOpKind::global_max_pool)
    require_dtype(c, c.in(0), x.dtype, kMaxPoolTypes);
  else
    require_dtype(c, c.in(0), x.dtype, kFloatTypes);
  require_same_dtype(c, c.out(0), op.outputs[0].dtype, c.in(0), x.dtype);
  const auto w = pool_window(c);
  const auto shape = out_shape(op, w);
  require_shape(c, c.out(0), op.outputs[0].shape, shape);
  for (const auto id : {AttrId::count_include_pad, AttrId::storage_order}) {
    const auto v = op.attr_i64(id, 0);
    if (v != 0 && v != 1) c.invalid(fmt::format("attribute {} = {} should be 0 or 1", attr_label(id), v));
  }
  if (op.outputs.size() == 2 && !op.outputs[1].absent) {
    if (op.outputs[1].dtype != DType::i64)
      c.invalid(fmt::format("{}: dtype {} should be i64", c.out(1), to_string(op.outputs[1].dtype)));
    require_shape(c, c.out(1), op.outputs[1].shape, shape);
  }
}

std::uint64_t macs(const TensorOp& op) noexcept {
  const auto& x = op.inputs[0].shape;
  if (is_global(op.kind)) return op.inputs[0].elements();
  const auto* ks = op.find(AttrId::kernel_shape);
  (void)x;
  return op.outputs[0].elements() * (ks == nullptr ? 1 : product(std::get<std::vector<std::int64_t>>(*ks)));
}

bool lanes(TensorOpKind) noexcept {
  return true;
}

// Stores a max-pooled value: FP32 lane result through the tap, then to the output dtype (integers are
// exact in FP32; a corrupted lane value saturates).
void emit(std::uint8_t* out, DType t, std::uint64_t i, float v, ResultTap* tap) {
  std::uint32_t bits = float_bits(v);
  if (tap != nullptr) bits = tap->apply(i, bits);
  const float r = float_from_bits(bits);
  if (is_float(t)) return store_float(out + i * dtype_size(t), t, r);
  const float lo = t == DType::i8 ? -128.0f : 0.0f, hi = t == DType::i8 ? 127.0f : 255.0f;
  const float c = std::isnan(r) ? 0.0f : std::min(std::max(std::nearbyint(r), lo), hi);
  store_int(out + i * dtype_size(t), t, static_cast<std::int64_t>(c));
}

void run(const Checker& c, InputBytes in, OutputBytes& out, ResultTap* tap) {
  const auto& op = c.op();
  const auto w = pool_window(c);
  const auto& xs = op.inputs[0].shape;
  const auto x = is_float(op.inputs[0].dtype) ? load_floats(op.inputs[0], in[0]) : [&] {
    const auto ints = load_ints(op.inputs[0], in[0]);
    return std::vector<float>(ints.begin(), ints.end());
  }();
  const bool is_max = op.kind == TensorOpKind::max_pool || op.kind == TensorOpKind::global_max_pool;
  const bool include_pad = op.attr_i64(AttrId::count_include_pad, 0) != 0;
  const bool col_major = op.attr_i64(AttrId::storage_order, 0) != 0;
  const bool indices = op.outputs.size() == 2 && !op.outputs[1].absent;
  const auto planes = static_cast<std::uint64_t>(xs[0] * xs[1]);
  const auto in_size = product(w.in), out_size = product(w.out);
  const std::size_t r = w.in.size();
  // With count_include_pad, the divisor counts the kernel positions inside the padded input.
  std::vector<std::uint64_t> padded_count;
  if (include_pad) {
    std::vector<std::int64_t> o(r, 0), k(r, 0);
    padded_count.resize(out_size);
    for (std::uint64_t oi = 0; oi < out_size; ++oi) {
      std::uint64_t count = 1;
      for (std::size_t a = 0; a < r; ++a) {
        std::uint64_t along = 0;
        for (std::int64_t kk = 0; kk < w.kernel[a]; ++kk) {
          const std::int64_t p = o[a] * w.strides[a] - w.pad_begin[a] + kk * w.dilations[a];
          if (p >= -w.pad_begin[a] && p < w.in[a] + w.pad_end[a]) ++along;
        }
        count *= along;
      }
      padded_count[oi] = count;
      for (std::size_t a = r; a-- > 0;) {
        if (++o[a] < w.out[a]) break;
        o[a] = 0;
      }
    }
  }
  const auto in_strides = strides_of(w.in);
  for (std::uint64_t plane = 0; plane < planes; ++plane) {
    const float* xp = x.data() + plane * in_size;
    for_each_window(w, [&](std::uint64_t o, std::span<const std::uint64_t> offs,
                           std::span<const std::uint64_t>) {
      const std::uint64_t i = plane * out_size + o;
      if (is_max) {
        float m = -std::numeric_limits<float>::infinity();
        std::uint64_t best = offs.empty() ? 0 : offs[0];
        for (const auto off : offs) {
          const float v = xp[off];
          if (v > m || std::isnan(v)) {
            m = v;
            best = off;
            if (std::isnan(v)) break;
          }
        }
        emit(out[0].data(), op.outputs[0].dtype, i, m, tap);
        if (indices) {
          std::uint64_t index = best;
          if (col_major) {  // the spatial position, column-major
            index = 0;
            std::uint64_t stride = 1;
            for (std::size_t a = 0; a < r; ++a) {
              index += (best / in_strides[a] % static_cast<std::uint64_t>(w.in[a])) * stride;
              stride *= static_cast<std::uint64_t>(w.in[a]);
            }
          }
          store_int(out[1].data() + i * 8, DType::i64, static_cast<std::int64_t>(plane * in_size + index));
        }
        return;
      }
      float sum = 0.0f;
      for (const auto off : offs) sum = sum + xp[off];
      const auto divisor = include_pad ? padded_count[o] : offs.size();
      emit(out[0].data(), op.outputs[0].dtype, i, sum / static_cast<float>(divisor), tap);
    });
  }
}

}  // namespace

const FamilyOps kPoolFamily{.signature = signature,
                            .attr_rules = attr_rules,
                            .check = check,
                            .run = run,
                            .macs = macs,
                            .lanes = lanes};

}  // namespace seedval::chip::detail

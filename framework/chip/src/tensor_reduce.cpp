// Reductions (0x700): ReduceSum/Mean/Max/Min/Prod/L1/L2/SumSquare/LogSum/LogSumExp, ArgMax, ArgMin.
#include <cmath>
#include <limits>

#include "tensor_kernels.h"

namespace seedval::chip::detail {
namespace {

bool is_arg(TensorOpKind k) noexcept {
  return k == TensorOpKind::arg_max || k == TensorOpKind::arg_min;
}

OpSignature signature(TensorOpKind k) {
  if (is_arg(k))
    return {.min_in = 1, .max_in = 1, .min_out = 1, .max_out = 1, .inputs = {"data"}, .outputs = {"reduced"}};
  return {.min_in = 1,
          .max_in = 2,
          .min_out = 1,
          .max_out = 1,
          .inputs = {"data", "axes"},
          .outputs = {"reduced"}};
}

std::vector<AttrRule> attr_rules(TensorOpKind k) {
  if (is_arg(k))
    return {i64_attr(AttrId::axis), i64_attr(AttrId::keepdims), i64_attr(AttrId::select_last_index)};
  return {list_attr(AttrId::axes), i64_attr(AttrId::keepdims), i64_attr(AttrId::noop_with_empty_axes)};
}

// Which axes are reduced, and the output shape that gives.
struct Plan {
  std::vector<bool> reduced;  // per input axis
  std::vector<std::int64_t> out;
};

// `axes` as given (empty: all axes, unless noop_with_empty_axes).
Plan make_plan(const Checker& c, std::span<const std::int64_t> axes) {
  const auto& op = c.op();
  const auto& in = op.inputs[0].shape;
  const bool keep = op.attr_i64(AttrId::keepdims, 1) != 0;
  const bool noop = op.attr_i64(AttrId::noop_with_empty_axes, 0) != 0;
  Plan p{.reduced = std::vector<bool>(in.size(), axes.empty() && !noop), .out = {}};
  for (const auto a : axes) {
    const auto i = normalize_axis(c, a, in.size(), "axis");
    if (p.reduced[i]) c.invalid(fmt::format("axis {} appears twice in axes", a));
    p.reduced[i] = true;
  }
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (!p.reduced[i])
      p.out.push_back(in[i]);
    else if (keep)
      p.out.push_back(1);
  }
  return p;
}

bool axes_input(const TensorOp& op) {
  return op.inputs.size() == 2 && !op.inputs[1].absent;
}

void check_flags(const Checker& c, std::initializer_list<AttrId> ids) {
  for (const auto id : ids) {
    const auto v = c.op().attr_i64(id, 0);
    if (v != 0 && v != 1) c.invalid(fmt::format("attribute {} = {} should be 0 or 1", attr_label(id), v));
  }
}

void check(const Checker& c) {
  const auto& op = c.op();
  const auto& x = op.inputs[0];
  const auto& y = op.outputs[0];
  require_dtype(c, c.in(0), x.dtype, kFloatTypes);
  if (is_arg(op.kind)) {
    check_flags(c, {AttrId::keepdims, AttrId::select_last_index});
    if (x.shape.empty()) c.invalid(fmt::format("{}: a scalar has no axis to reduce", c.in(0)));
    const auto axis = normalize_axis(c, op.attr_i64(AttrId::axis, 0), x.shape.size(), "attribute axis");
    if (x.shape[axis] == 0) c.invalid(fmt::format("{}: axis {} is empty", c.in(0), axis));
    if (y.dtype != DType::i64)
      c.invalid(fmt::format("{}: dtype {} should be i64", c.out(0), to_string(y.dtype)));
    const std::array<std::int64_t, 1> a{static_cast<std::int64_t>(axis)};
    require_shape(c, c.out(0), y.shape, make_plan(c, a).out);
    return;
  }
  check_flags(c, {AttrId::keepdims, AttrId::noop_with_empty_axes});
  require_same_dtype(c, c.out(0), y.dtype, c.in(0), x.dtype);
  if (axes_input(op)) {
    const auto& a = op.inputs[1];
    if (op.find(AttrId::axes) != nullptr)
      c.invalid(fmt::format("axes given both as {} and attribute", c.in(1)));
    if (a.dtype != DType::i64)
      c.unsupported(
          fmt::format("{}: dtype {} is not supported (supported: i64)", c.in(1), to_string(a.dtype)));
    if (a.shape.size() != 1) c.invalid(fmt::format("{}: rank {} should be 1", c.in(1), a.shape.size()));
    // The axes are only known at execution; check what the shapes allow.
    const bool keep = op.attr_i64(AttrId::keepdims, 1) != 0;
    if (keep ? y.shape.size() != x.shape.size() : y.shape.size() > x.shape.size())
      c.invalid(fmt::format("{}: rank {} cannot be a reduction of {} {} (keepdims={})", c.out(0),
                            y.shape.size(), c.in(0), shape_string(x.shape), keep ? 1 : 0));
    return;
  }
  std::vector<std::int64_t> axes;
  if (const auto* v = op.find(AttrId::axes)) axes = std::get<std::vector<std::int64_t>>(*v);
  require_shape(c, c.out(0), y.shape, make_plan(c, axes).out);
}

std::uint64_t macs(const TensorOp& op) noexcept {
  return op.inputs[0].elements();
}

bool lanes(TensorOpKind) noexcept {
  return true;
}

// Calls f(out_index, in_offsets) for each output element with the input offsets it reduces, in row-major
// order of the reduced axes.
template <typename F>
void for_each_group(const std::vector<std::int64_t>& in_shape, const std::vector<bool>& reduced, F&& f) {
  const auto strides = strides_of(in_shape);
  std::vector<std::int64_t> kept_dims, red_dims;
  std::vector<std::uint64_t> kept_strides, red_strides;
  for (std::size_t i = 0; i < in_shape.size(); ++i) {
    (reduced[i] ? red_dims : kept_dims).push_back(in_shape[i]);
    (reduced[i] ? red_strides : kept_strides).push_back(strides[i]);
  }
  const std::uint64_t groups = product(kept_dims), group_size = product(red_dims);
  std::vector<std::uint64_t> offsets(group_size);
  // Offsets of the reduced elements relative to the group's first element.
  {
    std::vector<std::int64_t> idx(red_dims.size(), 0);
    std::uint64_t off = 0;
    for (std::uint64_t j = 0; j < group_size; ++j) {
      offsets[j] = off;
      for (std::size_t a = red_dims.size(); a-- > 0;) {
        off += red_strides[a];
        if (++idx[a] < red_dims[a]) break;
        off -= red_strides[a] * static_cast<std::uint64_t>(red_dims[a]);
        idx[a] = 0;
      }
    }
  }
  std::vector<std::int64_t> idx(kept_dims.size(), 0);
  std::uint64_t base = 0;
  for (std::uint64_t g = 0; g < groups; ++g) {
    f(g, base, std::span<const std::uint64_t>(offsets));
    for (std::size_t a = kept_dims.size(); a-- > 0;) {
      base += kept_strides[a];
      if (++idx[a] < kept_dims[a]) break;
      base -= kept_strides[a] * static_cast<std::uint64_t>(kept_dims[a]);
      idx[a] = 0;
    }
  }
}

float max_nan(float a, float b) noexcept {
  if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<float>::quiet_NaN();
  return b > a ? b : a;
}
float min_nan(float a, float b) noexcept {
  if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<float>::quiet_NaN();
  return b < a ? b : a;
}

void run_arg(const Checker& c, std::span<const float> x, OutputBytes& out, ResultTap* tap) {
  const auto& op = c.op();
  const auto& shape = op.inputs[0].shape;
  const auto axis = normalize_axis(c, op.attr_i64(AttrId::axis, 0), shape.size(), "attribute axis");
  const bool last = op.attr_i64(AttrId::select_last_index, 0) != 0;
  const bool is_max = op.kind == TensorOpKind::arg_max;
  std::vector<bool> reduced(shape.size(), false);
  reduced[axis] = true;
  for_each_group(shape, reduced,
                 [&](std::uint64_t g, std::uint64_t base, std::span<const std::uint64_t> offs) {
                   // The first (or last) index of the extreme value; a NaN counts as the extreme, as in
                   // numpy.
                   std::size_t best = 0;
                   float bv = x[base];
                   for (std::size_t j = 1; j < offs.size(); ++j) {
                     const float v = x[base + offs[j]];
                     if (std::isnan(bv) && !last) break;
                     const bool better =
                         std::isnan(v) || (is_max ? (last ? v >= bv : v > bv) : (last ? v <= bv : v < bv));
                     if (better) {
                       best = j;
                       bv = v;
                     }
                   }
                   auto bits = static_cast<std::uint32_t>(best);
                   if (tap != nullptr) bits = tap->apply(g, bits);
                   store_le(out[0].data() + g * 8, std::uint64_t{bits});
                 });
}

void run(const Checker& c, InputBytes in, OutputBytes& out, ResultTap* tap) {
  const auto& op = c.op();
  const auto x = load_floats(op.inputs[0], in[0]);
  if (is_arg(op.kind)) return run_arg(c, x, out, tap);
  std::vector<std::int64_t> axes;
  if (axes_input(op))
    axes = load_ints(op.inputs[1], in[1]);
  else if (const auto* v = op.find(AttrId::axes))
    axes = std::get<std::vector<std::int64_t>>(*v);
  const auto plan = make_plan(c, axes);
  require_shape(c, c.out(0), op.outputs[0].shape, plan.out);
  Emitter e(op.outputs[0], out[0], tap);
  const auto kind = op.kind;
  for_each_group(op.inputs[0].shape, plan.reduced,
                 [&](std::uint64_t g, std::uint64_t base, std::span<const std::uint64_t> offs) {
                   auto at = [&](std::size_t j) { return x[base + offs[j]]; };
                   float acc = 0.0f;
                   switch (kind) {
                     case TensorOpKind::reduce_max:
                       acc = -std::numeric_limits<float>::infinity();
                       for (std::size_t j = 0; j < offs.size(); ++j) acc = max_nan(acc, at(j));
                       break;
                     case TensorOpKind::reduce_min:
                       acc = std::numeric_limits<float>::infinity();
                       for (std::size_t j = 0; j < offs.size(); ++j) acc = min_nan(acc, at(j));
                       break;
                     case TensorOpKind::reduce_prod:
                       acc = 1.0f;
                       for (std::size_t j = 0; j < offs.size(); ++j) acc = acc * at(j);
                       break;
                     case TensorOpKind::reduce_l1:
                       for (std::size_t j = 0; j < offs.size(); ++j) acc = acc + std::fabs(at(j));
                       break;
                     case TensorOpKind::reduce_l2:
                     case TensorOpKind::reduce_sum_square:
                       for (std::size_t j = 0; j < offs.size(); ++j) {
                         const float sq = at(j) * at(j);
                         acc = acc + sq;
                       }
                       if (kind == TensorOpKind::reduce_l2) acc = std::sqrt(acc);
                       break;
                     case TensorOpKind::reduce_log_sum_exp: {
                       // Shifted by the maximum so that large inputs do not overflow.
                       float m = -std::numeric_limits<float>::infinity();
                       for (std::size_t j = 0; j < offs.size(); ++j) m = max_nan(m, at(j));
                       if (std::isinf(m)) {
                         acc = m < 0 || offs.empty() ? std::log(0.0f) : m;
                         break;
                       }
                       for (std::size_t j = 0; j < offs.size(); ++j) acc = acc + std::exp(at(j) - m);
                       acc = m + std::log(acc);
                       break;
                     }
                     default:  // sum, mean, log-sum
                       for (std::size_t j = 0; j < offs.size(); ++j) acc = acc + at(j);
                       if (kind == TensorOpKind::reduce_mean) acc = acc / static_cast<float>(offs.size());
                       if (kind == TensorOpKind::reduce_log_sum) acc = std::log(acc);
                       break;
                   }
                   e.f32(g, acc);
                 });
}

}  // namespace

const FamilyOps kReduceFamily{.signature = signature,
                              .attr_rules = attr_rules,
                              .check = check,
                              .run = run,
                              .macs = macs,
                              .lanes = lanes};

}  // namespace seedval::chip::detail

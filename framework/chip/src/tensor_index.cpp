// Index and generation (0xB00): GatherElements, GatherND, ScatterElements, ScatterND, ConstantOfShape,
// Size, Range, OneHot, EyeLike, CumSum, TopK, Hardmax. The gathers and generators move or produce values
// without arithmetic (no lane results); the scatters, Range, CumSum, TopK and Hardmax have a lane result
// per element of output 0 (see tensor.h). Index values and the shapes they imply are checked at
// execution.
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>

#include "tensor_kernels.h"

namespace seedval::chip::detail {
namespace {

using K = TensorOpKind;
using Dims = std::vector<std::int64_t>;

constexpr std::array kIndexTypes{DType::i32, DType::i64};
constexpr std::array kI64{DType::i64};
constexpr std::array kAnyTypes{DType::f32, DType::f16, DType::bf16, DType::i8,
                               DType::u8,  DType::i32, DType::i64,  DType::boolean};
constexpr std::array kSumTypes{DType::f32, DType::f16, DType::bf16, DType::i32, DType::i64};
constexpr std::array kRangeTypes{DType::f32, DType::i32, DType::i64};

enum class Reduction : std::int64_t { none = 0, add = 1, mul = 2, max = 3, min = 4 };

OpSignature sig(std::vector<std::string_view> inputs, std::vector<std::string_view> outputs,
                std::size_t min_out = 1) {
  const std::size_t n_in = inputs.size(), n_out = outputs.size();
  return {.min_in = n_in,
          .max_in = n_in,
          .min_out = min_out,
          .max_out = n_out,
          .inputs = std::move(inputs),
          .outputs = std::move(outputs)};
}

OpSignature signature(TensorOpKind k) {
  switch (k) {
    case K::gather_elements:
    case K::gather_nd:
      return sig({"data", "indices"}, {"output"});
    case K::scatter_elements:
    case K::scatter_nd:
      return sig({"data", "indices", "updates"}, {"output"});
    case K::constant_of_shape:
      return sig({"input"}, {"output"});
    case K::size:
      return sig({"data"}, {"size"});
    case K::range:
      return sig({"start", "limit", "delta"}, {"output"});
    case K::one_hot:
      return sig({"indices", "depth", "values"}, {"output"});
    case K::eye_like:
      return sig({"input"}, {"output"});
    case K::cum_sum:
      return sig({"x", "axis"}, {"y"});
    case K::top_k:
      return sig({"X", "K"}, {"Values", "Indices"});
    default:  // hardmax
      return sig({"input"}, {"output"});
  }
}

std::vector<AttrRule> attr_rules(TensorOpKind k) {
  switch (k) {
    case K::gather_elements:
    case K::one_hot:
    case K::hardmax:
      return {i64_attr(AttrId::axis)};
    case K::gather_nd:
      return {i64_attr(AttrId::batch_dims)};
    case K::scatter_elements:
      return {i64_attr(AttrId::axis), i64_attr(AttrId::reduction)};
    case K::scatter_nd:
      return {i64_attr(AttrId::reduction)};
    case K::constant_of_shape:
      return {f64_attr(AttrId::value)};
    case K::eye_like:
      return {i64_attr(AttrId::k), i64_attr(AttrId::dtype)};
    case K::cum_sum:
      return {i64_attr(AttrId::exclusive), i64_attr(AttrId::reverse)};
    case K::top_k:
      return {i64_attr(AttrId::axis), i64_attr(AttrId::largest), i64_attr(AttrId::sorted)};
    default:
      return {};
  }
}

void require_flag(const Checker& c, AttrId id, std::int64_t fallback) {
  const auto v = c.op().attr_i64(id, fallback);
  if (v != 0 && v != 1) c.invalid(fmt::format("attribute {} = {} should be 0 or 1", attr_label(id), v));
}

void require_scalar(const Checker& c, std::size_t i) {
  const auto& o = c.op().inputs[i];
  if (o.elements() != 1 || o.shape.size() > 1)
    c.invalid(fmt::format("{}: shape {} should be a scalar", c.in(i), shape_string(o.shape)));
}

void same_out(const Checker& c, std::size_t in = 0) {
  const auto& op = c.op();
  require_same_dtype(c, c.out(0), op.outputs[0].dtype, c.in(in), op.inputs[in].dtype);
}

std::size_t axis_of(const Checker& c, std::int64_t fallback, std::size_t rank) {
  return normalize_axis(c, c.op().attr_i64(AttrId::axis, fallback), rank, "attribute axis");
}

Reduction reduction_of(const TensorOp& op) {
  return static_cast<Reduction>(op.attr_i64(AttrId::reduction, 0));
}

// Indices of the element-wise gathers and scatters: same rank as data, each dim (but the axis) within
// data's.
void check_elements_indices(const Checker& c, std::size_t axis) {
  const auto& data = c.op().inputs[0];
  const auto& idx = c.op().inputs[1];
  require_dtype(c, c.in(1), idx.dtype, kIndexTypes);
  if (idx.shape.size() != data.shape.size())
    c.invalid(fmt::format("{}: rank {} differs from {} rank {}", c.in(1), idx.shape.size(), c.in(0),
                          data.shape.size()));
  for (std::size_t d = 0; d < idx.shape.size(); ++d)
    if (d != axis && idx.shape[d] > data.shape[d])
      c.invalid(fmt::format("{}: shape {} exceeds {} shape {} at dim {}", c.in(1), shape_string(idx.shape),
                            c.in(0), shape_string(data.shape), d));
}

// GatherND/ScatterND: the last dim of indices (m) and the batch dims; returns m.
std::size_t check_nd_indices(const Checker& c, std::size_t batch) {
  const auto& data = c.op().inputs[0];
  const auto& idx = c.op().inputs[1];
  require_dtype(c, c.in(1), idx.dtype, kI64);
  if (idx.shape.empty()) c.invalid(fmt::format("{}: a scalar cannot index", c.in(1)));
  if (data.shape.empty()) c.invalid(fmt::format("{}: a scalar cannot be indexed", c.in(0)));
  if (batch >= std::min(idx.shape.size(), data.shape.size()))
    c.invalid(fmt::format("attribute batch_dims = {} should be below the ranks of {} and {}", batch, c.in(0),
                          c.in(1)));
  for (std::size_t d = 0; d < batch; ++d)
    if (idx.shape[d] != data.shape[d])
      c.invalid(fmt::format("{}: batch dim {} = {} differs from {} dim {}", c.in(1), d, idx.shape[d], c.in(0),
                            data.shape[d]));
  const auto m = idx.shape.back();
  if (m < 1 || static_cast<std::size_t>(m) > data.shape.size() - batch)
    c.invalid(fmt::format("{}: last dim {} should be 1..{} (the rank of {} less batch_dims)", c.in(1), m,
                          data.shape.size() - batch, c.in(0)));
  return static_cast<std::size_t>(m);
}

// The shape of a GatherND result or a ScatterND update: indices.shape[:-1] + data.shape[batch + m:].
Dims nd_slice_shape(const TensorOp& op, std::size_t batch, std::size_t m) {
  const auto& data = op.inputs[0].shape;
  const auto& idx = op.inputs[1].shape;
  Dims out(idx.begin(), idx.end() - 1);
  out.insert(out.end(), data.begin() + static_cast<std::ptrdiff_t>(batch + m), data.end());
  return out;
}

void check_constant_of_shape(const Checker& c) {
  const auto& op = c.op();
  const auto& x = op.inputs[0];
  const auto& y = op.outputs[0];
  require_dtype(c, c.in(0), x.dtype, kI64);
  if (x.shape.size() != 1) c.invalid(fmt::format("{}: rank {} should be 1", c.in(0), x.shape.size()));
  if (y.shape.size() != static_cast<std::size_t>(x.shape[0]))
    c.invalid(fmt::format("{}: rank {} differs from the {} values of {}", c.out(0), y.shape.size(),
                          x.shape[0], c.in(0)));
  const auto* v = op.find(AttrId::value);
  if (v == nullptr) {
    if (y.dtype != DType::f32)
      c.invalid(
          fmt::format("{}: dtype {} should be f32 without attribute value", c.out(0), to_string(y.dtype)));
    return;
  }
  const double value = std::get<double>(*v);
  if (!is_integer(y.dtype)) return;
  // The dtype's range: [lo, hi] (i64: [-2^63, 2^63)).
  double lo = -0x1p63, hi = 0x1p63;
  if (y.dtype == DType::i8) lo = -128, hi = 127;
  if (y.dtype == DType::u8) lo = 0, hi = 255;
  if (y.dtype == DType::i32) lo = -0x1p31, hi = 0x1p31 - 1;
  const bool fits = value >= lo && (y.dtype == DType::i64 ? value < hi : value <= hi);
  if (!fits || std::trunc(value) != value)
    c.invalid(fmt::format("attribute value {} is not a {} value", value, to_string(y.dtype)));
}

void check_top_k(const Checker& c) {
  const auto& op = c.op();
  const auto& x = op.inputs[0];
  const auto& y = op.outputs[0];
  require_dtype(c, c.in(0), x.dtype, kNumericTypes);
  require_dtype(c, c.in(1), op.inputs[1].dtype, kI64);
  if (op.inputs[1].shape.size() != 1 || op.inputs[1].shape[0] != 1)
    c.invalid(fmt::format("{}: shape {} should be [1]", c.in(1), shape_string(op.inputs[1].shape)));
  if (x.shape.empty()) c.invalid(fmt::format("{}: a scalar has no axis to sort", c.in(0)));
  const auto axis = axis_of(c, -1, x.shape.size());
  require_flag(c, AttrId::largest, 1);
  require_flag(c, AttrId::sorted, 1);
  same_out(c);
  if (y.shape.size() != x.shape.size())
    c.invalid(fmt::format("{}: rank {} differs from {} rank {}", c.out(0), y.shape.size(), c.in(0),
                          x.shape.size()));
  for (std::size_t d = 0; d < x.shape.size(); ++d)
    if (d == axis ? y.shape[d] > x.shape[d] : y.shape[d] != x.shape[d])
      c.invalid(fmt::format("{}: shape {} does not fit {} {} along axis {}", c.out(0), shape_string(y.shape),
                            c.in(0), shape_string(x.shape), axis));
  if (op.outputs.size() > 1 && !op.outputs[1].absent) {
    const auto& ix = op.outputs[1];
    if (ix.dtype != DType::i64)
      c.invalid(fmt::format("{}: dtype {} should be i64", c.out(1), to_string(ix.dtype)));
    require_shape(c, c.out(1), ix.shape, y.shape);
  }
}

void check(const Checker& c) {
  const auto& op = c.op();
  const auto& x = op.inputs[0];
  const auto& y = op.outputs[0];
  switch (op.kind) {
    case K::gather_elements: {
      if (x.shape.empty()) c.invalid(fmt::format("{}: a scalar cannot be gathered from", c.in(0)));
      const auto axis = axis_of(c, 0, x.shape.size());
      check_elements_indices(c, axis);
      same_out(c);
      return require_shape(c, c.out(0), y.shape, op.inputs[1].shape);
    }
    case K::gather_nd: {
      const auto b = op.attr_i64(AttrId::batch_dims, 0);
      if (b < 0) c.invalid(fmt::format("attribute batch_dims = {} is negative", b));
      const auto m = check_nd_indices(c, static_cast<std::size_t>(b));
      same_out(c);
      return require_shape(c, c.out(0), y.shape, nd_slice_shape(op, static_cast<std::size_t>(b), m));
    }
    case K::scatter_elements:
    case K::scatter_nd: {
      const auto r = op.attr_i64(AttrId::reduction, 0);
      if (r < 0 || r > 4) c.invalid(fmt::format("attribute reduction = {} should be 0..4", r));
      if (r != 0) require_dtype(c, c.in(0), x.dtype, kNumericTypes);
      const auto& upd = op.inputs[2];
      require_same_dtype(c, c.in(2), upd.dtype, c.in(0), x.dtype);
      if (op.kind == K::scatter_elements) {
        if (x.shape.empty()) c.invalid(fmt::format("{}: a scalar cannot be scattered into", c.in(0)));
        check_elements_indices(c, axis_of(c, 0, x.shape.size()));
        require_shape(c, c.in(2), upd.shape, op.inputs[1].shape);
      } else {
        const auto m = check_nd_indices(c, 0);
        require_shape(c, c.in(2), upd.shape, nd_slice_shape(op, 0, m));
      }
      same_out(c);
      return require_shape(c, c.out(0), y.shape, x.shape);
    }
    case K::constant_of_shape:
      return check_constant_of_shape(c);
    case K::size:
      if (y.dtype != DType::i64)
        c.invalid(fmt::format("{}: dtype {} should be i64", c.out(0), to_string(y.dtype)));
      return require_shape(c, c.out(0), y.shape, Dims{});
    case K::range:
      require_dtype(c, c.in(0), x.dtype, kRangeTypes);
      for (std::size_t i = 0; i < 3; ++i) {
        require_same_dtype(c, c.in(i), op.inputs[i].dtype, c.in(0), x.dtype);
        require_scalar(c, i);
      }
      same_out(c);
      if (y.shape.size() != 1) c.invalid(fmt::format("{}: rank {} should be 1", c.out(0), y.shape.size()));
      return;
    case K::one_hot: {
      require_dtype(c, c.in(0), x.dtype, kNumericTypes);
      require_dtype(c, c.in(1), op.inputs[1].dtype, kNumericTypes);
      require_scalar(c, 1);
      const auto& values = op.inputs[2];
      if (values.shape.size() != 1 || values.shape[0] != 2)
        c.invalid(fmt::format("{}: shape {} should be [2]", c.in(2), shape_string(values.shape)));
      same_out(c, 2);
      const auto axis =
          normalize_axis(c, op.attr_i64(AttrId::axis, -1), x.shape.size() + 1, "attribute axis");
      if (y.shape.size() != x.shape.size() + 1)
        c.invalid(fmt::format("{}: rank {} should be {}", c.out(0), y.shape.size(), x.shape.size() + 1));
      Dims rest = y.shape;
      rest.erase(rest.begin() + static_cast<std::ptrdiff_t>(axis));
      if (rest != x.shape)
        c.invalid(fmt::format("{}: shape {} without axis {} should be {}", c.out(0), shape_string(y.shape),
                              axis, shape_string(x.shape)));
      return;
    }
    case K::eye_like: {
      require_dtype(c, c.in(0), x.dtype, kAnyTypes);
      if (x.shape.size() != 2) c.invalid(fmt::format("{}: rank {} should be 2", c.in(0), x.shape.size()));
      if (const auto* d = op.find(AttrId::dtype)) {
        const auto v = std::get<std::int64_t>(*d);
        const auto t = dtype_from_onnx(v);
        if (!t) c.unsupported(fmt::format("attribute dtype = {} names a dtype the chip lacks", v));
        if (*t != y.dtype)
          c.invalid(fmt::format("attribute dtype = {} ({}) differs from {} dtype {}", v, to_string(*t),
                                c.out(0), to_string(y.dtype)));
      } else {
        same_out(c);
      }
      return require_shape(c, c.out(0), y.shape, x.shape);
    }
    case K::cum_sum:
      require_dtype(c, c.in(0), x.dtype, kSumTypes);
      require_dtype(c, c.in(1), op.inputs[1].dtype, kIndexTypes);
      require_scalar(c, 1);
      if (x.shape.empty()) c.invalid(fmt::format("{}: a scalar has no axis to sum along", c.in(0)));
      require_flag(c, AttrId::exclusive, 0);
      require_flag(c, AttrId::reverse, 0);
      same_out(c);
      return require_shape(c, c.out(0), y.shape, x.shape);
    case K::top_k:
      return check_top_k(c);
    default:  // hardmax
      require_dtype(c, c.in(0), x.dtype, kFloatTypes);
      axis_of(c, -1, x.shape.size());
      same_out(c);
      return require_shape(c, c.out(0), y.shape, x.shape);
  }
}

bool lanes(TensorOpKind k) noexcept {
  switch (k) {
    case K::scatter_elements:
    case K::scatter_nd:
    case K::range:
    case K::cum_sum:
    case K::top_k:
    case K::hardmax:
      return true;
    default:
      return false;
  }
}

std::uint64_t macs(const TensorOp& op) noexcept {
  if (!lanes(op.kind)) return 0;
  if (op.kind == K::top_k) return op.inputs[0].elements();
  return op.outputs[0].elements();
}

// ---- Execution helpers ----

// An index value normalised against a dim of `size` (negative counts from the end); throws when outside.
std::uint64_t index_value(const Checker& c, std::int64_t v, std::int64_t size, std::size_t input) {
  const std::int64_t n = v < 0 ? v + size : v;
  if (n < 0 || n >= size) c.invalid(fmt::format("{}: index {} is outside 0..{}", c.in(input), v, size - 1));
  return static_cast<std::uint64_t>(n);
}

// The outer/axis/inner view of a shape split at `axis`.
struct AxisView {
  std::uint64_t outer = 1, len = 1, inner = 1;
};
AxisView split_at(std::span<const std::int64_t> shape, std::size_t axis) {
  AxisView v;
  for (std::size_t d = 0; d < shape.size(); ++d) {
    const auto n = static_cast<std::uint64_t>(shape[d]);
    if (d < axis) v.outer *= n;
    if (d == axis) v.len = n;
    if (d > axis) v.inner *= n;
  }
  return v;
}

// One output element's value: FP32 for a float dtype, else the integer.
struct LaneValue {
  float f = 0;
  std::int64_t i = 0;
};

// Stores element `e` of output 0 through the tap: the lane result is the FP32 bits of a float, the low
// half of an integer (an i64 keeps its high half).
void emit_lane(const TensorOperand& y, std::vector<std::uint8_t>& out, std::uint64_t e, LaneValue v,
               ResultTap* tap) {
  const std::size_t size = dtype_size(y.dtype);
  if (is_float(y.dtype)) {
    std::uint32_t bits = float_bits(v.f);
    if (tap != nullptr) bits = tap->apply(e, bits);
    store_float(out.data() + e * size, y.dtype, float_from_bits(bits));
    return;
  }
  auto u = static_cast<std::uint64_t>(v.i);
  if (tap != nullptr) u = (u & 0xFFFF'FFFF'0000'0000ull) | tap->apply(e, static_cast<std::uint32_t>(u));
  store_int(out.data() + e * size, y.dtype, static_cast<std::int64_t>(u));
}

// Reads the value of dtype `t`: wraps an intermediate integer to it.
std::int64_t wrap(DType t, std::int64_t v) {
  std::array<std::uint8_t, 8> b{};
  store_int(b.data(), t, v);
  return load_int(b.data(), t);
}

// Calls f(i, data_offset) for every element i of GatherElements/ScatterElements' indices: the offset in
// data of the element it addresses.
template <typename F>
void for_each_element_index(const Checker& c, std::span<const std::uint8_t> index_bytes, F&& f) {
  const auto& op = c.op();
  const auto& data = op.inputs[0];
  const auto& idx = op.inputs[1];
  const auto axis = axis_of(c, 0, data.shape.size());
  const auto indices = load_ints(idx, index_bytes);
  const auto ds = strides_of(data.shape);
  const std::size_t rank = idx.shape.size();
  std::vector<std::int64_t> pos(rank, 0);
  for (std::uint64_t i = 0; i < indices.size(); ++i) {
    std::uint64_t off = 0;
    for (std::size_t d = 0; d < rank; ++d)
      off += (d == axis ? index_value(c, indices[i], data.shape[d], 1) : static_cast<std::uint64_t>(pos[d])) *
             ds[d];
    f(i, off);
    for (std::size_t d = rank; d-- > 0;) {
      if (++pos[d] < idx.shape[d]) break;
      pos[d] = 0;
    }
  }
}

// Calls f(t, data_offset) for every index tuple t (row-major) of GatherND/ScatterND: the element offset
// in data of the slice it selects.
template <typename F>
void for_each_nd(const Checker& c, std::span<const std::uint8_t> index_bytes, std::size_t batch, F&& f) {
  const auto& op = c.op();
  const auto& data = op.inputs[0].shape;
  const auto& idx = op.inputs[1];
  const auto m = static_cast<std::size_t>(idx.shape.back());
  const auto indices = load_ints(idx, index_bytes);
  const auto ds = strides_of(data);
  const std::uint64_t tuples = indices.size() / m;
  std::uint64_t per_batch = 1;
  for (std::size_t d = batch; d + 1 < idx.shape.size(); ++d)
    per_batch *= static_cast<std::uint64_t>(idx.shape[d]);
  const std::uint64_t batch_stride = batch == 0 ? 0 : ds[batch - 1];
  for (std::uint64_t t = 0; t < tuples; ++t) {
    std::uint64_t off = (t / per_batch) * batch_stride;
    for (std::size_t j = 0; j < m; ++j)
      off += index_value(c, indices[t * m + j], data[batch + j], 1) * ds[batch + j];
    f(t, off);
  }
}

void run_gather_elements(const Checker& c, InputBytes in, OutputBytes& out) {
  const std::size_t size = dtype_size(c.op().inputs[0].dtype);
  for_each_element_index(c, in[1], [&](std::uint64_t i, std::uint64_t off) {
    std::memcpy(out[0].data() + i * size, in[0].data() + off * size, size);
  });
}

void run_gather_nd(const Checker& c, InputBytes in, OutputBytes& out) {
  const auto& op = c.op();
  const auto batch = static_cast<std::size_t>(op.attr_i64(AttrId::batch_dims, 0));
  const auto& data = op.inputs[0];
  const auto m = static_cast<std::size_t>(op.inputs[1].shape.back());
  std::uint64_t slice = 1;
  for (std::size_t d = batch + m; d < data.shape.size(); ++d)
    slice *= static_cast<std::uint64_t>(data.shape[d]);
  const std::size_t size = dtype_size(data.dtype);
  const std::size_t bytes = slice * size;
  for_each_nd(c, in[1], batch, [&](std::uint64_t t, std::uint64_t off) {
    if (bytes != 0) std::memcpy(out[0].data() + t * bytes, in[0].data() + off * size, bytes);
  });
}

void run_scatter(const Checker& c, InputBytes in, OutputBytes& out, ResultTap* tap) {
  const auto& op = c.op();
  const auto& data = op.inputs[0];
  const auto& upd = op.inputs[2];
  const auto& y = op.outputs[0];
  const auto red = reduction_of(op);
  const bool fp = is_float(data.dtype);
  std::vector<float> fv = fp ? load_floats(data, in[0]) : std::vector<float>{};
  std::vector<std::int64_t> iv = fp ? std::vector<std::int64_t>{} : load_ints(data, in[0]);
  const std::vector<float> fu = fp ? load_floats(upd, in[2]) : std::vector<float>{};
  const std::vector<std::int64_t> iu = fp ? std::vector<std::int64_t>{} : load_ints(upd, in[2]);
  // Combines update u into element e, in FP32 or in int64 wrapped to the dtype.
  auto apply = [&](std::uint64_t e, std::uint64_t u) {
    if (fp) {
      float& a = fv[e];
      const float b = fu[u];
      switch (red) {
        case Reduction::none:
          a = b;
          break;
        case Reduction::add:
          a = a + b;
          break;
        case Reduction::mul:
          a = a * b;
          break;
        case Reduction::max:
          a = fmax_nan(a, b);
          break;
        case Reduction::min:
          a = fmin_nan(a, b);
          break;
      }
      return;
    }
    std::int64_t& a = iv[e];
    const std::int64_t b = iu[u];
    const auto ua = static_cast<std::uint64_t>(a), ub = static_cast<std::uint64_t>(b);
    switch (red) {
      case Reduction::none:
        a = b;
        break;
      case Reduction::add:
        a = wrap(data.dtype, static_cast<std::int64_t>(ua + ub));
        break;
      case Reduction::mul:
        a = wrap(data.dtype, static_cast<std::int64_t>(ua * ub));
        break;
      case Reduction::max:
        a = std::max(a, b);
        break;
      case Reduction::min:
        a = std::min(a, b);
        break;
    }
  };
  if (op.kind == K::scatter_elements) {
    for_each_element_index(c, in[1], [&](std::uint64_t i, std::uint64_t off) { apply(off, i); });
  } else {
    const auto m = static_cast<std::size_t>(op.inputs[1].shape.back());
    std::uint64_t slice = 1;
    for (std::size_t d = m; d < data.shape.size(); ++d) slice *= static_cast<std::uint64_t>(data.shape[d]);
    for_each_nd(c, in[1], 0, [&](std::uint64_t t, std::uint64_t off) {
      for (std::uint64_t j = 0; j < slice; ++j) apply(off + j, t * slice + j);
    });
  }
  const std::uint64_t n = y.elements();
  for (std::uint64_t e = 0; e < n; ++e)
    emit_lane(y, out[0], e, fp ? LaneValue{.f = fv[e], .i = 0} : LaneValue{.f = 0, .i = iv[e]}, tap);
}

// Stores `v` (a value of dtype `t`: checked by validate) as dtype `t`.
void store_value(std::uint8_t* p, DType t, double v) {
  if (is_float(t))
    store_float(p, t, static_cast<float>(v));
  else if (t == DType::boolean)
    store_int(p, t, v != 0.0 ? 1 : 0);
  else
    store_int(p, t, static_cast<std::int64_t>(v));
}

void run_constant_of_shape(const Checker& c, InputBytes in, OutputBytes& out) {
  const auto& op = c.op();
  const auto& y = op.outputs[0];
  const auto dims = load_ints(op.inputs[0], in[0]);
  if (dims != y.shape)
    c.invalid(fmt::format("{}: shape {} differs from the values {} of {}", c.out(0), shape_string(y.shape),
                          shape_string(dims), c.in(0)));
  const std::size_t size = dtype_size(y.dtype);
  std::array<std::uint8_t, 8> one{};
  store_value(one.data(), y.dtype, op.attr_f64(AttrId::value, 0.0));
  for (std::uint64_t i = 0; i < y.elements(); ++i) std::memcpy(out[0].data() + i * size, one.data(), size);
}

// The length of a Range: max(ceil((limit - start) / delta), 0).
std::int64_t range_length(const Checker& c, InputBytes in, DType t) {
  if (is_float(t)) {
    const float s = load_float(in[0].data(), t), l = load_float(in[1].data(), t),
                d = load_float(in[2].data(), t);
    if (d == 0 || !std::isfinite(d) || !std::isfinite(s) || !std::isfinite(l))
      c.invalid(fmt::format("start {}, limit {} and delta {} give no finite range", s, l, d));
    const double count =
        std::ceil((static_cast<double>(l) - static_cast<double>(s)) / static_cast<double>(d));
    if (!(count > 0)) return 0;
    return count < 0x1p62 ? static_cast<std::int64_t>(count) : std::numeric_limits<std::int64_t>::max();
  }
  const std::int64_t s = load_int(in[0].data(), t), l = load_int(in[1].data(), t),
                     d = load_int(in[2].data(), t);
  if (d == 0) c.invalid("input 2 (delta): delta is 0");
  if (d > 0 ? l <= s : l >= s) return 0;
  // Exactly, in unsigned arithmetic (the distance may exceed the int64 range).
  const std::uint64_t dist = d > 0 ? static_cast<std::uint64_t>(l) - static_cast<std::uint64_t>(s)
                                   : static_cast<std::uint64_t>(s) - static_cast<std::uint64_t>(l);
  const std::uint64_t step = d > 0 ? static_cast<std::uint64_t>(d) : 0 - static_cast<std::uint64_t>(d);
  const std::uint64_t q = dist / step + (dist % step != 0 ? 1 : 0);
  return static_cast<std::int64_t>(
      std::min<std::uint64_t>(q, static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())));
}

void run_range(const Checker& c, InputBytes in, OutputBytes& out, ResultTap* tap) {
  const auto& op = c.op();
  const auto& y = op.outputs[0];
  const DType t = y.dtype;
  const std::int64_t n = range_length(c, in, t);
  if (y.shape[0] != n)
    c.invalid(fmt::format("{}: shape {} should be [{}] for the range's values", c.out(0),
                          shape_string(y.shape), n));
  for (std::int64_t i = 0; i < n; ++i) {
    const auto e = static_cast<std::uint64_t>(i);
    if (is_float(t)) {
      const float s = load_float(in[0].data(), t), d = load_float(in[2].data(), t);
      const float p = static_cast<float>(i) * d;
      emit_lane(y, out[0], e, LaneValue{.f = s + p, .i = 0}, tap);
    } else {
      const auto s = static_cast<std::uint64_t>(load_int(in[0].data(), t));
      const auto d = static_cast<std::uint64_t>(load_int(in[2].data(), t));
      emit_lane(y, out[0], e, LaneValue{.f = 0, .i = wrap(t, static_cast<std::int64_t>(s + e * d))}, tap);
    }
  }
}

// The integer value of an OneHot index or depth (floats truncate; NaN and huge values give nothing).
std::optional<std::int64_t> integral(const std::uint8_t* p, DType t) {
  if (!is_float(t)) return load_int(p, t);
  const float f = load_float(p, t);
  if (!(f > -0x1p62f && f < 0x1p62f)) return std::nullopt;
  return static_cast<std::int64_t>(std::trunc(f));
}

void run_one_hot(const Checker& c, InputBytes in, OutputBytes& out) {
  const auto& op = c.op();
  const auto& idx = op.inputs[0];
  const auto& y = op.outputs[0];
  const auto axis = normalize_axis(c, op.attr_i64(AttrId::axis, -1), idx.shape.size() + 1, "attribute axis");
  const auto depth = integral(in[1].data(), op.inputs[1].dtype);
  if (!depth || *depth != y.shape[axis])
    c.invalid(fmt::format("{}: dim {} = {} differs from the depth given by {}", c.out(0), axis, y.shape[axis],
                          c.in(1)));
  const auto v = split_at(y.shape, axis);
  const std::size_t isize = dtype_size(idx.dtype), vsize = dtype_size(y.dtype);
  for (std::uint64_t o = 0; o < v.outer; ++o)
    for (std::uint64_t k = 0; k < v.inner; ++k) {
      auto hot = integral(in[0].data() + (o * v.inner + k) * isize, idx.dtype);
      if (hot && *hot < 0) *hot += *depth;
      for (std::uint64_t d = 0; d < v.len; ++d) {
        const bool on = hot && *hot == static_cast<std::int64_t>(d);
        std::memcpy(out[0].data() + ((o * v.len + d) * v.inner + k) * vsize, in[2].data() + (on ? vsize : 0),
                    vsize);
      }
    }
}

void run_eye_like(const Checker& c, OutputBytes& out) {
  const auto& op = c.op();
  const auto& y = op.outputs[0];
  const auto k = op.attr_i64(AttrId::k, 0);
  const std::size_t size = dtype_size(y.dtype);
  for (std::int64_t r = 0; r < y.shape[0]; ++r)
    for (std::int64_t col = 0; col < y.shape[1]; ++col)
      store_value(out[0].data() + static_cast<std::size_t>(r * y.shape[1] + col) * size, y.dtype,
                  col - r == k ? 1.0 : 0.0);
}

void run_cum_sum(const Checker& c, InputBytes in, OutputBytes& out, ResultTap* tap) {
  const auto& op = c.op();
  const auto& x = op.inputs[0];
  const auto& y = op.outputs[0];
  const auto axis = normalize_axis(c, load_int(in[1].data(), op.inputs[1].dtype), x.shape.size(), "axis");
  const bool exclusive = op.attr_i64(AttrId::exclusive, 0) != 0;
  const bool reverse = op.attr_i64(AttrId::reverse, 0) != 0;
  const bool fp = is_float(x.dtype);
  const auto fx = fp ? load_floats(x, in[0]) : std::vector<float>{};
  const auto ix = fp ? std::vector<std::int64_t>{} : load_ints(x, in[0]);
  const auto v = split_at(x.shape, axis);
  for (std::uint64_t o = 0; o < v.outer; ++o)
    for (std::uint64_t k = 0; k < v.inner; ++k) {
      float facc = 0.0f;
      std::int64_t iacc = 0;
      for (std::uint64_t s = 0; s < v.len; ++s) {
        const std::uint64_t j = reverse ? v.len - 1 - s : s;
        const std::uint64_t e = (o * v.len + j) * v.inner + k;
        if (exclusive) emit_lane(y, out[0], e, LaneValue{.f = facc, .i = iacc}, tap);
        if (fp)
          facc = facc + fx[e];
        else
          iacc = wrap(x.dtype, static_cast<std::int64_t>(static_cast<std::uint64_t>(iacc) +
                                                         static_cast<std::uint64_t>(ix[e])));
        if (!exclusive) emit_lane(y, out[0], e, LaneValue{.f = facc, .i = iacc}, tap);
      }
    }
}

void run_top_k(const Checker& c, InputBytes in, OutputBytes& out, ResultTap* tap) {
  const auto& op = c.op();
  const auto& x = op.inputs[0];
  const auto& y = op.outputs[0];
  const auto axis = axis_of(c, -1, x.shape.size());
  const auto kv = load_int(in[1].data(), DType::i64);
  if (kv != y.shape[axis])
    c.invalid(
        fmt::format("{}: K = {} differs from {} dim {} = {}", c.in(1), kv, c.out(0), axis, y.shape[axis]));
  const bool largest = op.attr_i64(AttrId::largest, 1) != 0;
  const bool fp = is_float(x.dtype);
  const auto fx = fp ? load_floats(x, in[0]) : std::vector<float>{};
  const auto ix = fp ? std::vector<std::int64_t>{} : load_ints(x, in[0]);
  const bool with_indices = op.outputs.size() > 1 && !op.outputs[1].absent;
  const auto v = split_at(x.shape, axis);
  const auto k = static_cast<std::uint64_t>(kv);
  std::vector<std::uint64_t> order(v.len);
  for (std::uint64_t o = 0; o < v.outer; ++o)
    for (std::uint64_t q = 0; q < v.inner; ++q) {
      auto at = [&](std::uint64_t j) { return (o * v.len + j) * v.inner + q; };
      // a ranks before b: NaN above +inf, -0 equal to +0; ties keep index order (stable sort).
      auto before = [&](std::uint64_t a, std::uint64_t b) {
        if (fp) {
          const float fa = fx[at(a)], fb = fx[at(b)];
          const bool na = std::isnan(fa), nb = std::isnan(fb);
          if (na || nb) return largest ? na && !nb : nb && !na;
          return largest ? fa > fb : fa < fb;
        }
        return largest ? ix[at(a)] > ix[at(b)] : ix[at(a)] < ix[at(b)];
      };
      std::iota(order.begin(), order.end(), std::uint64_t{0});
      std::stable_sort(order.begin(), order.end(), before);
      for (std::uint64_t r = 0; r < k; ++r) {
        const std::uint64_t e = (o * k + r) * v.inner + q;
        const std::uint64_t src = at(order[r]);
        emit_lane(y, out[0], e, fp ? LaneValue{.f = fx[src], .i = 0} : LaneValue{.f = 0, .i = ix[src]}, tap);
        if (with_indices) store_le(out[1].data() + e * 8, order[r]);
      }
    }
}

void run_hardmax(const Checker& c, InputBytes in, OutputBytes& out, ResultTap* tap) {
  const auto& op = c.op();
  const auto& x = op.inputs[0];
  const auto axis = axis_of(c, -1, x.shape.size());
  const auto fx = load_floats(x, in[0]);
  const auto v = split_at(x.shape, axis);
  Emitter emit(op.outputs[0], out[0], tap);
  for (std::uint64_t o = 0; o < v.outer; ++o)
    for (std::uint64_t k = 0; k < v.inner; ++k) {
      auto at = [&](std::uint64_t j) { return (o * v.len + j) * v.inner + k; };
      // The first maximum; the first NaN wins.
      std::uint64_t best = 0;
      for (std::uint64_t j = 1; j < v.len && !std::isnan(fx[at(best)]); ++j)
        if (std::isnan(fx[at(j)]) || fx[at(j)] > fx[at(best)]) best = j;
      for (std::uint64_t j = 0; j < v.len; ++j) emit.f32(at(j), j == best ? 1.0f : 0.0f);
    }
}

void run(const Checker& c, InputBytes in, OutputBytes& out, ResultTap* tap) {
  const auto& op = c.op();
  switch (op.kind) {
    case K::gather_elements:
      return run_gather_elements(c, in, out);
    case K::gather_nd:
      return run_gather_nd(c, in, out);
    case K::scatter_elements:
    case K::scatter_nd:
      return run_scatter(c, in, out, tap);
    case K::constant_of_shape:
      return run_constant_of_shape(c, in, out);
    case K::size:
      return store_le(out[0].data(), static_cast<std::uint64_t>(op.inputs[0].elements()));
    case K::range:
      return run_range(c, in, out, tap);
    case K::one_hot:
      return run_one_hot(c, in, out);
    case K::eye_like:
      return run_eye_like(c, out);
    case K::cum_sum:
      return run_cum_sum(c, in, out, tap);
    case K::top_k:
      return run_top_k(c, in, out, tap);
    default:
      return run_hardmax(c, in, out, tap);
  }
}

}  // namespace

const FamilyOps kIndexFamily{.signature = signature,
                             .attr_rules = attr_rules,
                             .check = check,
                             .run = run,
                             .macs = macs,
                             .lanes = lanes};

}  // namespace seedval::chip::detail

// Shape and data movement (0x800): Reshape, Transpose, Concat, Flatten, Squeeze, Unsqueeze, Slice,
// Gather, Split, Pad, Expand, Shape, Where. They move elements without arithmetic, so any dtype goes and
// they have no lane results. Parameters that ONNX passes as tensors (Reshape's shape, Slice's starts...)
// are read from the input bytes; what depends on them is checked at execution.
#include <cstring>
#include <numeric>

#include "tensor_kernels.h"

namespace seedval::chip::detail {
namespace {

using K = TensorOpKind;
using Dims = std::vector<std::int64_t>;

OpSignature signature(TensorOpKind k) {
  switch (k) {
    case K::reshape:
      return {.min_in = 2,
              .max_in = 2,
              .min_out = 1,
              .max_out = 1,
              .inputs = {"data", "shape"},
              .outputs = {"reshaped"}};
    case K::transpose:
      return {.min_in = 1,
              .max_in = 1,
              .min_out = 1,
              .max_out = 1,
              .inputs = {"data"},
              .outputs = {"transposed"}};
    case K::concat:
      return {.min_in = 1,
              .max_in = kMaxTensorOperands,
              .min_out = 1,
              .max_out = 1,
              .inputs = std::vector<std::string_view>(kMaxTensorOperands, "inputs"),
              .outputs = {"concat_result"}};
    case K::flatten:
      return {
          .min_in = 1, .max_in = 1, .min_out = 1, .max_out = 1, .inputs = {"input"}, .outputs = {"output"}};
    case K::squeeze:
      return {.min_in = 1,
              .max_in = 2,
              .min_out = 1,
              .max_out = 1,
              .inputs = {"data", "axes"},
              .outputs = {"squeezed"}};
    case K::unsqueeze:
      return {.min_in = 1,
              .max_in = 2,
              .min_out = 1,
              .max_out = 1,
              .inputs = {"data", "axes"},
              .outputs = {"expanded"}};
    case K::slice:
      return {.min_in = 3,
              .max_in = 5,
              .min_out = 1,
              .max_out = 1,
              .inputs = {"data", "starts", "ends", "axes", "steps"},
              .outputs = {"output"}};
    case K::gather:
      return {.min_in = 2,
              .max_in = 2,
              .min_out = 1,
              .max_out = 1,
              .inputs = {"data", "indices"},
              .outputs = {"output"}};
    case K::split:
      return {.min_in = 1,
              .max_in = 2,
              .min_out = 1,
              .max_out = kMaxTensorOperands,
              .inputs = {"input", "split"},
              .outputs = std::vector<std::string_view>(kMaxTensorOperands, "outputs")};
    case K::pad:
      return {.min_in = 2,
              .max_in = 4,
              .min_out = 1,
              .max_out = 1,
              .inputs = {"data", "pads", "constant_value", "axes"},
              .outputs = {"output"}};
    case K::expand:
      return {.min_in = 2,
              .max_in = 2,
              .min_out = 1,
              .max_out = 1,
              .inputs = {"input", "shape"},
              .outputs = {"output"}};
    case K::shape:
      return {.min_in = 1, .max_in = 1, .min_out = 1, .max_out = 1, .inputs = {"data"}, .outputs = {"shape"}};
    case K::trilu:
      return {.min_in = 1,
              .max_in = 2,
              .min_out = 1,
              .max_out = 1,
              .inputs = {"input", "k"},
              .outputs = {"output"}};
    case K::depth_to_space:
    case K::space_to_depth:
      return {
          .min_in = 1, .max_in = 1, .min_out = 1, .max_out = 1, .inputs = {"input"}, .outputs = {"output"}};
    case K::tile:
      return {.min_in = 2,
              .max_in = 2,
              .min_out = 1,
              .max_out = 1,
              .inputs = {"input", "repeats"},
              .outputs = {"output"}};
    case K::dropout:
      return {.min_in = 1,
              .max_in = 3,
              .min_out = 1,
              .max_out = 2,
              .inputs = {"data", "ratio", "training_mode"},
              .outputs = {"output", "mask"}};
    default:  // where
      return {.min_in = 3,
              .max_in = 3,
              .min_out = 1,
              .max_out = 1,
              .inputs = {"condition", "X", "Y"},
              .outputs = {"output"}};
  }
}

std::vector<AttrRule> attr_rules(TensorOpKind k) {
  switch (k) {
    case K::reshape:
      return {i64_attr(AttrId::allowzero)};
    case K::transpose:
      return {list_attr(AttrId::perm)};
    case K::concat:
    case K::flatten:
    case K::gather:
      return {i64_attr(AttrId::axis)};
    case K::squeeze:
    case K::unsqueeze:
      return {list_attr(AttrId::axes)};
    case K::split:
      return {i64_attr(AttrId::axis), list_attr(AttrId::split)};
    case K::pad:
      return {i64_attr(AttrId::mode)};
    case K::shape:
      return {i64_attr(AttrId::start), i64_attr(AttrId::end)};
    case K::trilu:
      return {i64_attr(AttrId::upper)};
    case K::depth_to_space:
      return {i64_attr(AttrId::blocksize), i64_attr(AttrId::mode)};
    case K::space_to_depth:
      return {i64_attr(AttrId::blocksize)};
    case K::dropout:
      return {i64_attr(AttrId::seed)};
    default:
      return {};
  }
}

constexpr std::array kIndexTypes{DType::i64};
constexpr std::array kIndexTypes32{DType::i32, DType::i64};

bool present(const TensorOp& op, std::size_t i) {
  return op.inputs.size() > i && !op.inputs[i].absent;
}

// A 1-D index tensor input (i64; i32 too where ONNX allows it).
void check_index_input(const Checker& c, std::size_t i, bool allow_i32) {
  const auto& o = c.op().inputs[i];
  if (allow_i32)
    require_dtype(c, c.in(i), o.dtype, kIndexTypes32);
  else
    require_dtype(c, c.in(i), o.dtype, kIndexTypes);
  if (o.shape.size() != 1) c.invalid(fmt::format("{}: rank {} should be 1", c.in(i), o.shape.size()));
}

void same_dtype_out(const Checker& c, std::size_t in = 0) {
  for (std::size_t i = 0; i < c.op().outputs.size(); ++i)
    if (!c.op().outputs[i].absent)
      require_same_dtype(c, c.out(i), c.op().outputs[i].dtype, c.in(in), c.op().inputs[in].dtype);
}

Dims transpose_perm(const Checker& c) {
  const auto rank = c.op().inputs[0].shape.size();
  Dims perm(rank);
  if (const auto* v = c.op().find(AttrId::perm)) {
    perm = std::get<Dims>(*v);
    if (perm.size() != rank)
      c.invalid(fmt::format("attribute perm has {} values for rank {}", perm.size(), rank));
    std::vector<bool> seen(rank, false);
    for (auto& p : perm) {
      const auto a = normalize_axis(c, p, rank, "perm value");
      if (seen[a]) c.invalid(fmt::format("attribute perm repeats axis {}", a));
      seen[a] = true;
      p = static_cast<std::int64_t>(a);
    }
  } else {
    for (std::size_t i = 0; i < rank; ++i) perm[i] = static_cast<std::int64_t>(rank - 1 - i);
  }
  return perm;
}

// Squeeze/Unsqueeze output for known axes.
Dims squeeze_shape(const Checker& c, const Dims& in, const Dims& axes) {
  std::vector<bool> drop(in.size(), axes.empty());
  if (axes.empty())
    for (std::size_t i = 0; i < in.size(); ++i) drop[i] = in[i] == 1;
  for (const auto a : axes) {
    const auto i = normalize_axis(c, a, in.size(), "axis");
    if (in[i] != 1) c.invalid(fmt::format("{}: axis {} has size {}, not 1", c.in(0), a, in[i]));
    drop[i] = true;
  }
  Dims out;
  for (std::size_t i = 0; i < in.size(); ++i)
    if (!drop[i]) out.push_back(in[i]);
  return out;
}

Dims unsqueeze_shape(const Checker& c, const Dims& in, const Dims& axes) {
  const std::size_t rank = in.size() + axes.size();
  std::vector<bool> inserted(rank, false);
  for (const auto a : axes) {
    const auto i = normalize_axis(c, a, rank, "axis");
    if (inserted[i]) c.invalid(fmt::format("axis {} appears twice in axes", a));
    inserted[i] = true;
  }
  Dims out;
  std::size_t j = 0;
  for (std::size_t i = 0; i < rank; ++i) out.push_back(inserted[i] ? 1 : in[j++]);
  return out;
}

Dims attr_list(const TensorOp& op, AttrId id) {
  const auto* v = op.find(id);
  return v == nullptr ? Dims{} : std::get<Dims>(*v);
}

Dims reshape_target(const Checker& c, const Dims& in, const Dims& spec) {
  const bool allowzero = c.op().attr_i64(AttrId::allowzero, 0) != 0;
  Dims out(spec.size());
  std::int64_t infer = -1;
  std::uint64_t known = 1;
  for (std::size_t i = 0; i < spec.size(); ++i) {
    std::int64_t d = spec[i];
    if (d == 0 && !allowzero) {
      if (i >= in.size()) c.invalid(fmt::format("shape value 0 at {} copies a dim the input lacks", i));
      d = in[i];
    }
    if (d == -1) {
      if (infer >= 0) c.invalid("shape has more than one -1");
      infer = static_cast<std::int64_t>(i);
      continue;
    }
    if (d < 0) c.invalid(fmt::format("shape value {} is negative", d));
    out[i] = d;
    known *= static_cast<std::uint64_t>(d);
  }
  const auto total = product(in);
  if (infer >= 0) {
    if (known == 0 || total % known != 0)
      c.invalid(
          fmt::format("shape {} cannot hold the {} elements of {}", shape_string(spec), total, c.in(0)));
    out[static_cast<std::size_t>(infer)] = static_cast<std::int64_t>(total / known);
  }
  return out;
}

std::int64_t shape_bound(std::int64_t v, std::int64_t rank) {
  if (v < 0) v += rank;
  return std::clamp<std::int64_t>(v, 0, rank);
}

void check(const Checker& c) {
  const auto& op = c.op();
  const auto& x = op.inputs[0];
  const auto& y = op.outputs[0];
  switch (op.kind) {
    case K::reshape: {
      same_dtype_out(c);
      check_index_input(c, 1, false);
      if (op.inputs[1].shape[0] != static_cast<std::int64_t>(y.shape.size()))
        c.invalid(fmt::format("{}: {} values for an output of rank {}", c.in(1), op.inputs[1].shape[0],
                              y.shape.size()));
      if (y.elements() != x.elements())
        c.invalid(fmt::format("{}: shape {} does not have the {} elements of {} {}", c.out(0),
                              shape_string(y.shape), x.elements(), c.in(0), shape_string(x.shape)));
      return;
    }
    case K::transpose: {
      same_dtype_out(c);
      const auto perm = transpose_perm(c);
      Dims out;
      for (const auto p : perm) out.push_back(x.shape[static_cast<std::size_t>(p)]);
      require_shape(c, c.out(0), y.shape, out);
      return;
    }
    case K::concat: {
      same_dtype_out(c);
      if (op.find(AttrId::axis) == nullptr) c.invalid("attribute axis is required");
      if (x.shape.empty()) c.invalid(fmt::format("{}: a scalar cannot be concatenated", c.in(0)));
      const auto axis = normalize_axis(c, op.attr_i64(AttrId::axis, 0), x.shape.size(), "attribute axis");
      Dims out = x.shape;
      out[axis] = 0;
      for (std::size_t i = 0; i < op.inputs.size(); ++i) {
        const auto& o = op.inputs[i];
        if (o.absent) c.invalid(fmt::format("{} is required", c.in(i)));
        require_same_dtype(c, c.in(i), o.dtype, c.in(0), x.dtype);
        Dims want = x.shape;
        want[axis] = o.shape.size() == want.size() ? o.shape[axis] : 0;
        require_shape(c, c.in(i), o.shape, want);
        out[axis] += o.shape[axis];
      }
      require_shape(c, c.out(0), y.shape, out);
      return;
    }
    case K::flatten: {
      same_dtype_out(c);
      const auto r = static_cast<std::int64_t>(x.shape.size());
      auto axis = op.attr_i64(AttrId::axis, 1);
      if (axis < -r || axis > r)
        c.invalid(fmt::format("attribute axis {} is out of range for rank {}", axis, r));
      if (axis < 0) axis += r;
      const std::span<const std::int64_t> s(x.shape);
      const Dims out{static_cast<std::int64_t>(product(s.first(static_cast<std::size_t>(axis)))),
                     static_cast<std::int64_t>(product(s.subspan(static_cast<std::size_t>(axis))))};
      require_shape(c, c.out(0), y.shape, out);
      return;
    }
    case K::squeeze:
    case K::unsqueeze: {
      same_dtype_out(c);
      const bool sq = op.kind == K::squeeze;
      if (present(op, 1)) {
        if (op.find(AttrId::axes) != nullptr)
          c.invalid(fmt::format("axes given both as {} and attribute", c.in(1)));
        check_index_input(c, 1, false);
        const auto n = op.inputs[1].shape[0];
        const auto want = static_cast<std::int64_t>(x.shape.size()) + (sq ? -n : n);
        if (static_cast<std::int64_t>(y.shape.size()) != want && !(sq && n == 0))
          c.invalid(fmt::format("{}: rank {} should be {}", c.out(0), y.shape.size(), want));
        return;
      }
      if (!sq && op.find(AttrId::axes) == nullptr) c.invalid("axes are required (input 1 or attribute)");
      const auto axes = attr_list(op, AttrId::axes);
      require_shape(c, c.out(0), y.shape,
                    sq ? squeeze_shape(c, x.shape, axes) : unsqueeze_shape(c, x.shape, axes));
      return;
    }
    case K::slice: {
      same_dtype_out(c);
      const auto n = op.inputs[1].shape.empty() ? -1 : op.inputs[1].shape[0];
      for (std::size_t i = 1; i < op.inputs.size(); ++i) {
        if (op.inputs[i].absent) continue;
        check_index_input(c, i, true);
        require_same_dtype(c, c.in(i), op.inputs[i].dtype, c.in(1), op.inputs[1].dtype);
        if (op.inputs[i].shape[0] != n)
          c.invalid(fmt::format("{}: {} values, but {} has {}", c.in(i), op.inputs[i].shape[0], c.in(1), n));
      }
      if (y.shape.size() != x.shape.size())
        c.invalid(fmt::format("{}: rank {} should be {}", c.out(0), y.shape.size(), x.shape.size()));
      return;
    }
    case K::gather: {
      same_dtype_out(c);
      require_dtype(c, c.in(1), op.inputs[1].dtype, kIndexTypes32);
      if (x.shape.empty()) c.invalid(fmt::format("{}: a scalar cannot be gathered from", c.in(0)));
      const auto axis = normalize_axis(c, op.attr_i64(AttrId::axis, 0), x.shape.size(), "attribute axis");
      Dims out(x.shape.begin(), x.shape.begin() + static_cast<std::ptrdiff_t>(axis));
      out.insert(out.end(), op.inputs[1].shape.begin(), op.inputs[1].shape.end());
      out.insert(out.end(), x.shape.begin() + static_cast<std::ptrdiff_t>(axis) + 1, x.shape.end());
      require_shape(c, c.out(0), y.shape, out);
      return;
    }
    case K::split: {
      same_dtype_out(c);
      if (x.shape.empty()) c.invalid(fmt::format("{}: a scalar cannot be split", c.in(0)));
      const auto axis = normalize_axis(c, op.attr_i64(AttrId::axis, 0), x.shape.size(), "attribute axis");
      if (present(op, 1)) {
        if (op.find(AttrId::split) != nullptr)
          c.invalid(fmt::format("split given both as {} and attribute", c.in(1)));
        check_index_input(c, 1, false);
        if (op.inputs[1].shape[0] != static_cast<std::int64_t>(op.outputs.size()))
          c.invalid(
              fmt::format("{}: {} values for {} outputs", c.in(1), op.inputs[1].shape[0], op.outputs.size()));
      }
      std::int64_t total = 0;
      for (std::size_t i = 0; i < op.outputs.size(); ++i) {
        const auto& o = op.outputs[i];
        if (o.absent) c.invalid(fmt::format("{} is required", c.out(i)));
        Dims want = x.shape;
        want[axis] = o.shape.size() == want.size() ? o.shape[axis] : 0;
        require_shape(c, c.out(i), o.shape, want);
        total += o.shape[axis];
      }
      if (total != x.shape[axis])
        c.invalid(
            fmt::format("the outputs' sizes along axis {} add up to {}, not {}", axis, total, x.shape[axis]));
      if (const auto* s = op.find(AttrId::split)) {
        const auto& l = std::get<Dims>(*s);
        if (l.size() != op.outputs.size())
          c.invalid(fmt::format("attribute split has {} values for {} outputs", l.size(), op.outputs.size()));
        for (std::size_t i = 0; i < l.size(); ++i)
          if (l[i] != op.outputs[i].shape[axis])
            c.invalid(fmt::format("{}: size {} along axis {} differs from split value {}", c.out(i),
                                  op.outputs[i].shape[axis], axis, l[i]));
      } else if (!present(op, 1)) {
        // Equal parts: ceil(dim / n) each, the last one smaller if it does not divide.
        const auto n = static_cast<std::int64_t>(op.outputs.size());
        const auto part = (x.shape[axis] + n - 1) / n;
        for (std::size_t i = 0; i < op.outputs.size(); ++i) {
          const auto want = std::min(part, x.shape[axis] - part * static_cast<std::int64_t>(i));
          if (op.outputs[i].shape[axis] != std::max<std::int64_t>(want, 0))
            c.invalid(fmt::format("{}: size {} along axis {} should be {} for an equal split", c.out(i),
                                  op.outputs[i].shape[axis], axis, want));
        }
      }
      return;
    }
    case K::pad: {
      same_dtype_out(c);
      const auto mode = op.attr_i64(AttrId::mode, 0);
      if (mode < 0 || mode > 2) c.invalid(fmt::format("attribute mode = {} is outside 0..2", mode));
      check_index_input(c, 1, false);
      if (present(op, 2)) {
        require_same_dtype(c, c.in(2), op.inputs[2].dtype, c.in(0), x.dtype);
        if (op.inputs[2].elements() != 1) c.invalid(fmt::format("{}: should have one element", c.in(2)));
      }
      if (present(op, 3)) check_index_input(c, 3, true);
      if (y.shape.size() != x.shape.size())
        c.invalid(fmt::format("{}: rank {} should be {}", c.out(0), y.shape.size(), x.shape.size()));
      return;
    }
    case K::expand: {
      same_dtype_out(c);
      check_index_input(c, 1, false);
      if (op.inputs[1].shape[0] > static_cast<std::int64_t>(y.shape.size()) ||
          x.shape.size() > y.shape.size())
        c.invalid(fmt::format("{}: rank {} is too small", c.out(0), y.shape.size()));
      const auto b = try_broadcast(x.shape, y.shape);
      if (!b || *b != y.shape)
        c.invalid(fmt::format("{}: shape {} is not a broadcast of {} {}", c.out(0), shape_string(y.shape),
                              c.in(0), shape_string(x.shape)));
      return;
    }
    case K::shape: {
      if (y.dtype != DType::i64)
        c.invalid(fmt::format("{}: dtype {} should be i64", c.out(0), to_string(y.dtype)));
      const auto r = static_cast<std::int64_t>(x.shape.size());
      const auto start = shape_bound(op.attr_i64(AttrId::start, 0), r);
      const auto end = shape_bound(op.attr_i64(AttrId::end, r), r);
      const Dims out{std::max<std::int64_t>(end - start, 0)};
      require_shape(c, c.out(0), y.shape, out);
      return;
    }
    case K::trilu: {
      same_dtype_out(c);
      if (x.shape.size() < 2)
        c.invalid(fmt::format("{}: rank {} should be at least 2", c.in(0), x.shape.size()));
      if (present(op, 1)) {
        require_dtype(c, c.in(1), op.inputs[1].dtype, kIndexTypes);
        if (op.inputs[1].elements() != 1) c.invalid(fmt::format("{}: should be a scalar", c.in(1)));
      }
      const auto upper = op.attr_i64(AttrId::upper, 1);
      if (upper != 0 && upper != 1) c.invalid(fmt::format("attribute upper = {} should be 0 or 1", upper));
      require_shape(c, c.out(0), y.shape, x.shape);
      return;
    }
    case K::depth_to_space:
    case K::space_to_depth: {
      same_dtype_out(c);
      if (x.shape.size() != 4) c.invalid(fmt::format("{}: rank {} should be 4", c.in(0), x.shape.size()));
      if (op.find(AttrId::blocksize) == nullptr) c.invalid("attribute blocksize is required");
      const auto b = op.attr_i64(AttrId::blocksize, 1);
      if (b < 1 || b > 1 << 16) c.invalid(fmt::format("attribute blocksize = {} should be positive", b));
      if (op.kind == K::depth_to_space) {
        const auto mode = op.attr_i64(AttrId::mode, 3);
        if (mode != 3 && mode != 4)
          c.invalid(fmt::format("attribute mode = {} should be DCR (3) or CRD (4)", mode));
        if (x.shape[1] % (b * b) != 0)
          c.invalid(
              fmt::format("{}: {} channels are not divisible by blocksize² {}", c.in(0), x.shape[1], b * b));
        require_shape(c, c.out(0), y.shape,
                      Dims{x.shape[0], x.shape[1] / (b * b), x.shape[2] * b, x.shape[3] * b});
      } else {
        if (x.shape[2] % b != 0 || x.shape[3] % b != 0)
          c.invalid(fmt::format("{}: spatial dims {}x{} are not divisible by blocksize {}", c.in(0),
                                x.shape[2], x.shape[3], b));
        require_shape(c, c.out(0), y.shape,
                      Dims{x.shape[0], x.shape[1] * b * b, x.shape[2] / b, x.shape[3] / b});
      }
      return;
    }
    case K::tile: {
      same_dtype_out(c);
      check_index_input(c, 1, false);
      if (op.inputs[1].shape[0] != static_cast<std::int64_t>(x.shape.size()))
        c.invalid(fmt::format("{}: {} values for rank {}", c.in(1), op.inputs[1].shape[0], x.shape.size()));
      if (y.shape.size() != x.shape.size())
        c.invalid(fmt::format("{}: rank {} should be {}", c.out(0), y.shape.size(), x.shape.size()));
      return;
    }
    case K::dropout: {
      require_dtype(c, c.in(0), x.dtype, kFloatTypes);
      require_same_dtype(c, c.out(0), y.dtype, c.in(0), x.dtype);
      require_shape(c, c.out(0), y.shape, x.shape);
      if (present(op, 1)) {
        require_dtype(c, c.in(1), op.inputs[1].dtype, kFloatTypes);
        if (op.inputs[1].elements() != 1) c.invalid(fmt::format("{}: should be a scalar", c.in(1)));
      }
      if (present(op, 2)) {
        require_dtype(c, c.in(2), op.inputs[2].dtype, std::array{DType::boolean});
        if (op.inputs[2].elements() != 1) c.invalid(fmt::format("{}: should be a scalar", c.in(2)));
      }
      if (op.outputs.size() == 2 && !op.outputs[1].absent) {
        if (op.outputs[1].dtype != DType::boolean)
          c.invalid(fmt::format("{}: dtype {} should be bool", c.out(1), to_string(op.outputs[1].dtype)));
        require_shape(c, c.out(1), op.outputs[1].shape, x.shape);
      }
      return;
    }
    default: {  // where
      if (x.dtype != DType::boolean)
        c.unsupported(
            fmt::format("{}: dtype {} is not supported (supported: bool)", c.in(0), to_string(x.dtype)));
      require_same_dtype(c, c.in(2), op.inputs[2].dtype, c.in(1), op.inputs[1].dtype);
      require_same_dtype(c, c.out(0), y.dtype, c.in(1), op.inputs[1].dtype);
      auto b = try_broadcast(x.shape, op.inputs[1].shape);
      if (b) b = try_broadcast(*b, op.inputs[2].shape);
      if (!b)
        c.invalid(fmt::format("shapes {}, {} and {} do not broadcast", shape_string(x.shape),
                              shape_string(op.inputs[1].shape), shape_string(op.inputs[2].shape)));
      require_shape(c, c.out(0), y.shape, *b);
      return;
    }
  }
}

std::uint64_t macs(const TensorOp&) noexcept {
  return 0;
}

bool lanes(TensorOpKind) noexcept {
  return false;
}

// Copies element `from` of `in` to element `to` of `out`.
struct Mover {
  std::size_t size;
  void operator()(std::span<const std::uint8_t> in, std::uint64_t from, std::vector<std::uint8_t>& out,
                  std::uint64_t to) const {
    std::memcpy(out.data() + to * size, in.data() + from * size, size);
  }
};

// Calls f(out_index, in_offset) for every element of `out_shape` where the input element's offset is
// sum(index[a] * strides[a]) + base.
template <typename F>
void for_each_strided(const Dims& out_shape, const std::vector<std::int64_t>& strides, std::int64_t base,
                      F&& f) {
  const std::size_t r = out_shape.size();
  const auto total = product(out_shape);
  Dims idx(r, 0);
  std::int64_t off = base;
  for (std::uint64_t i = 0; i < total; ++i) {
    f(i, off);
    for (std::size_t a = r; a-- > 0;) {
      off += strides[a];
      if (++idx[a] < out_shape[a]) break;
      off -= strides[a] * out_shape[a];
      idx[a] = 0;
    }
  }
}

std::vector<std::int64_t> signed_strides(const Dims& shape) {
  const auto s = strides_of(shape);
  return std::vector<std::int64_t>(s.begin(), s.end());
}

void run(const Checker& c, InputBytes in, OutputBytes& out, ResultTap*) {
  const auto& op = c.op();
  const auto& x = op.inputs[0];
  const auto& y = op.outputs[0];
  const Mover move{dtype_size(x.dtype)};
  switch (op.kind) {
    case K::reshape: {
      const auto target = reshape_target(c, x.shape, load_ints(op.inputs[1], in[1]));
      require_shape(c, c.out(0), y.shape, target);
      std::copy(in[0].begin(), in[0].end(), out[0].begin());
      return;
    }
    case K::flatten:
      std::copy(in[0].begin(), in[0].end(), out[0].begin());
      return;
    case K::squeeze:
    case K::unsqueeze: {
      if (present(op, 1)) {
        const auto axes = load_ints(op.inputs[1], in[1]);
        require_shape(
            c, c.out(0), y.shape,
            op.kind == K::squeeze ? squeeze_shape(c, x.shape, axes) : unsqueeze_shape(c, x.shape, axes));
      }
      std::copy(in[0].begin(), in[0].end(), out[0].begin());
      return;
    }
    case K::transpose: {
      const auto perm = transpose_perm(c);
      const auto xs = signed_strides(x.shape);
      std::vector<std::int64_t> strides;
      for (const auto p : perm) strides.push_back(xs[static_cast<std::size_t>(p)]);
      for_each_strided(y.shape, strides, 0, [&](std::uint64_t i, std::int64_t o) {
        move(in[0], static_cast<std::uint64_t>(o), out[0], i);
      });
      return;
    }
    case K::concat: {
      const auto axis = normalize_axis(c, op.attr_i64(AttrId::axis, 0), x.shape.size(), "attribute axis");
      const std::span<const std::int64_t> ys(y.shape);
      const auto outer = product(ys.first(axis)), inner = product(ys.subspan(axis + 1));
      const auto row = static_cast<std::uint64_t>(y.shape[axis]) * inner;
      std::uint64_t at = 0;
      for (std::size_t i = 0; i < op.inputs.size(); ++i) {
        const auto chunk = static_cast<std::uint64_t>(op.inputs[i].shape[axis]) * inner * move.size;
        for (std::uint64_t o = 0; o < outer; ++o)
          if (chunk != 0)
            std::memcpy(out[0].data() + (o * row) * move.size + at, in[i].data() + o * chunk, chunk);
        at += chunk;
      }
      return;
    }
    case K::slice: {
      const auto r = x.shape.size();
      const auto starts = load_ints(op.inputs[1], in[1]);
      const auto ends = load_ints(op.inputs[2], in[2]);
      Dims axes(starts.size()), steps(starts.size(), 1);
      std::iota(axes.begin(), axes.end(), 0);
      if (present(op, 3)) axes = load_ints(op.inputs[3], in[3]);
      if (present(op, 4)) steps = load_ints(op.inputs[4], in[4]);
      Dims begin(r, 0), step(r, 1), shape = x.shape;
      std::vector<bool> seen(r, false);
      for (std::size_t i = 0; i < axes.size(); ++i) {
        const auto a = normalize_axis(c, axes[i], r, "axis");
        if (seen[a]) c.invalid(fmt::format("axis {} appears twice in axes", axes[i]));
        seen[a] = true;
        const auto d = x.shape[a];
        const auto s = steps[i];
        if (s == 0) c.invalid(fmt::format("step for axis {} is 0", axes[i]));
        // Positive steps clamp both bounds to [0, d]; negative ones the start to [0, d - 1] and the end to
        // [-1, d - 1].
        auto clampv = [&](std::int64_t v, bool is_end) {
          if (v < 0) v = v < -d ? -d - 1 : v + d;
          if (s > 0) return std::clamp<std::int64_t>(v, 0, d);
          return std::clamp<std::int64_t>(v, is_end ? -1 : 0, std::max<std::int64_t>(d - 1, 0));
        };
        const auto b2 = clampv(starts[i], false), e = clampv(ends[i], true);
        // A step longer than the axis takes at most one element: clamp it so strides cannot overflow.
        const std::int64_t se = std::clamp<std::int64_t>(s, -(d + 1), d + 1);
        std::int64_t n =
            se > 0 ? (e > b2 ? (e - b2 + se - 1) / se : 0) : (b2 > e ? (b2 - e - se - 1) / (-se) : 0);
        if (d == 0) n = 0;
        begin[a] = n == 0 ? 0 : b2;
        step[a] = se;
        shape[a] = n;
      }
      require_shape(c, c.out(0), y.shape, shape);
      const auto xs = signed_strides(x.shape);
      std::vector<std::int64_t> strides(r);
      std::int64_t base = 0;
      for (std::size_t a = 0; a < r; ++a) {
        strides[a] = xs[a] * step[a];
        base += begin[a] * xs[a];
      }
      for_each_strided(y.shape, strides, base, [&](std::uint64_t i, std::int64_t o) {
        move(in[0], static_cast<std::uint64_t>(o), out[0], i);
      });
      return;
    }
    case K::gather: {
      const auto axis = normalize_axis(c, op.attr_i64(AttrId::axis, 0), x.shape.size(), "attribute axis");
      const auto idx = load_ints(op.inputs[1], in[1]);
      const std::span<const std::int64_t> xs(x.shape);
      const auto outer = product(xs.first(axis)), inner = product(xs.subspan(axis + 1));
      const auto d = x.shape[axis];
      std::uint64_t at = 0;
      for (std::uint64_t o = 0; o < outer; ++o)
        for (std::size_t j = 0; j < idx.size(); ++j) {
          auto v = idx[j];
          if (v < -d || v >= d)
            c.invalid(fmt::format("{}: index {} is out of range for axis size {}", c.in(1), v, d));
          if (v < 0) v += d;
          const auto from = (o * static_cast<std::uint64_t>(d) + static_cast<std::uint64_t>(v)) * inner;
          if (inner != 0)
            std::memcpy(out[0].data() + at * move.size, in[0].data() + from * move.size, inner * move.size);
          at += inner;
        }
      return;
    }
    case K::split: {
      const auto axis = normalize_axis(c, op.attr_i64(AttrId::axis, 0), x.shape.size(), "attribute axis");
      if (present(op, 1)) {
        const auto sizes = load_ints(op.inputs[1], in[1]);
        for (std::size_t i = 0; i < sizes.size(); ++i)
          if (sizes[i] != op.outputs[i].shape[axis])
            c.invalid(fmt::format("{}: size {} along axis {} differs from split value {}", c.out(i),
                                  op.outputs[i].shape[axis], axis, sizes[i]));
      }
      const std::span<const std::int64_t> xs(x.shape);
      const auto outer = product(xs.first(axis)), inner = product(xs.subspan(axis + 1));
      const auto row = static_cast<std::uint64_t>(x.shape[axis]) * inner * move.size;
      std::uint64_t at = 0;
      for (std::size_t i = 0; i < op.outputs.size(); ++i) {
        const auto chunk = static_cast<std::uint64_t>(op.outputs[i].shape[axis]) * inner * move.size;
        for (std::uint64_t o = 0; o < outer; ++o)
          if (chunk != 0) std::memcpy(out[i].data() + o * chunk, in[0].data() + o * row + at, chunk);
        at += chunk;
      }
      return;
    }
    case K::pad: {
      const auto r = x.shape.size();
      const auto pads = load_ints(op.inputs[1], in[1]);
      Dims axes(r);
      std::iota(axes.begin(), axes.end(), 0);
      if (present(op, 3)) axes = load_ints(op.inputs[3], in[3]);
      if (pads.size() != 2 * axes.size())
        c.invalid(fmt::format("{}: {} values for {} axes", c.in(1), pads.size(), axes.size()));
      Dims before(r, 0), shape = x.shape;
      for (const auto p : pads)
        if (p < -kMaxTensorDim || p > kMaxTensorDim)
          c.invalid(fmt::format("{}: value {} is outside ±{}", c.in(1), p, kMaxTensorDim));
      for (std::size_t i = 0; i < axes.size(); ++i) {
        const auto a = normalize_axis(c, axes[i], r, "axis");
        before[a] = pads[i];
        shape[a] = x.shape[a] + pads[i] + pads[i + axes.size()];
        if (shape[a] < 0) c.invalid(fmt::format("{}: pads remove more than axis {} holds", c.in(1), a));
      }
      require_shape(c, c.out(0), y.shape, shape);
      const auto mode = op.attr_i64(AttrId::mode, 0);
      for (std::size_t a = 0; a < r; ++a)
        if (mode != 0 && x.shape[a] == 0 && shape[a] != 0)
          c.invalid(
              fmt::format("{}: cannot {}-pad the empty axis {}", c.in(0), mode == 1 ? "reflect" : "edge", a));
      std::vector<std::uint8_t> fill(move.size, 0);
      if (present(op, 2)) std::copy(in[2].begin(), in[2].end(), fill.begin());
      const auto xs = strides_of(x.shape);
      Dims idx(r, 0);
      for (std::uint64_t i = 0; i < product(shape); ++i) {
        std::uint64_t off = 0;
        bool inside = true;
        for (std::size_t a = 0; a < r; ++a) {
          std::int64_t p = idx[a] - before[a];
          const auto d = x.shape[a];
          if (p < 0 || p >= d) {
            if (mode == 0) {
              inside = false;
              break;
            }
            if (mode == 2) {
              p = std::clamp<std::int64_t>(p, 0, d - 1);
            } else if (d == 1) {
              p = 0;
            } else {  // reflect without repeating the edge: period 2(d - 1)
              const std::int64_t period = 2 * (d - 1);
              p = ((p % period) + period) % period;
              if (p >= d) p = period - p;
            }
          }
          off += static_cast<std::uint64_t>(p) * xs[a];
        }
        if (inside)
          move(in[0], off, out[0], i);
        else
          std::memcpy(out[0].data() + i * move.size, fill.data(), move.size);
        for (std::size_t a = r; a-- > 0;) {
          if (++idx[a] < shape[a]) break;
          idx[a] = 0;
        }
      }
      return;
    }
    case K::expand: {
      const auto spec = load_ints(op.inputs[1], in[1]);
      const auto b = try_broadcast(x.shape, spec);
      if (!b)
        c.invalid(fmt::format("{}: {} does not broadcast with {} {}", c.in(1), shape_string(spec), c.in(0),
                              shape_string(x.shape)));
      require_shape(c, c.out(0), y.shape, *b);
      for_each_broadcast(y.shape, x.shape, y.shape, [&](std::uint64_t i, std::int64_t ix, std::int64_t) {
        move(in[0], static_cast<std::uint64_t>(ix), out[0], i);
      });
      return;
    }
    case K::shape: {
      const auto r = static_cast<std::int64_t>(x.shape.size());
      const auto start = shape_bound(op.attr_i64(AttrId::start, 0), r);
      for (std::int64_t i = 0; i < y.shape[0]; ++i)
        store_int(out[0].data() + i * 8, DType::i64, x.shape[static_cast<std::size_t>(start + i)]);
      return;
    }
    case K::trilu: {
      // Keeps j - i >= k (upper) or j - i <= k (lower) in each of the last two axes' matrices.
      const std::int64_t k = present(op, 1) ? load_int(in[1].data(), DType::i64) : 0;
      const bool upper = op.attr_i64(AttrId::upper, 1) != 0;
      const auto rows = x.shape[x.shape.size() - 2], cols = x.shape.back();
      std::copy(in[0].begin(), in[0].end(), out[0].begin());
      for (std::uint64_t e = 0; e < x.elements(); ++e) {
        const auto j = static_cast<std::int64_t>(e % static_cast<std::uint64_t>(cols));
        const auto i = static_cast<std::int64_t>(e / static_cast<std::uint64_t>(cols) %
                                                 static_cast<std::uint64_t>(rows));
        const bool keep = upper ? j - i >= k : j - i <= k;
        if (!keep) std::memset(out[0].data() + e * move.size, 0, move.size);
      }
      return;
    }
    case K::depth_to_space:
    case K::space_to_depth: {
      // Both are a reshape to 6-D, a transpose and a reshape back; walk the output and find the source.
      const auto b = op.attr_i64(AttrId::blocksize, 1);
      const bool crd = op.attr_i64(AttrId::mode, 3) == 4;
      const auto& ys = y.shape;
      const auto xs = strides_of(x.shape);
      Dims idx(4, 0);
      for (std::uint64_t e = 0; e < y.elements(); ++e) {
        const auto n = idx[0], ch = idx[1], h = idx[2], w = idx[3];
        std::int64_t sc = 0, sh = 0, sw = 0;
        if (op.kind == K::depth_to_space) {
          const auto bh = h % b, bw = w % b;
          sh = h / b;
          sw = w / b;
          sc = crd ? ch * b * b + bh * b + bw : (bh * b + bw) * ys[1] + ch;
        } else {
          const auto c0 = x.shape[1];
          const auto blk = ch / c0;
          sc = ch % c0;
          sh = h * b + blk / b;
          sw = w * b + blk % b;
        }
        const auto from = static_cast<std::uint64_t>(n) * xs[0] + static_cast<std::uint64_t>(sc) * xs[1] +
                          static_cast<std::uint64_t>(sh) * xs[2] + static_cast<std::uint64_t>(sw) * xs[3];
        move(in[0], from, out[0], e);
        for (std::size_t a = 4; a-- > 0;) {
          if (++idx[a] < ys[a]) break;
          idx[a] = 0;
        }
      }
      return;
    }
    case K::tile: {
      const auto reps = load_ints(op.inputs[1], in[1]);
      Dims shape(x.shape.size());
      for (std::size_t a = 0; a < shape.size(); ++a) {
        if (reps[a] < 0 || (reps[a] > 0 && x.shape[a] > kMaxTensorDim / reps[a]))
          c.invalid(fmt::format("{}: repeat {} is negative or too large", c.in(1), reps[a]));
        shape[a] = x.shape[a] * reps[a];
      }
      require_shape(c, c.out(0), y.shape, shape);
      const auto xs = strides_of(x.shape);
      Dims idx(shape.size(), 0);
      for (std::uint64_t e = 0; e < y.elements(); ++e) {
        std::uint64_t from = 0;
        for (std::size_t a = 0; a < shape.size(); ++a)
          from += static_cast<std::uint64_t>(idx[a] % x.shape[a]) * xs[a];
        move(in[0], from, out[0], e);
        for (std::size_t a = shape.size(); a-- > 0;) {
          if (++idx[a] < shape[a]) break;
          idx[a] = 0;
        }
      }
      return;
    }
    case K::dropout: {
      const bool training = present(op, 2) && in[2][0] != 0;
      const float ratio = present(op, 1) ? load_float(in[1].data(), op.inputs[1].dtype) : 0.5f;
      if (training && ratio != 0.0f)
        c.unsupported("training mode with a non-zero ratio drops at random; only inference is supported");
      std::copy(in[0].begin(), in[0].end(), out[0].begin());
      if (op.outputs.size() == 2 && !op.outputs[1].absent) std::fill(out[1].begin(), out[1].end(), 1);
      return;
    }
    default: {  // where: condition broadcast with X, then with Y
      const auto& xo = op.inputs[1];
      const auto& yo = op.inputs[2];
      const Mover mv{dtype_size(xo.dtype)};
      const auto cx = *try_broadcast(x.shape, xo.shape);
      std::vector<std::int64_t> cond_off(product(cx)), x_off(product(cx));
      for_each_broadcast(cx, x.shape, xo.shape, [&](std::uint64_t i, std::int64_t a, std::int64_t b) {
        cond_off[i] = a;
        x_off[i] = b;
      });
      for_each_broadcast(y.shape, cx, yo.shape, [&](std::uint64_t i, std::int64_t a, std::int64_t b) {
        const auto k = static_cast<std::size_t>(a);
        if (in[0][static_cast<std::size_t>(cond_off[k])] != 0)
          mv(in[1], static_cast<std::uint64_t>(x_off[k]), out[0], i);
        else
          mv(in[2], static_cast<std::uint64_t>(b), out[0], i);
      });
      return;
    }
  }
}

}  // namespace

const FamilyOps kShapeFamily{.signature = signature,
                             .attr_rules = attr_rules,
                             .check = check,
                             .run = run,
                             .macs = macs,
                             .lanes = lanes};

}  // namespace seedval::chip::detail

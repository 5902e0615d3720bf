#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <limits>
#include <optional>
#include <utility>

#include <fmt/core.h>

#include <seedval/chip/numeric.h>
#include <seedval/chip/tensor.h>
#include <seedval/core/error.h>
#include <seedval/core/strings.h>

#include "tensor_kernels.h"

namespace seedval::chip {
namespace {

using namespace detail;

// ---- Names ----

struct DTypeInfo {
  std::string_view name;
  std::string_view onnx_name;
  std::size_t size;
};
constexpr std::array<DTypeInfo, kDTypeCount> kDTypes{{
    {"f32", "float", 4},
    {"f16", "float16", 2},
    {"bf16", "bfloat16", 2},
    {"i8", "int8", 1},
    {"u8", "uint8", 1},
    {"i32", "int32", 4},
    {"i64", "int64", 8},
    {"bool", "bool", 1},
}};

struct KindInfo {
  TensorOpKind kind;
  std::string_view name;
};
constexpr std::array kKinds{
    KindInfo{TensorOpKind::identity, "Identity"},
    KindInfo{TensorOpKind::cast, "Cast"},
    KindInfo{TensorOpKind::relu, "Relu"},
    KindInfo{TensorOpKind::sigmoid, "Sigmoid"},
    KindInfo{TensorOpKind::tanh, "Tanh"},
    KindInfo{TensorOpKind::exp, "Exp"},
    KindInfo{TensorOpKind::log, "Log"},
    KindInfo{TensorOpKind::neg, "Neg"},
    KindInfo{TensorOpKind::abs, "Abs"},
    KindInfo{TensorOpKind::sqrt, "Sqrt"},
    KindInfo{TensorOpKind::erf, "Erf"},
    KindInfo{TensorOpKind::leaky_relu, "LeakyRelu"},
    KindInfo{TensorOpKind::clip, "Clip"},
    KindInfo{TensorOpKind::reciprocal, "Reciprocal"},
    KindInfo{TensorOpKind::floor, "Floor"},
    KindInfo{TensorOpKind::ceil, "Ceil"},
    KindInfo{TensorOpKind::round, "Round"},
    KindInfo{TensorOpKind::sign, "Sign"},
    KindInfo{TensorOpKind::elu, "Elu"},
    KindInfo{TensorOpKind::selu, "Selu"},
    KindInfo{TensorOpKind::hard_sigmoid, "HardSigmoid"},
    KindInfo{TensorOpKind::softplus, "Softplus"},
    KindInfo{TensorOpKind::softsign, "Softsign"},
    KindInfo{TensorOpKind::thresholded_relu, "ThresholdedRelu"},
    KindInfo{TensorOpKind::hard_swish, "HardSwish"},
    KindInfo{TensorOpKind::sin, "Sin"},
    KindInfo{TensorOpKind::cos, "Cos"},
    KindInfo{TensorOpKind::add, "Add"},
    KindInfo{TensorOpKind::sub, "Sub"},
    KindInfo{TensorOpKind::mul, "Mul"},
    KindInfo{TensorOpKind::div, "Div"},
    KindInfo{TensorOpKind::max, "Max"},
    KindInfo{TensorOpKind::min, "Min"},
    KindInfo{TensorOpKind::pow, "Pow"},
    KindInfo{TensorOpKind::sum, "Sum"},
    KindInfo{TensorOpKind::mean, "Mean"},
    KindInfo{TensorOpKind::prelu, "PRelu"},
    KindInfo{TensorOpKind::matmul, "MatMul"},
    KindInfo{TensorOpKind::gemm, "Gemm"},
    KindInfo{TensorOpKind::matmul_integer, "MatMulInteger"},
    KindInfo{TensorOpKind::conv, "Conv"},
    KindInfo{TensorOpKind::conv_transpose, "ConvTranspose"},
    KindInfo{TensorOpKind::conv_integer, "ConvInteger"},
    KindInfo{TensorOpKind::qlinear_conv, "QLinearConv"},
    KindInfo{TensorOpKind::max_pool, "MaxPool"},
    KindInfo{TensorOpKind::average_pool, "AveragePool"},
    KindInfo{TensorOpKind::global_average_pool, "GlobalAveragePool"},
    KindInfo{TensorOpKind::global_max_pool, "GlobalMaxPool"},
    KindInfo{TensorOpKind::batch_normalization, "BatchNormalization"},
    KindInfo{TensorOpKind::layer_normalization, "LayerNormalization"},
    KindInfo{TensorOpKind::softmax, "Softmax"},
    KindInfo{TensorOpKind::log_softmax, "LogSoftmax"},
    KindInfo{TensorOpKind::reduce_sum, "ReduceSum"},
    KindInfo{TensorOpKind::reduce_mean, "ReduceMean"},
    KindInfo{TensorOpKind::reduce_max, "ReduceMax"},
    KindInfo{TensorOpKind::reduce_min, "ReduceMin"},
    KindInfo{TensorOpKind::reduce_prod, "ReduceProd"},
    KindInfo{TensorOpKind::reduce_l1, "ReduceL1"},
    KindInfo{TensorOpKind::reduce_l2, "ReduceL2"},
    KindInfo{TensorOpKind::reduce_sum_square, "ReduceSumSquare"},
    KindInfo{TensorOpKind::reduce_log_sum, "ReduceLogSum"},
    KindInfo{TensorOpKind::reduce_log_sum_exp, "ReduceLogSumExp"},
    KindInfo{TensorOpKind::arg_max, "ArgMax"},
    KindInfo{TensorOpKind::arg_min, "ArgMin"},
    KindInfo{TensorOpKind::reshape, "Reshape"},
    KindInfo{TensorOpKind::transpose, "Transpose"},
    KindInfo{TensorOpKind::concat, "Concat"},
    KindInfo{TensorOpKind::flatten, "Flatten"},
    KindInfo{TensorOpKind::squeeze, "Squeeze"},
    KindInfo{TensorOpKind::unsqueeze, "Unsqueeze"},
    KindInfo{TensorOpKind::slice, "Slice"},
    KindInfo{TensorOpKind::gather, "Gather"},
    KindInfo{TensorOpKind::split, "Split"},
    KindInfo{TensorOpKind::pad, "Pad"},
    KindInfo{TensorOpKind::expand, "Expand"},
    KindInfo{TensorOpKind::shape, "Shape"},
    KindInfo{TensorOpKind::where, "Where"},
    KindInfo{TensorOpKind::trilu, "Trilu"},
    KindInfo{TensorOpKind::depth_to_space, "DepthToSpace"},
    KindInfo{TensorOpKind::space_to_depth, "SpaceToDepth"},
    KindInfo{TensorOpKind::tile, "Tile"},
    KindInfo{TensorOpKind::dropout, "Dropout"},
    KindInfo{TensorOpKind::quantize_linear, "QuantizeLinear"},
    KindInfo{TensorOpKind::dequantize_linear, "DequantizeLinear"},
    KindInfo{TensorOpKind::qlinear_matmul, "QLinearMatMul"},
    KindInfo{TensorOpKind::equal, "Equal"},
    KindInfo{TensorOpKind::less, "Less"},
    KindInfo{TensorOpKind::less_or_equal, "LessOrEqual"},
    KindInfo{TensorOpKind::greater, "Greater"},
    KindInfo{TensorOpKind::greater_or_equal, "GreaterOrEqual"},
    KindInfo{TensorOpKind::logical_not, "Not"},
    KindInfo{TensorOpKind::logical_and, "And"},
    KindInfo{TensorOpKind::logical_or, "Or"},
    KindInfo{TensorOpKind::logical_xor, "Xor"},
    KindInfo{TensorOpKind::gather_elements, "GatherElements"},
    KindInfo{TensorOpKind::gather_nd, "GatherND"},
    KindInfo{TensorOpKind::scatter_elements, "ScatterElements"},
    KindInfo{TensorOpKind::scatter_nd, "ScatterND"},
    KindInfo{TensorOpKind::constant_of_shape, "ConstantOfShape"},
    KindInfo{TensorOpKind::size, "Size"},
    KindInfo{TensorOpKind::range, "Range"},
    KindInfo{TensorOpKind::one_hot, "OneHot"},
    KindInfo{TensorOpKind::eye_like, "EyeLike"},
    KindInfo{TensorOpKind::cum_sum, "CumSum"},
    KindInfo{TensorOpKind::top_k, "TopK"},
    KindInfo{TensorOpKind::hardmax, "Hardmax"},
    KindInfo{TensorOpKind::mod, "Mod"},
    KindInfo{TensorOpKind::is_nan, "IsNaN"},
    KindInfo{TensorOpKind::is_inf, "IsInf"},
    KindInfo{TensorOpKind::tan, "Tan"},
    KindInfo{TensorOpKind::asin, "Asin"},
    KindInfo{TensorOpKind::acos, "Acos"},
    KindInfo{TensorOpKind::atan, "Atan"},
    KindInfo{TensorOpKind::sinh, "Sinh"},
    KindInfo{TensorOpKind::cosh, "Cosh"},
    KindInfo{TensorOpKind::asinh, "Asinh"},
    KindInfo{TensorOpKind::acosh, "Acosh"},
    KindInfo{TensorOpKind::atanh, "Atanh"},
    KindInfo{TensorOpKind::celu, "Celu"},
    KindInfo{TensorOpKind::shrink, "Shrink"},
    KindInfo{TensorOpKind::cast_like, "CastLike"},
};
constexpr auto kKindList = [] {
  std::array<TensorOpKind, kKinds.size()> list{};
  for (std::size_t i = 0; i < kKinds.size(); ++i) list[i] = kKinds[i].kind;
  return list;
}();

struct AttrInfo {
  AttrId id;
  std::string_view name;
};
constexpr std::array kAttrs{
    AttrInfo{AttrId::alpha, "alpha"},
    AttrInfo{AttrId::beta, "beta"},
    AttrInfo{AttrId::trans_a, "transA"},
    AttrInfo{AttrId::trans_b, "transB"},
    AttrInfo{AttrId::min, "min"},
    AttrInfo{AttrId::max, "max"},
    AttrInfo{AttrId::a_zero_point, "a_zero_point"},
    AttrInfo{AttrId::b_zero_point, "b_zero_point"},
    AttrInfo{AttrId::axis, "axis"},
    AttrInfo{AttrId::axes, "axes"},
    AttrInfo{AttrId::keepdims, "keepdims"},
    AttrInfo{AttrId::noop_with_empty_axes, "noop_with_empty_axes"},
    AttrInfo{AttrId::select_last_index, "select_last_index"},
    AttrInfo{AttrId::epsilon, "epsilon"},
    AttrInfo{AttrId::momentum, "momentum"},
    AttrInfo{AttrId::kernel_shape, "kernel_shape"},
    AttrInfo{AttrId::strides, "strides"},
    AttrInfo{AttrId::pads, "pads"},
    AttrInfo{AttrId::dilations, "dilations"},
    AttrInfo{AttrId::group, "group"},
    AttrInfo{AttrId::auto_pad, "auto_pad"},
    AttrInfo{AttrId::output_padding, "output_padding"},
    AttrInfo{AttrId::output_shape, "output_shape"},
    AttrInfo{AttrId::ceil_mode, "ceil_mode"},
    AttrInfo{AttrId::count_include_pad, "count_include_pad"},
    AttrInfo{AttrId::storage_order, "storage_order"},
    AttrInfo{AttrId::perm, "perm"},
    AttrInfo{AttrId::allowzero, "allowzero"},
    AttrInfo{AttrId::mode, "mode"},
    AttrInfo{AttrId::stash_type, "stash_type"},
    AttrInfo{AttrId::start, "start"},
    AttrInfo{AttrId::end, "end"},
    AttrInfo{AttrId::split, "split"},
    AttrInfo{AttrId::gamma, "gamma"},
    AttrInfo{AttrId::training_mode, "training_mode"},
    AttrInfo{AttrId::to, "to"},
    AttrInfo{AttrId::upper, "upper"},
    AttrInfo{AttrId::blocksize, "blocksize"},
    AttrInfo{AttrId::seed, "seed"},
    AttrInfo{AttrId::fmod, "fmod"},
    AttrInfo{AttrId::detect_negative, "detect_negative"},
    AttrInfo{AttrId::detect_positive, "detect_positive"},
    AttrInfo{AttrId::bias, "bias"},
    AttrInfo{AttrId::lambd, "lambd"},
    AttrInfo{AttrId::batch_dims, "batch_dims"},
    AttrInfo{AttrId::reduction, "reduction"},
    AttrInfo{AttrId::value, "value"},
    AttrInfo{AttrId::dtype, "dtype"},
    AttrInfo{AttrId::k, "k"},
    AttrInfo{AttrId::exclusive, "exclusive"},
    AttrInfo{AttrId::reverse, "reverse"},
    AttrInfo{AttrId::largest, "largest"},
    AttrInfo{AttrId::sorted, "sorted"},
};

constexpr std::array<std::string_view, 4> kAttrTypeNames{"i64", "f64", "i64 list", "f64 list"};

enum class Family : std::uint8_t { movement = 0, unary = 1, binary = 2, matrix = 3 };
Family family(TensorOpKind k) noexcept {
  return static_cast<Family>(static_cast<std::uint16_t>(k) >> 8);
}

}  // namespace

namespace detail {

std::string kind_label(TensorOpKind k) {
  return is_known_kind(static_cast<std::uint16_t>(k))
             ? std::string(to_string(k))
             : fmt::format("tensor op 0x{:03x}", static_cast<std::uint16_t>(k));
}

std::string attr_label(AttrId id) {
  for (const auto& a : kAttrs)
    if (a.id == id) return std::string(a.name);
  return fmt::format("{}", static_cast<std::uint16_t>(id));
}

std::string shape_string(std::span<const std::int64_t> shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i != 0) s += ',';
    s += fmt::format("{}", shape[i]);
  }
  s += ']';
  return s;
}

std::uint64_t product(std::span<const std::int64_t> shape) noexcept {
  std::uint64_t n = 1;
  for (const auto d : shape) n *= static_cast<std::uint64_t>(d);
  return n;
}

const FamilyOps* extension_family(TensorOpKind k) noexcept {
  switch (static_cast<std::uint16_t>(k) >> 8) {
    case 0x4:
      return &kConvFamily;
    case 0x5:
      return &kPoolFamily;
    case 0x6:
      return &kNormFamily;
    case 0x7:
      return &kReduceFamily;
    case 0x8:
      return &kShapeFamily;
    case 0x9:
      return &kQuantFamily;
    case 0xA:
      return &kLogicFamily;
    case 0xB:
      return &kIndexFamily;
    case 0xC:
      return &kMathFamily;
    default:
      return nullptr;
  }
}

// Element-wise operators that also take integer dtypes.
bool integer_capable(TensorOpKind k) noexcept {
  switch (k) {
    case TensorOpKind::add:
    case TensorOpKind::sub:
    case TensorOpKind::mul:
    case TensorOpKind::div:
    case TensorOpKind::max:
    case TensorOpKind::min:
    case TensorOpKind::sum:
    case TensorOpKind::pow:
    case TensorOpKind::clip:
    case TensorOpKind::neg:
    case TensorOpKind::abs:
      return true;
    default:
      return false;
  }
}

// Max, Min, Sum and Mean take one or more inputs.
bool variadic(TensorOpKind k) noexcept {
  return k == TensorOpKind::max || k == TensorOpKind::min || k == TensorOpKind::sum ||
         k == TensorOpKind::mean;
}

// Operand names as ONNX gives them, for messages.
std::string_view operand_name(TensorOpKind k, bool input, std::size_t i) {
  if (const auto* f = extension_family(k); f != nullptr && is_known_kind(static_cast<std::uint16_t>(k))) {
    const auto sig = f->signature(k);
    const auto& names = input ? sig.inputs : sig.outputs;
    return i < names.size() ? names[i] : "?";
  }
  switch (family(k)) {
    case Family::matrix:
      if (!input) return "Y";
      if (k == TensorOpKind::matmul_integer && i >= 2)
        return i == 2 ? "a_zero_point" : i == 3 ? "b_zero_point" : "?";
      return i == 0 ? "A" : i == 1 ? "B" : i == 2 ? "C" : "?";
    case Family::binary:
      if (!input)
        return variadic(k) ? (k == TensorOpKind::max   ? "max"
                              : k == TensorOpKind::min ? "min"
                              : k == TensorOpKind::sum ? "sum"
                                                       : "mean")
                           : "C";
      return i == 0 ? "A" : i == 1 ? "B" : "data";
    default:
      if (k == TensorOpKind::clip && input && i > 0) return i == 1 ? "min" : i == 2 ? "max" : "?";
      return input ? (i == 0 ? "X" : "?") : "Y";
  }
}

}  // namespace detail

namespace {

std::string value_string(const AttrValue& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v)) return fmt::format("{}", *i);
  if (const auto* d = std::get_if<double>(&v)) return fmt::format("{}", *d);
  std::string s = "[";
  auto list = [&s](const auto& values) {
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (i != 0) s += ',';
      s += fmt::format("{}", values[i]);
    }
  };
  if (const auto* il = std::get_if<std::vector<std::int64_t>>(&v)) list(*il);
  if (const auto* dl = std::get_if<std::vector<double>>(&v)) list(*dl);
  s += ']';
  return s;
}

// What is wrong with an operand's format (rank, dtype, dims, element count), or nothing.
std::optional<std::string> format_problem(const TensorOperand& o) {
  if (o.absent) return std::nullopt;
  if (!is_known_dtype(static_cast<std::uint8_t>(o.dtype)))
    return fmt::format("unknown dtype {}", static_cast<unsigned>(o.dtype));
  if (o.shape.size() > kMaxTensorRank)
    return fmt::format("rank {} exceeds the maximum of {}", o.shape.size(), kMaxTensorRank);
  bool empty = false;
  for (std::size_t i = 0; i < o.shape.size(); ++i) {
    const auto d = o.shape[i];
    if (d < 0 || d > kMaxTensorDim) return fmt::format("dim {} = {} is outside 0..{}", i, d, kMaxTensorDim);
    empty = empty || d == 0;
  }
  if (empty) return std::nullopt;
  std::uint64_t n = 1;
  for (const auto d : o.shape) {
    const auto ud = static_cast<std::uint64_t>(d);
    if (n > kMaxTensorElements / ud)
      return fmt::format("shape {} has more than {} elements", shape_string(o.shape), kMaxTensorElements);
    n *= ud;
  }
  return std::nullopt;
}

// ---- Codec ----

class Writer {
 public:
  void put(std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) bytes_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  std::vector<std::uint8_t> take() && { return std::move(bytes_); }

 private:
  std::vector<std::uint8_t> bytes_;
};

// Bounds-checked little-endian reader; every failure names the field being read.
class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> data) : data_(data) {}

  std::uint64_t get(std::size_t n, std::string_view where, std::string_view field) {
    if (data_.size() - pos_ < n)
      fail(where, field,
           fmt::format("truncated at offset {}: {} bytes needed, {} left", pos_, n, data_.size() - pos_));
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v |= std::uint64_t{data_[pos_ + i]} << (8 * i);
    pos_ += n;
    return v;
  }
  std::size_t remaining() const noexcept { return data_.size() - pos_; }
  std::size_t offset() const noexcept { return pos_; }

  [[noreturn]] static void fail(std::string_view where, std::string_view field, std::string_view message) {
    throw ProtocolError(ErrorCode::protocol,
                        where.empty() ? fmt::format("tensor op: {}: {}", field, message)
                                      : fmt::format("tensor op: {} {}: {}", where, field, message));
  }

 private:
  std::span<const std::uint8_t> data_;
  std::size_t pos_ = 0;
};

void encode_operand(Writer& w, const TensorOperand& o, std::string_view where) {
  if (auto problem = format_problem(o))
    throw InvalidArgumentError(ErrorCode::invalid_argument,
                               fmt::format("cannot encode tensor op: {}: {}", where, *problem));
  w.put(o.absent ? 1 : 0, 1);
  if (o.absent) return;
  w.put(static_cast<std::uint8_t>(o.dtype), 1);
  w.put(o.shape.size(), 1);
  w.put(o.address, 8);
  for (const auto d : o.shape) w.put(static_cast<std::uint64_t>(d), 8);
}

TensorOperand decode_operand(Reader& r, const std::string& where) {
  TensorOperand o;
  const auto flags = r.get(1, where, "flags");
  if ((flags & ~std::uint64_t{1}) != 0)
    Reader::fail(where, "flags", fmt::format("reserved bits set in 0x{:02x}", flags));
  if (flags != 0) {
    o.absent = true;
    return o;
  }
  const auto dtype = r.get(1, where, "dtype");
  if (!is_known_dtype(static_cast<std::uint8_t>(dtype)))
    Reader::fail(where, "dtype", fmt::format("unknown dtype {}", dtype));
  o.dtype = static_cast<DType>(dtype);
  const auto rank = r.get(1, where, "rank");
  if (rank > kMaxTensorRank)
    Reader::fail(where, "rank", fmt::format("{} exceeds the maximum of {}", rank, kMaxTensorRank));
  o.address = r.get(8, where, "address");
  o.shape.reserve(rank);
  for (std::uint64_t i = 0; i < rank; ++i) {
    const auto d = static_cast<std::int64_t>(r.get(8, where, fmt::format("dim {}", i)));
    o.shape.push_back(d);
  }
  if (auto problem = format_problem(o)) Reader::fail(where, "shape", *problem);
  return o;
}

std::string operand_where(bool input, std::size_t i) {
  return fmt::format("{} {}", input ? "input" : "output", i);
}

// ---- Validation ----

// The numpy matmul view of two shapes.
struct MatMulDims {
  std::vector<std::int64_t> a_batch, b_batch, batch;  // batch = broadcast of the two
  std::int64_t m = 1, k = 1, n = 1;
  std::vector<std::int64_t> out;
};

MatMulDims matmul_dims(const Checker& c, std::span<const std::int64_t> a, std::span<const std::int64_t> b) {
  if (a.empty()) c.invalid(fmt::format("{}: a scalar cannot be multiplied as a matrix", c.in(0)));
  if (b.empty()) c.invalid(fmt::format("{}: a scalar cannot be multiplied as a matrix", c.in(1)));
  MatMulDims d;
  d.k = a.back();
  if (a.size() >= 2) {
    d.m = a[a.size() - 2];
    d.a_batch.assign(a.begin(), a.end() - 2);
  }
  const std::int64_t kb = b.size() >= 2 ? b[b.size() - 2] : b[0];
  if (b.size() >= 2) {
    d.n = b.back();
    d.b_batch.assign(b.begin(), b.end() - 2);
  }
  if (kb != d.k)
    c.invalid(fmt::format("{}: shape {} does not match {} {}: inner dimensions {} and {} differ", c.in(1),
                          shape_string(b), c.in(0), shape_string(a), d.k, kb));
  auto batch = try_broadcast(d.a_batch, d.b_batch);
  if (!batch)
    c.invalid(fmt::format("{}: batch dimensions of {} do not broadcast with those of {} {}", c.in(1),
                          shape_string(b), c.in(0), shape_string(a)));
  d.batch = std::move(*batch);
  d.out = d.batch;
  if (a.size() >= 2) d.out.push_back(d.m);
  if (b.size() >= 2) d.out.push_back(d.n);
  return d;
}

struct GemmDims {
  std::int64_t m = 0, k = 0, n = 0;
};

GemmDims gemm_dims(const Checker& c) {
  const auto& op = c.op();
  const auto& a = op.inputs[0].shape;
  const auto& b = op.inputs[1].shape;
  if (a.size() != 2) c.invalid(fmt::format("{}: rank {} should be 2", c.in(0), a.size()));
  if (b.size() != 2) c.invalid(fmt::format("{}: rank {} should be 2", c.in(1), b.size()));
  const bool ta = op.attr_i64(AttrId::trans_a, 0) != 0;
  const bool tb = op.attr_i64(AttrId::trans_b, 0) != 0;
  GemmDims d{.m = ta ? a[1] : a[0], .k = ta ? a[0] : a[1], .n = tb ? b[0] : b[1]};
  const std::int64_t kb = tb ? b[1] : b[0];
  if (kb != d.k)
    c.invalid(fmt::format("{}: shape {} (transB={}) does not match {} {} (transA={}): K = {} and {}", c.in(1),
                          shape_string(b), tb ? 1 : 0, c.in(0), shape_string(a), ta ? 1 : 0, d.k, kb));
  return d;
}

// Which attributes each operator takes, with their types.
std::vector<AttrRule> attr_rules(TensorOpKind k) {
  if (const auto* f = extension_family(k)) return f->attr_rules(k);
  switch (k) {
    case TensorOpKind::gemm:
      return {{.id = AttrId::alpha, .i64 = false, .f64 = true, .i64_list = false},
              {.id = AttrId::beta, .i64 = false, .f64 = true, .i64_list = false},
              {.id = AttrId::trans_a, .i64 = true, .f64 = false, .i64_list = false},
              {.id = AttrId::trans_b, .i64 = true, .f64 = false, .i64_list = false}};
    case TensorOpKind::leaky_relu:
    case TensorOpKind::elu:
    case TensorOpKind::thresholded_relu:
      return {f64_attr(AttrId::alpha)};
    case TensorOpKind::selu:
      return {f64_attr(AttrId::alpha), f64_attr(AttrId::gamma)};
    case TensorOpKind::hard_sigmoid:
      return {f64_attr(AttrId::alpha), f64_attr(AttrId::beta)};
    case TensorOpKind::clip:
      return {{.id = AttrId::min, .i64 = false, .f64 = true, .i64_list = false},
              {.id = AttrId::max, .i64 = false, .f64 = true, .i64_list = false}};
    case TensorOpKind::cast:
      return {i64_attr(AttrId::to)};
    case TensorOpKind::matmul_integer:
      return {{.id = AttrId::a_zero_point, .i64 = true, .f64 = false, .i64_list = true},
              {.id = AttrId::b_zero_point, .i64 = true, .f64 = false, .i64_list = true}};
    default:
      return {};
  }
}

void check_attributes(const Checker& c) {
  const auto& op = c.op();
  if (op.attributes.size() > kMaxTensorAttributes)
    c.invalid(
        fmt::format("{} attributes exceed the maximum of {}", op.attributes.size(), kMaxTensorAttributes));
  const auto rules = attr_rules(op.kind);
  for (std::size_t i = 0; i < op.attributes.size(); ++i) {
    const auto& a = op.attributes[i];
    const auto label = fmt::format("attribute {}", attr_label(a.id));
    for (std::size_t j = 0; j < i; ++j)
      if (op.attributes[j].id == a.id) c.invalid(fmt::format("{} appears twice", label));
    const auto rule =
        std::find_if(rules.begin(), rules.end(), [&](const AttrRule& r) { return r.id == a.id; });
    if (rule == rules.end()) c.unsupported(fmt::format("{} is not supported by this operator", label));
    const auto type = a.value.index();
    const bool ok = (type == 0 && rule->i64) || (type == 1 && rule->f64) || (type == 2 && rule->i64_list);
    if (!ok) c.invalid(fmt::format("{} has the wrong type {}", label, kAttrTypeNames[type]));
    if (const auto* l = std::get_if<std::vector<std::int64_t>>(&a.value); l && l->size() > kMaxAttrListLength)
      c.invalid(fmt::format("{} has {} values, more than {}", label, l->size(), kMaxAttrListLength));
  }
  switch (op.kind) {
    case TensorOpKind::gemm:
      for (const auto id : {AttrId::trans_a, AttrId::trans_b}) {
        const auto v = op.attr_i64(id, 0);
        if (v != 0 && v != 1) c.invalid(fmt::format("attribute {} = {} should be 0 or 1", attr_label(id), v));
      }
      break;
    case TensorOpKind::clip:
      for (const auto id : {AttrId::min, AttrId::max})
        if (std::isnan(op.attr_f64(id, 0))) c.invalid(fmt::format("attribute {} is NaN", attr_label(id)));
      break;
    default:
      break;
  }
}

// Zero points of MatMulInteger: a scalar, or a list of `count` (rows of A, columns of B), given as the
// attribute `id` or as input `index` (as ONNX does; `bytes` its buffer, empty when validating).
std::vector<std::int32_t> zero_points(const Checker& c, AttrId id, DType t, std::int64_t count,
                                      std::size_t index, std::span<const std::uint8_t> bytes = {}) {
  const std::int64_t lo = t == DType::i8 ? -128 : 0;
  const std::int64_t hi = t == DType::i8 ? 127 : 255;
  const auto* v = c.op().find(id);
  std::vector<std::int64_t> values;
  const auto& ins = c.op().inputs;
  if (ins.size() > index && !ins[index].absent) {
    const auto& z = ins[index];
    if (v != nullptr)
      c.invalid(fmt::format("{} given both as {} and attribute", attr_label(id), c.in(index)));
    require_same_dtype(c, c.in(index), z.dtype, c.in(index - 2), ins[index - 2].dtype);
    if (z.shape.size() > 1 || (z.elements() != 1 && static_cast<std::int64_t>(z.elements()) != count))
      c.invalid(
          fmt::format("{}: shape {} should be a scalar or [{}]", c.in(index), shape_string(z.shape), count));
    if (bytes.empty()) return {};
    for (std::size_t i = 0; i < bytes.size(); ++i) values.push_back(load_int(bytes.data() + i, z.dtype));
  } else if (v == nullptr) {
    values.assign(1, 0);
  } else if (const auto* s = std::get_if<std::int64_t>(v)) {
    values.assign(1, *s);
  } else {
    values = std::get<std::vector<std::int64_t>>(*v);
    if (static_cast<std::int64_t>(values.size()) != count)
      c.invalid(fmt::format("attribute {} has {} values; it should be a scalar or have {}", attr_label(id),
                            values.size(), count));
  }
  std::vector<std::int32_t> out;
  out.reserve(values.size());
  for (const auto z : values) {
    if (z < lo || z > hi)
      c.invalid(fmt::format("attribute {} value {} is outside the {} range {}..{}", attr_label(id), z,
                            to_string(t), lo, hi));
    out.push_back(static_cast<std::int32_t>(z));
  }
  return out;
}

void check_operands(const Checker& c) {
  const auto& op = c.op();
  std::size_t min_in = 1, max_in = 1, min_out = 1, max_out = 1;
  if (const auto* f = extension_family(op.kind)) {
    const auto sig = f->signature(op.kind);
    min_in = sig.min_in;
    max_in = sig.max_in;
    min_out = sig.min_out;
    max_out = sig.max_out;
  }
  switch (extension_family(op.kind) != nullptr ? Family::movement : family(op.kind)) {
    case Family::binary:
      min_in = max_in = 2;
      if (variadic(op.kind)) {
        min_in = 1;
        max_in = kMaxTensorOperands;
      }
      break;
    case Family::matrix:
      min_in = 2;
      max_in = op.kind == TensorOpKind::gemm ? 3 : op.kind == TensorOpKind::matmul_integer ? 4 : 2;
      break;
    default:
      if (op.kind == TensorOpKind::clip) max_in = 3;
      break;
  }
  if (op.inputs.size() < min_in || op.inputs.size() > max_in)
    c.invalid(min_in == max_in
                  ? fmt::format("{} inputs given, {} expected", op.inputs.size(), min_in)
                  : fmt::format("{} inputs given, {} to {} expected", op.inputs.size(), min_in, max_in));
  if (op.outputs.size() < min_out || op.outputs.size() > max_out)
    c.invalid(min_out == max_out
                  ? fmt::format("{} outputs given, {} expected", op.outputs.size(), min_out)
                  : fmt::format("{} outputs given, {} to {} expected", op.outputs.size(), min_out, max_out));
  auto check = [&](const TensorOperand& o, const std::string& label, bool optional) {
    if (o.absent) {
      if (!optional) c.invalid(fmt::format("{} is required", label));
      return;
    }
    if (auto problem = format_problem(o)) c.invalid(fmt::format("{}: {}", label, *problem));
    const auto bytes = o.bytes();
    if (bytes != 0 && o.address > std::numeric_limits<std::uint64_t>::max() - (bytes - 1))
      c.invalid(fmt::format("{}: {} bytes at 0x{:x} wrap around the address space", label, bytes, o.address));
  };
  for (std::size_t i = 0; i < op.inputs.size(); ++i) check(op.inputs[i], c.in(i), i >= min_in);
  for (std::size_t i = 0; i < op.outputs.size(); ++i) check(op.outputs[i], c.out(i), i >= min_out);
}

void check_types_and_shapes(const Checker& c) {
  const auto& op = c.op();
  if (const auto* f = extension_family(op.kind)) return f->check(c);
  const auto& x = op.inputs[0];
  const auto& y = op.outputs[0];
  switch (op.kind) {
    case TensorOpKind::identity:
      require_same_dtype(c, c.out(0), y.dtype, c.in(0), x.dtype);
      require_shape(c, c.out(0), y.shape, x.shape);
      return;
    case TensorOpKind::cast:
      require_shape(c, c.out(0), y.shape, x.shape);
      if (const auto* to = op.find(AttrId::to)) {
        const auto v = std::get<std::int64_t>(*to);
        const auto t = dtype_from_onnx(v);
        if (!t) c.unsupported(fmt::format("attribute to = {} names a dtype the chip lacks", v));
        if (*t != y.dtype)
          c.invalid(fmt::format("attribute to = {} ({}) differs from {} dtype {}", v, to_string(*t), c.out(0),
                                to_string(y.dtype)));
      }
      return;
    case TensorOpKind::matmul: {
      require_dtype(c, c.in(0), x.dtype, kFloatTypes);
      require_same_dtype(c, c.in(1), op.inputs[1].dtype, c.in(0), x.dtype);
      require_same_dtype(c, c.out(0), y.dtype, c.in(0), x.dtype);
      require_shape(c, c.out(0), y.shape, matmul_dims(c, x.shape, op.inputs[1].shape).out);
      return;
    }
    case TensorOpKind::matmul_integer: {
      require_dtype(c, c.in(0), x.dtype, kInt8Types);
      require_dtype(c, c.in(1), op.inputs[1].dtype, kInt8Types);
      if (y.dtype != DType::i32)
        c.invalid(fmt::format("{}: dtype {} should be i32", c.out(0), to_string(y.dtype)));
      const auto d = matmul_dims(c, x.shape, op.inputs[1].shape);
      require_shape(c, c.out(0), y.shape, d.out);
      zero_points(c, AttrId::a_zero_point, x.dtype, d.m, 2);
      zero_points(c, AttrId::b_zero_point, op.inputs[1].dtype, d.n, 3);
      return;
    }
    case TensorOpKind::gemm: {
      require_dtype(c, c.in(0), x.dtype, kFloatTypes);
      require_same_dtype(c, c.in(1), op.inputs[1].dtype, c.in(0), x.dtype);
      require_same_dtype(c, c.out(0), y.dtype, c.in(0), x.dtype);
      const auto d = gemm_dims(c);
      const std::array<std::int64_t, 2> mn{d.m, d.n};
      if (op.inputs.size() == 3 && !op.inputs[2].absent) {
        const auto& cc = op.inputs[2];
        require_same_dtype(c, c.in(2), cc.dtype, c.in(0), x.dtype);
        const auto b = try_broadcast(cc.shape, mn);
        if (cc.shape.size() > 2 || !b || *b != std::vector<std::int64_t>(mn.begin(), mn.end()))
          c.invalid(fmt::format("{}: shape {} does not broadcast to {}", c.in(2), shape_string(cc.shape),
                                shape_string(mn)));
      }
      require_shape(c, c.out(0), y.shape, mn);
      return;
    }
    default:
      break;
  }
  if (integer_capable(op.kind))
    require_dtype(c, c.in(0), x.dtype, kNumericTypes);
  else
    require_dtype(c, c.in(0), x.dtype, kFloatTypes);
  if (family(op.kind) == Family::binary) {
    std::optional<std::vector<std::int64_t>> out = x.shape;
    for (std::size_t i = 1; i < op.inputs.size(); ++i) {
      const auto& b = op.inputs[i];
      if (b.absent) c.invalid(fmt::format("{} is required", c.in(i)));
      if (op.kind == TensorOpKind::pow) {
        // The exponent may have another numeric type.
        require_dtype(c, c.in(i), b.dtype,
                      std::array{DType::f32, DType::f16, DType::bf16, DType::i32, DType::i64});
      } else {
        require_same_dtype(c, c.in(i), b.dtype, c.in(0), x.dtype);
      }
      auto next = try_broadcast(*out, b.shape);
      if (!next)
        c.invalid(fmt::format("{}: shape {} does not broadcast with {} {}", c.in(i), shape_string(b.shape),
                              i == 1 ? c.in(0) : "the others", shape_string(*out)));
      out = std::move(next);
    }
    require_same_dtype(c, c.out(0), y.dtype, c.in(0), x.dtype);
    require_shape(c, c.out(0), y.shape, *out);
    return;
  }
  if (op.kind == TensorOpKind::clip)
    for (std::size_t i = 1; i < op.inputs.size(); ++i) {
      const auto& b = op.inputs[i];
      if (b.absent) continue;
      require_same_dtype(c, c.in(i), b.dtype, c.in(0), x.dtype);
      if (b.elements() != 1 || b.shape.size() > 1)
        c.invalid(fmt::format("{}: shape {} should be a scalar", c.in(i), shape_string(b.shape)));
      if (op.find(i == 1 ? AttrId::min : AttrId::max) != nullptr)
        c.invalid(fmt::format("{} given both as {} and attribute", i == 1 ? "min" : "max", c.in(i)));
    }
  require_same_dtype(c, c.out(0), y.dtype, c.in(0), x.dtype);
  require_shape(c, c.out(0), y.shape, x.shape);
}

// Integer element-wise arithmetic: exact in int64, wrapped to the output dtype (two's complement).
// Division truncates toward zero; division by zero gives 0. Pow of an integer base goes through double
// and truncates.
std::int64_t int_binary(TensorOpKind k, std::int64_t a, std::int64_t b, double fb) noexcept {
  const auto ua = static_cast<std::uint64_t>(a), ub = static_cast<std::uint64_t>(b);
  switch (k) {
    case TensorOpKind::add:
    case TensorOpKind::sum:
      return static_cast<std::int64_t>(ua + ub);
    case TensorOpKind::sub:
      return static_cast<std::int64_t>(ua - ub);
    case TensorOpKind::mul:
      return static_cast<std::int64_t>(ua * ub);
    case TensorOpKind::div:
      if (b == 0) return 0;
      if (b == -1) return static_cast<std::int64_t>(0 - ua);
      return a / b;
    case TensorOpKind::max:
      return std::max(a, b);
    case TensorOpKind::min:
      return std::min(a, b);
    default: {  // pow
      const double p = std::pow(static_cast<double>(a), fb);
      if (!(p > -0x1p63 && p < 0x1p63)) return 0;
      return static_cast<std::int64_t>(p);
    }
  }
}

void run_integer(const TensorOp& op, InputBytes ins, std::vector<std::uint8_t>& out, ResultTap* tap) {
  const auto& y = op.outputs[0];
  const auto size = dtype_size(y.dtype);
  std::vector<std::int64_t> acc(product(y.shape));
  const auto a = load_ints(op.inputs[0], ins[0]);
  for_each_broadcast(
      y.shape, op.inputs[0].shape, y.shape,
      [&](std::uint64_t i, std::int64_t ia, std::int64_t) { acc[i] = a[static_cast<std::size_t>(ia)]; });
  // Reads the value of the result type: wraps an intermediate to the output dtype.
  auto wrap = [&](std::int64_t v) {
    std::array<std::uint8_t, 8> b{};
    store_int(b.data(), y.dtype, v);
    return load_int(b.data(), y.dtype);
  };
  if (family(op.kind) == Family::binary) {
    for (std::size_t k = 1; k < op.inputs.size(); ++k) {
      const auto& o = op.inputs[k];
      const auto b = is_float(o.dtype) ? std::vector<std::int64_t>(o.elements()) : load_ints(o, ins[k]);
      const auto fb = is_float(o.dtype) ? load_floats(o, ins[k]) : std::vector<float>{};
      for_each_broadcast(y.shape, y.shape, o.shape, [&](std::uint64_t i, std::int64_t, std::int64_t ib) {
        const auto j = static_cast<std::size_t>(ib);
        acc[i] = wrap(int_binary(op.kind, acc[i], b[j], fb.empty() ? static_cast<double>(b[j]) : fb[j]));
      });
    }
  } else {
    std::int64_t lo = std::numeric_limits<std::int64_t>::min(), hi = std::numeric_limits<std::int64_t>::max();
    for (std::size_t k = 1; k < op.inputs.size() && k < 3; ++k)
      if (!op.inputs[k].absent) (k == 1 ? lo : hi) = load_int(ins[k].data(), op.inputs[k].dtype);
    if (const auto* v = op.find(AttrId::min)) lo = static_cast<std::int64_t>(std::ceil(std::get<double>(*v)));
    if (const auto* v = op.find(AttrId::max))
      hi = static_cast<std::int64_t>(std::floor(std::get<double>(*v)));
    for (auto& v : acc) {
      if (op.kind == TensorOpKind::neg)
        v = wrap(static_cast<std::int64_t>(0 - static_cast<std::uint64_t>(v)));
      if (op.kind == TensorOpKind::abs && v < 0)
        v = wrap(static_cast<std::int64_t>(0 - static_cast<std::uint64_t>(v)));
      if (op.kind == TensorOpKind::clip) v = std::min(std::max(v, lo), hi);
    }
  }
  // The lane result is the low 32 bits of each result (an i64 keeps its high half).
  for (std::size_t i = 0; i < acc.size(); ++i) {
    auto u = static_cast<std::uint64_t>(acc[i]);
    if (tap != nullptr) u = (u & 0xFFFF'FFFF'0000'0000ull) | tap->apply(i, static_cast<std::uint32_t>(u));
    store_int(out.data() + i * size, y.dtype, static_cast<std::int64_t>(u));
  }
}

float sigmoid(float x) noexcept {
  if (x >= 0) {
    const float e = std::exp(-x);
    const float d = 1.0f + e;
    return 1.0f / d;
  }
  const float e = std::exp(x);
  const float d = 1.0f + e;
  return e / d;
}

void run_unary(const TensorOp& op, InputBytes ins, Emitter& e) {
  const auto x = load_floats(op.inputs[0], ins[0]);
  double alpha_default = 0.01;
  if (op.kind == TensorOpKind::elu || op.kind == TensorOpKind::thresholded_relu) alpha_default = 1.0;
  if (op.kind == TensorOpKind::selu) alpha_default = 1.67326319217681884765625;
  if (op.kind == TensorOpKind::hard_sigmoid) alpha_default = 0.2;
  const auto alpha = static_cast<float>(op.attr_f64(AttrId::alpha, alpha_default));
  const auto beta = static_cast<float>(op.attr_f64(AttrId::beta, 0.5));
  const auto gamma = static_cast<float>(op.attr_f64(AttrId::gamma, 1.05070102214813232421875));
  auto lo = static_cast<float>(op.attr_f64(AttrId::min, -std::numeric_limits<double>::infinity()));
  auto hi = static_cast<float>(op.attr_f64(AttrId::max, std::numeric_limits<double>::infinity()));
  // Clip's bounds as inputs (opset 11 and later); a NaN bound is ignored.
  for (std::size_t i = 1; i < op.inputs.size() && i < 3; ++i) {
    if (op.inputs[i].absent) continue;
    const float v = load_float(ins[i].data(), op.inputs[i].dtype);
    if (std::isnan(v)) continue;
    (i == 1 ? lo : hi) = v;
  }
  auto each = [&](auto f) {
    for (std::size_t i = 0; i < x.size(); ++i) e.f32(i, f(x[i]));
  };
  switch (op.kind) {
    case TensorOpKind::relu:
      return each([](float v) { return v < 0 ? 0.0f : v; });
    case TensorOpKind::sigmoid:
      return each([](float v) { return sigmoid(v); });
    case TensorOpKind::tanh:
      return each([](float v) { return std::tanh(v); });
    case TensorOpKind::exp:
      return each([](float v) { return std::exp(v); });
    case TensorOpKind::log:
      return each([](float v) { return std::log(v); });
    case TensorOpKind::neg:
      return each([](float v) { return -v; });
    case TensorOpKind::abs:
      return each([](float v) { return std::fabs(v); });
    case TensorOpKind::sqrt:
      return each([](float v) { return std::sqrt(v); });
    case TensorOpKind::erf:
      return each([](float v) { return std::erf(v); });
    case TensorOpKind::reciprocal:
      return each([](float v) { return 1.0f / v; });
    case TensorOpKind::floor:
      return each([](float v) { return std::floor(v); });
    case TensorOpKind::ceil:
      return each([](float v) { return std::ceil(v); });
    case TensorOpKind::round:
      return each([](float v) { return std::nearbyint(v); });  // the default rounding mode: half to even
    case TensorOpKind::sign:
      return each([](float v) { return v > 0 ? 1.0f : v < 0 ? -1.0f : v == 0 ? 0.0f : v; });
    case TensorOpKind::elu:
      return each([alpha](float v) {
        if (v >= 0 || std::isnan(v)) return v;
        const float em1 = std::exp(v) - 1.0f;
        const float r = alpha * em1;
        return r;
      });
    case TensorOpKind::selu:
      return each([alpha, gamma](float v) {
        if (v > 0 || std::isnan(v)) {
          const float r = gamma * v;
          return r;
        }
        const float ae = alpha * std::exp(v);
        const float d = ae - alpha;
        const float r = gamma * d;
        return r;
      });
    case TensorOpKind::hard_sigmoid:
      return each([alpha, beta](float v) {
        const float ax = alpha * v;
        const float t = ax + beta;
        return std::isnan(t) ? t : std::min(1.0f, std::max(0.0f, t));
      });
    case TensorOpKind::softplus:
      return each([](float v) { return std::log1p(std::exp(v)); });
    case TensorOpKind::softsign:
      return each([](float v) {
        const float d = 1.0f + std::fabs(v);
        return v / d;
      });
    case TensorOpKind::thresholded_relu:
      return each([alpha](float v) { return v > alpha || std::isnan(v) ? v : 0.0f; });
    case TensorOpKind::hard_swish:
      return each([](float v) {
        const float sixth = v / 6.0f;
        const float t = sixth + 0.5f;
        const float h = std::isnan(t) ? t : std::min(1.0f, std::max(0.0f, t));
        const float r = v * h;
        return r;
      });
    case TensorOpKind::sin:
      return each([](float v) { return std::sin(v); });
    case TensorOpKind::cos:
      return each([](float v) { return std::cos(v); });
    case TensorOpKind::leaky_relu:
      return each([alpha](float v) {
        if (v < 0) {
          const float r = alpha * v;
          return r;
        }
        return v;
      });
    case TensorOpKind::clip:
      return each([lo, hi](float v) {
        if (v < lo) v = lo;
        if (v > hi) v = hi;
        return v;
      });
    default:
      throw InternalError(ErrorCode::internal,
                          fmt::format("{} is not a unary operator", kind_label(op.kind)));
  }
}

// Inputs as FP32; Pow's integer exponent converts (nearest-even).
std::vector<float> load_operand_floats(const TensorOperand& o, std::span<const std::uint8_t> bytes) {
  if (is_float(o.dtype)) return load_floats(o, bytes);
  const auto ints = load_ints(o, bytes);
  std::vector<float> v(ints.size());
  for (std::size_t i = 0; i < ints.size(); ++i) v[i] = static_cast<float>(ints[i]);
  return v;
}

void run_binary(const TensorOp& op, InputBytes ins, Emitter& e) {
  const auto& out = op.outputs[0].shape;
  // Folds the inputs left to right, one FP32 operation per element and input: acc = f(acc, input i).
  auto each = [&](auto f) {
    // Operands of the output's own shape need no broadcast: a plain loop (the common case).
    const auto same = [&](const TensorOperand& o) { return o.shape == out; };
    std::vector<float> acc;
    if (same(op.inputs[0])) {
      acc = load_operand_floats(op.inputs[0], ins[0]);
    } else {
      acc.resize(product(out));
      const auto a = load_operand_floats(op.inputs[0], ins[0]);
      for_each_broadcast(out, op.inputs[0].shape, out, [&](std::uint64_t i, std::int64_t ia, std::int64_t) {
        acc[i] = a[static_cast<std::size_t>(ia)];
      });
    }
    for (std::size_t k = 1; k < op.inputs.size(); ++k) {
      const auto b = load_operand_floats(op.inputs[k], ins[k]);
      if (same(op.inputs[k])) {
        for (std::size_t i = 0; i < acc.size(); ++i) acc[i] = f(acc[i], b[i]);
        continue;
      }
      for_each_broadcast(out, out, op.inputs[k].shape, [&](std::uint64_t i, std::int64_t, std::int64_t ib) {
        acc[i] = f(acc[i], b[static_cast<std::size_t>(ib)]);
      });
    }
    if (op.kind == TensorOpKind::mean) {
      const auto n = static_cast<float>(op.inputs.size());
      for (auto& v : acc) v = v / n;
    }
    for (std::size_t i = 0; i < acc.size(); ++i) e.f32(i, acc[i]);
  };
  switch (op.kind) {
    case TensorOpKind::add:
    case TensorOpKind::sum:
    case TensorOpKind::mean:
      return each([](float p, float q) { return p + q; });
    case TensorOpKind::sub:
      return each([](float p, float q) { return p - q; });
    case TensorOpKind::mul:
      return each([](float p, float q) { return p * q; });
    case TensorOpKind::div:
      return each([](float p, float q) { return p / q; });
    case TensorOpKind::max:
      return each(fmax_nan);
    case TensorOpKind::min:
      return each(fmin_nan);
    case TensorOpKind::pow:
      return each([](float p, float q) { return std::pow(p, q); });
    case TensorOpKind::prelu:
      return each([](float p, float q) {
        if (p >= 0 || std::isnan(p)) return p;
        const float r = q * p;
        return r;
      });
    default:
      throw InternalError(ErrorCode::internal,
                          fmt::format("{} is not a binary operator", kind_label(op.kind)));
  }
}

// acc[j] += x·b[j] for one row: one FP32 product and one FP32 addition per element. Every output
// element of a matrix product is accumulated over k in index order by calls for k = 0..K-1; the loop
// over j vectorises without changing any element's order of operations.
void axpy_row(float* acc, float x, const float* b, std::size_t n) noexcept {
  for (std::size_t j = 0; j < n; ++j) {
    const float p = x * b[j];  // a separate statement (and -ffp-contract=off): never a fused multiply-add
    acc[j] = acc[j] + p;
  }
}
void run_matmul(const Checker& c, std::span<const std::uint8_t> in_a, std::span<const std::uint8_t> in_b,
                Emitter& e) {
  const auto& op = c.op();
  const auto d = matmul_dims(c, op.inputs[0].shape, op.inputs[1].shape);
  const auto a = load_floats(op.inputs[0], in_a);
  const auto b = load_floats(op.inputs[1], in_b);
  const auto m = static_cast<std::size_t>(d.m), k = static_cast<std::size_t>(d.k),
             n = static_cast<std::size_t>(d.n);
  std::vector<float> row(n);
  for_each_broadcast(d.batch, d.a_batch, d.b_batch,
                     [&](std::uint64_t batch, std::int64_t ia, std::int64_t ib) {
                       const float* pa = a.data() + static_cast<std::size_t>(ia) * m * k;
                       const float* pb = b.data() + static_cast<std::size_t>(ib) * k * n;
                       const std::uint64_t base = batch * m * n;
                       for (std::size_t i = 0; i < m; ++i) {
                         std::fill(row.begin(), row.end(), 0.0f);
                         for (std::size_t kk = 0; kk < k; ++kk)
                           axpy_row(row.data(), pa[i * k + kk], pb + kk * n, n);
                         for (std::size_t j = 0; j < n; ++j) e.f32(base + i * n + j, row[j]);
                       }
                     });
}

void run_gemm(const Checker& c, std::span<const std::span<const std::uint8_t>> in, Emitter& e) {
  const auto& op = c.op();
  const auto d = gemm_dims(c);
  const bool ta = op.attr_i64(AttrId::trans_a, 0) != 0;
  const bool tb = op.attr_i64(AttrId::trans_b, 0) != 0;
  const auto alpha = static_cast<float>(op.attr_f64(AttrId::alpha, 1.0));
  const auto beta = static_cast<float>(op.attr_f64(AttrId::beta, 1.0));
  const auto m = static_cast<std::size_t>(d.m), k = static_cast<std::size_t>(d.k),
             n = static_cast<std::size_t>(d.n);
  const auto a_raw = load_floats(op.inputs[0], in[0]);
  const auto b_raw = load_floats(op.inputs[1], in[1]);
  // A' and B' (the operands after the transposes), row-major.
  std::vector<float> a(m * k), bp(k * n);
  for (std::size_t i = 0; i < m; ++i)
    for (std::size_t kk = 0; kk < k; ++kk) a[i * k + kk] = ta ? a_raw[kk * m + i] : a_raw[i * k + kk];
  for (std::size_t kk = 0; kk < k; ++kk)
    for (std::size_t j = 0; j < n; ++j) bp[kk * n + j] = tb ? b_raw[j * k + kk] : b_raw[kk * n + j];
  const bool has_c = op.inputs.size() == 3 && !op.inputs[2].absent;
  std::vector<float> cv;
  std::size_t c_rows = 1, c_cols = 1;
  if (has_c) {
    cv = load_floats(op.inputs[2], in[2]);
    const auto& s = op.inputs[2].shape;
    if (s.size() >= 1) c_cols = static_cast<std::size_t>(s.back());
    if (s.size() == 2) c_rows = static_cast<std::size_t>(s[0]);
  }
  std::vector<float> row(n);
  for (std::size_t i = 0; i < m; ++i) {
    std::fill(row.begin(), row.end(), 0.0f);
    for (std::size_t kk = 0; kk < k; ++kk) axpy_row(row.data(), a[i * k + kk], bp.data() + kk * n, n);
    for (std::size_t j = 0; j < n; ++j) {
      float y = alpha * row[j];
      if (has_c) {
        const float cval = cv[(c_rows == 1 ? 0 : i) * c_cols + (c_cols == 1 ? 0 : j)];
        const float scaled = beta * cval;
        y = y + scaled;
      }
      e.f32(i * n + j, y);
    }
  }
}

void run_matmul_integer(const Checker& c, std::span<const std::uint8_t> in_a,
                        std::span<const std::uint8_t> in_b, std::span<const std::uint8_t> in_za,
                        std::span<const std::uint8_t> in_zb, Emitter& e) {
  const auto& op = c.op();
  const auto& oa = op.inputs[0];
  const auto& ob = op.inputs[1];
  const auto d = matmul_dims(c, oa.shape, ob.shape);
  const auto za = zero_points(c, AttrId::a_zero_point, oa.dtype, d.m, 2, in_za);
  const auto zb = zero_points(c, AttrId::b_zero_point, ob.dtype, d.n, 3, in_zb);
  const auto m = static_cast<std::size_t>(d.m), k = static_cast<std::size_t>(d.k),
             n = static_cast<std::size_t>(d.n);
  // A with its zero points subtracted (row-major), B likewise but transposed per batch.
  std::vector<std::int32_t> a(oa.elements());
  for (std::size_t i = 0; i < a.size(); ++i) {
    const std::size_t row = k == 0 ? 0 : (i / k) % m;
    a[i] = static_cast<std::int32_t>(load_int(in_a.data() + i, oa.dtype)) - za[za.size() == 1 ? 0 : row];
  }
  std::vector<std::int32_t> bz(k * n);
  std::vector<std::uint32_t> row(n);
  for_each_broadcast(
      d.batch, d.a_batch, d.b_batch, [&](std::uint64_t batch, std::int64_t ia, std::int64_t ib) {
        const std::int32_t* pa = a.data() + static_cast<std::size_t>(ia) * m * k;
        const std::uint8_t* pb = in_b.data() + static_cast<std::size_t>(ib) * k * n;
        for (std::size_t kk = 0; kk < k; ++kk)
          for (std::size_t j = 0; j < n; ++j)
            bz[kk * n + j] =
                static_cast<std::int32_t>(load_int(pb + kk * n + j, ob.dtype)) - zb[zb.size() == 1 ? 0 : j];
        const std::uint64_t base = batch * m * n;
        for (std::size_t i = 0; i < m; ++i) {
          std::fill(row.begin(), row.end(), 0u);  // int32 with two's complement wrap
          for (std::size_t kk = 0; kk < k; ++kk) {
            const auto x = static_cast<std::uint32_t>(pa[i * k + kk]);
            const std::int32_t* brow = bz.data() + kk * n;
            for (std::size_t j = 0; j < n; ++j) row[j] += x * static_cast<std::uint32_t>(brow[j]);
          }
          for (std::size_t j = 0; j < n; ++j) e.i32(base + i * n + j, row[j]);
        }
      });
}

}  // namespace

namespace detail {

std::optional<DType> dtype_from_onnx(std::int64_t v) noexcept {
  // ONNX TensorProto.DataType numbers of the dtypes the chip has.
  static constexpr std::array<std::pair<std::int64_t, DType>, 8> kOnnxTypes{{{1, DType::f32},
                                                                             {2, DType::u8},
                                                                             {3, DType::i8},
                                                                             {6, DType::i32},
                                                                             {7, DType::i64},
                                                                             {9, DType::boolean},
                                                                             {10, DType::f16},
                                                                             {16, DType::bf16}}};
  for (const auto& [n, t] : kOnnxTypes)
    if (n == v) return t;
  return std::nullopt;
}

void run_cast(const TensorOp& op, std::span<const std::uint8_t> in, std::vector<std::uint8_t>& out) {
  const DType from = op.inputs[0].dtype;
  const DType to = op.outputs[0].dtype;
  const std::size_t n = op.inputs[0].elements();
  const std::size_t in_size = dtype_size(from), out_size = dtype_size(to);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t* p = in.data() + i * in_size;
    std::uint8_t* q = out.data() + i * out_size;
    if (is_float(to)) {
      store_float(q, to, is_float(from) ? load_float(p, from) : static_cast<float>(load_int(p, from)));
    } else if (!is_float(from)) {
      store_int(q, to, load_int(p, from));  // wraps (store_int keeps the low bytes)
    } else if (to == DType::boolean) {
      store_int(q, to, load_float(p, from) != 0.0f ? 1 : 0);  // NaN != 0
    } else {
      const float f = load_float(p, from);
      std::int64_t v = 0;
      if (!std::isnan(f)) {
        double lo = -0x1p63, hi = 0x1p63;  // hi is exclusive
        if (to == DType::i8) lo = -128, hi = 128;
        if (to == DType::u8) lo = 0, hi = 256;
        if (to == DType::i32) lo = -0x1p31, hi = 0x1p31;
        const double t = std::trunc(static_cast<double>(f));
        v = t < lo    ? static_cast<std::int64_t>(lo)
            : t >= hi ? (hi == 0x1p63 ? std::numeric_limits<std::int64_t>::max()
                                      : static_cast<std::int64_t>(hi) - 1)
                      : static_cast<std::int64_t>(t);
      }
      store_int(q, to, v);
    }
  }
}

}  // namespace detail

// ---- DType ----

std::string_view to_string(DType t) noexcept {
  const auto i = static_cast<std::size_t>(t);
  return i < kDTypes.size() ? kDTypes[i].name : "unknown";
}

DType dtype_from_string(std::string_view name) {
  for (std::size_t i = 0; i < kDTypes.size(); ++i)
    if (kDTypes[i].name == name || kDTypes[i].onnx_name == name) return static_cast<DType>(i);
  throw NotFoundError(ErrorCode::not_found,
                      fmt::format("unknown dtype \"{}\" (known: {})", name,
                                  join_by(kDTypes, [](const DTypeInfo& d) { return d.name; })));
}

bool is_known_dtype(std::uint8_t value) noexcept {
  return value < kDTypeCount;
}

std::size_t dtype_size(DType t) noexcept {
  const auto i = static_cast<std::size_t>(t);
  return i < kDTypes.size() ? kDTypes[i].size : 0;
}

bool is_float(DType t) noexcept {
  return t == DType::f32 || t == DType::f16 || t == DType::bf16;
}

bool is_integer(DType t) noexcept {
  return t == DType::i8 || t == DType::u8 || t == DType::i32 || t == DType::i64;
}

// ---- Kinds and attributes ----

std::string_view to_string(TensorOpKind kind) noexcept {
  for (const auto& k : kKinds)
    if (k.kind == kind) return k.name;
  return "unknown";
}

TensorOpKind kind_from_string(std::string_view name) {
  for (const auto& k : kKinds)
    if (k.name == name) return k.kind;
  throw NotFoundError(ErrorCode::not_found,
                      fmt::format("unknown tensor operator \"{}\" (known: {})", name,
                                  join_by(kKinds, [](const KindInfo& k) { return k.name; })));
}

bool is_known_kind(std::uint16_t value) noexcept {
  return std::any_of(kKinds.begin(), kKinds.end(),
                     [value](const KindInfo& k) { return static_cast<std::uint16_t>(k.kind) == value; });
}

std::span<const TensorOpKind> known_kinds() noexcept {
  return kKindList;
}

bool has_lane_results(TensorOpKind kind) noexcept {
  if (!is_known_kind(static_cast<std::uint16_t>(kind))) return false;
  if (const auto* f = extension_family(kind)) return f->lanes(kind);
  return family(kind) != Family::movement;
}

std::string_view to_string(AttrId id) noexcept {
  for (const auto& a : kAttrs)
    if (a.id == id) return a.name;
  return "unknown";
}

AttrId attr_from_string(std::string_view name) {
  for (const auto& a : kAttrs)
    if (a.name == name) return a.id;
  throw NotFoundError(ErrorCode::not_found,
                      fmt::format("unknown tensor attribute \"{}\" (known: {})", name,
                                  join_by(kAttrs, [](const AttrInfo& a) { return a.name; })));
}

std::int64_t string_attribute_value(AttrId id, std::string_view value) {
  static constexpr std::array<std::string_view, 4> kAutoPad{"NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"};
  // One numbering for every operator's "mode": Pad takes 0..2, DepthToSpace 3..4.
  static constexpr std::array<std::string_view, 5> kPadMode{"constant", "reflect", "edge", "DCR", "CRD"};
  static constexpr std::array<std::string_view, 5> kReduction{"none", "add", "mul", "max", "min"};
  std::span<const std::string_view> values;
  if (id == AttrId::auto_pad) values = kAutoPad;
  if (id == AttrId::mode) values = kPadMode;
  if (id == AttrId::reduction) values = kReduction;
  if (values.empty())
    throw UnsupportedError(
        ErrorCode::unsupported,
        fmt::format("attribute {} takes no string value (given \"{}\")", attr_label(id), value));
  for (std::size_t i = 0; i < values.size(); ++i)
    if (values[i] == value) return static_cast<std::int64_t>(i);
  throw UnsupportedError(
      ErrorCode::unsupported,
      fmt::format("attribute {}: value \"{}\" is not supported (supported: {})", attr_label(id), value,
                  join_by(values, [](std::string_view v) { return v; })));
}

// ---- Operands and ops ----

std::uint64_t TensorOperand::elements() const noexcept {
  return absent ? 0 : product(shape);
}

std::uint64_t TensorOperand::bytes() const noexcept {
  return elements() * dtype_size(dtype);
}

std::string TensorOperand::describe() const {
  if (absent) return "absent";
  return fmt::format("{}{}@0x{:x}", to_string(dtype), shape_string(shape), address);
}

const AttrValue* TensorOp::find(AttrId id) const noexcept {
  for (const auto& a : attributes)
    if (a.id == id) return &a.value;
  return nullptr;
}

void TensorOp::set(AttrId id, AttrValue value) {
  for (auto& a : attributes)
    if (a.id == id) {
      a.value = std::move(value);
      return;
    }
  attributes.push_back(Attribute{.id = id, .value = std::move(value)});
}

std::int64_t TensorOp::attr_i64(AttrId id, std::int64_t fallback) const {
  const auto* v = find(id);
  if (v == nullptr) return fallback;
  if (const auto* i = std::get_if<std::int64_t>(v)) return *i;
  throw InvalidArgumentError(ErrorCode::invalid_argument,
                             fmt::format("{}: attribute {} is {}, not i64", kind_label(kind), attr_label(id),
                                         kAttrTypeNames[v->index()]));
}

double TensorOp::attr_f64(AttrId id, double fallback) const {
  const auto* v = find(id);
  if (v == nullptr) return fallback;
  if (const auto* d = std::get_if<double>(v)) return *d;
  throw InvalidArgumentError(ErrorCode::invalid_argument,
                             fmt::format("{}: attribute {} is {}, not f64", kind_label(kind), attr_label(id),
                                         kAttrTypeNames[v->index()]));
}

std::string TensorOp::describe() const {
  std::string s = kind_label(kind);
  s += '(';
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (i != 0) s += ", ";
    s += inputs[i].describe();
  }
  s += ") -> ";
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    if (i != 0) s += ", ";
    s += outputs[i].describe();
  }
  for (const auto& a : attributes) s += fmt::format(" {}={}", attr_label(a.id), value_string(a.value));
  return s;
}

// ---- Codec ----

std::vector<std::uint8_t> encode_tensor_op(const TensorOp& op) {
  auto limit = [](std::size_t n, std::size_t max, std::string_view what) {
    if (n > max)
      throw InvalidArgumentError(
          ErrorCode::invalid_argument,
          fmt::format("cannot encode tensor op: {} {} exceed the maximum of {}", n, what, max));
  };
  limit(op.inputs.size(), kMaxTensorOperands, "inputs");
  limit(op.outputs.size(), kMaxTensorOperands, "outputs");
  limit(op.attributes.size(), kMaxTensorAttributes, "attributes");
  Writer w;
  w.put(static_cast<std::uint16_t>(op.kind), 2);
  w.put(op.inputs.size(), 1);
  for (std::size_t i = 0; i < op.inputs.size(); ++i) encode_operand(w, op.inputs[i], operand_where(true, i));
  w.put(op.outputs.size(), 1);
  for (std::size_t i = 0; i < op.outputs.size(); ++i)
    encode_operand(w, op.outputs[i], operand_where(false, i));
  w.put(op.attributes.size(), 2);
  for (std::size_t i = 0; i < op.attributes.size(); ++i) {
    const auto& a = op.attributes[i];
    for (std::size_t j = 0; j < i; ++j)
      if (op.attributes[j].id == a.id)
        throw InvalidArgumentError(
            ErrorCode::invalid_argument,
            fmt::format("cannot encode tensor op: attribute {} appears twice", attr_label(a.id)));
    w.put(static_cast<std::uint16_t>(a.id), 2);
    w.put(a.value.index(), 1);
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::int64_t>) {
            w.put(static_cast<std::uint64_t>(v), 8);
          } else if constexpr (std::is_same_v<T, double>) {
            w.put(std::bit_cast<std::uint64_t>(v), 8);
          } else {
            limit(v.size(), kMaxAttrListLength, fmt::format("values of attribute {}", attr_label(a.id)));
            w.put(v.size(), 4);
            for (const auto x : v) {
              if constexpr (std::is_same_v<T, std::vector<double>>)
                w.put(std::bit_cast<std::uint64_t>(x), 8);
              else
                w.put(static_cast<std::uint64_t>(x), 8);
            }
          }
        },
        a.value);
  }
  return std::move(w).take();
}

TensorOp decode_tensor_op(std::span<const std::uint8_t> bytes) {
  Reader r(bytes);
  TensorOp op;
  op.kind = static_cast<TensorOpKind>(r.get(2, "", "kind"));
  for (const bool input : {true, false}) {
    const auto count = r.get(1, "", input ? "input count" : "output count");
    if (count > kMaxTensorOperands)
      Reader::fail("", input ? "input count" : "output count",
                   fmt::format("{} exceeds the maximum of {}", count, kMaxTensorOperands));
    auto& list = input ? op.inputs : op.outputs;
    list.reserve(count);
    for (std::size_t i = 0; i < count; ++i) list.push_back(decode_operand(r, operand_where(input, i)));
  }
  const auto count = r.get(2, "", "attribute count");
  if (count > kMaxTensorAttributes)
    Reader::fail("", "attribute count",
                 fmt::format("{} exceeds the maximum of {}", count, kMaxTensorAttributes));
  op.attributes.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const auto where = fmt::format("attribute {}", i);
    const auto id = static_cast<AttrId>(r.get(2, where, "id"));
    if (op.find(id) != nullptr) Reader::fail(where, "id", fmt::format("{} appears twice", attr_label(id)));
    const auto type = r.get(1, where, "type");
    AttrValue value;
    switch (type) {
      case 0:
        value = static_cast<std::int64_t>(r.get(8, where, "value"));
        break;
      case 1:
        value = std::bit_cast<double>(r.get(8, where, "value"));
        break;
      case 2:
      case 3: {
        const auto n = r.get(4, where, "count");
        if (n > kMaxAttrListLength)
          Reader::fail(where, "count", fmt::format("{} exceeds the maximum of {}", n, kMaxAttrListLength));
        if (r.remaining() < n * 8)
          Reader::fail(where, "values",
                       fmt::format("truncated at offset {}: {} values need {} bytes, {} left", r.offset(), n,
                                   n * 8, r.remaining()));
        if (type == 2) {
          std::vector<std::int64_t> v(n);
          for (auto& x : v) x = static_cast<std::int64_t>(r.get(8, where, "value"));
          value = std::move(v);
        } else {
          std::vector<double> v(n);
          for (auto& x : v) x = std::bit_cast<double>(r.get(8, where, "value"));
          value = std::move(v);
        }
        break;
      }
      default:
        Reader::fail(where, "type", fmt::format("unknown type {}", type));
    }
    op.attributes.push_back(Attribute{.id = id, .value = std::move(value)});
  }
  if (r.remaining() != 0)
    Reader::fail("", "end", fmt::format("{} unexpected bytes after offset {}", r.remaining(), r.offset()));
  return op;
}

// ---- Checks ----

void validate(const TensorOp& op) {
  const Checker c(op);
  if (!is_known_kind(static_cast<std::uint16_t>(op.kind))) c.unsupported("unknown operator");
  check_operands(c);
  check_attributes(c);
  check_types_and_shapes(c);
}

std::vector<std::int64_t> broadcast_shapes(std::span<const std::int64_t> a, std::span<const std::int64_t> b) {
  auto out = try_broadcast(a, b);
  if (!out)
    throw InvalidArgumentError(ErrorCode::invalid_argument, fmt::format("shapes {} and {} do not broadcast",
                                                                        shape_string(a), shape_string(b)));
  return std::move(*out);
}

std::uint64_t mac_count(const TensorOp& op) noexcept {
  if (!is_known_kind(static_cast<std::uint16_t>(op.kind)) || op.outputs.empty() || op.inputs.empty())
    return 0;
  if (const auto* f = extension_family(op.kind)) return f->macs(op);
  const std::uint64_t elements = op.outputs[0].elements();
  const auto& a = op.inputs[0].shape;
  std::uint64_t k = 1;
  switch (family(op.kind)) {
    case Family::movement:
      return 0;
    case Family::matrix:
      if (a.empty()) return 0;
      if (const auto* t = op.find(AttrId::trans_a);
          op.kind == TensorOpKind::gemm && a.size() == 2 && t != nullptr && *t == AttrValue{std::int64_t{1}})
        k = static_cast<std::uint64_t>(a[0]);
      else
        k = static_cast<std::uint64_t>(a.back());
      break;
    default:
      break;
  }
  if (k != 0 && elements > std::numeric_limits<std::uint64_t>::max() / k)
    return std::numeric_limits<std::uint64_t>::max();
  return elements * k;
}

// ---- Reference execution ----

std::vector<std::vector<std::uint8_t>> reference_execute(
    const TensorOp& op, std::span<const std::span<const std::uint8_t>> inputs, ResultTap* tap) {
  validate(op);
  const Checker c(op);
  if (inputs.size() != op.inputs.size())
    c.invalid(fmt::format("{} input buffers for {} inputs", inputs.size(), op.inputs.size()));
  for (std::size_t i = 0; i < inputs.size(); ++i)
    if (inputs[i].size() != op.inputs[i].bytes())
      c.invalid(fmt::format("{}: buffer of {} bytes for {} ({} bytes)", c.in(i), inputs[i].size(),
                            op.inputs[i].describe(), op.inputs[i].bytes()));
  std::vector<std::vector<std::uint8_t>> outputs;
  outputs.reserve(op.outputs.size());
  for (const auto& o : op.outputs) outputs.emplace_back(o.bytes());
  if (const auto* f = extension_family(op.kind)) {
    f->run(c, inputs, outputs, tap);
    return outputs;
  }
  Emitter e(op.outputs[0], outputs[0], tap);
  switch (op.kind) {
    case TensorOpKind::identity:
      std::copy(inputs[0].begin(), inputs[0].end(), outputs[0].begin());
      break;
    case TensorOpKind::cast:
      run_cast(op, inputs[0], outputs[0]);
      break;
    case TensorOpKind::matmul:
      run_matmul(c, inputs[0], inputs[1], e);
      break;
    case TensorOpKind::gemm:
      run_gemm(c, inputs, e);
      break;
    case TensorOpKind::matmul_integer:
      run_matmul_integer(c, inputs[0], inputs[1],
                         inputs.size() > 2 ? inputs[2] : std::span<const std::uint8_t>{},
                         inputs.size() > 3 ? inputs[3] : std::span<const std::uint8_t>{}, e);
      break;
    default:
      if (!is_float(op.inputs[0].dtype))
        run_integer(op, inputs, outputs[0], tap);
      else if (family(op.kind) == Family::binary)
        run_binary(op, inputs, e);
      else
        run_unary(op, inputs, e);
      break;
  }
  return outputs;
}

std::vector<std::vector<std::uint8_t>> reference_execute(const TensorOp& op,
                                                         const std::vector<std::vector<std::uint8_t>>& inputs,
                                                         ResultTap* tap) {
  std::vector<std::span<const std::uint8_t>> spans(inputs.begin(), inputs.end());
  return reference_execute(op, spans, tap);
}

}  // namespace seedval::chip

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

namespace seedval::chip {
namespace {

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
    KindInfo{TensorOpKind::add, "Add"},
    KindInfo{TensorOpKind::sub, "Sub"},
    KindInfo{TensorOpKind::mul, "Mul"},
    KindInfo{TensorOpKind::div, "Div"},
    KindInfo{TensorOpKind::max, "Max"},
    KindInfo{TensorOpKind::min, "Min"},
    KindInfo{TensorOpKind::pow, "Pow"},
    KindInfo{TensorOpKind::matmul, "MatMul"},
    KindInfo{TensorOpKind::gemm, "Gemm"},
    KindInfo{TensorOpKind::matmul_integer, "MatMulInteger"},
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
};

constexpr std::array<std::string_view, 4> kAttrTypeNames{"i64", "f64", "i64 list", "f64 list"};

enum class Family : std::uint8_t { movement = 0, unary = 1, binary = 2, matrix = 3 };
Family family(TensorOpKind k) noexcept {
  return static_cast<Family>(static_cast<std::uint16_t>(k) >> 8);
}

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

std::uint64_t product(std::span<const std::int64_t> shape) noexcept {
  std::uint64_t n = 1;
  for (const auto d : shape) n *= static_cast<std::uint64_t>(d);
  return n;
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

// Operand names as ONNX gives them, for messages.
std::string_view operand_name(TensorOpKind k, bool input, std::size_t i) {
  switch (family(k)) {
    case Family::matrix:
      if (!input) return "Y";
      return i == 0 ? "A" : i == 1 ? "B" : i == 2 ? "C" : "?";
    case Family::binary:
      if (!input) return "C";
      return i == 0 ? "A" : i == 1 ? "B" : "?";
    default:
      return input ? (i == 0 ? "X" : "?") : "Y";
  }
}

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

constexpr std::array kFloatTypes{DType::f32, DType::f16, DType::bf16};
constexpr std::array kInt8Types{DType::i8, DType::u8};

template <std::size_t N>
void require_dtype(const Checker& c, const std::string& label, DType t, const std::array<DType, N>& allowed) {
  if (std::find(allowed.begin(), allowed.end(), t) != allowed.end()) return;
  c.unsupported(fmt::format("{}: dtype {} is not supported (supported: {})", label, to_string(t),
                            join_by(allowed, [](DType d) { return to_string(d); })));
}

void require_same_dtype(const Checker& c, const std::string& label, DType t, const std::string& ref_label,
                        DType ref) {
  if (t != ref)
    c.invalid(
        fmt::format("{}: dtype {} differs from {} dtype {}", label, to_string(t), ref_label, to_string(ref)));
}

void require_shape(const Checker& c, const std::string& label, std::span<const std::int64_t> shape,
                   std::span<const std::int64_t> expected) {
  if (!std::equal(shape.begin(), shape.end(), expected.begin(), expected.end()))
    c.invalid(fmt::format("{}: shape {} should be {}", label, shape_string(shape), shape_string(expected)));
}

std::optional<std::vector<std::int64_t>> try_broadcast(std::span<const std::int64_t> a,
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
struct AttrRule {
  AttrId id;
  bool i64 = false, f64 = false, i64_list = false;
};

std::vector<AttrRule> attr_rules(TensorOpKind k) {
  switch (k) {
    case TensorOpKind::gemm:
      return {{.id = AttrId::alpha, .i64 = false, .f64 = true, .i64_list = false},
              {.id = AttrId::beta, .i64 = false, .f64 = true, .i64_list = false},
              {.id = AttrId::trans_a, .i64 = true, .f64 = false, .i64_list = false},
              {.id = AttrId::trans_b, .i64 = true, .f64 = false, .i64_list = false}};
    case TensorOpKind::leaky_relu:
      return {{.id = AttrId::alpha, .i64 = false, .f64 = true, .i64_list = false}};
    case TensorOpKind::clip:
      return {{.id = AttrId::min, .i64 = false, .f64 = true, .i64_list = false},
              {.id = AttrId::max, .i64 = false, .f64 = true, .i64_list = false}};
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

// Zero points of MatMulInteger: a scalar, or a list of `count` (rows of A, columns of B).
std::vector<std::int32_t> zero_points(const Checker& c, AttrId id, DType t, std::int64_t count) {
  const std::int64_t lo = t == DType::i8 ? -128 : 0;
  const std::int64_t hi = t == DType::i8 ? 127 : 255;
  const auto* v = c.op().find(id);
  std::vector<std::int64_t> values;
  if (v == nullptr) {
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
  std::size_t min_in = 1, max_in = 1;
  switch (family(op.kind)) {
    case Family::binary:
      min_in = max_in = 2;
      break;
    case Family::matrix:
      min_in = 2;
      max_in = op.kind == TensorOpKind::gemm ? 3 : 2;
      break;
    default:
      break;
  }
  if (op.inputs.size() < min_in || op.inputs.size() > max_in)
    c.invalid(min_in == max_in
                  ? fmt::format("{} inputs given, {} expected", op.inputs.size(), min_in)
                  : fmt::format("{} inputs given, {} to {} expected", op.inputs.size(), min_in, max_in));
  if (op.outputs.size() != 1) c.invalid(fmt::format("{} outputs given, 1 expected", op.outputs.size()));
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
  check(op.outputs[0], c.out(0), false);
}

void check_types_and_shapes(const Checker& c) {
  const auto& op = c.op();
  const auto& x = op.inputs[0];
  const auto& y = op.outputs[0];
  switch (op.kind) {
    case TensorOpKind::identity:
      require_same_dtype(c, c.out(0), y.dtype, c.in(0), x.dtype);
      require_shape(c, c.out(0), y.shape, x.shape);
      return;
    case TensorOpKind::cast:
      require_shape(c, c.out(0), y.shape, x.shape);
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
      zero_points(c, AttrId::a_zero_point, x.dtype, d.m);
      zero_points(c, AttrId::b_zero_point, op.inputs[1].dtype, d.n);
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
  require_dtype(c, c.in(0), x.dtype, kFloatTypes);
  if (family(op.kind) == Family::binary) {
    const auto& b = op.inputs[1];
    require_same_dtype(c, c.in(1), b.dtype, c.in(0), x.dtype);
    const auto out = try_broadcast(x.shape, b.shape);
    if (!out)
      c.invalid(fmt::format("{}: shape {} does not broadcast with {} {}", c.in(1), shape_string(b.shape),
                            c.in(0), shape_string(x.shape)));
    require_same_dtype(c, c.out(0), y.dtype, c.in(0), x.dtype);
    require_shape(c, c.out(0), y.shape, *out);
    return;
  }
  require_same_dtype(c, c.out(0), y.dtype, c.in(0), x.dtype);
  require_shape(c, c.out(0), y.shape, x.shape);
}

// ---- Kernels ----

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

float load_float(const std::uint8_t* p, DType t) noexcept {
  switch (t) {
    case DType::f16:
      return fp16_to_float(load_le<std::uint16_t>(p));
    case DType::bf16:
      return bf16_to_float(load_le<std::uint16_t>(p));
    default:
      return float_from_bits(load_le<std::uint32_t>(p));
  }
}

void store_float(std::uint8_t* p, DType t, float v) noexcept {
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

std::int64_t load_int(const std::uint8_t* p, DType t) noexcept {
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

void store_int(std::uint8_t* p, DType t, std::int64_t v) noexcept {
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

std::vector<float> load_floats(const TensorOperand& o, std::span<const std::uint8_t> bytes) {
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

// IEEE 754-2019 maximum/minimum: NaN propagates, -0 < +0.
float fmax_nan(float a, float b) noexcept {
  if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<float>::quiet_NaN();
  if (a == b) return std::signbit(a) ? b : a;
  return a > b ? a : b;
}
float fmin_nan(float a, float b) noexcept {
  if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<float>::quiet_NaN();
  if (a == b) return std::signbit(a) ? a : b;
  return a < b ? a : b;
}

void run_unary(const TensorOp& op, std::span<const std::uint8_t> in, Emitter& e) {
  const auto x = load_floats(op.inputs[0], in);
  const auto alpha = static_cast<float>(op.attr_f64(AttrId::alpha, 0.01));
  const auto lo = static_cast<float>(op.attr_f64(AttrId::min, -std::numeric_limits<double>::infinity()));
  const auto hi = static_cast<float>(op.attr_f64(AttrId::max, std::numeric_limits<double>::infinity()));
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

void run_binary(const TensorOp& op, std::span<const std::uint8_t> in_a, std::span<const std::uint8_t> in_b,
                Emitter& e) {
  const auto a = load_floats(op.inputs[0], in_a);
  const auto b = load_floats(op.inputs[1], in_b);
  auto each = [&](auto f) {
    for_each_broadcast(op.outputs[0].shape, op.inputs[0].shape, op.inputs[1].shape,
                       [&](std::uint64_t i, std::int64_t ia, std::int64_t ib) {
                         e.f32(i, f(a[static_cast<std::size_t>(ia)], b[static_cast<std::size_t>(ib)]));
                       });
  };
  switch (op.kind) {
    case TensorOpKind::add:
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
    default:
      throw InternalError(ErrorCode::internal,
                          fmt::format("{} is not a binary operator", kind_label(op.kind)));
  }
}

// One FP32 dot product in index order; a and b are contiguous rows of length k.
float dot(const float* a, const float* b, std::size_t k) noexcept {
  float acc = 0.0f;
  for (std::size_t i = 0; i < k; ++i) {
    const float p = a[i] * b[i];  // a separate statement: never contracted into a fused multiply-add
    acc = acc + p;
  }
  return acc;
}

void run_matmul(const Checker& c, std::span<const std::uint8_t> in_a, std::span<const std::uint8_t> in_b,
                Emitter& e) {
  const auto& op = c.op();
  const auto d = matmul_dims(c, op.inputs[0].shape, op.inputs[1].shape);
  const auto a = load_floats(op.inputs[0], in_a);
  const auto b = load_floats(op.inputs[1], in_b);
  const auto m = static_cast<std::size_t>(d.m), k = static_cast<std::size_t>(d.k),
             n = static_cast<std::size_t>(d.n);
  std::vector<float> bt(n * k);  // one batch of B, transposed so that each column is contiguous
  for_each_broadcast(d.batch, d.a_batch, d.b_batch,
                     [&](std::uint64_t batch, std::int64_t ia, std::int64_t ib) {
                       const float* pa = a.data() + static_cast<std::size_t>(ia) * m * k;
                       const float* pb = b.data() + static_cast<std::size_t>(ib) * k * n;
                       for (std::size_t kk = 0; kk < k; ++kk)
                         for (std::size_t j = 0; j < n; ++j) bt[j * k + kk] = pb[kk * n + j];
                       const std::uint64_t base = batch * m * n;
                       for (std::size_t i = 0; i < m; ++i)
                         for (std::size_t j = 0; j < n; ++j)
                           e.f32(base + i * n + j, dot(pa + i * k, bt.data() + j * k, k));
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
  // Rows of A' and columns of B' (the operands after the transposes), each contiguous in k.
  std::vector<float> a(m * k), bt(n * k);
  for (std::size_t i = 0; i < m; ++i)
    for (std::size_t kk = 0; kk < k; ++kk) a[i * k + kk] = ta ? a_raw[kk * m + i] : a_raw[i * k + kk];
  for (std::size_t j = 0; j < n; ++j)
    for (std::size_t kk = 0; kk < k; ++kk) bt[j * k + kk] = tb ? b_raw[j * k + kk] : b_raw[kk * n + j];
  const bool has_c = op.inputs.size() == 3 && !op.inputs[2].absent;
  std::vector<float> cv;
  std::size_t c_rows = 1, c_cols = 1;
  if (has_c) {
    cv = load_floats(op.inputs[2], in[2]);
    const auto& s = op.inputs[2].shape;
    if (s.size() >= 1) c_cols = static_cast<std::size_t>(s.back());
    if (s.size() == 2) c_rows = static_cast<std::size_t>(s[0]);
  }
  for (std::size_t i = 0; i < m; ++i)
    for (std::size_t j = 0; j < n; ++j) {
      const float acc = dot(a.data() + i * k, bt.data() + j * k, k);
      float y = alpha * acc;
      if (has_c) {
        const float cval = cv[(c_rows == 1 ? 0 : i) * c_cols + (c_cols == 1 ? 0 : j)];
        const float scaled = beta * cval;
        y = y + scaled;
      }
      e.f32(i * n + j, y);
    }
}

void run_matmul_integer(const Checker& c, std::span<const std::uint8_t> in_a,
                        std::span<const std::uint8_t> in_b, Emitter& e) {
  const auto& op = c.op();
  const auto& oa = op.inputs[0];
  const auto& ob = op.inputs[1];
  const auto d = matmul_dims(c, oa.shape, ob.shape);
  const auto za = zero_points(c, AttrId::a_zero_point, oa.dtype, d.m);
  const auto zb = zero_points(c, AttrId::b_zero_point, ob.dtype, d.n);
  const auto m = static_cast<std::size_t>(d.m), k = static_cast<std::size_t>(d.k),
             n = static_cast<std::size_t>(d.n);
  // A with its zero points subtracted (row-major), B likewise but transposed per batch.
  std::vector<std::int32_t> a(oa.elements());
  for (std::size_t i = 0; i < a.size(); ++i) {
    const std::size_t row = k == 0 ? 0 : (i / k) % m;
    a[i] = static_cast<std::int32_t>(load_int(in_a.data() + i, oa.dtype)) - za[za.size() == 1 ? 0 : row];
  }
  std::vector<std::int32_t> bt(n * k);
  for_each_broadcast(
      d.batch, d.a_batch, d.b_batch, [&](std::uint64_t batch, std::int64_t ia, std::int64_t ib) {
        const std::int32_t* pa = a.data() + static_cast<std::size_t>(ia) * m * k;
        const std::uint8_t* pb = in_b.data() + static_cast<std::size_t>(ib) * k * n;
        for (std::size_t kk = 0; kk < k; ++kk)
          for (std::size_t j = 0; j < n; ++j)
            bt[j * k + kk] =
                static_cast<std::int32_t>(load_int(pb + kk * n + j, ob.dtype)) - zb[zb.size() == 1 ? 0 : j];
        const std::uint64_t base = batch * m * n;
        for (std::size_t i = 0; i < m; ++i)
          for (std::size_t j = 0; j < n; ++j) {
            std::uint32_t acc = 0;  // int32 with two's complement wrap
            for (std::size_t kk = 0; kk < k; ++kk)
              acc += static_cast<std::uint32_t>(pa[i * k + kk] * bt[j * k + kk]);
            e.i32(base + i * n + j, acc);
          }
      });
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

}  // namespace

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
  return is_known_kind(static_cast<std::uint16_t>(kind)) && family(kind) != Family::movement;
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
      run_matmul_integer(c, inputs[0], inputs[1], e);
      break;
    default:
      if (family(op.kind) == Family::binary)
        run_binary(op, inputs[0], inputs[1], e);
      else
        run_unary(op, inputs[0], e);
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

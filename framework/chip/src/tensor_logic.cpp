// Comparison and logic (0xA00): Equal, Less, LessOrEqual, Greater, GreaterOrEqual, Not, And, Or, Xor.
// Boolean outputs; each output element's lane result is the 0/1 outcome (a corrupted one stores as
// "non-zero").
#include <cmath>

#include "tensor_kernels.h"

namespace seedval::chip::detail {
namespace {

using K = TensorOpKind;

constexpr std::array kCompareTypes{DType::f32, DType::f16, DType::bf16, DType::i8,
                                   DType::u8,  DType::i32, DType::i64,  DType::boolean};
constexpr std::array kBoolTypes{DType::boolean};

bool is_compare(TensorOpKind k) noexcept {
  return k == K::equal || k == K::less || k == K::less_or_equal || k == K::greater ||
         k == K::greater_or_equal;
}

OpSignature signature(TensorOpKind k) {
  if (k == K::logical_not)
    return {.min_in = 1, .max_in = 1, .min_out = 1, .max_out = 1, .inputs = {"X"}, .outputs = {"Y"}};
  return {.min_in = 2, .max_in = 2, .min_out = 1, .max_out = 1, .inputs = {"A", "B"}, .outputs = {"C"}};
}

std::vector<AttrRule> attr_rules(TensorOpKind) {
  return {};
}

void check(const Checker& c) {
  const auto& op = c.op();
  const auto& a = op.inputs[0];
  const auto& y = op.outputs[0];
  if (is_compare(op.kind)) {
    if (op.kind == K::equal)
      require_dtype(c, c.in(0), a.dtype, kCompareTypes);
    else
      require_dtype(
          c, c.in(0), a.dtype,
          std::array{DType::f32, DType::f16, DType::bf16, DType::i8, DType::u8, DType::i32, DType::i64});
  } else {
    require_dtype(c, c.in(0), a.dtype, kBoolTypes);
  }
  if (y.dtype != DType::boolean)
    c.invalid(fmt::format("{}: dtype {} should be bool", c.out(0), to_string(y.dtype)));
  if (op.kind == K::logical_not) return require_shape(c, c.out(0), y.shape, a.shape);
  const auto& b = op.inputs[1];
  require_same_dtype(c, c.in(1), b.dtype, c.in(0), a.dtype);
  const auto out = try_broadcast(a.shape, b.shape);
  if (!out)
    c.invalid(fmt::format("{}: shape {} does not broadcast with {} {}", c.in(1), shape_string(b.shape),
                          c.in(0), shape_string(a.shape)));
  require_shape(c, c.out(0), y.shape, *out);
}

std::uint64_t macs(const TensorOp& op) noexcept {
  return op.outputs[0].elements();
}

bool lanes(TensorOpKind) noexcept {
  return true;
}

void run(const Checker& c, InputBytes in, OutputBytes& out, ResultTap* tap) {
  const auto& op = c.op();
  auto emit = [&](std::uint64_t i, bool v) {
    std::uint32_t bits = v ? 1u : 0u;
    if (tap != nullptr) bits = tap->apply(i, bits);
    out[0][i] = bits != 0 ? 1 : 0;
  };
  const auto& a = op.inputs[0];
  const std::size_t size = dtype_size(a.dtype);
  if (op.kind == K::logical_not) {
    for (std::uint64_t i = 0; i < a.elements(); ++i) emit(i, in[0][i] == 0);
    return;
  }
  const auto& b = op.inputs[1];
  const bool fp = is_float(a.dtype);
  for_each_broadcast(op.outputs[0].shape, a.shape, b.shape,
                     [&](std::uint64_t i, std::int64_t ia, std::int64_t ib) {
                       const std::uint8_t* pa = in[0].data() + static_cast<std::size_t>(ia) * size;
                       const std::uint8_t* pb = in[1].data() + static_cast<std::size_t>(ib) * size;
                       // Floats compare as FP32 (NaN compares false), integers exactly.
                       int cmp = 0;
                       bool unordered = false;
                       if (fp) {
                         const float x = load_float(pa, a.dtype), y = load_float(pb, a.dtype);
                         unordered = std::isnan(x) || std::isnan(y);
                         cmp = x < y ? -1 : x > y ? 1 : 0;
                       } else {
                         const auto x = load_int(pa, a.dtype), y = load_int(pb, a.dtype);
                         cmp = x < y ? -1 : x > y ? 1 : 0;
                       }
                       switch (op.kind) {
                         case K::equal:
                           return emit(i, !unordered && cmp == 0);
                         case K::less:
                           return emit(i, !unordered && cmp < 0);
                         case K::less_or_equal:
                           return emit(i, !unordered && cmp <= 0);
                         case K::greater:
                           return emit(i, !unordered && cmp > 0);
                         case K::greater_or_equal:
                           return emit(i, !unordered && cmp >= 0);
                         case K::logical_and:
                           return emit(i, (*pa != 0) && (*pb != 0));
                         case K::logical_or:
                           return emit(i, (*pa != 0) || (*pb != 0));
                         default:  // xor
                           return emit(i, (*pa != 0) != (*pb != 0));
                       }
                     });
}

}  // namespace

const FamilyOps kLogicFamily{.signature = signature,
                             .attr_rules = attr_rules,
                             .check = check,
                             .run = run,
                             .macs = macs,
                             .lanes = lanes};

}  // namespace seedval::chip::detail

// Tensor operations: the descriptor the protocol's tensor opcode carries, its binary codec, the checks
// that say whether the chip can run it, and the reference kernels that define what it computes.
//
// A TensorOp names an operator (ONNX op_type, e.g. "Gemm"), its input and output operands — dense
// row-major tensors already in device memory — and typed attributes. The format is general enough for
// the whole ONNX-like operator set: a new operator is a new TensorOpKind value, a new attribute a new
// AttrId value; neither changes the wire format.
//
//   chip::TensorOp op{.kind = chip::TensorOpKind::gemm,
//                     .inputs = {{.address = 0x0000, .dtype = chip::DType::bf16, .shape = {64, 128}},
//                                {.address = 0x4000, .dtype = chip::DType::bf16, .shape = {128, 32}}},
//                     .outputs = {{.address = 0x8000, .dtype = chip::DType::bf16, .shape = {64, 32}}},
//                     .attributes = {{.id = chip::AttrId::alpha, .value = 0.5}}};
//   chip::validate(op);                                     // InvalidArgumentError / UnsupportedError
//   std::vector<std::uint8_t> wire = chip::encode_tensor_op(op);
//   assert(chip::decode_tensor_op(wire) == op);             // decode throws ProtocolError
//   auto out = chip::reference_execute(op, {a_bytes, b_bytes});   // one byte vector per output
//
// Numerics (shared bit-for-bit by the chip model and the host's golden reference):
//   - Values are computed in FP32. FP16/BF16 inputs widen to FP32 exactly; each result is rounded once
//     (nearest, ties to even) to the output dtype.
//   - MatMul/Gemm: each product a·b is an FP32 multiply (exact for FP16/BF16 inputs) and is added to an
//     FP32 accumulator starting at +0 in index order k = 0..K-1, never fused. Gemm then computes
//     y = fl(fl(alpha·acc) + fl(beta·c)) with alpha and beta rounded to FP32 (y = fl(alpha·acc) without C).
//   - MatMulInteger: (a - a_zero_point)·(b - b_zero_point) summed in int32 with two's complement wrap.
//   - Element-wise: one FP32 operation per element (libm's float functions for the transcendental ones;
//     Sigmoid is 1/(1+exp(-x)) for x ≥ 0 and exp(x)/(1+exp(x)) below). Max/Min propagate NaN and order
//     -0 below +0. Relu and Clip keep NaN.
//   - Cast: to a float type via FP32 (integers convert to FP32 first, nearest-even); float to integer
//     truncates toward zero and saturates (NaN gives 0); integer to integer wraps (two's complement);
//     to boolean is "non-zero" (NaN is true); a boolean byte reads as 1 if non-zero.
// Every arithmetic output element has a 32-bit "lane result" — the FP32 bits before rounding to the
// output dtype, or the int32 accumulator — which a ResultTap may see and change (the chip model injects
// MAC-lane faults there). Identity and Cast move data and have none.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace seedval::chip {

// ---- Element types ----

/// Element types. Values cross the wire: never renumber, only append.
enum class DType : std::uint8_t { f32 = 0, f16 = 1, bf16 = 2, i8 = 3, u8 = 4, i32 = 5, i64 = 6, boolean = 7 };
inline constexpr int kDTypeCount = 8;

/// "f32", "f16", "bf16", "i8", "u8", "i32", "i64", "bool"; "unknown" outside the enum.
std::string_view to_string(DType t) noexcept;
/// Parses the short name or the ONNX name ("float", "float16", "bfloat16", "int8", "uint8", "int32",
/// "int64", "bool"). Throws NotFoundError listing the known names.
DType dtype_from_string(std::string_view name);
/// True if `value` is a DType this build knows.
bool is_known_dtype(std::uint8_t value) noexcept;
/// Bytes per element (booleans take one byte); 0 for an unknown value.
std::size_t dtype_size(DType t) noexcept;
/// f32, f16, bf16.
bool is_float(DType t) noexcept;
/// i8, u8, i32, i64 (not boolean).
bool is_integer(DType t) noexcept;

// ---- Operators ----

/// Operators, named as ONNX names them. Values cross the wire: never renumber, only append. They are
/// grouped by family with room left in each: 0x001 data movement, 0x100 element-wise unary, 0x200
/// element-wise binary, 0x300 matrix. Further families (convolution, pooling, normalisation, reduction,
/// shape, quantisation...) take the next free 0x100 blocks.
enum class TensorOpKind : std::uint16_t {
  identity = 0x001,
  cast = 0x002,

  relu = 0x100,
  sigmoid = 0x101,
  tanh = 0x102,
  exp = 0x103,
  log = 0x104,
  neg = 0x105,
  abs = 0x106,
  sqrt = 0x107,
  erf = 0x108,
  leaky_relu = 0x109,  ///< attribute alpha (default 0.01)
  clip = 0x10A,        ///< attributes min, max (defaults -inf, +inf)

  add = 0x200,
  sub = 0x201,
  mul = 0x202,
  div = 0x203,
  max = 0x204,
  min = 0x205,
  pow = 0x206,

  matmul = 0x300,          ///< numpy matmul: rank-1 operands promoted, leading dims broadcast
  gemm = 0x301,            ///< attributes alpha, beta (default 1), transA, transB (default 0)
  matmul_integer = 0x302,  ///< attributes a_zero_point, b_zero_point (scalar, or per row / per column)
};

/// The ONNX op_type ("MatMul", "LeakyRelu", ...); "unknown" for a value this build does not know.
std::string_view to_string(TensorOpKind kind) noexcept;
/// Parses an ONNX op_type (exact case). Throws NotFoundError listing the known names.
TensorOpKind kind_from_string(std::string_view name);
/// True if this build knows the operator `value` (it may still reject a dtype or an attribute).
bool is_known_kind(std::uint16_t value) noexcept;
/// Every operator this build knows, in wire-value order.
std::span<const TensorOpKind> known_kinds() noexcept;
/// True for the operators whose output elements are computed on MAC lanes and so have a lane result
/// (everything except Identity and Cast).
bool has_lane_results(TensorOpKind kind) noexcept;

// ---- Attributes ----

/// Attribute ids. Values cross the wire: never renumber, only append.
enum class AttrId : std::uint16_t {
  alpha = 1,         ///< f64: Gemm, LeakyRelu
  beta = 2,          ///< f64: Gemm
  trans_a = 3,       ///< i64 0/1: Gemm "transA"
  trans_b = 4,       ///< i64 0/1: Gemm "transB"
  min = 5,           ///< f64: Clip
  max = 6,           ///< f64: Clip
  a_zero_point = 7,  ///< i64, or i64 list of M (per row): MatMulInteger
  b_zero_point = 8,  ///< i64, or i64 list of N (per column): MatMulInteger
};

/// The ONNX attribute name ("alpha", "transA", ...); "unknown" for a value this build does not know.
std::string_view to_string(AttrId id) noexcept;
/// Parses an ONNX attribute name. Throws NotFoundError listing the known names.
AttrId attr_from_string(std::string_view name);

/// An attribute value. The variant index is the wire type: 0 i64, 1 f64, 2 i64 list, 3 f64 list.
using AttrValue = std::variant<std::int64_t, double, std::vector<std::int64_t>, std::vector<double>>;

struct Attribute {
  AttrId id = AttrId::alpha;
  AttrValue value;
  friend bool operator==(const Attribute&, const Attribute&) = default;
};

// ---- Operands and the descriptor ----

/// Format limits, enforced by encode, decode and validate.
inline constexpr std::size_t kMaxTensorRank = 8;
inline constexpr std::size_t kMaxTensorOperands = 64;  ///< inputs, and outputs, per op
inline constexpr std::size_t kMaxTensorAttributes = 64;
inline constexpr std::size_t kMaxAttrListLength = 1024;
inline constexpr std::int64_t kMaxTensorDim = std::int64_t{1} << 40;
inline constexpr std::uint64_t kMaxTensorElements = std::uint64_t{1} << 40;

/// A dense row-major tensor in device memory. An empty shape is a scalar (one element); a zero
/// dimension makes an empty tensor.
struct TensorOperand {
  std::uint64_t address = 0;  ///< device byte address of element 0
  DType dtype = DType::f32;
  std::vector<std::int64_t> shape;
  /// An optional operand left out (ONNX's empty input name); the other fields are then ignored and not
  /// encoded.
  bool absent = false;
  friend bool operator==(const TensorOperand&, const TensorOperand&) = default;

  /// Product of the dimensions (1 for a scalar), for an operand within the format limits.
  std::uint64_t elements() const noexcept;
  /// elements() × dtype_size(dtype); 0 for an absent operand.
  std::uint64_t bytes() const noexcept;
  /// "bf16[64,128]@0x4000", or "absent".
  std::string describe() const;
};

struct TensorOp {
  TensorOpKind kind = TensorOpKind::identity;
  std::vector<TensorOperand> inputs;
  std::vector<TensorOperand> outputs;
  std::vector<Attribute> attributes;  ///< each id at most once; order is kept on the wire
  friend bool operator==(const TensorOp&, const TensorOp&) = default;

  /// The attribute with `id`, or nullptr.
  const AttrValue* find(AttrId id) const noexcept;
  /// Sets (replacing) or adds an attribute.
  void set(AttrId id, AttrValue value);
  /// The attribute's value, or `fallback` when it is absent. Throws InvalidArgumentError if it is
  /// present with another type.
  std::int64_t attr_i64(AttrId id, std::int64_t fallback) const;
  double attr_f64(AttrId id, double fallback) const;
  /// "Gemm(bf16[64,128]@0x0, bf16[128,32]@0x4000) -> bf16[64,32]@0x8000 alpha=0.5"
  std::string describe() const;
};

// ---- Wire format ----
//
// Little-endian:
//   u16 kind
//   u8 input count, inputs; u8 output count, outputs    (each count ≤ kMaxTensorOperands)
//   u16 attribute count (≤ kMaxTensorAttributes), attributes
// operand:   u8 flags (bit 0: absent; other bits reserved, 0); unless absent: u8 dtype, u8 rank
//            (≤ kMaxTensorRank), u64 address, rank × i64 dims (0..kMaxTensorDim, product ≤
//            kMaxTensorElements)
// attribute: u16 id, u8 type (the AttrValue index), then i64 | f64 (IEEE bits) | u32 count
//            (≤ kMaxAttrListLength) + count × i64 | u32 count + count × f64
// The kind and attribute ids may be values this build does not know (a newer host): decode accepts
// them and validate() reports them as unsupported.

/// Throws InvalidArgumentError if `op` exceeds a format limit.
std::vector<std::uint8_t> encode_tensor_op(const TensorOp& op);
/// Throws ProtocolError naming the field on malformed or truncated input, or trailing bytes; never
/// reads outside `bytes`.
TensorOp decode_tensor_op(std::span<const std::uint8_t> bytes);

// ---- Checks ----

/// Checks that the chip can run `op`: operand counts, dtypes, shapes (with numpy broadcasting where the
/// operator broadcasts), attribute types and values, and that no operand's byte range wraps around the
/// address space. Messages name the operator and the operand ("Gemm: input 1 (B): ...").
/// Throws UnsupportedError for what is well-formed but outside the chip's operator set (an unknown
/// kind, an attribute the operator does not take, a dtype the operator does not accept), and
/// InvalidArgumentError for an inconsistent descriptor (counts, shapes, mismatched dtypes, values).
void validate(const TensorOp& op);

/// The numpy broadcast of two shapes; throws InvalidArgumentError if they do not broadcast.
std::vector<std::int64_t> broadcast_shapes(std::span<const std::int64_t> a, std::span<const std::int64_t> b);

/// Lane operations `op` takes: multiply-accumulates for the matrix operators, one per output element
/// for element-wise arithmetic, 0 for Identity and Cast. `op` must be valid.
std::uint64_t mac_count(const TensorOp& op) noexcept;

// ---- Reference kernels ----

/// Sees every output element's lane result before it is rounded and stored, and may change it.
class ResultTap {
 public:
  virtual ~ResultTap() = default;
  /// `element` is the row-major index in output 0; returns the bits to store.
  virtual std::uint32_t apply(std::uint64_t element, std::uint32_t bits) = 0;
};

/// Runs `op` on host buffers: `inputs[i]` holds input i's bytes (little-endian, exactly bytes() long;
/// empty for an absent operand). Returns one byte vector per output (empty for an absent one).
/// Validates `op` first (see validate()); throws InvalidArgumentError if the buffers do not match.
std::vector<std::vector<std::uint8_t>> reference_execute(
    const TensorOp& op, std::span<const std::span<const std::uint8_t>> inputs, ResultTap* tap = nullptr);
std::vector<std::vector<std::uint8_t>> reference_execute(const TensorOp& op,
                                                         const std::vector<std::vector<std::uint8_t>>& inputs,
                                                         ResultTap* tap = nullptr);

}  // namespace seedval::chip

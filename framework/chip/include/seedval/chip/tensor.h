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
//   - Integer element-wise (Add, Sub, Mul, Div, Max, Min, Sum, Pow, Clip, Neg, Abs on i8/u8/i32/i64):
//     exact, wrapped to the output dtype; Div truncates toward zero (x/0 gives 0); an integer Pow goes
//     through double and truncates. Variadic Max/Min/Sum/Mean fold their inputs left to right.
//   - Convolution (Conv, ConvTranspose): per output element one FP32 accumulator from +0, products
//     added in the order input channel, then kernel position (row-major); positions in the padding are
//     skipped; the bias is added last. ConvTranspose visits, per output element, the (channel, kernel
//     position) pairs that reach it in the same order.
//   - Pooling: MaxPool keeps NaN and never picks padding; AveragePool sums in kernel order then divides
//     once by the count of positions inside the input (count_include_pad=0) or inside the padded input
//     (count_include_pad=1). Global pools likewise over the whole spatial extent.
//   - Reductions: FP32 accumulation in row-major order of the reduced elements from the identity (+0,
//     1, -inf, +inf); Mean = sum / count; L2 = sqrt(sum of squares); LogSumExp = m + log(sum exp(x - m))
//     with m the maximum. ArgMax/ArgMin: first extreme (last with select_last_index); NaN wins.
//   - Softmax/LogSoftmax: m = maximum along the axis; e = exp(x - m); s = sum of e in index order;
//     Softmax = e / s, LogSoftmax = (x - m) - log(s).
//   - LayerNormalization: mean = sum / n, var = sum((x - mean)²) / n in index order, inv =
//     1 / sqrt(var + epsilon), y = (x - mean)·inv·scale + bias (all FP32). BatchNormalization
//     (inference): y = (x - mean) / sqrt(var + epsilon)·scale + bias.
//   - Quantisation: QuantizeLinear q = saturate(round_half_even(x / scale) + zero_point); DequantizeLinear
//     y = fl(x - zero_point)·scale. Integer matrix ops (MatMulInteger, ConvInteger, QLinearMatMul,
//     QLinearConv) accumulate (a - a_zero_point)·(b - b_zero_point) in int32 with wrap (padding adds
//     nothing); QLinear* requantise with multiplier fl(fl(a_scale·b_scale) / y_scale): one FP32 product
//     with the accumulator (plus B for QLinearConv), rounded half to even, plus y_zero_point, saturated.
//   - Comparisons compare FP32 values (NaN is unordered: only false) or integers exactly.
//   - Index and generation: GatherElements, GatherND, ConstantOfShape, Size, OneHot, EyeLike move or
//     generate values (a value rounds once to the output dtype). ScatterElements/ScatterND combine the
//     updates of an element in FP32 (int64 for integers, wrapped) in update order, then round once;
//     every output element is a lane result (its final value). Range: start + i·delta, one FP32
//     multiply and add per element (integers exact, wrapped); length max(ceil((limit - start) /
//     delta), 0), in double for floats. CumSum: one FP32 (wrapped integer) running sum per lane
//     along the axis, in scan order. TopK: stable order by value (NaN above +inf; -0 equals +0, the
//     lower index first); the Values are the lane results. Hardmax: 1 at the first maximum along the
//     axis (NaN wins), else 0.
//   - More element-wise math: libm float functions (tanf, asinf, ..., atanhf); Celu = max(0, x) +
//     min(0, alpha·(exp(x / alpha) - 1)); Shrink = x + bias below -lambd, x - bias above lambd, else 0;
//     Mod: fmodf for floats (fmod = 1 required), integers exact with the divisor's sign (fmod = 0) or
//     the dividend's (fmod = 1), x mod 0 gives 0. IsNaN/IsInf: a 0/1 lane result as comparisons.
//     CastLike is Cast to input 1's dtype.
// Every arithmetic output element has a 32-bit "lane result" — the FP32 bits before rounding to the
// output dtype, the int32 accumulator, the pre-saturation int32 of a quantised result, the index of
// ArgMax/ArgMin, the 0/1 of a comparison, the low half of an integer result — which a ResultTap may see
// and change (the chip model injects MAC-lane faults there). Only output 0 has lane results. Data
// movement (Identity, Cast, CastLike, Reshape, Transpose, Concat, Flatten, Squeeze, Unsqueeze, Slice,
// Gather, Split, Pad, Expand, Shape, Where, GatherElements, GatherND, ConstantOfShape, Size, OneHot,
// EyeLike) has none.
//
// Operands follow ONNX's input order, including parameters ONNX passes as tensors (Reshape's shape,
// Slice's starts/ends/axes/steps, Clip's bounds, ReduceSum's axes, the zero points...). validate() checks
// what the descriptor alone determines; an output shape that depends on such a tensor's values is
// checked by reference_execute(), which throws InvalidArgumentError on a mismatch.
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
/// element-wise binary, 0x300 matrix, 0x400 convolution, 0x500 pooling, 0x600 normalisation, 0x700
/// reduction, 0x800 shape and data movement, 0x900 quantisation, 0xA00 comparison and logic, 0xB00
/// index and generation, 0xC00 more element-wise math.
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
  clip = 0x10A,        ///< bounds as inputs 1, 2 (opset 11+) or attributes min, max (defaults -inf, +inf)
  reciprocal = 0x10B,
  floor = 0x10C,
  ceil = 0x10D,
  round = 0x10E,  ///< half to even
  sign = 0x10F,
  elu = 0x110,           ///< alpha (default 1)
  selu = 0x111,          ///< alpha, gamma (defaults 1.67326319..., 1.05070102...)
  hard_sigmoid = 0x112,  ///< alpha (0.2), beta (0.5)
  softplus = 0x113,      ///< log1p(exp(x))
  softsign = 0x114,
  thresholded_relu = 0x115,  ///< alpha (default 1)
  hard_swish = 0x116,
  sin = 0x117,
  cos = 0x118,

  add = 0x200,
  sub = 0x201,
  mul = 0x202,
  div = 0x203,
  max = 0x204,  ///< one or more inputs, folded left to right
  min = 0x205,
  pow = 0x206,  ///< the exponent may also be i32 or i64 (converted to FP32)
  sum = 0x207,  ///< one or more inputs, broadcast together (as Max and Min)
  mean = 0x208,
  prelu = 0x209,  ///< X, slope (broadcast to X): x < 0 ? slope·x : x

  matmul = 0x300,          ///< numpy matmul: rank-1 operands promoted, leading dims broadcast
  gemm = 0x301,            ///< attributes alpha, beta (default 1), transA, transB (default 0)
  matmul_integer = 0x302,  ///< zero points as inputs 2, 3 (ONNX) or attributes a_zero_point, b_zero_point
                           ///< (scalar, or per row / per column)

  // Convolution: X [N, C, D1...], W, B?; attributes auto_pad, dilations, group, kernel_shape, pads,
  // strides (ConvTranspose also output_padding, output_shape). 1-D to 3-D spatial.
  conv = 0x400,
  conv_transpose = 0x401,
  conv_integer = 0x402,  ///< x, w, x_zero_point?, w_zero_point? (i8/u8; w's per output channel); i32 output
  qlinear_conv = 0x403,  ///< x, x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale, y_zero_point, B?

  // Pooling: X [N, C, D1...]; MaxPool may also output Indices (i64).
  max_pool = 0x500,      ///< auto_pad, ceil_mode, dilations, kernel_shape, pads, storage_order, strides
  average_pool = 0x501,  ///< auto_pad, ceil_mode, count_include_pad, kernel_shape, pads, strides
  global_average_pool = 0x502,
  global_max_pool = 0x503,

  // Shape and data movement (no lane results; any dtype). Tensor-valued parameters are inputs, as in
  // ONNX opset 13 and later; the output shape they imply is checked at execution.
  reshape = 0x800,         ///< data, shape (i64); allowzero
  transpose = 0x801,       ///< perm (default: reversed)
  concat = 0x802,          ///< variadic inputs; axis (required)
  flatten = 0x803,         ///< axis (default 1)
  squeeze = 0x804,         ///< data, axes? (i64), or attribute axes
  unsqueeze = 0x805,       ///< data, axes (i64), or attribute axes
  slice = 0x806,           ///< data, starts, ends, axes?, steps? (i32 or i64)
  gather = 0x807,          ///< data, indices (i32 or i64); axis (default 0)
  split = 0x808,           ///< input, split? (i64), or attribute split; axis; one output per part
  pad = 0x809,             ///< data, pads (i64), constant_value?, axes?; mode (constant, reflect, edge)
  expand = 0x80A,          ///< input, shape (i64)
  shape = 0x80B,           ///< start, end; i64 output
  where = 0x80C,           ///< condition (bool), X, Y; broadcast
  trilu = 0x80D,           ///< input, k? (i64 scalar); upper (default 1)
  depth_to_space = 0x80E,  ///< blocksize; mode DCR (default) or CRD
  space_to_depth = 0x80F,  ///< blocksize
  tile = 0x810,            ///< input, repeats (i64)
  dropout = 0x811,         ///< inference: data, ratio?, training_mode?; outputs output, mask?; seed ignored

  // Quantisation (ONNX inputs; scales f32, zero points i8/u8, scalar or per axis).
  quantize_linear = 0x900,    ///< x, y_scale, y_zero_point?; axis (1)
  dequantize_linear = 0x901,  ///< x (i8, u8, i32), x_scale, x_zero_point?; axis (1); f32 output
  qlinear_matmul = 0x902,     ///< a, a_scale, a_zero_point, b, b_scale, b_zero_point, y_scale, y_zero_point

  // Comparison and logic: bool outputs, numpy broadcasting. Comparisons take any numeric dtype (Equal
  // also bool); And, Or, Xor, Not take bool.
  equal = 0xA00,
  less = 0xA01,
  less_or_equal = 0xA02,
  greater = 0xA03,
  greater_or_equal = 0xA04,
  logical_not = 0xA05,  ///< "Not"
  logical_and = 0xA06,  ///< "And"
  logical_or = 0xA07,   ///< "Or"
  logical_xor = 0xA08,  ///< "Xor"

  // Normalisation.
  batch_normalization = 0x600,  ///< inference only: X, scale, B, input_mean, input_var; epsilon, momentum
  layer_normalization = 0x601,  ///< X, Scale, B?; outputs Y, Mean?, InvStdDev?; axis (-1), epsilon
  softmax = 0x602,              ///< axis (default -1)
  log_softmax = 0x603,          ///< axis (default -1)

  // Reductions: input data, then (ReduceSum, and any of them given as ONNX opset 18 does) an optional
  // i64 tensor of axes; attributes axes (when not an input), keepdims (default 1),
  // noop_with_empty_axes (default 0). Float dtypes.
  reduce_sum = 0x700,
  reduce_mean = 0x701,
  reduce_max = 0x702,
  reduce_min = 0x703,
  reduce_prod = 0x704,
  reduce_l1 = 0x705,
  reduce_l2 = 0x706,
  reduce_sum_square = 0x707,
  reduce_log_sum = 0x708,
  reduce_log_sum_exp = 0x709,
  arg_max = 0x70A,  ///< attributes axis (0), keepdims (1), select_last_index (0); i64 output
  arg_min = 0x70B,

  // Index and generation. Index tensors are i32 or i64 (GatherND, ScatterND: i64), negative indices count
  // from the end, out-of-range indices are rejected at execution.
  gather_elements = 0xB00,    ///< data, indices (same rank); axis (0)
  gather_nd = 0xB01,          ///< data, indices (i64); batch_dims (0)
  scatter_elements = 0xB02,   ///< data, indices, updates; axis (0), reduction (none, add, mul, max, min)
  scatter_nd = 0xB03,         ///< data, indices (i64), updates; reduction
  constant_of_shape = 0xB04,  ///< input (i64 shape); value (f64; default 0 with an f32 output)
  size = 0xB05,               ///< data; i64 scalar output
  range = 0xB06,              ///< start, limit, delta (scalars of the output dtype: f32, i32, i64)
  one_hot = 0xB07,            ///< indices, depth, values ([off, on]); axis (-1)
  eye_like = 0xB08,           ///< input (2-D); k (0), dtype (ONNX data type; default the input's)
  cum_sum = 0xB09,            ///< x, axis (i32/i64 scalar); exclusive (0), reverse (0)
  top_k = 0xB0A,    ///< X, K (i64 [1]); outputs Values, Indices (i64); axis (-1), largest, sorted (1)
  hardmax = 0xB0B,  ///< axis (-1)

  // More element-wise math (float dtypes unless noted).
  mod = 0xC00,     ///< A, B broadcast; fmod (0: sign of the divisor, integers only; 1: C fmod)
  is_nan = 0xC01,  ///< bool output
  is_inf = 0xC02,  ///< detect_negative, detect_positive (1); bool output
  tan = 0xC03,
  asin = 0xC04,
  acos = 0xC05,
  atan = 0xC06,
  sinh = 0xC07,
  cosh = 0xC08,
  asinh = 0xC09,
  acosh = 0xC0A,
  atanh = 0xC0B,
  celu = 0xC0C,       ///< alpha (1)
  shrink = 0xC0D,     ///< bias (0), lambd (0.5)
  cast_like = 0xC0E,  ///< input, target_type: Cast to target_type's dtype (data movement)
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
/// (everything except the data movement operators: Identity, Cast, CastLike, the 0x800 block and
/// GatherElements, GatherND, ConstantOfShape, Size, OneHot, EyeLike).
bool has_lane_results(TensorOpKind kind) noexcept;

// ---- Attributes ----

/// Attribute ids. Values cross the wire: never renumber, only append.
enum class AttrId : std::uint16_t {
  alpha = 1,                  ///< f64: Gemm, LeakyRelu
  beta = 2,                   ///< f64: Gemm
  trans_a = 3,                ///< i64 0/1: Gemm "transA"
  trans_b = 4,                ///< i64 0/1: Gemm "transB"
  min = 5,                    ///< f64: Clip
  max = 6,                    ///< f64: Clip
  a_zero_point = 7,           ///< i64, or i64 list of M (per row): MatMulInteger
  b_zero_point = 8,           ///< i64, or i64 list of N (per column): MatMulInteger
  axis = 9,                   ///< i64: ArgMax/ArgMin, Softmax, Concat, Gather, Split, Flatten...
  axes = 10,                  ///< i64 list: reductions (before opset 18), Squeeze/Unsqueeze (before 13)
  keepdims = 11,              ///< i64 0/1: reductions
  noop_with_empty_axes = 12,  ///< i64 0/1: reductions
  select_last_index = 13,     ///< i64 0/1: ArgMax/ArgMin
  epsilon = 14,               ///< f64: BatchNormalization, LayerNormalization
  momentum = 15,              ///< f64: BatchNormalization (training only; accepted and ignored)
  kernel_shape = 16,          ///< i64 list: Conv, pools
  strides = 17,               ///< i64 list: Conv, pools
  pads = 18,                  ///< i64 list (begins then ends): Conv, pools
  dilations = 19,             ///< i64 list: Conv, MaxPool
  group = 20,                 ///< i64: Conv, ConvTranspose
  auto_pad = 21,              ///< string: NOTSET 0, SAME_UPPER 1, SAME_LOWER 2, VALID 3
  output_padding = 22,        ///< i64 list: ConvTranspose
  output_shape = 23,          ///< i64 list: ConvTranspose
  ceil_mode = 24,             ///< i64 0/1: pools
  count_include_pad = 25,     ///< i64 0/1: AveragePool
  storage_order = 26,         ///< i64 0/1: MaxPool
  perm = 27,                  ///< i64 list: Transpose
  allowzero = 28,             ///< i64 0/1: Reshape
  mode = 29,                  ///< string: Pad (constant 0, reflect 1, edge 2), DepthToSpace (DCR 3, CRD 4)
  stash_type = 30,            ///< i64: LayerNormalization (1 = FP32, the only one supported)
  start = 31,                 ///< i64: Shape
  end = 32,                   ///< i64: Shape
  split = 33,                 ///< i64 list: Split (before opset 13)
  gamma = 34,                 ///< f64: Selu
  training_mode = 35,         ///< i64 0/1: BatchNormalization (only 0 is supported)
  to = 36,                    ///< i64 ONNX TensorProto data type: Cast (must name the output's dtype)
  upper = 37,                 ///< i64 0/1: Trilu
  blocksize = 38,             ///< i64: DepthToSpace, SpaceToDepth
  seed = 39,                  ///< i64: Dropout (ignored: inference only)
  fmod = 40,                  ///< i64 0/1: Mod
  detect_negative = 41,       ///< i64 0/1: IsInf
  detect_positive = 42,       ///< i64 0/1: IsInf
  bias = 43,                  ///< f64: Shrink
  lambd = 44,                 ///< f64: Shrink
  batch_dims = 45,            ///< i64: GatherND
  reduction = 46,             ///< string: ScatterElements, ScatterND (none 0, add 1, mul 2, max 3, min 4)
  value = 47,                 ///< f64: ConstantOfShape (ONNX's one-element tensor)
  dtype = 48,                 ///< i64 ONNX TensorProto data type: EyeLike
  k = 49,                     ///< i64: EyeLike (diagonal offset)
  exclusive = 50,             ///< i64 0/1: CumSum
  reverse = 51,               ///< i64 0/1: CumSum
  largest = 52,               ///< i64 0/1: TopK
  sorted = 53,                ///< i64 0/1: TopK (results are always sorted)
};

/// The ONNX attribute name ("alpha", "transA", ...); "unknown" for a value this build does not know.
std::string_view to_string(AttrId id) noexcept;
/// Parses an ONNX attribute name. Throws NotFoundError listing the known names.
AttrId attr_from_string(std::string_view name);
/// The wire value of an ONNX string attribute (the descriptor carries numbers only), e.g. Conv's
/// auto_pad "SAME_UPPER". Throws UnsupportedError for an attribute that takes no string or a value the
/// chip does not know, naming both.
std::int64_t string_attribute_value(AttrId id, std::string_view value);

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

/// Lane operations `op` takes: multiply-accumulates for the matrix and convolution operators (output
/// elements × reduction length), one per input element for reductions and global pools, one per output
/// element and kernel position for pools, one per output element for element-wise arithmetic,
/// normalisation and quantisation, 0 for data movement. `op` must be valid.
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

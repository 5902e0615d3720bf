#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <map>

#include <fmt/core.h>

#include <seedval/chip/numeric.h>
#include <seedval/core/error.h>
#include <seedval/inference/workloads.h>

namespace seedval::inference {
namespace {

using chip::DType;
using Shape = std::vector<std::int64_t>;

// splitmix64: the same stream on every host and standard library.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() noexcept {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  /// Uniform in [-1, 1), a multiple of 2^-23.
  float uniform() noexcept {
    return static_cast<float>(static_cast<std::int64_t>(next() >> 40) - (1 << 23)) * 0x1p-23f;
  }

 private:
  std::uint64_t state_;
};

std::int64_t count(const Shape& s) {
  std::int64_t n = 1;
  for (auto d : s) n *= d;
  return n;
}

/// A float tensor of `dtype` from FP32 values (rounded once).
HostTensor float_tensor(DType dtype, Shape shape, const std::vector<float>& v) {
  HostTensor t{.dtype = dtype, .shape = std::move(shape), .data = {}};
  t.data.resize(v.size() * chip::dtype_size(dtype));
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (dtype == DType::f32) {
      std::memcpy(t.data.data() + 4 * i, &v[i], 4);
    } else {
      const std::uint16_t h = dtype == DType::bf16 ? chip::float_to_bf16(v[i]) : chip::float_to_fp16(v[i]);
      std::memcpy(t.data.data() + 2 * i, &h, 2);
    }
  }
  return t;
}

HostTensor i64_tensor(const Shape& values) {
  HostTensor t{.dtype = DType::i64, .shape = {static_cast<std::int64_t>(values.size())}, .data = {}};
  t.data.resize(values.size() * 8);
  std::memcpy(t.data.data(), values.data(), t.data.size());
  return t;
}

template <typename T>
HostTensor scalar(DType dtype, T value) {
  HostTensor t{.dtype = dtype, .shape = {}, .data = std::vector<std::uint8_t>(sizeof(T))};
  std::memcpy(t.data.data(), &value, sizeof(T));
  return t;
}

// Builds a graph value by value: every node's output gets its type in value_info.
class Builder {
 public:
  Builder(Workload& w, std::uint64_t seed) : w_(w), rng_(seed) {}

  std::string input(const std::string& name, DType dtype, Shape shape, float amplitude = 1.0f) {
    HostTensor t = random(dtype, shape, amplitude);
    w_.graph.inputs.push_back({name, dtype, shape, {}});
    w_.inputs.push_back(std::move(t));
    types_[name] = {dtype, std::move(shape)};
    return name;
  }
  /// A seeded random initializer: floats uniform in ±amplitude, int8 in -127..127, uint8 in 0..255.
  std::string weight(const std::string& name, DType dtype, Shape shape, float amplitude = 1.0f) {
    return constant(name, random(dtype, shape, amplitude));
  }
  std::string constant(const std::string& name, HostTensor t) {
    types_[name] = {t.dtype, t.shape};
    w_.graph.initializers[name] = std::move(t);
    return name;
  }
  std::string node(std::string op, std::vector<std::string> inputs, DType dtype, Shape shape,
                   std::vector<NodeAttribute> attributes = {}) {
    const std::string out = fmt::format("{}_{}", op, ++counter_);
    w_.graph.nodes.push_back({.name = out,
                              .op_type = std::move(op),
                              .domain = {},
                              .inputs = std::move(inputs),
                              .outputs = {out},
                              .attributes = std::move(attributes)});
    w_.graph.value_info.push_back({out, dtype, shape, {}});
    types_[out] = {dtype, std::move(shape)};
    return out;
  }
  void output(const std::string& value) {
    const OutputSpec& t = types_.at(value);
    w_.graph.outputs.push_back({value, t.dtype, t.shape, {}});
    w_.outputs.push_back(t);
  }
  const OutputSpec& type(const std::string& value) const { return types_.at(value); }
  void reduction(std::uint64_t n) { w_.reduction_length = std::max(w_.reduction_length, n); }

 private:
  HostTensor random(DType dtype, const Shape& shape, float amplitude) {
    const auto n = static_cast<std::size_t>(count(shape));
    if (chip::is_float(dtype)) {
      std::vector<float> v(n);
      for (auto& x : v) x = amplitude * rng_.uniform();
      return float_tensor(dtype, shape, v);
    }
    HostTensor t{.dtype = dtype, .shape = shape, .data = std::vector<std::uint8_t>(n)};
    for (auto& b : t.data) {
      const std::uint64_t r = rng_.next() >> 56;
      b = dtype == DType::u8
              ? static_cast<std::uint8_t>(r)
              : static_cast<std::uint8_t>(static_cast<std::int8_t>(static_cast<int>(r % 255) - 127));
    }
    return t;
  }

  Workload& w_;
  Rng rng_;
  int counter_ = 0;
  std::map<std::string, OutputSpec, std::less<>> types_;
};

NodeAttribute attr(std::string name, std::int64_t v) {
  return {std::move(name), v};
}
NodeAttribute attr(std::string name, std::vector<std::int64_t> v) {
  return {std::move(name), std::move(v)};
}
NodeAttribute attr_f(std::string name, double v) {
  return {std::move(name), v};
}

float inv_sqrt(std::int64_t n) {
  return 1.0f / std::sqrt(static_cast<float>(n));
}

// ---- INT8 building blocks ----

/// Symmetric per-tensor scale for values of magnitude up to `range`.
float scale_for(float range) {
  return range / 127.0f;
}

/// y[rows, n] (f32) = dequantize(QLinearMatMul(quantize(x), W)): x f32 [rows, k] of magnitude up to
/// `x_range`, W int8 [k, n] with a scale making it ±w_amplitude.
std::string qlinear_matmul(Builder& b, const std::string& name, const std::string& x, std::int64_t rows,
                           std::int64_t k, std::int64_t n, float x_range, float w_amplitude) {
  const float sx = scale_for(x_range);
  const float sw = w_amplitude / 127.0f;
  // The output's range: about 4 standard deviations of a sum of k products of uniform terms.
  const float sy = scale_for(4.0f * x_range * w_amplitude * std::sqrt(static_cast<float>(k)) / 3.0f);
  const std::string s_x = b.constant(name + ".x_scale", scalar(DType::f32, sx));
  const std::string z = b.constant(name + ".zero_point", scalar(DType::i8, std::int8_t{0}));
  const std::string w = b.weight(name + ".weight", DType::i8, {k, n});
  const std::string s_w = b.constant(name + ".weight_scale", scalar(DType::f32, sw));
  const std::string s_y = b.constant(name + ".y_scale", scalar(DType::f32, sy));
  const std::string q = b.node("QuantizeLinear", {x, s_x, z}, DType::i8, {rows, k});
  const std::string y = b.node("QLinearMatMul", {q, s_x, z, w, s_w, z, s_y, z}, DType::i8, {rows, n});
  b.reduction(static_cast<std::uint64_t>(k));
  return b.node("DequantizeLinear", {y, s_y, z}, DType::f32, {rows, n});
}

// ---- The workloads ----

void build_gemm(Builder& b, DType dt, std::int64_t d) {
  if (dt == DType::i8) {
    const auto a = b.input("A", DType::i8, {d, d});
    const auto w = b.weight("B", DType::i8, {d, d});
    b.output(b.node("MatMulInteger", {a, w}, DType::i32, {d, d}));
  } else {
    const auto a = b.input("A", dt, {d, d});
    const auto w = b.weight("B", dt, {d, d}, inv_sqrt(d));
    b.output(b.node("MatMul", {a, w}, dt, {d, d}));
  }
  b.reduction(static_cast<std::uint64_t>(d));
}

void build_conv(Builder& b, DType dt, std::int64_t d) {
  const std::int64_t c = d / 4, hw = 16;
  if (dt == DType::i8) {
    const auto x = b.input("image", DType::u8, {1, c, hw, hw});
    const auto xz = b.constant("image.zero_point", scalar(DType::u8, std::uint8_t{128}));
    const auto w = b.weight("conv.weight", DType::i8, {c, c, 3, 3});
    const auto wz = b.constant("conv.weight_zero_point", scalar(DType::i8, std::int8_t{0}));
    b.output(b.node("ConvInteger", {x, w, xz, wz}, DType::i32, {1, c, hw, hw},
                    {attr("kernel_shape", {3, 3}), attr("pads", {1, 1, 1, 1})}));
    b.reduction(static_cast<std::uint64_t>(c * 9));
    return;
  }
  const auto x = b.input("image", dt, {1, c, hw, hw});
  const auto w1 = b.weight("conv1.weight", dt, {c, c, 3, 3}, inv_sqrt(c * 9));
  const auto b1 = b.weight("conv1.bias", dt, {c}, 0.1f);
  const auto y1 = b.node("Conv", {x, w1, b1}, dt, {1, c, hw, hw},
                         {attr("kernel_shape", {3, 3}), attr("pads", {1, 1, 1, 1})});
  const auto r1 = b.node("Relu", {y1}, dt, {1, c, hw, hw});
  const auto w2 = b.weight("conv2.weight", dt, {c, c / 2, 3, 3}, inv_sqrt(c / 2 * 9));
  const auto b2 = b.weight("conv2.bias", dt, {c}, 0.1f);
  b.output(b.node(
      "Conv", {r1, w2, b2}, dt, {1, c, hw / 2, hw / 2},
      {attr("kernel_shape", {3, 3}), attr("pads", {1, 1, 1, 1}), attr("strides", {2, 2}), attr("group", 2)}));
  b.reduction(static_cast<std::uint64_t>(c * 9));
}

/// A float Gemm + bias (`dt`), or its INT8 chain with an FP32 bias Add.
std::string dense(Builder& b, const std::string& name, DType dt, const std::string& x, std::int64_t rows,
                  std::int64_t k, std::int64_t n, float x_range) {
  if (dt == DType::i8) {
    const auto y = qlinear_matmul(b, name, x, rows, k, n, x_range, inv_sqrt(k));
    const auto bias = b.weight(name + ".bias", DType::f32, {n}, 0.1f);
    return b.node("Add", {y, bias}, DType::f32, {rows, n});
  }
  const auto w = b.weight(name + ".weight", dt, {k, n}, inv_sqrt(k));
  const auto bias = b.weight(name + ".bias", dt, {n}, 0.1f);
  b.reduction(static_cast<std::uint64_t>(k));
  return b.node("Gemm", {x, w, bias}, dt, {rows, n});
}

void build_mlp(Builder& b, DType dt, std::int64_t d) {
  const std::int64_t batch = 16;
  const DType act = dt == DType::i8 ? DType::f32 : dt;
  const auto x = b.input("x", act, {batch, d});
  const auto h = dense(b, "fc1", dt, x, batch, d, 2 * d, 1.0f);
  const auto r = b.node("Relu", {h}, act, {batch, 2 * d});
  b.output(dense(b, "fc2", dt, r, batch, 2 * d, d, 2.0f));
}

/// A projection without bias: MatMul in `dt`, or the INT8 chain.
std::string project(Builder& b, const std::string& name, DType dt, const std::string& x, std::int64_t rows,
                    std::int64_t k, std::int64_t n, float x_range) {
  if (dt == DType::i8) return qlinear_matmul(b, name, x, rows, k, n, x_range, inv_sqrt(k));
  const auto w = b.weight(name + ".weight", dt, {k, n}, inv_sqrt(k));
  b.reduction(static_cast<std::uint64_t>(k));
  return b.node("MatMul", {x, w}, dt, {rows, n});
}

std::string layer_norm(Builder& b, const std::string& name, DType act, const std::string& x, std::int64_t s,
                       std::int64_t d) {
  std::vector<float> ones(static_cast<std::size_t>(d), 1.0f);
  const auto scale = b.constant(name + ".scale", float_tensor(act, {d}, ones));
  const auto bias = b.weight(name + ".bias", act, {d}, 0.1f);
  b.reduction(static_cast<std::uint64_t>(d));
  return b.node("LayerNormalization", {x, scale, bias}, act, {s, d},
                {attr("axis", -1), attr_f("epsilon", 1e-5)});
}

void build_transformer(Builder& b, DType dt, std::int64_t d) {
  const std::int64_t s = 16, heads = 2, dh = d / heads, ff = 2 * d;
  const DType act = dt == DType::i8 ? DType::f32 : dt;
  const auto x = b.input("tokens", act, {s, d});
  // Attention.
  const auto ln1 = layer_norm(b, "ln1", act, x, s, d);
  const auto q = project(b, "wq", dt, ln1, s, d, d, 4.0f);
  const auto k = project(b, "wk", dt, ln1, s, d, d, 4.0f);
  const auto v = project(b, "wv", dt, ln1, s, d, d, 4.0f);
  const auto split_shape = b.constant("heads.shape", i64_tensor({s, heads, dh}));
  auto to_heads = [&](const std::string& t, std::vector<std::int64_t> perm, Shape shape) {
    const auto r = b.node("Reshape", {t, split_shape}, act, {s, heads, dh});
    return b.node("Transpose", {r}, act, std::move(shape), {attr("perm", std::move(perm))});
  };
  const auto qh = to_heads(q, {1, 0, 2}, {heads, s, dh});
  const auto kt = to_heads(k, {1, 2, 0}, {heads, dh, s});
  const auto vh = to_heads(v, {1, 0, 2}, {heads, s, dh});
  const auto scores = b.node("MatMul", {qh, kt}, act, {heads, s, s});
  b.reduction(static_cast<std::uint64_t>(dh));
  const auto scale = b.constant("attention.scale", float_tensor(act, {}, {inv_sqrt(dh)}));
  const auto scaled = b.node("Mul", {scores, scale}, act, {heads, s, s});
  std::vector<float> mask(static_cast<std::size_t>(s * s));
  for (std::int64_t i = 0; i < s; ++i)
    for (std::int64_t j = 0; j < s; ++j) mask[static_cast<std::size_t>(i * s + j)] = j > i ? -30000.0f : 0.0f;
  const auto causal = b.constant("attention.causal_mask", float_tensor(act, {s, s}, mask));
  const auto masked = b.node("Add", {scaled, causal}, act, {heads, s, s});
  const auto probs = b.node("Softmax", {masked}, act, {heads, s, s}, {attr("axis", -1)});
  b.reduction(static_cast<std::uint64_t>(s));
  const auto ctx = b.node("MatMul", {probs, vh}, act, {heads, s, dh});
  const auto merged = b.node("Transpose", {ctx}, act, {s, heads, dh}, {attr("perm", {1, 0, 2})});
  const auto merge_shape = b.constant("merge.shape", i64_tensor({s, d}));
  const auto flat = b.node("Reshape", {merged, merge_shape}, act, {s, d});
  const auto attn = project(b, "wo", dt, flat, s, d, d, 4.0f);
  const auto h = b.node("Add", {x, attn}, act, {s, d});
  // MLP with GELU: 0.5·f·(1 + erf(f/√2)).
  const auto ln2 = layer_norm(b, "ln2", act, h, s, d);
  const auto f =
      dt == DType::i8
          ? b.node("Add", {project(b, "ff1", dt, ln2, s, d, ff, 4.0f), b.weight("ff1.bias", act, {ff}, 0.1f)},
                   act, {s, ff})
          : dense(b, "ff1", dt, ln2, s, d, ff, 4.0f);
  const auto c_sqrt = b.constant("gelu.inv_sqrt2", float_tensor(act, {}, {0.70710678f}));
  const auto c_one = b.constant("gelu.one", float_tensor(act, {}, {1.0f}));
  const auto c_half = b.constant("gelu.half", float_tensor(act, {}, {0.5f}));
  const auto e = b.node("Erf", {b.node("Mul", {f, c_sqrt}, act, {s, ff})}, act, {s, ff});
  const auto g =
      b.node("Mul", {b.node("Mul", {f, b.node("Add", {e, c_one}, act, {s, ff})}, act, {s, ff}), c_half}, act,
             {s, ff});
  const auto f2 =
      dt == DType::i8
          ? b.node("Add", {project(b, "ff2", dt, g, s, ff, d, 4.0f), b.weight("ff2.bias", act, {d}, 0.1f)},
                   act, {s, d})
          : dense(b, "ff2", dt, g, s, ff, d, 4.0f);
  b.output(b.node("Add", {h, f2}, act, {s, d}));
}

}  // namespace

std::string_view to_string(WorkloadKind kind) noexcept {
  switch (kind) {
    case WorkloadKind::gemm:
      return "gemm";
    case WorkloadKind::conv:
      return "conv";
    case WorkloadKind::mlp:
      return "mlp";
    case WorkloadKind::transformer:
      return "transformer";
  }
  return "unknown";
}

WorkloadKind workload_from_string(std::string_view name) {
  for (auto k : kWorkloadKinds)
    if (to_string(k) == name) return k;
  throw InvalidArgumentError(
      ErrorCode::invalid_argument,
      fmt::format("unknown workload \"{}\" (known: gemm, conv, mlp, transformer)", name));
}

Workload make_workload(const WorkloadSpec& spec) {
  if (spec.dtype != DType::f32 && spec.dtype != DType::bf16 && spec.dtype != DType::f16 &&
      spec.dtype != DType::i8)
    throw InvalidArgumentError(ErrorCode::invalid_argument,
                               fmt::format("workload {}: dtype {} is not one of f32, bf16, f16, i8",
                                           to_string(spec.kind), chip::to_string(spec.dtype)));
  if (spec.size < 8 || spec.size > 1024 || spec.size % 8 != 0)
    throw InvalidArgumentError(ErrorCode::invalid_argument,
                               fmt::format("workload {}: size {} is not a multiple of 8 in 8..1024",
                                           to_string(spec.kind), spec.size));
  Workload w;
  w.spec = spec;
  w.name = fmt::format("{}.{}", to_string(spec.kind), chip::to_string(spec.dtype));
  w.graph.name = w.name;
  // Each (kind, dtype) draws from its own stream of the seed.
  Builder b(w, spec.seed * 0x100 + static_cast<std::uint64_t>(spec.kind) * 0x10 +
                   static_cast<std::uint64_t>(spec.dtype));
  const std::int64_t d = spec.size;
  switch (spec.kind) {
    case WorkloadKind::gemm:
      build_gemm(b, spec.dtype, d);
      break;
    case WorkloadKind::conv:
      build_conv(b, spec.dtype, d);
      break;
    case WorkloadKind::mlp:
      build_mlp(b, spec.dtype, d);
      break;
    case WorkloadKind::transformer:
      build_transformer(b, spec.dtype, d);
      break;
  }
  return w;
}

std::vector<GoldenCheck> check_workload(Device& device, const Workload& workload,
                                        std::span<const std::uint32_t> cores, Match match,
                                        const RunnerOptions& runner_options) {
  const std::vector<HostTensor> golden = run_reference(workload.graph, workload.inputs, workload.outputs);
  std::vector<GoldenCheck> checks;
  if (cores.empty()) return checks;
  RunnerOptions o = runner_options;
  o.core = cores.front();
  GraphRunner runner(device, o);
  const PreparedGraph prepared = runner.prepare_and_load(workload.graph, workload.inputs, workload.outputs);
  for (const std::uint32_t core : cores) {
    const auto start = std::chrono::steady_clock::now();
    runner.execute(prepared, core);
    const std::vector<HostTensor> got = runner.read_outputs(prepared);
    GoldenCheck c{.workload = workload.name,
                  .core = core,
                  .passed = true,
                  .comparison = {},
                  .macs = prepared.macs,
                  .seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()};
    for (std::size_t k = 0; k < golden.size(); ++k) {
      double scale = 0;
      if (match == Match::tolerance)
        for (std::uint64_t i = 0; i < golden[k].elements(); ++i)
          if (std::isfinite(golden[k].element(i))) scale = std::max(scale, std::fabs(golden[k].element(i)));
      const Comparison cmp =
          match == Match::exact
              ? compare_bits(got[k], golden[k])
              : compare(got[k], golden[k], type_tolerance(golden[k].dtype, workload.reduction_length, scale));
      if (k == 0 || cmp.mismatches > c.comparison.mismatches) c.comparison = cmp;
      if (!cmp.match) c.passed = false;
    }
    checks.push_back(std::move(c));
  }
  return checks;
}

HostTensor host_gemm(const HostTensor& a, const HostTensor& b) {
  if (a.shape.size() != 2 || b.shape.size() != 2 || a.shape[1] != b.shape[0] || a.dtype != b.dtype ||
      (a.dtype != DType::f32 && a.dtype != DType::f16 && a.dtype != DType::bf16 && a.dtype != DType::i8))
    throw InvalidArgumentError(
        ErrorCode::invalid_argument,
        fmt::format("host_gemm: {} × {} is not a GEMM of f32, f16, bf16 or i8 matrices", a.describe(),
                    b.describe()));
  const auto m = static_cast<std::size_t>(a.shape[0]), k = static_cast<std::size_t>(a.shape[1]),
             n = static_cast<std::size_t>(b.shape[1]);
  if (a.dtype == DType::i8) {
    HostTensor c{
        .dtype = DType::i32, .shape = {a.shape[0], b.shape[1]}, .data = std::vector<std::uint8_t>(m * n * 4)};
    const auto* pa = reinterpret_cast<const std::int8_t*>(a.data.data());
    const auto* pb = reinterpret_cast<const std::int8_t*>(b.data.data());
    std::vector<std::uint32_t> row(n);
    for (std::size_t i = 0; i < m; ++i) {
      std::fill(row.begin(), row.end(), 0u);
      for (std::size_t p = 0; p < k; ++p) {
        const auto x = static_cast<std::uint32_t>(static_cast<std::int32_t>(pa[i * k + p]));
        for (std::size_t j = 0; j < n; ++j)
          row[j] += x * static_cast<std::uint32_t>(static_cast<std::int32_t>(pb[p * n + j]));  // wraps
      }
      std::memcpy(c.data.data() + i * n * 4, row.data(), n * 4);
    }
    return c;
  }
  // Widen both to FP32 (exact), then accumulate each row in index order of k: the loop over j inside
  // the loop over k keeps every element's additions in order while reading B row by row.
  auto widen = [](const HostTensor& t) {
    std::vector<float> v(t.elements());
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (t.dtype == DType::f32) {
        std::memcpy(&v[i], t.data.data() + 4 * i, 4);
      } else {
        std::uint16_t h;
        std::memcpy(&h, t.data.data() + 2 * i, 2);
        v[i] = t.dtype == DType::bf16 ? chip::bf16_to_float(h) : chip::fp16_to_float(h);
      }
    }
    return v;
  };
  const std::vector<float> fa = widen(a), fb = widen(b);
  std::vector<float> out(m * n);
  for (std::size_t i = 0; i < m; ++i) {
    float* row = out.data() + i * n;
    for (std::size_t j = 0; j < n; ++j) row[j] = 0.0f;
    for (std::size_t p = 0; p < k; ++p) {
      const float x = fa[i * k + p];
      const float* brow = fb.data() + p * n;
      for (std::size_t j = 0; j < n; ++j) {
        const float prod = x * brow[j];  // a separate statement: never contracted into an FMA
        row[j] += prod;
      }
    }
  }
  return float_tensor(a.dtype, {a.shape[0], b.shape[1]}, out);
}

}  // namespace seedval::inference

// Compares what the device computed with what it should have: numpy allclose for floating-point
// outputs (|a − e| ≤ atol + rtol·|e|, as ONNX's own backend runner does), exact for integers and
// booleans; dtype and shape must match exactly.
//
//   Comparison c = compare(actual, expected);            // rtol 1e-3, atol 1e-7
//   if (!c.match) log::warn("{}", c.reason);             // "element 17: 1.5 vs 1.25 (abs error 0.25...)"
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <seedval/inference/host_tensor.h>

namespace seedval::inference {

struct Tolerance {
  double rtol = 1e-3;
  double atol = 1e-7;
};

struct Comparison {
  bool match = true;
  std::string reason;  ///< why it does not match; empty if it does
  /// Largest |a − e| and |a − e| / |e| over elements where both are finite numbers (the relative error
  /// only where e ≠ 0); 0 when there are none.
  double max_abs_error = 0;
  double max_rel_error = 0;
  std::uint64_t mismatches = 0;                 ///< elements out of tolerance
  std::optional<std::uint64_t> first_mismatch;  ///< row-major index of the first one
};

/// Compares element by element. For f32, f16 and bf16: NaN matches NaN only, an infinity only the same
/// infinity, other values within tolerance. Integers and booleans (any non-zero byte is true) must be
/// equal. A dtype or shape mismatch is no match (with no first_mismatch).
Comparison compare(const HostTensor& actual, const HostTensor& expected, const Tolerance& tolerance = {});

/// Bit for bit: an element matches only if its bytes are equal (so +0 and -0, or two NaN payloads,
/// differ). The errors are measured over the mismatching elements that are finite on both sides. For a
/// deterministic chip against a golden reference that models its accumulation.
Comparison compare_bits(const HostTensor& actual, const HostTensor& expected);

/// The tolerance a result of `dtype` may be held to when the device's accumulation order is not the
/// golden reference's: rtol = 2·u + n·2⁻²⁴ (u the unit roundoff of `dtype`: 2⁻²⁴ f32, 2⁻¹¹ f16, 2⁻⁸ bf16;
/// n the longest FP32 accumulation) and atol = rtol·scale, `scale` being the largest magnitude of the
/// expected output (cancellation makes small results carry the large terms' error). Integer dtypes: 0.
Tolerance type_tolerance(chip::DType dtype, std::uint64_t reduction_length, double scale);

}  // namespace seedval::inference

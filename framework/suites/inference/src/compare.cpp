#include <cmath>
#include <cstring>

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <seedval/inference/compare.h>

namespace seedval::inference {
namespace {

std::int64_t integer_element(const HostTensor& t, std::uint64_t i) {
  const std::uint8_t* p = t.data.data() + i * chip::dtype_size(t.dtype);
  switch (t.dtype) {
    case chip::DType::i8:
      return static_cast<std::int8_t>(*p);
    case chip::DType::u8:
      return *p;
    case chip::DType::boolean:
      return *p != 0 ? 1 : 0;
    case chip::DType::i32: {
      std::int32_t v;
      std::memcpy(&v, p, sizeof v);
      return v;
    }
    default: {
      std::int64_t v;
      std::memcpy(&v, p, sizeof v);
      return v;
    }
  }
}

}  // namespace

Comparison compare(const HostTensor& actual, const HostTensor& expected, const Tolerance& tolerance) {
  Comparison c;
  if (actual.dtype != expected.dtype || actual.shape != expected.shape) {
    c.match = false;
    c.reason = fmt::format("got {}, expected {}", actual.describe(), expected.describe());
    return c;
  }
  const std::uint64_t n = expected.elements();
  const std::size_t size = chip::dtype_size(expected.dtype);
  if (actual.data.size() != n * size || expected.data.size() != n * size) {
    c.match = false;
    c.reason = fmt::format("{} holds {} bytes, expected {} holds {}, {} needed", actual.describe(),
                           actual.data.size(), expected.describe(), expected.data.size(), n * size);
    return c;
  }
  std::string first;
  if (chip::is_float(expected.dtype)) {
    for (std::uint64_t i = 0; i < n; ++i) {
      const double a = actual.element(i), e = expected.element(i);
      bool ok;
      if (std::isnan(e) || std::isnan(a)) {
        ok = std::isnan(e) && std::isnan(a);
      } else if (std::isinf(e) || std::isinf(a)) {
        ok = a == e;
      } else {
        const double diff = std::fabs(a - e);
        ok = diff <= tolerance.atol + tolerance.rtol * std::fabs(e);
        c.max_abs_error = std::max(c.max_abs_error, diff);
        if (e != 0) c.max_rel_error = std::max(c.max_rel_error, diff / std::fabs(e));
      }
      if (!ok && c.mismatches++ == 0) {
        c.first_mismatch = i;
        first = fmt::format("{}: got {}, expected {}", i, a, e);
      }
    }
  } else {
    for (std::uint64_t i = 0; i < n; ++i) {
      const std::int64_t a = integer_element(actual, i), e = integer_element(expected, i);
      if (a != e) {
        const double diff = std::fabs(static_cast<double>(a) - static_cast<double>(e));
        c.max_abs_error = std::max(c.max_abs_error, diff);
        if (e != 0) c.max_rel_error = std::max(c.max_rel_error, diff / std::fabs(static_cast<double>(e)));
        if (c.mismatches++ == 0) {
          c.first_mismatch = i;
          first = fmt::format("{}: got {}, expected {}", i, a, e);
        }
      }
    }
  }
  if (c.mismatches > 0) {
    c.match = false;
    c.reason = fmt::format("{} of {} elements of {} {}, first at {} (max abs error {:g}, max rel error {:g})",
                           c.mismatches, n, expected.describe(),
                           chip::is_float(expected.dtype)
                               ? fmt::format("outside rtol {:g}, atol {:g}", tolerance.rtol, tolerance.atol)
                               : std::string("differ"),
                           first, c.max_abs_error, c.max_rel_error);
  }
  return c;
}

Comparison compare_bits(const HostTensor& actual, const HostTensor& expected) {
  Comparison c;
  if (actual.dtype != expected.dtype || actual.shape != expected.shape ||
      actual.data.size() != expected.data.size() ||
      expected.data.size() != expected.elements() * chip::dtype_size(expected.dtype)) {
    c.match = false;
    c.reason = fmt::format("got {} ({} bytes), expected {} ({} bytes)", actual.describe(), actual.data.size(),
                           expected.describe(), expected.data.size());
    return c;
  }
  if (actual.data == expected.data) return c;  // the common case, at memory speed
  const std::uint64_t n = expected.elements();
  const std::size_t size = chip::dtype_size(expected.dtype);
  std::string first;
  for (std::uint64_t i = 0; i < n; ++i) {
    if (std::memcmp(actual.data.data() + i * size, expected.data.data() + i * size, size) == 0) continue;
    const double a = actual.element(i), e = expected.element(i);
    if (std::isfinite(a) && std::isfinite(e)) {
      const double diff = std::fabs(a - e);
      c.max_abs_error = std::max(c.max_abs_error, diff);
      if (e != 0) c.max_rel_error = std::max(c.max_rel_error, diff / std::fabs(e));
    }
    if (c.mismatches++ == 0) {
      c.first_mismatch = i;
      first = fmt::format("{}: got {}, expected {}", i, a, e);
    }
  }
  if (c.mismatches > 0) {
    c.match = false;
    c.reason = fmt::format(
        "{} of {} elements of {} differ bit for bit, first at {} (max abs error {:g}, max "
        "rel error {:g})",
        c.mismatches, n, expected.describe(), first, c.max_abs_error, c.max_rel_error);
  }
  return c;
}

Tolerance type_tolerance(chip::DType dtype, std::uint64_t reduction_length, double scale) {
  double u;
  switch (dtype) {
    case chip::DType::f32:
      u = 0x1p-24;
      break;
    case chip::DType::f16:
      u = 0x1p-11;
      break;
    case chip::DType::bf16:
      u = 0x1p-8;
      break;
    default:
      return {.rtol = 0, .atol = 0};
  }
  const double rtol = 2 * u + static_cast<double>(reduction_length) * 0x1p-24;
  return {.rtol = rtol, .atol = rtol * std::fabs(scale)};
}

}  // namespace seedval::inference

// ONNX backend conformance: runs a folder of ONNX test cases (the layout of the ONNX project's
// backend tests, e.g. Debian's libonnx-testdata node cases) on a device and says, case by case, whether
// the chip computes what ONNX specifies.
//
//   ConformanceReport r = run_conformance(dev, "/usr/share/libonnx-testdata/data/node", {});
//   fmt::print("{} passed, {} failed, {} unsupported\n", r.passed, r.failed, r.unsupported);
//
// A case is a folder: model.onnx and test_data_set_N/ with input_K.pb and output_K.pb (TensorProtos,
// bound to the graph's inputs and outputs in order). It passes when every data set's outputs compare
// equal (see compare.h). It is unsupported when the chip cannot run it — an operator, attribute, dtype
// or value type outside the chip's set, an unknown output shape, too little memory — and failed when
// the chip runs it and gets it wrong or the device reports an error. Unsupported is never passed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include <seedval/device/device.h>
#include <seedval/inference/compare.h>
#include <seedval/inference/runner.h>

namespace seedval::inference {

/// Where Debian's libonnx-testdata puts the single-operator cases.
inline constexpr std::string_view kDebianNodeCases = "/usr/share/libonnx-testdata/data/node";

enum class CaseOutcome { passed, failed, unsupported };
/// "passed", "failed", "unsupported"
std::string_view to_string(CaseOutcome o) noexcept;

struct ConformanceResult {
  std::string name;  ///< the case folder's name, e.g. "test_matmul_2d"
  CaseOutcome outcome = CaseOutcome::unsupported;
  std::string reason;  ///< why it failed or is unsupported; empty when it passed
  /// Unsupported because chip::validate() rejected a node as inconsistent (see ValidateRejection).
  bool rejected_by_validate = false;
  /// Unsupported because of these operators: op_types outside the chip's operator set.
  std::vector<std::string> unsupported_operators;
  /// For a case whose outputs were compared (passed, or failed on values): the worst errors over its
  /// data sets and outputs, and for a failure the first mismatching element's row-major index.
  std::optional<double> max_abs_error;
  std::optional<double> max_rel_error;
  std::optional<std::uint64_t> first_mismatch;
  /// Whether the host's golden reference (run_reference) matches ONNX's outputs too; empty when the
  /// case did not run. A case the reference fails is never passed.
  std::optional<bool> reference_passed;
  std::string reference_reason;        ///< why the reference does not match
  std::vector<std::string> operators;  ///< the model's op_types
  double seconds = 0;
};

struct ConformanceOptions {
  RunnerOptions runner;
  Tolerance tolerance;
  /// Cases to run: empty for all, else comma-separated terms; a case runs if its name contains one.
  std::string filter;
};

struct ConformanceReport {
  std::vector<ConformanceResult> cases;  ///< sorted by name
  int passed = 0;
  int failed = 0;
  int unsupported = 0;
  int rejected_by_validate = 0;  ///< of the unsupported ones
  /// Cases made unsupported by an operator outside the chip's set, by operator.
  std::map<std::string, int> unsupported_operators;
  std::uint32_t core = 0;
  double seconds = 0;
};

/// True if `name` is selected by `filter` (see ConformanceOptions::filter).
bool matches_filter(std::string_view name, std::string_view filter);

/// Runs one case folder. Never throws for what the case or the device under test does (a DeviceError is
/// a failure); throws what says the tester cannot do its job (TransportError, TimeoutError,
/// CancelledError, IoError for an unreadable file).
ConformanceResult run_case(GraphRunner& runner, const std::filesystem::path& case_dir,
                           const Tolerance& tolerance = {});

/// Runs every case folder under `cases` that `options.filter` selects, in name order. Throws
/// NotFoundError naming the folder if it does not exist or holds no case; otherwise as run_case.
ConformanceReport run_conformance(Device& device, const std::filesystem::path& cases,
                                  const ConformanceOptions& options, std::stop_token stop = {});

/// The report as JSON: {"passed", "failed", "unsupported", "rejected_by_validate", "core", "seconds",
/// "cases": [{"name", "outcome", "reason"?, "rejected_by_validate"?, "reference_passed"?, "max_abs_error"?,
/// "max_rel_error"?, "first_mismatch"?, "operators"}], "unsupported_operators": {"Conv": 12, ...}}.
std::string to_json(const ConformanceReport& report, int indent = 2);

}  // namespace seedval::inference

#include <algorithm>
#include <chrono>
#include <typeinfo>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <seedval/core/error.h>
#include <seedval/inference/conformance.h>

namespace seedval::inference {
namespace {

namespace fs = std::filesystem;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// input_0.pb, input_1.pb, ... as long as they exist.
std::vector<fs::path> numbered_files(const fs::path& dir, std::string_view stem) {
  std::vector<fs::path> files;
  for (int k = 0;; ++k) {
    fs::path f = dir / fmt::format("{}_{}.pb", stem, k);
    if (!fs::is_regular_file(f)) break;
    files.push_back(std::move(f));
  }
  return files;
}

std::vector<fs::path> data_sets(const fs::path& case_dir) {
  std::vector<fs::path> sets;
  for (const auto& entry : fs::directory_iterator(case_dir))
    if (entry.is_directory() && entry.path().filename().string().starts_with("test_data_set_"))
      sets.push_back(entry.path());
  std::sort(sets.begin(), sets.end());
  return sets;
}

/// Errors that say the tester, not the chip or the case, cannot go on.
bool tester_error(const Error& e) {
  switch (e.code()) {
    case ErrorCode::transport:
    case ErrorCode::timeout:
    case ErrorCode::busy:
    case ErrorCode::cancelled:
    case ErrorCode::io:
    case ErrorCode::protocol:
    case ErrorCode::checksum:
      return true;
    default:
      return false;
  }
}

void run_data_sets(GraphRunner& runner, const Graph& graph, const fs::path& case_dir,
                   const Tolerance& tolerance, ConformanceResult& r) {
  // Before reading a data set: its .pb files hold what the graph declares (a sequence is no TensorProto).
  for (const auto* values : {&graph.inputs, &graph.outputs})
    for (const auto& v : *values)
      if (!v.unsupported.empty())
        throw UnsupportedError(
            ErrorCode::unsupported,
            fmt::format("graph {} \"{}\" is {}", values == &graph.inputs ? "input" : "output", v.name,
                        v.unsupported));
  const auto sets = data_sets(case_dir);
  if (sets.empty())
    throw ConfigError(ErrorCode::config, fmt::format("{}: no test_data_set_N folder", case_dir.string()));
  for (const auto& set : sets) {
    std::vector<HostTensor> inputs;
    for (const auto& f : numbered_files(set, "input")) inputs.push_back(load_tensor_file(f));
    std::vector<HostTensor> expected;
    std::vector<OutputSpec> specs;
    for (const auto& f : numbered_files(set, "output")) {
      expected.push_back(load_tensor_file(f));
      specs.push_back({expected.back().dtype, expected.back().shape});
    }
    const auto actual = runner.run(graph, inputs, specs);
    // The host reference runs the same case: a chip that passes where its own golden reference fails
    // is not computing what it is specified to, and is not passed.
    const auto reference = run_reference(graph, inputs, specs);
    for (std::size_t k = 0; k < reference.size(); ++k) {
      const Comparison c = compare(reference[k], expected[k], tolerance);
      if (!c.match && r.reference_passed.value_or(true)) {
        r.reference_passed = false;
        r.reference_reason = fmt::format("{}, output {} (\"{}\"): {}", set.filename().string(), k,
                                         graph.outputs[k].name, c.reason);
      }
    }
    if (!r.reference_passed) r.reference_passed = true;
    for (std::size_t k = 0; k < actual.size(); ++k) {
      const Comparison c = compare(actual[k], expected[k], tolerance);
      r.max_abs_error = std::max(r.max_abs_error.value_or(0.0), c.max_abs_error);
      r.max_rel_error = std::max(r.max_rel_error.value_or(0.0), c.max_rel_error);
      if (!c.match && r.outcome != CaseOutcome::failed) {
        r.outcome = CaseOutcome::failed;
        r.first_mismatch = c.first_mismatch;
        r.reason = fmt::format("{}, output {} (\"{}\"): {}", set.filename().string(), k,
                               graph.outputs[k].name, c.reason);
      }
    }
  }
  if (r.outcome == CaseOutcome::passed && r.reference_passed == false) {
    r.outcome = CaseOutcome::failed;
    r.reason = fmt::format(
        "the chip matches ONNX's outputs but the host reference does not ({}): the chip "
        "does not compute what its reference kernels specify",
        r.reference_reason);
  }
}

}  // namespace

std::string_view to_string(CaseOutcome o) noexcept {
  switch (o) {
    case CaseOutcome::passed:
      return "passed";
    case CaseOutcome::failed:
      return "failed";
    case CaseOutcome::unsupported:
      return "unsupported";
  }
  return "unknown";
}

bool matches_filter(std::string_view name, std::string_view filter) {
  if (filter.empty()) return true;
  while (true) {
    const auto comma = filter.find(',');
    std::string_view term = filter.substr(0, comma);
    while (!term.empty() && term.front() == ' ') term.remove_prefix(1);
    while (!term.empty() && term.back() == ' ') term.remove_suffix(1);
    if (!term.empty() && name.find(term) != std::string_view::npos) return true;
    if (comma == std::string_view::npos) return false;
    filter.remove_prefix(comma + 1);
  }
}

ConformanceResult run_case(GraphRunner& runner, const fs::path& case_dir, const Tolerance& tolerance) {
  const auto start = std::chrono::steady_clock::now();
  ConformanceResult r;
  r.name = case_dir.filename().string();
  try {
    const Graph graph = Graph::load(case_dir / "model.onnx");
    r.operators = graph.operators();
    const auto unknown = unsupported_operators(graph);
    if (!unknown.empty()) {
      r.outcome = CaseOutcome::unsupported;
      r.unsupported_operators = unknown;
      r.reason = fmt::format("operator {} is not in the chip's operator set", unknown.front());
    } else {
      r.outcome = CaseOutcome::passed;
      run_data_sets(runner, graph, case_dir, tolerance, r);
    }
  } catch (const ValidateRejection& e) {
    r.outcome = CaseOutcome::unsupported;
    r.rejected_by_validate = true;
    r.reason = fmt::format("rejected by the chip's validate: {}", e.message());
  } catch (const UnsupportedError& e) {
    r.outcome = CaseOutcome::unsupported;
    r.reason = e.message();
  } catch (const Error& e) {
    if (tester_error(e)) throw;
    // The device reported an error, or the case could not be run as given: never a pass.
    r.outcome = CaseOutcome::failed;
    r.reason = fmt::format("{} error: {}", to_string(e.code()), e.message());
  }
  if (r.outcome != CaseOutcome::failed) r.first_mismatch.reset();
  if (r.outcome == CaseOutcome::unsupported) {
    r.max_abs_error.reset();
    r.max_rel_error.reset();
  }
  r.seconds = seconds_since(start);
  return r;
}

ConformanceReport run_conformance(Device& device, const fs::path& cases, const ConformanceOptions& options,
                                  std::stop_token stop) {
  const auto start = std::chrono::steady_clock::now();
  std::error_code ec;
  if (!fs::is_directory(cases, ec))
    throw NotFoundError(ErrorCode::not_found,
                        fmt::format("{}: no such folder of ONNX test cases", cases.string()));
  std::vector<fs::path> dirs;
  for (const auto& entry : fs::directory_iterator(cases))
    if (entry.is_directory() && fs::is_regular_file(entry.path() / "model.onnx") &&
        matches_filter(entry.path().filename().string(), options.filter))
      dirs.push_back(entry.path());
  std::sort(dirs.begin(), dirs.end());
  if (dirs.empty())
    throw NotFoundError(
        ErrorCode::not_found,
        options.filter.empty()
            ? fmt::format("{}: no ONNX test case (a folder with model.onnx)", cases.string())
            : fmt::format("{}: no ONNX test case matches \"{}\"", cases.string(), options.filter));
  GraphRunner runner(device, options.runner);
  ConformanceReport report;
  report.core = runner.core();
  for (const auto& dir : dirs) {
    if (stop.stop_requested()) throw CancelledError(ErrorCode::cancelled, "conformance run stopped");
    ConformanceResult r = run_case(runner, dir, options.tolerance);
    switch (r.outcome) {
      case CaseOutcome::passed:
        ++report.passed;
        break;
      case CaseOutcome::failed:
        ++report.failed;
        break;
      case CaseOutcome::unsupported:
        ++report.unsupported;
        if (r.rejected_by_validate) ++report.rejected_by_validate;
        for (const auto& op : r.unsupported_operators) ++report.unsupported_operators[op];
        break;
    }
    report.cases.push_back(std::move(r));
  }
  report.seconds = seconds_since(start);
  return report;
}

std::string to_json(const ConformanceReport& report, int indent) {
  nlohmann::ordered_json cases = nlohmann::ordered_json::array();
  for (const auto& r : report.cases) {
    nlohmann::ordered_json c = {{"name", r.name}, {"outcome", to_string(r.outcome)}};
    if (!r.reason.empty()) c["reason"] = r.reason;
    if (r.rejected_by_validate) c["rejected_by_validate"] = true;
    if (r.reference_passed) c["reference_passed"] = *r.reference_passed;
    if (r.max_abs_error) c["max_abs_error"] = *r.max_abs_error;
    if (r.max_rel_error) c["max_rel_error"] = *r.max_rel_error;
    if (r.first_mismatch) c["first_mismatch"] = *r.first_mismatch;
    c["operators"] = r.operators;
    cases.push_back(std::move(c));
  }
  nlohmann::ordered_json j = {{"passed", report.passed},
                              {"failed", report.failed},
                              {"unsupported", report.unsupported},
                              {"rejected_by_validate", report.rejected_by_validate},
                              {"core", report.core},
                              {"seconds", report.seconds},
                              {"cases", std::move(cases)},
                              {"unsupported_operators", report.unsupported_operators}};
  return j.dump(indent);
}

}  // namespace seedval::inference

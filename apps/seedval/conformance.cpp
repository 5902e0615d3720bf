// seedval conformance onnx: does the chip compute what ONNX specifies? Runs a folder of ONNX backend
// test cases (Debian's libonnx-testdata node cases by default) on one tensor core and prints the totals,
// the operators outside the chip's set and the failing cases; exit 1 if any case failed.
#include <algorithm>
#include <iostream>
#include <optional>
#include <vector>

#include <fmt/core.h>

#include <seedval/boards/board.h>
#include <seedval/device/device.h>
#include <seedval/inference/conformance.h>

#include "common.h"

namespace seedval::cli {
namespace {

struct OnnxConformanceOptions {
  std::string board{kDefaultBoard};
  std::string cases{inference::kDebianNodeCases};
  std::string filter;
  std::optional<std::uint32_t> core;
  double rtol = 1e-3;
  double atol = 1e-7;
  bool json = false;
};

void print_conformance_table(const inference::ConformanceReport& r, const std::string& board,
                             const std::string& cases) {
  const int total = static_cast<int>(r.cases.size());
  const auto share = [&](int n) { return total > 0 ? 100.0 * n / total : 0.0; };
  fmt::print("board        {}, tensor core {}\n", board, r.core);
  fmt::print("cases        {} from {}\n", total, cases);
  fmt::print("passed       {:>5}  {:5.1f} %\n", r.passed, share(r.passed));
  fmt::print("failed       {:>5}  {:5.1f} %\n", r.failed, share(r.failed));
  fmt::print("unsupported  {:>5}  {:5.1f} %  ({} rejected by the chip's validate)\n", r.unsupported,
             share(r.unsupported), r.rejected_by_validate);
  if (!r.unsupported_operators.empty()) {
    std::vector<std::pair<std::string, int>> ops(r.unsupported_operators.begin(),
                                                 r.unsupported_operators.end());
    std::stable_sort(ops.begin(), ops.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    fmt::print("\n{:<32} {:>6}\n", "operator not in the chip's set", "cases");
    for (const auto& [op, n] : ops) fmt::print("{:<32} {:>6}\n", op, n);
  }
  if (r.failed > 0) {
    fmt::print("\nfailed cases\n");
    for (const auto& c : r.cases)
      if (c.outcome == inference::CaseOutcome::failed) fmt::print("  {}: {}\n", c.name, c.reason);
  }
  fmt::print("\nran in {:.2f} s\n", r.seconds);
}

int onnx_conformance(const OnnxConformanceOptions& o) {
  inference::ConformanceOptions options;
  options.filter = o.filter;
  options.tolerance = {.rtol = o.rtol, .atol = o.atol};
  options.runner.core = o.core;
  auto board = open_board(o.board);
  Device dev(board->connect(), board->info().name);
  const inference::ConformanceReport report = inference::run_conformance(dev, o.cases, options);
  if (o.json)
    std::cout << inference::to_json(report) << "\n";
  else
    print_conformance_table(report, board->info().name, o.cases);
  return report.failed > 0 ? kUnitFailed : kOk;
}

}  // namespace

void add_conformance(CLI::App& app) {
  auto* cmd = app.add_subcommand("conformance", "operator conformance of the chip's tensor cores");
  cmd->require_subcommand(1);
  auto o = std::make_shared<OnnxConformanceOptions>();
  auto* onnx = cmd->add_subcommand(
      "onnx", "run ONNX backend test cases on a tensor core and compare with ONNX's expected outputs");
  onnx->add_option("--board,-b", o->board, board_option_help())->capture_default_str();
  onnx->add_option("--cases", o->cases, "folder of ONNX test cases (model.onnx, test_data_set_N/)")
      ->capture_default_str();
  onnx->add_option("--filter", o->filter, "cases to run: comma-separated parts of case names (default: all)");
  onnx->add_option("--core", o->core, "tensor core (default: the first enabled one)")
      ->check(CLI::Range(0, 31));
  onnx->add_option("--rtol", o->rtol, "relative tolerance of float outputs")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  onnx->add_option("--atol", o->atol, "absolute tolerance of float outputs")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  onnx->add_flag("--json", o->json, "print JSON instead of a table");
  onnx->footer(
      "A case passes when every data set's outputs match (numpy allclose for floats, exact for integers); "
      "a case outside the chip's operator set is unsupported, never passed. Exit 0 if no case failed, 1 if "
      "one did.");
  onnx->callback(
      [o] { throw ExitRequest{guarded("conformance onnx", [&] { return onnx_conformance(*o); })}; });
}

}  // namespace seedval::cli

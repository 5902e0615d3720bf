// inference.onnx_conformance: the ONNX project's backend test cases (one operator each, in Debian's
// libonnx-testdata) run on one tensor core and compared with ONNX's expected outputs. Cases the chip's
// operator set does not cover are counted as unsupported, never as passed; the per-case record is
// attached as the "conformance" artifact.
#include <algorithm>

#include <fmt/core.h>

#include <seedval/inference/conformance.h>
#include <seedval/testapi/test.h>

namespace seedval::inference {
namespace {

TestDefinition onnx_conformance_test() {
  TestDefinition t;
  t.name = "inference.onnx_conformance";
  t.description =
      "runs ONNX backend test cases on a tensor core and compares with ONNX's outputs; cases outside the "
      "chip's operator set are unsupported, never passed";
  t.params = {
      {"cases",
       ParamType::string,
       std::string(kDebianNodeCases),
       "folder of ONNX test cases (one folder each: model.onnx, test_data_set_N/)",
       {},
       {},
       {}},
      {"filter",
       ParamType::string,
       std::string(""),
       "cases to run: comma-separated parts of case names (empty: all)",
       {},
       {},
       {}},
      {"core",
       ParamType::integer,
       std::int64_t{-1},
       "tensor core (-1: the first enabled one)",
       -1.0,
       31.0,
       {}},
      {"rtol", ParamType::number, 1e-3, "relative tolerance of float outputs", 0.0, 1.0, {}},
      {"atol", ParamType::number, 1e-7, "absolute tolerance of float outputs", 0.0, 1.0, {}},
      {"max_notes",
       ParamType::integer,
       std::int64_t{16},
       "failing cases named in the record's notes",
       0.0,
       10000.0,
       {}},
  };
  t.measurements = {
      {"passed", units::count, "cases whose every output matched", {}},
      {"failed", units::count, "cases the chip ran and got wrong, or where it reported an error", {{}, 0.0}},
      {"unsupported", units::count, "cases outside the chip's operator set", {}},
      {"cases", units::count, "cases run", {}},
  };
  t.requires_caps = {chip::Capability::tensor};
  t.run = [](TestContext& ctx) {
    const auto& p = ctx.params();
    ConformanceOptions options;
    options.filter = p.string("filter");
    options.tolerance = {.rtol = p.number("rtol"), .atol = p.number("atol")};
    if (p.integer("core") >= 0) options.runner.core = static_cast<std::uint32_t>(p.integer("core"));
    const ConformanceReport report =
        run_conformance(ctx.device(), p.string("cases"), options, ctx.stop_token());
    const auto max_notes = static_cast<std::size_t>(p.integer("max_notes"));
    std::size_t noted = 0;
    for (const auto& r : report.cases) {
      if (r.outcome != CaseOutcome::failed) continue;
      if (noted++ < max_notes) ctx.note(fmt::format("{}: {}", r.name, r.reason));
    }
    if (noted > max_notes) ctx.note(fmt::format("... {} more failing cases", noted - max_notes));
    if (report.rejected_by_validate > 0)
      ctx.note(fmt::format("{} of the unsupported cases were rejected by the chip's validate",
                           report.rejected_by_validate));
    ctx.attach("conformance", to_json(report));
    ctx.measure("passed", report.passed);
    ctx.measure("failed", report.failed);
    ctx.measure("unsupported", report.unsupported);
    ctx.measure("cases", static_cast<double>(report.cases.size()));
  };
  return t;
}

SEEDVAL_REGISTER_TEST(onnx_conformance_test());

}  // namespace
}  // namespace seedval::inference

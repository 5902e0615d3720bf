// inference.golden: seeded GEMM, convolution, MLP and transformer-block workloads in FP32, BF16, FP16
// and INT8 on the chosen tensor cores, each compared with the host's golden reference (bit for bit by
// default). One mismatch count and largest error per workload and dtype, so a program can bin a die
// whose MAC lane or core computes wrong; the per-core checks are attached as the "golden" artifact.
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <seedval/inference/workloads.h>
#include <seedval/testapi/test.h>

#include "suite_params.h"

namespace seedval::inference {
namespace {

std::string measurement_name(WorkloadKind k, chip::DType t, std::string_view what) {
  return fmt::format("{}_{}_{}", to_string(k), chip::to_string(t), what);
}

TestDefinition golden_test() {
  TestDefinition t;
  t.name = "inference.golden";
  t.description =
      "runs seeded GEMM, convolution, MLP and transformer-block workloads on tensor cores and compares them "
      "with the host's golden reference, which models the chip's accumulation";
  t.params = {
      {"workloads",
       ParamType::string,
       std::string("gemm,conv,mlp,transformer"),
       "comma-separated: gemm, conv, mlp, transformer",
       {},
       {},
       {}},
      {"dtypes",
       ParamType::string,
       std::string("f32,bf16,f16,i8"),
       "comma-separated: f32, bf16, f16, i8",
       {},
       {},
       {}},
      {"size", ParamType::integer, std::int64_t{64}, "model width d (a multiple of 8)", 8.0, 1024.0, {}},
      {"seed", ParamType::integer, std::int64_t{1}, "seed of the workloads' data", 0.0, 4294967295.0, {}},
      {"cores",
       ParamType::string,
       std::string("all"),
       "tensor cores: all (every enabled core), first, or a list such as 0,3",
       {},
       {},
       {}},
      {"match",
       ParamType::string,
       std::string("exact"),
       "exact: bit for bit; tolerance: within the output type's tolerance",
       {},
       {},
       {"exact", "tolerance"}},
  };
  for (auto k : kWorkloadKinds)
    for (auto d : kWorkloadDTypes) {
      t.measurements.push_back({measurement_name(k, d, "mismatches"),
                                units::count,
                                fmt::format("{}.{}: output elements differing from golden, summed over cores",
                                            to_string(k), chip::to_string(d)),
                                {{}, 0.0}});
      t.measurements.push_back({measurement_name(k, d, "max_abs_error"),
                                units::none,
                                fmt::format("{}.{}: largest absolute error against golden over cores",
                                            to_string(k), chip::to_string(d)),
                                {}});
    }
  t.measurements.push_back({"failed_checks",
                            units::count,
                            "workload runs (one per workload, dtype and core) not matching",
                            {{}, 0.0}});
  t.measurements.push_back({"checks", units::count, "workload runs compared", {}});
  t.requires_caps = {chip::Capability::tensor};
  t.run = [](TestContext& ctx) {
    const auto& p = ctx.params();
    const auto kinds = detail::parse_workloads(p.string("workloads"));
    const auto dtypes = detail::parse_dtypes(p.string("dtypes"));
    const auto cores = detail::parse_cores(ctx.device(), p.string("cores"));
    const Match match = p.string("match") == "exact" ? Match::exact : Match::tolerance;
    nlohmann::ordered_json artifact = nlohmann::ordered_json::array();
    int failed = 0, checks = 0;
    for (auto k : kinds)
      for (auto d : dtypes) {
        ctx.check_stop();
        const Workload w = make_workload({.kind = k,
                                          .dtype = d,
                                          .seed = static_cast<std::uint64_t>(p.integer("seed")),
                                          .size = static_cast<int>(p.integer("size"))});
        std::uint64_t mismatches = 0;
        double max_abs = 0;
        for (const GoldenCheck& c : check_workload(ctx.device(), w, cores, match)) {
          ++checks;
          mismatches += c.comparison.mismatches;
          max_abs = std::max(max_abs, c.comparison.max_abs_error);
          if (!c.passed) {
            ++failed;
            ctx.note(fmt::format("{} on core {}: {}", w.name, c.core, c.comparison.reason));
          }
          nlohmann::ordered_json j{{"workload", w.name},
                                   {"core", c.core},
                                   {"passed", c.passed},
                                   {"mismatches", c.comparison.mismatches},
                                   {"max_abs_error", c.comparison.max_abs_error},
                                   {"max_rel_error", c.comparison.max_rel_error},
                                   {"macs", c.macs},
                                   {"seconds", c.seconds}};
          if (c.comparison.first_mismatch) j["first_mismatch"] = *c.comparison.first_mismatch;
          artifact.push_back(std::move(j));
        }
        ctx.measure(measurement_name(k, d, "mismatches"), static_cast<double>(mismatches));
        ctx.measure(measurement_name(k, d, "max_abs_error"), max_abs);
      }
    ctx.attach("golden", artifact.dump(2));
    ctx.measure("failed_checks", failed);
    ctx.measure("checks", checks);
  };
  return t;
}

SEEDVAL_REGISTER_TEST(golden_test());

}  // namespace
}  // namespace seedval::inference

// bench_inference: the inference suite's figures, in one run on the chip model (in-process link):
//   - the whole ONNX node conformance run (Debian's libonnx-testdata node cases): its time and totals;
//   - golden GEMM throughput: the chip model executing the golden GEMM workload (upload once, then the
//     tensor op and the download of the result, as the SDC screen repeats it) against a plain host
//     reference implementation of the same GEMM (host_gemm: same FP32 accumulation order, one thread),
//     in multiply-accumulates per second. The ratio chip model / host is the figure;
//   - one SDC screen of the production program (GEMM f32, 8 cores × 3 runs) and the golden workloads
//     at production size, in seconds: what they cost a unit.
#include <filesystem>
#include <memory>
#include <vector>

#include <fmt/core.h>

#include <seedval/device/device.h>
#include <seedval/inference/conformance.h>
#include <seedval/inference/screen.h>
#include <seedval/inference/workloads.h>
#include <seedval/sim/chip_model.h>
#include <seedval/sim/population.h>
#include <seedval/transport/inproc.h>

#include "bench_util.h"

using namespace seedval;
using namespace seedval::inference;
using bench::best_seconds;

int main(int argc, char** argv) {
  const std::filesystem::path cases = argc > 1 ? argv[1] : std::string(kDebianNodeCases);
  sim::ChipConfig config;
  config.memory_size = 64u << 20;
  sim::DieInstance die;
  die.id = chip::DieId{"BENCH", 1, 7, 7};
  die.ecid = chip::encode_ecid(die.id);
  die.harvest_mask = sim::kSpareCoreMask;
  auto model = std::make_shared<sim::ChipModel>(config, std::move(die));
  Device device(std::make_unique<InprocTransport>(model, "bench"), "bench");

  fmt::print("bench_inference: the inference suite on the chip model (in-process link)\n\n");
  if (std::filesystem::is_directory(cases)) {
    ConformanceReport report;
    const double t = best_seconds([&] { report = run_conformance(device, cases, {}); }, 3);
    fmt::print("ONNX node conformance, {} cases from {}\n", report.cases.size(), cases.string());
    fmt::print("  whole run                      {:8.3f} s   ({} passed, {} failed, {} unsupported)\n\n", t,
               report.passed, report.failed, report.unsupported);
  } else {
    fmt::print("ONNX node conformance: {} is not there (Debian package libonnx-testdata)\n\n",
               cases.string());
  }

  fmt::print("golden GEMM throughput (chip model vs plain host GEMM, same numerics, one thread)\n");
  fmt::print("  {:<10} {:>6} {:>14} {:>14} {:>8}\n", "workload", "size", "chip GMAC/s", "host GMAC/s",
             "ratio");
  for (const auto dtype : kWorkloadDTypes) {
    for (const int size : {128, 256}) {
      const Workload w = make_workload({.kind = WorkloadKind::gemm, .dtype = dtype, .seed = 1, .size = size});
      RunnerOptions o;
      o.core = 0;
      GraphRunner runner(device, o);
      const PreparedGraph p = runner.prepare_and_load(w.graph, w.inputs, w.outputs);
      std::vector<HostTensor> got;
      const double t_chip = best_seconds(
          [&] {
            runner.execute(p);
            got = runner.read_outputs(p);
          },
          5);
      HostTensor host;
      const HostTensor& b = w.graph.initializers.begin()->second;
      const double t_host = best_seconds([&] { host = host_gemm(w.inputs[0], b); }, 5);
      if (!compare_bits(got[0], host).match) {
        fmt::print("  {}: the chip model and the host GEMM disagree: {}\n", w.name,
                   compare_bits(got[0], host).reason);
        return 1;
      }
      const double macs = static_cast<double>(p.macs);
      fmt::print("  {:<10} {:>6} {:>14.3f} {:>14.3f} {:>8.2f}\n", w.name, size, macs / t_chip / 1e9,
                 macs / t_host / 1e9, t_host / t_chip);
    }
  }

  fmt::print("\nper-unit cost of the production steps (defect-free die, 8 enabled cores)\n");
  const Workload screen_w = make_workload({});
  ScreenReport screen;
  const double t_screen = best_seconds([&] { screen = run_sdc_screen(device, screen_w, {}); }, 3);
  fmt::print("  SDC screen, gemm.f32 d=64, {} runs   {:8.4f} s  ({} elements checked)\n", screen.runs,
             t_screen, screen.elements_checked);
  const std::vector<std::uint32_t> core0{0};
  const double t_golden = best_seconds(
      [&] {
        for (auto k : kWorkloadKinds)
          for (auto d : kWorkloadDTypes)
            check_workload(device, make_workload({.kind = k, .dtype = d, .size = 32}), core0);
      },
      3);
  fmt::print("  16 golden workloads, d=32, one core  {:8.4f} s  (host reference included)\n", t_golden);
  return 0;
}

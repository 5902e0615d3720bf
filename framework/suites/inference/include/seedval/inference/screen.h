// Silent-data-corruption screens: the same work, again and again, on every tensor core. Each execution
// is compared bit for bit with the host's golden result, with the same core's first execution (a
// result that changes from run to run is intermittent: a flaky lane or a timing error) and with the
// other cores (a core outside the majority is named). Persistent corruption confined to one core's
// elements i ≡ r (mod p) with the same bits wrong is a broken MAC lane; intermittent corruption on
// several cores at once is timing (the clock above the die's fmax, or the supply too low).
//
//   Workload w = make_workload({.kind = WorkloadKind::gemm});
//   ScreenReport r = run_sdc_screen(dev, w, {.repeats = 3});
//   for (auto c : r.corrupt_cores) ...                      // cores that computed a wrong result
//   r.timing_suspected, r.corruption_rate, to_json(r)
#pragma once

#include <cstdint>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include <seedval/device/device.h>
#include <seedval/inference/compare.h>
#include <seedval/inference/workloads.h>

namespace seedval::inference {

struct ScreenOptions {
  std::vector<std::uint32_t> cores;  ///< cores to screen; empty: every core neither fused off nor disabled
  int repeats = 3;                   ///< executions per core, 1..1000
  RunnerOptions runner;              ///< device memory to use (the core is chosen per execution)
};

struct CoreScreen {
  std::uint32_t core = 0;
  int runs = 0;
  int corrupted_runs = 0;                ///< runs with any output element differing from golden
  int unstable_runs = 0;                 ///< runs whose output differs from this core's first run
  std::uint64_t corrupted_elements = 0;  ///< over all runs
  bool disagrees = false;                ///< its first run is outside the majority of cores
  Comparison worst;                      ///< the run with most mismatching elements, against golden
  /// Where persistent corruption sits: output elements i with i ≡ lane_residue (mod lane_period),
  /// lane_period > 1 when every corrupted element of every run shares it (one lane of the core).
  std::uint64_t lane_period = 0;
  std::uint64_t lane_residue = 0;
  std::uint32_t wrong_bits = 0;  ///< the bits (of the element's 32-bit pattern) that were ever wrong
  std::string diagnosis;         ///< empty for a clean core
  bool corrupt() const noexcept { return corrupted_runs > 0; }
};

struct ScreenReport {
  std::string workload;
  std::uint32_t frequency_mhz = 0;  ///< PLL_FREQ_MHZ during the screen
  std::uint32_t vdd_core_mv = 0;    ///< VDD_CORE_MV during the screen
  std::vector<CoreScreen> cores;
  std::uint64_t elements_checked = 0;  ///< output elements compared: outputs × runs × cores
  std::uint64_t corrupted_elements = 0;
  double corruption_rate = 0;  ///< corrupted_elements / elements_checked
  std::uint64_t runs = 0;
  std::uint64_t corrupted_runs = 0;
  std::vector<std::uint32_t> corrupt_cores;      ///< cores with any run differing from golden
  std::vector<std::uint32_t> disagreeing_cores;  ///< cores outside the majority (cross-core check)
  std::uint64_t unstable_runs = 0;               ///< runs differing from their core's first run
  /// Intermittent corruption on two or more cores: what a clock above fmax or a low supply does.
  bool timing_suspected = false;
  std::vector<std::string> findings;  ///< one line per corrupt core, plus the timing verdict
  double seconds = 0;
};

/// Runs `workload` `repeats` times on every screened core. The golden result is computed on the host
/// once. Throws what the Device throws (a core refusing work is a DeviceError, never a pass),
/// InvalidArgumentError for bad options or a core the chip does not have, CancelledError if `stop` is
/// requested between executions.
ScreenReport run_sdc_screen(Device& device, const Workload& workload, const ScreenOptions& options,
                            std::stop_token stop = {});

/// The enabled cores: neither fused off (HARVEST_MASK) nor disabled (CORE_ENABLE), ascending.
std::vector<std::uint32_t> enabled_cores(Device& device);

/// The report as JSON: the totals, the operating point, the findings and one object per core.
std::string to_json(const ScreenReport& report);

}  // namespace seedval::inference

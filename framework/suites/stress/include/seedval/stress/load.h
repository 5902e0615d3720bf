// Sustained load with its results checked: the engine under the compute stress, the thermal soak and
// the combined stress tests.
//
// Time runs in intervals. Each interval holds the active tensor cores under a power-virus kernel at the
// chosen utilisation (or at the utilisation that holds a target power, adjusted every interval), then
// runs a golden check workload on every active core and compares it bit for bit with the host's golden
// result, and (for the combined stress) writes and reads back a region of HBM with a seeded pattern.
// Cores join one by one over the ramp, so the current step is what a real workload's start looks like.
// Every interval records the sensors (temperature, power, effective clock, throttle and trip bits), the
// check's errors and its throughput from the device's own timing. Verdicts are on sustained percentiles
// over intervals — p99 of errors per interval, p1 of throughput — never on one sample.
//
//   SafeState safe(dev);                         // stops the load and restores the point in teardown
//   LoadReport r = run_load(dev, {.duration_s = 60, .utilisation = 1.0}, stop);
//   r.errors_p99, r.throughput_p1_gmacs, r.temperature_max_c, r.tripped, to_json(r)
#pragma once

#include <cstdint>
#include <stop_token>
#include <string>
#include <vector>

#include <seedval/device/device.h>
#include <seedval/inference/workloads.h>

namespace seedval::stress {

struct LoadOptions {
  double duration_s = 60;            ///< device time under load (the longest, for a soak)
  double interval_s = 1;             ///< one sample and one check per interval
  double ramp_s = 4;                 ///< the cores join one by one over this time (0: all at once)
  double utilisation = 1.0;          ///< power-virus utilisation of the active cores, 0..1
  double target_power_w = 0;         ///< > 0: adjust the utilisation every interval to hold this power
  std::vector<std::uint32_t> cores;  ///< empty: every enabled core
  inference::WorkloadSpec check{};   ///< run on every active core each interval
  /// Soak: stop once the die temperature moved less than settle_delta_c over settle_window_s.
  bool until_settled = false;
  double settle_window_s = 10;
  double settle_delta_c = 0.3;
  /// Combined stress: bytes of HBM written with a seeded pattern and read back every interval, from the
  /// middle of HBM (0: no memory traffic).
  std::uint64_t memory_bytes = 0;
};

struct Interval {
  double time_s = 0;  ///< device time since the load started, at the end of the interval
  int active_cores = 0;
  double utilisation = 0;
  double temperature_c = 0;
  double power_w = 0;
  double frequency_mhz = 0;  ///< effective clock (half the PLL's when throttled)
  bool throttled = false;
  bool tripped = false;
  std::uint64_t checked_elements = 0;
  std::uint64_t errors = 0;  ///< check output elements differing from golden, over the active cores
  double gmacs_per_s = 0;    ///< the check's throughput per core, from the device's timing
  std::uint64_t memory_words = 0;
  std::uint64_t memory_errors = 0;  ///< 64-bit words read back wrong
};

struct LoadReport {
  std::string check;  ///< the check workload's name
  std::vector<Interval> intervals;
  double errors_p99 = 0;  ///< nearest-rank 99th percentile of errors per interval
  double errors_max = 0;
  std::uint64_t errors_total = 0;
  double throughput_p1_gmacs = 0;  ///< 1st percentile of the check's throughput per interval
  double throughput_p50_gmacs = 0;
  double power_p50_w = 0;
  double temperature_max_c = 0;
  double temperature_final_c = 0;
  int throttled_intervals = 0;
  bool tripped = false;  ///< the die reached its thermal trip and halted compute
  bool settled = false;
  double settle_time_s = 0;                  ///< when the temperature settled (soak)
  std::vector<std::uint32_t> corrupt_cores;  ///< cores whose check went wrong at least once
  std::uint64_t memory_errors = 0;
  std::vector<std::string> findings;
};

/// Runs the load. It changes no operating point; the caller's SafeState stops it in teardown. A thermal
/// trip ends the load early and is reported, not thrown. Throws InvalidArgumentError for bad options,
/// CancelledError when `stop` is requested, and what the Device throws otherwise.
LoadReport run_load(Device& device, const LoadOptions& options, std::stop_token stop = {});

/// The report as JSON, the per-interval curve included.
std::string to_json(const LoadReport& report);

/// Nearest-rank percentile (0 < p ≤ 100) of `values`; 0 for none.
double percentile(std::vector<double> values, double p);

}  // namespace seedval::stress

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <optional>
#include <set>

#include <fmt/core.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <seedval/chip/registers.h>
#include <seedval/core/error.h>
#include <seedval/inference/compare.h>
#include <seedval/inference/runner.h>
#include <seedval/inference/screen.h>
#include <seedval/stress/load.h>

namespace seedval::stress {
namespace {

std::uint64_t mix(std::uint64_t x) noexcept {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

void check_options(const LoadOptions& o) {
  auto bad = [](std::string what) {
    throw InvalidArgumentError(ErrorCode::invalid_argument, std::move(what));
  };
  if (!(o.duration_s > 0) || o.duration_s > 86400)
    bad(fmt::format("load: duration {} s is outside (0, 86400]", o.duration_s));
  if (!(o.interval_s >= 0.001) || o.interval_s > o.duration_s)
    bad(fmt::format("load: interval {} s is outside [0.001, duration]", o.interval_s));
  if (!(o.ramp_s >= 0) || o.ramp_s > o.duration_s)
    bad(fmt::format("load: ramp {} s is outside [0, duration]", o.ramp_s));
  if (!(o.utilisation >= 0) || o.utilisation > 1)
    bad(fmt::format("load: utilisation {} is outside 0..1", o.utilisation));
  if (!(o.target_power_w >= 0) || o.target_power_w > 1000)
    bad(fmt::format("load: target power {} W is outside 0..1000", o.target_power_w));
  if (o.until_settled && (!(o.settle_window_s > 0) || !(o.settle_delta_c > 0)))
    bad("load: a soak needs a positive settle window and temperature delta");
}

// Memory traffic of the combined stress: a seeded pattern written over a region and read back.
class MemoryTraffic {
 public:
  MemoryTraffic(Device& device, std::uint64_t base, std::uint64_t bytes) : device_(device), base_(base) {
    const std::uint64_t words = bytes / 8;
    buffer_.resize(words * 8);
    back_.resize(words * 8);
  }
  /// Returns {words checked, words wrong}.
  std::pair<std::uint64_t, std::uint64_t> run(std::uint64_t seed) {
    const std::uint64_t words = buffer_.size() / 8;
    for (std::uint64_t w = 0; w < words; ++w) {
      const std::uint64_t v = mix(seed ^ (base_ / 8 + w));
      std::memcpy(buffer_.data() + 8 * w, &v, 8);
    }
    device_.write_memory(base_, buffer_);
    device_.read_memory(base_, back_);
    std::uint64_t wrong = 0;
    for (std::uint64_t w = 0; w < words; ++w)
      wrong += std::memcmp(buffer_.data() + 8 * w, back_.data() + 8 * w, 8) != 0;
    return {words, wrong};
  }

 private:
  Device& device_;
  std::uint64_t base_;
  std::vector<std::uint8_t> buffer_, back_;
};

}  // namespace

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(values.size())));
  return values[std::clamp<std::size_t>(rank, 1, values.size()) - 1];
}

LoadReport run_load(Device& device, const LoadOptions& options, std::stop_token stop) {
  check_options(options);
  const std::vector<std::uint32_t> cores =
      options.cores.empty() ? inference::enabled_cores(device) : options.cores;
  if (cores.empty())
    throw DeviceError(ErrorCode::device, fmt::format("{}: no tensor core is enabled to load", device.name()));
  const std::uint64_t memory = device.identify().memory_size;
  if (options.memory_bytes > memory / 4)
    throw InvalidArgumentError(
        ErrorCode::invalid_argument,
        fmt::format("load: {} bytes of memory traffic exceed a quarter of the {} bytes of HBM",
                    options.memory_bytes, memory));

  // The check workload sits in the lower half of HBM, the memory traffic in the upper half.
  const inference::Workload check = inference::make_workload(options.check);
  const std::vector<inference::HostTensor> golden =
      inference::run_reference(check.graph, check.inputs, check.outputs);
  inference::RunnerOptions runner_options;
  runner_options.core = cores.front();
  runner_options.memory_limit = memory / 2;
  inference::GraphRunner runner(device, runner_options);
  const inference::PreparedGraph prepared = runner.prepare_and_load(check.graph, check.inputs, check.outputs);
  std::optional<MemoryTraffic> traffic;
  if (options.memory_bytes > 0) traffic.emplace(device, memory / 2, options.memory_bytes);

  LoadReport report;
  report.check = check.name;
  const protocol::SensorsResponse start = device.read_sensors();
  const double idle_w = start.power_mw / 1000.0;
  double utilisation = options.target_power_w > 0 ? 0.5 : options.utilisation;
  std::set<std::uint32_t> corrupt;
  const auto interval = std::chrono::microseconds(std::llround(options.interval_s * 1e6));
  const int steps = std::max(1, static_cast<int>(std::llround(options.duration_s / options.interval_s)));
  for (int step = 0; step < steps; ++step) {
    if (stop.stop_requested())
      throw CancelledError(ErrorCode::cancelled,
                           fmt::format("load cancelled after {} of {} intervals", step, steps));
    Interval iv;
    // Staggered start: core k joins at k·ramp/n.
    const double t0 = step * options.interval_s;
    iv.active_cores =
        options.ramp_s <= 0
            ? static_cast<int>(cores.size())
            : std::clamp(
                  static_cast<int>(std::floor(t0 / options.ramp_s * static_cast<double>(cores.size()))) + 1,
                  1, static_cast<int>(cores.size()));
    std::uint32_t mask = 0;
    for (int k = 0; k < iv.active_cores; ++k) mask |= 1u << cores[static_cast<std::size_t>(k)];
    iv.utilisation = utilisation;
    const protocol::SensorsResponse s = device.hold(interval, mask, utilisation);
    iv.time_s = static_cast<double>(s.time_us - start.time_us) / 1e6;
    iv.temperature_c = s.temperature_mc / 1000.0;
    iv.power_w = s.power_mw / 1000.0;
    iv.frequency_mhz = s.frequency_mhz;
    iv.throttled = (s.status & chip::bits::STATUS_THROTTLED) != 0;
    iv.tripped = (s.status & chip::bits::STATUS_THERMAL_TRIP) != 0;

    double gmacs = 0;
    if (!iv.tripped) {
      try {
        for (int k = 0; k < iv.active_cores; ++k) {
          const std::uint32_t core = cores[static_cast<std::size_t>(k)];
          const inference::ExecutionStats st = runner.execute(prepared, core);
          const auto got = runner.read_outputs(prepared);
          std::uint64_t wrong = 0;
          for (std::size_t o = 0; o < golden.size(); ++o) {
            wrong += inference::compare_bits(got[o], golden[o]).mismatches;
            iv.checked_elements += golden[o].elements();
          }
          if (wrong > 0) corrupt.insert(core);
          iv.errors += wrong;
          if (st.device_ns > 0) gmacs += static_cast<double>(st.macs) / static_cast<double>(st.device_ns);
        }
      } catch (const DeviceError& e) {
        // A core refusing work because the die tripped is the load's finding, not the tester's fault.
        if ((device.read_register(chip::reg::STATUS) & chip::bits::STATUS_THERMAL_TRIP) == 0) throw;
        iv.tripped = true;
        report.findings.push_back(fmt::format("compute halted at {:.1f} s: {}", iv.time_s, e.message()));
      }
    }
    iv.gmacs_per_s = iv.active_cores > 0 ? gmacs / iv.active_cores : 0.0;
    if (traffic && !iv.tripped) {
      const auto [words, wrong] = traffic->run(mix(static_cast<std::uint64_t>(step) + 1));
      iv.memory_words = words;
      iv.memory_errors = wrong;
      report.memory_errors += wrong;
    }
    report.intervals.push_back(iv);
    if (iv.tripped) {
      report.tripped = true;
      break;
    }
    // Hold the target power: the dynamic part scales with utilisation.
    if (options.target_power_w > 0 && utilisation > 0) {
      const double per_unit = std::max((iv.power_w - idle_w) / utilisation, 1e-3);
      utilisation = std::clamp((options.target_power_w - idle_w) / per_unit, 0.0, 1.0);
    }
    // Soak: settled when the last window moved less than the delta (after the ramp).
    if (options.until_settled && iv.time_s >= options.ramp_s + options.settle_window_s) {
      const auto back = static_cast<std::size_t>(std::ceil(options.settle_window_s / options.interval_s));
      if (report.intervals.size() > back) {
        const double before = report.intervals[report.intervals.size() - 1 - back].temperature_c;
        if (std::fabs(iv.temperature_c - before) < options.settle_delta_c) {
          report.settled = true;
          report.settle_time_s = iv.time_s;
          break;
        }
      }
    }
  }

  std::vector<double> errors, throughput, power;
  for (const auto& iv : report.intervals) {
    errors.push_back(static_cast<double>(iv.errors));
    if (!iv.tripped) throughput.push_back(iv.gmacs_per_s);
    power.push_back(iv.power_w);
    report.errors_total += iv.errors;
    report.temperature_max_c = std::max(report.temperature_max_c, iv.temperature_c);
    report.throttled_intervals += iv.throttled ? 1 : 0;
  }
  report.errors_p99 = percentile(errors, 99);
  report.errors_max = errors.empty() ? 0 : *std::max_element(errors.begin(), errors.end());
  report.throughput_p1_gmacs = percentile(throughput, 1);
  report.throughput_p50_gmacs = percentile(throughput, 50);
  report.power_p50_w = percentile(power, 50);
  report.temperature_final_c = report.intervals.empty() ? 0 : report.intervals.back().temperature_c;
  report.corrupt_cores.assign(corrupt.begin(), corrupt.end());
  if (!report.corrupt_cores.empty())
    report.findings.push_back(fmt::format("{} wrong elements of {} on cores {} (temperature up to {:.1f} °C)",
                                          report.errors_total, check.name,
                                          fmt::join(report.corrupt_cores, ", "), report.temperature_max_c));
  if (report.throttled_intervals > 0)
    report.findings.push_back(fmt::format("throttled in {} of {} intervals (the clock halves above {} °C)",
                                          report.throttled_intervals, report.intervals.size(), 100));
  if (report.memory_errors > 0)
    report.findings.push_back(fmt::format("{} memory words read back wrong", report.memory_errors));
  return report;
}

std::string to_json(const LoadReport& r) {
  nlohmann::ordered_json j;
  j["check"] = r.check;
  j["errors_p99"] = r.errors_p99;
  j["errors_max"] = r.errors_max;
  j["errors_total"] = r.errors_total;
  j["throughput_p1_gmacs"] = r.throughput_p1_gmacs;
  j["throughput_p50_gmacs"] = r.throughput_p50_gmacs;
  j["power_p50_w"] = r.power_p50_w;
  j["temperature_max_c"] = r.temperature_max_c;
  j["temperature_final_c"] = r.temperature_final_c;
  j["throttled_intervals"] = r.throttled_intervals;
  j["tripped"] = r.tripped;
  j["settled"] = r.settled;
  if (r.settled) j["settle_time_s"] = r.settle_time_s;
  j["corrupt_cores"] = r.corrupt_cores;
  j["memory_errors"] = r.memory_errors;
  j["findings"] = r.findings;
  auto& curve = j["intervals"] = nlohmann::ordered_json::array();
  for (const auto& iv : r.intervals)
    curve.push_back({{"time_s", iv.time_s},
                     {"active_cores", iv.active_cores},
                     {"utilisation", iv.utilisation},
                     {"temperature_c", iv.temperature_c},
                     {"power_w", iv.power_w},
                     {"frequency_mhz", iv.frequency_mhz},
                     {"throttled", iv.throttled},
                     {"tripped", iv.tripped},
                     {"checked_elements", iv.checked_elements},
                     {"errors", iv.errors},
                     {"gmacs_per_s", iv.gmacs_per_s},
                     {"memory_words", iv.memory_words},
                     {"memory_errors", iv.memory_errors}});
  return j.dump(2);
}

}  // namespace seedval::stress

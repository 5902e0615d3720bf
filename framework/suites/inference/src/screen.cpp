#include <algorithm>
#include <chrono>
#include <cstring>
#include <numeric>

#include <fmt/core.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <seedval/chip/registers.h>
#include <seedval/core/error.h>
#include <seedval/inference/screen.h>

namespace seedval::inference {
namespace {

// Every mismatching element of `got` against `want` (same dtype and shape): calls f(index, xor bits).
template <typename F>
void each_mismatch(const HostTensor& got, const HostTensor& want, F&& f) {
  const std::size_t size = chip::dtype_size(want.dtype);
  const std::uint64_t n = want.elements();
  for (std::uint64_t i = 0; i < n; ++i) {
    std::uint64_t a = 0, b = 0;
    std::memcpy(&a, got.data.data() + i * size, std::min<std::size_t>(size, 8));
    std::memcpy(&b, want.data.data() + i * size, std::min<std::size_t>(size, 8));
    if (a != b) f(i, a ^ b);
  }
}

std::string bit_list(std::uint32_t bits) {
  std::vector<int> list;
  for (int b = 0; b < 32; ++b)
    if ((bits >> b & 1u) != 0) list.push_back(b);
  return fmt::format("{}", fmt::join(list, ", "));
}

}  // namespace

std::vector<std::uint32_t> enabled_cores(Device& device) {
  const std::uint32_t count = device.read_register(chip::reg::CORE_COUNT);
  const std::uint32_t harvest = device.read_register(chip::reg::HARVEST_MASK);
  const std::uint32_t enable = device.read_register(chip::reg::CORE_ENABLE);
  std::vector<std::uint32_t> cores;
  for (std::uint32_t c = 0; c < count && c < 32; ++c)
    if ((harvest >> c & 1u) == 0 && (enable >> c & 1u) != 0) cores.push_back(c);
  return cores;
}

ScreenReport run_sdc_screen(Device& device, const Workload& workload, const ScreenOptions& options,
                            std::stop_token stop) {
  const auto start = std::chrono::steady_clock::now();
  if (options.repeats < 1 || options.repeats > 1000)
    throw InvalidArgumentError(ErrorCode::invalid_argument,
                               fmt::format("SDC screen: {} repeats is outside 1..1000", options.repeats));
  ScreenReport report;
  report.workload = workload.name;
  const std::vector<std::uint32_t> cores = options.cores.empty() ? enabled_cores(device) : options.cores;
  if (cores.empty())
    throw DeviceError(ErrorCode::device,
                      fmt::format("{}: no tensor core is enabled to screen", device.name()));
  const std::uint32_t count = device.read_register(chip::reg::CORE_COUNT);
  for (auto c : cores)
    if (c >= count)
      throw InvalidArgumentError(
          ErrorCode::invalid_argument,
          fmt::format("{}: tensor core {} does not exist (the chip has {})", device.name(), c, count));
  report.frequency_mhz = device.read_register(chip::reg::PLL_FREQ_MHZ);
  report.vdd_core_mv = device.read_register(chip::reg::VDD_CORE_MV);

  const std::vector<HostTensor> golden = run_reference(workload.graph, workload.inputs, workload.outputs);
  RunnerOptions runner_options = options.runner;
  runner_options.core = cores.front();
  GraphRunner runner(device, runner_options);
  const PreparedGraph prepared = runner.prepare_and_load(workload.graph, workload.inputs, workload.outputs);

  std::uint64_t per_run = 0;
  for (const auto& g : golden) per_run += g.elements();
  std::vector<std::vector<HostTensor>> first(cores.size());
  for (std::size_t ci = 0; ci < cores.size(); ++ci) {
    CoreScreen cs;
    cs.core = cores[ci];
    std::vector<std::uint64_t> indices;  // corrupted elements of output 0, over all runs
    for (int r = 0; r < options.repeats; ++r) {
      if (stop.stop_requested())
        throw CancelledError(ErrorCode::cancelled,
                             fmt::format("SDC screen cancelled on core {} run {}", cs.core, r + 1));
      runner.execute(prepared, cs.core);
      std::vector<HostTensor> got = runner.read_outputs(prepared);
      ++cs.runs;
      std::uint64_t wrong = 0;
      for (std::size_t k = 0; k < golden.size(); ++k) {
        const Comparison c = compare_bits(got[k], golden[k]);
        wrong += c.mismatches;
        if (k == 0 && c.mismatches > cs.worst.mismatches) cs.worst = c;
        if (k == 0)
          each_mismatch(got[k], golden[k], [&](std::uint64_t i, std::uint64_t x) {
            indices.push_back(i);
            cs.wrong_bits |= static_cast<std::uint32_t>(x);
          });
      }
      if (wrong > 0) ++cs.corrupted_runs;
      cs.corrupted_elements += wrong;
      if (r == 0)
        first[ci] = std::move(got);
      else if (got != first[ci])
        ++cs.unstable_runs;
    }
    if (!indices.empty()) {
      std::uint64_t g = 0;
      for (auto i : indices) g = std::gcd(g, i > indices.front() ? i - indices.front() : indices.front() - i);
      if (g > 1) {
        cs.lane_period = g;
        cs.lane_residue = indices.front() % g;
      }
    }
    report.cores.push_back(std::move(cs));
  }

  // Cross-core: the largest group of cores whose first runs agree bit for bit is the majority.
  std::vector<std::size_t> group(cores.size());
  std::size_t best = 0, best_size = 0;
  for (std::size_t i = 0; i < cores.size(); ++i) {
    group[i] = i;
    for (std::size_t j = 0; j < i; ++j)
      if (first[j] == first[i]) {
        group[i] = group[j];
        break;
      }
  }
  for (std::size_t i = 0; i < cores.size(); ++i) {
    const auto size = static_cast<std::size_t>(std::count(group.begin(), group.end(), group[i]));
    if (size > best_size) best_size = size, best = group[i];
  }
  if (cores.size() > 1)
    for (std::size_t i = 0; i < cores.size(); ++i)
      if (group[i] != best || best_size * 2 <= cores.size()) {
        report.cores[i].disagrees = true;
        report.disagreeing_cores.push_back(cores[i]);
      }

  std::vector<std::uint32_t> intermittent;
  for (auto& cs : report.cores) {
    report.runs += static_cast<std::uint64_t>(cs.runs);
    report.corrupted_runs += static_cast<std::uint64_t>(cs.corrupted_runs);
    report.unstable_runs += static_cast<std::uint64_t>(cs.unstable_runs);
    report.corrupted_elements += cs.corrupted_elements;
    report.elements_checked += per_run * static_cast<std::uint64_t>(cs.runs);
    if (!cs.corrupt()) continue;
    report.corrupt_cores.push_back(cs.core);
    const bool persistent = cs.unstable_runs == 0 && cs.corrupted_runs == cs.runs;
    if (!persistent) intermittent.push_back(cs.core);
    std::string where =
        cs.lane_period > 1
            ? fmt::format("output elements i ≡ {} (mod {}), one MAC lane", cs.lane_residue, cs.lane_period)
            : fmt::format("first at element {}", cs.worst.first_mismatch.value_or(0));
    cs.diagnosis = fmt::format(
        "core {}: {} corruption — {} of {} runs wrong ({} elements), {} differ from the core's first run; "
        "{}; "
        "bits {} wrong",
        cs.core, persistent ? "persistent" : "intermittent", cs.corrupted_runs, cs.runs,
        cs.corrupted_elements, cs.unstable_runs, where, bit_list(cs.wrong_bits));
    report.findings.push_back(cs.diagnosis);
  }
  report.corruption_rate = report.elements_checked == 0 ? 0.0
                                                        : static_cast<double>(report.corrupted_elements) /
                                                              static_cast<double>(report.elements_checked);
  if (intermittent.size() >= 2) {
    report.timing_suspected = true;
    report.findings.push_back(fmt::format(
        "timing: intermittent corruption on {} cores ({}) at {} MHz, {} mV — the clock is above what the die "
        "sustains at this supply and temperature",
        intermittent.size(), fmt::join(intermittent, ", "), report.frequency_mhz, report.vdd_core_mv));
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

std::string to_json(const ScreenReport& r) {
  nlohmann::ordered_json j;
  j["workload"] = r.workload;
  j["frequency_mhz"] = r.frequency_mhz;
  j["vdd_core_mv"] = r.vdd_core_mv;
  j["runs"] = r.runs;
  j["corrupted_runs"] = r.corrupted_runs;
  j["unstable_runs"] = r.unstable_runs;
  j["elements_checked"] = r.elements_checked;
  j["corrupted_elements"] = r.corrupted_elements;
  j["corruption_rate"] = r.corruption_rate;
  j["corrupt_cores"] = r.corrupt_cores;
  j["disagreeing_cores"] = r.disagreeing_cores;
  j["timing_suspected"] = r.timing_suspected;
  j["findings"] = r.findings;
  j["seconds"] = r.seconds;
  auto& cores = j["cores"] = nlohmann::ordered_json::array();
  for (const auto& c : r.cores) {
    nlohmann::ordered_json o;
    o["core"] = c.core;
    o["runs"] = c.runs;
    o["corrupted_runs"] = c.corrupted_runs;
    o["unstable_runs"] = c.unstable_runs;
    o["corrupted_elements"] = c.corrupted_elements;
    o["disagrees"] = c.disagrees;
    if (c.corrupt()) {
      o["max_abs_error"] = c.worst.max_abs_error;
      o["max_rel_error"] = c.worst.max_rel_error;
      if (c.worst.first_mismatch) o["first_mismatch"] = *c.worst.first_mismatch;
      if (c.lane_period > 1) o["lane"] = {{"period", c.lane_period}, {"residue", c.lane_residue}};
      o["wrong_bits"] = c.wrong_bits;
      o["diagnosis"] = c.diagnosis;
    }
    cores.push_back(std::move(o));
  }
  return j.dump(2);
}

}  // namespace seedval::inference

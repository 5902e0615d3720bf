// bench_memory: the memory suite's production path beside the host memory testers a bench engineer
// knows, on the same memory size, in one run:
//   - memcpy of the size: the bandwidth ceiling (one pass over the memory);
//   - March C- on the chip model's MBIST engine (memory.march's production path), in bytes tested per
//     second and as a multiple of one memcpy pass (target <= 12x: March C- makes 10 passes);
//   - memtester (Debian package memtester) on a host buffer of that size, one loop of all its tests;
//   - stressapptest (Debian package stressapptest) on a host buffer of that size for 2 s, its own copy
//     throughput figure.
// The host testers run as child processes; one that is not installed is reported as such.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/core.h>

#include <seedval/chip/march_library.h>
#include <seedval/chip/registers.h>
#include <seedval/device/device.h>
#include <seedval/memory/march_runner.h>
#include <seedval/sim/chip_model.h>
#include <seedval/sim/population.h>
#include <seedval/transport/inproc.h>

#include "bench_util.h"

using namespace seedval;
using bench::best_seconds;
using Clock = std::chrono::steady_clock;

namespace {

struct Child {
  int status = -1;
  std::string output;
  double seconds = 0;
};

// Runs a shell command, capturing stdout and stderr; nullopt if it could not be started.
std::optional<Child> run_child(const std::string& command) {
  const auto t0 = Clock::now();
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen((command + " 2>&1").c_str(), "r"), pclose);
  if (!pipe) return std::nullopt;
  Child c;
  std::array<char, 4096> buf{};
  while (std::fgets(buf.data(), buf.size(), pipe.get()) != nullptr) c.output += buf.data();
  c.status = pclose(pipe.release());
  c.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return c;
}

bool installed(const char* tool) {
  const auto c = run_child(fmt::format("command -v {} || test -x /usr/sbin/{}", tool, tool));
  return c && c->status == 0;
}

void row(const std::string& what, double bytes_per_s, double memcpy_s, double seconds,
         const std::string& note) {
  fmt::print("{:<44} {:>10.0f} {:>9.1f}x  {}\n", what, bytes_per_s / (1 << 20), seconds / memcpy_s, note);
}

}  // namespace

int main() {
  const sim::ChipConfig config;
  const std::size_t bytes = config.memory_size;
  const double mib = static_cast<double>(bytes) / (1 << 20);
  std::vector<std::uint8_t> a(bytes), b(bytes);
  for (std::size_t i = 0; i < bytes; ++i) a[i] = static_cast<std::uint8_t>(i * 131 + 7);
  volatile std::uint8_t sink = 0;
  const double t_memcpy = best_seconds(
      [&] {
        std::memcpy(b.data(), a.data(), bytes);
        sink = sink + b[bytes / 3];
      },
      20);
  fmt::print("{:<44} {:>10} {:>10}  {}\n", fmt::format("memory tested: {:.0f} MiB", mib), "MiB/s", "memcpy",
             "(time as a multiple of one memcpy pass)");
  row("memcpy (one pass: the bandwidth ceiling)", static_cast<double>(bytes) / t_memcpy, t_memcpy, t_memcpy,
      "");

  sim::DieInstance die;
  die.id = chip::DieId{"BENCH", 1, 7, 7};
  die.ecid = chip::encode_ecid(die.id);
  auto model = std::make_shared<sim::ChipModel>(config, std::move(die));
  Device device(std::make_unique<InprocTransport>(model, "bench"), "bench");
  const auto library = chip::builtin_march_library();
  chip::MarchOptions options;
  options.words = bytes / 8;
  for (const char* name : {"March C-", "March SS"}) {
    const auto& alg = library.get(name);
    memory::MarchRun run;
    const double t =
        best_seconds([&] { run = memory::run_march_on(device, memory::MarchPath::mbist, alg, options); }, 5);
    row(fmt::format("{} ({}N), MBIST on the chip model", name, alg.length()), static_cast<double>(bytes) / t,
        t_memcpy, t,
        std::string(name) == "March C-" ? fmt::format("target <= 12x; {} fails", run.result.fail_count)
                                        : fmt::format("{} fails", run.result.fail_count));
  }
  // Host-driven: one request per access, for debug; on 64 KiB only.
  {
    chip::MarchOptions small = options;
    small.words = (64 << 10) / 8;
    const double t = best_seconds(
        [&] { memory::run_march_on(device, memory::MarchPath::host, library.get("March C-"), small); }, 2);
    row("March C-, host-driven (64 KiB, scaled)", (64 << 10) / t, t_memcpy,
        t * static_cast<double>(bytes) / (64 << 10), "one request per access: debug path");
  }

  const std::string size = fmt::format("{}M", bytes >> 20);
  if (installed("memtester")) {
    const auto c = run_child(fmt::format("memtester {} 1", size));
    if (c && c->status == 0)
      row("memtester, one loop of every test", static_cast<double>(bytes) / c->seconds, t_memcpy, c->seconds,
          "host buffer, all memtester tests");
    else
      fmt::print("{:<44} failed: {}\n", "memtester", c ? c->output.substr(0, 200) : "could not start");
  } else {
    fmt::print("{:<44} not installed (Debian package memtester)\n", "memtester");
  }
  if (installed("stressapptest")) {
    const auto c = run_child(fmt::format("stressapptest -M {} -s 2 -m 2", bytes >> 20));
    // "Stats: Completed: 139616.00M in 5.00s 27919.14MB/s, with 0 hardware incidents, 0 errors"
    const std::size_t at = c ? c->output.find("Completed: ") : std::string::npos;
    double megabytes = 0, seconds = 0, rate = 0;
    if (at != std::string::npos && std::sscanf(c->output.c_str() + at, "Completed: %lfM in %lfs %lfMB/s",
                                               &megabytes, &seconds, &rate) == 3) {
      const double bytes_per_s = rate * (1 << 20);  // its MB are 2^20 bytes (-M 16 is 16 MiB)
      row("stressapptest, 2 s, 2 copy threads", bytes_per_s, t_memcpy,
          static_cast<double>(bytes) / bytes_per_s, "its own copy figure: time to copy the size once");
    } else {
      fmt::print("{:<44} failed: {}\n", "stressapptest", c ? c->output.substr(0, 200) : "could not start");
    }
  } else {
    fmt::print("{:<44} not installed (Debian package stressapptest)\n", "stressapptest");
  }
  return sink == 0xFF ? 0 : 0;
}

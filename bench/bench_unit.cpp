// bench_unit: CPU time per production unit on the simulated board, per step, for a lot of N units.
//
//   bench_unit [UNITS] [PROGRAM]
//
// Baseline in the same run: the bare cost of moving the memory test's bytes (fill + read back of the
// device memory once per pattern as plain memset/memcmp), so the figure says how much the protocol,
// the model and the bookkeeping add on top of the work itself.
#include <chrono>
#include <cstring>
#include <map>
#include <vector>

#include <fmt/core.h>
#include <sys/resource.h>

#include <seedval/exec/handler.h>
#include <seedval/exec/lot.h>

using namespace seedval;

namespace {

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

struct StepTimes final : ResultSink {
  std::map<std::string, double> total;
  std::vector<std::string> order;
  void unit_finished(const UnitRecord& u) override {
    for (const auto& s : u.steps) {
      if (!total.count(s.id)) order.push_back(s.id);
      total[s.id] += s.duration_s;
    }
  }
};

}  // namespace

int main(int argc, char** argv) {
  const int units = argc > 1 ? std::atoi(argv[1]) : 100;
  const std::string program_name = argc > 2 ? argv[2] : std::string(kDefaultProgram);
  const Program program = load_program(program_name);
  auto board = open_board(kDefaultBoard);
  SimHandler handler("BENCH", units);
  StepTimes steps;

  const double cpu0 = cpu_seconds();
  const auto wall0 = std::chrono::steady_clock::now();
  const LotResult lot = run_lot(*board, handler, program, LotOptions{}, {&steps});
  const double cpu = cpu_seconds() - cpu0;
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  const auto n = static_cast<double>(lot.insertions.size());

  // Baseline: 4 patterns x (fill + read back + compare) of 16 MiB with no protocol and no model.
  constexpr std::size_t kBytes = 16u << 20;
  std::vector<std::uint8_t> mem(kBytes), out(kBytes), want(kBytes);
  const double base0 = cpu_seconds();
  volatile int sink = 0;
  for (int i = 0; i < 10; ++i)
    for (std::uint8_t p : {0x00, 0xFF, 0x55, 0xAA}) {
      std::memset(mem.data(), p, kBytes);
      std::memcpy(out.data(), mem.data(), kBytes);
      std::memset(want.data(), p, kBytes);
      sink = sink + std::memcmp(out.data(), want.data(), kBytes);
    }
  const double baseline = (cpu_seconds() - base0) / 10;

  fmt::print("program {} {}, {} units, {} insertions\n", program.name, program.revision, units,
             lot.insertions.size());
  fmt::print("  CPU per insertion      {:8.2f} ms\n", 1e3 * cpu / n);
  fmt::print("  wall per insertion     {:8.2f} ms   ({:.0f} units/hour on one site)\n", 1e3 * wall / n,
             3600 * n / wall);
  fmt::print("  baseline (bare bytes)  {:8.2f} ms   {:.1f}x\n", 1e3 * baseline, cpu / n / baseline);
  fmt::print("  per step (wall, mean):\n");
  for (const auto& id : steps.order) fmt::print("    {:<14} {:8.3f} ms\n", id, 1e3 * steps.total[id] / n);
  return sink == 12345 ? 1 : 0;
}

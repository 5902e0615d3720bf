// bench_python_baseline: the C++ side of bench/bench_python.py, which sets what the Python bindings cost
// beside it. Times, on the in-process simulated board, one register read (by name, as Python's
// read_register("SCRATCH0") does, and by address) and a read of the whole device memory into a
// std::vector allocated once, over several repetitions, and prints the best and the median of each as
// one JSON line (seconds per operation):
//
//   {"register_read_name_s": [best, median], "register_read_addr_s": [...], "memory_read_s": [...], ...}
//
// Usage: bench_python_baseline [REGISTER_READS [MEMORY_READS [REPETITIONS]]]  (defaults 20000 5 7)
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/core.h>

#include <seedval/boards/board.h>
#include <seedval/chip/registers.h>
#include <seedval/device/device.h>

using namespace seedval;

namespace {

/// The best and the median over `reps` timings of `ops` calls of `f`, in seconds per call.
template <typename F>
std::pair<double, double> per_op(F&& f, int ops, int reps) {
  std::vector<double> t;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < ops; ++i) f(i);
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / ops);
  }
  std::sort(t.begin(), t.end());
  return {t.front(), t[t.size() / 2]};
}

}  // namespace

int main(int argc, char** argv) {
  const auto arg = [&](int i, int fallback) { return argc > i ? std::max(1, std::atoi(argv[i])) : fallback; };
  const int reg_reads = arg(1, 20000);
  const int mem_reads = arg(2, 5);
  const int reps = arg(3, 7);

  auto board = open_board("seedchip-sim");
  Device dev(board->connect(), "bench");
  volatile std::uint32_t sink = 0;

  // One register read: the request Python makes, by name (looked up in the register map) and by address.
  constexpr std::string_view kName = "SCRATCH0";
  const auto reg_name = per_op([&](int) { sink = sink + dev.read_register(kName); }, reg_reads, reps);
  const auto reg_addr =
      per_op([&](int) { sink = sink + dev.read_register(chip::reg::SCRATCH0); }, reg_reads, reps);

  // The whole device memory into one buffer allocated once, as read_memory_into fills a numpy array.
  const std::size_t bytes = dev.identify().memory_size;
  std::vector<std::uint8_t> buffer(bytes);
  dev.read_memory(0, std::span(buffer));  // touch the pages once, as Python's preallocated array is
  const auto mem = per_op(
      [&](int i) {
        dev.read_memory(0, std::span(buffer));
        sink = sink + buffer[static_cast<std::size_t>(i) % bytes];
      },
      mem_reads, reps);

  fmt::print(
      "{{\"register_read_name_s\": [{:.6e}, {:.6e}], \"register_read_addr_s\": [{:.6e}, {:.6e}], "
      "\"memory_read_s\": [{:.6e}, {:.6e}], \"memory_bytes\": {}, \"register_reads\": {}, \"memory_reads\": "
      "{}, "
      "\"repetitions\": {}}}\n",
      reg_name.first, reg_name.second, reg_addr.first, reg_addr.second, mem.first, mem.second, bytes,
      reg_reads, mem_reads, reps);
  return sink == 0xFFFFFFFF ? 1 : 0;
}

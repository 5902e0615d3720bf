// What the benchmark programs share: timing a piece of work the way they all report it.
#pragma once

#include <algorithm>
#include <chrono>

namespace seedval::bench {

/// The best of `reps` wall-clock timings of `f`, in seconds: what the machine can do undisturbed.
template <typename F>
double best_seconds(F&& f, int reps) {
  double best = 1e30;
  for (int i = 0; i < reps; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

}  // namespace seedval::bench

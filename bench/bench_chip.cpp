// bench_chip: what the SeedChip model costs, beside memcpy of the same bytes measured in the same run.
//
// Prints:
//   - fault-free bulk write + read of the whole default HBM (16 MiB) through Device -> in-process
//     transport -> chip model, as a ratio of memcpy throughput (target >= 0.5), and the same with the
//     frames' CRCs computed and checked, which the in-process link skips by default;
//   - MBIST March C- over the whole default HBM as one request, in bytes per second and as a multiple of
//     one memcpy pass (target <= 12x: March C- makes 10 passes);
//   - the same MBIST run on a die carrying faults of every class, to show that faults cost only where
//     they are.
// Each figure is the best of several repetitions, which is what the machine can do when undisturbed.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <vector>

#include <fmt/core.h>

#include <seedval/chip/march.h>
#include <seedval/chip/registers.h>
#include <seedval/device/device.h>
#include <seedval/sim/chip_model.h>
#include <seedval/sim/population.h>
#include <seedval/transport/inproc.h>

#include "bench_util.h"

using namespace seedval;
using bench::best_seconds;

namespace {

sim::DieInstance die(const std::string& lot) {
  sim::DieInstance d;
  d.id = chip::DieId{lot, 1, 7, 7};
  d.ecid = chip::encode_ecid(d.id);
  d.harvest_mask = 0x300;
  return d;
}

sim::DieInstance faulty_die(const chip::HbmGeometry& g) {
  sim::DieInstance d = die("FAULTY");
  const std::uint64_t words = g.words();
  auto fault = [&](sim::FaultClass kind, std::uint64_t word, std::uint8_t bit) {
    sim::MemoryFault f;
    f.kind = kind;
    f.victim = {word % words, bit};
    f.aggressor = {(word + 1) % words, static_cast<std::uint8_t>((bit + 7) % 64)};
    f.other_word = (word + 4096) % words;
    f.value = true;
    f.retention_ms = 50;
    f.hammer_threshold = 10000;
    f.fail_below_mv = 1000;
    return f;
  };
  std::uint64_t w = 12345;
  for (int k = 0; k < sim::kFaultClassCount; ++k)
    for (int i = 0; i < 8; ++i, w += 99991)
      d.memory_faults.push_back(fault(static_cast<sim::FaultClass>(k), w, static_cast<std::uint8_t>(i * 8)));
  return d;
}

std::unique_ptr<Device> device_on(sim::DieInstance d,
                                  protocol::Checksum checksum = protocol::Checksum::unnecessary) {
  auto model = std::make_shared<sim::ChipModel>(sim::ChipConfig{}, std::move(d));
  return std::make_unique<Device>(std::make_unique<InprocTransport>(model, "bench", checksum), "bench");
}

}  // namespace

int main() {
  const sim::ChipConfig config;
  const std::size_t bytes = config.memory_size;
  const double mib = static_cast<double>(bytes) / (1u << 20);
  std::vector<std::uint8_t> a(bytes), b(bytes);
  for (std::size_t i = 0; i < bytes; ++i) a[i] = static_cast<std::uint8_t>(i * 131 + 7);
  volatile std::uint8_t sink = 0;

  const double t_memcpy = best_seconds(
      [&] {
        std::memcpy(b.data(), a.data(), bytes);
        sink = sink + b[bytes / 2];
      },
      20);
  fmt::print("{:<52} {:>10} {:>12}\n", fmt::format("operation ({:.0f} MiB)", mib), "MiB/s", "vs memcpy");
  fmt::print("{:<52} {:>10.0f} {:>12}\n", "memcpy (baseline)", mib / t_memcpy, "1.00");

  // write + read move the bytes twice: compare with two memcpy passes.
  auto write_read = [&](Device& device, const char* label, const char* note) {
    std::fill(b.begin(), b.end(), 0);
    const double t = best_seconds(
        [&] {
          device.write_memory(0, std::span<const std::uint8_t>(a));
          device.read_memory(0, std::span(b));
        },
        8);
    if (b != a) fmt::print("ERROR: read back differs from what was written\n");
    fmt::print("{:<52} {:>10.0f} {:>11.2f}x  {}\n", label, 2 * mib / t, 2 * t_memcpy / t, note);
  };
  auto clean = device_on(die("CLEAN"));
  write_read(*clean, "bulk write + read, fault-free, in-process", "(target >= 0.5 of memcpy throughput)");
  auto checked = device_on(die("CLEAN"), protocol::Checksum::computed);
  write_read(*checked, "  the same with CRCs computed and checked", "(as a wire link does)");

  const auto march_c = chip::parse_march("{⇕(w0);⇑(r0,w1);⇑(r1,w0);⇓(r0,w1);⇓(r1,w0);⇕(r0)}", "March C-");
  chip::MarchOptions options;
  options.words = bytes / 8;
  options.background = {.pattern = 0x3333333333333333ull, .invert_mask = 0};
  Device::MbistRun run;
  const double t_mbist = best_seconds([&] { run = clean->run_mbist(march_c, options); }, 5);
  fmt::print("{:<52} {:>10.0f} {:>11.1f}x  time of one memcpy pass (target <= 12x); {} fails\n",
             "MBIST March C- (10N), fault-free", mib / t_mbist, t_mbist / t_memcpy, run.result.fail_count);

  auto faulty = device_on(faulty_die(config.hbm_geometry()));
  faulty->write_register(chip::reg::HBM_REFRESH_CTRL, 0);
  const double t_faulty = best_seconds([&] { run = faulty->run_mbist(march_c, options); }, 5);
  fmt::print("{:<52} {:>10.0f} {:>11.1f}x  time of one memcpy pass; {} fails\n",
             "MBIST March C- (10N), 120 faults of 15 classes", mib / t_faulty, t_faulty / t_memcpy,
             run.result.fail_count);
  return sink == 0xFF ? 0 : 0;
}

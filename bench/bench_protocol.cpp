// bench_protocol: what the protocol costs over the in-process transport.
//
// Prints CRC-32C throughput (hardware path and table path), bulk memory read/write throughput through
// Device -> frames -> chip model, and register round trips per second, each beside a baseline measured
// in the same run: memcpy of the same bytes for the bulk paths.
#include <chrono>
#include <cstring>
#include <vector>

#include <fmt/core.h>

#include <seedval/boards/board.h>
#include <seedval/chip/registers.h>
#include <seedval/device/device.h>
#include <seedval/protocol/crc32c.h>

using namespace seedval;
using Clock = std::chrono::steady_clock;

template <typename F>
double seconds(F&& f, int reps) {
  const auto t0 = Clock::now();
  for (int i = 0; i < reps; ++i) f();
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

int main() {
  constexpr std::size_t kBytes = 16u << 20;
  std::vector<std::uint8_t> a(kBytes, 0x5A), b(kBytes);
  volatile std::uint32_t sink = 0;
  const double gib = static_cast<double>(kBytes) / (1u << 30);

  const double t_memcpy = seconds(
                              [&] {
                                std::memcpy(b.data(), a.data(), kBytes);
                                sink = sink + b[7];
                              },
                              20) /
                          20;
  const double t_crc = seconds([&] { sink = sink + protocol::crc32c(a); }, 20) / 20;
  const double t_crc_sw = seconds([&] { sink = sink + protocol::crc32c_portable(a); }, 5) / 5;
  fmt::print("{:<36} {:>10}\n", "operation (16 MiB)", "GiB/s");
  fmt::print("{:<36} {:>10.2f}   baseline\n", "memcpy", gib / t_memcpy);
  fmt::print("{:<36} {:>10.2f}\n", "crc32c (dispatched)", gib / t_crc);
  fmt::print("{:<36} {:>10.2f}\n", "crc32c (portable table)", gib / t_crc_sw);

  auto board = open_board(kDefaultBoard);
  Device dev(board->connect(), board->info().name);
  const double t_read = seconds([&] { dev.read_memory(0, std::span(b)); }, 10) / 10;
  const double t_write = seconds([&] { dev.write_memory(0, std::span<const std::uint8_t>(a)); }, 10) / 10;
  const double t_fill = seconds([&] { dev.fill_memory(0, kBytes, 0x55AA55AA55AA55AAull); }, 10) / 10;
  fmt::print("{:<36} {:>10.2f}   {:.1f}x memcpy time\n", "device read_memory (256 KiB frames)", gib / t_read,
             t_read / t_memcpy);
  fmt::print("{:<36} {:>10.2f}   {:.1f}x memcpy time\n", "device write_memory (256 KiB frames)",
             gib / t_write, t_write / t_memcpy);
  fmt::print("{:<36} {:>10.2f}   {:.1f}x memcpy time\n", "device fill_memory (on device)", gib / t_fill,
             t_fill / t_memcpy);

  constexpr int kRegs = 20000;
  const double t_reg = seconds([&] { sink = sink + dev.read_register(chip::reg::SCRATCH0); }, kRegs);
  std::vector<protocol::RegisterOp> ops(1000, {protocol::RegisterOp::Kind::read, chip::reg::SCRATCH0, 0});
  const double t_batch = seconds([&] { sink = sink + dev.execute(ops)[0]; }, kRegs / 1000);
  fmt::print("{:<36} {:>10.0f}   ops/s, one frame each\n", "register reads", kRegs / t_reg);
  fmt::print("{:<36} {:>10.0f}   ops/s, 1000 per frame ({:.0f}x)\n", "register reads, batched",
             kRegs / t_batch, t_reg / t_batch);
  return sink == 0xFFFFFFFF ? 1 : 0;
}

// Running a march on a device, two ways, with one interpreter:
//   - on the device's MBIST engine (the production path): the whole algorithm is one request;
//   - host-driven (debug, small regions): chip::run_march on the host, every read and write one request
//     over the transport, so each access can be traced and any board with plain memory access works.
// Same algorithm, region and background give the same fail set either way (tested on the chip model).
//
//   auto run = memory::run_march_on(device, memory::MarchPath::host, library.get("March C-"), options);
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

#include <seedval/chip/march.h>
#include <seedval/device/device.h>

namespace seedval::memory {

enum class MarchPath { mbist, host };
/// "mbist", "host"
std::string_view to_string(MarchPath p) noexcept;
/// Throws InvalidArgumentError for anything but "mbist" or "host".
MarchPath march_path_from_string(std::string_view text);

/// The device's memory as a chip::MarchMemory: read/write are one 8-byte mem_read/mem_write each,
/// wait() holds the device idle. Raw cells need ECC off (the caller's job).
class DeviceMarchMemory final : public chip::MarchMemory {
 public:
  explicit DeviceMarchMemory(Device& device);
  std::uint64_t words() const override { return words_; }
  std::uint64_t read(std::uint64_t word) override;
  void write(std::uint64_t word, std::uint64_t value) override;
  void wait(std::chrono::microseconds duration) override;

 private:
  Device& device_;
  std::uint64_t words_ = 0;
};

struct MarchRun {
  chip::MarchResult result;
  double host_seconds = 0;      ///< wall time on the host
  std::uint64_t device_ns = 0;  ///< MBIST: how long the engine ran; host path: 0
};

/// Runs `algorithm` over options' region with its background on `device`. ⇕ resolves to
/// options.any_order (`any` means up). Throws what the device throws (UnsupportedError for MBIST on a
/// chip without the engine).
MarchRun run_march_on(Device& device, MarchPath path, const chip::MarchAlgorithm& algorithm,
                      chip::MarchOptions options);

}  // namespace seedval::memory

#include <cstring>

#include <fmt/core.h>

#include <seedval/core/error.h>
#include <seedval/memory/march_runner.h>

namespace seedval::memory {

std::string_view to_string(MarchPath p) noexcept {
  return p == MarchPath::mbist ? "mbist" : "host";
}

MarchPath march_path_from_string(std::string_view text) {
  if (text == "mbist") return MarchPath::mbist;
  if (text == "host") return MarchPath::host;
  throw InvalidArgumentError(ErrorCode::invalid_argument,
                             fmt::format("march path \"{}\" is neither \"mbist\" nor \"host\"", text));
}

DeviceMarchMemory::DeviceMarchMemory(Device& device)
    : device_(device), words_(device.memory_geometry().words()) {}

std::uint64_t DeviceMarchMemory::read(std::uint64_t word) {
  std::uint8_t bytes[8];
  device_.read_memory(word * 8, bytes);
  std::uint64_t v = 0;
  std::memcpy(&v, bytes, 8);
  return v;
}

void DeviceMarchMemory::write(std::uint64_t word, std::uint64_t value) {
  std::uint8_t bytes[8];
  std::memcpy(bytes, &value, 8);
  device_.write_memory(word * 8, bytes);
}

void DeviceMarchMemory::wait(std::chrono::microseconds duration) {
  device_.hold(duration);
}

MarchRun run_march_on(Device& device, MarchPath path, const chip::MarchAlgorithm& algorithm,
                      chip::MarchOptions options) {
  if (options.any_order == chip::AddressOrder::any) options.any_order = chip::AddressOrder::up;
  MarchRun run;
  const auto t0 = std::chrono::steady_clock::now();
  if (path == MarchPath::mbist) {
    auto r = device.run_mbist(algorithm, options);
    run.result = std::move(r.result);
    run.device_ns = r.device_ns;
  } else {
    DeviceMarchMemory memory(device);
    run.result = chip::run_march(algorithm, memory, options);
  }
  run.host_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return run;
}

}  // namespace seedval::memory

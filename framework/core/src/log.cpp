#include <atomic>
#include <cstdio>
#include <mutex>

#include <seedval/core/clock.h>
#include <seedval/core/log.h>

namespace seedval::log {
namespace {

std::atomic<Level> g_level{Level::info};

struct SinkHolder {
  std::mutex mutex;
  Sink sink;
};

SinkHolder& holder() {
  static SinkHolder h;
  return h;
}

}  // namespace

std::string_view to_string(Level level) noexcept {
  switch (level) {
    case Level::trace:
      return "trace";
    case Level::debug:
      return "debug";
    case Level::info:
      return "info";
    case Level::warn:
      return "warn";
    case Level::error:
      return "error";
    case Level::off:
      return "off";
  }
  return "?";
}

std::optional<Level> level_from_string(std::string_view name) noexcept {
  for (Level l : {Level::trace, Level::debug, Level::info, Level::warn, Level::error, Level::off})
    if (to_string(l) == name) return l;
  return std::nullopt;
}

void set_level(Level level) noexcept {
  g_level.store(level, std::memory_order_relaxed);
}
Level level() noexcept {
  return g_level.load(std::memory_order_relaxed);
}

void set_sink(Sink sink) {
  auto& h = holder();
  std::lock_guard lock(h.mutex);
  h.sink = std::move(sink);
}

void write(Level level, std::string_view message) {
  auto& h = holder();
  std::lock_guard lock(h.mutex);
  if (h.sink) {
    h.sink(level, message);
    return;
  }
  std::string line = fmt::format("{} {:5} {}\n", iso8601_now(), to_string(level), message);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace seedval::log

// Levelled logging for the library and the tools.
//
//   seedval::log::set_level(seedval::log::Level::debug);
//   seedval::log::info("lot {}: {} units", lot_id, n);
//
// Messages go to one process-wide sink (stderr by default, one line each, with an ISO-8601 time);
// set_sink() routes them elsewhere, e.g. into a test record or a Python callback queue. Formatting is
// skipped entirely when the level is disabled.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/core.h>

namespace seedval::log {

enum class Level { trace = 0, debug, info, warn, error, off };

std::string_view to_string(Level level) noexcept;
/// Parses "trace", "debug", "info", "warn", "error", "off"; nullopt for anything else.
std::optional<Level> level_from_string(std::string_view name) noexcept;

/// Receives every enabled message. Called under a lock: keep it short and never log from inside it.
using Sink = std::function<void(Level, std::string_view message)>;

void set_level(Level level) noexcept;
Level level() noexcept;
inline bool enabled(Level l) noexcept {
  return l >= level() && l != Level::off;
}
/// Replaces the sink; an empty function restores the default stderr sink.
void set_sink(Sink sink);
void write(Level level, std::string_view message);

template <typename... Args>
void emit(Level l, fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(l)) write(l, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void trace(fmt::format_string<Args...> f, Args&&... a) {
  emit(Level::trace, f, std::forward<Args>(a)...);
}
template <typename... Args>
void debug(fmt::format_string<Args...> f, Args&&... a) {
  emit(Level::debug, f, std::forward<Args>(a)...);
}
template <typename... Args>
void info(fmt::format_string<Args...> f, Args&&... a) {
  emit(Level::info, f, std::forward<Args>(a)...);
}
template <typename... Args>
void warn(fmt::format_string<Args...> f, Args&&... a) {
  emit(Level::warn, f, std::forward<Args>(a)...);
}
template <typename... Args>
void error(fmt::format_string<Args...> f, Args&&... a) {
  emit(Level::error, f, std::forward<Args>(a)...);
}

}  // namespace seedval::log

#include <fmt/core.h>

#include <seedval/boards/board.h>
#include <seedval/core/error.h>

#include "registry.h"

namespace seedval {

namespace detail {
BoardRegistry& board_registry() {
  static BoardRegistry r;
  [[maybe_unused]] static const bool built_in = (register_remote_backend(r), register_evb_backend(r), true);
  return r;
}
}  // namespace detail

std::string Board::describe() const {
  return info_.file.empty() ? info_.name : fmt::format("{} ({})", info_.name, info_.file.string());
}

bool register_board_backend(std::string name, std::string description, BoardFactory factory) {
  auto& r = detail::board_registry();
  std::lock_guard lock(r.mutex);
  if (!r.backends.emplace(name, detail::BoardBackend{std::move(description), std::move(factory)}).second)
    throw InternalError(ErrorCode::internal, fmt::format("board backend \"{}\" registered twice", name));
  return true;
}

std::vector<std::string> board_backends() {
  auto& r = detail::board_registry();
  std::lock_guard lock(r.mutex);
  std::vector<std::string> names;
  for (const auto& [name, unused] : r.backends) names.push_back(name);
  return names;
}

}  // namespace seedval

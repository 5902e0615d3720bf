// Internal: the backend registry shared by board.cpp and descriptor.cpp.
#pragma once

#include <map>
#include <mutex>

#include <seedval/boards/backend.h>

namespace seedval::detail {

struct BoardBackend {
  std::string description;
  BoardFactory factory;
};

struct BoardRegistry {
  std::mutex mutex;
  std::map<std::string, BoardBackend, std::less<>> backends;
};

BoardRegistry& board_registry();

}  // namespace seedval::detail

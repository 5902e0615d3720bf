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
/// Adds the built-in "remote" backend (remote.cpp); board_registry() calls it once.
void register_remote_backend(BoardRegistry& r);
/// A remote board named by a zmq+tcp:// or zmq+ipc:// URI (remote.cpp).
std::unique_ptr<Board> open_remote_uri(std::string_view uri);
/// Adds the built-in "seedchip-evb" backend (evb.cpp); board_registry() calls it once.
void register_evb_backend(BoardRegistry& r);
/// An evaluation board named by a usb:VID:PID[:SERIAL] URI (evb.cpp).
std::unique_ptr<Board> open_usb_uri(std::string_view uri);

}  // namespace seedval::detail

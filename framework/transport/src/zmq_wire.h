// Internal: the envelope of agent messages (the first part of every ZeroMQ message between a client and
// the agent), shared by zmq_client.cpp and agent.cpp.
//
// Client to agent, part 0: u8 version, u8 kind, 16-byte client id, then per kind:
//   hello      u32 lease_ms, string board, string holder
//   request    u32 link, u32 timeout_ms            (part 1: one protocol frame)
//   heartbeat  -
//   bye        -
//   insert     string lot, u32 wafer, u32 x, u32 y, u32 insertion
//   list       -
// Agent to client, part 0: u8 version, u8 kind (the request's), u16 status (ErrorCode), then:
//   status != ok  string message (for request: u32 link, u32 sequence first)
//   hello ok      string name, string description, string agent, u8 die_socket, u64 max_frame_payload
//   request ok    u32 link, u32 sequence              (part 1: the response frame)
//   list ok       u32 n, n strings
//   others ok     -
#pragma once

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <zmq.hpp>

#include <seedval/core/error.h>

namespace seedval::zmqwire {

inline constexpr std::uint8_t kVersion = 1;
using ClientId = std::array<std::uint8_t, 16>;

enum class Kind : std::uint8_t { hello = 1, request = 2, heartbeat = 3, bye = 4, insert = 5, list = 6 };

inline std::string hex(const ClientId& id) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s;
  for (auto b : id) {
    s += digits[b >> 4];
    s += digits[b & 15];
  }
  return s;
}

/// zmq::poll that treats a signal arriving meanwhile (EINTR: Ctrl-C, SIGTERM) as "nothing ready": the
/// caller's loop then sees its stop request instead of an error.
inline void poll(zmq::pollitem_t* items, std::size_t n, std::chrono::milliseconds timeout) {
  try {
    zmq::poll(items, n, timeout);
  } catch (const zmq::error_t& e) {
    if (e.num() != EINTR) throw;
    for (std::size_t i = 0; i < n; ++i) items[i].revents = 0;
  }
}

// Messages handed between this process's threads through inproc sockets (the agent's router thread and
// its board workers) pass through libzmq's lock-free pipes, which ThreadSanitizer cannot see: it would
// report the receiver reading what the sender wrote. Sends on such sockets release, and every receive
// acquires, one synchronisation object. Nothing in other builds.
#if defined(__SANITIZE_THREAD__)
extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);
inline char handoff_sync;
inline void handoff_release() {
  __tsan_release(&handoff_sync);
}
inline void handoff_acquire() {
  __tsan_acquire(&handoff_sync);
}
#else
inline void handoff_release() {}
inline void handoff_acquire() {}
#endif

/// socket.send() on a socket whose peer is another thread of this process (see above).
inline void send_to_thread(zmq::socket_t& socket, zmq::message_t&& m, zmq::send_flags flags) {
  handoff_release();
  socket.send(m, flags);
}
inline void send_to_thread(zmq::socket_t& socket, zmq::message_t& m, zmq::send_flags flags) {
  handoff_release();
  socket.send(m, flags);
}

/// Takes one whole multipart message from `socket` without waiting (ZeroMQ delivers the parts of a
/// message together). False when none is waiting.
inline bool receive_message(zmq::socket_t& socket, std::vector<zmq::message_t>& parts) {
  parts.clear();
  for (;;) {
    zmq::message_t m;
    if (!socket.recv(m, zmq::recv_flags::dontwait)) return !parts.empty();
    handoff_acquire();
    const bool more = m.more();
    parts.push_back(std::move(m));
    if (!more) return true;
  }
}

}  // namespace seedval::zmqwire

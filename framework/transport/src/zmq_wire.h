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
#include <cstdint>
#include <string>

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

}  // namespace seedval::zmqwire

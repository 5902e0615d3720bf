// The agent: serves the boards attached to a host to remote orchestrators over ZeroMQ (zmq.h is the
// client). `seedval agent --board B --bind ENDPOINT` runs one.
//
// The agent relays protocol frames between its clients and each board's own link (the in-process chip
// model, a USB evaluation board), so what crosses the network is chip-level operations. One thread
// takes messages on a ROUTER socket and keeps the leases; each board has a worker thread that owns its
// link, so a long operation on one board (an MBIST run, a soak) delays neither heartbeats nor the
// other boards.
//
// Safety rules it keeps:
//   - a board is leased to one client; a second one is refused with the holder named;
//   - a lease expires when its holder has sent nothing for the lease time (it vanished);
//   - a request seen twice (same client, link and sequence) is executed once and answered from a
//     cache; a request still executing is not queued again;
//   - bound off loopback it requires CurveZMQ, and only allowed client keys get through.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include <seedval/core/clock.h>
#include <seedval/transport/transport.h>

namespace seedval {

/// A board as the agent serves it.
struct ServedBoard {
  std::string name;         ///< what clients ask for
  std::string description;  ///< shown to clients, e.g. "seedchip-sim (boards/seedchip-sim.json)"
  /// Opens the board's own link (called again after a die is inserted).
  std::function<std::unique_ptr<Transport>()> connect;
  /// Puts a die into the board's socket (lot, wafer, x, y, insertion); empty for hardware.
  std::function<void(std::string_view lot, int wafer, int x, int y, int insertion)> insert;
};

struct AgentOptions {
  /// Endpoints to bind, e.g. "tcp://127.0.0.1:5555", "tcp://127.0.0.1:*" (a free port: see
  /// Agent::endpoints()), "ipc:///run/seedval/agent". Default: tcp://127.0.0.1:5555.
  std::vector<std::string> bind;
  /// The agent's CurveZMQ secret key (Z85). Required when any endpoint is off loopback.
  std::string curve_secret_key;
  /// Public keys (Z85) of the clients let in when CURVE is on.
  std::vector<std::string> allowed_client_keys;
  /// Longest lease a client may ask for.
  Milliseconds max_lease{600'000};
  /// Where the agent reports leases, refusals and expiries (one line each); default: the log.
  std::function<void(std::string_view)> log;
};

class Agent {
 public:
  /// Binds the endpoints. Throws ConfigError for an endpoint off loopback without CURVE keys, or a
  /// malformed key; TransportError when an endpoint cannot be bound (naming it and why).
  Agent(std::vector<ServedBoard> boards, AgentOptions options);
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  /// The endpoints actually bound (a "*" port resolved), in the order given.
  const std::vector<std::string>& endpoints() const;
  /// The agent's public key when CURVE is on, else empty.
  const std::string& public_key() const;

  /// Serves until `stop` is requested.
  void run(std::stop_token stop);

  struct Stats {
    std::atomic<std::uint64_t> requests{0};    ///< frames relayed to a board
    std::atomic<std::uint64_t> duplicates{0};  ///< requests answered from the cache or dropped as in progress
    std::atomic<std::uint64_t> refused{0};     ///< hellos refused (board leased) and requests without a lease
    std::atomic<std::uint64_t> expired{0};     ///< leases that expired
    std::atomic<std::uint64_t> auth_refused{0};  ///< CURVE clients refused
  };
  const Stats& stats() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace seedval

// A TCP relay between a client and a server on loopback that a test can cut and restore: the network
// between a remote orchestrator and its agent, failing and coming back.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace seedval::testing {

class TcpProxy {
 public:
  /// Listens on a free loopback port and relays each connection to 127.0.0.1:`target_port`.
  explicit TcpProxy(std::uint16_t target_port);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  /// "tcp://127.0.0.1:PORT" of the relay.
  std::string endpoint() const;
  /// The network fails: every relayed connection is closed and new ones are closed on arrival.
  void cut();
  /// The network is back: new connections are relayed again.
  void restore();
  /// Connections relayed so far (a reconnect makes a new one).
  int connections() const { return connections_; }

 private:
  void run();
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::uint16_t target_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<bool> cut_{false};
  std::atomic<int> connections_{0};
  std::vector<std::pair<int, int>> pairs_;  // (client side, server side), owned by run()
  std::thread thread_;
};

}  // namespace seedval::testing

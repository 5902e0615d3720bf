// The transports under test, as one list: every conformance case runs on each (conformance_test.cpp).
//
// A Link is a Device on a clean SeedChip model reached through one transport: in-process, a
// `seedval agent` (served from a thread of the test) over ZeroMQ tcp or ipc, or an emulated evaluation
// board on USB. Endpoints are never fixed: tcp binds port "*", ipc a socket in a fresh temporary folder.
// Each test executable defines conformance_links() and open_link() for the transports it brings
// (transport_links.cpp; usb/usb_links.cpp); open_network_link() serves the in-process and ZeroMQ kinds.
#pragma once

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <seedval/device/device.h>
#include <seedval/protocol/server.h>
#include <seedval/sim/chip_model.h>
#include <seedval/transport/agent.h>
#include <seedval/transport/zmq.h>

#include "support/temp_dir.h"

namespace seedval::testing {

/// Names of the transports every conformance case of this executable runs on.
std::vector<std::string> conformance_links();
/// Whether link `kind` crosses a wire (its calls can be interrupted while a request is out), as
/// every kind but "inproc" does.
inline bool on_a_wire(const std::string& kind) {
  return kind != "inproc";
}

/// The chip model behind a link, with one addition for link tests: a ping whose payload is
/// "sleep N" answers after N milliseconds (a slow device, for timeouts and cancellation).
class SlowPingHandler final : public protocol::RequestHandler {
 public:
  explicit SlowPingHandler(std::shared_ptr<sim::ChipModel> model) : model_(std::move(model)) {}
  void handle(protocol::Opcode op, protocol::PayloadReader& request,
              protocol::PayloadWriter& response) override;

 private:
  std::shared_ptr<sim::ChipModel> model_;
};

/// An agent serving `handler` as board "seedchip-sim", run by a thread until destroyed.
struct ServedAgent {
  ServedAgent(std::shared_ptr<protocol::RequestHandler> handler, AgentOptions options);
  ~ServedAgent();
  std::unique_ptr<Agent> agent;
  std::jthread serving;
  std::string endpoint() const { return agent->endpoints().front(); }
};

struct Link {
  std::string kind;
  std::shared_ptr<sim::ChipModel> model;  // the back door, for checks only
  TempDir dir;
  std::unique_ptr<ServedAgent> served;
  std::shared_ptr<ZmqSession> session;
  std::shared_ptr<void> resources;  // what another kind of link keeps alive (an emulated board)
  std::unique_ptr<Device> device;
  ~Link();
};

/// A Device on a fresh clean die with `memory` bytes of HBM, through transport `kind`.
std::unique_ptr<Link> open_link(const std::string& kind, std::uint64_t memory = 16u << 20);
/// open_link() for "inproc", "zmq-tcp" and "zmq-ipc".
std::unique_ptr<Link> open_network_link(const std::string& kind, std::uint64_t memory);
/// The die every link's model holds: LINK-W02-X030-Y040.
chip::DieId link_die();

}  // namespace seedval::testing

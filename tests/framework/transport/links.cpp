#include "links.h"

#include <chrono>
#include <string_view>

#include <seedval/transport/inproc.h>

#include "support/sim_bench.h"

namespace seedval::testing {

chip::DieId link_die() {
  return {"LINK", 2, 30, 40};
}

void SlowPingHandler::handle(protocol::Opcode op, protocol::PayloadReader& request,
                             protocol::PayloadWriter& response) {
  if (op == protocol::Opcode::ping) {
    const auto data = request.rest();
    const std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
    if (text.starts_with("sleep "))
      std::this_thread::sleep_for(std::chrono::milliseconds(std::stoi(std::string(text.substr(6)))));
    response.bytes(data);
    return;
  }
  model_->handle(op, request, response);
}

ServedAgent::ServedAgent(std::shared_ptr<protocol::RequestHandler> handler, AgentOptions options) {
  ServedBoard board;
  board.name = kSimName;
  board.description = "the chip model of a test";
  board.connect = [handler] { return std::make_unique<InprocTransport>(handler, kSimName); };
  options.log = [](std::string_view) {};
  agent = std::make_unique<Agent>(std::vector<ServedBoard>{std::move(board)}, std::move(options));
  serving = std::jthread([this](std::stop_token stop) { agent->run(stop); });
}

ServedAgent::~ServedAgent() {
  serving.request_stop();
  if (serving.joinable()) serving.join();
  agent.reset();
}

Link::~Link() {
  device.reset();
  session.reset();
  served.reset();
  resources.reset();
}

std::unique_ptr<Link> open_network_link(const std::string& kind, std::uint64_t memory) {
  auto link = std::make_unique<Link>();
  link->kind = kind;
  link->model = chip_model(clean_die(link_die()), memory);
  auto handler = std::make_shared<SlowPingHandler>(link->model);
  if (kind == "inproc") {
    link->device = std::make_unique<Device>(std::make_unique<InprocTransport>(handler, kSimName), kSimName);
    return link;
  }
  AgentOptions options;
  if (kind == "zmq-tcp")
    options.bind = {"tcp://127.0.0.1:*"};
  else if (kind == "zmq-ipc")
    options.bind = {"ipc://" + (link->dir.path() / "agent.sock").string()};
  else
    throw std::invalid_argument("unknown link kind " + kind);
  link->served = std::make_unique<ServedAgent>(handler, options);
  ZmqClientOptions client;
  client.endpoint = link->served->endpoint();
  client.lease = Milliseconds{2000};
  link->session = ZmqSession::open(client);
  link->device = std::make_unique<Device>(link->session->connect(), kSimName);
  return link;
}

}  // namespace seedval::testing

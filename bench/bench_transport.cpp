// bench_transport: remote boards over ZeroMQ beside raw ZeroMQ on the same loopback, in one run:
//   - register-read round trip through the agent vs a raw ZeroMQ request/reply of the same sizes
//     (target <= 1.3x);
//   - register throughput: single reads, one batch frame, and batch frames pipelined vs one at a time;
//   - bulk memory throughput (read and write, 256 KiB frames, pipelined) vs raw ZeroMQ request/reply
//     moving the same bytes one message at a time (target >= 0.7x);
//   - all of it again with CurveZMQ on both sides.
// SEEDVAL_BENCH_PIPELINE_DEPTH=N sets the client's pipeline depth (default 16) to explore it.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <fmt/core.h>
#include <zmq.hpp>

#include <seedval/chip/identity.h>
#include <seedval/chip/registers.h>
#include <seedval/device/device.h>
#include <seedval/protocol/frame.h>
#include <seedval/sim/chip_model.h>
#include <seedval/sim/population.h>
#include <seedval/transport/agent.h>
#include <seedval/transport/inproc.h>
#include <seedval/transport/zmq.h>

#include "bench_util.h"

using namespace seedval;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::uint64_t kMemory = 64u << 20;

double median_us(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// A raw ZeroMQ echo-style server: each request names the size of its reply (u32 at its start).
class RawServer {
 public:
  explicit RawServer(const CurveKeyPair* keys) : socket_(context_, zmq::socket_type::rep) {
    socket_.set(zmq::sockopt::linger, 0);
    if (keys != nullptr) {
      socket_.set(zmq::sockopt::curve_server, 1);
      socket_.set(zmq::sockopt::curve_secretkey, keys->secret_key);
    }
    socket_.bind("tcp://127.0.0.1:*");
    endpoint_ = socket_.get(zmq::sockopt::last_endpoint);
    reply_.resize(8u << 20, 0x5A);
    thread_ = std::jthread([this](std::stop_token stop) {
      while (!stop.stop_requested()) {
        zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
        zmq::poll(&item, 1, std::chrono::milliseconds(50));
        if (!(item.revents & ZMQ_POLLIN)) continue;
        zmq::message_t m;
        (void)socket_.recv(m);
        std::uint32_t size = 0;
        std::memcpy(&size, m.data(), 4);
        socket_.send(zmq::buffer(reply_.data(), std::min<std::size_t>(size, reply_.size())));
      }
    });
  }
  ~RawServer() {
    thread_.request_stop();
    thread_.join();
  }
  const std::string& endpoint() const { return endpoint_; }

 private:
  zmq::context_t context_{1};
  zmq::socket_t socket_;
  std::string endpoint_;
  std::vector<std::uint8_t> reply_;
  std::jthread thread_;
};

class RawClient {
 public:
  RawClient(const std::string& endpoint, const CurveKeyPair* server, const CurveKeyPair* client)
      : socket_(context_, zmq::socket_type::req) {
    socket_.set(zmq::sockopt::linger, 0);
    if (server != nullptr) {
      socket_.set(zmq::sockopt::curve_serverkey, server->public_key);
      socket_.set(zmq::sockopt::curve_publickey, client->public_key);
      socket_.set(zmq::sockopt::curve_secretkey, client->secret_key);
    }
    socket_.connect(endpoint);
  }
  // Sends `request_size` bytes asking for `reply_size` back; returns the bytes received.
  std::size_t round_trip(std::size_t request_size, std::uint32_t reply_size) {
    request_.resize(std::max<std::size_t>(request_size, 4));
    std::memcpy(request_.data(), &reply_size, 4);
    socket_.send(zmq::buffer(request_));
    zmq::message_t m;
    (void)socket_.recv(m);
    received_.assign(static_cast<const std::uint8_t*>(m.data()),
                     static_cast<const std::uint8_t*>(m.data()) + m.size());
    return m.size();
  }

 private:
  zmq::context_t context_{1};
  zmq::socket_t socket_;
  std::vector<std::uint8_t> request_, received_;
};

struct Figures {
  double reg_us = 0, raw_reg_us = 0;
  double single_ops = 0, batch_ops = 0, pipelined_ops = 0, sequential_frames_ops = 0;
  double read_mbs = 0, write_mbs = 0, raw_mbs = 0, read_one_mbs = 0;
};

Figures run(bool curve) {
  Figures f;
  const CurveKeyPair server_keys = curve ? generate_curve_keys() : CurveKeyPair{};
  const CurveKeyPair client_keys = curve ? generate_curve_keys() : CurveKeyPair{};
  sim::DieInstance die;
  die.id = {"BENCH", 1, 1, 1};
  die.ecid = chip::encode_ecid(die.id);
  sim::ChipConfig config;
  config.memory_size = kMemory;
  auto model = std::make_shared<sim::ChipModel>(config, die);
  ServedBoard board;
  board.name = "bench";
  board.connect = [model] { return std::make_unique<InprocTransport>(model, "bench"); };
  AgentOptions options;
  options.bind = {"tcp://127.0.0.1:*"};
  options.log = [](std::string_view) {};
  if (curve) {
    options.curve_secret_key = server_keys.secret_key;
    options.allowed_client_keys = {client_keys.public_key};
  }
  Agent agent({board}, options);
  std::jthread serving([&](std::stop_token stop) { agent.run(stop); });
  ZmqClientOptions client;
  client.endpoint = agent.endpoints().front();
  if (const char* d = std::getenv("SEEDVAL_BENCH_PIPELINE_DEPTH")) client.pipeline_depth = std::stoul(d);
  if (curve) {
    client.server_key = server_keys.public_key;
    client.client_keys = client_keys;
  }
  RawServer raw_server(curve ? &server_keys : nullptr);
  RawClient raw(raw_server.endpoint(), curve ? &server_keys : nullptr, curve ? &client_keys : nullptr);

  constexpr int kTrips = 4000;
  {
    auto session = ZmqSession::open(client);
    Device dev(session->connect(), "bench");
    dev.identify();
    // Round trips, interleaved in rounds so both see the same machine state.
    std::vector<double> ours, theirs;
    const std::size_t request_frame = protocol::kHeaderSize + 4 + protocol::kTrailerSize;
    const std::size_t response_frame = protocol::kHeaderSize + 4 + protocol::kTrailerSize;
    for (int round = 0; round < 8; ++round) {
      auto t0 = Clock::now();
      for (int i = 0; i < kTrips / 8; ++i) (void)dev.read_register(chip::reg::SCRATCH0);
      ours.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / (kTrips / 8));
      t0 = Clock::now();
      for (int i = 0; i < kTrips / 8; ++i) (void)raw.round_trip(request_frame, response_frame);
      theirs.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / (kTrips / 8));
    }
    f.reg_us = median_us(ours);
    f.raw_reg_us = median_us(theirs);
    f.single_ops = 1e6 / f.reg_us;

    std::vector<protocol::RegisterOp> reads(65536,
                                            {protocol::RegisterOp::Kind::read, chip::reg::SCRATCH0, 0});
    f.batch_ops = 65536 / bench::best_seconds([&] { (void)dev.execute(reads); }, 5);
    dev.set_batch_limit(256);  // 256 frames of 256 reads, several in flight
    f.pipelined_ops = 65536 / bench::best_seconds([&] { (void)dev.execute(reads); }, 5);

    std::vector<std::uint8_t> buffer(kMemory);
    for (std::size_t i = 0; i < buffer.size(); ++i) buffer[i] = static_cast<std::uint8_t>(i * 7);
    f.write_mbs = kMemory / 1e6 / bench::best_seconds([&] { dev.write_memory(0, buffer); }, 3);
    f.read_mbs = kMemory / 1e6 / bench::best_seconds([&] { dev.read_memory(0, buffer); }, 3);
    f.raw_mbs = kMemory / 1e6 /
                bench::best_seconds(
                    [&] {
                      for (std::uint64_t done = 0; done < kMemory; done += kMemoryChunk)
                        (void)raw.round_trip(protocol::kHeaderSize + 16 + protocol::kTrailerSize,
                                             static_cast<std::uint32_t>(kMemoryChunk + protocol::kHeaderSize +
                                                                        protocol::kTrailerSize));
                    },
                    3);
  }
  {
    ZmqClientOptions one = client;
    one.pipeline_depth = 1;
    auto session = ZmqSession::open(one);
    Device dev(session->connect(), "bench");
    std::vector<protocol::RegisterOp> reads(65536,
                                            {protocol::RegisterOp::Kind::read, chip::reg::SCRATCH0, 0});
    dev.set_batch_limit(256);
    f.sequential_frames_ops = 65536 / bench::best_seconds([&] { (void)dev.execute(reads); }, 5);
    std::vector<std::uint8_t> buffer(kMemory);
    f.read_one_mbs = kMemory / 1e6 / bench::best_seconds([&] { dev.read_memory(0, buffer); }, 3);
  }
  return f;
}

void print(const char* title, const Figures& f) {
  std::printf("%s\n", title);
  std::printf(
      "  register read round trip   %7.1f us   raw ZeroMQ req/rep of the same sizes %7.1f us   ratio %.2fx "
      "(target <= 1.3x)\n",
      f.reg_us, f.raw_reg_us, f.reg_us / f.raw_reg_us);
  std::printf("  register reads per second: one per round trip %.0f; one batch frame of 65536 %.0f;\n",
              f.single_ops, f.batch_ops);
  std::printf("    256 frames of 256 reads: pipelined %.0f, one frame at a time %.0f (%.1fx)\n",
              f.pipelined_ops, f.sequential_frames_ops, f.pipelined_ops / f.sequential_frames_ops);
  std::printf(
      "  bulk memory, 64 MiB in 256 KiB frames: read %.0f MB/s, write %.0f MB/s; raw ZeroMQ req/rep of 256 "
      "KiB %.0f MB/s\n",
      f.read_mbs, f.write_mbs, f.raw_mbs);
  std::printf("    read/raw %.2fx, write/raw %.2fx (target >= 0.7x); read one frame at a time %.0f MB/s\n",
              f.read_mbs / f.raw_mbs, f.write_mbs / f.raw_mbs, f.read_one_mbs);
}

}  // namespace

int main() {
  std::printf(
      "bench_transport: a remote board over ZeroMQ on loopback (tcp://127.0.0.1), chip model behind a "
      "seedval agent\n\n");
  print("plain (loopback, no CURVE)", run(false));
  std::printf("\n");
  print("CurveZMQ on both sides", run(true));
  return 0;
}

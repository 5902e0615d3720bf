// The agent's own rules: leases (one holder, expiry when the holder vanishes), duplicate suppression,
// CurveZMQ off loopback, and a vanished agent seen by its client as an error, never as a value.
#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <seedval/chip/registers.h>
#include <seedval/core/error.h>
#include <seedval/protocol/frame.h>
#include <seedval/protocol/messages.h>
#include <seedval/transport/faulty.h>

#include "links.h"
#include "support/errors.h"
#include "support/sim_bench.h"
#include "tcp_proxy.h"

namespace seedval {
namespace {

using testing::expect_error;

std::shared_ptr<protocol::RequestHandler> die_handler() {
  return std::make_shared<testing::SlowPingHandler>(
      testing::chip_model(testing::clean_die({"AGENT", 1, 5, 6}), 1u << 20));
}

AgentOptions loopback() {
  AgentOptions o;
  o.bind = {"tcp://127.0.0.1:*"};
  return o;
}

ZmqClientOptions client_of(const testing::ServedAgent& a, std::string holder,
                           Milliseconds lease = Milliseconds{2000}) {
  ZmqClientOptions o;
  o.endpoint = a.endpoint();
  o.holder = std::move(holder);
  o.lease = lease;
  o.connect_timeout = Milliseconds{2000};
  return o;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(agent)

BOOST_AUTO_TEST_CASE(a_leased_board_is_refused_to_a_second_client_with_the_holder_named) {
  testing::ServedAgent a(die_handler(), loopback());
  auto first = ZmqSession::open(client_of(a, "alice@bench-3 pid 11"));
  const auto msg = expect_error<TransportError>([&] { ZmqSession::open(client_of(a, "bob@bench-4 pid 12")); },
                                                ErrorCode::busy);
  CHECK_CONTAINS(msg, "seedchip-sim");
  CHECK_CONTAINS(msg, "leased by alice@bench-3 pid 11");
  BOOST_TEST(a.agent->stats().refused.load() == 1u);
  // Listing the boards needs no lease and shows the holder.
  const auto boards = list_agent_boards(client_of(a, "lister"));
  BOOST_REQUIRE(boards.size() == 1u);
  BOOST_TEST(boards[0] == "seedchip-sim  leased by alice@bench-3 pid 11");
  // The holder's own requests go through; released, the board is free for the next client.
  {
    Device dev(first->connect(), "remote");  // its link keeps the session (and the lease) alive
    BOOST_TEST(dev.read_register(chip::reg::CHIP_ID) == chip::kChipId);
  }
  first.reset();
  auto second = ZmqSession::open(client_of(a, "bob@bench-4 pid 12"));
  Device dev2(second->connect(), "remote");
  BOOST_TEST(dev2.read_register(chip::reg::CHIP_ID) == chip::kChipId);
}

BOOST_AUTO_TEST_CASE(heartbeats_keep_a_lease_and_a_vanished_holder_frees_the_board) {
  testing::ServedAgent a(die_handler(), loopback());
  auto holder = ZmqSession::open(client_of(a, "crashing client", Milliseconds{300}));
  // Idle for several lease times: heartbeats keep it.
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  BOOST_TEST(holder->lease_lost().empty());
  expect_error<TransportError>([&] { ZmqSession::open(client_of(a, "other")); }, ErrorCode::busy);
  // The holder dies without a word: no heartbeat, no release. Within the lease time the board is free.
  holder->vanish();
  const auto start = std::chrono::steady_clock::now();
  std::shared_ptr<ZmqSession> next;
  while (!next && std::chrono::steady_clock::now() - start < std::chrono::seconds(3)) {
    try {
      next = ZmqSession::open(client_of(a, "other"));
    } catch (const Error& e) {
      BOOST_TEST_REQUIRE(e.code() == ErrorCode::busy, e.what());
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  BOOST_REQUIRE(next);
  const auto waited = std::chrono::steady_clock::now() - start;
  BOOST_TEST(waited < std::chrono::milliseconds(900),
             "freed after " << waited / std::chrono::milliseconds(1) << " ms");
  BOOST_TEST(a.agent->stats().expired.load() == 1u);
  Device dev(next->connect(), "remote");
  BOOST_TEST(dev.read_register(chip::reg::CHIP_ID) == chip::kChipId);
}

BOOST_AUTO_TEST_CASE(a_network_outage_shorter_than_the_lease_is_ridden_out_and_a_longer_one_ends_it) {
  testing::ServedAgent a(die_handler(), loopback());
  const auto port = static_cast<std::uint16_t>(std::stoi(a.endpoint().substr(a.endpoint().rfind(':') + 1)));
  testing::TcpProxy network(port);
  ZmqClientOptions o;
  o.endpoint = network.endpoint();
  o.holder = "roaming client";
  o.lease = Milliseconds{2500};
  auto session = ZmqSession::open(o);
  Device dev(session->connect(), "remote");
  dev.write_register(chip::reg::SCRATCH0, 0x600Du);
  DeviceTimeouts t;
  t.base = Milliseconds{4000};
  dev.set_timeouts(t);
  const int before = network.connections();
  network.cut();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  // A request made during the outage waits for the network to come back, within its deadline.
  std::jthread healer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    network.restore();
  });
  BOOST_TEST(dev.read_register(chip::reg::SCRATCH0) == 0x600Du);
  BOOST_TEST(session->lease_lost().empty());
  BOOST_TEST(network.connections() > before, "the client did not reconnect");
  // The lease held through the outage: another client is still refused.
  ZmqClientOptions other;
  other.endpoint = a.endpoint();
  other.holder = "other";
  other.connect_timeout = Milliseconds{2000};
  expect_error<TransportError>([&] { ZmqSession::open(other); }, ErrorCode::busy);
  // An outage longer than the lease ends it, and the holder is told so (never served as if nothing
  // happened: someone else may have had the board meanwhile).
  network.cut();
  std::this_thread::sleep_for(std::chrono::milliseconds(3500));
  network.restore();
  const auto msg = expect_error<TransportError>([&] { (void)dev.read_register(chip::reg::SCRATCH0); },
                                                ErrorCode::transport);
  CHECK_CONTAINS(msg, "lease");
  BOOST_TEST(a.agent->stats().expired.load() == 1u);
}

BOOST_AUTO_TEST_CASE(a_request_that_arrives_twice_is_executed_once) {
  testing::ServedAgent a(die_handler(), loopback());
  auto session = ZmqSession::open(client_of(a, "dup"));
  auto link = session->connect();
  Device dev(session->connect(), "remote");
  const auto before = dev.read_sensors().time_us;
  // A hold is not idempotent: the device's timer shows how often it ran.
  const auto frame = protocol::encode_request(protocol::Opcode::hold, 77,
                                              protocol::encode(protocol::HoldRequest{5000, 0, 1000}));
  link->post(frame, Deadline::after(std::chrono::seconds(2)), {});
  link->post(frame, Deadline::after(std::chrono::seconds(2)), {});  // the network delivered it twice
  std::vector<std::uint8_t> response;
  link->collect(77, response, Deadline::after(std::chrono::seconds(2)), {});
  BOOST_TEST(protocol::decode_frame(response).header.status == ErrorCode::ok);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // let a second execution happen, if any
  const auto after = dev.read_sensors().time_us;
  BOOST_TEST(after - before >= 5000u);
  BOOST_TEST(after - before < 10000u, "the hold ran twice: the timer moved " << after - before << " us");
  BOOST_TEST(a.agent->stats().duplicates.load() == 1u);
}

BOOST_AUTO_TEST_CASE(off_loopback_the_agent_requires_curve) {
  const auto msg = expect_error<ConfigError>(
      [&] {
        AgentOptions o;
        o.bind = {"tcp://0.0.0.0:*"};
        testing::ServedAgent a(die_handler(), o);
      },
      ErrorCode::config);
  CHECK_CONTAINS(msg, "CurveZMQ");
  BOOST_TEST(is_local_endpoint("tcp://127.0.0.1:5555"));
  BOOST_TEST(is_local_endpoint("tcp://[::1]:5555"));
  BOOST_TEST(is_local_endpoint("ipc:///run/x"));
  BOOST_TEST(!is_local_endpoint("tcp://0.0.0.0:5555"));
  BOOST_TEST(!is_local_endpoint("tcp://bench-07:5555"));
}

BOOST_AUTO_TEST_CASE(an_unauthenticated_client_is_refused_off_loopback) {
  const CurveKeyPair server = generate_curve_keys(), allowed = generate_curve_keys(),
                     stranger = generate_curve_keys();
  AgentOptions options;
  options.bind = {"tcp://0.0.0.0:*"};
  options.curve_secret_key = server.secret_key;
  options.allowed_client_keys = {allowed.public_key};
  testing::ServedAgent a(die_handler(), options);
  const std::string port = a.endpoint().substr(a.endpoint().rfind(':'));
  ZmqClientOptions o;
  o.endpoint = "tcp://127.0.0.1" + port;
  o.connect_timeout = Milliseconds{2000};
  // No CURVE at all: the handshake fails and the client says why.
  auto msg = expect_error<TransportError>([&] { ZmqSession::open(o); }, ErrorCode::transport);
  CHECK_CONTAINS(msg, "CurveZMQ");
  // A key the agent does not allow.
  o.server_key = server.public_key;
  o.client_keys = stranger;
  msg = expect_error<TransportError>([&] { ZmqSession::open(o); }, ErrorCode::transport);
  CHECK_CONTAINS(msg, "refused this client's CurveZMQ key");
  BOOST_TEST(a.agent->stats().auth_refused.load() >= 1u);
  // The allowed key gets in, and the frames cross encrypted.
  o.client_keys = allowed;
  auto session = ZmqSession::open(o);
  Device dev(session->connect(), "remote");
  BOOST_TEST(dev.read_register(chip::reg::CHIP_ID) == chip::kChipId);
  const std::vector<std::uint8_t> data(300000, 0x5A);
  dev.write_memory(1000, data);
  BOOST_TEST((dev.read_memory(1000, data.size()) == data));
}

BOOST_AUTO_TEST_CASE(an_agent_that_dies_mid_test_is_an_error_never_a_value) {
  auto a = std::make_unique<testing::ServedAgent>(die_handler(), loopback());
  auto session = ZmqSession::open(client_of(*a, "survivor"));
  Device dev(session->connect(), "remote");
  DeviceTimeouts t;
  t.base = Milliseconds{300};
  dev.set_timeouts(t);
  dev.write_register(chip::reg::SCRATCH0, 42);
  std::jthread killer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    a.reset();
  });
  // Reads go on until the agent is gone: each one returns the right value or throws.
  int errors = 0;
  for (int i = 0; i < 2000 && errors == 0; ++i) {
    try {
      BOOST_TEST_REQUIRE(dev.read_register(chip::reg::SCRATCH0) == 42u);
    } catch (const Error& e) {
      ++errors;
      BOOST_TEST((e.code() == ErrorCode::timeout || e.code() == ErrorCode::transport), e.what());
      CHECK_STARTS_WITH(e.message(), "remote: reg_read");
    }
  }
  BOOST_TEST(errors == 1);
}

BOOST_AUTO_TEST_CASE(faults_on_the_network_never_give_a_wrong_value) {
  testing::ServedAgent a(die_handler(), loopback());
  const LinkFaults schedule{.drop_request = 0.02,
                            .drop_response = 0.02,
                            .corrupt_request = 0.03,
                            .corrupt_response = 0.03,
                            .duplicate_response = 0.03,
                            .reorder = 0.02,
                            .delay = 0.02,
                            .max_delay = Milliseconds{3},
                            .cut = 0.003,
                            .seed = 7};
  FrameFaults faults(schedule);
  auto o = client_of(a, "faulty network");
  o.faults = &faults;
  auto session = ZmqSession::open(o);
  Device dev(session->connect(), "remote");
  DeviceTimeouts t;
  t.base = Milliseconds{20};
  t.per_mib = Milliseconds{40};
  t.retries = 3;
  dev.set_timeouts(t);
  std::mt19937_64 rng(99);
  std::uint32_t scratch = 0;
  std::vector<std::uint8_t> memory(64u << 10, 0);
  const auto resync = [&] {  // after a failed write the device may hold the old or the new value
    faults.set_faults({});
    scratch = dev.read_register(chip::reg::SCRATCH0);
    memory = dev.read_memory(0, memory.size());
    faults.set_faults(schedule);
  };
  resync();
  int ok = 0, errors = 0, wrong = 0;
  for (int i = 0; i < 600; ++i) {
    const int what = static_cast<int>(rng() % 4);
    try {
      if (what == 0) {
        const auto v = static_cast<std::uint32_t>(rng());
        dev.write_register(chip::reg::SCRATCH0, v);
        scratch = v;
      } else if (what == 1) {
        if (dev.read_register(chip::reg::SCRATCH0) != scratch) ++wrong;
      } else if (what == 2) {
        const std::size_t at = rng() % memory.size(), n = 1 + rng() % (memory.size() - at);
        std::vector<std::uint8_t> data(n);
        for (auto& b : data) b = static_cast<std::uint8_t>(rng());
        dev.write_memory(at, data);
        std::copy(data.begin(), data.end(), memory.begin() + static_cast<std::ptrdiff_t>(at));
      } else {
        const std::size_t at = rng() % memory.size(), n = 1 + rng() % (memory.size() - at);
        const auto got = dev.read_memory(at, n);
        if (!std::equal(got.begin(), got.end(), memory.begin() + static_cast<std::ptrdiff_t>(at))) ++wrong;
      }
      ++ok;
    } catch (const Error& e) {
      ++errors;
      BOOST_TEST((e.code() == ErrorCode::timeout || e.code() == ErrorCode::checksum ||
                  e.code() == ErrorCode::protocol || e.code() == ErrorCode::transport),
                 e.what());
      if (what == 0 || what == 2) resync();
    }
  }
  BOOST_TEST_MESSAGE("zmq with faults: " << faults.injected().total() << " faults injected, " << ok
                                         << " ops right, " << errors << " errors, "
                                         << dev.link_stats().retries << " retries");
  BOOST_TEST(wrong == 0, wrong << " wrong values accepted");
  BOOST_TEST(faults.injected().total() > 100u);
  BOOST_TEST(ok > 480);
  BOOST_TEST(dev.link_stats().retries > 0u);
}

BOOST_AUTO_TEST_CASE(uris_name_the_agent_and_the_board) {
  const auto u = parse_zmq_uri("zmq+tcp://bench-07:5555?board=evb-2");
  BOOST_TEST(u.endpoint == "tcp://bench-07:5555");
  BOOST_TEST(u.board == "evb-2");
  BOOST_TEST(parse_zmq_uri("zmq+ipc:///run/seedval/agent").endpoint == "ipc:///run/seedval/agent");
  auto msg = expect_error<ConfigError>([] { parse_zmq_uri("zmq+tcp://bench-07"); }, ErrorCode::config);
  CHECK_CONTAINS(msg, "no port");
  msg = expect_error<ConfigError>([] { parse_zmq_uri("zmq+tcp://h:1?colour=red"); }, ErrorCode::config);
  CHECK_CONTAINS(msg, "unknown parameter \"colour\"");
  // Z85 keys use '&', '?' and '=' too: server_key takes exactly 40 characters.
  std::string key;
  for (int i = 0; i < 10000 && !(key.find('&') != std::string::npos && key.find('?') != std::string::npos);
       ++i)
    key = generate_curve_keys().public_key;
  BOOST_REQUIRE(key.find('&') != std::string::npos);
  const auto k = parse_zmq_uri("zmq+tcp://h:1?server_key=" + key + "&board=b2");
  BOOST_TEST(k.server_key == key);
  BOOST_TEST(k.board == "b2");
  BOOST_TEST(parse_zmq_uri("zmq+tcp://h:1?board=b3&server_key=" + key).server_key == key);
  msg = expect_error<ConfigError>([&] { parse_zmq_uri("zmq+tcp://h:1?server_key=" + key.substr(1)); },
                                  ErrorCode::config);
  CHECK_CONTAINS(msg, "server_key is not a Z85 key");
  msg = expect_error<ConfigError>([] { parse_zmq_uri("zmq+udp://h:1"); }, ErrorCode::config);
  CHECK_CONTAINS(msg, "unknown ZeroMQ transport");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval

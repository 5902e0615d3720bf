// Tests of InprocTransport: it moves frames to a protocol::RequestHandler and back, honours the stop
// token and the deadline, and hands the handler one request at a time.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <seedval/chip/registers.h>
#include <seedval/core/error.h>
#include <seedval/protocol/frame.h>
#include <seedval/protocol/messages.h>
#include <seedval/protocol/server.h>
#include <seedval/transport/inproc.h>

#include "support/errors.h"
#include "support/sim_bench.h"

namespace seedval {
namespace {

using protocol::Opcode;
using testing::expect_error;

// Echoes ping payloads, counts the requests it saw and notices if two ever overlap.
class CountingHandler final : public protocol::RequestHandler {
 public:
  void handle(Opcode op, protocol::PayloadReader& request, protocol::PayloadWriter& response) override {
    if (busy_.exchange(true)) overlapped_ = true;
    ++calls_;
    if (op == Opcode::reg_read) {
      std::this_thread::sleep_for(std::chrono::microseconds(50));  // widen the window for an overlap
      (void)request.u32();
      request.expect_end();
      response.u32(0xC0DEu);
    } else if (op == Opcode::reg_write) {
      busy_ = false;
      throw AddressError(ErrorCode::read_only, "register 0x0000 CHIP_ID is read-only");
    } else if (op == Opcode::identify) {
      busy_ = false;
      throw std::runtime_error("firmware assertion");
    } else {
      response.bytes(request.rest());
    }
    busy_ = false;
  }
  int calls() const { return calls_; }
  bool overlapped() const { return overlapped_; }

 private:
  std::atomic<bool> busy_{false};
  std::atomic<bool> overlapped_{false};
  std::atomic<int> calls_{0};
};

Deadline soon() {
  return Deadline::after(std::chrono::seconds(10));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(inproc_transport)

BOOST_AUTO_TEST_CASE(describe_names_the_link_and_the_device) {
  InprocTransport t(std::make_shared<CountingHandler>(), "bench-3");
  BOOST_TEST(t.describe().rfind("inproc:", 0) == 0u, t.describe());
  BOOST_TEST(t.describe() == "inproc:bench-3");
}

BOOST_AUTO_TEST_CASE(capabilities_allow_full_frames_locally) {
  InprocTransport t(std::make_shared<CountingHandler>(), "x");
  const auto caps = t.capabilities();
  BOOST_TEST(caps.max_frame_payload == protocol::kMaxPayload);
  BOOST_TEST(!caps.remote);
  BOOST_TEST(!caps.hot_plug);
  BOOST_TEST(caps.split_frames);
  BOOST_TEST(caps.checksum_unnecessary, "no medium lies between the ends: CRCs are skipped by default");
  InprocTransport checked(std::make_shared<CountingHandler>(), "x", protocol::Checksum::computed);
  BOOST_TEST(checked.capabilities().split_frames);
  BOOST_TEST(!checked.capabilities().checksum_unnecessary);
}

BOOST_AUTO_TEST_CASE(split_exchanges_honour_stop_and_deadline_like_whole_ones) {
  auto handler = std::make_shared<CountingHandler>();
  InprocTransport t(handler, "x");
  protocol::ReceivedFrame response;
  std::vector<std::uint8_t> head(protocol::kHeaderSize);
  protocol::Header h;
  h.opcode = Opcode::ping;
  const protocol::SplitFrame request{
      head, {}, protocol::seal_split(h, head, {}, protocol::Checksum::unnecessary)};
  std::stop_source stop;
  stop.request_stop();
  expect_error<CancelledError>([&] { t.exchange_split(request, response, soon(), stop.get_token()); },
                               ErrorCode::cancelled);
  expect_error<TimeoutError>(
      [&] { t.exchange_split(request, response, Deadline::after(std::chrono::milliseconds(-1)), {}); },
      ErrorCode::timeout);
  BOOST_TEST(handler->calls() == 0);
  t.exchange_split(request, response, soon(), {});
  BOOST_TEST(handler->calls() == 1);
  BOOST_TEST(protocol::decode_frame(response.bytes).header.sequence == 0u);
}

BOOST_AUTO_TEST_CASE(a_handler_is_required) {
  expect_error<InvalidArgumentError>([] { InprocTransport t(nullptr, "x"); }, ErrorCode::invalid_argument);
}

BOOST_AUTO_TEST_CASE(exchange_returns_the_handlers_response_frame) {
  auto handler = std::make_shared<CountingHandler>();
  InprocTransport t(handler, "x");
  const std::vector<std::uint8_t> payload{1, 2, 3, 4, 5};
  const auto response = t.exchange(protocol::encode_request(Opcode::ping, 77, payload), soon(), {});
  const auto frame = protocol::decode_frame(response);
  BOOST_TEST(frame.header.is_response());
  BOOST_TEST(frame.header.sequence == 77u);
  BOOST_TEST(frame.header.status == ErrorCode::ok);
  BOOST_TEST((std::vector<std::uint8_t>(frame.payload.begin(), frame.payload.end()) == payload));
  BOOST_TEST(handler->calls() == 1);
  // A deadline that never passes is fine too.
  (void)t.exchange(protocol::encode_request(Opcode::ping, 78, payload), Deadline::never(), {});
  BOOST_TEST(handler->calls() == 2);
}

BOOST_AUTO_TEST_CASE(handler_errors_come_back_as_error_frames) {
  auto handler = std::make_shared<CountingHandler>();
  InprocTransport t(handler, "x");
  auto frame_bytes = t.exchange(
      protocol::encode_request(Opcode::reg_write, 5, protocol::encode_reg_write(0, 1)), soon(), {});
  auto frame = protocol::decode_frame(frame_bytes);
  BOOST_TEST(frame.header.status == ErrorCode::read_only);
  BOOST_TEST(std::string(frame.payload.begin(), frame.payload.end()) ==
             "register 0x0000 CHIP_ID is read-only");

  frame_bytes = t.exchange(protocol::encode_request(Opcode::identify, 6, {}), soon(), {});
  frame = protocol::decode_frame(frame_bytes);
  BOOST_TEST(frame.header.status == ErrorCode::internal);
  const std::string text(frame.payload.begin(), frame.payload.end());
  CHECK_CONTAINS(text, "firmware assertion");
}

BOOST_AUTO_TEST_CASE(malformed_request_gets_an_error_frame_not_an_exception) {
  auto handler = std::make_shared<CountingHandler>();
  InprocTransport t(handler, "x");
  auto request = protocol::encode_request(Opcode::ping, 9, std::vector<std::uint8_t>{1, 2});
  request.back() ^= 0x80;  // CRC
  const auto bytes = t.exchange(request, soon(), {});
  const auto frame = protocol::decode_frame(bytes);
  BOOST_TEST(frame.header.status == ErrorCode::checksum);
  BOOST_TEST(frame.header.sequence == 9u);
  BOOST_TEST(handler->calls() == 0, "the handler saw a corrupted request");
}

BOOST_AUTO_TEST_CASE(requested_stop_is_cancelled_error_and_nothing_is_sent) {
  auto handler = std::make_shared<CountingHandler>();
  InprocTransport t(handler, "bench-1");
  std::stop_source source;
  source.request_stop();
  const auto msg = expect_error<CancelledError>(
      [&] { (void)t.exchange(protocol::encode_request(Opcode::ping, 1, {}), soon(), source.get_token()); },
      ErrorCode::cancelled);
  CHECK_CONTAINS(msg, "inproc:bench-1");
  BOOST_TEST(handler->calls() == 0);
}

BOOST_AUTO_TEST_CASE(requested_stop_keeps_a_write_from_the_chip_model) {
  auto model = testing::chip_model(testing::population("inproc"), {"INPR", 1, 2, 3}, 1u << 20);
  InprocTransport t(model, "seedchip-sim");
  std::stop_source source;
  source.request_stop();
  const auto write =
      protocol::encode_request(Opcode::reg_write, 1, protocol::encode_reg_write(chip::reg::SCRATCH0, 99));
  expect_error<CancelledError>([&] { (void)t.exchange(write, soon(), source.get_token()); },
                               ErrorCode::cancelled);
  const auto read = t.exchange(
      protocol::encode_request(Opcode::reg_read, 2, protocol::encode_reg_read(chip::reg::SCRATCH0)), soon(),
      {});
  const auto frame = protocol::decode_frame(read);
  BOOST_REQUIRE(frame.payload.size() == 4u);
  BOOST_TEST(frame.payload[0] == 0u, "the cancelled write reached the model");
}

BOOST_AUTO_TEST_CASE(expired_deadline_is_a_timeout_error_and_nothing_is_sent) {
  auto handler = std::make_shared<CountingHandler>();
  InprocTransport t(handler, "bench-2");
  const Deadline past = Deadline::after(-std::chrono::milliseconds(1));
  BOOST_REQUIRE(past.expired());
  const auto msg = expect_error<TimeoutError>(
      [&] { (void)t.exchange(protocol::encode_request(Opcode::ping, 1, {}), past, {}); }, ErrorCode::timeout);
  CHECK_CONTAINS(msg, "inproc:bench-2");
  CHECK_CONTAINS(msg, "deadline");
  BOOST_TEST(handler->calls() == 0);
  BOOST_CHECK_THROW((void)t.exchange(protocol::encode_request(Opcode::ping, 1, {}), past, {}),
                    TransportError);
}

BOOST_AUTO_TEST_CASE(concurrent_exchanges_reach_the_handler_one_at_a_time) {
  auto handler = std::make_shared<CountingHandler>();
  InprocTransport t(handler, "x");
  constexpr int kThreads = 4, kEach = 200;
  std::atomic<int> bad{0};
  {
    std::vector<std::jthread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&, i] {
        for (int k = 0; k < kEach; ++k) {
          const auto seq = static_cast<std::uint32_t>(i * kEach + k);
          try {
            const auto bytes = t.exchange(
                protocol::encode_request(Opcode::reg_read, seq, protocol::encode_reg_read(0)), soon(), {});
            const auto f = protocol::decode_frame(bytes);
            if (f.header.sequence != seq || f.payload.size() != 4) ++bad;
          } catch (const std::exception&) {
            ++bad;
          }
        }
      });
    }
  }
  BOOST_TEST(bad.load() == 0);
  BOOST_TEST(handler->calls() == kThreads * kEach);
  BOOST_TEST(!handler->overlapped(), "two requests were in the handler at once");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval

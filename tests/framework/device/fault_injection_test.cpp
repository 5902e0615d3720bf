// Faults injected into the transport under a Device talking to the SeedChip model. Whatever the link does
// to a frame, a call either returns the right data or throws the right typed error: never wrong data.
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <seedval/chip/identity.h>
#include <seedval/chip/registers.h>
#include <seedval/core/error.h>
#include <seedval/device/device.h>
#include <seedval/protocol/frame.h>
#include <seedval/protocol/messages.h>

#include "support/errors.h"
#include "support/sim_bench.h"

namespace seedval {
namespace {

using Frame = std::vector<std::uint8_t>;
using testing::expect_error;
using testing::kSimName;

// Test-only decorator: passes frames to the real transport, letting a test corrupt the request on the
// way in, the response on the way out, or fail the exchange outright. Empty hooks do nothing.
class FaultInjectingTransport final : public testing::ForwardingTransport {
 public:
  using ForwardingTransport::ForwardingTransport;

  std::function<void()> fail;                                         ///< throws instead of exchanging
  std::function<void(Frame&)> on_request;                             ///< edits the request before it is sent
  std::function<void(Frame& response, Frame& previous)> on_response;  ///< edits the response

  void exchange_into(std::span<const std::uint8_t> request, std::vector<std::uint8_t>& response,
                     Deadline deadline, std::stop_token stop) override {
    if (fail) fail();
    Frame req(request.begin(), request.end());
    if (on_request) on_request(req);
    Frame resp;
    ForwardingTransport::exchange_into(req, resp, deadline, std::move(stop));
    Frame unchanged = resp;
    if (on_response) on_response(resp, previous_);
    previous_ = std::move(unchanged);
    response = std::move(resp);
  }

  void clear() {
    fail = nullptr;
    on_request = nullptr;
    on_response = nullptr;
  }

 private:
  Frame previous_;
};

struct Bench : testing::SimBench {
  FaultInjectingTransport* link = nullptr;  // borrowed: the device owns it
};

// Retries are off unless a test turns them on: the detection tests see every fault as an error.
Bench make_bench(int retries = 0) {
  Bench b;
  testing::SimBench& sim = b;
  sim = testing::make_sim_bench(
      testing::chip_model(testing::population("device-faults"), {"FAULT", 3, 100, 200}, 4u << 20),
      [&b](std::unique_ptr<Transport> inner) {
        auto link = std::make_unique<FaultInjectingTransport>(std::move(inner));
        b.link = link.get();
        return link;
      });
  DeviceTimeouts t;
  t.retries = retries;
  b.device->set_timeouts(t);
  b.device->identify();  // so later calls do not start with an identify of their own
  return b;
}

void flip_bit(Frame& f, std::size_t bit) {
  f.at(bit / 8) ^= static_cast<std::uint8_t>(1u << (bit % 8));
}

// Decodes a (valid) frame, lets `edit` change its header and payload, and re-encodes it with a correct CRC:
// a frame that is well-formed but wrong.
void rewrite(Frame& f, const std::function<void(protocol::Header&, Frame&)>& edit) {
  const auto view = protocol::decode_frame(f);
  protocol::Header h = view.header;
  Frame payload(view.payload.begin(), view.payload.end());
  edit(h, payload);
  f = protocol::encode_frame(h, payload);
}

// The link works again once the fault is gone: sequence numbers and state stayed in step.
void check_recovers(Bench& b) {
  b.link->clear();
  b.device->write_register(chip::reg::SCRATCH1, 0x5EED0001u);
  BOOST_TEST(b.device->read_register(chip::reg::SCRATCH1) == 0x5EED0001u, "the link did not recover");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(device_fault_injection)

BOOST_AUTO_TEST_CASE(response_bit_flip_is_a_checksum_error) {
  auto b = make_bench();
  b.device->write_register(chip::reg::SCRATCH0, 0x12345678u);
  b.link->on_response = [](Frame& f, Frame&) { flip_bit(f, 8 * protocol::kHeaderSize + 3); };  // in the value
  const auto msg =
      expect_error<ProtocolError>([&] { b.device->read_register(chip::reg::SCRATCH0); }, ErrorCode::checksum);
  CHECK_STARTS_WITH(msg, kSimName + ": reg_read");
  CHECK_CONTAINS(msg, "CRC-32C");
  check_recovers(b);
}

BOOST_AUTO_TEST_CASE(every_single_bit_flip_of_a_response_is_detected) {
  auto b = make_bench();
  b.device->write_register(chip::reg::SCRATCH0, 0x12345678u);
  // A reg_read response: 16-byte header, 4-byte value, 4-byte CRC.
  const std::size_t frame_bits = 8 * (protocol::kHeaderSize + 4 + protocol::kTrailerSize);
  for (std::size_t bit = 0; bit < frame_bits; ++bit) {
    BOOST_TEST_CONTEXT("response bit " << bit << " (byte " << bit / 8 << ")") {
      b.link->on_response = [bit](Frame& f, Frame&) { flip_bit(f, bit); };
      try {
        const auto v = b.device->read_register(chip::reg::SCRATCH0);
        BOOST_ERROR("a corrupted response was accepted, read 0x" << std::hex << v);
      } catch (const ProtocolError& e) {
        // Magic, version and length are checked before the CRC; every other field is covered by it.
        const std::size_t byte = bit / 8;
        const bool framing = byte <= 2 || (byte >= 12 && byte < 16);
        if (!framing) BOOST_TEST(e.code() == ErrorCode::checksum, e.what());
        CHECK_STARTS_WITH(e.message(), kSimName);
      }
    }
  }
  check_recovers(b);
  BOOST_TEST(b.device->read_register(chip::reg::SCRATCH0) == 0x12345678u);
}

BOOST_AUTO_TEST_CASE(bit_flip_in_a_large_memory_response_is_detected) {
  auto b = make_bench();
  b.device->fill_memory(0, 1u << 20, 0x0123456789ABCDEFull);
  b.link->on_response = [](Frame& f, Frame&) {
    flip_bit(f, 8 * (protocol::kHeaderSize + kMemoryChunk - 1000) + 5);
  };
  const auto msg =
      expect_error<ProtocolError>([&] { b.device->read_memory(0, 1u << 20); }, ErrorCode::checksum);
  CHECK_STARTS_WITH(msg, kSimName + ": mem_read");
  check_recovers(b);
}

BOOST_AUTO_TEST_CASE(request_bit_flip_is_rejected_by_the_device) {
  auto b = make_bench();
  b.device->write_register(chip::reg::SCRATCH0, 0x0BADBEEFu);
  // Flip a bit of the value being written: the model must not execute the corrupted write.
  b.link->on_request = [](Frame& f) { flip_bit(f, 8 * (protocol::kHeaderSize + 4)); };
  const auto msg = expect_error<ProtocolError>(
      [&] { b.device->write_register(chip::reg::SCRATCH0, 0xCAFEF00Du); }, ErrorCode::checksum);
  CHECK_STARTS_WITH(msg, kSimName + ": reg_write");
  CHECK_CONTAINS(msg, "device rejected the request");
  check_recovers(b);
  BOOST_TEST(b.device->read_register(chip::reg::SCRATCH0) == 0x0BADBEEFu, "the corrupted write was executed");
}

BOOST_AUTO_TEST_CASE(every_single_bit_flip_of_a_request_is_rejected) {
  auto b = make_bench();
  b.device->write_register(chip::reg::SCRATCH0, 0x0BADBEEFu);
  // A reg_write request: 16-byte header, address and value (8 bytes), 4-byte CRC.
  const std::size_t frame_bits = 8 * (protocol::kHeaderSize + 8 + protocol::kTrailerSize);
  for (std::size_t bit = 0; bit < frame_bits; ++bit) {
    BOOST_TEST_CONTEXT("request bit " << bit << " (byte " << bit / 8 << ")") {
      b.link->on_request = [bit](Frame& f) { flip_bit(f, bit); };
      try {
        b.device->write_register(chip::reg::SCRATCH0, 0xCAFEF00Du);
        BOOST_ERROR("a corrupted request was answered as a success");
      } catch (const ProtocolError& e) {
        const std::size_t byte = bit / 8;
        if (byte >= 8 && byte < 12) {
          CHECK_CONTAINS(e.message(), "sequence");  // the device echoes the sequence it saw
        } else if (byte >= protocol::kHeaderSize) {
          BOOST_TEST(e.code() == ErrorCode::checksum, e.what());
          CHECK_CONTAINS(e.message(), "device rejected the request");
        }
      }
    }
  }
  check_recovers(b);
  BOOST_TEST(b.device->read_register(chip::reg::SCRATCH0) == 0x0BADBEEFu, "a corrupted write was executed");
}

BOOST_AUTO_TEST_CASE(a_damaged_response_to_a_read_is_retried_and_the_value_is_right) {
  auto b = make_bench(2);
  b.device->write_register(chip::reg::SCRATCH0, 0x12345678u);
  int damaged = 0;
  b.link->on_response = [&](Frame& f, Frame&) {
    if (damaged++ < 2) flip_bit(f, 8 * protocol::kHeaderSize + 3);  // twice, then clean
  };
  BOOST_TEST(b.device->read_register(chip::reg::SCRATCH0) == 0x12345678u);
  BOOST_TEST(b.device->link_stats().retries == 2u);
  BOOST_TEST(b.device->link_stats().link_faults == 2u);
  // A third damaged answer in a row exhausts the retries: an error, never a guess.
  damaged = -1;
  expect_error<ProtocolError>([&] { b.device->read_register(chip::reg::SCRATCH0); }, ErrorCode::checksum);
}

BOOST_AUTO_TEST_CASE(a_lost_answer_to_a_register_write_is_not_sent_again) {
  auto b = make_bench(2);
  int writes = 0;
  b.link->on_request = [&](Frame& f) {
    if (f.at(3) == static_cast<std::uint8_t>(protocol::Opcode::reg_write)) ++writes;
  };
  b.link->on_response = [](Frame& f, Frame&) { flip_bit(f, 8 * protocol::kHeaderSize + 1); };
  expect_error<ProtocolError>([&] { b.device->write_register(chip::reg::SCRATCH0, 1); }, ErrorCode::checksum);
  BOOST_TEST(writes == 1, "a write whose answer was damaged went out again");
  BOOST_TEST(b.device->link_stats().retries == 0u);
}

BOOST_AUTO_TEST_CASE(a_write_that_arrived_damaged_is_sent_again) {
  auto b = make_bench(2);
  int damaged = 0;
  b.link->on_request = [&](Frame& f) {
    if (damaged++ == 0) flip_bit(f, 8 * (protocol::kHeaderSize + 4));  // the value: the device refuses it
  };
  b.device->write_register(chip::reg::SCRATCH0, 0xCAFEF00Du);
  b.link->clear();
  BOOST_TEST(b.device->read_register(chip::reg::SCRATCH0) == 0xCAFEF00Du);
  BOOST_TEST(b.device->link_stats().retries == 1u);
}

BOOST_AUTO_TEST_CASE(response_with_another_sequence_number_is_refused) {
  auto b = make_bench();
  b.device->write_register(chip::reg::SCRATCH0, 0x11111111u);
  b.link->on_response = [](Frame& f, Frame&) {
    rewrite(f, [](protocol::Header& h, Frame&) { h.sequence += 1; });
  };
  const auto msg =
      expect_error<ProtocolError>([&] { b.device->read_register(chip::reg::SCRATCH0); }, ErrorCode::protocol);
  CHECK_STARTS_WITH(msg, kSimName);
  CHECK_CONTAINS(msg, "sequence");
  check_recovers(b);
}

BOOST_AUTO_TEST_CASE(replayed_stale_response_is_refused) {
  auto b = make_bench();
  b.device->write_register(chip::reg::SCRATCH0, 0x22222222u);
  (void)b.device->read_register(chip::reg::SCRATCH0);
  b.device->write_register(chip::reg::SCRATCH0, 0x33333333u);
  // Answer the next read with the last response the link carried (the reg_write's): well-formed, but stale.
  b.link->on_response = [](Frame& f, Frame& previous) { f = previous; };
  const auto msg =
      expect_error<ProtocolError>([&] { b.device->read_register(chip::reg::SCRATCH0); }, ErrorCode::protocol);
  CHECK_CONTAINS(msg, "sequence");
  check_recovers(b);
}

BOOST_AUTO_TEST_CASE(response_for_another_opcode_is_refused) {
  auto b = make_bench();
  b.link->on_response = [](Frame& f, Frame&) {
    rewrite(f, [](protocol::Header& h, Frame&) { h.opcode = protocol::Opcode::ping; });
  };
  const auto msg =
      expect_error<ProtocolError>([&] { b.device->read_register(chip::reg::SCRATCH0); }, ErrorCode::protocol);
  CHECK_STARTS_WITH(msg, kSimName);
  CHECK_CONTAINS(msg, "response is for ping");
  check_recovers(b);
}

BOOST_AUTO_TEST_CASE(request_frame_echoed_back_is_refused) {
  auto b = make_bench();
  b.link->on_response = [](Frame& f, Frame&) {
    rewrite(f, [](protocol::Header& h, Frame&) {
      h.flags &= static_cast<std::uint16_t>(~protocol::kFlagResponse);
    });
  };
  const auto msg =
      expect_error<ProtocolError>([&] { b.device->read_register(chip::reg::SCRATCH0); }, ErrorCode::protocol);
  CHECK_CONTAINS(msg, "request frame");
  check_recovers(b);
}

BOOST_AUTO_TEST_CASE(vanished_board_is_a_transport_error_naming_the_device) {
  auto b = make_bench();
  // Transports start their messages with describe(); the device adds only its name and the operation.
  b.link->fail = [] {
    throw TransportError(ErrorCode::transport, "inproc:" + kSimName + ": board vanished");
  };
  const auto msg = expect_error<TransportError>([&] { b.device->read_register(chip::reg::SCRATCH0); },
                                                ErrorCode::transport);
  CHECK_STARTS_WITH(msg, kSimName);
  CHECK_CONTAINS(msg, "vanished");
  CHECK_CONTAINS(msg, "inproc:" + kSimName);  // which link failed
  check_recovers(b);
}

BOOST_AUTO_TEST_CASE(timeout_is_also_a_transport_error) {
  auto b = make_bench();
  b.link->fail = [] { throw TimeoutError(ErrorCode::timeout, "no response within 2000 ms"); };
  const auto msg =
      expect_error<TimeoutError>([&] { b.device->read_register(chip::reg::SCRATCH0); }, ErrorCode::timeout);
  CHECK_STARTS_WITH(msg, kSimName);
  CHECK_CONTAINS(msg, "no response");
  bool caught_as_transport_error = false;
  try {
    b.device->ping(std::vector<std::uint8_t>{1});
  } catch (const TransportError& e) {
    caught_as_transport_error = true;
    BOOST_TEST(e.code() == ErrorCode::timeout);
  }
  BOOST_TEST(caught_as_transport_error);
  check_recovers(b);
}

BOOST_AUTO_TEST_CASE(truncated_response_is_refused) {
  auto b = make_bench();
  b.link->on_response = [](Frame& f, Frame&) { f.pop_back(); };
  auto msg =
      expect_error<ProtocolError>([&] { b.device->read_register(chip::reg::SCRATCH0); }, ErrorCode::protocol);
  CHECK_STARTS_WITH(msg, kSimName);
  CHECK_CONTAINS(msg, "truncated");
  b.link->on_response = [](Frame& f, Frame&) { f.clear(); };  // nothing at all
  msg =
      expect_error<ProtocolError>([&] { b.device->read_register(chip::reg::SCRATCH0); }, ErrorCode::protocol);
  CHECK_CONTAINS(msg, "truncated");
  b.link->on_response = [](Frame& f, Frame&) { f.resize(f.size() / 2); };
  msg = expect_error<ProtocolError>([&] { b.device->read_memory(0, 4096); }, ErrorCode::protocol);
  CHECK_CONTAINS(msg, "truncated");
  check_recovers(b);
}

BOOST_AUTO_TEST_CASE(trailing_bytes_after_the_response_are_refused) {
  auto b = make_bench();
  b.link->on_response = [](Frame& f, Frame&) { f.push_back(0); };
  const auto msg =
      expect_error<ProtocolError>([&] { b.device->read_register(chip::reg::SCRATCH0); }, ErrorCode::protocol);
  CHECK_CONTAINS(msg, "trailing");
  check_recovers(b);
}

BOOST_AUTO_TEST_CASE(short_memory_response_with_a_valid_crc_is_refused) {
  auto b = make_bench();
  b.link->on_response = [](Frame& f, Frame&) {
    rewrite(f, [](protocol::Header&, Frame& p) { p.pop_back(); });
  };
  const auto msg =
      expect_error<ProtocolError>([&] { b.device->read_memory(0x100, 4096); }, ErrorCode::protocol);
  CHECK_STARTS_WITH(msg, kSimName + ": mem_read");
  CHECK_CONTAINS(msg, "4095");
  check_recovers(b);
}

BOOST_AUTO_TEST_CASE(malformed_register_response_with_a_valid_crc_is_refused) {
  auto b = make_bench();
  b.link->on_response = [](Frame& f, Frame&) {
    rewrite(f, [](protocol::Header&, Frame& p) { p.push_back(0); });
  };
  expect_error<ProtocolError>([&] { b.device->read_register(chip::reg::SCRATCH0); }, ErrorCode::protocol);
  b.link->on_response = [](Frame& f, Frame&) {
    rewrite(f, [](protocol::Header&, Frame& p) { p.resize(2); });
  };
  expect_error<ProtocolError>([&] { b.device->read_register(chip::reg::SCRATCH0); }, ErrorCode::protocol);
  b.link->on_response = [](Frame& f, Frame&) {
    rewrite(f, [](protocol::Header&, Frame& p) { p.resize(6); });
  };
  expect_error<ProtocolError>([&] { b.device->execute(std::vector<protocol::RegisterOp>(3)); },
                              ErrorCode::protocol);
  b.link->on_response = [](Frame& f, Frame&) {
    rewrite(f, [](protocol::Header&, Frame& p) { p.resize(10); });
  };
  expect_error<ProtocolError>([&] { b.device->identify(true); }, ErrorCode::protocol);
  check_recovers(b);
}

// device.h: "Every failure is a seedval::Error whose message starts with the device name and the operation".
BOOST_AUTO_TEST_CASE(malformed_response_payload_error_starts_with_the_device_name) {
  auto b = make_bench();
  b.link->on_response = [](Frame& f, Frame&) {
    rewrite(f, [](protocol::Header&, Frame& p) { p.resize(2); });
  };
  auto msg =
      expect_error<ProtocolError>([&] { b.device->read_register(chip::reg::SCRATCH0); }, ErrorCode::protocol);
  CHECK_STARTS_WITH(msg, kSimName);
  b.link->on_response = [](Frame& f, Frame&) {
    rewrite(f, [](protocol::Header&, Frame& p) { p.resize(10); });
  };
  msg = expect_error<ProtocolError>([&] { b.device->identify(true); }, ErrorCode::protocol);
  CHECK_STARTS_WITH(msg, kSimName);
}

BOOST_AUTO_TEST_CASE(random_corruption_never_yields_wrong_data) {
  auto b = make_bench();
  std::mt19937_64 rng(4242);
  const std::vector<std::uint8_t> data = [] {
    std::vector<std::uint8_t> d(4096);
    for (std::size_t i = 0; i < d.size(); ++i) d[i] = static_cast<std::uint8_t>(i * 7 + 1);
    return d;
  }();
  b.device->write_memory(0x2000, data);
  int rejected = 0, intact = 0;
  for (int round = 0; round < 300; ++round) {
    const int flips = 1 + static_cast<int>(rng() % 8);
    std::vector<std::size_t> bits;
    for (int i = 0; i < flips; ++i) bits.push_back(rng());
    b.link->on_response = [bits](Frame& f, Frame&) {
      for (auto bit : bits) flip_bit(f, bit % (8 * f.size()));
    };
    try {
      const auto got = b.device->read_memory(0x2000, data.size());
      // Only possible if the flips cancelled out; then the data must be exactly right.
      BOOST_TEST((got == data), "round " << round << ": a call returned wrong data");
      ++intact;
    } catch (const ProtocolError&) {
      ++rejected;
    }
  }
  BOOST_TEST(rejected > 250);
  BOOST_TEST_MESSAGE(rejected << " corrupted responses rejected, " << intact << " cancelled out");
  check_recovers(b);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval

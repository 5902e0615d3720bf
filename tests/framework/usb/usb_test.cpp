// The USB link's own rules, on emulated boards (the conformance cases run in conformance_test.cpp):
// finding the board by serial and saying what is there when it is not, framing that never relies on
// transfer boundaries, zero-length packets, noise and corruption on the IN pipe, a board that stops
// taking data, unplug in the middle of a request, and the board plugged back.
#include <atomic>
#include <chrono>
#include <mutex>
#include <numeric>
#include <random>
#include <thread>

#include <boost/test/unit_test.hpp>

#include <seedval/boards/board.h>
#include <seedval/chip/identity.h>
#include <seedval/chip/registers.h>
#include <seedval/core/error.h>
#include <seedval/protocol/frame.h>
#include <seedval/protocol/messages.h>
#include <seedval/transport/functionfs.h>
#include <seedval/transport/usb.h>
#include <seedval/transport/usb_function.h>

#include "emulated_board.h"
#include "support/errors.h"
#include "support/sim_bench.h"
#include "support/temp_dir.h"
#include "transport/links.h"
#include "usb_links.h"

namespace seedval {
namespace {

using testing::EmulatedBoard;
using testing::expect_error;
using Clock = std::chrono::steady_clock;

long ms_since(Clock::time_point start) {
  return static_cast<long>(
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count());
}

std::vector<std::uint8_t> text(std::string_view s) {
  return {s.begin(), s.end()};
}

// A board with the model of the die at `die`, and a Device on it over a USB session.
struct UsbBench {
  explicit UsbBench(const chip::DieId& die = testing::link_die(), std::uint64_t memory = 16u << 20,
                    UsbOptions options = {})
      : model(testing::chip_model(testing::clean_die(die), memory)),
        board(std::make_shared<EmulatedBoard>(testing::testbed(),
                                              std::make_shared<testing::SlowPingHandler>(model))) {
    options.address = board->address();
    session = UsbSession::open(options);
    device = std::make_unique<Device>(session->connect(), testing::kSimName);
  }
  ~UsbBench() {
    device.reset();
    session.reset();
  }
  std::shared_ptr<sim::ChipModel> model;
  std::shared_ptr<EmulatedBoard> board;
  std::shared_ptr<UsbSession> session;
  std::unique_ptr<Device> device;
};

UsbOptions options_for(std::string_view uri) {
  UsbOptions o;
  o.address = parse_usb_uri(uri);
  return o;
}

}  // namespace

// These need the emulated boards; against a real board (SEEDVAL_TEST_USB_BOARD) only the conformance
// cases run (--run_test=transport_conformance).
BOOST_AUTO_TEST_SUITE(usb_transport)

BOOST_AUTO_TEST_CASE(usb_uris) {
  const UsbAddress a = parse_usb_uri("usb:1209:5EED:EVB-0042");
  BOOST_TEST(a.vendor_id == 0x1209u);
  BOOST_TEST(a.product_id == 0x5eedu);
  BOOST_TEST(a.serial == "EVB-0042");
  BOOST_TEST(a.to_string() == "usb:1209:5eed:EVB-0042");
  BOOST_TEST(parse_usb_uri("usb:1:2").to_string() == "usb:0001:0002");
  // A serial may hold colons: everything after the product id is the serial.
  BOOST_TEST(parse_usb_uri("usb:1209:5eed:A:B").serial == "A:B");
  CHECK_CONTAINS(expect_error<InvalidArgumentError>([] { (void)parse_usb_uri("usb:1209"); },
                                                    ErrorCode::invalid_argument),
                 "missing the product id");
  CHECK_CONTAINS(expect_error<InvalidArgumentError>([] { (void)parse_usb_uri("usb:12345:1"); },
                                                    ErrorCode::invalid_argument),
                 "vendor id must be 1 to 4 hexadecimal digits, got \"12345\"");
  CHECK_CONTAINS(expect_error<InvalidArgumentError>([] { (void)parse_usb_uri("usb:1209:xyz"); },
                                                    ErrorCode::invalid_argument),
                 "product id must be");
  CHECK_CONTAINS(expect_error<InvalidArgumentError>([] { (void)parse_usb_uri("usb:1209:5eed:"); },
                                                    ErrorCode::invalid_argument),
                 "empty serial");
}

BOOST_AUTO_TEST_CASE(finds_the_board_by_serial_among_several) {
  auto model_a = testing::chip_model(testing::clean_die({"USBA", 1, 10, 11}), 1u << 20);
  auto model_b = testing::chip_model(testing::clean_die({"USBB", 3, 20, 21}), 1u << 20);
  EmulatedBoard a(testing::testbed(), model_a, {.serial = "EVB-A"});
  EmulatedBoard b(testing::testbed(), model_b, {.serial = "EVB-B"});

  const auto all = list_usb_devices();
  int ours = 0;
  for (const auto& d : all)
    if (d.serial == "EVB-A" || d.serial == "EVB-B") {
      ++ours;
      BOOST_TEST(d.vendor_id == 0x1209u);
      BOOST_TEST(d.product == "SeedChip evaluation board");
      BOOST_TEST(d.speed == "high");
    }
  BOOST_TEST(ours == 2);

  auto session = UsbSession::open(options_for("usb:1209:5eed:EVB-B"));
  Device dev(session->connect(), "evb");
  BOOST_TEST(chip::to_string(*dev.identify().die) == "USBB-W03-X020-Y021");
  BOOST_TEST(session->describe() == "usb:1209:5eed:EVB-B");
  BOOST_TEST(dev.transport().describe() == "usb:1209:5eed:EVB-B");
  BOOST_TEST(session->device().serial == "EVB-B");
  BOOST_TEST(dev.transport().capabilities().hot_plug);

  // Without a serial, two matching boards are an error that names both.
  const auto several = expect_error<InvalidArgumentError>(
      [] { (void)UsbSession::open(options_for("usb:1209:5eed")); }, ErrorCode::invalid_argument);
  CHECK_CONTAINS(several, "2 boards match");
  CHECK_CONTAINS(several, "EVB-A");
  CHECK_CONTAINS(several, "EVB-B");
}

BOOST_AUTO_TEST_CASE(an_absent_board_lists_the_boards_present) {
  auto model = testing::chip_model(testing::clean_die(testing::link_die()), 1u << 20);
  EmulatedBoard present(testing::testbed(), model, {.serial = "EVB-HERE"});
  const auto start = Clock::now();
  const auto msg = expect_error<NotFoundError>(
      [] { (void)UsbSession::open(options_for("usb:1209:5eed:EVB-GONE")); }, ErrorCode::not_found);
  CHECK_STARTS_WITH(msg,
                    "usb:1209:5eed:EVB-GONE: no such board on this host; present: 1209:5eed serial EVB-HERE");
  CHECK_CONTAINS(msg, "(SeedChip evaluation board) on bus 1 port 1-");
  BOOST_TEST(ms_since(start) < 1000);
  // Through the board registry as the CLI opens it, and with a wait for the board to arrive.
  CHECK_CONTAINS(
      expect_error<NotFoundError>([] { (void)open_board("usb:1209:5eed:EVB-GONE"); }, ErrorCode::not_found),
      "EVB-HERE");
  testing::TempDir dir;
  const auto file = dir.write(
      "evb.json", R"({"board": "seedchip-evb", "transport": "usb", "serial": "EVB-GONE", "wait_ms": 300})");
  const auto waited = Clock::now();
  CHECK_CONTAINS(expect_error<NotFoundError>([&] { (void)open_board(file.string()); }, ErrorCode::not_found),
                 "(waited 300 ms for it to be plugged in)");
  BOOST_TEST(ms_since(waited) >= 300);
  // A descriptor naming the present board opens it.
  const auto good =
      dir.write("good.json", R"({"board": "seedchip-evb", "transport": "usb", "serial": "EVB-HERE"})");
  auto board = open_board(good.string());
  Device dev(board->connect(), "evb");
  BOOST_TEST(dev.identify().chip_id == chip::kChipId);
  const auto bad =
      dir.write("bad.json", R"({"board": "seedchip-evb", "transport": "usb", "vid": "0x12345"})");
  CHECK_CONTAINS(expect_error<ConfigError>([&] { (void)open_board(bad.string()); }, ErrorCode::config),
                 "vid");
}

BOOST_AUTO_TEST_CASE(frames_never_rely_on_transfer_boundaries) {
  UsbBench bench;
  auto& dev = *bench.device;
  (void)dev.identify();  // before the shaping below holds answers back
  // Three responses sent as one stream cut into 100-byte transfers: a frame spans many transfers and a
  // transfer holds the end of one frame and the start of the next.
  bench.board->shape_in(100, 3);
  std::vector<protocol::RegisterOp> reads(3, protocol::RegisterOp{.address = chip::reg::CHIP_ID});
  dev.set_batch_limit(1);  // three requests, pipelined
  const auto values = dev.execute(reads);
  for (const auto& v : values) BOOST_TEST(v == chip::kChipId);
  BOOST_TEST(dev.link_stats().pipelined >= 2u);  // the second and third went while the first was out
  // Large frames in 4 KiB pieces: 1 MiB written and read back.
  bench.board->shape_in(4096, 1);
  std::vector<std::uint8_t> data(1u << 20);
  std::mt19937 rng(7);
  for (auto& b : data) b = static_cast<std::uint8_t>(rng());
  dev.write_memory(4096, data);
  BOOST_TEST((dev.read_memory(4096, data.size()) == data));
  BOOST_TEST(bench.session->stats().skipped_bytes == 0u);
}

BOOST_AUTO_TEST_CASE(zero_length_packets_end_frames_that_fill_their_last_packet) {
  UsbBench bench;
  auto& dev = *bench.device;
  // A ping frame of 16 + n + 4 bytes fills whole 512-byte packets when n = 1004 (two packets).
  const std::vector<std::uint8_t> payload(1024 - protocol::kHeaderSize - protocol::kTrailerSize, 0x5A);
  BOOST_TEST(dev.ping(payload) == payload);
  BOOST_TEST(bench.board->zero_length_packets() >= 1u);
  // The ZLP completes the next IN transfer, just after the response: give it a moment.
  for (int i = 0; i < 100 && bench.session->stats().zero_length_packets_in == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  BOOST_TEST(bench.session->stats().zero_length_packets_in >= 1u);
  BOOST_TEST(dev.ping(text("after")) == text("after"));
}

BOOST_AUTO_TEST_CASE(noise_on_the_in_pipe_is_skipped_to_the_next_frame) {
  UsbBench bench;
  auto& dev = *bench.device;
  bench.board->send_raw({0x00, 0x01, 0xED, 0x00, 0x42, 0x5E, 0x17});  // not a frame (a lone 0xED included)
  BOOST_TEST(dev.read_register(chip::reg::CHIP_ID) == chip::kChipId);
  BOOST_TEST(bench.session->stats().skipped_bytes == 7u);
}

BOOST_AUTO_TEST_CASE(corruption_on_the_in_pipe_is_never_accepted) {
  UsbBench bench;
  auto& dev = *bench.device;
  DeviceTimeouts t;
  t.base = Milliseconds{100};  // a frame whose header was hit costs one timeout
  t.per_mib = Milliseconds{0};
  t.retries = 3;
  dev.set_timeouts(t);
  // A third of the bursts, at random, have one bit flipped somewhere: in a header it costs the frame
  // (timeout, retry); in a payload the CRC catches it (retry).
  std::mt19937 rng(11);
  std::atomic<int> flipped{0};  // counted on the board's thread
  bench.board->set_in_filter([&](std::vector<std::uint8_t>& bytes) {
    if (rng() % 3 != 0) return;
    bytes[rng() % bytes.size()] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
    ++flipped;
  });
  int wrong = 0, errors = 0;
  for (std::uint32_t i = 0; i < 90; ++i) {
    const std::uint64_t address = (i % 16) * 4096;
    std::vector<std::uint8_t> data(300 + i, static_cast<std::uint8_t>(i));
    try {
      dev.write_memory(address, data);
      if (dev.read_memory(address, data.size()) != data) ++wrong;
    } catch (const Error&) {
      ++errors;  // a clean error is allowed; a wrong value is not
    }
  }
  BOOST_TEST_MESSAGE("usb corruption: " << flipped << " bursts damaged, " << dev.link_stats().retries
                                        << " retries, " << errors << " errors, 0 wrong expected: " << wrong);
  BOOST_TEST(flipped > 40);
  BOOST_TEST(wrong == 0);
  BOOST_TEST(dev.link_stats().retries > 0u);
}

BOOST_AUTO_TEST_CASE(a_board_that_stops_taking_data_times_out_and_the_stream_is_reset) {
  UsbBench bench;
  auto& dev = *bench.device;
  DeviceTimeouts t;
  t.base = Milliseconds{200};
  t.retries = 0;
  dev.set_timeouts(t);
  const auto resets = bench.session->stats().stream_resets;
  bench.board->usb().set_accept_out(false);
  const auto start = Clock::now();
  const auto msg =
      expect_error<TimeoutError>([&] { dev.write_register(chip::reg::SCRATCH0, 5); }, ErrorCode::timeout);
  CHECK_CONTAINS(msg, "did not take the request (0 of ");
  BOOST_TEST(ms_since(start) < 1000);
  bench.board->usb().set_accept_out(true);
  // Nothing was sent, so the stream is still on a frame boundary: no reset needed, the link goes on.
  BOOST_TEST(bench.session->stats().stream_resets == resets);
  BOOST_TEST(dev.read_register(chip::reg::SCRATCH0) == 0u);
  dev.write_register(chip::reg::SCRATCH0, 6);
  BOOST_TEST(dev.read_register(chip::reg::SCRATCH0) == 6u);
}

BOOST_AUTO_TEST_CASE(a_request_abandoned_half_sent_resets_the_stream) {
  UsbOptions small_transfers;
  small_transfers.transfer_size = 64 << 10;
  UsbBench bench(testing::link_die(), 16u << 20, small_transfers);
  auto& dev = *bench.device;
  // A 1 MiB write goes out in 64 KiB transfers; the board stops taking data after the first ones, so
  // the request is abandoned half sent and the board holds a partial frame.
  std::vector<std::uint8_t> data(1u << 20, 0xA5);
  std::jthread stall([&] {
    while (bench.board->usb().stats().out_urbs == 0)
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    bench.board->usb().set_accept_out(false);
  });
  DeviceTimeouts t;
  t.base = Milliseconds{300};
  t.per_mib = Milliseconds{0};
  t.retries = 0;
  dev.set_timeouts(t);
  const auto resets = bench.session->stats().stream_resets;
  const auto sent_before = bench.board->usb().stats().out_bytes;
  try {
    dev.write_memory(0, data);
    BOOST_TEST_MESSAGE("the write completed before the board stalled; nothing to check");
  } catch (const TimeoutError& e) {
    stall.join();
    const auto sent = bench.board->usb().stats().out_bytes - sent_before;
    BOOST_TEST_MESSAGE("abandoned after " << sent << " bytes: " << e.what());
    BOOST_TEST(sent > 0u);
    BOOST_TEST(bench.session->stats().stream_resets == resets + 1);
    BOOST_TEST(bench.board->stream().stats().resets >= 2u);  // at open, and now
  }
  if (stall.joinable()) stall.join();
  bench.board->usb().set_accept_out(true);
  t.base = Milliseconds{2000};
  dev.set_timeouts(t);
  // Both ends are back on a frame boundary.
  BOOST_TEST(dev.read_register(chip::reg::CHIP_ID) == chip::kChipId);
  dev.write_memory(0, std::vector<std::uint8_t>(4096, 0x3C));
  BOOST_TEST((dev.read_memory(0, 4096) == std::vector<std::uint8_t>(4096, 0x3C)));
}

BOOST_AUTO_TEST_CASE(a_late_answer_is_dropped_not_taken_for_the_next) {
  UsbBench bench;
  auto& dev = *bench.device;
  DeviceTimeouts t;
  t.base = Milliseconds{100};
  t.retries = 0;
  dev.set_timeouts(t);
  expect_error<TimeoutError>([&] { (void)dev.ping(text("sleep 300")); }, ErrorCode::timeout);
  std::this_thread::sleep_for(std::chrono::milliseconds(350));
  t.base = Milliseconds{2000};
  dev.set_timeouts(t);
  BOOST_TEST(dev.ping(text("fresh")) == text("fresh"));
  BOOST_TEST(bench.session->stats().late_responses == 1u);
}

BOOST_AUTO_TEST_CASE(unplug_mid_request_fails_at_once_and_the_board_comes_back) {
  UsbBench bench;
  auto& dev = *bench.device;
  dev.write_register(chip::reg::SCRATCH1, 0x77);
  std::jthread unplugger([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    bench.board->usb().unplug();
  });
  const auto start = Clock::now();
  const auto msg =
      expect_error<TransportError>([&] { (void)dev.ping(text("sleep 3000")); }, ErrorCode::transport);
  const long took = ms_since(start);
  CHECK_CONTAINS(msg, "was unplugged (it was on bus 1 port 1-");
  BOOST_TEST(took < 1500, "the unplug was noticed after " << took << " ms");
  unplugger.join();
  // Every later call fails at once too, never as a pass.
  const auto again = Clock::now();
  CHECK_CONTAINS(expect_error<TransportError>([&] { (void)dev.read_register(chip::reg::CHIP_ID); },
                                              ErrorCode::transport),
                 "unplugged");
  BOOST_TEST(ms_since(again) < 100);
  BOOST_TEST(!bench.session->present());

  // Plugged back: a new link finds it again (hot-plug arrival ends the wait).
  std::jthread replugger([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    bench.board->usb().replug();
  });
  UsbOptions wait;
  wait.address = bench.board->address();
  wait.timeouts.arrival = Milliseconds{5000};
  {
    auto waiting = UsbSession::open(wait);
    replugger.join();
    Device back(waiting->connect(), "evb");
    BOOST_TEST(back.read_register(chip::reg::SCRATCH1) == 0x77u,
               "the board kept its state across the replug");
  }  // released: one program holds the board's interface at a time
  // The first session reconnects too, and its old link stays dead.
  Device reconnected(bench.session->connect(), "evb");
  BOOST_TEST(reconnected.identify().chip_id == chip::kChipId);
  CHECK_CONTAINS(expect_error<TransportError>([&] { (void)dev.read_register(chip::reg::CHIP_ID); },
                                              ErrorCode::transport),
                 "closed when a newer one was opened");
}

BOOST_AUTO_TEST_CASE(one_program_holds_the_board_at_a_time) {
  UsbBench bench;
  const auto msg = expect_error<TransportError>(
      [&] { (void)UsbSession::open(options_for(bench.board->uri())); }, ErrorCode::busy);
  CHECK_CONTAINS(msg, bench.board->uri() + ": interface 0 is claimed by another program");
  BOOST_TEST(bench.device->read_register(chip::reg::CHIP_ID) == chip::kChipId);
  // Released when the holder closes it.
  bench.device.reset();
  bench.session.reset();
  auto next = UsbSession::open(options_for(bench.board->uri()));
  Device dev(next->connect(), "evb");
  BOOST_TEST(dev.read_register(chip::reg::CHIP_ID) == chip::kChipId);
}

BOOST_AUTO_TEST_CASE(a_new_link_ends_the_previous_one) {
  UsbBench bench;
  auto second = bench.session->connect();
  Device dev2(std::move(second), "evb");
  BOOST_TEST(dev2.read_register(chip::reg::CHIP_ID) == chip::kChipId);
  CHECK_CONTAINS(expect_error<TransportError>([&] { (void)bench.device->read_register(chip::reg::CHIP_ID); },
                                              ErrorCode::transport),
                 "this link was closed when a newer one was opened");
}

// The board's end of the stream, alone: frames fed in pieces of every size with noise between them are
// all served, in order; reset() drops a partial frame.
BOOST_AUTO_TEST_CASE(the_board_end_finds_frames_in_any_pieces_and_skips_noise) {
  auto model = testing::chip_model(testing::clean_die(testing::link_die()), 1u << 20);
  std::mutex mutex;
  std::vector<std::uint32_t> answered;
  usb::UsbFunctionStream stream(std::make_shared<testing::SlowPingHandler>(model),
                                [&](std::vector<std::uint8_t> r) {
                                  const auto frame = protocol::decode_frame(r);
                                  std::lock_guard lock(mutex);
                                  answered.push_back(frame.header.sequence);
                                });
  std::vector<std::uint8_t> bytes;
  const std::vector<std::uint8_t> noise{0xED, 0x00, 0x5E, 0xED, 0xED, 0x01};
  for (std::uint32_t seq = 1; seq <= 20; ++seq) {
    const auto frame =
        protocol::encode_request(protocol::Opcode::ping, seq, std::vector<std::uint8_t>(seq * 37, 0x11));
    bytes.insert(bytes.end(), frame.begin(), frame.end());
    if (seq % 5 == 0 && seq < 20) bytes.insert(bytes.end(), noise.begin(), noise.end());  // between frames
  }
  for (std::size_t at = 0, piece = 1; at < bytes.size(); at += piece, piece = piece % 97 + 1)
    stream.feed(std::span<const std::uint8_t>(bytes).subspan(at, std::min(piece, bytes.size() - at)));
  stream.drain();
  std::vector<std::uint32_t> expected(20);
  std::iota(expected.begin(), expected.end(), 1u);
  {
    std::lock_guard lock(mutex);
    BOOST_TEST(answered == expected, boost::test_tools::per_element());
  }
  BOOST_TEST(stream.stats().skipped_bytes == 3u * noise.size());
  // Half a frame, then the reset-stream request: the next frame is served, the half is gone.
  const auto half = protocol::encode_request(protocol::Opcode::ping, 98, std::vector<std::uint8_t>(100, 1));
  stream.feed(std::span<const std::uint8_t>(half).first(60));
  stream.reset();
  const auto whole = protocol::encode_request(protocol::Opcode::ping, 99, {});
  stream.feed(whole);
  stream.drain();
  std::lock_guard lock(mutex);
  BOOST_TEST(answered.back() == 99u);
  BOOST_TEST(answered.size() == 21u);
  BOOST_TEST(stream.stats().skipped_bytes == 3u * noise.size());
}

// The gadget's descriptor blob, walked independently of the code that writes it: what the kernel and
// then every host will see of the board.
BOOST_AUTO_TEST_CASE(the_gadget_describes_the_board_interface_at_every_speed) {
  const auto d = usb::functionfs_descriptors();
  const auto u32 = [&](std::size_t at) {
    return static_cast<std::uint32_t>(d[at] | d[at + 1] << 8 | d[at + 2] << 16 |
                                      static_cast<std::uint32_t>(d[at + 3]) << 24);
  };
  BOOST_REQUIRE(d.size() > 24u);
  BOOST_TEST(u32(0) == 3u);  // FUNCTIONFS_DESCRIPTORS_MAGIC_V2
  BOOST_TEST(u32(4) == d.size());
  BOOST_TEST(u32(8) == 7u);  // full, high and super speed descriptors
  const std::uint32_t counts[3] = {u32(12), u32(16), u32(20)};
  std::size_t at = 24;
  const std::uint16_t packet[3] = {64, 512, 1024};
  for (int speed = 0; speed < 3; ++speed) {
    int interfaces = 0, bulk_in = 0, bulk_out = 0;
    for (std::uint32_t i = 0; i < counts[speed]; ++i) {
      BOOST_REQUIRE(at + 2 <= d.size());
      const std::uint8_t length = d[at], type = d[at + 1];
      BOOST_REQUIRE(length >= 2u);
      BOOST_REQUIRE(at + length <= d.size());
      if (type == 4) {  // interface
        ++interfaces;
        BOOST_TEST(d[at + 4] == 2u);  // endpoints
        BOOST_TEST(d[at + 5] == usb::kInterfaceClass);
        BOOST_TEST(d[at + 6] == usb::kInterfaceSubclass);
        BOOST_TEST(d[at + 7] == usb::kInterfaceProtocol);
      } else if (type == 5) {  // endpoint
        BOOST_TEST((d[at + 3] & 3) == 2, "endpoint is not bulk");
        BOOST_TEST((d[at + 4] | d[at + 5] << 8) == packet[speed]);
        ((d[at + 2] & 0x80) != 0 ? bulk_in : bulk_out)++;
      } else {
        BOOST_TEST(type == 0x30u, "unexpected descriptor type " << int{type});  // SS endpoint companion
        BOOST_TEST(speed == 2);
      }
      at += length;
    }
    BOOST_TEST(interfaces == 1);
    BOOST_TEST(bulk_in == 1);
    BOOST_TEST(bulk_out == 1);
  }
  BOOST_TEST(at == d.size());
  const auto strings = usb::functionfs_strings("SeedChip link");
  BOOST_TEST(strings.size() == 16u + 2u + 14u);  // header, language, the name and its NUL
  BOOST_TEST(std::string(strings.end() - 14, strings.end() - 1) == "SeedChip link");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval

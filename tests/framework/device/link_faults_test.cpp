// Seeded link faults (FaultyTransport, FrameFaults) under a Device talking to the SeedChip model. Each
// fault kind does what it says, the schedule is reproducible from its seed, a stop ends a wait for a lost
// answer promptly, and thousands of faults of every kind at once never get a wrong value accepted.
#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <seedval/chip/registers.h>
#include <seedval/core/clock.h>
#include <seedval/core/error.h>
#include <seedval/device/device.h>
#include <seedval/protocol/frame.h>
#include <seedval/protocol/messages.h>
#include <seedval/transport/faulty.h>

#include "support/errors.h"
#include "support/sim_bench.h"

namespace seedval {
namespace {

using Frame = std::vector<std::uint8_t>;
using protocol::Opcode;
using protocol::RegisterOp;
using testing::expect_error;
using testing::kSimName;

constexpr std::uint64_t kMemorySize = 4u << 20;
constexpr std::array<std::uint32_t, 2> kScratch{chip::reg::SCRATCH0, chip::reg::SCRATCH1};
const std::string kLinkName = "faulty:inproc:" + kSimName;

// Short enough that thousands of lost answers cost seconds (every call under 1 MiB waits base + per_mib),
// long enough for the largest frame here and the longest injected delay, even under a sanitizer.
constexpr DeviceTimeouts kShortTimeouts{.base = Milliseconds{4}, .per_mib = Milliseconds{8}, .retries = 3};

// Sits between the faulty link and the chip model and sees what the device really received: requests
// that arrived intact and were answered with success, by opcode, and non-idempotent requests executed
// more than once (the same sequence number answered twice with success).
class ExecutionCounter final : public testing::ForwardingTransport {
 public:
  using ForwardingTransport::ForwardingTransport;

  void exchange_into(std::span<const std::uint8_t> request, std::vector<std::uint8_t>& response,
                     Deadline deadline, std::stop_token stop) override {
    ForwardingTransport::exchange_into(request, response, deadline, std::move(stop));
    try {
      const auto req = protocol::decode_frame(request);
      if (protocol::decode_frame(response).header.status != ErrorCode::ok) return;
      ++executed[req.header.opcode];
      if (!protocol::is_idempotent(req.header.opcode) && !sequences_.insert(req.header.sequence).second)
        ++repeated_non_idempotent;
    } catch (const Error&) {
      // A damaged request: the device refused it and executed nothing.
    }
  }

  std::map<Opcode, std::uint64_t> executed;
  std::uint64_t repeated_non_idempotent = 0;

 private:
  std::set<std::uint32_t> sequences_;
};

struct Bench : testing::SimBench {
  FaultyTransport* link = nullptr;          // borrowed: the device owns it
  ExecutionCounter* device_side = nullptr;  // borrowed: the faulty link owns it
};

// A bench whose link starts healthy; tests set the faults they need once the identity is cached.
Bench make_bench(DeviceTimeouts timeouts = kShortTimeouts) {
  Bench b;
  testing::SimBench& sim = b;
  sim = testing::make_sim_bench(testing::chip_model(testing::clean_die({"LINK", 7, 21, 42}), kMemorySize),
                                [&b](std::unique_ptr<Transport> inner) {
                                  auto counter = std::make_unique<ExecutionCounter>(std::move(inner));
                                  b.device_side = counter.get();
                                  auto link =
                                      std::make_unique<FaultyTransport>(std::move(counter), LinkFaults{});
                                  b.link = link.get();
                                  return link;
                                });
  b.device->set_timeouts(timeouts);
  b.device->identify();  // so later calls do not start with an identify of their own
  return b;
}

bool is_link_error(ErrorCode code) {
  return code == ErrorCode::timeout || code == ErrorCode::checksum || code == ErrorCode::protocol ||
         code == ErrorCode::transport;
}

std::string describe(const InjectedFaults& f) {
  std::ostringstream s;
  s << f.total() << " faults: " << f.dropped_requests << " requests dropped, " << f.dropped_responses
    << " responses dropped, " << f.corrupted_requests << " requests corrupted, " << f.corrupted_responses
    << " responses corrupted, " << f.duplicated_responses << " duplicated, " << f.reordered_responses
    << " reordered, " << f.delays << " delayed, " << f.cuts << " cuts (" << f.cut_exchanges
    << " exchanges refused)";
  return s.str();
}

// One call through FrameFaults, recorded so that two engines can be compared decision by decision.
std::vector<Frame> drive(FrameFaults& faults, const Frame& frame, int step) {
  std::vector<Frame> record;
  record.push_back(
      {static_cast<std::uint8_t>(faults.cut()), static_cast<std::uint8_t>(faults.delay().count())});
  for (auto& f : (step % 2 == 0 ? faults.on_request(frame) : faults.on_response(frame))) record.push_back(f);
  record.push_back({0xFF});  // separates calls
  return record;
}

Frame test_frame(std::uint32_t sequence, std::size_t payload) {
  Frame data(payload);
  for (std::size_t i = 0; i < payload; ++i) data[i] = static_cast<std::uint8_t>(i * 13 + sequence);
  return protocol::encode_request(Opcode::ping, sequence, data);
}

std::size_t bits_different(const Frame& a, const Frame& b) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    n += static_cast<std::size_t>(std::popcount(static_cast<std::uint8_t>(a[i] ^ b[i])));
  return n;
}

// ---------------------------------------------------------------------------------------------------------
// The soak: every fault kind at once, against a shadow of what the device must hold.

// What the device must hold: the scratch registers, all of memory, and its identity.
struct Shadow {
  std::array<std::uint32_t, kScratch.size()> regs{};
  std::vector<std::uint8_t> memory;
  Identity identity;
};

struct SoakFigures {
  std::uint64_t ops = 0;
  std::uint64_t successes = 0;
  std::uint64_t accepted_corruptions = 0;  // a call returned a value the device does not hold
  std::uint64_t corrupted_state = 0;       // after a failed write, the device held neither old nor new
  std::uint64_t resyncs = 0;
  std::uint64_t bytes_moved = 0;
  std::uint64_t repeated_non_idempotent = 0;
  std::map<ErrorCode, std::uint64_t> errors;
  std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> by_op;  // attempts, successes
  InjectedFaults injected;
  LinkStats link;

  void add(const SoakFigures& o) {
    ops += o.ops;
    successes += o.successes;
    accepted_corruptions += o.accepted_corruptions;
    corrupted_state += o.corrupted_state;
    resyncs += o.resyncs;
    bytes_moved += o.bytes_moved;
    repeated_non_idempotent += o.repeated_non_idempotent;
    for (const auto& [code, n] : o.errors) errors[code] += n;
    for (const auto& [op, n] : o.by_op) {
      by_op[op].first += n.first;
      by_op[op].second += n.second;
    }
    injected.dropped_requests += o.injected.dropped_requests;
    injected.dropped_responses += o.injected.dropped_responses;
    injected.corrupted_requests += o.injected.corrupted_requests;
    injected.corrupted_responses += o.injected.corrupted_responses;
    injected.duplicated_responses += o.injected.duplicated_responses;
    injected.reordered_responses += o.injected.reordered_responses;
    injected.delays += o.injected.delays;
    injected.cuts += o.injected.cuts;
    injected.cut_exchanges += o.injected.cut_exchanges;
    link.requests += o.link.requests;
    link.retries += o.link.retries;
    link.link_faults += o.link.link_faults;
  }

  std::string summary() const {
    std::ostringstream s;
    s << ops << " operations, " << successes << " succeeded, " << bytes_moved / 1024 << " KiB moved;";
    for (const auto& [op, n] : by_op) s << " " << op << " " << n.second << "/" << n.first;
    s << "\n  errors:";
    for (const auto& [code, n] : errors) s << " " << to_string(code) << " " << n;
    s << "\n  injected: " << describe(injected);
    s << "\n  link: " << link.requests << " requests, " << link.retries << " retries, " << link.link_faults
      << " link faults; " << resyncs << " resyncs after failed writes; " << repeated_non_idempotent
      << " non-idempotent requests executed twice";
    s << "\n  accepted corruptions " << accepted_corruptions << ", corrupted state " << corrupted_state;
    return s.str();
  }
};

class Soak {
 public:
  Soak(std::uint64_t seed, const LinkFaults& schedule)
      : rng_(seed * 0x9E3779B97F4A7C15ull + 1), schedule_(schedule) {
    schedule_.seed = seed;
    // Known contents everywhere, written over a healthy link.
    shadow_.memory.resize(kMemorySize);
    for (auto& byte : shadow_.memory) byte = static_cast<std::uint8_t>(rng_());
    bench_.device->write_memory(0, shadow_.memory);
    for (std::size_t r = 0; r < kScratch.size(); ++r) {
      shadow_.regs[r] = static_cast<std::uint32_t>(rng_());
      bench_.device->write_register(kScratch[r], shadow_.regs[r]);
    }
    shadow_.identity = bench_.device->identify();
    stats_before_ = bench_.device->link_stats();
    bench_.link->set_faults(schedule_);
  }

  SoakFigures run(int operations) {
    for (int i = 0; i < operations; ++i) one_operation();
    figures_.injected = bench_.link->injected();
    const LinkStats& now = bench_.device->link_stats();
    figures_.link = {now.requests - stats_before_.requests, now.retries - stats_before_.retries, 0,
                     now.link_faults - stats_before_.link_faults};
    figures_.repeated_non_idempotent = bench_.device_side->repeated_non_idempotent;
    return figures_;
  }

 private:
  std::uint64_t below(std::uint64_t n) { return rng_() % n; }

  // Sizes spread evenly over orders of magnitude, 1 byte to 600 KiB, and any address that fits.
  std::pair<std::uint64_t, std::size_t> memory_range() {
    const double u = static_cast<double>(rng_() >> 11) * 0x1.0p-53;
    const auto size =
        std::max<std::size_t>(1, static_cast<std::size_t>(std::exp(u * std::log(600.0 * 1024))));
    return {below(kMemorySize - size + 1), size};
  }

  void one_operation() {
    ++figures_.ops;
    const std::uint64_t pick = below(100);
    if (pick < 20)
      write_register();
    else if (pick < 40)
      read_register();
    else if (pick < 55)
      write_memory();
    else if (pick < 75)
      read_memory();
    else if (pick < 95)
      execute_batch();
    else
      identify();
  }

  // Runs `op`; true if it returned. A failure must be a link error; it is counted by code.
  template <typename F>
  bool attempt(const char* name, F&& op) {
    auto& counts = figures_.by_op[name];
    ++counts.first;
    try {
      op();
    } catch (const Error& e) {
      ++figures_.errors[e.code()];
      BOOST_TEST(is_link_error(e.code()),
                 "a link fault surfaced as " << to_string(e.code()) << ": " << e.what());
      return false;
    }
    ++counts.second;
    ++figures_.successes;
    return true;
  }

  void accepted_corruption(const std::string& what) {
    if (figures_.accepted_corruptions++ < 10) BOOST_ERROR("a corrupted value was accepted: " << what);
  }

  void write_register() {
    const std::size_t r = below(kScratch.size());
    const auto value = static_cast<std::uint32_t>(rng_());
    const auto before = shadow_.regs;
    if (attempt("reg_write", [&] { bench_.device->write_register(kScratch[r], value); })) {
      shadow_.regs[r] = value;
      return;
    }
    auto after = before;
    after[r] = value;
    resync_registers(before, after);
  }

  void read_register() {
    const std::size_t r = below(kScratch.size());
    std::uint32_t got = 0;
    if (attempt("reg_read", [&] { got = bench_.device->read_register(kScratch[r]); }) &&
        got != shadow_.regs[r])
      accepted_corruption(fmt_reg(r, got));
  }

  std::string fmt_reg(std::size_t r, std::uint32_t got) const {
    std::ostringstream s;
    s << "SCRATCH" << r << " read 0x" << std::hex << got << ", the device holds 0x" << shadow_.regs[r];
    return s.str();
  }

  void write_memory() {
    const auto [address, size] = memory_range();
    Frame data(size);
    for (auto& byte : data) byte = static_cast<std::uint8_t>(rng_());
    if (attempt("mem_write", [&] { bench_.device->write_memory(address, data); })) {
      std::copy(data.begin(), data.end(), shadow_.memory.begin() + static_cast<std::ptrdiff_t>(address));
      figures_.bytes_moved += size;
      return;
    }
    resync_memory(address, data);
  }

  void read_memory() {
    const auto [address, size] = memory_range();
    Frame got;
    if (!attempt("mem_read", [&] { got = bench_.device->read_memory(address, size); })) return;
    figures_.bytes_moved += size;
    const auto expected = shadow_.memory.begin() + static_cast<std::ptrdiff_t>(address);
    if (!std::equal(got.begin(), got.end(), expected, expected + static_cast<std::ptrdiff_t>(size))) {
      const auto at = std::mismatch(got.begin(), got.end(), expected).first - got.begin();
      std::ostringstream s;
      s << "mem_read 0x" << std::hex << address << "+" << std::dec << size << " differs at byte " << at;
      accepted_corruption(s.str());
    }
  }

  void execute_batch() {
    std::vector<RegisterOp> ops(1 + below(12));
    auto state = shadow_.regs;
    std::vector<std::uint32_t> expected;
    for (auto& op : ops) {
      const std::size_t r = below(kScratch.size());
      op.address = kScratch[r];
      if (below(2) == 0) {
        op.kind = RegisterOp::Kind::read;
        expected.push_back(state[r]);
      } else {
        op.kind = RegisterOp::Kind::write;
        op.value = static_cast<std::uint32_t>(rng_());
        state[r] = op.value;
        expected.push_back(op.value);
      }
    }
    std::vector<std::uint32_t> got;
    if (attempt("reg_batch", [&] { got = bench_.device->execute(ops); })) {
      if (got != expected)
        accepted_corruption("a register batch returned other values than the device holds");
      shadow_.regs = state;
      return;
    }
    resync_registers(shadow_.regs, state);
  }

  void identify() {
    Identity got;
    if (!attempt("identify", [&] { got = bench_.device->identify(true); })) return;
    const Identity& want = shadow_.identity;
    if (got.chip_id != want.chip_id || got.revision != want.revision || got.ecid != want.ecid ||
        got.capabilities != want.capabilities || got.memory_size != want.memory_size ||
        got.model != want.model)
      accepted_corruption("identify returned another identity");
  }

  // After a failed write the device holds either what it held before or what the write meant to leave
  // (the request was lost or refused, or it executed and its answer was lost). Anything else means it
  // executed a corrupted request. The check reads over a healed link, then the faults resume with a new
  // seed drawn from this run's.
  template <typename F>
  void healed(F&& f) {
    ++figures_.resyncs;
    bench_.link->set_faults({});
    f();
    schedule_.seed = rng_();
    bench_.link->set_faults(schedule_);
  }

  // A read over the healed link; a cut under way lasts a few more exchanges and a damaged frame left on
  // the wire may still be taken, so it tries a few times.
  template <typename F>
  void read_healed(F&& read) {
    for (int tries = 1;; ++tries) {
      try {
        read();
        return;
      } catch (const Error& e) {
        if (tries > schedule_.cut_exchanges + 2)
          BOOST_FAIL("a read over the healed link failed: " << e.what());
      }
    }
  }

  void resync_registers(const std::array<std::uint32_t, kScratch.size()>& before,
                        const std::array<std::uint32_t, kScratch.size()>& after) {
    healed([&] {
      std::array<std::uint32_t, kScratch.size()> now{};
      for (std::size_t r = 0; r < kScratch.size(); ++r)
        read_healed([&] { now[r] = bench_.device->read_register(kScratch[r]); });
      if (now != before && now != after && figures_.corrupted_state++ < 10)
        BOOST_ERROR("after a failed register write the device holds neither the old nor the new values");
      shadow_.regs = now;
    });
  }

  // Memory moves in frames of kMemoryChunk bytes, in order: after a failed write, a leading run of chunks
  // holds the new data and the rest the old.
  void resync_memory(std::uint64_t address, const Frame& data) {
    healed([&] {
      Frame now;
      read_healed([&] { now = bench_.device->read_memory(address, data.size()); });
      const auto old = shadow_.memory.begin() + static_cast<std::ptrdiff_t>(address);
      std::size_t chunk = 0;
      const auto same = [&](auto first, std::size_t at, std::size_t n) {
        return std::equal(now.begin() + static_cast<std::ptrdiff_t>(at),
                          now.begin() + static_cast<std::ptrdiff_t>(at + n),
                          first + static_cast<std::ptrdiff_t>(at));
      };
      for (; chunk * kMemoryChunk < data.size(); ++chunk) {
        const std::size_t at = chunk * kMemoryChunk, n = std::min(kMemoryChunk, data.size() - at);
        if (!same(data.begin(), at, n)) break;
      }
      for (; chunk * kMemoryChunk < data.size(); ++chunk) {
        const std::size_t at = chunk * kMemoryChunk, n = std::min(kMemoryChunk, data.size() - at);
        if (!same(old, at, n) && figures_.corrupted_state++ < 10)
          BOOST_ERROR("after a failed mem_write 0x" << std::hex << address << "+" << std::dec << data.size()
                                                    << " chunk " << chunk
                                                    << " holds neither old nor new data");
      }
      std::copy(now.begin(), now.end(), old);
    });
  }

  std::mt19937_64 rng_;
  LinkFaults schedule_;
  Bench bench_ = make_bench();
  Shadow shadow_;
  SoakFigures figures_;
  LinkStats stats_before_;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(link_faults)

// ---------------------------------------------------------------------------------------------------------
// The engine and the decorator on their own.

BOOST_AUTO_TEST_CASE(frame_faults_are_deterministic_for_a_seed) {
  const LinkFaults schedule{.drop_request = 0.3,
                            .drop_response = 0.3,
                            .corrupt_request = 0.3,
                            .corrupt_response = 0.3,
                            .duplicate_response = 0.3,
                            .reorder = 0.3,
                            .delay = 0.3,
                            .cut = 0.05,
                            .seed = 42};
  const auto run = [](FrameFaults& faults, int steps) {
    std::vector<Frame> record;
    for (int step = 0; step < steps; ++step)
      for (auto& f : drive(faults, test_frame(static_cast<std::uint32_t>(step), 1 + step % 97), step))
        record.push_back(std::move(f));
    return record;
  };
  FrameFaults a(schedule), b(schedule);
  const auto first = run(a, 2000);
  BOOST_TEST((first == run(b, 2000)), "the same seed gave another schedule");
  BOOST_TEST(a.injected().total() == b.injected().total());
  BOOST_TEST(a.injected().total() > 2000u);
  BOOST_TEST(a.injected().cuts > 0u);

  LinkFaults other = schedule;
  other.seed = 43;
  FrameFaults c(other);
  BOOST_TEST((run(c, 2000) != first), "another seed gave the same schedule");

  // A schedule set mid-run starts over from its seed (a frame held back by the old one aside: run long
  // enough past it to compare).
  c.set_faults(LinkFaults{});
  run(c, 10);
  c.set_faults(schedule);
  FrameFaults fresh(schedule);
  BOOST_TEST((run(c, 2000) == run(fresh, 2000)), "set_faults did not restart the schedule from its seed");
  BOOST_TEST_MESSAGE("seed 42, 2000 calls: " << describe(a.injected()));
}

BOOST_AUTO_TEST_CASE(a_healthy_schedule_passes_every_frame_unchanged) {
  FrameFaults faults(LinkFaults{.seed = 5});
  for (std::uint32_t i = 0; i < 200; ++i) {
    const Frame f = test_frame(i, i);
    BOOST_TEST(!faults.cut());
    BOOST_TEST(faults.delay().count() == 0);
    const auto out = faults.on_request(f);
    BOOST_TEST_REQUIRE(out.size() == 1u);
    BOOST_TEST((out[0] == f));
    const auto back = faults.on_response(f);
    BOOST_TEST_REQUIRE(back.size() == 1u);
    BOOST_TEST((back[0] == f));
  }
  BOOST_TEST(faults.injected().total() == 0u);
}

BOOST_AUTO_TEST_CASE(each_kind_does_what_it_says_to_frames) {
  const Frame f1 = test_frame(1, 40), f2 = test_frame(2, 40);
  {
    FrameFaults drop(LinkFaults{.drop_request = 1, .drop_response = 1});
    BOOST_TEST(drop.on_request(f1).empty());
    BOOST_TEST(drop.on_response(f1).empty());
    BOOST_TEST(drop.injected().dropped_requests == 1u);
    BOOST_TEST(drop.injected().dropped_responses == 1u);
  }
  {
    FrameFaults damage(LinkFaults{.corrupt_request = 1, .corrupt_response = 1, .seed = 3});
    for (int i = 0; i < 500; ++i) {
      const auto out = i % 2 ? damage.on_request(f1) : damage.on_response(f1);
      BOOST_TEST_REQUIRE(out.size() == 1u);
      BOOST_TEST_REQUIRE(out[0].size() == f1.size());
      const std::size_t flipped = bits_different(out[0], f1);
      BOOST_TEST((flipped >= 1 && flipped <= 3), flipped << " bits flipped");
    }
    BOOST_TEST(damage.injected().corrupted_requests == 250u);
    BOOST_TEST(damage.injected().corrupted_responses == 250u);
  }
  {
    FrameFaults twice(LinkFaults{.duplicate_response = 1});
    const auto out = twice.on_response(f1);
    BOOST_TEST_REQUIRE(out.size() == 2u);
    BOOST_TEST((out[0] == f1 && out[1] == f1));
    BOOST_TEST(twice.on_request(f1).size() == 1u);  // requests are never duplicated
  }
  {
    FrameFaults reorder(LinkFaults{.reorder = 1});
    BOOST_TEST(reorder.on_response(f1).empty());  // held back
    const auto out = reorder.on_response(f2);     // arrives after the next one
    BOOST_TEST_REQUIRE(out.size() == 2u);
    BOOST_TEST((out[0] == f2 && out[1] == f1));
    BOOST_TEST(reorder.injected().reordered_responses == 1u);
    BOOST_TEST(reorder.on_response(f1).empty());  // held again...
    reorder.set_faults(LinkFaults{.drop_response = 1});
    BOOST_TEST(reorder.on_response(f2).empty());  // ...the next one is lost, so it waits on
    reorder.set_faults(LinkFaults{});
    const auto late = reorder.on_response(f2);
    BOOST_TEST_REQUIRE(late.size() == 2u);
    BOOST_TEST((late[0] == f2 && late[1] == f1));
  }
  {
    FrameFaults slow(LinkFaults{.delay = 1, .max_delay = Milliseconds{7}, .seed = 9});
    std::set<Milliseconds::rep> seen;
    for (int i = 0; i < 300; ++i) {
      const auto d = slow.delay().count();
      BOOST_TEST((d >= 1 && d <= 7), d << " ms");
      seen.insert(d);
    }
    BOOST_TEST(seen.size() == 7u, "not every delay from 1 to 7 ms was drawn");
    BOOST_TEST(slow.injected().delays == 300u);
  }
  {
    FrameFaults cut(LinkFaults{.cut = 1, .cut_exchanges = 4});
    BOOST_TEST(cut.cut());
    cut.set_faults(LinkFaults{});  // the cut under way lasts out its exchanges
    for (int i = 0; i < 3; ++i) BOOST_TEST(cut.cut());
    BOOST_TEST(!cut.cut());
    BOOST_TEST(cut.injected().cuts == 1u);
    BOOST_TEST(cut.injected().cut_exchanges == 4u);
    BOOST_TEST(cut.injected().total() == 1u);
  }
}

BOOST_AUTO_TEST_CASE(invalid_schedules_are_refused) {
  BOOST_CHECK_EXCEPTION(FrameFaults(LinkFaults{.drop_request = 1.5}), InvalidArgumentError,
                        testing::error_with(ErrorCode::invalid_argument, "drop_request"));
  BOOST_CHECK_EXCEPTION(FrameFaults(LinkFaults{.reorder = std::nan("")}), InvalidArgumentError,
                        testing::error_with(ErrorCode::invalid_argument, "reorder"));
  BOOST_CHECK_EXCEPTION(FrameFaults(LinkFaults{.cut = -0.1}), InvalidArgumentError,
                        testing::error_with(ErrorCode::invalid_argument, "cut"));
  BOOST_CHECK_EXCEPTION(FrameFaults(LinkFaults{.max_delay = Milliseconds{-1}}), InvalidArgumentError,
                        testing::error_with(ErrorCode::invalid_argument, "max_delay"));
  BOOST_CHECK_EXCEPTION(FrameFaults(LinkFaults{.cut_exchanges = 0}), InvalidArgumentError,
                        testing::error_with(ErrorCode::invalid_argument, "cut_exchanges"));
  FrameFaults kept(LinkFaults{.drop_request = 1});
  BOOST_CHECK_THROW(kept.set_faults(LinkFaults{.corrupt_response = 2}), InvalidArgumentError);
  BOOST_TEST(kept.faults().drop_request == 1.0, "a refused schedule replaced the old one");
  BOOST_CHECK_EXCEPTION(FaultyTransport(nullptr, LinkFaults{}), InvalidArgumentError,
                        testing::error_with(ErrorCode::invalid_argument, "faulty transport"));
}

BOOST_AUTO_TEST_CASE(the_decorator_names_the_link_and_sends_whole_frames) {
  auto b = make_bench();
  BOOST_TEST(b.link->describe() == kLinkName);
  const auto caps = b.link->capabilities();
  const auto inner = testing::inproc_link(b.model)->capabilities();
  BOOST_TEST(!caps.split_frames);
  BOOST_TEST(!caps.checksum_unnecessary);
  BOOST_TEST(caps.pipeline_depth == 1u);
  BOOST_TEST(caps.max_frame_payload == inner.max_frame_payload);
  BOOST_TEST(caps.remote == inner.remote);
  // A bulk transfer goes whole through the faults, and over a healthy link arrives intact.
  Frame data(700 * 1024 + 3);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * 31 + 7);
  b.device->write_memory(0x1235, data);
  BOOST_TEST((b.device->read_memory(0x1235, data.size()) == data));
  BOOST_TEST(b.device->link_stats().retries == 0u);
  BOOST_TEST(b.link->discarded_frames() == 0u);
}

// ---------------------------------------------------------------------------------------------------------
// One kind at a time, under a Device.

BOOST_AUTO_TEST_CASE(a_dropped_request_is_a_timeout_and_never_reaches_the_device) {
  auto b = make_bench();
  b.device->write_register(chip::reg::SCRATCH0, 0x0BADBEEFu);
  b.link->set_faults({.drop_request = 1});
  const auto msg = expect_error<TimeoutError>(
      [&] { b.device->write_register(chip::reg::SCRATCH0, 0xCAFEF00Du); }, ErrorCode::timeout);
  CHECK_STARTS_WITH(msg, kSimName + ": reg_write");
  CHECK_CONTAINS(msg, kLinkName + ": no response");
  BOOST_TEST(b.device_side->executed[Opcode::reg_write] == 1u);  // the first, healthy write only
  BOOST_TEST(b.link->injected().dropped_requests == 1u, "a register write was sent again");
  // A read is sent again, and again lost, until the retries run out.
  expect_error<TimeoutError>([&] { b.device->read_register(chip::reg::SCRATCH0); }, ErrorCode::timeout);
  BOOST_TEST(b.link->injected().dropped_requests == 1u + 1u + kShortTimeouts.retries);
  b.link->set_faults({});
  BOOST_TEST(b.device->read_register(chip::reg::SCRATCH0) == 0x0BADBEEFu, "a dropped write took effect");
}

BOOST_AUTO_TEST_CASE(a_dropped_response_is_a_timeout_but_the_request_executed) {
  auto b = make_bench();
  b.device->write_register(chip::reg::SCRATCH1, 1);
  b.link->set_faults({.drop_response = 1});
  const auto msg = expect_error<TimeoutError>([&] { b.device->write_register(chip::reg::SCRATCH1, 2); },
                                              ErrorCode::timeout);
  CHECK_CONTAINS(msg, "no response");
  BOOST_TEST(b.device_side->executed[Opcode::reg_write] == 2u);  // executed once, never sent again
  b.link->set_faults({});
  BOOST_TEST(b.device->read_register(chip::reg::SCRATCH1) == 2u);
}

BOOST_AUTO_TEST_CASE(a_corrupted_request_never_changes_a_register) {
  auto b = make_bench();
  b.device->write_register(chip::reg::SCRATCH0, 0x0BADBEEFu);
  b.link->set_faults({.corrupt_request = 1, .seed = 11});
  std::mt19937_64 rng(11);
  std::map<ErrorCode, int> errors;
  for (int i = 0; i < 150; ++i) {
    try {
      b.device->write_register(chip::reg::SCRATCH0, static_cast<std::uint32_t>(rng()));
      BOOST_ERROR("write " << i << ": a corrupted request was answered as a success");
    } catch (const Error& e) {
      ++errors[e.code()];
      BOOST_TEST(is_link_error(e.code()), e.what());
    }
  }
  BOOST_TEST(b.device_side->executed[Opcode::reg_write] == 1u, "the device executed a corrupted write");
  BOOST_TEST(b.link->injected().corrupted_requests >= 150u);
  BOOST_TEST(b.device->link_stats().retries > 0u);  // "arrived damaged" answers are sent again
  b.link->set_faults({});
  BOOST_TEST(b.device->read_register(chip::reg::SCRATCH0) == 0x0BADBEEFu);
  for (const auto& [code, n] : errors)
    BOOST_TEST_MESSAGE("corrupted reg_write: " << n << " " << to_string(code));
}

BOOST_AUTO_TEST_CASE(a_corrupted_response_is_never_accepted) {
  auto b = make_bench();
  b.device->write_register(chip::reg::SCRATCH0, 0x12345678u);
  Frame data(3000);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * 5);
  b.device->write_memory(0x777, data);
  b.link->set_faults({.corrupt_response = 1, .seed = 12});
  for (int i = 0; i < 50; ++i) {
    try {
      const auto v = b.device->read_register(chip::reg::SCRATCH0);
      BOOST_ERROR("read " << i << ": a corrupted response was accepted, read 0x" << std::hex << v);
    } catch (const Error& e) {
      BOOST_TEST(is_link_error(e.code()), e.what());
    }
    try {
      (void)b.device->read_memory(0x777, data.size());
      BOOST_ERROR("read " << i << ": a corrupted memory response was accepted");
    } catch (const Error& e) {
      BOOST_TEST(is_link_error(e.code()), e.what());
    }
  }
  BOOST_TEST(b.link->injected().corrupted_responses == 100u * (1u + kShortTimeouts.retries));
  b.link->set_faults({});
  BOOST_TEST(b.device->read_register(chip::reg::SCRATCH0) == 0x12345678u);
  BOOST_TEST((b.device->read_memory(0x777, data.size()) == data));
}

BOOST_AUTO_TEST_CASE(duplicated_responses_are_absorbed_by_the_sequence_check) {
  auto b = make_bench();
  b.link->set_faults({.duplicate_response = 1});
  Frame data(300 * 1024 + 1);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * 3 + 1);
  for (std::uint32_t i = 0; i < 50; ++i) {
    b.device->write_register(kScratch[i % 2], i * 0x01010101u);
    BOOST_TEST(b.device->read_register(kScratch[i % 2]) == i * 0x01010101u);
  }
  b.device->write_memory(0x3001, data);
  BOOST_TEST((b.device->read_memory(0x3001, data.size()) == data));
  BOOST_TEST(b.device->link_stats().retries == 0u, "a duplicate was taken for the answer to another request");
  BOOST_TEST(b.link->injected().duplicated_responses == 104u);  // 100 register and 2 + 2 memory frames
  BOOST_TEST(b.link->discarded_frames() == 103u);               // the last duplicate is still on the wire
  BOOST_TEST(b.device_side->executed[Opcode::reg_write] == 50u, "a write was executed twice");
}

BOOST_AUTO_TEST_CASE(reordered_responses_are_absorbed_and_the_value_is_right) {
  auto b = make_bench();
  b.device->write_register(chip::reg::SCRATCH0, 0xAAAA5555u);
  b.device->write_register(chip::reg::SCRATCH1, 0x5555AAAAu);
  b.link->set_faults({.reorder = 1});
  // Every other response is held back: the first attempt times out, the retry's answer arrives with
  // the held one behind it, and the stale frame is discarded by the next exchange.
  for (int i = 0; i < 10; ++i) {
    BOOST_TEST(b.device->read_register(chip::reg::SCRATCH0) == 0xAAAA5555u);
    BOOST_TEST(b.device->read_register(chip::reg::SCRATCH1) == 0x5555AAAAu);
  }
  BOOST_TEST(b.device->link_stats().retries == 20u);
  BOOST_TEST(b.link->injected().reordered_responses == 20u);
  BOOST_TEST(b.link->discarded_frames() == 19u);
}

BOOST_AUTO_TEST_CASE(delayed_responses_arrive_late_and_right) {
  auto b = make_bench(DeviceTimeouts{});
  b.device->write_register(chip::reg::SCRATCH0, 0x600DF00Du);
  b.link->set_faults({.delay = 1, .max_delay = Milliseconds{4}, .seed = 13});
  const auto start = SteadyClock::now();
  for (int i = 0; i < 20; ++i) BOOST_TEST(b.device->read_register(chip::reg::SCRATCH0) == 0x600DF00Du);
  BOOST_TEST((SteadyClock::now() - start >= Milliseconds{20}), "the delays were not waited for");
  BOOST_TEST(b.link->injected().delays == 20u);
  BOOST_TEST(b.device->link_stats().retries == 0u);

  // An answer delayed past the deadline is a timeout; it stays on the wire, and a retry (same sequence)
  // that is not delayed itself takes it from there. Whatever happens, the value is right or the call
  // times out.
  b.device->set_timeouts({.base = Milliseconds{5}, .per_mib = Milliseconds{5}, .retries = 2});
  b.link->set_faults({.delay = 0.5, .max_delay = Milliseconds{30}, .seed = 14});
  int right = 0, timeouts = 0;
  for (int i = 0; i < 30; ++i) {
    try {
      BOOST_TEST(b.device->read_register(chip::reg::SCRATCH0) == 0x600DF00Du);
      ++right;
    } catch (const TimeoutError& e) {
      ++timeouts;
      CHECK_CONTAINS(e.message(), "delayed");
    }
  }
  BOOST_TEST(b.device->link_stats().retries > 0u);
  BOOST_TEST(right > 0);
  BOOST_TEST_MESSAGE(
      right << " reads right and " << timeouts << " timed out with half the answers delayed up to "
            << "30 ms past a 10 ms deadline; " << b.link->discarded_frames() << " late frames discarded");
}

BOOST_AUTO_TEST_CASE(a_cut_refuses_its_exchanges_and_then_the_link_works) {
  auto b = make_bench();
  b.device->write_register(chip::reg::SCRATCH0, 0x11112222u);
  b.link->set_faults({.cut = 1, .cut_exchanges = 3});
  const auto msg = expect_error<TransportError>([&] { b.device->read_register(chip::reg::SCRATCH0); },
                                                ErrorCode::transport);
  CHECK_STARTS_WITH(msg, kSimName + ": reg_read");
  CHECK_CONTAINS(msg, kLinkName + ": link cut (injected)");
  b.link->set_faults({});  // no new cut; the one under way lasts out its three exchanges
  expect_error<TransportError>([&] { b.device->write_register(chip::reg::SCRATCH0, 1); },
                               ErrorCode::transport);
  expect_error<TransportError>([&] { b.device->identify(true); }, ErrorCode::transport);
  BOOST_TEST(b.device->read_register(chip::reg::SCRATCH0) == 0x11112222u);
  BOOST_TEST(b.device_side->executed[Opcode::reg_write] == 1u, "a write went through a cut link");
  BOOST_TEST(b.link->injected().cuts == 1u);
  BOOST_TEST(b.link->injected().cut_exchanges == 3u);
}

BOOST_AUTO_TEST_CASE(a_time_limit_caps_every_call_and_names_itself) {
  // Calls of their own would wait 10 s for a lost answer, and try again; the step's limit cuts that short.
  auto b = make_bench({.base = Milliseconds{10000}, .per_mib = Milliseconds{100}, .retries = 3});
  b.device->write_register(chip::reg::SCRATCH0, 7);
  b.link->set_faults({.drop_response = 1});
  b.device->set_time_limit(Deadline::after(Milliseconds{150}), "step t's time limit of 150 ms");
  const auto start = SteadyClock::now();
  const auto msg =
      expect_error<TimeoutError>([&] { b.device->read_register(chip::reg::SCRATCH0); }, ErrorCode::timeout);
  const auto took = std::chrono::duration<double>(SteadyClock::now() - start).count();
  CHECK_CONTAINS(msg, "step t's time limit of 150 ms ran out");
  BOOST_TEST(took < 5.0, "the call waited " << took << " s, past its 150 ms limit");
  // Once the limit has passed, a call fails before anything is sent.
  const auto sent = b.device->link_stats().requests;
  b.link->set_faults({});
  const auto again =
      expect_error<TimeoutError>([&] { b.device->read_register(chip::reg::SCRATCH0); }, ErrorCode::timeout);
  CHECK_CONTAINS(again, "step t's time limit of 150 ms ran out");
  BOOST_TEST(b.device->link_stats().requests == sent, "a request went out after the limit had passed");
  // Cleared, the device works as before.
  b.device->clear_time_limit();
  BOOST_TEST(b.device->read_register(chip::reg::SCRATCH0) == 7u);
  BOOST_TEST(!b.device->time_limit_passed());
}

BOOST_AUTO_TEST_CASE(a_stop_ends_the_wait_for_a_lost_answer_promptly) {
  auto b = make_bench(DeviceTimeouts{.base = Milliseconds{10000}, .per_mib = Milliseconds{0}, .retries = 2});
  b.link->set_faults({.drop_response = 1});
  std::stop_source stop;
  b.device->set_stop_token(stop.get_token());
  const auto start = SteadyClock::now();
  std::jthread stopper([&stop] {
    std::this_thread::sleep_for(Milliseconds{50});
    stop.request_stop();
  });
  const auto msg = expect_error<CancelledError>([&] { b.device->read_register(chip::reg::SCRATCH0); },
                                                ErrorCode::cancelled);
  const auto waited = std::chrono::duration_cast<Milliseconds>(SteadyClock::now() - start);
  CHECK_STARTS_WITH(msg, kSimName + ": reg_read");
  CHECK_CONTAINS(msg, kLinkName);
  BOOST_TEST(waited.count() >= 45);
  BOOST_TEST(waited.count() < 1000, "cancelled after " << waited.count() << " ms of a 10 s deadline");
  BOOST_TEST(b.device->link_stats().retries == 0u, "a cancelled exchange was sent again");
  // Once stopped, the next call is refused before anything is sent.
  expect_error<CancelledError>([&] { b.device->write_register(chip::reg::SCRATCH0, 3); },
                               ErrorCode::cancelled);
  BOOST_TEST(b.device_side->executed[Opcode::reg_write] == 0u);
}

// ---------------------------------------------------------------------------------------------------------
// Every kind at once, thousands of times.

BOOST_AUTO_TEST_CASE(thousands_of_seeded_faults_and_no_corruption_accepted) {
  // Every kind at a few percent; the kinds that cost a wait for the deadline (lost and held-back frames)
  // at the low end, so that thousands of faults fit in seconds.
  const LinkFaults schedule{.drop_request = 0.01,
                            .drop_response = 0.01,
                            .corrupt_request = 0.06,
                            .corrupt_response = 0.07,
                            .duplicate_response = 0.10,
                            .reorder = 0.01,
                            .delay = 0.06,
                            .max_delay = Milliseconds{3},
                            .cut = 0.01,
                            .cut_exchanges = 3};
  SoakFigures all;
  for (const std::uint64_t seed : {1u, 2u, 3u, 4u}) {
    const auto start = SteadyClock::now();
    Soak soak(seed, schedule);
    const SoakFigures f = soak.run(1500);
    const auto ms = std::chrono::duration_cast<Milliseconds>(SteadyClock::now() - start).count();
    BOOST_TEST_MESSAGE("seed " << seed << " (" << ms << " ms): " << f.summary());
    BOOST_TEST(f.accepted_corruptions == 0u, "seed " << seed);
    BOOST_TEST(f.corrupted_state == 0u, "seed " << seed);
    all.add(f);
  }
  BOOST_TEST_MESSAGE("all seeds: " << all.summary());
  BOOST_TEST(all.accepted_corruptions == 0u);
  BOOST_TEST(all.corrupted_state == 0u);
  BOOST_TEST(all.injected.total() >= 2000u, "only " << all.injected.total() << " faults injected");
  for (const auto count :
       {all.injected.dropped_requests, all.injected.dropped_responses, all.injected.corrupted_requests,
        all.injected.corrupted_responses, all.injected.duplicated_responses, all.injected.reordered_responses,
        all.injected.delays, all.injected.cuts})
    BOOST_TEST(count > 0u, "a fault kind was never injected: " << describe(all.injected));
  BOOST_TEST(all.link.retries > 0u);
  BOOST_TEST(all.successes * 10 >= all.ops * 8,
             "only " << all.successes << " of " << all.ops << " succeeded");
  for (const auto& [code, n] : all.errors)
    BOOST_TEST(is_link_error(code), n << " errors " << to_string(code));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(link_fault_retries)

// A write whose request arrives damaged is answered "request damaged" (status checksum), and the device
// layer sends it again. If that answer was duplicated on the link, the copy is still on the wire: were
// the resend under the same sequence number, its exchange would take the copy, read "damaged" again and
// send the write a third time although the second one executed (a write-1-to-clear register cleared
// twice). The resend therefore goes under a fresh sequence number; this case found the defect.
BOOST_AUTO_TEST_CASE(a_duplicated_damage_report_does_not_execute_a_write_twice) {
  auto b = make_bench();
  b.link->set_faults({.corrupt_request = 0.5, .duplicate_response = 1, .seed = 21});
  for (std::uint32_t i = 0; i < 100; ++i) {
    try {
      b.device->write_register(chip::reg::SCRATCH0, i);
    } catch (const Error& e) {
      BOOST_TEST(is_link_error(e.code()), e.what());
    }
  }
  BOOST_TEST(b.device_side->repeated_non_idempotent == 0u,
             b.device_side->repeated_non_idempotent << " of 100 register writes executed twice");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval

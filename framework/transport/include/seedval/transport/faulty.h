// Seeded link faults: frames dropped, damaged, duplicated, reordered or delayed, and the link cut, on a
// schedule that a seed makes reproducible.
//
// Two pieces. FrameFaults is the engine: it decides, frame by frame, what a faulty link does to what
// passes through it, and any transport can run its frames through it (a ZeroMQ transport on its socket's
// messages). FaultyTransport is a decorator that puts the engine around any other transport and models a
// stream link: responses land on a "wire", and the exchange takes the first one whose sequence number is
// the request's, discarding late and duplicated ones, as a real stream transport does. Whatever the
// schedule, the device layer above must return right data or throw; never wrong data.
//
//   LinkFaults faults{.drop_response = 0.02, .corrupt_response = 0.05, .seed = 7};
//   auto link = std::make_unique<FaultyTransport>(board->connect(), faults);
//   Device dev(std::move(link), "seedchip-sim");
//   dev.read_register("SCRATCH0");     // a lost or damaged answer is retried, or the call throws
//
// Every probability is per frame (per exchange for delay and cut) and independent of the others.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <stop_token>
#include <string>
#include <vector>

#include <seedval/core/clock.h>
#include <seedval/transport/transport.h>

namespace seedval {

/// A seeded fault schedule. All probabilities are 0..1; the default schedule injects nothing (a healthy
/// link), so `LinkFaults{}` heals a FaultyTransport.
struct LinkFaults {
  double drop_request = 0;        ///< a request frame is lost on its way: the device never sees it
  double drop_response = 0;       ///< a response frame is lost: the device executed the request
  double corrupt_request = 0;     ///< 1 to 3 distinct random bits of a request frame flip, anywhere in it
  double corrupt_response = 0;    ///< 1 to 3 distinct random bits of a response frame flip
  double duplicate_response = 0;  ///< a response frame arrives twice
  /// A response frame is held back and arrives right after the next response frame that is delivered.
  /// One frame is held at a time: while one is held, no other is.
  double reorder = 0;
  double delay = 0;           ///< an exchange waits a random 1 ms .. max_delay before its answer arrives
  Milliseconds max_delay{5};  ///< the longest injected delay
  double cut = 0;             ///< the link goes down for cut_exchanges exchanges, this one included
  int cut_exchanges = 3;      ///< how many exchanges a cut lasts (at least 1)
  std::uint64_t seed = 0;     ///< seeds std::mt19937_64: one seed, one schedule
};

/// How many faults of each kind were injected. A frame hit by two kinds (damaged and duplicated) counts
/// once under each.
struct InjectedFaults {
  std::uint64_t dropped_requests = 0;      ///< request frames lost
  std::uint64_t dropped_responses = 0;     ///< response frames lost
  std::uint64_t corrupted_requests = 0;    ///< request frames damaged
  std::uint64_t corrupted_responses = 0;   ///< response frames damaged
  std::uint64_t duplicated_responses = 0;  ///< response frames sent twice
  std::uint64_t reordered_responses = 0;   ///< frames held back
  std::uint64_t delays = 0;                ///< exchanges delayed
  std::uint64_t cuts = 0;                  ///< cuts started (each refuses cut_exchanges exchanges)
  std::uint64_t cut_exchanges = 0;         ///< exchanges refused because the link was cut (not in total())

  /// Faults of every kind: the sum of the fields above but cut_exchanges.
  std::uint64_t total() const noexcept;
};

/// The fault engine: decides what a faulty link does to each frame. Deterministic for a given seed and
/// the same sequence of calls, on every platform (it draws from std::mt19937_64 without the standard
/// library's distributions). Thread-compatible: one user at a time.
///
/// A transport calls, per exchange: cut() (throw if true), on_request() (send what it returns),
/// on_response() for what came back (deliver what it returns) and delay() (hold the answer that long).
class FrameFaults {
 public:
  using Frame = std::vector<std::uint8_t>;

  /// Throws InvalidArgumentError if a probability is outside 0..1, max_delay is negative or
  /// cut_exchanges is below 1.
  explicit FrameFaults(const LinkFaults& faults);

  /// Replaces the schedule and reseeds the generator from faults.seed, so a schedule set mid-run is as
  /// reproducible as one set at construction. What is already happening on the wire is not undone: a
  /// held frame is still released after the next response, and a cut under way lasts out its exchanges.
  /// The counts carry on. Throws as the constructor does (the schedule is then unchanged).
  void set_faults(const LinkFaults& faults);
  const LinkFaults& faults() const noexcept { return faults_; }

  /// The frames that go out for `frame`, a request: none (dropped) or one (possibly damaged).
  std::vector<Frame> on_request(std::span<const std::uint8_t> frame);
  /// The frames that arrive now for `frame`, a response: none (dropped, or held back to arrive later),
  /// one (possibly damaged), two (duplicated), plus, after them, a frame held back earlier.
  std::vector<Frame> on_response(std::span<const std::uint8_t> frame);
  /// How long this exchange's answer is held up: zero, or 1 ms .. max_delay.
  Milliseconds delay();
  /// Whether the link is down for this exchange: a cut starting now, or one still under way.
  bool cut();

  const InjectedFaults& injected() const noexcept { return injected_; }

 private:
  bool chance(double p);
  std::uint64_t below(std::uint64_t n);
  void corrupt(Frame& frame);

  LinkFaults faults_;
  std::mt19937_64 rng_;
  InjectedFaults injected_;
  std::optional<Frame> held_;  // a reordered response waiting for the next one
  int cut_left_ = 0;           // exchanges the current cut still refuses
};

/// A transport that runs every frame of another one through FrameFaults, as a stream link would carry
/// them. Frames travel whole with their CRC (no split frames, no skipped checksums) and one request is
/// in flight at a time, so the device layer's retries and checks are what stands between a fault and
/// wrong data.
///
/// An exchange: the link may be cut (TransportError "…: link cut (injected)"); the request goes out or
/// is lost; each request frame that goes out is passed to the inner transport (whose errors propagate
/// unchanged); each response frame, after its faults, joins a wire queue. The exchange then takes frames
/// from the queue, discards those whose sequence is not the request's (late, duplicated or damaged in
/// its sequence bytes) and returns the first that matches. With none it waits for the deadline and
/// throws TimeoutError, or CancelledError as soon as a stop is requested. Frames left behind a match stay
/// on the wire for later exchanges, where they are discarded or, if a retry reuses their sequence,
/// taken: exactly what a real link hands a host. An answer delayed past the deadline is a timeout and
/// stays on the wire likewise. With Deadline::never(), a lost answer waits for the stop.
class FaultyTransport final : public Transport {
 public:
  /// Throws InvalidArgumentError if `inner` is null or `faults` is invalid (see FrameFaults).
  FaultyTransport(std::unique_ptr<Transport> inner, const LinkFaults& faults);

  /// "faulty:" followed by the inner transport's description.
  std::string describe() const override;
  /// The inner transport's, with split_frames and checksum_unnecessary off and pipeline_depth 1.
  TransportCapabilities capabilities() const override;
  void exchange_into(std::span<const std::uint8_t> request, std::vector<std::uint8_t>& response,
                     Deadline deadline, std::stop_token stop) override;

  /// Changes the schedule from the next exchange on (FrameFaults::set_faults); LinkFaults{} heals the
  /// link once a cut under way has passed. Frames already on the wire stay there.
  void set_faults(const LinkFaults& faults) { faults_.set_faults(faults); }
  const LinkFaults& faults() const noexcept { return faults_.faults(); }
  const InjectedFaults& injected() const noexcept { return faults_.injected(); }
  /// Response frames taken off the wire and discarded because their sequence did not match.
  std::uint64_t discarded_frames() const noexcept { return discarded_; }

 private:
  /// Sleeps until `until`, returning early (CancelledError) when `stop` is requested.
  void wait_until(SteadyClock::time_point until, const std::stop_token& stop) const;

  std::unique_ptr<Transport> inner_;
  FrameFaults faults_;
  std::deque<std::vector<std::uint8_t>> wire_;  // responses that arrived and were not yet taken
  std::vector<std::uint8_t> answer_;            // the inner transport's response, reused
  std::uint64_t discarded_ = 0;
};

}  // namespace seedval

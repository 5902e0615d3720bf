#include <algorithm>
#include <array>
#include <thread>
#include <utility>

#include <fmt/core.h>

#include <seedval/core/error.h>
#include <seedval/protocol/frame.h>
#include <seedval/transport/faulty.h>

namespace seedval {
namespace {

void check_faults(const LinkFaults& f) {
  const std::array<std::pair<const char*, double>, 8> probabilities{{
      {"drop_request", f.drop_request},
      {"drop_response", f.drop_response},
      {"corrupt_request", f.corrupt_request},
      {"corrupt_response", f.corrupt_response},
      {"duplicate_response", f.duplicate_response},
      {"reorder", f.reorder},
      {"delay", f.delay},
      {"cut", f.cut},
  }};
  for (const auto& [name, p] : probabilities)
    if (!(p >= 0.0 && p <= 1.0))  // also refuses NaN
      throw InvalidArgumentError(ErrorCode::invalid_argument,
                                 fmt::format("link faults: {} must be a probability 0..1, got {}", name, p));
  if (f.max_delay.count() < 0)
    throw InvalidArgumentError(
        ErrorCode::invalid_argument,
        fmt::format("link faults: max_delay must not be negative, got {} ms", f.max_delay.count()));
  if (f.cut_exchanges < 1)
    throw InvalidArgumentError(
        ErrorCode::invalid_argument,
        fmt::format("link faults: a cut lasts at least 1 exchange, got cut_exchanges {}", f.cut_exchanges));
}

}  // namespace

std::uint64_t InjectedFaults::total() const noexcept {
  return dropped_requests + dropped_responses + corrupted_requests + corrupted_responses +
         duplicated_responses + reordered_responses + delays + cuts;
}

FrameFaults::FrameFaults(const LinkFaults& faults) : faults_(faults), rng_(faults.seed) {
  check_faults(faults_);
}

void FrameFaults::set_faults(const LinkFaults& faults) {
  check_faults(faults);
  faults_ = faults;
  rng_.seed(faults_.seed);
}

// Uniform doubles and integers drawn straight from the engine: std::uniform_*_distribution differ between
// standard libraries, and a seed must give the same schedule everywhere.
bool FrameFaults::chance(double p) {
  const double u = static_cast<double>(rng_() >> 11) * 0x1.0p-53;  // [0, 1)
  return u < p;
}

std::uint64_t FrameFaults::below(std::uint64_t n) {
  return rng_() % n;  // the bias is below n / 2^64: nothing a test can see
}

void FrameFaults::corrupt(Frame& frame) {
  if (frame.empty()) return;
  const std::uint64_t bits = 8 * static_cast<std::uint64_t>(frame.size());
  const std::uint64_t flips = std::min<std::uint64_t>(1 + below(3), bits);
  // Distinct bits: two flips of the same bit would cancel and leave the frame intact.
  std::array<std::uint64_t, 3> chosen{};
  for (std::uint64_t i = 0; i < flips;) {
    const std::uint64_t bit = below(bits);
    if (std::find(chosen.begin(), chosen.begin() + static_cast<std::ptrdiff_t>(i), bit) !=
        chosen.begin() + static_cast<std::ptrdiff_t>(i))
      continue;
    chosen[i++] = bit;
    frame[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
  }
}

std::vector<FrameFaults::Frame> FrameFaults::on_request(std::span<const std::uint8_t> frame) {
  // Every decision is drawn on every call, so one kind's schedule does not shift with another's outcome.
  const bool drop = chance(faults_.drop_request);
  const bool damage = chance(faults_.corrupt_request);
  std::vector<Frame> out;
  if (drop) {
    ++injected_.dropped_requests;
    return out;
  }
  Frame& f = out.emplace_back(frame.begin(), frame.end());
  if (damage) {
    corrupt(f);
    ++injected_.corrupted_requests;
  }
  return out;
}

std::vector<FrameFaults::Frame> FrameFaults::on_response(std::span<const std::uint8_t> frame) {
  const bool drop = chance(faults_.drop_response);
  const bool damage = chance(faults_.corrupt_response);
  const bool twice = chance(faults_.duplicate_response);
  const bool hold = chance(faults_.reorder);
  std::vector<Frame> out;
  if (drop) {
    ++injected_.dropped_responses;
    return out;  // a held frame waits for the next response that is delivered
  }
  Frame f(frame.begin(), frame.end());
  if (damage) {
    corrupt(f);
    ++injected_.corrupted_responses;
  }
  if (twice) {
    out.push_back(f);
    ++injected_.duplicated_responses;
  }
  out.push_back(std::move(f));
  if (held_) {
    out.push_back(std::move(*held_));
    held_.reset();
  } else if (hold) {
    // The last copy waits; with a duplicate, the first still arrives now.
    held_ = std::move(out.back());
    out.pop_back();
    ++injected_.reordered_responses;
  }
  return out;
}

Milliseconds FrameFaults::delay() {
  if (!chance(faults_.delay) || faults_.max_delay.count() <= 0) return Milliseconds{0};
  ++injected_.delays;
  return Milliseconds{
      1 + static_cast<Milliseconds::rep>(below(static_cast<std::uint64_t>(faults_.max_delay.count())))};
}

bool FrameFaults::cut() {
  if (cut_left_ > 0) {
    --cut_left_;
    ++injected_.cut_exchanges;
    return true;
  }
  if (!chance(faults_.cut)) return false;
  ++injected_.cuts;
  ++injected_.cut_exchanges;
  cut_left_ = faults_.cut_exchanges - 1;
  return true;
}

FaultyTransport::FaultyTransport(std::unique_ptr<Transport> inner, const LinkFaults& faults)
    : inner_(std::move(inner)), faults_(faults) {
  if (!inner_)
    throw InvalidArgumentError(ErrorCode::invalid_argument, "faulty transport needs a transport to wrap");
}

std::string FaultyTransport::describe() const {
  return "faulty:" + inner_->describe();
}

TransportCapabilities FaultyTransport::capabilities() const {
  TransportCapabilities c = inner_->capabilities();
  c.split_frames = false;
  c.checksum_unnecessary = false;
  c.pipeline_depth = 1;
  return c;
}

void FaultyTransport::wait_until(SteadyClock::time_point until, const std::stop_token& stop) const {
  // Small steps rather than one sleep: a stop must end the wait promptly, as on a real link.
  for (auto now = SteadyClock::now(); now < until; now = SteadyClock::now()) {
    if (stop.stop_requested())
      throw CancelledError(ErrorCode::cancelled, fmt::format("{}: cancelled", describe()));
    std::this_thread::sleep_for(std::min<SteadyClock::duration>(until - now, Milliseconds{1}));
  }
}

void FaultyTransport::exchange_into(std::span<const std::uint8_t> request,
                                    std::vector<std::uint8_t>& response, Deadline deadline,
                                    std::stop_token stop) {
  if (stop.stop_requested())
    throw CancelledError(ErrorCode::cancelled, fmt::format("{}: cancelled", describe()));
  if (deadline.expired())
    throw TimeoutError(ErrorCode::timeout, fmt::format("{}: deadline passed before sending", describe()));
  if (faults_.cut())
    throw TransportError(ErrorCode::transport, fmt::format("{}: link cut (injected)", describe()));

  const std::optional<std::uint32_t> sequence = protocol::peek_sequence(request);
  for (const auto& frame : faults_.on_request(request)) {
    inner_->exchange_into(frame, answer_, deadline, stop);
    for (auto& arrived : faults_.on_response(answer_)) wire_.push_back(std::move(arrived));
  }

  if (const Milliseconds delay = faults_.delay(); delay.count() > 0) {
    const auto arrives = SteadyClock::now() + delay;
    if (arrives > deadline.time_point()) {
      // The answer arrives after the deadline: it stays on the wire, late, for a later exchange to find.
      wait_until(deadline.time_point(), stop);
      throw TimeoutError(ErrorCode::timeout,
                         fmt::format("{}: no response to sequence {} within the deadline (delayed {} ms)",
                                     describe(), sequence.value_or(0), delay.count()));
    }
    wait_until(arrives, stop);
  }

  // Receive as a stream transport does: the first frame answering this request, the rest discarded. A
  // request without a readable sequence has nothing to match, so it takes whatever arrives first.
  while (!wire_.empty()) {
    std::vector<std::uint8_t> frame = std::move(wire_.front());
    wire_.pop_front();
    if (!sequence || protocol::peek_sequence(frame) == sequence) {
      response = std::move(frame);
      return;
    }
    ++discarded_;
  }
  wait_until(deadline.time_point(), stop);
  throw TimeoutError(ErrorCode::timeout, fmt::format("{}: no response to sequence {} within the deadline",
                                                     describe(), sequence.value_or(0)));
}

}  // namespace seedval

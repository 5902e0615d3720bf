// Time for the test floor: deadlines on a monotonic clock, wall-clock stamps in ISO-8601 with offset.
#pragma once

#include <chrono>
#include <string>

namespace seedval {

using SteadyClock = std::chrono::steady_clock;
using Milliseconds = std::chrono::milliseconds;

/// A point on the monotonic clock by which a blocking call must return. Every blocking call takes one.
class Deadline {
 public:
  /// A deadline `timeout` from now.
  static Deadline after(SteadyClock::duration timeout) { return Deadline(SteadyClock::now() + timeout); }
  /// A deadline that never passes (for in-process calls that cannot block).
  static Deadline never() { return Deadline(SteadyClock::time_point::max()); }

  bool expired() const { return SteadyClock::now() >= at_; }
  bool is_never() const { return at_ == SteadyClock::time_point::max(); }
  /// Time left, zero once expired.
  SteadyClock::duration remaining() const;
  SteadyClock::time_point time_point() const { return at_; }

 private:
  explicit Deadline(SteadyClock::time_point at) : at_(at) {}
  SteadyClock::time_point at_;
};

/// Local time now as ISO-8601 with offset and milliseconds, e.g. "2026-11-23T17:59:03.120+01:00".
std::string iso8601_now();
/// The same format for a given system-clock time.
std::string iso8601(std::chrono::system_clock::time_point t);

}  // namespace seedval

// Tests for seedval/core/clock.h: deadlines and ISO-8601 time stamps.
#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include <boost/test/unit_test.hpp>

#include <seedval/core/clock.h>

namespace seedval {
namespace {

using namespace std::chrono_literals;

// Sets TZ for one test and restores the previous value.
class ScopedTimeZone {
 public:
  explicit ScopedTimeZone(const char* tz) {
    if (const char* old = std::getenv("TZ")) old_ = old;
    ::setenv("TZ", tz, 1);
    ::tzset();
  }
  ~ScopedTimeZone() {
    if (old_)
      ::setenv("TZ", old_->c_str(), 1);
    else
      ::unsetenv("TZ");
    ::tzset();
  }
  ScopedTimeZone(const ScopedTimeZone&) = delete;
  ScopedTimeZone& operator=(const ScopedTimeZone&) = delete;

 private:
  std::optional<std::string> old_;
};

// Whether `s` matches ^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$ (no <regex>: GCC 12 warns
// inside it under the sanitizer flags). In `shape`, 'd' is a digit and '+' is either sign.
bool matches_iso8601_shape(const std::string& s) {
  static constexpr std::string_view shape = "dddd-dd-ddTdd:dd:dd.ddd+dd:dd";
  if (s.size() != shape.size()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool ok = shape[i] == 'd'   ? (c >= '0' && c <= '9')
                    : shape[i] == '+' ? (c == '+' || c == '-')
                                      : c == shape[i];
    if (!ok) return false;
  }
  return true;
}

std::chrono::system_clock::time_point epoch_plus(std::chrono::milliseconds ms) {
  return std::chrono::system_clock::time_point{} + ms;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(core_clock)

BOOST_AUTO_TEST_CASE(zero_timeout_is_already_expired) {
  const auto d = Deadline::after(SteadyClock::duration::zero());
  BOOST_TEST(d.expired());
  BOOST_TEST(!d.is_never());
  BOOST_TEST((d.remaining() == SteadyClock::duration::zero()));
}

BOOST_AUTO_TEST_CASE(negative_timeout_is_expired_with_nothing_remaining) {
  const auto d = Deadline::after(-5s);
  BOOST_TEST(d.expired());
  BOOST_TEST((d.remaining() == SteadyClock::duration::zero()));
}

BOOST_AUTO_TEST_CASE(never_does_not_expire) {
  const auto d = Deadline::never();
  BOOST_TEST(!d.expired());
  BOOST_TEST(d.is_never());
  BOOST_TEST((d.remaining() > std::chrono::hours(24 * 365 * 100)));
}

BOOST_AUTO_TEST_CASE(remaining_counts_down) {
  const auto before = SteadyClock::now();
  const auto d = Deadline::after(1h);
  BOOST_TEST(!d.expired());
  BOOST_TEST((d.remaining() <= SteadyClock::duration(1h)));
  BOOST_TEST((d.remaining() > SteadyClock::duration(59min)));
  BOOST_TEST((d.time_point() >= before + 1h));
}

BOOST_AUTO_TEST_CASE(short_deadline_expires) {
  const auto d = Deadline::after(20ms);
  std::this_thread::sleep_for(40ms);
  BOOST_TEST(d.expired());
  BOOST_TEST((d.remaining() == SteadyClock::duration::zero()));
}

BOOST_AUTO_TEST_CASE(iso8601_now_has_the_documented_shape) {
  const std::string now = iso8601_now();
  BOOST_TEST(matches_iso8601_shape(now), now);
  // The checker itself rejects near misses.
  BOOST_TEST(matches_iso8601_shape("2026-11-23T17:59:03.120+01:00"));
  BOOST_TEST(matches_iso8601_shape("2026-11-23T17:59:03.120-05:30"));
  BOOST_TEST(!matches_iso8601_shape("2026-11-23T17:59:03.120Z"));
  BOOST_TEST(!matches_iso8601_shape("2026-11-23 17:59:03.120+01:00"));
  BOOST_TEST(!matches_iso8601_shape("2026-11-23T17:59:03.12+01:00"));
}

BOOST_AUTO_TEST_CASE(iso8601_in_utc) {
  ScopedTimeZone tz("UTC0");
  BOOST_TEST(iso8601(epoch_plus(1234ms)) == "1970-01-01T00:00:01.234+00:00");
  BOOST_TEST(iso8601(epoch_plus(5ms)) == "1970-01-01T00:00:00.005+00:00");
  // 2026-11-23T16:59:03.120Z
  BOOST_TEST(iso8601(epoch_plus(1795453143120ms)) == "2026-11-23T16:59:03.120+00:00");
}

BOOST_AUTO_TEST_CASE(iso8601_east_of_utc_with_minutes) {
  ScopedTimeZone tz("IST-5:30");  // POSIX sign: five and a half hours east of UTC
  BOOST_TEST(iso8601(epoch_plus(1234ms)) == "1970-01-01T05:30:01.234+05:30");
}

BOOST_AUTO_TEST_CASE(iso8601_west_of_utc) {
  ScopedTimeZone tz("EST5");
  BOOST_TEST(iso8601(epoch_plus(1234ms)) == "1969-12-31T19:00:01.234-05:00");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval

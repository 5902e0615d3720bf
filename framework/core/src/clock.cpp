#include <ctime>

#include <fmt/core.h>

#include <seedval/core/clock.h>

namespace seedval {

SteadyClock::duration Deadline::remaining() const {
  auto now = SteadyClock::now();
  return now >= at_ ? SteadyClock::duration::zero() : at_ - now;
}

std::string iso8601(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  auto secs = time_point_cast<seconds>(t);
  auto ms = duration_cast<milliseconds>(t - secs).count();
  std::time_t tt = system_clock::to_time_t(secs);
  std::tm tm{};
  localtime_r(&tt, &tm);
  long off = tm.tm_gmtoff;
  char sign = off < 0 ? '-' : '+';
  if (off < 0) off = -off;
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}{}{:02}:{:02}", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms, sign, off / 3600,
                     (off % 3600) / 60);
}

std::string iso8601_now() {
  return iso8601(std::chrono::system_clock::now());
}

}  // namespace seedval

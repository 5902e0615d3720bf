// Tests for seedval/core/log.h: level filtering, the replaceable sink and level names.
#include <string>
#include <utility>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <seedval/core/log.h>

namespace {

// Counts how often it is formatted, to show that disabled levels skip formatting.
struct FormatProbe {
  int* count;
};

}  // namespace

template <>
struct fmt::formatter<FormatProbe> {
  constexpr auto parse(fmt::format_parse_context& ctx) { return ctx.begin(); }
  template <typename Context>
  auto format(const FormatProbe& p, Context& ctx) const {
    ++*p.count;
    return fmt::format_to(ctx.out(), "probe");
  }
};

namespace seedval::log {

inline std::ostream& boost_test_print_type(std::ostream& os, Level level) {
  return os << to_string(level);
}

namespace {

// Captures every message and restores the default sink and level afterwards.
struct CaptureFixture {
  CaptureFixture() {
    set_level(Level::info);
    set_sink([this](Level l, std::string_view m) { messages.emplace_back(l, std::string(m)); });
  }
  ~CaptureFixture() {
    set_sink({});
    set_level(Level::info);
  }
  std::vector<std::pair<Level, std::string>> messages;
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(core_log, CaptureFixture)

BOOST_AUTO_TEST_CASE(sink_receives_formatted_messages_with_their_level) {
  info("lot {}: {} units", "L12345", 48);
  error("board {} vanished", "sim0");
  BOOST_REQUIRE(messages.size() == 2u);
  BOOST_TEST(messages[0].first == Level::info);
  BOOST_TEST(messages[0].second == "lot L12345: 48 units");
  BOOST_TEST(messages[1].first == Level::error);
  BOOST_TEST(messages[1].second == "board sim0 vanished");
}

BOOST_AUTO_TEST_CASE(messages_below_the_level_are_dropped) {
  set_level(Level::warn);
  trace("t");
  debug("d");
  info("i");
  warn("w");
  error("e");
  BOOST_REQUIRE(messages.size() == 2u);
  BOOST_TEST(messages[0].second == "w");
  BOOST_TEST(messages[1].second == "e");
}

BOOST_AUTO_TEST_CASE(trace_level_lets_everything_through) {
  set_level(Level::trace);
  trace("t");
  debug("d");
  info("i");
  warn("w");
  error("e");
  BOOST_TEST(messages.size() == 5u);
  BOOST_TEST(messages.front().first == Level::trace);
}

BOOST_AUTO_TEST_CASE(off_silences_even_errors) {
  set_level(Level::off);
  error("e");
  emit(Level::error, "{}", 1);
  BOOST_TEST(messages.empty());
  BOOST_TEST(!enabled(Level::error));
  BOOST_TEST(!enabled(Level::off));
}

BOOST_AUTO_TEST_CASE(level_is_kept) {
  set_level(Level::debug);
  BOOST_TEST(level() == Level::debug);
  BOOST_TEST(enabled(Level::debug));
  BOOST_TEST(!enabled(Level::trace));
  BOOST_TEST(enabled(Level::error));
}

BOOST_AUTO_TEST_CASE(disabled_levels_are_not_formatted) {
  int formatted = 0;
  set_level(Level::info);
  debug("{}", FormatProbe{&formatted});
  BOOST_TEST(formatted == 0);
  BOOST_TEST(messages.empty());
  info("{}", FormatProbe{&formatted});
  BOOST_TEST(formatted == 1);
  BOOST_REQUIRE(messages.size() == 1u);
  BOOST_TEST(messages[0].second == "probe");
}

BOOST_AUTO_TEST_CASE(empty_sink_restores_the_default) {
  set_sink({});
  set_level(Level::off);  // keep stderr quiet; only the capture matters
  info("not captured");
  BOOST_TEST(messages.empty());
  int calls = 0;
  set_level(Level::info);
  set_sink([&calls](Level, std::string_view) { ++calls; });
  info("x");
  BOOST_TEST(calls == 1);
  BOOST_TEST(messages.empty());
}

BOOST_AUTO_TEST_CASE(level_names_round_trip) {
  for (Level l : {Level::trace, Level::debug, Level::info, Level::warn, Level::error, Level::off}) {
    const auto parsed = level_from_string(to_string(l));
    BOOST_REQUIRE(parsed.has_value());
    BOOST_TEST(*parsed == l);
  }
  BOOST_TEST(to_string(Level::warn) == "warn");
  BOOST_TEST(!level_from_string("verbose").has_value());
  BOOST_TEST(!level_from_string("INFO").has_value());
  BOOST_TEST(!level_from_string("").has_value());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval::log

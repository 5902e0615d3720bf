// Tests for seedval/core/json_reader.h: strict, located reading of configuration files. Every error
// must say where (file, key path, line and column) and what was expected.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <string_view>

#include <boost/test/unit_test.hpp>
#include <unistd.h>

#include <seedval/core/error.h>
#include <seedval/core/json_reader.h>

#include "support/errors.h"

namespace seedval {
namespace {

using nlohmann::json;

// Predicate for BOOST_CHECK_EXCEPTION: a ConfigError (code config) whose message holds `needle`.
auto config_error(std::string needle) {
  return testing::error_with(ErrorCode::config, std::move(needle));
}

// A temporary file removed at the end of the test.
class TempFile {
 public:
  explicit TempFile(std::string_view content) {
    path_ = std::filesystem::temp_directory_path() /
            ("seedval-json-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++) + ".json");
    std::ofstream(path_, std::ios::binary) << content;
  }
  ~TempFile() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(core_json_reader)

// --- parse_json / load_json_file ---------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(parse_json_accepts_valid_text) {
  const json j = parse_json(R"({"a": [1, 2], "b": "x"})", "t.json");
  BOOST_TEST(j.at("a").size() == 2u);
  BOOST_TEST(j.at("b").get<std::string>() == "x");
}

BOOST_AUTO_TEST_CASE(parse_error_names_origin_line_and_column) {
  // The '?' is line 3, column 8.
  const std::string text = "{\n  \"a\": 1,\n  \"b\": ?\n}\n";
  BOOST_CHECK_EXCEPTION(parse_json(text, "boards/bench.json"), ConfigError,
                        config_error("boards/bench.json:3:8: not valid JSON"));
  BOOST_CHECK_EXCEPTION(parse_json(text, "boards/bench.json"), ConfigError, config_error(":3:"));
}

BOOST_AUTO_TEST_CASE(parse_error_on_first_line) {
  BOOST_CHECK_EXCEPTION(parse_json("[1,,2]", "t.json"), ConfigError,
                        config_error("t.json:1:4: not valid JSON"));
}

BOOST_AUTO_TEST_CASE(parse_error_keeps_the_parser_reason) {
  BOOST_CHECK_EXCEPTION(parse_json("[1,,2]", "t.json"), ConfigError, config_error("parse error"));
}

BOOST_AUTO_TEST_CASE(parse_error_at_end_of_input) {
  BOOST_CHECK_EXCEPTION(parse_json("{\"a\": 1,\n\"b\": 2", "t.json"), ConfigError, config_error("t.json:2:"));
  BOOST_CHECK_EXCEPTION(parse_json("", "empty.json"), ConfigError, config_error("empty.json:1:"));
}

BOOST_AUTO_TEST_CASE(load_json_file_reads_a_file) {
  TempFile f(R"({"name": "bench", "size_mib": 16})");
  const json j = load_json_file(f.path());
  BOOST_TEST(j.at("name").get<std::string>() == "bench");
  BOOST_TEST(j.at("size_mib").get<int>() == 16);
}

BOOST_AUTO_TEST_CASE(load_json_file_names_the_file_on_a_parse_error) {
  TempFile f("{\n  \"name\": \"bench\"\n  \"size_mib\": 16\n}\n");
  BOOST_CHECK_EXCEPTION(load_json_file(f.path()), ConfigError, config_error(f.path().string() + ":3:"));
}

BOOST_AUTO_TEST_CASE(load_json_file_on_a_missing_file_is_not_found) {
  const auto path = std::filesystem::temp_directory_path() / "seedval-no-such-file-4711.json";
  BOOST_CHECK_EXCEPTION(load_json_file(path), NotFoundError, [&](const NotFoundError& e) {
    BOOST_TEST_MESSAGE("got: " << e.what());
    return e.code() == ErrorCode::not_found && e.message().find(path.string()) != std::string::npos &&
           e.message().find("no such file") != std::string::npos;
  });
}

BOOST_AUTO_TEST_CASE(json_type_names) {
  BOOST_TEST(json_type_name(json(nullptr)) == "null");
  BOOST_TEST(json_type_name(json::object()) == "an object");
  BOOST_TEST(json_type_name(json::array()) == "an array");
  BOOST_TEST(json_type_name(json("s")) == "a string");
  BOOST_TEST(json_type_name(json(true)) == "a boolean");
  BOOST_TEST(json_type_name(json(-3)) == "an integer");
  BOOST_TEST(json_type_name(json(3u)) == "an integer");
  BOOST_TEST(json_type_name(json(1.5)) == "a number");
}

// --- JsonObject ---------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(constructor_rejects_a_non_object) {
  const json j = json::array({1, 2});
  BOOST_CHECK_EXCEPTION(JsonObject(j, "f.json"), ConfigError,
                        config_error("f.json: top level: expected an object, got an array"));
  BOOST_CHECK_EXCEPTION(JsonObject(j, "f.json", "flow[2]"), ConfigError,
                        config_error("f.json: flow[2]: expected an object, got an array"));
}

BOOST_AUTO_TEST_CASE(reads_present_keys) {
  const json j = parse_json(R"({"name": "bench", "count": 3, "gain": 1.5, "on": true, "mode": "fast",)"
                            R"( "addr": "0x1f", "list": [1]})",
                            "f.json");
  JsonObject o(j, "f.json");
  BOOST_TEST(o.string("name") == "bench");
  BOOST_TEST(o.integer("count", 1, 64) == 3);
  BOOST_TEST(o.number("gain") == 1.5);
  BOOST_TEST(o.boolean_or("on", false) == true);
  BOOST_TEST(o.choice("mode", {"slow", "fast"}) == "fast");
  BOOST_TEST(o.unsigned_value("addr", 0xFF) == 0x1Fu);
  BOOST_TEST(o.array("list").size() == 1u);
  BOOST_CHECK_NO_THROW(o.finish());
}

BOOST_AUTO_TEST_CASE(missing_required_key) {
  const json j = json::object();
  JsonObject o(j, "f.json");
  BOOST_CHECK_EXCEPTION(o.string("name"), ConfigError, config_error("f.json: name: required key is missing"));
  BOOST_CHECK_EXCEPTION(o.integer("count", 0, 1), ConfigError,
                        config_error("count: required key is missing"));
  BOOST_CHECK_EXCEPTION(o.number("gain"), ConfigError, config_error("gain: required key is missing"));
  BOOST_CHECK_EXCEPTION(o.object("params"), ConfigError, config_error("params: required key is missing"));
  BOOST_CHECK_EXCEPTION(o.array("flow"), ConfigError, config_error("flow: required key is missing"));
  BOOST_CHECK_EXCEPTION(o.unsigned_value("addr", 10), ConfigError,
                        config_error("addr: required key is missing"));
}

BOOST_AUTO_TEST_CASE(wrong_types_name_what_was_expected_and_found) {
  const json j = parse_json(R"({"name": 5, "count": "ten", "gain": "high", "on": "yes", "params": [1],
                                "flow": {}, "frac": 1.5})",
                            "f.json");
  JsonObject o(j, "f.json");
  BOOST_CHECK_EXCEPTION(o.string("name"), ConfigError,
                        config_error("f.json: name: expected a string, got an integer 5"));
  BOOST_CHECK_EXCEPTION(
      o.integer("count", 1, 64), ConfigError,
      config_error("f.json: count: expected an integer from 1 to 64, got a string \"ten\""));
  BOOST_CHECK_EXCEPTION(o.integer("frac", 1, 64), ConfigError,
                        config_error("frac: expected an integer from 1 to 64, got a number 1.5"));
  BOOST_CHECK_EXCEPTION(o.number("gain"), ConfigError,
                        config_error("gain: expected a number, got a string \"high\""));
  BOOST_CHECK_EXCEPTION(o.boolean_or("on", false), ConfigError,
                        config_error("on: expected true or false, got a string \"yes\""));
  BOOST_CHECK_EXCEPTION(o.object("params"), ConfigError,
                        config_error("params: expected an object, got an array"));
  BOOST_CHECK_EXCEPTION(o.array("flow"), ConfigError, config_error("flow: expected an array, got an object"));
}

BOOST_AUTO_TEST_CASE(long_values_are_shortened_in_messages) {
  const std::string long_string(200, 'x');
  const json j = {{"count", long_string}};
  JsonObject o(j, "f.json");
  try {
    o.integer("count", 0, 1);
    BOOST_ERROR("no error for a string as integer");
  } catch (const ConfigError& e) {
    BOOST_TEST(e.message().find("...") != std::string::npos, e.message());
    BOOST_TEST(e.message().find(long_string) == std::string::npos, e.message());
  }
}

BOOST_AUTO_TEST_CASE(integer_range) {
  const json j = parse_json(
      R"({"lo": 0, "hi": 65, "neg": -5, "ok": 64, "min": 1, "huge": 18446744073709551615})", "f.json");
  JsonObject o(j, "f.json");
  BOOST_CHECK_EXCEPTION(o.integer("lo", 1, 64), ConfigError,
                        config_error("lo: expected an integer from 1 to 64, got 0"));
  BOOST_CHECK_EXCEPTION(o.integer("hi", 1, 64), ConfigError,
                        config_error("hi: expected an integer from 1 to 64, got 65"));
  BOOST_CHECK_EXCEPTION(o.integer("neg", 1, 64), ConfigError,
                        config_error("neg: expected an integer from 1 to 64, got -5"));
  BOOST_TEST(o.integer("ok", 1, 64) == 64);
  BOOST_TEST(o.integer("min", 1, 64) == 1);
  // Above INT64_MAX must not wrap to a negative number that then passes a signed range check.
  BOOST_CHECK_EXCEPTION(
      o.integer("huge", std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max()),
      ConfigError, config_error("huge: expected an integer from"));
  BOOST_CHECK_EXCEPTION(o.integer("huge", -10, 10), ConfigError, config_error("got 18446744073709551615"));
}

BOOST_AUTO_TEST_CASE(integer_accepts_the_full_signed_range) {
  const json j = parse_json(R"({"a": -9223372036854775808, "b": 9223372036854775807})", "f.json");
  JsonObject o(j, "f.json");
  constexpr auto kMin = std::numeric_limits<std::int64_t>::min();
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  BOOST_TEST(o.integer("a", kMin, kMax) == kMin);
  BOOST_TEST(o.integer("b", kMin, kMax) == kMax);
}

BOOST_AUTO_TEST_CASE(fallbacks_apply_only_when_absent) {
  const json j = parse_json(R"({"size_mib": 32, "name": "x", "gain": 2, "on": false})", "f.json");
  JsonObject o(j, "f.json");
  BOOST_TEST(o.integer_or("size_mib", 16, 1, 64) == 32);
  BOOST_TEST(o.integer_or("absent_int", 16, 1, 64) == 16);
  BOOST_TEST(o.string_or("name", "dflt") == "x");
  BOOST_TEST(o.string_or("absent_string", "dflt") == "dflt");
  BOOST_TEST(o.number_or("gain", 7.0) == 2.0);
  BOOST_TEST(o.number_or("absent_number", 7.0) == 7.0);
  BOOST_TEST(o.optional_number("gain").value_or(-1) == 2.0);
  BOOST_TEST(!o.optional_number("absent_number").has_value());
  BOOST_TEST(o.boolean_or("on", true) == false);
  BOOST_TEST(o.boolean_or("absent_bool", true) == true);
  BOOST_TEST(!o.optional_object("absent_object").has_value());
  BOOST_TEST(o.array_or_empty("absent_array").empty());
  BOOST_TEST(o.raw("absent_raw") == nullptr);
  BOOST_CHECK_NO_THROW(o.finish());
}

BOOST_AUTO_TEST_CASE(present_fallback_keys_are_still_validated) {
  const json j = parse_json(R"({"size_mib": 100000, "name": 3, "list": "no"})", "f.json");
  JsonObject o(j, "f.json");
  BOOST_CHECK_EXCEPTION(o.integer_or("size_mib", 16, 1, 65536), ConfigError,
                        config_error("size_mib: expected an integer from 1 to 65536, got 100000"));
  BOOST_CHECK_EXCEPTION(o.string_or("name", "x"), ConfigError, config_error("name: expected a string"));
  BOOST_CHECK_EXCEPTION(o.array_or_empty("list"), ConfigError, config_error("list: expected an array"));
}

BOOST_AUTO_TEST_CASE(finish_rejects_an_unknown_key_listing_the_expected_keys) {
  const json j = parse_json(R"({"name": "bench", "sise_mib": 32})", "boards/bench.json");
  JsonObject o(j, "boards/bench.json");
  o.string("name");
  o.integer_or("size_mib", 16, 1, 65536);
  BOOST_CHECK_EXCEPTION(
      o.finish(), ConfigError,
      config_error("boards/bench.json: sise_mib: unknown key (expected one of: name, size_mib)"));
}

BOOST_AUTO_TEST_CASE(finish_rejects_unread_keys_even_if_nothing_was_asked) {
  const json j = parse_json(R"({"stray": 1})", "f.json");
  JsonObject o(j, "f.json");
  BOOST_CHECK_EXCEPTION(o.finish(), ConfigError, config_error("f.json: stray: unknown key"));
}

BOOST_AUTO_TEST_CASE(finish_passes_when_every_key_was_read) {
  const json j = parse_json(R"({"a": 1, "b": {"c": 2}, "d": null})", "f.json");
  JsonObject o(j, "f.json");
  o.integer("a", 0, 9);
  auto b = o.object("b");
  b.integer("c", 0, 9);
  BOOST_TEST(o.raw("d") != nullptr);
  BOOST_CHECK_NO_THROW(b.finish());
  BOOST_CHECK_NO_THROW(o.finish());
}

BOOST_AUTO_TEST_CASE(accept_all_keys_disables_the_unknown_key_check) {
  const json j = parse_json(R"({"anything": 1, "goes": 2})", "f.json");
  JsonObject o(j, "f.json", "params");
  BOOST_CHECK_THROW(o.finish(), ConfigError);
  o.accept_all_keys();
  BOOST_CHECK_NO_THROW(o.finish());
}

BOOST_AUTO_TEST_CASE(choice_lists_the_allowed_values) {
  const json j = parse_json(R"({"mode": "turbo", "other": 3})", "f.json");
  JsonObject o(j, "f.json");
  BOOST_CHECK_EXCEPTION(o.choice("mode", {"slow", "normal", "fast"}), ConfigError,
                        config_error("f.json: mode: expected one of slow, normal, fast, got \"turbo\""));
  BOOST_CHECK_EXCEPTION(o.choice("other", {"a"}), ConfigError, config_error("other: expected a string"));
}

BOOST_AUTO_TEST_CASE(unsigned_value_accepts_json_integers_and_c_notation) {
  const json j =
      parse_json(R"({"hex": "0x1f", "HEX": "0X1F", "oct": "017", "dec": "42", "int": 42, "zero": "0",)"
                 R"( "max": "0xffffffffffffffff"})",
                 "f.json");
  JsonObject o(j, "f.json");
  constexpr auto kMax = std::numeric_limits<std::uint64_t>::max();
  BOOST_TEST(o.unsigned_value("hex", kMax) == 0x1Fu);
  BOOST_TEST(o.unsigned_value("HEX", kMax) == 0x1Fu);
  BOOST_TEST(o.unsigned_value("oct", kMax) == 15u);
  BOOST_TEST(o.unsigned_value("dec", kMax) == 42u);
  BOOST_TEST(o.unsigned_value("int", kMax) == 42u);
  BOOST_TEST(o.unsigned_value("zero", kMax) == 0u);
  BOOST_TEST(o.unsigned_value("max", kMax) == kMax);
}

BOOST_AUTO_TEST_CASE(unsigned_value_rejects_negative_and_non_numeric) {
  const json j = parse_json(R"({"neg": "-1", "abc": "abc", "empty": "", "tail": "12abc", "bare": "0x",
                                "jneg": -1, "float": 1.5, "bool": true, "spaced_neg": " -1",
                                "huge": "99999999999999999999999"})",
                            "f.json");
  JsonObject o(j, "f.json");
  constexpr auto kMax = std::numeric_limits<std::uint64_t>::max();
  const auto bad_string = [](const std::string& key, const std::string& value) {
    return config_error("f.json: " + key + ": expected an unsigned integer (decimal or 0x hex), got \"" +
                        value + "\"");
  };
  BOOST_CHECK_EXCEPTION(o.unsigned_value("neg", kMax), ConfigError, bad_string("neg", "-1"));
  BOOST_CHECK_EXCEPTION(o.unsigned_value("abc", kMax), ConfigError, bad_string("abc", "abc"));
  BOOST_CHECK_EXCEPTION(o.unsigned_value("empty", kMax), ConfigError, bad_string("empty", ""));
  BOOST_CHECK_EXCEPTION(o.unsigned_value("tail", kMax), ConfigError, bad_string("tail", "12abc"));
  BOOST_CHECK_EXCEPTION(o.unsigned_value("bare", kMax), ConfigError, bad_string("bare", "0x"));
  // std::stoull skips leading blanks and negates a '-' after them: " -1" must not become 2^64-1.
  BOOST_CHECK_EXCEPTION(o.unsigned_value("spaced_neg", kMax), ConfigError, bad_string("spaced_neg", " -1"));
  BOOST_CHECK_EXCEPTION(o.unsigned_value("huge", kMax), ConfigError,
                        bad_string("huge", "99999999999999999999999"));
  BOOST_CHECK_EXCEPTION(o.unsigned_value("jneg", kMax), ConfigError,
                        config_error("jneg: expected an unsigned integer, got an integer -1"));
  BOOST_CHECK_EXCEPTION(o.unsigned_value("float", kMax), ConfigError,
                        config_error("float: expected an unsigned integer, got a number 1.5"));
  BOOST_CHECK_EXCEPTION(o.unsigned_value("bool", kMax), ConfigError,
                        config_error("bool: expected an unsigned integer, got a boolean true"));
}

BOOST_AUTO_TEST_CASE(unsigned_value_enforces_the_maximum) {
  const json j = parse_json(R"({"s": "0x100", "i": 256, "edge": "0xff"})", "f.json");
  JsonObject o(j, "f.json");
  BOOST_CHECK_EXCEPTION(o.unsigned_value("s", 0xFF), ConfigError,
                        config_error("s: value 256 is above the maximum 255"));
  BOOST_CHECK_EXCEPTION(o.unsigned_value("i", 0xFF), ConfigError,
                        config_error("i: value 256 is above the maximum 255"));
  BOOST_TEST(o.unsigned_value("edge", 0xFF) == 0xFFu);
}

BOOST_AUTO_TEST_CASE(nested_paths_appear_in_messages) {
  const json j = parse_json(R"({"a": {"b": {"c": 5, "typo": 1}}})", "f.json");
  JsonObject root(j, "f.json");
  JsonObject a = root.object("a");
  BOOST_TEST(a.path() == "a");
  JsonObject b = a.object("b");
  BOOST_TEST(b.path() == "a.b");
  BOOST_TEST(b.where() == "f.json");
  BOOST_TEST(b.locate("c") == "f.json: a.b.c");
  BOOST_CHECK_EXCEPTION(b.integer("c", 0, 1), ConfigError,
                        config_error("f.json: a.b.c: expected an integer from 0 to 1, got 5"));
  BOOST_CHECK_EXCEPTION(b.finish(), ConfigError,
                        config_error("f.json: a.b.typo: unknown key (expected one of: c)"));
  BOOST_CHECK_EXCEPTION(b.fail("c", "too hot"), ConfigError, config_error("f.json: a.b.c: too hot"));
}

BOOST_AUTO_TEST_CASE(array_elements_get_indexed_paths) {
  const json j = parse_json(R"({"flow": [{"params": {"count": 1}}, {"params": {"count": 2}},
                                         {"params": {"count": "ten"}}]})",
                            "boards/bench.json");
  JsonObject root(j, "boards/bench.json");
  const json& flow = root.array("flow");
  BOOST_TEST(root.element_path("flow", 2) == "flow[2]");
  BOOST_TEST(flow.size() == 3u);
  for (std::size_t i = 0; i < 2; ++i) {
    JsonObject step(flow[i], root.where(), root.element_path("flow", i));
    auto params = step.object("params");
    BOOST_TEST(params.integer("count", 1, 64) == static_cast<std::int64_t>(i + 1));
  }
  JsonObject step(flow[2], root.where(), root.element_path("flow", 2));
  auto params = step.object("params");
  BOOST_TEST(params.path() == "flow[2].params");
  BOOST_CHECK_EXCEPTION(
      params.integer("count", 1, 64), ConfigError,
      config_error(
          "boards/bench.json: flow[2].params.count: expected an integer from 1 to 64, got a string \"ten\""));
  BOOST_TEST(params.element_path("list", 0) == "flow[2].params.list[0]");
}

BOOST_AUTO_TEST_CASE(raw_marks_the_key_as_read) {
  const json j = parse_json(R"({"free": {"x": [1, 2]}})", "f.json");
  JsonObject o(j, "f.json");
  const json* v = o.raw("free");
  BOOST_REQUIRE(v != nullptr);
  BOOST_TEST(v->is_object());
  BOOST_CHECK_NO_THROW(o.finish());
}

BOOST_AUTO_TEST_CASE(keys_from_an_included_file_name_that_file) {
  const json j =
      parse_json(R"({"name": 5, "limits": {"vmax": "high"}, "stray": 1, "own": 2})", "boards/bench.json");
  JsonObject o(j, "boards/bench.json");
  o.set_origin("name", "boards/base.json");
  o.set_origin("limits", "boards/base.json");
  o.set_origin("stray", "boards/common.json");
  BOOST_TEST(o.origin("name") == "boards/base.json");
  BOOST_TEST(o.origin("own") == "boards/bench.json");
  BOOST_TEST(o.where() == "boards/bench.json");
  BOOST_TEST(o.locate("name") == "boards/base.json: name");
  BOOST_CHECK_EXCEPTION(o.string("name"), ConfigError,
                        config_error("boards/base.json: name: expected a string, got an integer 5"));
  // An object from an included file carries that file into its own messages.
  JsonObject limits = o.object("limits");
  BOOST_TEST(limits.where() == "boards/base.json");
  BOOST_CHECK_EXCEPTION(limits.number("vmax"), ConfigError,
                        config_error("boards/base.json: limits.vmax: expected a number"));
  o.integer("own", 0, 9);
  BOOST_CHECK_EXCEPTION(o.finish(), ConfigError, config_error("boards/common.json: stray: unknown key"));
}

BOOST_AUTO_TEST_CASE(has_reports_presence) {
  const json j = parse_json(R"({"a": null})", "f.json");
  JsonObject o(j, "f.json");
  BOOST_TEST(o.has("a"));
  BOOST_TEST(!o.has("b"));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval

// Tests for seedval/exec/program.h: a program is validated completely before a unit is touched, and
// every mistake is reported with the origin, the location inside it and what was expected.
#include <cctype>
#include <set>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <seedval/core/error.h>
#include <seedval/exec/lot.h>
#include <seedval/exec/program.h>

#include "exec_test_support.h"

namespace seedval {
namespace {

using nlohmann::json;

constexpr std::string_view kWhere = "prog.json";

// A valid program that references registered tests; each case below breaks one thing in it.
json valid_program() {
  return json::parse(R"({
    "program": "exec-program-test", "revision": "3", "product": "SeedChip A0",
    "stop_on_fail": true,
    "hard_bins": [{"number": 1, "name": "pass", "pass": true}, {"number": 5, "name": "fail-memory", "pass": false},
                  {"number": 7, "name": "fail-other", "pass": false}, {"number": 9, "name": "tester-error", "pass": false}],
    "soft_bins": [{"number": 1, "name": "pass", "hard_bin": 1}, {"number": 500, "name": "memory", "hard_bin": 5},
                  {"number": 700, "name": "other", "hard_bin": 7}, {"number": 900, "name": "tester-error", "hard_bin": 9}],
    "pass_bin": 1,
    "tester_error_bin": 900,
    "retest": {"hard_bins": [7], "max_insertions": 3},
    "setup": [{"id": "hello", "test": "chip.identify"}],
    "flow": [
      {"id": "identify", "test": "chip.identify", "params": {"revision": "A0"}, "fail_bin": 700},
      {"id": "memory", "test": "memory.pattern", "params": {"patterns": "zeros,ones", "max_notes": 4},
       "limits": {"failing_bits": {"high": 0}, "bytes_tested": {"low": 1024, "high": 1048576}}, "fail_bin": 500,
       "description": "stuck cells"}
    ],
    "teardown": [{"id": "reset", "test": "chip.reset"}]
  })");
}

// Checks that parsing `program` throws a ConfigError whose message holds every one of `needles`.
void expect_config_error(const json& program, const std::vector<std::string>& needles) {
  bool thrown = false;
  try {
    parse_program(program.dump(2), kWhere);
  } catch (const ConfigError& e) {
    thrown = true;
    BOOST_TEST_MESSAGE("error: " << e.what());
    BOOST_TEST(e.code() == ErrorCode::config);
    for (const auto& n : needles) BOOST_TEST(exec_test::contains(e.message(), n));
  }
  BOOST_TEST(thrown, "no ConfigError for " << program.dump());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(exec_program)

BOOST_AUTO_TEST_CASE(valid_program_parses_completely) {
  const Program p = parse_program(valid_program().dump(), kWhere);
  BOOST_TEST(p.name == "exec-program-test");
  BOOST_TEST(p.revision == "3");
  BOOST_TEST(p.product == "SeedChip A0");
  BOOST_TEST(p.stop_on_fail);
  BOOST_TEST(p.hard_bins.size() == 4u);
  BOOST_TEST(p.soft_bins.size() == 4u);
  BOOST_TEST(p.pass_bin == 1);
  BOOST_TEST(p.tester_error_bin == 900);
  BOOST_TEST(p.max_insertions == 3);
  // The tester-error hard bin is always retestable, besides the ones the program names.
  BOOST_TEST(p.retestable(9));
  BOOST_TEST(p.retestable(7));
  BOOST_TEST(!p.retestable(5));
  BOOST_TEST(!p.retestable(1));
  BOOST_REQUIRE(p.setup.size() == 1u);
  BOOST_REQUIRE(p.flow.size() == 2u);
  BOOST_REQUIRE(p.teardown.size() == 1u);
  const Step& mem = p.flow[1];
  BOOST_TEST(mem.id == "memory");
  BOOST_TEST(mem.description == "stuck cells");
  BOOST_REQUIRE(mem.test != nullptr);
  BOOST_TEST(mem.test->name == "memory.pattern");
  BOOST_TEST(mem.fail_bin == 500);
  BOOST_TEST(mem.params.string("patterns") == "zeros,ones");
  BOOST_TEST(mem.params.integer("max_notes") == 4);
  BOOST_TEST(mem.params.integer("offset") == 0);  // defaults fill what the program leaves out
  BOOST_REQUIRE(mem.limits.count("bytes_tested") == 1u);
  BOOST_TEST(*mem.limits.at("bytes_tested").low == 1024.0);
  BOOST_TEST(*mem.limits.at("bytes_tested").high == 1048576.0);
  BOOST_TEST(!mem.limits.at("failing_bits").low.has_value());
  BOOST_TEST(p.hard_bin(5).name == "fail-memory");
  BOOST_TEST(p.soft_bin(500).hard_bin == 5);
  BOOST_CHECK_THROW(p.soft_bin(501), NotFoundError);
  BOOST_CHECK_THROW(p.hard_bin(6), NotFoundError);
  // The hash is of the exact text given.
  BOOST_TEST(p.sha256 == sha256_hex(valid_program().dump()));
}

BOOST_AUTO_TEST_CASE(defaults_without_retest_block) {
  json j = valid_program();
  j.erase("retest");
  j.erase("stop_on_fail");
  const Program p = parse_program(j.dump(), kWhere);
  BOOST_TEST(p.stop_on_fail);
  BOOST_TEST(p.max_insertions == 1);
  BOOST_TEST(p.retestable(9));
  BOOST_TEST(!p.retestable(7));
}

BOOST_AUTO_TEST_CASE(unknown_top_level_key) {
  json j = valid_program();
  j["stop_on_fial"] = false;
  expect_config_error(j, {"prog.json: stop_on_fial: unknown key", "stop_on_fail"});
}

BOOST_AUTO_TEST_CASE(missing_required_key) {
  json j = valid_program();
  j.erase("revision");
  expect_config_error(j, {"prog.json: revision: required key is missing"});
}

BOOST_AUTO_TEST_CASE(unknown_test_lists_the_registered_ones) {
  json j = valid_program();
  j["flow"][1]["test"] = "memory.patern";
  expect_config_error(j, {"prog.json: flow[1].test: ", "no test named \"memory.patern\"",
                          "registered:", "memory.pattern", "chip.identify", "test.pass"});
}

BOOST_AUTO_TEST_CASE(unknown_parameter_lists_the_tests_parameters) {
  json j = valid_program();
  j["flow"][1]["params"]["patern"] = "zeros";
  expect_config_error(j, {"prog.json: flow[1].params.patern: ", "has no parameter \"patern\"",
                          "patterns, seed, offset, length, max_notes"});
}

BOOST_AUTO_TEST_CASE(parameter_of_wrong_type) {
  json j = valid_program();
  j["flow"][1]["params"]["patterns"] = 5;
  expect_config_error(j, {"prog.json: flow[1].params.patterns: ", "expected a string", "got 5"});
  j = valid_program();
  j["flow"][1]["params"]["max_notes"] = "four";
  expect_config_error(j, {"prog.json: flow[1].params.max_notes: ", "expected an integer", "\"four\""});
  j = valid_program();
  j["flow"][1]["params"]["max_notes"] = json::array({4});
  expect_config_error(j, {"prog.json: flow[1].params.max_notes: ", "expected integer value, got an array"});
}

BOOST_AUTO_TEST_CASE(parameter_out_of_range) {
  json j = valid_program();
  j["flow"][1]["params"]["max_notes"] = 20000;
  expect_config_error(j, {"prog.json: flow[1].params.max_notes: ", "from 0 to 10000", "20000"});
  j = valid_program();
  j["flow"][1]["params"]["offset"] = -8;
  expect_config_error(j, {"prog.json: flow[1].params.offset: ", "at least 0", "-8"});
}

BOOST_AUTO_TEST_CASE(parameter_with_a_bad_choice) {
  json j = valid_program();
  j["flow"][1]["params"]["patterns"] = "zeros,stripes";
  expect_config_error(j, {"prog.json: flow[1].params.patterns: ", "\"stripes\" is not one", "checkerboard"});
}

BOOST_AUTO_TEST_CASE(unknown_measurement_in_limits) {
  json j = valid_program();
  j["flow"][1]["limits"]["failing_bytes"] = {{"high", 0}};
  expect_config_error(j, {"prog.json: flow[1].limits.failing_bytes: ", "has no measurement \"failing_bytes\"",
                          "failing_bits, failing_words, bytes_tested"});
}

BOOST_AUTO_TEST_CASE(low_limit_above_high_limit) {
  json j = valid_program();
  j["flow"][1]["limits"]["bytes_tested"] = {{"low", 10}, {"high", 2}};
  expect_config_error(j, {"prog.json: flow[1].limits.bytes_tested: ", "low limit 10 is above high limit 2"});
}

BOOST_AUTO_TEST_CASE(empty_limits_object) {
  json j = valid_program();
  j["flow"][1]["limits"]["failing_bits"] = json::object();
  expect_config_error(j, {"prog.json: flow[1].limits.failing_bits: ", "give \"low\", \"high\" or both"});
}

BOOST_AUTO_TEST_CASE(misspelt_limit_side) {
  json j = valid_program();
  j["flow"][1]["limits"]["failing_bits"] = {{"hihg", 0}};
  expect_config_error(j, {"prog.json: flow[1].limits.failing_bits.hihg: unknown key"});
}

BOOST_AUTO_TEST_CASE(limit_of_wrong_type) {
  json j = valid_program();
  j["flow"][1]["limits"]["failing_bits"] = {{"high", "zero"}};
  expect_config_error(j, {"prog.json: flow[1].limits.failing_bits.high: ", "expected a number"});
}

BOOST_AUTO_TEST_CASE(unknown_step_key) {
  json j = valid_program();
  j["flow"][0]["optinal"] = true;
  expect_config_error(j, {"prog.json: flow[0].optinal: unknown key"});
}

BOOST_AUTO_TEST_CASE(flow_step_without_fail_bin) {
  json j = valid_program();
  j["flow"][0].erase("fail_bin");
  expect_config_error(j, {"prog.json: flow[0].fail_bin: required key is missing"});
}

BOOST_AUTO_TEST_CASE(fail_bin_not_defined) {
  json j = valid_program();
  j["flow"][1]["fail_bin"] = 501;
  expect_config_error(j, {"prog.json: flow[1].fail_bin: soft bin 501 is not defined in soft_bins"});
}

BOOST_AUTO_TEST_CASE(fail_bin_mapping_to_a_pass_hard_bin) {
  json j = valid_program();
  j["flow"][1]["fail_bin"] = 1;
  expect_config_error(j, {"prog.json: flow[1].fail_bin: soft bin 1 maps to a pass hard bin"});
}

BOOST_AUTO_TEST_CASE(a_limit_may_name_its_own_fail_bin) {
  json j = valid_program();
  j["flow"][1]["limits"]["failing_bits"]["fail_bin"] = 700;
  const Program p = parse_program(j.dump(), kWhere);
  BOOST_TEST(p.flow[1].limit_bins.at("failing_bits") == 700);
  BOOST_TEST(p.flow[1].limit_bins.count("bytes_tested") == 0u);
  j["flow"][1]["limits"]["failing_bits"]["fail_bin"] = 701;
  expect_config_error(j, {"prog.json: flow[1].limits.failing_bits.fail_bin: soft bin 701 is not defined"});
  j["flow"][1]["limits"]["failing_bits"]["fail_bin"] = 1;
  expect_config_error(
      j, {"prog.json: flow[1].limits.failing_bits.fail_bin: soft bin 1 maps to a pass hard bin"});
}

BOOST_AUTO_TEST_CASE(grades_name_flow_steps_and_their_measurements_and_pass_bins) {
  json j = valid_program();
  j["hard_bins"].push_back({{"number", 4}, {"name", "pass-b"}, {"pass", true}});
  j["soft_bins"].push_back({{"number", 2}, {"name", "grade-b"}, {"hard_bin", 4}});
  j["grades"] = json::parse(R"([{"name": "A", "soft_bin": 1, "when": {"memory.bytes_tested": {"low": 4096}}},
                               {"name": "B", "soft_bin": 2, "when": {"memory.bytes_tested": {"low": 1024}}}])");
  j["no_grade_bin"] = 700;
  const Program p = parse_program(j.dump(), kWhere);
  BOOST_REQUIRE(p.grades.size() == 2u);
  BOOST_TEST(p.grades[1].name == "B");
  BOOST_TEST(p.grades[1].when.at(0).step == "memory");
  BOOST_TEST(p.grades[1].when.at(0).measurement == "bytes_tested");
  BOOST_TEST(p.grades[1].when.at(0).limits.low.value_or(0) == 1024.0);
  BOOST_TEST(p.no_grade_bin == 700);

  json bad = j;
  bad["grades"][0]["when"] = json::parse(R"({"nowhere.bytes_tested": {"low": 1}})");
  expect_config_error(bad, {"prog.json: grades[0].when.nowhere.bytes_tested", "no flow step \"nowhere\""});
  bad = j;
  bad["grades"][0]["when"] = json::parse(R"({"memory.volts": {"low": 1}})");
  expect_config_error(bad, {"test memory.pattern of step memory has no measurement \"volts\""});
  bad = j;
  bad["grades"][0]["soft_bin"] = 700;
  expect_config_error(bad, {"grades[0].soft_bin: soft bin 700 maps to a fail hard bin"});
  bad = j;
  bad.erase("no_grade_bin");
  expect_config_error(bad, {"no_grade_bin"});
  bad = valid_program();
  bad["no_grade_bin"] = 700;
  expect_config_error(bad, {"only a program with grades has a no-grade bin"});
  bad = j;
  bad["grades"][1]["name"] = "A";
  expect_config_error(bad, {"grade name \"A\" is empty or used twice"});
}

BOOST_AUTO_TEST_CASE(soft_bin_with_undefined_hard_bin) {
  json j = valid_program();
  j["soft_bins"][2]["hard_bin"] = 8;
  expect_config_error(j, {"prog.json: soft_bins[2].hard_bin: ", "hard bin 8 is not defined in hard_bins"});
}

BOOST_AUTO_TEST_CASE(duplicate_hard_bin_number) {
  json j = valid_program();
  j["hard_bins"].push_back({{"number", 5}, {"name", "again"}, {"pass", false}});
  expect_config_error(j, {"prog.json: hard_bins[4].number: ", "hard bin 5 is defined twice"});
}

BOOST_AUTO_TEST_CASE(duplicate_soft_bin_number) {
  json j = valid_program();
  j["soft_bins"].push_back({{"number", 500}, {"name", "again"}, {"hard_bin", 5}});
  expect_config_error(j, {"prog.json: soft_bins[4].number: ", "soft bin 500 is defined twice"});
}

BOOST_AUTO_TEST_CASE(hard_bin_without_pass_flag) {
  json j = valid_program();
  j["hard_bins"][1].erase("pass");
  expect_config_error(j, {"prog.json: hard_bins[1].pass: ", "expected true or false"});
}

BOOST_AUTO_TEST_CASE(duplicate_step_ids) {
  json j = valid_program();
  j["flow"][1]["id"] = "identify";
  expect_config_error(j, {"prog.json: flow[1].id: step id \"identify\" is used twice"});
  // Ids are unique across setup, flow and teardown.
  j = valid_program();
  j["teardown"][0]["id"] = "hello";
  expect_config_error(j, {"step id \"hello\" is used twice"});
}

BOOST_AUTO_TEST_CASE(empty_step_id) {
  json j = valid_program();
  j["flow"][0]["id"] = "";
  expect_config_error(j, {"prog.json: flow[0].id: must not be empty"});
}

BOOST_AUTO_TEST_CASE(pass_bin_mapping_to_a_failing_hard_bin) {
  json j = valid_program();
  j["pass_bin"] = 500;
  expect_config_error(j,
                      {"prog.json: pass_bin: ", "soft bin 500 maps to hard bin 5, which is not a pass bin"});
}

BOOST_AUTO_TEST_CASE(pass_bin_not_defined) {
  json j = valid_program();
  j["pass_bin"] = 2;
  expect_config_error(j, {"prog.json: pass_bin: ", "soft bin 2 is not defined in soft_bins"});
}

BOOST_AUTO_TEST_CASE(tester_error_bin_mapping_to_a_pass_hard_bin) {
  json j = valid_program();
  j["tester_error_bin"] = 1;
  expect_config_error(
      j, {"prog.json: tester_error_bin: ", "soft bin 1 maps to hard bin 1, which is a pass bin"});
}

BOOST_AUTO_TEST_CASE(empty_flow) {
  json j = valid_program();
  j["flow"] = json::array();
  expect_config_error(j, {"prog.json: flow: ", "at least one flow step"});
  j.erase("flow");
  expect_config_error(j, {"prog.json: flow: ", "at least one flow step"});
}

BOOST_AUTO_TEST_CASE(retest_of_a_pass_bin) {
  json j = valid_program();
  j["retest"]["hard_bins"] = json::array({7, 1});
  expect_config_error(j, {"prog.json: retest.hard_bins: ", "hard bin 1 is a pass bin"});
}

BOOST_AUTO_TEST_CASE(retest_of_an_undefined_bin) {
  json j = valid_program();
  j["retest"]["hard_bins"] = json::array({6});
  expect_config_error(j, {"prog.json: retest.hard_bins: ", "element 0 (6) is not a defined hard bin"});
}

BOOST_AUTO_TEST_CASE(max_insertions_out_of_range) {
  json j = valid_program();
  j["retest"]["max_insertions"] = 0;
  expect_config_error(j, {"prog.json: retest.max_insertions: ", "from 1 to 10"});
}

BOOST_AUTO_TEST_CASE(invalid_json_names_line_and_column) {
  const std::string text = "{\n  \"program\": \"x\",\n  \"revision\": 1\n  \"flow\": []\n}\n";
  BOOST_CHECK_EXCEPTION(parse_program(text, kWhere), ConfigError, [](const ConfigError& e) {
    BOOST_TEST_MESSAGE("error: " << e.what());
    // The missing comma is found at the end of the unexpected "flow": line 4, column 8.
    return exec_test::contains(e.message(), "prog.json:4:8: not valid JSON");
  });
}

BOOST_AUTO_TEST_CASE(top_level_not_an_object) {
  BOOST_CHECK_EXCEPTION(parse_program("[1, 2]", kWhere), ConfigError, [](const ConfigError& e) {
    return exec_test::contains(e.message(), "prog.json: top level: expected an object");
  });
}

BOOST_AUTO_TEST_CASE(production_program_loads_by_name) {
  // SEEDVAL_ROOT names the source tree under CTest.
  const Program p = load_program("seedchip-production");
  BOOST_TEST(p.name == "seedchip-production");
  BOOST_TEST(p.file.filename() == "seedchip-production.json");
  BOOST_TEST(p.sha256.size() == 64u);
  bool hex = true;
  for (char c : p.sha256)
    hex = hex && (std::isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f'));
  BOOST_TEST(hex, p.sha256);
  BOOST_TEST(p.sha256 == sha256_file(p.file));
  BOOST_TEST(!p.flow.empty());
  BOOST_TEST(!p.hard_bin(p.soft_bin(p.tester_error_bin).hard_bin).pass);
  BOOST_TEST(p.hard_bin(p.soft_bin(p.pass_bin).hard_bin).pass);
  // The same program by path.
  BOOST_TEST(load_program(p.file.string()).sha256 == p.sha256);
}

BOOST_AUTO_TEST_CASE(nonexistent_program_lists_what_was_tried) {
  BOOST_CHECK_EXCEPTION(load_program("no-such-program-h3"), NotFoundError, [](const NotFoundError& e) {
    BOOST_TEST_MESSAGE("error: " << e.what());
    return e.code() == ErrorCode::not_found &&
           exec_test::contains(e.message(), "no-such-program-h3: not found") &&
           exec_test::contains(e.message(), "fixtures/programs/no-such-program-h3.json");
  });
}

BOOST_AUTO_TEST_CASE(program_file_errors_name_the_file) {
  exec_test::TempDir dir;
  json j = valid_program();
  j["flow"][0]["params"]["revison"] = "A0";
  const auto file = dir.write("bad-program.json", j.dump(2));
  BOOST_CHECK_EXCEPTION(load_program(file.string()), ConfigError, [&](const ConfigError& e) {
    return exec_test::contains(e.message(), file.string() + ": flow[0].params.revison: ");
  });
}

BOOST_AUTO_TEST_CASE(single_test_program_bins_a_failure_to_soft_bin_2) {
  const Program p = single_test_program("memory.pattern", {{"patterns", std::string("zeros")}});
  BOOST_REQUIRE(p.flow.size() == 1u);
  BOOST_TEST(p.flow[0].params.string("patterns") == "zeros");
  BOOST_TEST(p.flow[0].fail_bin == 2);
  BOOST_TEST(!p.hard_bin(p.soft_bin(2).hard_bin).pass);
  BOOST_TEST(p.retestable(p.soft_bin(p.tester_error_bin).hard_bin));
  BOOST_CHECK_THROW(single_test_program("no.such.test", {}), NotFoundError);
  BOOST_CHECK_THROW(single_test_program("memory.pattern", {{"patterns", std::string("stripes")}}),
                    InvalidArgumentError);
  BOOST_CHECK_THROW(single_test_program("memory.pattern", {{"patern", std::string("zeros")}}),
                    InvalidArgumentError);
}

BOOST_AUTO_TEST_CASE(sha256_of_known_inputs) {
  BOOST_TEST(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  BOOST_TEST(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  exec_test::TempDir dir;
  BOOST_TEST(sha256_file(dir.write("abc.txt", "abc")) ==
             "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  BOOST_CHECK_EXCEPTION(sha256_file(dir.path() / "missing.txt"), IoError, [&](const IoError& e) {
    return exec_test::contains(e.message(), (dir.path() / "missing.txt").string());
  });
}

BOOST_AUTO_TEST_CASE(time_limits_and_covers_are_read_and_checked) {
  json j = valid_program();
  j["step_time_limit_s"] = 12.5;
  j["flow"][1]["time_limit_s"] = 3;
  j["flow"][1]["covers"] = {"SAF", "TF"};
  const Program p = parse_program(j.dump(), kWhere);
  BOOST_TEST(p.step_time_limit_s.value_or(0) == 12.5);
  BOOST_TEST(p.flow[1].time_limit_s.value_or(0) == 3.0);
  BOOST_TEST(!p.flow[0].time_limit_s.has_value());
  BOOST_TEST((p.flow[1].covers == std::vector<std::string>{"SAF", "TF"}));
  j["flow"][1]["time_limit_s"] = 0;
  expect_config_error(j, {"prog.json: flow[1].time_limit_s: expected seconds above 0"});
  j["flow"][1]["time_limit_s"] = 3;
  j["step_time_limit_s"] = -1;
  expect_config_error(j, {"prog.json: step_time_limit_s: expected seconds above 0"});
  j["step_time_limit_s"] = 1;
  j["flow"][1]["covers"] = {"SAF", 7};
  expect_config_error(j, {"prog.json: flow[1].covers: expected a list of defect class names"});
}

BOOST_AUTO_TEST_CASE(the_production_program_documents_what_its_tests_cover) {
  const Program p = load_program("seedchip-production");
  BOOST_TEST(p.step_time_limit_s.has_value());
  std::set<std::string> covered;
  for (const Step& s : p.flow) covered.insert(s.covers.begin(), s.covers.end());
  for (const char* c :
       {"SAF", "TF", "AF", "CFid", "SOF", "DRF", "RowHammer", "stuck bit", "stuck-at", "slow die"})
    BOOST_TEST(covered.count(c) == 1u, c << " is not covered by any step");
}

// Limits layers: a later layer overrides an earlier one; every mistake names its file and place.
std::string limits_text(std::string_view layer, std::string_view steps,
                        std::string_view program = "exec-program-test") {
  return fmt::format(R"({{"limits": "test-{}", "layer": "{}", "program": "{}", "steps": {}}})", layer, layer,
                     program, steps);
}

BOOST_AUTO_TEST_CASE(limits_layers_override_in_order) {
  Program p = parse_program(valid_program().dump(), kWhere);
  apply_limits(p, limits_text("base", R"({"memory": {"limits": {"failing_bits": {"high": 4}}}})"),
               "base.json");
  BOOST_TEST(p.flow[1].limits.at("failing_bits").high.value_or(-1) == 4.0);
  BOOST_TEST(p.flow[1].limits.at("bytes_tested").low.value_or(-1) == 1024.0);  // untouched
  apply_limits(p,
               limits_text("product", R"({"memory": {"limits": {"bytes_tested": {"low": null, "high": 2048},
                                                                   "failing_bits": {"fail_bin": 700}},
                                                        "time_limit_s": 2}})"),
               "product.json");
  BOOST_TEST(!p.flow[1].limits.at("bytes_tested").low.has_value());
  BOOST_TEST(p.flow[1].limits.at("bytes_tested").high.value_or(-1) == 2048.0);
  BOOST_TEST(p.flow[1].limits.at("failing_bits").high.value_or(-1) == 4.0);  // kept from the base layer
  BOOST_TEST(p.flow[1].limit_bins.at("failing_bits") == 700);
  BOOST_TEST(p.flow[1].time_limit_s.value_or(0) == 2.0);
  apply_limits(p, limits_text("temperature", R"({"reset": {"time_limit_s": 1}})"), "hot.json");
  BOOST_TEST(p.teardown[0].time_limit_s.value_or(0) == 1.0);
  BOOST_TEST_REQUIRE(p.limits_layers.size() == 3u);
  BOOST_TEST(p.limits_layers[0].layer == "base");
  BOOST_TEST(p.limits_layers[2].file == "hot.json");
  BOOST_TEST(
      p.limits_layers[1].sha256 ==
      sha256_hex(limits_text("product", R"({"memory": {"limits": {"bytes_tested": {"low": null, "high": 2048},
                                                                   "failing_bits": {"fail_bin": 700}},
                                                        "time_limit_s": 2}})")));
}

BOOST_AUTO_TEST_CASE(a_bad_limits_file_is_refused_whole_and_named) {
  Program p = parse_program(valid_program().dump(), kWhere);
  auto refused = [&](const std::string& text, const std::vector<std::string>& needles) {
    const Program before = p;
    bool thrown = false;
    try {
      apply_limits(p, text, "lim.json");
    } catch (const ConfigError& e) {
      thrown = true;
      BOOST_TEST_MESSAGE("error: " << e.what());
      for (const auto& n : needles) BOOST_TEST(exec_test::contains(e.message(), n), e.message());
    }
    BOOST_TEST(thrown, "no ConfigError for " << text);
    BOOST_TEST(p.limits_layers.size() == before.limits_layers.size());
    BOOST_TEST((p.flow[1].limits.at("failing_bits").high == before.flow[1].limits.at("failing_bits").high));
  };
  refused(limits_text("base", R"({"nosuch": {"time_limit_s": 1}})"),
          {"lim.json: steps.nosuch: program exec-program-test has no step \"nosuch\""});
  refused(limits_text("base", R"({"memory": {"limits": {"nosuch": {"high": 1}}}})"),
          {"lim.json: steps.memory.limits.nosuch: test memory.pattern has no measurement"});
  refused(
      limits_text("base",
                  R"({"memory": {"limits": {"failing_bits": {"high": 1}, "bytes_tested": {"low": 9e9}}}})"),
      {"lim.json: steps.memory.limits.bytes_tested: low limit"});
  refused(limits_text("base", R"({"memory": {"limits": {"failing_bits": {"fail_bin": 1}}}})"),
          {"lim.json: steps.memory.limits.failing_bits: soft bin 1 is not a defined fail bin"});
  refused(limits_text("base", "{}", "other-program"),
          {"lim.json: program: these limits are for program other-program"});
  refused(limits_text("cold", "{}"), {"lim.json: layer:"});
  refused(R"({"limits": "x", "layer": "base", "program": "exec-program-test", "steps": {}, "extra": 1})",
          {"lim.json", "extra"});
  apply_limits(p, limits_text("temperature", "{}"), "hot.json");
  refused(limits_text("product", "{}"),
          {"lim.json: layer: a product layer cannot come after the temperature layer"});
}

BOOST_AUTO_TEST_CASE(limits_files_are_found_by_path) {
  exec_test::TempDir dir;
  const auto file = dir.write(
      "hot.json", limits_text("temperature", R"({"memory": {"limits": {"failing_bits": {"high": 2}}}})"));
  Program p = parse_program(valid_program().dump(), kWhere);
  apply_limits_file(p, file.string());
  BOOST_TEST(p.flow[1].limits.at("failing_bits").high.value_or(-1) == 2.0);
  BOOST_TEST(p.limits_layers.at(0).sha256 == sha256_file(file));
  BOOST_CHECK_THROW(apply_limits_file(p, (dir.path() / "missing.json").string()), NotFoundError);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval

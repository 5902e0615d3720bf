// Tests for seedval/reports/lot_reports.h and unit_log.h: the JSON the reports hold, a golden bins.json,
// atomic writes, and the unit log (one parseable line per insertion, never silently lost).
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <seedval/core/error.h>
#include <seedval/reports/lot_reports.h>
#include <seedval/reports/stdf.h>
#include <seedval/reports/unit_log.h>

#include "reports_test_support.h"

#ifndef SEEDVAL_REPORTS_GOLDEN_DIR
#error "SEEDVAL_REPORTS_GOLDEN_DIR must name tests/reports/golden"
#endif

namespace seedval::reports {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using reports_test::contains;
using reports_test::read_file;
using reports_test::TempDir;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::vector<std::string> entries(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(reports_lot_reports)

BOOST_AUTO_TEST_CASE(yield_report_holds_the_summary) {
  const Program p = reports_test::report_program();
  const std::string text = yield_report(reports_test::small_lot(), p);
  const json j = json::parse(text);
  BOOST_TEST(j["schema"] == "seedval.yield");
  BOOST_TEST(j["schema_version"] == kYieldSchemaVersion);
  BOOST_TEST(j["counts"]["units"] == 5);
  BOOST_TEST(j["counts"]["insertions"] == 6);
  BOOST_TEST(j["counts"]["passed_first"] == 3);
  BOOST_TEST(j["counts"]["passed_final"] == 4);
  BOOST_TEST((j["yield"]["first_pass"] == json{{"numerator", 3}, {"denominator", 5}, {"value", 0.6}}));
  BOOST_TEST((j["yield"]["final"] == json{{"numerator", 4}, {"denominator", 5}, {"value", 0.8}}));
  BOOST_TEST((j["yield"]["retest_rate"] == json{{"numerator", 1}, {"denominator", 5}, {"value", 0.2}}));
  BOOST_TEST((j["yield"]["recovery_rate"] == json{{"numerator", 1}, {"denominator", 1}, {"value", 1.0}}));
  BOOST_TEST(j["sites"].size() == 2u);
  BOOST_TEST(j["tests"].size() == 10u);
  BOOST_TEST(j["provenance"]["lot"] == "SMALL");
  BOOST_TEST(j["provenance"]["program"]["sha256"] == p.sha256);
  BOOST_TEST(j["provenance"]["site_count"] == 2);
  BOOST_TEST(
      (j["checks"] == json{{"bins_sum_to_units", true}, {"fpy_le_fy", true}, {"sites_sum_to_units", true}}));
  // Limits that are open are null; so is a Ppk that cannot be computed.
  for (const auto& t : j["tests"]) {
    if (t["measurement"] == "vdd_core") {
      BOOST_TEST(t["low"].is_null());
      BOOST_TEST(t["high"].is_null());
      BOOST_TEST(t["ppk"].is_null());
    }
  }
  BOOST_TEST(text.back() == '\n');
}

BOOST_AUTO_TEST_CASE(bins_report_tables_and_pareto) {
  const json j = json::parse(bins_report(reports_test::small_lot(), reports_test::report_program()));
  BOOST_TEST(j["schema"] == "seedval.bins");
  BOOST_TEST(j["schema_version"] == kBinsSchemaVersion);
  BOOST_TEST(j["units"] == 5);
  // First pass: memory (500) and tester error (900) fail one unit each; tied counts keep number order.
  const json& fp = j["first_pass"]["pareto"];
  BOOST_REQUIRE(fp.size() == 2u);
  BOOST_TEST(fp[0]["soft_bin"] == 500);
  BOOST_TEST(fp[1]["soft_bin"] == 900);
  BOOST_TEST((fp[1]["cumulative_share"] == json{{"numerator", 2}, {"denominator", 5}, {"value", 0.4}}));
  // Final: the tester error recovered, only memory is left.
  const json& fin = j["final"]["pareto"];
  BOOST_REQUIRE(fin.size() == 1u);
  BOOST_TEST(fin[0]["soft_bin"] == 500);
  BOOST_TEST(fin[0]["hard_bin"] == 5);
  BOOST_TEST((fin[0]["cumulative_share"] == json{{"numerator", 1}, {"denominator", 5}, {"value", 0.2}}));
  // The soft-to-hard map is the program's.
  BOOST_TEST(j["soft_to_hard"].size() == 5u);
  BOOST_TEST((j["soft_to_hard"][2] == json{{"soft_bin", 500}, {"hard_bin", 5}}));
  // Per-site counts are keyed by site number.
  BOOST_TEST((j["final"]["hard_bins"][0]["per_site"] == json{{"0", 3}, {"1", 1}}));
  BOOST_TEST(j["final"]["hard_bins"][0]["count"] == 4);
  BOOST_TEST(!j["final"]["hard_bins"][0].contains("hard_bin"));
  BOOST_TEST(j["final"]["soft_bins"][0]["hard_bin"] == 1);
}

BOOST_AUTO_TEST_CASE(bigger_fail_bins_come_first_in_the_pareto) {
  LotResult lot = reports_test::small_lot();
  // Two more dies fail identity: soft bin 300 then holds 2 units, more than memory's 1.
  for (int x : {8, 9}) {
    UnitRecord u = lot.insertions[4];
    u.die.x = x;
    u.unit = x;
    u.soft_bin = 300;
    u.hard_bin = 3;
    lot.insertions.push_back(u);
  }
  const json j = json::parse(bins_report(lot, reports_test::report_program()));
  const json& fin = j["final"]["pareto"];
  BOOST_REQUIRE(fin.size() == 2u);
  BOOST_TEST(fin[0]["soft_bin"] == 300);
  BOOST_TEST(fin[0]["count"] == 2);
  BOOST_TEST(fin[1]["soft_bin"] == 500);
  BOOST_TEST(fin[1]["cumulative_share"]["numerator"] == 3);
  BOOST_TEST(fin[1]["cumulative_share"]["denominator"] == 7);
}

BOOST_AUTO_TEST_CASE(empty_lot_reports_null_ratios) {
  const Program p = reports_test::report_program();
  const json y = json::parse(yield_report(LotResult{}, p));
  BOOST_TEST(y["counts"]["units"] == 0);
  for (const char* k : {"first_pass", "final", "retest_rate", "recovery_rate"}) {
    BOOST_TEST(y["yield"][k]["denominator"] == 0, k);
    BOOST_TEST(y["yield"][k]["value"].is_null(), k);
  }
  BOOST_TEST(y["sites"].empty());
  BOOST_TEST(y["test_time"]["per_insertion_s"]["n"] == 0);
  const json b = json::parse(bins_report(LotResult{}, p));
  BOOST_TEST(b["units"] == 0);
  BOOST_TEST(b["final"]["hard_bins"].size() == 5u);
  BOOST_TEST(b["final"]["hard_bins"][0]["share"]["value"].is_null());
  BOOST_TEST(b["final"]["pareto"].empty());
  BOOST_TEST(b["checks"]["bins_sum_to_units"] == true);
}

// Golden file: bins.json of the hand-built lot, byte for byte. After a deliberate change to the report,
// regenerate it with
//   SEEDVAL_UPDATE_GOLDEN=1 ctest --preset release -R '^reports$'
// and review the diff of tests/reports/golden/bins_small.json before committing it.
BOOST_AUTO_TEST_CASE(bins_report_matches_the_golden_file) {
  const fs::path golden = fs::path(SEEDVAL_REPORTS_GOLDEN_DIR) / "bins_small.json";
  const std::string text = bins_report(reports_test::small_lot(), reports_test::report_program());
  if (const char* update = std::getenv("SEEDVAL_UPDATE_GOLDEN");
      update != nullptr && std::string(update) == "1") {
    write_file_atomic(golden, text);
    BOOST_TEST_MESSAGE("updated " << golden.string());
    return;
  }
  BOOST_REQUIRE_MESSAGE(fs::is_regular_file(golden), golden.string()
                                                         << " is missing: run with SEEDVAL_UPDATE_GOLDEN=1");
  const std::string want = read_file(golden);
  const auto got_lines = lines_of(text);
  const auto want_lines = lines_of(want);
  for (std::size_t i = 0; i < std::min(got_lines.size(), want_lines.size()); ++i) {
    if (got_lines[i] != want_lines[i]) {
      BOOST_ERROR("bins.json differs from " << golden.string() << " at line " << i + 1 << ":\n  golden: "
                                            << want_lines[i] << "\n  now:    " << got_lines[i]);
      break;
    }
  }
  BOOST_TEST(got_lines.size() == want_lines.size());
  BOOST_TEST(text == want);
}

BOOST_AUTO_TEST_CASE(write_file_atomic_replaces_and_leaves_no_temporary) {
  TempDir dir;
  const fs::path file = dir.path() / "yield.json";
  write_file_atomic(file, "first\n");
  BOOST_TEST(read_file(file) == "first\n");
  write_file_atomic(file, "second, longer content\n");
  BOOST_TEST(read_file(file) == "second, longer content\n");
  write_file_atomic(file, "");
  BOOST_TEST(read_file(file).empty());
  BOOST_TEST(entries(dir.path()) == std::vector<std::string>{"yield.json"}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(write_file_atomic_into_an_unwritable_place_names_the_path) {
  BOOST_CHECK_EXCEPTION(write_file_atomic("/proc/x/yield.json", "{}"), IoError, [](const IoError& e) {
    BOOST_TEST_MESSAGE("error: " << e.what());
    return e.code() == ErrorCode::io && contains(e.message(), "/proc/x/yield.json");
  });
}

BOOST_AUTO_TEST_CASE(write_lot_reports_creates_the_folder_and_every_file) {
  TempDir dir;
  const fs::path out = dir.path() / "lots" / "SMALL";
  const LotResult lot = reports_test::small_lot();
  const Program p = reports_test::report_program();
  const auto files = write_lot_reports(lot, p, out);
  BOOST_REQUIRE(files.size() == 5u);  // and report.html, junit.xml: html_junit_test.cpp
  BOOST_TEST(files[0] == out / "yield.json");
  BOOST_TEST(files[1] == out / "bins.json");
  BOOST_TEST(files[2] == out / "SMALL.stdf");
  BOOST_TEST(read_file(files[0]) == yield_report(lot, p));
  BOOST_TEST(read_file(files[1]) == bins_report(lot, p));
  BOOST_TEST(read_file(files[2]) == stdf_bytes(lot, p));
  BOOST_TEST(entries(out) == (std::vector<std::string>{"SMALL.stdf", "bins.json", "junit.xml", "report.html",
                                                       "yield.json"}),
             boost::test_tools::per_element());
  BOOST_CHECK_EXCEPTION(write_lot_reports(lot, p, "/proc/x"), IoError, [](const IoError& e) {
    BOOST_TEST_MESSAGE("error: " << e.what());
    return contains(e.message(), "/proc/x");
  });
}

BOOST_AUTO_TEST_CASE(reports_from_a_source_read_it_once_and_match_the_lot_in_memory) {
  TempDir dir;
  const LotResult lot = reports_test::small_lot();
  const Program p = reports_test::report_program();
  LotResult header = lot;
  header.insertions.clear();  // the provenance only, as ResultStore::load_header gives it
  // The insertions in a different order: x=4's retest before its first insertion. The summary and
  // junit.xml still take the retest as the unit's final word.
  std::vector<UnitRecord> order = lot.insertions;
  std::stable_partition(order.begin(), order.end(), [](const UnitRecord& u) { return u.insertion > 1; });
  BOOST_REQUIRE(order.front().insertion == 2);
  int calls = 0;
  reports::LotSummary summary;
  const auto files = write_lot_reports(
      header, p,
      [&](const std::function<void(const UnitRecord&)>& f) {
        ++calls;
        for (const auto& u : order) f(u);
      },
      dir.path() / "streamed", &summary);
  BOOST_TEST(calls == 1);
  BOOST_REQUIRE(files.size() == 5u);
  const auto in_memory = write_lot_reports(lot, p, dir.path() / "in-memory");
  BOOST_TEST(read_file(files[0]) == read_file(in_memory[0]));  // yield.json
  BOOST_TEST(read_file(files[1]) == read_file(in_memory[1]));  // bins.json
  BOOST_TEST(summary.units == 5);
  BOOST_TEST(summary.retest_rate.numerator == 1);
  // junit.xml: the same cases, x=4's retest in place of its tester error, whatever the order.
  const std::string junit = read_file(files[4]);
  BOOST_TEST(junit.find("tester-error") == std::string::npos);
  BOOST_TEST(junit.find("tests=\"14\"") != std::string::npos);
  BOOST_TEST(
      entries(dir.path() / "streamed") ==
          (std::vector<std::string>{"SMALL.stdf", "bins.json", "junit.xml", "report.html", "yield.json"}),
      boost::test_tools::per_element());
  // A subset, as seedval report writes for several lots together.
  reports::ReportSet some;
  some.stdf = false;
  some.junit = false;
  const auto few = write_lot_reports(
      header, p,
      [&](const std::function<void(const UnitRecord&)>& f) {
        for (const auto& u : lot.insertions) f(u);
      },
      dir.path() / "some", nullptr, some);
  BOOST_TEST(few.size() == 3u);
  BOOST_TEST(
      entries(dir.path() / "some") == (std::vector<std::string>{"bins.json", "report.html", "yield.json"}),
      boost::test_tools::per_element());
  BOOST_TEST(read_file(few[2]) == read_file(in_memory[3]));  // report.html
}

BOOST_AUTO_TEST_CASE(unit_record_json_is_one_line_with_every_field) {
  const LotResult lot = reports_test::small_lot();
  const Program p = reports_test::report_program();
  const std::string line = unit_record_json(lot.insertions[4], p);
  BOOST_TEST(line.find('\n') == std::string::npos);
  const json j = json::parse(line);
  BOOST_TEST((j["die"] == json{{"lot", "SMALL"}, {"wafer", 1}, {"x", 5}, {"y", 7}}));
  BOOST_TEST(j["ecid"] == fmt::format("0x{:016x}", chip::encode_ecid(lot.insertions[4].die)));
  BOOST_TEST(j["soft_bin"] == 500);
  BOOST_TEST(j["soft_bin_name"] == "memory-stuck-cells");
  BOOST_TEST(j["hard_bin"] == 5);
  BOOST_TEST(j["hard_bin_name"] == "fail-memory");
  BOOST_TEST(j["passed"] == false);
  BOOST_TEST(j["failing_step"] == "memory");
  BOOST_TEST(j["steps"].size() == 2u);
  BOOST_TEST(j["steps"][1]["outcome"] == "failed");
  BOOST_TEST(j["steps"][1]["notes"].size() == 1u);
  BOOST_TEST(j["steps"][1]["measurements"][0]["low"].is_null());
  BOOST_TEST(j["steps"][1]["measurements"][0]["high"] == 0.0);
  // A unit whose ECID was never read says so; an errored step carries its code.
  const json link = json::parse(unit_record_json(lot.insertions[3], p));
  BOOST_TEST(link["ecid"].is_null());
  BOOST_TEST(link["tester_error"] == true);
  BOOST_TEST(link["steps"][0]["error_code"] == "transport");
  // A passing unit has no failing step or message.
  const json pass = json::parse(unit_record_json(lot.insertions[0], p));
  BOOST_TEST(!pass.contains("failing_step"));
  BOOST_TEST(!pass.contains("message"));
}

BOOST_AUTO_TEST_CASE(unit_log_appends_one_parseable_line_per_unit) {
  TempDir dir;
  const fs::path file = dir.path() / "units.jsonl";
  const LotResult lot = reports_test::small_lot();
  const Program p = reports_test::report_program();
  {
    UnitLog log(file, p);
    for (const auto& u : lot.insertions) log.unit_finished(u);
    // Synced as each unit finishes: the lines are on disk before the log is closed.
    BOOST_TEST(lines_of(read_file(file)).size() == lot.insertions.size());
  }
  {
    UnitLog again(file, p);  // a resumed lot appends, never truncates
    again.unit_finished(lot.insertions[0]);
  }
  const std::string text = read_file(file);
  BOOST_TEST(text.back() == '\n');
  const auto lines = lines_of(text);
  BOOST_REQUIRE(lines.size() == lot.insertions.size() + 1);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const json j = json::parse(lines[i]);
    const UnitRecord& u = lot.insertions[i % lot.insertions.size()];
    BOOST_TEST(j["part_id"] == u.part_id, "line " << i + 1);
    BOOST_TEST(j["insertion"] == u.insertion, "line " << i + 1);
    BOOST_TEST(lines[i] == unit_record_json(u, p), "line " << i + 1);
  }
}

BOOST_AUTO_TEST_CASE(artifacts_are_saved_beside_the_log_before_the_record_names_them) {
  TempDir dir;
  const fs::path file = dir.path() / "units.jsonl";
  const Program p = reports_test::report_program();
  UnitRecord u = reports_test::small_lot().insertions[0];
  BOOST_REQUIRE(!u.steps.empty());
  u.steps[0].artifacts.push_back({"fail_bitmap", "application/json", R"({"cells": []})"});
  u.steps[0].artifacts.push_back({"notes", "text/plain", "plain text"});
  {
    UnitLog log(file, p);
    log.unit_finished(u);
  }
  const json j = json::parse(lines_of(read_file(file)).at(0));
  const json& listed = j["steps"][0]["artifacts"];
  BOOST_REQUIRE(listed.size() == 2u);
  const std::string expected_file =
      fmt::format("artifacts/{}-i{}-{}-fail_bitmap.json", u.part_id, u.insertion, u.steps[0].id);
  BOOST_TEST(listed[0]["file"] == expected_file);
  BOOST_TEST(listed[0]["name"] == "fail_bitmap");
  BOOST_TEST(listed[0]["bytes"] == 13);
  BOOST_TEST(listed[1]["file"].get<std::string>().ends_with("-notes.txt"));
  BOOST_TEST(read_file(dir.path() / expected_file) == R"({"cells": []})");
  BOOST_TEST(read_file(dir.path() / listed[1]["file"].get<std::string>()) == "plain text");
  // Steps without artifacts list none.
  if (j["steps"].size() > 1) BOOST_TEST(!j["steps"][1].contains("artifacts"));
}

BOOST_AUTO_TEST_CASE(unit_log_that_cannot_write_throws) {
  const Program p = reports_test::report_program();
  BOOST_CHECK_EXCEPTION(UnitLog("/proc/x/units.jsonl", p), IoError,
                        [](const IoError& e) { return contains(e.message(), "/proc/x/units.jsonl"); });
  // A full disk: the record cannot be stored, and the lot must hear about it.
  UnitLog full("/dev/full", p);
  BOOST_CHECK_EXCEPTION(full.unit_finished(reports_test::small_lot().insertions[0]), IoError,
                        [](const IoError& e) {
                          BOOST_TEST_MESSAGE("error: " << e.what());
                          return contains(e.message(), "/dev/full") && contains(e.message(), "unit 1");
                        });
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval::reports

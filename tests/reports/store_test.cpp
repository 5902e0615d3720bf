// The results store (seedval/store/store.h): a lot recorded and loaded back is the same lot, to the
// byte of every report built from it; it refuses a second record of an insertion; errors name the file.
#include <cmath>
#include <filesystem>
#include <limits>

#include <boost/test/unit_test.hpp>
#include <sqlite3.h>

#include <seedval/core/error.h>
#include <seedval/reports/lot_reports.h>
#include <seedval/reports/stdf.h>
#include <seedval/store/store.h>

#include "reports_test_support.h"
#include "support/errors.h"

namespace seedval {
namespace {

using reports_test::TempDir;
using testing::expect_error;

void record(ResultStore& store, const LotResult& lot) {
  StoreSink sink(store);
  sink.lot_started(lot.info);
  for (const auto& u : lot.insertions) sink.unit_finished(u);
  sink.lot_finished(lot);
}

LotResult with_sites(LotResult lot) {
  lot.sites = {{0, "golden-board site 0", 4, 1, false, ""}, {1, "golden-board site 1", 2, 0, true, "gone"}};
  lot.stopped_because = "";
  return lot;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(results_store)

BOOST_AUTO_TEST_CASE(a_lot_stored_and_loaded_gives_the_same_reports) {
  TempDir dir;
  const Program program = reports_test::report_program();
  LotResult lot = with_sites(reports_test::small_lot());
  // Values a store must not bend: an ECID with its top bit set, a NaN measurement, an artifact, notes.
  lot.insertions[0].ecid = 0xF123456789ABCDEFull;
  lot.insertions[1].steps[0].notes = {"first note", "second: with ; and '"};
  lot.insertions[1].steps[0].artifacts.push_back(
      {"bitmap", "application/json", std::string("{\"a\":\0}", 8)});
  bool nan_set = false;
  for (auto& s : lot.insertions[2].steps)
    if (!s.measurements.empty() && !nan_set) {
      s.measurements[0].value = std::numeric_limits<double>::quiet_NaN();
      nan_set = true;
    }
  BOOST_REQUIRE(nan_set);
  {
    ResultStore store(dir.path() / "results.db");
    record(store, lot);
  }
  ResultStore store(dir.path() / "results.db");  // reopened: everything was on disk
  BOOST_TEST(store.lots() == std::vector<std::string>{"SMALL"}, boost::test_tools::per_element());
  const LotResult back = store.load("SMALL");
  BOOST_TEST(back.insertions.size() == lot.insertions.size());
  BOOST_TEST(reports::yield_report(back, program) == reports::yield_report(lot, program));
  BOOST_TEST(reports::bins_report(back, program) == reports::bins_report(lot, program));
  BOOST_TEST(reports::stdf_bytes(back, program) == reports::stdf_bytes(lot, program));
  BOOST_TEST(*back.insertions[0].ecid == 0xF123456789ABCDEFull);
  BOOST_TEST(!back.insertions[3].ecid.has_value());
  BOOST_TEST(back.insertions[1].steps[0].notes == lot.insertions[1].steps[0].notes,
             boost::test_tools::per_element());
  BOOST_TEST(back.insertions[1].steps[0].artifacts.back().content == std::string("{\"a\":\0}", 8));
  bool nan_back = false;
  for (const auto& s : back.insertions[2].steps)
    for (const auto& m : s.measurements) nan_back = nan_back || std::isnan(m.value);
  BOOST_TEST(nan_back);
  BOOST_REQUIRE(back.sites.size() == 2u);
  BOOST_TEST(back.sites[1].out_of_service);
  BOOST_TEST(back.sites[1].reason == "gone");
  BOOST_TEST(back.info.inputs.size() == lot.info.inputs.size());
}

BOOST_AUTO_TEST_CASE(an_insertion_is_recorded_once) {
  TempDir dir;
  ResultStore store(dir.path() / "results.db");
  const LotResult lot = reports_test::small_lot();
  record(store, lot);
  const auto msg = expect_error<InvalidArgumentError>(
      [&] { store.add_insertion("SMALL", lot.insertions[2]); }, ErrorCode::invalid_argument);
  CHECK_CONTAINS(msg, "lot SMALL already records unit 3 insertion 1");
  BOOST_TEST(store.load("SMALL").insertions.size() == lot.insertions.size());
  CHECK_CONTAINS(
      expect_error<InvalidArgumentError>([&] { store.begin_lot(lot.info); }, ErrorCode::invalid_argument),
      "already holds lot SMALL");
  CHECK_CONTAINS(expect_error<NotFoundError>([&] { (void)store.load("NOPE"); }, ErrorCode::not_found),
                 "holds no lot NOPE");
  store.remove_lot("SMALL");
  BOOST_TEST(store.lots().empty());
}

BOOST_AUTO_TEST_CASE(a_store_that_cannot_be_used_is_a_clear_error) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "a-folder");
  CHECK_CONTAINS(expect_error<IoError>([&] { ResultStore s(dir.path() / "a-folder"); }, ErrorCode::io),
                 "a-folder: cannot open the results store");
  const auto text = dir.write("not-a-db", "this is not a database, it is text that goes on for a while\n");
  CHECK_CONTAINS(expect_error<IoError>([&] { ResultStore s(text); }, ErrorCode::io), "not-a-db");
  // A store of another schema version is refused, not misread.
  { ResultStore s(dir.path() / "future.db"); }
  sqlite3* db = nullptr;
  BOOST_REQUIRE(sqlite3_open((dir.path() / "future.db").c_str(), &db) == SQLITE_OK);
  BOOST_REQUIRE(sqlite3_exec(db, "UPDATE meta SET value = '99' WHERE key = 'schema_version'", nullptr,
                             nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  CHECK_CONTAINS(expect_error<IoError>([&] { ResultStore s(dir.path() / "future.db"); }, ErrorCode::io),
                 "schema version 99; this seedval reads 1");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval

// The results store (seedval/store/store.h), the same cases on both backends (SQLite and a throwaway
// PostgreSQL server): a lot recorded and loaded back is the same lot, to the bit of every value and the
// byte of every report built from it; a second record of an insertion or a lot is refused; files are
// kept with their content; insertions stream back in the order recorded; an older schema is brought up
// to date and a newer one refused.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <fmt/core.h>
#include <sqlite3.h>

#include <seedval/core/error.h>
#include <seedval/core/units.h>
#include <seedval/reports/lot_reports.h>
#include <seedval/reports/stdf.h>
#include <seedval/store/store.h>

#include "reports_test_support.h"
#include "store_test_support.h"
#include "support/errors.h"

namespace seedval {
namespace {

namespace data = boost::unit_test::data;
using store_test::check_same;
using store_test::kBackends;
using store_test::Place;
using store_test::record;
using testing::expect_error;

LotResult with_sites(LotResult lot) {
  lot.sites = {{0, "golden-board site 0", 4, 1, false, ""}, {1, "golden-board site 1", 2, 0, true, "gone"}};
  lot.stopped_because = "";
  return lot;
}

/// The small lot with values a store must not bend: an ECID with its top bit set, a NaN measurement,
/// one-sided and missing limits, doubles that need all 17 digits, the smallest subnormal and the largest
/// double, artifacts with NUL and non-UTF-8 bytes, notes with quotes. With `negative_zero`, one value is
/// -0.0, which both backends store as 0.0 (SQLite keeps no negative zero).
LotResult awkward_lot(double negative_zero = 0.0) {
  LotResult lot = with_sites(reports_test::small_lot());
  lot.insertions[0].ecid = 0xF123456789ABCDEFull;
  lot.insertions[0].input_hashes = {std::string(64, 'a'), std::string(64, 'b')};
  lot.insertions[1].steps[0].notes = {"first note", "second: with ; and ' and \" and ?"};
  lot.insertions[1].steps[0].artifacts.push_back(
      {"bitmap", "application/json", std::string("{\"a\":\0}", 8)});
  lot.insertions[1].steps[0].artifacts.push_back(
      {"raw", "application/octet-stream", std::string("\xff\x00\x80\n", 4)});
  auto& ms = lot.insertions[0].steps.back().measurements;
  ms.push_back({"sum", 0.1 + 0.2, units::volt, {0.25, std::nullopt}, Outcome::passed});
  ms.push_back({"tiny", 4.9406564584124654e-324, units::none, {}, Outcome::passed});
  ms.push_back({"zero", negative_zero, units::watt, {std::nullopt, 1.0}, Outcome::passed});
  ms.push_back({"huge", -1.7976931348623157e308, units::none, {}, Outcome::passed});
  lot.insertions[0].test_time_s = 1.0 / 3.0;
  bool nan_set = false;
  for (auto& s : lot.insertions[2].steps)
    if (!s.measurements.empty() && !nan_set) {
      s.measurements[0].value = std::numeric_limits<double>::quiet_NaN();
      nan_set = true;
    }
  BOOST_REQUIRE(nan_set);
  return lot;
}

std::string count(const Place& place, const std::string& table) {
  return place.sql("SELECT COUNT(*) FROM " + table);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(results_store)

BOOST_DATA_TEST_CASE(a_lot_stored_and_loaded_is_the_same_lot, data::make(kBackends), backend) {
  Place place(backend);
  const Program program = reports_test::report_program();
  const LotResult lot = awkward_lot();
  record(*place.open(), awkward_lot(-0.0));
  const auto store = place.open();  // reopened: everything was durable
  BOOST_TEST(store->lots() == std::vector<std::string>{"SMALL"}, boost::test_tools::per_element());
  const LotResult back = store->load("SMALL");
  BOOST_REQUIRE(back.insertions.size() == lot.insertions.size());
  for (std::size_t i = 0; i < lot.insertions.size(); ++i) check_same(back.insertions[i], lot.insertions[i]);
  BOOST_TEST(reports::yield_report(back, program) == reports::yield_report(lot, program));
  BOOST_TEST(reports::bins_report(back, program) == reports::bins_report(lot, program));
  BOOST_TEST(reports::stdf_bytes(back, program) == reports::stdf_bytes(lot, program));
  BOOST_TEST(*back.insertions[0].ecid == 0xF123456789ABCDEFull);
  BOOST_TEST(!back.insertions[3].ecid.has_value());
  BOOST_TEST(back.insertions[0].input_hashes == lot.insertions[0].input_hashes,
             boost::test_tools::per_element());
  BOOST_TEST(back.insertions[1].input_hashes.empty());
  bool nan_back = false;
  for (const auto& s : back.insertions[2].steps)
    for (const auto& m : s.measurements) nan_back = nan_back || std::isnan(m.value);
  BOOST_TEST(nan_back);
  BOOST_REQUIRE(back.sites.size() == 2u);
  BOOST_TEST(back.sites[1].out_of_service);
  BOOST_TEST(back.sites[1].reason == "gone");
  BOOST_TEST(back.info.inputs.size() == lot.info.inputs.size());
  BOOST_TEST(back.info.program.sha256 == lot.info.program.sha256);
  BOOST_TEST(back.info.temperature_c == lot.info.temperature_c);
  BOOST_TEST(store->insertion_count("SMALL") == static_cast<std::int64_t>(lot.insertions.size()));
}

BOOST_DATA_TEST_CASE(reports_streamed_from_the_store_are_those_of_the_lot, data::make(kBackends), backend) {
  // What seedval lot and seedval report do: the header, then the insertions one at a time.
  Place place(backend);
  const Program program = reports_test::report_program();
  const LotResult lot = awkward_lot();
  record(*place.open(), lot);
  const auto store = place.open();
  reports_test::TempDir dir;
  const auto streamed = reports::write_lot_reports(
      store->load_header("SMALL"), program,
      [&](const std::function<void(const UnitRecord&)>& f) {
        store->for_each_insertion(
            "SMALL", [&](UnitRecord&& u) { f(u); }, false);
      },
      dir.path() / "streamed");
  const auto whole = reports::write_lot_reports(with_sites(lot), program, dir.path() / "whole");
  BOOST_REQUIRE(streamed.size() == whole.size());
  for (std::size_t i = 0; i < whole.size(); ++i) {
    BOOST_TEST_CONTEXT(whole[i].filename().string()) {
      BOOST_TEST(reports_test::read_file(streamed[i]) == reports_test::read_file(whole[i]));
    }
  }
}

BOOST_DATA_TEST_CASE(an_insertion_and_a_lot_are_recorded_once, data::make(kBackends), backend) {
  Place place(backend);
  const auto store = place.open();
  const LotResult lot = reports_test::small_lot();
  record(*store, lot);
  const auto msg = expect_error<InvalidArgumentError>(
      [&] { store->add_insertion("SMALL", lot.insertions[2]); }, ErrorCode::invalid_argument);
  CHECK_CONTAINS(msg, "lot SMALL already records unit 3 insertion 1");
  CHECK_STARTS_WITH(msg, store->location());
  // The refused insertion left nothing behind, and the store goes on working.
  BOOST_TEST(store->load("SMALL").insertions.size() == lot.insertions.size());
  BOOST_TEST(count(place, "steps") == std::to_string([&] {
               std::size_t n = 0;
               for (const auto& u : lot.insertions) n += u.steps.size();
               return n;
             }()));
  CHECK_CONTAINS(
      expect_error<InvalidArgumentError>([&] { store->begin_lot(lot.info); }, ErrorCode::invalid_argument),
      "already holds lot SMALL");
  CHECK_CONTAINS(expect_error<NotFoundError>([&] { (void)store->load("NOPE"); }, ErrorCode::not_found),
                 "holds no lot NOPE");
  CHECK_CONTAINS(expect_error<NotFoundError>([&] { store->add_insertion("NOPE", lot.insertions[0]); },
                                             ErrorCode::not_found),
                 "holds no lot NOPE");
  BOOST_TEST(store->has_lot("SMALL"));
  BOOST_TEST(!store->has_lot("NOPE"));
}

BOOST_DATA_TEST_CASE(lots_are_listed_in_order_and_removed_whole, data::make(kBackends), backend) {
  Place place(backend);
  const auto store = place.open();
  LotResult lot = reports_test::small_lot();
  for (const char* id : {"L2", "L1", "L3"}) {
    lot.info.lot_id = id;
    record(*store, lot);
  }
  store->add_file("L1", "program", {"p", "p.json", ""}, "{}");
  BOOST_TEST(store->lots() == (std::vector<std::string>{"L2", "L1", "L3"}), boost::test_tools::per_element());
  store->remove_lot("L1");
  BOOST_TEST(store->lots() == (std::vector<std::string>{"L2", "L3"}), boost::test_tools::per_element());
  BOOST_TEST(store->load("L3").insertions.size() == lot.insertions.size());
  // Everything of L1 went with it: two lots' rows are left.
  BOOST_TEST(count(place, "insertions") == std::to_string(2 * lot.insertions.size()));
  BOOST_TEST(count(place, "lot_files") == "0");
  BOOST_TEST(count(place, "measurements") ==
             std::to_string(2 * std::stoul(place.sql("SELECT COUNT(*) FROM measurements m JOIN steps s ON "
                                                     "s.id = m.step JOIN insertions i ON i.id = s.insertion "
                                                     "JOIN lots l ON l.id = i.lot WHERE l.lot_id = 'L2'"))));
  store->remove_lot("L2");
  store->remove_lot("L3");
  BOOST_TEST(store->lots().empty());
  for (const char* table : {"insertions", "steps", "measurements", "notes", "artifacts", "sites", "inputs"})
    BOOST_TEST(count(place, table) == "0", table);
  // A lot removed can be started again.
  record(*store, lot);
  BOOST_TEST(store->lots() == std::vector<std::string>{"L3"}, boost::test_tools::per_element());
}

BOOST_DATA_TEST_CASE(files_are_kept_with_their_content, data::make(kBackends), backend) {
  Place place(backend);
  const LotResult lot = reports_test::small_lot();
  const std::string program_text = reports_test::report_program_text();
  const std::string binary("\x00\x01\xfe\xff zero \x00 and high bytes", 26);
  {
    const auto store = place.open();
    record(*store, lot);
    store->add_file("SMALL", "program", {"report-test", "/fixtures/p.json", sha256_hex(program_text)},
                    program_text);
    store->add_file("SMALL", "board", {"sim", "/boards/sim.json", ""}, binary);  // hash computed
    store->add_file("SMALL", "empty", {"nothing", "/dev/null", ""}, "");
    // A file whose bytes are not those hashed when the lot started is refused, naming it.
    const auto msg = expect_error<InvalidArgumentError>(
        [&] {
          store->add_file("SMALL", "program", {"p", "/changed.json", sha256_hex("before")}, "after");
        },
        ErrorCode::invalid_argument);
    CHECK_CONTAINS(msg, "/changed.json changed since lot SMALL started");
    CHECK_CONTAINS(expect_error<NotFoundError>([&] { store->add_file("NOPE", "program", {}, "x"); },
                                               ErrorCode::not_found),
                   "holds no lot NOPE");
  }
  const auto store = place.open();
  const std::vector<StoredFile> files = store->files("SMALL");
  BOOST_REQUIRE(files.size() == 3u);
  BOOST_TEST(files[0].role == "program");
  BOOST_TEST(files[0].ref.name == "report-test");
  BOOST_TEST(files[0].ref.path == "/fixtures/p.json");
  BOOST_TEST(files[0].ref.sha256 == sha256_hex(program_text));
  BOOST_TEST(files[0].content == program_text);
  BOOST_TEST(files[1].role == "board");
  BOOST_TEST(files[1].content == binary);
  BOOST_TEST(files[1].ref.sha256 == sha256_hex(binary));
  BOOST_TEST(files[2].content.empty());
  CHECK_CONTAINS(expect_error<NotFoundError>([&] { (void)store->files("NOPE"); }, ErrorCode::not_found),
                 "holds no lot NOPE");
}

BOOST_AUTO_TEST_CASE(a_store_sink_keeps_files_from_disk_and_content_given) {
  Place place("sqlite");
  const LotResult lot = reports_test::small_lot();
  const std::string program_text = reports_test::report_program_text();
  const std::filesystem::path limits = place.dir().path() / "limits.json";
  const std::string limits_text = R"({"limits": "cold", "layer": "temperature", "steps": {}})";
  { std::ofstream(limits) << limits_text; }
  {
    const auto store = place.open();
    StoreSink sink(*store);
    sink.keep_file("limits", {"limits.json", limits.string(), sha256_hex(limits_text)});
    // A program made in code has no file: its JSON is kept as given, under no path.
    sink.keep_content("program", {"report-test", "", sha256_hex(program_text)}, program_text);
    sink.lot_started(lot.info);
    // Content that is not what its hash says is refused, naming it.
    StoreSink wrong(*store);
    wrong.keep_content("program", {"made-in-python", "", sha256_hex("before")}, "after");
    LotInfo other = lot.info;
    other.lot_id = "OTHER";
    const auto msg =
        expect_error<InvalidArgumentError>([&] { wrong.lot_started(other); }, ErrorCode::invalid_argument);
    CHECK_CONTAINS(msg, "made-in-python changed since lot OTHER started");
  }
  const auto store = place.open();
  const std::vector<StoredFile> files = store->files("SMALL");
  BOOST_REQUIRE(files.size() == 2u);
  BOOST_TEST(files[0].role == "limits");
  BOOST_TEST(files[0].content == limits_text);
  BOOST_TEST(files[1].role == "program");
  BOOST_TEST(files[1].ref.path.empty());
  BOOST_TEST(files[1].content == program_text);
  BOOST_TEST(files[1].ref.sha256 == sha256_hex(program_text));
}

BOOST_DATA_TEST_CASE(insertions_stream_in_the_order_recorded, data::make(kBackends), backend) {
  Place place(backend);
  const auto store = place.open();
  // Two lots written in turns, insertions with 0 to 4 steps of 0 to 5 measurements, notes and artifacts:
  // each value says whose it is, so a row merged into the wrong insertion or step shows.
  LotInfo a = reports_test::small_lot().info, b = a;
  a.lot_id = "A";
  b.lot_id = "B";
  store->begin_lot(a);
  store->begin_lot(b);
  std::vector<UnitRecord> wrote_a;
  for (int n = 0; n < 60; ++n) {
    UnitRecord u;
    u.unit = n % 25;
    u.insertion = 1 + n / 25;
    u.part_id = std::to_string(u.unit);
    u.die = {"A", 1, u.unit, 0};
    u.finish_time = fmt::format("t{:03}", 60 - n);  // finish order is the order recorded, not this
    for (int s = 0; s < n % 5; ++s) {
      StepRecord step;
      step.id = fmt::format("u{}s{}", n, s);
      for (int m = 0; m < (n + s) % 6; ++m)
        step.measurements.push_back(
            {fmt::format("u{}s{}m{}", n, s, m), n * 100.0 + s * 10 + m, units::volt, {}, Outcome::passed});
      if (s % 2 == 1) step.notes = {fmt::format("note u{}s{}", n, s)};
      if (s == 3) step.artifacts = {{fmt::format("art-u{}", n), "text/plain", fmt::format("u{}", n)}};
      u.steps.push_back(std::move(step));
    }
    store->add_insertion("A", u);
    wrote_a.push_back(u);
    UnitRecord other = u;
    other.die.lot = "B";
    for (auto& s : other.steps)
      for (auto& m : s.measurements) m.value = -m.value;
    store->add_insertion("B", other);
  }
  BOOST_TEST(store->insertion_count("A") == 60);
  BOOST_TEST(store->insertion_count("B") == 60);
  std::size_t i = 0;
  store->for_each_insertion("A", [&](UnitRecord&& u) {
    BOOST_REQUIRE(i < wrote_a.size());
    check_same(u, wrote_a[i]);
    ++i;
  });
  BOOST_TEST(i == wrote_a.size());
  // load() is built on it.
  const LotResult back = store->load("B");
  BOOST_REQUIRE(back.insertions.size() == 60u);
  BOOST_TEST(back.insertions[59].die.lot == "B");
  BOOST_TEST(back.insertions[59].steps[3].measurements[1].value == -(59 * 100.0 + 3 * 10 + 1));
  // A lot with no insertions streams nothing; an unknown lot is an error.
  LotInfo c = a;
  c.lot_id = "C";
  store->begin_lot(c);
  int calls = 0;
  store->for_each_insertion("C", [&](UnitRecord&&) { ++calls; });
  BOOST_TEST(calls == 0);
  BOOST_TEST(store->insertion_count("C") == 0);
  CHECK_CONTAINS(expect_error<NotFoundError>([&] { store->for_each_insertion("NOPE", [](UnitRecord&&) {}); },
                                             ErrorCode::not_found),
                 "holds no lot NOPE");
  // The callback may stop the read by throwing; the store is usable after.
  BOOST_CHECK_THROW(store->for_each_insertion("A", [](UnitRecord&&) { throw std::runtime_error("enough"); }),
                    std::runtime_error);
  store->add_insertion("C", wrote_a[0]);
  BOOST_TEST(store->insertion_count("C") == 1);
}

BOOST_DATA_TEST_CASE(a_version_1_store_is_brought_to_version_3, data::make(kBackends), backend) {
  Place place(backend);
  const LotResult lot = awkward_lot();
  record(*place.open(), lot);
  // What seedval wrote before lot_files and the packed steps: the same tables without them, version 1.
  place.sql("DROP TABLE lot_files");
  place.sql("ALTER TABLE insertions DROP COLUMN input_hashes");
  place.sql("ALTER TABLE insertions DROP COLUMN packed_steps");
  place.sql("ALTER TABLE lots DROP COLUMN packed_steps");
  place.sql("UPDATE meta SET value = '1' WHERE key = 'schema_version'");
  BOOST_REQUIRE(place.sql("SELECT value FROM meta WHERE key = 'schema_version'") == "1");
  const auto store = place.open();
  BOOST_TEST(place.sql("SELECT value FROM meta WHERE key = 'schema_version'") == "3");
  // The old lot is read from its rows, whole.
  LotResult back = store->load("SMALL");
  BOOST_REQUIRE(back.insertions.size() == lot.insertions.size());
  for (std::size_t i = 0; i < lot.insertions.size(); ++i) {
    UnitRecord want = lot.insertions[i];
    want.input_hashes.clear();  // version 1 had no column for them
    check_same(back.insertions[i], want);
  }
  BOOST_TEST(store->files("SMALL").empty());
  store->add_file("SMALL", "program", {"p", "p.json", ""}, "{}");
  BOOST_TEST(store->files("SMALL").size() == 1u);
  // Insertions recorded from now on keep their input hashes, and the old lot is still read from its rows.
  UnitRecord more = lot.insertions[0];
  more.insertion = 7;
  more.input_hashes = {std::string(64, 'c')};
  store->add_insertion("SMALL", more);
  back = store->load("SMALL");
  check_same(back.insertions.back(), more);
  // A new lot is packed.
  LotInfo fresh = lot.info;
  fresh.lot_id = "FRESH";
  store->begin_lot(fresh);
  store->add_insertion("FRESH", more);
  check_same(store->load("FRESH").insertions.at(0), more);
  BOOST_TEST(place.sql("SELECT packed_steps FROM lots WHERE lot_id = 'FRESH'") == "1");
  BOOST_TEST(place.sql("SELECT packed_steps FROM lots WHERE lot_id = 'SMALL'") == "0");
}

BOOST_DATA_TEST_CASE(a_lot_reads_the_same_from_its_rows_and_its_packed_steps, data::make(kBackends),
                     backend) {
  Place place(backend);
  record(*place.open(), awkward_lot());
  const LotResult packed = place.open()->load("SMALL");
  place.sql("UPDATE lots SET packed_steps = 0");  // read it from the rows instead
  const LotResult rows = place.open()->load("SMALL");
  BOOST_REQUIRE(rows.insertions.size() == packed.insertions.size());
  for (std::size_t i = 0; i < rows.insertions.size(); ++i)
    check_same(rows.insertions[i], packed.insertions[i]);
  // Packed steps cut short or lost are an error naming the insertion, never a unit read with fewer steps.
  place.sql("UPDATE lots SET packed_steps = 1");
  place.sql("UPDATE insertions SET packed_steps = substr(packed_steps, 1, 40) WHERE unit = 1");
  auto msg = expect_error<IoError>([&] { place.open()->load("SMALL"); }, ErrorCode::io);
  CHECK_CONTAINS(msg, "unit 2 insertion 1: its packed steps are damaged (");
  CHECK_STARTS_WITH(msg, place.shown());
  place.sql("UPDATE insertions SET packed_steps = NULL WHERE unit = 1");
  msg = expect_error<IoError>([&] { place.open()->load("SMALL"); }, ErrorCode::io);
  CHECK_CONTAINS(msg, "unit 2 insertion 1 has lost its steps");
}

BOOST_DATA_TEST_CASE(a_newer_schema_is_refused, data::make(kBackends), backend) {
  Place place(backend);
  { place.open(); }
  place.sql("UPDATE meta SET value = '99' WHERE key = 'schema_version'");
  const auto msg = expect_error<IoError>([&] { place.open(); }, ErrorCode::io);
  CHECK_CONTAINS(msg, "schema version 99; this seedval reads versions 1 to 3");
  CHECK_STARTS_WITH(msg, place.shown());
  // Refused, not changed.
  BOOST_TEST(place.sql("SELECT value FROM meta WHERE key = 'schema_version'") == "99");
}

BOOST_AUTO_TEST_CASE(a_store_file_that_cannot_be_used_is_a_clear_error) {
  reports_test::TempDir dir;
  std::filesystem::create_directories(dir.path() / "a-folder");
  CHECK_CONTAINS(expect_error<IoError>([&] { ResultStore s(dir.path() / "a-folder"); }, ErrorCode::io),
                 "a-folder: cannot open the results store");
  const auto text = dir.write("not-a-db", "this is not a database, it is text that goes on for a while\n");
  CHECK_CONTAINS(expect_error<IoError>([&] { ResultStore s(text); }, ErrorCode::io), "not-a-db");
  CHECK_CONTAINS(expect_error<IoError>([&] { (void)ResultStore::open(text.string()); }, ErrorCode::io),
                 "not-a-db");
}

BOOST_AUTO_TEST_CASE(a_location_names_its_backend) {
  using B = ResultStore::Backend;
  BOOST_TEST((ResultStore::backend_of("postgresql://ft@db1:5432/lots") == B::postgresql));
  BOOST_TEST((ResultStore::backend_of("postgres://db1/lots") == B::postgresql));
  BOOST_TEST((ResultStore::backend_of("host=db1 dbname=lots") == B::postgresql));
  BOOST_TEST((ResultStore::backend_of("  dbname = lots") == B::postgresql));
  BOOST_TEST((ResultStore::backend_of("out/LOT001/results.db") == B::sqlite));
  BOOST_TEST((ResultStore::backend_of("results.db") == B::sqlite));
  BOOST_TEST((ResultStore::backend_of("out/key=value/results.db") == B::sqlite));
  BOOST_TEST((ResultStore::backend_of("color=blue") == B::sqlite));  // not a libpq keyword
  reports_test::TempDir dir;
  const auto store = ResultStore::open((dir.path() / "r.db").string());
  BOOST_TEST((store->backend() == B::sqlite));
  BOOST_TEST(store->file() == dir.path() / "r.db");
  BOOST_TEST(store->location() == (dir.path() / "r.db").string());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval

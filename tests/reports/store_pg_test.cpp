// The results store on PostgreSQL (a throwaway server of Debian's postgresql package, see
// support/postgres_server.h) against the same store on SQLite: the same lot gives the same reports to the
// byte; a server that cannot be reached or goes away mid-lot is an IoError naming it, and stops the lot
// before the unit counts; several stations write one database at once; a password never shows.
#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <fmt/core.h>

#include <seedval/boards/board.h>
#include <seedval/core/error.h>
#include <seedval/exec/handler.h>
#include <seedval/exec/lot.h>
#include <seedval/reports/lot_reports.h>
#include <seedval/reports/stdf.h>
#include <seedval/store/store.h>

#include "reports_test_support.h"
#include "store_test_support.h"
#include "support/errors.h"
#include "support/postgres_server.h"

namespace seedval {
namespace {

using store_test::check_same;
using store_test::Place;
using store_test::record;
using testing::expect_error;

/// Calls `action` when the `n`th unit reaches it.
class ActionSink final : public ResultSink {
 public:
  ActionSink(int n, std::function<void()> action) : n_(n), action_(std::move(action)) {}
  void unit_finished(const UnitRecord&) override {
    if (++seen_ == n_) action_();
  }

 private:
  int n_;
  int seen_ = 0;
  std::function<void()> action_;
};

class CountingSink final : public ResultSink {
 public:
  void unit_finished(const UnitRecord&) override { ++units; }
  int units = 0;
};

/// The URI of a server that was there a moment ago and is not any more (nothing listens on its port),
/// and how messages name it.
std::pair<std::string, std::string> unreachable_uri() {
  testing::PostgresServer gone;
  std::pair<std::string, std::string> out{gone.uri("nothing"), gone.shown("nothing")};
  gone.stop();
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(results_store_postgresql)

BOOST_AUTO_TEST_CASE(a_real_lot_stored_in_sqlite_and_postgresql_gives_the_same_reports) {
  // One run of a lot on the simulated board, recorded into both stores at once.
  Place lite("sqlite"), pg("postgresql");
  const auto a = lite.open();
  const auto b = pg.open();
  BOOST_TEST((b->backend() == ResultStore::Backend::postgresql));
  StoreSink into_a(*a), into_b(*b);
  const Program program = reports_test::report_program();
  auto board = open_board("seedchip-sim");
  SimHandler handler("TWIN", 12);
  LotOptions options;
  options.lot_id = "TWIN";
  options.station = "station-1";
  const LotResult run = run_lot(*board, handler, program, options, {&into_a, &into_b});
  BOOST_REQUIRE(run.insertions.size() >= 12u);

  const LotResult from_a = a->load("TWIN");
  const LotResult from_b = b->load("TWIN");
  BOOST_REQUIRE(from_b.insertions.size() == run.insertions.size());
  for (std::size_t i = 0; i < run.insertions.size(); ++i)
    check_same(from_b.insertions[i], from_a.insertions[i]);
  const std::string yield = reports::yield_report(from_a, program);
  BOOST_TEST(reports::yield_report(from_b, program) == yield);
  BOOST_TEST(reports::bins_report(from_b, program) == reports::bins_report(from_a, program));
  BOOST_TEST(reports::stdf_bytes(from_b, program) == reports::stdf_bytes(from_a, program));
  // ... and the same as the lot as it ran.
  BOOST_TEST(reports::yield_report(run, program) == yield);
  BOOST_TEST(yield.find("\"TWIN\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_keyword_form_reaches_the_same_database_and_a_password_never_shows) {
  testing::PostgresServer& server = testing::shared_postgres_server();
  const std::string password = testing::PostgresServer::kPassword;
  const std::string uri = server.create_database();
  const std::string db = uri.substr(uri.rfind('/') + 1);
  BOOST_REQUIRE(uri.find(password) != std::string::npos);
  {
    const auto store = ResultStore::open(uri);
    record(*store, reports_test::small_lot());
    BOOST_TEST(store->location() == server.shown(db));
    BOOST_TEST(store->file().empty());
  }
  const auto by_keywords = ResultStore::open(server.keywords(db));
  BOOST_TEST(by_keywords->lots() == std::vector<std::string>{"SMALL"}, boost::test_tools::per_element());
  BOOST_TEST(by_keywords->location() == server.shown(db));
  const auto refused = expect_error<InvalidArgumentError>(
      [&] { by_keywords->begin_lot(reports_test::small_lot().info); }, ErrorCode::invalid_argument);
  CHECK_LACKS(refused, password);
  CHECK_STARTS_WITH(refused, server.shown(db) + ": already holds lot SMALL");
  // A password the server refuses: an error naming the server and the reason, not the password.
  const auto denied =
      expect_error<IoError>([&] { (void)ResultStore::open(server.uri(db, "wrong-pw-1234")); }, ErrorCode::io);
  CHECK_STARTS_WITH(denied, server.shown(db) + ": cannot connect to the results store: ");
  CHECK_CONTAINS(denied, "password authentication failed for user \"seedval\"");
  CHECK_LACKS(denied, "wrong-pw-1234");
  // A database that is not there is named, with the server's reason.
  const auto missing =
      expect_error<IoError>([&] { (void)ResultStore::open(server.uri("no_such_db")); }, ErrorCode::io);
  CHECK_STARTS_WITH(missing, server.shown("no_such_db") + ": cannot connect to the results store: ");
  CHECK_CONTAINS(missing, "no_such_db\" does not exist");
  CHECK_LACKS(missing, password);
}

BOOST_AUTO_TEST_CASE(a_server_that_cannot_be_reached_is_an_error_naming_it) {
  const auto [uri, shown] = unreachable_uri();
  const auto msg = expect_error<IoError>([&] { (void)ResultStore::open(uri); }, ErrorCode::io);
  CHECK_STARTS_WITH(msg, shown + ": cannot connect to the results store: ");
  CHECK_LACKS(msg, testing::PostgresServer::kPassword);
  CHECK_CONTAINS(msg, "Connection refused");
  CHECK_CONTAINS(expect_error<IoError>([&] { (void)ResultStore::open("postgresql://[::1"); }, ErrorCode::io),
                 "not a PostgreSQL connection string");
}

BOOST_AUTO_TEST_CASE(a_server_that_goes_away_stops_the_lot_before_the_unit_counts) {
  testing::PostgresServer server;  // its own: this one is stopped mid-lot
  const std::string uri = server.create_database();
  const auto store = ResultStore::open(uri);
  StoreSink into_store(*store);
  ActionSink stop_server(3, [&] { server.stop(); });  // right after the 3rd unit was stored
  CountingSink after;                                 // what would report the unit (journal, display)
  const Program program = reports_test::report_program();
  auto board = open_board("seedchip-sim");
  SimHandler handler("GONE", 8);
  LotOptions options;
  options.lot_id = "GONE";
  const auto msg = expect_error<IoError>(
      [&] {
        (void)run_lot(*board, handler, program, options, {&into_store, &stop_server, &after});
      },
      ErrorCode::io);
  CHECK_STARTS_WITH(msg, store->location());
  BOOST_TEST(after.units == 3);  // the 4th unit was never reported: its record could not be made durable
}

BOOST_AUTO_TEST_CASE(a_record_the_server_refuses_is_an_error_and_leaves_nothing_behind) {
  const auto store = ResultStore::open(testing::shared_postgres_server().create_database());
  const LotResult lot = reports_test::small_lot();
  record(*store, lot);
  // PostgreSQL text holds no NUL: the note is refused. Notes are sent ahead without waiting (a batch), so
  // this checks that an error in a statement nobody waited for still throws before the insertion counts.
  UnitRecord u = lot.insertions[0];
  u.unit = 40;
  u.part_id = "40";
  BOOST_REQUIRE(u.steps.size() >= 2u);
  u.steps[0].notes = {"fine"};
  u.steps[1].notes = {std::string("bad\0note", 8)};
  const auto msg = expect_error<IoError>([&] { store->add_insertion("SMALL", u); }, ErrorCode::io);
  CHECK_STARTS_WITH(msg, store->location());
  CHECK_CONTAINS(msg, "0x00");
  BOOST_TEST(store->insertion_count("SMALL") == static_cast<std::int64_t>(lot.insertions.size()));
  // Nothing of it was kept (no half insertion to refuse the retry), and the connection goes on working.
  u.steps[1].notes = {"good note"};
  store->add_insertion("SMALL", u);
  const LotResult back = store->load("SMALL");
  BOOST_REQUIRE(back.insertions.size() == lot.insertions.size() + 1);
  check_same(back.insertions.back(), u);
}

BOOST_AUTO_TEST_CASE(several_stations_write_one_database_at_once) {
  const std::string uri = testing::shared_postgres_server().create_database();
  constexpr int kStations = 4;
  constexpr int kUnits = 25;
  std::atomic<int> won_same{0}, refused_same{0}, errors{0};
  std::vector<std::string> error_text(kStations);
  std::vector<std::thread> stations;
  for (int s = 0; s < kStations; ++s)
    stations.emplace_back([&, s] {
      try {
        // Each opens the new, empty database at the same moment: its tables are created once.
        const auto store = ResultStore::open(uri);
        LotResult lot = reports_test::small_lot();
        lot.info.lot_id = fmt::format("ST{}", s);
        lot.info.station = fmt::format("station-{}", s);
        store->begin_lot(lot.info);
        for (int u = 0; u < kUnits; ++u) {
          UnitRecord r = lot.insertions[static_cast<std::size_t>(u) % lot.insertions.size()];
          r.unit = u;
          r.part_id = std::to_string(u);
          r.insertion = 1;
          store->add_insertion(lot.info.lot_id, r);
        }
        store->end_lot(lot);
        // All of them start one lot id: one wins, the others are told it exists.
        lot.info.lot_id = "SAME";
        try {
          store->begin_lot(lot.info);
          ++won_same;
        } catch (const InvalidArgumentError& e) {
          if (std::string(e.what()).find("already holds lot SAME") != std::string::npos) ++refused_same;
        }
      } catch (const std::exception& e) {
        error_text[static_cast<std::size_t>(s)] = e.what();
        ++errors;
      }
    });
  for (auto& t : stations) t.join();
  for (const auto& e : error_text) BOOST_TEST(e.empty(), e);
  BOOST_TEST(errors == 0);
  BOOST_TEST(won_same == 1);
  BOOST_TEST(refused_same == kStations - 1);
  const auto store = ResultStore::open(uri);
  BOOST_TEST(store->lots().size() == static_cast<std::size_t>(kStations + 1));
  for (int s = 0; s < kStations; ++s) {
    const LotResult lot = store->load(fmt::format("ST{}", s));
    BOOST_TEST(lot.insertions.size() == static_cast<std::size_t>(kUnits));
    BOOST_TEST(lot.info.station == fmt::format("station-{}", s));
    for (int u = 0; u < kUnits; ++u) BOOST_TEST(lot.insertions[static_cast<std::size_t>(u)].unit == u);
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval

// Tests for seedval/exec/handler.h and lot.h: the simulated handler's units, and run_lot's retests,
// result sinks (every insertion, in order, never silently dropped) and cancellation.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <seedval/core/error.h>
#include <seedval/exec/handler.h>
#include <seedval/exec/lot.h>

#include "exec_test_support.h"

namespace seedval {
namespace {

using exec_test::contains;

// identify and registers only: fast, and enough to bin (a contact failure is a tester error).
constexpr std::string_view kFastFlow = R"([{"id": "identify", "test": "chip.identify", "fail_bin": 20},
                                           {"id": "registers", "test": "chip.registers", "fail_bin": 30}])";

class RecordingSink final : public ResultSink {
 public:
  void lot_started(const LotInfo& info) override {
    ++started;
    lot_id = info.lot_id;
    units_when_started = static_cast<int>(units.size());
  }
  void unit_finished(const UnitRecord& u) override { units.push_back(u); }
  void lot_finished(const LotResult& r) override {
    ++finished;
    insertions_when_finished = static_cast<int>(r.insertions.size());
  }

  int started = 0, finished = 0;
  int units_when_started = -1, insertions_when_finished = -1;
  std::string lot_id;
  std::vector<UnitRecord> units;
};

// Calls `action` when the `n`th unit finishes.
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

std::string die_key(const UnitRecord& u) {
  return chip::to_string(u.die);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(exec_handler)

BOOST_AUTO_TEST_CASE(sim_handler_feeds_dies_wafer_by_wafer) {
  const int per_wafer = SimHandler::dies_per_wafer();
  // A disc centred on a 16 x 16 grid holds a multiple of 4 dies; what matters is that the handler agrees
  // with itself (see the checks below) and with its lot capacity.
  BOOST_TEST(per_wafer > 100);
  BOOST_TEST(per_wafer <= 256);
  BOOST_TEST(per_wafer % 4 == 0);
  BOOST_TEST(SimHandler::max_units() == 25 * per_wafer);
  const int n = 2 * per_wafer + 5;
  SimHandler h("LOTA", n);
  BOOST_TEST(contains(h.describe(), "LOTA"));
  std::map<int, std::set<std::pair<int, int>>> per_wafer_dies;
  for (int i = 0; i < n; ++i) {
    auto slot = h.next();
    BOOST_REQUIRE(slot.has_value());
    BOOST_TEST(slot->unit == i);
    BOOST_TEST(slot->insertion == 1);
    BOOST_TEST(slot->die.lot == "LOTA");
    BOOST_TEST(slot->die.wafer == 1 + i / per_wafer);
    BOOST_TEST(slot->die.x >= 0);
    BOOST_TEST(slot->die.x < 16);
    BOOST_TEST(slot->die.y >= 0);
    BOOST_TEST(slot->die.y < 16);
    BOOST_TEST(per_wafer_dies[slot->die.wafer].insert({slot->die.x, slot->die.y}).second,
               "die (" << slot->die.x << ", " << slot->die.y << ") given twice on wafer " << slot->die.wafer);
    h.sort(*slot, 1, false);
  }
  BOOST_TEST(!h.next().has_value());
  BOOST_TEST(per_wafer_dies[1].size() == static_cast<std::size_t>(per_wafer));
  BOOST_TEST(per_wafer_dies[2].size() == static_cast<std::size_t>(per_wafer));
  BOOST_TEST(per_wafer_dies[3].size() == 5u);
  // Every wafer is the same disc, in the same order.
  BOOST_TEST((per_wafer_dies[1] == per_wafer_dies[2]));
  // The wafer is a disc: symmetric in x and y, corners off it.
  for (const auto& [x, y] : per_wafer_dies[1]) {
    BOOST_TEST(per_wafer_dies[1].count({15 - x, y}) == 1u);
    BOOST_TEST(per_wafer_dies[1].count({x, 15 - y}) == 1u);
    BOOST_TEST(per_wafer_dies[1].count({y, x}) == 1u);
  }
  BOOST_TEST(per_wafer_dies[1].count({0, 0}) == 0u);
  BOOST_TEST(per_wafer_dies[1].count({15, 15}) == 0u);
}

BOOST_AUTO_TEST_CASE(sim_handler_sends_retests_back_after_the_first_pass) {
  SimHandler h("LOTB", 3);
  auto a = h.next();
  auto b = h.next();
  BOOST_REQUIRE(a.has_value());
  BOOST_REQUIRE(b.has_value());
  h.sort(*a, 9, true);
  h.sort(*b, 1, false);
  auto c = h.next();
  BOOST_REQUIRE(c.has_value());
  BOOST_TEST(c->unit == 2);
  BOOST_TEST(c->insertion == 1);
  h.sort(*c, 9, true);
  auto again = h.next();
  BOOST_REQUIRE(again.has_value());
  BOOST_TEST(again->unit == 0);
  BOOST_TEST(again->insertion == 2);
  BOOST_TEST((again->die == a->die));
  h.sort(*again, 9, true);
  auto c2 = h.next();
  BOOST_REQUIRE(c2.has_value());
  BOOST_TEST(c2->unit == 2);
  BOOST_TEST(c2->insertion == 2);
  h.sort(*c2, 1, false);
  auto a3 = h.next();  // the handler retests as told; capping insertions is run_lot's job
  BOOST_REQUIRE(a3.has_value());
  BOOST_TEST(a3->insertion == 3);
  h.sort(*a3, 1, false);
  BOOST_TEST(!h.next().has_value());
}

BOOST_AUTO_TEST_CASE(sim_handler_validates_the_lot_id) {
  for (const char* bad : {"", "bad!", "lower", "TOOLONG"}) {
    BOOST_TEST_CONTEXT("lot id \"" << bad << "\"") {
      BOOST_CHECK_EXCEPTION(SimHandler(bad, 1), InvalidArgumentError,
                            [&](const InvalidArgumentError& e) { return contains(e.message(), "lot id"); });
    }
  }
  BOOST_CHECK_NO_THROW(SimHandler("A1B2C3", 1));
}

BOOST_AUTO_TEST_CASE(sim_handler_rejects_units_out_of_range) {
  const int capacity = 25 * SimHandler::dies_per_wafer();
  BOOST_CHECK_THROW(SimHandler("LOT", -1), InvalidArgumentError);
  BOOST_CHECK_EXCEPTION(SimHandler("LOT", capacity + 1), InvalidArgumentError,
                        [&](const InvalidArgumentError& e) {
                          return contains(e.message(), std::to_string(capacity + 1)) &&
                                 contains(e.message(), std::to_string(capacity));
                        });
  SimHandler empty("LOT", 0);
  BOOST_TEST(!empty.next().has_value());
  SimHandler full("LOT", capacity);
  std::optional<UnitSlot> last;
  while (auto s = full.next()) last = s;
  BOOST_REQUIRE(last.has_value());
  BOOST_TEST(last->unit == capacity - 1);
  BOOST_TEST(last->die.wafer == 25);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(exec_lot)

BOOST_AUTO_TEST_CASE(tester_errors_are_retested_and_every_insertion_reaches_the_sinks_in_order) {
  exec_test::TempDir dir;
  auto board = exec_test::sim_board(dir, "exec-flaky", R"("contact_failure_rate": 0.2)");
  const Program program = exec_test::make_program(kFastFlow);
  BOOST_REQUIRE(program.max_insertions == 2);
  SimHandler handler("FLAKY", 40);
  RecordingSink first, second;
  LotOptions options;
  options.lot_id = "FLAKY";
  options.station = "bench-7";
  const LotResult r = run_lot(*board, handler, program, options, {&first, &second});

  BOOST_TEST(!r.cancelled);
  BOOST_TEST(r.info.lot_id == "FLAKY");
  BOOST_TEST(r.info.station == "bench-7");
  BOOST_TEST(r.info.program.name == "exec-test");
  BOOST_TEST(r.info.program.sha256 == program.sha256);
  BOOST_TEST(contains(r.info.handler, "FLAKY"));
  BOOST_TEST(!r.info.start_time.empty());
  BOOST_TEST(!r.info.finish_time.empty());
  // The board descriptor, the file it includes and the population are inputs, with their hashes.
  BOOST_TEST(r.info.inputs.size() == 3u);
  for (const auto& f : r.info.inputs) BOOST_TEST(f.sha256 == sha256_file(f.path), f.path);
  BOOST_TEST(r.info.board.sha256 == sha256_file(r.info.board.path));

  // Each sink saw every insertion, in the order tested, between lot_started and lot_finished.
  for (const RecordingSink* s : {&first, &second}) {
    BOOST_TEST(s->started == 1);
    BOOST_TEST(s->finished == 1);
    BOOST_TEST(s->units_when_started == 0);
    BOOST_TEST(s->insertions_when_finished == static_cast<int>(r.insertions.size()));
    BOOST_TEST(s->lot_id == "FLAKY");
    BOOST_REQUIRE(s->units.size() == r.insertions.size());
    for (std::size_t i = 0; i < r.insertions.size(); ++i) {
      BOOST_TEST(s->units[i].unit == r.insertions[i].unit);
      BOOST_TEST(s->units[i].insertion == r.insertions[i].insertion);
      BOOST_TEST(s->units[i].soft_bin == r.insertions[i].soft_bin);
    }
  }

  std::map<std::string, std::vector<const UnitRecord*>> by_die;
  for (const auto& u : r.insertions) by_die[die_key(u)].push_back(&u);
  BOOST_TEST(by_die.size() == 40u);
  int retested = 0, recovered = 0;
  for (const auto& [key, list] : by_die) {
    BOOST_TEST_CONTEXT("die " << key) {
      BOOST_TEST(list.size() <= static_cast<std::size_t>(program.max_insertions));
      for (std::size_t i = 0; i < list.size(); ++i) BOOST_TEST(list[i]->insertion == static_cast<int>(i) + 1);
      const UnitRecord& first_ins = *list.front();
      // A tester error on the first insertion comes back exactly once more; anything else is final.
      const bool retestable = !first_ins.passed && program.retestable(first_ins.hard_bin);
      BOOST_TEST(list.size() == (retestable ? 2u : 1u));
      if (list.size() > 1) {
        ++retested;
        BOOST_TEST(first_ins.tester_error);
        if (list.back()->passed) ++recovered;
      }
    }
  }
  // One contact in five fails: the lot must have retested and recovered units.
  BOOST_TEST(retested > 0);
  BOOST_TEST(recovered > 0);
  // First insertions come in handler order, retests after them.
  for (std::size_t i = 0; i < 40; ++i) {
    BOOST_TEST(r.insertions[i].unit == static_cast<int>(i));
    BOOST_TEST(r.insertions[i].insertion == 1);
  }
  for (std::size_t i = 40; i < r.insertions.size(); ++i) BOOST_TEST(r.insertions[i].insertion == 2);
}

BOOST_AUTO_TEST_CASE(no_unit_exceeds_max_insertions) {
  exec_test::TempDir dir;
  // Every contact fails: each unit is retested until the program's limit, then stays a tester error.
  auto board = exec_test::sim_board(dir, "exec-open", R"("contact_failure_rate": 1.0)");
  const Program program = exec_test::make_program(kFastFlow, "", 3);
  SimHandler handler("OPEN", 6);
  RecordingSink sink;
  LotOptions options;
  options.site_error_limit = 100;  // keep the only site in service (see the multi-site tests below)
  const LotResult r = run_lot(*board, handler, program, options, {&sink});
  BOOST_TEST(r.insertions.size() == 18u);
  std::map<int, int> insertions_of;
  for (const auto& u : r.insertions) {
    BOOST_TEST(u.tester_error);
    BOOST_TEST(!u.passed);
    BOOST_TEST(u.insertion <= 3);
    ++insertions_of[u.unit];
  }
  for (const auto& [unit, n] : insertions_of) BOOST_TEST(n == 3, "unit " << unit);
}

BOOST_AUTO_TEST_CASE(failing_units_are_not_retested) {
  exec_test::TempDir dir;
  auto board = exec_test::sim_board(dir, "exec-good");
  // A flow that always fails (hard bin 3, not a retest bin): one insertion per unit.
  const Program program =
      exec_test::make_program(R"([{"id": "f", "test": "test.always_fail", "fail_bin": 30}])", "", 3);
  SimHandler handler("FAIL", 5);
  const LotResult r = run_lot(*board, handler, program, {}, {});
  BOOST_TEST(r.insertions.size() == 5u);
  for (const auto& u : r.insertions) {
    BOOST_TEST(u.hard_bin == 3);
    BOOST_TEST(u.insertion == 1);
  }
}

BOOST_AUTO_TEST_CASE(a_sink_that_throws_stops_the_lot_with_its_error) {
  exec_test::TempDir dir;
  auto board = exec_test::sim_board(dir, "exec-sink");
  const Program program = exec_test::make_program(kFastFlow);
  SimHandler handler("SINK", 20);
  RecordingSink before, after;
  ActionSink failing(5, [] { throw IoError(ErrorCode::io, "results.db: disk full (injected)"); });
  BOOST_CHECK_EXCEPTION(run_lot(*board, handler, program, {}, {&before, &failing, &after}), IoError,
                        [](const IoError& e) { return contains(e.message(), "disk full (injected)"); });
  BOOST_TEST(before.units.size() == 5u);
  BOOST_TEST(after.units.size() == 4u);  // the unit that could not be stored went no further
  BOOST_TEST(before.finished == 0);      // a lot whose results were lost does not finish normally
}

BOOST_AUTO_TEST_CASE(stop_requested_mid_lot_cancels_it_after_the_unit_in_flight) {
  exec_test::TempDir dir;
  auto board = exec_test::sim_board(dir, "exec-stop");
  const Program program = exec_test::make_program(kFastFlow);
  SimHandler handler("STOP", 30);
  std::stop_source stop;
  RecordingSink sink;
  ActionSink stopper(10, [&] { stop.request_stop(); });
  const LotResult r = run_lot(*board, handler, program, {}, {&sink, &stopper}, stop.get_token());
  BOOST_TEST(r.cancelled);
  BOOST_TEST(r.insertions.size() == 10u);
  BOOST_TEST(sink.units.size() == 10u);
  BOOST_TEST(sink.finished == 1);  // the sinks still learn that the lot ended
  for (const auto& u : r.insertions) BOOST_TEST(!u.aborted);
}

BOOST_AUTO_TEST_CASE(stop_requested_before_the_lot_tests_nothing) {
  exec_test::TempDir dir;
  auto board = exec_test::sim_board(dir, "exec-stop0");
  const Program program = exec_test::make_program(kFastFlow);
  SimHandler handler("STOP", 30);
  std::stop_source stop;
  stop.request_stop();
  const LotResult r = run_lot(*board, handler, program, {}, {}, stop.get_token());
  BOOST_TEST(r.cancelled);
  BOOST_TEST(r.insertions.empty());
}

BOOST_AUTO_TEST_CASE(stop_during_a_unit_aborts_it_and_ends_the_lot) {
  exec_test::TempDir dir;
  auto board = exec_test::sim_board(dir, "exec-stop-unit");
  const Program program =
      exec_test::make_program(R"([{"id": "wait", "test": "test.wait_stop", "fail_bin": 20}])");
  SimHandler handler("STOP", 5);
  std::stop_source stop;
  std::jthread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    stop.request_stop();
  });
  const LotResult r = run_lot(*board, handler, program, {}, {}, stop.get_token());
  BOOST_TEST(r.cancelled);
  BOOST_REQUIRE(r.insertions.size() == 1u);
  BOOST_TEST(r.insertions[0].aborted);
  BOOST_TEST(r.insertions[0].tester_error);
  BOOST_TEST(!r.insertions[0].passed);
}

// Multi-site lots: every site its own board, thread and failure domain.

namespace {

// A site whose board has gone: every connect fails, as a board unplugged mid-lot does.
class VanishedBoard final : public Board {
 public:
  VanishedBoard() : Board(BoardInfo{"gone", "test", "usb", "a board that vanished", {}, {}}) {}
  std::unique_ptr<Transport> connect() override {
    {
      std::lock_guard lock(mutex_);
      ++attempts_;
    }
    tried_.notify_all();
    throw TransportError(ErrorCode::transport, "usb:1209:5eed:EVB-9: the board was unplugged");
  }
  // Waits until the board was tried `n` times, or `limit` has passed.
  void wait_for_attempts(int n, std::chrono::milliseconds limit) {
    std::unique_lock lock(mutex_);
    tried_.wait_for(lock, limit, [&] { return attempts_ >= n; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable tried_;
  int attempts_ = 0;
};

// A working board that makes its first connection wait for `gate`: the other sites run ahead meanwhile.
class GatedBoard final : public Board {
 public:
  GatedBoard(std::unique_ptr<Board> board, std::function<void()> gate)
      : Board(board->info()), board_(std::move(board)), gate_(std::move(gate)) {}
  std::unique_ptr<Transport> connect() override {
    if (gate_) std::exchange(gate_, {})();
    return board_->connect();
  }
  DieSocket* die_socket() override { return board_->die_socket(); }

 private:
  std::unique_ptr<Board> board_;
  std::function<void()> gate_;
};

// The final bin of every die, by die.
std::map<std::string, int> final_bins(const LotResult& r) {
  std::map<std::string, int> bins;
  for (const auto& u : r.insertions) bins[die_key(u)] = u.hard_bin;
  return bins;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_multi_site_lot_bins_every_unit_as_one_site_does) {
  exec_test::TempDir dir;
  const Program program = exec_test::make_program(kFastFlow);
  auto one = exec_test::sim_board(dir, "exec-one", R"("contact_failure_rate": 0.1)");
  SimHandler single_handler("MULTI", 60);
  const LotResult single = run_lot(*one, single_handler, program, {}, {});

  std::vector<std::unique_ptr<Board>> boards;
  std::vector<Board*> sites;
  for (int i = 0; i < 4; ++i) {
    boards.push_back(exec_test::sim_board(dir, "exec-multi", R"("contact_failure_rate": 0.1)"));
    sites.push_back(boards.back().get());
  }
  SimHandler handler("MULTI", 60);
  RecordingSink sink;
  LotOptions options;
  options.site_error_limit = 1000;  // chance contact failures in a row must not take a site out here
  const LotResult multi = run_lot(sites, handler, program, options, {&sink});
  BOOST_TEST(!multi.cancelled);
  BOOST_TEST(multi.info.site_count == 4);
  BOOST_TEST(sink.units.size() == multi.insertions.size());
  // The same dies end in the same bins: a die's verdict does not depend on the site that tested it.
  BOOST_TEST(final_bins(multi) == final_bins(single));
  BOOST_TEST(final_bins(multi).size() == 60u);
  BOOST_REQUIRE(multi.sites.size() == 4u);
  int total = 0;
  std::map<int, int> per_site;
  for (const auto& u : multi.insertions) ++per_site[u.site];
  for (const auto& site : multi.sites) {
    BOOST_TEST(site.insertions > 0, "site " << site.site << " tested nothing");
    BOOST_TEST(site.insertions == per_site[site.site]);
    BOOST_TEST(!site.out_of_service);
    total += site.insertions;
  }
  BOOST_TEST(total == static_cast<int>(multi.insertions.size()));
}

BOOST_AUTO_TEST_CASE(a_site_that_vanishes_goes_out_of_service_and_its_units_are_retested_elsewhere) {
  exec_test::TempDir dir;
  const Program program = exec_test::make_program(kFastFlow);
  VanishedBoard gone;
  // The good sites wait for the vanished one to fail three times (as it does at once on a quiet machine).
  const auto after_three = [&gone] { gone.wait_for_attempts(3, std::chrono::seconds(10)); };
  GatedBoard good_a(exec_test::sim_board(dir, "exec-good-a"), after_three);
  GatedBoard good_b(exec_test::sim_board(dir, "exec-good-b"), after_three);
  SimHandler handler("GONE", 40);
  LotOptions options;
  options.site_error_limit = 3;
  const LotResult r = run_lot({&good_a, &gone, &good_b}, handler, program, options, {});
  BOOST_TEST(!r.cancelled, r.stopped_because);
  BOOST_REQUIRE(r.sites.size() == 3u);
  BOOST_TEST(r.sites[1].out_of_service);
  BOOST_TEST(r.sites[1].insertions == 3);
  BOOST_TEST(r.sites[1].tester_errors == 3);
  BOOST_TEST(contains(r.sites[1].reason, "was unplugged"));
  BOOST_TEST(!r.sites[0].out_of_service);
  BOOST_TEST(!r.sites[2].out_of_service);
  // Every unit got a verdict from a working site: the vanished site's units were retested, and none
  // of its tester errors is anyone's final result.
  const auto bins = final_bins(r);
  BOOST_TEST(bins.size() == 40u);
  for (const auto& u : r.insertions)
    if (u.site == 1) {
      BOOST_TEST(u.tester_error);
      BOOST_TEST(!u.passed);
      BOOST_TEST(bins.at(die_key(u)) != program.tester_error_bin, die_key(u) << " kept the tester error");
    }
}

BOOST_AUTO_TEST_CASE(a_lot_that_keeps_no_insertions_still_gives_the_sinks_every_one) {
  exec_test::TempDir dir;
  const Program program = exec_test::make_program(kFastFlow);
  VanishedBoard gone;
  GatedBoard good(exec_test::sim_board(dir, "exec-keep-good"),
                  [&gone] { gone.wait_for_attempts(3, std::chrono::seconds(10)); });
  SimHandler handler("KEEP", 12);
  RecordingSink sink;
  LotOptions options;
  options.keep_insertions = false;
  const LotResult r = run_lot({&good, &gone}, handler, program, options, {&sink});
  BOOST_TEST(r.insertions.empty());
  BOOST_REQUIRE(r.sites.size() == 2u);
  // Every unit once on the good site, and the three the vanished site took before it went out of service.
  BOOST_TEST(r.sites[0].insertions == 12);
  BOOST_TEST(r.sites[1].insertions == 3);
  BOOST_TEST(sink.units.size() == 15u);
  BOOST_TEST(r.sites[1].out_of_service);
  BOOST_TEST(contains(r.sites[1].reason, "was unplugged"));  // the reason survives the record not kept
}

BOOST_AUTO_TEST_CASE(a_unit_that_met_a_tester_error_is_retested_on_another_site) {
  // The good site is held back until the vanished one has had the chance to fail both units, or to
  // fail one unit twice: without care, a unit spends both its insertions on the bad site and ends as a
  // tester error without ever meeting a working one.
  exec_test::TempDir dir;
  const Program program = exec_test::make_program(kFastFlow);
  BOOST_REQUIRE(program.max_insertions == 2);
  VanishedBoard gone;
  GatedBoard good(exec_test::sim_board(dir, "exec-gated-good"),
                  [&gone] { gone.wait_for_attempts(2, std::chrono::milliseconds(500)); });
  SimHandler handler("AWAY", 2);
  LotOptions options;
  options.site_error_limit = 3;
  const LotResult r = run_lot({&good, &gone}, handler, program, options, {});
  BOOST_TEST(!r.cancelled, r.stopped_because);
  BOOST_TEST(!r.sites[1].out_of_service);  // one or two errors: under the limit
  BOOST_TEST(r.sites[1].tester_errors >= 1);
  BOOST_TEST(r.sites[1].tester_errors == r.sites[1].insertions);
  std::map<std::string, const UnitRecord*> last;
  std::map<std::string, int> on_vanished;
  for (const auto& u : r.insertions) {
    last[die_key(u)] = &u;
    if (u.site == 1) ++on_vanished[die_key(u)];
  }
  BOOST_TEST(last.size() == 2u);
  for (const auto& [die, u] : last) {
    BOOST_TEST(!u->tester_error, die << " kept the tester error: " << u->message);
    BOOST_TEST(u->site == 0);
  }
  for (const auto& [die, n] : on_vanished)
    BOOST_TEST(n == 1, die << " went to the vanished site " << n << " times");
}

BOOST_AUTO_TEST_CASE(a_lot_whose_sites_are_all_out_of_service_stops_and_says_so) {
  exec_test::TempDir dir;
  const Program program = exec_test::make_program(kFastFlow);
  VanishedBoard a, b;
  SimHandler handler("DEAD", 20);
  const LotResult r = run_lot({&a, &b}, handler, program, {}, {});
  BOOST_TEST(r.cancelled);
  BOOST_TEST(contains(r.stopped_because, "every site is out of service"));
  BOOST_TEST(r.insertions.size() == 6u);  // 3 tester errors in a row on each
  for (const auto& u : r.insertions) BOOST_TEST(!u.passed);
}

BOOST_AUTO_TEST_CASE(a_stop_ends_a_multi_site_lot_after_the_units_in_flight) {
  exec_test::TempDir dir;
  const Program program = exec_test::make_program(kFastFlow);
  auto a = exec_test::sim_board(dir, "exec-stop-a");
  auto b = exec_test::sim_board(dir, "exec-stop-b");
  SimHandler handler("STOP", 60);
  std::stop_source stop;
  RecordingSink sink;
  ActionSink stopper(10, [&] { stop.request_stop(); });
  const LotResult r = run_lot({a.get(), b.get()}, handler, program, {}, {&sink, &stopper}, stop.get_token());
  BOOST_TEST(r.cancelled);
  BOOST_TEST(r.stopped_because == "stopped on request");
  BOOST_TEST(r.insertions.size() >= 10u);
  BOOST_TEST(r.insertions.size() <= 11u);  // at most the other site's unit in flight
  BOOST_TEST(sink.units.size() == r.insertions.size());
  BOOST_TEST(sink.finished == 1);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval

namespace seedval {
namespace {

// A real board at the bench: the simulated one with its die socket hidden, so the handler cannot choose
// the die and the unit is whatever its ECID says.
class SocketlessBoard final : public Board {
 public:
  explicit SocketlessBoard(std::unique_ptr<Board> inner) : Board(inner->info()), inner_(std::move(inner)) {}
  std::unique_ptr<Transport> connect() override { return inner_->connect(); }
  DieSocket* socket() { return inner_->die_socket(); }

 private:
  std::unique_ptr<Board> inner_;
};

// An operator who answers from a script, and what they were told.
struct Operator {
  std::vector<std::string> answers;
  std::size_t next = 0;
  std::vector<std::string> prompts, told;
  ManualHandler::Ask ask() {
    return [this](const std::string& prompt) -> std::optional<std::string> {
      prompts.push_back(prompt);
      if (next == answers.size()) return std::nullopt;
      return answers[next++];
    };
  }
  ManualHandler::Tell tell() {
    return [this](const std::string& m) { told.push_back(m); };
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(exec_manual_handler)

BOOST_AUTO_TEST_CASE(the_operator_feeds_units_by_enter_or_die_id_and_ends_with_q) {
  Operator op;
  op.answers = {"", "  LOT7-W03-X004-Y005 ", "not-a-die", "", "q", ""};
  ManualHandler h("LOT7", 10, true, op.ask(), op.tell(), [](int b) { return b == 1 ? "pass" : "fail"; });
  const auto a = h.next();
  BOOST_REQUIRE(a.has_value());
  BOOST_TEST(a->unit == 0);
  BOOST_TEST(a->die.lot == "LOT7");
  BOOST_TEST(!a->die_from_device);
  const auto b = h.next();
  BOOST_REQUIRE(b.has_value());
  BOOST_TEST(chip::to_string(b->die) == "LOT7-W03-X004-Y005");
  h.sort(*b, 1, false);
  BOOST_TEST(contains(op.told.back(), "unit 2 (LOT7-W03-X004-Y005): put it in hard bin 1 (pass)"));
  const auto c = h.next();  // "not-a-die" is refused and asked again
  BOOST_REQUIRE(c.has_value());
  BOOST_TEST(c->unit == 2);
  BOOST_TEST(contains(op.told.back(), "not a die id"));
  // A retest is asked for before any new unit.
  h.sort(*c, 9, true);
  BOOST_TEST(contains(op.told.back(), "to be retested"));
  BOOST_TEST(!h.next().has_value());  // "q": the lot is done, even with a retest pending
  BOOST_TEST(contains(op.prompts.back(), "goes back in for insertion 2"));
  BOOST_TEST(!h.next().has_value());  // and stays done
  BOOST_TEST(op.next == 5u);
}

BOOST_AUTO_TEST_CASE(the_operator_is_asked_at_most_for_max_units_and_end_of_input_ends_the_lot) {
  Operator op;
  op.answers = {"", ""};
  ManualHandler h("LOT8", 1, true, op.ask(), op.tell());
  BOOST_TEST(h.next().has_value());
  BOOST_TEST(!h.next().has_value());  // at most one unit: not even asked
  BOOST_TEST(op.prompts.size() == 1u);
  Operator quiet;  // no answers at all: end of input
  ManualHandler g("LOT8", 5, true, quiet.ask(), quiet.tell());
  BOOST_TEST(!g.next().has_value());
  BOOST_CHECK_THROW(ManualHandler("LOT8", 0, true, op.ask(), op.tell()), InvalidArgumentError);
}

BOOST_AUTO_TEST_CASE(on_a_board_without_a_socket_each_unit_is_the_die_its_ecid_names) {
  exec_test::TempDir dir;
  const Program program = exec_test::make_program(kFastFlow);
  SocketlessBoard board(exec_test::sim_board(dir, "exec-bench"));
  // The operator puts in two dies the handler cannot know.
  const chip::DieId first{"BENCH", 2, 7, 3}, second{"BENCH", 4, 1, 9};
  Operator op;
  op.answers = {"", "", "q"};
  int asked = 0;
  ManualHandler h(
      "BENCH", 5, false,
      [&](const std::string& prompt) {
        // The operator puts the unit in while being asked.
        if (asked < 2) board.socket()->insert(asked == 0 ? first : second, 1);
        ++asked;
        return op.ask()(prompt);
      },
      op.tell());
  RecordingSink sink;
  const LotResult r = run_lot(board, h, program, {}, {&sink});
  BOOST_REQUIRE(r.insertions.size() == 2u);
  BOOST_TEST(chip::to_string(r.insertions[0].die) == chip::to_string(first));
  BOOST_TEST(chip::to_string(r.insertions[1].die) == chip::to_string(second));
  for (const auto& u : r.insertions) {
    BOOST_TEST(u.passed, u.message);
    BOOST_TEST(u.ecid.has_value());
  }
  BOOST_TEST(contains(op.told.at(0), "unit 1 (BENCH-W02-X007-Y003)"));
  BOOST_TEST(contains(r.info.handler, "manual handler"));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval

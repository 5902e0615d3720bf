// Fault safety of a multi-site lot: with frames dropped, damaged, duplicated, reordered and delayed on
// every site's link, and one site that stops answering mid-lot, no unit that was not fully tested is
// binned good, and no damaged value ever changes a verdict: every unit the faulty floor judges gets the
// bin a clean floor gives it.
#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include <boost/test/unit_test.hpp>
#include <fmt/core.h>

#include <seedval/exec/handler.h>
#include <seedval/exec/lot.h>
#include <seedval/transport/faulty.h>

#include "exec_test_support.h"

namespace seedval {
namespace {

// Identity, the register file and 1 MiB of memory in bulk frames: every kind of request crosses the
// faulty link. Each step has 5 s (room for a sanitizer build): a lost answer cannot hold a site longer.
constexpr std::string_view kFlow = R"([
  {"id": "identify", "test": "chip.identify", "fail_bin": 20},
  {"id": "registers", "test": "chip.registers", "fail_bin": 30},
  {"id": "memory", "test": "memory.pattern", "params": {"patterns": "zeros,ones,checkerboard", "length": 1048576},
   "limits": {"failing_bits": {"high": 0}}, "fail_bin": 30}])";

// The transport of one unit: the board's link behind a seeded fault schedule; what it injected is
// added to the board's count when the unit is done with it.
class CountedFaults final : public Transport {
 public:
  CountedFaults(std::unique_ptr<FaultyTransport> link, std::atomic<std::uint64_t>& total)
      : link_(link.get()), owned_(std::move(link)), total_(total) {}
  ~CountedFaults() override { total_ += link_->injected().total(); }
  std::string describe() const override { return link_->describe(); }
  TransportCapabilities capabilities() const override { return link_->capabilities(); }
  void exchange_into(std::span<const std::uint8_t> request, std::vector<std::uint8_t>& response,
                     Deadline deadline, std::stop_token stop) override {
    link_->exchange_into(request, response, deadline, std::move(stop));
  }

 private:
  FaultyTransport* link_;
  std::unique_ptr<FaultyTransport> owned_;
  std::atomic<std::uint64_t>& total_;
};

// A transport that never answers: a board that stopped responding (powered off, its firmware hung).
class Silent final : public Transport {
 public:
  std::string describe() const override { return "silent:board"; }
  TransportCapabilities capabilities() const override { return {}; }
  void exchange_into(std::span<const std::uint8_t>, std::vector<std::uint8_t>&, Deadline deadline,
                     std::stop_token stop) override {
    while (!deadline.expired() && !stop.stop_requested())
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (stop.stop_requested()) throw CancelledError(ErrorCode::cancelled, "silent:board: stopped");
    throw TimeoutError(ErrorCode::timeout, "silent:board: no response");
  }
};

// A simulated board behind a faulty link; after `answers_for` units (if set) it stops answering.
class FaultyBoard final : public Board, public DieSocket {
 public:
  FaultyBoard(std::unique_ptr<Board> inner, LinkFaults faults, int answers_for = -1)
      : Board(inner->info()), inner_(std::move(inner)), faults_(faults), answers_for_(answers_for) {}

  std::unique_ptr<Transport> connect() override {
    if (answers_for_ >= 0 && units_ >= answers_for_) return std::make_unique<Silent>();
    LinkFaults f = faults_;
    f.seed = faults_.seed * 1000 + static_cast<std::uint64_t>(units_);
    return std::make_unique<CountedFaults>(std::make_unique<FaultyTransport>(inner_->connect(), f), injected);
  }
  DieSocket* die_socket() override { return this; }
  void insert(const chip::DieId& die, int insertion) override {
    ++units_;
    inner_->die_socket()->insert(die, insertion);
  }
  std::optional<chip::DieId> current() const override { return inner_->die_socket()->current(); }

  std::atomic<std::uint64_t> injected{0};

 private:
  std::unique_ptr<Board> inner_;
  LinkFaults faults_;
  int answers_for_;
  int units_ = 0;
};

std::map<std::string, const UnitRecord*> final_results(const LotResult& r) {
  std::map<std::string, const UnitRecord*> out;
  for (const auto& u : r.insertions) {
    auto& f = out[chip::to_string(u.die)];
    if (f == nullptr || u.insertion >= f->insertion) f = &u;
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(exec_fault_safety)

BOOST_AUTO_TEST_CASE(no_unit_binned_good_without_a_full_clean_test) {
  exec_test::TempDir dir;
  constexpr int kUnits = 60;
  const Program program = exec_test::make_program(kFlow, R"("step_time_limit_s": 5,)", 3);

  // The clean floor: what each die's verdict is.
  auto clean_board = exec_test::sim_board(dir, "fault-clean");
  SimHandler clean_handler("FSAFE", kUnits);
  const LotResult clean = run_lot(*clean_board, clean_handler, program, {}, {});
  const auto truth = final_results(clean);
  BOOST_REQUIRE(truth.size() == static_cast<std::size_t>(kUnits));

  // The faulty floor: three sites on bad links, one that stops answering after 4 units.
  LinkFaults faults;
  faults.drop_request = 0.005;
  faults.drop_response = 0.005;
  faults.corrupt_request = 0.03;
  faults.corrupt_response = 0.05;
  faults.duplicate_response = 0.02;
  faults.reorder = 0.02;
  faults.delay = 0.05;
  faults.max_delay = Milliseconds{3};
  std::vector<std::unique_ptr<FaultyBoard>> boards;
  for (int i = 0; i < 3; ++i) {
    faults.seed = 11 + static_cast<std::uint64_t>(i);
    boards.push_back(
        std::make_unique<FaultyBoard>(exec_test::sim_board(dir, fmt::format("fault-{}", i)), faults));
  }
  faults.seed = 99;
  boards.push_back(std::make_unique<FaultyBoard>(exec_test::sim_board(dir, "fault-hang"), faults, 4));
  std::vector<Board*> sites;
  for (auto& b : boards) sites.push_back(b.get());
  SimHandler handler("FSAFE", kUnits);
  LotOptions options;
  options.site_error_limit = 3;
  // A lost answer costs 100 ms, not the default 2 s; the device tries an idempotent request 3 more times.
  options.device_timeouts =
      DeviceTimeouts{.base = Milliseconds{100}, .per_mib = Milliseconds{100}, .retries = 3};
  const LotResult r = run_lot(sites, handler, program, options, {});

  std::uint64_t injected = 0;
  for (auto& b : boards) injected += b->injected;
  BOOST_TEST_MESSAGE(fmt::format("{} faults injected over {} insertions", injected, r.insertions.size()));
  BOOST_TEST(injected > 200u, "the schedule injected too little to test anything: " << injected);
  BOOST_TEST(r.sites[3].out_of_service, "the silent site was not taken out of service");
  BOOST_TEST(!r.cancelled, r.stopped_because);

  int tester_errors = 0, passed = 0;
  for (const UnitRecord& u : r.insertions) {
    if (u.tester_error) ++tester_errors;
    if (!u.passed) continue;
    ++passed;
    // Binned good: every step ran, and passed, on a unit the tester judged.
    BOOST_TEST(!u.tester_error);
    BOOST_TEST(!u.aborted);
    BOOST_TEST(u.steps.size() == program.flow.size(), chip::to_string(u.die) << " passed with steps missing");
    for (const StepRecord& s : u.steps)
      BOOST_TEST(s.outcome == Outcome::passed,
                 chip::to_string(u.die) << " passed with step " << s.id << " " << to_string(s.outcome));
  }
  BOOST_TEST_MESSAGE(fmt::format("{} insertions binned good, {} tester errors", passed, tester_errors));
  BOOST_TEST(passed > 10, "too few units passed to show anything");
  BOOST_TEST(tester_errors > 0,
             "no fault reached a verdict: the silent site alone should make tester errors");
  // Every unit judged on the faulty floor got the clean floor's bin: no damaged value changed a verdict.
  const auto results = final_results(r);
  BOOST_TEST(results.size() == truth.size());
  for (const auto& [die, u] : results) {
    if (u->tester_error) continue;  // never judged: retested up to the program's limit
    BOOST_TEST(u->hard_bin == truth.at(die)->hard_bin, die << ": bin " << u->hard_bin
                                                           << " on the faulty floor, "
                                                           << truth.at(die)->hard_bin << " on the clean one");
    BOOST_TEST(u->passed == truth.at(die)->passed);
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval

// bench_sites: what the orchestrator costs, and how well it keeps several sites busy.
//
//   bench_sites [UNITS_PER_SITE] [LINK_WAIT_US]
//
// 1. Per-step overhead: a program of 500 trivial steps (each one register read) run as a unit, beside
//    the same 500 register reads made in a plain loop on the same device. The difference per step is
//    what the runner adds: records, timing, outcomes (target: at most 2 µs a step).
// 2. Multi-site efficiency for 1, 2, 4 and 8 sites on boards whose every exchange waits on its link
//    (LINK_WAIT_US, default 300 µs: a USB or network round trip, time in which the host's CPU is idle),
//    each site testing UNITS_PER_SITE units (default 20). Efficiency = 1 - (T_N - T_1) / ((N - 1) T_1),
//    with T_1 the one-site time per unit and T_N the N-site time per N units (a touchdown); target at 8
//    sites: at least 0.95.
#include <chrono>
#include <cstdlib>
#include <thread>
#include <vector>

#include <fmt/core.h>

#include <seedval/boards/board.h>
#include <seedval/chip/registers.h>
#include <seedval/exec/handler.h>
#include <seedval/exec/lot.h>
#include <seedval/exec/program.h>
#include <seedval/exec/runner.h>
#include <seedval/testapi/test.h>

using namespace seedval;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// The trivial step: one register read.
const bool registered = register_test([] {
  TestDefinition t;
  t.name = "bench.read_scratch";
  t.description = "one register read (orchestration benchmark)";
  t.run = [](TestContext& ctx) { (void)ctx.device().read_register(chip::reg::SCRATCH0); };
  return t;
}());

std::string program_text(int steps, std::string_view test) {
  std::string flow;
  for (int i = 0; i < steps; ++i)
    flow += fmt::format(R"({}{{"id": "s{}", "test": "{}", "fail_bin": 20}})", i == 0 ? "" : ",", i, test);
  return fmt::format(R"({{
  "program": "bench-sites", "revision": "1", "product": "SeedChip",
  "hard_bins": [{{"number": 1, "name": "pass", "pass": true}}, {{"number": 2, "name": "fail", "pass": false}},
                {{"number": 9, "name": "tester-error", "pass": false}}],
  "soft_bins": [{{"number": 1, "name": "pass", "hard_bin": 1}}, {{"number": 20, "name": "fail", "hard_bin": 2}},
                {{"number": 900, "name": "tester-error", "hard_bin": 9}}],
  "pass_bin": 1, "tester_error_bin": 900,
  "retest": {{"hard_bins": [], "max_insertions": 1}},
  "flow": [{}]
}})",
                     flow);
}

// A link whose every exchange first waits `wait` (the wire and the board's latency; the CPU is idle).
class WaitingTransport final : public Transport {
 public:
  WaitingTransport(std::unique_ptr<Transport> inner, std::chrono::microseconds wait)
      : inner_(std::move(inner)), wait_(wait) {}
  std::string describe() const override { return inner_->describe() + " (waiting link)"; }
  TransportCapabilities capabilities() const override { return inner_->capabilities(); }
  void exchange_into(std::span<const std::uint8_t> request, std::vector<std::uint8_t>& response,
                     Deadline deadline, std::stop_token stop) override {
    std::this_thread::sleep_for(wait_);
    inner_->exchange_into(request, response, deadline, std::move(stop));
  }
  void exchange_split(const protocol::SplitFrame& request, protocol::ReceivedFrame& response,
                      Deadline deadline, std::stop_token stop) override {
    std::this_thread::sleep_for(wait_);
    inner_->exchange_split(request, response, deadline, std::move(stop));
  }

 private:
  std::unique_ptr<Transport> inner_;
  std::chrono::microseconds wait_;
};

class WaitingBoard final : public Board, public DieSocket {
 public:
  WaitingBoard(std::unique_ptr<Board> inner, std::chrono::microseconds wait)
      : Board(inner->info()), inner_(std::move(inner)), wait_(wait) {}
  std::unique_ptr<Transport> connect() override {
    return std::make_unique<WaitingTransport>(inner_->connect(), wait_);
  }
  DieSocket* die_socket() override { return inner_->die_socket() ? this : nullptr; }
  void insert(const chip::DieId& die, int insertion) override {
    inner_->die_socket()->insert(die, insertion);
  }
  std::optional<chip::DieId> current() const override { return inner_->die_socket()->current(); }

 private:
  std::unique_ptr<Board> inner_;
  std::chrono::microseconds wait_;
};

void per_step_overhead() {
  constexpr int kSteps = 500;
  constexpr int kRounds = 20;
  const Program program = parse_program(program_text(kSteps, "bench.read_scratch"), "bench-sites");
  auto board = open_board(kDefaultBoard);
  const chip::DieId die{"BENCH", 1, 0, 0};
  board->die_socket()->insert(die, 1);
  Device device(board->connect(), "bench");
  (void)device.identify();
  UnitContext ctx{0, "1", die, 0, 1};
  double program_s = 1e9, loop_s = 1e9;  // best of the rounds: the least disturbed
  for (int round = 0; round < kRounds; ++round) {
    auto t0 = Clock::now();
    const UnitRecord unit = run_unit(device, program, ctx);
    program_s = std::min(program_s, seconds_since(t0));
    if (unit.steps.size() != static_cast<std::size_t>(kSteps) || !unit.passed) {
      fmt::print("per-step overhead: the program did not run as expected ({}): {}\n", unit.steps.size(),
                 unit.message);
      std::exit(1);
    }
    t0 = Clock::now();
    for (int i = 0; i < kSteps; ++i) (void)device.read_register(chip::reg::SCRATCH0);
    loop_s = std::min(loop_s, seconds_since(t0));
  }
  const double per_step_us = (program_s - loop_s) / kSteps * 1e6;
  fmt::print("per-step overhead ({} steps of one register read, best of {}):\n", kSteps, kRounds);
  fmt::print("  as a program      {:8.2f} µs/step\n", program_s / kSteps * 1e6);
  fmt::print("  plain loop        {:8.2f} µs/step   (baseline)\n", loop_s / kSteps * 1e6);
  fmt::print("  orchestration     {:8.2f} µs/step   (target <= 2)\n", per_step_us);
}

void multi_site(int units_per_site, std::chrono::microseconds wait) {
  const Program program = parse_program(program_text(40, "bench.read_scratch"), "bench-sites");
  fmt::print(
      "multi-site efficiency ({} units a site, 40 register reads a unit, {} µs link wait an exchange):\n",
      units_per_site, wait.count());
  double t1 = 0;
  for (const int n : {1, 2, 4, 8}) {
    std::vector<std::unique_ptr<Board>> boards;
    std::vector<Board*> sites;
    for (int i = 0; i < n; ++i) {
      boards.push_back(std::make_unique<WaitingBoard>(open_board(kDefaultBoard), wait));
      sites.push_back(boards.back().get());
    }
    SimHandler handler("BENCH", units_per_site * n);
    const auto t0 = Clock::now();
    const LotResult lot = run_lot(sites, handler, program, LotOptions{}, {});
    const double wall = seconds_since(t0);
    const double per_touchdown = wall / units_per_site;  // N units per touchdown
    if (n == 1) t1 = per_touchdown;
    const double efficiency = n == 1 ? 1.0 : 1.0 - (per_touchdown - t1) / ((n - 1) * t1);
    fmt::print("  {} site{}  {:7.2f} s  {:6.1f} ms/touchdown  {:7.0f} units/hour  efficiency {:.3f}{}\n", n,
               n == 1 ? " " : "s", wall, per_touchdown * 1e3,
               3600.0 * static_cast<double>(lot.insertions.size()) / wall, efficiency,
               n == 8 ? "  (target >= 0.95)" : "");
  }
}

}  // namespace

int main(int argc, char** argv) {
  (void)registered;
  const int units = argc > 1 ? std::atoi(argv[1]) : 20;
  const auto wait = std::chrono::microseconds(argc > 2 ? std::atoi(argv[2]) : 300);
  per_step_overhead();
  multi_site(units, wait);
  return 0;
}

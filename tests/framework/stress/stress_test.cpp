// Tests of the stress and characterization suite: the safe-state guard (after failure, timeout and
// cancellation), the checked load (staggered start, target power, throttle and trip, a die that only
// fails hot), Fmax and Vmin against the chip model's ground truth over many dies, the shmoo grid and its
// renderings, and the registered tests.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <seedval/chip/registers.h>
#include <seedval/core/error.h>
#include <seedval/core/paths.h>
#include <seedval/sim/ground_truth.h>
#include <seedval/sim/physics.h>
#include <seedval/sim/population.h>
#include <seedval/stress/load.h>
#include <seedval/stress/operating_point.h>
#include <seedval/stress/search.h>
#include <seedval/testapi/test.h>

#include "support/errors.h"
#include "support/sim_bench.h"

namespace seedval {

inline std::ostream& boost_test_print_type(std::ostream& os, Outcome o) {
  return os << to_string(o);
}

namespace stress {
namespace {

constexpr std::uint64_t kMemory = 16u << 20;

sim::DieInstance die_with(double speed = 1.0, double ambient_c = 25.0) {
  auto die = testing::clean_die({"STRS", 2, 3, 4});
  die.speed_factor = speed;
  die.ambient_c = ambient_c;
  return die;
}

testing::SimBench bench(sim::DieInstance die = die_with(), const testing::LinkWrapper& wrap = {}) {
  return testing::make_sim_bench(testing::chip_model(std::move(die), kMemory), wrap);
}

std::map<std::string, double> measurements(const StepRecord& r) {
  std::map<std::string, double> m;
  for (const auto& x : r.measurements) m[x.name] = x.value;
  return m;
}

const Artifact* artifact(const StepRecord& r, std::string_view name) {
  for (const auto& a : r.artifacts)
    if (a.name == name) return &a;
  return nullptr;
}

const OperatingPoint kNominal{.vdd_core_mv = 750, .frequency_mhz = 1200, .vdd_hbm_mv = 1100};

// ---- the safe-state guard ----

BOOST_AUTO_TEST_SUITE(safe_state)

BOOST_AUTO_TEST_CASE(the_operating_point_comes_back_after_a_throw_and_a_cancelled_stop_token) {
  auto sim = bench();
  BOOST_TEST((current_operating_point(*sim.device) == kNominal));
  try {
    SafeState safe(*sim.device);
    safe.set(820, 1500);
    BOOST_TEST(current_operating_point(*sim.device).frequency_mhz == 1500u);
    throw std::runtime_error("the test body fails");
  } catch (const std::runtime_error&) {
  }
  BOOST_TEST((current_operating_point(*sim.device) == kNominal));

  // A cancelled test: the device refuses new work, but teardown still reaches it.
  std::stop_source stop;
  sim.device->set_stop_token(stop.get_token());
  {
    SafeState safe(*sim.device);
    safe.set(700, 900);
    stop.request_stop();
    BOOST_CHECK_THROW(sim.device->read_register(chip::reg::STATUS), CancelledError);
  }
  sim.device->set_stop_token({});
  BOOST_TEST((current_operating_point(*sim.device) == kNominal));
}

BOOST_AUTO_TEST_SUITE_END()

// ---- the checked load ----

BOOST_AUTO_TEST_SUITE(load)

BOOST_AUTO_TEST_CASE(a_defect_free_die_runs_clean_with_a_staggered_start) {
  auto sim = bench();
  LoadOptions o;
  o.duration_s = 12;
  o.interval_s = 1;
  o.ramp_s = 8;
  const LoadReport r = run_load(*sim.device, o);
  BOOST_REQUIRE(r.intervals.size() == 12u);
  BOOST_TEST(r.errors_total == 0u);
  BOOST_TEST(r.errors_p99 == 0.0);
  BOOST_TEST(r.corrupt_cores.empty());
  BOOST_TEST(!r.tripped);
  // One more core every second until all eight run.
  for (std::size_t i = 0; i < r.intervals.size(); ++i)
    BOOST_TEST(r.intervals[i].active_cores == std::min<int>(static_cast<int>(i) + 1, 8));
  BOOST_TEST(r.intervals.back().power_w > r.intervals.front().power_w * 2);
  BOOST_TEST(r.intervals.back().temperature_c > r.intervals.front().temperature_c);
  BOOST_TEST(r.throughput_p1_gmacs > 0.0);
  BOOST_TEST(r.intervals[0].checked_elements == 64u * 64u);
  const auto j = nlohmann::json::parse(to_json(r));
  BOOST_TEST(j["intervals"].size() == 12u);
}

BOOST_AUTO_TEST_CASE(a_target_power_is_held_by_adjusting_the_utilisation) {
  auto sim = bench();
  LoadOptions o;
  o.duration_s = 30;
  o.ramp_s = 0;
  o.target_power_w = 40;
  const LoadReport r = run_load(*sim.device, o);
  // After a few intervals of settling, the power sits at the target.
  for (std::size_t i = 10; i < r.intervals.size(); ++i)
    BOOST_TEST(std::fabs(r.intervals[i].power_w - 40.0) < 2.0,
               "interval " << i << ": " << r.intervals[i].power_w);
  BOOST_TEST(r.intervals.back().utilisation < 1.0);
}

BOOST_AUTO_TEST_CASE(a_hot_ambient_throttles_the_clock_and_a_hotter_one_trips) {
  auto warm = bench(die_with(1.0, 70.0));
  LoadOptions o;
  o.duration_s = 60;
  o.ramp_s = 0;
  const LoadReport r = run_load(*warm.device, o);
  BOOST_TEST(r.throttled_intervals > 0);
  BOOST_TEST(!r.tripped);
  // The throttled intervals run the check at half the clock: the p1 throughput shows it.
  double best = 0;
  for (const auto& i : r.intervals) best = std::max(best, i.gmacs_per_s);
  BOOST_TEST(r.throughput_p1_gmacs < 0.75 * best);
  const auto throttled =
      std::find_if(r.intervals.begin(), r.intervals.end(), [](const Interval& i) { return i.throttled; });
  BOOST_TEST(throttled->frequency_mhz == 600.0);

  auto hot = bench(die_with(1.0, 95.0));
  const LoadReport t = run_load(*hot.device, o);
  BOOST_TEST(t.tripped);
  BOOST_TEST(t.intervals.size() < 60u, "the load ends at the trip");
  BOOST_TEST(t.temperature_max_c >= 100.0);
}

BOOST_AUTO_TEST_CASE(bad_options_are_refused) {
  auto sim = bench();
  LoadOptions o;
  o.utilisation = 1.5;
  BOOST_CHECK_EXCEPTION(run_load(*sim.device, o), InvalidArgumentError,
                        testing::error_with(ErrorCode::invalid_argument, "utilisation 1.5 is outside 0..1"));
  o = {};
  o.memory_bytes = kMemory;
  BOOST_CHECK_EXCEPTION(run_load(*sim.device, o), InvalidArgumentError,
                        testing::error_with(ErrorCode::invalid_argument, "exceed a quarter"));
  o = {};
  o.interval_s = 0;
  BOOST_CHECK_THROW(run_load(*sim.device, o), InvalidArgumentError);
}

BOOST_AUTO_TEST_SUITE_END()

// ---- a die that fails only hot ----

BOOST_AUTO_TEST_SUITE(hot_only)

// fmax at 750 mV: 1500·0.815 = 1222 MHz at 25 °C, above the 1200 MHz clock; it derates 0.12 %/°C, so
// the die falls below the clock above about 40 °C.
sim::DieInstance marginal_die() {
  return die_with(0.815);
}

BOOST_AUTO_TEST_CASE(the_soak_catches_it_and_a_room_temperature_screen_misses_it) {
  auto sim = bench(marginal_die());
  const StepRecord room = run_test(*sim.device, TestRegistry::instance().get("inference.sdc"),
                                   TestRegistry::instance().get("inference.sdc").make_params({}), {}, {});
  BOOST_TEST(room.outcome == Outcome::passed, room.message);

  const TestDefinition& soak = TestRegistry::instance().get("stress.soak");
  const StepRecord hot = run_test(*sim.device, soak, soak.make_params({}), {}, {});
  BOOST_TEST(hot.outcome == Outcome::failed);
  auto m = measurements(hot);
  BOOST_TEST(m["errors_p99"] > 0.0);
  BOOST_TEST(m["settled"] == 1.0);
  BOOST_TEST(m["settled_temperature"] > 45.0);
  BOOST_TEST(m["tripped"] == 0.0);
  BOOST_REQUIRE(artifact(hot, "load") != nullptr);
  const auto curve = nlohmann::json::parse(artifact(hot, "load")->content)["intervals"];
  BOOST_TEST(curve.size() > 5u);
  BOOST_TEST(curve.back()["temperature_c"].get<double>() >
             curve.front()["temperature_c"].get<double>() + 10.0);
  // Teardown: the nominal point, no load.
  BOOST_TEST((current_operating_point(*sim.device) == kNominal));

  // The same soak on a die with margin passes.
  auto good = bench(die_with(1.0));
  BOOST_TEST(run_test(*good.device, soak, soak.make_params({}), {}, {}).outcome == Outcome::passed);
}

BOOST_AUTO_TEST_SUITE_END()

// ---- Fmax and Vmin ----

BOOST_AUTO_TEST_SUITE(search)

BOOST_AUTO_TEST_CASE(fmax_and_vmin_track_the_ground_truth_over_many_dies) {
  const auto spec = sim::load_population(data_root() / "fixtures/populations/a0-typical.json");
  const auto geometry = chip::HbmGeometry::for_size(kMemory);
  const PointCheck probe = timing_probe({});
  int dies = 0;
  for (int x = 0; x < 8; ++x) {
    const chip::DieId id{"SRCH", 1, x, 7};
    auto die = sim::make_die(spec, id, geometry);
    die.core_faults.clear();  // a broken lane is not a speed limit
    auto sim = testing::make_sim_bench(testing::chip_model(die, kMemory));
    SafeState safe(*sim.device);
    const SearchResult f = search_fmax(
        *sim.device, safe, 750, {.lo = 1000, .hi = 2000, .resolution = 10, .guard_band = 30, .check = probe});
    BOOST_REQUIRE(f.found);
    // The truth at the temperature the die had at its fmax point.
    const double true_f = sim::physics::fmax_mhz(die, 750, f.temperature_c);
    BOOST_TEST(std::fabs(f.limit - true_f) <= 10.0, chip::to_string(id)
                                                        << ": fmax " << f.limit << " MHz, true " << true_f
                                                        << " MHz at " << f.temperature_c << " °C");
    BOOST_TEST(f.guarded == f.limit - 30.0);
    const SearchResult v = search_vmin(
        *sim.device, safe, 1200, {.lo = 550, .hi = 950, .resolution = 5, .guard_band = 20, .check = probe});
    BOOST_REQUIRE(v.found);
    const double true_v = sim::physics::vmin_mv(die, 1200, v.temperature_c);
    BOOST_TEST(std::fabs(v.limit - true_v) <= 5.0, chip::to_string(id)
                                                       << ": vmin " << v.limit << " mV, true " << true_v
                                                       << " mV at " << v.temperature_c << " °C");
    // And against the population's ground truth at 25 °C, within the resolution and the die's warming.
    BOOST_TEST(std::fabs(f.limit - sim::true_fmax_mhz(die)) <= 10.0 + 0.0012 * (f.temperature_c - 25) * 1500);
    ++dies;
  }
  BOOST_TEST(dies == 8);
}

BOOST_AUTO_TEST_CASE(searches_say_when_the_range_holds_no_boundary) {
  auto sim = bench();
  SafeState safe(*sim.device);
  const PointCheck probe = timing_probe({.elements = 1024, .runs = 1, .cores = {}, .seed = 1});
  const SearchResult low = search_fmax(
      *sim.device, safe, 750, {.lo = 600, .hi = 900, .resolution = 10, .guard_band = 0, .check = probe});
  BOOST_TEST(low.found);
  BOOST_TEST(low.limit == 900.0);
  BOOST_TEST(low.note.find("passes at the end of the range") == 0u, low.note);
  const SearchResult high = search_fmax(
      *sim.device, safe, 750, {.lo = 2500, .hi = 2900, .resolution = 10, .guard_band = 0, .check = probe});
  BOOST_TEST(!high.found);
  BOOST_TEST(high.note.find("fails even at 2500 MHz") == 0u, high.note);
  BOOST_CHECK_THROW(search_fmax(*sim.device, safe, 750,
                                {.lo = 900, .hi = 800, .resolution = 10, .guard_band = 0, .check = probe}),
                    InvalidArgumentError);
}

BOOST_AUTO_TEST_SUITE_END()

// ---- the shmoo ----

BOOST_AUTO_TEST_SUITE(shmoo)

BOOST_AUTO_TEST_CASE(axes_parse_and_bad_ones_are_named) {
  const Axis a = parse_axis("600:900:25", "voltage");
  BOOST_TEST(a.values().size() == 13u);
  BOOST_TEST(a.values().back() == 900.0);
  BOOST_TEST(parse_axis("1:2:0.25", "x").values().size() == 5u);
  BOOST_CHECK_EXCEPTION(
      parse_axis("600-900", "voltage"), InvalidArgumentError,
      testing::error_with(ErrorCode::invalid_argument, "voltage: \"600-900\" is not LO:HI:STEP"));
  BOOST_CHECK_EXCEPTION(parse_axis("900:600:25", "frequency"), InvalidArgumentError,
                        testing::error_with(ErrorCode::invalid_argument, "frequency: 600 is below 900"));
  BOOST_CHECK_EXCEPTION(parse_axis("600:900:0", "voltage"), InvalidArgumentError,
                        testing::error_with(ErrorCode::invalid_argument, "step 0"));
  BOOST_CHECK_EXCEPTION(parse_axis("1:1000:1", "voltage"), InvalidArgumentError,
                        testing::error_with(ErrorCode::invalid_argument, "more than 200 values"));
}

BOOST_AUTO_TEST_CASE(a_typical_die_shows_the_expected_boundary) {
  const auto die = die_with(1.0);
  auto sim = bench(die);
  SafeState safe(*sim.device);
  const Shmoo s =
      run_shmoo(*sim.device, safe, parse_axis("600:900:50", "v"), parse_axis("800:1800:100", "f"),
                timing_probe({.elements = 1u << 17, .runs = 1, .cores = {}, .seed = 1}), "timing probe");
  safe.restore();
  BOOST_TEST((current_operating_point(*sim.device) == kNominal));
  BOOST_REQUIRE(s.cells.size() == 7u * 11u);
  BOOST_TEST(s.errors() == 0);
  int disagreements = 0;
  for (const auto& c : s.cells) {
    const double fmax = sim::physics::fmax_mhz(die, c.voltage_mv, c.temperature_c);
    // Far from the boundary the verdict is certain; within 3 % of it, timing errors are rare enough for
    // a 1 M-result probe that either verdict is right.
    if (std::fabs(c.frequency_mhz / fmax - 1.0) < 0.03) continue;
    if (c.pass != (c.frequency_mhz < fmax)) ++disagreements;
  }
  BOOST_TEST(disagreements == 0);
  BOOST_TEST(s.passes() > 10);
  BOOST_TEST(s.passes() < static_cast<int>(s.cells.size()) - 10);
  // Monotonic: at each supply, passing clocks form a run from the bottom.
  for (std::size_t vi = 0; vi < 7; ++vi)
    for (std::size_t fi = 1; fi < 11; ++fi)
      if (s.at(vi, fi).pass) BOOST_TEST(s.at(vi, fi - 1).pass);

  // The renderings: the SVG has one square per point with its class, the ASCII one row per clock.
  const std::string svg = to_svg(s);
  auto count = [&](std::string_view needle) {
    std::size_t n = 0;
    for (std::size_t at = svg.find(needle); at != std::string::npos; at = svg.find(needle, at + 1)) ++n;
    return n;
  };
  BOOST_TEST(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  BOOST_TEST(svg.find("</svg>") != std::string::npos);
  BOOST_TEST(count("<rect class=\"pass\"") == static_cast<std::size_t>(s.passes()));
  BOOST_TEST(count("<rect class=\"fail\"") == s.cells.size() - static_cast<std::size_t>(s.passes()));
  BOOST_TEST(count("<title>") == s.cells.size());
  const std::string ascii = to_ascii(s);
  BOOST_TEST(static_cast<std::size_t>(std::count(ascii.begin(), ascii.end(), '*')) ==
             static_cast<std::size_t>(s.passes()) + 1);  // the legend's star
  BOOST_TEST(ascii.find("  1800 MHz |") != std::string::npos, ascii);
  const auto j = nlohmann::json::parse(to_json(s));
  BOOST_TEST(j["cells"].size() == s.cells.size());
  BOOST_TEST(j["passes"] == s.passes());
}

BOOST_AUTO_TEST_CASE(a_hot_grid_moves_the_boundary_down) {
  auto sim = bench();
  SafeState safe(*sim.device);
  const PointCheck probe = timing_probe({.elements = 1u << 16, .runs = 1, .cores = {}, .seed = 1});
  const Axis v = parse_axis("650:850:50", "v"), f = parse_axis("1000:1800:50", "f");
  const Shmoo cold = run_shmoo(*sim.device, safe, v, f, probe, "probe");
  // Self-heating reaches about 47 °C at the grid's lowest-power point (650 mV, 1000 MHz), 60 °C at the
  // nominal one: 45 °C is within reach everywhere.
  const Shmoo hot = run_shmoo(*sim.device, safe, v, f, probe, "probe", {}, 45.0);
  BOOST_TEST(!cold.temperature_c.has_value());
  BOOST_TEST(hot.temperature_c.value_or(0) == 45.0);
  BOOST_TEST(hot.errors() == 0);
  for (const auto& c : hot.cells) BOOST_TEST(std::fabs(c.temperature_c - 45.0) <= 1.0, c.temperature_c);
  // fmax derates 0.12 %/°C: hot, no supply passes a clock it failed cold, and some pass fewer.
  BOOST_TEST(hot.passes() < cold.passes());
  for (std::size_t vi = 0; vi < v.values().size(); ++vi)
    for (std::size_t fi = 0; fi < f.values().size(); ++fi)
      if (hot.at(vi, fi).pass) BOOST_TEST(cold.at(vi, fi).pass);
  BOOST_TEST(to_ascii(hot).starts_with("shmoo: probe at 45 °C"));
  safe.restore();
  BOOST_CHECK_EXCEPTION(
      run_shmoo(*sim.device, safe, v, f, probe, "probe", {}, 140.0), UnsupportedError,
      testing::error_with(ErrorCode::unsupported, "shmoo at 140.0 °C: full load heats the die"));
}

BOOST_AUTO_TEST_CASE(points_the_regulator_refuses_are_error_cells_not_fails) {
  auto sim = bench();
  SafeState safe(*sim.device);
  const Shmoo s = run_shmoo(*sim.device, safe, parse_axis("950:1050:50", "v"), parse_axis("1000:1000:1", "f"),
                            timing_probe({.elements = 1024, .runs = 1, .cores = {}, .seed = 1}), "probe");
  BOOST_REQUIRE(s.cells.size() == 3u);
  BOOST_TEST(s.cells[0].pass);
  BOOST_TEST(s.cells[2].error);
  BOOST_TEST(s.cells[2].detail.find("outside the regulator") != std::string::npos, s.cells[2].detail);
  BOOST_TEST(to_ascii(s).find("**x") != std::string::npos, to_ascii(s));
}

BOOST_AUTO_TEST_SUITE_END()

// ---- the registered tests and their teardown ----

BOOST_AUTO_TEST_SUITE(registered)

BOOST_AUTO_TEST_CASE(stress_compute_and_combined_pass_on_a_defect_free_die) {
  auto sim = bench();
  const TestDefinition& compute = TestRegistry::instance().get("stress.compute");
  const StepRecord c = run_test(*sim.device, compute, compute.make_params({{"duration_s", 10.0}}), {}, {});
  BOOST_TEST(c.outcome == Outcome::passed, c.message);
  auto m = measurements(c);
  BOOST_TEST(m["errors_total"] == 0.0);
  BOOST_TEST(m["throughput_p1"] > 0.0);
  BOOST_TEST(m["power_p50"] > 10.0);
  const TestDefinition& combined = TestRegistry::instance().get("stress.combined");
  const StepRecord b = run_test(*sim.device, combined, combined.make_params({{"duration_s", 5.0}}), {}, {});
  BOOST_TEST(b.outcome == Outcome::passed, b.message);
  const auto curve = nlohmann::json::parse(artifact(b, "load")->content)["intervals"];
  BOOST_TEST(curve[0]["memory_words"].get<int>() == 1024 * 1024 / 8);
  BOOST_TEST((current_operating_point(*sim.device) == kNominal));
}

BOOST_AUTO_TEST_CASE(stress_shmoo_attaches_the_grid_the_picture_and_the_plot) {
  auto sim = bench();
  const TestDefinition& def = TestRegistry::instance().get("stress.shmoo");
  const StepRecord r = run_test(*sim.device, def,
                                def.make_params({{"voltage", std::string("650:850:50")},
                                                 {"frequency", std::string("1000:1600:200")},
                                                 {"probe_elements", std::int64_t{4096}}}),
                                {}, {});
  BOOST_TEST(r.outcome == Outcome::passed, r.message);
  BOOST_REQUIRE(artifact(r, "shmoo.svg") != nullptr);
  BOOST_TEST(artifact(r, "shmoo.svg")->media_type == "image/svg+xml");
  BOOST_TEST(artifact(r, "shmoo.txt")->content.find("MHz |") != std::string::npos);
  auto m = measurements(r);
  BOOST_TEST(m["pass_points"] + m["fail_points"] + m["error_points"] == 20.0);
  BOOST_TEST((current_operating_point(*sim.device) == kNominal));

  // Another registered test at each point.
  const StepRecord sdc = run_test(*sim.device, def,
                                  def.make_params({{"voltage", std::string("700:800:100")},
                                                   {"frequency", std::string("1200:1200:1")},
                                                   {"test", std::string("inference.sdc")}}),
                                  {}, {});
  BOOST_TEST(sdc.outcome == Outcome::passed, sdc.message);
  BOOST_TEST(nlohmann::json::parse(artifact(sdc, "shmoo")->content)["test"] == "inference.sdc");
  const StepRecord nested =
      run_test(*sim.device, def, def.make_params({{"test", std::string("stress.fmax")}}), {}, {});
  BOOST_TEST(nested.outcome == Outcome::error);
}

// Fails the link once, on the Nth tensor operation: a timeout in the middle of a search.
class TimeoutOnce final : public testing::ForwardingTransport {
 public:
  TimeoutOnce(std::unique_ptr<Transport> inner, int after)
      : ForwardingTransport(std::move(inner)), left_(after) {}
  void exchange_into(std::span<const std::uint8_t> request, std::vector<std::uint8_t>& response,
                     Deadline deadline, std::stop_token stop) override {
    if (request.size() > 3 && request[3] == static_cast<std::uint8_t>(protocol::Opcode::tensor) &&
        --left_ == 0)
      throw TimeoutError(ErrorCode::timeout, "the board did not answer in time");
    ForwardingTransport::exchange_into(request, response, deadline, std::move(stop));
  }

 private:
  int left_;
};

// Requests a stop on the Nth tensor operation: a cancel in the middle of a search.
class CancelAt final : public testing::ForwardingTransport {
 public:
  CancelAt(std::unique_ptr<Transport> inner, std::stop_source& stop, int after)
      : ForwardingTransport(std::move(inner)), stop_(stop), left_(after) {}
  void exchange_into(std::span<const std::uint8_t> request, std::vector<std::uint8_t>& response,
                     Deadline deadline, std::stop_token stop) override {
    if (request.size() > 3 && request[3] == static_cast<std::uint8_t>(protocol::Opcode::tensor) &&
        --left_ == 0)
      stop_.request_stop();
    ForwardingTransport::exchange_into(request, response, deadline, std::move(stop));
  }

 private:
  std::stop_source& stop_;
  int left_;
};

BOOST_AUTO_TEST_CASE(teardown_restores_the_operating_point_after_failure_timeout_and_cancellation) {
  const TestDefinition& fmax = TestRegistry::instance().get("stress.fmax");
  const auto params = fmax.make_params({{"probe_elements", std::int64_t{4096}}});
  {  // failure: a limit the die cannot meet
    auto sim = bench();
    const StepRecord r = run_test(*sim.device, fmax, params, {{"fmax", Limits{.low = 3e9, .high = {}}}}, {});
    BOOST_TEST(r.outcome == Outcome::failed);
    BOOST_TEST((current_operating_point(*sim.device) == kNominal));
  }
  {  // timeout: the board stops answering in the middle of the search, then answers again
    auto sim = bench(die_with(), [](std::unique_ptr<Transport> link) -> std::unique_ptr<Transport> {
      return std::make_unique<TimeoutOnce>(std::move(link), 20);
    });
    const StepRecord r = run_test(*sim.device, fmax, params, {}, {});
    BOOST_TEST(r.outcome == Outcome::error);
    BOOST_TEST((r.error_code == ErrorCode::timeout));
    BOOST_TEST((current_operating_point(*sim.device) == kNominal));
  }
  {  // cancellation: the operator stops the run in the middle of the search
    std::stop_source stop;
    auto sim = bench(die_with(), [&stop](std::unique_ptr<Transport> link) -> std::unique_ptr<Transport> {
      return std::make_unique<CancelAt>(std::move(link), stop, 20);
    });
    sim.device->set_stop_token(stop.get_token());
    const StepRecord r = run_test(*sim.device, fmax, params, {}, stop.get_token());
    BOOST_TEST(r.outcome == Outcome::error);
    BOOST_TEST((r.error_code == ErrorCode::cancelled));
    sim.device->set_stop_token({});
    BOOST_TEST((current_operating_point(*sim.device) == kNominal));
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace stress
}  // namespace seedval

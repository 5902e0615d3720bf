// stress.fmax, stress.vmin and stress.shmoo: characterization by bisection and by grid (see
// seedval/stress/search.h). Each restores the operating point in teardown, whatever way the test ends.
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <seedval/stress/operating_point.h>
#include <seedval/stress/search.h>
#include <seedval/testapi/test.h>

namespace seedval::stress {
namespace {

std::vector<ParamSpec> probe_params() {
  return {
      {"probe_elements",
       ParamType::integer,
       std::int64_t{1} << 18,
       "lane results per probe operation (an element-wise Add)",
       1.0,
       16777216.0,
       {}},
      {"probe_runs",
       ParamType::integer,
       std::int64_t{4},
       "probe operations per core and point",
       1.0,
       1000.0,
       {}},
  };
}

ProbeOptions probe_options(const Params& p) {
  ProbeOptions o;
  o.elements = static_cast<std::uint64_t>(p.integer("probe_elements"));
  o.runs = static_cast<int>(p.integer("probe_runs"));
  return o;
}

std::string search_json(const SearchResult& r, std::string_view unit) {
  nlohmann::ordered_json j;
  j["found"] = r.found;
  j["limit"] = r.limit;
  j["guarded"] = r.guarded;
  j["unit"] = unit;
  j["temperature_c"] = r.temperature_c;
  if (!r.note.empty()) j["note"] = r.note;
  auto& points = j["points"] = nlohmann::ordered_json::array();
  for (const auto& p : r.points)
    points.push_back(
        {{"value", p.value}, {"pass", p.pass}, {"errors", p.errors}, {"temperature_c", p.temperature_c}});
  return j.dump(2);
}

TestDefinition fmax_test() {
  TestDefinition t;
  t.name = "stress.fmax";
  t.description =
      "highest clock at which every lane result of the timing probe is right, by bisection at a fixed "
      "supply; "
      "fmax_guarded is fmax less the guard band";
  t.params = {
      {"vdd_mv",
       ParamType::integer,
       std::int64_t{750},
       "core supply held during the search",
       500.0,
       1000.0,
       {}},
      {"lo_mhz", ParamType::number, 600.0, "bottom of the search range", 100.0, 3000.0, {}},
      {"hi_mhz", ParamType::number, 2200.0, "top of the search range", 100.0, 3000.0, {}},
      {"resolution_mhz",
       ParamType::number,
       10.0,
       "the search stops when its bracket is this narrow",
       1.0,
       500.0,
       {}},
      {"guard_band_mhz", ParamType::number, 30.0, "subtracted from fmax for fmax_guarded", 0.0, 1000.0, {}},
  };
  for (auto& p : probe_params()) t.params.push_back(p);
  t.measurements = {
      {"fmax", units::hertz, "highest passing clock", {}},
      {"fmax_guarded", units::hertz, "fmax less the guard band", {}},
      {"temperature", units::celsius, "die temperature at fmax", {}},
      {"points", units::count, "operating points tried", {}},
  };
  t.requires_caps = {chip::Capability::tensor, chip::Capability::dvfs, chip::Capability::sensors};
  t.run = [](TestContext& ctx) {
    const auto& p = ctx.params();
    SafeState safe(ctx.device());
    const SearchOptions o{.lo = p.number("lo_mhz"),
                          .hi = p.number("hi_mhz"),
                          .resolution = p.number("resolution_mhz"),
                          .guard_band = p.number("guard_band_mhz"),
                          .check = timing_probe(probe_options(p))};
    const SearchResult r =
        search_fmax(ctx.device(), safe, static_cast<std::uint32_t>(p.integer("vdd_mv")), o, ctx.stop_token());
    safe.restore();
    ctx.attach("fmax_search", search_json(r, "MHz"));
    if (!r.note.empty()) ctx.note(r.note);
    if (!r.found) ctx.fail(fmt::format("fmax: {}", r.note));
    ctx.measure("fmax", r.limit * 1e6);
    ctx.measure("fmax_guarded", r.guarded * 1e6);
    ctx.measure("temperature", r.temperature_c);
    ctx.measure("points", static_cast<double>(r.points.size()));
  };
  return t;
}

TestDefinition vmin_test() {
  TestDefinition t;
  t.name = "stress.vmin";
  t.description =
      "lowest core supply at which every lane result of the timing probe is right, by bisection at a fixed "
      "clock; vmin_guarded is vmin plus the guard band";
  t.params = {
      {"frequency_mhz",
       ParamType::integer,
       std::int64_t{1200},
       "clock held during the search",
       100.0,
       3000.0,
       {}},
      {"lo_mv", ParamType::number, 500.0, "bottom of the search range", 500.0, 1000.0, {}},
      {"hi_mv", ParamType::number, 1000.0, "top of the search range", 500.0, 1000.0, {}},
      {"resolution_mv",
       ParamType::number,
       5.0,
       "the search stops when its bracket is this narrow",
       1.0,
       200.0,
       {}},
      {"guard_band_mv", ParamType::number, 20.0, "added to vmin for vmin_guarded", 0.0, 300.0, {}},
  };
  for (auto& p : probe_params()) t.params.push_back(p);
  t.measurements = {
      {"vmin", units::volt, "lowest passing core supply", {}},
      {"vmin_guarded", units::volt, "vmin plus the guard band", {}},
      {"temperature", units::celsius, "die temperature at vmin", {}},
      {"points", units::count, "operating points tried", {}},
  };
  t.requires_caps = {chip::Capability::tensor, chip::Capability::dvfs, chip::Capability::sensors};
  t.run = [](TestContext& ctx) {
    const auto& p = ctx.params();
    SafeState safe(ctx.device());
    const SearchOptions o{.lo = p.number("lo_mv"),
                          .hi = p.number("hi_mv"),
                          .resolution = p.number("resolution_mv"),
                          .guard_band = p.number("guard_band_mv"),
                          .check = timing_probe(probe_options(p))};
    const SearchResult r = search_vmin(
        ctx.device(), safe, static_cast<std::uint32_t>(p.integer("frequency_mhz")), o, ctx.stop_token());
    safe.restore();
    ctx.attach("vmin_search", search_json(r, "mV"));
    if (!r.note.empty()) ctx.note(r.note);
    if (!r.found) ctx.fail(fmt::format("vmin: {}", r.note));
    ctx.measure("vmin", r.limit / 1000.0);
    ctx.measure("vmin_guarded", r.guarded / 1000.0);
    ctx.measure("temperature", r.temperature_c);
    ctx.measure("points", static_cast<double>(r.points.size()));
  };
  return t;
}

/// The check of a shmoo point: the timing probe, or a registered test run with its defaults.
PointCheck shmoo_check(TestContext& ctx, const std::string& test) {
  if (test.empty()) return timing_probe(probe_options(ctx.params()));
  return registered_test_check(test, ctx.stop_token());
}

TestDefinition shmoo_test() {
  TestDefinition t;
  t.name = "stress.shmoo";
  t.description =
      "runs a check at every point of a supply × clock grid; attaches the grid as JSON, as an SVG picture "
      "and "
      "as an ASCII plot";
  t.params = {
      {"voltage",
       ParamType::string,
       std::string("600:900:25"),
       "core supply axis, mV: LO:HI:STEP",
       {},
       {},
       {}},
      {"frequency", ParamType::string, std::string("800:1800:50"), "clock axis, MHz: LO:HI:STEP", {}, {}, {}},
      {"test",
       ParamType::string,
       std::string(""),
       "registered test run at each point (empty: the timing probe)",
       {},
       {},
       {}},
      {"temperature_c",
       ParamType::number,
       0.0,
       "die temperature held by self-heating during the grid (0: as the die is)",
       0.0,
       150.0,
       {}},
  };
  for (auto& p : probe_params()) t.params.push_back(p);
  t.measurements = {
      {"pass_points", units::count, "grid points that passed", {}},
      {"fail_points", units::count, "grid points that failed", {}},
      {"error_points", units::count, "grid points the device refused", {}},
  };
  t.requires_caps = {chip::Capability::tensor, chip::Capability::dvfs, chip::Capability::sensors};
  t.run = [](TestContext& ctx) {
    const auto& p = ctx.params();
    const Axis v = parse_axis(p.string("voltage"), "voltage");
    const Axis f = parse_axis(p.string("frequency"), "frequency");
    const std::string test = p.string("test");
    const PointCheck check = shmoo_check(ctx, test);
    SafeState safe(ctx.device());
    const double held = p.number("temperature_c");
    std::optional<double> temperature;
    if (held > 0) temperature = held;
    Shmoo s;
    try {
      s = run_shmoo(ctx.device(), safe, v, f, check, test.empty() ? "timing probe" : test, ctx.stop_token(),
                    temperature);
    } catch (const UnsupportedError& e) {
      ctx.skip(e.message());
    }
    safe.restore();
    ctx.attach("shmoo", to_json(s));
    ctx.attach("shmoo.svg", to_svg(s), "image/svg+xml");
    ctx.attach("shmoo.txt", to_ascii(s), "text/plain");
    ctx.measure("pass_points", s.passes());
    ctx.measure("fail_points", static_cast<double>(s.cells.size()) - s.passes() - s.errors());
    ctx.measure("error_points", s.errors());
  };
  return t;
}

SEEDVAL_REGISTER_TEST(fmax_test());
SEEDVAL_REGISTER_TEST(vmin_test());
SEEDVAL_REGISTER_TEST(shmoo_test());

}  // namespace
}  // namespace seedval::stress

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <seedval/core/error.h>
#include <seedval/core/xml.h>
#include <seedval/device/thermal.h>
#include <seedval/inference/compare.h>
#include <seedval/inference/runner.h>
#include <seedval/inference/screen.h>
#include <seedval/stress/search.h>
#include <seedval/testapi/test.h>

namespace seedval::stress {
namespace {

[[noreturn]] void invalid(std::string message) {
  throw InvalidArgumentError(ErrorCode::invalid_argument, std::move(message));
}

std::uint64_t mix(std::uint64_t x) noexcept {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// The probe's graph and golden result, built once per check.
struct Probe {
  inference::Graph graph;
  std::vector<inference::HostTensor> inputs;
  std::vector<inference::OutputSpec> outputs;
  std::vector<inference::HostTensor> golden;
};

std::shared_ptr<const Probe> make_probe(const ProbeOptions& o) {
  auto p = std::make_shared<Probe>();
  const auto n = static_cast<std::int64_t>(o.elements);
  for (int k = 0; k < 2; ++k) {
    std::vector<float> v(o.elements);
    for (std::uint64_t i = 0; i < o.elements; ++i)
      v[i] = static_cast<float>(
                 static_cast<std::int64_t>(mix(o.seed * 2 + static_cast<std::uint64_t>(k) + i * 4) >> 40) -
                 (1 << 23)) *
             0x1p-20f;
    p->inputs.push_back(inference::HostTensor::from_floats({n}, v));
  }
  p->graph.name = "timing probe";
  p->graph.inputs = {{"a", chip::DType::f32, std::vector<std::int64_t>{n}, {}},
                     {"b", chip::DType::f32, std::vector<std::int64_t>{n}, {}}};
  p->graph.outputs = {{"y", chip::DType::f32, std::vector<std::int64_t>{n}, {}}};
  p->graph.nodes = {{.name = "add",
                     .op_type = "Add",
                     .domain = {},
                     .inputs = {"a", "b"},
                     .outputs = {"y"},
                     .attributes = {}}};
  p->outputs = {{chip::DType::f32, {n}}};
  p->golden = inference::run_reference(p->graph, p->inputs, p->outputs);
  return p;
}

PointVerdict check_at(Device& device, const PointCheck& check) {
  return check(device);
}

void check_range(const SearchOptions& o, std::string_view what) {
  if (!(o.lo > 0) || !(o.hi > o.lo)) invalid(fmt::format("{}: the range {}..{} is empty", what, o.lo, o.hi));
  if (!(o.resolution > 0)) invalid(fmt::format("{}: resolution {} is not positive", what, o.resolution));
  if (!(o.guard_band >= 0)) invalid(fmt::format("{}: guard band {} is negative", what, o.guard_band));
  if (!o.check) invalid(fmt::format("{}: no check to run at each point", what));
}

// Bisection between a passing and a failing end. `at(x)` moves the die and runs the check; `good_low`
// says whether the passing end is the lower value (fmax) or the upper one (vmin).
SearchResult bisect(Device& device, const SearchOptions& o, bool good_low, std::string_view unit,
                    const std::function<void(double)>& move, std::stop_token stop) {
  SearchResult r;
  auto probe = [&](double x) {
    if (stop.stop_requested()) throw CancelledError(ErrorCode::cancelled, "search cancelled");
    move(x);
    const PointVerdict v = check_at(device, o.check);
    const double t = device.read_sensors().temperature_mc / 1000.0;
    r.points.push_back({.value = x, .pass = v.pass, .errors = v.errors, .temperature_c = t});
    return v.pass;
  };
  const double good_end = good_low ? o.lo : o.hi, bad_end = good_low ? o.hi : o.lo;
  if (!probe(good_end)) {
    r.note = fmt::format("fails even at {} {}: no passing point in the range", good_end, unit);
    return r;
  }
  r.found = true;
  double good = good_end, bad = bad_end;
  double good_t = r.points.back().temperature_c;
  if (probe(bad_end)) {
    good = bad_end;
    good_t = r.points.back().temperature_c;
    r.note =
        fmt::format("passes at the end of the range: the limit is at least as good as {} {}", bad_end, unit);
  } else {
    while (std::fabs(bad - good) > o.resolution) {
      const double mid = std::round((good + bad) / 2);
      if (mid == good || mid == bad) break;
      if (probe(mid)) {
        good = mid;
        good_t = r.points.back().temperature_c;
      } else {
        bad = mid;
      }
    }
  }
  r.limit = good;
  r.temperature_c = good_t;
  r.guarded = good_low ? good - o.guard_band : good + o.guard_band;
  return r;
}

std::string num(double v) {
  return std::fabs(v - std::round(v)) < 1e-9 ? fmt::format("{:.0f}", v) : fmt::format("{:g}", v);
}

}  // namespace

PointCheck timing_probe(const ProbeOptions& options) {
  if (options.elements < 1 || options.elements > (1u << 24))
    invalid(fmt::format("timing probe: {} elements is outside 1..2^24", options.elements));
  if (options.runs < 1 || options.runs > 1000)
    invalid(fmt::format("timing probe: {} runs is outside 1..1000", options.runs));
  auto probe = make_probe(options);
  return [probe, options](Device& device) {
    const std::vector<std::uint32_t> cores =
        options.cores.empty() ? inference::enabled_cores(device) : options.cores;
    if (cores.empty())
      throw DeviceError(ErrorCode::device, fmt::format("{}: no tensor core is enabled", device.name()));
    inference::RunnerOptions ro;
    ro.core = cores.front();
    inference::GraphRunner runner(device, ro);
    const auto prepared = runner.prepare_and_load(probe->graph, probe->inputs, probe->outputs);
    PointVerdict v;
    std::string first;
    // A failing point needs no more evidence than its first wrong result: stop at the first bad run.
    std::uint64_t checked = 0;
    for (int r = 0; r < options.runs && v.errors == 0; ++r)
      for (const auto core : cores) {
        runner.execute(prepared, core);
        const auto got = runner.read_outputs(prepared);
        const auto c = inference::compare_bits(got[0], probe->golden[0]);
        checked += options.elements;
        if (c.mismatches > 0) {
          first = fmt::format("core {}: {}", core, c.reason);
          v.errors = c.mismatches;
          break;
        }
      }
    v.pass = v.errors == 0;
    if (!v.pass) v.detail = fmt::format("{} wrong lane results in {} checked ({})", v.errors, checked, first);
    return v;
  };
}

PointCheck registered_test_check(std::string_view name, std::stop_token stop) {
  const TestDefinition& def = TestRegistry::instance().get(name);
  if (def.name.starts_with("stress."))
    invalid(
        fmt::format("{} moves the operating point itself and cannot run at a characterization point", name));
  const Params params = def.make_params();
  return [&def, params, stop](Device& device) {
    const StepRecord r = run_test(device, def, params, {}, stop);
    if (r.outcome == Outcome::error)
      throw_error(r.error_code, fmt::format("{} at the point: {}", def.name, r.message));
    PointVerdict v;
    v.pass = r.outcome == Outcome::passed;
    for (const auto& m : r.measurements) v.errors += m.outcome == Outcome::failed ? 1 : 0;
    v.detail = r.message;
    return v;
  };
}

SearchResult search_fmax(Device& device, SafeState& safe, std::uint32_t vdd_core_mv,
                         const SearchOptions& options, std::stop_token stop) {
  check_range(options, "fmax search");
  return bisect(
      device, options, true, "MHz",
      [&](double f) { safe.set(vdd_core_mv, static_cast<std::uint32_t>(std::lround(f))); }, stop);
}

SearchResult search_vmin(Device& device, SafeState& safe, std::uint32_t frequency_mhz,
                         const SearchOptions& options, std::stop_token stop) {
  check_range(options, "vmin search");
  return bisect(
      device, options, false, "mV",
      [&](double v) { safe.set(static_cast<std::uint32_t>(std::lround(v)), frequency_mhz); }, stop);
}

// ---- Shmoo ----

std::vector<double> Axis::values() const {
  std::vector<double> v;
  for (int i = 0;; ++i) {
    const double x = lo + i * step;
    if (x > hi + step * 1e-9) break;
    v.push_back(x);
  }
  return v;
}

Axis parse_axis(std::string_view text, std::string_view what) {
  double parts[3] = {0, 0, 0};
  std::size_t start = 0;
  for (int k = 0; k < 3; ++k) {
    const std::size_t end = k < 2 ? text.find(':', start) : text.size();
    if (end == std::string_view::npos || (k == 2 && text.find(':', start) != std::string_view::npos))
      invalid(fmt::format("{}: \"{}\" is not LO:HI:STEP", what, text));
    const std::string_view item = text.substr(start, end - start);
    const auto [p, ec] = std::from_chars(item.data(), item.data() + item.size(), parts[k]);
    if (ec != std::errc() || p != item.data() + item.size() || item.empty())
      invalid(fmt::format("{}: \"{}\" in \"{}\" is not a number", what, item, text));
    start = end + 1;
  }
  const Axis a{.lo = parts[0], .hi = parts[1], .step = parts[2]};
  if (!(a.step > 0)) invalid(fmt::format("{}: step {} in \"{}\" is not positive", what, a.step, text));
  if (a.hi < a.lo) invalid(fmt::format("{}: {} is below {} in \"{}\"", what, a.hi, a.lo, text));
  if ((a.hi - a.lo) / a.step > 199) invalid(fmt::format("{}: \"{}\" has more than 200 values", what, text));
  return a;
}

const ShmooCell& Shmoo::at(std::size_t voltage_index, std::size_t frequency_index) const {
  return cells.at(frequency_index * voltage.values().size() + voltage_index);
}

int Shmoo::passes() const noexcept {
  return static_cast<int>(
      std::count_if(cells.begin(), cells.end(), [](const ShmooCell& c) { return c.pass; }));
}

int Shmoo::errors() const noexcept {
  return static_cast<int>(
      std::count_if(cells.begin(), cells.end(), [](const ShmooCell& c) { return c.error; }));
}

Shmoo run_shmoo(Device& device, SafeState& safe, const Axis& voltage, const Axis& frequency,
                const PointCheck& check, std::string test, std::stop_token stop,
                std::optional<double> temperature_c) {
  Shmoo s{.voltage = voltage,
          .frequency = frequency,
          .test = std::move(test),
          .temperature_c = temperature_c,
          .cells = {}};
  // A temperature by self-heating: the power a utilisation draws depends on the supply and clock, so the
  // die is heated again at every point (the probe itself is too short to move the temperature).
  const std::uint32_t cores = temperature_c ? usable_cores(device) : 0;
  if (temperature_c) {
    const Heating h = heat_to(device, cores, *temperature_c);
    if (!h.ok())
      throw UnsupportedError(ErrorCode::unsupported,
                             fmt::format("shmoo at {:.1f} °C: {}", *temperature_c, h.unreachable));
  }
  for (const double f : frequency.values())
    for (const double v : voltage.values()) {
      if (stop.stop_requested()) throw CancelledError(ErrorCode::cancelled, "shmoo cancelled");

      ShmooCell c{.voltage_mv = v,
                  .frequency_mhz = f,
                  .pass = false,
                  .error = false,
                  .errors = 0,
                  .temperature_c = 0,
                  .detail = {}};
      try {
        safe.set(static_cast<std::uint32_t>(std::lround(v)), static_cast<std::uint32_t>(std::lround(f)));
        if (temperature_c) {
          const Heating h = heat_to(device, cores, *temperature_c);
          if (!h.ok()) {
            c.error = true;
            c.detail = h.unreachable;
          }
        }
        const PointVerdict verdict = c.error ? PointVerdict{} : check(device);
        if (!c.error) {
          c.pass = verdict.pass;
          c.errors = verdict.errors;
          c.detail = verdict.detail;
        }
      } catch (const DeviceError& e) {
        c.error = true;
        c.detail = e.message();
      }
      c.temperature_c = device.read_sensors().temperature_mc / 1000.0;
      s.cells.push_back(std::move(c));
    }
  return s;
}

std::string to_json(const Shmoo& s) {
  nlohmann::ordered_json j;
  j["test"] = s.test;
  j["temperature_c"] =
      s.temperature_c ? nlohmann::ordered_json(*s.temperature_c) : nlohmann::ordered_json(nullptr);
  j["voltage_mv"] = {
      {"lo", s.voltage.lo}, {"hi", s.voltage.hi}, {"step", s.voltage.step}, {"values", s.voltage.values()}};
  j["frequency_mhz"] = {{"lo", s.frequency.lo},
                        {"hi", s.frequency.hi},
                        {"step", s.frequency.step},
                        {"values", s.frequency.values()}};
  j["passes"] = s.passes();
  j["errors"] = s.errors();
  j["fails"] = static_cast<int>(s.cells.size()) - s.passes() - s.errors();
  auto& cells = j["cells"] = nlohmann::ordered_json::array();
  for (const auto& c : s.cells) {
    nlohmann::ordered_json o{{"voltage_mv", c.voltage_mv},
                             {"frequency_mhz", c.frequency_mhz},
                             {"result", c.error  ? "error"
                                        : c.pass ? "pass"
                                                 : "fail"},
                             {"errors", c.errors},
                             {"temperature_c", c.temperature_c}};
    if (!c.detail.empty()) o["detail"] = c.detail;
    cells.push_back(std::move(o));
  }
  return j.dump(2);
}

std::string to_ascii(const Shmoo& s) {
  const auto vs = s.voltage.values(), fs = s.frequency.values();
  std::string out =
      fmt::format("shmoo: {}{}   * pass   . fail   x error\n", s.test,
                  s.temperature_c ? fmt::format(" at {:g} °C", *s.temperature_c) : std::string());
  for (std::size_t fi = fs.size(); fi-- > 0;) {
    out += fmt::format("{:>6} MHz |", num(fs[fi]));
    for (std::size_t vi = 0; vi < vs.size(); ++vi) {
      const ShmooCell& c = s.at(vi, fi);
      out += c.error ? 'x' : c.pass ? '*' : '.';
    }
    out += '\n';
  }
  out += fmt::format("{:>10} +{}\n", "", std::string(vs.size(), '-'));
  // Voltage labels: first, middle and last column.
  std::string labels(vs.size() + 12, ' ');
  auto put = [&](std::size_t col, const std::string& text) {
    const std::size_t at = std::min(12 + col, labels.size() - 1);
    if (labels.size() < at + text.size()) labels.resize(at + text.size(), ' ');
    labels.replace(at, text.size(), text);
  };
  // The lowest supply under the first column, the highest ending under the last when both fit.
  put(0, num(vs.front()));
  if (vs.size() >= num(vs.front()).size() + num(vs.back()).size() + 1)
    put(vs.size() - num(vs.back()).size(), num(vs.back()));
  while (!labels.empty() && labels.back() == ' ') labels.pop_back();
  out += labels + " mV\n";
  return out;
}

std::string to_svg(const Shmoo& s) {
  const auto vs = s.voltage.values(), fs = s.frequency.values();
  const int cell = 18, left = 90, top = 50, bottom = 70, right = 150;
  const int w = left + cell * static_cast<int>(vs.size()) + right;
  const int h = top + cell * static_cast<int>(fs.size()) + bottom;
  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" "
      "font-family=\"sans-serif\" font-size=\"11\">\n"
      "<style>.pass{{fill:#3a9d4a}} .fail{{fill:#d0453b}} .error{{fill:#9a9a9a}} "
      "rect{{stroke:#fff;stroke-width:1}}</style>\n"
      "<rect x=\"0\" y=\"0\" width=\"{}\" height=\"{}\" fill=\"#fff\" stroke=\"none\"/>\n"
      "<text x=\"{}\" y=\"24\" font-size=\"14\" font-weight=\"bold\">Shmoo: {}</text>\n",
      w, h, w, h, w, h, left,
      escape_xml(s.temperature_c ? fmt::format("{} at {:g} °C", s.test, *s.temperature_c) : s.test));
  for (std::size_t fi = 0; fi < fs.size(); ++fi) {
    const int y = top + cell * static_cast<int>(fs.size() - 1 - fi);
    svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n", left - 6, y + cell - 5,
                       num(fs[fi]));
    for (std::size_t vi = 0; vi < vs.size(); ++vi) {
      const ShmooCell& c = s.at(vi, fi);
      const char* cls = c.error ? "error" : c.pass ? "pass" : "fail";
      svg += fmt::format(
          "<rect class=\"{}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"><title>{} mV, {} MHz: "
          "{}{}{}</title></rect>\n",
          cls, left + cell * static_cast<int>(vi), y, cell, cell, num(c.voltage_mv), num(c.frequency_mhz),
          cls, c.detail.empty() ? "" : " — ", escape_xml(c.detail));
    }
  }
  const int axis_y = top + cell * static_cast<int>(fs.size());
  for (std::size_t vi = 0; vi < vs.size(); ++vi)
    if (vs.size() <= 16 || vi % ((vs.size() + 15) / 16) == 0)
      svg += fmt::format(
          "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" transform=\"rotate(-60 {} {})\">{}</text>\n",
          left + cell * static_cast<int>(vi) + cell / 2 + 4, axis_y + 12,
          left + cell * static_cast<int>(vi) + cell / 2 + 4, axis_y + 12, num(vs[vi]));
  svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">core supply (mV)</text>\n",
                     left + cell * static_cast<int>(vs.size()) / 2, h - 8);
  svg += fmt::format(
      "<text x=\"16\" y=\"{}\" text-anchor=\"middle\" transform=\"rotate(-90 16 {})\">clock (MHz)</text>\n",
      top + cell * static_cast<int>(fs.size()) / 2, top + cell * static_cast<int>(fs.size()) / 2);
  const int lx = left + cell * static_cast<int>(vs.size()) + 20;
  int ly = top;
  for (const char* cls : {"pass", "fail", "error"}) {
    svg += fmt::format(
        "<rect class=\"legend {}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/><text x=\"{}\" "
        "y=\"{}\">{}</text>\n",
        cls, lx, ly, cell, cell, lx + cell + 6, ly + cell - 5, cls);
    ly += cell + 6;
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace seedval::stress

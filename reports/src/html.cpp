#include <algorithm>
#include <cmath>
#include <iterator>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <fmt/core.h>
#include <fmt/format.h>

#include <seedval/core/units.h>
#include <seedval/reports/html.h>
#include <seedval/reports/junit.h>
#include <seedval/reports/summary.h>

#include "writers.h"

namespace seedval::reports {
namespace {

constexpr double kPpkTarget = 1.33;  // a Ppk below it is highlighted

template <typename... Args>
void put(std::string& out, fmt::format_string<Args...> format, Args&&... args) {
  fmt::format_to(std::back_inserter(out), format, std::forward<Args>(args)...);
}

std::string esc(std::string_view text) {
  return escape_xml(text);
}

std::string percent(const Ratio& r) {
  const auto v = r.value();
  return v ? fmt::format("{:.1f}%", 100.0 * *v) : std::string("—");
}

std::string fraction(const Ratio& r) {
  return fmt::format("{} / {}", r.numerator, r.denominator);
}

std::string quantity(double v, std::string_view unit_symbol) {
  if (!std::isfinite(v)) return "—";
  return format_quantity(v, unit_from_symbol(unit_symbol).value_or(units::none));
}

std::string seconds(double v) {
  return std::isfinite(v) ? format_quantity(v, units::second) : std::string("—");
}

/// A round step (1, 2 or 5 times a power of ten) giving about `ticks` ticks over `range`.
double nice_step(double range, int ticks) {
  if (!(range > 0) || !std::isfinite(range)) return 1;
  const double raw = range / ticks;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double r = raw / mag;
  return (r <= 1 ? 1 : r <= 2 ? 2 : r <= 5 ? 5 : 10) * mag;
}

// --- bin colours ----------------------------------------------------------------------------------------

constexpr const char* kPassColours[] = {"#2e9d49", "#7cc47f", "#1b6e34", "#b3dd9b", "#4fb36a", "#0f4d24"};
constexpr const char* kFailColours[] = {"#d62728", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#bcbd22",
                                        "#17becf", "#1f77b4", "#f2c80f", "#a0522d", "#6b4c9a", "#ff9896"};
constexpr const char* kTesterErrorColour = "#4d4d4d";
constexpr const char* kUnknownColour = "#bdbdbd";

struct BinLook {
  std::string colour;
  std::string name;  ///< escaped
  bool pass = false;
  bool tester_error = false;
};

/// Every hard bin of the program, and any other a unit carries, with its colour: pass bins in greens, the
/// tester-error bin dark grey, fail bins in distinct colours, in bin-number order.
std::map<int, BinLook> bin_looks(const Program& p, const std::vector<const UnitTrace*>& units) {
  int tester_error_hard = -1;
  for (const auto& b : p.soft_bins)
    if (b.number == p.tester_error_bin) tester_error_hard = b.hard_bin;
  std::vector<HardBin> bins = p.hard_bins;
  std::sort(bins.begin(), bins.end(), [](const HardBin& a, const HardBin& b) { return a.number < b.number; });
  std::map<int, BinLook> looks;
  std::size_t passes = 0, fails = 0;
  for (const auto& b : bins) {
    BinLook look;
    look.name = esc(b.name);
    look.pass = b.pass;
    look.tester_error = b.number == tester_error_hard;
    if (look.tester_error)
      look.colour = kTesterErrorColour;
    else if (b.pass)
      look.colour = kPassColours[passes++ % std::size(kPassColours)];
    else
      look.colour = kFailColours[fails++ % std::size(kFailColours)];
    looks.emplace(b.number, std::move(look));
  }
  for (const UnitTrace* u : units)
    if (!looks.contains(u->hard_bin)) looks.emplace(u->hard_bin, BinLook{kUnknownColour, "?", false, false});
  return looks;
}

// --- page parts -----------------------------------------------------------------------------------------

constexpr std::string_view kStyle = R"(
:root{color-scheme:light}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#1d2430;background:#f4f6f8}
header{background:#1d2430;color:#fff;padding:16px 24px}
header h1{margin:0 0 10px;font-size:22px;font-weight:600}
header dl{display:grid;grid-template-columns:repeat(auto-fill,minmax(250px,1fr));gap:2px 24px;margin:0}
header dt{color:#9fb0c7;font-size:11px;text-transform:uppercase;letter-spacing:.04em}
header dd{margin:0 0 6px;overflow-wrap:anywhere}
main{max-width:1280px;margin:0 auto;padding:8px 24px 32px}
section{background:#fff;border:1px solid #dde2e8;border-radius:6px;padding:12px 16px;margin:14px 0}
h2{font-size:17px;margin:0 0 10px;font-weight:600}
h3{font-size:14px;margin:0 0 6px;font-weight:600}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px}
.card{border:1px solid #dde2e8;border-radius:6px;padding:8px 10px}
.card .k{font-size:12px;color:#5b6675}
.card .v{font-size:22px;font-weight:600}
.card .s{font-size:12px;color:#5b6675}
.row{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}
table{border-collapse:collapse;font-size:13px}
th,td{padding:3px 8px;border-bottom:1px solid #e6e9ee;text-align:left;vertical-align:top}
th{background:#f4f6f8;font-weight:600}
.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.low-ppk td{background:#fff3e0}
td.low-ppk{color:#b35900;font-weight:700}
td.fails{color:#c62828;font-weight:600}
.note{color:#5b6675;font-size:12px}
.banner{border-left:4px solid #d62728;background:#fdecea;padding:8px 12px;margin:12px 0;border-radius:4px}
.legend{list-style:none;padding:0;margin:0 0 10px;display:flex;flex-wrap:wrap;gap:4px 16px;font-size:12px}
.legend .zero{color:#9aa3ad}
.sw{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:5px;vertical-align:-2px}
.wafers{display:flex;flex-wrap:wrap;gap:14px}
figure{margin:0}
figcaption{font-size:12px;color:#5b6675;text-align:center}
.bar-cell{width:160px}
.hbar{height:10px;background:#2e9d49;border-radius:2px}
svg{display:block}
svg text{font-size:11px;fill:#1d2430}
svg .axis{stroke:#8a94a3;stroke-width:1;fill:none}
svg .grid{stroke:#e6e9ee;stroke-width:1}
svg .edge{fill:#eef1f4;stroke:#aab3bf;stroke-width:1}
svg .notch{fill:#fff;stroke:#aab3bf}
svg .bar{fill:#6b7c93}
svg .cum{fill:none;stroke:#1d2430;stroke-width:2}
svg .cum-dot{fill:#1d2430}
svg .fpy{fill:#9ccfa6}
svg .fy{fill:#2e9d49}
svg .first{fill:#5b8def}
svg .retest{fill:#f0a03c}
svg .mean{stroke:#d62728;stroke-width:2;stroke-dasharray:5 3}
svg .p90{stroke:#6b4c9a;stroke-width:2;stroke-dasharray:2 3}
footer{color:#5b6675;font-size:12px;text-align:center;padding:0 24px 24px}
)";

void header(std::string& out, const LotResult& lot, const Program& p) {
  const LotInfo& i = lot.info;
  const std::string sha = p.sha256.substr(0, 12);
  put(out, "<header>\n<h1>Lot {} — {}</h1>\n<dl>\n", esc(i.lot_id), esc(i.product));
  auto item = [&](std::string_view key, const std::string& escaped_value) {
    put(out, "<div><dt>{}</dt><dd>{}</dd></div>\n", key, escaped_value);
  };
  item("program", fmt::format("{} {} <span title=\"SHA-256 {}\">(sha256 {}…)</span>", esc(p.name),
                              esc(p.revision), esc(p.sha256), esc(sha)));
  item("step", fmt::format("{}, {:g} °C", esc(i.step), i.temperature_c));
  item("station", esc(i.station));
  item("board", esc(i.board.name));
  item("handler", esc(i.handler));
  item("sites", std::to_string(i.site_count));
  item("start", esc(i.start_time));
  item("finish", esc(i.finish_time));
  item("seedval", esc(i.seedval_version));
  out += "</dl>\n</header>\n";
}

void banners(std::string& out, const LotResult& lot, const LotSummary& s) {
  if (lot.cancelled || !lot.stopped_because.empty())
    put(out,
        "<div class=\"banner\"><b>The lot stopped early:</b> {}. The units not yet tested stay with the "
        "handler.</div>\n",
        esc(lot.stopped_because.empty() ? std::string("cancelled") : lot.stopped_because));
  for (const auto& site : lot.sites)
    if (site.out_of_service)
      put(out,
          "<div class=\"banner\"><b>Site {} out of service</b> after {} insertions, {} tester errors: "
          "{}</div>\n",
          site.site, site.insertions, site.tester_errors, esc(site.reason));
  if (!(s.bins_sum_to_units && s.fpy_le_fy && s.sites_sum_to_units))
    put(out,
        "<div class=\"banner\"><b>The lot's counts do not add up</b> (bins sum to units: {}, first-pass "
        "yield ≤ "
        "final yield: {}, sites sum to units: {}).</div>\n",
        s.bins_sum_to_units, s.fpy_le_fy, s.sites_sum_to_units);
}

void figures(std::string& out, const LotResult& lot, const LotSummary& s) {
  out += "<section id=\"figures\">\n<h2>Key figures</h2>\n<div class=\"cards\">\n";
  auto card = [&](std::string_view key, const std::string& value, const std::string& sub) {
    put(out,
        "<div class=\"card\"><div class=\"k\">{}</div><div class=\"v\">{}</div><div "
        "class=\"s\">{}</div></div>\n",
        key, value, sub);
  };
  card("units", std::to_string(s.units), "unique dies");
  card("insertions", std::to_string(s.insertions), fmt::format("{} aborted", s.aborts));
  card("first-pass yield", percent(s.first_pass_yield), fraction(s.first_pass_yield));
  card("final yield", percent(s.final_yield), fraction(s.final_yield));
  card("retest rate", percent(s.retest_rate), fraction(s.retest_rate));
  card("recovery rate", percent(s.recovery_rate), fraction(s.recovery_rate));
  card("units per hour", fmt::format("{:.0f}", s.units_per_hour),
       fmt::format("{} site{}, index time not included", lot.info.site_count,
                   lot.info.site_count == 1 ? "" : "s"));
  card("mean test time", seconds(s.test_time_s.mean), "p90 " + seconds(s.test_time_s.p90));
  card("tester errors", std::to_string(s.tester_errors_final), "units whose final bin is one");
  out += "</div>\n</section>\n";
}

/// The failing hard bins by count (bars, left axis) and their cumulative share of the fails (line, right).
void pareto(std::string& out, const LotSummary& s, const std::map<int, BinLook>& looks) {
  std::vector<const BinCount*> fails;
  std::int64_t total = 0;
  for (const auto& b : s.final_bins.hard)
    if (!b.pass && b.count > 0) {
      fails.push_back(&b);
      total += b.count;
    }
  std::stable_sort(fails.begin(), fails.end(),
                   [](const auto* a, const auto* b) { return a->count > b->count; });
  out += "<div class=\"pareto\">\n<h3>Pareto of failing hard bins (final)</h3>\n";
  if (fails.empty()) {
    out += "<p class=\"note\">No unit failed.</p>\n</div>\n";
    return;
  }
  const int n = static_cast<int>(fails.size());
  const int left = 48, right = 48, top = 16, bottom = 96;
  const int slot = std::clamp(520 / n, 28, 90);
  const int plot_w = slot * n, plot_h = 200;
  const int w = left + plot_w + right, h = top + plot_h + bottom;
  const double max_count = static_cast<double>(fails.front()->count);
  const double step = std::max(1.0, nice_step(max_count, 4));
  const double y_max = std::ceil(max_count / step) * step;
  auto y_of = [&](double count) { return top + plot_h - plot_h * count / y_max; };
  put(out,
      "<svg class=\"chart pareto\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" role=\"img\" "
      "aria-label=\"Pareto of failing hard bins\">\n",
      w, h, w, h);
  for (double v = 0; v <= y_max + step / 2; v += step) {
    const double y = y_of(v);
    put(out, "<line class=\"grid\" x1=\"{}\" x2=\"{}\" y1=\"{:.1f}\" y2=\"{:.1f}\"/>", left, left + plot_w, y,
        y);
    put(out, "<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{:g}</text>\n", left - 5, y + 4, v);
  }
  for (int pct = 0; pct <= 100; pct += 25)
    put(out, "<text x=\"{}\" y=\"{:.1f}\">{}%</text>\n", left + plot_w + 5,
        top + plot_h - plot_h * pct / 100.0 + 4, pct);
  put(out, "<path class=\"axis\" d=\"M{} {}V{}H{}V{}\"/>\n", left, top, top + plot_h, left + plot_w, top);
  std::int64_t cumulative = 0;
  std::string line;
  for (int i = 0; i < n; ++i) {
    const BinCount& b = *fails[static_cast<std::size_t>(i)];
    cumulative += b.count;
    const double x = left + slot * i + slot * 0.15, bw = slot * 0.7;
    const double y = y_of(static_cast<double>(b.count));
    const double share = s.units ? 100.0 * static_cast<double>(b.count) / static_cast<double>(s.units) : 0.0;
    const double cum = 100.0 * static_cast<double>(cumulative) / static_cast<double>(total);
    const auto look = looks.find(b.number);
    const std::string cls = fmt::format("hb{}", b.number);
    put(out,
        "<rect class=\"{}\" data-bin=\"{}\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" "
        "height=\"{:.1f}\"><title>hard "
        "bin {} {}: {} units, {:.1f}% of the units; cumulative {:.1f}% of the fails</title></rect>\n",
        cls, b.number, x, y, bw, top + plot_h - y, b.number, esc(b.name), b.count, share, cum);
    put(out, "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>\n", x + bw / 2, y - 4,
        b.count);
    const double lx = left + slot * i + slot / 2.0, ly = top + plot_h + 12;
    put(out,
        "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\" transform=\"rotate(-35 {:.1f} {:.1f})\">{} "
        "{}</text>\n",
        lx, ly, lx, ly, b.number, look != looks.end() ? look->second.name : esc(b.name));
    const double cy = top + plot_h - plot_h * cum / 100.0;
    put(line, "{}{:.1f} {:.1f}", i == 0 ? "M" : "L", lx, cy);
    put(out,
        "<circle class=\"cum-dot\" cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\"><title>cumulative {:.1f}% of the {} "
        "fails</title></circle>\n",
        lx, cy, cum, total);
  }
  put(out, "<path class=\"cum\" d=\"{}\"/>\n</svg>\n</div>\n", line);
}

void soft_bin_table(std::string& out, const LotSummary& s) {
  out +=
      "<div>\n<h3>Soft bins</h3>\n<table class=\"soft-bins\">\n<tr><th class=\"n\">soft</th><th>name</th>"
      "<th class=\"n\">hard</th><th>result</th><th class=\"n\">final</th><th class=\"n\">share</th>"
      "<th class=\"n\">first pass</th></tr>\n";
  int hidden = 0;
  for (std::size_t i = 0; i < s.final_bins.soft.size(); ++i) {
    const BinCount& b = s.final_bins.soft[i];
    const std::int64_t first = i < s.first_pass_bins.soft.size() ? s.first_pass_bins.soft[i].count : 0;
    if (b.count == 0 && first == 0) {
      ++hidden;
      continue;
    }
    put(out,
        "<tr><td class=\"n\">{}</td><td>{}</td><td class=\"n\"><span class=\"sw "
        "hb{}\"></span>{}</td><td>{}</td>"
        "<td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n",
        b.number, esc(b.name), b.hard_bin, b.hard_bin, b.pass ? "pass" : "fail", b.count,
        percent(Ratio{b.count, s.units}), first);
  }
  out += "</table>\n";
  if (hidden > 0)
    put(out, "<p class=\"note\">{} soft bin{} of the program held no unit.</p>\n", hidden,
        hidden == 1 ? "" : "s");
  out += "</div>\n";
}

/// One SVG per wafer; each unit a square at its die x/y in the colour of its final hard bin.
void wafer_maps(std::string& out, const std::vector<const UnitTrace*>& units, const LotSummary& s,
                const std::map<int, BinLook>& looks) {
  out += "<section id=\"wafers\">\n<h2>Wafer maps (final hard bin)</h2>\n";
  // The legend: every hard bin, with its units.
  std::map<int, std::int64_t> counts;
  for (const UnitTrace* u : units) ++counts[u->hard_bin];
  out += "<ul class=\"legend\">\n";
  for (const auto& [number, look] : looks) {
    const std::int64_t n = counts.contains(number) ? counts[number] : 0;
    put(out, "<li{}><span class=\"sw hb{}\"></span>{} {}{} ({})</li>\n", n == 0 ? " class=\"zero\"" : "",
        number, number, look.name, look.pass ? " (pass)" : "", n);
  }
  out += "</ul>\n";
  if (units.empty()) {
    out += "<p class=\"note\">No unit was tested.</p>\n</section>\n";
    return;
  }
  std::map<std::pair<std::string, int>, std::vector<const UnitTrace*>> wafers;
  for (const UnitTrace* u : units) wafers[{u->die.lot, u->die.wafer}].push_back(u);
  // One scale for every wafer: the dies' extent, and the circle through their farthest corner.
  int min_x = units.front()->die.x, max_x = min_x, min_y = units.front()->die.y, max_y = min_y;
  for (const UnitTrace* u : units) {
    min_x = std::min(min_x, u->die.x);
    max_x = std::max(max_x, u->die.x);
    min_y = std::min(min_y, u->die.y);
    max_y = std::max(max_y, u->die.y);
  }
  const double cx = (min_x + max_x + 1) / 2.0, cy = (min_y + max_y + 1) / 2.0;
  double radius = 1;
  for (const UnitTrace* u : units) {
    const double dx = std::abs(u->die.x + 0.5 - cx) + 0.5, dy = std::abs(u->die.y + 0.5 - cy) + 0.5;
    radius = std::max(radius, std::sqrt(dx * dx + dy * dy));
  }
  radius += 0.3;
  const int cell = std::clamp(static_cast<int>(300 / (2 * radius)), 2, 16);
  const int pad = 4;
  const int size = static_cast<int>(std::ceil(2 * radius * cell)) + 2 * pad;
  const double centre = size / 2.0;
  const double die = cell >= 6 ? 0.9 : 1.0;  // a gap between dies where they are big enough to show it
  const bool many_lots = wafers.begin()->first.first != wafers.rbegin()->first.first;
  const bool single_site = s.sites.size() <= 1;
  out += "<div class=\"wafers\">\n";
  for (const auto& [key, dies] : wafers) {
    const auto& [die_lot, wafer] = key;
    std::int64_t passed = 0;
    std::map<int, std::vector<const UnitTrace*>> by_bin;
    for (const UnitTrace* u : dies) {
      if (u->passed) ++passed;
      by_bin[u->hard_bin].push_back(u);
    }
    const std::string name =
        many_lots ? fmt::format("{} wafer {}", esc(die_lot), wafer) : fmt::format("wafer {}", wafer);
    put(out,
        "<figure>\n<svg class=\"wafer\" data-wafer=\"{}\" data-dies=\"{}\" width=\"{}\" height=\"{}\" "
        "viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"{} map\">\n"
        "<circle class=\"edge\" cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"{:.1f}\"/>"
        "<circle class=\"notch\" cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"{}\"/>\n"
        "<g transform=\"translate({:.2f} {:.2f}) scale({})\">\n",
        wafer, dies.size(), size, size, size, size, name, centre, centre, radius * cell, centre,
        centre + radius * cell, std::max(3, cell / 2), centre - cx * cell, centre - cy * cell, cell);
    for (const auto& [bin, list] : by_bin) {
      const auto look = looks.find(bin);
      const std::string& bin_name = look->second.name;
      put(out, "<g class=\"hb{}\">\n", bin);
      for (const UnitTrace* u : list) {
        put(out,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"><title>part {} · {} · bin {} {} · soft {}",
            u->die.x, u->die.y, die, die, esc(u->part_id), esc(chip::to_string(u->die)), bin, bin_name,
            u->soft_bin);
        if (!u->grade.empty()) put(out, " · grade {}", esc(u->grade));
        if (!single_site) put(out, " · site {}", u->site);
        out += "</title></rect>\n";
      }
      out += "</g>\n";
    }
    put(out, "</g>\n</svg>\n<figcaption>{}: {} units, final yield {}</figcaption>\n</figure>\n", name,
        dies.size(), percent(Ratio{passed, static_cast<std::int64_t>(dies.size())}));
  }
  out += "</div>\n</section>\n";
}

void sites(std::string& out, const LotResult& lot, const LotSummary& s) {
  out += "<section id=\"sites\">\n<h2>Sites</h2>\n";
  std::map<int, std::pair<const SiteSummary*, const SiteRecord*>> all;
  for (const auto& site : s.sites) all[site.site].first = &site;
  for (const auto& site : lot.sites) all[site.site].second = &site;
  if (all.empty()) {
    out += "<p class=\"note\">No site tested a unit.</p>\n</section>\n";
    return;
  }
  out += "<div class=\"row\">\n";
  // First-pass and final yield per site, side by side.
  const int n = static_cast<int>(all.size());
  const int left = 44, top = 14, bottom = 34, right = 110, plot_h = 180;
  const int slot = std::clamp(560 / n, 22, 90);
  const int w = left + slot * n + right, h = top + plot_h + bottom;
  put(out,
      "<svg class=\"chart sites\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" role=\"img\" "
      "aria-label=\"yield per site\">\n",
      w, h, w, h);
  for (int pct = 0; pct <= 100; pct += 25) {
    const double y = top + plot_h - plot_h * pct / 100.0;
    put(out,
        "<line class=\"grid\" x1=\"{}\" x2=\"{}\" y1=\"{:.1f}\" y2=\"{:.1f}\"/><text x=\"{}\" y=\"{:.1f}\" "
        "text-anchor=\"end\">{}%</text>\n",
        left, left + slot * n, y, y, left - 5, y + 4, pct);
  }
  int i = 0;
  for (const auto& [number, pair] : all) {
    const SiteSummary* sum = pair.first;
    const double x = left + slot * i;
    const double bw = slot * 0.36;
    int k = 0;
    for (const char* cls : {"fpy", "fy"}) {
      const Ratio r = sum == nullptr ? Ratio{} : (k == 0 ? sum->first_pass_yield : sum->final_yield);
      const double v = r.value().value_or(0.0);
      const double bx = x + slot * 0.12 + bw * k;
      put(out,
          "<rect class=\"{}\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\"><title>site {} {} "
          "yield {} ({})</title></rect>\n",
          cls, bx, top + plot_h - plot_h * v, bw, plot_h * v, number, k == 0 ? "first-pass" : "final",
          percent(r), fraction(r));
      ++k;
    }
    put(out, "<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">site {}</text>\n", x + slot / 2.0,
        top + plot_h + 16, number);
    ++i;
  }
  put(out, "<path class=\"axis\" d=\"M{} {}V{}H{}\"/>\n", left, top, top + plot_h, left + slot * n);
  const int lx = left + slot * n + 14;
  put(out,
      "<rect class=\"fpy\" x=\"{}\" y=\"{}\" width=\"12\" height=\"12\"/><text x=\"{}\" y=\"{}\">first "
      "pass</text>\n",
      lx, top, lx + 17, top + 10);
  put(out,
      "<rect class=\"fy\" x=\"{}\" y=\"{}\" width=\"12\" height=\"12\"/><text x=\"{}\" "
      "y=\"{}\">final</text>\n",
      lx, top + 18, lx + 17, top + 28);
  out += "</svg>\n";

  out +=
      "<table class=\"sites\">\n<tr><th class=\"n\">site</th><th>board</th><th class=\"n\">units</th>"
      "<th class=\"n\">insertions</th><th class=\"n\">first-pass yield</th><th class=\"n\">final yield</th>"
      "<th class=\"n\">mean test time</th><th class=\"n\">p90</th><th class=\"n\">tester errors</th>"
      "<th>status</th></tr>\n";
  for (const auto& [number, pair] : all) {
    const auto& [sum, rec] = pair;
    const Ratio fpy = sum ? sum->first_pass_yield : Ratio{}, fy = sum ? sum->final_yield : Ratio{};
    put(out,
        "<tr><td class=\"n\">{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>"
        "<td class=\"n\">{} ({})</td><td class=\"n\">{} ({})</td><td class=\"n\">{}</td><td "
        "class=\"n\">{}</td>"
        "<td class=\"n{}\">{}</td><td>{}</td></tr>\n",
        number, rec ? esc(rec->board) : std::string(), sum ? sum->units : 0,
        rec ? std::to_string(rec->insertions) : "", percent(fpy), fraction(fpy), percent(fy), fraction(fy),
        sum ? seconds(sum->test_time_s.mean) : "—", sum ? seconds(sum->test_time_s.p90) : "—",
        rec && rec->tester_errors > 0 ? " fails" : "", rec ? std::to_string(rec->tester_errors) : "",
        rec && rec->out_of_service ? "out of service: " + esc(rec->reason) : std::string("in service"));
  }
  out += "</table>\n</div>\n</section>\n";
}

/// The time per insertion: first insertions and retests stacked, the mean and the p90 marked.
void test_time(std::string& out, const std::vector<InsertionTime>& insertions, const LotSummary& s) {
  out += "<section id=\"test-time\">\n<h2>Test time per insertion</h2>\n";
  std::vector<std::pair<double, bool>> times;  // time, retest
  times.reserve(insertions.size());
  for (const auto& t : insertions)
    if (std::isfinite(t.seconds)) times.emplace_back(t.seconds, t.retest);
  if (times.empty()) {
    out += "<p class=\"note\">No insertion was timed.</p>\n</section>\n";
    return;
  }
  double lo = times.front().first, hi = lo;
  for (const auto& t : times) {
    lo = std::min(lo, t.first);
    hi = std::max(hi, t.first);
  }
  if (!(hi > lo)) {
    const double half = std::max(1e-3, std::abs(lo) * 0.05);
    lo -= half;
    hi += half;
  }
  const int bins =
      std::clamp(static_cast<int>(std::ceil(std::sqrt(static_cast<double>(times.size())))), 20, 40);
  const double width = (hi - lo) / bins;
  std::vector<std::int64_t> first(static_cast<std::size_t>(bins)), retest(static_cast<std::size_t>(bins));
  bool any_retest = false;
  for (const auto& [t, re] : times) {
    const auto b = static_cast<std::size_t>(std::clamp(static_cast<int>((t - lo) / width), 0, bins - 1));
    (re ? retest : first)[b] += 1;
    any_retest = any_retest || re;
  }
  std::int64_t peak = 1;
  for (std::size_t b = 0; b < first.size(); ++b) peak = std::max(peak, first[b] + retest[b]);
  const int left = 48, right = 130, top = 22, bottom = 40, plot_w = 720, plot_h = 200;
  const int w = left + plot_w + right, h = top + plot_h + bottom;
  const double step = std::max(1.0, nice_step(static_cast<double>(peak), 4));
  const double y_max = std::ceil(static_cast<double>(peak) / step) * step;
  auto x_of = [&](double t) { return left + plot_w * (t - lo) / (hi - lo); };
  auto y_of = [&](double count) { return top + plot_h - plot_h * count / y_max; };
  put(out,
      "<svg class=\"chart histogram\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" role=\"img\" "
      "aria-label=\"histogram of the test time per insertion\">\n",
      w, h, w, h);
  for (double v = 0; v <= y_max + step / 2; v += step)
    put(out,
        "<line class=\"grid\" x1=\"{}\" x2=\"{}\" y1=\"{:.1f}\" y2=\"{:.1f}\"/><text x=\"{}\" y=\"{:.1f}\" "
        "text-anchor=\"end\">{:g}</text>\n",
        left, left + plot_w, y_of(v), y_of(v), left - 5, y_of(v) + 4, v);
  const double bw = static_cast<double>(plot_w) / bins;
  for (std::size_t b = 0; b < first.size(); ++b) {
    const double from = lo + width * static_cast<double>(b), to = from + width;
    const double x = left + bw * static_cast<double>(b) + 0.5;
    const double y1 = y_of(static_cast<double>(first[b])),
                 y2 = y_of(static_cast<double>(first[b] + retest[b]));
    if (first[b] > 0)
      put(out,
          "<rect class=\"first\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\"><title>{} to "
          "{}: "
          "{} first insertions</title></rect>\n",
          x, y1, bw - 1, top + plot_h - y1, seconds(from), seconds(to), first[b]);
    if (retest[b] > 0)
      put(out,
          "<rect class=\"retest\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\"><title>{} to "
          "{}: "
          "{} retests</title></rect>\n",
          x, y2, bw - 1, y1 - y2, seconds(from), seconds(to), retest[b]);
  }
  put(out, "<path class=\"axis\" d=\"M{} {}V{}H{}\"/>\n", left, top, top + plot_h, left + plot_w);
  const double xstep = nice_step(hi - lo, 8);
  for (double t = std::ceil(lo / xstep) * xstep; t <= hi + xstep * 1e-6; t += xstep)
    put(out,
        "<line class=\"axis\" x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2}\"/><text x=\"{0:.1f}\" "
        "y=\"{3}\" "
        "text-anchor=\"middle\">{4}</text>\n",
        x_of(t), top + plot_h, top + plot_h + 4, top + plot_h + 17,
        seconds(std::abs(t) < xstep * 1e-9 ? 0.0 : t));
  put(out, "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">test time per insertion</text>\n",
      left + plot_w / 2, h - 4);
  // The mean and p90 lines with their labels, the second label lower so they do not overlap.
  int row = 0;
  for (const auto& [cls, label, v] :
       {std::tuple{"mean", "mean", s.test_time_s.mean}, std::tuple{"p90", "p90", s.test_time_s.p90}}) {
    const double x = std::clamp(x_of(v), static_cast<double>(left), static_cast<double>(left + plot_w));
    put(out,
        "<line class=\"{}\" x1=\"{:.1f}\" x2=\"{:.1f}\" y1=\"{}\" y2=\"{}\"><title>{} {}</title></line>\n",
        cls, x, x, top - 6, top + plot_h, label, seconds(v));
    put(out, "<text x=\"{:.1f}\" y=\"{}\">{} {}</text>\n", x + 4, top - 10 + 12 * row, label, seconds(v));
    ++row;
  }
  const int lx = left + plot_w + 16;
  put(out,
      "<rect class=\"first\" x=\"{}\" y=\"{}\" width=\"12\" height=\"12\"/><text x=\"{}\" y=\"{}\">first "
      "insertion</text>\n",
      lx, top, lx + 17, top + 10);
  if (any_retest)
    put(out,
        "<rect class=\"retest\" x=\"{}\" y=\"{}\" width=\"12\" height=\"12\"/><text x=\"{}\" "
        "y=\"{}\">retest</text>\n",
        lx, top + 18, lx + 17, top + 28);
  out += "</svg>\n";
  put(out, "<p class=\"note\">{} insertions, {} bins of {}; mean {}, σ {}, median {}, p90 {}, max {}.</p>\n",
      times.size(), bins, seconds(width), seconds(s.test_time_s.mean), seconds(s.test_time_s.sigma),
      seconds(s.test_time_s.median), seconds(s.test_time_s.p90), seconds(s.test_time_s.max));
  out += "</section>\n";
}

void tests(std::string& out, const LotSummary& s) {
  put(out,
      "<section id=\"tests\">\n<h2>Per-test statistics</h2>\n<p class=\"note\">Every execution of every "
      "insertion. Ppk from the overall σ (one-sided with one limit); below {} highlighted.</p>\n",
      kPpkTarget);
  out +=
      "<table class=\"tests\">\n<tr><th>step</th><th>measurement</th><th class=\"n\">executions</th>"
      "<th class=\"n\">fails</th><th class=\"n\">mean</th><th class=\"n\">σ</th><th class=\"n\">min</th>"
      "<th class=\"n\">max</th><th class=\"n\">low</th><th class=\"n\">high</th><th "
      "class=\"n\">Ppk</th></tr>\n";
  for (const auto& t : s.tests) {
    const bool low_ppk = t.ppk && *t.ppk < kPpkTarget;
    const bool any = t.values.n > 0;
    put(out,
        "<tr{}><td title=\"{}\">{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n{}\">{}</td>"
        "<td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>"
        "<td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n{}\">{}</td></tr>\n",
        low_ppk ? " class=\"low-ppk\"" : "", esc(t.test), esc(t.step), esc(t.measurement), t.executions,
        t.fails > 0 ? " fails" : "", t.fails, any ? quantity(t.values.mean, t.unit) : "—",
        any ? quantity(t.values.sigma, t.unit) : "—", any ? quantity(t.values.min, t.unit) : "—",
        any ? quantity(t.values.max, t.unit) : "—", t.low ? quantity(*t.low, t.unit) : "",
        t.high ? quantity(*t.high, t.unit) : "", low_ppk ? " low-ppk" : "",
        t.ppk ? fmt::format("{:.2f}", *t.ppk) : std::string("—"));
  }
  out += "</table>\n</section>\n";
}

void grades(std::string& out, const LotSummary& s) {
  out += "<section id=\"grades\">\n<h2>Grades</h2>\n";
  if (s.grades.empty()) {
    out +=
        "<p class=\"note\">The program has no grades: a passing unit takes the pass bin.</p>\n</section>\n";
    return;
  }
  out +=
      "<table class=\"grades\">\n<tr><th>grade</th><th class=\"n\">units</th><th class=\"n\">share of the "
      "units</th><th></th></tr>\n";
  std::int64_t graded = 0;
  auto row = [&](const std::string& escaped_name, std::int64_t n, const char* colour) {
    const Ratio r{n, s.units};
    put(out,
        "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"bar-cell\"><div "
        "class=\"hbar\" "
        "style=\"width:{:.1f}%;background:{}\"></div></td></tr>\n",
        escaped_name, n, percent(r), 100.0 * r.value().value_or(0.0), colour);
  };
  for (const auto& [name, n] : s.grades) {
    graded += n;
    row(esc(name), n, "#2e9d49");
  }
  row("not passing", s.units - graded, "#9aa3ad");
  out += "</table>\n</section>\n";
}

}  // namespace

std::string html_report(const LotResult& lot, const Program& program) {
  std::vector<InsertionTime> times;
  times.reserve(lot.insertions.size());
  for (const auto& u : lot.insertions) times.push_back({u.test_time_s, u.insertion > 1});
  return html_report(summarize(lot, program), lot, program, times);
}

std::string html_report(const LotSummary& s, const LotResult& lot, const Program& program,
                        const std::vector<InsertionTime>& times) {
  std::vector<const UnitTrace*> units;
  units.reserve(s.trace.size());
  for (const UnitTrace& t : s.trace) units.push_back(&t);
  const auto looks = bin_looks(program, units);
  std::string out;
  out.reserve(64 * 1024 + units.size() * 150);
  put(out,
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta name=\"generator\" content=\"seedval {}\">\n<title>Lot {} — seedval report</title>\n<style>",
      esc(lot.info.seedval_version), esc(lot.info.lot_id));
  out += kStyle;
  for (const auto& [number, look] : looks)
    put(out, ".hb{0}{{fill:{1};background:{1}}}\n", number, look.colour);
  out += "</style>\n</head>\n<body>\n";
  header(out, lot, program);
  out += "<main>\n";
  banners(out, lot, s);
  figures(out, lot, s);
  out += "<section id=\"bins\">\n<h2>Bins</h2>\n<div class=\"row\">\n";
  pareto(out, s, looks);
  soft_bin_table(out, s);
  out += "</div>\n</section>\n";
  wafer_maps(out, units, s, looks);
  sites(out, lot, s);
  test_time(out, times, s);
  tests(out, s);
  grades(out, s);
  put(out,
      "</main>\n<footer>Lot {} · program {} {} · written by seedval {} from the lot's records; the figures "
      "are "
      "those of yield.json and bins.json (docs/reports.md).</footer>\n</body>\n</html>\n",
      esc(lot.info.lot_id), esc(program.name), esc(program.revision), esc(lot.info.seedval_version));
  return out;
}

}  // namespace seedval::reports

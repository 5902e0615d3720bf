#include <algorithm>
#include <cstdio>
#include <map>
#include <utility>

#include <fcntl.h>
#include <fmt/core.h>
#include <unistd.h>

#include <seedval/core/error.h>
#include <seedval/reports/html.h>
#include <seedval/reports/junit.h>
#include <seedval/reports/lot_reports.h>
#include <seedval/reports/stdf.h>

#include "json_record.h"

namespace seedval::reports {

using nlohmann::json;
using namespace detail;

namespace {

json per_site(const std::map<int, std::int64_t>& m) {
  json j = json::object();
  for (const auto& [site, n] : m) j[std::to_string(site)] = n;
  return j;
}

json bins_json(const std::vector<BinCount>& bins, std::int64_t units, bool soft) {
  json arr = json::array();
  for (const auto& b : bins) {
    json e = {{"number", b.number},
              {"name", b.name},
              {"pass", b.pass},
              {"count", b.count},
              {"share", to_json(Ratio{b.count, units})},
              {"per_site", per_site(b.per_site)}};
    if (soft) e["hard_bin"] = b.hard_bin;
    arr.push_back(std::move(e));
  }
  return arr;
}

json pareto(const std::vector<BinCount>& soft, std::int64_t units) {
  std::vector<const BinCount*> fails;
  for (const auto& b : soft)
    if (!b.pass && b.count > 0) fails.push_back(&b);
  std::stable_sort(fails.begin(), fails.end(),
                   [](const auto* a, const auto* b) { return a->count > b->count; });
  json arr = json::array();
  std::int64_t cumulative = 0;
  for (const auto* b : fails) {
    cumulative += b->count;
    arr.push_back({{"soft_bin", b->number},
                   {"name", b->name},
                   {"hard_bin", b->hard_bin},
                   {"count", b->count},
                   {"share", to_json(Ratio{b->count, units})},
                   {"cumulative_share", to_json(Ratio{cumulative, units})}});
  }
  return arr;
}

json table_json(const BinTable& t, std::int64_t units) {
  return {{"hard_bins", bins_json(t.hard, units, false)},
          {"soft_bins", bins_json(t.soft, units, true)},
          {"pareto", pareto(t.soft, units)}};
}

}  // namespace

std::string yield_report(const LotResult& lot, const Program& program) {
  return yield_report(summarize(lot, program), lot, program);
}

std::string yield_report(const LotSummary& s, const LotResult& lot, const Program& program) {
  json sites = json::array();
  for (const auto& site : s.sites)
    sites.push_back({{"site", site.site},
                     {"units", site.units},
                     {"first_pass_yield", to_json(site.first_pass_yield)},
                     {"final_yield", to_json(site.final_yield)},
                     {"test_time_s", to_json(site.test_time_s)}});
  json tests = json::array();
  for (const auto& t : s.tests)
    tests.push_back({{"step", t.step},
                     {"test", t.test},
                     {"measurement", t.measurement},
                     {"unit", t.unit},
                     {"low", t.low ? number(*t.low) : json(nullptr)},
                     {"high", t.high ? number(*t.high) : json(nullptr)},
                     {"executions", t.executions},
                     {"fails", t.fails},
                     {"values", to_json(t.values)},
                     {"ppk", t.ppk ? number(*t.ppk) : json(nullptr)}});
  json grades = json::array();
  for (const auto& [name, n] : s.grades) {
    json measurements = json::array();
    for (const auto& gm : s.grade_measurements)
      if (gm.grade == name)
        measurements.push_back(
            {{"measurement", gm.measurement}, {"unit", gm.unit}, {"values", to_json(gm.values)}});
    grades.push_back({{"grade", name},
                      {"units", to_json(Ratio{.numerator = n, .denominator = s.units})},
                      {"measurements", measurements}});
  }
  // The wafer view: every die where it sits, in its final hard bin.
  std::map<std::pair<std::string, int>, json> wafer_dies;
  for (const auto& t : s.trace) {
    auto& dies = wafer_dies[{t.die.lot, t.die.wafer}];
    if (dies.is_null()) dies = json::array();
    dies.push_back(json::array({t.die.x, t.die.y, t.hard_bin}));
  }
  json wafers = json::array();
  for (auto& [key, dies] : wafer_dies)
    wafers.push_back({{"lot", key.first}, {"wafer", key.second}, {"dies", std::move(dies)}});
  // The per-unit trace, as rows under one header: a year of units stays a readable size.
  json rows = json::array();
  for (const auto& t : s.trace)
    rows.push_back(
        json::array({t.part_id, t.ecid ? json(fmt::format("0x{:016x}", *t.ecid)) : json(nullptr), t.die.lot,
                     t.die.wafer, t.die.x, t.die.y, t.site, t.insertions, t.first_hard_bin, t.hard_bin,
                     t.soft_bin, t.grade, t.passed, number(t.test_time_s)}));
  const SiteEfficiency& e = s.efficiency;
  json j = {
      {"schema", "seedval.yield"},
      {"schema_version", kYieldSchemaVersion},
      {"provenance", provenance(lot, program)},
      {"counts",
       {{"units", s.units},
        {"insertions", s.insertions},
        {"aborts", s.aborts},
        {"passed_first", s.first_pass_yield.numerator},
        {"passed_final", s.final_yield.numerator},
        {"tester_errors_final", s.tester_errors_final}}},
      {"yield",
       {{"first_pass", to_json(s.first_pass_yield)},
        {"final", to_json(s.final_yield)},
        {"retest_rate", to_json(s.retest_rate)},
        {"recovery_rate", to_json(s.recovery_rate)}}},
      {"sites", sites},
      {"grades", grades},
      {"tests", tests},
      {"test_time",
       {{"per_insertion_s", to_json(s.test_time_s)},
        {"units_per_hour", number(s.units_per_hour)},
        {"note", "units per hour from mean insertion time, handler index time not included"},
        {"multi_site_efficiency",
         {{"sites", e.sites},
          {"t1_s", number(e.t1_s)},
          {"tn_s", number(e.tn_s)},
          {"active_s", number(e.active_s)},
          {"value", e.value ? number(*e.value) : json(nullptr)},
          {"note",
           "1 - (T_N - T_1) / ((N - 1) T_1): T_1 the mean insertion time, T_N the time with any site testing "
           "per N insertions; null for one site"}}}}},
      {"wafers", wafers},
      {"trace",
       {{"columns",
         {"part_id", "ecid", "lot", "wafer", "x", "y", "site", "insertions", "first_hard_bin", "hard_bin",
          "soft_bin", "grade", "passed", "test_time_s"}},
        {"rows", rows}}},
      {"checks",
       {{"bins_sum_to_units", s.bins_sum_to_units},
        {"fpy_le_fy", s.fpy_le_fy},
        {"sites_sum_to_units", s.sites_sum_to_units}}},
  };
  return j.dump(2) + "\n";
}

std::string bins_report(const LotResult& lot, const Program& program) {
  return bins_report(summarize(lot, program), lot, program);
}

std::string bins_report(const LotSummary& s, const LotResult& lot, const Program& program) {
  json map = json::array();
  for (const auto& b : program.soft_bins) map.push_back({{"soft_bin", b.number}, {"hard_bin", b.hard_bin}});
  json j = {
      {"schema", "seedval.bins"},
      {"schema_version", kBinsSchemaVersion},
      {"provenance", provenance(lot, program)},
      {"units", s.units},
      {"final", table_json(s.final_bins, s.units)},
      {"first_pass", table_json(s.first_pass_bins, s.units)},
      {"soft_to_hard", map},
      {"checks", {{"bins_sum_to_units", s.bins_sum_to_units}}},
  };
  return j.dump(2) + "\n";
}

void write_file_atomic(const std::filesystem::path& file, std::string_view text) {
  const std::filesystem::path tmp = file.string() + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) throw IoError(ErrorCode::io, fmt::format("{}: cannot be created", tmp.string()));
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size() && std::fflush(f) == 0 &&
                  ::fsync(fileno(f)) == 0;
  if (std::fclose(f) != 0 || !ok) {
    std::remove(tmp.c_str());
    throw IoError(ErrorCode::io, fmt::format("{}: write failed", tmp.string()));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, file, ec);
  if (ec)
    throw IoError(ErrorCode::io, fmt::format("{}: cannot be replaced: {}", file.string(), ec.message()));
}

std::vector<std::filesystem::path> write_lot_reports(const LotResult& lot, const Program& program,
                                                     const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    throw IoError(ErrorCode::io,
                  fmt::format("{}: cannot create the report folder: {}", dir.string(), ec.message()));
  const auto yield = dir / "yield.json";
  const auto bins = dir / "bins.json";
  const auto stdf = dir / (lot.info.lot_id + ".stdf");
  const auto html = dir / "report.html";
  const auto junit = dir / "junit.xml";
  write_file_atomic(yield, yield_report(lot, program));
  write_file_atomic(bins, bins_report(lot, program));
  write_stdf(lot, program, stdf);
  write_file_atomic(html, html_report(lot, program));
  write_file_atomic(junit, junit_report(lot, program));
  return {yield, bins, stdf, html, junit};
}

}  // namespace seedval::reports

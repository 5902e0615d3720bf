#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <optional>
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
#include "output.h"
#include "writers.h"

namespace seedval::reports {

using nlohmann::json;
using namespace detail;

namespace {

/// A value standing for an array written later, one element to a line, by fill_placeholders.
json placeholder(std::size_t index) {
  return fmt::format("\x01seedval-array-{}\x01", index);
}

/// `text` (a dump with indent 2) with its placeholders replaced by the arrays `fill` writes: fill[k], for
/// placeholder k, is called with the text to append to and the indent of an element.
std::string fill_placeholders(
    const std::string& text, const std::vector<std::function<void(std::string&, const std::string&)>>& fill) {
  std::vector<std::pair<std::size_t, std::size_t>> marks;  // (position, k)
  auto mark = [](std::size_t k) { return fmt::format("\"\\u0001seedval-array-{}\\u0001\"", k); };
  for (std::size_t k = 0; k < fill.size(); ++k) {
    const std::size_t at = text.find(mark(k));
    if (at == std::string::npos)
      throw InternalError(ErrorCode::internal, fmt::format("yield.json: placeholder {} not found", k));
    marks.emplace_back(at, k);
  }
  std::sort(marks.begin(), marks.end());
  std::string out;
  out.reserve(text.size() + fill.size() * 64);
  std::size_t from = 0;
  for (const auto& [at, k] : marks) {
    const std::size_t line = text.rfind('\n', at) + 1;
    const std::size_t spaces = text.find_first_not_of(' ', line) - line;
    out.append(text, from, at - from);
    const std::size_t before = out.size();
    out += "[\n";
    fill[k](out, std::string(spaces + 2, ' '));
    if (out.size() == before + 2) {
      out.resize(before);
      out += "[]";
    } else {
      out.push_back('\n');
      out.append(spaces, ' ');
      out.push_back(']');
    }
    from = at + mark(k).size();
  }
  out.append(text, from, std::string::npos);
  return out;
}

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
  // The wafer view: every die where it sits, in its final hard bin. Its dies and the per-unit trace are
  // the bulk of a large lot's report: they are written one row to a line into the text (below), not held
  // as a JSON tree of a million values.
  std::map<std::pair<std::string, int>, std::vector<const UnitTrace*>> wafer_dies;
  for (const auto& t : s.trace) wafer_dies[{t.die.lot, t.die.wafer}].push_back(&t);
  json wafers = json::array();
  std::size_t wafer_index = 0;
  for (const auto& [key, dies] : wafer_dies)
    wafers.push_back({{"lot", key.first}, {"wafer", key.second}, {"dies", placeholder(wafer_index++)}});
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
        {"rows", placeholder(wafer_index)}}},
      {"checks",
       {{"bins_sum_to_units", s.bins_sum_to_units},
        {"fpy_le_fy", s.fpy_le_fy},
        {"sites_sum_to_units", s.sites_sum_to_units}}},
  };
  std::string text = j.dump(2) + "\n";
  // The placeholders, in the order they are in the text: each wafer's dies, then the trace's rows.
  std::vector<std::function<void(std::string&, const std::string&)>> arrays;
  for (const auto& [key, dies] : wafer_dies)
    arrays.emplace_back([&dies = dies](std::string& out, const std::string& indent) {
      for (std::size_t i = 0; i < dies.size(); ++i) {
        const UnitTrace& t = *dies[i];
        out += fmt::format("{}{}[{}, {}, {}]", i == 0 ? "" : ",\n", indent, t.die.x, t.die.y, t.hard_bin);
      }
    });
  arrays.emplace_back([&](std::string& out, const std::string& indent) {
    bool first = true;
    for (const auto& t : s.trace) {
      out += first ? "" : ",\n";
      first = false;
      out += indent;
      out += json::array({t.part_id, t.ecid ? json(fmt::format("0x{:016x}", *t.ecid)) : json(nullptr),
                          t.die.lot, t.die.wafer, t.die.x, t.die.y, t.site, t.insertions, t.first_hard_bin,
                          t.hard_bin, t.soft_bin, t.grade, t.passed, number(t.test_time_s)})
                 .dump();
    }
  });
  return fill_placeholders(text, arrays);
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
  AtomicFile f(file);
  f.output().write(text);
  f.commit();
}

std::vector<std::filesystem::path> write_lot_reports(const LotResult& lot, const Program& program,
                                                     const std::filesystem::path& dir) {
  return write_lot_reports(
      lot, program,
      [&](const std::function<void(const UnitRecord&)>& f) {
        for (const UnitRecord& u : lot.insertions) f(u);
      },
      dir);
}

std::vector<std::filesystem::path> write_lot_reports(const LotResult& lot, const Program& program,
                                                     const InsertionSource& each,
                                                     const std::filesystem::path& dir, LotSummary* summary,
                                                     ReportSet which) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    throw IoError(ErrorCode::io,
                  fmt::format("{}: cannot create the report folder: {}", dir.string(), ec.message()));
  // One pass: the summary, STDF and the JUnit cases as they go, the insertions' times for the HTML report.
  LotSummarizer summarizer(program, lot.info.site_count);
  std::optional<AtomicFile> stdf_file;
  std::optional<StdfWriter> stdf;
  if (which.stdf) {
    stdf_file.emplace(dir / (lot.info.lot_id + ".stdf"));
    stdf.emplace(lot, program, stdf_file->output());
  }
  std::vector<InsertionTime> times;
  // junit.xml: every insertion's cases to a scratch file, the last of each unit's copied out at the end.
  const auto cases_file = dir / ".junit.xml.cases";
  struct Remove {
    std::filesystem::path file;
    ~Remove() {
      std::error_code e;
      std::filesystem::remove(file, e);
    }
  } remove{cases_file};
  std::optional<detail::Output> cases;
  std::optional<JunitWriter> junit;
  if (which.junit) {
    cases.emplace(cases_file);
    junit.emplace(lot, program, *cases);
  }
  each([&](const UnitRecord& u) {
    summarizer.add(u);
    if (stdf) stdf->add(u);
    if (junit) junit->add(u);
    if (which.html) times.push_back({u.test_time_s, u.insertion > 1});
  });
  LotSummary s = summarizer.finish();

  std::vector<std::filesystem::path> files;
  if (which.yield) {
    files.push_back(dir / "yield.json");
    write_file_atomic(files.back(), yield_report(s, lot, program));
  }
  if (which.bins) {
    files.push_back(dir / "bins.json");
    write_file_atomic(files.back(), bins_report(s, lot, program));
  }
  if (stdf) {
    stdf->finish(s);
    stdf_file->commit();
    files.push_back(stdf_file->path());
  }
  if (which.html) {
    files.push_back(dir / "report.html");
    write_file_atomic(files.back(), html_report(s, lot, program, times));
    times = {};
  }
  if (junit) {
    AtomicFile out(dir / "junit.xml");
    junit->finish(out.output(), {}, cases_file);
    out.commit();
    files.push_back(out.path());
  }
  if (summary != nullptr) *summary = std::move(s);
  return files;
}

}  // namespace seedval::reports

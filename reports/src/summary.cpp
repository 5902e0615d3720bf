#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <limits>
#include <map>
#include <memory>
#include <numeric>
#include <tuple>
#include <unordered_map>

#include <seedval/core/error.h>
#include <seedval/reports/summary.h>

namespace seedval::reports {
namespace {

double quantile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const auto hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - static_cast<double>(lo));
}

BinTable empty_table(const Program& p) {
  BinTable t;
  for (const auto& h : p.hard_bins) t.hard.push_back({h.number, h.name, h.pass, h.number, 0, {}});
  for (const auto& s : p.soft_bins)
    t.soft.push_back({s.number, s.name, p.hard_bin(s.hard_bin).pass, s.hard_bin, 0, {}});
  auto by_number = [](const BinCount& a, const BinCount& b) { return a.number < b.number; };
  std::sort(t.hard.begin(), t.hard.end(), by_number);
  std::sort(t.soft.begin(), t.soft.end(), by_number);
  return t;
}

// Seconds since 1970 (UTC) of an ISO-8601 stamp with milliseconds and offset
// ("2026-12-02T16:20:31.842+01:00"); nullopt when it is not one.
std::optional<double> iso_seconds(const std::string& iso) {
  // YYYY-MM-DDTHH:MM:SS[.fff][Z|+HH:MM|-HH:MM], read by hand: a year of units has 700,000 of them.
  const char* p = iso.data();
  const char* const end = p + iso.size();
  auto number = [&](int& v, char then) {
    const auto [q, ec] = std::from_chars(p, end, v);
    if (ec != std::errc() || (then != 0 && (q == end || *q != then))) return false;
    p = q + (then != 0 ? 1 : 0);
    return true;
  };
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!number(y, '-') || !number(mo, '-') || !number(d, 'T') || !number(h, ':') || !number(mi, ':') ||
      !number(sec, 0))
    return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year(y), std::chrono::month(static_cast<unsigned>(mo)),
                                         std::chrono::day(static_cast<unsigned>(d))};
  if (!date.ok()) return std::nullopt;
  double seconds = static_cast<double>(std::chrono::sys_days(date).time_since_epoch().count()) * 86400.0 +
                   h * 3600.0 + mi * 60.0 + sec;
  if (p < end && *p == '.') {
    double scale = 0.1;
    for (++p; p < end && *p >= '0' && *p <= '9'; ++p, scale /= 10) seconds += (*p - '0') * scale;
  }
  if (p < end && (*p == '+' || *p == '-')) {
    const double sign = *p == '+' ? 1 : -1;
    ++p;
    int oh = 0, om = 0;
    if (number(oh, ':') && number(om, 0)) seconds -= sign * (oh * 3600.0 + om * 60.0);
  }
  return seconds;
}

// Time with at least one insertion running: the union of the insertions' [start, finish] spans.
double active_seconds(std::vector<std::pair<double, double>> spans) {
  std::sort(spans.begin(), spans.end());
  double total = 0, start = 0, end = 0;
  bool open = false;
  for (const auto& [a, b] : spans) {
    if (open && a <= end) {
      end = std::max(end, b);
      continue;
    }
    if (open) total += end - start;
    start = a;
    end = b;
    open = true;
  }
  if (open) total += end - start;
  return total;
}

}  // namespace

std::optional<double> Ratio::value() const {
  if (denominator == 0) return std::nullopt;
  return static_cast<double>(numerator) / static_cast<double>(denominator);
}

Distribution describe(std::vector<double> v) {
  Distribution d;
  d.n = static_cast<std::int64_t>(v.size());
  if (v.empty()) return d;
  std::sort(v.begin(), v.end());
  d.min = v.front();
  d.max = v.back();
  d.mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  double ss = 0;
  for (double x : v) ss += (x - d.mean) * (x - d.mean);
  d.sigma = v.size() > 1 ? std::sqrt(ss / static_cast<double>(v.size() - 1)) : 0.0;
  d.p25 = quantile(v, 0.25);
  d.median = quantile(v, 0.5);
  d.p75 = quantile(v, 0.75);
  d.p90 = quantile(v, 0.9);
  return d;
}

namespace {

// What the summarizer keeps of one insertion: enough to bin, trace and grade the unit.
struct Seen {
  int insertion = 0;
  int site = 0;
  bool passed = false;
  bool tester_error = false;
  int hard_bin = 0;
  int soft_bin = 0;
  std::string grade;
  std::vector<double> grade_values;  // per grade condition (program order), NaN when not measured
};

struct UnitState {
  std::optional<Seen> first, last;
  int judged = 0;  // non-aborted insertions
  std::string part_id;
  std::optional<std::uint64_t> ecid;
  double test_time_s = 0;  // every insertion, aborted ones too
};

using DieKey = std::tuple<std::string, int, int, int>;

}  // namespace

struct LotSummarizer::State {
  const Program& program;
  int site_count = 1;
  std::int64_t insertions = 0, aborts = 0;
  std::map<DieKey, UnitState> units;
  std::vector<double> times;
  std::map<int, std::vector<double>> site_times;
  std::vector<std::pair<double, double>> spans;
  // Per test and measurement, in program order; looked up by step id, then measurement name.
  std::vector<TestStats> tests;
  std::vector<std::vector<double>> test_values;
  std::unordered_map<std::string, std::vector<std::pair<std::string, std::size_t>>> test_index;
  std::vector<std::pair<std::string, std::string>> conditions;  // (step, measurement) of every grade

  State(const Program& p, int sites) : program(p), site_count(std::max(1, sites)) {
    for (const auto* list : {&p.setup, &p.flow, &p.teardown})
      for (const auto& st : *list)
        for (const auto& spec : st.test->measurements) {
          auto lim = st.limits.find(spec.name);
          const Limits limits = lim != st.limits.end() ? lim->second : spec.limits;
          TestStats t;
          t.step = st.id;
          t.test = st.test->name;
          t.measurement = spec.name;
          t.unit = std::string(spec.unit.symbol);
          t.low = limits.low;
          t.high = limits.high;
          test_index[st.id].emplace_back(spec.name, tests.size());
          tests.push_back(std::move(t));
          test_values.emplace_back();
        }
    for (const Grade& g : p.grades)
      for (const GradeCondition& c : g.when) conditions.emplace_back(c.step, c.measurement);
  }

  Seen seen(const UnitRecord& u) const {
    Seen x{u.insertion, u.site, u.passed, u.tester_error, u.hard_bin, u.soft_bin, u.grade, {}};
    x.grade_values.assign(conditions.size(), std::numeric_limits<double>::quiet_NaN());
    for (std::size_t i = 0; i < conditions.size(); ++i)
      for (const auto& rec : u.steps)
        if (rec.id == conditions[i].first)
          for (const auto& m : rec.measurements)
            if (m.name == conditions[i].second) x.grade_values[i] = m.value;
    return x;
  }
};

LotSummarizer::LotSummarizer(const Program& program, int site_count)
    : state_(std::make_unique<State>(program, site_count)) {}
LotSummarizer::~LotSummarizer() = default;

void LotSummarizer::add(const UnitRecord& u) {
  if (!state_) throw InternalError(ErrorCode::internal, "LotSummarizer::add after finish");
  constexpr std::size_t tests_none = static_cast<std::size_t>(-1);
  State& st = *state_;
  ++st.insertions;
  st.times.push_back(u.test_time_s);
  st.site_times[u.site].push_back(u.test_time_s);
  const auto a = iso_seconds(u.start_time), b = iso_seconds(u.finish_time);
  if (a && b && *b >= *a) st.spans.emplace_back(*a, *b);
  for (const auto& rec : u.steps) {
    auto idx = st.test_index.find(rec.id);
    if (idx == st.test_index.end()) continue;
    const auto& specs = idx->second;
    for (std::size_t k = 0; k < rec.measurements.size(); ++k) {
      const Measurement& m = rec.measurements[k];
      // Measurements come in the order the test declares them: look there first.
      std::size_t i = tests_none;
      if (k < specs.size() && specs[k].first == m.name)
        i = specs[k].second;
      else
        for (const auto& [name, j] : specs)
          if (name == m.name) i = j;
      if (i == tests_none) continue;
      ++st.tests[i].executions;
      if (m.outcome == Outcome::failed) ++st.tests[i].fails;
      if (std::isfinite(m.value)) st.test_values[i].push_back(m.value);
    }
  }
  UnitState& unit = st.units[DieKey{u.die.lot, u.die.wafer, u.die.x, u.die.y}];
  unit.test_time_s += u.test_time_s;
  // An aborted insertion is counted, but judged nothing: it does not make a unit or decide its bin.
  if (u.aborted) {
    ++st.aborts;
    return;
  }
  ++unit.judged;
  const bool first = !unit.first || u.insertion < unit.first->insertion;
  const bool last = !unit.last || u.insertion >= unit.last->insertion;
  if (first && last) {
    unit.first = st.seen(u);
    unit.last = unit.first;
  } else if (first) {
    unit.first = st.seen(u);
  }
  if (last) {
    if (!first) unit.last = st.seen(u);
    unit.part_id = u.part_id;
    unit.ecid = u.ecid;
  }
}

LotSummary LotSummarizer::finish() {
  if (!state_) throw InternalError(ErrorCode::internal, "LotSummarizer::finish called twice");
  State& st = *state_;
  const Program& program = st.program;
  LotSummary s;
  s.insertions = st.insertions;
  s.aborts = st.aborts;
  s.first_pass_bins = empty_table(program);
  s.final_bins = empty_table(program);
  std::map<std::string, std::int64_t> grade_counts;
  std::map<int, SiteSummary> sites;
  std::vector<std::vector<double>> grade_values(st.conditions.size());
  for (auto& [key, unit] : st.units) {
    if (!unit.last) continue;  // only aborted insertions: not a unit
    ++s.units;
    const Seen& first = *unit.first;
    const Seen& last = *unit.last;
    auto bin = [](BinTable& t, const Seen& x) {
      for (auto& b : t.hard)
        if (b.number == x.hard_bin) {
          ++b.count;
          ++b.per_site[x.site];
        }
      for (auto& b : t.soft)
        if (b.number == x.soft_bin) {
          ++b.count;
          ++b.per_site[x.site];
        }
    };
    bin(s.first_pass_bins, first);
    bin(s.final_bins, last);
    if (first.passed) ++s.first_pass_yield.numerator;
    if (last.passed) ++s.final_yield.numerator;
    if (last.passed && !last.grade.empty()) ++grade_counts[last.grade];
    if (last.tester_error) ++s.tester_errors_final;
    if (unit.judged > 1) {
      ++s.retest_rate.numerator;
      if (!first.passed) {
        ++s.recovery_rate.denominator;
        if (last.passed) ++s.recovery_rate.numerator;
      }
    }
    // The values behind each grade, over the units it took.
    std::size_t ci = 0;
    for (const Grade& g : program.grades)
      for (std::size_t k = 0; k < g.when.size(); ++k, ++ci)
        if (last.passed && last.grade == g.name && std::isfinite(last.grade_values[ci]))
          grade_values[ci].push_back(last.grade_values[ci]);
    UnitTrace trace;
    trace.part_id = unit.part_id;
    trace.ecid = unit.ecid;
    trace.die = {std::get<0>(key), std::get<1>(key), std::get<2>(key), std::get<3>(key)};
    trace.site = last.site;
    trace.insertions = unit.judged;
    trace.first_hard_bin = first.hard_bin;
    trace.hard_bin = last.hard_bin;
    trace.soft_bin = last.soft_bin;
    trace.grade = last.passed ? last.grade : std::string();
    trace.passed = last.passed;
    trace.test_time_s = unit.test_time_s;
    s.trace.push_back(std::move(trace));
    // A unit belongs to the site that tested it last (its final bin came from there).
    auto& site = sites[last.site];
    site.site = last.site;
    ++site.units;
    ++site.first_pass_yield.denominator;
    ++site.final_yield.denominator;
    if (first.passed) ++site.first_pass_yield.numerator;
    if (last.passed) ++site.final_yield.numerator;
  }
  s.first_pass_yield.denominator = s.final_yield.denominator = s.retest_rate.denominator = s.units;
  for (auto& [n, site] : sites) {
    site.test_time_s = describe(std::move(st.site_times[n]));
    s.sites.push_back(site);
  }
  s.test_time_s = describe(std::move(st.times));
  if (s.test_time_s.mean > 0) s.units_per_hour = 3600.0 * st.site_count / s.test_time_s.mean;
  s.efficiency.sites = st.site_count;
  s.efficiency.t1_s = s.test_time_s.mean;
  s.efficiency.active_s = active_seconds(std::move(st.spans));
  if (s.insertions > 0)
    s.efficiency.tn_s = s.efficiency.active_s * s.efficiency.sites / static_cast<double>(s.insertions);
  if (s.efficiency.sites > 1 && s.efficiency.t1_s > 0 && s.efficiency.tn_s > 0)
    s.efficiency.value =
        1.0 - (s.efficiency.tn_s - s.efficiency.t1_s) / ((s.efficiency.sites - 1) * s.efficiency.t1_s);

  std::size_t ci = 0;
  for (const Grade& g : program.grades)
    for (const GradeCondition& c : g.when) {
      GradeMeasurement gm;
      gm.grade = g.name;
      gm.measurement = c.step + "." + c.measurement;
      for (const auto* list : {&program.setup, &program.flow, &program.teardown})
        for (const auto& step : *list)
          if (step.id == c.step)
            if (const MeasurementSpec* spec = step.test->measurement(c.measurement))
              gm.unit = std::string(spec->unit.symbol);
      gm.values = describe(std::move(grade_values[ci++]));
      s.grade_measurements.push_back(std::move(gm));
    }

  for (std::size_t i = 0; i < st.tests.size(); ++i) {
    TestStats t = std::move(st.tests[i]);
    t.values = describe(std::move(st.test_values[i]));
    if (t.values.n > 1 && t.values.sigma > 0) {
      std::optional<double> ppu, ppl;
      if (t.high) ppu = (*t.high - t.values.mean) / (3 * t.values.sigma);
      if (t.low) ppl = (t.values.mean - *t.low) / (3 * t.values.sigma);
      if (ppu && ppl)
        t.ppk = std::min(*ppu, *ppl);
      else if (ppu)
        t.ppk = ppu;
      else if (ppl)
        t.ppk = ppl;
    }
    s.tests.push_back(std::move(t));
  }

  std::int64_t hard_sum = 0, soft_sum = 0, site_sum = 0;
  for (const auto& g : program.grades) s.grades.emplace_back(g.name, grade_counts[g.name]);
  for (const auto& b : s.final_bins.hard) hard_sum += b.count;
  for (const auto& b : s.final_bins.soft) soft_sum += b.count;
  for (const auto& site : s.sites) site_sum += site.units;
  s.bins_sum_to_units = hard_sum == s.units && soft_sum == s.units;
  s.fpy_le_fy = s.first_pass_yield.numerator <= s.final_yield.numerator && s.final_yield.numerator <= s.units;
  s.sites_sum_to_units = site_sum == s.units;
  state_.reset();  // what was kept of every unit and value: a year's lot frees hundreds of MiB here
  return s;
}

LotSummary summarize(const LotResult& lot, const Program& program) {
  LotSummarizer summarizer(program, lot.info.site_count);
  for (const auto& u : lot.insertions) summarizer.add(u);
  return summarizer.finish();
}

}  // namespace seedval::reports

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <map>
#include <numeric>

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

void count(BinTable& t, const UnitRecord& u) {
  for (auto& b : t.hard)
    if (b.number == u.hard_bin) {
      ++b.count;
      ++b.per_site[u.site];
    }
  for (auto& b : t.soft)
    if (b.number == u.soft_bin) {
      ++b.count;
      ++b.per_site[u.site];
    }
}

// Seconds since 1970 (UTC) of an ISO-8601 stamp with milliseconds and offset
// ("2026-12-02T16:20:31.842+01:00"); nullopt when it is not one.
std::optional<double> iso_seconds(const std::string& iso) {
  std::tm t{};
  int consumed = 0;
  if (std::sscanf(iso.c_str(), "%d-%d-%dT%d:%d:%d%n", &t.tm_year, &t.tm_mon, &t.tm_mday, &t.tm_hour,
                  &t.tm_min, &t.tm_sec, &consumed) != 6)
    return std::nullopt;
  t.tm_year -= 1900;
  t.tm_mon -= 1;
  double seconds = static_cast<double>(timegm(&t));
  std::size_t i = static_cast<std::size_t>(consumed);
  if (i < iso.size() && iso[i] == '.') {
    double scale = 0.1;
    for (++i; i < iso.size() && std::isdigit(static_cast<unsigned char>(iso[i])); ++i, scale /= 10)
      seconds += (iso[i] - '0') * scale;
  }
  int oh = 0, om = 0;
  if (i < iso.size() && (iso[i] == '+' || iso[i] == '-') &&
      std::sscanf(iso.c_str() + i + 1, "%d:%d", &oh, &om) == 2)
    seconds -= (iso[i] == '+' ? 1 : -1) * (oh * 3600.0 + om * 60.0);
  return seconds;
}

// Time with at least one insertion running: the union of the insertions' [start, finish] spans.
double active_seconds(const std::vector<UnitRecord>& insertions) {
  std::vector<std::pair<double, double>> spans;
  for (const auto& u : insertions) {
    const auto a = iso_seconds(u.start_time), b = iso_seconds(u.finish_time);
    if (a && b && *b >= *a) spans.emplace_back(*a, *b);
  }
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

LotSummary summarize(const LotResult& lot, const Program& program) {
  LotSummary s;
  // Units are keyed by die identity; first and last insertion of each.
  std::map<std::string, std::pair<const UnitRecord*, const UnitRecord*>> units;
  std::map<std::string, int> insertions_of;
  for (const auto& u : lot.insertions) {
    // An aborted insertion is counted, but judged nothing: it does not make a unit or decide its bin.
    if (u.aborted) {
      ++s.aborts;
      continue;
    }
    const std::string key = chip::to_string(u.die);
    auto& [first, last] = units[key];
    if (first == nullptr || u.insertion < first->insertion) first = &u;
    if (last == nullptr || u.insertion >= last->insertion) last = &u;
    ++insertions_of[key];
  }
  s.units = static_cast<std::int64_t>(units.size());
  s.insertions = static_cast<std::int64_t>(lot.insertions.size());
  s.first_pass_bins = empty_table(program);
  s.final_bins = empty_table(program);
  std::map<std::string, std::int64_t> grade_counts;
  s.first_pass_yield.denominator = s.final_yield.denominator = s.retest_rate.denominator = s.units;
  std::map<int, SiteSummary> sites;
  std::map<int, std::vector<double>> site_times;
  for (const auto& [key, fl] : units) {
    const auto& [first, last] = fl;
    count(s.first_pass_bins, *first);
    count(s.final_bins, *last);
    if (first->passed) ++s.first_pass_yield.numerator;
    if (last->passed) ++s.final_yield.numerator;
    if (last->passed && !last->grade.empty()) ++grade_counts[last->grade];
    if (last->tester_error) ++s.tester_errors_final;
    if (insertions_of[key] > 1) {
      ++s.retest_rate.numerator;
      if (!first->passed) {
        ++s.recovery_rate.denominator;
        if (last->passed) ++s.recovery_rate.numerator;
      }
    }
    UnitTrace trace;
    trace.part_id = last->part_id;
    trace.ecid = last->ecid;
    trace.die = last->die;
    trace.site = last->site;
    trace.insertions = insertions_of[key];
    trace.first_hard_bin = first->hard_bin;
    trace.hard_bin = last->hard_bin;
    trace.soft_bin = last->soft_bin;
    trace.grade = last->passed ? last->grade : std::string();
    trace.passed = last->passed;
    s.trace.push_back(std::move(trace));
    // A unit belongs to the site that tested it last (its final bin came from there).
    auto& site = sites[last->site];
    site.site = last->site;
    ++site.units;
    ++site.first_pass_yield.denominator;
    ++site.final_yield.denominator;
    if (first->passed) ++site.first_pass_yield.numerator;
    if (last->passed) ++site.final_yield.numerator;
  }
  std::vector<double> times;
  std::map<std::string, double> unit_time;
  for (const auto& u : lot.insertions) {
    times.push_back(u.test_time_s);
    site_times[u.site].push_back(u.test_time_s);
    unit_time[chip::to_string(u.die)] += u.test_time_s;
  }
  for (auto& t : s.trace) t.test_time_s = unit_time[chip::to_string(t.die)];
  for (auto& [n, site] : sites) {
    site.test_time_s = describe(site_times[n]);
    s.sites.push_back(site);
  }
  s.test_time_s = describe(times);
  if (s.test_time_s.mean > 0) s.units_per_hour = 3600.0 * lot.info.site_count / s.test_time_s.mean;
  s.efficiency.sites = std::max(1, lot.info.site_count);
  s.efficiency.t1_s = s.test_time_s.mean;
  s.efficiency.active_s = active_seconds(lot.insertions);
  if (s.insertions > 0)
    s.efficiency.tn_s = s.efficiency.active_s * s.efficiency.sites / static_cast<double>(s.insertions);
  if (s.efficiency.sites > 1 && s.efficiency.t1_s > 0 && s.efficiency.tn_s > 0)
    s.efficiency.value =
        1.0 - (s.efficiency.tn_s - s.efficiency.t1_s) / ((s.efficiency.sites - 1) * s.efficiency.t1_s);

  // The values behind each grade: its conditions' measurements over the units it took.
  for (const Grade& g : program.grades)
    for (const GradeCondition& c : g.when) {
      GradeMeasurement gm;
      gm.grade = g.name;
      gm.measurement = c.step + "." + c.measurement;
      std::vector<double> values;
      for (const auto& [key, fl] : units) {
        const UnitRecord& last = *fl.second;
        if (!last.passed || last.grade != g.name) continue;
        for (const auto& rec : last.steps)
          if (rec.id == c.step)
            for (const auto& m : rec.measurements)
              if (m.name == c.measurement && std::isfinite(m.value)) {
                values.push_back(m.value);
                gm.unit = std::string(m.unit.symbol);
              }
      }
      gm.values = describe(std::move(values));
      s.grade_measurements.push_back(std::move(gm));
    }

  // Per test and measurement, over every execution, in program order.
  std::vector<const Step*> steps;
  for (const auto* list : {&program.setup, &program.flow, &program.teardown})
    for (const auto& st : *list) steps.push_back(&st);
  for (const Step* st : steps) {
    for (const auto& spec : st->test->measurements) {
      auto lim = st->limits.find(spec.name);
      const Limits limits = lim != st->limits.end() ? lim->second : spec.limits;
      TestStats t{.step = st->id,
                  .test = st->test->name,
                  .measurement = spec.name,
                  .unit = std::string(spec.unit.symbol),
                  .low = limits.low,
                  .high = limits.high,
                  .executions = 0,
                  .fails = 0,
                  .values = {},
                  .ppk = std::nullopt};
      std::vector<double> values;
      for (const auto& u : lot.insertions)
        for (const auto& rec : u.steps)
          if (rec.id == st->id)
            for (const auto& m : rec.measurements)
              if (m.name == spec.name) {
                ++t.executions;
                if (m.outcome == Outcome::failed) ++t.fails;
                if (std::isfinite(m.value)) values.push_back(m.value);
              }
      t.values = describe(values);
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
  }

  std::int64_t hard_sum = 0, soft_sum = 0, site_sum = 0;
  for (const auto& g : program.grades) s.grades.emplace_back(g.name, grade_counts[g.name]);
  for (const auto& b : s.final_bins.hard) hard_sum += b.count;
  for (const auto& b : s.final_bins.soft) soft_sum += b.count;
  for (const auto& site : s.sites) site_sum += site.units;
  s.bins_sum_to_units = hard_sum == s.units && soft_sum == s.units;
  s.fpy_le_fy = s.first_pass_yield.numerator <= s.final_yield.numerator && s.final_yield.numerator <= s.units;
  s.sites_sum_to_units = site_sum == s.units;
  return s;
}

}  // namespace seedval::reports

// Lot arithmetic as production test defines it (see docs/reports.md): units keyed by die identity,
// first-pass and final results, bins, per-site and per-test statistics. Every ratio carries its
// numerator and denominator.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <seedval/exec/program.h>
#include <seedval/exec/record.h>

namespace seedval::reports {

struct Ratio {
  std::int64_t numerator = 0;
  std::int64_t denominator = 0;
  /// numerator / denominator, or nullopt when the denominator is 0.
  std::optional<double> value() const;
};

struct BinCount {
  int number = 0;
  std::string name;
  bool pass = false;
  int hard_bin = 0;  ///< for soft bins
  std::int64_t count = 0;
  std::map<int, std::int64_t> per_site;
};

struct BinTable {
  std::vector<BinCount> hard;  ///< every hard bin of the program, in number order
  std::vector<BinCount> soft;  ///< every soft bin of the program, in number order
};

struct Distribution {
  std::int64_t n = 0;
  double mean = 0, sigma = 0, min = 0, max = 0, p25 = 0, median = 0, p75 = 0, p90 = 0;
};
Distribution describe(std::vector<double> values);

struct TestStats {
  std::string step;
  std::string test;
  std::string measurement;
  std::string unit;
  std::optional<double> low, high;
  std::int64_t executions = 0;
  std::int64_t fails = 0;
  Distribution values;
  /// Ppk from the overall sigma: min(Ppu, Ppl) with both limits, the one-sided index with one; empty
  /// without limits or with no spread.
  std::optional<double> ppk;
};

struct SiteSummary {
  int site = 0;
  std::int64_t units = 0;
  Ratio first_pass_yield, final_yield;
  Distribution test_time_s;
};

/// One unit as the lot ends with it: its identity, where and how often it was tested, its bins.
struct UnitTrace {
  std::string part_id;
  std::optional<std::uint64_t> ecid;
  chip::DieId die;
  int site = 0;        ///< of its final insertion
  int insertions = 0;  ///< judged insertions (aborted ones are not)
  int first_hard_bin = 0;
  int hard_bin = 0;  ///< final
  int soft_bin = 0;  ///< final
  std::string grade;
  bool passed = false;
  double test_time_s = 0;  ///< all its insertions together
};

/// The values behind a grade: one grade condition's measurement over the units sold as that grade.
struct GradeMeasurement {
  std::string grade;
  std::string measurement;  ///< "<step>.<measurement>"
  std::string unit;
  Distribution values;
};

/// Multi-site efficiency, 1 - (T_N - T_1) / ((N - 1) T_1): T_1 the mean insertion time, T_N the floor
/// time per N insertions (time with any site testing, over insertions / N). Empty for one site.
struct SiteEfficiency {
  int sites = 1;
  double t1_s = 0;
  double tn_s = 0;
  double active_s = 0;  ///< time with at least one site testing (gaps of a stopped lot left out)
  std::optional<double> value;
};

struct LotSummary {
  std::int64_t units = 0;       ///< U: unique units
  std::int64_t insertions = 0;  ///< every insertion
  std::int64_t aborts = 0;
  Ratio first_pass_yield, final_yield, retest_rate, recovery_rate;
  std::int64_t tester_errors_final = 0;
  BinTable first_pass_bins, final_bins;
  std::vector<SiteSummary> sites;
  std::vector<TestStats> tests;
  /// Units whose final insertion passed, by grade, in the program's order of grades (empty for a
  /// program without grades).
  std::vector<std::pair<std::string, std::int64_t>> grades;
  Distribution test_time_s;  ///< per insertion
  double units_per_hour = 0;
  SiteEfficiency efficiency;
  std::vector<GradeMeasurement> grade_measurements;  ///< per grade, per condition, in program order
  std::vector<UnitTrace> trace;                      ///< every unit, in die order (lot, wafer, x, y)
  /// Self-checks; every one must hold in a valid report.
  bool bins_sum_to_units = false, fpy_le_fy = false, sites_sum_to_units = false;
};

/// Summarizes a lot one insertion at a time, in the order they finished, keeping only what the summary
/// needs (per unit its first and last verdict, per test its values): a year of units from a results
/// store (ResultStore::for_each_insertion) never has to be in memory at once.
class LotSummarizer {
 public:
  LotSummarizer(const Program& program, int site_count);
  ~LotSummarizer();
  LotSummarizer(const LotSummarizer&) = delete;
  LotSummarizer& operator=(const LotSummarizer&) = delete;
  void add(const UnitRecord& insertion);
  /// The summary of every insertion added; call once (it lets go of what it kept).
  LotSummary finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

/// The summary of a whole lot in memory.
LotSummary summarize(const LotResult& lot, const Program& program);

}  // namespace seedval::reports

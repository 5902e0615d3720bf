// Tests for seedval/reports/summary.h: the lot arithmetic of docs/reports.md on lots built by hand, so
// every expected figure is known exactly.
#include <cmath>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <seedval/reports/summary.h>

#include "reports_test_support.h"

namespace seedval::reports {
namespace {

using namespace reports_test;

const BinCount& bin(const std::vector<BinCount>& bins, int number) {
  for (const auto& b : bins)
    if (b.number == number) return b;
  BOOST_FAIL("no bin " << number);
  return bins.front();
}

const TestStats& stats(const LotSummary& s, const std::string& step, const std::string& measurement) {
  for (const auto& t : s.tests)
    if (t.step == step && t.measurement == measurement) return t;
  BOOST_FAIL("no statistics for " << step << "." << measurement);
  return s.tests.front();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(reports_summary)

BOOST_AUTO_TEST_CASE(yields_count_unique_units_first_and_last_insertion) {
  const Program p = report_program();
  const LotSummary s = summarize(small_lot(), p);
  // 5 dies, 6 insertions: the retested die counts once.
  BOOST_TEST(s.units == 5);
  BOOST_TEST(s.insertions == 6);
  BOOST_TEST(s.aborts == 0);
  BOOST_TEST(s.first_pass_yield.numerator == 3);
  BOOST_TEST(s.first_pass_yield.denominator == 5);
  BOOST_TEST(s.final_yield.numerator == 4);
  BOOST_TEST(s.final_yield.denominator == 5);
  BOOST_TEST(s.retest_rate.numerator == 1);
  BOOST_TEST(s.retest_rate.denominator == 5);
  BOOST_TEST(s.recovery_rate.numerator == 1);
  BOOST_TEST(s.recovery_rate.denominator == 1);
  BOOST_TEST(s.tester_errors_final == 0);
  BOOST_TEST(*s.first_pass_yield.value() == 0.6);
  BOOST_TEST(*s.final_yield.value() == 0.8);
  BOOST_TEST(s.bins_sum_to_units);
  BOOST_TEST(s.fpy_le_fy);
  BOOST_TEST(s.sites_sum_to_units);
}

BOOST_AUTO_TEST_CASE(first_pass_and_final_bin_tables) {
  const Program p = report_program();
  const LotSummary s = summarize(small_lot(), p);
  // Every bin of the program is listed, in number order, empty ones included.
  BOOST_REQUIRE(s.final_bins.hard.size() == 5u);
  BOOST_REQUIRE(s.final_bins.soft.size() == 5u);
  BOOST_TEST(s.final_bins.hard[0].number == 1);
  BOOST_TEST(s.final_bins.hard[4].number == 9);
  BOOST_TEST(s.final_bins.soft[4].number == 900);

  BOOST_TEST(bin(s.first_pass_bins.hard, 1).count == 3);
  BOOST_TEST(bin(s.first_pass_bins.hard, 5).count == 1);
  BOOST_TEST(bin(s.first_pass_bins.hard, 9).count == 1);
  BOOST_TEST(bin(s.first_pass_bins.hard, 3).count == 0);
  BOOST_TEST(bin(s.first_pass_bins.soft, 900).count == 1);

  BOOST_TEST(bin(s.final_bins.hard, 1).count == 4);
  BOOST_TEST(bin(s.final_bins.hard, 5).count == 1);
  BOOST_TEST(bin(s.final_bins.hard, 9).count == 0);
  BOOST_TEST(bin(s.final_bins.soft, 1).count == 4);
  BOOST_TEST(bin(s.final_bins.soft, 500).count == 1);
  BOOST_TEST(bin(s.final_bins.soft, 500).hard_bin == 5);
  BOOST_TEST(bin(s.final_bins.soft, 1).pass);
  BOOST_TEST(!bin(s.final_bins.soft, 900).pass);
  BOOST_TEST(bin(s.final_bins.hard, 1).name == "pass");

  for (const BinTable* t : {&s.first_pass_bins, &s.final_bins}) {
    std::int64_t hard = 0, soft = 0;
    for (const auto& b : t->hard) hard += b.count;
    for (const auto& b : t->soft) soft += b.count;
    BOOST_TEST(hard == s.units);
    BOOST_TEST(soft == s.units);
  }
  // Per site: the retested die was first tested on site 0, last on site 1.
  BOOST_TEST(bin(s.final_bins.hard, 1).per_site.at(0) == 3);
  BOOST_TEST(bin(s.final_bins.hard, 1).per_site.at(1) == 1);
  BOOST_TEST(bin(s.final_bins.hard, 5).per_site.at(1) == 1);
  BOOST_TEST(bin(s.final_bins.hard, 9).per_site.empty());
  BOOST_TEST(bin(s.first_pass_bins.hard, 9).per_site.at(0) == 1);
}

BOOST_AUTO_TEST_CASE(per_site_summary) {
  const LotSummary s = summarize(small_lot(), report_program());
  BOOST_REQUIRE(s.sites.size() == 2u);
  const SiteSummary& s0 = s.sites[0];
  const SiteSummary& s1 = s.sites[1];
  BOOST_TEST(s0.site == 0);
  BOOST_TEST(s0.units == 3);
  BOOST_TEST(s0.first_pass_yield.numerator == 3);
  BOOST_TEST(s0.final_yield.numerator == 3);
  BOOST_TEST(s0.final_yield.denominator == 3);
  BOOST_TEST(s0.test_time_s.n == 4);  // every insertion run there, the retested die's first included
  BOOST_TEST(s1.site == 1);
  BOOST_TEST(s1.units == 2);
  BOOST_TEST(s1.first_pass_yield.numerator == 0);
  BOOST_TEST(s1.final_yield.numerator == 1);
  BOOST_TEST(s1.final_yield.denominator == 2);
  BOOST_TEST(s1.test_time_s.n == 2);
}

BOOST_AUTO_TEST_CASE(test_time_and_units_per_hour) {
  const LotSummary s = summarize(small_lot(), report_program());
  BOOST_TEST(s.test_time_s.n == 6);
  BOOST_TEST(s.test_time_s.mean == 1.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(s.test_time_s.min == 0.5);
  BOOST_TEST(s.test_time_s.max == 1.4);
  // 2 sites, 1 s a mean insertion.
  BOOST_TEST(s.units_per_hour == 7200.0, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(per_test_statistics_with_known_values) {
  const LotSummary s = summarize(small_lot(), report_program());
  // One entry per step and declared measurement, in program order.
  BOOST_REQUIRE(s.tests.size() == 4u + 3u + 3u);
  BOOST_TEST(s.tests[0].step == "identify");
  BOOST_TEST(s.tests[4].step == "memory");
  BOOST_TEST(s.tests[7].step == "idle_power");

  const TestStats& power = stats(s, "idle_power", "power");
  BOOST_TEST(power.test == "power.idle");
  BOOST_TEST(power.unit == "W");
  BOOST_TEST(*power.low == 0.0);  // the program's limits, not the test's default (<= 6 W)
  BOOST_TEST(*power.high == 4.5);
  BOOST_TEST(power.executions == 4);
  BOOST_TEST(power.fails == 0);
  const Distribution& d = power.values;
  auto tol = boost::test_tools::tolerance(1e-12);
  BOOST_TEST(d.n == 4);
  BOOST_TEST(d.mean == 2.5, tol);
  BOOST_TEST(d.sigma == std::sqrt(5.0 / 3.0), tol);  // sample sigma of 1, 2, 3, 4
  BOOST_TEST(d.min == 1.0);
  BOOST_TEST(d.max == 4.0);
  BOOST_TEST(d.p25 == 1.75, tol);
  BOOST_TEST(d.median == 2.5, tol);
  BOOST_TEST(d.p75 == 3.25, tol);
  BOOST_TEST(d.p90 == 3.7, tol);
  // Ppk = min(USL - mean, mean - LSL) / 3 sigma = 2 / (3 sqrt(5/3)).
  BOOST_REQUIRE(power.ppk.has_value());
  BOOST_TEST(*power.ppk == 2.0 / (3.0 * std::sqrt(5.0 / 3.0)), tol);

  // One-sided: the test's default high limit of 85 degC only.
  const TestStats& temp = stats(s, "idle_power", "temperature");
  BOOST_TEST(!temp.low.has_value());
  BOOST_TEST(*temp.high == 85.0);
  BOOST_REQUIRE(temp.ppk.has_value());
  BOOST_TEST(*temp.ppk == (85.0 - 45.0) / (3.0 * std::sqrt(500.0 / 3.0)), tol);

  // No limits: no Ppk.
  const TestStats& vdd = stats(s, "idle_power", "vdd_core");
  BOOST_TEST(!vdd.low.has_value());
  BOOST_TEST(!vdd.high.has_value());
  BOOST_TEST(!vdd.ppk.has_value());
  BOOST_TEST(vdd.values.n == 4);

  // Fails are counted over every execution; the failing die is in them.
  const TestStats& bits = stats(s, "memory", "failing_bits");
  BOOST_TEST(bits.executions == 5);
  BOOST_TEST(bits.fails == 1);
  BOOST_TEST(bits.values.max == 3.0);
  BOOST_TEST(*bits.high == 0.0);
  // One-sided at 0 with the mean above it: a negative Ppu, (0 - 0.6) / (3 sqrt(1.8)).
  BOOST_REQUIRE(bits.ppk.has_value());
  BOOST_TEST(*bits.ppk == -0.6 / (3.0 * std::sqrt(1.8)), tol);
}

BOOST_AUTO_TEST_CASE(ppk_needs_spread_and_more_than_one_value) {
  // All the same value: sigma 0, no Ppk (not infinity).
  LotResult lot = small_lot();
  for (auto& u : lot.insertions)
    for (auto& st : u.steps)
      for (auto& m : st.measurements)
        if (m.name == "power") m.value = 2.0;
  const LotSummary s = summarize(lot, report_program());
  const TestStats& power = stats(s, "idle_power", "power");
  BOOST_TEST(power.values.sigma == 0.0);
  BOOST_TEST(!power.ppk.has_value());
}

BOOST_AUTO_TEST_CASE(non_finite_values_are_counted_but_not_in_the_distribution) {
  LotResult lot = small_lot();
  lot.insertions[0].steps[2].measurements[0].value = std::nan("");
  lot.insertions[0].steps[2].measurements[0].outcome = Outcome::failed;
  const LotSummary s = summarize(lot, report_program());
  const TestStats& power = stats(s, "idle_power", "power");
  BOOST_TEST(power.executions == 4);
  BOOST_TEST(power.fails == 1);
  BOOST_TEST(power.values.n == 3);
  BOOST_TEST(std::isfinite(power.values.mean));
}

BOOST_AUTO_TEST_CASE(describe_known_values) {
  const Distribution empty = describe({});
  BOOST_TEST(empty.n == 0);
  BOOST_TEST(empty.mean == 0.0);
  BOOST_TEST(empty.sigma == 0.0);
  const Distribution one = describe({7.0});
  BOOST_TEST(one.n == 1);
  BOOST_TEST(one.mean == 7.0);
  BOOST_TEST(one.sigma == 0.0);
  BOOST_TEST(one.p25 == 7.0);
  BOOST_TEST(one.p90 == 7.0);
  // Order of the input does not matter; quantiles interpolate linearly between order statistics.
  const Distribution d = describe({9.0, 1.0, 5.0, 3.0, 7.0});
  auto tol = boost::test_tools::tolerance(1e-12);
  BOOST_TEST(d.min == 1.0);
  BOOST_TEST(d.max == 9.0);
  BOOST_TEST(d.mean == 5.0, tol);
  BOOST_TEST(d.sigma == std::sqrt(10.0), tol);
  BOOST_TEST(d.p25 == 3.0, tol);
  BOOST_TEST(d.median == 5.0, tol);
  BOOST_TEST(d.p75 == 7.0, tol);
  BOOST_TEST(d.p90 == 8.2, tol);
}

BOOST_AUTO_TEST_CASE(insertion_numbers_not_record_order_decide_first_and_last) {
  // The retest recorded before the first insertion (a results store read back out of order).
  LotResult lot = small_lot();
  std::swap(lot.insertions[3], lot.insertions[5]);
  const LotSummary s = summarize(lot, report_program());
  BOOST_TEST(s.first_pass_yield.numerator == 3);
  BOOST_TEST(s.final_yield.numerator == 4);
  BOOST_TEST(bin(s.first_pass_bins.hard, 9).count == 1);
  BOOST_TEST(bin(s.final_bins.hard, 9).count == 0);
}

BOOST_AUTO_TEST_CASE(a_unit_failing_its_retest_counts_in_recovery_denominator_only) {
  LotResult lot = small_lot();
  UnitRecord& retest = lot.insertions[5];
  BOOST_REQUIRE(retest.insertion == 2);
  retest.passed = false;
  retest.tester_error = true;
  retest.soft_bin = 900;
  retest.hard_bin = 9;
  const LotSummary s = summarize(lot, report_program());
  BOOST_TEST(s.final_yield.numerator == 3);
  BOOST_TEST(s.retest_rate.numerator == 1);
  BOOST_TEST(s.recovery_rate.numerator == 0);
  BOOST_TEST(s.recovery_rate.denominator == 1);
  BOOST_TEST(*s.recovery_rate.value() == 0.0);
  BOOST_TEST(s.tester_errors_final == 1);
  BOOST_TEST(bin(s.final_bins.hard, 9).count == 1);
}

BOOST_AUTO_TEST_CASE(aborted_insertions_are_counted_but_not_in_units) {
  // docs reference (production-data.md): "Aborted insertions are counted, not in U". A lot stopped
  // while a die was in the socket must not count that untested die in U or in its bins.
  LotResult lot = small_lot();
  UnitRecord aborted = lot.insertions[0];
  aborted.unit = 5;
  aborted.part_id = std::to_string(aborted.unit + 1);  // (a literal here trips GCC 12 -Wrestrict at -O3)
  aborted.die.x = 9;
  aborted.steps.clear();
  aborted.aborted = true;
  aborted.tester_error = true;
  aborted.passed = false;
  aborted.soft_bin = 900;
  aborted.hard_bin = 9;
  lot.insertions.push_back(aborted);
  lot.cancelled = true;
  const LotSummary s = summarize(lot, report_program());
  BOOST_TEST(s.aborts == 1);
  BOOST_TEST(s.insertions == 7);
  BOOST_TEST(s.units == 5);
  BOOST_TEST(s.final_yield.denominator == 5);
  BOOST_TEST(bin(s.final_bins.hard, 9).count == 0);
}

BOOST_AUTO_TEST_CASE(empty_lot_has_no_yields_and_does_not_crash) {
  const Program p = report_program();
  const LotSummary s = summarize(LotResult{}, p);
  BOOST_TEST(s.units == 0);
  BOOST_TEST(s.insertions == 0);
  BOOST_TEST(s.first_pass_yield.denominator == 0);
  BOOST_TEST(!s.first_pass_yield.value().has_value());
  BOOST_TEST(!s.final_yield.value().has_value());
  BOOST_TEST(!s.retest_rate.value().has_value());
  BOOST_TEST(!s.recovery_rate.value().has_value());
  BOOST_TEST(s.sites.empty());
  BOOST_TEST(s.units_per_hour == 0.0);
  BOOST_TEST(s.final_bins.hard.size() == 5u);
  for (const auto& t : s.tests) {
    BOOST_TEST(t.executions == 0);
    BOOST_TEST(!t.ppk.has_value());
  }
  BOOST_TEST(s.bins_sum_to_units);
  BOOST_TEST(s.fpy_le_fy);
  BOOST_TEST(s.sites_sum_to_units);
}

BOOST_AUTO_TEST_CASE(ratio_value) {
  const Ratio quarter{1, 4}, none{0, 4}, empty{0, 0}, undefined{3, 0};
  BOOST_TEST(*quarter.value() == 0.25);
  BOOST_TEST(*none.value() == 0.0);
  BOOST_TEST(!empty.value().has_value());
  BOOST_TEST(!undefined.value().has_value());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval::reports

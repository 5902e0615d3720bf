// Tests for seedval/reports/audit.h: escapes, overkill and untested units against a known truth, per
// defect class, with what the program covers told apart, and harvesting taking a core's defects away.
#include <map>
#include <string>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include <seedval/reports/audit.h>

#include "reports_test_support.h"

namespace seedval {
namespace {

using reports_test::small_lot;

KnownDefect defect(std::string cls, int core = -1) {
  KnownDefect d;
  d.defect_class = std::move(cls);
  d.category = core >= 0 ? "core" : "memory";
  d.where = "somewhere";
  d.core = core;
  return d;
}

// small_lot: x=1..3 pass, x=4 tester error then pass on retest, x=5 memory fail. The truth below makes
// x=2 an escape (SAF, which the memory step covers), x=3 an escape of an uncovered class, x=5 caught,
// and x=1 and x=4 good.
struct AuditBench {
  Program program = reports_test::report_program();
  LotResult lot = small_lot();
  std::map<int, std::vector<KnownDefect>> truth{
      {2, {defect("SAF")}}, {3, {defect("flaky lane", 3)}}, {5, {defect("SAF"), defect("TF")}}};
  AuditBench() {
    for (Step& s : program.flow)
      if (s.id == "memory") s.covers = {"SAF", "TF"};
  }
  reports::Audit run() {
    return reports::audit_lot(lot, program,
                              [&](const chip::DieId& d) -> std::optional<std::vector<KnownDefect>> {
                                auto it = truth.find(d.x);
                                return it == truth.end() ? std::vector<KnownDefect>{} : it->second;
                              });
  }
};

const reports::AuditClass& find_class(const reports::Audit& a, const std::string& name) {
  for (const auto& c : a.classes)
    if (c.defect_class == name) return c;
  BOOST_FAIL("no class " << name);
  throw 0;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(reports_audit)

BOOST_AUTO_TEST_CASE(escapes_overkill_and_classes_against_the_truth) {
  AuditBench b;
  const reports::Audit a = b.run();
  BOOST_TEST(a.units == 5);  // x=4's retest judged once, by its final insertion
  BOOST_TEST(a.defective == 3);
  BOOST_TEST(a.good == 2);
  BOOST_TEST(a.passed == 4);
  BOOST_TEST(a.escapes == 2);
  BOOST_TEST(a.covered_escapes == 1);
  BOOST_TEST(a.overkill == 0);
  BOOST_TEST(a.untested == 0);
  const auto& saf = find_class(a, "SAF");
  BOOST_TEST(saf.units == 2);
  BOOST_TEST(saf.caught == 1);
  BOOST_TEST(saf.escapes == 1);
  BOOST_TEST(saf.covered());
  const auto& flaky = find_class(a, "flaky lane");
  BOOST_TEST(!flaky.covered());
  BOOST_TEST(flaky.escapes == 1);
  BOOST_TEST(a.classes.back().defect_class == "flaky lane");  // covered classes first
  BOOST_REQUIRE(a.escaped_units.size() == 2u);
  BOOST_TEST(a.escaped_units[0].die.x == 2);
  BOOST_TEST(a.escaped_units[0].classes.at(0) == "SAF");
}

BOOST_AUTO_TEST_CASE(a_good_die_binned_bad_is_overkill_of_the_classes_its_step_covers) {
  AuditBench b;
  b.truth.erase(5);  // the memory fail of x=5 is now a good die failed by the memory step
  const reports::Audit a = b.run();
  BOOST_TEST(a.overkill == 1);
  BOOST_REQUIRE(a.overkill_units.size() == 1u);
  BOOST_TEST(a.overkill_units[0].die.x == 5);
  BOOST_TEST(a.overkill_units[0].failing_step == "memory");
  BOOST_TEST(find_class(a, "SAF").overkill == 1);
  BOOST_TEST(find_class(a, "TF").overkill == 1);
}

BOOST_AUTO_TEST_CASE(a_final_tester_error_is_untested_never_an_escape) {
  AuditBench b;
  b.lot.insertions.pop_back();  // x=4's retest never happened: its final insertion is the tester error
  b.truth[4] = {defect("SAF")};
  const reports::Audit a = b.run();
  BOOST_TEST(a.untested == 1);
  BOOST_TEST(find_class(a, "SAF").untested == 1);
  BOOST_TEST(a.escapes == 2);
}

BOOST_AUTO_TEST_CASE(a_core_harvested_at_test_takes_its_defects_away) {
  AuditBench b;
  // x=3 carries a flaky lane on core 3; the unit's record says the part is fused without core 3.
  for (UnitRecord& u : b.lot.insertions)
    if (u.die.x == 3) {
      Measurement m;
      m.name = "harvest_mask";
      m.value = 0x108;  // cores 3 and 8
      u.steps.back().measurements.push_back(m);
    }
  const reports::Audit a = b.run();
  BOOST_TEST(a.escapes == 1);
  BOOST_TEST(a.good == 3);
}

BOOST_AUTO_TEST_CASE(an_unknown_truth_is_an_error_naming_the_die) {
  AuditBench b;
  const auto msg = testing::expect_error<InvalidArgumentError>(
      [&] { reports::audit_lot(b.lot, b.program, [](const chip::DieId&) { return std::nullopt; }); },
      ErrorCode::invalid_argument);
  CHECK_CONTAINS(msg, "only simulated lots can be audited");
  CHECK_CONTAINS(msg, "SMALL");
}

BOOST_AUTO_TEST_CASE(the_json_carries_the_totals_and_the_classes) {
  AuditBench b;
  const auto j = nlohmann::json::parse(reports::audit_json(b.run()));
  BOOST_TEST(j.at("units").get<int>() == 5);
  BOOST_TEST(j.at("escapes").get<int>() == 2);
  BOOST_TEST(j.at("overkill").get<int>() == 0);
  bool saw_saf = false;
  for (const auto& c : j.at("classes"))
    if (c.at("class") == "SAF") {
      saw_saf = true;
      BOOST_TEST(c.at("escapes").get<int>() == 1);
      BOOST_TEST(c.at("units").get<int>() == 2);
      BOOST_TEST(c.at("overkill").get<int>() == 0);
      BOOST_TEST(c.at("covered").get<bool>());
    }
  BOOST_TEST(saw_saf);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval

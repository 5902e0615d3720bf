// Tests of the fault descriptions: class names (the reference page's), parsing them back, the words a
// fault involves and the one-line descriptions the logs and the ground-truth audit print.
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <seedval/core/error.h>
#include <seedval/sim/faults.h>

#include "fault_builders.h"
#include "support/errors.h"

namespace seedval::sim {
namespace {

using seedval::testing::coupling;

BOOST_AUTO_TEST_SUITE(faults)

BOOST_AUTO_TEST_CASE(class_names_are_the_reference_names) {
  const std::vector<std::string> expected = {"SAF", "TF",   "WDF",  "RDF",  "DRDF", "IRF",       "SOF", "DRF",
                                             "AF",  "CFin", "CFid", "CFst", "CFds", "RowHammer", "weak"};
  BOOST_REQUIRE(expected.size() == static_cast<std::size_t>(kFaultClassCount));
  for (int i = 0; i < kFaultClassCount; ++i)
    BOOST_TEST(std::string(to_string(static_cast<FaultClass>(i))) == expected[static_cast<std::size_t>(i)]);
}

BOOST_AUTO_TEST_CASE(class_names_parse_back_in_any_case) {
  for (int i = 0; i < kFaultClassCount; ++i) {
    const auto c = static_cast<FaultClass>(i);
    std::string name(to_string(c));
    BOOST_TEST((fault_class_from_string(name) == c), name);
    for (char& ch : name) ch = static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
    BOOST_TEST((fault_class_from_string(name) == c), name);
    for (char& ch : name) ch = static_cast<char>(ch >= 'a' && ch <= 'z' ? ch - 'a' + 'A' : ch);
    BOOST_TEST((fault_class_from_string(name) == c), name);
  }
  BOOST_TEST((fault_class_from_string("saf") == FaultClass::saf));
  BOOST_TEST((fault_class_from_string("rowhammer") == FaultClass::rowhammer));
}

BOOST_AUTO_TEST_CASE(an_unknown_class_lists_the_known_names) {
  const auto msg =
      testing::expect_error<NotFoundError>([] { fault_class_from_string("NPSF"); }, ErrorCode::not_found);
  CHECK_CONTAINS(msg, "\"NPSF\"");
  CHECK_CONTAINS(msg, "SAF, TF, WDF");
  CHECK_CONTAINS(msg, "RowHammer, weak");
  testing::expect_error<NotFoundError>([] { fault_class_from_string(""); }, ErrorCode::not_found);
  testing::expect_error<NotFoundError>([] { fault_class_from_string("SAF "); }, ErrorCode::not_found);
}

BOOST_AUTO_TEST_CASE(coupling_classes) {
  for (int i = 0; i < kFaultClassCount; ++i) {
    MemoryFault f;
    f.kind = static_cast<FaultClass>(i);
    const bool expected = f.kind == FaultClass::cfin || f.kind == FaultClass::cfid ||
                          f.kind == FaultClass::cfst || f.kind == FaultClass::cfds;
    BOOST_TEST(f.is_coupling() == expected, to_string(f.kind));
  }
}

BOOST_AUTO_TEST_CASE(words_a_fault_involves) {
  MemoryFault saf;
  saf.victim = {.word = 7, .bit = 3};
  saf.aggressor = {.word = 9, .bit = 1};  // ignored for a single-cell fault
  saf.other_word = 11;                    // ignored too
  BOOST_TEST((saf.words() == std::vector<std::uint64_t>{7}));

  const MemoryFault up = coupling(FaultClass::cfid, {.word = 20, .bit = 0}, {.word = 4, .bit = 63});
  BOOST_TEST((up.words() == std::vector<std::uint64_t>{4, 20}));
  const MemoryFault intra = coupling(FaultClass::cfst, {.word = 5, .bit = 1}, {.word = 5, .bit = 2});
  BOOST_TEST((intra.words() == std::vector<std::uint64_t>{5}));

  MemoryFault af;
  af.kind = FaultClass::af;
  af.af = AfKind::alias;
  af.victim.word = 30;
  af.other_word = 2;
  BOOST_TEST((af.words() == std::vector<std::uint64_t>{2, 30}));
  af.af = AfKind::no_cell;  // reaches no cell: B plays no part
  BOOST_TEST((af.words() == std::vector<std::uint64_t>{30}));
}

BOOST_AUTO_TEST_CASE(descriptions_name_the_primitive_and_the_cells) {
  MemoryFault f;
  f.victim = {.word = 0x1240, .bit = 3};
  f.value = true;
  BOOST_TEST(f.describe() == "SAF <∀/1/-> v=0x1240.3");
  f.kind = FaultClass::tf;
  BOOST_TEST(f.describe() == "TF <0w1/0/-> v=0x1240.3");
  f.value = false;
  BOOST_TEST(f.describe() == "TF <1w0/1/-> v=0x1240.3");
  f.kind = FaultClass::wdf;
  BOOST_TEST(f.describe() == "WDF <0w0/↑/-> v=0x1240.3");
  f.kind = FaultClass::rdf;
  BOOST_TEST(f.describe() == "RDF <0r0/↑/1> v=0x1240.3");
  f.kind = FaultClass::drdf;
  f.value = true;
  BOOST_TEST(f.describe() == "DRDF <1r1/↓/1> v=0x1240.3");
  f.kind = FaultClass::irf;
  BOOST_TEST(f.describe() == "IRF <1r1/1/0> v=0x1240.3");
  f.kind = FaultClass::sof;
  BOOST_TEST(f.describe() == "SOF v=0x1240.3");
  f.kind = FaultClass::drf;
  f.retention_ms = 12.5;
  BOOST_TEST(f.describe() == "DRF <1 T/0/-> v=0x1240.3 retention=12.5ms");

  MemoryFault c = coupling(FaultClass::cfid, {.word = 0x1234, .bit = 7}, {.word = 0x1240, .bit = 3});
  c.value = true;
  BOOST_TEST(c.describe() == "CFid <↑;1> a=0x1234.7 v=0x1240.3");
  c.kind = FaultClass::cfin;
  c.aggressor_rises = false;
  BOOST_TEST(c.describe() == "CFin <↓;↕> a=0x1234.7 v=0x1240.3");
  c.kind = FaultClass::cfst;
  c.aggressor_state = false;
  BOOST_TEST(c.describe() == "CFst <0;1> a=0x1234.7 v=0x1240.3");
  c.kind = FaultClass::cfds;
  c.aggressor_state = true;
  c.aggressor_read = false;
  BOOST_TEST(c.describe() == "CFds <1w1;1/0/-> a=0x1234.7 v=0x1240.3");
  c.aggressor_read = true;
  BOOST_TEST(c.describe() == "CFds <1r1;1/0/-> a=0x1234.7 v=0x1240.3");

  MemoryFault af;
  af.kind = FaultClass::af;
  af.af = AfKind::multi_or;
  af.victim.word = 0x10;
  af.other_word = 0x20;
  BOOST_TEST(af.describe() == "AF multi-or A=0x10 B=0x20");
  af.af = AfKind::no_cell;
  BOOST_TEST(af.describe() == "AF no-cell A=0x10");

  MemoryFault rh;
  rh.kind = FaultClass::rowhammer;
  rh.victim = {.word = 0x40, .bit = 0};
  rh.hammer_threshold = 50000;
  CHECK_STARTS_WITH(rh.describe(), "RowHammer <0/1> v=0x40.0");
  CHECK_CONTAINS(rh.describe(), "50000");

  MemoryFault weak;
  weak.kind = FaultClass::weak;
  weak.victim = {.word = 1, .bit = 2};
  weak.fail_below_mv = 950;
  CHECK_STARTS_WITH(weak.describe(), "weak reads 0 v=0x1.2");
  CHECK_CONTAINS(weak.describe(), "950mV");
}

BOOST_AUTO_TEST_CASE(core_fault_descriptions) {
  CoreFault f{.core = 3, .lane = 17, .bit = 5, .kind = CoreFault::Kind::stuck1, .flip_rate = 0};
  BOOST_TEST(f.describe() == "core 3 lane 17 bit 5 stuck-at-1");
  f.kind = CoreFault::Kind::stuck0;
  BOOST_TEST(f.describe() == "core 3 lane 17 bit 5 stuck-at-0");
  f.kind = CoreFault::Kind::flaky;
  f.flip_rate = 1e-6;
  BOOST_TEST(f.describe() == "core 3 lane 17 bit 5 flaky (flip rate 1e-06)");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace seedval::sim

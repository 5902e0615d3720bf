// Tests of the fault simulator (sim/faultsim.h) against the reference page on memory faults: every
// published coverage claim, the rules of detection derived from the march notation (checked against
// every shipped algorithm), the instance enumeration, and that the worst case is a worst case.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <seedval/chip/march.h>
#include <seedval/chip/march_library.h>
#include <seedval/core/error.h>
#include <seedval/sim/faults.h>
#include <seedval/sim/faultsim.h>

#include "hbm.h"
#include "support/errors.h"

namespace seedval::sim {
namespace {

using chip::MarchAlgorithm;
using chip::MarchOp;

constexpr std::uint64_t kWords = 8;

const chip::MarchLibrary& library() {
  static const chip::MarchLibrary lib = chip::builtin_march_library();
  return lib;
}

// The matrix of every shipped algorithm, simulated once for the whole suite.
const CoverageMatrix& shipped() {
  static const CoverageMatrix m = simulate_coverage(library().algorithms(), FaultSimOptions{});
  return m;
}

const Coverage& cov(std::string_view algorithm, FaultClass c) {
  return shipped().at(algorithm, c);
}

std::string show(const Coverage& c) {
  return fmt::format("{}/{}", c.detected, c.total);
}

// Instances of `c` with `value` detected by `a`, and how many there are.
Coverage coverage_of_value(const MarchAlgorithm& a, FaultClass c, bool value) {
  Coverage out;
  for (const MemoryFault& f : fault_instances(c, kWords)) {
    if (f.value != value) continue;
    ++out.total;
    if (detects(a, f, FaultSimOptions{})) ++out.detected;
  }
  return out;
}

// ---- the rules of detection, read off the notation ------------------------------------------------------

// The operations one cell sees, in order: each element applies all its operations to a cell before the
// next cell; delays do nothing to a cell.
std::vector<MarchOp> cell_ops(const MarchAlgorithm& a) {
  std::vector<MarchOp> ops;
  for (const auto& e : a.elements) ops.insert(ops.end(), e.ops.begin(), e.ops.end());
  return ops;
}

bool is_read(const MarchOp& op, std::optional<bool> value = std::nullopt) {
  return op.kind == MarchOp::Kind::read && (!value || op.inverted == *value);
}

// DRDF <xrx/x̄/x>: the flip shows only if the next operation on the cell is a read ("two reads in a row of
// one cell").
bool reads_x_twice(const MarchAlgorithm& a, bool x) {
  const auto ops = cell_ops(a);
  for (std::size_t i = 0; i + 1 < ops.size(); ++i)
    if (is_read(ops[i], x) && is_read(ops[i + 1])) return true;
  return false;
}

// WDF <xwx/x̄/->: a write of x to a cell known to hold x (the value before the first write is unknown:
// the worst case), then a read before anything else is written.
bool rewrites_x_then_reads(const MarchAlgorithm& a, bool x) {
  const auto ops = cell_ops(a);
  std::optional<bool> held;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (ops[i].kind == MarchOp::Kind::write) {
      if (held == x && ops[i].inverted == x && i + 1 < ops.size() && is_read(ops[i + 1])) return true;
      held = ops[i].inverted;
    }
  }
  return false;
}

// SOF: rx … rx̄ of one cell inside one element.
bool reads_both_values_in_one_element(const MarchAlgorithm& a) {
  for (const auto& e : a.elements) {
    bool r0 = false, r1 = false;
    for (const auto& op : e.ops)
      if (is_read(op)) (op.inverted ? r1 : r0) = true;
    if (r0 && r1) return true;
  }
  return false;
}

// AF: ⇑(rx … wx̄) and ⇓(rx̄ … wx): an element that starts by reading one value and leaves the cell holding
// the other, in each fixed order. (A ⇕ element counts for neither: the worst case resolves it both ways.)
bool has_af_elements(const MarchAlgorithm& a) {
  const auto has = [&](chip::AddressOrder order, bool first_read) {
    for (const auto& e : a.elements) {
      if (e.is_delay || e.order != order || !is_read(e.ops.front(), first_read)) continue;
      for (auto it = e.ops.rbegin(); it != e.ops.rend(); ++it)
        if (it->kind == MarchOp::Kind::write) {
          if (it->inverted != first_read) return true;
          break;
        }
    }
    return false;
  };
  for (bool x : {false, true})
    if (has(chip::AddressOrder::up, x) && has(chip::AddressOrder::down, !x)) return true;
  return false;
}

bool has_delay(const MarchAlgorithm& a) {
  return std::any_of(a.elements.begin(), a.elements.end(), [](const auto& e) { return e.is_delay; });
}

// ---- independent instance counts --------------------------------------------------------------------------

std::uint64_t expected_count(FaultClass c, std::uint64_t n) {
  const std::uint64_t pairs = n * (n - 1);
  switch (c) {
    case FaultClass::sof:
      return n;
    case FaultClass::af:
      return n + 3 * pairs;  // no-cell per address; alias, multi-AND, multi-OR per ordered pair
    case FaultClass::cfin:
      return 2 * pairs;  // ↑, ↓
    case FaultClass::cfid:
      return 4 * pairs;  // ↑, ↓ × forced 0, 1
    case FaultClass::cfst:
      return 4 * pairs;  // state 0, 1 × forced 0, 1
    case FaultClass::cfds:
      return 8 * pairs;  // read, write × state × victim value
    default:
      return 2 * n;  // every cell × both values
  }
}

BOOST_AUTO_TEST_SUITE(sim_faultsim)

BOOST_AUTO_TEST_CASE(instances_are_every_cell_polarity_and_ordered_pair) {
  const std::vector<FaultClass> all(simulated_fault_classes().begin(), simulated_fault_classes().end());
  BOOST_TEST(all.size() == 13u);
  BOOST_TEST((std::find(all.begin(), all.end(), FaultClass::rowhammer) == all.end()));
  for (std::uint64_t n : {4u, 8u, 16u}) {
    for (FaultClass c : all) {
      BOOST_TEST_CONTEXT(to_string(c) << " in " << n << " cells") {
        const auto faults = fault_instances(c, n);
        BOOST_TEST(faults.size() == expected_count(c, n));
        std::set<std::string> distinct;
        std::set<std::uint64_t> victims;
        bool below = false, above = false;
        for (const MemoryFault& f : faults) {
          BOOST_TEST((f.kind == c));
          distinct.insert(f.describe());
          victims.insert(f.victim.word);
          for (std::uint64_t w : f.words()) BOOST_TEST(w < n);
          if (c != FaultClass::af) BOOST_TEST(f.victim.bit == 0u);
          if (f.is_coupling()) {
            BOOST_TEST(f.aggressor.bit == 0u);
            below = below || f.aggressor.word < f.victim.word;
            above = above || f.aggressor.word > f.victim.word;
          }
          if (c == FaultClass::drf) BOOST_TEST(f.retention_ms == 50.0);
        }
        BOOST_TEST(distinct.size() == faults.size(), "no instance twice");
        BOOST_TEST(victims.size() == n, "every cell is a victim");
        if (faults.front().is_coupling()) BOOST_TEST((below && above), "aggressor below and above");
      }
    }
  }
  // The matrix counts what the enumeration says.
  for (std::size_t a = 0; a < shipped().algorithms.size(); ++a)
    for (std::size_t k = 0; k < shipped().classes.size(); ++k)
      BOOST_TEST(shipped().cells[a][k].total == expected_count(shipped().classes[k], kWords));
}

// A fault-free memory passes every algorithm from every initial state and either resolution of ⇕, set up
// exactly as a simulation run is.
BOOST_AUTO_TEST_CASE(a_fault_free_memory_is_never_detected) {
  const FaultSimOptions options;
  const auto states = initial_states(options);
  BOOST_TEST(states.size() == 2u + static_cast<std::size_t>(options.random_states));
  BOOST_TEST((states[0] == std::vector<std::uint64_t>(kWords, 0)));
  BOOST_TEST((states[1] == std::vector<std::uint64_t>(kWords, ~std::uint64_t{0})));
  for (const MarchAlgorithm& a : library().algorithms()) {
    for (const auto& state : states) {
      for (chip::AddressOrder any : {chip::AddressOrder::up, chip::AddressOrder::down}) {
        FixedEnvironment env;
        HbmArray hbm(chip::HbmGeometry{.stacks = 1, .channels = 1, .banks = 1, .rows = 2, .columns = 4}, {},
                     env);
        hbm.set_refresh(false);
        hbm.set_model_every_access(true);
        std::copy(state.begin(), state.end(), hbm.storage());
        chip::MarchOptions mo;
        mo.words = kWords;
        mo.any_order = any;
        mo.retention_delay = options.retention_delay;
        BOOST_TEST(chip::run_march(a, hbm, mo).fail_count == 0u, a.name);
      }
    }
  }
}

// ---- the published claims ---------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(march_c_minus_finds_af_saf_tf_and_unlinked_cfin_cfid_cfst) {
  for (FaultClass c : {FaultClass::saf, FaultClass::tf, FaultClass::af, FaultClass::cfin, FaultClass::cfid,
                       FaultClass::cfst})
    BOOST_TEST(cov("March C-", c).complete(), to_string(c) << ": " << show(cov("March C-", c)));
}

BOOST_AUTO_TEST_CASE(mats_plus_finds_all_af_and_saf_but_misses_some_tf) {
  BOOST_TEST(cov("MATS+", FaultClass::saf).complete(), show(cov("MATS+", FaultClass::saf)));
  BOOST_TEST(cov("MATS+", FaultClass::af).complete(), show(cov("MATS+", FaultClass::af)));
  BOOST_TEST(cov("MATS+", FaultClass::tf).detected < cov("MATS+", FaultClass::tf).total);
  BOOST_TEST(cov("MATS+", FaultClass::tf).detected > 0u);
}

BOOST_AUTO_TEST_CASE(march_x_adds_tf_and_cfin) {
  for (FaultClass c : {FaultClass::saf, FaultClass::tf, FaultClass::af, FaultClass::cfin})
    BOOST_TEST(cov("March X", c).complete(), to_string(c) << ": " << show(cov("March X", c)));
  BOOST_TEST(!cov("MATS+", FaultClass::cfin).complete(), "March X adds CFin to MATS+");
}

BOOST_AUTO_TEST_CASE(only_tests_with_del_find_drf) {
  for (const MarchAlgorithm& a : library().algorithms())
    BOOST_TEST((cov(a.name, FaultClass::drf).detected > 0) == has_delay(a),
               a.name << ": " << show(cov(a.name, FaultClass::drf)));
  BOOST_TEST(cov("IFA-13", FaultClass::drf).complete(), show(cov("IFA-13", FaultClass::drf)));
  // A wait after each value finds both leaks, a wait after zeros only the zeros that leak.
  FaultSimOptions o;
  o.classes = {FaultClass::drf};
  const auto m = simulate_coverage(
      {chip::parse_march("{⇕(w0);Del;⇕(r0,w1);Del;⇕(r1)}", "both"),
       chip::parse_march("{⇕(w0);Del;⇕(r0)}", "zeros"), chip::parse_march("{⇕(w0);⇕(r0,w1);⇕(r1)}", "none")},
      o);
  BOOST_TEST(m.at("both", FaultClass::drf).complete());
  BOOST_TEST(m.at("zeros", FaultClass::drf).detected == 8u);
  BOOST_TEST(m.at("none", FaultClass::drf).detected == 0u);
  // With the retention longer than the wait, Del finds nothing either.
  FaultSimOptions short_wait;
  short_wait.retention_delay = std::chrono::milliseconds(20);
  for (const MemoryFault& f : fault_instances(FaultClass::drf, kWords, std::chrono::milliseconds(50)))
    BOOST_TEST(!detects(library().get("IFA-13"), f, short_wait), f.describe());
}

BOOST_AUTO_TEST_CASE(march_ss_finds_every_static_simple_fault) {
  for (FaultClass c :
       {FaultClass::saf, FaultClass::tf, FaultClass::wdf, FaultClass::rdf, FaultClass::drdf, FaultClass::irf,
        FaultClass::cfin, FaultClass::cfid, FaultClass::cfst, FaultClass::cfds})
    BOOST_TEST(cov("March SS", c).complete(), to_string(c) << ": " << show(cov("March SS", c)));
}

// ---- the rules of detection
// -----------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(drdf_needs_two_reads_in_a_row_of_one_cell) {
  int with_rule = 0;
  for (const MarchAlgorithm& a : library().algorithms()) {
    for (bool x : {false, true}) {
      const Coverage c = coverage_of_value(a, FaultClass::drdf, x);
      const bool rule = reads_x_twice(a, x);
      with_rule += rule ? 1 : 0;
      BOOST_TEST(c.detected == (rule ? c.total : 0u), a.name << " DRDF value " << x << ": " << show(c));
    }
    BOOST_TEST(
        cov(a.name, FaultClass::drdf).complete() == (reads_x_twice(a, false) && reads_x_twice(a, true)),
        a.name);
  }
  BOOST_TEST(with_rule > 0);
  BOOST_TEST(!reads_x_twice(library().get("March C-"), false));
  BOOST_TEST(reads_x_twice(library().get("March SS"), true));
}

BOOST_AUTO_TEST_CASE(wdf_needs_a_write_of_the_held_value_then_a_read) {
  for (const MarchAlgorithm& a : library().algorithms())
    for (bool x : {false, true}) {
      const Coverage c = coverage_of_value(a, FaultClass::wdf, x);
      BOOST_TEST(c.detected == (rewrites_x_then_reads(a, x) ? c.total : 0u),
                 a.name << " WDF value " << x << ": " << show(c));
    }
  BOOST_TEST(rewrites_x_then_reads(library().get("March SS"), false));
  BOOST_TEST(!rewrites_x_then_reads(library().get("March C-"), false));
}

BOOST_AUTO_TEST_CASE(sof_needs_both_values_read_inside_one_element) {
  for (const MarchAlgorithm& a : library().algorithms()) {
    const Coverage& c = cov(a.name, FaultClass::sof);
    if (reads_both_values_in_one_element(a))
      BOOST_TEST(c.complete(), a.name << ": " << show(c));
    else
      BOOST_TEST(c.detected < c.total, a.name << ": " << show(c));
  }
}

BOOST_AUTO_TEST_CASE(af_needs_up_rx_wnx_and_down_rnx_wx) {
  for (const MarchAlgorithm& a : library().algorithms())
    BOOST_TEST(cov(a.name, FaultClass::af).complete() == has_af_elements(a),
               a.name << ": " << show(cov(a.name, FaultClass::af)));
  // Every element of March SR writes back the value it read first.
  BOOST_TEST(!has_af_elements(library().get("March SR")));
}

BOOST_AUTO_TEST_CASE(single_reads_find_rdf_and_irf) {
  for (const MarchAlgorithm& a : library().algorithms())
    for (FaultClass c : {FaultClass::saf, FaultClass::rdf, FaultClass::irf})
      BOOST_TEST(cov(a.name, c).complete(), a.name << " " << to_string(c));
}

// ---- the worst case
// ---------------------------------------------------------------------------------------------

// MATS+ ends with ⇓(r1,w0): a cell that cannot fall is seen only if it held 1 before the first w0.
BOOST_AUTO_TEST_CASE(an_instance_found_from_one_initial_state_only_is_not_detected) {
  const MarchAlgorithm& mats = library().get("MATS+");
  MemoryFault f;
  f.kind = FaultClass::tf;
  f.victim = {.word = 3, .bit = 0};
  f.value = false;  // <1w0/1/->
  const auto runs = simulate_runs(mats, f, FaultSimOptions{});
  BOOST_TEST(runs.size() == 2u * initial_states(FaultSimOptions{}).size());
  for (const SimulationRun& r : runs) {
    if (r.initial_state == 0) BOOST_TEST(!r.detected, "from all zeros the cell never has to fall");
    if (r.initial_state == 1) BOOST_TEST(r.detected, "from all ones the first w0 fails");
  }
  BOOST_TEST(!detects(mats, f, FaultSimOptions{}));
  f.value = true;  // <0w1/0/->: ⇓(r1) sees it from every state
  BOOST_TEST(detects(mats, f, FaultSimOptions{}));
}

// ⇑(w0); ⇕(w1); ⇑(r1) with CFid <↑;0> from cell 0 to cell 1: ascending, the aggressor rises before the
// victim is written (masked); descending, after (found).
BOOST_AUTO_TEST_CASE(an_instance_found_for_one_resolution_of_any_only_is_not_detected) {
  const MarchAlgorithm a = chip::parse_march("{⇑(w0);⇕(w1);⇑(r1)}", "order");
  MemoryFault f;
  f.kind = FaultClass::cfid;
  f.aggressor = {.word = 0, .bit = 0};
  f.victim = {.word = 1, .bit = 0};
  f.aggressor_rises = true;
  f.value = false;
  const auto runs = simulate_runs(a, f, FaultSimOptions{});
  BOOST_TEST(runs.size() == 2u * initial_states(FaultSimOptions{}).size());
  for (const SimulationRun& r : runs)
    BOOST_TEST(r.detected == (r.any_order == chip::AddressOrder::down), static_cast<int>(r.any_order));
  BOOST_TEST(!detects(a, f, FaultSimOptions{}));
  // An algorithm without ⇕ runs once per state.
  BOOST_TEST(simulate_runs(chip::parse_march("{⇑(w0);⇓(w1);⇑(r1)}"), f, FaultSimOptions{}).size() ==
             initial_states(FaultSimOptions{}).size());
  BOOST_TEST(detects(chip::parse_march("{⇑(w0);⇓(w1);⇑(r1)}"), f, FaultSimOptions{}));
}

// Among the shipped algorithms too, some instances are found only from some initial states; none of them
// counts.
BOOST_AUTO_TEST_CASE(the_matrix_counts_only_instances_found_in_every_run) {
  const FaultSimOptions options;
  int mixed = 0;
  for (const char* name : {"MATS+", "March C-", "March SS"}) {
    const MarchAlgorithm& a = library().get(name);
    for (FaultClass c : simulated_fault_classes()) {
      std::uint64_t all_runs = 0;
      for (const MemoryFault& f : fault_instances(c, kWords, options.retention_delay / 2)) {
        const auto runs = simulate_runs(a, f, options);
        const auto found = std::count_if(runs.begin(), runs.end(), [](const auto& r) { return r.detected; });
        if (found == static_cast<std::ptrdiff_t>(runs.size())) ++all_runs;
        if (found > 0 && found < static_cast<std::ptrdiff_t>(runs.size())) {
          ++mixed;
          BOOST_TEST(!detects(a, f, options), name << ": " << f.describe());
        }
      }
      BOOST_TEST(all_runs == cov(name, c).detected, name << " " << to_string(c));
    }
  }
  BOOST_TEST(mixed > 0, "some instance depends on the initial state or the order");
}

// ---- the no-cell model
// -------------------------------------------------------------------------------------------

// A no-cell address that reads the sense amplifier's last word is found only where that read expected
// the other value: March C- then misses it in the middle of the memory, an element reading both values
// (MATS++'s ⇓(r1,w0,r0)) still finds it.
BOOST_AUTO_TEST_CASE(no_cell_reads_a_fixed_value_or_the_sense_latch) {
  FaultSimOptions latch;
  latch.no_cell_read = NoCellRead::sense_latch;
  latch.classes = {FaultClass::af};
  const auto m = simulate_coverage({library().get("March C-"), library().get("MATS++")}, latch);
  BOOST_TEST(!m.at("March C-", FaultClass::af).complete(), show(m.at("March C-", FaultClass::af)));
  BOOST_TEST(m.at("MATS++", FaultClass::af).complete());
  for (const MemoryFault& f : fault_instances(FaultClass::af, kWords)) {
    if (f.af != AfKind::no_cell) {
      BOOST_TEST(detects(library().get("March C-"), f, latch), f.describe());
      continue;
    }
    BOOST_TEST(detects(library().get("March C-"), f, FaultSimOptions{}), f.describe());
    if (f.victim.word == 3) BOOST_TEST(!detects(library().get("March C-"), f, latch), f.describe());
  }
}

// ---- output
// ---------------------------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(json_maps_algorithm_to_class_to_detected_and_total) {
  const auto j = nlohmann::ordered_json::parse(shipped().to_json());
  BOOST_TEST(j.size() == library().size());
  std::vector<std::string> names;
  for (const auto& item : j.items()) {
    const std::string name = item.key();
    const auto& row = item.value();
    names.push_back(name);
    BOOST_TEST(row.size() == 13u);
    std::size_t k = 0;
    for (const auto& entry : row.items()) {
      const std::string cls = entry.key();
      const auto& cell = entry.value();
      BOOST_TEST(cls == std::string(to_string(simulated_fault_classes()[k++])));
      BOOST_TEST(cell.size() == 2u);
      BOOST_TEST(cell.at("detected").get<std::uint64_t>() ==
                 cov(name, fault_class_from_string(cls)).detected);
      BOOST_TEST(cell.at("total").get<std::uint64_t>() == cov(name, fault_class_from_string(cls)).total);
    }
  }
  BOOST_TEST(names == library().names());
  BOOST_TEST(j.at("March C-").at("CFid").at("detected").get<int>() == 224);
}

BOOST_AUTO_TEST_CASE(the_table_has_a_row_per_algorithm_and_a_column_per_class) {
  const std::string t = shipped().to_table();
  CHECK_STARTS_WITH(t, "algorithm ");
  CHECK_CONTAINS(t, "  CFds\n");
  CHECK_CONTAINS(t,
                 "\ninstances     16     16     16     16     16     16      8     16    176    112    224   "
                 " 224    448\n");
  CHECK_CONTAINS(t,
                 "\nMarch C-    100%   100%     0%   100%     0%   100%    25%     0%   100%   100%   100%   "
                 "100%    50%\n");
  CHECK_CONTAINS(t, "\nMATS+       100%    50%");
  CHECK_CONTAINS(t, "6 initial states");
  CHECK_CONTAINS(t, "13 algorithms × 13 classes simulated in ");
}

BOOST_AUTO_TEST_CASE(the_simulation_is_deterministic) {
  FaultSimOptions o;
  o.classes = {FaultClass::tf, FaultClass::cfid};
  const std::vector<MarchAlgorithm> algs = {library().get("MATS+"), library().get("March C-")};
  const auto a = simulate_coverage(algs, o);
  const auto b = simulate_coverage(algs, o);
  BOOST_TEST((a.cells == b.cells));
  BOOST_TEST((a.cells == std::vector<std::vector<Coverage>>(
                             {{cov("MATS+", FaultClass::tf), cov("MATS+", FaultClass::cfid)},
                              {cov("March C-", FaultClass::tf), cov("March C-", FaultClass::cfid)}})));
}

// ---- intra-word coupling
// ------------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(word_backgrounds_are_solid_then_stripes) {
  const auto bg = word_backgrounds(64);
  const std::vector<std::uint64_t> expected = {0,
                                               0x5555555555555555,
                                               0x3333333333333333,
                                               0x0F0F0F0F0F0F0F0F,
                                               0x00FF00FF00FF00FF,
                                               0x0000FFFF0000FFFF,
                                               0x00000000FFFFFFFF};
  BOOST_REQUIRE(bg.size() == expected.size());
  for (std::size_t i = 0; i < bg.size(); ++i) {
    BOOST_TEST(bg[i].pattern == expected[i]);
    BOOST_TEST(bg[i].invert_mask == 0u);
  }
  BOOST_TEST(word_backgrounds(8).size() == 4u);
  BOOST_TEST(word_backgrounds(2).size() == 2u);
  BOOST_TEST(intra_word_instances(FaultClass::cfid, 8).size() == 4u * 8u * 7u);
}

// Coverage of intra-word CFs rises with each background and is complete only with the full set.
BOOST_AUTO_TEST_CASE(intra_word_coverage_rises_with_each_background) {
  FaultSimOptions o;
  o.words = 4;
  const auto check = [&](const char* name, FaultClass c, unsigned width) {
    BOOST_TEST_CONTEXT(name << " " << to_string(c) << " over " << width << " bits") {
      const auto steps = intra_word_coverage(library().get(name), c, width, o);
      BOOST_REQUIRE(steps.size() == word_backgrounds(width).size());
      for (std::size_t k = 1; k < steps.size(); ++k)
        BOOST_TEST(steps[k].detected > steps[k - 1].detected, show(steps[k - 1])
                                                                  << " then " << show(steps[k]));
      for (std::size_t k = 0; k + 1 < steps.size(); ++k) BOOST_TEST(!steps[k].complete());
      BOOST_TEST(steps.back().complete(), show(steps.back()));
    }
  };
  check("March C-", FaultClass::cfid, 8);
  check("March C-", FaultClass::cfst, 8);
  check("March SS", FaultClass::cfds, 8);
  check("March C-", FaultClass::cfid, 16);
  // A solid background already finds every intra-word inversion by March C-.
  BOOST_TEST(intra_word_coverage(library().get("March C-"), FaultClass::cfin, 8, o).front().complete());
}

// ---- bad input
// --------------------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(bad_input_is_rejected_with_the_reason) {
  BOOST_CHECK_EXCEPTION(fault_instances(FaultClass::saf, 6), InvalidArgumentError,
                        testing::error_with(ErrorCode::invalid_argument, "6 words must be a power of two"));
  BOOST_CHECK_EXCEPTION(fault_instances(FaultClass::rowhammer, 8), InvalidArgumentError,
                        testing::error_with(ErrorCode::invalid_argument, "RowHammer is not simulated"));
  BOOST_CHECK_EXCEPTION(simulated_fault_class("weak"), NotFoundError,
                        testing::error_with(ErrorCode::not_found, "\"weak\" (known: SAF, TF,"));
  BOOST_TEST((simulated_fault_class("cfds") == FaultClass::cfds));
  MemoryFault outside;
  outside.victim.word = kWords;
  BOOST_CHECK_EXCEPTION(detects(library().get("MATS+"), outside, FaultSimOptions{}), InvalidArgumentError,
                        testing::error_with(ErrorCode::invalid_argument, "outside the 8-word memory"));
  MarchAlgorithm unnamed = library().get("MATS+");
  unnamed.name.clear();
  BOOST_CHECK_EXCEPTION(simulate_coverage({unnamed}, FaultSimOptions{}), InvalidArgumentError,
                        testing::error_with(ErrorCode::invalid_argument, "has no name"));
  BOOST_CHECK_EXCEPTION(shipped().at("March Q", FaultClass::saf), NotFoundError,
                        testing::error_with(ErrorCode::not_found, "\"March Q\""));
  BOOST_CHECK_EXCEPTION(intra_word_instances(FaultClass::saf, 8), InvalidArgumentError,
                        testing::error_with(ErrorCode::invalid_argument, "not SAF"));
  BOOST_CHECK_EXCEPTION(word_backgrounds(3), InvalidArgumentError,
                        testing::error_with(ErrorCode::invalid_argument, "word width 3"));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace seedval::sim

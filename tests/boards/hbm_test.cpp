// Tests of the model's HBM array: every fault primitive of faults.h injected into a tiny array and
// sensitised through the MarchMemory interface (the behaviour the primitive defines, and nothing else
// changes), SECDED and the ECC status, refresh, RowHammer, and the bulk host path against the per-word
// model.
#include "hbm.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <fmt/core.h>

#include <seedval/chip/geometry.h>
#include <seedval/chip/march.h>
#include <seedval/core/error.h>
#include <seedval/sim/faults.h>

#include "fault_builders.h"
#include "support/errors.h"

namespace seedval::sim {
namespace {

using namespace std::chrono_literals;

constexpr std::uint64_t kOnes = ~std::uint64_t{0};

// 8 rows of 4 words (word = row·4 + column): 32 words, one bank.
chip::HbmGeometry tiny(std::uint32_t rows = 8) {
  return chip::HbmGeometry{.stacks = 1, .channels = 1, .banks = 1, .rows = rows, .columns = 4};
}

std::uint64_t bit(int b) {
  return std::uint64_t{1} << b;
}

std::uint64_t with(std::uint64_t word, int b, bool v) {
  return v ? (word | bit(b)) : (word & ~bit(b));
}

using seedval::testing::cell_fault;
using seedval::testing::coupling;

MemoryFault address_fault(AfKind kind, std::uint64_t a, std::uint64_t b) {
  MemoryFault f;
  f.kind = FaultClass::af;
  f.af = kind;
  f.victim.word = a;
  f.other_word = b;
  return f;
}

// An array with a fixed environment and the contents the test expects of it.
struct Rig {
  explicit Rig(std::vector<MemoryFault> faults, chip::HbmGeometry g = tiny())
      : hbm(g, std::move(faults), env), expect(hbm.words(), 0) {}

  FixedEnvironment env;
  HbmArray hbm;
  std::vector<std::uint64_t> expect;

  void write(std::uint64_t w, std::uint64_t v) {
    hbm.write(w, v);
    expect[w] = v;
  }
  void write_all(std::uint64_t v) {
    for (std::uint64_t w = 0; w < hbm.words(); ++w) write(w, v);
  }
  // Writes one cell (its whole word, the other bits as expected).
  void put(Cell c, bool v) { write(c.word, with(expect[c.word], c.bit, v)); }
  std::uint64_t cells(std::uint64_t w) { return hbm.storage()[w]; }
  bool cell(Cell c) { return ((cells(c.word) >> c.bit) & 1) != 0; }

  // Every cell holds what the test expects; reads of every word but `skip` return it too.
  void check(std::uint64_t skip = ~std::uint64_t{0}, const std::string& context = {}) {
    for (std::uint64_t w = 0; w < hbm.words(); ++w)
      BOOST_TEST(cells(w) == expect[w], context << " cells of word " << w);
    for (std::uint64_t w = 0; w < hbm.words(); ++w)
      if (w != skip) BOOST_TEST(hbm.read(w) == expect[w], context << " read of word " << w);
  }
};

// ---- single-cell faults --------------------------------------------------------------------------------

BOOST_AUTO_TEST_SUITE(hbm_cell_faults)

BOOST_AUTO_TEST_CASE(fault_free_array_is_memory) {
  Rig r({});
  BOOST_TEST(r.hbm.words() == 32u);
  BOOST_TEST(r.hbm.size_bytes() == 256u);
  BOOST_TEST(r.hbm.next_special(0) == 32u);
  r.check();
  std::mt19937_64 rng(7);
  for (int i = 0; i < 1000; ++i) r.write(rng() % 32, rng());
  r.check();
}

BOOST_AUTO_TEST_CASE(stuck_at) {
  for (bool v : {false, true}) {
    Rig r({cell_fault(FaultClass::saf, 5, 13, v)});
    BOOST_TEST(r.cell({5, 13}) == v, "power-on");
    r.write_all(0);
    r.expect[5] = with(0, 13, v);
    r.check();
    r.write_all(kOnes);
    r.expect[5] = with(kOnes, 13, v);
    r.check();
    BOOST_TEST(r.hbm.read(5) == with(kOnes, 13, v));
  }
}

BOOST_AUTO_TEST_CASE(transition_fault_up) {
  // <0w1/0/->: the cell cannot rise, but falls.
  Rig r({cell_fault(FaultClass::tf, 5, 13, true)});
  r.write(5, kOnes);
  r.expect[5] = with(kOnes, 13, false);
  r.check();
  BOOST_TEST(r.hbm.read(5) == with(kOnes, 13, false));
  r.hbm.inject_error(5, bit(13));  // a 1 the cell could not have reached by writing
  r.expect[5] = kOnes;
  r.write(5, kOnes);  // non-transition
  r.check();
  r.write(5, 0);  // falling works
  r.check();
  r.write(5, bit(13));
  r.expect[5] = 0;
  r.check();
}

BOOST_AUTO_TEST_CASE(transition_fault_down) {
  // <1w0/1/->: the cell cannot fall, but rises.
  Rig r({cell_fault(FaultClass::tf, 5, 13, false)});
  r.write_all(kOnes);  // rising works
  r.check();
  r.write(5, 0);
  r.expect[5] = bit(13);
  r.check();
  r.write(5, kOnes);
  r.check();
}

BOOST_AUTO_TEST_CASE(write_destructive_fault) {
  for (bool v : {false, true}) {
    Rig r({cell_fault(FaultClass::wdf, 9, 40, v)});
    r.write_all(v ? kOnes : 0);  // a transition for v = 1, a non-transition write of 0 for v = 0
    if (!v) r.expect[9] = bit(40);
    r.check(9, "first write");
    r.write(9, v ? kOnes : 0);  // a transition (v = 0) or a rewrite of the held value (v = 1)
    if (v) r.expect[9] = with(kOnes, 40, false);
    r.check(9, "second write");
    r.write(9, v ? 0 : kOnes);  // the other value: never sensitised
    r.check(9, "other value");
    r.write(9, v ? 0 : kOnes);
    r.check(9, "rewrite other value");
    r.write(9, v ? kOnes : 0);  // transition back
    r.check(9, "transition back");
    for (int i = 0; i < 3; ++i) BOOST_TEST(r.hbm.read(9) == r.expect[9], "reads do not flip");
    r.write(9, v ? kOnes : 0);  // rewrite: flips
    r.expect[9] = v ? with(kOnes, 40, false) : bit(40);
    r.check(9, "rewrite");
  }
}

BOOST_AUTO_TEST_CASE(read_destructive_fault) {
  for (bool v : {false, true}) {
    const std::uint64_t held = v ? kOnes : 0;
    const std::uint64_t flipped = held ^ bit(40);
    Rig r({cell_fault(FaultClass::rdf, 9, 40, v)});
    r.write_all(held);
    BOOST_TEST(r.hbm.read(9) == flipped, "the read returns the flipped value");
    BOOST_TEST(r.cells(9) == flipped, "and the cell flipped");
    BOOST_TEST(r.hbm.read(9) == flipped, "the complement is read without harm");
    r.expect[9] = flipped;
    r.check();
    r.write(9, ~held);  // the cell holds v̄: reads are harmless
    r.check();
    r.check();
  }
}

BOOST_AUTO_TEST_CASE(deceptive_read_destructive_fault) {
  for (bool v : {false, true}) {
    const std::uint64_t held = v ? kOnes : 0;
    Rig r({cell_fault(FaultClass::drdf, 9, 40, v)});
    r.write_all(held);
    BOOST_TEST(r.hbm.read(9) == held, "the first read is right");
    BOOST_TEST(r.cells(9) == (held ^ bit(40)), "but flips the cell");
    BOOST_TEST(r.hbm.read(9) == (held ^ bit(40)), "the second read sees it");
    r.expect[9] = held ^ bit(40);
    r.check();
    r.write(9, ~held);
    r.check();
  }
}

BOOST_AUTO_TEST_CASE(incorrect_read_fault) {
  for (bool v : {false, true}) {
    const std::uint64_t held = v ? kOnes : 0;
    Rig r({cell_fault(FaultClass::irf, 9, 40, v)});
    r.write_all(held);
    for (int i = 0; i < 3; ++i) {
      BOOST_TEST(r.hbm.read(9) == (held ^ bit(40)), "every read is wrong");
      BOOST_TEST(r.cells(9) == held, "the cell keeps its value");
    }
    r.check(9);
    r.write(9, ~held);
    r.check();
  }
}

BOOST_AUTO_TEST_CASE(stuck_open_reads_the_sense_amplifier) {
  Rig r({cell_fault(FaultClass::sof, 5, 13, false)});
  r.write(4, 0);
  r.write(5, kOnes);
  r.write(6, kOnes);
  BOOST_TEST(r.hbm.read(4) == 0u);
  BOOST_TEST(r.hbm.read(5) == with(kOnes, 13, false), "the amplifier latched 0 at bit 13");
  BOOST_TEST(r.hbm.read(5) == with(kOnes, 13, false), "and keeps it");
  BOOST_TEST(r.hbm.read(6) == kOnes);
  BOOST_TEST(r.hbm.read(5) == kOnes, "now it latched 1");
  r.write(5, 0);
  BOOST_TEST(r.hbm.read(5) == bit(13));
  BOOST_TEST(r.hbm.read(4) == 0u);
  BOOST_TEST(r.hbm.read(5) == 0u);
  r.check(5);
}

BOOST_AUTO_TEST_CASE(weak_cell_fails_only_outside_its_bounds) {
  MemoryFault low = cell_fault(FaultClass::weak, 5, 13, true);
  low.fail_below_mv = 1000;
  Rig r({low});
  r.write_all(0);
  r.check();
  r.env.supply_mv = 1001;
  BOOST_TEST(r.hbm.read(5) == 0u);
  r.env.supply_mv = 950;
  BOOST_TEST(r.hbm.read(5) == bit(13), "below the bound it reads 1");
  BOOST_TEST(r.cells(5) == 0u, "the cell itself is fine");
  r.env.temp_c = 120;  // no temperature bound
  BOOST_TEST(r.hbm.read(5) == bit(13));
  r.env.supply_mv = 1100;
  BOOST_TEST(r.hbm.read(5) == 0u);
  r.check();

  MemoryFault hot = cell_fault(FaultClass::weak, 5, 13, false);
  hot.fail_above_c = 85;
  Rig h({hot});
  h.write_all(kOnes);
  h.env.temp_c = 85;
  BOOST_TEST(h.hbm.read(5) == kOnes);
  h.env.temp_c = 90;
  BOOST_TEST(h.hbm.read(5) == with(kOnes, 13, false), "above the bound it reads 0");
  h.env.supply_mv = 500;  // no voltage bound
  BOOST_TEST(h.hbm.read(5) == with(kOnes, 13, false));
  h.env.temp_c = 25;
  h.check();
}

BOOST_AUTO_TEST_CASE(several_faults_on_one_word) {
  MemoryFault st = coupling(FaultClass::cfst, {.word = 2, .bit = 0}, {.word = 5, .bit = 1});
  st.aggressor_state = false;
  st.value = true;
  Rig r({cell_fault(FaultClass::saf, 5, 0, true), cell_fault(FaultClass::tf, 5, 2, true),
         cell_fault(FaultClass::saf, 5, 1, false), st});
  r.write_all(0);
  r.expect[5] = bit(0);  // bit 1 is a CFst victim forced to 1 but stuck at 0: the stuck cell wins
  r.check();
  r.write(5, kOnes);
  r.expect[5] = kOnes & ~bit(1) & ~bit(2);
  r.check();
}

BOOST_AUTO_TEST_SUITE_END()

// ---- retention --------------------------------------------------------------------------------------

BOOST_AUTO_TEST_SUITE(hbm_retention)

MemoryFault drf(bool value, double retention_ms) {
  MemoryFault f = cell_fault(FaultClass::drf, 9, 7, value);
  f.retention_ms = retention_ms;
  return f;
}

BOOST_AUTO_TEST_CASE(fails_after_its_retention_without_refresh) {
  for (bool v : {false, true}) {
    const std::uint64_t held = v ? kOnes : 0;
    Rig r({drf(v, 10)});
    r.hbm.set_refresh(false);
    BOOST_TEST(!r.hbm.refresh_enabled());
    r.write_all(held);
    r.hbm.wait(9ms);
    r.check(~std::uint64_t{0}, "9 ms");  // the read of word 9 restores it
    r.hbm.wait(9ms);
    BOOST_TEST(r.hbm.read(9) == held, "accesses restore the cell");
    r.hbm.wait(10ms);
    BOOST_TEST(r.hbm.read(9) == held, "exactly the retention time");
    r.hbm.wait(std::chrono::microseconds(10'001));
    BOOST_TEST(r.hbm.read(9) == (held ^ bit(7)), "past it the cell leaked");
    r.expect[9] = held ^ bit(7);
    r.check();
    r.write(9, ~held);  // the complement does not leak
    r.hbm.wait(1000ms);
    r.check();
  }
}

BOOST_AUTO_TEST_CASE(refresh_keeps_cells_that_outlive_the_interval) {
  Rig r({drf(true, 100)});
  BOOST_TEST(r.hbm.refresh_enabled());  // on by default, every 32 ms
  r.write_all(kOnes);
  r.hbm.wait(5000ms);
  r.check();

  Rig shorter({drf(true, 20)});
  shorter.write_all(kOnes);
  shorter.hbm.wait(19ms);
  BOOST_TEST(shorter.hbm.read(9) == kOnes);
  shorter.hbm.wait(40ms);  // a refresh tick at 32 ms restores it, but 20 ms is less than the interval
  BOOST_TEST(shorter.hbm.read(9) == with(kOnes, 7, false));

  Rig fast({drf(true, 20)});
  fast.hbm.set_refresh(true, 16ms);
  fast.write_all(kOnes);
  fast.hbm.wait(1000ms);
  fast.check();
}

BOOST_AUTO_TEST_CASE(switching_refresh_off_starts_the_leak_at_the_last_tick) {
  Rig r({drf(true, 100)});
  r.write_all(kOnes);
  r.hbm.wait(1000ms);  // ticks every 32 ms up to 992 ms
  r.hbm.set_refresh(false);
  r.hbm.wait(90ms);  // 98 ms since the last tick
  BOOST_TEST(r.hbm.read(9) == kOnes);
  r.hbm.wait(101ms);
  BOOST_TEST(r.hbm.read(9) == with(kOnes, 7, false));
}

BOOST_AUTO_TEST_CASE(switching_refresh_on_refreshes_every_row) {
  Rig r({drf(true, 100)});
  r.hbm.set_refresh(false);
  r.write_all(kOnes);
  r.hbm.wait(90ms);
  r.hbm.set_refresh(true);
  r.hbm.wait(1000ms);
  r.check();
  r.hbm.set_refresh(false);
  r.hbm.wait(50ms);
  r.hbm.set_refresh(true);  // the leak under the old regime still counts
  r.hbm.set_refresh(false);
  r.hbm.wait(60ms);
  BOOST_TEST(r.hbm.read(9) == kOnes, "refresh on at 50 ms restored the cell");
}

BOOST_AUTO_TEST_CASE(fails_faster_hot) {
  for (double temp : {25.0, 45.0}) {
    Rig r({drf(true, 10)});
    r.hbm.set_refresh(false);
    r.env.temp_c = temp;
    r.write_all(kOnes);
    r.hbm.wait(3ms);
    // At 45 °C the retention is a quarter: 2.5 ms.
    BOOST_TEST(r.hbm.read(9) == (temp > 30 ? with(kOnes, 7, false) : kOnes), "at " << temp << " °C");
  }
  Rig hot({drf(true, 100)});  // 100 ms at 25 °C, 25 ms at 45 °C: under the refresh interval
  hot.env.temp_c = 45;
  hot.write_all(kOnes);
  hot.hbm.wait(100ms);
  BOOST_TEST(hot.hbm.read(9) == with(kOnes, 7, false));
}

BOOST_AUTO_TEST_CASE(time_passes_only_when_told) {
  Rig r({});
  std::vector<std::uint8_t> buf(64, 0xAB);
  r.hbm.write(8, buf);
  r.hbm.read(8, buf);
  r.hbm.fill(0, 256, 0x1234);
  r.hbm.write(3, 5);
  BOOST_TEST(r.hbm.read(3) == 5u);
  BOOST_TEST(r.env.now_ns() == 0u, "accesses are charged by the chip model");
  r.hbm.wait(3ms);
  BOOST_TEST(r.env.now_ns() == 3'000'000u);
  r.hbm.element_done(0, 32, 2);
  BOOST_TEST(r.env.now_ns() == 3'000'000u + HbmArray::transfer_ns(32 * 2 * 8));
  BOOST_TEST(HbmArray::transfer_ns(0) == 0u);
  BOOST_TEST(HbmArray::transfer_ns(256) == 1u);
  BOOST_TEST(HbmArray::transfer_ns(std::uint64_t{16} << 20) == 65'536u);
  const auto before = r.env.now_ns();
  r.hbm.hammer(0, 3, 1000);
  BOOST_TEST(r.env.now_ns() == before + 1000 * HbmArray::kActivationNs);
}

BOOST_AUTO_TEST_CASE(refresh_interval_must_be_positive) {
  Rig r({});
  BOOST_CHECK_EXCEPTION(r.hbm.set_refresh(true, 0us), InvalidArgumentError,
                        testing::error_with(ErrorCode::invalid_argument, "refresh interval"));
}

BOOST_AUTO_TEST_SUITE_END()

// ---- address decoder ---------------------------------------------------------------------------------

BOOST_AUTO_TEST_SUITE(hbm_address_faults)

BOOST_AUTO_TEST_CASE(no_cell) {
  Rig r({address_fault(AfKind::no_cell, 10, 0)});
  BOOST_TEST(r.hbm.next_special(0) == 10u);
  r.write_all(0x1111);
  r.expect[10] = 0;  // the write was lost: the cell keeps its power-on zero
  r.check(10);
  r.write(3, 0xABCD);
  BOOST_TEST(r.hbm.read(3) == 0xABCDu);
  BOOST_TEST(r.hbm.read(10) == 0xABCDu, "a read returns the sense amplifier's last word");
  BOOST_TEST(r.hbm.read(4) == 0x1111u);
  BOOST_TEST(r.hbm.read(10) == 0x1111u);
  r.hbm.write(10, 0x5555);
  BOOST_TEST(r.cells(10) == 0u);
  r.check(10);
}

BOOST_AUTO_TEST_CASE(alias) {
  Rig r({address_fault(AfKind::alias, 10, 20)});
  r.write_all(0);
  r.hbm.write(10, 0xA);  // reaches B's cell
  r.expect[20] = 0xA;
  r.check(10);
  BOOST_TEST(r.hbm.read(10) == 0xAu);
  r.write(20, 0xB);
  BOOST_TEST(r.hbm.read(10) == 0xBu, "A reads B's cell");
  BOOST_TEST(r.cells(10) == 0u, "A's own cell is reached by no address");
  r.check(10);
}

BOOST_AUTO_TEST_CASE(multi_and_or) {
  for (AfKind kind : {AfKind::multi_and, AfKind::multi_or}) {
    Rig r({address_fault(kind, 10, 20)});
    r.write_all(0);
    r.write(10, 0xF0F0);  // writes both cells
    r.expect[20] = 0xF0F0;
    r.check(10);
    BOOST_TEST(r.hbm.read(10) == 0xF0F0u);
    r.write(20, 0xFF00);
    const std::uint64_t expected = kind == AfKind::multi_and ? 0xF000 : 0xFFF0;
    BOOST_TEST(r.hbm.read(10) == expected, "a read of A returns the wired combination");
    BOOST_TEST(r.hbm.read(20) == 0xFF00u, "a read of B returns B");
    r.check(10);
  }
}

BOOST_AUTO_TEST_SUITE_END()

// ---- coupling faults ----------------------------------------------------------------------------------

BOOST_AUTO_TEST_SUITE(hbm_coupling_faults)

struct Pair {
  Cell aggressor;
  Cell victim;
  const char* name;
};
// Aggressor below and above the victim, and both in one word.
const Pair kPairs[] = {
    {.aggressor = {.word = 2, .bit = 5}, .victim = {.word = 22, .bit = 9}, .name = "a below v"},
    {.aggressor = {.word = 22, .bit = 9}, .victim = {.word = 2, .bit = 5}, .name = "a above v"},
    {.aggressor = {.word = 7, .bit = 3}, .victim = {.word = 7, .bit = 40}, .name = "intra-word a<v"},
    {.aggressor = {.word = 7, .bit = 40}, .victim = {.word = 7, .bit = 3}, .name = "intra-word a>v"},
};

BOOST_AUTO_TEST_CASE(inversion) {
  for (const Pair& p : kPairs) {
    for (bool rises : {true, false}) {
      MemoryFault f = coupling(FaultClass::cfin, p.aggressor, p.victim);
      f.aggressor_rises = rises;
      const std::string ctx = f.describe() + " " + p.name;
      Rig r({f});
      r.write_all(0);
      r.check(~std::uint64_t{0}, ctx + " start");
      auto step = [&](Cell c, bool v, bool flips, const char* what) {
        r.put(c, v);
        if (flips) r.expect[p.victim.word] ^= bit(p.victim.bit);
        r.check(~std::uint64_t{0}, ctx + " " + what);
      };
      step(p.victim, true, false, "victim rises");
      step(p.victim, false, false, "victim falls");
      step(p.aggressor, !rises, false, "aggressor to start");  // the opposite transition or none
      step(p.aggressor, !rises, false, "aggressor rewrite");
      step(p.aggressor, rises, true, "sensitising transition");
      step(p.aggressor, rises, false, "non-transition");
      step(p.aggressor, !rises, false, "opposite transition");
      step(p.aggressor, rises, true, "sensitising again");
      step(p.victim, true, false, "victim written");
      step(p.aggressor, !rises, false, "opposite transition");
      step(p.aggressor, rises, true, "sensitising with v=1");
    }
  }
}

BOOST_AUTO_TEST_CASE(idempotent) {
  for (const Pair& p : kPairs) {
    for (bool rises : {true, false}) {
      for (bool value : {false, true}) {
        MemoryFault f = coupling(FaultClass::cfid, p.aggressor, p.victim);
        f.aggressor_rises = rises;
        f.value = value;
        const std::string ctx = f.describe() + " " + p.name;
        Rig r({f});
        r.write_all(0);
        auto step = [&](Cell c, bool v, bool forces, const char* what) {
          r.put(c, v);
          if (forces) r.expect[p.victim.word] = with(r.expect[p.victim.word], p.victim.bit, value);
          r.check(~std::uint64_t{0}, ctx + " " + what);
        };
        step(p.aggressor, !rises, false, "aggressor to start");
        step(p.victim, !value, false, "victim written");
        step(p.aggressor, rises, true, "sensitising transition");
        step(p.victim, !value, false, "victim written again");
        step(p.aggressor, rises, false, "non-transition");
        step(p.aggressor, !rises, false, "opposite transition");
        step(p.aggressor, rises, true, "sensitising again");
        step(p.aggressor, !rises, false, "back");
        step(p.victim, value, false, "victim holds the forced value");
        step(p.aggressor, rises, true, "sensitising: no change");
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(state) {
  for (const Pair& p : kPairs) {
    for (bool s : {false, true}) {
      for (bool value : {false, true}) {
        MemoryFault f = coupling(FaultClass::cfst, p.aggressor, p.victim);
        f.aggressor_state = s;
        f.value = value;
        const std::string ctx = f.describe() + " " + p.name;
        Rig r({f});
        r.write_all(0);
        if (!s) r.expect[p.victim.word] = with(r.expect[p.victim.word], p.victim.bit, value);
        r.check(~std::uint64_t{0}, ctx + " start");
        auto step = [&](Cell c, bool v, bool forced, const char* what) {
          r.put(c, v);
          if (forced) r.expect[p.victim.word] = with(r.expect[p.victim.word], p.victim.bit, value);
          r.check(~std::uint64_t{0}, ctx + " " + what);
        };
        step(p.aggressor, !s, false, "aggressor leaves the state");
        step(p.victim, !value, false, "victim free");
        step(p.victim, value, false, "victim free");
        step(p.victim, !value, false, "victim free again");
        step(p.aggressor, s, true, "aggressor enters the state");
        step(p.victim, !value, true, "victim forced");
        step(p.aggressor, s, true, "aggressor stays");
        step(p.aggressor, !s, false, "aggressor leaves: victim keeps its value");
        step(p.victim, !value, false, "victim free once more");
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(disturb) {
  for (const Pair& p : kPairs) {
    for (bool by_read : {true, false}) {
      for (bool s : {false, true}) {
        for (bool value : {false, true}) {
          MemoryFault f = coupling(FaultClass::cfds, p.aggressor, p.victim);
          f.aggressor_state = s;
          f.aggressor_read = by_read;
          f.value = value;
          const std::string ctx = f.describe() + " " + p.name;
          Rig r({f});
          const Cell a = p.aggressor;
          const Cell v = p.victim;
          auto holds = [&](Cell c) { return ((r.expect[c.word] >> c.bit) & 1) != 0; };
          // The primitive, as the test's own expectation: after a non-transition write of s to the
          // aggressor (the write variant) a victim holding `value` flips. Writing an intra-word victim
          // writes the aggressor too.
          auto write_word = [&](std::uint64_t w, std::uint64_t x) {
            const bool was = holds(a);
            r.write(w, x);
            if (!by_read && w == a.word && was == s && holds(a) == s && holds(v) == value)
              r.expect[v.word] ^= bit(v.bit);
          };
          auto put = [&](Cell c, bool x) { write_word(c.word, with(r.expect[c.word], c.bit, x)); };
          auto read_aggressor = [&] {
            BOOST_TEST(r.hbm.read(a.word) == r.expect[a.word], ctx << ": the read returns what was sensed");
            if (by_read && holds(a) == s && holds(v) == value) r.expect[v.word] ^= bit(v.bit);
          };
          auto op = [&] { by_read ? read_aggressor() : put(a, s); };
          auto other_op = [&] { by_read ? put(a, s) : read_aggressor(); };
          auto check = [&](const char* what) { r.check(a.word, ctx + " " + what); };

          for (std::uint64_t w = 0; w < r.hbm.words(); ++w) write_word(w, 0);
          check("start");
          put(a, !s);  // not sensitising: a transition, or a non-transition write of s̄
          put(v, value);
          check("set up");
          BOOST_TEST(r.cell(v) == value, ctx);
          put(a, s);  // a transition write
          check("transition write");
          BOOST_TEST(r.cell(v) == value, ctx);
          op();
          check("sensitised");
          BOOST_TEST(r.cell(v) == !value, ctx << ": sensitised");
          op();
          check("victim no longer holds the value");
          BOOST_TEST(r.cell(v) == !value, ctx);
          put(a, !s);
          put(v, value);
          put(a, s);
          other_op();
          check("the other variant's operation");
          BOOST_TEST(r.cell(v) == value, ctx << ": the other operation");
          put(a, !s);
          by_read ? read_aggressor() : put(a, !s);
          check("aggressor in the other state");
          BOOST_TEST(r.cell(v) == value, ctx << ": the other state");
          put(a, s);
          op();
          check("sensitised again");
          BOOST_TEST(r.cell(v) == !value, ctx << ": sensitised again");
        }
      }
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

// ---- RowHammer ---------------------------------------------------------------------------------------

BOOST_AUTO_TEST_SUITE(hbm_rowhammer)

MemoryFault rowhammer(bool value, double threshold) {
  MemoryFault f = cell_fault(FaultClass::rowhammer, 13, 2, value);  // row 3, column 1
  f.hammer_threshold = threshold;
  return f;
}

BOOST_AUTO_TEST_CASE(flips_at_the_threshold) {
  for (bool v : {false, true}) {
    const std::uint64_t held = v ? kOnes : 0;
    Rig r({rowhammer(v, 1000)});
    r.write_all(held);
    r.hbm.hammer(0, 3, 1);  // restores the victim row: the writes activated its neighbours
    r.hbm.hammer(0, 2, 999);
    r.hbm.hammer(0, 0, 100'000);  // not a neighbour
    r.hbm.hammer(0, 5, 100'000);
    BOOST_TEST(r.cells(13) == held, "below the threshold");
    r.hbm.hammer(0, 4, 1);  // both neighbours count
    BOOST_TEST(r.cells(13) == (held ^ bit(2)), "at the threshold");
    r.expect[13] = held ^ bit(2);
    r.check();
  }
}

BOOST_AUTO_TEST_CASE(only_the_value_that_flips) {
  Rig r({rowhammer(true, 1000)});
  r.write_all(0);
  r.hbm.hammer(0, 2, 5000);
  r.check();
}

BOOST_AUTO_TEST_CASE(activating_the_victim_row_restores_it) {
  Rig r({rowhammer(true, 1000)});
  r.write_all(kOnes);
  r.hbm.hammer(0, 3, 1);
  r.hbm.hammer(0, 2, 999);
  r.hbm.hammer(0, 3, 1);
  r.hbm.hammer(0, 2, 999);
  BOOST_TEST(r.cells(13) == kOnes);
  BOOST_TEST(r.hbm.read(12) == kOnes);  // row 3 again: the open row was 2
  r.hbm.hammer(0, 4, 999);
  BOOST_TEST(r.cells(13) == kOnes);
  r.hbm.hammer(0, 2, 1);
  BOOST_TEST(r.cells(13) == with(kOnes, 2, false));
}

BOOST_AUTO_TEST_CASE(refresh_ends_the_window) {
  Rig r({rowhammer(true, 1000)});
  r.write_all(kOnes);
  r.hbm.hammer(0, 3, 1);
  r.hbm.hammer(0, 2, 999);
  r.hbm.wait(32ms);
  r.hbm.hammer(0, 2, 999);
  BOOST_TEST(r.cells(13) == kOnes, "a refresh tick came between");
  r.hbm.hammer(0, 2, 1);
  BOOST_TEST(r.cells(13) == with(kOnes, 2, false));

  // One burst that spans refresh ticks: 64 µs windows hold 1422 activations.
  Rig split({rowhammer(true, 2000)});
  split.hbm.set_refresh(true, 64us);
  split.write_all(kOnes);
  split.hbm.hammer(0, 3, 1);
  split.hbm.hammer(0, 2, 5000);  // 1422 + 1422 + 1422 + 734 from t = 45 ns
  BOOST_TEST(split.cells(13) == kOnes);
  split.hbm.set_refresh(false);
  split.hbm.hammer(0, 2, 1265);  // the count carries on from the last tick: 1999
  BOOST_TEST(split.cells(13) == kOnes);
  split.hbm.hammer(0, 2, 1);
  BOOST_TEST(split.cells(13) == with(kOnes, 2, false));
}

BOOST_AUTO_TEST_CASE(accesses_and_sweeps_activate_rows) {
  Rig r({rowhammer(true, 3)});
  r.hbm.set_refresh(false);
  r.write_all(kOnes);  // activates rows 0..7 in turn: row 4 disturbs the victim once after its write
  BOOST_TEST(r.cells(13) == kOnes);
  r.hbm.read(8);   // row 2 (the open row was 7): 2
  r.hbm.read(9);   // still open
  r.hbm.read(17);  // row 4: 3
  BOOST_TEST(r.cells(13) == with(kOnes, 2, false));

  Rig s({rowhammer(true, 2)});
  s.hbm.set_refresh(false);
  s.write_all(kOnes);
  s.hbm.hammer(0, 3, 1);
  s.hbm.element_done(8, 4, 1);  // row 2 swept: 1
  BOOST_TEST(s.cells(13) == kOnes);
  s.hbm.element_done(8, 4, 1);
  BOOST_TEST(s.cells(13) == with(kOnes, 2, false));

  Rig t({rowhammer(true, 2)});
  t.hbm.set_refresh(false);
  t.write_all(kOnes);
  t.hbm.element_done(0, 32, 1);  // the victim row was swept too: restored
  t.hbm.element_done(0, 32, 1);
  t.hbm.element_done(0, 32, 1);
  BOOST_TEST(t.cells(13) == kOnes);
}

BOOST_AUTO_TEST_CASE(hammer_outside_the_array) {
  Rig r({});
  BOOST_CHECK_EXCEPTION(r.hbm.hammer(1, 0, 1), InvalidArgumentError,
                        testing::error_with(ErrorCode::invalid_argument, "bank 1"));
  BOOST_CHECK_EXCEPTION(r.hbm.hammer(0, 8, 1), InvalidArgumentError,
                        testing::error_with(ErrorCode::invalid_argument, "row 8"));
}

BOOST_AUTO_TEST_CASE(sweeps_find_the_rows_of_a_bank) {
  // 2 stacks × 2 channels × 2 banks, 4 rows of 8 columns: a row of one bank is 2 runs of 4 words.
  const chip::HbmGeometry g{.stacks = 2, .channels = 2, .banks = 2, .rows = 4, .columns = 8};
  const chip::PhysicalAddress victim{.stack = 1, .channel = 0, .bank = 1, .row = 2, .column = 5};
  MemoryFault f = cell_fault(FaultClass::rowhammer, g.to_word(victim), 0, true);
  f.hammer_threshold = 1;
  for (std::uint64_t first = 0; first < g.words(); first += 3) {
    for (std::uint64_t n : {1u, 2u, 5u, 17u}) {
      if (first + n > g.words()) continue;
      bool neighbour = false;
      bool own = false;
      for (std::uint64_t w = first; w < first + n; ++w) {
        const auto p = g.to_physical(w);
        if (g.bank_index(p) != g.bank_index(victim)) continue;
        own |= p.row == 2;
        neighbour |= p.row == 1 || p.row == 3;
      }
      Rig r({f}, g);
      r.hbm.set_refresh(false);
      r.write(g.to_word(victim), kOnes);
      r.hbm.element_done(first, n, 1);
      const bool flipped = r.cells(g.to_word(victim)) != kOnes;
      BOOST_TEST(flipped == (neighbour && !own), "sweep of " << n << " words from " << first);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

// ---- ECC ----------------------------------------------------------------------------------------------

BOOST_AUTO_TEST_SUITE(hbm_ecc)

// Flips bit i (0..71) of the codeword.
void flip(std::uint64_t& data, std::uint8_t& check, int i) {
  if (i < 64)
    data ^= bit(i);
  else
    check = static_cast<std::uint8_t>(check ^ (1u << (i - 64)));
}

BOOST_AUTO_TEST_CASE(secded_corrects_one_and_detects_two) {
  std::mt19937_64 rng(42);
  std::vector<std::uint64_t> samples = {0, kOnes, 1, bit(63), 0x5555555555555555, 0xAAAAAAAAAAAAAAAA};
  for (int i = 0; i < 40; ++i) samples.push_back(rng());
  BOOST_TEST(secded_check_bits(0) == 0u);
  for (std::uint64_t d : samples) {
    const std::uint8_t c = secded_check_bits(d);
    const SecdedResult clean = secded_decode(d, c);
    BOOST_TEST((clean.kind == SecdedResult::Kind::clean));
    BOOST_TEST(clean.data == d);
    BOOST_TEST(clean.bit == -1);
    for (int i = 0; i < 72; ++i) {
      std::uint64_t data = d;
      std::uint8_t check = c;
      flip(data, check, i);
      const SecdedResult one = secded_decode(data, check);
      BOOST_TEST((one.kind == SecdedResult::Kind::corrected), "flip of bit " << i);
      BOOST_TEST(one.data == d, "flip of bit " << i);
      BOOST_TEST(one.bit == i);
      for (int j = i + 1; j < 72; ++j) {
        std::uint64_t data2 = data;
        std::uint8_t check2 = check;
        flip(data2, check2, j);
        const SecdedResult two = secded_decode(data2, check2);
        if (two.kind != SecdedResult::Kind::uncorrectable || two.data != data2)
          BOOST_ERROR("flips of bits " << i << " and " << j << " of " << d << " not detected");
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(check_bits_differ_in_at_least_three_places_across_the_code) {
  // Minimum distance 4: any two distinct data words differing in one bit have check bits differing in
  // at least three.
  std::mt19937_64 rng(3);
  for (int n = 0; n < 200; ++n) {
    const std::uint64_t d = rng();
    for (int i = 0; i < 64; ++i)
      BOOST_TEST(std::popcount(static_cast<unsigned>(secded_check_bits(d) ^ secded_check_bits(d ^ bit(i)))) >=
                 3);
  }
}

std::uint64_t host_word(HbmArray& hbm, std::uint64_t word) {
  std::uint64_t v = 0;
  hbm.read(word * 8, std::span(reinterpret_cast<std::uint8_t*>(&v), 8));
  return v;
}

void host_write_word(HbmArray& hbm, std::uint64_t word, std::uint64_t v) {
  hbm.write(word * 8, std::span(reinterpret_cast<const std::uint8_t*>(&v), 8));
}

BOOST_AUTO_TEST_CASE(single_errors_are_corrected_counted_and_logged) {
  Rig r({});
  BOOST_TEST(r.hbm.ecc_enabled());
  host_write_word(r.hbm, 6, 0x1234);
  r.hbm.inject_error(6, bit(17));
  BOOST_TEST(r.hbm.next_special(0) == 6u, "an injected word is modelled");
  BOOST_TEST(r.hbm.read(6) == (0x1234 ^ bit(17)), "MarchMemory reads are raw");
  BOOST_TEST(r.hbm.ecc_status().corrected == 0u);
  BOOST_TEST(host_word(r.hbm, 6) == 0x1234u);
  BOOST_TEST(host_word(r.hbm, 6) == 0x1234u);
  BOOST_TEST(r.hbm.ecc_status().corrected == 2u, "counted at every read");
  BOOST_TEST(r.hbm.ecc_status().uncorrectable == 0u);
  BOOST_TEST(r.hbm.ecc_status().last_error_address.value_or(0) == 48u);
  BOOST_TEST(!r.hbm.ecc_status().last_error_uncorrectable);
  BOOST_TEST(host_word(r.hbm, 5) == 0u, "other words are clean");
  BOOST_TEST(r.hbm.ecc_status().corrected == 2u);

  r.hbm.set_ecc_enabled(false);
  BOOST_TEST(!r.hbm.ecc_enabled());
  BOOST_TEST(host_word(r.hbm, 6) == (0x1234 ^ bit(17)), "ECC off: raw cells");
  BOOST_TEST(r.hbm.ecc_status().corrected == 2u);
  r.hbm.set_ecc_enabled(true);

  host_write_word(r.hbm, 6, 0x99);  // a write stores fresh check bits
  BOOST_TEST(host_word(r.hbm, 6) == 0x99u);
  BOOST_TEST(r.hbm.ecc_status().corrected == 2u);

  r.hbm.inject_error(6, bit(64 - 1));
  r.hbm.inject_error(7, bit(0));
  std::vector<std::uint8_t> both(16);
  r.hbm.read(48, both);
  BOOST_TEST(r.hbm.ecc_status().corrected == 4u);
  BOOST_TEST(r.hbm.ecc_status().last_error_address.value_or(0) == 56u, "the last error's address");
  BOOST_TEST(both[0] == 0x99u);
  BOOST_TEST(both[8] == 0u);
}

BOOST_AUTO_TEST_CASE(double_errors_are_detected) {
  Rig r({});
  host_write_word(r.hbm, 3, 0xF0);
  r.hbm.inject_error(3, bit(1) | bit(60));
  BOOST_TEST(host_word(r.hbm, 3) == (0xF0 ^ bit(1) ^ bit(60)), "returned raw");
  BOOST_TEST(r.hbm.ecc_status().uncorrectable == 1u);
  BOOST_TEST(r.hbm.ecc_status().corrected == 0u);
  BOOST_TEST(r.hbm.ecc_status().last_error_uncorrectable);
  BOOST_TEST(r.hbm.ecc_status().last_error_address.value_or(0) == 24u);
  r.hbm.inject_error(9, bit(4));
  host_word(r.hbm, 9);
  BOOST_TEST(r.hbm.ecc_status().corrected == 1u);
  BOOST_TEST(!r.hbm.ecc_status().last_error_uncorrectable);

  r.hbm.clear_ecc_counters(true, false);
  BOOST_TEST(r.hbm.ecc_status().corrected == 0u);
  BOOST_TEST(r.hbm.ecc_status().uncorrectable == 1u);
  BOOST_TEST(r.hbm.ecc_status().last_error_address.has_value());
  r.hbm.clear_ecc_counters(false, true);
  BOOST_TEST(r.hbm.ecc_status().uncorrectable == 0u);
  BOOST_TEST(!r.hbm.ecc_status().last_error_address.has_value());
}

BOOST_AUTO_TEST_CASE(faults_are_seen_through_ecc) {
  Rig r({cell_fault(FaultClass::saf, 4, 9, true), cell_fault(FaultClass::saf, 12, 1, true),
         cell_fault(FaultClass::saf, 12, 2, true)});
  host_write_word(r.hbm, 4, 0);
  host_write_word(r.hbm, 12, 0);
  BOOST_TEST(host_word(r.hbm, 4) == 0u, "one stuck cell is corrected");
  BOOST_TEST(host_word(r.hbm, 12) == 0x6u, "two are detected");
  BOOST_TEST(r.hbm.ecc_status().corrected == 1u);
  BOOST_TEST(r.hbm.ecc_status().uncorrectable == 1u);
  BOOST_TEST(r.hbm.read(4) == bit(9));
}

BOOST_AUTO_TEST_CASE(partial_writes_correct_before_merging) {
  Rig r({});
  host_write_word(r.hbm, 2, 0x1122334455667788);
  r.hbm.inject_error(2, bit(62));
  const std::uint8_t b = 0xEE;
  r.hbm.write(2 * 8 + 1, std::span(&b, 1));  // read-modify-write through ECC
  BOOST_TEST(r.hbm.ecc_status().corrected == 1u);
  BOOST_TEST(r.hbm.read(2) == 0x112233445566EE88u, "the stored word is clean again");
  BOOST_TEST(host_word(r.hbm, 2) == 0x112233445566EE88u);
  BOOST_TEST(r.hbm.ecc_status().corrected == 1u);
}

BOOST_AUTO_TEST_CASE(inject_error_outside_the_array) {
  Rig r({});
  BOOST_CHECK_EXCEPTION(r.hbm.inject_error(32, 1), InvalidArgumentError,
                        testing::error_with(ErrorCode::invalid_argument, "0x20"));
}

BOOST_AUTO_TEST_SUITE_END()

// ---- host path, construction ---------------------------------------------------------------------------

BOOST_AUTO_TEST_SUITE(hbm_host)

std::vector<MemoryFault> assorted_faults() {
  MemoryFault up = coupling(FaultClass::cfid, {.word = 3, .bit = 8}, {.word = 17, .bit = 60});
  up.value = true;
  MemoryFault ds = coupling(FaultClass::cfds, {.word = 20, .bit = 0}, {.word = 21, .bit = 5});
  ds.value = true;
  ds.aggressor_state = true;
  return {cell_fault(FaultClass::saf, 1, 3, true),
          cell_fault(FaultClass::rdf, 6, 33, true),
          cell_fault(FaultClass::tf, 9, 7, true),
          cell_fault(FaultClass::sof, 12, 0, false),
          cell_fault(FaultClass::wdf, 13, 63, false),
          cell_fault(FaultClass::irf, 16, 12, false),
          up,
          ds,
          address_fault(AfKind::alias, 25, 26),
          address_fault(AfKind::multi_or, 30, 31)};
}

// The per-word model of a host access: plain words from storage, special words through read()/write()
// in ascending order, partial special words read-modify-written.
void reference_write(HbmArray& hbm, std::uint64_t address, std::span<const std::uint8_t> data) {
  auto* bytes = reinterpret_cast<std::uint8_t*>(hbm.storage());
  for (std::uint64_t a = address; a < address + data.size();) {
    const std::uint64_t w = a / 8;
    const std::uint64_t hi = std::min<std::uint64_t>(address + data.size(), w * 8 + 8);
    if (hbm.next_special(w) != w) {
      std::memcpy(bytes + a, data.data() + (a - address), hi - a);
    } else {
      std::uint64_t v = hi - a == 8 ? 0 : hbm.read(w);
      std::memcpy(reinterpret_cast<std::uint8_t*>(&v) + (a - w * 8), data.data() + (a - address), hi - a);
      hbm.write(w, v);
    }
    a = hi;
  }
}

void reference_read(HbmArray& hbm, std::uint64_t address, std::span<std::uint8_t> out) {
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(hbm.storage());
  for (std::uint64_t a = address; a < address + out.size();) {
    const std::uint64_t w = a / 8;
    const std::uint64_t hi = std::min<std::uint64_t>(address + out.size(), w * 8 + 8);
    if (hbm.next_special(w) != w) {
      std::memcpy(out.data() + (a - address), bytes + a, hi - a);
    } else {
      const std::uint64_t v = hbm.read(w);
      std::memcpy(out.data() + (a - address), reinterpret_cast<const std::uint8_t*>(&v) + (a - w * 8),
                  hi - a);
    }
    a = hi;
  }
}

std::vector<std::uint64_t> contents(HbmArray& hbm) {
  return {hbm.storage(), hbm.storage() + hbm.words()};
}

BOOST_AUTO_TEST_CASE(bulk_access_equals_the_per_word_model) {
  std::mt19937_64 rng(11);
  FixedEnvironment env_a;
  FixedEnvironment env_b;
  HbmArray bulk(tiny(), assorted_faults(), env_a);
  HbmArray model(tiny(), assorted_faults(), env_b);
  bulk.set_ecc_enabled(false);
  BOOST_TEST(bulk.next_special(0) == 1u);
  BOOST_TEST(bulk.next_special(2) == 3u);
  BOOST_TEST(bulk.next_special(32) == 32u);
  for (int i = 0; i < 3000; ++i) {
    const std::uint64_t a = rng() % 256;
    const std::uint64_t n = 1 + rng() % (256 - a);
    std::vector<std::uint8_t> data(n);
    switch (rng() % 3) {
      case 0:
        for (auto& b : data) b = static_cast<std::uint8_t>(rng());
        bulk.write(a, data);
        reference_write(model, a, data);
        break;
      case 1: {
        const std::uint64_t pattern = rng();
        bulk.fill(a, n, pattern);
        for (std::uint64_t k = 0; k < n; ++k)
          data[k] = static_cast<std::uint8_t>(pattern >> (8 * ((a + k) % 8)));
        reference_write(model, a, data);
        break;
      }
      default: {
        std::vector<std::uint8_t> expected(n);
        bulk.read(a, data);
        reference_read(model, a, expected);
        BOOST_TEST(data == expected, "read of " << n << " bytes at " << a);
        break;
      }
    }
    if (contents(bulk) != contents(model)) {
      BOOST_ERROR("contents differ after operation " << i);
      break;
    }
  }
}

BOOST_AUTO_TEST_CASE(fault_free_bulk_access_is_memory) {
  std::mt19937_64 rng(12);
  FixedEnvironment env;
  HbmArray hbm(tiny(16), {}, env);
  std::vector<std::uint8_t> shadow(hbm.size_bytes(), 0);
  for (int i = 0; i < 3000; ++i) {
    const std::uint64_t a = rng() % shadow.size();
    const std::uint64_t n = rng() % (shadow.size() - a + 1);
    switch (rng() % 3) {
      case 0: {
        std::vector<std::uint8_t> data(n);
        for (auto& b : data) b = static_cast<std::uint8_t>(rng());
        hbm.write(a, data);
        std::copy(data.begin(), data.end(), shadow.begin() + static_cast<std::ptrdiff_t>(a));
        break;
      }
      case 1: {
        const std::uint64_t pattern = rng();
        hbm.fill(a, n, pattern);
        for (std::uint64_t k = a; k < a + n; ++k)
          shadow[k] = static_cast<std::uint8_t>(pattern >> (8 * (k % 8)));
        break;
      }
      default: {
        std::vector<std::uint8_t> data(n);
        hbm.read(a, data);
        BOOST_TEST(std::equal(data.begin(), data.end(), shadow.begin() + static_cast<std::ptrdiff_t>(a)));
        break;
      }
    }
  }
  std::vector<std::uint8_t> all(hbm.size_bytes());
  hbm.read(0, all);
  BOOST_TEST(all == shadow);
  BOOST_TEST(hbm.ecc_status().corrected == 0u);
}

BOOST_AUTO_TEST_CASE(fill_pattern_bytes_follow_the_address) {
  FixedEnvironment env;
  HbmArray hbm(tiny(), {}, env);
  hbm.fill(3, 10, 0x0807060504030201);
  std::vector<std::uint8_t> out(16);
  hbm.read(0, out);
  const std::vector<std::uint8_t> expected = {0, 0, 0, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 0, 0, 0};
  BOOST_TEST(out == expected);
}

BOOST_AUTO_TEST_CASE(clear_zeroes_and_keeps_the_faults) {
  MemoryFault d = cell_fault(FaultClass::drf, 9, 7, true);
  d.retention_ms = 10;
  Rig r({cell_fault(FaultClass::saf, 5, 13, true), d});
  r.hbm.set_refresh(false);
  r.write_all(kOnes);
  r.hbm.inject_error(20, 1);
  r.hbm.wait(9ms);
  r.hbm.clear();
  BOOST_TEST(r.hbm.next_special(10) == 32u, "the injected word is plain again");
  r.expect.assign(32, 0);
  r.expect[5] = bit(13);
  r.check();
  r.write(9, kOnes);
  r.hbm.wait(9ms);
  BOOST_TEST(r.hbm.read(9) == kOnes);
  r.hbm.wait(11ms);
  BOOST_TEST(r.hbm.read(9) == with(kOnes, 7, false));
}

BOOST_AUTO_TEST_CASE(recycled_storage_is_zeroed) {
  FixedEnvironment env;
  std::vector<std::uint64_t> storage;
  {
    HbmArray first(tiny(16), {}, env);
    first.fill(0, first.size_bytes(), kOnes);
    storage = first.release_storage();
  }
  const auto* data = storage.data();
  HbmArray second(tiny(), {}, env, std::move(storage));
  BOOST_TEST(second.storage() == data, "the allocation is reused");
  BOOST_TEST(second.words() == 32u);
  for (std::uint64_t w = 0; w < second.words(); ++w) BOOST_TEST(second.storage()[w] == 0u);
}

BOOST_AUTO_TEST_CASE(model_every_access) {
  Rig r({cell_fault(FaultClass::sof, 5, 0, false)});
  BOOST_TEST(r.hbm.next_special(0) == 5u);
  r.hbm.set_model_every_access(true);
  BOOST_TEST(r.hbm.model_every_access());
  BOOST_TEST(r.hbm.next_special(0) == 0u);
  BOOST_TEST(r.hbm.next_special(31) == 31u);
  BOOST_TEST(r.hbm.next_special(32) == 32u);
  r.hbm.set_model_every_access(false);
  BOOST_TEST(r.hbm.next_special(6) == 32u);
}

BOOST_AUTO_TEST_CASE(faults_outside_the_geometry_are_rejected) {
  FixedEnvironment env;
  auto rejects = [&](const MemoryFault& f, const std::string& needle) {
    BOOST_CHECK_EXCEPTION(HbmArray(tiny(), {f}, env), InvalidArgumentError,
                          testing::error_with(ErrorCode::invalid_argument, needle));
    BOOST_CHECK_EXCEPTION(HbmArray(tiny(), {f}, env), InvalidArgumentError,
                          testing::error_with(ErrorCode::invalid_argument, f.describe()));
  };
  rejects(cell_fault(FaultClass::saf, 32, 0, true), "word 0x20");
  rejects(cell_fault(FaultClass::tf, 3, 64, true), "bit 64");
  rejects(coupling(FaultClass::cfin, {.word = 40, .bit = 0}, {.word = 1, .bit = 0}), "aggressor word 0x28");
  rejects(coupling(FaultClass::cfst, {.word = 4, .bit = 70}, {.word = 1, .bit = 0}), "aggressor bit 70");
  rejects(coupling(FaultClass::cfid, {.word = 4, .bit = 7}, {.word = 4, .bit = 7}), "itself");
  rejects(address_fault(AfKind::alias, 3, 99), "word 0x63");
  rejects(address_fault(AfKind::multi_and, 3, 3), "own word");
  rejects(cell_fault(FaultClass::drf, 3, 0, true), "retention");
  rejects(cell_fault(FaultClass::rowhammer, 3, 0, true), "threshold");
  // Fields a class does not use are not checked; an AF no-cell needs no B.
  MemoryFault saf = cell_fault(FaultClass::saf, 31, 63, true);
  saf.aggressor = {.word = 1000, .bit = 99};
  BOOST_CHECK_NO_THROW(HbmArray(tiny(), {saf, address_fault(AfKind::no_cell, 0, 0)}, env));
  BOOST_CHECK_EXCEPTION(
      HbmArray(chip::HbmGeometry{.stacks = 1, .channels = 1, .banks = 1, .rows = 3, .columns = 4}, {}, env),
      InvalidArgumentError, testing::error_with(ErrorCode::invalid_argument, "rows"));
}

BOOST_AUTO_TEST_CASE(plain_bytes_only_for_ranges_without_faults) {
  Rig r({cell_fault(FaultClass::saf, 5, 3, true)});
  r.write_all(0x1111111111111111ull);
  // Words 0..4 are plain: the stored bytes are the answer.
  const auto plain = r.hbm.plain_bytes(0, 40);
  BOOST_REQUIRE(plain.size() == 40u);
  std::vector<std::uint8_t> via_read(40);
  r.hbm.read(0, via_read);
  BOOST_TEST(std::equal(plain.begin(), plain.end(), via_read.begin()));
  BOOST_TEST(r.hbm.plain_bytes(3, 37).size() == 37u);
  // Any byte of word 5 makes the range go through the model.
  BOOST_TEST(r.hbm.plain_bytes(0, 41).empty());
  BOOST_TEST(r.hbm.plain_bytes(47, 8).empty());
  BOOST_TEST(r.hbm.plain_bytes(48, 16).size() == 16u);
  // An injected error makes its word special from then on.
  r.hbm.inject_error(7, 1);
  BOOST_TEST(r.hbm.plain_bytes(48, 16).empty());
  BOOST_TEST(r.hbm.plain_bytes(64, 8).size() == 8u);
}

BOOST_AUTO_TEST_SUITE_END()

// ---- march tests over the array --------------------------------------------------------------------------

BOOST_AUTO_TEST_SUITE(hbm_march)

constexpr const char* kMarchCMinus = "{⇕(w0);⇑(r0,w1);⇑(r1,w0);⇓(r0,w1);⇓(r1,w0);⇕(r0)}";

chip::MarchResult march(HbmArray& hbm, const char* notation, bool every_access,
                        chip::AddressOrder any = chip::AddressOrder::up, std::uint64_t pattern = 0) {
  hbm.set_model_every_access(every_access);
  chip::MarchOptions options;
  options.words = hbm.words();
  options.any_order = any;
  options.background = chip::DataBackground{.pattern = pattern, .invert_mask = 0};
  options.retention_delay = 100ms;
  return chip::run_march(chip::parse_march(notation), hbm, options);
}

BOOST_AUTO_TEST_CASE(fault_free_arrays_pass) {
  for (bool every : {false, true}) {
    FixedEnvironment env;
    HbmArray small(tiny(), {}, env);
    const auto r = march(small, kMarchCMinus, every);
    BOOST_TEST(r.fail_count == 0u);
    BOOST_TEST(r.operations == 10u * 32u);
    BOOST_TEST(env.now_ns() == 2 * HbmArray::transfer_ns(32 * 8) + 4 * HbmArray::transfer_ns(32 * 2 * 8),
               "each element is charged its transfer time");
  }
  FixedEnvironment env;
  HbmArray big(chip::HbmGeometry::for_size(1 << 20), {}, env);
  BOOST_TEST(march(big, kMarchCMinus, false).fail_count == 0u);
  BOOST_TEST(march(big, kMarchCMinus, true, chip::AddressOrder::down, 0x5A5A).fail_count == 0u);
}

BOOST_AUTO_TEST_CASE(faulty_words_among_plain_ones_pass_when_the_fault_is_not_sensitised) {
  // A stuck-at-0 cell under a background of zeros, read-disturb of a value never written.
  FixedEnvironment env;
  HbmArray hbm(tiny(), {cell_fault(FaultClass::saf, 7, 3, false)}, env);
  BOOST_TEST(march(hbm, "{⇕(w0);⇑(r0);⇓(r0)}", false).fail_count == 0u);
  BOOST_TEST(march(hbm, "{⇕(w0);⇑(r0);⇓(r0)}", true).fail_count == 0u);
}

// March C- detects SAF, TF, AF and unlinked CFin, CFid, CFst between words: one fault at a time, both
// resolutions of ⇕, the fast path and every access modelled. Fails are only ever at the fault's words.
BOOST_AUTO_TEST_CASE(march_c_minus_detects_its_fault_classes) {
  std::vector<MemoryFault> faults;
  for (bool v : {false, true}) {
    faults.push_back(cell_fault(FaultClass::saf, 11, 17, v));
    faults.push_back(cell_fault(FaultClass::tf, 11, 17, v));
  }
  for (AfKind k : {AfKind::no_cell, AfKind::alias, AfKind::multi_and, AfKind::multi_or}) {
    faults.push_back(address_fault(k, 9, 20));
    if (k != AfKind::no_cell) faults.push_back(address_fault(k, 20, 9));
  }
  for (const auto& [a, v] : {std::pair<Cell, Cell>{{.word = 4, .bit = 1}, {.word = 18, .bit = 50}},
                             std::pair<Cell, Cell>{{.word = 18, .bit = 50}, {.word = 4, .bit = 1}}}) {
    for (bool rises : {false, true}) {
      MemoryFault in = coupling(FaultClass::cfin, a, v);
      in.aggressor_rises = rises;
      faults.push_back(in);
      for (bool value : {false, true}) {
        MemoryFault id = coupling(FaultClass::cfid, a, v);
        id.aggressor_rises = rises;
        id.value = value;
        faults.push_back(id);
        MemoryFault st = coupling(FaultClass::cfst, a, v);
        st.aggressor_state = rises;
        st.value = value;
        faults.push_back(st);
      }
    }
  }
  for (const MemoryFault& f : faults) {
    const auto fault_words = f.words();
    for (bool every : {false, true}) {
      // With every access modelled the sense amplifier holds the neighbour's read, as on silicon: a
      // no-cell address is then found only where the neighbour read the other value.
      if (every && f.kind == FaultClass::af && f.af == AfKind::no_cell) continue;
      for (chip::AddressOrder any : {chip::AddressOrder::up, chip::AddressOrder::down}) {
        FixedEnvironment env;
        HbmArray hbm(tiny(), {f}, env);
        const auto r = march(hbm, kMarchCMinus, every, any);
        const std::string ctx = fmt::format("{} every={} any={}", f.describe(), every, static_cast<int>(any));
        BOOST_TEST(r.fail_count > 0u, ctx << ": not detected");
        for (const auto& fail : r.fails) {
          BOOST_TEST((std::find(fault_words.begin(), fault_words.end(), fail.word) != fault_words.end()),
                     ctx << ": fail at word " << fail.word);
          if (f.kind != FaultClass::af) BOOST_TEST(fail.word == f.victim.word, ctx);
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(no_cell_with_exact_sense_amplifier) {
  // The first word of an ascending sweep reads what the sense amplifier kept from the previous
  // element's last read.
  FixedEnvironment env;
  HbmArray hbm(tiny(), {address_fault(AfKind::no_cell, 0, 0)}, env);
  const auto r = march(hbm, kMarchCMinus, true);
  BOOST_TEST(r.fail_count > 0u);
  for (const auto& fail : r.fails) BOOST_TEST(fail.word == 0u);
}

BOOST_AUTO_TEST_CASE(a_delay_element_finds_retention_faults) {
  MemoryFault f = cell_fault(FaultClass::drf, 21, 30, true);
  f.retention_ms = 50;
  const char* alg = "{⇕(w0);⇑(r0,w1);Del;⇕(r1,w0);Del;⇕(r0)}";
  for (bool every : {false, true}) {
    FixedEnvironment env;
    HbmArray off(tiny(), {f}, env);
    off.set_refresh(false);
    const auto r = march(off, alg, every);
    BOOST_TEST(r.fail_count == 1u);
    BOOST_TEST(r.fails.at(0).word == 21u);
    BOOST_TEST(r.fails.at(0).actual == (kOnes ^ bit(30)));
    BOOST_TEST(r.fails.at(0).element == 3u);

    FixedEnvironment env_on;
    HbmArray on(tiny(), {f}, env_on);  // refreshed every 32 ms: the cell holds
    BOOST_TEST(march(on, alg, every).fail_count == 0u);
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace seedval::sim

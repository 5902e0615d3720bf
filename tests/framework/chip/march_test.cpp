// Tests for seedval/chip/march.h: the notation (every algorithm of the reference table, Unicode and
// ASCII, errors with their offsets, canonical text), the binary form (exact bytes, round trips, every
// truncation, garbage), and the interpreter: exact access sequences against a hand-written reference,
// delays, fail log bounds, data backgrounds, and the storage fast path against the read()/write() path on
// memories with misbehaving special words and corrupted plain words.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <map>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <fmt/core.h>

#include <seedval/chip/march.h>
#include <seedval/core/error.h>

#include "support/errors.h"

namespace seedval::chip {

inline std::ostream& boost_test_print_type(std::ostream& os, const MarchAlgorithm& a) {
  return os << (a.name.empty() ? "" : a.name + " ") << a.notation();
}

inline std::ostream& boost_test_print_type(std::ostream& os, const MarchFail& f) {
  return os << fmt::format("{{word {} expected {:#x} actual {:#x} element {} op {}}}", f.word, f.expected,
                           f.actual, f.element, f.op);
}

namespace {

using namespace std::chrono_literals;
using Kind = MarchOp::Kind;

constexpr MarchOp r0{.kind = Kind::read, .inverted = false};
constexpr MarchOp r1{.kind = Kind::read, .inverted = true};
constexpr MarchOp w0{.kind = Kind::write, .inverted = false};
constexpr MarchOp w1{.kind = Kind::write, .inverted = true};

MarchElement element(AddressOrder order, std::vector<MarchOp> ops) {
  return {.order = order, .ops = std::move(ops), .is_delay = false, .delay = 0us};
}

MarchElement del(std::chrono::microseconds d = 0us) {
  return {.order = AddressOrder::any, .ops = {}, .is_delay = true, .delay = d};
}

struct TableEntry {
  std::string name;
  std::string unicode;  // as printed in the reference table
  std::string ascii;    // written by hand, with the ASCII synonyms varied
  std::size_t length;
  std::size_t elements;
  std::size_t delays;
};

// /work/shared/reference/memory-faults.md, "March tests".
const std::vector<TableEntry>& table() {
  static const std::vector<TableEntry> t{
      {"MATS+", "{⇕(w0); ⇑(r0,w1); ⇓(r1,w0)}", "{b(w0); u(r0,w1); d(r1,w0)}", 5, 3, 0},
      {"MATS++", "{⇕(w0); ⇑(r0,w1); ⇓(r1,w0,r0)}", "{any(w0); up(r0,w1); down(r1,w0,r0)}", 6, 3, 0},
      {"March X", "{⇕(w0); ⇑(r0,w1); ⇓(r1,w0); ⇕(r0)}", "{x(w0); ^(r0,w1); v(r1,w0); *(r0)}", 6, 4, 0},
      {"March Y", "{⇕(w0); ⇑(r0,w1,r1); ⇓(r1,w0,r0); ⇕(r0)}", "{B(W0); U(R0,W1,R1); D(R1,W0,R0); B(R0)}", 8,
       4, 0},
      {"March C-", "{⇕(w0); ⇑(r0,w1); ⇑(r1,w0); ⇓(r0,w1); ⇓(r1,w0); ⇕(r0)}",
       "{b(w0); u(r0,w1); u(r1,w0); d(r0,w1); d(r1,w0); b(r0)}", 10, 6, 0},
      {"March A", "{⇕(w0); ⇑(r0,w1,w0,w1); ⇑(r1,w0,w1); ⇓(r1,w0,w1,w0); ⇓(r0,w1,w0)}",
       "{b(w0);u(r0,w1,w0,w1);u(r1,w0,w1);d(r1,w0,w1,w0);d(r0,w1,w0)}", 15, 5, 0},
      {"March B", "{⇕(w0); ⇑(r0,w1,r1,w0,r0,w1); ⇑(r1,w0,w1); ⇓(r1,w0,w1,w0); ⇓(r0,w1,w0)}",
       "{ b ( w0 ) ; u ( r0 , w1 , r1 , w0 , r0 , w1 ) ; u ( r1 , w0 , w1 ) ;\n"
       "  d ( r1 , w0 , w1 , w0 ) ; d ( r0 , w1 , w0 ) }",
       17, 5, 0},
      {"March U", "{⇕(w0); ⇑(r0,w1,r1,w0); ⇑(r0,w1); ⇓(r1,w0,r0,w1); ⇓(r1,w0)}",
       "{b(w0),u(r0,w1,r1,w0),u(r0,w1),d(r1,w0,r0,w1),d(r1,w0)}", 13, 5, 0},
      {"March LR", "{⇕(w0); ⇓(r0,w1); ⇑(r1,w0,r0,w1); ⇑(r1,w0); ⇑(r0,w1,r1,w0); ⇑(r0)}",
       "{any(w0);down(r0,w1);up(r1,w0,r0,w1);up(r1,w0);up(r0,w1,r1,w0);up(r0)}", 14, 6, 0},
      {"March SR", "{⇓(w0); ⇑(r0,w1,r1,w0); ⇑(r0,r0); ⇑(w1); ⇓(r1,w0,r0,w1); ⇓(r1,r1)}",
       "{d(w0);u(r0,w1,r1,w0);u(r0,r0);u(w1);d(r1,w0,r0,w1);d(r1,r1)}", 14, 6, 0},
      {"March SS",
       "{⇕(w0); ⇑(r0,r0,w0,r0,w1); ⇑(r1,r1,w1,r1,w0); ⇓(r0,r0,w0,r0,w1); ⇓(r1,r1,w1,r1,w0); ⇕(r0)}",
       "{b(w0);u(r0,r0,w0,r0,w1);u(r1,r1,w1,r1,w0);d(r0,r0,w0,r0,w1);d(r1,r1,w1,r1,w0);b(r0)}", 22, 6, 0},
      {"March RAW",
       "{⇕(w0); ⇑(r0,w0,r0,r0,w1,r1); ⇑(r1,w1,r1,r1,w0,r0); ⇓(r0,w0,r0,r0,w1,r1); ⇓(r1,w1,r1,r1,w0,r0); "
       "⇕(r0)}",
       "{b(w0);u(r0,w0,r0,r0,w1,r1);u(r1,w1,r1,r1,w0,r0);d(r0,w0,r0,r0,w1,r1);d(r1,w1,r1,r1,w0,r0);b(r0)}",
       26, 6, 0},
      {"IFA-13", "{⇕(w0); ⇑(r0,w1,r1); ⇑(r1,w0,r0); ⇓(r0,w1,r1); ⇓(r1,w0,r0); Del; ⇕(r0,w1); Del; ⇕(r1)}",
       "{b(w0);u(r0,w1,r1);u(r1,w0,r0);d(r0,w1,r1);d(r1,w0,r0);del;b(r0,w1);DEL;b(r1)}", 16, 9, 2},
  };
  return t;
}

MarchAlgorithm march_c_minus() {
  return {.name = "March C-",
          .elements = {element(AddressOrder::any, {w0}), element(AddressOrder::up, {r0, w1}),
                       element(AddressOrder::up, {r1, w0}), element(AddressOrder::down, {r0, w1}),
                       element(AddressOrder::down, {r1, w0}), element(AddressOrder::any, {r0})}};
}

// Parses `text`, which must fail with a ConfigError; returns the message.
std::string parse_error(const std::string& text, const std::string& name = {}) {
  return testing::expect_error<ConfigError>([&] { parse_march(text, name); }, ErrorCode::config);
}

std::string decode_error(const std::vector<std::uint8_t>& bytes) {
  return testing::expect_error<ProtocolError>([&] { decode_march(bytes); }, ErrorCode::protocol);
}

// ---- test memories -----------------------------------------------------------------------------------

// The background value of `word`, computed bit by bit from the header's definition.
std::uint64_t background_value(const DataBackground& bg, std::uint64_t word, bool inverted) {
  int parity = 0;
  for (int bit = 0; bit < 64; ++bit) parity ^= static_cast<int>(((word & bg.invert_mask) >> bit) & 1u);
  const bool flip = (parity != 0) != inverted;
  return flip ? ~bg.pattern : bg.pattern;
}

// One event seen by a test memory.
struct Event {
  char kind;  // 'r' read, 'w' write, 't' wait, 'e' element_done
  std::uint64_t word;
  std::uint64_t value;  // written or read value; wait: microseconds; element_done: words * 1000 + ops
  friend bool operator==(const Event&, const Event&) = default;
};

inline std::ostream& operator<<(std::ostream& os, const Event& e) {
  return os << e.kind << "(" << e.word << "," << fmt::format("{:#x}", e.value) << ")";
}

// Misbehaviour of one special word.
struct Misbehaviour {
  std::uint64_t stuck0 = 0;     // bits that always store 0
  std::uint64_t stuck1 = 0;     // bits that always store 1
  std::uint64_t read_flip = 0;  // bits of the cell that flip after every read (returned value intact)
  std::uint64_t read_xor = 0;   // bits returned inverted (the cell keeps its value)
  std::uint64_t decay = 0;      // bits that read 0 after any wait()
  std::uint64_t victim = 0;     // a write that changes this word flips victim_bits of word `victim`
  std::uint64_t victim_bits = 0;
};

// Memory of plain words and misbehaving special words. With `expose`, storage() and next_special() offer
// the fast path and any read()/write() of a plain word is counted as a contract violation.
class TestMemory final : public MarchMemory {
 public:
  TestMemory(std::vector<std::uint64_t> cells, std::map<std::uint64_t, Misbehaviour> special, bool expose,
             bool log = false)
      : cells_(std::move(cells)), special_(std::move(special)), expose_(expose), log_(log) {}

  std::uint64_t words() const override { return cells_.size(); }

  std::uint64_t read(std::uint64_t word) override {
    BOOST_REQUIRE_LT(word, cells_.size());
    std::uint64_t v = cells_[word];
    const auto it = special_.find(word);
    if (it == special_.end()) {
      if (expose_) ++plain_accesses;
    } else {
      cells_[word] ^= it->second.read_flip;
      v ^= it->second.read_xor;
    }
    if (log_) events.push_back({'r', word, v});
    return v;
  }

  void write(std::uint64_t word, std::uint64_t value) override {
    BOOST_REQUIRE_LT(word, cells_.size());
    if (log_) events.push_back({'w', word, value});
    const auto it = special_.find(word);
    if (it == special_.end()) {
      if (expose_) ++plain_accesses;
      cells_[word] = value;
      return;
    }
    const Misbehaviour& m = it->second;
    const std::uint64_t old = cells_[word];
    cells_[word] = (value & ~m.stuck0) | m.stuck1;
    if (m.victim_bits != 0 && cells_[word] != old) cells_[m.victim] ^= m.victim_bits;
  }

  void wait(std::chrono::microseconds duration) override {
    waits.push_back(duration);
    if (log_) events.push_back({'t', 0, static_cast<std::uint64_t>(duration.count())});
    for (const auto& [word, m] : special_) cells_[word] &= ~m.decay;
  }

  std::uint64_t* storage() override { return expose_ ? cells_.data() : nullptr; }

  std::uint64_t next_special(std::uint64_t word) const override {
    ++next_special_calls;
    const auto it = special_.lower_bound(word);
    return it == special_.end() ? cells_.size() : it->first;
  }

  void element_done(std::uint64_t first_word, std::uint64_t words, std::size_t ops_per_word) override {
    done.push_back({'e', first_word, words * 1000 + ops_per_word});
    if (log_) events.push_back(done.back());
  }

  const std::vector<std::uint64_t>& cells() const { return cells_; }

  std::vector<Event> events;
  std::vector<Event> done;
  std::vector<std::chrono::microseconds> waits;
  std::uint64_t plain_accesses = 0;
  mutable std::uint64_t next_special_calls = 0;

 private:
  std::vector<std::uint64_t> cells_;
  std::map<std::uint64_t, Misbehaviour> special_;
  bool expose_;
  bool log_;
};

// The interpreter as the header describes it, written independently of the library: every word, every
// operation, through read()/write().
MarchResult reference_run(const MarchAlgorithm& a, MarchMemory& m, const MarchOptions& o) {
  MarchResult r;
  for (std::size_t e = 0; e < a.elements.size(); ++e) {
    const MarchElement& el = a.elements[e];
    if (el.is_delay) {
      m.wait(el.delay.count() != 0 ? el.delay : o.retention_delay);
      continue;
    }
    const bool down = el.order == AddressOrder::down ||
                      (el.order == AddressOrder::any && o.any_order == AddressOrder::down);
    for (std::uint64_t i = 0; i < o.words; ++i) {
      const std::uint64_t w = o.first_word + (down ? o.words - 1 - i : i);
      for (std::size_t k = 0; k < el.ops.size(); ++k) {
        const std::uint64_t v = background_value(o.background, w, el.ops[k].inverted);
        ++r.operations;
        if (el.ops[k].kind == Kind::write) {
          m.write(w, v);
          continue;
        }
        const std::uint64_t got = m.read(w);
        if (got == v) continue;
        ++r.fail_count;
        if (r.fails.size() < o.max_fails)
          r.fails.push_back({.word = w,
                             .expected = v,
                             .actual = got,
                             .element = static_cast<std::uint16_t>(e),
                             .op = static_cast<std::uint16_t>(k)});
      }
    }
    m.element_done(o.first_word, o.words, el.ops.size());
  }
  return r;
}

void check_same(const MarchResult& got, const MarchResult& want, const std::string& what) {
  BOOST_TEST_CONTEXT(what) {
    BOOST_TEST(got.fail_count == want.fail_count);
    BOOST_TEST(got.operations == want.operations);
    BOOST_TEST(got.fails.size() == want.fails.size());
    const std::size_t n = std::min(got.fails.size(), want.fails.size());
    for (std::size_t i = 0; i < n; ++i)
      if (!(got.fails[i] == want.fails[i])) {
        BOOST_TEST(got.fails[i] == want.fails[i], "fail " << i);
        break;
      }
  }
}

std::vector<MarchAlgorithm> table_algorithms() {
  std::vector<MarchAlgorithm> out;
  for (const TableEntry& t : table()) out.push_back(parse_march(t.unicode, t.name));
  return out;
}

MarchAlgorithm random_algorithm(std::mt19937_64& rng) {
  MarchAlgorithm a;
  const std::size_t n = 1 + rng() % 6;
  for (std::size_t i = 0; i < n; ++i) {
    if (rng() % 8 == 0) {
      a.elements.push_back(del(std::chrono::microseconds(rng() % 2 == 0 ? 0 : 1 + rng() % 1000)));
      continue;
    }
    MarchElement e = element(static_cast<AddressOrder>(rng() % 3), {});
    const std::size_t ops = 1 + rng() % 6;
    for (std::size_t k = 0; k < ops; ++k)
      e.ops.push_back({.kind = rng() % 2 == 0 ? Kind::read : Kind::write, .inverted = rng() % 2 == 0});
    a.elements.push_back(std::move(e));
  }
  return a;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(chip_march)

// ---- notation ----------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(every_algorithm_of_the_reference_table_parses_in_unicode_and_ascii) {
  for (const TableEntry& t : table()) {
    BOOST_TEST_CONTEXT(t.name) {
      const MarchAlgorithm u = parse_march(t.unicode, t.name);
      const MarchAlgorithm a = parse_march(t.ascii, t.name);
      BOOST_TEST(u == a);
      BOOST_TEST(u.name == t.name);
      BOOST_TEST(u.length() == t.length);
      BOOST_TEST(u.elements.size() == t.elements);
      const auto delays = std::count_if(u.elements.begin(), u.elements.end(),
                                        [](const MarchElement& e) { return e.is_delay; });
      BOOST_TEST(static_cast<std::size_t>(delays) == t.delays);
      for (const MarchElement& e : u.elements)
        if (e.is_delay) BOOST_TEST(e.delay.count() == 0);
    }
  }
}

BOOST_AUTO_TEST_CASE(march_c_minus_parses_to_its_elements) {
  BOOST_TEST(parse_march(table()[4].unicode, "March C-") == march_c_minus());
  BOOST_TEST(parse_march("{↕(w0);↑(r0,w1);↑(r1,w0);↓(r0,w1);↓(r1,w0);↕(r0)}", "March C-") == march_c_minus());
  BOOST_TEST(march_c_minus().length() == 10u);
}

BOOST_AUTO_TEST_CASE(whitespace_and_case_do_not_matter) {
  const MarchAlgorithm want{
      .name = "",
      .elements = {element(AddressOrder::any, {w0}), element(AddressOrder::up, {r0, w1}),
                   element(AddressOrder::down, {r1, w0, r0})}};
  for (const std::string text :
       {"{⇕(w0);⇑(r0,w1);⇓(r1,w0,r0)}", "  { ⇕ ( W0 ) ;\t⇑ ( R0 , w1 ) ;\n ⇓(r1, W0, r0) }  ",
        "{ANY(w0); UP(r0,w1); DOWN(r1,w0,r0)}", "{Any(w0), Up(r0,w1), Down(r1,w0,r0)}",
        "{*(w0);^(r0,w1);V(r1,w0,r0)}", "{X(w0);u(r0,w1);d(r1,w0,r0)}",
        "{\xC2\xA0"
        "b(w0);u(r0,w1);d(r1,w0,r0)}"}) {
    BOOST_TEST(parse_march(text) == want, text);
  }
}

BOOST_AUTO_TEST_CASE(delays_parse_with_and_without_a_duration) {
  const MarchAlgorithm a =
      parse_march("{⇕(w0); Del; ⇕(r0); Del(64ms); del(100us); DEL ( 1 s ); Del(2µs); Del(3MS)}");
  BOOST_REQUIRE_EQUAL(a.elements.size(), 8u);
  const std::vector<std::chrono::microseconds> want{0us, 64ms, 100us, 1s, 2us, 3ms};
  std::vector<std::chrono::microseconds> got;
  for (const MarchElement& e : a.elements)
    if (e.is_delay) {
      got.push_back(e.delay);
      BOOST_TEST(e.ops.empty());
    }
  BOOST_TEST((got == want), "delays");
  BOOST_TEST(a.length() == 2u);
}

BOOST_AUTO_TEST_CASE(parse_errors_name_the_offset_and_what_was_expected) {
  struct Case {
    std::string text;
    std::string message;
  };
  const std::vector<Case> cases{
      {"{b(w0);u(r0,x1)}", "march notation: offset 12: expected 'r' or 'w', found 'x'"},
      {"{⇕(w0);⇑(r0,x1)}", "march notation: offset 16: expected 'r' or 'w', found 'x'"},
      {"{u(r2)}", "march notation: offset 4: expected 0 or 1 after 'r', found '2'"},
      {"{u(w)}", "march notation: offset 4: expected 0 or 1 after 'w', found ')'"},
      {"{u()}", "march notation: offset 3: expected 'r' or 'w', found ')'"},
      {"{u(r0,)}", "march notation: offset 6: expected 'r' or 'w', found ')'"},
      {"{}", "march notation: offset 1: expected an address order (⇑ ⇓ ⇕, u d b) or Del, found '}'"},
      {"{u(r0);;d(r0)}",
       "march notation: offset 7: expected an address order (⇑ ⇓ ⇕, u d b) or Del, found ';'"},
      {"{u(r0);}", "march notation: offset 7: expected an address order (⇑ ⇓ ⇕, u d b) or Del, found '}'"},
      {"{(r0)}", "march notation: offset 1: expected an address order (⇑ ⇓ ⇕, u d b) or Del, found '('"},
      {"{u(r0); q(r0)}", "march notation: offset 8: unknown address order \"q\""},
      {"{u(r0); upward(r0)}", "march notation: offset 8: unknown address order \"upward\""},
      {"{⇒(r0)}",
       "march notation: offset 1: expected an address order (⇑ ⇓ ⇕, u d b) or Del, found '⇒' (U+21D2)"},
      {"u(r0)", "march notation: offset 0: expected '{', found 'u'"},
      {"", "march notation: offset 0: expected '{', found the end of the text"},
      {"{u(r0)", "march notation: offset 6: expected ';' or '}', found the end of the text"},
      {"{u(r0)}x", "march notation: offset 7: expected the end after '}', found 'x'"},
      {"{u(r0 w1)}", "march notation: offset 6: expected ',' or ')', found 'w'"},
      {"{⇑ r0}", "march notation: offset 5: expected '(' after the address order, found 'r'"},
      {"{u r0}", "march notation: offset 1: unknown address order \"ur\""},  // whitespace is ignored
      {"{u(r0)] ", "march notation: offset 6: expected ';' or '}', found ']'"},
      {"{u(r0)\x01}", "march notation: offset 6: expected ';' or '}', found U+0001"},
      {"{u(r0)\xff}", "march notation: offset 6: invalid UTF-8"},
      {"{u(r0)\xe2\x87}", "march notation: offset 6: invalid UTF-8"},
      {"{Del(64)}", "march notation: offset 7: expected a unit (us, ms or s), found ')'"},
      {"{Del(64ns)}", "march notation: offset 7: expected a unit (us, ms or s), found 'n'"},
      {"{Del(ms)}", "march notation: offset 5: expected a duration in digits, found 'm'"},
      {"{Del(0ms)}", "march notation: offset 5: an explicit delay must be longer than zero"},
      {"{Del(64ms}", "march notation: offset 9: expected ')' after the delay, found '}'"},
      {"{Del(99999999999999999999us)}", "march notation: offset 5: delay too long"},
      {"{Del(10000000000000s)}", "march notation: offset 5: delay too long"},
      {"{Del(9223372036854775807us)}x", "march notation: offset 28: expected the end after '}', found 'x'"},
      {"{Del5}", "march notation: offset 4: expected ';' or '}', found '5'"},
  };
  for (const Case& c : cases) CHECK_STARTS_WITH(parse_error(c.text), c.message);
}

BOOST_AUTO_TEST_CASE(parse_errors_name_the_algorithm) {
  const std::string msg = parse_error("{u(x0)}", "March Q");
  BOOST_TEST(msg == "march notation \"March Q\": offset 3: expected 'r' or 'w', found 'x'");
}

BOOST_AUTO_TEST_CASE(notation_limits_are_256_elements_of_64_operations) {
  std::string ok = "{";
  for (int i = 0; i < 256; ++i) ok += i == 0 ? "u(w0)" : ";u(w0)";
  BOOST_TEST(parse_march(ok + "}").elements.size() == 256u);
  CHECK_CONTAINS(parse_error(ok + ";u(w0)}"), "more than 256 elements");

  std::string ops = "{u(r0";
  for (int i = 1; i < 64; ++i) ops += ",r0";
  BOOST_TEST(parse_march(ops + ")}").length() == 64u);
  CHECK_CONTAINS(parse_error(ops + ",r0)}"), "offset 195: more than 64 operations in one element");
}

BOOST_AUTO_TEST_CASE(notation_is_canonical_and_reparses) {
  BOOST_TEST(march_c_minus().notation() == "{⇕(w0);⇑(r0,w1);⇑(r1,w0);⇓(r0,w1);⇓(r1,w0);⇕(r0)}");
  BOOST_TEST(march_c_minus().ascii() == "{b(w0);u(r0,w1);u(r1,w0);d(r0,w1);d(r1,w0);b(r0)}");
  const MarchAlgorithm delays{.name = "d",
                              .elements = {element(AddressOrder::up, {w1}), del(), del(64ms), del(2s),
                                           del(1500us), del(7us), element(AddressOrder::down, {r1})}};
  BOOST_TEST(delays.notation() == "{⇑(w1);Del;Del(64ms);Del(2s);Del(1500us);Del(7us);⇓(r1)}");
  BOOST_TEST(delays.ascii() == "{u(w1);Del;Del(64ms);Del(2s);Del(1500us);Del(7us);d(r1)}");
  BOOST_TEST(parse_march(delays.notation(), "d") == delays);
  BOOST_TEST(parse_march(delays.ascii(), "d") == delays);
  for (const MarchAlgorithm& a : table_algorithms()) {
    BOOST_TEST(parse_march(a.notation(), a.name) == a);
    BOOST_TEST(parse_march(a.ascii(), a.name) == a);
  }
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200; ++i) {
    const MarchAlgorithm a = random_algorithm(rng);
    BOOST_TEST(parse_march(a.notation()) == a, a.notation());
    BOOST_TEST(parse_march(a.ascii()) == a, a.ascii());
  }
}

BOOST_AUTO_TEST_CASE(length_counts_operations_per_word) {
  BOOST_TEST(MarchAlgorithm{}.length() == 0u);
  BOOST_TEST(parse_march("{u(w0);Del(1s);d(r0,r0,w1)}").length() == 4u);
}

// ---- binary form -------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(encoding_matches_the_documented_format) {
  const MarchAlgorithm a{.name = "",
                         .elements = {element(AddressOrder::any, {w0}), element(AddressOrder::up, {r0, w1}),
                                      element(AddressOrder::down, {r1}), del(64ms), del()}};
  const std::vector<std::uint8_t> want{0x05, 0x00,                                       // 5 elements
                                       0x02, 0x01, 0x01,                                 // any (w0)
                                       0x00, 0x02, 0x00, 0x03,                           // up (r0,w1)
                                       0x01, 0x01, 0x02,                                 // down (r1)
                                       0x03, 0x00, 0x00, 0xFA, 0x00, 0x00, 0, 0, 0, 0,   // Del(64000us)
                                       0x03, 0x00, 0,    0,    0,    0,    0, 0, 0, 0};  // Del
  BOOST_TEST(encode_march(a) == want);
  BOOST_TEST(decode_march(want) == a);
}

BOOST_AUTO_TEST_CASE(encoding_round_trips) {
  for (MarchAlgorithm a : table_algorithms()) {
    a.name.clear();  // the binary form does not carry it
    BOOST_TEST(decode_march(encode_march(a)) == a);
  }
  std::mt19937_64 rng(11);
  for (int i = 0; i < 200; ++i) {
    const MarchAlgorithm a = random_algorithm(rng);
    BOOST_TEST(decode_march(encode_march(a)) == a, a.notation());
  }
  MarchAlgorithm big;
  for (int i = 0; i < 256; ++i)
    big.elements.push_back(element(AddressOrder::down, std::vector<MarchOp>(64, w1)));
  big.elements.back() = del(std::chrono::microseconds(std::numeric_limits<std::int64_t>::max()));
  BOOST_TEST(decode_march(encode_march(big)) == big);
}

BOOST_AUTO_TEST_CASE(every_truncation_is_rejected) {
  const std::vector<std::uint8_t> full = encode_march(parse_march(table().back().unicode));
  for (std::size_t n = 0; n < full.size(); ++n) {
    const std::vector<std::uint8_t> cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
    CHECK_STARTS_WITH(decode_error(cut), "march encoding: truncated");
  }
  std::vector<std::uint8_t> longer = full;
  longer.push_back(0);
  BOOST_TEST(decode_error(longer) == "march encoding: 1 trailing byte after the last element");
}

BOOST_AUTO_TEST_CASE(garbage_is_rejected_with_what_is_wrong) {
  struct Case {
    std::vector<std::uint8_t> bytes;
    std::string message;
  };
  const std::vector<Case> cases{
      {{}, "march encoding: truncated: the element count needs 2 bytes at byte 0, 0 left"},
      {{0x01}, "march encoding: truncated: the element count needs 2 bytes at byte 0, 1 left"},
      {{0x00, 0x00}, "march encoding: element count 0"},
      {{0x01, 0x01}, "march encoding: element count 257 exceeds 256"},
      {{0xFF, 0xFF}, "march encoding: element count 65535 exceeds 256"},
      {{0x01, 0x00, 0x04, 0x01, 0x00}, "march encoding: byte 2: element 0 has order 4"},
      {{0x01, 0x00, 0x00, 0x00}, "march encoding: byte 3: element 0 has no operations"},
      {{0x01, 0x00, 0x00, 0x41}, "march encoding: byte 3: element 0 has 65 operations (at most 64)"},
      {{0x01, 0x00, 0x00, 0x01, 0x04}, "march encoding: byte 4: operation 0 of element 0 is 0x04"},
      {{0x01, 0x00, 0x00, 0x02, 0x01, 0x80}, "march encoding: byte 5: operation 1 of element 0 is 0x80"},
      {{0x01, 0x00, 0x03, 0x01, 0x01}, "march encoding: byte 3: delay element 0 has op count 1"},
      {{0x01, 0x00, 0x03, 0x00, 0, 0, 0, 0, 0, 0, 0, 0x80},
       "march encoding: byte 4: delay of element 0 is too long (9223372036854775808 us)"},
      {{0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00}, "march encoding: 2 trailing bytes after the last element"},
      {{0x02, 0x00, 0x00, 0x01, 0x00},
       "march encoding: truncated: the order of element 1 needs 1 byte at byte 5"},
      {{0x01, 0x00, 0x03, 0x00, 0x00},
       "march encoding: truncated: the delay of element 0 needs 8 bytes at byte 4"},
  };
  for (const Case& c : cases) CHECK_STARTS_WITH(decode_error(c.bytes), c.message);
}

BOOST_AUTO_TEST_CASE(decoding_random_bytes_either_fails_or_is_canonical) {
  std::mt19937_64 rng(3);
  const std::vector<std::uint8_t> valid = encode_march(march_c_minus());
  std::size_t accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::vector<std::uint8_t> bytes;
    if (i % 2 == 0) {
      bytes.resize(rng() % 24);
      for (auto& b : bytes) b = static_cast<std::uint8_t>(rng() % 4 == 0 ? rng() : rng() % 4);
      if (bytes.size() >= 2) bytes[1] = 0;
    } else {
      bytes = valid;
      for (int k = 0; k < 1 + static_cast<int>(rng() % 3); ++k)
        bytes[rng() % bytes.size()] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
    }
    try {
      const MarchAlgorithm a = decode_march(bytes);
      ++accepted;
      BOOST_TEST((encode_march(a) == bytes));
    } catch (const ProtocolError& e) {
      BOOST_TEST(e.code() == ErrorCode::protocol);
    }
  }
  BOOST_TEST(accepted > 0u);
}

BOOST_AUTO_TEST_CASE(encode_rejects_algorithms_outside_the_format) {
  const auto invalid = [](const MarchAlgorithm& a) {
    return testing::expect_error<InvalidArgumentError>([&] { encode_march(a); }, ErrorCode::invalid_argument);
  };
  CHECK_CONTAINS(invalid(MarchAlgorithm{}), "no elements");
  CHECK_CONTAINS(invalid({.name = "n", .elements = {element(AddressOrder::up, {})}}),
                 "encode_march \"n\": element 0 has no operations");
  MarchElement bad_delay = del(5us);
  bad_delay.ops.push_back(r0);
  CHECK_CONTAINS(invalid({.name = "", .elements = {bad_delay}}), "delay element 0 has operations");
  CHECK_CONTAINS(invalid({.name = "", .elements = {del(-1us)}}), "negative delay");
  CHECK_CONTAINS(invalid({.name = "", .elements = {element(AddressOrder::up, std::vector<MarchOp>(65, r0))}}),
                 "65 operations (at most 64)");
  MarchAlgorithm many;
  many.elements.assign(257, element(AddressOrder::up, {r0}));
  CHECK_CONTAINS(invalid(many), "257 elements (at most 256)");
}

// ---- interpreter: semantics --------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(mats_plus_accesses_in_the_documented_order) {
  const MarchAlgorithm mats = parse_march(table()[0].unicode);
  const std::uint64_t p = 0x0123456789ABCDEF;
  const std::uint64_t q = ~p;
  for (const AddressOrder any : {AddressOrder::up, AddressOrder::down, AddressOrder::any}) {
    BOOST_TEST_CONTEXT("any_order " << static_cast<int>(any)) {
      TestMemory m(std::vector<std::uint64_t>(5, 0), {}, false, true);
      const MarchOptions opt{.first_word = 1,
                             .words = 3,
                             .background = {.pattern = p, .invert_mask = 0},
                             .any_order = any,
                             .retention_delay = 1ms,
                             .max_fails = 10};
      const MarchResult r = run_march(mats, m, opt);
      std::vector<Event> want;
      if (any == AddressOrder::down)
        want = {{'w', 3, p}, {'w', 2, p}, {'w', 1, p}};
      else
        want = {{'w', 1, p}, {'w', 2, p}, {'w', 3, p}};
      want.push_back({'e', 1, 3001});
      for (std::uint64_t w : {1, 2, 3}) {
        want.push_back({'r', w, p});
        want.push_back({'w', w, q});
      }
      want.push_back({'e', 1, 3002});
      for (std::uint64_t w : {3, 2, 1}) {
        want.push_back({'r', w, q});
        want.push_back({'w', w, p});
      }
      want.push_back({'e', 1, 3002});
      BOOST_TEST(m.events == want, boost::test_tools::per_element());
      BOOST_TEST(r.operations == 15u);
      BOOST_TEST(r.fail_count == 0u);
      BOOST_TEST(r.fails.empty());
      BOOST_TEST(m.cells() == (std::vector<std::uint64_t>{0, p, p, p, 0}));
    }
  }
}

BOOST_AUTO_TEST_CASE(interpreter_matches_the_reference_through_read_and_write) {
  std::mt19937_64 rng(5);
  std::vector<MarchAlgorithm> algorithms = table_algorithms();
  for (int i = 0; i < 40; ++i) algorithms.push_back(random_algorithm(rng));
  for (const MarchAlgorithm& a : algorithms) {
    const std::uint64_t n = 40;
    std::vector<std::uint64_t> cells(n);
    for (auto& c : cells) c = rng() % 3 == 0 ? rng() : 0;
    std::map<std::uint64_t, Misbehaviour> special{{3, {.stuck1 = 0x10}},
                                                  {9, {.read_flip = 0x8000}},
                                                  {17, {.read_xor = 1}},
                                                  {20, {.decay = ~std::uint64_t{0}}},
                                                  {21, {.victim = 22, .victim_bits = 0x4}},
                                                  {22, {}}};
    for (const AddressOrder any : {AddressOrder::up, AddressOrder::down}) {
      const MarchOptions opt{.first_word = 2,
                             .words = 33,
                             .background = {.pattern = rng(), .invert_mask = rng() % 2 == 0 ? 0 : rng() % 64},
                             .any_order = any,
                             .retention_delay = 250us,
                             .max_fails = 1000};
      TestMemory got(cells, special, false, true);
      TestMemory want(cells, special, false, true);
      const MarchResult r = run_march(a, got, opt);
      const MarchResult ref = reference_run(a, want, opt);
      check_same(r, ref, a.notation());
      BOOST_TEST(got.events == want.events, a.notation());
      BOOST_TEST(got.cells() == want.cells(), a.notation());
    }
  }
}

BOOST_AUTO_TEST_CASE(fails_name_word_element_op_and_values) {
  // Word 2 has bit 4 stuck at 1: March C- finds it at every r0.
  TestMemory m(std::vector<std::uint64_t>(4, 0), {{2, {.stuck1 = 0x10}}}, false);
  const MarchResult r = run_march(march_c_minus(), m,
                                  {.first_word = 0,
                                   .words = 4,
                                   .background = {.pattern = 0, .invert_mask = 0},
                                   .any_order = AddressOrder::up,
                                   .retention_delay = 1ms,
                                   .max_fails = 256});
  const std::vector<MarchFail> want{{.word = 2, .expected = 0, .actual = 0x10, .element = 1, .op = 0},
                                    {.word = 2, .expected = 0, .actual = 0x10, .element = 3, .op = 0},
                                    {.word = 2, .expected = 0, .actual = 0x10, .element = 5, .op = 0}};
  BOOST_TEST(r.fails == want, boost::test_tools::per_element());
  BOOST_TEST(r.fail_count == 3u);
  BOOST_TEST(!r.truncated());
  BOOST_TEST(r.operations == 40u);
}

BOOST_AUTO_TEST_CASE(fail_log_is_bounded_and_the_count_is_not) {
  std::map<std::uint64_t, Misbehaviour> special;
  for (std::uint64_t w = 0; w < 10; ++w) special[w] = {.stuck1 = 1};
  for (const bool expose : {false, true}) {
    for (const std::size_t max : {std::size_t{0}, std::size_t{3}, std::size_t{19}, std::size_t{20}}) {
      TestMemory m(std::vector<std::uint64_t>(10, 0), special, expose);
      const MarchResult r = run_march(parse_march("{⇕(w0);⇑(r0,r0);⇓(r0)}"), m,
                                      {.first_word = 0,
                                       .words = 10,
                                       .background = {.pattern = 0, .invert_mask = 0},
                                       .any_order = AddressOrder::up,
                                       .retention_delay = 1ms,
                                       .max_fails = max});
      BOOST_TEST(r.fail_count == 30u);
      BOOST_TEST(r.fails.size() == std::min<std::size_t>(max, 30));
      BOOST_TEST(r.truncated() == (max < 30));
      if (max >= 3) {
        BOOST_TEST(r.fails[0] == (MarchFail{.word = 0, .expected = 0, .actual = 1, .element = 1, .op = 0}));
        BOOST_TEST(r.fails[1] == (MarchFail{.word = 0, .expected = 0, .actual = 1, .element = 1, .op = 1}));
        BOOST_TEST(r.fails[2] == (MarchFail{.word = 1, .expected = 0, .actual = 1, .element = 1, .op = 0}));
      }
      if (max == 20) BOOST_TEST(r.fails[19].word == 9u);
    }
  }
}

BOOST_AUTO_TEST_CASE(delays_wait_for_their_duration_or_the_retention_delay) {
  TestMemory m(std::vector<std::uint64_t>(2, 0), {}, false, true);
  const MarchResult r = run_march(parse_march("{⇕(w0);Del;⇕(r0);Del(64ms);Del(1s);⇕(r0)}"), m,
                                  {.first_word = 0,
                                   .words = 2,
                                   .background = {.pattern = 0, .invert_mask = 0},
                                   .any_order = AddressOrder::up,
                                   .retention_delay = 5ms,
                                   .max_fails = 256});
  BOOST_TEST((m.waits == std::vector<std::chrono::microseconds>{5ms, 64ms, 1s}));
  const std::vector<Event> want{{'w', 0, 0},       {'w', 1, 0}, {'e', 0, 2001}, {'t', 0, 5000},
                                {'r', 0, 0},       {'r', 1, 0}, {'e', 0, 2001}, {'t', 0, 64000},
                                {'t', 0, 1000000}, {'r', 0, 0}, {'r', 1, 0},    {'e', 0, 2001}};
  BOOST_TEST(m.events == want, boost::test_tools::per_element());
  BOOST_TEST(r.operations == 6u);
}

BOOST_AUTO_TEST_CASE(a_delay_lets_special_words_decay_on_both_paths) {
  const MarchAlgorithm ifa13 = parse_march(table().back().unicode);
  for (const bool expose : {false, true}) {
    TestMemory m(std::vector<std::uint64_t>(64, 0), {{40, {.decay = 0xF0}}}, expose);
    const MarchResult r = run_march(ifa13, m,
                                    {.first_word = 0,
                                     .words = 64,
                                     .background = {.pattern = 0, .invert_mask = 0},
                                     .any_order = AddressOrder::up,
                                     .retention_delay = 100ms,
                                     .max_fails = 256});
    // Only the last element reads 1s after a delay.
    BOOST_TEST(r.fails == (std::vector<MarchFail>{{.word = 40,
                                                   .expected = ~std::uint64_t{0},
                                                   .actual = ~std::uint64_t{0xF0},
                                                   .element = 8,
                                                   .op = 0}}),
               boost::test_tools::per_element());
    BOOST_TEST((m.waits == std::vector<std::chrono::microseconds>{100ms, 100ms}));
    BOOST_TEST(r.operations == 16u * 64);
  }
}

BOOST_AUTO_TEST_CASE(backgrounds_with_an_invert_mask_write_per_word_values) {
  const DataBackground bg{.pattern = 0x00FF00FF00FF00FF, .invert_mask = 0x405};
  for (const bool expose : {false, true}) {
    TestMemory m(std::vector<std::uint64_t>(3000, 0), {}, expose);
    const MarchOptions opt{.first_word = 5,
                           .words = 2990,
                           .background = bg,
                           .any_order = AddressOrder::up,
                           .retention_delay = 1ms,
                           .max_fails = 256};
    MarchResult r = run_march(parse_march("{⇕(w1);⇓(r1,w0,r0)}"), m, opt);
    BOOST_TEST(r.fail_count == 0u);
    for (std::uint64_t w = 0; w < 3000; ++w) {
      const std::uint64_t want = (w < 5 || w >= 2995) ? 0 : background_value(bg, w, false);
      if (m.cells()[w] != want) {
        BOOST_ERROR("word " << w << " holds " << m.cells()[w] << ", want " << want);
        break;
      }
    }
    BOOST_TEST(m.cells()[6] == 0xFF00FF00FF00FF00u);     // 6 & 0x405 = 0x004: odd parity
    BOOST_TEST(m.cells()[1025] == 0x00FF00FF00FF00FFu);  // 0x401: even
    BOOST_TEST(m.cells()[1029] == 0xFF00FF00FF00FF00u);  // 0x405: odd
    // Reading the complement everywhere fails at every word, with the per-word values.
    r = run_march(parse_march("{⇑(r1)}"), m, opt);
    BOOST_TEST(r.fail_count == 2990u);
    BOOST_REQUIRE_EQUAL(r.fails.size(), 256u);
    for (const MarchFail& f : r.fails) {
      BOOST_TEST(f.expected == background_value(bg, f.word, true));
      BOOST_TEST(f.actual == background_value(bg, f.word, false));
    }
    BOOST_TEST(r.fails.front().word == 5u);
    BOOST_TEST(r.fails.back().word == 5u + 255);
  }
  BOOST_TEST(bg.value(6, false) == 0xFF00FF00FF00FF00u);
  BOOST_TEST(bg.value(6, true) == 0x00FF00FF00FF00FFu);
}

BOOST_AUTO_TEST_CASE(region_outside_memory_and_invalid_algorithms_are_rejected) {
  TestMemory m(std::vector<std::uint64_t>(16, 0), {}, true);
  const auto invalid = [&](std::uint64_t first, std::uint64_t words, const MarchAlgorithm& a) {
    return testing::expect_error<InvalidArgumentError>(
        [&] {
          run_march(a, m,
                    {.first_word = first,
                     .words = words,
                     .background = {},
                     .any_order = AddressOrder::up,
                     .retention_delay = 1ms,
                     .max_fails = 1});
        },
        ErrorCode::invalid_argument);
  };
  const MarchAlgorithm c = march_c_minus();
  BOOST_TEST(invalid(0, 17, c) ==
             "run_march: region of 17 words at word 0 lies outside the memory's 16 words");
  CHECK_CONTAINS(invalid(16, 1, c), "region of 1 words at word 16");
  CHECK_CONTAINS(invalid(std::numeric_limits<std::uint64_t>::max(), 2, c), "lies outside");
  CHECK_CONTAINS(invalid(0, std::numeric_limits<std::uint64_t>::max(), c), "lies outside");
  CHECK_CONTAINS(invalid(0, 16, MarchAlgorithm{}), "run_march: the algorithm has no elements");
  BOOST_TEST(m.cells() == std::vector<std::uint64_t>(16, 0));
  // An empty region at the end is fine: elements sweep nothing but are still reported.
  const MarchResult r = run_march(c, m,
                                  {.first_word = 16,
                                   .words = 0,
                                   .background = {},
                                   .any_order = AddressOrder::up,
                                   .retention_delay = 1ms,
                                   .max_fails = 1});
  BOOST_TEST(r.operations == 0u);
  BOOST_TEST(m.done.size() == 6u);
}

// ---- interpreter: the storage fast path --------------------------------------------------------------

BOOST_AUTO_TEST_CASE(fault_free_storage_runs_without_read_or_write) {
  TestMemory m(std::vector<std::uint64_t>(5000, 0), {}, true);
  const MarchResult r = run_march(march_c_minus(), m,
                                  {.first_word = 0,
                                   .words = 5000,
                                   .background = {.pattern = 0x5A, .invert_mask = 0x21},
                                   .any_order = AddressOrder::up,
                                   .retention_delay = 1ms,
                                   .max_fails = 256});
  BOOST_TEST(r.fail_count == 0u);
  BOOST_TEST(r.operations == 50000u);
  BOOST_TEST(m.plain_accesses == 0u);
  BOOST_TEST(m.next_special_calls == 1u);  // asked once per run, not per element
  BOOST_TEST(m.done.size() == 6u);
  for (const Event& e : m.done) BOOST_TEST(e.word == 0u);
}

BOOST_AUTO_TEST_CASE(corrupted_plain_words_fail_in_execution_order) {
  // Plain words hold wrong data before a march that starts with reads: the fast path must report them
  // word by word in the element's order, with every read of the word, across block boundaries.
  std::vector<std::uint64_t> cells(4000, 0);
  for (std::uint64_t w : {0, 7, 1023, 1024, 1025, 2047, 3000, 3999}) cells[w] = 0x100 | w;
  const MarchAlgorithm a = parse_march("{⇓(r0,r0,w1);⇑(r1,w0,r0)}");
  TestMemory fast(cells, {}, true);
  TestMemory slow(cells, {}, false);
  const MarchOptions opt{.first_word = 0,
                         .words = 4000,
                         .background = {.pattern = 0, .invert_mask = 0},
                         .any_order = AddressOrder::up,
                         .retention_delay = 1ms,
                         .max_fails = 256};
  const MarchResult rf = run_march(a, fast, opt);
  const MarchResult rs = reference_run(a, slow, opt);
  BOOST_TEST(rf.fail_count == 16u);
  BOOST_REQUIRE_EQUAL(rf.fails.size(), 16u);
  BOOST_TEST(rf.fails[0] ==
             (MarchFail{.word = 3999, .expected = 0, .actual = 0x100 | 3999, .element = 0, .op = 0}));
  BOOST_TEST(rf.fails[1] ==
             (MarchFail{.word = 3999, .expected = 0, .actual = 0x100 | 3999, .element = 0, .op = 1}));
  BOOST_TEST(rf.fails[15] == (MarchFail{.word = 0, .expected = 0, .actual = 0x100, .element = 0, .op = 1}));
  check_same(rf, rs, "fast vs reference");
  BOOST_TEST(fast.cells() == slow.cells());
  BOOST_TEST(fast.plain_accesses == 0u);
}

BOOST_AUTO_TEST_CASE(fast_path_equals_the_read_write_path) {
  std::mt19937_64 rng(2024);
  const std::vector<MarchAlgorithm> table_algs = table_algorithms();
  // Elements whose plain words fail unconditionally or mix read values before the first write.
  const std::vector<MarchAlgorithm> odd{parse_march("{⇑(w0,r1,r0);⇓(r0,r1,w1,r1,w0)}"),
                                        parse_march("{⇕(r1,r0);⇓(w1,r0)}")};
  for (int round = 0; round < 150; ++round) {
    const std::uint64_t size = std::vector<std::uint64_t>{40, 1024, 1500, 5000}[round % 4];
    MarchAlgorithm a;
    if (round % 3 == 0)
      a = table_algs[rng() % table_algs.size()];
    else if (round % 3 == 1)
      a = random_algorithm(rng);
    else
      a = odd[rng() % odd.size()];
    // Initial contents: zero, with some random plain and special words.
    std::vector<std::uint64_t> cells(size, 0);
    const std::uint64_t corrupted = 1 + rng() % 12;
    for (std::uint64_t i = 0; i < corrupted; ++i) cells[rng() % size] = rng();
    // Special words: scattered, in clusters, at block boundaries and at the region's edges.
    MarchOptions opt{.first_word = rng() % (size / 4),
                     .words = 0,
                     .background = {},
                     .any_order = rng() % 2 == 0 ? AddressOrder::up : AddressOrder::down,
                     .retention_delay = std::chrono::microseconds(1 + rng() % 1000),
                     .max_fails = std::vector<std::size_t>{0, 1, 5, 100000}[rng() % 4]};
    opt.words = 1 + rng() % (size - opt.first_word);
    std::vector<std::uint64_t> words;
    const std::uint64_t scattered = rng() % 16;
    for (std::uint64_t i = 0; i < scattered; ++i) words.push_back(rng() % size);
    const std::uint64_t cluster = rng() % size;
    const std::uint64_t cluster_size = rng() % 5;
    for (std::uint64_t i = 0; i < cluster_size && cluster + i < size; ++i) words.push_back(cluster + i);
    if (rng() % 2 == 0) words.push_back(opt.first_word);
    if (rng() % 2 == 0) words.push_back(opt.first_word + opt.words - 1);
    if (size > 1024 && rng() % 2 == 0) words.push_back(1023 + rng() % 2);
    std::map<std::uint64_t, Misbehaviour> special;
    for (std::uint64_t w : words) {
      Misbehaviour m;
      switch (rng() % 6) {
        case 0:
          m.stuck0 = std::uint64_t{1} << (rng() % 64);
          break;
        case 1:
          m.stuck1 = std::uint64_t{1} << (rng() % 64);
          break;
        case 2:
          m.read_flip = std::uint64_t{1} << (rng() % 64);
          break;
        case 3:
          m.read_xor = rng();
          break;
        case 4:
          m.decay = rng();
          break;
        default:
          break;  // special, but well behaved
      }
      special[w] = m;
    }
    // Coupling between two special words.
    if (special.size() >= 2 && rng() % 2 == 0) {
      auto aggressor = special.begin();
      std::advance(aggressor, static_cast<std::ptrdiff_t>(rng() % special.size()));
      auto victim = special.begin();
      std::advance(victim, static_cast<std::ptrdiff_t>(rng() % special.size()));
      aggressor->second.victim = victim->first;
      aggressor->second.victim_bits = 1 + rng() % 255;
    }
    const std::uint64_t masks[] = {0, 0, 1, 0x5, 0x3FF, 0x400, 0x10400, rng()};
    opt.background = {.pattern = rng() % 2 == 0 ? 0 : rng(), .invert_mask = masks[rng() % 8]};

    TestMemory fast(cells, special, true);
    TestMemory slow(cells, special, false);
    TestMemory ref(cells, special, false);
    const MarchResult rf = run_march(a, fast, opt);
    const MarchResult rs = run_march(a, slow, opt);
    const MarchResult rr = reference_run(a, ref, opt);
    const std::string what = fmt::format(
        "round {}: {} on {} words, region {}+{}, background {:#x}/{:#x}, {} special", round, a.notation(),
        size, opt.first_word, opt.words, opt.background.pattern, opt.background.invert_mask, special.size());
    check_same(rf, rs, what + ", fast vs read/write");
    check_same(rs, rr, what + ", read/write vs reference");
    BOOST_TEST(fast.cells() == slow.cells(), what);
    BOOST_TEST(slow.cells() == ref.cells(), what);
    BOOST_TEST(fast.done == slow.done, what);
    BOOST_TEST((fast.waits == slow.waits), what);
    BOOST_TEST(fast.plain_accesses == 0u, what);
  }
}

BOOST_AUTO_TEST_CASE(everything_special_still_runs_through_read_and_write) {
  // A memory that exposes storage but keeps the default next_special (every word special).
  class AllSpecial final : public MarchMemory {
   public:
    std::uint64_t words() const override { return cells.size(); }
    std::uint64_t read(std::uint64_t word) override {
      ++reads;
      return cells[word] | 1;  // bit 0 stuck at 1
    }
    void write(std::uint64_t word, std::uint64_t value) override {
      ++writes;
      cells[word] = value;
    }
    void wait(std::chrono::microseconds) override {}
    std::uint64_t* storage() override { return cells.data(); }
    std::vector<std::uint64_t> cells = std::vector<std::uint64_t>(100, 0);
    std::uint64_t reads = 0;
    std::uint64_t writes = 0;
  } m;
  const MarchResult r = run_march(march_c_minus(), m,
                                  {.first_word = 10,
                                   .words = 80,
                                   .background = {},
                                   .any_order = AddressOrder::up,
                                   .retention_delay = 1ms,
                                   .max_fails = 256});
  BOOST_TEST(m.reads == 5u * 80);
  BOOST_TEST(m.writes == 5u * 80);
  BOOST_TEST(r.fail_count == 3u * 80);  // every r0 sees bit 0 set
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval::chip

// Tests for seedval/reports/html.h and junit.h: the HTML report's wafer maps, Pareto, escaping and
// self-containment; the JUnit XML read back by a small strict XML parser written here (well-formed,
// counts that add up, every text escaped, control characters gone).
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <fmt/core.h>

#include <seedval/reports/html.h>
#include <seedval/reports/junit.h>
#include <seedval/reports/lot_reports.h>
#include <seedval/reports/summary.h>

#include "reports_test_support.h"

namespace seedval::reports {
namespace {

using reports_test::read_file;
using reports_test::TempDir;

constexpr std::string_view kNasty = "<script>alert(1)</script>&\"'";

std::size_t count(std::string_view text, std::string_view needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string_view::npos; at = text.find(needle, at + needle.size()))
    ++n;
  return n;
}

bool has(std::string_view text, std::string_view needle) {
  return text.find(needle) != std::string_view::npos;
}

/// The text of every element `<tag ...>...</tag>` whose start tag begins with `open` (tags not nested).
std::vector<std::string_view> blocks(std::string_view text, std::string_view open, std::string_view close) {
  std::vector<std::string_view> out;
  for (auto at = text.find(open); at != std::string_view::npos; at = text.find(open, at + 1)) {
    const auto end = text.find(close, at);
    BOOST_REQUIRE(end != std::string_view::npos);
    out.push_back(text.substr(at, end + close.size() - at));
  }
  return out;
}

/// The values of attribute `name` in order of appearance in `text`.
std::vector<std::string> attribute_values(std::string_view text, std::string_view name) {
  std::vector<std::string> out;
  const std::string key = fmt::format(" {}=\"", name);
  for (auto at = text.find(key); at != std::string_view::npos; at = text.find(key, at + 1)) {
    const auto from = at + key.size();
    out.emplace_back(text.substr(from, text.find('"', from) - from));
  }
  return out;
}

// --- a strict little XML 1.0 reader: enough to prove junit.xml well-formed and to walk it ------------------

struct Element {
  std::string name;
  std::map<std::string, std::string> attrs;
  std::vector<Element> children;
  std::string text;

  std::vector<const Element*> all(std::string_view tag) const {
    std::vector<const Element*> out;
    for (const auto& c : children)
      if (c.name == tag) out.push_back(&c);
    return out;
  }
  const Element* first(std::string_view tag) const {
    auto v = all(tag);
    return v.empty() ? nullptr : v.front();
  }
  std::int64_t number(const std::string& attr) const { return std::stoll(attrs.at(attr)); }
};

class XmlReader {
 public:
  explicit XmlReader(std::string_view text) : s_(text) {}

  Element parse() {
    check_utf8();
    if (starts("<?xml")) {
      const auto end = s_.find("?>");
      if (end == std::string_view::npos) fail("unterminated XML declaration");
      i_ = end + 2;
    }
    skip_space();
    Element root = element();
    skip_space();
    if (i_ != s_.size()) fail("content after the root element");
    return root;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error(fmt::format("not well-formed XML at byte {}: {}", i_, what));
  }
  bool starts(std::string_view p) const { return s_.substr(i_, p.size()) == p; }
  char peek() const {
    if (i_ >= s_.size()) fail("unexpected end");
    return s_[i_];
  }
  char get() {
    const char c = peek();
    ++i_;
    return c;
  }
  void expect(char c) {
    if (get() != c) fail(fmt::format("expected '{}'", c));
  }
  bool skip_space() {
    const auto from = i_;
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\t' || s_[i_] == '\r')) ++i_;
    return i_ > from;
  }
  std::string name() {
    const auto from = i_;
    while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_' ||
                              s_[i_] == '-' || s_[i_] == '.' || s_[i_] == ':'))
      ++i_;
    if (i_ == from || std::isdigit(static_cast<unsigned char>(s_[from]))) fail("expected a name");
    return std::string(s_.substr(from, i_ - from));
  }
  void check_utf8() const {
    for (std::size_t k = 0; k < s_.size();) {
      const auto b = static_cast<unsigned char>(s_[k]);
      std::size_t n = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
      if (n == 0 || k + n > s_.size()) throw std::runtime_error(fmt::format("byte {} is not UTF-8", k));
      for (std::size_t j = 1; j < n; ++j)
        if ((static_cast<unsigned char>(s_[k + j]) & 0xC0) != 0x80)
          throw std::runtime_error(fmt::format("byte {} is not UTF-8", k));
      if (b < 0x20 && b != '\t' && b != '\n' && b != '\r')
        throw std::runtime_error(
            fmt::format("byte {} is control character {:#x}, not allowed in XML 1.0", k, b));
      k += n;
    }
  }
  std::string entity() {  // after '&'
    const auto end = s_.find(';', i_);
    if (end == std::string_view::npos || end - i_ > 10) fail("unterminated reference");
    const std::string_view ref = s_.substr(i_, end - i_);
    i_ = end + 1;
    static const std::map<std::string_view, std::string> named = {
        {"amp", "&"}, {"lt", "<"}, {"gt", ">"}, {"quot", "\""}, {"apos", "'"}};
    if (auto it = named.find(ref); it != named.end()) return it->second;
    if (ref.size() < 2 || ref[0] != '#') fail(fmt::format("unknown entity &{};", ref));
    const bool hex = ref[1] == 'x';
    const unsigned long cp = std::stoul(std::string(ref.substr(hex ? 2 : 1)), nullptr, hex ? 16 : 10);
    if (cp != 0x9 && cp != 0xA && cp != 0xD && (cp < 0x20 || cp > 0x7F))
      fail(fmt::format("character reference {:#x} not expected here", cp));
    return std::string(1, static_cast<char>(cp));
  }
  Element element() {
    expect('<');
    Element e;
    e.name = name();
    for (;;) {
      const bool space = skip_space();
      if (peek() == '/') {
        ++i_;
        expect('>');
        return e;
      }
      if (peek() == '>') {
        ++i_;
        break;
      }
      if (!space) fail("no space before an attribute");
      std::string attr = name();
      skip_space();
      expect('=');
      skip_space();
      const char quote = get();
      if (quote != '"' && quote != '\'') fail("attribute value not quoted");
      std::string value;
      for (char c = get(); c != quote; c = get()) {
        if (c == '<') fail("'<' in an attribute value");
        value += c == '&' ? entity() : std::string(1, c);
      }
      if (!e.attrs.emplace(attr, value).second) fail("duplicate attribute " + attr);
    }
    for (;;) {
      if (starts("</")) {
        i_ += 2;
        if (name() != e.name) fail("end tag does not match <" + e.name + ">");
        skip_space();
        expect('>');
        return e;
      }
      if (peek() == '<') {
        e.children.push_back(element());
        continue;
      }
      const char c = get();
      e.text += c == '&' ? entity() : std::string(1, c);
    }
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

Element parse_xml(std::string_view text) {
  return XmlReader(text).parse();
}

/// Checks the counts of a <testsuite> or <testsuites> against the test cases under it.
void check_counts(const Element& suite, const std::vector<const Element*>& cases) {
  std::int64_t failures = 0, errors = 0, skipped = 0;
  for (const Element* c : cases) {
    BOOST_TEST(c->name == "testcase");
    failures += c->first("failure") != nullptr;
    errors += c->first("error") != nullptr;
    skipped += c->first("skipped") != nullptr;
  }
  BOOST_TEST(suite.number("tests") == static_cast<std::int64_t>(cases.size()));
  BOOST_TEST(suite.number("failures") == failures);
  BOOST_TEST(suite.number("errors") == errors);
  BOOST_TEST(suite.number("skipped") == skipped);
}

LotResult two_wafer_lot() {
  LotResult lot = reports_test::small_lot();
  // Three more dies on wafer 2: two pass, one fails identity twice over (soft bin 300), so the Pareto of the
  // final hard bins is 3 (two units) before 5 (one).
  for (int k = 0; k < 4; ++k) {
    UnitRecord u = lot.insertions[k < 2 ? 0 : 4];
    u.unit = 10 + k;
    u.part_id = std::to_string(11 + k);
    u.die = {"SMALL", 2, 3 + k, 4};
    if (k >= 2) {
      u.soft_bin = 300;
      u.hard_bin = 3;
      u.failing_step = "identify";
    }
    lot.insertions.push_back(u);
  }
  return lot;
}

/// A program and lot full of names that need escaping.
struct NastyLot {
  Program program = reports_test::report_program();
  LotResult lot = reports_test::small_lot();
  NastyLot() {
    const std::string nasty(kNasty);
    lot.info.lot_id = nasty;
    lot.info.product = nasty;
    lot.info.station = nasty;
    lot.info.board.name = nasty;
    program.name = nasty;
    program.flow[0].id = nasty;  // "identify"
    for (auto& b : program.hard_bins)
      if (b.number == 5) b.name = nasty;
    for (auto& u : lot.insertions) {
      u.part_id = nasty + u.part_id;
      for (auto& s : u.steps)
        if (s.id == "identify") s.id = nasty;
      if (u.failing_step == "identify") u.failing_step = nasty;
    }
    // A message with control characters and a byte that is not UTF-8.
    lot.insertions[4].steps[1].message = "bits\x01 stuck\x1b[31m red\x7f \xff end\r\n";
    lot.insertions[4].steps[1].notes.push_back("tab\there, bell\a, nul" + std::string(1, '\0') + ".");
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(reports_html)

BOOST_AUTO_TEST_CASE(one_svg_per_wafer_with_one_die_per_unit_at_its_place) {
  const LotResult lot = two_wafer_lot();
  const Program p = reports_test::report_program();
  const std::string html = html_report(lot, p);
  const auto wafers = blocks(html, "<svg class=\"wafer\"", "</svg>");
  BOOST_REQUIRE(wafers.size() == 2u);
  // Wafer 1: dies x=1..5 at y=7 (the die at x=4 once, by its final insertion); wafer 2: x=3..6 at y=4.
  BOOST_TEST(has(wafers[0], "data-wafer=\"1\""));
  BOOST_TEST(count(wafers[0], "<rect ") == 5u);
  BOOST_TEST(count(wafers[0], "<title>part ") == 5u);
  for (int x = 1; x <= 5; ++x) BOOST_TEST(has(wafers[0], fmt::format("<rect x=\"{}\" y=\"7\"", x)), x);
  BOOST_TEST(has(wafers[1], "data-wafer=\"2\""));
  BOOST_TEST(count(wafers[1], "<rect ") == 4u);
  for (int x = 3; x <= 6; ++x) BOOST_TEST(has(wafers[1], fmt::format("<rect x=\"{}\" y=\"4\"", x)), x);
  // Each die sits in the group of its final hard bin: x=4 retested to a pass, x=5 failed memory.
  const auto w1 = std::string(wafers[0]);
  BOOST_TEST(w1.find("<rect x=\"4\" y=\"7\"") > w1.find("<g class=\"hb1\">"));
  BOOST_TEST(w1.find("<rect x=\"4\" y=\"7\"") < w1.find("<g class=\"hb5\">"));
  BOOST_TEST(w1.find("<rect x=\"5\" y=\"7\"") > w1.find("<g class=\"hb5\">"));
  BOOST_TEST(!has(w1, "hb9"));  // the tester error recovered
  BOOST_TEST(has(w1, "part 5 · SMALL-W01-X005-Y007 · bin 5 fail-memory · soft 500"));
  // Pass bins are green, the tester-error bin its own grey, in the page's style.
  BOOST_TEST(has(html, ".hb1{fill:#2e9d49;background:#2e9d49}"));
  BOOST_TEST(has(html, ".hb9{fill:#4d4d4d;background:#4d4d4d}"));
  BOOST_TEST(has(html, "wafer 2: 4 units, final yield 50.0%"));
}

BOOST_AUTO_TEST_CASE(the_pareto_puts_the_biggest_fail_bin_first) {
  const std::string html = html_report(two_wafer_lot(), reports_test::report_program());
  const auto charts = blocks(html, "<svg class=\"chart pareto\"", "</svg>");
  BOOST_REQUIRE(charts.size() == 1u);
  BOOST_TEST(attribute_values(charts[0], "data-bin") == (std::vector<std::string>{"3", "5"}),
             boost::test_tools::per_element());
  // Two of the three fails, then all of them.
  BOOST_TEST(has(charts[0], "cumulative 66.7% of the fails"));
  BOOST_TEST(has(charts[0], "cumulative 100.0% of the fails"));
  // Passing bins are not in the Pareto.
  BOOST_TEST(!has(charts[0], "data-bin=\"1\""));
}

BOOST_AUTO_TEST_CASE(the_figures_sites_tests_and_histogram_are_there) {
  const LotResult lot = reports_test::small_lot();
  const Program p = reports_test::report_program();
  const std::string html = html_report(lot, p);
  for (const char* id : {"figures", "bins", "wafers", "sites", "test-time", "tests", "grades"})
    BOOST_TEST(has(html, fmt::format("<section id=\"{}\">", id)), id);
  // First-pass and final yield with numerator and denominator.
  BOOST_TEST(has(html, "<div class=\"v\">60.0%</div><div class=\"s\">3 / 5</div>"));
  BOOST_TEST(has(html, "<div class=\"v\">80.0%</div><div class=\"s\">4 / 5</div>"));
  BOOST_TEST(has(html, "<div class=\"v\">1 s</div><div class=\"s\">p90 "));
  // A row per site, both bars per site.
  BOOST_TEST(count(html, "<rect class=\"fpy\"") == 3u);  // two sites and the legend
  BOOST_TEST(count(html, "<rect class=\"fy\"") == 3u);
  // The histogram: 20 bins at least; six insertions, one a retest; the mean and p90 marked.
  const auto hist = blocks(html, "<svg class=\"chart histogram\"", "</svg>");
  BOOST_REQUIRE(hist.size() == 1u);
  std::int64_t first = 0, retest = 0;
  for (auto at = hist[0].find(" first insertions</title>"); at != std::string_view::npos;
       at = hist[0].find(" first insertions</title>", at + 1))
    first += std::stoll(std::string(hist[0].substr(hist[0].rfind(' ', at - 1) + 1)));
  for (auto at = hist[0].find(" retests</title>"); at != std::string_view::npos;
       at = hist[0].find(" retests</title>", at + 1))
    retest += std::stoll(std::string(hist[0].substr(hist[0].rfind(' ', at - 1) + 1)));
  BOOST_TEST(first == 5);
  BOOST_TEST(retest == 1);
  BOOST_TEST(has(hist[0], "<line class=\"mean\""));
  BOOST_TEST(has(hist[0], "<line class=\"p90\""));
  BOOST_TEST(has(html, "6 insertions, 20 bins of "));
  // One row per measurement; those with Ppk below 1.33 highlighted, and only those.
  const LotSummary s = summarize(lot, p);
  const auto low = std::count_if(s.tests.begin(), s.tests.end(),
                                 [](const TestStats& t) { return t.ppk && *t.ppk < 1.33; });
  BOOST_TEST(low > 0);
  BOOST_TEST(count(html, "<tr class=\"low-ppk\">") == static_cast<std::size_t>(low));
  BOOST_TEST(count(blocks(html, "<table class=\"tests\">", "</table>")[0], "<tr") == s.tests.size() + 1);
}

BOOST_AUTO_TEST_CASE(every_text_is_escaped) {
  const NastyLot nasty;
  const std::string html = html_report(nasty.lot, nasty.program);
  std::string lower = html;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  BOOST_TEST(!has(lower, "<script"));
  BOOST_TEST(!has(html, kNasty));
  const std::string escaped = "&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;&#39;";
  BOOST_TEST(has(html, "<title>Lot " + escaped));                   // lot id
  BOOST_TEST(has(html, "<dd>" + escaped + "</dd>"));                // station, board
  BOOST_TEST(has(html, "<td title=\"memory.pattern\">memory"));     // an ordinary step stays as it is
  BOOST_TEST(has(html, ">" + escaped + "</td><td>chip_id_match"));  // the step id in the tests table
  BOOST_TEST(has(html, "5 " + escaped + "</text>"));                // the hard bin name under its Pareto bar
  BOOST_TEST(has(html, "<title>part " + escaped + "5 · "));         // the part id in the die's tooltip
  // Nothing but ASCII controls the page: no raw control characters either.
  BOOST_TEST(std::none_of(html.begin(), html.end(), [](char c) {
    const auto b = static_cast<unsigned char>(c);
    return b < 0x20 && c != '\n';
  }));
}

BOOST_AUTO_TEST_CASE(the_page_fetches_nothing) {
  for (const auto& lot : {reports_test::small_lot(), two_wafer_lot(), LotResult{}}) {
    const std::string html = html_report(lot, reports_test::report_program());
    BOOST_TEST(html.rfind("<!DOCTYPE html>\n", 0) == 0u);
    BOOST_TEST(has(html, "<meta charset=\"utf-8\">"));
    for (const char* ref : {"http://", "https://", "src=", "href=", "url(", "@import", "<script", "<link",
                            "<img", "<iframe", "<object", "<embed"})
      BOOST_TEST(!has(html, ref), ref);
    BOOST_TEST(html.substr(html.size() - 8) == "</html>\n");
  }
}

BOOST_AUTO_TEST_CASE(an_empty_lot_still_makes_a_page) {
  const std::string html = html_report(LotResult{}, reports_test::report_program());
  BOOST_TEST(has(html, "No unit was tested."));
  BOOST_TEST(has(html, "No unit failed."));
  BOOST_TEST(count(html, "<svg class=\"wafer\"") == 0u);
}

BOOST_AUTO_TEST_CASE(a_big_lot_grows_only_by_its_dies) {
  // 25 wafers of 400 dies, four sites: the page grows by about one small element per die.
  const LotResult small = reports_test::small_lot();
  LotResult lot = small;
  lot.insertions.clear();
  for (int i = 0; i < 10000; ++i) {
    UnitRecord u = small.insertions[static_cast<std::size_t>(i % 3 == 0 ? 4 : i % 3)];
    u.unit = i;
    u.part_id = std::to_string(i + 1);
    u.die = {"BIG", 1 + i / 400, (i % 400) % 20, (i % 400) / 20};
    u.site = i % 4;
    u.test_time_s = 1.0 + 0.001 * (i % 97);
    lot.insertions.push_back(std::move(u));
  }
  const auto start = std::chrono::steady_clock::now();
  const std::string html = html_report(lot, reports_test::report_program());
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  BOOST_TEST_MESSAGE(fmt::format("10000 units: {} bytes of HTML in {:.3f} s", html.size(), took));
  BOOST_TEST(count(html, "<svg class=\"wafer\"") == 25u);
  BOOST_TEST(count(html, "<title>part ") == 10000u);
  BOOST_TEST(html.size() < 64 * 1024 + 10000u * 160);
  // The JUnit file of the same lot: a case per step of each unit (3334 memory fails after identify, 6666
  // passes of three steps).
  const auto junit_start = std::chrono::steady_clock::now();
  const std::string xml = junit_report(lot, reports_test::report_program());
  const double junit_took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - junit_start).count();
  BOOST_TEST_MESSAGE(fmt::format("10000 units: {} bytes of JUnit XML in {:.3f} s", xml.size(), junit_took));
  BOOST_TEST(count(xml, "<testcase ") == 3334u * 2 + 6666u * 3);
  BOOST_TEST(has(xml, "tests=\"26666\" failures=\"3334\" errors=\"0\" skipped=\"0\""));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(reports_junit)

BOOST_AUTO_TEST_CASE(escape_xml_escapes_markup_and_replaces_what_xml_forbids) {
  BOOST_TEST(escape_xml("a<b>&\"'") == "a&lt;b&gt;&amp;&quot;&#39;");
  BOOST_TEST(escape_xml("x\ty\nz") == "x\ty\nz");
  BOOST_TEST(escape_xml("x\ty\nz\r", true) == "x&#9;y&#10;z&#13;");
  BOOST_TEST(escape_xml(std::string("nul\0bell\a", 9)) ==
             "nul\xEF\xBF\xBD"
             "bell\xEF\xBF\xBD");
  BOOST_TEST(escape_xml("esc\x1b[0m") == "esc\xEF\xBF\xBD[0m");
  // UTF-8 passes; bytes that are not UTF-8 (stray, truncated, overlong, surrogates) and U+FFFE do not.
  BOOST_TEST(escape_xml("25 °C, σ, µ, 😀") == "25 °C, σ, µ, 😀");
  BOOST_TEST(escape_xml("a\xff"
                        "b") ==
             "a\xEF\xBF\xBD"
             "b");
  BOOST_TEST(escape_xml("a\xc3") == "a\xEF\xBF\xBD");
  BOOST_TEST(escape_xml("\xc0\xaf") == "\xEF\xBF\xBD\xEF\xBF\xBD");
  BOOST_TEST(escape_xml("\xed\xa0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  BOOST_TEST(escape_xml("\xef\xbf\xbe") == "\xEF\xBF\xBD");
}

BOOST_AUTO_TEST_CASE(one_case_per_step_of_each_final_insertion_and_the_counts_add_up) {
  const LotResult lot = reports_test::small_lot();
  const Program p = reports_test::report_program();
  const std::string xml = junit_report(lot, p);
  BOOST_TEST(xml.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", 0) == 0u);
  const Element root = parse_xml(xml);
  BOOST_TEST(root.name == "testsuites");
  const auto suites = root.all("testsuite");
  BOOST_REQUIRE(suites.size() == 1u);
  const Element& suite = *suites[0];
  BOOST_TEST(suite.attrs.at("name") == "lot SMALL");
  BOOST_TEST(suite.attrs.at("timestamp") == "2026-01-02T03:04:05");
  BOOST_TEST(suite.attrs.at("hostname") == "golden-station");
  const auto cases = suite.all("testcase");
  // Units x=1..3 and x=4 (its retest) passed three steps each; x=5 passed identify and failed memory. The
  // first insertion of x=4 (a tester error) is not its final one.
  BOOST_TEST(cases.size() == 14u);
  check_counts(suite, cases);
  check_counts(root, cases);
  BOOST_TEST(suite.number("failures") == 1);
  BOOST_TEST(suite.number("errors") == 0);
  BOOST_TEST(suite.attrs.at("time") == root.attrs.at("time"));
  // Case by case: unit 5's memory step failed, with the measurement out of its limits.
  std::vector<std::string> names;
  for (const Element* c : cases) names.push_back(c->attrs.at("classname") + "/" + c->attrs.at("name"));
  BOOST_TEST(names.front() == "SMALL.1/identify");
  BOOST_TEST(std::count(names.begin(), names.end(), "SMALL.4/idle_power") == 1);
  const auto failed = std::find(names.begin(), names.end(), "SMALL.5/memory");
  BOOST_REQUIRE(failed != names.end());
  const Element* failure = cases[static_cast<std::size_t>(failed - names.begin())]->first("failure");
  BOOST_REQUIRE(failure != nullptr);
  BOOST_TEST(failure->attrs.at("message") == "failing_bits = 3 outside limits");
  BOOST_TEST(failure->attrs.at("type") == "failed");
  BOOST_TEST(has(failure->text, "failing_bits = 3 count outside limits <= 0"));
  BOOST_TEST(has(failure->text, "soft bin 500 memory-stuck-cells, hard bin 5 fail-memory"));
  BOOST_TEST(has(failure->text, "note: zeros: word 0x40 read 0x1, expected 0x0"));
  BOOST_TEST(cases[static_cast<std::size_t>(failed - names.begin())]->attrs.at("time") == "0.250");
  // The properties say where the results came from.
  std::map<std::string, std::string> props;
  for (const Element* e : suite.first("properties")->all("property"))
    props[e->attrs.at("name")] = e->attrs.at("value");
  BOOST_TEST(props["program"] == "report-test");
  BOOST_TEST(props["revision"] == "7");
  BOOST_TEST(props["sha256"] == p.sha256);
  BOOST_TEST(props["board"] == "golden-board");
  BOOST_TEST(props["station"] == "golden-station");
}

BOOST_AUTO_TEST_CASE(errors_skips_and_verdicts_without_a_failing_step_are_cases_too) {
  LotResult lot = reports_test::small_lot();
  const Program p = reports_test::report_program();
  // Unit 1: an optional step skipped. Unit 2: a link error in idle_power. Unit 3: could not be reached at
  // all (no step ran). The lot was stopped.
  lot.insertions[0].steps[2].outcome = Outcome::skipped;
  lot.insertions[0].steps[2].message = "no power sensor";
  auto& link = lot.insertions[1];
  link.steps[2].outcome = Outcome::error;
  link.steps[2].error_code = ErrorCode::timeout;
  link.steps[2].message = "idle_power: no answer in 2 s";
  link.passed = false;
  link.tester_error = true;
  link.soft_bin = 900;
  link.hard_bin = 9;
  auto& gone = lot.insertions[2];
  gone.steps.clear();
  gone.passed = false;
  gone.tester_error = true;
  gone.soft_bin = 900;
  gone.hard_bin = 9;
  gone.failing_step = "connect";
  gone.message = "connect: cannot reach the unit on golden-board";
  lot.cancelled = true;
  lot.stopped_because = "stop requested";
  const Element root = parse_xml(junit_report(lot, p));
  const Element& suite = *root.first("testsuite");
  const auto cases = suite.all("testcase");
  check_counts(suite, cases);
  check_counts(root, cases);
  BOOST_TEST(suite.number("skipped") == 1);
  BOOST_TEST(suite.number("errors") == 3);  // the link, the unreachable unit, the stopped lot
  BOOST_TEST(suite.number("failures") == 1);
  std::map<std::string, const Element*> by_name;
  for (const Element* c : cases) by_name[c->attrs.at("classname") + "/" + c->attrs.at("name")] = c;
  BOOST_REQUIRE(by_name.contains("SMALL.1/idle_power"));
  BOOST_TEST(by_name["SMALL.1/idle_power"]->first("skipped")->attrs.at("message") == "no power sensor");
  BOOST_REQUIRE(by_name.contains("SMALL.2/idle_power"));
  const Element* error = by_name["SMALL.2/idle_power"]->first("error");
  BOOST_REQUIRE(error != nullptr);
  BOOST_TEST(error->attrs.at("type") == "timeout");
  BOOST_TEST(has(error->text, "error code: timeout"));
  BOOST_REQUIRE(by_name.contains("SMALL.3/connect"));
  BOOST_TEST(by_name["SMALL.3/connect"]->first("error")->attrs.at("type") == "tester-error");
  BOOST_TEST(by_name["SMALL.3/connect"]->first("error")->attrs.at("message") ==
             "connect: cannot reach the unit on golden-board");
  BOOST_REQUIRE(by_name.contains("SMALL/lot"));
  BOOST_TEST(has(by_name["SMALL/lot"]->first("error")->attrs.at("message"), "stop requested"));
}

BOOST_AUTO_TEST_CASE(a_unit_no_grade_takes_fails_as_a_case_of_its_own) {
  LotResult lot = reports_test::small_lot();
  auto& u = lot.insertions[0];
  u.passed = false;
  u.soft_bin = 600;
  u.hard_bin = 6;
  u.failing_step = "grade";
  u.message = "no grade takes the unit (A: power 1 W not >= 2 W)";
  const Element root = parse_xml(junit_report(lot, reports_test::report_program()));
  const Element& suite = *root.first("testsuite");
  check_counts(suite, suite.all("testcase"));
  BOOST_TEST(suite.number("failures") == 2);
  bool found = false;
  for (const Element* c : suite.all("testcase"))
    if (c->attrs.at("classname") == "SMALL.1" && c->attrs.at("name") == "grade") {
      found = true;
      BOOST_REQUIRE(c->first("failure") != nullptr);
      BOOST_TEST(c->first("failure")->attrs.at("message") == u.message);
      BOOST_TEST(c->first("failure")->attrs.at("type") == "bin");
    }
  BOOST_TEST(found);
}

BOOST_AUTO_TEST_CASE(names_and_messages_are_escaped_and_control_characters_removed) {
  const NastyLot nasty;
  const std::string xml = junit_report(nasty.lot, nasty.program);
  BOOST_TEST(!has(xml, kNasty));
  // XML 1.0 allows tab, LF and CR of the C0 controls; CR is written as a reference (a raw one would be
  // normalised away), so only tab and LF are left raw.
  BOOST_TEST(std::none_of(xml.begin(), xml.end(), [](char c) {
    const auto b = static_cast<unsigned char>(c);
    return b < 0x20 && c != '\n' && c != '\t';
  }));
  const Element root = parse_xml(xml);  // throws if not well-formed
  const Element& suite = *root.first("testsuite");
  BOOST_TEST(suite.attrs.at("name") == "lot " + std::string(kNasty));
  BOOST_TEST(suite.attrs.at("hostname") == kNasty);
  const auto cases = suite.all("testcase");
  check_counts(suite, cases);
  BOOST_TEST(cases.front()->attrs.at("classname") == std::string(kNasty) + "." + std::string(kNasty) + "1");
  BOOST_TEST(cases.front()->attrs.at("name") == kNasty);
  const Element* failure = nullptr;
  for (const Element* c : cases)
    if (c->first("failure")) failure = c->first("failure");
  BOOST_REQUIRE(failure != nullptr);
  // Control characters and the stray byte became U+FFFD; CR survives as a reference, LF as itself.
  BOOST_TEST(failure->attrs.at("message") ==
             "bits\xEF\xBF\xBD stuck\xEF\xBF\xBD[31m red\x7f \xEF\xBF\xBD end\r\n");
  BOOST_TEST(has(failure->text, "note: tab\there, bell\xEF\xBF\xBD, nul\xEF\xBF\xBD."));
}

BOOST_AUTO_TEST_CASE(the_reader_here_rejects_what_is_not_well_formed) {
  // The checks above are only as good as this reader: it must fail on broken documents.
  for (const char* bad : {"<a>", "<a></b>", "<a x=1/>", "<a x=\"1\" x=\"2\"/>", "<a>&nbsp;</a>",
                          "<a>\x01</a>", "<a/><b/>", "<a x=\"<\"/>", "<a>&amp</a>"})
    BOOST_CHECK_THROW(parse_xml(bad), std::runtime_error);
  BOOST_CHECK_NO_THROW(parse_xml("<?xml version=\"1.0\"?>\n<a x='1'><b/>t&amp;&#10;</a>\n"));
}

BOOST_AUTO_TEST_CASE(write_lot_reports_writes_the_page_and_the_junit_file) {
  TempDir dir;
  const LotResult lot = reports_test::small_lot();
  const Program p = reports_test::report_program();
  const auto files = write_lot_reports(lot, p, dir.path());
  BOOST_REQUIRE(files.size() == 5u);
  BOOST_TEST(files[3] == dir.path() / "report.html");
  BOOST_TEST(files[4] == dir.path() / "junit.xml");
  BOOST_TEST(read_file(files[3]) == html_report(lot, p));
  BOOST_TEST(read_file(files[4]) == junit_report(lot, p));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval::reports

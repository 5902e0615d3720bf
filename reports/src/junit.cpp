#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <unordered_map>

#include <fmt/core.h>

#include <seedval/core/error.h>
#include <seedval/reports/junit.h>
#include <seedval/reports/summary.h>

#include "writers.h"

namespace seedval::reports {
namespace {

std::string seconds(double s) {
  return fmt::format("{:.3f}", std::isfinite(s) && s > 0 ? s : 0.0);
}

std::string soft_bin_name(const Program& p, int number) {
  for (const auto& b : p.soft_bins)
    if (b.number == number) return b.name;
  return "?";
}

std::string hard_bin_name(const Program& p, int number) {
  for (const auto& b : p.hard_bins)
    if (b.number == number) return b.name;
  return "?";
}

/// What a failing case's text says: where the unit was and how it binned, then the step's details.
std::string unit_context(const UnitRecord& u, const Program& p) {
  return fmt::format("part {} ({}), site {}, insertion {}: soft bin {} {}, hard bin {} {}\n", u.part_id,
                     chip::to_string(u.die), u.site, u.insertion, u.soft_bin, soft_bin_name(p, u.soft_bin),
                     u.hard_bin, hard_bin_name(p, u.hard_bin));
}

std::string step_details(const StepRecord& s) {
  std::string out;
  for (const auto& m : s.measurements)
    if (m.outcome == Outcome::failed) {
      const std::string unit = m.unit.symbol.empty() ? std::string() : fmt::format(" {}", m.unit.symbol);
      out += fmt::format("{} = {:.6g}{} outside limits {}\n", m.name, m.value, unit,
                         to_string(m.limits, m.unit));
    }
  if (s.outcome == Outcome::error) out += fmt::format("error code: {}\n", to_string(s.error_code));
  for (const auto& n : s.notes) out += fmt::format("note: {}\n", n);
  return out;
}

void property(std::string& out, std::string_view name, std::string_view value) {
  out += "      <property name=\"";
  append_escaped(out, name, true);
  out += "\" value=\"";
  append_escaped(out, value, true);
  out += "\"/>\n";
}

}  // namespace

JunitWriter::JunitWriter(const LotResult& lot, const Program& program, detail::Output& cases)
    : lot_(lot), program_(program), cases_(cases) {}

void JunitWriter::add_case(Counts& counts, std::string_view classname, std::string_view name, double time,
                           std::string_view kind, std::string_view message, std::string_view type,
                           std::string_view body) {
  std::string& text = cases_.out();
  ++counts.tests;
  if (std::isfinite(time) && time > 0) counts.time += time;
  text += "    <testcase classname=\"";
  append_escaped(text, classname, true);
  text += "\" name=\"";
  append_escaped(text, name, true);
  text += "\" time=\"";
  text += seconds(time);
  if (kind.empty()) {
    text += "\"/>\n";
    return;
  }
  text += "\">\n      <";
  text += kind;
  text += " message=\"";
  append_escaped(text, message, true);
  text += '"';
  if (kind == "skipped") {
    ++counts.skipped;
    text += "/>\n    </testcase>\n";
    return;
  }
  (kind == "failure" ? counts.failures : counts.errors) += 1;
  text += " type=\"";
  append_escaped(text, type, true);
  text += "\">";
  append_escaped(text, body);
  text += "</";
  text += kind;
  text += ">\n    </testcase>\n";
}

void JunitWriter::add(const UnitRecord& insertion) {
  const UnitRecord* u = &insertion;
  if (u->aborted) return;  // judged nothing
  auto [it, added] = units_.try_emplace(chip::to_string(u->die));
  Span& span = it->second;
  if (!added && u->insertion < span.insertion) return;  // an earlier insertion, recorded late: superseded
  span = Span{};
  span.insertion = u->insertion;
  span.offset = cases_.size();
  Counts& counts = span.counts;
  const Program& program = program_;
  const std::string classname = lot_.info.lot_id + "." + u->part_id;
  bool judged = false;  // a step of the unit shows its verdict (a failure or an error)
  for (const auto& s : u->steps) {
    switch (s.outcome) {
      case Outcome::passed:
        add_case(counts, classname, s.id, s.duration_s, "");
        break;
      case Outcome::skipped:
        add_case(counts, classname, s.id, s.duration_s, "skipped", s.message);
        break;
      case Outcome::failed:
        judged = true;
        add_case(counts, classname, s.id, s.duration_s, "failure", s.message.empty() ? "failed" : s.message,
                 "failed", unit_context(*u, program) + step_details(s));
        break;
      case Outcome::error:
        judged = true;
        add_case(counts, classname, s.id, s.duration_s, "error", s.message.empty() ? "error" : s.message,
                 to_string(s.error_code), unit_context(*u, program) + step_details(s));
        break;
    }
  }
  if (!u->passed && !judged) {
    // The verdict came from no step's outcome: say why the unit did not pass.
    const bool is_step = std::any_of(u->steps.begin(), u->steps.end(),
                                     [&](const StepRecord& s) { return s.id == u->failing_step; });
    const std::string name = u->failing_step.empty() || is_step ? "bin" : u->failing_step;
    const std::string message =
        u->message.empty() ? fmt::format("soft bin {} {}", u->soft_bin, soft_bin_name(program, u->soft_bin))
                           : u->message;
    if (u->tester_error)
      add_case(counts, classname, name, 0, "error", message, "tester-error", unit_context(*u, program));
    else
      add_case(counts, classname, name, 0, "failure", message, "bin", unit_context(*u, program));
  }
  span.length = cases_.size() - span.offset;
  cases_.flush_if_full();
}

void JunitWriter::finish(detail::Output& output, const std::string& cases_text,
                         const std::filesystem::path& cases_file) {
  const LotInfo& info = lot_.info;
  // Each unit's last insertion, in the order written.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
  ranges.reserve(units_.size());
  Counts total;
  for (const auto& [die, span] : units_) {
    ranges.emplace_back(span.offset, span.length);
    total.tests += span.counts.tests;
    total.failures += span.counts.failures;
    total.errors += span.counts.errors;
    total.skipped += span.counts.skipped;
    total.time += span.counts.time;
  }
  std::sort(ranges.begin(), ranges.end());
  // The lot's own case goes last, after the units'.
  std::string stopped;
  if (lot_.cancelled || !lot_.stopped_because.empty()) {
    const std::string why = lot_.stopped_because.empty() ? "cancelled" : lot_.stopped_because;
    detail::Output lot_case(stopped);
    JunitWriter w(lot_, program_, lot_case);
    w.add_case(total, info.lot_id, "lot", 0, "error", "the lot stopped before every unit was tested: " + why,
               "stopped", "the units not yet tested stay with the handler\n");
  }
  cases_.close(false);  // a scratch file, read back at once
  const std::string totals =
      fmt::format("tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{}\"", total.tests,
                  total.failures, total.errors, total.skipped, seconds(total.time));
  std::string& out = output.out();
  out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<testsuites name=\"seedval\" " + totals + ">\n";
  out += "  <testsuite name=\"lot ";
  append_escaped(out, info.lot_id, true);
  out += "\" " + totals;
  // JUnit's timestamp is local time without an offset: the first 19 characters of the ISO-8601 start.
  if (info.start_time.size() >= 19 && info.start_time[10] == 'T') {
    out += " timestamp=\"";
    append_escaped(out, std::string_view(info.start_time).substr(0, 19), true);
    out += '"';
  }
  out += " hostname=\"";
  append_escaped(out, info.station.empty() ? "unknown" : info.station, true);
  out += "\">\n    <properties>\n";
  property(out, "lot", info.lot_id);
  property(out, "product", info.product);
  property(out, "step", info.step);
  property(out, "program", program_.name);
  property(out, "revision", program_.revision);
  property(out, "sha256", program_.sha256);
  property(out, "board", info.board.name);
  property(out, "station", info.station);
  property(out, "handler", info.handler);
  property(out, "sites", std::to_string(info.site_count));
  property(out, "start", info.start_time);
  property(out, "finish", info.finish_time);
  property(out, "seedval_version", info.seedval_version);
  out += "    </properties>\n";
  if (cases_file.empty()) {
    for (const auto& [offset, length] : ranges)
      output.write(std::string_view(cases_text)
                       .substr(static_cast<std::size_t>(offset), static_cast<std::size_t>(length)));
  } else {
    output.append_file(cases_file, ranges);
  }
  output.out() += stopped;
  output.out() += "  </testsuite>\n</testsuites>\n";
}

std::string junit_report(const LotResult& lot, const Program& program) {
  std::string cases_text;
  detail::Output cases(cases_text);
  JunitWriter w(lot, program, cases);
  for (const UnitRecord& u : lot.insertions) w.add(u);
  std::string out;
  detail::Output o(out);
  w.finish(o, cases_text, {});
  return out;
}

}  // namespace seedval::reports

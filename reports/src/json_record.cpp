#include "json_record.h"

#include <cmath>

#include <fmt/core.h>

#include <seedval/reports/unit_log.h>

namespace seedval::reports::detail {

using nlohmann::json;

json number(double v) {
  return std::isfinite(v) ? json(v) : json(nullptr);
}

json to_json(const Ratio& r) {
  auto v = r.value();
  return {
      {"numerator", r.numerator}, {"denominator", r.denominator}, {"value", v ? number(*v) : json(nullptr)}};
}

json to_json(const Distribution& d) {
  return {{"n", d.n},
          {"mean", number(d.mean)},
          {"sigma", number(d.sigma)},
          {"min", number(d.min)},
          {"p25", number(d.p25)},
          {"median", number(d.median)},
          {"p75", number(d.p75)},
          {"p90", number(d.p90)},
          {"max", number(d.max)}};
}

json to_json(const chip::DieId& d) {
  return {{"lot", d.lot}, {"wafer", d.wafer}, {"x", d.x}, {"y", d.y}};
}

json to_json(const StepRecord& s) {
  json ms = json::array();
  for (const auto& m : s.measurements) {
    ms.push_back({{"name", m.name},
                  {"value", number(m.value)},
                  {"unit", std::string(m.unit.symbol)},
                  {"low", m.limits.low ? number(*m.limits.low) : json(nullptr)},
                  {"high", m.limits.high ? number(*m.limits.high) : json(nullptr)},
                  {"outcome", std::string(to_string(m.outcome))}});
  }
  json j = {{"id", s.id},
            {"test", s.test},
            {"outcome", std::string(to_string(s.outcome))},
            {"duration_s", number(s.duration_s)},
            {"measurements", ms}};
  if (!s.message.empty()) j["message"] = s.message;
  if (s.outcome == Outcome::error) j["error_code"] = std::string(to_string(s.error_code));
  if (!s.notes.empty()) j["notes"] = s.notes;
  return j;
}

json to_json(const UnitRecord& u, const Program& p) {
  json steps = json::array();
  for (const auto& s : u.steps) {
    json step = to_json(s);
    if (!s.artifacts.empty()) {
      json list = json::array();
      for (const auto& a : s.artifacts)
        list.push_back({{"name", a.name},
                        {"media_type", a.media_type},
                        {"bytes", a.content.size()},
                        {"file", artifact_file(u, s, a)}});
      step["artifacts"] = list;
    }
    steps.push_back(std::move(step));
  }
  json j = {{"unit", u.unit},
            {"part_id", u.part_id},
            {"die", to_json(u.die)},
            {"ecid", u.ecid ? json(fmt::format("0x{:016x}", *u.ecid)) : json(nullptr)},
            {"site", u.site},
            {"insertion", u.insertion},
            {"soft_bin", u.soft_bin},
            {"soft_bin_name", p.soft_bin(u.soft_bin).name},
            {"hard_bin", u.hard_bin},
            {"hard_bin_name", p.hard_bin(u.hard_bin).name},
            {"passed", u.passed},
            {"tester_error", u.tester_error},
            {"aborted", u.aborted},
            {"start_time", u.start_time},
            {"finish_time", u.finish_time},
            {"test_time_s", number(u.test_time_s)},
            {"steps", steps}};
  if (!u.failing_step.empty()) j["failing_step"] = u.failing_step;
  if (!u.grade.empty()) j["grade"] = u.grade;
  if (!u.message.empty()) j["message"] = u.message;
  if (!u.input_hashes.empty()) j["input_hashes"] = u.input_hashes;
  return j;
}

json provenance(const LotResult& lot, const Program& p) {
  const LotInfo& i = lot.info;
  json inputs = json::array();
  for (const auto& f : i.inputs) inputs.push_back({{"name", f.name}, {"path", f.path}, {"sha256", f.sha256}});
  return {{"lot", i.lot_id},
          {"product", i.product},
          {"step", i.step},
          {"temperature_c", number(i.temperature_c)},
          {"program",
           {{"name", p.name}, {"revision", p.revision}, {"file", p.file.string()}, {"sha256", p.sha256}}},
          {"board", {{"name", i.board.name}, {"file", i.board.path}, {"sha256", i.board.sha256}}},
          {"station", i.station},
          {"handler", i.handler},
          {"site_count", i.site_count},
          {"start_time", i.start_time},
          {"finish_time", i.finish_time},
          {"cancelled", lot.cancelled},
          {"inputs", inputs},
          {"seedval_version", i.seedval_version}};
}

}  // namespace seedval::reports::detail

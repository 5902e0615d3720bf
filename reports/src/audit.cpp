#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <seedval/core/error.h>
#include <seedval/reports/audit.h>

namespace seedval::reports {
namespace {

using DieKey = std::tuple<std::string, int, int, int>;

DieKey key_of(const chip::DieId& d) {
  return {d.lot, d.wafer, d.x, d.y};
}

AuditUnit audit_unit(const UnitRecord& u, const std::vector<KnownDefect>& defects) {
  AuditUnit a;
  a.part_id = u.part_id;
  a.die = u.die;
  a.hard_bin = u.hard_bin;
  a.soft_bin = u.soft_bin;
  a.grade = u.grade;
  a.failing_step = u.failing_step;
  for (const auto& d : defects) {
    a.classes.push_back(d.defect_class);
    a.where.push_back(d.where);
  }
  return a;
}

nlohmann::json unit_json(const AuditUnit& u) {
  nlohmann::json defects = nlohmann::json::array();
  for (std::size_t i = 0; i < u.classes.size(); ++i)
    defects.push_back({{"class", u.classes[i]}, {"where", u.where[i]}});
  return {{"part_id", u.part_id},
          {"die", {{"lot", u.die.lot}, {"wafer", u.die.wafer}, {"x", u.die.x}, {"y", u.die.y}}},
          {"hard_bin", u.hard_bin},
          {"soft_bin", u.soft_bin},
          {"grade", u.grade},
          {"failing_step", u.failing_step},
          {"defects", defects}};
}

}  // namespace

Audit audit_lot(const LotResult& lot, const Program& program, const GroundTruth& truth) {
  Audit a;
  a.lot_id = lot.info.lot_id;
  // The final insertion of every unit: the last one recorded for its die.
  std::map<DieKey, const UnitRecord*> final;
  std::vector<DieKey> order;
  for (const UnitRecord& u : lot.insertions) {
    auto [it, added] = final.try_emplace(key_of(u.die), &u);
    if (added)
      order.push_back(it->first);
    else if (u.insertion >= it->second->insertion)
      it->second = &u;
  }
  // What the program documents, and which step covers what.
  std::map<std::string, AuditClass> classes;
  std::map<std::string, std::set<std::string>> covers_of_step;  // step id -> classes
  for (const auto* steps : {&program.setup, &program.flow, &program.teardown})
    for (const Step& s : *steps)
      for (const auto& c : s.covers) {
        auto& cls = classes[c];
        cls.defect_class = c;
        cls.covered_by.push_back(s.id);
        covers_of_step[s.id].insert(c);
      }

  for (const DieKey& k : order) {
    const UnitRecord& u = *final.at(k);
    auto defects = truth(u.die);
    if (!defects)
      throw InvalidArgumentError(ErrorCode::invalid_argument,
                                 fmt::format("lot {}: the board does not know the truth of die {} (unit {}); "
                                             "only simulated lots can be audited",
                                             lot.info.lot_id, chip::to_string(u.die), u.part_id));
    // A core fused off at this test (harvesting: the "harvest_mask" the part should carry) makes its
    // defects harmless: the part is sold without it.
    std::uint64_t harvested = 0;
    for (const StepRecord& s : u.steps)
      for (const Measurement& m : s.measurements)
        if (m.name == "harvest_mask" && m.value >= 0 && m.value < 0x1p63)
          harvested |= static_cast<std::uint64_t>(m.value);
    std::erase_if(*defects, [&](const KnownDefect& d) {
      return d.core >= 0 && d.core < 64 && (harvested >> d.core & 1u) != 0;
    });
    ++a.units;
    const bool defective = !defects->empty();
    const bool untested = u.tester_error;
    const bool passed = u.passed;
    defective ? ++a.defective : ++a.good;
    if (passed) ++a.passed;
    std::set<std::string> seen;
    for (const KnownDefect& d : *defects) {
      if (!seen.insert(d.defect_class).second) continue;
      AuditClass& c = classes[d.defect_class];
      c.defect_class = d.defect_class;
      c.category = d.category;
      ++c.units;
      if (untested)
        ++c.untested;
      else if (passed)
        ++c.escapes;
      else
        ++c.caught;
    }
    if (untested) {
      ++a.untested;
    } else if (defective && passed) {
      ++a.escapes;
      if (std::any_of(seen.begin(), seen.end(),
                      [&](const std::string& c) { return classes.at(c).covered(); }))
        ++a.covered_escapes;
      a.escaped_units.push_back(audit_unit(u, *defects));
    } else if (!defective && !passed) {
      ++a.overkill;
      if (auto it = covers_of_step.find(u.failing_step); it != covers_of_step.end())
        for (const auto& c : it->second) ++classes[c].overkill;
      a.overkill_units.push_back(audit_unit(u, *defects));
    }
  }
  for (auto& [name, c] : classes) a.classes.push_back(std::move(c));
  std::stable_sort(a.classes.begin(), a.classes.end(), [](const AuditClass& x, const AuditClass& y) {
    return x.covered() != y.covered() ? x.covered() : x.defect_class < y.defect_class;
  });
  return a;
}

std::string audit_json(const Audit& a) {
  nlohmann::json classes = nlohmann::json::array();
  for (const auto& c : a.classes)
    classes.push_back({{"class", c.defect_class},
                       {"category", c.category},
                       {"covered", c.covered()},
                       {"covered_by", c.covered_by},
                       {"units", c.units},
                       {"caught", c.caught},
                       {"escapes", c.escapes},
                       {"untested", c.untested},
                       {"overkill", c.overkill}});
  nlohmann::json escaped = nlohmann::json::array(), overkill = nlohmann::json::array();
  for (const auto& u : a.escaped_units) escaped.push_back(unit_json(u));
  for (const auto& u : a.overkill_units) overkill.push_back(unit_json(u));
  const nlohmann::json j = {
      {"schema", "seedval-audit"}, {"schema_version", 1},       {"lot", a.lot_id},
      {"units", a.units},          {"defective", a.defective},  {"good", a.good},
      {"passed", a.passed},        {"escapes", a.escapes},      {"covered_escapes", a.covered_escapes},
      {"overkill", a.overkill},    {"untested", a.untested},    {"classes", classes},
      {"escaped_units", escaped},  {"overkill_units", overkill}};
  return j.dump(2) + "\n";
}

}  // namespace seedval::reports

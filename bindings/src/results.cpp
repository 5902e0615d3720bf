// Results as Python objects: measurements, steps, units and lots, each with to_dict() and to_json(),
// and lots as numpy arrays.
#include <pybind11/stl.h>

#include <seedval/reports/lot_reports.h>
#include <seedval/reports/summary.h>
#include <seedval/reports/unit_log.h>

#include "bindings.h"

namespace seedval::python {
namespace {

py::object optional_number(const std::optional<double>& v) {
  return v ? py::object(py::float_(*v)) : py::object(py::none());
}

py::dict measurement_dict(const Measurement& m) {
  py::dict d;
  d["name"] = m.name;
  d["value"] = m.value;
  d["unit"] = std::string(m.unit.symbol);
  d["low"] = optional_number(m.limits.low);
  d["high"] = optional_number(m.limits.high);
  d["outcome"] = std::string(to_string(m.outcome));
  return d;
}

py::dict step_dict(const StepRecord& s) {
  py::dict d;
  d["id"] = s.id;
  d["test"] = s.test;
  d["outcome"] = std::string(to_string(s.outcome));
  d["message"] = s.message;
  py::list ms;
  for (const auto& m : s.measurements) ms.append(measurement_dict(m));
  d["measurements"] = ms;
  d["notes"] = s.notes;
  py::list as;
  for (const auto& a : s.artifacts) {
    py::dict ad;
    ad["name"] = a.name;
    ad["media_type"] = a.media_type;
    ad["size"] = a.content.size();
    as.append(ad);
  }
  d["artifacts"] = as;
  d["duration_s"] = s.duration_s;
  d["error_code"] = s.error_code == ErrorCode::ok ? py::object(py::none())
                                                  : py::object(py::str(std::string(to_string(s.error_code))));
  return d;
}

py::object json_loads(const std::string& text) {
  return py::module_::import("json").attr("loads")(text);
}
std::string json_dumps(const py::object& o, const py::object& indent) {
  return py::module_::import("json").attr("dumps")(o, py::arg("indent") = indent).cast<std::string>();
}

const Measurement* find_measurement(const StepRecord& s, std::string_view name) {
  for (const auto& m : s.measurements)
    if (m.name == name) return &m;
  return nullptr;
}

const StepRecord* find_step(const UnitRecord& u, std::string_view id) {
  for (const auto& s : u.steps)
    if (s.id == id) return &s;
  return nullptr;
}

/// The final insertion of each unit, in the order they finished.
std::vector<const UnitRecord*> final_insertions(const LotResult& lot) {
  std::map<int, std::size_t> last;
  for (std::size_t i = 0; i < lot.insertions.size(); ++i) last[lot.insertions[i].unit] = i;
  std::vector<std::size_t> order;
  for (const auto& [unit, i] : last) order.push_back(i);
  std::sort(order.begin(), order.end());
  std::vector<const UnitRecord*> out;
  for (auto i : order) out.push_back(&lot.insertions[i]);
  return out;
}

py::object numpy_from(const std::vector<double>& v, const char* dtype) {
  return py::module_::import("numpy").attr("array")(py::cast(v), py::arg("dtype") = dtype);
}

}  // namespace

void bind_results(py::module_& m) {
  py::class_<Measurement>(m, "Measurement", "A named value with its unit, limits and outcome.")
      .def_readonly("name", &Measurement::name)
      .def_readonly("value", &Measurement::value)
      .def_property_readonly("unit", [](const Measurement& x) { return std::string(x.unit.symbol); })
      .def_property_readonly("low", [](const Measurement& x) { return optional_number(x.limits.low); })
      .def_property_readonly("high", [](const Measurement& x) { return optional_number(x.limits.high); })
      .def_property_readonly("outcome",
                             [](const Measurement& x) { return std::string(to_string(x.outcome)); })
      .def_property_readonly("passed", [](const Measurement& x) { return x.outcome == Outcome::passed; })
      .def("to_dict", &measurement_dict)
      .def("__repr__", [](const Measurement& x) {
        return "<seedval.Measurement " + x.name + " = " + format_quantity(x.value, x.unit) + " " +
               to_string(x.limits, x.unit) + " " + std::string(to_string(x.outcome)) + ">";
      });

  py::class_<Artifact>(m, "Artifact", "A document a test produced: a fail bitmap, a shmoo grid, a traceback.")
      .def_readonly("name", &Artifact::name)
      .def_readonly("media_type", &Artifact::media_type)
      .def_property_readonly("content", [](const Artifact& a) { return py::bytes(a.content); })
      .def_property_readonly("text", [](const Artifact& a) { return py::str(a.content); })
      .def(
          "json", [](const Artifact& a) { return json_loads(a.content); }, "The content parsed as JSON.")
      .def("__repr__", [](const Artifact& a) {
        return "<seedval.Artifact " + a.name + " (" + a.media_type + ", " + std::to_string(a.content.size()) +
               " bytes)>";
      });

  py::class_<StepRecord>(m, "StepResult", "What one execution of a test produced.")
      .def_readonly("id", &StepRecord::id)
      .def_readonly("test", &StepRecord::test)
      .def_property_readonly(
          "outcome", [](const StepRecord& s) { return std::string(to_string(s.outcome)); },
          "\"passed\", \"failed\", \"skipped\" or \"error\" (the tester could not judge).")
      .def_property_readonly("passed", [](const StepRecord& s) { return s.outcome == Outcome::passed; })
      .def_readonly("message", &StepRecord::message)
      .def_readonly("measurements", &StepRecord::measurements)
      .def_readonly("notes", &StepRecord::notes)
      .def_readonly("artifacts", &StepRecord::artifacts)
      .def_readonly("duration_s", &StepRecord::duration_s)
      .def_property_readonly("error_code",
                             [](const StepRecord& s) {
                               return s.error_code == ErrorCode::ok
                                          ? py::object(py::none())
                                          : py::object(py::str(std::string(to_string(s.error_code))));
                             })
      .def(
          "measurement",
          [](const StepRecord& s, const std::string& name) {
            const Measurement* x = find_measurement(s, name);
            if (x == nullptr)
              throw NotFoundError(ErrorCode::not_found, "step " + s.id + " has no measurement " + name);
            return *x;
          },
          py::arg("name"))
      .def("__getitem__",
           [](const StepRecord& s, const std::string& name) {
             const Measurement* x = find_measurement(s, name);
             if (x == nullptr) throw py::key_error(name);
             return x->value;
           })
      .def(
          "artifact",
          [](const StepRecord& s, const std::string& name) {
            for (const auto& a : s.artifacts)
              if (a.name == name) return a;
            throw NotFoundError(ErrorCode::not_found, "step " + s.id + " has no artifact " + name);
          },
          py::arg("name"))
      .def(
          "values",
          [](const StepRecord& s) {
            py::dict d;
            for (const auto& x : s.measurements) d[py::str(x.name)] = x.value;
            return d;
          },
          "The measurements as {name: value}.")
      .def("to_dict", &step_dict)
      .def(
          "to_json", [](const StepRecord& s, py::object indent) { return json_dumps(step_dict(s), indent); },
          py::arg("indent") = py::none())
      .def("__repr__", [](const StepRecord& s) {
        return "<seedval.StepResult " + s.id + " (" + s.test + "): " + std::string(to_string(s.outcome)) +
               (s.message.empty() ? "" : " - " + s.message) + ">";
      });

  py::class_<UnitResult>(m, "UnitResult", "One insertion of one unit: its steps and its bin.")
      .def_property_readonly("unit", [](const UnitResult& u) { return u.record.unit; })
      .def_property_readonly("part_id", [](const UnitResult& u) { return u.record.part_id; })
      .def_property_readonly("die", [](const UnitResult& u) { return chip::to_string(u.record.die); })
      .def_property_readonly("ecid", [](const UnitResult& u) { return u.record.ecid; })
      .def_property_readonly("site", [](const UnitResult& u) { return u.record.site; })
      .def_property_readonly("insertion", [](const UnitResult& u) { return u.record.insertion; })
      .def_property_readonly("steps", [](const UnitResult& u) { return u.record.steps; })
      .def_property_readonly("soft_bin", [](const UnitResult& u) { return u.record.soft_bin; })
      .def_property_readonly("hard_bin", [](const UnitResult& u) { return u.record.hard_bin; })
      .def_property_readonly("soft_bin_name",
                             [](const UnitResult& u) { return u.program->soft_bin(u.record.soft_bin).name; })
      .def_property_readonly("hard_bin_name",
                             [](const UnitResult& u) { return u.program->hard_bin(u.record.hard_bin).name; })
      .def_property_readonly("passed", [](const UnitResult& u) { return u.record.passed; })
      .def_property_readonly("tester_error", [](const UnitResult& u) { return u.record.tester_error; })
      .def_property_readonly("aborted", [](const UnitResult& u) { return u.record.aborted; })
      .def_property_readonly("failing_step", [](const UnitResult& u) { return u.record.failing_step; })
      .def_property_readonly("grade", [](const UnitResult& u) { return u.record.grade; })
      .def_property_readonly("message", [](const UnitResult& u) { return u.record.message; })
      .def_property_readonly("start_time", [](const UnitResult& u) { return u.record.start_time; })
      .def_property_readonly("finish_time", [](const UnitResult& u) { return u.record.finish_time; })
      .def_property_readonly("test_time_s", [](const UnitResult& u) { return u.record.test_time_s; })
      .def(
          "step",
          [](const UnitResult& u, const std::string& id) {
            const StepRecord* s = find_step(u.record, id);
            if (s == nullptr)
              throw NotFoundError(ErrorCode::not_found, "unit " + u.record.part_id + " has no step " + id);
            return *s;
          },
          py::arg("id"))
      .def(
          "to_json", [](const UnitResult& u) { return reports::unit_record_json(u.record, *u.program); },
          "The record as one line of units.jsonl.")
      .def("to_dict",
           [](const UnitResult& u) { return json_loads(reports::unit_record_json(u.record, *u.program)); })
      .def("__repr__", [](const UnitResult& u) {
        return "<seedval.UnitResult part " + u.record.part_id + " (" + chip::to_string(u.record.die) +
               ") insertion " + std::to_string(u.record.insertion) + ": hard bin " +
               std::to_string(u.record.hard_bin) + " " + u.program->hard_bin(u.record.hard_bin).name + ">";
      });

  py::class_<LotRun>(m, "LotResult", "A lot: every insertion, its sites, and its yields.")
      .def_property_readonly("lot_id", [](const LotRun& l) { return l.lot.info.lot_id; })
      .def_property_readonly(
          "insertions",
          [](const LotRun& l) {
            std::vector<UnitResult> out;
            out.reserve(l.lot.insertions.size());
            for (const auto& u : l.lot.insertions) out.push_back({u, l.program});
            return out;
          },
          "Every insertion of every unit, in the order they finished (empty if the lot kept none).")
      .def_property_readonly(
          "final",
          [](const LotRun& l) {
            std::vector<UnitResult> out;
            for (const auto* u : final_insertions(l.lot)) out.push_back({*u, l.program});
            return out;
          },
          "Each unit's last insertion, which decided its bin.")
      .def_property_readonly("sites",
                             [](const LotRun& l) {
                               py::list out;
                               for (const auto& s : l.lot.sites) {
                                 py::dict d;
                                 d["site"] = s.site;
                                 d["board"] = s.board;
                                 d["insertions"] = s.insertions;
                                 d["tester_errors"] = s.tester_errors;
                                 d["out_of_service"] = s.out_of_service;
                                 d["reason"] = s.reason;
                                 out.append(d);
                               }
                               return out;
                             })
      .def_property_readonly("cancelled", [](const LotRun& l) { return l.lot.cancelled; })
      .def_property_readonly("stopped_because", [](const LotRun& l) { return l.lot.stopped_because; })
      .def_readonly("files", &LotRun::files, "The report files written (with out=).")
      .def(
          "yield_report",
          [](const LotRun& l) { return json_loads(reports::yield_report(l.lot, *l.program)); },
          "yield.json as a dict: counts, yields, per site and per test statistics, provenance.")
      .def(
          "bins_report", [](const LotRun& l) { return json_loads(reports::bins_report(l.lot, *l.program)); },
          "bins.json as a dict: hard and soft bins, first pass and final, Pareto of fail bins.")
      .def_property_readonly(
          "first_pass_yield",
          [](const LotRun& l) { return reports::summarize(l.lot, *l.program).first_pass_yield.value(); },
          "Units that passed their first insertion over units (None for an empty lot).")
      .def_property_readonly(
          "final_yield",
          [](const LotRun& l) { return reports::summarize(l.lot, *l.program).final_yield.value(); },
          "Units whose final insertion passed over units.")
      .def(
          "arrays",
          [](const LotRun& l, bool final_only) {
            std::vector<double> unit, site, insertion, hard, soft, passed, time;
            std::vector<const UnitRecord*> rows;
            if (final_only)
              rows = final_insertions(l.lot);
            else
              for (const auto& u : l.lot.insertions) rows.push_back(&u);
            for (const auto* u : rows) {
              unit.push_back(u->unit);
              site.push_back(u->site);
              insertion.push_back(u->insertion);
              hard.push_back(u->hard_bin);
              soft.push_back(u->soft_bin);
              passed.push_back(u->passed ? 1 : 0);
              time.push_back(u->test_time_s);
            }
            py::dict d;
            d["unit"] = numpy_from(unit, "int32");
            d["site"] = numpy_from(site, "int32");
            d["insertion"] = numpy_from(insertion, "int32");
            d["hard_bin"] = numpy_from(hard, "int32");
            d["soft_bin"] = numpy_from(soft, "int32");
            d["passed"] = numpy_from(passed, "bool");
            d["test_time_s"] = numpy_from(time, "float64");
            return d;
          },
          py::arg("final_only") = true,
          "Columns as numpy arrays, one row per unit (its final insertion) or per insertion: unit, site, "
          "insertion, hard_bin, soft_bin, passed, test_time_s.")
      .def(
          "measurements",
          [](const LotRun& l, const std::string& step, const std::string& name, bool final_only) {
            std::vector<double> values;
            std::vector<const UnitRecord*> rows;
            if (final_only)
              rows = final_insertions(l.lot);
            else
              for (const auto& u : l.lot.insertions) rows.push_back(&u);
            for (const auto* u : rows) {
              const StepRecord* s = find_step(*u, step);
              const Measurement* x = s ? find_measurement(*s, name) : nullptr;
              values.push_back(x ? x->value : std::numeric_limits<double>::quiet_NaN());
            }
            return numpy_from(values, "float64");
          },
          py::arg("step"), py::arg("name"), py::arg("final_only") = true,
          "One measurement of one step over the lot as a float64 numpy array (NaN where a unit did not "
          "reach it).")
      .def(
          "to_dict",
          [](const LotRun& l) {
            py::dict d;
            d["lot_id"] = l.lot.info.lot_id;
            d["cancelled"] = l.lot.cancelled;
            d["stopped_because"] = l.lot.stopped_because;
            d["files"] = l.files;
            py::list units;
            for (const auto& u : l.lot.insertions)
              units.append(json_loads(reports::unit_record_json(u, *l.program)));
            d["insertions"] = units;
            d["yield"] = json_loads(reports::yield_report(l.lot, *l.program));
            return d;
          },
          "The lot as plain data: its insertions (as in units.jsonl) and yield.json.")
      .def("__repr__", [](const LotRun& l) {
        const auto s = reports::summarize(l.lot, *l.program);
        const auto fy = s.final_yield.value();
        return "<seedval.LotResult " + l.lot.info.lot_id + ": " + std::to_string(s.units) +
               " units, final yield " +
               (fy ? std::to_string(100 * *fy).substr(0, 5) + "%" : std::string("n/a")) + ">";
      });
}

}  // namespace seedval::python

// Tests, programs and running them: the registered tests, tests written in Python, programs, and a
// test, a program or a lot run on a board with results as Python objects. Also the command line itself
// (`python3 -m seedval`).
#include <csignal>
#include <filesystem>
#include <map>
#include <set>

#include <pybind11/stl.h>

#include <seedval/chip/identity.h>
#include <seedval/exec/handler.h>
#include <seedval/exec/lot.h>
#include <seedval/exec/runner.h>
#include <seedval/reports/lot_reports.h>
#include <seedval/reports/unit_log.h>
#include <seedval/store/store.h>

#include "bindings.h"
#include "common.h"  // the command line (apps/seedval)

namespace seedval::python {
namespace {

namespace fs = std::filesystem;

// ---- values ----

ParamValue param_value(const std::string& name, const py::handle& v) {
  if (py::isinstance<py::bool_>(v)) return v.cast<bool>();
  if (py::isinstance<py::int_>(v)) return v.cast<std::int64_t>();
  if (py::isinstance<py::float_>(v)) return v.cast<double>();
  if (py::isinstance<py::str>(v)) return v.cast<std::string>();
  throw InvalidArgumentError(ErrorCode::invalid_argument,
                             "parameter " + name + ": expected an int, float, bool or str, not " +
                                 py::str(py::type::of(v).attr("__name__")).cast<std::string>());
}

py::object py_value(const ParamValue& v) {
  return std::visit([](const auto& x) { return py::object(py::cast(x)); }, v);
}

std::map<std::string, ParamValue, std::less<>> param_values(const py::dict& given) {
  std::map<std::string, ParamValue, std::less<>> out;
  for (auto [k, v] : given) {
    const std::string name = py::str(k).cast<std::string>();
    out[name] = param_value(name, v);
  }
  return out;
}

std::optional<double> optional_double(const py::handle& v) {
  if (v.is_none()) return std::nullopt;
  return v.cast<double>();
}

/// {"name": {"low": x, "high": y}} or {"name": (low, high)}; None is an open side.
std::map<std::string, Limits, std::less<>> limits_of(const py::dict& given) {
  std::map<std::string, Limits, std::less<>> out;
  for (auto [k, v] : given) {
    Limits l;
    if (py::isinstance<py::dict>(v)) {
      auto d = v.cast<py::dict>();
      if (d.contains("low")) l.low = optional_double(d["low"]);
      if (d.contains("high")) l.high = optional_double(d["high"]);
    } else {
      auto t = v.cast<py::sequence>();
      if (t.size() != 2)
        throw InvalidArgumentError(ErrorCode::invalid_argument,
                                   "limits of " + py::str(k).cast<std::string>() + ": expected (low, high)");
      l.low = optional_double(t[0]);
      l.high = optional_double(t[1]);
    }
    out[py::str(k).cast<std::string>()] = l;
  }
  return out;
}

py::dict param_spec_dict(const ParamSpec& p) {
  py::dict d;
  d["name"] = p.name;
  d["type"] = std::string(to_string(p.type));
  d["default"] = py_value(p.default_value);
  d["description"] = p.description;
  d["min"] = p.min ? py::object(py::float_(*p.min)) : py::object(py::none());
  d["max"] = p.max ? py::object(py::float_(*p.max)) : py::object(py::none());
  d["choices"] = p.choices;
  return d;
}

py::dict measurement_spec_dict(const MeasurementSpec& s) {
  py::dict d;
  d["name"] = s.name;
  d["unit"] = std::string(s.unit.symbol);
  d["description"] = s.description;
  d["low"] = s.limits.low ? py::object(py::float_(*s.limits.low)) : py::object(py::none());
  d["high"] = s.limits.high ? py::object(py::float_(*s.limits.high)) : py::object(py::none());
  return d;
}

py::list steps_list(const std::vector<Step>& steps) {
  py::list out;
  for (const auto& s : steps) {
    py::dict d;
    d["id"] = s.id;
    d["test"] = s.test ? s.test->name : std::string();
    d["description"] = s.description;
    py::dict params;
    for (const auto& [k, v] : s.params.values()) params[py::str(k)] = py_value(v);
    d["params"] = params;
    py::dict limits;
    for (const auto& [k, l] : s.limits)
      limits[py::str(k)] = py::make_tuple(l.low ? py::object(py::float_(*l.low)) : py::object(py::none()),
                                          l.high ? py::object(py::float_(*l.high)) : py::object(py::none()));
    d["limits"] = limits;
    d["fail_bin"] = s.fail_bin;
    d["optional"] = s.optional;
    out.append(d);
  }
  return out;
}

// ---- tests written in Python ----

/// A Python object kept by C++ past the calls that made it (a test body in the registry): freed with the
/// GIL, or left alone once the interpreter has gone (the registry outlives it at exit).
std::shared_ptr<py::object> keep(py::object o) {
  return std::shared_ptr<py::object>(new py::object(std::move(o)), [](py::object* p) {
    if (Py_IsInitialized() == 0) return;  // the interpreter is gone: nothing to release
    py::gil_scoped_acquire gil;
    delete p;
  });
}

/// The context a Python test body is given; valid while the body runs.
class PyTestContext {
 public:
  explicit PyTestContext(TestContext& ctx)
      : ctx_(&ctx), device_(std::make_shared<DeviceHandle>(ctx.device())) {}
  TestContext& get() const {
    if (ctx_ == nullptr)
      throw InvalidArgumentError(ErrorCode::invalid_argument,
                                 "this test context belongs to a test that has ended");
    return *ctx_;
  }
  const std::shared_ptr<DeviceHandle>& device() const {
    get();
    return device_;
  }
  void end() {
    ctx_ = nullptr;
    device_->close();
  }

 private:
  TestContext* ctx_;
  std::shared_ptr<DeviceHandle> device_;
};

std::set<std::string>& python_tests() {
  static std::set<std::string> names;
  return names;
}

std::string format_traceback(const py::error_already_set& e) {
  try {
    py::object lines =
        py::module_::import("traceback").attr("format_exception")(e.type(), e.value(), e.trace());
    return py::str("").attr("join")(lines).cast<std::string>();
  } catch (const py::error_already_set&) {
    return e.what();
  }
}

/// The body of a Python test as the runner calls it, on whichever thread runs the unit.
void run_python_body(const std::shared_ptr<py::object>& body, TestContext& ctx) {
  enum class End { passed, failed, skipped, error } end = End::passed;
  std::string reason, traceback;
  ErrorCode code = ErrorCode::internal;
  {
    py::gil_scoped_acquire gil;
    auto pyctx = std::make_shared<PyTestContext>(ctx);
    try {
      (*body)(pyctx);
    } catch (py::error_already_set& e) {
      if (e.matches(test_failed_class())) {
        end = End::failed;
        reason = py::str(e.value()).cast<std::string>();
      } else if (e.matches(test_skipped_class())) {
        end = End::skipped;
        reason = py::str(e.value()).cast<std::string>();
      } else {
        traceback = format_traceback(e);
        const std::string type = py::str(e.type().attr("__name__")).cast<std::string>();
        const std::string text = py::str(e.value()).cast<std::string>();
        if (e.matches(error_base_class()) || e.matches(PyExc_KeyboardInterrupt)) {
          // A seedval error (a timeout, a board that vanished) is the tester's, as in a C++ test.
          end = End::error;
          if (e.matches(PyExc_KeyboardInterrupt)) {
            code = ErrorCode::cancelled;
            reason = "interrupted (KeyboardInterrupt)";
          } else {
            code = error_code_from_string(py::str(e.value().attr("code")).cast<std::string>());
            reason = text;
          }
        } else {
          end = End::failed;
          reason = "Python " + type + (text.empty() ? "" : ": " + text);
        }
      }
      pyctx->end();
    } catch (...) {
      pyctx->end();
      throw;  // a C++ error raised through the body (a device call): the runner records it
    }
    pyctx->end();
  }
  if (!traceback.empty()) {
    ctx.note("Python traceback:\n" + traceback);
    ctx.attach("python_traceback", traceback, "text/plain");
  }
  switch (end) {
    case End::passed:
      return;
    case End::failed:
      ctx.fail(reason);
    case End::skipped:
      ctx.skip(reason);
    case End::error:
      throw_error(code == ErrorCode::ok ? ErrorCode::internal : code, reason);
  }
}

void register_python_test(const std::string& name, const py::function& body, const std::string& description,
                          const py::list& params, const py::list& measurements,
                          const std::vector<std::string>& requires_caps, bool replace) {
  TestDefinition def;
  def.name = name;
  def.description = description;
  for (auto item : params) {
    auto d = item.cast<py::dict>();
    ParamSpec p;
    p.name = d["name"].cast<std::string>();
    const std::string type = d["type"].cast<std::string>();
    if (type == "integer")
      p.type = ParamType::integer;
    else if (type == "number")
      p.type = ParamType::number;
    else if (type == "boolean")
      p.type = ParamType::boolean;
    else if (type == "string")
      p.type = ParamType::string;
    else
      throw InvalidArgumentError(ErrorCode::invalid_argument,
                                 "test " + name + ", parameter " + p.name + ": type " + type +
                                     " is not integer, number, boolean or string");
    p.default_value = param_value(p.name, d["default"]);
    if (d.contains("description")) p.description = d["description"].cast<std::string>();
    if (d.contains("min")) p.min = optional_double(d["min"]);
    if (d.contains("max")) p.max = optional_double(d["max"]);
    if (d.contains("choices") && !d["choices"].is_none())
      p.choices = d["choices"].cast<std::vector<std::string>>();
    def.params.push_back(std::move(p));
  }
  for (auto item : measurements) {
    auto d = item.cast<py::dict>();
    MeasurementSpec s;
    s.name = d["name"].cast<std::string>();
    const std::string unit = d.contains("unit") ? d["unit"].cast<std::string>() : std::string();
    const auto u = unit_from_symbol(unit);
    if (!u)
      throw InvalidArgumentError(ErrorCode::invalid_argument,
                                 "test " + name + ", measurement " + s.name + ": unknown unit \"" + unit +
                                     "\" (count, ratio, %, V, A, W, Hz, s, degC, B, bit, Ohm, B/s, or \"\")");
    s.unit = *u;
    if (d.contains("description")) s.description = d["description"].cast<std::string>();
    if (d.contains("low")) s.limits.low = optional_double(d["low"]);
    if (d.contains("high")) s.limits.high = optional_double(d["high"]);
    def.measurements.push_back(std::move(s));
  }
  for (const auto& c : requires_caps) def.requires_caps.push_back(chip::capability_from_string(c));
  auto kept = keep(body);
  def.run = [kept](TestContext& ctx) { run_python_body(kept, ctx); };
  auto& registry = TestRegistry::instance();
  if (registry.find(name) != nullptr) {
    if (!python_tests().contains(name))
      throw InvalidArgumentError(ErrorCode::invalid_argument,
                                 "test " + name + " is a built-in test; a Python test needs another name");
    if (!replace)
      throw InvalidArgumentError(
          ErrorCode::invalid_argument,
          "test " + name + " is registered already; pass replace=True to define it again");
    registry.replace(std::move(def));
    return;
  }
  registry.add(std::move(def));
  python_tests().insert(name);
}

// ---- running ----

std::shared_ptr<const Program> program_of(const py::object& program) {
  if (py::isinstance<py::str>(program))
    return std::make_shared<const Program>(load_program(program.cast<std::string>()));
  return program.cast<std::shared_ptr<Program>>();
}

/// Progress of a lot: each finished insertion handed to `progress` on the calling thread.
class ProgressSink final : public ResultSink {
 public:
  ProgressSink(Mailbox& box, const py::object& progress, std::shared_ptr<const Program> program)
      : box_(box), progress_(progress), program_(std::move(program)) {}
  void unit_finished(const UnitRecord& u) override {
    if (progress_.is_none()) return;
    UnitRecord copy = u;
    // The sink may be gone when the callback runs (it runs after the lot, when it finished first).
    box_.post([progress = &progress_, program = program_, copy = std::move(copy)]() mutable {
      (*progress)(UnitResult{std::move(copy), program});
    });
  }

 private:
  Mailbox& box_;
  const py::object& progress_;
  std::shared_ptr<const Program> program_;
};

LotRun run_lot_py(const py::object& program_arg, const std::string& board, int units, int sites,
                  const std::string& lot_id, const std::optional<std::string>& out,
                  const std::vector<std::string>& limits, std::optional<double> temperature_c,
                  const py::object& progress, bool keep_insertions, bool overwrite,
                  const std::string& station) {
  auto program = std::make_shared<Program>(*program_of(program_arg));
  for (const auto& l : limits) apply_limits_file(*program, l);
  if (units < 1 || units > SimHandler::max_units())
    throw InvalidArgumentError(ErrorCode::invalid_argument,
                               "units must be from 1 to " + std::to_string(SimHandler::max_units()));
  if (sites < 1 || sites > 64)
    throw InvalidArgumentError(ErrorCode::invalid_argument, "sites must be from 1 to 64");
  if (!out && !keep_insertions)
    throw InvalidArgumentError(
        ErrorCode::invalid_argument,
        "keep_insertions=False needs out=: the lot's records are then kept only in its store");
  LotRun run;
  run.program = program;
  std::vector<std::unique_ptr<Board>> boards;
  std::vector<Board*> site_boards;
  {
    py::gil_scoped_release release;
    for (int i = 0; i < sites; ++i) {
      boards.push_back(open_board(board));
      site_boards.push_back(boards.back().get());
    }
  }
  if (site_boards.front()->die_socket() == nullptr)
    throw InvalidArgumentError(
        ErrorCode::invalid_argument,
        "board " + board + " has no die socket: a simulated lot needs a simulated board");
  std::unique_ptr<ResultStore> store;
  std::unique_ptr<StoreSink> store_sink;
  std::unique_ptr<reports::UnitLog> unit_log;
  fs::path dir;
  if (out) {
    dir = *out;
    const fs::path log_file = dir / "units.jsonl";
    std::error_code ec;
    if (fs::exists(log_file, ec) && fs::file_size(log_file, ec) > 0) {
      if (!overwrite)
        throw InvalidArgumentError(ErrorCode::invalid_argument,
                                   dir.string() + " already holds a lot (" + log_file.string() +
                                       "); use another out, or overwrite=True to replace it");
      for (const char* f : {"units.jsonl", "results.db", "results.db-wal", "results.db-shm"})
        fs::remove(dir / f, ec);
    }
    fs::create_directories(dir, ec);
    if (ec) throw IoError(ErrorCode::io, dir.string() + ": cannot create: " + ec.message());
    store = ResultStore::open((dir / "results.db").string());
    store_sink = std::make_unique<StoreSink>(*store);
    // The program is kept with the lot, so `seedval report` rebuilds its reports as they were: its file,
    // or the JSON it was made from in Python (program_from_dict).
    if (!program->file.empty())
      store_sink->keep_file("program", {program->name, program->file.string(), program->sha256});
    else if (!program->source.empty())
      store_sink->keep_content("program", {program->name, "", program->sha256}, program->source);
    for (const LimitsLayer& l : program->limits_layers)
      store_sink->keep_file("limits", {l.file.filename().string(), l.file.string(), l.sha256});
    unit_log = std::make_unique<reports::UnitLog>(log_file, *program);
  }
  run.lot = blocking([&](std::stop_token stop, Mailbox& box) {
    SimHandler handler(lot_id, units);
    ProgressSink progress_sink(box, progress, program);
    std::vector<ResultSink*> sinks;
    if (store_sink) sinks.push_back(store_sink.get());
    if (unit_log) sinks.push_back(unit_log.get());
    sinks.push_back(&progress_sink);
    LotOptions options;
    options.lot_id = lot_id;
    options.station = station;
    if (temperature_c) options.temperature_c = *temperature_c;
    options.keep_insertions = keep_insertions;
    LotResult lot = run_lot(site_boards, handler, *program, options, sinks, stop);
    if (store) {
      // The reports are built from the store, one insertion at a time, as `seedval lot` builds them.
      const LotResult header = store->load_header(lot.info.lot_id);
      const std::string id = lot.info.lot_id;
      for (const auto& f : reports::write_lot_reports(
               header, *program,
               [&](const std::function<void(const UnitRecord&)>& each) {
                 store->for_each_insertion(
                     id, [&](UnitRecord&& u) { each(u); }, false);
               },
               dir))
        run.files.push_back(f.string());
      run.files.push_back(store->location());
      run.files.push_back((dir / "units.jsonl").string());
    }
    return lot;
  });
  return run;
}

}  // namespace

void bind_tests(py::module_& m) {
  py::class_<TestDefinition, std::unique_ptr<TestDefinition, py::nodelete>>(
      m, "TestInfo", "A registered test: its parameters and declared measurements.")
      .def_readonly("name", &TestDefinition::name)
      .def_readonly("description", &TestDefinition::description)
      .def_property_readonly("params",
                             [](const TestDefinition& t) {
                               py::list out;
                               for (const auto& p : t.params) out.append(param_spec_dict(p));
                               return out;
                             })
      .def_property_readonly("measurements",
                             [](const TestDefinition& t) {
                               py::list out;
                               for (const auto& s : t.measurements) out.append(measurement_spec_dict(s));
                               return out;
                             })
      .def_property_readonly("requires",
                             [](const TestDefinition& t) {
                               std::vector<std::string> out;
                               for (auto c : t.requires_caps) out.emplace_back(to_string(c));
                               return out;
                             })
      .def_property_readonly(
          "python", [](const TestDefinition& t) { return python_tests().contains(t.name); },
          "True for a test defined in Python.")
      .def("__repr__", [](const TestDefinition& t) { return "<seedval.TestInfo " + t.name + ">"; });

  m.def(
      "tests", [] { return TestRegistry::instance().names(); }, "Names of the registered tests, sorted.");
  m.def(
      "test_info", [](const std::string& name) { return &TestRegistry::instance().get(name); },
      py::return_value_policy::reference, py::arg("name"),
      "A registered test (NotFoundError lists the names).");
  m.def("register_test", &register_python_test, py::arg("name"), py::arg("body"), py::arg("description") = "",
        py::arg("params") = py::list(), py::arg("measurements") = py::list(),
        py::arg("requires") = std::vector<std::string>{}, py::arg("replace") = false,
        "Registers a Python function as a test (see seedval.test, the decorator, for the friendly form).");

  py::class_<PyTestContext, std::shared_ptr<PyTestContext>>(
      m, "TestContext", "What a Python test body is given: its device, parameters, and where results go.")
      .def_property_readonly("device", &PyTestContext::device,
                             "The device under test (valid while the test runs).")
      .def_property_readonly("params",
                             [](const PyTestContext& c) {
                               py::dict d;
                               for (const auto& [k, v] : c.get().params().values())
                                 d[py::str(k)] = py_value(v);
                               return d;
                             })
      .def(
          "measure",
          [](PyTestContext& c, const std::string& name, double value) {
            return c.get().measure(name, value);
          },
          py::arg("name"), py::arg("value"),
          "Records a declared measurement; returns True if within its limits.")
      .def(
          "note", [](PyTestContext& c, std::string text) { c.get().note(std::move(text)); }, py::arg("text"))
      .def(
          "attach",
          [](PyTestContext& c, const std::string& name, const py::object& content,
             const std::string& media_type) {
            std::string text;
            if (py::isinstance<py::bytes>(content))
              text = content.cast<std::string>();
            else if (py::isinstance<py::str>(content))
              text = content.cast<std::string>();
            else
              text = py::module_::import("json").attr("dumps")(content).cast<std::string>();
            c.get().attach(name, std::move(text), media_type);
          },
          py::arg("name"), py::arg("content"), py::arg("media_type") = "application/json",
          "Keeps a document with the step's record: str, bytes, or anything json.dumps takes.")
      .def(
          "fail",
          [](PyTestContext& c, const std::string& reason) {
            c.get();
            PyErr_SetString(test_failed_class().ptr(), reason.c_str());
            throw py::error_already_set();
          },
          py::arg("reason"), "Ends the test as failed (raises seedval.TestFailed).")
      .def(
          "skip",
          [](PyTestContext& c, const std::string& reason) {
            c.get();
            PyErr_SetString(test_skipped_class().ptr(), reason.c_str());
            throw py::error_already_set();
          },
          py::arg("reason"), "Ends the test as skipped (raises seedval.TestSkipped).")
      .def_property_readonly("stop_requested",
                             [](const PyTestContext& c) { return c.get().stop_token().stop_requested(); })
      .def(
          "check_stop", [](const PyTestContext& c) { c.get().check_stop(); },
          "Raises seedval.CancelledError if the run was asked to stop; call it in long loops.");

  py::class_<Program, std::shared_ptr<Program>>(m, "Program", "A test program: steps, limits and bins.")
      .def_readonly("name", &Program::name)
      .def_readonly("revision", &Program::revision)
      .def_readonly("product", &Program::product)
      .def_readonly("description", &Program::description)
      .def_property_readonly("file", [](const Program& p) { return p.file.string(); })
      .def_readonly("sha256", &Program::sha256)
      .def_property_readonly("setup", [](const Program& p) { return steps_list(p.setup); })
      .def_property_readonly("flow", [](const Program& p) { return steps_list(p.flow); })
      .def_property_readonly("teardown", [](const Program& p) { return steps_list(p.teardown); })
      .def_property_readonly("hard_bins",
                             [](const Program& p) {
                               py::list out;
                               for (const auto& b : p.hard_bins)
                                 out.append(py::dict(py::arg("number") = b.number, py::arg("name") = b.name,
                                                     py::arg("pass") = b.pass));
                               return out;
                             })
      .def_property_readonly("soft_bins",
                             [](const Program& p) {
                               py::list out;
                               for (const auto& b : p.soft_bins)
                                 out.append(py::dict(py::arg("number") = b.number, py::arg("name") = b.name,
                                                     py::arg("hard_bin") = b.hard_bin));
                               return out;
                             })
      .def(
          "apply_limits", [](Program& p, const std::string& file) { apply_limits_file(p, file); },
          py::arg("limits"),
          "Applies a limits file (a path or a name in fixtures/limits/) over the program's limits.")
      .def("__repr__",
           [](const Program& p) { return "<seedval.Program " + p.name + " " + p.revision + ">"; });

  m.def(
      "load_program", [](const std::string& name) { return std::make_shared<Program>(load_program(name)); },
      py::arg("name_or_path") = std::string(kDefaultProgram),
      "Loads and validates a program: a name in fixtures/programs/ or a path.");
  m.def(
      "parse_program",
      [](const std::string& text, const std::string& where) {
        return std::make_shared<Program>(parse_program(text, where));
      },
      py::arg("json_text"), py::arg("where") = "<python>", "Validates a program given as JSON text.");
  m.def(
      "single_test_program",
      [](const std::string& test, const py::dict& params) {
        return std::make_shared<Program>(single_test_program(test, param_values(params)));
      },
      py::arg("test"), py::arg("params") = py::dict(), "A one-step program running `test`.");

  // Running on a session (seedval.Device).
  auto device =
      py::reinterpret_borrow<py::class_<DeviceHandle, std::shared_ptr<DeviceHandle>>>(m.attr("Device"));
  device.def(
      "run_test",
      [](DeviceHandle& h, const std::string& name, const py::dict& params, const py::dict& limits) {
        const TestDefinition& def = TestRegistry::instance().get(name);
        const Params p = def.make_params(param_values(params));
        const auto l = limits_of(limits);
        return h.call([&](Device& d) {
          std::stop_token stop = d.stop_token();
          return run_test(d, def, p, l, stop, name);
        });
      },
      py::arg("test"), py::arg("params") = py::dict(), py::arg("limits") = py::dict(),
      "Runs one registered test (C++ or Python) and returns its StepResult. Limits: {measurement: "
      "(low, high)}, None for an open side.");
  device.def(
      "run_program",
      [](DeviceHandle& h, const py::object& program, std::optional<std::string> die,
         const std::string& part_id) {
        auto prog = program_of(program);
        UnitContext ctx;
        ctx.part_id = part_id;
        if (die)
          ctx.die = chip::parse_die_id(*die);
        else {
          ctx.die = chip::parse_die_id("BENCH-W01-X000-Y000");
          ctx.die_from_device = true;  // the unit is whatever die its ECID names
        }
        UnitRecord r = h.call([&](Device& d) {
          std::stop_token stop = d.stop_token();
          return run_unit(d, *prog, ctx, stop);
        });
        return UnitResult{std::move(r), prog};
      },
      py::arg("program") = std::string(kDefaultProgram), py::arg("die") = py::none(),
      py::arg("part_id") = "1",
      "Runs a program (a Program, or a name or path) on the device and bins the unit. `die`, when given, "
      "is checked against the ECID.");

  m.def("run_lot", &run_lot_py, py::arg("program") = std::string(kDefaultProgram),
        py::arg("board") = std::string(kDefaultBoard), py::arg("units") = 10, py::arg("sites") = 1,
        py::arg("lot_id") = "LOT001", py::arg("out") = py::none(),
        py::arg("limits") = std::vector<std::string>{}, py::arg("temperature_c") = py::none(),
        py::arg("progress") = py::none(), py::arg("keep_insertions") = true, py::arg("overwrite") = false,
        py::arg("station") = "",
        "Tests a lot of simulated units on `sites` boards in parallel. `progress(unit)` is called on this "
        "thread as each insertion is binned. With `out`, the lot is recorded as `seedval lot` records it "
        "(results.db, units.jsonl) and its reports are written there. Ctrl-C stops the lot after the units "
        "in flight.");

  m.def(
      "cli",
      [](const std::vector<std::string>& args, const std::string& program_name) {
        std::vector<const char*> argv{program_name.c_str()};
        for (const auto& a : args) argv.push_back(a.c_str());
        // Commands that stop cleanly (lot, agent) install their own SIGINT and SIGTERM handlers and
        // leave the defaults behind; the caller's (Python's) are put back.
        struct sigaction old_int {
        }, old_term{};
        ::sigaction(SIGINT, nullptr, &old_int);
        ::sigaction(SIGTERM, nullptr, &old_term);
        int code = 0;
        {
          py::gil_scoped_release release;
          code = cli::main(static_cast<int>(argv.size()), argv.data(), program_name);
        }
        ::sigaction(SIGINT, &old_int, nullptr);
        ::sigaction(SIGTERM, &old_term, nullptr);
        return code;
      },
      py::arg("args"), py::arg("program_name") = "seedval",
      "Runs the seedval command line with `args`; returns its exit code.");
}

}  // namespace seedval::python

#include <algorithm>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include <fmt/core.h>

#include <seedval/core/error.h>
#include <seedval/core/json_reader.h>
#include <seedval/core/paths.h>
#include <seedval/core/strings.h>
#include <seedval/exec/lot.h>
#include <seedval/exec/program.h>

namespace seedval {
namespace {

int layer_rank(std::string_view layer) {
  if (layer == "base") return 0;
  if (layer == "product") return 1;
  return 2;  // temperature
}

std::string read_file_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw IoError(ErrorCode::io, fmt::format("{}: cannot be read", file.string()));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

ParamValue json_to_param(JsonObject& params, const std::string& key, const ParamSpec& spec) {
  const nlohmann::json& v = *params.raw(key);
  ParamValue value;
  if (v.is_number_integer())
    value = v.get<std::int64_t>();
  else if (v.is_number())
    value = v.get<double>();
  else if (v.is_boolean())
    value = v.get<bool>();
  else if (v.is_string())
    value = v.get<std::string>();
  else
    params.fail(key, fmt::format("expected {} value, got {}", to_string(spec.type), json_type_name(v)));
  if (auto problem = check_param(spec, value); !problem.empty())
    params.fail(key, fmt::format("expected {}, got {}", problem, v.dump()));
  return value;
}

using StepCheck = std::function<void(JsonObject&, const Step&)>;

double parse_time_limit(JsonObject& o, std::string_view key) {
  const double v = o.number(key);
  if (!(v > 0 && v <= 86400)) o.fail(key, fmt::format("expected seconds above 0, at most a day; got {}", v));
  return v;
}

// One measurement's limits as given, over `limits` (a program's own, or an earlier layer's): "low" and
// "high" replace the sides given (null removes one), "fail_bin" names the measurement's own bin.
void parse_limit(JsonObject& l, const std::string& key, const TestDefinition& test, Limits& limits,
                 std::map<std::string, int, std::less<>>& limit_bins) {
  if (test.measurement(key) == nullptr) {
    const std::string known =
        join_by(test.measurements, [](const MeasurementSpec& m) -> std::string_view { return m.name; });
    l.fail(key, fmt::format("test {} has no measurement \"{}\" (it has: {})", test.name, key,
                            known.empty() ? "none" : known));
  }
  JsonObject lim = l.object(key);
  for (const char* side : {"low", "high"}) {
    const nlohmann::json* v = lim.raw(side);
    if (v == nullptr) continue;
    auto& target = std::string_view(side) == "low" ? limits.low : limits.high;
    if (v->is_null())
      target.reset();
    else
      target = lim.number(side);
  }
  if (lim.has("fail_bin")) limit_bins[key] = static_cast<int>(lim.integer("fail_bin", 0, 65534));
  lim.finish();
  if (limits.empty()) l.fail(key, "give \"low\", \"high\" or both");
  if (limits.low && limits.high && *limits.low > *limits.high)
    l.fail(key, fmt::format("low limit {} is above high limit {}", *limits.low, *limits.high));
}

Step parse_step(JsonObject& o, bool needs_bin, const StepCheck& check) {
  Step s;
  s.id = o.string("id");
  if (s.id.empty()) o.fail("id", "must not be empty");
  s.description = o.string_or("description", "");
  const std::string test = o.string("test");
  s.test = TestRegistry::instance().find(test);
  if (s.test == nullptr) {
    o.fail("test", fmt::format("no test named \"{}\" (registered: {})", test,
                               join(TestRegistry::instance().names())));
  }
  s.params = s.test->make_params();
  if (auto p = o.optional_object("params")) {
    p->accept_all_keys();
    const nlohmann::json& raw = *o.raw("params");
    for (const auto& [key, value] : raw.items()) {
      const ParamSpec* spec = nullptr;
      try {
        spec = &s.test->require_param(key);
      } catch (const Error& e) {
        p->fail(key, e.message());
      }
      s.params.set(key, json_to_param(*p, key, *spec));
    }
  }
  if (auto l = o.optional_object("limits")) {
    l->accept_all_keys();
    const nlohmann::json& raw = *o.raw("limits");
    for (const auto& [key, value] : raw.items()) parse_limit(*l, key, *s.test, s.limits[key], s.limit_bins);
  }
  if (needs_bin)
    s.fail_bin = static_cast<int>(o.integer("fail_bin", 0, 65534));
  else
    s.fail_bin = static_cast<int>(o.integer_or("fail_bin", 0, 0, 65534));
  s.optional = o.boolean_or("optional", false);
  if (o.has("time_limit_s")) s.time_limit_s = parse_time_limit(o, "time_limit_s");
  for (const auto& c : o.array_or_empty("covers")) {
    if (!c.is_string() || c.get<std::string>().empty())
      o.fail("covers", "expected a list of defect class names");
    s.covers.push_back(c.get<std::string>());
  }
  check(o, s);
  o.finish();
  return s;
}

std::vector<Step> parse_steps(JsonObject& root, std::string_view key, bool needs_bin,
                              const StepCheck& check) {
  std::vector<Step> steps;
  const auto& arr = root.array_or_empty(key);
  for (std::size_t i = 0; i < arr.size(); ++i) {
    JsonObject o(arr[i], root.where(), root.element_path(key, i));
    steps.push_back(parse_step(o, needs_bin, check));
  }
  return steps;
}

Program parse(const nlohmann::json& j, const std::string& where) {
  JsonObject o(j, where);
  Program p;
  p.name = o.string("program");
  p.revision = o.string("revision");
  p.product = o.string_or("product", "");
  p.description = o.string_or("description", "");
  p.stop_on_fail = o.boolean_or("stop_on_fail", true);
  if (o.has("step_time_limit_s")) p.step_time_limit_s = parse_time_limit(o, "step_time_limit_s");

  std::set<int> hard_numbers;
  const auto& hard = o.array("hard_bins");
  for (std::size_t i = 0; i < hard.size(); ++i) {
    JsonObject b(hard[i], where, o.element_path("hard_bins", i));
    HardBin hb{static_cast<int>(b.integer("number", 0, 32767)), b.string("name"), false};
    const nlohmann::json* pass = b.raw("pass");
    if (pass == nullptr || !pass->is_boolean()) b.fail("pass", "expected true or false");
    hb.pass = pass->get<bool>();
    b.finish();
    if (!hard_numbers.insert(hb.number).second)
      b.fail("number", fmt::format("hard bin {} is defined twice", hb.number));
    p.hard_bins.push_back(std::move(hb));
  }
  std::set<int> soft_numbers;
  const auto& soft = o.array("soft_bins");
  for (std::size_t i = 0; i < soft.size(); ++i) {
    JsonObject b(soft[i], where, o.element_path("soft_bins", i));
    SoftBin sb{static_cast<int>(b.integer("number", 0, 65534)), b.string("name"),
               static_cast<int>(b.integer("hard_bin", 0, 32767))};
    if (!hard_numbers.count(sb.hard_bin))
      b.fail("hard_bin", fmt::format("hard bin {} is not defined in hard_bins", sb.hard_bin));
    b.finish();
    if (!soft_numbers.insert(sb.number).second)
      b.fail("number", fmt::format("soft bin {} is defined twice", sb.number));
    p.soft_bins.push_back(std::move(sb));
  }

  auto check_soft = [&](std::string_view key, int number, bool want_pass) {
    if (!soft_numbers.count(number))
      o.fail(key, fmt::format("soft bin {} is not defined in soft_bins", number));
    if (p.hard_bin(p.soft_bin(number).hard_bin).pass != want_pass)
      o.fail(key, fmt::format("soft bin {} maps to hard bin {}, which is {}a pass bin", number,
                              p.soft_bin(number).hard_bin, want_pass ? "not " : ""));
  };
  p.pass_bin = static_cast<int>(o.integer("pass_bin", 0, 65534));
  check_soft("pass_bin", p.pass_bin, true);
  p.tester_error_bin = static_cast<int>(o.integer("tester_error_bin", 0, 65534));
  check_soft("tester_error_bin", p.tester_error_bin, false);

  const int tester_hard = p.soft_bin(p.tester_error_bin).hard_bin;
  p.retest_hard_bins = {tester_hard};
  if (auto r = o.optional_object("retest")) {
    const auto& bins = r->array_or_empty("hard_bins");
    for (std::size_t i = 0; i < bins.size(); ++i) {
      if (!bins[i].is_number_integer() || !hard_numbers.count(bins[i].get<int>()))
        r->fail("hard_bins", fmt::format("element {} ({}) is not a defined hard bin", i, bins[i].dump()));
      if (p.hard_bin(bins[i].get<int>()).pass)
        r->fail("hard_bins",
                fmt::format("hard bin {} is a pass bin; passing units are not retested", bins[i].get<int>()));
      if (std::find(p.retest_hard_bins.begin(), p.retest_hard_bins.end(), bins[i].get<int>()) ==
          p.retest_hard_bins.end())
        p.retest_hard_bins.push_back(bins[i].get<int>());
    }
    p.max_insertions = static_cast<int>(r->integer_or("max_insertions", 2, 1, 10));
    r->finish();
  }

  // Step ids are unique across setup, flow and teardown; a flow step's fail bin must be a defined fail bin.
  std::set<std::string> ids;
  auto check_step = [&](JsonObject& step, const Step& st, bool in_flow) {
    if (!ids.insert(st.id).second) step.fail("id", fmt::format("step id \"{}\" is used twice", st.id));
    if (!in_flow) return;
    if (!soft_numbers.count(st.fail_bin))
      step.fail("fail_bin", fmt::format("soft bin {} is not defined in soft_bins", st.fail_bin));
    if (p.hard_bin(p.soft_bin(st.fail_bin).hard_bin).pass)
      step.fail("fail_bin", fmt::format("soft bin {} maps to a pass hard bin", st.fail_bin));
    for (const auto& [measurement, bin] : st.limit_bins) {
      const std::string key = fmt::format("limits.{}.fail_bin", measurement);
      if (!soft_numbers.count(bin))
        step.fail(key, fmt::format("soft bin {} is not defined in soft_bins", bin));
      if (p.hard_bin(p.soft_bin(bin).hard_bin).pass)
        step.fail(key, fmt::format("soft bin {} maps to a pass hard bin", bin));
    }
  };
  p.setup =
      parse_steps(o, "setup", false, [&](JsonObject& step, const Step& st) { check_step(step, st, false); });
  p.flow =
      parse_steps(o, "flow", true, [&](JsonObject& step, const Step& st) { check_step(step, st, true); });
  p.teardown = parse_steps(o, "teardown", false,
                           [&](JsonObject& step, const Step& st) { check_step(step, st, false); });
  if (p.flow.empty()) o.fail("flow", "a program needs at least one flow step");

  // Grades: conditions name flow steps and measurements their tests declare.
  const auto& grades = o.array_or_empty("grades");
  std::set<std::string> grade_names;
  for (std::size_t i = 0; i < grades.size(); ++i) {
    JsonObject g(grades[i], where, o.element_path("grades", i));
    Grade grade;
    grade.name = g.string("name");
    if (grade.name.empty() || !grade_names.insert(grade.name).second)
      g.fail("name", fmt::format("grade name \"{}\" is empty or used twice", grade.name));
    grade.soft_bin = static_cast<int>(g.integer("soft_bin", 0, 65534));
    if (!soft_numbers.count(grade.soft_bin))
      g.fail("soft_bin", fmt::format("soft bin {} is not defined in soft_bins", grade.soft_bin));
    if (!p.hard_bin(p.soft_bin(grade.soft_bin).hard_bin).pass)
      g.fail("soft_bin",
             fmt::format("soft bin {} maps to a fail hard bin; a grade is a good part", grade.soft_bin));
    grade.description = g.string_or("description", "");
    JsonObject when = g.object("when");
    when.accept_all_keys();
    for (const auto& [key, value] : g.raw("when")->items()) {
      const auto dot = key.find('.');
      if (dot == std::string::npos) when.fail(key, "expected \"<step id>.<measurement>\"");
      GradeCondition c{.step = key.substr(0, dot), .measurement = key.substr(dot + 1), .limits = {}};
      const auto step =
          std::find_if(p.flow.begin(), p.flow.end(), [&](const Step& s) { return s.id == c.step; });
      if (step == p.flow.end()) when.fail(key, fmt::format("no flow step \"{}\"", c.step));
      if (step->test->measurement(c.measurement) == nullptr)
        when.fail(key, fmt::format("test {} of step {} has no measurement \"{}\"", step->test->name, c.step,
                                   c.measurement));
      JsonObject lim = when.object(key);
      c.limits.low = lim.optional_number("low");
      c.limits.high = lim.optional_number("high");
      lim.finish();
      if (c.limits.empty()) when.fail(key, "give \"low\", \"high\" or both");
      grade.when.push_back(std::move(c));
    }
    g.finish();
    p.grades.push_back(std::move(grade));
  }
  if (!p.grades.empty()) {
    p.no_grade_bin = static_cast<int>(o.integer("no_grade_bin", 0, 65534));
    check_soft("no_grade_bin", p.no_grade_bin, false);
  } else if (o.has("no_grade_bin")) {
    o.fail("no_grade_bin", "only a program with grades has a no-grade bin");
  }
  o.finish();
  return p;
}

}  // namespace

const HardBin& Program::hard_bin(int number) const {
  for (const auto& b : hard_bins)
    if (b.number == number) return b;
  throw NotFoundError(ErrorCode::not_found, fmt::format("program {} has no hard bin {}", name, number));
}

const SoftBin& Program::soft_bin(int number) const {
  for (const auto& b : soft_bins)
    if (b.number == number) return b;
  throw NotFoundError(ErrorCode::not_found, fmt::format("program {} has no soft bin {}", name, number));
}

bool Program::retestable(int hard_bin_number) const {
  return std::find(retest_hard_bins.begin(), retest_hard_bins.end(), hard_bin_number) !=
         retest_hard_bins.end();
}

Program parse_program(std::string_view json_text, std::string_view where) {
  Program p = parse(parse_json(json_text, where), std::string(where));
  p.sha256 = sha256_hex(json_text);
  p.source = std::string(json_text);
  return p;
}

Program load_program(std::string_view name_or_path) {
  const auto file = find_data_file(std::filesystem::path(name_or_path), "fixtures/programs");
  Program p = parse_program(read_file_text(file), file.string());
  p.file = file;
  return p;
}

void apply_limits(Program& program, std::string_view json_text, std::string_view where) {
  const std::string w(where);
  const nlohmann::json j = parse_json(json_text, where);
  JsonObject o(j, w);
  LimitsLayer layer;
  layer.name = o.string("limits");
  layer.layer = o.choice("layer", {"base", "product", "temperature"});
  layer.file = std::filesystem::path(w);
  layer.sha256 = sha256_hex(json_text);
  const std::string for_program = o.string("program");
  if (for_program != program.name)
    o.fail("program", fmt::format("these limits are for program {}, not {}", for_program, program.name));
  o.string_or("description", "");
  if (!program.limits_layers.empty()) {
    const LimitsLayer& last = program.limits_layers.back();
    if (layer_rank(layer.layer) < layer_rank(last.layer))
      o.fail("layer", fmt::format("a {} layer cannot come after the {} layer {} ({}): apply base, then "
                                  "product, then temperature",
                                  layer.layer, last.layer, last.name, last.file.string()));
  }
  // Applied to a copy: a file refused halfway changes nothing.
  Program changed = program;
  JsonObject steps = o.object("steps");
  steps.accept_all_keys();
  for (const auto& [id, value] : o.raw("steps")->items()) {
    Step* step = nullptr;
    bool in_flow = false;
    for (auto* list : {&changed.setup, &changed.flow, &changed.teardown})
      for (Step& st : *list)
        if (st.id == id) {
          step = &st;
          in_flow = list == &changed.flow;
        }
    if (step == nullptr) steps.fail(id, fmt::format("program {} has no step \"{}\"", program.name, id));
    JsonObject so = steps.object(id);
    if (auto l = so.optional_object("limits")) {
      l->accept_all_keys();
      for (const auto& [key, v] : so.raw("limits")->items()) {
        parse_limit(*l, key, *step->test, step->limits[key], step->limit_bins);
        if (auto bin = step->limit_bins.find(key); bin != step->limit_bins.end() && in_flow) {
          const auto soft = std::find_if(changed.soft_bins.begin(), changed.soft_bins.end(),
                                         [&](const SoftBin& b) { return b.number == bin->second; });
          if (soft == changed.soft_bins.end() || changed.hard_bin(soft->hard_bin).pass)
            l->fail(key, fmt::format("soft bin {} is not a defined fail bin", bin->second));
        }
      }
    }
    if (so.has("time_limit_s")) step->time_limit_s = parse_time_limit(so, "time_limit_s");
    so.finish();
  }
  o.finish();
  changed.limits_layers.push_back(std::move(layer));
  program = std::move(changed);
}

void apply_limits_file(Program& program, std::string_view name_or_path) {
  const auto file = find_data_file(std::filesystem::path(name_or_path), "fixtures/limits");
  apply_limits(program, read_file_text(file), file.string());
}

Program single_test_program(std::string_view test,
                            const std::map<std::string, ParamValue, std::less<>>& params) {
  const TestDefinition& def = TestRegistry::instance().get(test);
  Program p;
  p.name = fmt::format("single-test:{}", def.name);
  p.revision = "-";
  p.description = def.description;
  p.hard_bins = {{1, "pass", true}, {2, "fail", false}, {9, "tester-error", false}};
  p.soft_bins = {{1, "pass", 1}, {2, fmt::format("{}-fail", def.name), 2}, {9, "tester-error", 9}};
  p.pass_bin = 1;
  p.tester_error_bin = 9;
  p.retest_hard_bins = {9};
  Step s;
  s.id = def.name;
  s.test = &def;
  s.params = def.make_params(params);
  s.fail_bin = 2;
  p.flow.push_back(std::move(s));
  return p;
}

}  // namespace seedval

#include <algorithm>
#include <cctype>
#include <chrono>

#include <fmt/core.h>

#include <seedval/core/error.h>
#include <seedval/core/log.h>
#include <seedval/core/strings.h>
#include <seedval/testapi/test.h>

namespace seedval {

const ParamSpec* TestDefinition::param(std::string_view n) const {
  for (const auto& p : params)
    if (p.name == n) return &p;
  return nullptr;
}

const ParamSpec& TestDefinition::require_param(std::string_view n) const {
  if (const ParamSpec* p = param(n)) return *p;
  const std::string known = join_by(params, [](const ParamSpec& p) -> std::string_view { return p.name; });
  throw InvalidArgumentError(
      ErrorCode::invalid_argument,
      fmt::format("test {} has no parameter \"{}\" (it has: {})", name, n, known.empty() ? "none" : known));
}

const MeasurementSpec* TestDefinition::measurement(std::string_view n) const {
  for (const auto& m : measurements)
    if (m.name == n) return &m;
  return nullptr;
}

Params TestDefinition::make_params(const std::map<std::string, ParamValue, std::less<>>& given) const {
  Params out;
  for (const auto& spec : params) out.set(spec.name, spec.default_value);
  for (const auto& [key, value] : given) {
    const ParamSpec& spec = require_param(key);
    ParamValue v = value;
    if (auto problem = check_param(spec, v); !problem.empty())
      throw InvalidArgumentError(
          ErrorCode::invalid_argument,
          fmt::format("parameter {} of test {}: expected {}, got {}", key, name, problem, to_string(value)));
    out.set(key, std::move(v));
  }
  return out;
}

TestContext::TestContext(Device& device, const TestDefinition& def, const Params& params,
                         const std::map<std::string, Limits, std::less<>>& limits, std::stop_token stop,
                         StepRecord& record)
    : device_(device), def_(def), params_(params), limits_(limits), stop_(std::move(stop)), record_(record) {}

void TestContext::check_stop() const {
  if (stop_.stop_requested())
    throw CancelledError(ErrorCode::cancelled, fmt::format("{}: stop requested", def_.name));
}

bool TestContext::measure(std::string_view name, double value) {
  const MeasurementSpec* spec = def_.measurement(name);
  if (spec == nullptr)
    throw InternalError(ErrorCode::internal,
                        fmt::format("test {} measures undeclared \"{}\"", def_.name, name));
  Measurement m;
  m.name = spec->name;
  m.value = value;
  m.unit = spec->unit;
  auto it = limits_.find(name);
  m.limits = it != limits_.end() ? it->second : spec->limits;
  m.outcome = m.limits.contains(value) ? Outcome::passed : Outcome::failed;
  record_.measurements.push_back(m);
  return m.outcome == Outcome::passed;
}

void TestContext::note(std::string text) {
  record_.notes.push_back(std::move(text));
}
void TestContext::attach(std::string name, std::string content, std::string media_type) {
  const bool ok = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.';
  });
  if (!ok)
    throw InvalidArgumentError(
        ErrorCode::invalid_argument,
        fmt::format("{}: artifact name \"{}\" must be letters, digits, '-', '_' or '.'", def_.name, name));
  for (const auto& a : record_.artifacts)
    if (a.name == name)
      throw InvalidArgumentError(ErrorCode::invalid_argument,
                                 fmt::format("{}: artifact \"{}\" is attached twice", def_.name, name));
  record_.artifacts.push_back(Artifact{std::move(name), std::move(media_type), std::move(content)});
}

void TestContext::fail(std::string reason) {
  throw TestFailed{std::move(reason)};
}
void TestContext::skip(std::string reason) {
  throw TestSkipped{std::move(reason)};
}

StepRecord run_test(Device& device, const TestDefinition& def, const Params& params,
                    const std::map<std::string, Limits, std::less<>>& limits, std::stop_token stop,
                    std::string step_id) {
  StepRecord rec;
  rec.id = step_id.empty() ? def.name : std::move(step_id);
  rec.test = def.name;
  const auto start = std::chrono::steady_clock::now();
  try {
    for (auto cap : def.requires_caps) {
      if (!device.has(cap))
        throw TestSkipped{fmt::format("device {} lacks capability {}", device.name(), chip::to_string(cap))};
    }
    TestContext ctx(device, def, params, limits, stop, rec);
    def.run(ctx);
    auto failed = std::find_if(rec.measurements.begin(), rec.measurements.end(),
                               [](const Measurement& m) { return m.outcome == Outcome::failed; });
    if (failed != rec.measurements.end()) {
      rec.outcome = Outcome::failed;
      rec.message =
          fmt::format("{} = {} outside {}", failed->name, format_quantity(failed->value, failed->unit),
                      to_string(failed->limits, failed->unit));
    }
  } catch (const TestFailed& f) {
    rec.outcome = Outcome::failed;
    rec.message = f.reason;
  } catch (const TestSkipped& s) {
    rec.outcome = Outcome::skipped;
    rec.message = s.reason;
  } catch (const Error& e) {
    // A device that reports a fault while executing is the unit failing; anything else (link, timeout,
    // protocol, a bug) is the tester's problem and must never pass.
    rec.outcome = e.code() == ErrorCode::device ? Outcome::failed : Outcome::error;
    rec.error_code = e.code();
    rec.message = e.what();
  } catch (const std::exception& e) {
    rec.outcome = Outcome::error;
    rec.error_code = ErrorCode::internal;
    rec.message = fmt::format("unexpected exception: {}", e.what());
  }
  rec.duration_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  log::debug("{} {} in {:.3f} s{}{}", rec.id, to_string(rec.outcome), rec.duration_s,
             rec.message.empty() ? "" : ": ", rec.message);
  return rec;
}

TestRegistry& TestRegistry::instance() {
  static TestRegistry r;
  return r;
}

void TestRegistry::add(TestDefinition def) {
  add_or_replace(std::move(def), false);
}

void TestRegistry::replace(TestDefinition def) {
  add_or_replace(std::move(def), true);
}

void TestRegistry::add_or_replace(TestDefinition def, bool replace) {
  if (def.name.empty() || !def.run)
    throw InvalidArgumentError(ErrorCode::invalid_argument, "a test needs a name and a body");
  for (const auto& p : def.params) {
    ParamValue v = p.default_value;
    if (auto problem = check_param(p, v); !problem.empty())
      throw InvalidArgumentError(
          ErrorCode::invalid_argument,
          fmt::format("test {}: default of parameter {} is not {}", def.name, p.name, problem));
  }
  std::lock_guard lock(mutex_);
  const std::string name = def.name;
  auto made = std::make_shared<const TestDefinition>(std::move(def));
  if (replace) {
    auto it = tests_.find(name);
    if (it == tests_.end())
      throw NotFoundError(ErrorCode::not_found,
                          fmt::format("test {} is not registered: nothing to replace", name));
    retired_.push_back(std::move(it->second));  // programs loaded before still point at it
    it->second = std::move(made);
    return;
  }
  if (!tests_.emplace(name, std::move(made)).second)
    throw InvalidArgumentError(ErrorCode::invalid_argument, fmt::format("test {} is registered twice", name));
}

const TestDefinition* TestRegistry::find(std::string_view name) const {
  std::lock_guard lock(mutex_);
  auto it = tests_.find(name);
  return it == tests_.end() ? nullptr : it->second.get();
}

const TestDefinition& TestRegistry::get(std::string_view name) const {
  if (const auto* t = find(name)) return *t;
  throw NotFoundError(ErrorCode::not_found,
                      fmt::format("no test named \"{}\" (registered: {})", name, join(names())));
}

std::vector<std::string> TestRegistry::names() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& [n, unused] : tests_) out.push_back(n);
  return out;
}

bool register_test(TestDefinition def) {
  TestRegistry::instance().add(std::move(def));
  return true;
}

}  // namespace seedval

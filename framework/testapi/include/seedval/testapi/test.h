// Tests: named, with typed parameters and declared measurements, written against the Device only.
//
//   SEEDVAL_REGISTER_TEST(([] {
//     TestDefinition t;
//     t.name = "chip.scratch";
//     t.description = "walks a one through the scratch register";
//     t.params = {{"iterations", ParamType::integer, std::int64_t{1}, "passes", 1, 1000}};
//     t.measurements = {{"mismatches", units::count, "bits read back wrong", {0, 0}}};
//     t.run = [](TestContext& ctx) { ... ctx.measure("mismatches", n); };
//     return t;
//   }()));
//
// A test reports results through its context: measure() records a value (judged against limits),
// fail() ends it as failed, skip() as skipped (never passed). Any other exception ends it as a
// tester error, which never bins as a pass.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <vector>

#include <seedval/chip/identity.h>
#include <seedval/device/device.h>
#include <seedval/testapi/measurement.h>
#include <seedval/testapi/params.h>

namespace seedval {

/// A document a test produced beside its measurements (a fail bitmap, a shmoo grid). Reports save it as
/// a file next to the unit's record and list it there.
struct Artifact {
  std::string name;  ///< e.g. "fail_bitmap"; letters, digits, '-', '_' and '.'
  std::string media_type = "application/json";
  std::string content;
};

/// What one execution of a test produced.
struct StepRecord {
  std::string id;    ///< the step's id in its program
  std::string test;  ///< registered test name
  Outcome outcome = Outcome::passed;
  std::string message;  ///< why it failed, was skipped or errored
  std::vector<Measurement> measurements;
  std::vector<std::string> notes;  ///< what the test chose to tell (first failing addresses, ...)
  std::vector<Artifact> artifacts;
  double duration_s = 0;
  ErrorCode error_code = ErrorCode::ok;  ///< for outcome error: the code of the error
};

class TestContext;

struct TestDefinition {
  std::string name;
  std::string description;
  std::vector<ParamSpec> params;
  std::vector<MeasurementSpec> measurements;
  std::vector<chip::Capability> requires_caps;  ///< skipped (with the reason) when the device lacks one
  std::function<void(TestContext&)> run;

  const ParamSpec* param(std::string_view name) const;
  /// The parameter called `name`; throws InvalidArgumentError naming the test's parameters.
  const ParamSpec& require_param(std::string_view name) const;
  const MeasurementSpec* measurement(std::string_view name) const;
  /// The defaults, overridden by `given`; throws InvalidArgumentError for an unknown or ill-typed one.
  Params make_params(const std::map<std::string, ParamValue, std::less<>>& given = {}) const;
};

/// Signals from a test body to the runner. Use TestContext::fail / skip rather than throwing directly.
struct TestFailed {
  std::string reason;
};
struct TestSkipped {
  std::string reason;
};

class TestContext {
 public:
  TestContext(Device& device, const TestDefinition& def, const Params& params,
              const std::map<std::string, Limits, std::less<>>& limits, std::stop_token stop,
              StepRecord& record);

  Device& device() { return device_; }
  const Params& params() const { return params_; }
  std::stop_token stop_token() const { return stop_; }
  /// Throws CancelledError if a stop was requested; call it in long loops.
  void check_stop() const;

  /// Records a value of a declared measurement; returns true if it is within its limits.
  bool measure(std::string_view name, double value);
  void note(std::string text);
  /// Keeps a document with the step's record (see Artifact). Throws InvalidArgumentError for a name
  /// outside [A-Za-z0-9._-] or one already attached.
  void attach(std::string name, std::string content, std::string media_type = "application/json");
  [[noreturn]] void fail(std::string reason);
  [[noreturn]] void skip(std::string reason);

 private:
  Device& device_;
  const TestDefinition& def_;
  const Params& params_;
  const std::map<std::string, Limits, std::less<>>& limits_;
  std::stop_token stop_;
  StepRecord& record_;
};

/// Runs one test on `device`: checks capabilities, calls the body, judges measurements, times it.
/// Never throws for what the test does: failures, skips and errors are the record's outcome.
StepRecord run_test(Device& device, const TestDefinition& def, const Params& params,
                    const std::map<std::string, Limits, std::less<>>& limits, std::stop_token stop,
                    std::string step_id = {});

/// The registry of named tests. Tests register at static initialisation (SEEDVAL_REGISTER_TEST) or
/// at run time (Python).
class TestRegistry {
 public:
  static TestRegistry& instance();
  /// Throws InvalidArgumentError for a duplicate or malformed definition.
  void add(TestDefinition def);
  /// Replaces the definition of a registered test (a test defined again in a Python session). Programs
  /// loaded before keep running the definition they were loaded with. Throws NotFoundError if `def.name`
  /// is not registered, InvalidArgumentError for a malformed definition.
  void replace(TestDefinition def);
  const TestDefinition* find(std::string_view name) const;
  /// Throws NotFoundError listing the registered names.
  const TestDefinition& get(std::string_view name) const;
  std::vector<std::string> names() const;

 private:
  TestRegistry() = default;
  void add_or_replace(TestDefinition def, bool replace);
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const TestDefinition>, std::less<>> tests_;
  std::vector<std::shared_ptr<const TestDefinition>> retired_;  ///< replaced, kept for loaded programs
};

bool register_test(TestDefinition def);

}  // namespace seedval

#define SEEDVAL_TEST_CONCAT2(a, b) a##b
#define SEEDVAL_TEST_CONCAT(a, b) SEEDVAL_TEST_CONCAT2(a, b)
/// Registers a test definition at static-initialisation time.
#define SEEDVAL_REGISTER_TEST(definition)                                                      \
  [[maybe_unused]] static const bool SEEDVAL_TEST_CONCAT(seedval_test_registered_, __LINE__) = \
      ::seedval::register_test(definition)

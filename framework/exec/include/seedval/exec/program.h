// Test programs: the flow of tests with their parameters and limits, and how failures bin. A program is
// data (fixtures/programs/*.json), validated completely before a unit is touched:
//
// {
//   "program": "seedchip-production", "revision": "0.1", "product": "SeedChip A0",
//   "description": "...",
//   "stop_on_fail": true,
//   "hard_bins": [{"number": 1, "name": "pass", "pass": true}, {"number": 9, "name": "tester-error", "pass":
//   false}, ...], "soft_bins": [{"number": 1, "name": "pass", "hard_bin": 1}, {"number": 900, "name":
//   "tester-error", "hard_bin": 9}, ...], "pass_bin": 1,             // the soft bin of a unit that passes
//   every step "tester_error_bin": 900,   // the soft bin of a unit the tester could not judge; never a pass,
//   always retested "retest": {"hard_bins": [9], "max_insertions": 2}, "setup": [steps...], "flow":
//   [steps...], "teardown": [steps...]
// }
// A step: {"id": "memory", "test": "memory.pattern", "params": {...}, "limits": {"failing_bits": {"high":
// 0}},
//          "fail_bin": 500, "optional": false, "description": "..."}
// A limit may name its own bin, used when that measurement is the first of the step to fail:
//   "limits": {"unrepairable_banks": {"high": 0, "fail_bin": 510}, "failing_cells": {"high": 0, "fail_bin":
//   520}}
// Setup and teardown steps always run; flow steps stop at the first failure when stop_on_fail is set.
// Grades (SKU rules) sort a unit that passed every step by its measurements; the first grade whose
// conditions all hold gives the unit its soft bin (a pass bin), and a passing unit no grade takes goes to
// no_grade_bin (a fail bin):
//   "grades": [{"name": "A-1400", "soft_bin": 1, "when": {"fmax.fmax_guarded": {"low": 1.4e9},
//               "inference_sdc.good_cores": {"low": 8}}, "description": "..."}, ...],
//   "no_grade_bin": 750
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <seedval/testapi/test.h>

namespace seedval {

struct HardBin {
  int number = 0;
  std::string name;
  bool pass = false;
};

struct SoftBin {
  int number = 0;
  std::string name;
  int hard_bin = 0;
};

struct Step {
  std::string id;
  std::string description;
  const TestDefinition* test = nullptr;  ///< owned by the TestRegistry
  Params params;
  std::map<std::string, Limits, std::less<>> limits;
  int fail_bin = 0;  ///< soft bin when this step fails (flow steps)
  /// Soft bins of particular measurements: when the first failing measurement (in the order the test
  /// recorded them) has one, the unit takes it instead of fail_bin.
  std::map<std::string, int, std::less<>> limit_bins;
  bool optional = false;  ///< a skip does not stop the unit from passing
  /// Wall-clock limit of the step ("time_limit_s"; else the program's "step_time_limit_s"): it caps
  /// every device call of the step, and a step that runs past it ends as a timeout error (tester-error
  /// bin, retested), never as a pass.
  std::optional<double> time_limit_s;
  /// The defect classes this step is documented to catch ("covers"); `seedval audit` counts escapes of
  /// these classes as the program's own.
  std::vector<std::string> covers;
};

/// A limits file applied over a program's own limits (see apply_limits).
struct LimitsLayer {
  std::string name;   ///< its "limits" name
  std::string layer;  ///< "base", "product" or "temperature"
  std::filesystem::path file;
  std::string sha256;  ///< of the file's bytes
};

/// One condition of a grade: a measurement of a flow step within limits.
struct GradeCondition {
  std::string step;  ///< flow step id
  std::string measurement;
  Limits limits;
};

struct Grade {
  std::string name;
  int soft_bin = 0;  ///< maps to a pass hard bin
  std::vector<GradeCondition> when;
  std::string description;
};

struct Program {
  std::string name;
  std::string revision;
  std::string product;
  std::string description;
  std::filesystem::path file;
  std::string sha256;  ///< of the file's bytes (of `source` when there is no file)
  /// The JSON it was parsed from (parse_program): what a results store keeps of a program that has no
  /// file, so the lot's reports can be rebuilt. Empty for a program built in code (single_test_program).
  std::string source;
  bool stop_on_fail = true;
  std::vector<HardBin> hard_bins;
  std::vector<SoftBin> soft_bins;
  int pass_bin = 1;
  int tester_error_bin = 0;
  std::vector<int> retest_hard_bins;  ///< always includes the tester-error hard bin
  int max_insertions = 1;
  std::vector<Step> setup, flow, teardown;
  std::vector<Grade> grades;                ///< in order of preference; empty: a passing unit takes pass_bin
  int no_grade_bin = 0;                     ///< soft bin of a passing unit that no grade takes (with grades)
  std::optional<double> step_time_limit_s;  ///< the time limit of steps without their own
  std::vector<LimitsLayer> limits_layers;   ///< the limits files applied, in order

  const HardBin& hard_bin(int number) const;
  const SoftBin& soft_bin(int number) const;
  bool retestable(int hard_bin_number) const;
};

/// Loads and validates a program. `name_or_path` is a file, or a name looked up in the data root's
/// fixtures/programs/. Throws ConfigError naming the file, the location inside it and what was expected
/// (unknown tests, parameters, measurements and bins are all caught here).
Program load_program(std::string_view name_or_path);
/// Validates a program given as JSON text; `where` names it in errors.
Program parse_program(std::string_view json_text, std::string_view where);

/// Applies a limits file over `program` (layered limits: base, then product, then temperature; a later
/// layer overrides an earlier one, the program's own limits being the first):
///
/// {
///   "limits": "seedchip-a0-hot", "layer": "temperature", "program": "seedchip-production",
///   "description": "...",
///   "steps": {
///     "power_idle": {"limits": {"idle_power_w": {"high": 7.5}}, "time_limit_s": 4},
///     "fmax": {"limits": {"fmax_guarded": {"low": null}}}        // null removes a side
///   }
/// }
/// A given "low" or "high" replaces the program's (null removes it); "fail_bin" may be given too. Steps,
/// measurements and bins are validated as the program's own; a layer out of order (product after
/// temperature), or a file for another program, is refused. Throws ConfigError naming the file and the
/// place in it. `where` names the text (its path) in errors.
void apply_limits(Program& program, std::string_view json_text, std::string_view where);
/// Reads `file` (a path, or a name in the data root's fixtures/limits/) and applies it.
void apply_limits_file(Program& program, std::string_view name_or_path);

/// The program used when none is given.
inline constexpr std::string_view kDefaultProgram = "seedchip-production";

/// A one-step program running `test` with `params`, binning a failure to soft bin 2 (for `seedval run
/// --test`). Throws NotFoundError / InvalidArgumentError for an unknown test or parameter.
Program single_test_program(std::string_view test,
                            const std::map<std::string, ParamValue, std::less<>>& params);

}  // namespace seedval

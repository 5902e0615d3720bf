// Shared pieces of the exec tests: test-only TestDefinitions registered under "test.*" (see
// support.cpp), programs built from JSON text around them, temporary folders and simulated boards.
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <ostream>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include <seedval/boards/board.h>
#include <seedval/core/error.h>
#include <seedval/exec/program.h>
#include <seedval/exec/record.h>

#include "support/errors.h"
#include "support/temp_dir.h"

namespace seedval {

// How Boost.Test prints the enums it compares (found by argument-dependent lookup).
inline std::ostream& boost_test_print_type(std::ostream& os, Outcome o) {
  return os << to_string(o);
}

}  // namespace seedval

namespace seedval::exec_test {

// The registered test-only tests:
//   test.pass            measures "reading" (V, default limits [0, 10]) = param "value" (default 1.0)
//   test.always_fail     fails with "deliberate failure"
//   test.throws          throws the error named by param "kind": transport, timeout, protocol, device,
//   internal test.skips           skips with "nothing to test here" test.needs_tensor    requires the tensor
//   capability, which the sim chip lacks test.measure_nan     measures "reading" (no limits) = NaN
//   test.wait_stop       waits (up to 10 s) for the stop token, then fails
// Each execution of any of them is counted in runs(name).
int runs(std::string_view test_name);
void reset_runs();

using testing::TempDir;

/// Opens a board described by `name`.json in `dir`: the built-in seedchip-sim descriptor included, with
/// `overrides` (JSON members without braces, e.g. "\"contact_failure_rate\": 0.2") on top. The default
/// sets contact_failure_rate 0 so every insertion makes contact.
std::unique_ptr<Board> sim_board(const TempDir& dir, const std::string& name,
                                 const std::string& overrides = "\"contact_failure_rate\": 0.0");

/// Program text around `flow` (a JSON array): hard bins 1 pass, 2 fail-a, 3 fail-b, 9 tester-error; soft
/// bins 1 -> 1, 20 -> 2, 30 -> 3, 900 -> 9; pass_bin 1, tester_error_bin 900, retest of hard bin 9
/// up to `max_insertions`. `extra` is inserted as top-level members (with a trailing comma).
std::string program_text(std::string_view flow, std::string_view extra = "", int max_insertions = 2);
/// parse_program(program_text(...), "exec-test").
Program make_program(std::string_view flow, std::string_view extra = "", int max_insertions = 2);

/// The ids of the steps a unit ran, in order.
std::vector<std::string> step_ids(const UnitRecord& u);
using testing::contains;

}  // namespace seedval::exec_test

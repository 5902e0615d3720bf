// Shared pieces of the reports tests: a small program over registered tests and a lot built by hand
// with fixed values, times and strings, so every figure (and every byte of a rendered report) is known.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include <seedval/core/error.h>
#include <seedval/exec/program.h>
#include <seedval/exec/record.h>

#include "support/errors.h"
#include "support/temp_dir.h"

namespace seedval::reports_test {

/// Bins: hard 1 pass, 3 fail-identity, 5 fail-memory, 6 fail-power, 9 tester-error; soft 1, 300, 500, 600,
/// 900 onto them. Flow: identify (chip.identify), memory (memory.pattern, failing_bits <= 0), idle_power
/// (power.idle, power in [0, 4.5] W; temperature and vdd_core keep the test's defaults).
std::string report_program_text();
Program report_program();

/// Five dies of lot SMALL, wafer 1, on two sites; six insertions in this order:
///   x=1 site 0 pass, power 1 W, 30 degC    x=2 site 0 pass, 2 W, 40 degC    x=3 site 0 pass, 3 W, 50 degC
///   x=4 site 0 insertion 1: tester error in identify (link), no power reading
///   x=5 site 1 memory fail (3 failing bits), no power reading
///   x=4 site 1 insertion 2: pass, 4 W, 60 degC
/// Test times 1.0, 1.2, 1.4, 0.5, 0.8, 1.1 s (mean 1 s); two sites; fixed provenance.
LotResult small_lot();

using testing::TempDir;

/// The whole content of `file`.
std::string read_file(const std::filesystem::path& file);

using testing::contains;

}  // namespace seedval::reports_test

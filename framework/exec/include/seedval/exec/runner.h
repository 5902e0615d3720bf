// Running one unit: the program's steps on one device, then the bin.
#pragma once

#include <stop_token>

#include <seedval/boards/board.h>
#include <seedval/device/device.h>
#include <seedval/exec/program.h>
#include <seedval/exec/record.h>

namespace seedval {

struct UnitContext {
  int unit = 0;
  std::string part_id;
  chip::DieId die;
  int site = 0;
  int insertion = 1;
  /// `die` is a placeholder: the unit is the die its ECID says (a unit put in by hand on a real board).
  bool die_from_device = false;
};

/// Runs `program` on `device` and bins the unit. Binning:
///  - every step passed (or an optional step skipped): pass_bin;
///  - the first flow step that failed: its fail_bin (a failing setup step bins as a tester error);
///  - a step that errored (link, timeout, protocol, bug), a required step skipped, or an ECID that does
///    not match the handler's die: tester_error_bin — never a pass.
/// Setup and teardown steps always run; with stop_on_fail the flow stops at the first failure.
/// Never throws for anything the device does.
UnitRecord run_unit(Device& device, const Program& program, const UnitContext& ctx,
                    std::stop_token stop = {});

/// Connects to the unit in `board`'s socket and runs it; a unit that cannot be reached bins as a
/// tester error with the reason. `timeouts`, when given, replaces the device's default time limits.
UnitRecord test_unit(Board& board, const Program& program, const UnitContext& ctx, std::stop_token stop = {},
                     const DeviceTimeouts* timeouts = nullptr);

}  // namespace seedval

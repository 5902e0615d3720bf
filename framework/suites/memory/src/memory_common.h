// What the memory suite's tests share: guards that put the chip back as they found it, however the test
// ends, and the one way a test turns its fail bitmap into measurements, notes and artifacts.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <seedval/chip/geometry.h>
#include <seedval/device/device.h>
#include <seedval/memory/bitmap.h>
#include <seedval/memory/repair.h>
#include <seedval/testapi/test.h>

namespace seedval::memory {

/// Switches ECC off for the raw cells and restores ECC_CTRL when the test ends.
class EccOff {
 public:
  explicit EccOff(Device& dev);
  ~EccOff();
  EccOff(const EccOff&) = delete;
  EccOff& operator=(const EccOff&) = delete;

 private:
  Device& dev_;
  std::uint32_t saved_ = 0;
  bool active_ = false;
};

/// Sets a register's value for the test and restores the old one when it ends (refresh off for a
/// retention test, ECC on for the ECC test, ...). Restoring never throws: the error that ended the test
/// is the one to report.
class RegisterOverride {
 public:
  RegisterOverride(Device& dev, std::uint32_t address, std::uint32_t value);
  ~RegisterOverride();
  RegisterOverride(const RegisterOverride&) = delete;
  RegisterOverride& operator=(const RegisterOverride&) = delete;

 private:
  Device& dev_;
  std::uint32_t address_;
  std::uint32_t saved_;
};

/// Runs the HBM at `vdd_hbm_mv` (0: leave it) and puts the operating point back when the test ends.
class HbmSupply {
 public:
  HbmSupply(Device& dev, std::uint32_t vdd_hbm_mv);
  ~HbmSupply();
  HbmSupply(const HbmSupply&) = delete;
  HbmSupply& operator=(const HbmSupply&) = delete;

 private:
  Device& dev_;
  protocol::SensorsResponse saved_{};
  bool active_ = false;
};

/// The word range a test covers, from its "offset" and "length" parameters (bytes; length 0 = to the end
/// of HBM). Throws InvalidArgumentError naming the test unless both are 8-byte aligned inside HBM.
struct Region {
  std::uint64_t first_word = 0;
  std::uint64_t words = 0;
};
Region region_from_params(const TestContext& ctx, const chip::HbmGeometry& g, std::string_view test);

/// The parameters every bitmap-producing test has: offset, length, max_notes.
std::vector<ParamSpec> region_params();

/// Spares per bank from HBM_SPARES; none on a chip without that register.
SpareBudget device_spares(Device& dev);

/// The measurements report_bitmap() records, in the order it records them (an unrepairable part fails
/// on unrepairable_banks first, so a program can bin it apart from a repairable one).
std::vector<MeasurementSpec> bitmap_measurements(bool with_repair);

/// What report_bitmap() does about repair: nothing (the test declares no repair measurements), analyse
/// with the chip's spares, or record zeros (the test's "repair" parameter is off).
enum class Repair { not_declared, analyse, off };
/// Repair::analyse or Repair::off from the test's "repair" parameter.
Repair repair_from_params(const TestContext& ctx);

/// Records the bitmap: measurements (the repair verdict first, then failing_cells, failing_words,
/// failing_reads), notes naming the first cells, their shapes and the repair, and the bitmap (and
/// repair plan) as artifacts. A truncated bitmap makes the repair verdict "unrepairable": what was not
/// seen cannot be shown repairable.
void report_bitmap(TestContext& ctx, const FailBitmap& bitmap, Repair repair);

}  // namespace seedval::memory

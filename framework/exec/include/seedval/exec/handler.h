// Handlers give units to sites and sort them into bins when tested, as a test-floor handler (or a
// prober) does. The simulated handler feeds dies of a simulated lot, wafer by wafer.
#pragma once

#include <deque>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <seedval/chip/identity.h>
#include <seedval/exec/record.h>

namespace seedval {

struct UnitSlot {
  int unit = 0;  ///< index in the lot, from 0
  chip::DieId die;
  int insertion = 1;  ///< 2 and up for retests
};

class Handler {
 public:
  virtual ~Handler() = default;
  virtual std::string describe() const = 0;
  /// The next unit to test, or nullopt when the lot is done.
  virtual std::optional<UnitSlot> next() = 0;
  /// Puts a tested unit into `hard_bin`; with `retest`, the unit comes back later for another insertion.
  virtual void sort(const UnitSlot& slot, int hard_bin, bool retest) = 0;
};

/// Feeds `units` dies of lot `lot_id`: wafer 1, 2, ... (up to 25), each the whole dies of a disc on a
/// 16 x 16 grid (dies_per_wafer() of them), then every unit sorted for retest, once per extra insertion.
class SimHandler final : public Handler {
 public:
  SimHandler(std::string lot_id, int units);
  std::string describe() const override;
  std::optional<UnitSlot> next() override;
  void sort(const UnitSlot& slot, int hard_bin, bool retest) override;

  /// Continues a lot from the insertions already recorded (a resumed lot): units with a record are not
  /// given again unless their last insertion is due for a retest under `retest` (called with that
  /// record), in which case they come back for the next insertion after the untested units.
  void resume(const std::vector<UnitRecord>& recorded, const std::function<bool(const UnitRecord&)>& retest);

  /// Whole dies on one wafer.
  static int dies_per_wafer();
  /// The most units one lot holds: 25 wafers.
  static int max_units() { return 25 * dies_per_wafer(); }

 private:
  std::string lot_id_;
  int units_;
  int next_unit_ = 0;
  std::set<int> recorded_;  // units a resumed lot already holds records of
  std::deque<UnitSlot> retest_;
};

}  // namespace seedval

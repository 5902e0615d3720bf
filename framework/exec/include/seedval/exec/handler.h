// Handlers give units to sites and sort them into bins when tested, as a test-floor handler (or a
// prober) does. The simulated handler feeds dies of a simulated lot, wafer by wafer; the manual handler
// is the bench, where an operator puts each unit in by hand.
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
  /// The handler does not know the die (a unit put in by hand on a real board): the unit is whatever die
  /// its ECID says, and `die` is only a placeholder until then.
  bool die_from_device = false;
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

/// The bench: an operator puts each unit in the socket by hand and is told where it goes.
///
/// For each unit the operator is asked (`ask`, which returns nullopt at the end of input) and answers:
///   - Enter: the next unit. On a board with a die socket (simulated) it is the next die of the lot, as the
///     simulated handler numbers them; on a real board the unit is whatever die its ECID says it is.
///   - a die id (LOT001-W03-X007-Y011): that die (a simulated board puts it in the socket; a real one is
///     checked against its ECID);
///   - "q" (or the end of input): the lot is done.
/// After each insertion the operator is told (`tell`) the hard bin to put the unit in, or that it goes
/// back in the socket for a retest, which is asked for before any new unit. At most `max_units` units.
class ManualHandler final : public Handler {
 public:
  using Ask = std::function<std::optional<std::string>(const std::string& prompt)>;
  using Tell = std::function<void(const std::string& message)>;
  /// `bin_name` names a hard bin in what the operator is told.
  ManualHandler(std::string lot_id, int max_units, bool die_socket, Ask ask, Tell tell,
                std::function<std::string(int)> bin_name = {});
  std::string describe() const override;
  std::optional<UnitSlot> next() override;
  void sort(const UnitSlot& slot, int hard_bin, bool retest) override;

 private:
  std::string lot_id_;
  int max_units_;
  bool die_socket_;
  Ask ask_;
  Tell tell_;
  std::function<std::string(int)> bin_name_;
  int next_unit_ = 0;
  bool done_ = false;
  std::deque<UnitSlot> retest_;
};

}  // namespace seedval

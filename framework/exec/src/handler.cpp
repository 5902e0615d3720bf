#include <map>
#include <vector>

#include <fmt/core.h>

#include <seedval/core/error.h>
#include <seedval/exec/handler.h>

namespace seedval {
namespace {

constexpr int kGrid = 16;
constexpr double kUsableRadius = 8.44;  // in die pitches: a 300 mm wafer less its edge exclusion

const std::vector<std::pair<int, int>>& wafer_dies() {
  static const std::vector<std::pair<int, int>> dies = [] {
    std::vector<std::pair<int, int>> out;
    const double c = (kGrid - 1) / 2.0;
    for (int y = 0; y < kGrid; ++y)
      for (int x = 0; x < kGrid; ++x) {
        // A die is whole on the wafer when its far corner is inside the usable radius.
        const double dx = std::abs(x - c) + 0.5, dy = std::abs(y - c) + 0.5;
        if (dx * dx + dy * dy <= kUsableRadius * kUsableRadius) out.emplace_back(x, y);
      }
    return out;
  }();
  return dies;
}

}  // namespace

SimHandler::SimHandler(std::string lot_id, int units) : lot_id_(std::move(lot_id)), units_(units) {
  chip::validate(chip::DieId{lot_id_, 1, 0, 0});
  const int capacity = max_units();
  if (units < 0 || units > capacity)
    throw InvalidArgumentError(ErrorCode::invalid_argument,
                               fmt::format("a lot holds 0 to {} units (25 wafers of {}), asked for {}",
                                           capacity, dies_per_wafer(), units));
}

int SimHandler::dies_per_wafer() {
  return static_cast<int>(wafer_dies().size());
}

std::string SimHandler::describe() const {
  return fmt::format("simulated handler, lot {}, {} units", lot_id_, units_);
}

void SimHandler::resume(const std::vector<UnitRecord>& recorded,
                        const std::function<bool(const UnitRecord&)>& retest) {
  std::map<int, const UnitRecord*> last;  // each unit's latest insertion
  for (const auto& u : recorded) {
    auto& l = last[u.unit];
    if (l == nullptr || u.insertion > l->insertion) l = &u;
  }
  for (const auto& [unit, record] : last) {
    recorded_.insert(unit);
    if (retest(*record)) retest_.push_back(UnitSlot{unit, record->die, record->insertion + 1});
  }
}

std::optional<UnitSlot> SimHandler::next() {
  while (next_unit_ < units_ && recorded_.contains(next_unit_)) ++next_unit_;
  if (next_unit_ < units_) {
    const int i = next_unit_++;
    const auto& [x, y] = wafer_dies()[static_cast<std::size_t>(i % dies_per_wafer())];
    return UnitSlot{i, chip::DieId{lot_id_, 1 + i / dies_per_wafer(), x, y}, 1};
  }
  if (retest_.empty()) return std::nullopt;
  UnitSlot s = retest_.front();
  retest_.pop_front();
  return s;
}

void SimHandler::sort(const UnitSlot& slot, int, bool retest) {
  if (!retest) return;
  UnitSlot again = slot;
  ++again.insertion;
  retest_.push_back(again);
}

}  // namespace seedval

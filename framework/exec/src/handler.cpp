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

ManualHandler::ManualHandler(std::string lot_id, int max_units, bool die_socket, Ask ask, Tell tell,
                             std::function<std::string(int)> bin_name)
    : lot_id_(std::move(lot_id)),
      max_units_(max_units),
      die_socket_(die_socket),
      ask_(std::move(ask)),
      tell_(std::move(tell)),
      bin_name_(std::move(bin_name)) {
  chip::validate(chip::DieId{lot_id_, 1, 0, 0});
  if (max_units < 1 || max_units > SimHandler::max_units())
    throw InvalidArgumentError(
        ErrorCode::invalid_argument,
        fmt::format("a lot holds 1 to {} units, asked for {}", SimHandler::max_units(), max_units));
}

std::string ManualHandler::describe() const {
  return fmt::format("manual handler, lot {}, up to {} units", lot_id_, max_units_);
}

std::optional<UnitSlot> ManualHandler::next() {
  while (!done_) {
    const bool retest = !retest_.empty();
    if (!retest && next_unit_ >= max_units_) return std::nullopt;
    const std::string prompt =
        retest ? fmt::format(
                     "unit {} ({}) goes back in for insertion {}: Enter when it is in, q ends the lot > ",
                     retest_.front().unit + 1,
                     retest_.front().die_from_device ? std::string("its die as read")
                                                     : chip::to_string(retest_.front().die),
                     retest_.front().insertion)
               : fmt::format("unit {}: put it in and press Enter, or type its die id; q ends the lot > ",
                             next_unit_ + 1);
    const std::optional<std::string> answer = ask_(prompt);
    std::string a = answer.value_or("q");
    while (!a.empty() && (a.back() == ' ' || a.back() == '\r' || a.back() == '\t')) a.pop_back();
    while (!a.empty() && (a.front() == ' ' || a.front() == '\t')) a.erase(a.begin());
    if (!answer || a == "q" || a == "Q") {
      done_ = true;
      break;
    }
    if (retest) {
      UnitSlot s = retest_.front();
      retest_.pop_front();
      return s;
    }
    UnitSlot s;
    s.unit = next_unit_;
    if (!a.empty()) {
      try {
        s.die = chip::parse_die_id(a);
      } catch (const Error& e) {
        tell_(fmt::format("not a die id: {}", e.message()));
        continue;  // asked again
      }
    } else if (die_socket_) {
      const auto& [x, y] = wafer_dies()[static_cast<std::size_t>(next_unit_ % SimHandler::dies_per_wafer())];
      s.die = chip::DieId{lot_id_, 1 + next_unit_ / SimHandler::dies_per_wafer(), x, y};
    } else {
      s.die = chip::DieId{lot_id_, 0, next_unit_, 0};  // until the ECID says which die it is
      s.die_from_device = true;
    }
    ++next_unit_;
    return s;
  }
  return std::nullopt;
}

void ManualHandler::sort(const UnitSlot& slot, int hard_bin, bool retest) {
  const std::string bin = bin_name_ ? fmt::format("hard bin {} ({})", hard_bin, bin_name_(hard_bin))
                                    : fmt::format("hard bin {}", hard_bin);
  if (retest) {
    UnitSlot again = slot;
    ++again.insertion;
    retest_.push_back(again);
    tell_(fmt::format("unit {} ({}): {}, to be retested: keep it at hand", slot.unit + 1,
                      chip::to_string(slot.die), bin));
    return;
  }
  tell_(fmt::format("unit {} ({}): put it in {}", slot.unit + 1, chip::to_string(slot.die), bin));
}

}  // namespace seedval

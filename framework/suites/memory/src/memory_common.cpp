#include "memory_common.h"

#include <algorithm>

#include <fmt/core.h>

#include <seedval/chip/registers.h>
#include <seedval/core/error.h>

namespace seedval::memory {

EccOff::EccOff(Device& dev) : dev_(dev) {
  if (!dev_.has(chip::Capability::ecc)) return;
  saved_ = dev_.read_register(chip::reg::ECC_CTRL);
  dev_.write_register(chip::reg::ECC_CTRL, saved_ & ~chip::bits::ECC_ENABLE);
  active_ = true;
}

EccOff::~EccOff() {
  if (!active_) return;
  try {
    dev_.write_register(chip::reg::ECC_CTRL, saved_);
  } catch (const Error&) {
    // The link is gone; the error that ended the test is the one to report.
  }
}

RegisterOverride::RegisterOverride(Device& dev, std::uint32_t address, std::uint32_t value)
    : dev_(dev), address_(address), saved_(dev.read_register(address)) {
  dev_.write_register(address_, value);
}

RegisterOverride::~RegisterOverride() {
  try {
    dev_.write_register(address_, saved_);
  } catch (const Error&) {
  }
}

HbmSupply::HbmSupply(Device& dev, std::uint32_t vdd_hbm_mv) : dev_(dev) {
  if (vdd_hbm_mv == 0) return;
  saved_ = dev_.read_sensors();
  const std::uint32_t core_mv = dev_.read_register(chip::reg::VDD_CORE_MV);
  const std::uint32_t hbm_mv = dev_.read_register(chip::reg::VDD_HBM_MV);
  const std::uint32_t mhz = dev_.read_register(chip::reg::PLL_FREQ_MHZ);
  saved_.vdd_core_mv = core_mv;
  saved_.vdd_hbm_mv = hbm_mv;
  saved_.frequency_mhz = mhz;
  active_ = true;
  dev_.set_operating_point(core_mv, mhz, vdd_hbm_mv);
}

HbmSupply::~HbmSupply() {
  if (!active_) return;
  try {
    dev_.set_operating_point(saved_.vdd_core_mv, saved_.frequency_mhz, saved_.vdd_hbm_mv);
  } catch (const Error&) {
  }
}

std::vector<ParamSpec> region_params() {
  return {
      {"offset", ParamType::integer, std::int64_t{0}, "first byte tested (multiple of 8)", 0.0, {}, {}},
      {"length",
       ParamType::integer,
       std::int64_t{0},
       "bytes tested (multiple of 8); 0 tests to the end",
       0.0,
       {},
       {}},
      {"max_notes",
       ParamType::integer,
       std::int64_t{16},
       "failing cells named in the record's notes",
       0.0,
       10000.0,
       {}},
  };
}

Region region_from_params(const TestContext& ctx, const chip::HbmGeometry& g, std::string_view test) {
  const std::uint64_t size = g.bytes();
  const auto offset = static_cast<std::uint64_t>(ctx.params().integer("offset"));
  std::uint64_t length = static_cast<std::uint64_t>(ctx.params().integer("length"));
  if (length == 0 && offset < size) length = size - offset;
  if (offset % 8 != 0 || length % 8 != 0 || offset > size || length > size - offset || length == 0)
    throw InvalidArgumentError(
        ErrorCode::invalid_argument,
        fmt::format("{} range 0x{:x}+{} must be 8-byte aligned inside the {} bytes of HBM", test, offset,
                    length, size));
  return {offset / 8, length / 8};
}

SpareBudget device_spares(Device& dev) {
  if (chip::find_register(chip::reg::HBM_SPARES) == nullptr) return {};
  try {
    const std::uint32_t v = dev.read_register(chip::reg::HBM_SPARES);
    return {v & 0xFFFF, v >> 16};
  } catch (const AddressError&) {
    return {};  // a chip without repair resources
  }
}

std::vector<MeasurementSpec> bitmap_measurements(bool with_repair) {
  std::vector<MeasurementSpec> m;
  if (with_repair) {
    m.push_back({"unrepairable_banks",
                 units::count,
                 "banks whose failing cells the spare rows and columns cannot cover (a truncated fail log "
                 "counts as one)",
                 {{}, 0.0}});
    m.push_back({"spare_rows_used", units::count, "spare rows the repair plan uses", {}});
    m.push_back({"spare_columns_used", units::count, "spare word columns the repair plan uses", {}});
  }
  m.push_back({"failing_cells", units::count, "distinct failing cells (bits)", {{}, 0.0}});
  m.push_back({"failing_words", units::count, "distinct 64-bit words holding a failing cell", {}});
  m.push_back({"failing_reads", units::count, "reads that returned a wrong value", {}});
  return m;
}

Repair repair_from_params(const TestContext& ctx) {
  return ctx.params().boolean("repair") ? Repair::analyse : Repair::off;
}

void report_bitmap(TestContext& ctx, const FailBitmap& bitmap, Repair repair) {
  const auto& cells = bitmap.cells();
  const std::uint64_t cell_count = cells.size() + bitmap.dropped_cells();
  if (repair == Repair::off) {
    for (const char* m : {"unrepairable_banks", "spare_rows_used", "spare_columns_used"}) ctx.measure(m, 0);
  } else if (repair == Repair::analyse) {
    const SpareBudget budget = device_spares(ctx.device());
    const SpareBudget* spares = &budget;
    std::vector<RepairCell> repair_cells;
    repair_cells.reserve(cells.size());
    for (const auto& c : cells) repair_cells.push_back({c.bank, c.location.row, c.location.column});
    const RepairPlan plan = analyse_repair(repair_cells, *spares);
    std::uint32_t unrepairable = plan.unrepairable_banks;
    if (bitmap.truncated()) {
      unrepairable = std::max<std::uint32_t>(unrepairable, 1);
      ctx.note(
          fmt::format("fail bitmap truncated at {} cells ({} more not kept): the part is treated as "
                      "unrepairable",
                      cells.size(), bitmap.dropped_cells()));
    }
    ctx.measure("unrepairable_banks", unrepairable);
    ctx.measure("spare_rows_used", static_cast<double>(plan.rows_used));
    ctx.measure("spare_columns_used", static_cast<double>(plan.columns_used));
    if (!cells.empty()) {
      ctx.note(fmt::format("repair ({} spare rows, {} spare columns per bank): {}", spares->rows,
                           spares->columns, summary(plan)));
      ctx.attach("repair_plan", repair_plan_json(plan, *spares));
    }
  }
  ctx.measure("failing_cells", static_cast<double>(cell_count));
  ctx.measure("failing_words", static_cast<double>(bitmap.failing_words()));
  ctx.measure("failing_reads", static_cast<double>(bitmap.failing_reads()));
  if (cells.empty()) return;
  const auto max_notes = static_cast<std::size_t>(ctx.params().integer("max_notes"));
  for (std::size_t i = 0; i < std::min(max_notes, cells.size()); ++i) {
    const auto& c = cells[i];
    ctx.note(fmt::format("cell 0x{:x} bit {} ({}): expected {} read {}, {} {}{} background {}", c.address,
                         c.bit, chip::to_string(c.location), c.expected ? 1 : 0, c.read ? 1 : 0, c.test,
                         c.element.empty() ? "" : c.element,
                         c.fail_count > 1 ? fmt::format(" ({} reads)", c.fail_count) : "", c.background));
  }
  if (cells.size() > max_notes) ctx.note(fmt::format("... {} more failing cells", cells.size() - max_notes));
  std::string shapes;
  for (const auto& group : bitmap.classify())
    shapes += fmt::format("{}{} at {}", shapes.empty() ? "" : "; ", to_string(group.shape), group.where);
  if (shapes.size() > 2000) shapes = shapes.substr(0, 2000) + " ...";
  ctx.note("shapes: " + shapes);
  ctx.attach("fail_bitmap", bitmap.to_json());
}

}  // namespace seedval::memory

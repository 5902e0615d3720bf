// memory.rowhammer: double-sided RowHammer over every row of every bank. Each row in turn is a victim:
// the MBIST engine's hammer kernel activates the rows on both sides of it `hammer_count` times each
// within one refresh window, then a march read finds the cells that flipped. Rows are hammered in three
// interleaved passes (victims ≡ 0, 1, 2 mod 3) so no victim is restored by hammering its own row. When
// cells flip, a binary search on the count finds the least number of activations per aggressor that
// flips one: the part's RowHammer threshold, to compare with the spec.
#include <algorithm>
#include <set>

#include <fmt/core.h>

#include <seedval/chip/registers.h>
#include <seedval/core/error.h>
#include <seedval/memory/backgrounds.h>

#include "memory_common.h"

namespace seedval::memory {
namespace {

struct Victim {
  std::uint32_t bank = 0;
  std::uint32_t row = 0;
  friend auto operator<=>(const Victim&, const Victim&) = default;
};

void hammer(Device& dev, const std::vector<Victim>& victims, std::uint32_t count) {
  std::vector<protocol::RegisterOp> ops;
  constexpr auto write = protocol::RegisterOp::Kind::write;
  ops.push_back({write, chip::reg::MBIST_HAMMER_COUNT, count});
  for (const auto& v : victims) {
    ops.push_back({write, chip::reg::MBIST_HAMMER_BANK, v.bank});
    ops.push_back({write, chip::reg::MBIST_HAMMER_ROW, v.row});
    ops.push_back(
        {write, chip::reg::MBIST_HAMMER_CTRL, chip::bits::MBIST_HAMMER_GO | chip::bits::MBIST_HAMMER_DOUBLE});
  }
  dev.execute(ops);
}

// Writes the background everywhere (which also restores every row), hammers `victims`, reads back.
chip::MarchResult hammer_and_read(Device& dev, const std::vector<Victim>& victims, std::uint32_t count,
                                  const chip::DataBackground& bg, std::uint64_t words,
                                  std::size_t max_fails) {
  static const chip::MarchAlgorithm write0 = chip::parse_march("{⇕(w0)}");
  static const chip::MarchAlgorithm read0 = chip::parse_march("{⇕(r0)}");
  chip::MarchOptions options;
  options.words = words;
  options.background = bg;
  options.max_fails = max_fails;
  dev.run_mbist(write0, options);
  hammer(dev, victims, count);
  auto run = dev.run_mbist(read0, options);
  return std::move(run.result);
}

TestDefinition rowhammer_test() {
  TestDefinition t;
  t.name = "memory.rowhammer";
  t.description =
      "double-sided RowHammer of every row within one refresh window; flipped cells and the least hammer "
      "count that flips one";
  t.params = {
      {"hammer_count",
       ParamType::integer,
       std::int64_t{60000},
       "activations of each aggressor row per victim (both within one refresh window)",
       1.0,
       1e9,
       {}},
      {"backgrounds",
       ParamType::string,
       std::string("solid,0xffffffffffffffff"),
       "data backgrounds (cells flip from the value they hold): " + background_names(),
       {},
       {},
       {}},
      {"search_min",
       ParamType::boolean,
       true,
       "when cells flip, search the least count that flips one",
       {},
       {},
       {}},
      {"max_fails",
       ParamType::integer,
       std::int64_t{16384},
       "failing reads logged per read",
       1.0,
       65536.0,
       {}},
      {"max_notes",
       ParamType::integer,
       std::int64_t{16},
       "flipped cells named in the record's notes",
       0.0,
       10000.0,
       {}},
  };
  t.measurements = bitmap_measurements(false);
  t.measurements.push_back(
      {"min_flip_count",
       units::count,
       "least activations per aggressor that flipped a cell; hammer_count when none flipped",
       {}});
  t.measurements.push_back({"victim_rows", units::count, "rows hammered as victims", {}});
  t.requires_caps = {chip::Capability::mbist};
  t.run = [](TestContext& ctx) {
    Device& dev = ctx.device();
    const auto& p = ctx.params();
    const chip::HbmGeometry& g = dev.memory_geometry();
    const auto backgrounds = parse_backgrounds(p.string("backgrounds"), g);
    const auto count = static_cast<std::uint32_t>(p.integer("hammer_count"));
    const auto max_fails = static_cast<std::size_t>(p.integer("max_fails"));

    EccOff raw_cells(dev);
    RegisterOverride refresh_on(dev, chip::reg::HBM_REFRESH_CTRL, chip::bits::REFRESH_ENABLE);
    const chip::MarchAlgorithm named = chip::parse_march("{⇕(w0); ⇕(r0)}", "RowHammer");
    FailBitmap bitmap(g);
    std::set<Victim> flipped_rows;
    std::uint32_t min_flip = count;
    for (const auto& bg : backgrounds) {
      std::set<Victim> flipped_here;
      for (std::uint32_t pass = 0; pass < 3; ++pass) {
        ctx.check_stop();
        std::vector<Victim> victims;
        for (std::uint32_t bank = 0; bank < g.total_banks(); ++bank)
          for (std::uint32_t row = pass; row < g.rows; row += 3) victims.push_back({bank, row});
        auto result = hammer_and_read(dev, victims, count, bg.background, g.words(), max_fails);
        for (auto& f : result.fails) {
          f.element = 1;
          const auto at = g.to_physical(f.word);
          flipped_here.insert({g.bank_index(at), at.row});
        }
        bitmap.add_march_fails(result.fails, named, bg.name);
      }
      if (flipped_here.empty() || !p.boolean("search_min")) continue;
      flipped_rows.insert(flipped_here.begin(), flipped_here.end());
      // Victims restore each other only through their own rows: hammer the flipped ones three passes apart.
      auto flips_at = [&](std::uint32_t c) {
        for (std::uint32_t pass = 0; pass < 3; ++pass) {
          std::vector<Victim> group;
          for (const auto& v : flipped_here)
            if (v.row % 3 == pass) group.push_back(v);
          if (!group.empty() && hammer_and_read(dev, group, c, bg.background, g.words(), 1).fail_count > 0)
            return true;
        }
        return false;
      };
      std::uint32_t lo = 0, hi = count;  // no flip at lo (0 activations), a flip at hi
      while (hi - lo > 1) {
        ctx.check_stop();
        const std::uint32_t mid = lo + (hi - lo) / 2;
        (flips_at(mid) ? hi : lo) = mid;
      }
      min_flip = std::min(min_flip, hi);
    }
    report_bitmap(ctx, bitmap, Repair::not_declared);
    ctx.measure("min_flip_count", min_flip);
    ctx.measure("victim_rows", static_cast<double>(g.total_banks()) * g.rows);
    if (!flipped_rows.empty())
      ctx.note(
          fmt::format("{} victim rows flipped; the least count that flips a cell is {} activations per "
                      "aggressor",
                      flipped_rows.size(), min_flip));
  };
  return t;
}

SEEDVAL_REGISTER_TEST(rowhammer_test());

}  // namespace
}  // namespace seedval::memory

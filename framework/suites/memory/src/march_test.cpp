// memory.march: a march algorithm from the library (fixtures/march/), over a region, with one or more
// data backgrounds, on the device's MBIST engine (production) or driven from the host (debug), at the
// present HBM supply or a chosen one (weak cells fail only at low voltage). Every failing cell lands in
// the fail bitmap with its physical location, and the repair analysis says whether the spare rows and
// columns of each bank can cover them.
#include <fmt/core.h>

#include <seedval/chip/march_library.h>
#include <seedval/core/error.h>
#include <seedval/memory/backgrounds.h>
#include <seedval/memory/march_runner.h>

#include "memory_common.h"

namespace seedval::memory {
namespace {

chip::MarchLibrary library_for(const std::string& path) {
  return path.empty() ? chip::builtin_march_library() : chip::load_march_library(path);
}

TestDefinition march_test() {
  TestDefinition t;
  t.name = "memory.march";
  t.description =
      "runs a march algorithm over HBM with data backgrounds, on the MBIST engine or from the host; fail "
      "bitmap and repair analysis";
  t.params = {
      {"algorithm",
       ParamType::string,
       std::string("March C-"),
       "algorithm name in the march library",
       {},
       {},
       {}},
      {"library",
       ParamType::string,
       std::string(""),
       "march file or folder of .march files (default: the shipped fixtures/march/)",
       {},
       {},
       {}},
      {"backgrounds",
       ParamType::string,
       std::string("solid"),
       "comma-separated data backgrounds: " + background_names(),
       {},
       {},
       {}},
      {"path", ParamType::string, std::string("mbist"), "where the march runs", {}, {}, {"mbist", "host"}},
      {"order",
       ParamType::string,
       std::string("up"),
       "how ⇕ elements run (both: once each way)",
       {},
       {},
       {"up", "down", "both"}},
      {"retention_delay_ms", ParamType::number, 100.0, "wait of a bare Del element", 0.0, 3'600'000.0, {}},
      {"vdd_hbm_mv",
       ParamType::integer,
       std::int64_t{0},
       "HBM supply during the test (0: as it is)",
       0.0,
       2000.0,
       {}},
      {"max_fails",
       ParamType::integer,
       std::int64_t{16384},
       "failing reads logged per run",
       1.0,
       65536.0,
       {}},
      {"repair",
       ParamType::boolean,
       true,
       "analyse repair with the chip's spare rows and columns",
       {},
       {},
       {}},
  };
  for (auto& p : region_params()) t.params.push_back(std::move(p));
  t.measurements = bitmap_measurements(true);
  t.measurements.push_back({"bytes_tested", units::byte, "size of the region", {}});
  t.measurements.push_back(
      {"march_bytes_per_second",
       units::byte_per_second,
       "bytes moved by the march's operations per second of MBIST engine time (host path: of wall time)",
       {}});
  t.requires_caps = {chip::Capability::memory_bulk};
  t.run = [](TestContext& ctx) {
    Device& dev = ctx.device();
    const auto& p = ctx.params();
    const chip::MarchLibrary library = library_for(p.string("library"));
    const chip::MarchAlgorithm& algorithm = library.get(p.string("algorithm"));
    const chip::HbmGeometry& g = dev.memory_geometry();
    const Region region = region_from_params(ctx, g, "memory.march");
    const auto backgrounds = parse_backgrounds(p.string("backgrounds"), g);
    const MarchPath path = march_path_from_string(p.string("path"));
    if (path == MarchPath::mbist && !dev.has(chip::Capability::mbist))
      ctx.skip("the chip declares no MBIST engine: use path=host");
    std::vector<chip::AddressOrder> orders;
    if (p.string("order") != "down") orders.push_back(chip::AddressOrder::up);
    if (p.string("order") != "up") orders.push_back(chip::AddressOrder::down);

    EccOff raw_cells(dev);
    HbmSupply supply(dev, static_cast<std::uint32_t>(p.integer("vdd_hbm_mv")));
    FailBitmap bitmap(g);
    std::uint64_t device_ns = 0, operations = 0;
    double host_seconds = 0;
    for (const auto& bg : backgrounds) {
      for (const auto order : orders) {
        ctx.check_stop();
        chip::MarchOptions options;
        options.first_word = region.first_word;
        options.words = region.words;
        options.background = bg.background;
        options.any_order = order;
        options.retention_delay =
            std::chrono::microseconds(static_cast<std::int64_t>(p.number("retention_delay_ms") * 1000.0));
        options.max_fails = static_cast<std::size_t>(p.integer("max_fails"));
        const MarchRun run = run_march_on(dev, path, algorithm, options);
        bitmap.add_march_fails(run.result.fails, algorithm, bg.name);
        if (run.result.truncated())
          ctx.note(fmt::format("{} background {}: {} failing reads, only the first {} logged", algorithm.name,
                               bg.name, run.result.fail_count, run.result.fails.size()));
        device_ns += run.device_ns;
        host_seconds += run.host_seconds;
        operations += run.result.operations;
      }
    }
    report_bitmap(ctx, bitmap, repair_from_params(ctx));
    ctx.measure("bytes_tested", static_cast<double>(region.words * 8));
    const double seconds = path == MarchPath::mbist ? static_cast<double>(device_ns) * 1e-9 : host_seconds;
    ctx.measure("march_bytes_per_second",
                seconds > 0 ? static_cast<double>(operations) * 8.0 / seconds : 0.0);
  };
  return t;
}

SEEDVAL_REGISTER_TEST(march_test());

}  // namespace
}  // namespace seedval::memory

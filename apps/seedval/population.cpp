// seedval population: what a population spec yields, before a single die is tested. Makes N dies of the
// spec as the simulated handler would feed them and summarises their ground truth (good share, defect
// mix, Fmax/Vmin spread), or shows one die's ground truth: the what-if tool for planning a ramp.
#include <iostream>
#include <optional>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <seedval/chip/geometry.h>
#include <seedval/chip/identity.h>
#include <seedval/core/paths.h>
#include <seedval/core/strings.h>
#include <seedval/sim/ground_truth.h>
#include <seedval/sim/population.h>

#include "common.h"

namespace seedval::cli {
namespace {

struct PopulationOptions {
  std::string spec;
  int dies = 10'000;
  bool json = false;
  std::optional<std::uint64_t> seed;
  int memory_mib = 16;
  std::string lot_prefix = "LOT";
  std::string show_die;
};

std::string ratio(int count, int total) {
  return fmt::format("{:>6} / {} = {:5.1f} %", count, total, total > 0 ? 100.0 * count / total : 0.0);
}

nlohmann::json spread_json(const sim::Spread& s) {
  return {{"min", s.min}, {"p1", s.p1}, {"p50", s.p50}, {"p99", s.p99}, {"max", s.max}};
}

nlohmann::json defect_json(const sim::Defect& d) {
  return {{"category", d.category},   {"kind", d.kind},
          {"where", d.where},         {"detail", d.detail},
          {"algorithm", d.algorithm}, {"caught_by", d.caught_by},
          {"harmless", d.harmless},   {"ecc_correctable", d.ecc_correctable}};
}

std::string cores_off(std::uint32_t mask) {
  std::vector<std::string> cores;
  for (int c = 0; c < sim::kCoreCount; ++c)
    if ((mask >> c) & 1u) cores.push_back(std::to_string(c));
  return cores.empty() ? "none" : join(cores);
}

int show_die(const sim::PopulationSpec& spec, const chip::HbmGeometry& g, const PopulationOptions& o) {
  const chip::DieId id = chip::parse_die_id(o.show_die);
  const sim::DieInstance die = sim::make_die(spec, id, g);
  const auto truth = sim::ground_truth(die, g);
  const bool good = sim::is_full_grade(truth);
  int harmful = 0;
  for (const auto& d : truth) harmful += d.harmless ? 0 : 1;
  if (o.json) {
    nlohmann::json defects = nlohmann::json::array();
    for (const auto& d : truth) defects.push_back(defect_json(d));
    nlohmann::json j = {{"population", spec.name},
                        {"seed", spec.seed},
                        {"die", chip::to_string(id)},
                        {"ecid", fmt::format("0x{:016x}", die.ecid)},
                        {"speed_factor", die.speed_factor},
                        {"leakage_factor", die.leakage_factor},
                        {"fmax_mhz", sim::true_fmax_mhz(die)},
                        {"vmin_mv", sim::true_vmin_mv(die)},
                        {"harvest_mask", fmt::format("0x{:03x}", die.harvest_mask)},
                        {"harvested", die.harvested()},
                        {"full_grade", good},
                        {"harmful_defects", harmful},
                        {"defects", defects}};
    std::cout << j.dump(2) << "\n";
    return kOk;
  }
  fmt::print("die         {}  ecid 0x{:016x}\n", chip::to_string(id), die.ecid);
  fmt::print("population  {}, seed {}, HBM {}\n", spec.name, spec.seed, g.describe());
  fmt::print(
      "process     speed x{:.3f}, leakage x{:.2f}, fmax {:.0f} MHz at {:.0f} mV, vmin {:.0f} mV at {:.0f} "
      "MHz\n",
      die.speed_factor, die.leakage_factor, sim::true_fmax_mhz(die), sim::kProductVddMv,
      sim::true_vmin_mv(die), sim::kProductClockMhz);
  fmt::print("harvest     mask 0x{:03x}, cores fused off: {}{}\n", die.harvest_mask,
             cores_off(die.harvest_mask),
             die.harvested() ? " (a faulty core harvested at wafer sort, spare 8 enabled)" : " (the spares)");
  fmt::print("verdict     {}\n",
             good ? "full grade: no harmful defect"
                  : fmt::format("NOT full grade: {} harmful entr{}", harmful, harmful == 1 ? "y" : "ies"));
  int n = 0;
  for (const auto& d : truth) {
    fmt::print("{:>3}. {:<8} {:<10} {}{}\n", ++n, d.category, d.kind, d.where,
               d.harmless ? "  [harmless]" : "");
    fmt::print("     {}\n", d.detail);
    if (!d.caught_by.empty() || !d.algorithm.empty())
      fmt::print("     caught by {}{}{}\n", d.caught_by.empty() ? "-" : join(d.caught_by),
                 d.algorithm.empty() ? "" : fmt::format(" (needs {})", d.algorithm),
                 d.category == "memory"
                     ? (d.ecc_correctable ? "; ECC corrects it" : "; ECC cannot correct it")
                     : "");
  }
  return kOk;
}

int summary(const sim::PopulationSpec& spec, const chip::HbmGeometry& g, const PopulationOptions& o) {
  const sim::PopulationSummary s = sim::summarize(spec, o.dies, g, o.lot_prefix);
  const double expected = spec.defect_density_per_cm2 * spec.die_area_mm2 / 100.0;
  if (o.json) {
    nlohmann::json j = {{"population", s.population},
                        {"file", spec.file.string()},
                        {"seed", s.seed},
                        {"dies", s.dies},
                        {"good_dies", s.good_dies},
                        {"good_share", s.good_share()},
                        {"dies_with_defects", s.dies_with_defects},
                        {"dies_with_harmful_defects", s.dies_with_harmful_defects},
                        {"slow_dies", s.slow_dies},
                        {"harvested_dies", s.harvested_dies},
                        {"harvested_share", s.harvested_share()},
                        {"defects", s.defects},
                        {"harmless_defects", s.harmless_defects},
                        {"mean_defects_per_die", s.mean_defects_per_die()},
                        {"expected_defects_per_die", expected},
                        {"defects_by_class", s.defects_by_class},
                        {"defects_by_category", s.defects_by_category},
                        {"fmax_mhz", spread_json(s.fmax_mhz)},
                        {"vmin_mv", spread_json(s.vmin_mv)},
                        {"leakage_factor", spread_json(s.leakage_factor)},
                        {"elapsed_s", s.elapsed_s}};
    std::cout << j.dump(2) << "\n";
    return kOk;
  }
  const auto last = sim::population_die(o.lot_prefix, s.dies - 1);
  fmt::print("population   {} ({}), seed {}\n", s.population, spec.file.string(), s.seed);
  fmt::print("dies         {} from {}001-W01 to {}, {} dies a wafer; HBM {}\n", s.dies, o.lot_prefix,
             chip::to_string(last), sim::kDiesPerWafer, g.describe());
  fmt::print("full grade   {}   no harmful defect and fmax >= {:.0f} MHz at {:.0f} mV\n",
             ratio(s.good_dies, s.dies), sim::kProductClockMhz, sim::kProductVddMv);
  fmt::print("defective    {}   any defect, harmful or not\n", ratio(s.dies_with_defects, s.dies));
  fmt::print("harmful      {}   a defect on an enabled part of the die\n",
             ratio(s.dies_with_harmful_defects, s.dies));
  fmt::print("slow         {}   fmax below the product clock\n", ratio(s.slow_dies, s.dies));
  fmt::print("harvested    {}   a faulty core fused off at wafer sort, a spare enabled\n",
             ratio(s.harvested_dies, s.dies));
  fmt::print("defects      {} ({} harmless), {:.3f} a die (density x area = {:.3f})\n", s.defects,
             s.harmless_defects, s.mean_defects_per_die(), expected);
  fmt::print("\n{:<10} {:>8} {:>7}\n", "category", "defects", "share");
  for (const auto& [name, count] : s.defects_by_category)
    fmt::print("{:<10} {:>8} {:>6.1f}%\n", name, count, s.defects > 0 ? 100.0 * count / s.defects : 0.0);
  fmt::print("\n{:<12} {:>8} {:>7}\n", "class", "defects", "share");
  for (const auto& [name, count] : s.defects_by_class)
    fmt::print("{:<12} {:>8} {:>6.1f}%\n", name, count, s.defects > 0 ? 100.0 * count / s.defects : 0.0);
  fmt::print("\n{:<26} {:>8} {:>8} {:>8} {:>8} {:>8}\n", "", "min", "p1", "p50", "p99", "max");
  const auto row = [](std::string_view name, const sim::Spread& x, int decimals) {
    fmt::print("{:<26} {:>8.{}f} {:>8.{}f} {:>8.{}f} {:>8.{}f} {:>8.{}f}\n", name, x.min, decimals, x.p1,
               decimals, x.p50, decimals, x.p99, decimals, x.max, decimals);
  };
  row("fmax MHz at 750 mV, 25 C", s.fmax_mhz, 0);
  row("vmin mV at 1200 MHz, 25 C", s.vmin_mv, 0);
  row("leakage factor", s.leakage_factor, 2);
  fmt::print("\nmade and summarised in {:.2f} s\n", s.elapsed_s);
  return kOk;
}

int population(const PopulationOptions& o) {
  sim::PopulationSpec spec = sim::load_population(find_data_file(o.spec, "fixtures/populations"));
  if (o.seed) spec.seed = *o.seed;
  const auto g = chip::HbmGeometry::for_size(static_cast<std::uint64_t>(o.memory_mib) << 20);
  return o.show_die.empty() ? summary(spec, g, o) : show_die(spec, g, o);
}

}  // namespace

void add_population(CLI::App& app) {
  auto o = std::make_shared<PopulationOptions>();
  auto* cmd = app.add_subcommand(
      "population",
      "what a die population yields: good share, defect mix, Fmax/Vmin spread, or one die's ground truth");
  cmd->add_option("spec", o->spec, "population spec: a name in fixtures/populations/ or a path")->required();
  cmd->add_option("--dies,-n", o->dies, "dies to make and summarise (lots of 25 wafers of 188)")
      ->check(CLI::Range(1, 999 * 25 * sim::kDiesPerWafer))
      ->capture_default_str();
  cmd->add_flag("--json", o->json, "print JSON instead of text");
  cmd->add_option("--seed", o->seed, "use this seed instead of the spec's");
  cmd->add_option("--memory-mib", o->memory_mib, "HBM size in MiB, a power of two (the board's memory_mib)")
      ->check(CLI::Range(1, 65536))
      ->capture_default_str();
  cmd->add_option("--lot-prefix", o->lot_prefix, "lots are named <prefix>001, <prefix>002, ...")
      ->capture_default_str();
  cmd->add_option("--show-die", o->show_die,
                  "print one die's ground truth instead, e.g. LOT001-W01-X003-Y004");
  cmd->footer(
      "A die is full grade when no defect harms it (faults on fused-off cores are harmless) and its fmax "
      "at 750 mV, 25 C reaches the 1200 MHz product clock. See docs/populations.md.");
  cmd->callback([o] { throw ExitRequest{guarded("population", [&] { return population(*o); })}; });
}

}  // namespace seedval::cli

// seedval probe: who is on the board? Identity, capabilities and the chip's sensors.
#include <bit>
#include <cstdio>
#include <iostream>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <seedval/boards/board.h>
#include <seedval/chip/registers.h>
#include <seedval/core/strings.h>
#include <seedval/core/units.h>
#include <seedval/device/device.h>

#include "common.h"

namespace seedval::cli {
namespace {

struct ProbeOptions {
  std::string board{kDefaultBoard};
  bool json = false;
};

int probe(const ProbeOptions& o) {
  auto board = open_board(o.board);
  Device dev(board->connect(), board->info().name);
  const Identity& id = dev.identify();
  const auto caps = chip::capability_names(id.capabilities);
  nlohmann::json sensors = nlohmann::json::object();
  if (id.has(chip::Capability::sensors)) {
    sensors["temperature_c"] = static_cast<std::int32_t>(dev.read_register(chip::reg::TEMP_DIE_MC)) / 1000.0;
    sensors["power_w"] = dev.read_register(chip::reg::POWER_MW) / 1000.0;
    sensors["vdd_core_v"] = dev.read_register(chip::reg::VDD_SENSE_MV) / 1000.0;
  }
  nlohmann::json ecid = {{"value", fmt::format("0x{:016x}", id.ecid)}};
  if (id.die) {
    ecid["lot"] = id.die->lot;
    ecid["wafer"] = id.die->wafer;
    ecid["x"] = id.die->x;
    ecid["y"] = id.die->y;
  } else {
    ecid["error"] = id.ecid_error;
  }
  const std::uint32_t harvest = dev.read_register(chip::reg::HARVEST_MASK);
  const std::uint32_t cores = dev.read_register(chip::reg::CORE_COUNT);
  const chip::HbmGeometry& geometry = dev.memory_geometry();
  if (o.json) {
    nlohmann::json j = {{"board", board->info().name},
                        {"board_file", board->info().file.string()},
                        {"transport", dev.transport().describe()},
                        {"model", id.model},
                        {"chip_id", fmt::format("0x{:08x}", id.chip_id)},
                        {"revision", id.revision_name()},
                        {"ecid", ecid},
                        {"die", id.die ? nlohmann::json(chip::to_string(*id.die)) : nlohmann::json(nullptr)},
                        {"capabilities", caps},
                        {"memory_bytes", id.memory_size},
                        {"hbm",
                         {{"stacks", geometry.stacks},
                          {"channels", geometry.channels},
                          {"banks", geometry.banks},
                          {"rows", geometry.rows},
                          {"columns", geometry.columns}}},
                        {"tensor_cores", cores},
                        {"harvest_mask", fmt::format("0x{:03x}", harvest)},
                        {"sensors", sensors}};
    std::cout << j.dump(2) << "\n";
    return kOk;
  }
  const std::string cap_list = join(caps);
  fmt::print("board         {}\n", board->describe());
  fmt::print("transport     {}\n", dev.transport().describe());
  fmt::print("model         {}\n", id.model);
  fmt::print("chip id       0x{:08x}{}\n", id.chip_id,
             id.chip_id == chip::kChipId ? " (SeedChip)" : " (NOT a SeedChip)");
  fmt::print("revision      {}\n", id.revision_name());
  fmt::print("ecid          0x{:016x} {}\n", id.ecid,
             id.die ? chip::to_string(*id.die) : "(" + id.ecid_error + ")");
  fmt::print("memory        {}\n", geometry.describe());
  fmt::print("tensor cores  {} on the die, {} fused off (harvest mask 0x{:03x})\n", cores,
             std::popcount(harvest), harvest);
  fmt::print("capabilities  {}\n", cap_list);
  if (!sensors.empty())
    fmt::print("sensors       {}, {}, {}\n",
               format_quantity(sensors["temperature_c"].get<double>(), units::celsius),
               format_quantity(sensors["power_w"].get<double>(), units::watt),
               format_quantity(sensors["vdd_core_v"].get<double>(), units::volt));
  return kOk;
}

}  // namespace

void add_probe(CLI::App& app) {
  auto o = std::make_shared<ProbeOptions>();
  auto* cmd =
      app.add_subcommand("probe", "identify the chip on a board: id, revision, ECID, capabilities, sensors");
  cmd->add_option("--board,-b", o->board, board_option_help())->capture_default_str();
  cmd->add_flag("--json", o->json, "print JSON instead of text");
  cmd->callback([o] { throw ExitRequest{guarded("probe", [&] { return probe(*o); })}; });
}

}  // namespace seedval::cli

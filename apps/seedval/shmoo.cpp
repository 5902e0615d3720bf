// seedval shmoo: the picture every bring-up engineer asks for first. Runs a check at every point of a
// core supply × clock grid on a board, writes the grid as JSON and as an SVG picture into a folder, and
// prints the ASCII plot. The operating point is restored afterwards, also after an error or Ctrl-C.
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <vector>

#include <fmt/core.h>

#include <seedval/boards/board.h>
#include <seedval/device/device.h>
#include <seedval/stress/operating_point.h>
#include <seedval/stress/search.h>

#include "common.h"

namespace seedval::cli {
namespace {

struct ShmooOptions {
  std::string board{kDefaultBoard};
  std::string voltage{"600:900:25"};
  std::string frequency{"800:1800:50"};
  std::string test;
  std::string temperature;
  std::string out;
  std::uint64_t probe_elements = 1u << 18;
  int probe_runs = 4;
};

std::stop_source g_shmoo_stop;  // Ctrl-C stops the grid; the operating point is still restored
extern "C" void on_shmoo_signal(int) {
  g_shmoo_stop.request_stop();
}

void write_file(const std::filesystem::path& file, const std::string& content) {
  std::ofstream f(file, std::ios::binary);
  f << content;
  f.close();
  if (!f) throw IoError(ErrorCode::io, fmt::format("{}: cannot write", file.string()));
}

int shmoo(const ShmooOptions& o) {
  const stress::Axis v = stress::parse_axis(o.voltage, "--voltage");
  const stress::Axis f = stress::parse_axis(o.frequency, "--frequency");
  const stress::PointCheck check =
      o.test.empty()
          ? stress::timing_probe({.elements = o.probe_elements, .runs = o.probe_runs, .cores = {}, .seed = 1})
          : stress::registered_test_check(o.test, g_shmoo_stop.get_token());
  const std::filesystem::path out(o.out);
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  if (ec)
    throw IoError(ErrorCode::io, fmt::format("{}: cannot create the folder: {}", out.string(), ec.message()));
  auto board = open_board(o.board);
  Device dev(board->connect(), board->info().name);
  dev.set_stop_token(g_shmoo_stop.get_token());
  std::signal(SIGINT, on_shmoo_signal);
  std::signal(SIGTERM, on_shmoo_signal);
  struct DefaultSignals {
    ~DefaultSignals() {
      std::signal(SIGINT, SIG_DFL);
      std::signal(SIGTERM, SIG_DFL);
    }
  } restore_signals;
  // One grid, or one per temperature (held by self-heating): shmoo.json/.svg or shmoo-<T>C.json/.svg.
  std::vector<std::optional<double>> temperatures{std::nullopt};
  if (!o.temperature.empty()) {
    temperatures.clear();
    for (const double t : stress::parse_axis(o.temperature, "--temperature").values())
      temperatures.push_back(t);
  }
  stress::SafeState safe(dev);
  for (const auto& t : temperatures) {
    const stress::Shmoo s = stress::run_shmoo(
        dev, safe, v, f, check, o.test.empty() ? "timing probe" : o.test, g_shmoo_stop.get_token(), t);
    safe.restore();
    const std::string stem = t ? fmt::format("shmoo-{:g}C", *t) : std::string("shmoo");
    write_file(out / (stem + ".json"), stress::to_json(s));
    write_file(out / (stem + ".svg"), stress::to_svg(s));
    std::cout << stress::to_ascii(s);
    fmt::print("{} of {} points pass, {} refused by the device; back at {} mV, {} MHz\n", s.passes(),
               s.cells.size(), s.errors(), safe.saved().vdd_core_mv, safe.saved().frequency_mhz);
    fmt::print("wrote {} and {}\n", (out / (stem + ".json")).string(), (out / (stem + ".svg")).string());
  }
  return kOk;
}

}  // namespace

void add_shmoo(CLI::App& app) {
  auto o = std::make_shared<ShmooOptions>();
  auto* cmd =
      app.add_subcommand("shmoo", "pass/fail over a core supply x clock grid, as JSON, SVG and ASCII");
  cmd->add_option("--board,-b", o->board, board_option_help())->capture_default_str();
  cmd->add_option("--voltage", o->voltage, "core supply axis in mV, LO:HI:STEP")->capture_default_str();
  cmd->add_option("--frequency", o->frequency, "clock axis in MHz, LO:HI:STEP")->capture_default_str();
  cmd->add_option(
      "--test", o->test,
      "registered test run at each point with its defaults (default: the timing probe, an element-wise "
      "Add on every enabled core checked bit for bit)");
  cmd->add_option(
      "--temperature", o->temperature,
      "die temperatures in degC, LO:HI:STEP, each held by self-heating: one grid each, written as "
      "shmoo-<T>C.json and .svg (default: the die as it is)");
  cmd->add_option("--out,-o", o->out, "folder for shmoo.json and shmoo.svg")->required();
  cmd->add_option("--probe-elements", o->probe_elements, "lane results per probe operation")
      ->check(CLI::Range(1, 1 << 24))
      ->capture_default_str();
  cmd->add_option("--probe-runs", o->probe_runs, "probe operations per core and point")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cmd->footer(
      "Rows are clocks (highest on top), columns supplies: '*' pass, '.' fail, 'x' refused by the device.");
  cmd->callback([o] { throw ExitRequest{guarded("shmoo", [&] { return shmoo(*o); })}; });
}

}  // namespace seedval::cli

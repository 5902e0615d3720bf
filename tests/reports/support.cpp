// The reports tests' program and hand-built lot (see reports_test_support.h).
#include <fstream>
#include <sstream>
#include <vector>

#include <fmt/core.h>

#include "reports_test_support.h"

namespace seedval::reports_test {
namespace {

Measurement measurement(std::string name, double value, Unit unit, Limits limits) {
  Measurement m;
  m.name = std::move(name);
  m.value = value;
  m.unit = unit;
  m.limits = limits;
  m.outcome = limits.contains(value) ? Outcome::passed : Outcome::failed;
  return m;
}

StepRecord step(std::string id, std::string test, std::vector<Measurement> ms, double duration) {
  StepRecord s;
  s.id = std::move(id);
  s.test = std::move(test);
  s.measurements = std::move(ms);
  s.duration_s = duration;
  for (const auto& m : s.measurements)
    if (m.outcome == Outcome::failed) {
      s.outcome = Outcome::failed;
      s.message = fmt::format("{} = {} outside limits", m.name, m.value);
    }
  return s;
}

StepRecord identify_passed() {
  return step("identify", "chip.identify",
              {measurement("chip_id_match", 1, units::none, {1.0, 1.0}),
               measurement("revision_match", 1, units::none, {1.0, 1.0}),
               measurement("ecid_valid", 1, units::none, {1.0, 1.0}),
               measurement("memory_size", 16777216, units::byte, {})},
              0.001);
}

StepRecord memory(double failing_bits) {
  return step("memory", "memory.pattern",
              {measurement("failing_bits", failing_bits, units::count, {std::nullopt, 0.0}),
               measurement("failing_words", failing_bits, units::count, {}),
               measurement("bytes_tested", 16777216, units::byte, {})},
              0.25);
}

StepRecord idle_power(double power, double temperature, double vdd) {
  return step("idle_power", "power.idle",
              {measurement("power", power, units::watt, {0.0, 4.5}),
               measurement("temperature", temperature, units::celsius, {std::nullopt, 85.0}),
               measurement("vdd_core", vdd, units::volt, {})},
              0.002);
}

UnitRecord unit(int index, int x, int site, int insertion, double test_time, const char* start) {
  UnitRecord u;
  u.unit = index;
  u.part_id = std::to_string(index + 1);
  u.die = {"SMALL", 1, x, 7};
  u.ecid = chip::encode_ecid(u.die);
  u.site = site;
  u.insertion = insertion;
  u.start_time = start;
  u.finish_time = start;
  u.test_time_s = test_time;
  return u;
}

UnitRecord passed(UnitRecord u, double power, double temperature, double vdd) {
  u.steps = {identify_passed(), memory(0), idle_power(power, temperature, vdd)};
  u.soft_bin = 1;
  u.hard_bin = 1;
  u.passed = true;
  return u;
}

}  // namespace

std::string report_program_text() {
  return R"({
  "program": "report-test", "revision": "7", "product": "SeedChip A0",
  "hard_bins": [{"number": 1, "name": "pass", "pass": true}, {"number": 3, "name": "fail-identity", "pass": false},
                {"number": 5, "name": "fail-memory", "pass": false}, {"number": 6, "name": "fail-power", "pass": false},
                {"number": 9, "name": "tester-error", "pass": false}],
  "soft_bins": [{"number": 1, "name": "pass", "hard_bin": 1}, {"number": 300, "name": "identity-mismatch", "hard_bin": 3},
                {"number": 500, "name": "memory-stuck-cells", "hard_bin": 5},
                {"number": 600, "name": "idle-power-high", "hard_bin": 6},
                {"number": 900, "name": "tester-error", "hard_bin": 9}],
  "pass_bin": 1, "tester_error_bin": 900,
  "retest": {"hard_bins": [9], "max_insertions": 2},
  "flow": [
    {"id": "identify", "test": "chip.identify", "fail_bin": 300},
    {"id": "memory", "test": "memory.pattern", "limits": {"failing_bits": {"high": 0}}, "fail_bin": 500},
    {"id": "idle_power", "test": "power.idle", "limits": {"power": {"low": 0, "high": 4.5}}, "fail_bin": 600}
  ]
}
)";
}

Program report_program() {
  return parse_program(report_program_text(), "report-test.json");
}

LotResult small_lot() {
  const Program p = report_program();
  LotResult lot;
  LotInfo& i = lot.info;
  i.lot_id = "SMALL";
  i.product = "SeedChip A0";
  i.step = "final-test";
  i.station = "golden-station";
  i.handler = "hand-built lot";
  i.site_count = 2;
  i.temperature_c = 25.0;
  i.program = {p.name, "", p.sha256};
  i.program_revision = p.revision;
  i.board = {"golden-board", "boards/golden-board.json", std::string(64, 'b')};
  i.inputs = {{"golden-board.json", "boards/golden-board.json", std::string(64, 'b')}};
  i.start_time = "2026-01-02T03:04:05.000+01:00";
  i.finish_time = "2026-01-02T03:05:06.500+01:00";
  i.seedval_version = "0.0.0-test";

  lot.insertions.push_back(passed(unit(0, 1, 0, 1, 1.0, "2026-01-02T03:04:06.000+01:00"), 1.0, 30.0, 0.74));
  lot.insertions.push_back(passed(unit(1, 2, 0, 1, 1.2, "2026-01-02T03:04:07.000+01:00"), 2.0, 40.0, 0.75));
  lot.insertions.push_back(passed(unit(2, 3, 0, 1, 1.4, "2026-01-02T03:04:08.000+01:00"), 3.0, 50.0, 0.76));

  UnitRecord link = unit(3, 4, 0, 1, 0.5, "2026-01-02T03:04:09.000+01:00");
  StepRecord errored;
  errored.id = "identify";
  errored.test = "chip.identify";
  errored.outcome = Outcome::error;
  errored.error_code = ErrorCode::transport;
  errored.message = "golden-board: identify: link dropped";
  link.steps = {errored};
  link.soft_bin = 900;
  link.hard_bin = 9;
  link.tester_error = true;
  link.failing_step = "identify";
  link.message = "identify: golden-board: identify: link dropped";
  link.ecid.reset();
  lot.insertions.push_back(link);

  UnitRecord mem = unit(4, 5, 1, 1, 0.8, "2026-01-02T03:04:10.000+01:00");
  mem.steps = {identify_passed(), memory(3)};
  mem.steps.back().notes = {"zeros: word 0x40 read 0x1, expected 0x0"};
  mem.soft_bin = 500;
  mem.hard_bin = 5;
  mem.failing_step = "memory";
  mem.message = "memory: failing_bits = 3 outside <= 0";
  lot.insertions.push_back(mem);

  lot.insertions.push_back(passed(unit(3, 4, 1, 2, 1.1, "2026-01-02T03:04:11.000+01:00"), 4.0, 60.0, 0.75));
  return lot;
}

std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace seedval::reports_test

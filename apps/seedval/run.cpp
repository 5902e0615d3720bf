// seedval run: one unit through a program, or through a single test.
#include <filesystem>
#include <iostream>

#include <fmt/core.h>

#include <seedval/boards/board.h>
#include <seedval/core/error.h>
#include <seedval/core/strings.h>
#include <seedval/exec/runner.h>
#include <seedval/reports/lot_reports.h>
#include <seedval/reports/unit_log.h>

#include "common.h"

namespace seedval::cli {
namespace {

struct RunOptions {
  std::string board{kDefaultBoard};
  std::string program;
  std::vector<std::string> limits;
  std::string test;
  std::vector<std::string> params;
  std::string die;
  bool json = false;
  std::string out;
  std::string artifacts;
};

std::string measurements_text(const StepRecord& s) {
  std::string out;
  for (const auto& m : s.measurements) {
    out += fmt::format(
        "{}{}={}{}", out.empty() ? "" : "  ", m.name, format_quantity(m.value, m.unit),
        m.outcome == Outcome::failed ? fmt::format(" (FAIL, limits {})", to_string(m.limits, m.unit)) : "");
  }
  return out;
}

int run(const RunOptions& o) {
  if (!o.program.empty() && !o.test.empty())
    throw InvalidArgumentError(ErrorCode::invalid_argument, "give --program or --test, not both");
  if (!o.limits.empty() && !o.test.empty())
    throw InvalidArgumentError(ErrorCode::invalid_argument,
                               "--limits goes with a program (--test takes its limits from the test)");
  if (!o.params.empty() && o.test.empty())
    throw InvalidArgumentError(ErrorCode::invalid_argument,
                               "--param goes with --test (a program sets its own parameters)");
  Program program;
  if (!o.test.empty()) {
    const TestDefinition& def = TestRegistry::instance().get(o.test);
    std::map<std::string, ParamValue, std::less<>> given;
    for (const auto& kv : o.params) {
      const auto eq = kv.find('=');
      if (eq == std::string::npos || eq == 0)
        throw InvalidArgumentError(ErrorCode::invalid_argument,
                                   fmt::format("--param \"{}\" is not NAME=VALUE", kv));
      const std::string name = kv.substr(0, eq);
      given[name] = parse_param(def.require_param(name), kv.substr(eq + 1));
    }
    program = single_test_program(o.test, given);
  } else {
    program = load_program(o.program.empty() ? std::string(kDefaultProgram) : o.program);
    for (const auto& l : o.limits) apply_limits_file(program, l);
  }

  auto board = open_board(o.board);
  UnitContext ctx;
  if (!o.die.empty()) {
    DieSocket* socket = board->die_socket();
    if (socket == nullptr)
      throw InvalidArgumentError(
          ErrorCode::invalid_argument,
          fmt::format("board {} has no die socket: --die works with simulated boards only",
                      board->info().name));
    ctx.die = chip::parse_die_id(o.die);
    socket->insert(ctx.die, 1);
  } else if (DieSocket* socket = board->die_socket(); socket != nullptr && socket->current()) {
    ctx.die = *socket->current();
  }
  if (board->die_socket() == nullptr) {
    // On hardware the unit names itself: key it by what its fuses say.
    Device probe_dev(board->connect(), board->info().name);
    if (const auto& id = probe_dev.identify(); id.die) ctx.die = *id.die;
  }
  const UnitRecord u = test_unit(*board, program, ctx);
  const std::string record = reports::unit_record_json(u, program);
  // Artifacts first: the record names their files.
  if (!o.artifacts.empty())
    reports::save_artifacts(u, o.artifacts);
  else if (!o.out.empty())
    reports::save_artifacts(u, std::filesystem::absolute(o.out).parent_path());
  if (!o.out.empty()) reports::write_file_atomic(o.out, record + "\n");
  if (o.json) {
    std::cout << record << "\n";
  } else {
    fmt::print("unit {} on {}, program {} {}\n", chip::to_string(u.die), board->info().name, program.name,
               program.revision);
    if (u.ecid) fmt::print("ecid 0x{:016x}\n", *u.ecid);
    fmt::print("  {:<18} {:<16} {:<8} {:>9}  {}\n", "step", "test", "outcome", "time", "measurements");
    for (const auto& s : u.steps) {
      fmt::print("  {:<18} {:<16} {:<8} {:>9}  {}\n", s.id, s.test, to_string(s.outcome),
                 format_quantity(s.duration_s, units::second), measurements_text(s));
      if (s.outcome != Outcome::passed) {
        if (!s.message.empty()) fmt::print("      {}\n", s.message);
        for (const auto& n : s.notes) fmt::print("      {}\n", n);
      }
      for (const auto& a : s.artifacts)
        fmt::print("      artifact {} ({} bytes){}\n", a.name, a.content.size(),
                   o.artifacts.empty() && o.out.empty() ? "" : ": " + reports::artifact_file(u, s, a));
    }
    fmt::print("result: {}  soft bin {} ({}) -> hard bin {} ({}){}\n",
               u.passed ? "PASS" : (u.tester_error ? "TESTER ERROR" : "FAIL"), u.soft_bin,
               program.soft_bin(u.soft_bin).name, u.hard_bin, program.hard_bin(u.hard_bin).name,
               u.message.empty() ? "" : "\n  " + u.message);
  }
  if (u.passed) return kOk;
  return u.tester_error ? kTesterError : kUnitFailed;
}

}  // namespace

void add_run(CLI::App& app) {
  auto o = std::make_shared<RunOptions>();
  auto* cmd =
      app.add_subcommand("run", "test one unit with a program (default: the production program) or one test");
  cmd->add_option("--board,-b", o->board, board_option_help())->capture_default_str();
  cmd->add_option("--program,-p", o->program,
                  "test program: a name in fixtures/programs/ or a path (default: seedchip-production)");
  cmd->add_option("--test,-t", o->test,
                  "run this one registered test instead of a program (see 'seedval list tests')");
  cmd->add_option("--param", o->params, "NAME=VALUE parameter of --test; repeatable");
  cmd->add_option("--limits,-l", o->limits,
                  "limits file over the program's limits (a path or a name in fixtures/limits/); repeat in "
                  "order: base, product, temperature")
      ->allow_extra_args(false);
  cmd->add_option("--die", o->die, "simulated boards: the die to put in the socket, e.g. SIM0-W01-X008-Y007");
  cmd->add_flag("--json", o->json, "print the unit record as JSON");
  cmd->add_option(
      "--out,-o", o->out,
      "also write the unit record (JSON) to this file, and the steps' artifacts (fail bitmaps, ...) "
      "under artifacts/ beside it");
  cmd->add_option("--artifacts", o->artifacts,
                  "save the steps' artifacts under DIR/artifacts/ (default: beside --out, else not saved)");
  cmd->callback([o] { throw ExitRequest{guarded("run", [&] { return run(*o); })}; });
}

}  // namespace seedval::cli

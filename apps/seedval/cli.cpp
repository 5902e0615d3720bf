// The seedval command line: every subcommand on one CLI11 app. The seedval executable and the Python
// package (`python3 -m seedval`) both run it.
#include <cstdio>
#include <stdexcept>

#include <seedval/core/log.h>

#include "common.h"

int seedval::cli::main(int argc, const char* const* argv, const std::string& program_name) {
  CLI::App app{"seedval: validation, bring-up and production test for SeedChip", program_name};
  app.require_subcommand(1);
  app.set_version_flag("--version", "seedval 0.1.0");
  std::string level = "warn";
  app.add_option("--log-level", level, "trace, debug, info, warn, error or off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
      ->capture_default_str();
  app.footer(
      "Exit codes: 0 done (run: unit passed), 1 unit failed, 2 bad input, 3 tester error.\n"
      "Run 'seedval <command> --help' for a command's options.");
  app.parse_complete_callback([&] { seedval::log::set_level(*seedval::log::level_from_string(level)); });
  seedval::cli::add_probe(app);
  seedval::cli::add_run(app);
  seedval::cli::add_lot(app);
  seedval::cli::add_list(app);
  seedval::cli::add_reg(app);
  seedval::cli::add_mem(app);
  seedval::cli::add_population(app);
  seedval::cli::add_faultsim(app);
  seedval::cli::add_conformance(app);
  seedval::cli::add_shmoo(app);
  seedval::cli::add_agent(app);
  seedval::cli::add_gadget(app);
  seedval::cli::add_report(app);
  seedval::cli::add_audit(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // One line, naming the problem; --help has the rest.
    std::fprintf(stderr, "seedval: %s (see seedval --help)\n", e.what());
    return seedval::cli::kBadInput;
  } catch (const seedval::cli::ExitRequest& r) {
    return r.code;
  }
  return seedval::cli::kOk;
}

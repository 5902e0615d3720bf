// Shared pieces of the seedval subcommands.
#pragma once

#include <functional>
#include <string>

#include <CLI/CLI.hpp>

namespace seedval::cli {

/// Exit codes every subcommand keeps to (scripts rely on them).
enum Exit : int {
  kOk = 0,           ///< done; for `run`, the unit passed
  kUnitFailed = 1,   ///< `run`: the unit failed a test
  kBadInput = 2,     ///< bad option, board, program or parameter
  kTesterError = 3,  ///< the tester could not do its job (link, I/O, device unreachable)
};

/// Thrown from a subcommand's callback to leave main() with `code`.
struct ExitRequest {
  int code;
};

/// Runs `body`, turning a seedval::Error into one line on stderr ("seedval <command>: <message>") and
/// the matching exit code.
int guarded(const std::string& command, const std::function<int()>& body);

/// Opens the board named by --board (a descriptor name or path).
std::string board_option_help();

void add_probe(CLI::App& app);
void add_run(CLI::App& app);
void add_lot(CLI::App& app);
void add_list(CLI::App& app);

}  // namespace seedval::cli

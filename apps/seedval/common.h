// Shared pieces of the seedval subcommands.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

namespace seedval::cli {

/// Exit codes every subcommand keeps to (scripts rely on them).
enum Exit : int {
  kOk = 0,           ///< done; for `run`, the unit passed
  kUnitFailed = 1,   ///< `run`: the unit failed a test
  kBadInput = 2,     ///< bad option, board, program or parameter
  kTesterError = 3,  ///< the tester could not do its job (link, I/O, device unreachable)
};

/// Parses `argv` and runs the subcommand it names; returns the exit code. `program_name` is how usage
/// and help name the command.
int main(int argc, const char* const* argv, const std::string& program_name = "seedval");

/// Thrown from a subcommand's callback to leave main() with `code`.
struct ExitRequest {
  int code;
};

/// Runs `body`, turning a seedval::Error into one line on stderr ("seedval <command>: <message>") and
/// the matching exit code.
int guarded(const std::string& command, const std::function<int()>& body);

/// Opens the board named by --board (a descriptor name or path).
std::string board_option_help();

/// Parses a number as bench engineers type it: decimal, 0x hex, 0b binary, with an optional binary size
/// suffix K, M, G (or KiB, MiB, GiB) for sizes. Throws InvalidArgumentError naming `what` and the text.
std::uint64_t parse_number(std::string_view text, std::string_view what, bool allow_suffix = false);

void add_probe(CLI::App& app);
void add_run(CLI::App& app);
void add_lot(CLI::App& app);
void add_list(CLI::App& app);
void add_reg(CLI::App& app);
void add_mem(CLI::App& app);
void add_population(CLI::App& app);
void add_faultsim(CLI::App& app);
void add_conformance(CLI::App& app);
void add_shmoo(CLI::App& app);
void add_agent(CLI::App& app);
void add_gadget(CLI::App& app);
void add_audit(CLI::App& app);
void add_report(CLI::App& app);

}  // namespace seedval::cli

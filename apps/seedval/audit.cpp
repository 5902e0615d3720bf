// seedval audit: a simulated lot's bins against the chip model's ground truth. Escapes (defective dies
// binned good) and overkill (good dies binned bad), in total and per defect class, with the classes the
// program's tests are documented to cover ("covers") told apart from those it does not claim.
#include <cstdio>
#include <filesystem>

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <seedval/boards/board.h>
#include <seedval/core/error.h>
#include <seedval/exec/lot.h>
#include <seedval/reports/audit.h>

#include "common.h"
#include "stored.h"

namespace seedval::cli {
namespace {

struct AuditCliOptions {
  std::string dir;
  std::string lot_id;
  std::string board;
  bool json = false;
};

// The board the lot was tested on, checked to be as it was: the ground truth comes from its files.
std::unique_ptr<Board> audit_board(const LotInfo& info, const std::string& override_board) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const std::string name =
      !override_board.empty()
          ? override_board
          : (fs::is_regular_file(info.board.path, ec) ? info.board.path : info.board.name);
  auto board = open_board(name);
  for (const auto& f : board->info().files) {
    const std::string now = sha256_file(f);
    for (const FileRef& rec : info.inputs)
      if (fs::path(rec.path).filename() == f.filename() && rec.sha256 != now)
        throw InvalidArgumentError(
            ErrorCode::invalid_argument,
            fmt::format(
                "lot {}: {} changed since the lot was tested (sha256 {} then, {} now); the ground truth "
                "would not be the lot's",
                info.lot_id, f.string(), rec.sha256.substr(0, 12), now.substr(0, 12)));
  }
  if (board->die_socket() == nullptr)
    throw InvalidArgumentError(
        ErrorCode::invalid_argument,
        fmt::format("board {} has no die socket: only simulated lots can be audited", board->describe()));
  return board;
}

void print_audit_units(const char* title, const std::vector<reports::AuditUnit>& units, const Program& p) {
  if (units.empty()) return;
  fmt::print("{}:\n", title);
  for (const auto& u : units) {
    std::vector<std::string> defects;
    for (std::size_t i = 0; i < u.classes.size(); ++i) defects.push_back(u.classes[i] + " at " + u.where[i]);
    fmt::print("  unit {:>5} {}  hard bin {} ({}){}{}: {}\n", u.part_id, chip::to_string(u.die), u.hard_bin,
               p.hard_bin(u.hard_bin).name, u.grade.empty() ? "" : " grade " + u.grade,
               u.failing_step.empty() ? "" : ", failed " + u.failing_step,
               defects.empty() ? std::string("no defect") : fmt::format("{}", fmt::join(defects, "; ")));
  }
}

int audit(const AuditCliOptions& o) {
  auto store = open_existing_store(o.dir);
  const auto lots = store->lots();
  if (lots.empty())
    throw NotFoundError(ErrorCode::not_found, fmt::format("{} holds no lot", store->location()));
  std::string lot_id = o.lot_id;
  if (lot_id.empty()) {
    if (lots.size() > 1)
      throw InvalidArgumentError(
          ErrorCode::invalid_argument,
          fmt::format("{} holds lots {}; name one with --lot", store->location(), fmt::join(lots, ", ")));
    lot_id = lots.front();
  }
  const LotResult lot = store->load(lot_id);
  const Program program = program_of_lot(*store, lot);
  auto board = audit_board(lot.info, o.board);
  DieSocket& socket = *board->die_socket();
  const reports::Audit a =
      reports::audit_lot(lot, program, [&](const chip::DieId& d) { return socket.ground_truth(d); });
  if (o.json) {
    fmt::print("{}", reports::audit_json(a));
  } else {
    fmt::print("audit of lot {}: {} units, {} defective, {} good; {} binned good\n", a.lot_id, a.units,
               a.defective, a.good, a.passed);
    fmt::print("  escapes   {} ({} in classes the program covers)\n", a.escapes, a.covered_escapes);
    fmt::print("  overkill  {}\n", a.overkill);
    fmt::print("  untested  {} (final insertion a tester error)\n", a.untested);
    fmt::print("  {:<18} {:>6} {:>7} {:>8} {:>9} {:>9}  covered by\n", "class", "units", "caught", "escapes",
               "untested", "overkill");
    for (const auto& c : a.classes)
      fmt::print("  {:<18} {:>6} {:>7} {:>8} {:>9} {:>9}  {}\n", c.defect_class, c.units, c.caught, c.escapes,
                 c.untested, c.overkill,
                 c.covered() ? fmt::format("{}", fmt::join(c.covered_by, ", ")) : "(not covered)");
    print_audit_units("escaped units", a.escaped_units, program);
    print_audit_units("overkill units", a.overkill_units, program);
  }
  return a.covered_escapes > 0 ? kUnitFailed : kOk;
}

}  // namespace

void add_audit(CLI::App& app) {
  auto o = std::make_shared<AuditCliOptions>();
  auto* cmd = app.add_subcommand("audit",
                                 "compare a simulated lot's bins with the chip model's ground truth: escapes "
                                 "and overkill per defect class "
                                 "(exit 1 when a class the program covers escaped)");
  cmd->add_option("dir", o->dir, "the lot's folder (holding results.db) or a results store file")->required();
  cmd->add_option("--lot", o->lot_id, "the lot to audit when the store holds several");
  cmd->add_option("--board,-b", o->board,
                  "the board descriptor the lot was tested on, if it moved (its files must be unchanged)");
  cmd->add_flag("--json", o->json, "print the audit as JSON (totals escapes, overkill, units; per class)");
  cmd->callback([o] { throw ExitRequest{guarded("audit", [&] { return audit(*o); })}; });
}

}  // namespace seedval::cli

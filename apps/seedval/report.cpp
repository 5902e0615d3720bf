// seedval report: rebuilds a lot's reports from its results store, as the factory's tools would see it;
// given several lots (one folder may hold several, several folders may be given), each lot's reports go
// to OUT/<lot id>/ and the lots together to OUT/yield.json, OUT/bins.json and OUT/report.html. Lots are
// read one insertion at a time, so a year of them fits in memory.
#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <set>

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <seedval/core/error.h>
#include <seedval/reports/lot_reports.h>
#include <seedval/reports/summary.h>

#include "common.h"
#include "stored.h"

namespace seedval::cli {
namespace {

struct ReportCliOptions {
  std::vector<std::string> dirs;
  std::string out;
  std::vector<std::string> lots;
  bool quiet = false;
};

struct ReportLot {
  std::shared_ptr<ResultStore> store;
  LotResult lot;  ///< its header: info, sites, how it ended (no insertions)
  Program program;
};

// The lots together, as one population of units (their insertions are read from each store in turn):
// sites added up by index, every input.
LotResult merge_report_lots(const std::vector<ReportLot>& lots) {
  LotResult m;
  m.info = lots.front().lot.info;
  std::vector<std::string> ids;
  std::set<std::string> inputs;
  std::map<int, SiteRecord> sites;
  for (const auto& l : lots) {
    const LotInfo& i = l.lot.info;
    ids.push_back(i.lot_id);
    m.info.start_time = std::min(m.info.start_time, i.start_time);
    m.info.finish_time = std::max(m.info.finish_time, i.finish_time);
    m.info.site_count = std::max(m.info.site_count, i.site_count);
    if (i.station != m.info.station) m.info.station = "several stations";
    if (i.handler != m.info.handler) m.info.handler = "several handlers";
    m.cancelled = m.cancelled || l.lot.cancelled;
    for (const auto& s : l.lot.sites) {
      auto [it, added] = sites.try_emplace(s.site, s);
      if (added) continue;
      it->second.insertions += s.insertions;
      it->second.tester_errors += s.tester_errors;
      it->second.out_of_service = it->second.out_of_service || s.out_of_service;
      if (!s.reason.empty()) it->second.reason = s.reason;
    }
  }
  m.info.inputs.clear();
  for (const auto& l : lots)
    for (const auto& f : l.lot.info.inputs)
      if (inputs.insert(f.sha256 + f.path).second) m.info.inputs.push_back(f);
  m.info.lot_id = fmt::format("{}", fmt::join(ids, "+"));
  for (auto& [n, s] : sites) m.sites.push_back(std::move(s));
  return m;
}

void print_report_line(const std::string& what, const reports::LotSummary& s) {
  auto pct = [](const reports::Ratio& r) {
    const auto v = r.value();
    return v ? fmt::format("{}/{} = {:.1f}%", r.numerator, r.denominator, 100 * *v) : std::string("n/a");
  };
  fmt::print("{}: {} units, {} insertions; first-pass yield {}, final yield {}\n", what, s.units,
             s.insertions, pct(s.first_pass_yield), pct(s.final_yield));
  if (!(s.bins_sum_to_units && s.fpy_le_fy && s.sites_sum_to_units))
    throw InternalError(
        ErrorCode::internal,
        fmt::format("{}: the counts do not add up; the reports record which check failed", what));
}

int report(const ReportCliOptions& o) {
  namespace fs = std::filesystem;
  std::vector<ReportLot> lots;
  std::set<std::string> seen;
  for (const auto& dir : o.dirs) {
    std::shared_ptr<ResultStore> store = open_existing_store(dir);
    const auto ids = store->lots();
    if (ids.empty())
      throw NotFoundError(ErrorCode::not_found, fmt::format("{} holds no lot", store->location()));
    for (const auto& id : ids) {
      if (!o.lots.empty() && std::find(o.lots.begin(), o.lots.end(), id) == o.lots.end()) continue;
      if (!seen.insert(id).second)
        throw InvalidArgumentError(ErrorCode::invalid_argument,
                                   fmt::format("lot {} is in more than one of the stores given (again in {})",
                                               id, store->location()));
      LotResult lot = store->load_header(id);
      Program program = program_of_lot(*store, lot);
      lots.push_back({store, std::move(lot), std::move(program)});
    }
  }
  for (const auto& want : o.lots)
    if (!seen.count(want))
      throw NotFoundError(ErrorCode::not_found, fmt::format("no store given holds lot {}", want));
  const fs::path out(o.out);
  std::vector<fs::path> files;
  for (const auto& l : lots) {
    reports::LotSummary s;
    const fs::path dir = lots.size() == 1 ? out : out / l.lot.info.lot_id;
    auto f =
        reports::write_lot_reports(l.lot, l.program, insertions_of(*l.store, l.lot.info.lot_id), dir, &s);
    files.insert(files.end(), f.begin(), f.end());
    if (!o.quiet) print_report_line("lot " + l.lot.info.lot_id, s);
  }
  if (lots.size() > 1) {
    // Together only when every lot ran the same program: bins of different programs do not add up.
    std::set<std::string> programs;
    for (const auto& l : lots) programs.insert(l.program.name + " " + l.program.sha256.substr(0, 12));
    if (programs.size() == 1) {
      const LotResult merged = merge_report_lots(lots);
      const Program& program = lots.front().program;
      reports::LotSummary s;
      reports::ReportSet together;
      together.stdf = false;   // an STDF file holds one lot
      together.junit = false;  // each lot's junit.xml is its CI record
      auto f = reports::write_lot_reports(
          merged, program,
          [&](const std::function<void(const UnitRecord&)>& each) {
            for (const auto& l : lots) insertions_of(*l.store, l.lot.info.lot_id)(each);
          },
          out, &s, together);
      files.insert(files.end(), f.begin(), f.end());
      if (!o.quiet) print_report_line(fmt::format("{} lots together", lots.size()), s);
    } else if (!o.quiet) {
      fmt::print("no report of the lots together: they ran different programs ({})\n",
                 fmt::join(programs, "; "));
    }
  }
  if (!o.quiet) {
    fmt::print("reports:\n");
    for (const auto& f : files) fmt::print("  {}\n", f.string());
  }
  return kOk;
}

}  // namespace

void add_report(CLI::App& app) {
  auto o = std::make_shared<ReportCliOptions>();
  auto* cmd = app.add_subcommand(
      "report",
      "rebuild the reports of one lot or many from their results stores (yield.json, bins.json, STDF, ...)");
  cmd->add_option("dirs", o->dirs, "lot folders (holding results.db) or results store files")->required();
  cmd->add_option("--out,-o", o->out,
                  "folder for the reports (several lots: one folder per lot inside, and the "
                  "lots together at the top)")
      ->required();
  cmd->add_option("--lot", o->lots, "only these lots (repeat for several)");
  cmd->add_flag("--quiet,-q", o->quiet, "print nothing but errors");
  cmd->callback([o] { throw ExitRequest{guarded("report", [&] { return report(*o); })}; });
}

}  // namespace seedval::cli

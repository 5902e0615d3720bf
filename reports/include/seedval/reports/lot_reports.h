// The lot's report files. Each JSON report is described by a JSON Schema in reports/schema/ and carries
// its schema id and version; reports check themselves (counts add up) and say so in "checks".
//
//   auto files = reports::write_lot_reports(lot, program, "out/LOT001");
//   // out/LOT001/yield.json, bins.json, LOT001.stdf, report.html (html.h), junit.xml (junit.h)
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <seedval/exec/program.h>
#include <seedval/exec/record.h>
#include <seedval/reports/summary.h>

namespace seedval::reports {

inline constexpr int kYieldSchemaVersion = 1;
inline constexpr int kBinsSchemaVersion = 1;

/// yield.json as text: provenance, counts, yields, per site, per test, test time.
std::string yield_report(const LotResult& lot, const Program& program);
/// bins.json as text: hard and soft bins (final and first pass), soft-to-hard map, Pareto of fails.
std::string bins_report(const LotResult& lot, const Program& program);
/// The same from a summary made beforehand (LotSummarizer over a store, a lot too large to hold): `lot`
/// gives the provenance only (its info, sites and how it ended; its insertions are not read).
std::string yield_report(const LotSummary& summary, const LotResult& lot, const Program& program);
std::string bins_report(const LotSummary& summary, const LotResult& lot, const Program& program);

/// Writes yield.json, bins.json, <lot id>.stdf (STDF V4, stdf.h), report.html (one self-contained page,
/// html.h) and junit.xml (JUnit XML for CI, junit.h) into `dir` (created if missing), each atomically (a
/// crash leaves the old file or the new one, never half of one). Returns the paths written, in that order.
/// Throws IoError.
std::vector<std::filesystem::path> write_lot_reports(const LotResult& lot, const Program& program,
                                                     const std::filesystem::path& dir);

/// Where a lot's insertions come from when its reports are built one insertion at a time: a function
/// that hands each insertion, in the order they finished, to the function it is given. From a results
/// store:
///   [&](const auto& f) { store.for_each_insertion(id, [&](UnitRecord&& u) { f(u); }, false); }
using InsertionSource = std::function<void(const std::function<void(const UnitRecord&)>&)>;

/// Which of the reports to write.
struct ReportSet {
  bool yield = true, bins = true, stdf = true, html = true, junit = true;
};

/// The same reports for a lot of any size, in bounded memory: `lot` gives the provenance (its info, sites
/// and how it ended; its insertions are not read) and `each` the insertions. Only the summary is held
/// (per unit its verdicts, per test its values); STDF and the JUnit test cases go to their files as they
/// come. `each` is called once. With `summary`, the lot's summary is left there.
std::vector<std::filesystem::path> write_lot_reports(const LotResult& lot, const Program& program,
                                                     const InsertionSource& each,
                                                     const std::filesystem::path& dir,
                                                     LotSummary* summary = nullptr, ReportSet which = {});

/// Writes `text` to `file` atomically (temporary file, flush, rename). Throws IoError naming the file.
void write_file_atomic(const std::filesystem::path& file, std::string_view text);

}  // namespace seedval::reports

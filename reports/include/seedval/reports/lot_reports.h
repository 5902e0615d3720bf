// The lot's report files. Each JSON report is described by a JSON Schema in reports/schema/ and carries
// its schema id and version; reports check themselves (counts add up) and say so in "checks".
//
//   auto files = reports::write_lot_reports(lot, program, "out/LOT001");
//   // out/LOT001/yield.json, bins.json, LOT001.stdf, report.html (html.h), junit.xml (junit.h)
#pragma once

#include <filesystem>
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

/// Writes `text` to `file` atomically (temporary file, flush, rename). Throws IoError naming the file.
void write_file_atomic(const std::filesystem::path& file, std::string_view text);

}  // namespace seedval::reports

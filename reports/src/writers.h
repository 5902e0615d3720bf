// The report writers that take a lot one insertion at a time, so that the reports of a lot of any size
// are built in bounded memory (lot_reports.h, write_lot_reports from an InsertionSource). The functions
// of stdf.h, html.h and junit.h that take a whole LotResult are built on them. Private to reports/.
#pragma once

#include <cstdint>
#include <filesystem>
#include <limits>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <seedval/exec/program.h>
#include <seedval/exec/record.h>
#include <seedval/reports/summary.h>

#include "output.h"

namespace seedval::reports {

/// STDF V4 (stdf.h): FAR, MIR and SDR when made, PIR, FTR/PTR and PRR per insertion added, then PCR,
/// HBR, SBR, TSR and MRR from the lot's summary.
class StdfWriter {
 public:
  /// `lot` gives the provenance (its info and sites); its insertions are not read.
  StdfWriter(const LotResult& lot, const Program& program, detail::Output& output);
  ~StdfWriter();
  StdfWriter(const StdfWriter&) = delete;
  StdfWriter& operator=(const StdfWriter&) = delete;
  void add(const UnitRecord& insertion);
  void finish(const LotSummary& summary);

 private:
  struct TestTotals {
    char type = 'F';
    std::string name;
    std::uint32_t executed = 0, failed = 0;
    double sum = 0, squares = 0, min = std::numeric_limits<double>::infinity(),
           max = -std::numeric_limits<double>::infinity();
    bool limits_written = false;
  };
  /// A step's test number and those of its measurements, in the order they first appeared.
  struct StepNumbers {
    std::uint32_t base = 0;
    std::vector<std::pair<std::string, std::uint32_t>> measurements;
  };

  detail::Output& output_;
  std::string finish_time_;
  std::uint32_t steps_ = 0;
  std::int64_t insertions_ = 0, retests_ = 0, aborted_ = 0;
  std::unordered_map<std::string, StepNumbers> steps_by_id_;
  std::map<std::uint32_t, TestTotals> totals_;
};

/// The time of each insertion and whether it was a retest, for the HTML report's histogram.
struct InsertionTime {
  double seconds = 0;
  bool retest = false;
};

/// report.html (html.h) from the lot's summary: `lot` gives the provenance, `times` every insertion's.
std::string html_report(const LotSummary& summary, const LotResult& lot, const Program& program,
                        const std::vector<InsertionTime>& times);

/// junit.xml (junit.h): each unit's final insertion as its test cases. Every insertion's cases are
/// written to `cases` as it is added, and where they start is kept per unit; finish() writes the document
/// with the totals first, then the cases of each unit's last insertion (a retest supersedes what went
/// before it), in the order they were written, copied back from `cases`.
class JunitWriter {
 public:
  JunitWriter(const LotResult& lot, const Program& program, detail::Output& cases);
  void add(const UnitRecord& insertion);
  /// Writes the document to `out`: `cases_text` holds the cases when they went to a string, else they
  /// are read back from `cases_file`.
  void finish(detail::Output& out, const std::string& cases_text, const std::filesystem::path& cases_file);

 private:
  struct Counts {
    std::int64_t tests = 0, failures = 0, errors = 0, skipped = 0;
    double time = 0;
  };
  /// A unit's last insertion so far: where its cases are in `cases` and what they count.
  struct Span {
    int insertion = 0;
    std::uint64_t offset = 0, length = 0;
    Counts counts;
  };
  void add_case(Counts& counts, std::string_view classname, std::string_view name, double time,
                std::string_view kind, std::string_view message = {}, std::string_view type = {},
                std::string_view body = {});

  const LotResult& lot_;
  const Program& program_;
  detail::Output& cases_;
  std::unordered_map<std::string, Span> units_;  ///< by die
};

}  // namespace seedval::reports

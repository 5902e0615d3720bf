// The lot as STDF V4, the format factory yield tools read (see docs/reports.md for what goes where).
//
//   reports::write_stdf(lot, program, "out/LOT001/LOT001.stdf");
//
// Records, little-endian (FAR.CPU_TYPE 2), plain V4: FAR, MIR, SDR; per insertion PIR, one FTR per step
// (its pass/fail) and one PTR per measurement, PRR; then PCR, HBR and SBR (all-site totals, HEAD_NUM
// 255, final bins: they add up to the units), one TSR per test number; MRR last.
//   - Test numbers: the n-th step of the program (setup, flow, teardown; from 1) is n * 1000 (its FTR);
//     its measurements are n * 1000 + 1, + 2, ... in the order first recorded.
//   - SITE_NUM is the site index + 1; HEAD_NUM is 1.
//   - PRR.PART_ID is the lot's part id, the same at every insertion; a retest sets PART_FLG bit 0
//     (supersedes the earlier record of that part). Bit 3: failed; bit 2: abnormal end (aborted).
//   - PCR.PART_CNT counts insertions (PRRs), RTST_CNT the retests among them, ABRT_CNT the aborted ones,
//     GOOD_CNT the units whose final insertion passed.
//   - Times are seconds since 1970 of the local wall clock the lot recorded; strings are ASCII.
#pragma once

#include <filesystem>
#include <string>

#include <seedval/exec/program.h>
#include <seedval/exec/record.h>

namespace seedval::reports {

/// The STDF bytes of `lot`.
std::string stdf_bytes(const LotResult& lot, const Program& program);
/// Writes them to `file` atomically. Throws IoError naming the file.
void write_stdf(const LotResult& lot, const Program& program, const std::filesystem::path& file);

}  // namespace seedval::reports

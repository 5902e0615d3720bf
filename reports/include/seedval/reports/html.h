// The lot as one self-contained HTML page (report.html) for a person to read: nothing is fetched (no
// scripts, fonts, images or style sheets from anywhere), the style is inline and every chart is inline SVG
// drawn here.
//
//   header      lot, product, program (name, revision, SHA-256 prefix), station, board, start, finish,
//               seedval version
//   figures     units, insertions, first-pass and final yield, retest and recovery rate (each with its
//               numerator and denominator), units per hour, mean test time, tester errors
//   bins        the Pareto of failing hard bins (bars, cumulative share line) and the soft-bin table
//   wafer maps  one SVG per wafer, a die per unit at its x/y in the colour of its final hard bin (pass
//               bins green, fail bins distinct colours, tester error dark grey), a tooltip per die
//   sites       first-pass and final yield per site, units, insertions, test time, tester errors
//   test time   histogram of the time per insertion (first insertions and retests), mean and p90 marked
//   tests       per step and measurement: executions, fails, mean, sigma, min, max, limits, Ppk (below
//               1.33 highlighted)
//   grades      the grade split, for a program with grades
//
// Only the wafer maps grow with the units (one small element per die); everything else is per bin, site,
// test or histogram bin. Every text from the lot or program is escaped.
#pragma once

#include <string>

#include <seedval/exec/program.h>
#include <seedval/exec/record.h>

namespace seedval::reports {

/// report.html as text (UTF-8).
std::string html_report(const LotResult& lot, const Program& program);

}  // namespace seedval::reports

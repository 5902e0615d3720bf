// The lot as JUnit XML, the flavour Jenkins, GitLab and most CI servers read, so a bench that runs a lot
// in CI shows each unit's steps as test cases:
//
//   <testsuites name="seedval" tests= failures= errors= skipped= time=>
//     <testsuite name="lot LOT001" tests= failures= errors= skipped= time= timestamp= hostname=>
//       <properties><property name="program" value="seedchip-production"/> ...</properties>
//       <testcase classname="LOT001.17" name="memory_march" time="0.250">
//         <failure message="..." type="failed">the measurements out of limits</failure>
//       </testcase> ...
//
// One test case per step of each unit's final insertion (the insertion that decided its bin): a failed
// step has <failure>, a step that errored (tester error, aborted) <error>, a skipped one <skipped>. A unit
// that did not pass although none of its steps failed or errored (no grade took it, a tester error before
// the first step, a required step skipped) has one more case saying why, named after the deciding step
// ("grade", "connect", ...) or "bin"; a lot stopped early has a case "lot" with an <error>.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <seedval/exec/program.h>
#include <seedval/exec/record.h>

namespace seedval::reports {

/// junit.xml as text (UTF-8, XML 1.0).
std::string junit_report(const LotResult& lot, const Program& program);

/// Each unit's final insertion, as summarize() counts units: keyed by die, the last insertion that was
/// not aborted (a die with only aborted insertions is no unit). Ordered by the handler's unit index.
/// Shared by the JUnit and HTML reports.
std::vector<const UnitRecord*> final_insertions(const LotResult& lot);

/// `text` as XML 1.0 character data, also valid in HTML: & < > " ' escaped, and what XML 1.0 forbids
/// (control characters other than tab, LF and CR; U+FFFE and U+FFFF; bytes that are not UTF-8) replaced
/// by U+FFFD. In an attribute value (`attribute` true) tab, LF and CR are written as character references
/// so they survive attribute-value normalisation.
std::string escape_xml(std::string_view text, bool attribute = false);
/// escape_xml, appended to `out`.
void append_escaped(std::string& out, std::string_view text, bool attribute = false);

}  // namespace seedval::reports

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

#include <seedval/core/xml.h>
#include <seedval/exec/program.h>
#include <seedval/exec/record.h>

namespace seedval::reports {

/// junit.xml as text (UTF-8, XML 1.0).
std::string junit_report(const LotResult& lot, const Program& program);

// escape_xml and append_escaped: seedval/core/xml.h.

}  // namespace seedval::reports

// Text for XML and HTML documents (JUnit XML, the HTML report, SVG plots).
#pragma once

#include <string>
#include <string_view>

namespace seedval {

/// `text` as XML 1.0 character data, also valid in HTML: & < > " ' escaped, and what XML 1.0 forbids
/// (control characters other than tab, LF and CR; U+FFFE and U+FFFF; bytes that are not UTF-8) replaced
/// by U+FFFD. In an attribute value (`attribute` true) tab, LF and CR are written as character references
/// so they survive attribute-value normalisation.
std::string escape_xml(std::string_view text, bool attribute = false);
/// escape_xml, appended to `out`.
void append_escaped(std::string& out, std::string_view text, bool attribute = false);

}  // namespace seedval

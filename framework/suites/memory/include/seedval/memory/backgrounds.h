// Data backgrounds for march tests: what a march writes as "0" (and, inverted, as "1") in each word.
//
// A background is chip::DataBackground: a 64-bit pattern, inverted on the words whose index has odd
// parity under a mask. Since the address map is a bit permutation (chip/geometry.h), physical patterns
// are parities of chosen word-index bits, and the MBIST engine applies any of them at memory speed.
//
//   solid         0x0000000000000000 everywhere
//   word-1..6     the word-oriented backgrounds of the reference: alternating groups of 1, 2, 4, 8, 16, 32
//                 bits (0x5555…, 0x3333…, 0x0F0F…, 0x00FF…, 0x0000FFFF…, 0x00000000FFFFFFFF). With
//                 solid, the log2(64) + 1 = 7 backgrounds that find every intra-word coupling fault.
//   word          the seven above
//   checkerboard  bits alternate within a word (0x5555…) and from word to word along rows and columns
//   row-stripes   whole rows alternate 0 and 1
//   column-stripes  word columns alternate 0 and 1
//   walking-byte  eight backgrounds 0x0101…, 0x0202…, …, 0x8080…: a one walking through every byte
//                 (with MATS++: the "moving inversions" test of PC memory testers)
//   0x…           a solid background with that 64-bit value
//
//   auto bgs = memory::parse_backgrounds("solid,checkerboard,0xDEADBEEF00000000", geometry);
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <seedval/chip/geometry.h>
#include <seedval/chip/march.h>

namespace seedval::memory {

struct NamedBackground {
  std::string name;  ///< as it appears in fail bitmaps: "solid", "word-3", "checkerboard", "0x…"
  chip::DataBackground background;
};

/// The log2(64) + 1 = 7 word-oriented backgrounds, solid first.
std::vector<NamedBackground> word_backgrounds();

/// Expands a comma-separated list of the names above. Throws InvalidArgumentError naming an unknown
/// entry and listing the known names; an empty list is an error too.
std::vector<NamedBackground> parse_backgrounds(std::string_view list, const chip::HbmGeometry& geometry);

/// The names parse_backgrounds() accepts (besides 0x… values), for help texts and parameter docs.
std::string background_names();

}  // namespace seedval::memory

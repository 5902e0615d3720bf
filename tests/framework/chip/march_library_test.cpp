// Tests for seedval/chip/march_library.h: the shipped algorithms parse to the lengths the reference
// gives, and march files are read with errors that name the file and line.
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <seedval/chip/march_library.h>
#include <seedval/core/error.h>

#include "support/errors.h"

namespace seedval::chip {

BOOST_AUTO_TEST_SUITE(chip_march_library)

BOOST_AUTO_TEST_CASE(the_shipped_library_holds_the_reference_algorithms_with_their_lengths) {
  const MarchLibrary lib = builtin_march_library();
  // Operations per word, from the reference table (IFA-13: 16N plus two delays).
  const std::vector<std::pair<std::string, std::size_t>> expected = {
      {"MATS+", 5},     {"MATS++", 6},     {"March X", 6},  {"March Y", 8},   {"March C-", 10},
      {"March A", 15},  {"March B", 17},   {"March U", 13}, {"March LR", 14}, {"March SR", 14},
      {"March SS", 22}, {"March RAW", 26}, {"IFA-13", 16}};
  BOOST_TEST(lib.size() >= expected.size());
  for (const auto& [name, length] : expected) {
    BOOST_TEST_CONTEXT(name) {
      const MarchAlgorithm* a = lib.find(name);
      BOOST_REQUIRE(a != nullptr);
      BOOST_TEST(a->name == name);
      BOOST_TEST(a->length() == length);
    }
  }
  std::size_t delays = 0;
  for (const auto& e : lib.get("IFA-13").elements) delays += e.is_delay ? 1 : 0;
  BOOST_TEST(delays == 2u);
  BOOST_TEST((lib.get("march c-").elements ==
              parse_march("{b(w0);u(r0,w1);u(r1,w0);d(r0,w1);d(r1,w0);b(r0)}").elements));
}

BOOST_AUTO_TEST_CASE(unknown_names_list_the_known_ones) {
  MarchLibrary lib;
  parse_march_file("A = {b(w0)}\nB = {u(w1)}\n", "x.march", lib);
  BOOST_CHECK_EXCEPTION(
      lib.get("March Q"), NotFoundError,
      testing::error_with(ErrorCode::not_found, "no march algorithm called \"March Q\" (known: A, B)"));
}

BOOST_AUTO_TEST_CASE(comments_and_blank_lines_are_skipped) {
  MarchLibrary lib;
  parse_march_file("# a comment\n\n  Mine = {u(w0); d(r0)}   # trailing comment\n", "mine.march", lib);
  BOOST_TEST(lib.names() == std::vector<std::string>{"Mine"});
  BOOST_TEST(lib.get("mine").length() == 2u);
}

BOOST_AUTO_TEST_CASE(errors_name_the_file_and_line) {
  MarchLibrary lib;
  BOOST_CHECK_EXCEPTION(parse_march_file("A = {b(w0)}\nno equals sign\n", "f.march", lib), ConfigError,
                        testing::error_with(ErrorCode::config, "f.march:2: expected NAME = NOTATION"));
  MarchLibrary lib2;
  BOOST_CHECK_EXCEPTION(parse_march_file("\n\nBad = {u(x0)}\n", "g.march", lib2), ConfigError,
                        testing::error_with(ErrorCode::config, "g.march:3: march notation \"Bad\""));
  MarchLibrary lib3;
  BOOST_CHECK_EXCEPTION(
      parse_march_file("A = {b(w0)}\na = {u(w1)}\n", "h.march", lib3), ConfigError,
      testing::error_with(ErrorCode::config, "h.march:2: march algorithm \"a\" is defined twice"));
  MarchLibrary lib4;
  BOOST_CHECK_EXCEPTION(parse_march_file(" = {b(w0)}\n", "i.march", lib4), ConfigError,
                        testing::error_with(ErrorCode::config, "i.march:1: the algorithm has no name"));
}

BOOST_AUTO_TEST_CASE(a_folder_loads_every_march_file_in_name_order) {
  const auto dir = std::filesystem::temp_directory_path() / "seedval-march-library-test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "b.march") << "Second = {u(w1)}\n";
  std::ofstream(dir / "a.march") << "First = {u(w0)}\n";
  std::ofstream(dir / "notes.txt") << "not an algorithm\n";
  const MarchLibrary lib = load_march_library(dir);
  BOOST_TEST(lib.names() == (std::vector<std::string>{"First", "Second"}));
  std::filesystem::remove(dir / "a.march");
  std::filesystem::remove(dir / "b.march");
  BOOST_CHECK_EXCEPTION(load_march_library(dir), IoError,
                        testing::error_with(ErrorCode::io, "holds no .march files"));
  BOOST_CHECK_EXCEPTION(load_march_library(dir / "missing.march"), IoError,
                        testing::error_with(ErrorCode::io, "cannot read march file"));
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval::chip

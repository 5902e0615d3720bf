// Tests for seedval/core/paths.h: locating the data root and data files.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include <boost/test/unit_test.hpp>
#include <unistd.h>

#include <seedval/core/error.h>
#include <seedval/core/paths.h>

namespace seedval {
namespace {

namespace fs = std::filesystem;

// Sets or clears SEEDVAL_ROOT for one test and restores the previous value.
class ScopedRoot {
 public:
  explicit ScopedRoot(const char* value) {
    if (const char* old = std::getenv("SEEDVAL_ROOT")) old_ = old;
    if (value)
      ::setenv("SEEDVAL_ROOT", value, 1);
    else
      ::unsetenv("SEEDVAL_ROOT");
  }
  ~ScopedRoot() {
    if (old_)
      ::setenv("SEEDVAL_ROOT", old_->c_str(), 1);
    else
      ::unsetenv("SEEDVAL_ROOT");
  }
  ScopedRoot(const ScopedRoot&) = delete;
  ScopedRoot& operator=(const ScopedRoot&) = delete;

 private:
  std::optional<std::string> old_;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(core_paths)

BOOST_AUTO_TEST_CASE(data_root_holds_boards_and_fixtures) {
  // Under CTest SEEDVAL_ROOT names the source tree; run by hand the executable finds its build tree's source.
  const fs::path root = data_root();
  BOOST_TEST(fs::is_directory(root / "boards"), root.string());
  BOOST_TEST(fs::is_directory(root / "fixtures" / "programs"), root.string());
}

BOOST_AUTO_TEST_CASE(data_root_without_the_variable_finds_the_source_tree) {
  ScopedRoot unset(nullptr);
  const fs::path root = data_root();
  BOOST_TEST(fs::is_directory(root / "boards"), root.string());
}

BOOST_AUTO_TEST_CASE(bad_seedval_root_is_named_in_the_error) {
  const fs::path empty_dir = fs::temp_directory_path();
  ScopedRoot bad(empty_dir.c_str());
  BOOST_CHECK_EXCEPTION(data_root(), NotFoundError, [&](const NotFoundError& e) {
    BOOST_TEST_MESSAGE("got: " << e.what());
    return e.code() == ErrorCode::not_found &&
           e.message().find("SEEDVAL_ROOT=" + empty_dir.string()) != std::string::npos;
  });
}

BOOST_AUTO_TEST_CASE(find_data_file_returns_an_existing_path_as_given) {
  const fs::path file =
      fs::temp_directory_path() / ("seedval-paths-test-" + std::to_string(::getpid()) + ".json");
  std::ofstream(file) << "{}";
  BOOST_TEST(find_data_file(file, "boards") == file);
  fs::remove(file);
}

BOOST_AUTO_TEST_CASE(find_data_file_lists_every_place_tried) {
  BOOST_CHECK_EXCEPTION(
      find_data_file("no-such-board-4711", "boards"), NotFoundError, [](const NotFoundError& e) {
        BOOST_TEST_MESSAGE("got: " << e.what());
        return e.code() == ErrorCode::not_found && e.message().find("no-such-board-4711: not found") == 0 &&
               e.message().find("boards/no-such-board-4711.json") != std::string::npos;
      });
}

BOOST_AUTO_TEST_CASE(find_data_file_does_not_search_for_absolute_paths) {
  BOOST_CHECK_EXCEPTION(
      find_data_file("/nonexistent/x.json", "boards"), NotFoundError, [](const NotFoundError& e) {
        BOOST_TEST_MESSAGE("got: " << e.what());
        return e.message() == "/nonexistent/x.json: not found (looked for /nonexistent/x.json)";
      });
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval

// A temporary folder for tests that write files (board descriptors, population specs, reports).
//
//   testing::TempDir dir;
//   dir.write("pop.json", R"({"population": "p", "seed": 5})");
//   const auto board = dir.write("bench.json", R"({"board": "seedchip-sim", "population": "pop.json"})");
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace seedval::testing {

/// A fresh folder under the system temp folder, removed with everything in it at the end of its scope.
/// Unique per process and per instance, so test executables running in parallel do not collide.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

  /// Writes `text` to `name` (relative to the folder; missing folders are made) and returns the file's path.
  /// Throws std::runtime_error if the file cannot be written.
  std::filesystem::path write(const std::string& name, std::string_view text) const;

 private:
  std::filesystem::path path_;
};

}  // namespace seedval::testing

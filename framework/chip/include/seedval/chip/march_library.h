// Named march algorithms kept as data: the files under fixtures/march/ (one `NAME = NOTATION` per line,
// '#' starts a comment), parsed by the one notation parser of march.h.
//
//   auto library = chip::load_march_library(find_data_file("", "fixtures/march"));
//   const chip::MarchAlgorithm& c = library.get("March C-");
//
// A user adds an algorithm by adding a line, or a `.march` file to the folder.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <seedval/chip/march.h>

namespace seedval::chip {

class MarchLibrary {
 public:
  /// Adds `algorithm` (it must have a name). Throws ConfigError if the name is taken (names compare
  /// case-insensitively), naming `source` (where the new one came from).
  void add(MarchAlgorithm algorithm, std::string_view source);
  /// The algorithm called `name` (case-insensitive), or nullptr.
  const MarchAlgorithm* find(std::string_view name) const;
  /// The algorithm called `name`; throws NotFoundError listing the names the library holds.
  const MarchAlgorithm& get(std::string_view name) const;
  /// Names in the order they were added.
  std::vector<std::string> names() const;
  const std::vector<MarchAlgorithm>& algorithms() const { return algorithms_; }
  std::size_t size() const { return algorithms_.size(); }

 private:
  std::vector<MarchAlgorithm> algorithms_;
};

/// Parses the text of a march file into `library`. `source` names the file in errors, which also give
/// the line: "algorithms.march:7: ...". Throws ConfigError for a line without '=', an empty name, a
/// duplicate name, or bad notation (the parser's message, with the line).
void parse_march_file(std::string_view text, std::string_view source, MarchLibrary& library);

/// Loads a march file, or every `*.march` file of a folder in name order. Throws IoError for an
/// unreadable file or an empty folder, ConfigError for bad content.
MarchLibrary load_march_library(const std::filesystem::path& file_or_folder);

/// The library shipped in the data root's fixtures/march/ (see core/paths.h).
MarchLibrary builtin_march_library();

}  // namespace seedval::chip

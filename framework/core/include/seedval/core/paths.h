// Where seedval finds its data: board descriptors, fixtures (programs, populations) and report schemas.
#pragma once

#include <filesystem>

namespace seedval {

/// The data root: the folder that holds `boards/`, `fixtures/` and `reports/schema/`.
/// Looked up in order: the SEEDVAL_ROOT environment variable; the source tree the running executable was
/// built in (found by walking up from the executable); `<prefix>/share/seedval` of an installed copy.
/// Throws NotFoundError listing the places tried when none holds the data.
std::filesystem::path data_root();

/// Resolves `name` as a file: an existing path as given, else `<data_root>/<folder>/<name>` and the same
/// with `.json` appended. Throws NotFoundError naming every place tried.
std::filesystem::path find_data_file(const std::filesystem::path& name, const std::filesystem::path& folder);

}  // namespace seedval

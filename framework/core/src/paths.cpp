#include <cstdlib>
#include <string>
#include <vector>

#include <fmt/core.h>

#include <seedval/core/error.h>
#include <seedval/core/paths.h>
#include <seedval/core/strings.h>

namespace seedval {
namespace fs = std::filesystem;
namespace {

bool holds_data(const fs::path& dir) {
  std::error_code ec;
  return fs::is_directory(dir / "fixtures" / "programs", ec) && fs::is_directory(dir / "boards", ec);
}

}  // namespace

fs::path data_root() {
  if (const char* env = std::getenv("SEEDVAL_ROOT"); env != nullptr && *env != '\0') {
    if (holds_data(env)) return fs::path(env);
    throw NotFoundError(ErrorCode::not_found,
                        fmt::format("SEEDVAL_ROOT={} does not hold boards/ and fixtures/programs/", env));
  }
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (fs::path dir = exe.parent_path(); !dir.empty(); dir = dir.parent_path()) {
      if (holds_data(dir)) return dir;
      if (holds_data(dir / "share" / "seedval")) return dir / "share" / "seedval";
      if (dir == dir.root_path()) break;
    }
  }
  if (holds_data(fs::current_path(ec))) return fs::current_path(ec);
  throw NotFoundError(
      ErrorCode::not_found,
      "cannot find seedval's data (boards/, fixtures/): set SEEDVAL_ROOT to the folder that holds "
      "them, or run the seedval of a build or install tree");
}

fs::path find_data_file(const fs::path& name, const fs::path& folder) {
  std::error_code ec;
  if (fs::is_regular_file(name, ec)) return name;
  std::vector<fs::path> tried{name};
  if (!name.is_absolute()) {
    fs::path root = data_root();
    for (const fs::path& candidate :
         {root / folder / name, root / folder / fs::path(name.string() + ".json")}) {
      if (fs::is_regular_file(candidate, ec)) return candidate;
      tried.push_back(candidate);
    }
  }
  const std::string list = join_by(tried, [](const fs::path& p) { return p.native(); });
  throw NotFoundError(ErrorCode::not_found,
                      fmt::format("{}: not found (looked for {})", name.string(), list));
}

}  // namespace seedval

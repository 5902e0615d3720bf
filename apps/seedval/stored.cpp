#include "stored.h"

#include <algorithm>
#include <filesystem>

#include <fmt/core.h>

#include <seedval/core/error.h>

namespace seedval::cli {

std::unique_ptr<ResultStore> open_existing_store(const std::string& location) {
  namespace fs = std::filesystem;
  if (ResultStore::backend_of(location) != ResultStore::Backend::sqlite) return ResultStore::open(location);
  std::error_code ec;
  fs::path file(location);
  if (fs::is_directory(file, ec)) file /= "results.db";
  if (!fs::is_regular_file(file, ec))
    throw NotFoundError(
        ErrorCode::not_found,
        fmt::format("{}: no results store here (a lot folder holds results.db)", file.string()));
  return std::make_unique<ResultStore>(file);
}

Program program_of_lot(const ResultStore& store, const LotResult& lot) {
  const LotInfo& info = lot.info;
  auto check = [&](const std::string& what, const std::string& path, const std::string& recorded,
                   const std::string& now) {
    if (recorded != now)
      throw InvalidArgumentError(
          ErrorCode::invalid_argument,
          fmt::format("lot {}: the {} {} changed since the lot was tested (sha256 {} then, {} now)",
                      info.lot_id, what, path, recorded.substr(0, 12), now.substr(0, 12)));
  };
  // The files as the store kept them, when it did.
  const std::vector<StoredFile> kept = store.files(info.lot_id);
  const auto program_file =
      std::find_if(kept.begin(), kept.end(), [](const StoredFile& f) { return f.role == "program"; });
  if (program_file != kept.end()) {
    // A program made in code (Python's program_from_dict) was kept with no path: named by its name.
    const std::string where =
        program_file->ref.path.empty()
            ? fmt::format("program {} as kept in {}", program_file->ref.name, store.location())
            : program_file->ref.path;
    Program program = parse_program(program_file->content, where);
    program.file = program_file->ref.path;
    check("program", program_file->ref.path, info.program.sha256, program.sha256);
    for (const StoredFile& f : kept)
      if (f.role == "limits") apply_limits(program, f.content, f.ref.path);
    return program;
  }
  if (info.program.path.empty())
    throw InvalidArgumentError(ErrorCode::invalid_argument,
                               fmt::format("lot {} records no program file", info.lot_id));
  Program program = load_program(info.program.path);
  check("program", info.program.path, info.program.sha256, program.sha256);
  for (const FileRef& f : info.inputs) {
    if (!f.name.ends_with(" limits)")) continue;
    apply_limits_file(program, f.path);
    check("limits file", f.path, f.sha256, program.limits_layers.back().sha256);
  }
  return program;
}

reports::InsertionSource insertions_of(const ResultStore& store, const std::string& lot_id) {
  return [&store, lot_id](const std::function<void(const UnitRecord&)>& f) {
    store.for_each_insertion(
        lot_id, [&](UnitRecord&& u) { f(u); }, false);
  };
}

}  // namespace seedval::cli

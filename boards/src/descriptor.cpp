// Loading board descriptors: includes, validation, and the hand-off to the backend's factory.
#include <algorithm>

#include <fmt/core.h>

#include <seedval/boards/backend.h>
#include <seedval/core/error.h>
#include <seedval/core/paths.h>
#include <seedval/core/strings.h>

#include "registry.h"

namespace seedval {
namespace fs = std::filesystem;
namespace {

constexpr int kMaxIncludeDepth = 8;

struct Merged {
  nlohmann::json value = nlohmann::json::object();
  std::map<std::string, std::string> origins;  // key -> file it came from
  std::vector<fs::path> files;
};

// Loads `file` and everything it includes; later keys override earlier ones, the including file last.
void load_into(const fs::path& file, Merged& out, std::vector<fs::path>& stack) {
  const fs::path canonical = fs::weakly_canonical(file);
  if (std::find(stack.begin(), stack.end(), canonical) != stack.end())
    throw ConfigError(ErrorCode::config,
                      fmt::format("{}: include cycle through {}", stack.back().string(), file.string()));
  if (static_cast<int>(stack.size()) >= kMaxIncludeDepth)
    throw ConfigError(ErrorCode::config,
                      fmt::format("{}: includes nest deeper than {}", file.string(), kMaxIncludeDepth));
  nlohmann::json j = load_json_file(file);
  JsonObject o(j, file.string());
  out.files.push_back(file);
  stack.push_back(canonical);
  if (const auto* inc = o.raw("include")) {
    std::vector<std::string> names;
    if (inc->is_string()) {
      names.push_back(inc->get<std::string>());
    } else if (inc->is_array() &&
               std::all_of(inc->begin(), inc->end(), [](const auto& e) { return e.is_string(); })) {
      for (const auto& e : *inc) names.push_back(e.get<std::string>());
    } else {
      o.fail("include",
             fmt::format("expected a file name or a list of file names, got {}", json_type_name(*inc)));
    }
    for (const auto& name : names) {
      fs::path p = fs::path(name).is_absolute() ? fs::path(name) : file.parent_path() / name;
      std::error_code ec;
      if (!fs::is_regular_file(p, ec))
        o.fail("include", fmt::format("included file {} does not exist", p.string()));
      load_into(p, out, stack);
    }
  }
  stack.pop_back();
  for (const auto& [key, value] : j.items()) {
    if (key == "include") continue;
    out.value[key] = value;
    out.origins[key] = file.string();
  }
}

}  // namespace

fs::path resolve_path(JsonObject& params, std::string_view key) {
  fs::path p = params.string(key);
  if (p.is_absolute()) return p;
  return fs::path(params.origin(key)).parent_path() / p;
}

std::unique_ptr<Board> open_board(std::string_view name_or_path) {
  if (name_or_path.starts_with("zmq+")) return detail::open_remote_uri(name_or_path);
  if (name_or_path.starts_with("usb:")) return detail::open_usb_uri(name_or_path);
  const fs::path file = find_data_file(fs::path(name_or_path), "boards");
  Merged merged;
  std::vector<fs::path> stack;
  load_into(file, merged, stack);

  JsonObject o(merged.value, file.string());
  for (const auto& [key, origin] : merged.origins) o.set_origin(key, origin);
  BoardInfo info;
  info.name = file.stem().string();
  info.file = file;
  info.files = merged.files;
  info.backend = o.string("board");
  info.transport = o.string("transport");
  info.description = o.string_or("description", "");

  BoardFactory factory;
  {
    auto& r = detail::board_registry();
    std::lock_guard lock(r.mutex);
    auto it = r.backends.find(info.backend);
    if (it == r.backends.end()) {
      const std::string known =
          join_by(r.backends, [](const auto& entry) -> std::string_view { return entry.first; });
      throw NotFoundError(ErrorCode::not_found,
                          fmt::format("{}: unknown board backend \"{}\" (this build has: {})",
                                      o.locate("board"), info.backend, known.empty() ? "none" : known));
    }
    factory = it->second.factory;
  }
  auto board = factory(o, std::move(info));
  o.finish();
  return board;
}

}  // namespace seedval

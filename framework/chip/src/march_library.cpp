#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include <fmt/core.h>

#include <seedval/chip/march_library.h>
#include <seedval/core/error.h>
#include <seedval/core/paths.h>

namespace seedval::chip {
namespace {

bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw IoError(ErrorCode::io, fmt::format("cannot read march file {}", file.string()));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

void MarchLibrary::add(MarchAlgorithm algorithm, std::string_view source) {
  if (algorithm.name.empty())
    throw ConfigError(ErrorCode::config, fmt::format("{}: a march algorithm needs a name", source));
  if (find(algorithm.name) != nullptr)
    throw ConfigError(ErrorCode::config,
                      fmt::format("{}: march algorithm \"{}\" is defined twice", source, algorithm.name));
  algorithms_.push_back(std::move(algorithm));
}

const MarchAlgorithm* MarchLibrary::find(std::string_view name) const {
  for (const auto& a : algorithms_)
    if (same_name(a.name, name)) return &a;
  return nullptr;
}

const MarchAlgorithm& MarchLibrary::get(std::string_view name) const {
  if (const auto* a = find(name)) return *a;
  std::string known;
  for (const auto& a : algorithms_) known += (known.empty() ? "" : ", ") + a.name;
  throw NotFoundError(ErrorCode::not_found,
                      fmt::format("no march algorithm called \"{}\" (known: {})", name, known));
}

std::vector<std::string> MarchLibrary::names() const {
  std::vector<std::string> out;
  for (const auto& a : algorithms_) out.push_back(a.name);
  return out;
}

void parse_march_file(std::string_view text, std::string_view source, MarchLibrary& library) {
  std::size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (const std::size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    line = trim(line);
    if (line.empty()) continue;
    const std::string where = fmt::format("{}:{}", source, line_no);
    const std::size_t eq = line.find('=');
    if (eq == std::string_view::npos)
      throw ConfigError(ErrorCode::config,
                        fmt::format("{}: expected NAME = NOTATION, found \"{}\"", where, line));
    const std::string_view name = trim(line.substr(0, eq));
    if (name.empty())
      throw ConfigError(ErrorCode::config, fmt::format("{}: the algorithm has no name", where));
    MarchAlgorithm algorithm;
    try {
      algorithm = parse_march(trim(line.substr(eq + 1)), std::string(name));
    } catch (const Error& e) {
      rethrow_with_context(e, where);
    }
    library.add(std::move(algorithm), where);
  }
}

MarchLibrary load_march_library(const std::filesystem::path& path) {
  MarchLibrary library;
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    for (const auto& entry : std::filesystem::directory_iterator(path, ec))
      if (entry.path().extension() == ".march") files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    if (files.empty()) throw IoError(ErrorCode::io, fmt::format("{} holds no .march files", path.string()));
  } else {
    files.push_back(path);
  }
  for (const auto& f : files) parse_march_file(read_file(f), f.filename().string(), library);
  return library;
}

MarchLibrary builtin_march_library() {
  return load_march_library(data_root() / "fixtures" / "march");
}

}  // namespace seedval::chip

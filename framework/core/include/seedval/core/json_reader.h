// Strict reading of JSON configuration (board descriptors, populations, programs, limits).
//
// Include only from the .cpp files that load configuration: it pulls in nlohmann/json.
//
// Every read names where it happened, so a bad file gets an error such as
//   boards/bench.json: flow[2].params.count: expected an integer from 1 to 64, got "ten"
// and finish() rejects keys nobody asked for (a misspelt key is an error, never silently ignored):
//
//   JsonObject o(load_json_file(path), path.string());
//   auto name = o.string("name");
//   auto size = o.integer_or("size_mib", 16, 1, 65536);
//   o.finish();
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace seedval {

/// Reads and parses a JSON file. Throws IoError if it cannot be read and ConfigError, naming the file,
/// line and column, if it is not valid JSON.
nlohmann::json load_json_file(const std::filesystem::path& path);
/// Parses JSON text; `where` names its origin in errors.
nlohmann::json parse_json(std::string_view text, std::string_view where);

/// Human name of a JSON value's type for messages: "a string", "an integer", ...
std::string json_type_name(const nlohmann::json& value);

/// A view of one JSON object with checked, located access to its keys.
class JsonObject {
 public:
  /// `where` is the file (or other origin); `path` the location of this object inside it ("" = root).
  /// Throws ConfigError if `value` is not an object.
  JsonObject(const nlohmann::json& value, std::string where, std::string path = "");

  bool has(std::string_view key) const;
  const std::string& where() const { return where_; }
  /// "file: path.key" for messages about `key`.
  std::string locate(std::string_view key) const;
  /// Throws ConfigError "<file>: <path.key>: <message>".
  [[noreturn]] void fail(std::string_view key, std::string_view message) const;

  std::string string(std::string_view key);
  std::string string_or(std::string_view key, std::string fallback);
  /// A string that must be one of `choices`.
  std::string choice(std::string_view key, const std::vector<std::string>& choices);
  std::int64_t integer(std::string_view key, std::int64_t min, std::int64_t max);
  std::int64_t integer_or(std::string_view key, std::int64_t fallback, std::int64_t min, std::int64_t max);
  /// Accepts a JSON integer or a string in C notation ("0x1f", "017", "42").
  std::uint64_t unsigned_value(std::string_view key, std::uint64_t max);
  double number(std::string_view key);
  double number_or(std::string_view key, double fallback);
  std::optional<double> optional_number(std::string_view key);
  bool boolean_or(std::string_view key, bool fallback);
  JsonObject object(std::string_view key);
  std::optional<JsonObject> optional_object(std::string_view key);
  /// The array at `key` (must be an array); elements are read with element_path().
  const nlohmann::json& array(std::string_view key);
  const nlohmann::json& array_or_empty(std::string_view key);
  /// The raw value at `key` (marked as read), or nullptr if absent.
  const nlohmann::json* raw(std::string_view key);
  /// "path.key[i]" for an element of an array read from this object.
  std::string element_path(std::string_view key, std::size_t index) const;
  /// Path of this object inside its file.
  const std::string& path() const { return path_; }
  /// Records that `key` came from `file` (a merged include); messages about it then name that file.
  void set_origin(const std::string& key, std::string file) { origins_[key] = std::move(file); }
  /// The file `key` came from: its recorded origin, else where().
  const std::string& origin(std::string_view key) const;
  /// Marks every key as read (for objects whose keys are free-form, such as parameter maps).
  void accept_all_keys();

  /// Throws ConfigError naming the first key that nothing read, and the keys that are allowed.
  void finish() const;

 private:
  const nlohmann::json& get(std::string_view key, bool required);
  std::string child_path(std::string_view key) const;

  const nlohmann::json* value_;
  std::string where_;
  std::string path_;
  std::set<std::string, std::less<>> read_;
  mutable std::set<std::string, std::less<>> asked_;  // every key looked for: the known keys
  std::map<std::string, std::string, std::less<>> origins_;
  bool accept_all_ = false;
};

}  // namespace seedval

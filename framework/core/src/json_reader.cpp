#include <cctype>
#include <fstream>
#include <limits>
#include <sstream>

#include <fmt/core.h>

#include <seedval/core/error.h>
#include <seedval/core/json_reader.h>
#include <seedval/core/strings.h>

namespace seedval {
namespace {

std::string quote_value(const nlohmann::json& v) {
  std::string s = v.dump();
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

}  // namespace

nlohmann::json parse_json(std::string_view text, std::string_view where) {
  try {
    return nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    // Turn the byte offset into a line and column an editor can jump to.
    std::size_t offset = std::min<std::size_t>(e.byte == 0 ? 0 : e.byte - 1, text.size());
    std::size_t line = 1, col = 1;
    for (std::size_t i = 0; i < offset; ++i) {
      if (text[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    std::string what = e.what();
    if (auto pos = what.find("parse error"); pos != std::string::npos) what = what.substr(pos);
    throw ConfigError(ErrorCode::config,
                      fmt::format("{}:{}:{}: not valid JSON ({})", where, line, col, what));
  }
}

nlohmann::json load_json_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
      throw NotFoundError(ErrorCode::not_found, fmt::format("{}: no such file", path.string()));
    throw IoError(ErrorCode::io, fmt::format("{}: cannot be read", path.string()));
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return parse_json(buffer.str(), path.string());
}

std::string json_type_name(const nlohmann::json& v) {
  switch (v.type()) {
    case nlohmann::json::value_t::null:
      return "null";
    case nlohmann::json::value_t::object:
      return "an object";
    case nlohmann::json::value_t::array:
      return "an array";
    case nlohmann::json::value_t::string:
      return "a string";
    case nlohmann::json::value_t::boolean:
      return "a boolean";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
      return "an integer";
    case nlohmann::json::value_t::number_float:
      return "a number";
    default:
      return "a binary value";
  }
}

JsonObject::JsonObject(const nlohmann::json& value, std::string where, std::string path)
    : value_(&value), where_(std::move(where)), path_(std::move(path)) {
  if (!value.is_object())
    throw ConfigError(ErrorCode::config,
                      fmt::format("{}: {}: expected an object, got {}", where_,
                                  path_.empty() ? "top level" : path_, json_type_name(value)));
}

bool JsonObject::has(std::string_view key) const {
  asked_.emplace(key);
  return value_->contains(key);
}

std::string JsonObject::child_path(std::string_view key) const {
  return path_.empty() ? std::string(key) : fmt::format("{}.{}", path_, key);
}

std::string JsonObject::element_path(std::string_view key, std::size_t index) const {
  return fmt::format("{}[{}]", child_path(key), index);
}

const std::string& JsonObject::origin(std::string_view key) const {
  auto it = origins_.find(key);
  return it == origins_.end() ? where_ : it->second;
}

std::string JsonObject::locate(std::string_view key) const {
  return fmt::format("{}: {}", origin(key), child_path(key));
}

void JsonObject::fail(std::string_view key, std::string_view message) const {
  throw ConfigError(ErrorCode::config, fmt::format("{}: {}", locate(key), message));
}

const nlohmann::json& JsonObject::get(std::string_view key, bool required) {
  asked_.emplace(key);
  auto it = value_->find(key);
  if (it == value_->end()) {
    if (required) fail(key, "required key is missing");
    static const nlohmann::json kNull;
    return kNull;
  }
  read_.emplace(key);
  return *it;
}

std::string JsonObject::string(std::string_view key) {
  const auto& v = get(key, true);
  if (!v.is_string())
    fail(key, fmt::format("expected a string, got {} {}", json_type_name(v), quote_value(v)));
  return v.get<std::string>();
}

std::string JsonObject::string_or(std::string_view key, std::string fallback) {
  return has(key) ? string(key) : std::move(fallback);
}

std::string JsonObject::choice(std::string_view key, const std::vector<std::string>& choices) {
  std::string s = string(key);
  for (const auto& c : choices)
    if (c == s) return s;
  fail(key, fmt::format("expected one of {}, got \"{}\"", join(choices), s));
}

std::int64_t JsonObject::integer(std::string_view key, std::int64_t min, std::int64_t max) {
  const auto& v = get(key, true);
  if (!v.is_number_integer())
    fail(key, fmt::format("expected an integer from {} to {}, got {} {}", min, max, json_type_name(v),
                          quote_value(v)));
  if (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(max))
    fail(key, fmt::format("expected an integer from {} to {}, got {}", min, max, quote_value(v)));
  auto i = v.get<std::int64_t>();
  if (i < min || i > max) fail(key, fmt::format("expected an integer from {} to {}, got {}", min, max, i));
  return i;
}

std::int64_t JsonObject::integer_or(std::string_view key, std::int64_t fallback, std::int64_t min,
                                    std::int64_t max) {
  return has(key) ? integer(key, min, max) : fallback;
}

std::uint64_t JsonObject::unsigned_value(std::string_view key, std::uint64_t max) {
  const auto& v = get(key, true);
  std::uint64_t out = 0;
  if (v.is_number_unsigned() || (v.is_number_integer() && v.get<std::int64_t>() >= 0)) {
    out = v.get<std::uint64_t>();
  } else if (v.is_string()) {
    const std::string s = v.get<std::string>();
    std::size_t used = 0;
    try {
      out = std::stoull(s, &used, 0);
    } catch (const std::exception&) {
      used = 0;
    }
    // stoull skips blanks and accepts a sign (" -1" wraps to 2^64-1): the text must start with a digit.
    if (used == 0 || used != s.size() || !std::isdigit(static_cast<unsigned char>(s.front())))
      fail(key, fmt::format("expected an unsigned integer (decimal or 0x hex), got \"{}\"", s));
  } else {
    fail(key, fmt::format("expected an unsigned integer, got {} {}", json_type_name(v), quote_value(v)));
  }
  if (out > max) fail(key, fmt::format("value {} is above the maximum {}", out, max));
  return out;
}

double JsonObject::number(std::string_view key) {
  const auto& v = get(key, true);
  if (!v.is_number())
    fail(key, fmt::format("expected a number, got {} {}", json_type_name(v), quote_value(v)));
  return v.get<double>();
}

double JsonObject::number_or(std::string_view key, double fallback) {
  return has(key) ? number(key) : fallback;
}

std::optional<double> JsonObject::optional_number(std::string_view key) {
  if (!has(key)) return std::nullopt;
  return number(key);
}

bool JsonObject::boolean_or(std::string_view key, bool fallback) {
  if (!has(key)) return fallback;
  const auto& v = get(key, true);
  if (!v.is_boolean())
    fail(key, fmt::format("expected true or false, got {} {}", json_type_name(v), quote_value(v)));
  return v.get<bool>();
}

JsonObject JsonObject::object(std::string_view key) {
  const auto& v = get(key, true);
  if (!v.is_object()) fail(key, fmt::format("expected an object, got {}", json_type_name(v)));
  return JsonObject(v, origin(key), child_path(key));
}

std::optional<JsonObject> JsonObject::optional_object(std::string_view key) {
  if (!has(key)) return std::nullopt;
  return object(key);
}

const nlohmann::json& JsonObject::array(std::string_view key) {
  const auto& v = get(key, true);
  if (!v.is_array()) fail(key, fmt::format("expected an array, got {}", json_type_name(v)));
  return v;
}

const nlohmann::json& JsonObject::array_or_empty(std::string_view key) {
  static const nlohmann::json kEmpty = nlohmann::json::array();
  return has(key) ? array(key) : kEmpty;
}

const nlohmann::json* JsonObject::raw(std::string_view key) {
  if (!has(key)) return nullptr;
  return &get(key, true);
}

void JsonObject::accept_all_keys() {
  accept_all_ = true;
}

void JsonObject::finish() const {
  if (accept_all_) return;
  for (const auto& [key, unused] : value_->items()) {
    if (read_.count(key) != 0) continue;
    const std::string allowed = join(asked_);
    fail(key, fmt::format("unknown key{}",
                          allowed.empty() ? std::string() : " (expected one of: " + allowed + ")"));
  }
}

}  // namespace seedval

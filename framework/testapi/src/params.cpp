#include <algorithm>
#include <cmath>
#include <cstdlib>

#include <fmt/core.h>

#include <seedval/core/error.h>
#include <seedval/core/strings.h>
#include <seedval/testapi/params.h>

namespace seedval {

std::string_view to_string(ParamType t) noexcept {
  switch (t) {
    case ParamType::integer:
      return "integer";
    case ParamType::number:
      return "number";
    case ParamType::boolean:
      return "boolean";
    case ParamType::string:
      return "string";
  }
  return "?";
}

ParamType type_of(const ParamValue& v) noexcept {
  return static_cast<ParamType>(v.index());
}

std::string to_string(const ParamValue& v) {
  switch (type_of(v)) {
    case ParamType::integer:
      return std::to_string(std::get<std::int64_t>(v));
    case ParamType::number:
      return fmt::format("{}", std::get<double>(v));
    case ParamType::boolean:
      return std::get<bool>(v) ? "true" : "false";
    case ParamType::string:
      return fmt::format("\"{}\"", std::get<std::string>(v));
  }
  return "?";
}

const ParamValue& Params::get(std::string_view name, ParamType type) const {
  auto it = values_.find(name);
  if (it == values_.end())
    throw InternalError(ErrorCode::internal, fmt::format("test reads undeclared parameter \"{}\"", name));
  if (type_of(it->second) != type)
    throw InternalError(ErrorCode::internal,
                        fmt::format("test reads {} parameter \"{}\" as {}", to_string(type_of(it->second)),
                                    name, to_string(type)));
  return it->second;
}

std::int64_t Params::integer(std::string_view name) const {
  return std::get<std::int64_t>(get(name, ParamType::integer));
}
double Params::number(std::string_view name) const {
  return std::get<double>(get(name, ParamType::number));
}
bool Params::boolean(std::string_view name) const {
  return std::get<bool>(get(name, ParamType::boolean));
}
const std::string& Params::string(std::string_view name) const {
  return std::get<std::string>(get(name, ParamType::string));
}

std::vector<std::string> Params::list(std::string_view name) const {
  std::vector<std::string> out;
  const std::string& s = string(name);
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    std::string item = s.substr(start, end - start);
    while (!item.empty() && item.front() == ' ') item.erase(item.begin());
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (!item.empty()) out.push_back(item);
    start = end + 1;
  }
  return out;
}

std::string check_param(const ParamSpec& spec, ParamValue& value) {
  if (spec.type == ParamType::number && type_of(value) == ParamType::integer)
    value = static_cast<double>(std::get<std::int64_t>(value));
  auto range = [&]() -> std::string {
    if (spec.min && spec.max) return fmt::format(" from {} to {}", *spec.min, *spec.max);
    if (spec.min) return fmt::format(" of at least {}", *spec.min);
    if (spec.max) return fmt::format(" of at most {}", *spec.max);
    return "";
  };
  const std::string article = spec.type == ParamType::integer ? "an" : "a";
  if (type_of(value) != spec.type) return fmt::format("{} {}{}", article, to_string(spec.type), range());
  if (spec.type == ParamType::integer || spec.type == ParamType::number) {
    const double v = spec.type == ParamType::integer ? static_cast<double>(std::get<std::int64_t>(value))
                                                     : std::get<double>(value);
    if (!std::isfinite(v) || (spec.min && v < *spec.min) || (spec.max && v > *spec.max))
      return fmt::format("{} {}{}", article, to_string(spec.type), range());
  }
  if (spec.type == ParamType::string && !spec.choices.empty()) {
    // A string parameter with choices may hold a comma-separated list of them.
    const std::string list = join(spec.choices);
    Params p;
    p.set(spec.name, value);
    auto items = p.list(spec.name);
    if (items.empty()) return fmt::format("one or more of {}", list);
    for (const auto& item : items)
      if (std::find(spec.choices.begin(), spec.choices.end(), item) == spec.choices.end())
        return fmt::format("one or more of {} (\"{}\" is not one)", list, item);
  }
  return {};
}

ParamValue parse_param(const ParamSpec& spec, std::string_view text) {
  const std::string s(text);
  ParamValue v;
  bool ok = true;
  switch (spec.type) {
    case ParamType::integer: {
      char* end = nullptr;
      errno = 0;
      long long i = std::strtoll(s.c_str(), &end, 0);
      ok = !s.empty() && end != nullptr && *end == '\0' && errno == 0;
      v = static_cast<std::int64_t>(i);
      break;
    }
    case ParamType::number: {
      char* end = nullptr;
      double d = std::strtod(s.c_str(), &end);
      ok = !s.empty() && end != nullptr && *end == '\0';
      v = d;
      break;
    }
    case ParamType::boolean:
      ok = s == "true" || s == "false" || s == "1" || s == "0";
      v = s == "true" || s == "1";
      break;
    case ParamType::string:
      v = s;
      break;
  }
  std::string problem = ok ? check_param(spec, v) : "";
  if (!ok) {
    ParamValue wrong = s;
    problem = check_param(spec, wrong);
  }
  if (!problem.empty())
    throw InvalidArgumentError(ErrorCode::invalid_argument,
                               fmt::format("parameter {}: expected {}, got \"{}\"", spec.name, problem, s));
  return v;
}

}  // namespace seedval

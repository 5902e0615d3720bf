// Typed test parameters: declared by a test, set by a program (or the command line), checked before
// anything runs.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace seedval {

enum class ParamType { integer, number, boolean, string };
std::string_view to_string(ParamType t) noexcept;

using ParamValue = std::variant<std::int64_t, double, bool, std::string>;
/// The value as a program file would write it: 42, 1.5, true, "text".
std::string to_string(const ParamValue& v);
ParamType type_of(const ParamValue& v) noexcept;

/// What a test declares about one parameter.
struct ParamSpec {
  std::string name;
  ParamType type = ParamType::integer;
  ParamValue default_value;
  std::string description;
  std::optional<double> min;         ///< for integer and number
  std::optional<double> max;         ///< for integer and number
  std::vector<std::string> choices;  ///< for string: the allowed values (empty = any)
};

/// A parameter set, complete and checked against its specs (see TestDefinition::make_params).
class Params {
 public:
  std::int64_t integer(std::string_view name) const;
  double number(std::string_view name) const;
  bool boolean(std::string_view name) const;
  const std::string& string(std::string_view name) const;
  /// Comma-separated string parameter split into its items (empty items dropped).
  std::vector<std::string> list(std::string_view name) const;

  void set(std::string name, ParamValue value) { values_[std::move(name)] = std::move(value); }
  const std::map<std::string, ParamValue, std::less<>>& values() const { return values_; }

 private:
  const ParamValue& get(std::string_view name, ParamType type) const;
  std::map<std::string, ParamValue, std::less<>> values_;
};

/// Checks `value` against `spec` and converts an integer given for a number parameter. Returns an
/// empty string when it fits, else what was expected ("an integer from 1 to 64").
std::string check_param(const ParamSpec& spec, ParamValue& value);

/// Parses command-line text ("42", "0x10", "1.5", "true", "solid,checker") as the spec's type.
/// Throws InvalidArgumentError naming the parameter and what was expected.
ParamValue parse_param(const ParamSpec& spec, std::string_view text);

}  // namespace seedval

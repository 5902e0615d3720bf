#include "common.h"

#include <charconv>
#include <cstdio>
#include <utility>

#include <fmt/core.h>

#include <seedval/core/error.h>

namespace seedval::cli {

int guarded(const std::string& command, const std::function<int()>& body) {
  try {
    return body();
  } catch (const Error& e) {
    std::fprintf(stderr, "seedval %s: %s\n", command.c_str(), e.what());
    switch (e.code()) {
      case ErrorCode::config:
      case ErrorCode::invalid_argument:
      case ErrorCode::not_found:
      case ErrorCode::unsupported:
        return kBadInput;
      default:
        return kTesterError;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "seedval %s: internal error: %s\n", command.c_str(), e.what());
    return kTesterError;
  }
}

}  // namespace seedval::cli

namespace seedval::cli {

std::uint64_t parse_number(std::string_view text, std::string_view what, bool allow_suffix) {
  auto bad = [&](std::string_view why) {
    return InvalidArgumentError(ErrorCode::invalid_argument,
                                fmt::format("{} \"{}\" is not {}", what, text, why));
  };
  std::string_view digits = text;
  std::uint64_t scale = 1;
  if (allow_suffix) {
    for (const auto& [suffix, factor] :
         {std::pair{"KiB", 10}, {"MiB", 20}, {"GiB", 30}, {"K", 10}, {"M", 20}, {"G", 30}, {"k", 10}}) {
      const std::string_view s(suffix);
      if (digits.size() > s.size() && digits.substr(digits.size() - s.size()) == s) {
        digits.remove_suffix(s.size());
        scale = std::uint64_t{1} << factor;
        break;
      }
    }
  }
  int base = 10;
  if (digits.starts_with("0x") || digits.starts_with("0X")) {
    base = 16;
    digits.remove_prefix(2);
  } else if (digits.starts_with("0b") || digits.starts_with("0B")) {
    base = 2;
    digits.remove_prefix(2);
  }
  std::string clean;
  for (char c : digits)
    if (c != '_' && c != '\'') clean.push_back(c);  // 0xFFFF_0000 and 1'000 read better on the bench
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(clean.data(), clean.data() + clean.size(), value, base);
  if (clean.empty() || ec != std::errc() || end != clean.data() + clean.size())
    throw bad(allow_suffix ? "a number (decimal, 0x hex or 0b binary, optionally with K, M or G)"
                           : "a number (decimal, 0x hex or 0b binary)");
  if (value > UINT64_MAX / scale) throw bad("a number below 2^64");
  return value * scale;
}

std::string board_option_help() {
  return "board: a descriptor name in boards/ (e.g. seedchip-sim), a path to a .json file, or a remote board "
         "served by `seedval agent`: zmq+tcp://HOST:PORT or zmq+ipc://PATH (?board=NAME&server_key=KEY)";
}
}  // namespace seedval::cli

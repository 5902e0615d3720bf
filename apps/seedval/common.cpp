#include "common.h"

#include <cstdio>

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
std::string board_option_help() {
  return "board descriptor: a name in boards/ (e.g. seedchip-sim) or a path to a .json file";
}
}  // namespace seedval::cli

// Checks shared by the unit tests: that a call throws exactly the seedval error it should, predicates on
// an error's code and message for BOOST_CHECK_EXCEPTION, and checks on message text that print both sides
// when they fail.
//
//   const auto msg = testing::expect_error<AddressError>([&] { dev.read_register(0x999); },
//                                                        ErrorCode::address);
//   CHECK_STARTS_WITH(msg, "seedchip-sim: reg_read");
//   BOOST_CHECK_EXCEPTION(parse_die_id("L1:26:0:0"), InvalidArgumentError,
//                         testing::error_with(ErrorCode::invalid_argument, "wafer 26"));
//
// Header-only: it needs seedval::core (which every test executable links) but nothing compiled into
// seedval_test_main.
#pragma once

#include <exception>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <typeinfo>
#include <utility>

#include <boost/test/unit_test.hpp>

#include <seedval/core/error.h>

// `text` is evaluated once: it is often a call (expect_error) that must not run again to print a failure.
/// Checks that `text` (a std::string) contains `needle`.
#define CHECK_CONTAINS(text, needle)                                                 \
  do {                                                                               \
    const auto& check_text_ = (text);                                                \
    BOOST_TEST(check_text_.find(needle) != std::string::npos,                        \
               "\"" << check_text_ << "\" does not contain \"" << (needle) << "\""); \
  } while (false)
/// Checks that `text` (a std::string) does not contain `needle`.
#define CHECK_LACKS(text, needle)                                                      \
  do {                                                                                 \
    const auto& check_text_ = (text);                                                  \
    BOOST_TEST(check_text_.find(needle) == std::string::npos,                          \
               "\"" << check_text_ << "\" should not contain \"" << (needle) << "\""); \
  } while (false)
/// Checks that `text` (a std::string) starts with `prefix`.
#define CHECK_STARTS_WITH(text, prefix)                                                 \
  do {                                                                                  \
    const auto& check_text_ = (text);                                                   \
    BOOST_TEST(check_text_.rfind(prefix, 0) == 0u,                                      \
               "\"" << check_text_ << "\" does not start with \"" << (prefix) << "\""); \
  } while (false)

namespace seedval {

/// How Boost.Test prints the error codes it compares (found by argument-dependent lookup).
inline std::ostream& boost_test_print_type(std::ostream& os, ErrorCode code) {
  return os << to_string(code) << " (" << static_cast<int>(code) << ")";
}

}  // namespace seedval

namespace seedval::testing {

/// Runs `f`, which must throw exactly E (not a subclass) with `code`; returns the error's message, or an
/// empty string after reporting a failure if `f` threw something else or returned normally.
template <typename E, typename F>
std::string expect_error(F&& f, ErrorCode code) {
  try {
    std::forward<F>(f)();
  } catch (const E& e) {
    BOOST_TEST((typeid(e) == typeid(E)), "thrown as " << typeid(e).name() << ": " << e.what());
    BOOST_TEST(e.code() == code, e.what());
    return e.message();
  } catch (const std::exception& e) {
    BOOST_ERROR("expected " << typeid(E).name() << ", got " << typeid(e).name() << ": " << e.what());
    return {};
  }
  BOOST_ERROR("expected " << typeid(E).name() << ", but the call returned normally");
  return {};
}

/// Predicate for BOOST_CHECK_EXCEPTION: the error has `code` and its message contains `needle`. Logs what
/// it got when it does not match.
inline std::function<bool(const Error&)> error_with(ErrorCode code, std::string needle) {
  return [code, needle = std::move(needle)](const Error& e) {
    const bool ok = e.code() == code && e.message().find(needle) != std::string::npos;
    if (!ok)
      BOOST_TEST_MESSAGE("expected a " << to_string(code) << " error containing \"" << needle << "\", got "
                                       << to_string(e.code()) << ": " << e.what());
    return ok;
  };
}

/// True if `text` contains `needle`; logs both otherwise. For use inside predicates and BOOST_TEST.
inline bool contains(const std::string& text, std::string_view needle) {
  if (text.find(needle) != std::string::npos) return true;
  BOOST_TEST_MESSAGE("expected \"" << needle << "\" in: " << text);
  return false;
}

}  // namespace seedval::testing

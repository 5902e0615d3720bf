// Tests for seedval/core/error.h: the code -> subclass mapping that lets the host rebuild the typed
// error a device raised, code names, and context prefixing.
#include <cctype>
#include <cstdint>
#include <ostream>
#include <set>
#include <string>
#include <typeinfo>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <seedval/core/error.h>

#include "support/errors.h"  // prints ErrorCode in BOOST_TEST

namespace seedval {
namespace {

constexpr std::uint16_t kLastCode = static_cast<std::uint16_t>(ErrorCode::busy);

struct Mapping {
  ErrorCode code;
  const std::type_info& type;
  const char* type_name;
};

// Every code but ok, with the subclass throw_error must raise for it.
const std::vector<Mapping>& mappings() {
  static const std::vector<Mapping> kMappings{
      {ErrorCode::internal, typeid(InternalError), "InternalError"},
      {ErrorCode::invalid_argument, typeid(InvalidArgumentError), "InvalidArgumentError"},
      {ErrorCode::config, typeid(ConfigError), "ConfigError"},
      {ErrorCode::protocol, typeid(ProtocolError), "ProtocolError"},
      {ErrorCode::checksum, typeid(ProtocolError), "ProtocolError"},
      {ErrorCode::unsupported, typeid(UnsupportedError), "UnsupportedError"},
      {ErrorCode::address, typeid(AddressError), "AddressError"},
      {ErrorCode::read_only, typeid(AddressError), "AddressError"},
      {ErrorCode::timeout, typeid(TimeoutError), "TimeoutError"},
      {ErrorCode::transport, typeid(TransportError), "TransportError"},
      {ErrorCode::device, typeid(DeviceError), "DeviceError"},
      {ErrorCode::cancelled, typeid(CancelledError), "CancelledError"},
      {ErrorCode::not_found, typeid(NotFoundError), "NotFoundError"},
      {ErrorCode::io, typeid(IoError), "IoError"},
      {ErrorCode::busy, typeid(TransportError), "TransportError"},
  };
  return kMappings;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(core_error)

BOOST_AUTO_TEST_CASE(mapping_table_covers_every_known_code) {
  std::set<ErrorCode> covered;
  for (const auto& m : mappings()) covered.insert(m.code);
  BOOST_TEST(covered.size() == mappings().size(), "a code is listed twice");
  for (std::uint16_t v = 1; v <= kLastCode; ++v)
    BOOST_TEST(covered.count(static_cast<ErrorCode>(v)) == 1u, "code " << v << " has no expected subclass");
}

BOOST_AUTO_TEST_CASE(throw_error_raises_the_subclass_of_each_code) {
  const std::string message = "board sim0: register 0x0020: something failed";
  for (const auto& m : mappings()) {
    BOOST_TEST_CONTEXT("code " << to_string(m.code) << ", expecting " << m.type_name) {
      bool thrown = false;
      try {
        throw_error(m.code, message);
      } catch (const Error& e) {
        thrown = true;
        BOOST_TEST((typeid(e) == m.type), "got " << typeid(e).name());
        BOOST_TEST(e.code() == m.code);
        BOOST_TEST(e.message() == message);
        BOOST_TEST(std::string(e.what()) == message);
      }
      BOOST_TEST(thrown);
    }
  }
}

BOOST_AUTO_TEST_CASE(timeout_is_also_a_transport_error) {
  BOOST_CHECK_THROW(throw_error(ErrorCode::timeout, "no answer"), TransportError);
  BOOST_CHECK_THROW(throw_error(ErrorCode::timeout, "no answer"), TimeoutError);
  // The converse does not hold: a plain transport failure is not a timeout.
  try {
    throw_error(ErrorCode::transport, "link down");
  } catch (const TimeoutError&) {
    BOOST_ERROR("a transport error was caught as a TimeoutError");
  } catch (const TransportError& e) {
    BOOST_TEST(e.code() == ErrorCode::transport);
  }
}

BOOST_AUTO_TEST_CASE(families_share_a_subclass) {
  BOOST_CHECK_THROW(throw_error(ErrorCode::checksum, "crc"), ProtocolError);
  BOOST_CHECK_THROW(throw_error(ErrorCode::read_only, "ro"), AddressError);
  BOOST_CHECK_THROW(throw_error(ErrorCode::busy, "busy"), TransportError);
  // Every subclass is a seedval::Error and a std::runtime_error.
  BOOST_CHECK_THROW(throw_error(ErrorCode::io, "io"), Error);
  BOOST_CHECK_THROW(throw_error(ErrorCode::io, "io"), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(throw_error_with_ok_is_an_internal_error) {
  try {
    throw_error(ErrorCode::ok, "nothing happened");
    BOOST_ERROR("throw_error returned");
  } catch (const Error& e) {
    BOOST_TEST((typeid(e) == typeid(InternalError)), "got " << typeid(e).name());
    BOOST_TEST(e.code() == ErrorCode::internal);
    BOOST_TEST(e.message().find("code ok") != std::string::npos, e.message());
    BOOST_TEST(e.message().find("nothing happened") != std::string::npos, e.message());
  }
}

BOOST_AUTO_TEST_CASE(throw_error_with_an_unknown_code_is_an_internal_error) {
  try {
    throw_error(static_cast<ErrorCode>(999), "from the future");
    BOOST_ERROR("throw_error returned");
  } catch (const Error& e) {
    BOOST_TEST((typeid(e) == typeid(InternalError)), "got " << typeid(e).name());
    BOOST_TEST(e.code() == ErrorCode::internal);
    BOOST_TEST(e.message() == "from the future");
  }
}

BOOST_AUTO_TEST_CASE(error_keeps_code_and_message) {
  const Error e(ErrorCode::device, "board sim0: fault");
  BOOST_TEST(e.code() == ErrorCode::device);
  BOOST_TEST(e.message() == "board sim0: fault");
  BOOST_TEST(std::string(e.what()) == "board sim0: fault");
}

BOOST_AUTO_TEST_CASE(rethrow_with_context_keeps_type_and_code_and_prefixes) {
  for (const auto& m : mappings()) {
    BOOST_TEST_CONTEXT("code " << to_string(m.code)) {
      bool thrown = false;
      try {
        try {
          throw_error(m.code, "register 0x0034 is read-only");
        } catch (const Error& e) {
          rethrow_with_context(e, "board sim0");
        }
      } catch (const Error& e) {
        thrown = true;
        BOOST_TEST((typeid(e) == m.type), "got " << typeid(e).name() << ", expected " << m.type_name);
        BOOST_TEST(e.code() == m.code);
        BOOST_TEST(e.message() == "board sim0: register 0x0034 is read-only");
      }
      BOOST_TEST(thrown);
    }
  }
}

BOOST_AUTO_TEST_CASE(rethrow_with_context_can_be_caught_as_the_original_type) {
  try {
    try {
      throw TimeoutError(ErrorCode::timeout, "no answer within 2 s");
    } catch (const Error& e) {
      rethrow_with_context(e, "read_register(SCRATCH0)");
    }
  } catch (const TimeoutError& e) {
    BOOST_TEST(e.message() == "read_register(SCRATCH0): no answer within 2 s");
    return;
  } catch (...) {
  }
  BOOST_ERROR("a TimeoutError with context was not caught as TimeoutError");
}

BOOST_AUTO_TEST_CASE(code_names_round_trip) {
  std::set<std::string> names;
  for (std::uint16_t v = 0; v <= kLastCode; ++v) {
    const auto code = static_cast<ErrorCode>(v);
    const std::string name(to_string(code));
    BOOST_TEST_CONTEXT("code " << v << " \"" << name << "\"") {
      BOOST_TEST(!name.empty());
      BOOST_TEST(name != "unknown");
      for (char c : name) BOOST_TEST(!std::isupper(static_cast<unsigned char>(c)), "upper-case in " << name);
      BOOST_TEST(error_code_from_string(name) == code);
      names.insert(name);
    }
  }
  BOOST_TEST(names.size() == std::size_t{kLastCode} + 1, "two codes share a name");
}

BOOST_AUTO_TEST_CASE(specific_code_names) {
  BOOST_TEST(to_string(ErrorCode::ok) == "ok");
  BOOST_TEST(to_string(ErrorCode::timeout) == "timeout");
  BOOST_TEST(to_string(ErrorCode::read_only) == "read only");
  BOOST_TEST(to_string(ErrorCode::not_found) == "not found");
  BOOST_TEST(to_string(static_cast<ErrorCode>(200)) == "unknown");
}

BOOST_AUTO_TEST_CASE(unknown_name_decodes_as_internal) {
  BOOST_TEST(error_code_from_string("no such code") == ErrorCode::internal);
  BOOST_TEST(error_code_from_string("") == ErrorCode::internal);
  BOOST_TEST(error_code_from_string("unknown") == ErrorCode::internal);
}

BOOST_AUTO_TEST_CASE(known_codes_are_exactly_the_enumerators) {
  for (std::uint32_t v = 0; v <= 0xFFFF; ++v) {
    const bool expected = v <= kLastCode;
    if (is_known_error_code(static_cast<std::uint16_t>(v)) != expected)
      BOOST_ERROR("is_known_error_code(" << v << ") should be " << expected);
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval

#include <array>
#include <utility>

#include <seedval/core/error.h>

namespace seedval {
namespace {

constexpr std::array<std::pair<ErrorCode, std::string_view>, 16> kNames{{
    {ErrorCode::ok, "ok"},
    {ErrorCode::internal, "internal"},
    {ErrorCode::invalid_argument, "invalid argument"},
    {ErrorCode::config, "config"},
    {ErrorCode::protocol, "protocol"},
    {ErrorCode::checksum, "checksum"},
    {ErrorCode::unsupported, "unsupported"},
    {ErrorCode::address, "address"},
    {ErrorCode::read_only, "read only"},
    {ErrorCode::timeout, "timeout"},
    {ErrorCode::transport, "transport"},
    {ErrorCode::device, "device"},
    {ErrorCode::cancelled, "cancelled"},
    {ErrorCode::not_found, "not found"},
    {ErrorCode::io, "io"},
    {ErrorCode::busy, "busy"},
}};

}  // namespace

std::string_view to_string(ErrorCode code) noexcept {
  for (const auto& [c, name] : kNames)
    if (c == code) return name;
  return "unknown";
}

ErrorCode error_code_from_string(std::string_view name) noexcept {
  for (const auto& [c, n] : kNames)
    if (n == name) return c;
  return ErrorCode::internal;
}

bool is_known_error_code(std::uint16_t value) noexcept {
  return value < kNames.size();
}

Error::Error(ErrorCode code, const std::string& message)
    : std::runtime_error(message), code_(code), message_(message) {}

void throw_error(ErrorCode code, const std::string& message) {
  switch (code) {
    case ErrorCode::invalid_argument:
      throw InvalidArgumentError(code, message);
    case ErrorCode::config:
      throw ConfigError(code, message);
    case ErrorCode::protocol:
    case ErrorCode::checksum:
      throw ProtocolError(code, message);
    case ErrorCode::unsupported:
      throw UnsupportedError(code, message);
    case ErrorCode::address:
    case ErrorCode::read_only:
      throw AddressError(code, message);
    case ErrorCode::timeout:
      throw TimeoutError(code, message);
    case ErrorCode::transport:
    case ErrorCode::busy:
      throw TransportError(code, message);
    case ErrorCode::device:
      throw DeviceError(code, message);
    case ErrorCode::cancelled:
      throw CancelledError(code, message);
    case ErrorCode::not_found:
      throw NotFoundError(code, message);
    case ErrorCode::io:
      throw IoError(code, message);
    case ErrorCode::ok:
      throw InternalError(ErrorCode::internal, "error raised with code ok: " + message);
    case ErrorCode::internal:
      break;
  }
  throw InternalError(ErrorCode::internal, message);
}

void rethrow_with_context(const Error& e, std::string_view context) {
  throw_error(e.code(), std::string(context) + ": " + e.message());
}

}  // namespace seedval

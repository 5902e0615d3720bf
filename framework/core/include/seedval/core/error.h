// seedval's one error model.
//
// Every public API reports failure by throwing a subclass of seedval::Error. An error carries a code
// (which crosses the wire protocol intact) and a lower-case message with its context: the board, the
// address, the file and key. Because the code fixes the subclass, `throw_error(code, message)` rebuilds
// on the host exactly the typed error the device raised, whichever transport carried it.
//
//   try {
//     device.read_register("SCRATCH");
//   } catch (const seedval::TimeoutError& e) {   // also a seedval::TransportError
//     log::warn("{}", e.what());
//   }
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace seedval {

/// Error codes. The numeric values are part of the wire protocol: never renumber, only append.
enum class ErrorCode : std::uint16_t {
  ok = 0,
  internal = 1,          ///< a bug in seedval itself
  invalid_argument = 2,  ///< a caller passed a value outside the contract
  config = 3,            ///< a malformed board descriptor, program, population or limits file
  protocol = 4,          ///< a malformed frame or payload
  checksum = 5,          ///< a frame whose CRC-32C does not match
  unsupported = 6,       ///< an opcode, operation or capability the device does not have
  address = 7,           ///< a register or memory address that does not exist or is out of range
  read_only = 8,         ///< a write to a read-only register
  timeout = 9,           ///< a deadline passed
  transport = 10,        ///< the link to the board failed or the board vanished
  device = 11,           ///< the device reported a fault while executing a request
  cancelled = 12,        ///< a stop was requested
  not_found = 13,        ///< a named thing (board, test, file, register) does not exist
  io = 14,               ///< a file could not be read or written
  busy = 15,             ///< the device cannot take the request now
};

/// Lower-case name of a code, e.g. "timeout".
std::string_view to_string(ErrorCode code) noexcept;
/// Inverse of to_string; an unknown name gives ErrorCode::internal.
ErrorCode error_code_from_string(std::string_view name) noexcept;
/// True for codes that a known wire peer may send; anything else decodes as ErrorCode::internal.
bool is_known_error_code(std::uint16_t value) noexcept;

/// Base of every seedval exception.
class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message);
  ErrorCode code() const noexcept { return code_; }
  /// Same text as what(): lower-case, with the context that locates the failure.
  const std::string& message() const noexcept { return message_; }

 private:
  ErrorCode code_;
  std::string message_;
};

// One subclass per family of codes, so callers catch what they can handle.
class InternalError : public Error {
 public:
  using Error::Error;
};
class InvalidArgumentError : public Error {
 public:
  using Error::Error;
};
class ConfigError : public Error {
 public:
  using Error::Error;
};
class ProtocolError : public Error {
 public:
  using Error::Error;
};  ///< protocol and checksum
class UnsupportedError : public Error {
 public:
  using Error::Error;
};
class AddressError : public Error {
 public:
  using Error::Error;
};  ///< address and read_only
class TransportError : public Error {
 public:
  using Error::Error;
};  ///< transport and busy
class TimeoutError : public TransportError {
 public:
  using TransportError::TransportError;
};
class DeviceError : public Error {
 public:
  using Error::Error;
};
class CancelledError : public Error {
 public:
  using Error::Error;
};
class NotFoundError : public Error {
 public:
  using Error::Error;
};
class IoError : public Error {
 public:
  using Error::Error;
};

/// Throws the subclass of Error that `code` belongs to. `code` must not be ErrorCode::ok.
[[noreturn]] void throw_error(ErrorCode code, const std::string& message);

/// Rethrows `e` as the same typed error with "<context>: " put before its message.
[[noreturn]] void rethrow_with_context(const Error& e, std::string_view context);

}  // namespace seedval

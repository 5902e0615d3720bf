// The USB transport: the SeedChip evaluation board on a USB bulk pipe, through libusb.
//
//   auto session = seedval::UsbSession::open({.address = seedval::parse_usb_uri("usb:1209:5eed:EVB-0042")});
//   seedval::Device dev(session->connect(), "evb");
//
// The board is found by vendor id, product id and, when given, serial number (its iSerialNumber string).
// When it is not there, the error lists the USB devices that are, so a wrong serial or a board on
// another host is seen at once. Frames travel as a byte stream over the bulk OUT and bulk IN endpoints
// of interface 0 (read from its descriptor: the device controller numbers them, e.g. 0x01 or 0x02 and
// 0x81): each end finds frames by the length in their header, never by transfer
// boundaries, and a frame that fills its last packet is ended with a zero-length packet. Several IN
// transfers stay queued so that bulk data streams; requests may be pipelined.
//
// Timeouts (one table; UsbTimeouts holds the defaults, a board descriptor may override them):
//   | step                                        | limit                       | on expiry              |
//   |---------------------------------------------|-----------------------------|------------------------|
//   | board arrival (open with wait)              | arrival, 0 ms (no wait)     | NotFoundError + list   |
//   | control requests: strings, reset-stream     | control, 1000 ms            | TransportError         |
//   | a request sent and its response received    | the Device's deadline       | TimeoutError           |
//   | cancelled transfers returned by libusb      | cancel, 1000 ms             | link closed            |
// A request abandoned half sent (deadline or stop) is followed by the reset-stream request, so the next
// request starts on a frame boundary at both ends.
//
// Hot-plug: libusb's hot-plug events tell the session when its board leaves; every waiting and later
// call then fails at once with TransportError "... was unplugged", never with a timeout, and
// connect() finds the board again when it is plugged back (waiting up to `arrival`).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <seedval/core/clock.h>
#include <seedval/transport/transport.h>

namespace seedval {

/// Which board: vendor and product id, and the serial number when several are attached.
struct UsbAddress {
  std::uint16_t vendor_id = 0;
  std::uint16_t product_id = 0;
  std::string serial;  ///< empty: the only board with these ids (more than one is an error)

  /// "usb:1209:5eed" or "usb:1209:5eed:EVB-0042"
  std::string to_string() const;
};

/// Parses `usb:VID:PID[:SERIAL]` (ids in hexadecimal, 1 to 4 digits). Throws InvalidArgumentError naming
/// the part that is wrong.
UsbAddress parse_usb_uri(std::string_view uri);
bool is_usb_uri(std::string_view text) noexcept;

/// One device on the host's USB buses, as enumerated.
struct UsbDeviceInfo {
  std::uint16_t vendor_id = 0;
  std::uint16_t product_id = 0;
  int bus = 0;
  int address = 0;
  std::string port;          ///< port path, e.g. "1-1.4"
  std::string speed;         ///< "low", "full", "high", "super", "super+" or "unknown"
  std::string serial;        ///< "" when the device has none or it cannot be read (no permission)
  std::string manufacturer;  ///< likewise
  std::string product;       ///< likewise
  std::string note;          ///< why the strings are missing, e.g. "no permission to open"

  /// "1209:5eed serial EVB-0042 (SeedChip evaluation board) on bus 1 port 1-1, high speed"
  std::string to_string() const;
};

/// Every USB device present now (strings read where the device can be opened).
std::vector<UsbDeviceInfo> list_usb_devices();

struct UsbTimeouts {
  Milliseconds arrival{0};
  Milliseconds control{1000};
  Milliseconds cancel{1000};
};

struct UsbOptions {
  UsbAddress address;
  int interface_number = 0;
  UsbTimeouts timeouts;
  std::size_t pipeline_depth = 8;         ///< requests in flight (1 = one round trip per request)
  std::size_t transfer_size = 256 << 10;  ///< bytes per libusb transfer
  std::size_t in_transfers = 4;           ///< IN transfers kept queued
};

/// Counters of one session, for tests and diagnostics.
struct UsbStats {
  std::uint64_t frames_out = 0;
  std::uint64_t frames_in = 0;
  std::uint64_t zero_length_packets_in = 0;  ///< ZLPs received (they end transfers; carry no data)
  std::uint64_t skipped_bytes = 0;           ///< IN bytes dropped while looking for a frame boundary
  std::uint64_t late_responses = 0;          ///< responses to requests no longer waited for
  std::uint64_t stream_resets = 0;           ///< reset-stream requests sent
  std::uint64_t opens = 0;                   ///< times the board was opened and claimed
};

/// The board on the bus: a libusb context with its event thread and hot-plug watch, and the claimed
/// interface while a link is open. Thread-safe; shared by the transports it hands out.
class UsbSession : public std::enable_shared_from_this<UsbSession> {
 public:
  /// Finds the board (waiting up to timeouts.arrival for it to be plugged in). Throws NotFoundError
  /// listing the devices present when it is not there, TransportError when it cannot be opened or
  /// claimed (naming why: permission, claimed by another program, ...).
  static std::shared_ptr<UsbSession> open(const UsbOptions& options);
  ~UsbSession();
  UsbSession(const UsbSession&) = delete;
  UsbSession& operator=(const UsbSession&) = delete;

  /// A link to the board; opens it again if it was unplugged and is back. A new link ends the previous
  /// one (its calls then fail with TransportError): the board has one pipe.
  std::unique_ptr<Transport> connect();
  /// The board as found when last opened.
  UsbDeviceInfo device() const;
  /// False once the board was unplugged (until a connect() finds it again).
  bool present() const;
  UsbStats stats() const;
  std::string describe() const;

  class Impl;

 private:
  explicit UsbSession(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace seedval

// The SeedChip evaluation board, emulated for the USB tests: a MockUsbDevice (libusb sees it through
// umockdev) whose bulk pipes carry the wire protocol to a device-side request handler through
// usb::UsbFunctionStream, the same device code the FunctionFS gadget runs. The reset-stream vendor request
// is answered as the board answers it. For link tests the IN side can be shaped: responses held back and
// sent together, cut into small transfers, corrupted, or preceded by noise.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <seedval/protocol/server.h>
#include <seedval/transport/usb.h>
#include <seedval/transport/usb_function.h>

#include "mock_usb.h"

namespace seedval::testing {

struct EmulatedBoardOptions {
  std::string serial;       ///< default: "EVB-<devnum>"
  std::uint8_t devnum = 0;  ///< default: the next free address of the process (2, 3, ...)
};

class EmulatedBoard {
 public:
  EmulatedBoard(UsbTestbed& testbed, std::shared_ptr<protocol::RequestHandler> handler,
                EmulatedBoardOptions options = {});
  ~EmulatedBoard();
  EmulatedBoard(const EmulatedBoard&) = delete;
  EmulatedBoard& operator=(const EmulatedBoard&) = delete;

  UsbAddress address() const;
  /// "usb:1209:5eed:EVB-2"
  std::string uri() const { return address().to_string(); }
  MockUsbDevice& usb() { return *usb_; }
  usb::UsbFunctionStream& stream() { return *stream_; }

  /// Responses are held until `coalesce` of them are ready and then sent as one byte stream, cut into
  /// pieces of `chunk` bytes (0: whole), each piece completing one IN transfer: frame boundaries and
  /// transfer boundaries then fall anywhere relative to each other.
  void shape_in(std::size_t chunk, std::size_t coalesce);
  /// Applied to the bytes of each IN burst before it is sent (corruption tests).
  void set_in_filter(std::function<void(std::vector<std::uint8_t>&)> filter);
  /// Sends raw bytes on IN now (noise before the next response).
  void send_raw(std::vector<std::uint8_t> bytes);
  /// Responses sent ending with a zero-length packet.
  std::uint64_t zero_length_packets() const;

 private:
  void send(std::vector<std::uint8_t> frame);
  bool on_control(const usb_ctrlrequest& setup);

  std::unique_ptr<MockUsbDevice> usb_;
  mutable std::mutex mutex_;
  std::size_t chunk_ = 0;
  std::size_t coalesce_ = 1;
  std::vector<std::uint8_t> held_;
  std::size_t held_frames_ = 0;
  std::function<void(std::vector<std::uint8_t>&)> filter_;
  std::uint64_t zlps_ = 0;
  std::unique_ptr<usb::UsbFunctionStream> stream_;  // last: its worker stops before the rest goes
};

}  // namespace seedval::testing

// The device side of the USB link: the SeedChip evaluation board's USB function, as a byte stream.
//
// The host writes request frames to the bulk OUT endpoint and reads response frames from the bulk IN
// endpoint. USB transfer boundaries carry no meaning: a frame may arrive in many transfers and one
// transfer may hold several frames, so both ends find frames by the length in their header
// (protocol::frame_size). UsbFunctionStream is that device end, shared by the FunctionFS gadget
// (`seedval gadget`) and the emulated board of the tests, so both run the same code:
//   - feed() takes OUT bytes as they arrive, cut anywhere, and queues every complete frame;
//   - a worker thread serves the queued frames in order (through a protocol::RequestHandler, or any
//     function that answers a request frame, e.g. one relaying it to a board's transport) and hands each
//     response frame to the sink, which writes it to the IN endpoint (ending it with a zero-length
//     packet when its size is a multiple of the endpoint's packet size, see needs_zero_length_packet);
//   - bytes that cannot start a frame (line noise, the tail of a damaged frame) are skipped up to the
//     next frame magic, and counted;
//   - reset() is the vendor request kRequestResetStream: the host sends it when it opens the link and
//     after abandoning a request half sent, so that the device drops its partial frame and the
//     requests not yet started, and both ends start again on a frame boundary.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include <seedval/protocol/server.h>

namespace seedval::usb {

/// The evaluation board's identity on the bus: the pid.codes open-hardware vendor id and the board's
/// product id. A descriptor or a `usb:VID:PID[:SERIAL]` URI may name others.
inline constexpr std::uint16_t kEvbVendorId = 0x1209;
inline constexpr std::uint16_t kEvbProductId = 0x5EED;
/// The board's interface: one interface, class 0xFF (vendor specific), two bulk endpoints.
inline constexpr std::uint8_t kInterfaceClass = 0xFF;
inline constexpr std::uint8_t kInterfaceSubclass = 0x53;  // 'S'
inline constexpr std::uint8_t kInterfaceProtocol = 0x01;  // wire protocol version 1 framing
/// Vendor request (bmRequestType 0x41: host-to-device, vendor, interface; no data stage): drop the
/// partial request frame, the requests not yet started and the responses not yet sent.
inline constexpr std::uint8_t kRequestResetStream = 0x01;

/// Whether a transfer of `size` bytes must be followed by a zero-length packet so that the reader's
/// transfer ends: it fills its last packet exactly.
constexpr bool needs_zero_length_packet(std::size_t size, std::size_t max_packet) {
  return size != 0 && max_packet != 0 && size % max_packet == 0;
}

/// Both ends of the stream cut frames with this: the next complete frame in `bytes` from offset `at`,
/// which it moves past the frame. Bytes that cannot start a frame (bad magic, version or length) are
/// skipped up to the next frame magic and added to `skipped`, so one damaged frame costs only itself.
/// An empty span when more bytes are needed (`at` then marks where the incomplete frame starts).
std::span<const std::uint8_t> next_frame(std::span<const std::uint8_t> bytes, std::size_t& at,
                                         std::uint64_t& skipped);

struct UsbFunctionStats {
  std::uint64_t requests = 0;       ///< frames served
  std::uint64_t skipped_bytes = 0;  ///< bytes dropped while looking for a frame boundary
  std::uint64_t resets = 0;         ///< reset() calls
};

class UsbFunctionStream {
 public:
  /// Called on the worker thread with each response frame, in request order.
  using Sink = std::function<void(std::vector<std::uint8_t> response)>;
  /// Answers one request frame with one response frame; must not throw (answer errors as error
  /// frames, as protocol::serve() does).
  using Serve =
      std::function<void(std::span<const std::uint8_t> request, std::vector<std::uint8_t>& response)>;

  UsbFunctionStream(Serve serve, Sink sink);
  /// Serves the frames with protocol::serve(*handler, ...).
  UsbFunctionStream(std::shared_ptr<protocol::RequestHandler> handler, Sink sink);
  /// Stops the worker after the request it is serving.
  ~UsbFunctionStream();
  UsbFunctionStream(const UsbFunctionStream&) = delete;
  UsbFunctionStream& operator=(const UsbFunctionStream&) = delete;

  /// OUT bytes in arrival order; returns at once (any thread).
  void feed(std::span<const std::uint8_t> bytes);
  /// The reset-stream request (any thread). The request being served finishes; its response is sent
  /// unless `drop_served` is set, in which case it is dropped too.
  void reset(bool drop_served = true);
  /// Waits until every complete frame fed so far has been served and its response handed to the sink.
  void drain();
  UsbFunctionStats stats() const;

 private:
  void run(std::stop_token stop);
  void split_frames_locked();

  Serve serve_;
  Sink sink_;
  mutable std::mutex mutex_;
  std::condition_variable_any work_;
  std::condition_variable idle_;
  std::vector<std::uint8_t> input_;  // bytes not yet part of a complete frame
  std::deque<std::vector<std::uint8_t>> frames_;
  bool serving_ = false;
  std::uint64_t generation_ = 0;  // bumped by reset(): a response of an older generation is dropped
  UsbFunctionStats stats_;
  std::jthread worker_;  // last: joined before the members it uses go
};

}  // namespace seedval::usb

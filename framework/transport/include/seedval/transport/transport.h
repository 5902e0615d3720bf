// The transport interface: moves protocol frames between the host and one device.
//
// A transport knows nothing of what the frames mean. It sends one encoded request frame and returns the
// encoded response frame, or throws: TimeoutError when the deadline passes, TransportError when the link
// fails or the board vanishes, CancelledError when a stop was requested. The in-process transport hands
// the frames to a device-side protocol::RequestHandler (the chip model); USB and ZeroMQ carry the same
// bytes over a wire.
//
// Implementing a transport: derive from Transport, implement describe(), capabilities() and
// exchange_into(); override exchange_split() when the link can send bulk data from where it lies (a
// gather list, a zero-copy message part), and post()/collect()/discard_posted() when several requests
// can be in flight at once (declare it with pipeline_depth). Keep it to moving bytes; framing checks
// belong to the device layer. Start error messages with describe(): the device layer puts only its own
// name and the operation in front.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <span>
#include <stop_token>
#include <string>
#include <vector>

#include <seedval/core/clock.h>
#include <seedval/protocol/frame.h>

namespace seedval {

/// What a transport can do, as data; the device layer takes the fast path where one is present.
struct TransportCapabilities {
  std::size_t max_frame_payload = 0;  ///< the largest payload one frame may carry over this link
  bool bulk_memory = true;            ///< large mem_read/mem_write frames are efficient
  bool remote = false;                ///< frames cross a network
  bool hot_plug = false;              ///< the board can come and go while the host runs
  /// exchange_split() passes bulk data by reference instead of copying it into a frame buffer.
  bool split_frames = false;
  /// Split frames never cross a medium that could corrupt them (an in-process link): their CRC is
  /// neither computed nor checked, as on a loopback network interface. Every other check still runs.
  bool checksum_unnecessary = false;
  /// reg_batch frames carry register lists at frame cost (every link here does; a debug probe that
  /// can only move single accesses would not). The device batches when both link and chip can.
  bool batched_registers = true;
  /// Requests that may be in flight at once through post()/collect(); 1 means one round trip per
  /// request. A remote link declares more so that latency is paid once per window, not per request.
  std::size_t pipeline_depth = 1;
};

class Transport {
 public:
  virtual ~Transport() = default;
  Transport() = default;
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  /// Names the link for messages, e.g. "inproc:seedchip-sim" or "usb:1d50:6189:SN0042".
  virtual std::string describe() const = 0;
  virtual TransportCapabilities capabilities() const = 0;

  /// Sends `request` (one complete frame) and writes the response frame into `response`, reusing its
  /// capacity (bulk transfers then allocate nothing per frame). Blocks until the response arrives,
  /// `deadline` passes (TimeoutError) or `stop` is requested (CancelledError). `request` must not point
  /// into `response`.
  virtual void exchange_into(std::span<const std::uint8_t> request, std::vector<std::uint8_t>& response,
                             Deadline deadline, std::stop_token stop) = 0;

  /// The same exchange for a request held in pieces (bulk data where it lies). The default flattens the
  /// request into one frame and answers with a whole frame; a transport with split_frames may answer
  /// with a split frame whose bulk points into the device's memory until the next exchange.
  virtual void exchange_split(const protocol::SplitFrame& request, protocol::ReceivedFrame& response,
                              Deadline deadline, std::stop_token stop);

  /// Pipelining. post() sends one request frame without waiting for its response; collect() returns the
  /// response to the posted request whose header carries `sequence`. Requests execute in the order they
  /// were posted. At most capabilities().pipeline_depth requests are outstanding at once. A response
  /// that does not match an outstanding request (a late duplicate) is discarded by the transport.
  /// The default keeps posted requests and exchanges them one at a time, in order, when collected.
  virtual void post(std::span<const std::uint8_t> request, Deadline deadline, std::stop_token stop);
  virtual void collect(std::uint32_t sequence, std::vector<std::uint8_t>& response, Deadline deadline,
                       std::stop_token stop);
  /// Forgets every posted request not yet collected: those not yet sent are never sent, and responses
  /// to those already sent are discarded when they arrive. Called after a failure mid-pipeline.
  virtual void discard_posted();

  /// Convenience: the same exchange, the response in a new vector.
  std::vector<std::uint8_t> exchange(std::span<const std::uint8_t> request, Deadline deadline,
                                     std::stop_token stop) {
    std::vector<std::uint8_t> response;
    exchange_into(request, response, deadline, std::move(stop));
    return response;
  }

 private:
  std::vector<std::uint8_t> flat_;  // exchange_split()'s flattened request, reused
  // The default pipeline: requests posted and not yet exchanged, and responses not yet collected.
  std::deque<std::vector<std::uint8_t>> posted_;
  std::map<std::uint32_t, std::vector<std::uint8_t>> answered_;
};

}  // namespace seedval

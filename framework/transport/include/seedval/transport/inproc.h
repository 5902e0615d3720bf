// The in-process transport: hands frames to a device-side protocol handler in this process.
//
// It carries exactly the frames a USB or ZeroMQ transport would, so everything above it is exercised as
// it will be on silicon; only the wire is missing. Bulk memory frames travel split (exchange_split): the
// data is passed by reference, not copied into a frame, and since no medium lies between the two ends
// their CRC is skipped by default (Checksum::unnecessary, as on a loopback network interface); header,
// length, sequence and status are checked as on any link. Construct with Checksum::computed to have the
// CRC computed and checked as on a wire. Calls are serialised: the handler sees one request at a time,
// as a device on a link does.
#pragma once

#include <memory>
#include <mutex>

#include <seedval/protocol/server.h>
#include <seedval/transport/transport.h>

namespace seedval {

class InprocTransport final : public Transport {
 public:
  /// `handler` is shared with the board that created it (which may still need it, e.g. to load a new
  /// die); `name` names the device for describe().
  InprocTransport(std::shared_ptr<protocol::RequestHandler> handler, std::string name,
                  protocol::Checksum split_checksum = protocol::Checksum::unnecessary);

  std::string describe() const override;
  TransportCapabilities capabilities() const override;
  void exchange_into(std::span<const std::uint8_t> request, std::vector<std::uint8_t>& response,
                     Deadline deadline, std::stop_token stop) override;
  void exchange_split(const protocol::SplitFrame& request, protocol::ReceivedFrame& response,
                      Deadline deadline, std::stop_token stop) override;

 private:
  void check_ready(Deadline deadline, const std::stop_token& stop) const;
  std::shared_ptr<protocol::RequestHandler> handler_;
  std::string name_;
  protocol::Checksum split_checksum_;
  std::mutex mutex_;
};

}  // namespace seedval

// The in-process transport: hands frames to a device-side protocol handler in this process.
//
// It carries exactly the bytes a USB or ZeroMQ transport would, so everything above it is exercised as
// it will be on silicon; only the wire is missing. Calls are serialised: the handler sees one request
// at a time, as a device on a link does.
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
  InprocTransport(std::shared_ptr<protocol::RequestHandler> handler, std::string name);

  std::string describe() const override;
  TransportCapabilities capabilities() const override;
  void exchange_into(std::span<const std::uint8_t> request, std::vector<std::uint8_t>& response,
                     Deadline deadline, std::stop_token stop) override;

 private:
  std::shared_ptr<protocol::RequestHandler> handler_;
  std::string name_;
  std::mutex mutex_;
};

}  // namespace seedval

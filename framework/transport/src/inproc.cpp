#include <fmt/core.h>

#include <seedval/core/error.h>
#include <seedval/transport/inproc.h>

namespace seedval {

InprocTransport::InprocTransport(std::shared_ptr<protocol::RequestHandler> handler, std::string name)
    : handler_(std::move(handler)), name_(std::move(name)) {
  if (!handler_) throw InvalidArgumentError(ErrorCode::invalid_argument, "inproc transport needs a handler");
}

std::string InprocTransport::describe() const {
  return "inproc:" + name_;
}

TransportCapabilities InprocTransport::capabilities() const {
  TransportCapabilities c;
  c.max_frame_payload = protocol::kMaxPayload;
  return c;
}

void InprocTransport::exchange_into(std::span<const std::uint8_t> request,
                                    std::vector<std::uint8_t>& response, Deadline deadline,
                                    std::stop_token stop) {
  if (stop.stop_requested())
    throw CancelledError(ErrorCode::cancelled, fmt::format("{}: cancelled", describe()));
  if (deadline.expired())
    throw TimeoutError(ErrorCode::timeout, fmt::format("{}: deadline passed before sending", describe()));
  std::lock_guard lock(mutex_);
  protocol::serve(*handler_, request, response);
}

}  // namespace seedval

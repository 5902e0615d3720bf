#include <fmt/core.h>

#include <seedval/core/error.h>
#include <seedval/transport/inproc.h>

namespace seedval {

InprocTransport::InprocTransport(std::shared_ptr<protocol::RequestHandler> handler, std::string name,
                                 protocol::Checksum split_checksum)
    : handler_(std::move(handler)), name_(std::move(name)), split_checksum_(split_checksum) {
  if (!handler_) throw InvalidArgumentError(ErrorCode::invalid_argument, "inproc transport needs a handler");
}

std::string InprocTransport::describe() const {
  return "inproc:" + name_;
}

TransportCapabilities InprocTransport::capabilities() const {
  TransportCapabilities c;
  c.max_frame_payload = protocol::kMaxPayload;
  c.split_frames = true;
  c.checksum_unnecessary = split_checksum_ == protocol::Checksum::unnecessary;
  return c;
}

void InprocTransport::check_ready(Deadline deadline, const std::stop_token& stop) const {
  if (stop.stop_requested())
    throw CancelledError(ErrorCode::cancelled, fmt::format("{}: cancelled", describe()));
  if (deadline.expired())
    throw TimeoutError(ErrorCode::timeout, fmt::format("{}: deadline passed before sending", describe()));
}

void InprocTransport::exchange_into(std::span<const std::uint8_t> request,
                                    std::vector<std::uint8_t>& response, Deadline deadline,
                                    std::stop_token stop) {
  check_ready(deadline, stop);
  std::lock_guard lock(mutex_);
  protocol::serve(*handler_, request, response);
}

void InprocTransport::exchange_split(const protocol::SplitFrame& request, protocol::ReceivedFrame& response,
                                     Deadline deadline, std::stop_token stop) {
  check_ready(deadline, stop);
  std::lock_guard lock(mutex_);
  protocol::serve_split(*handler_, request, response, split_checksum_);
}

}  // namespace seedval

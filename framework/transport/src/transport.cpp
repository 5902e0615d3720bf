#include <fmt/core.h>

#include <seedval/core/error.h>
#include <seedval/transport/transport.h>

namespace seedval {

void Transport::exchange_split(const protocol::SplitFrame& request, protocol::ReceivedFrame& response,
                               Deadline deadline, std::stop_token stop) {
  protocol::flatten_frame(request, flat_);
  response.split = false;
  response.bulk = {};
  exchange_into(flat_, response.bytes, deadline, std::move(stop));
}

void Transport::post(std::span<const std::uint8_t> request, Deadline, std::stop_token) {
  posted_.emplace_back(request.begin(), request.end());
}

void Transport::collect(std::uint32_t sequence, std::vector<std::uint8_t>& response, Deadline deadline,
                        std::stop_token stop) {
  // Exchange posted requests in order until the one asked for has been answered.
  while (!answered_.contains(sequence)) {
    if (posted_.empty())
      throw InvalidArgumentError(
          ErrorCode::invalid_argument,
          fmt::format("{}: no request with sequence {} was posted", describe(), sequence));
    std::vector<std::uint8_t> request = std::move(posted_.front());
    posted_.pop_front();
    std::vector<std::uint8_t> answer;
    try {
      exchange_into(request, answer, deadline, stop);
    } catch (...) {
      discard_posted();
      throw;
    }
    answered_.emplace(protocol::peek_sequence(request).value_or(0), std::move(answer));
  }
  auto node = answered_.extract(sequence);
  response = std::move(node.mapped());
}

void Transport::discard_posted() {
  posted_.clear();
  answered_.clear();
}

}  // namespace seedval

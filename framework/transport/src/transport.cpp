#include <seedval/transport/transport.h>

namespace seedval {

void Transport::exchange_split(const protocol::SplitFrame& request, protocol::ReceivedFrame& response,
                               Deadline deadline, std::stop_token stop) {
  protocol::flatten_frame(request, flat_);
  response.split = false;
  response.bulk = {};
  exchange_into(flat_, response.bytes, deadline, std::move(stop));
}

}  // namespace seedval

// The links of test_transport: in-process and the ZeroMQ agent over tcp and ipc.
#include "links.h"

namespace seedval::testing {

std::vector<std::string> conformance_links() {
  return {"inproc", "zmq-tcp", "zmq-ipc"};
}

std::unique_ptr<Link> open_link(const std::string& kind, std::uint64_t memory) {
  return open_network_link(kind, memory);
}

}  // namespace seedval::testing

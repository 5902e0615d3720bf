// The links of test_usb. Normally one kind, "usb-umockdev": the real libusb code against an emulated
// board (emulated_board.h) on the process's umockdev testbed. With
// SEEDVAL_TEST_USB_BOARD=usb:VID:PID[:SERIAL] set, the kind is "usb-device" instead: a real board on a real
// USB stack (the kernel-in-the-loop test runs the conformance cases so, against the FunctionFS gadget), and
// no testbed is made.
#include "usb_links.h"

#include <cstdlib>

#include <boost/test/unit_test.hpp>

#include "emulated_board.h"
#include "support/sim_bench.h"
#include "transport/links.h"

namespace seedval::testing {
namespace {

std::unique_ptr<UsbTestbed> g_testbed;

const char* real_board() {
  const char* uri = std::getenv("SEEDVAL_TEST_USB_BOARD");
  return uri != nullptr && *uri != '\0' ? uri : nullptr;
}

// The testbed exists before any test (and so before libusb starts) and goes after all of them.
struct TestbedFixture {
  TestbedFixture() {
    if (real_board() == nullptr) g_testbed = std::make_unique<UsbTestbed>();
  }
  ~TestbedFixture() { g_testbed.reset(); }
};

// Destroyed in reverse: the session (libusb) before the board it talks to.
struct UsbLinkResources {
  std::shared_ptr<EmulatedBoard> board;
  std::shared_ptr<UsbSession> session;
};

}  // namespace

BOOST_TEST_GLOBAL_FIXTURE(TestbedFixture);

UsbTestbed& testbed() {
  if (!g_testbed) throw std::logic_error("no umockdev testbed: SEEDVAL_TEST_USB_BOARD is set");
  return *g_testbed;
}

bool using_real_board() {
  return real_board() != nullptr;
}

std::vector<std::string> conformance_links() {
  return {real_board() != nullptr ? "usb-device" : "usb-umockdev"};
}

std::unique_ptr<Link> open_link(const std::string& kind, std::uint64_t memory) {
  auto link = std::make_unique<Link>();
  link->kind = kind;
  auto resources = std::make_shared<UsbLinkResources>();
  UsbOptions options;
  if (kind == "usb-device") {
    options.address = parse_usb_uri(real_board());
    options.timeouts.arrival = Milliseconds{10'000};
  } else if (kind == "usb-umockdev") {
    link->model = chip_model(clean_die(link_die()), memory);
    resources->board =
        std::make_shared<EmulatedBoard>(testbed(), std::make_shared<SlowPingHandler>(link->model));
    options.address = resources->board->address();
  } else {
    throw std::invalid_argument("unknown link kind " + kind);
  }
  resources->session = UsbSession::open(options);
  link->device = std::make_unique<Device>(resources->session->connect(), kSimName);
  link->resources = resources;
  return link;
}

}  // namespace seedval::testing

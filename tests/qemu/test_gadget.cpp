// The evaluation board of the kernel-in-the-loop test (usb_conformance.sh): makes this machine a USB
// gadget through ConfigFS and FunctionFS and serves the chip model every transport's conformance cases
// expect (links.h: SlowPingHandler over a clean die LINK-W02-X030-Y040 with 16 MiB of HBM), so that
// `test_usb --run_test=transport_conformance` with SEEDVAL_TEST_USB_BOARD set runs those cases through
// the real Linux USB stack (dummy_hcd: the host and device controllers of one kernel).
//
//   test_gadget [--udc UDC] [--serial S] [--ready FILE]
//
// Needs root, ConfigFS, libcomposite, usb_f_fs and a UDC. Writes FILE (if given) once the board is on the
// bus; stops on SIGINT/SIGTERM and takes the gadget down. Not a CTest test: the script runs it in a VM.
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>

#include <seedval/core/error.h>
#include <seedval/transport/functionfs.h>

#include "framework/transport/links.h"
#include "support/sim_bench.h"

namespace {

std::stop_source g_stop;
extern "C" void on_signal(int) {
  g_stop.request_stop();
}

int usage() {
  std::cerr << "usage: test_gadget [--udc UDC] [--serial SERIAL] [--ready FILE]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  seedval::usb::GadgetOptions options;
  options.name = "seedval_test";
  options.serial = "QEMU0001";
  std::string ready;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (i + 1 >= argc) return usage();
    if (arg == "--udc")
      options.udc = argv[++i];
    else if (arg == "--serial")
      options.serial = argv[++i];
    else if (arg == "--ready")
      ready = argv[++i];
    else
      return usage();
  }
  try {
    auto model = seedval::testing::chip_model(seedval::testing::clean_die({"LINK", 2, 30, 40}), 16u << 20);
    auto handler = std::make_shared<seedval::testing::SlowPingHandler>(model);
    seedval::usb::FunctionFsOptions ffs;
    ffs.log = [](std::string_view line) { std::cerr << "test_gadget: " << line << std::endl; };
    auto gadget = seedval::usb::ConfigFsGadget::create(options, handler, ffs);
    std::cerr << "test_gadget: serving the chip model as usb:1209:5eed:" << options.serial << " on UDC "
              << gadget->udc() << std::endl;
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    if (!ready.empty()) std::ofstream(ready) << gadget->udc() << "\n";
    gadget->server().run(g_stop.get_token());
    const auto stats = gadget->server().stats();
    std::cerr << "test_gadget: stopped after " << stats.requests << " requests, " << stats.sessions
              << " connections, " << stats.resets << " stream resets, " << stats.stalled_setups
              << " stalled control requests" << std::endl;
    return 0;
  } catch (const seedval::Error& e) {
    std::cerr << "test_gadget: " << e.what() << std::endl;
    return 3;
  }
}

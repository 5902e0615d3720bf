// seedval gadget: make this Linux board (one with a USB device controller) a SeedChip evaluation board on
// the USB bus, serving a board's link (by default the chip model) to the host at the other end.
#include <csignal>
#include <cstdio>
#include <iostream>

#include <fmt/core.h>

#include <seedval/boards/board.h>
#include <seedval/core/error.h>
#include <seedval/protocol/frame.h>
#include <seedval/transport/functionfs.h>

#include "common.h"

namespace seedval::cli {
namespace {

struct GadgetOptionsCli {
  std::string board{kDefaultBoard};
  std::string udc;
  std::string serial = "SEEDVAL0001";
  std::string functionfs;
};

// A request may run long on the board (an MBIST run, a soak); the host keeps its own deadlines.
constexpr auto kRelayDeadline = std::chrono::minutes(30);

std::stop_source g_gadget_stop;  // SIGINT/SIGTERM end the gadget; the board leaves the bus
extern "C" void on_gadget_signal(int) {
  g_gadget_stop.request_stop();
}

// Relays each request frame to the board's own link; a failure there becomes the error frame the host
// would have got from a board that failed the same way.
usb::UsbFunctionStream::Serve relay(Transport& link) {
  return [&link](std::span<const std::uint8_t> request, std::vector<std::uint8_t>& response) {
    const auto error_frame = [&](ErrorCode code, std::string_view message) {
      const auto op = request.size() > 3 ? static_cast<protocol::Opcode>(request[3]) : protocol::Opcode::ping;
      response = protocol::encode_error(op, protocol::peek_sequence(request).value_or(0), code, message);
    };
    try {
      link.exchange_into(request, response, Deadline::after(kRelayDeadline), {});
    } catch (const Error& e) {
      error_frame(e.code(), e.message());
    } catch (const std::exception& e) {
      error_frame(ErrorCode::internal, fmt::format("seedval gadget: {}", e.what()));
    }
  };
}

int gadget(const GadgetOptionsCli& o) {
  auto board = open_board(o.board);
  auto link = board->connect();
  usb::FunctionFsOptions ffs;
  ffs.log = [](std::string_view line) { std::cerr << "seedval gadget: " << line << std::endl; };
  std::unique_ptr<usb::ConfigFsGadget> made;
  std::unique_ptr<usb::FunctionFsServer> served;
  usb::FunctionFsServer* server = nullptr;
  const std::string id = fmt::format("usb:{:04x}:{:04x}:{}", usb::kEvbVendorId, usb::kEvbProductId, o.serial);
  if (!o.functionfs.empty()) {
    served = usb::FunctionFsServer::open(o.functionfs, relay(*link), ffs);
    server = served.get();
    std::cout << fmt::format("serving {} on the FunctionFS instance at {}\n", board->info().name,
                             o.functionfs);
  } else {
    usb::GadgetOptions options;
    options.udc = o.udc;
    options.serial = o.serial;
    made = usb::ConfigFsGadget::create(options, relay(*link), ffs);
    server = &made->server();
    std::cout << fmt::format("serving {} as {} on UDC {}\n", board->info().name, id, made->udc());
  }
  std::cout.flush();
  std::signal(SIGINT, on_gadget_signal);
  std::signal(SIGTERM, on_gadget_signal);
  server->run(g_gadget_stop.get_token());
  const auto stats = server->stats();
  std::cerr << fmt::format("seedval gadget: stopped after {} requests, {} connections\n", stats.requests,
                           stats.sessions);
  return kOk;
}

}  // namespace

void add_gadget(CLI::App& app) {
  auto o = std::make_shared<GadgetOptionsCli>();
  auto* cmd = app.add_subcommand(
      "gadget", "serve a board over USB from this Linux board's USB device controller (FunctionFS)");
  cmd->add_option("--board,-b", o->board, board_option_help() + " (default seedchip-sim)");
  cmd->add_option("--udc", o->udc,
                  "USB device controller to bind, as in /sys/class/udc (default: the first)");
  cmd->add_option("--serial", o->serial, "iSerialNumber the host finds the board by (usb:1209:5eed:SERIAL)")
      ->capture_default_str();
  cmd->add_option("--functionfs", o->functionfs,
                  "serve an already mounted FunctionFS instance at DIR (the ConfigFS gadget made by hand); "
                  "without it the gadget is made through ConfigFS, which needs root");
  cmd->footer(
      "Stops on SIGINT or SIGTERM; the gadget made through ConfigFS is taken down again. See "
      "docs/usb-gadget.md.");
  cmd->callback([o] { throw ExitRequest{guarded("gadget", [&] { return gadget(*o); })}; });
}

}  // namespace seedval::cli

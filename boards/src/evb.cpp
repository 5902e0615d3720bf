// The "seedchip-evb" board backend: the SeedChip evaluation board on USB (libusb).
//
// Descriptor keys (besides board/transport/description/include):
//   "vid", "pid"           vendor and product id, a number or a string such as "0x1209"
//                          (default: the evaluation board's, 0x1209 and 0x5eed)
//   "serial"               the board's serial number; needed when several are attached (default: any)
//   "interface"            the interface to claim                                      (default 0)
//   "wait_ms"              how long to wait for the board to be plugged in             (default 0)
//   "control_timeout_ms"   limit for control requests (strings, reset-stream)          (default 1000)
//   "pipeline_depth"       requests in flight                                          (default 8)
// The same board is reached with --board usb:VID:PID[:SERIAL].
#include <fmt/core.h>

#include <seedval/boards/backend.h>
#include <seedval/core/error.h>
#include <seedval/transport/usb.h>
#include <seedval/transport/usb_function.h>

#include "registry.h"

namespace seedval {
namespace {

class EvbBoard final : public Board {
 public:
  EvbBoard(BoardInfo info, const UsbOptions& options)
      : Board(std::move(info)), session_(UsbSession::open(options)) {}
  std::unique_ptr<Transport> connect() override { return session_->connect(); }

 private:
  std::shared_ptr<UsbSession> session_;
};

std::unique_ptr<Board> make_evb(JsonObject& params, BoardInfo info) {
  if (info.transport != "usb") params.fail("transport", "the evaluation board is reached over \"usb\"");
  UsbOptions o;
  o.address.vendor_id = static_cast<std::uint16_t>(params.has("vid") ? params.unsigned_value("vid", 0xffff)
                                                                     : usb::kEvbVendorId);
  o.address.product_id = static_cast<std::uint16_t>(params.has("pid") ? params.unsigned_value("pid", 0xffff)
                                                                      : usb::kEvbProductId);
  o.address.serial = params.string_or("serial", "");
  o.interface_number = static_cast<int>(params.integer_or("interface", 0, 0, 255));
  o.timeouts.arrival = Milliseconds{params.integer_or("wait_ms", 0, 0, 3'600'000)};
  o.timeouts.control = Milliseconds{params.integer_or("control_timeout_ms", 1000, 10, 60'000)};
  o.pipeline_depth = static_cast<std::size_t>(params.integer_or("pipeline_depth", 8, 1, 256));
  return std::make_unique<EvbBoard>(std::move(info), o);
}

}  // namespace

namespace detail {

void register_evb_backend(BoardRegistry& r) {
  r.backends.emplace("seedchip-evb", BoardBackend{"the SeedChip evaluation board on USB", make_evb});
}

std::unique_ptr<Board> open_usb_uri(std::string_view uri) {
  UsbOptions o;
  o.address = parse_usb_uri(uri);
  BoardInfo info;
  info.name = std::string(uri);
  info.backend = "seedchip-evb";
  info.transport = "usb";
  info.description = fmt::format("evaluation board {}", uri);
  return std::make_unique<EvbBoard>(std::move(info), o);
}

}  // namespace detail
}  // namespace seedval

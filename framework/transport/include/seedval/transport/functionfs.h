// The evaluation board's USB function on a Linux board with a USB device controller (UDC): the device
// end of the USB link (usb_function.h) over the kernel's FunctionFS, and the ConfigFS set-up that makes
// the board appear on the bus. `seedval gadget` is built from these two.
//
//   // One command makes a board (root; a UDC in /sys/class/udc):
//   auto gadget = usb::ConfigFsGadget::create(options, serve);
//   gadget->server().run(stop_token);   // until SIGTERM
//
//   // Or serve a FunctionFS instance someone else set up (mounted at /dev/ffs-seedval):
//   auto server = usb::FunctionFsServer::open("/dev/ffs-seedval", serve);
//   server->run(stop_token);
//
// FunctionFsServer writes the descriptors (one vendor-specific interface, bulk OUT then bulk IN, for
// full, high and super speed) and strings to ep0, then follows ep0's events: on ENABLE it queues reads
// on the OUT endpoint (ep1) and feeds what arrives into a UsbFunctionStream, whose responses go to the
// IN endpoint (ep2), each ended by a zero-length packet when it fills its last packet; on DISABLE or
// UNBIND (host gone, cable out) it drops the partial stream and waits for the next ENABLE. The vendor
// request kRequestResetStream resets the stream and cancels the response being sent; any other
// request on ep0 is stalled. Endpoint I/O is asynchronous (Linux AIO, as FunctionFS recommends), so a
// stop is never stuck behind a host that stopped reading.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include <seedval/protocol/server.h>
#include <seedval/transport/usb_function.h>

namespace seedval::usb {

struct FunctionFsOptions {
  /// The interface string (iInterface) the host sees.
  std::string interface_name = "SeedChip wire protocol";
  /// Bytes per queued OUT read (rounded up to a multiple of 1024, the largest packet) and how many
  /// reads stay queued, so the host's bulk OUT transfers never wait for user space.
  std::size_t read_size = 64 * 1024;
  unsigned queued_reads = 4;
  /// Bytes per IN write; a response is written in pieces of this size (kernel buffers stay small).
  std::size_t write_size = 64 * 1024;
  /// Where connection events go (enabled, disabled, stream resets), one line each; default: the log.
  std::function<void(std::string_view)> log;
};

struct FunctionFsStats {
  std::uint64_t sessions = 0;        ///< ENABLE events: the host configured the board
  std::uint64_t resets = 0;          ///< reset-stream requests
  std::uint64_t stalled_setups = 0;  ///< control requests refused
  std::uint64_t requests = 0;        ///< frames served (all sessions)
  std::uint64_t skipped_bytes = 0;   ///< OUT bytes that could not start a frame (all sessions)
};

class FunctionFsServer {
 public:
  /// Opens `mount`/ep0 of a mounted FunctionFS instance and writes the descriptors and strings, after
  /// which the gadget may be bound to a UDC. `serve` answers each request frame (see
  /// UsbFunctionStream::Serve); it runs on the stream's worker thread. Throws IoError naming the file
  /// and the step, e.g. "functionfs /dev/ffs-seedval/ep0: writing descriptors: Invalid argument".
  static std::unique_ptr<FunctionFsServer> open(const std::filesystem::path& mount,
                                                UsbFunctionStream::Serve serve,
                                                FunctionFsOptions options = {});
  /// The same, serving with protocol::serve(*handler, ...).
  static std::unique_ptr<FunctionFsServer> open(const std::filesystem::path& mount,
                                                std::shared_ptr<protocol::RequestHandler> handler,
                                                FunctionFsOptions options = {});
  ~FunctionFsServer();
  FunctionFsServer(const FunctionFsServer&) = delete;
  FunctionFsServer& operator=(const FunctionFsServer&) = delete;

  /// Follows ep0's events and serves the host until `stop` is requested (then returns after the request
  /// being served, if any) or the FunctionFS instance goes away. Call from one thread. Throws IoError
  /// when ep0 or an endpoint fails in a way that is not the host leaving.
  void run(std::stop_token stop);
  /// Counters so far (any thread).
  FunctionFsStats stats() const;
  const std::filesystem::path& mount() const;

 private:
  struct Impl;
  explicit FunctionFsServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// The descriptors and strings FunctionFsServer writes to ep0 (exposed for tests and tools).
std::vector<std::uint8_t> functionfs_descriptors();
std::vector<std::uint8_t> functionfs_strings(std::string_view interface_name);

struct GadgetOptions {
  /// The gadget's folder under usb_gadget/ and its FunctionFS instance (function "ffs.NAME").
  std::string name = "seedval";
  /// The UDC to bind, as listed in /sys/class/udc; empty: the first one there.
  std::string udc;
  /// iSerialNumber: the host tells boards apart by it (usb:1209:5eed:SERIAL).
  std::string serial = "SEEDVAL0001";
  std::string manufacturer = "SeedChip";
  std::string product = "SeedChip evaluation board";
  std::uint16_t vendor_id = kEvbVendorId;
  std::uint16_t product_id = kEvbProductId;
  std::uint16_t bcd_device = 0x0100;
  unsigned max_power_ma = 250;
  /// Where FunctionFS is mounted; empty: /dev/ffs-NAME.
  std::filesystem::path mount;
  /// The ConfigFS and UDC class roots (other values only for tests).
  std::filesystem::path configfs = "/sys/kernel/config";
  std::filesystem::path udc_class = "/sys/class/udc";
};

/// A USB gadget made through ConfigFS: the gadget folder with its ids and strings, a configuration,
/// the FunctionFS function, FunctionFS mounted and served, and the UDC bound. Each step is undone in
/// reverse when the object goes (or when a later step fails), so the board leaves the bus cleanly.
class ConfigFsGadget {
 public:
  /// Needs root, ConfigFS mounted with libcomposite and usb_f_fs loaded, and a UDC. Throws
  /// NotFoundError when there is no UDC (naming /sys/class/udc) or ConfigFS has no usb_gadget folder,
  /// IoError naming the file for any other step that fails.
  static std::unique_ptr<ConfigFsGadget> create(const GadgetOptions& options, UsbFunctionStream::Serve serve,
                                                FunctionFsOptions ffs = {});
  static std::unique_ptr<ConfigFsGadget> create(const GadgetOptions& options,
                                                std::shared_ptr<protocol::RequestHandler> handler,
                                                FunctionFsOptions ffs = {});
  ~ConfigFsGadget();
  ConfigFsGadget(const ConfigFsGadget&) = delete;
  ConfigFsGadget& operator=(const ConfigFsGadget&) = delete;

  FunctionFsServer& server() { return *server_; }
  /// The UDC the gadget is bound to, e.g. "dummy_udc.0".
  const std::string& udc() const { return udc_; }
  const std::filesystem::path& gadget_dir() const { return dir_; }

 private:
  ConfigFsGadget() = default;
  void undo() noexcept;

  std::filesystem::path dir_;
  std::filesystem::path mount_;
  std::string udc_;
  std::vector<std::function<void()>> undo_;  // run last to first
  std::unique_ptr<FunctionFsServer> server_;
};

/// The first UDC in `udc_class` (sorted by name). Throws NotFoundError naming the folder when there is
/// none, with what to do about it.
std::string first_udc(const std::filesystem::path& udc_class = "/sys/class/udc");

}  // namespace seedval::usb

// An emulated USB device for tests of code that talks to real libusb: the SeedChip evaluation board (or
// any bulk OUT + bulk IN device) on an umockdev testbed, so the USB transport runs its real libusb code
// without hardware, with unplug and plug-back on demand.
//
//   UsbTestbed testbed;                        // first: before libusb_init() and before other threads
//   MockUsbDevice board(testbed, {.serial = "EVB-0042"});
//   board.set_out_handler([&](std::uint8_t, std::span<const std::uint8_t> data) {
//     board.queue_in(0x81, {data.begin(), data.end()});  // an echo device
//   });
//   libusb_init(&ctx);  ...  libusb_exit(ctx);  // libusb_exit() before the testbed goes
//
// How it works. umockdev redirects libusb's view of /sys and /dev into a temporary directory: the device
// appears as a sysfs entry /sys/devices/usb<B>/<B>-<P> (with the attributes and the descriptor cache
// libusb reads) and a device node /dev/bus/usb/BBB/DDD whose ioctl()s reach this code over a socket. The
// usbdevfs ioctls libusb issues (SUBMITURB, REAPURBNDELAY, DISCARDURB, GET_CAPABILITIES, CLAIMINTERFACE,
// ...) are answered the way the kernel answers them, so libusb's transfers, timeouts, cancellation and
// disconnect handling run unchanged. The program must be linked with
// `-Wl,--push-state,--no-as-needed -lumockdev-preload -Wl,--pop-state` (the preload library has to come
// before libc, and nothing references it by symbol); without it libusb reads the real /sys and finds no
// device.
//
// Facts that shape the code (umockdev 0.17, libusb 1.0.26):
//   - umockdev publishes the testbed through the process-wide $UMOCKDEV_DIR, set by the testbed's
//     constructor and unset by its destructor. So there is one testbed per process; it must exist before
//     libusb_init() (libusb enumerates and starts its udev thread there) and before any other thread
//     (setenv races with getenv), and it must outlive libusb_exit().
//   - The device node is a FIFO, not umockdev's plain file: poll() on a regular file is always ready, so
//     libusb's event loop would spin. The FIFO's buffer is kept full while no URB can be reaped and
//     drained while one can, which is usbfs's poll rule (POLLOUT: an URB is waiting to be reaped).
//   - Unplug sends the "remove" uevent first, while the sysfs entry still exists (umockdev reads the
//     event's properties from it), then removes the entry; removing it sends no uevent, and libusb would
//     keep listing the device. Plugging back re-adds the entry, which sends "add".
//   - A real disconnect makes usbfs report POLLERR, on which libusb drops the handle and ends its
//     transfers; a FIFO cannot report it, and libusb takes a reap failing with ENODEV for "nothing yet".
//     So unplug completes the pending URBs with -ESHUTDOWN (the transfers end NO_DEVICE), later
//     ioctls fail with ENODEV (new transfers fail NO_DEVICE at submit), and those URBs stay reapable
//     by the old handles even after a replug or after the device object is gone.
//   - The ioctl handler runs on umockdev's worker thread ("umockdev-testbed-worker"), while the libusb
//     thread that made the ioctl is blocked until it is answered. So the callbacks (OutHandler,
//     ControlHandler) run on that worker thread and must never block or call libusb: that deadlocks.
//     They may call the member functions of any MockUsbDevice. Nobody has to run a GMainLoop.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <linux/usb/ch9.h>

#include <seedval/transport/usb_function.h>

namespace seedval::testing {

/// The process's umockdev testbed: the temporary /sys and /dev that libusb sees. Create exactly one,
/// before libusb_init() and before any other thread starts (a Boost global fixture), and destroy it last,
/// after libusb_exit(); the devices on it go before it.
class UsbTestbed {
 public:
  /// Creates the testbed and sets $UMOCKDEV_DIR. Throws std::runtime_error when it cannot.
  UsbTestbed();
  /// Stops umockdev's worker thread, removes the temporary directory and unsets $UMOCKDEV_DIR.
  ~UsbTestbed();
  UsbTestbed(const UsbTestbed&) = delete;
  UsbTestbed& operator=(const UsbTestbed&) = delete;

  /// The temporary directory that stands for / (holds sys/ and dev/).
  std::string root() const;

 private:
  friend class MockUsbDevice;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// What the emulated device looks like: the SeedChip evaluation board by default. Each device on a
/// testbed needs its own `devnum` and `port` on its bus.
struct MockUsbConfig {
  std::uint16_t vid = usb::kEvbVendorId;
  std::uint16_t pid = usb::kEvbProductId;
  std::uint16_t bcd_device = 0x0100;
  std::string manufacturer = "SeedChip";
  std::string product = "SeedChip Evaluation Board";
  std::string serial = "EVB-0001";  ///< iSerialNumber string and sysfs `serial`; ASCII, at most 126 chars
  std::uint8_t busnum = 1;
  std::uint8_t devnum = 2;  ///< address on the bus, 1..127: the node is /dev/bus/usb/BBB/DDD
  std::uint8_t port = 0;    ///< root hub port, the sysfs name is "<busnum>-<port>"; 0: same as devnum
  std::uint8_t ep_out = 0x01;
  std::uint8_t ep_in = 0x81;
  std::uint16_t max_packet = 512;  ///< bulk wMaxPacketSize (high speed)
  std::uint8_t interface_class = usb::kInterfaceClass;
  std::uint8_t interface_subclass = usb::kInterfaceSubclass;
  std::uint8_t interface_protocol = usb::kInterfaceProtocol;
};

/// What the device has seen so far (a snapshot; counts never go down, also across unplug and replug).
struct MockUsbStats {
  std::uint64_t out_urbs = 0;          ///< bulk/interrupt OUT URBs accepted (their data went to the handler)
  std::uint64_t out_bytes = 0;         ///< bytes of those URBs
  std::uint64_t in_urbs = 0;           ///< bulk/interrupt IN URBs completed with data or a ZLP
  std::uint64_t in_bytes = 0;          ///< bytes of those URBs
  std::uint64_t zero_length_in = 0;    ///< IN URBs completed with 0 bytes (ZLPs), also counted in in_urbs
  std::uint64_t discarded_urbs = 0;    ///< pending URBs cancelled by the host (timeout, cancel, close)
  std::uint64_t control_requests = 0;  ///< control transfers of every kind, standard ones included
  std::uint64_t vendor_requests = 0;   ///< control transfers for the ControlHandler (vendor, class, ...)
};

/// One emulated bulk OUT + bulk IN device on a testbed, plugged in from construction to destruction
/// (or unplug()). Several can exist at once with distinct bus/devnum/port.
///
/// OUT: each bulk OUT URB is accepted at once (unless set_accept_out(false)) and its data handed to the
/// OutHandler. IN: an IN URB waits until queue_in() supplies data; without data libusb's timeout expires
/// and the URB is discarded, as with a silent device. Control transfers: GET_DESCRIPTOR (device, config,
/// string) and GET_CONFIGURATION are answered here, every other request goes to the ControlHandler;
/// without one, or when it refuses, the request stalls (LIBUSB_ERROR_PIPE).
///
/// All member functions may be called from any thread, the callbacks included. The callbacks run on
/// umockdev's worker thread (set_accept_out(true) may run the OutHandler on its caller's thread, see
/// there) and must not block, call libusb or throw (an exception there aborts the program: the libusb
/// thread waiting for the answer could never be released).
class MockUsbDevice {
 public:
  /// Called with the data of each accepted OUT URB, one call at a time, in the order the URBs were
  /// submitted. An empty span is a zero-length OUT packet.
  using OutHandler = std::function<void(std::uint8_t ep, std::span<const std::uint8_t> data)>;
  /// Answers a control request that is not a standard GET_DESCRIPTOR/GET_CONFIGURATION (the setup
  /// fields are little endian, as on the wire). `data_out` is the host's data stage (empty for IN
  /// requests); for an IN request fill `data_in` (cut to wLength). Return false to stall.
  ///
  ///   board.set_control_handler([&](const usb_ctrlrequest& setup, auto, auto&) {
  ///     if (setup.bRequestType != 0x41 || setup.bRequest != usb::kRequestResetStream) return false;
  ///     board.clear_in(0x81);
  ///     stream.reset();
  ///     return true;
  ///   });
  using ControlHandler =
      std::function<bool(const usb_ctrlrequest& setup, std::span<const std::uint8_t> data_out,
                         std::vector<std::uint8_t>& data_in)>;

  /// Adds the device to the testbed ("add" uevent): libusb enumerates it from now on. Throws
  /// std::invalid_argument for a bad config or a bus/devnum/port already taken on this testbed, and
  /// std::runtime_error (naming the path) when the device node or the sysfs entry cannot be made.
  MockUsbDevice(UsbTestbed& testbed, MockUsbConfig config = {});
  /// Unplugs the device if still plugged. A libusb handle still open on it gets LIBUSB_ERROR_NO_DEVICE
  /// (and its transfers in flight end NO_DEVICE); a new device may take the same address afterwards.
  ~MockUsbDevice();
  MockUsbDevice(const MockUsbDevice&) = delete;
  MockUsbDevice& operator=(const MockUsbDevice&) = delete;

  void set_out_handler(OutHandler handler);
  void set_control_handler(ControlHandler handler);

  /// Queues one IN transfer unit for `ep`. It completes the oldest pending IN URB of `ep` (now or when
  /// one is submitted) with min(size, URB length) bytes; the rest stays queued for the next URB. Data
  /// shorter than the URB is a short packet, an empty vector completes an URB with 0 bytes (a ZLP).
  /// Ignored while unplugged.
  void queue_in(std::uint8_t ep, std::vector<std::uint8_t> data);
  /// Drops the IN data queued for `ep` that no URB has taken yet (what the reset-stream request does to
  /// the board's IN FIFO). Returns the bytes dropped; ZLPs dropped count as nothing.
  std::size_t clear_in(std::uint8_t ep);

  /// false: the device NAKs bulk OUT. OUT URBs then stay pending, like IN URBs without data, until the
  /// host discards them (libusb timeout or cancel: the transfer ends TIMED_OUT or CANCELLED, nothing
  /// transferred) or OUT is accepted again. true: the URBs held are accepted in order; their data goes to
  /// the OutHandler on the calling thread (or on the worker thread, if it is delivering at that moment).
  void set_accept_out(bool accept);

  /// The device leaves: pending URBs complete with -ESHUTDOWN (LIBUSB_TRANSFER_NO_DEVICE), every further
  /// ioctl on open handles fails with ENODEV (LIBUSB_ERROR_NO_DEVICE), queued IN data is dropped, and the
  /// "remove" uevent makes libusb drop the device from its list (and fire hot-plug "left"). libusb
  /// handles the uevent on its own thread, so the device leaves its list shortly after, not at once.
  /// No effect when already unplugged.
  void unplug();
  /// The device comes back with the same config after unplug(): the "add" uevent makes libusb enumerate
  /// it again (hot-plug "arrived"). Handles opened before the unplug stay dead (ENODEV), as on a real
  /// bus; open the device again. Counters and handlers are kept. No effect when plugged.
  void replug();
  bool plugged() const;

  MockUsbStats stats() const;
  /// IN URBs submitted and waiting for data, over all endpoints.
  std::size_t pending_in_urbs() const;
  /// OUT URBs held while OUT is not accepted.
  std::size_t pending_out_urbs() const;

  const MockUsbConfig& config() const { return config_; }
  /// "/dev/bus/usb/BBB/DDD"
  const std::string& devnode() const { return devnode_; }
  /// "/sys/devices/usb<B>/<B>-<P>"
  const std::string& syspath() const { return syspath_; }

 private:
  struct State;
  UsbTestbed& testbed_;
  MockUsbConfig config_;
  std::string devnode_;
  std::string syspath_;
  std::shared_ptr<State> state_;  // shared with the ioctl dispatch, which may be running on the worker
};

}  // namespace seedval::testing

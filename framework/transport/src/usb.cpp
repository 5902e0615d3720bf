// The USB transport over libusb's asynchronous API. One event thread per session runs libusb's event
// loop (transfer completions and hot-plug events); callers wait on a condition variable for what the
// callbacks record, so deadlines and stop requests are checked while a transfer is in flight.
//
// Locking: `mutex_` guards the session state. libusb is never called with it held, except by the
// completion callbacks (on the event thread), which resubmit IN transfers after releasing it.
//
// Transfers are never freed while the event thread runs: libusb 1.0.26 may still touch a transfer's
// mutex after its completion callback has returned (libusb issue 1263), so a transfer freed by a waiting
// thread right after its callback is a use after free. The session keeps a pool of transfers, reused,
// and frees them after the event thread has stopped. For the same reason the session never uses
// libusb's synchronous API on its own context: strings are read on a private context while scanning, and
// the reset-stream request goes asynchronously.
#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/core.h>
#include <fmt/ranges.h>
#include <libusb.h>

#include <seedval/core/error.h>
#include <seedval/protocol/frame.h>
#include <seedval/transport/usb.h>
#include <seedval/transport/usb_function.h>

namespace seedval {
namespace {

// A transfer passes from the thread that submits it to the event thread that completes it through the
// kernel (usbfs), which ThreadSanitizer cannot see; these tell it. Nothing in other builds.
#if defined(__SANITIZE_THREAD__)
extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);
int submit(libusb_transfer* t) {
  __tsan_release(t);
  return libusb_submit_transfer(t);
}
void completed(libusb_transfer* t) {
  __tsan_acquire(t);
}
#else
int submit(libusb_transfer* t) {
  return libusb_submit_transfer(t);
}
void completed(libusb_transfer*) {}
#endif

// host-to-device | vendor | interface
constexpr std::uint8_t kResetStreamType = 0x41;
constexpr std::uint16_t kLinuxRootHubVendor = 0x1d6b;
// A partial frame whose rest has not come for this long, at its request's deadline, is taken as damaged.
constexpr Milliseconds kDamagedLengthIdle{100};

std::string usb_error(int code) {
  return libusb_strerror(static_cast<libusb_error>(code));
}

std::string transfer_status(libusb_transfer_status s) {
  switch (s) {
    case LIBUSB_TRANSFER_COMPLETED:
      return "completed";
    case LIBUSB_TRANSFER_ERROR:
      return "transfer error";
    case LIBUSB_TRANSFER_TIMED_OUT:
      return "timed out";
    case LIBUSB_TRANSFER_CANCELLED:
      return "cancelled";
    case LIBUSB_TRANSFER_STALL:
      return "endpoint stalled";
    case LIBUSB_TRANSFER_NO_DEVICE:
      return "device gone";
    case LIBUSB_TRANSFER_OVERFLOW:
      return "overflow (the device sent more than asked)";
  }
  return "unknown status";
}

std::string speed_name(int speed) {
  switch (speed) {
    case LIBUSB_SPEED_LOW:
      return "low";
    case LIBUSB_SPEED_FULL:
      return "full";
    case LIBUSB_SPEED_HIGH:
      return "high";
    case LIBUSB_SPEED_SUPER:
      return "super";
    case LIBUSB_SPEED_SUPER_PLUS:
      return "super+";
    default:
      return "unknown";
  }
}

std::uint16_t parse_id(std::string_view text, std::string_view uri, std::string_view what) {
  std::uint16_t v = 0;
  if (text.empty() || text.size() > 4 ||
      std::from_chars(text.data(), text.data() + text.size(), v, 16).ptr != text.data() + text.size())
    throw InvalidArgumentError(ErrorCode::invalid_argument,
                               fmt::format("{}: the {} must be 1 to 4 hexadecimal digits, got \"{}\" "
                                           "(expected usb:VID:PID[:SERIAL], e.g. usb:1209:5eed)",
                                           uri, what, text));
  return v;
}

struct LibusbContext {
  libusb_context* ctx = nullptr;
  LibusbContext() {
    if (int rc = libusb_init(&ctx); rc != 0)
      throw TransportError(ErrorCode::transport,
                           fmt::format("usb: libusb could not start: {}", usb_error(rc)));
  }
  ~LibusbContext() { libusb_exit(ctx); }
  LibusbContext(const LibusbContext&) = delete;
  LibusbContext& operator=(const LibusbContext&) = delete;
};

struct DeviceList {
  libusb_device** list = nullptr;
  ssize_t count = 0;
  explicit DeviceList(libusb_context* ctx) {
    count = libusb_get_device_list(ctx, &list);
    if (count < 0)
      throw TransportError(ErrorCode::transport,
                           fmt::format("usb: cannot list devices: {}", usb_error(static_cast<int>(count))));
  }
  ~DeviceList() { libusb_free_device_list(list, 1); }
  DeviceList(const DeviceList&) = delete;
  DeviceList& operator=(const DeviceList&) = delete;
  std::span<libusb_device*> devices() const { return {list, static_cast<std::size_t>(count)}; }
};

std::string read_string(libusb_device_handle* h, std::uint8_t index) {
  if (index == 0) return {};
  unsigned char buf[256];
  const int n = libusb_get_string_descriptor_ascii(h, index, buf, sizeof buf);
  return n > 0 ? std::string(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(n)) : std::string();
}

// What can be learnt of one device; opens it briefly for its strings (not claiming anything).
UsbDeviceInfo describe_device(libusb_device* dev) {
  UsbDeviceInfo info;
  libusb_device_descriptor d{};
  libusb_get_device_descriptor(dev, &d);
  info.vendor_id = d.idVendor;
  info.product_id = d.idProduct;
  info.bus = libusb_get_bus_number(dev);
  info.address = libusb_get_device_address(dev);
  std::uint8_t ports[8];
  const int depth = libusb_get_port_numbers(dev, ports, sizeof ports);
  info.port = std::to_string(info.bus);
  for (int i = 0; i < depth; ++i) info.port += (i == 0 ? "-" : ".") + std::to_string(ports[i]);
  info.speed = speed_name(libusb_get_device_speed(dev));
  libusb_device_handle* h = nullptr;
  if (const int rc = libusb_open(dev, &h); rc != 0) {
    info.note = rc == LIBUSB_ERROR_ACCESS ? "no permission to open it" : "cannot open it: " + usb_error(rc);
    return info;
  }
  info.serial = read_string(h, d.iSerialNumber);
  info.manufacturer = read_string(h, d.iManufacturer);
  info.product = read_string(h, d.iProduct);
  libusb_close(h);
  return info;
}

std::string present_list(const std::vector<UsbDeviceInfo>& all) {
  std::vector<std::string> shown;
  for (const auto& d : all)
    if (d.vendor_id != kLinuxRootHubVendor) shown.push_back(d.to_string());
  return shown.empty() ? "no USB devices are present" : fmt::format("present: {}", fmt::join(shown, "; "));
}

}  // namespace

std::string UsbAddress::to_string() const {
  return serial.empty() ? fmt::format("usb:{:04x}:{:04x}", vendor_id, product_id)
                        : fmt::format("usb:{:04x}:{:04x}:{}", vendor_id, product_id, serial);
}

bool is_usb_uri(std::string_view text) noexcept {
  return text.starts_with("usb:");
}

UsbAddress parse_usb_uri(std::string_view uri) {
  if (!is_usb_uri(uri))
    throw InvalidArgumentError(ErrorCode::invalid_argument,
                               fmt::format("{}: not a USB board (expected usb:VID:PID[:SERIAL])", uri));
  std::string_view rest = uri.substr(4);
  const auto c1 = rest.find(':');
  if (c1 == std::string_view::npos)
    throw InvalidArgumentError(
        ErrorCode::invalid_argument,
        fmt::format("{}: missing the product id (expected usb:VID:PID[:SERIAL])", uri));
  UsbAddress a;
  a.vendor_id = parse_id(rest.substr(0, c1), uri, "vendor id");
  rest = rest.substr(c1 + 1);
  const auto c2 = rest.find(':');
  a.product_id = parse_id(rest.substr(0, c2), uri, "product id");
  if (c2 != std::string_view::npos) {
    a.serial = std::string(rest.substr(c2 + 1));
    if (a.serial.empty())
      throw InvalidArgumentError(ErrorCode::invalid_argument,
                                 fmt::format("{}: empty serial number after the last ':'", uri));
  }
  return a;
}

std::string UsbDeviceInfo::to_string() const {
  std::string s = fmt::format("{:04x}:{:04x}", vendor_id, product_id);
  if (!serial.empty()) s += " serial " + serial;
  if (!product.empty()) s += " (" + product + ")";
  s += fmt::format(" on bus {} port {}, {} speed", bus, port, speed);
  if (!note.empty()) s += ", " + note;
  return s;
}

std::vector<UsbDeviceInfo> list_usb_devices() {
  LibusbContext context;
  DeviceList list(context.ctx);
  std::vector<UsbDeviceInfo> out;
  for (libusb_device* dev : list.devices()) out.push_back(describe_device(dev));
  return out;
}

// ---------------------------------------------------------------------------------------------------

class UsbSession::Impl {
 public:
  explicit Impl(UsbOptions options) : options_(std::move(options)) {
    options_.pipeline_depth = std::max<std::size_t>(options_.pipeline_depth, 1);
    options_.in_transfers = std::max<std::size_t>(options_.in_transfers, 1);
    options_.transfer_size = std::max<std::size_t>(options_.transfer_size, 4096);
  }
  ~Impl();

  void start();
  std::uint64_t connect();
  std::string describe() const;
  UsbDeviceInfo device() const {
    std::lock_guard lock(mutex_);
    return info_;
  }
  bool present() const {
    std::lock_guard lock(mutex_);
    return handle_ != nullptr && !unplugged_;
  }
  UsbStats stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
  }

  // The transport's calls, for link `link`.
  void post(std::uint64_t link, std::span<const std::uint8_t> request, Deadline deadline,
            const std::stop_token& stop);
  void collect(std::uint64_t link, std::uint32_t sequence, std::vector<std::uint8_t>& response,
               Deadline deadline, const std::stop_token& stop);
  void discard(std::uint64_t link);
  const UsbOptions& options() const { return options_; }

 private:
  struct OutChunk;
  struct OutBatch {
    std::vector<libusb_transfer*> transfers;
    std::vector<std::unique_ptr<OutChunk>> chunks;
    std::size_t pending = 0;
    std::size_t sent = 0;
    std::string failure;  // the first transfer error
    bool gone = false;
  };
  struct OutChunk {
    Impl* impl;
    OutBatch* batch;
  };

  static void LIBUSB_CALL on_in(libusb_transfer* t);
  static void LIBUSB_CALL on_out(libusb_transfer* t);
  static int LIBUSB_CALL on_hotplug(libusb_context*, libusb_device* dev, libusb_hotplug_event event,
                                    void* self);
  void run_events(const std::stop_token& stop);

  libusb_device* find_locked(std::unique_lock<std::mutex>& lock, UsbDeviceInfo& info);
  void open_locked(std::unique_lock<std::mutex>& lock, libusb_device* dev, UsbDeviceInfo info);
  libusb_transfer* acquire_transfer_locked();
  int control_out(libusb_device_handle* h, std::uint8_t request);
  static void LIBUSB_CALL on_control(libusb_transfer* t);
  void close_locked(std::unique_lock<std::mutex>& lock);
  void reset_stream(libusb_device_handle* h);
  void parse_in_locked();
  void check_link_locked(std::uint64_t link) const;
  [[noreturn]] void throw_gone_locked() const;
  std::string name_locked() const;

  UsbOptions options_;
  libusb_context* ctx_ = nullptr;
  libusb_hotplug_callback_handle hotplug_ = 0;
  bool has_hotplug_ = false;
  std::jthread events_;

  mutable std::mutex mutex_;
  std::condition_variable_any changed_;
  libusb_device_handle* handle_ = nullptr;
  libusb_device* device_ = nullptr;  // libusb_get_device(handle_), compared in hot-plug events
  UsbDeviceInfo info_;
  std::uint8_t ep_out_ = 0, ep_in_ = 0;
  std::uint16_t max_packet_ = 512;
  bool unplugged_ = false;
  bool closing_ = false;
  std::string failure_;     // the link broke (not an unplug); connect() again to recover
  std::uint64_t link_ = 0;  // the current link; older transports fail
  std::uint64_t arrivals_ = 0;
  std::vector<libusb_transfer*> all_transfers_;  // every transfer allocated; freed after the event thread
  std::vector<libusb_transfer*> pool_;           // those free for reuse
  std::vector<libusb_transfer*> in_transfers_;
  std::vector<std::vector<std::uint8_t>> in_buffers_;
  std::size_t in_active_ = 0;
  std::vector<std::uint8_t> in_stream_;  // received bytes; frames are cut from in_pos_
  std::size_t in_pos_ = 0;
  SteadyClock::time_point last_in_{};    // when IN bytes last arrived
  std::set<std::uint32_t> outstanding_;  // sequences posted and not yet collected
  std::map<std::uint32_t, std::vector<std::uint8_t>> responses_;
  UsbStats stats_;
};

class UsbTransport final : public Transport {
 public:
  UsbTransport(std::shared_ptr<UsbSession> session, UsbSession::Impl& impl, std::uint64_t link)
      : session_(std::move(session)), impl_(impl), link_(link), name_(impl.describe()) {}
  ~UsbTransport() override { impl_.discard(link_); }

  std::string describe() const override { return name_; }
  TransportCapabilities capabilities() const override {
    TransportCapabilities c;
    c.max_frame_payload = protocol::kMaxPayload;
    c.hot_plug = true;
    c.pipeline_depth = impl_.options().pipeline_depth;
    return c;
  }
  void exchange_into(std::span<const std::uint8_t> request, std::vector<std::uint8_t>& response,
                     Deadline deadline, std::stop_token stop) override {
    const auto sequence = protocol::peek_sequence(request);
    if (!sequence)
      throw InvalidArgumentError(ErrorCode::invalid_argument, name_ + ": request is not a frame");
    impl_.post(link_, request, deadline, stop);
    impl_.collect(link_, *sequence, response, deadline, stop);
  }
  void post(std::span<const std::uint8_t> request, Deadline deadline, std::stop_token stop) override {
    impl_.post(link_, request, deadline, stop);
  }
  void collect(std::uint32_t sequence, std::vector<std::uint8_t>& response, Deadline deadline,
               std::stop_token stop) override {
    impl_.collect(link_, sequence, response, deadline, stop);
  }
  void discard_posted() override { impl_.discard(link_); }

 private:
  std::shared_ptr<UsbSession> session_;  // keeps the context and its event thread alive
  UsbSession::Impl& impl_;
  std::uint64_t link_;
  std::string name_;
};

void UsbSession::Impl::start() {
  if (int rc = libusb_init(&ctx_); rc != 0)
    throw TransportError(ErrorCode::transport, fmt::format("usb: libusb could not start: {}", usb_error(rc)));
  if (libusb_has_capability(LIBUSB_CAP_HAS_HOTPLUG) != 0) {
    const int rc = libusb_hotplug_register_callback(
        ctx_, LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED | LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT, LIBUSB_HOTPLUG_NO_FLAGS,
        options_.address.vendor_id, options_.address.product_id, LIBUSB_HOTPLUG_MATCH_ANY, &Impl::on_hotplug,
        this, &hotplug_);
    has_hotplug_ = rc == LIBUSB_SUCCESS;
  }
  events_ = std::jthread([this](std::stop_token stop) { run_events(stop); });
}

UsbSession::Impl::~Impl() {
  if (ctx_ == nullptr) return;
  {
    std::unique_lock lock(mutex_);
    if (handle_ != nullptr) close_locked(lock);
  }
  if (has_hotplug_) libusb_hotplug_deregister_callback(ctx_, hotplug_);
  if (events_.joinable()) {
    events_.request_stop();
    libusb_interrupt_event_handler(ctx_);
    events_.join();
  }
  for (libusb_transfer* t : all_transfers_) libusb_free_transfer(t);
  libusb_exit(ctx_);
}

void UsbSession::Impl::run_events(const std::stop_token& stop) {
  while (!stop.stop_requested()) {
    timeval tv{0, 200'000};
    libusb_handle_events_timeout_completed(ctx_, &tv, nullptr);
  }
}

int LIBUSB_CALL UsbSession::Impl::on_hotplug(libusb_context*, libusb_device* dev, libusb_hotplug_event event,
                                             void* self) {
  auto* impl = static_cast<Impl*>(self);
  {
    std::lock_guard lock(impl->mutex_);
    if (event == LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT && dev == impl->device_) impl->unplugged_ = true;
    if (event == LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED) ++impl->arrivals_;
  }
  impl->changed_.notify_all();
  return 0;  // stay registered
}

std::string UsbSession::Impl::describe() const {
  std::lock_guard lock(mutex_);
  return name_locked();
}

std::string UsbSession::Impl::name_locked() const {
  UsbAddress a = options_.address;
  if (a.serial.empty()) a.serial = info_.serial;
  return a.to_string();
}

// The board among the devices present: nullptr, or a new reference on this session's context. The
// strings (serial numbers) are read on a private context, whose synchronous calls handle their own
// events; the board is then taken from this context's list by bus and address.
libusb_device* UsbSession::Impl::find_locked(std::unique_lock<std::mutex>& lock, UsbDeviceInfo& found_info) {
  lock.unlock();
  std::vector<UsbDeviceInfo> matches;
  for (auto& info : list_usb_devices())
    if (info.vendor_id == options_.address.vendor_id && info.product_id == options_.address.product_id &&
        (options_.address.serial.empty() || info.serial == options_.address.serial))
      matches.push_back(std::move(info));
  if (matches.size() > 1) {
    std::vector<std::string> shown;
    for (const auto& m : matches) shown.push_back(m.to_string());
    lock.lock();
    throw InvalidArgumentError(
        ErrorCode::invalid_argument,
        fmt::format("{}: {} boards match; name one by serial (usb:{:04x}:{:04x}:SERIAL): {}", name_locked(),
                    matches.size(), options_.address.vendor_id, options_.address.product_id,
                    fmt::join(shown, "; ")));
  }
  libusb_device* found = nullptr;
  if (!matches.empty()) {
    DeviceList list(ctx_);
    for (libusb_device* dev : list.devices())
      if (libusb_get_bus_number(dev) == matches[0].bus &&
          libusb_get_device_address(dev) == matches[0].address) {
        found = libusb_ref_device(dev);
        found_info = matches[0];
        break;
      }
  }
  lock.lock();
  return found;
}

void UsbSession::Impl::open_locked(std::unique_lock<std::mutex>& lock, libusb_device* dev,
                                   UsbDeviceInfo info) {
  const std::string name = [&] {
    UsbAddress a = options_.address;
    if (a.serial.empty()) a.serial = info.serial;
    return a.to_string();
  }();
  lock.unlock();
  libusb_device_handle* h = nullptr;
  int rc = libusb_open(dev, &h);
  libusb_unref_device(dev);
  auto fail = [&](const std::string& what, int code, ErrorCode ec = ErrorCode::transport) {
    if (h != nullptr) libusb_close(h);
    lock.lock();
    throw TransportError(ec, fmt::format("{}: {}: {}", name, what, usb_error(code)));
  };
  if (rc == LIBUSB_ERROR_ACCESS)
    fail(fmt::format("no permission to open the board at bus {} address {} (install the udev rule in "
                     "docs/transports.md, or run as a user who may)",
                     info.bus, info.address),
         rc);
  if (rc != 0) fail("cannot open the board", rc);
  libusb_set_auto_detach_kernel_driver(h, 1);  // not supported everywhere; a claim failure says more
  const int iface = options_.interface_number;
  libusb_config_descriptor* config = nullptr;
  if (rc = libusb_get_active_config_descriptor(libusb_get_device(h), &config); rc != 0)
    fail("cannot read the active configuration", rc);
  std::uint8_t ep_out = 0, ep_in = 0;
  std::uint16_t max_packet = 0;
  bool vendor_interface = false;
  for (int i = 0; i < config->bNumInterfaces; ++i) {
    const libusb_interface& itf = config->interface[i];
    if (itf.num_altsetting < 1 || itf.altsetting[0].bInterfaceNumber != iface) continue;
    const libusb_interface_descriptor& alt = itf.altsetting[0];
    vendor_interface = alt.bInterfaceClass == usb::kInterfaceClass;
    for (int e = 0; e < alt.bNumEndpoints; ++e) {
      const libusb_endpoint_descriptor& ep = alt.endpoint[e];
      if ((ep.bmAttributes & LIBUSB_TRANSFER_TYPE_MASK) != LIBUSB_TRANSFER_TYPE_BULK) continue;
      if ((ep.bEndpointAddress & LIBUSB_ENDPOINT_DIR_MASK) == LIBUSB_ENDPOINT_IN) {
        if (ep_in == 0) ep_in = ep.bEndpointAddress;
      } else if (ep_out == 0) {
        ep_out = ep.bEndpointAddress;
        max_packet = static_cast<std::uint16_t>(ep.wMaxPacketSize & 0x7ff);
      }
    }
  }
  libusb_free_config_descriptor(config);
  if (ep_in == 0 || ep_out == 0 || !vendor_interface) {
    libusb_close(h);
    lock.lock();
    throw TransportError(
        ErrorCode::transport,
        fmt::format("{}: interface {} is not a SeedChip board interface (expected a vendor-specific "
                    "interface with a bulk IN and a bulk OUT endpoint)",
                    name, iface));
  }
  if (rc = libusb_claim_interface(h, iface); rc != 0)
    fail(rc == LIBUSB_ERROR_BUSY ? fmt::format("interface {} is claimed by another program", iface)
                                 : fmt::format("cannot claim interface {}", iface),
         rc, rc == LIBUSB_ERROR_BUSY ? ErrorCode::busy : ErrorCode::transport);
  // Start both ends on a frame boundary: the board drops whatever a previous host left half sent.
  rc = control_out(h, usb::kRequestResetStream);
  if (rc < 0) {
    libusb_release_interface(h, iface);
    fail("the board refused the reset-stream request", rc);
  }
  lock.lock();
  handle_ = h;
  device_ = libusb_get_device(h);
  info_ = std::move(info);
  ep_out_ = ep_out;
  ep_in_ = ep_in;
  max_packet_ = max_packet == 0 ? 512 : max_packet;
  unplugged_ = false;
  closing_ = false;
  failure_.clear();
  in_stream_.clear();
  in_pos_ = 0;
  outstanding_.clear();
  responses_.clear();
  ++stats_.opens;
  ++stats_.stream_resets;
  // Keep IN transfers queued from now on: the board's answers stream in as they come.
  in_buffers_.assign(options_.in_transfers, std::vector<std::uint8_t>(options_.transfer_size));
  in_transfers_.clear();
  for (auto& buffer : in_buffers_) {
    libusb_transfer* t = acquire_transfer_locked();
    t->flags = 0;
    libusb_fill_bulk_transfer(t, h, ep_in_, buffer.data(), static_cast<int>(buffer.size()), &Impl::on_in,
                              this, 0);
    in_transfers_.push_back(t);
  }
  const auto transfers = in_transfers_;
  in_active_ = transfers.size();
  lock.unlock();
  for (libusb_transfer* t : transfers)
    if (const int src = submit(t); src != 0) {
      std::lock_guard relock(mutex_);
      --in_active_;
      if (src == LIBUSB_ERROR_NO_DEVICE)
        unplugged_ = true;
      else if (failure_.empty())
        failure_ = "cannot queue a bulk IN transfer: " + usb_error(src);
    }
  lock.lock();
}

void UsbSession::Impl::close_locked(std::unique_lock<std::mutex>& lock) {
  closing_ = true;
  const auto transfers = in_transfers_;
  libusb_device_handle* h = handle_;
  lock.unlock();
  for (libusb_transfer* t : transfers) libusb_cancel_transfer(t);
  lock.lock();
  const bool returned = changed_.wait_for(lock, options_.timeouts.cancel, [&] { return in_active_ == 0; });
  if (returned) {
    pool_.insert(pool_.end(), transfers.begin(), transfers.end());
    in_buffers_.clear();
  } else {
    // libusb still holds transfers that will write into these buffers: leaking them beats freeing
    // memory that is still in use.
    (void)new std::vector<std::vector<std::uint8_t>>(std::move(in_buffers_));
  }
  in_transfers_.clear();
  handle_ = nullptr;
  device_ = nullptr;
  lock.unlock();
  libusb_release_interface(h, options_.interface_number);
  libusb_close(h);
  lock.lock();
}

std::uint64_t UsbSession::Impl::connect() {
  std::unique_lock lock(mutex_);
  if (handle_ != nullptr && (unplugged_ || !failure_.empty())) close_locked(lock);
  if (handle_ == nullptr) {
    const Deadline arrival = Deadline::after(options_.timeouts.arrival);
    libusb_device* dev = nullptr;
    UsbDeviceInfo info;
    while ((dev = find_locked(lock, info)) == nullptr) {
      if (arrival.expired()) {
        lock.unlock();
        const std::string present = present_list(list_usb_devices());
        lock.lock();
        throw NotFoundError(ErrorCode::not_found,
                            fmt::format("{}: no such board on this host{}; {}", name_locked(),
                                        options_.timeouts.arrival.count() > 0
                                            ? fmt::format(" (waited {} ms for it to be plugged in)",
                                                          options_.timeouts.arrival.count())
                                            : "",
                                        present));
      }
      // Hot-plug wakes this at once; the poll covers hosts without hot-plug events.
      const std::uint64_t seen = arrivals_;
      changed_.wait_until(lock, std::min(arrival.time_point(), SteadyClock::now() + Milliseconds{250}),
                          [&] { return arrivals_ != seen; });
    }
    open_locked(lock, dev, std::move(info));
  }
  outstanding_.clear();
  responses_.clear();
  return ++link_;
}

void UsbSession::Impl::check_link_locked(std::uint64_t link) const {
  if (link != link_)
    throw TransportError(ErrorCode::transport,
                         fmt::format("{}: this link was closed when a newer one was opened", name_locked()));
  if (unplugged_ || handle_ == nullptr) throw_gone_locked();
  if (!failure_.empty())
    throw TransportError(ErrorCode::transport,
                         fmt::format("{}: the link failed: {}", name_locked(), failure_));
}

void UsbSession::Impl::throw_gone_locked() const {
  throw TransportError(ErrorCode::transport,
                       fmt::format("{}: the board was unplugged (it was on bus {} port {})", name_locked(),
                                   info_.bus, info_.port));
}

void LIBUSB_CALL UsbSession::Impl::on_in(libusb_transfer* t) {
  completed(t);
  auto* impl = static_cast<Impl*>(t->user_data);
  bool resubmit = false;
  {
    std::lock_guard lock(impl->mutex_);
    switch (t->status) {
      case LIBUSB_TRANSFER_COMPLETED:
        if (t->actual_length == 0) {
          ++impl->stats_.zero_length_packets_in;
        } else {
          impl->last_in_ = SteadyClock::now();
          impl->in_stream_.insert(impl->in_stream_.end(), t->buffer, t->buffer + t->actual_length);
          impl->parse_in_locked();
        }
        resubmit = !impl->closing_;
        break;
      case LIBUSB_TRANSFER_NO_DEVICE:
        impl->unplugged_ = true;
        break;
      case LIBUSB_TRANSFER_CANCELLED:
        break;
      default:
        if (!impl->closing_ && impl->failure_.empty())
          impl->failure_ = "bulk IN: " + transfer_status(t->status);
        break;
    }
    if (!resubmit) --impl->in_active_;
  }
  if (resubmit) {
    if (const int rc = submit(t); rc != 0) {
      std::lock_guard lock(impl->mutex_);
      --impl->in_active_;
      if (rc == LIBUSB_ERROR_NO_DEVICE)
        impl->unplugged_ = true;
      else if (impl->failure_.empty())
        impl->failure_ = "cannot queue a bulk IN transfer: " + usb_error(rc);
    }
  }
  impl->changed_.notify_all();
}

// Cuts every complete frame off the IN stream. A response to a request still waited for is kept; any
// other (a late answer to a request that timed out) is dropped. Bytes that cannot start a frame are
// skipped up to the next frame magic.
void UsbSession::Impl::parse_in_locked() {
  for (auto frame = usb::next_frame(in_stream_, in_pos_, stats_.skipped_bytes); !frame.empty();
       frame = usb::next_frame(in_stream_, in_pos_, stats_.skipped_bytes)) {
    const std::uint32_t sequence = *protocol::peek_sequence(frame);
    if (outstanding_.contains(sequence)) {
      responses_.insert_or_assign(sequence, std::vector<std::uint8_t>(frame.begin(), frame.end()));
      ++stats_.frames_in;
    } else {
      ++stats_.late_responses;
    }
  }
  if (in_pos_ == in_stream_.size()) {
    in_stream_.clear();
    in_pos_ = 0;
  } else if (in_pos_ > (4u << 20)) {
    in_stream_.erase(in_stream_.begin(), in_stream_.begin() + static_cast<std::ptrdiff_t>(in_pos_));
    in_pos_ = 0;
  }
}

void LIBUSB_CALL UsbSession::Impl::on_out(libusb_transfer* t) {
  completed(t);
  auto* chunk = static_cast<OutChunk*>(t->user_data);
  Impl* impl = chunk->impl;
  {
    std::lock_guard lock(impl->mutex_);
    OutBatch& b = *chunk->batch;
    b.sent += static_cast<std::size_t>(t->actual_length);
    if (t->status == LIBUSB_TRANSFER_NO_DEVICE) {
      b.gone = true;
      impl->unplugged_ = true;
    } else if (t->status != LIBUSB_TRANSFER_COMPLETED && t->status != LIBUSB_TRANSFER_CANCELLED &&
               b.failure.empty()) {
      b.failure = "bulk OUT: " + transfer_status(t->status);
    }
    --b.pending;
  }
  impl->changed_.notify_all();
}

void UsbSession::Impl::reset_stream(libusb_device_handle* h) {
  const int rc = control_out(h, usb::kRequestResetStream);
  std::lock_guard lock(mutex_);
  ++stats_.stream_resets;
  if (rc < 0 && failure_.empty())
    failure_ =
        fmt::format("a request was abandoned half sent and the board refused the reset-stream request ({})",
                    usb_error(rc));
}

namespace {
// One asynchronous control request: its setup packet, and what its callback recorded.
struct ControlCall {
  std::array<unsigned char, LIBUSB_CONTROL_SETUP_SIZE> setup{};
  std::mutex* mutex = nullptr;
  std::condition_variable_any* changed = nullptr;
  bool done = false;
  libusb_transfer_status status = LIBUSB_TRANSFER_COMPLETED;
};
}  // namespace

void LIBUSB_CALL UsbSession::Impl::on_control(libusb_transfer* t) {
  completed(t);
  auto* call = static_cast<ControlCall*>(t->user_data);
  {
    std::lock_guard lock(*call->mutex);
    call->status = t->status;
    call->done = true;
  }
  call->changed->notify_all();
}

// A vendor request to the interface, host to device, without data, within the control timeout. Returns
// 0 or a libusb error code. Asynchronous, on a pooled transfer: see the note at the top.
int UsbSession::Impl::control_out(libusb_device_handle* h, std::uint8_t request) {
  auto call = std::make_unique<ControlCall>();
  call->mutex = &mutex_;
  call->changed = &changed_;
  std::unique_lock lock(mutex_);
  libusb_transfer* t = acquire_transfer_locked();
  lock.unlock();
  libusb_fill_control_setup(call->setup.data(), kResetStreamType, request, 0,
                            static_cast<std::uint16_t>(options_.interface_number), 0);
  libusb_fill_control_transfer(t, h, call->setup.data(), &Impl::on_control, call.get(),
                               static_cast<unsigned>(options_.timeouts.control.count()));
  t->flags = 0;
  if (const int rc = submit(t); rc != 0) {
    lock.lock();
    pool_.push_back(t);
    return rc;
  }
  lock.lock();
  // libusb ends the transfer at the control timeout; the extra second only guards against a lost callback.
  if (!changed_.wait_for(lock, options_.timeouts.control + Milliseconds{1000}, [&] { return call->done; })) {
    (void)call.release();  // libusb still owns the transfer, which points into the call
    return LIBUSB_ERROR_TIMEOUT;
  }
  pool_.push_back(t);
  switch (call->status) {
    case LIBUSB_TRANSFER_COMPLETED:
      return 0;
    case LIBUSB_TRANSFER_TIMED_OUT:
      return LIBUSB_ERROR_TIMEOUT;
    case LIBUSB_TRANSFER_STALL:
      return LIBUSB_ERROR_PIPE;
    case LIBUSB_TRANSFER_NO_DEVICE:
      return LIBUSB_ERROR_NO_DEVICE;
    default:
      return LIBUSB_ERROR_IO;
  }
}

libusb_transfer* UsbSession::Impl::acquire_transfer_locked() {
  if (!pool_.empty()) {
    libusb_transfer* t = pool_.back();
    pool_.pop_back();
    return t;
  }
  libusb_transfer* t = libusb_alloc_transfer(0);
  if (t == nullptr) throw std::bad_alloc();
  all_transfers_.push_back(t);
  return t;
}

void UsbSession::Impl::post(std::uint64_t link, std::span<const std::uint8_t> request, Deadline deadline,
                            const std::stop_token& stop) {
  const auto sequence = protocol::peek_sequence(request);
  if (!sequence)
    throw InvalidArgumentError(ErrorCode::invalid_argument, describe() + ": request is not a frame");
  auto owned = std::make_unique<OutBatch>();
  OutBatch& batch = *owned;
  std::unique_lock lock(mutex_);
  check_link_locked(link);
  if (stop.stop_requested())
    throw CancelledError(ErrorCode::cancelled, fmt::format("{}: cancelled", name_locked()));
  if (deadline.expired())
    throw TimeoutError(ErrorCode::timeout, fmt::format("{}: deadline passed before sending", name_locked()));
  if (outstanding_.size() >= options_.pipeline_depth)
    throw InternalError(ErrorCode::internal, fmt::format("{}: more than {} requests posted at once",
                                                         name_locked(), options_.pipeline_depth));
  outstanding_.insert(*sequence);
  responses_.erase(*sequence);
  libusb_device_handle* h = handle_;
  // The frame goes out from where it lies, in transfers of transfer_size; the last one ends with a
  // zero-length packet when it fills its last packet, so the board's read ends with the frame.
  const std::size_t step = options_.transfer_size;
  for (std::size_t at = 0; at < request.size(); at += step) {
    const std::size_t n = std::min(step, request.size() - at);
    libusb_transfer* t = acquire_transfer_locked();
    t->flags = 0;
    batch.chunks.push_back(std::make_unique<OutChunk>(OutChunk{this, &batch}));
    libusb_fill_bulk_transfer(t, h, ep_out_, const_cast<unsigned char*>(request.data() + at),
                              static_cast<int>(n), &Impl::on_out, batch.chunks.back().get(), 0);
    if (at + n == request.size()) t->flags |= LIBUSB_TRANSFER_ADD_ZERO_PACKET;
    batch.transfers.push_back(t);
  }
  batch.pending = batch.transfers.size();
  ++stats_.frames_out;
  lock.unlock();
  std::size_t submitted = 0;
  std::string submit_error;
  for (libusb_transfer* t : batch.transfers) {
    if (const int rc = submit(t); rc != 0) {
      submit_error = rc == LIBUSB_ERROR_NO_DEVICE ? "" : "cannot queue a bulk OUT transfer: " + usb_error(rc);
      break;
    }
    ++submitted;
  }
  lock.lock();
  batch.pending -= batch.transfers.size() - submitted;
  if (submitted < batch.transfers.size() && submit_error.empty()) batch.gone = unplugged_ = true;
  // Wait for the board to take the frame; it reads continuously, so this is quick unless it hangs.
  const bool done = changed_.wait_until(lock, stop, deadline.time_point(), [&] {
    return batch.pending == 0 || unplugged_ || !submit_error.empty();
  });
  const bool complete = done && batch.pending == 0 && batch.sent == request.size();
  if (!complete) {
    // Take back what is still queued, then put the board back on a frame boundary.
    lock.unlock();
    for (std::size_t i = 0; i < submitted; ++i) libusb_cancel_transfer(batch.transfers[i]);
    lock.lock();
    const bool returned =
        changed_.wait_for(lock, options_.timeouts.cancel, [&] { return batch.pending == 0; });
    outstanding_.erase(*sequence);
    if (!returned) {
      // libusb still owns transfers whose completion will write to `batch` (usbfs copied the data at
      // submission, so `request` is not read again): leak the batch rather than free it under libusb.
      (void)owned.release();
      failure_ = "bulk OUT transfers did not return after cancellation";
      throw TransportError(ErrorCode::transport,
                           fmt::format("{}: the link failed: {}", name_locked(), failure_));
    }
    pool_.insert(pool_.end(), batch.transfers.begin(), batch.transfers.end());
    const bool gone = batch.gone || unplugged_;
    const std::string failure = !submit_error.empty() ? submit_error : batch.failure;
    if (!gone && batch.sent > 0 && failure_.empty()) {
      lock.unlock();
      reset_stream(h);
      lock.lock();
    }
    if (gone) throw_gone_locked();
    if (!failure.empty()) {
      if (failure_.empty()) failure_ = failure;
      throw TransportError(ErrorCode::transport, fmt::format("{}: {}", name_locked(), failure));
    }
    if (stop.stop_requested())
      throw CancelledError(ErrorCode::cancelled, fmt::format("{}: cancelled while sending", name_locked()));
    throw TimeoutError(ErrorCode::timeout,
                       fmt::format("{}: the board did not take the request ({} of {} bytes sent)",
                                   name_locked(), batch.sent, request.size()));
  }
  pool_.insert(pool_.end(), batch.transfers.begin(), batch.transfers.end());
}

void UsbSession::Impl::collect(std::uint64_t link, std::uint32_t sequence,
                               std::vector<std::uint8_t>& response, Deadline deadline,
                               const std::stop_token& stop) {
  std::unique_lock lock(mutex_);
  if (!outstanding_.contains(sequence))
    throw InternalError(ErrorCode::internal,
                        fmt::format("{}: no request with sequence {} was posted", name_locked(), sequence));
  const std::uint64_t skipped = stats_.skipped_bytes;
  const auto ready = [&] {
    return responses_.contains(sequence) || link != link_ || unplugged_ || handle_ == nullptr ||
           !failure_.empty();
  };
  changed_.wait_until(lock, stop, deadline.time_point(), ready);
  if (!ready() && !stop.stop_requested() && in_pos_ < in_stream_.size() &&
      SteadyClock::now() - last_in_ >= kDamagedLengthIdle) {
    // The deadline passed with part of a frame waiting for the rest, and nothing has come for a while.
    // The board sends frames whole, so a frame whose rest does not come has a damaged length: skip its
    // first byte and look again for frames in what came after (the answer waited for may be among
    // them). While bytes still flow the frame may just be long and the link slow: a plain timeout.
    ++stats_.skipped_bytes;
    ++in_pos_;
    parse_in_locked();
  }
  if (auto it = responses_.find(sequence); it != responses_.end()) {
    response.swap(it->second);
    responses_.erase(it);
    outstanding_.erase(sequence);
    return;
  }
  outstanding_.erase(sequence);  // its answer, if it still comes, is dropped
  check_link_locked(link);
  if (stop.stop_requested())
    throw CancelledError(ErrorCode::cancelled,
                         fmt::format("{}: cancelled while waiting for the answer", name_locked()));
  const std::string lost = stats_.skipped_bytes == skipped
                               ? std::string()
                               : fmt::format(" ({} bytes of the IN stream were skipped as damaged)",
                                             stats_.skipped_bytes - skipped);
  throw TimeoutError(ErrorCode::timeout, fmt::format("{}: no answer in time{}", name_locked(), lost));
}

void UsbSession::Impl::discard(std::uint64_t link) {
  std::lock_guard lock(mutex_);
  if (link != link_) return;
  outstanding_.clear();
  responses_.clear();
}

// ---------------------------------------------------------------------------------------------------

UsbSession::UsbSession(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
UsbSession::~UsbSession() = default;

std::shared_ptr<UsbSession> UsbSession::open(const UsbOptions& options) {
  auto impl = std::make_unique<Impl>(options);
  impl->start();
  std::shared_ptr<UsbSession> session(new UsbSession(std::move(impl)));
  session->impl_->connect();  // finds, opens and claims the board now, so errors surface at open
  return session;
}

std::unique_ptr<Transport> UsbSession::connect() {
  const std::uint64_t link = impl_->connect();
  return std::make_unique<UsbTransport>(shared_from_this(), *impl_, link);
}

UsbDeviceInfo UsbSession::device() const {
  return impl_->device();
}
bool UsbSession::present() const {
  return impl_->present();
}
UsbStats UsbSession::stats() const {
  return impl_->stats();
}
std::string UsbSession::describe() const {
  return impl_->describe();
}

}  // namespace seedval

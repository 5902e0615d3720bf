#include "mock_usb.h"

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <span>
#include <stdexcept>
#include <utility>

#include <endian.h>
#include <fcntl.h>
#include <linux/ioctl.h>
#include <linux/usbdevice_fs.h>
#include <sys/stat.h>
#include <umockdev.h>
#include <unistd.h>

namespace seedval::testing {
namespace {

// Answers the ioctls of one device node; runs on umockdev's worker thread.
using IoctlTarget = std::function<void(UMockdevIoctlClient* client)>;

bool trace_enabled() {
  static const bool trace = std::getenv("SEEDVAL_MOCKUSB_TRACE") != nullptr;
  return trace;
}

void put_le16(std::vector<std::uint8_t>& v, std::uint16_t x) {
  v.push_back(static_cast<std::uint8_t>(x & 0xff));
  v.push_back(static_cast<std::uint8_t>(x >> 8));
}

std::string hex(const std::vector<std::uint8_t>& v) {
  static const char digits[] = "0123456789abcdef";
  std::string s;
  for (std::uint8_t c : v) {
    s += digits[c >> 4];
    s += digits[c & 0xf];
  }
  return s;
}

std::string three_digits(unsigned n) {
  char b[8];
  std::snprintf(b, sizeof b, "%03u", n);
  return b;
}

std::string hex4(unsigned n) {
  char b[8];
  std::snprintf(b, sizeof b, "%04x", n);
  return b;
}

// A local copy of the memory an ioctl argument points to (a new reference), or nullptr. Only valid
// inside the handler of the ioctl being answered: it talks to the blocked client.
UMockdevIoctlData* resolve(UMockdevIoctlData* d, std::size_t offset, std::size_t len) {
  GError* err = nullptr;
  UMockdevIoctlData* r = umockdev_ioctl_data_resolve(d, offset, len, &err);
  if (err) {
    if (trace_enabled()) std::fprintf(stderr, "mock usb: resolve failed: %s\n", err->message);
    g_error_free(err);
    return nullptr;
  }
  return r;
}

void complete(UMockdevIoctlClient* client, long result, int error) {
  umockdev_ioctl_client_complete(client, result, error);
}

const char* ioctl_name(gulong request) {
  switch (request) {
#define SEEDVAL_IOCTL_NAME(x) \
  case x:                     \
    return #x;
    SEEDVAL_IOCTL_NAME(USBDEVFS_SUBMITURB)
    SEEDVAL_IOCTL_NAME(USBDEVFS_REAPURB)
    SEEDVAL_IOCTL_NAME(USBDEVFS_REAPURBNDELAY)
    SEEDVAL_IOCTL_NAME(USBDEVFS_DISCARDURB)
    SEEDVAL_IOCTL_NAME(USBDEVFS_GET_CAPABILITIES)
    SEEDVAL_IOCTL_NAME(USBDEVFS_CLAIMINTERFACE)
    SEEDVAL_IOCTL_NAME(USBDEVFS_RELEASEINTERFACE)
    SEEDVAL_IOCTL_NAME(USBDEVFS_CONNECTINFO)
    SEEDVAL_IOCTL_NAME(USBDEVFS_GET_SPEED)
    SEEDVAL_IOCTL_NAME(USBDEVFS_GETDRIVER)
    SEEDVAL_IOCTL_NAME(USBDEVFS_IOCTL)
    SEEDVAL_IOCTL_NAME(USBDEVFS_SETINTERFACE)
    SEEDVAL_IOCTL_NAME(USBDEVFS_SETCONFIGURATION)
    SEEDVAL_IOCTL_NAME(USBDEVFS_CLEAR_HALT)
    SEEDVAL_IOCTL_NAME(USBDEVFS_RESETEP)
    SEEDVAL_IOCTL_NAME(USBDEVFS_RESET)
#undef SEEDVAL_IOCTL_NAME
    default:
      return "?";
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------------
// UsbTestbed

struct UsbTestbed::Impl {
  UMockdevTestbed* testbed = nullptr;
  // One handler object for every device node; the node an ioctl is for comes with the client.
  UMockdevIoctlBase* ioctl = nullptr;
  std::string root;

  // The device at each node. When a MockUsbDevice goes, its state stays here, unplugged, for the
  // handles still open on the node: they must still reap the URBs that the unplug completed, or libusb
  // never ends those transfers (it treats a failed reap as "nothing yet"; only POLLERR, which a FIFO
  // cannot give, would make it drop the handle). The next device at the node takes them over.
  struct Node {
    IoctlTarget target;
    std::shared_ptr<void> owner;  // the MockUsbDevice::State behind `target`
  };

  std::mutex mutex;                   // guards the members below
  std::map<std::string, Node> nodes;  // device node -> the device there (or the one that was)
  std::set<std::string> attached;     // nodes with the handler attached: once per node, for good
  std::set<std::string> taken;        // "node:...", "sys:..." of the devices that exist

  static gboolean on_ioctl(UMockdevIoctlBase*, UMockdevIoctlClient* client, gpointer self) {
    // An exception must not unwind into umockdev's C code, and the libusb thread would wait forever
    // for the answer: a handler that throws is a bug in the test, reported as loudly as possible.
    try {
      static_cast<Impl*>(self)->dispatch(client);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "mock usb: exception in a device callback: %s\n", e.what());
      std::abort();
    } catch (...) {
      std::fprintf(stderr, "mock usb: exception in a device callback\n");
      std::abort();
    }
    return TRUE;  // every path completes the client
  }

  void dispatch(UMockdevIoctlClient* client) {
    const std::string node = umockdev_ioctl_client_get_devnode(client);
    IoctlTarget target;
    {
      std::lock_guard lock(mutex);
      if (auto it = nodes.find(node); it != nodes.end()) target = it->second.target;
    }
    if (target) {
      target(client);
    } else {
      complete(client, -1, ENODEV);
    }
  }

  // Routes the ioctls of `node` to the dispatch. Done once per node and never undone:
  // umockdev_testbed_detach_ioctl() races with the worker thread, and a node comes back on replug or
  // with the next device at the same address.
  void attach_once(const std::string& node) {
    {
      std::lock_guard lock(mutex);
      if (attached.count(node)) return;
    }
    GError* err = nullptr;
    if (!umockdev_testbed_attach_ioctl(testbed, node.c_str(), ioctl, &err)) {
      const std::string why = err ? err->message : "unknown error";
      if (err) g_error_free(err);
      throw std::runtime_error("mock usb: cannot attach the ioctl handler to " + node + ": " + why);
    }
    std::lock_guard lock(mutex);
    attached.insert(node);
  }
};

UsbTestbed::UsbTestbed() : impl_(std::make_unique<Impl>()) {
  // Sets $UMOCKDEV_DIR, which the preload library reads on every call it intercepts, and starts the
  // worker thread that serves the ioctl sockets.
  impl_->testbed = umockdev_testbed_new();
  if (!impl_->testbed) throw std::runtime_error("mock usb: cannot create the umockdev testbed");
  gchar* root = umockdev_testbed_get_root_dir(impl_->testbed);
  impl_->root = root;
  g_free(root);
  impl_->ioctl = umockdev_ioctl_base_new();
  g_signal_connect(impl_->ioctl, "handle-ioctl", G_CALLBACK(&Impl::on_ioctl), impl_.get());
}

UsbTestbed::~UsbTestbed() {
  {
    // The states of the devices gone (libusb has exited: nobody uses them), while umockdev still runs.
    std::map<std::string, Impl::Node> nodes;
    std::lock_guard lock(impl_->mutex);
    nodes.swap(impl_->nodes);
  }
  // Joins the worker thread, so no handler runs any more when the handler object goes.
  g_object_unref(impl_->testbed);
  g_object_unref(impl_->ioctl);
}

std::string UsbTestbed::root() const {
  return impl_->root;
}

// ---------------------------------------------------------------------------------------------------
// MockUsbDevice::State: everything the worker thread touches, kept alive by the dispatch while a
// handler runs even if the MockUsbDevice goes meanwhile.

struct MockUsbDevice::State {
  struct Urb {
    UMockdevIoctlData* data = nullptr;  // our reference on the resolved usbdevfs_urb (+ its buffer)
    UMockdevIoctlClient* client = nullptr;
    int status = 0;
    int actual_length = 0;

    usbdevfs_urb* urb() const { return reinterpret_cast<usbdevfs_urb*>(data->data); }
    std::uint8_t* buffer() const { return static_cast<std::uint8_t*>(urb()->buffer); }
  };

  MockUsbConfig config;
  std::string devnode;
  std::string node_path;  // the FIFO in the testbed root
  bool trace = trace_enabled();

  mutable std::mutex mutex;  // guards everything below
  OutHandler out_handler;
  ControlHandler control_handler;
  std::map<std::uint8_t, std::deque<Urb>> pending_in;   // per endpoint, waiting for data
  std::map<std::uint8_t, std::deque<Urb>> pending_out;  // per endpoint, while OUT is not accepted
  std::map<std::uint8_t, std::deque<std::vector<std::uint8_t>>> in_data;
  std::deque<Urb> reapable;
  std::deque<std::pair<std::uint8_t, std::vector<std::uint8_t>>> deliveries;  // for the OutHandler
  bool delivering = false;  // some thread is running the OutHandler; it takes the new deliveries too
  bool accept_out = true;
  bool plugged = false;
  int fifo_fd = -1;  // our end of the FIFO that backs the device node
  MockUsbStats stats;
  // Clients (open device fds) seen since the last replug, and those from before it, which stay dead as
  // their fd would after a real disconnect. We hold a reference on each so that its address is not
  // reused by a new client.
  std::set<UMockdevIoctlClient*> live_clients;
  std::set<UMockdevIoctlClient*> dead_clients;
  UMockdevIoctlClient* claimed_by = nullptr;  // the client holding interface 0 (one of live_clients)

  ~State() {
    for (auto* queues : {&pending_in, &pending_out})
      for (auto& [ep, q] : *queues)
        for (auto& u : q) g_object_unref(u.data);
    for (auto& u : reapable) g_object_unref(u.data);
    for (auto* c : live_clients) g_object_unref(c);
    for (auto* c : dead_clients) g_object_unref(c);
    if (fifo_fd >= 0) ::close(fifo_fd);
  }

  // Takes over what the previous device at this node left for the handles still open there: they
  // are dead here, may reap their URBs, and poll the same FIFO.
  void adopt(State& previous) {
    std::lock_guard lock(previous.mutex);
    for (auto* clients : {&previous.live_clients, &previous.dead_clients}) {
      dead_clients.merge(*clients);
      for (auto* c : *clients) g_object_unref(c);  // already held here
      clients->clear();
    }
    for (auto& u : previous.reapable) reapable.push_back(u);
    previous.reapable.clear();
    std::swap(fifo_fd, previous.fifo_fd);
  }

  // usbfs poll rule on the FIFO: POLLOUT (buffer not full) <=> an URB is waiting to be reaped.
  void update_poll_locked() {
    char buf[4096];
    if (reapable.empty()) {
      std::memset(buf, 0, sizeof buf);
      while (::write(fifo_fd, buf, sizeof buf) > 0) {
      }
    } else {
      while (::read(fifo_fd, buf, sizeof buf) > 0) {
      }
    }
  }

  // Makes sure the FIFO exists at the node path and fifo_fd is its open end. umockdev 0.17.16's
  // remove_device() leaves it in place (checked), so a replug normally keeps it; if it is gone or
  // replaced all the same, it is made again.
  void ensure_fifo() {
    struct stat node {};
    struct stat ours {};
    const bool exists = ::lstat(node_path.c_str(), &node) == 0;
    if (exists && S_ISFIFO(node.st_mode) && fifo_fd >= 0 && ::fstat(fifo_fd, &ours) == 0 &&
        ours.st_dev == node.st_dev && ours.st_ino == node.st_ino)
      return;
    if (exists && ::unlink(node_path.c_str()) != 0)
      throw std::runtime_error("mock usb: cannot replace " + node_path + ": " + std::strerror(errno));
    const std::string dir = node_path.substr(0, node_path.rfind('/'));
    if (g_mkdir_with_parents(dir.c_str(), 0755) != 0)
      throw std::runtime_error("mock usb: cannot create " + dir + ": " + std::strerror(errno));
    if (::mkfifo(node_path.c_str(), 0666) != 0)
      throw std::runtime_error("mock usb: cannot create the FIFO " + node_path + ": " + std::strerror(errno));
    const int fd = ::open(node_path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error("mock usb: cannot open " + node_path + ": " + std::strerror(errno));
    ::fcntl(fd, F_SETPIPE_SZ, 4096);  // one page: cheap to fill and to drain
    std::lock_guard lock(mutex);
    if (fifo_fd >= 0) ::close(fifo_fd);
    fifo_fd = fd;
    update_poll_locked();
  }

  void trace_ioctl(gulong request) const {
    if (trace)
      std::fprintf(stderr, "mock usb %s: %s (0x%lx)\n", devnode.c_str(), ioctl_name(request), request);
  }

  // ---- the ioctl handler (worker thread) ----

  void handle(UMockdevIoctlClient* client) {
    const gulong request = umockdev_ioctl_client_get_request(client);
    UMockdevIoctlData* arg = umockdev_ioctl_client_get_arg(client);  // borrowed
    trace_ioctl(request);

    bool dead = true;
    {
      std::lock_guard lock(mutex);
      if (!dead_clients.count(client)) {
        if (live_clients.insert(client).second) g_object_ref(client);
        dead = !plugged;
      }
    }

    switch (request) {
      case USBDEVFS_REAPURB:  // libusb only uses NDELAY; never block the worker
      case USBDEVFS_REAPURBNDELAY:
        return reap_urb(client, arg);
      case USBDEVFS_DISCARDURB:
        return discard_urb(client, arg);
      default:
        break;
    }
    if (dead) return complete(client, -1, ENODEV);

    switch (request) {
      case USBDEVFS_SUBMITURB:
        return submit_urb(client, arg);
      case USBDEVFS_GET_CAPABILITIES: {
        // Scatter-gather: libusb submits each bulk transfer as one URB.
        UMockdevIoctlData* d = resolve(arg, 0, sizeof(std::uint32_t));
        if (!d) return complete(client, -1, EFAULT);
        const std::uint32_t caps = USBDEVFS_CAP_ZERO_PACKET | USBDEVFS_CAP_BULK_SCATTER_GATHER |
                                   USBDEVFS_CAP_NO_PACKET_SIZE_LIM | USBDEVFS_CAP_REAP_AFTER_DISCONNECT;
        std::memcpy(d->data, &caps, sizeof caps);
        complete(client, 0, 0);  // writes d back to the client
        g_object_unref(d);
        return;
      }
      case USBDEVFS_CLAIMINTERFACE:
      case USBDEVFS_RELEASEINTERFACE: {
        UMockdevIoctlData* d = resolve(arg, 0, sizeof(unsigned int));
        if (!d) return complete(client, -1, EFAULT);
        unsigned int interface = 0;
        std::memcpy(&interface, d->data, sizeof interface);
        g_object_unref(d);
        if (interface != 0) return complete(client, -1, EINVAL);
        // As usbfs: one open file claims the interface; another gets EBUSY until it is released or
        // that file is closed (its client disconnected).
        std::unique_lock lock(mutex);
        if (request == USBDEVFS_RELEASEINTERFACE) {
          if (claimed_by == client) claimed_by = nullptr;
        } else if (claimed_by != nullptr && claimed_by != client &&
                   umockdev_ioctl_client_get_connected(claimed_by)) {
          lock.unlock();
          return complete(client, -1, EBUSY);
        } else {
          claimed_by = client;
        }
        lock.unlock();
        return complete(client, 0, 0);
      }
      case USBDEVFS_CONNECTINFO: {
        UMockdevIoctlData* d = resolve(arg, 0, sizeof(usbdevfs_connectinfo));
        if (!d) return complete(client, -1, EFAULT);
        auto* info = reinterpret_cast<usbdevfs_connectinfo*>(d->data);
        info->devnum = config.devnum;
        info->slow = 0;
        complete(client, 0, 0);
        g_object_unref(d);
        return;
      }
      case USBDEVFS_GET_SPEED:
        return complete(client, USB_SPEED_HIGH, 0);
      case USBDEVFS_GETDRIVER:  // no kernel driver bound
      case USBDEVFS_IOCTL:      // kernel driver connect/disconnect
        return complete(client, -1, ENODATA);
      case USBDEVFS_SETINTERFACE:
      case USBDEVFS_SETCONFIGURATION:
      case USBDEVFS_CLEAR_HALT:
      case USBDEVFS_RESETEP:
      case USBDEVFS_RESET:
        return complete(client, 0, 0);
      default:
        if (trace) std::fprintf(stderr, "mock usb %s: unhandled ioctl 0x%lx\n", devnode.c_str(), request);
        return complete(client, -1, ENOTTY);
    }
  }

  void submit_urb(UMockdevIoctlClient* client, UMockdevIoctlData* arg) {
    Urb u;
    u.client = client;
    u.data = resolve(arg, 0, sizeof(usbdevfs_urb));  // kept until reaped
    if (!u.data) return complete(client, -1, EFAULT);
    usbdevfs_urb* k = u.urb();
    if (k->buffer_length < 0) {
      g_object_unref(u.data);
      return complete(client, -1, EINVAL);
    }
    if (k->buffer_length > 0) {
      // Afterwards k->buffer points to a local copy of the client's buffer; the parent keeps it.
      UMockdevIoctlData* b =
          resolve(u.data, offsetof(usbdevfs_urb, buffer), static_cast<std::size_t>(k->buffer_length));
      if (!b) {
        g_object_unref(u.data);
        return complete(client, -1, EFAULT);
      }
      g_object_unref(b);
    }

    if (k->type == USBDEVFS_URB_TYPE_CONTROL) {
      control_urb(u);  // calls the ControlHandler without the lock
      std::lock_guard lock(mutex);
      reapable.push_back(u);
      update_poll_locked();
    } else if (k->endpoint & USB_DIR_IN) {
      std::unique_lock lock(mutex);
      if (!plugged) return refuse_unplugged(lock, client, u);
      pending_in[k->endpoint].push_back(u);
      fill_pending_in_locked();
    } else {
      std::unique_lock lock(mutex);
      if (!plugged) return refuse_unplugged(lock, client, u);
      if (accept_out) {
        accept_out_locked(u);
      } else {
        pending_out[k->endpoint].push_back(u);  // NAK: waits like an IN URB without data
      }
      lock.unlock();
      complete(client, 0, 0);
      return deliver_out();  // after completing, so that libusb is not kept waiting on the handler
    }
    complete(client, 0, 0);
  }

  // Unplugged between the check in handle() and now: the URB would wait forever.
  void refuse_unplugged(std::unique_lock<std::mutex>& lock, UMockdevIoctlClient* client, const Urb& u) {
    lock.unlock();
    g_object_unref(u.data);
    complete(client, -1, ENODEV);
  }

  void accept_out_locked(Urb u) {
    const usbdevfs_urb* k = u.urb();
    deliveries.emplace_back(k->endpoint,
                            std::vector<std::uint8_t>(u.buffer(), u.buffer() + k->buffer_length));
    u.status = 0;
    u.actual_length = k->buffer_length;
    ++stats.out_urbs;
    stats.out_bytes += static_cast<std::uint64_t>(k->buffer_length);
    reapable.push_back(u);
    update_poll_locked();
  }

  // Runs the OutHandler on the accepted data, in order and one call at a time, without the lock (the
  // handler may call queue_in() and the like). A thread that finds another one delivering leaves its
  // data to that one.
  void deliver_out() {
    std::unique_lock lock(mutex);
    if (delivering) return;
    delivering = true;
    while (!deliveries.empty()) {
      auto [ep, data] = std::move(deliveries.front());
      deliveries.pop_front();
      OutHandler handler = out_handler;
      lock.unlock();
      try {
        if (handler) handler(ep, data);
      } catch (...) {
        lock.lock();
        delivering = false;
        throw;
      }
      lock.lock();
    }
    delivering = false;
  }

  void reap_urb(UMockdevIoctlClient* client, UMockdevIoctlData* arg) {
    std::unique_lock lock(mutex);
    auto it =
        std::find_if(reapable.begin(), reapable.end(), [&](const Urb& u) { return u.client == client; });
    if (it == reapable.end()) {
      const bool dead = !plugged || dead_clients.count(client);
      lock.unlock();
      return complete(client, -1, dead ? ENODEV : EAGAIN);
    }
    Urb u = *it;
    reapable.erase(it);
    update_poll_locked();
    lock.unlock();

    usbdevfs_urb* k = u.urb();
    k->status = u.status;
    k->actual_length = u.actual_length;
    // `arg` is the caller's "void *urb" slot: point it at the URB. umockdev maps our local pointer back
    // to the client's address and writes back whatever changed since SUBMITURB (status, actual_length,
    // IN data) during this ioctl, as the kernel does.
    UMockdevIoctlData* slot = resolve(arg, 0, sizeof(void*));
    if (!slot) {
      complete(client, -1, EFAULT);
      g_object_unref(u.data);
      return;
    }
    umockdev_ioctl_data_set_ptr(slot, 0, u.data);
    complete(client, 0, 0);
    g_object_unref(slot);
    g_object_unref(u.data);
  }

  void discard_urb(UMockdevIoctlClient* client, UMockdevIoctlData* arg) {
    gulong address = 0;  // the argument is the client's URB pointer itself
    std::memcpy(&address, arg->data, sizeof address);
    std::unique_lock lock(mutex);
    for (auto* queues : {&pending_in, &pending_out}) {
      for (auto& [ep, q] : *queues) {
        auto it = std::find_if(q.begin(), q.end(), [&](const Urb& u) {
          return u.client == client && u.data->client_addr == address;
        });
        if (it == q.end()) continue;
        Urb u = *it;
        q.erase(it);
        u.status = -ENOENT;  // cancelled: reapable like in the kernel, nothing transferred
        u.actual_length = 0;
        ++stats.discarded_urbs;
        reapable.push_back(u);
        update_poll_locked();
        lock.unlock();
        return complete(client, 0, 0);
      }
    }
    lock.unlock();
    complete(client, -1, EINVAL);  // already completed or unknown, as in the kernel
  }

  // Match queued IN data with pending IN URBs, in our local copies; the data reaches the client when
  // the URB is reaped.
  void fill_pending_in_locked() {
    for (auto& [ep, urbs] : pending_in) {
      auto& chunks = in_data[ep];
      while (!urbs.empty() && !chunks.empty()) {
        Urb u = urbs.front();
        urbs.pop_front();
        auto& chunk = chunks.front();
        const std::size_t n =
            std::min<std::size_t>(chunk.size(), static_cast<std::size_t>(u.urb()->buffer_length));
        if (n) std::memcpy(u.buffer(), chunk.data(), n);
        u.status = 0;
        u.actual_length = static_cast<int>(n);
        if (n < chunk.size()) {
          chunk.erase(chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(n));
        } else {
          chunks.pop_front();
        }
        ++stats.in_urbs;
        stats.in_bytes += n;
        if (n == 0) ++stats.zero_length_in;
        reapable.push_back(u);
      }
    }
    update_poll_locked();
  }

  void control_urb(Urb& u) {
    usbdevfs_urb* k = u.urb();
    u.actual_length = 0;
    if (k->buffer_length < static_cast<int>(sizeof(usb_ctrlrequest))) {
      u.status = -EINVAL;
      return;
    }
    usb_ctrlrequest setup;
    std::memcpy(&setup, u.buffer(), sizeof setup);
    const std::uint16_t value = le16toh(setup.wValue);
    const std::size_t length = le16toh(setup.wLength);
    std::uint8_t* data = u.buffer() + sizeof setup;
    const std::size_t room = static_cast<std::size_t>(k->buffer_length) - sizeof setup;
    std::vector<std::uint8_t> reply;
    bool ok = false;
    ControlHandler handler;
    {
      std::lock_guard lock(mutex);
      ++stats.control_requests;
      handler = control_handler;
    }

    if (setup.bRequestType == USB_DIR_IN && setup.bRequest == USB_REQ_GET_DESCRIPTOR) {
      const std::uint8_t type = static_cast<std::uint8_t>(value >> 8);
      const std::uint8_t index = static_cast<std::uint8_t>(value & 0xff);
      const auto all = descriptors();
      if (type == USB_DT_DEVICE) {
        reply.assign(all.begin(), all.begin() + USB_DT_DEVICE_SIZE);
        ok = true;
      } else if (type == USB_DT_CONFIG && index == 0) {
        reply.assign(all.begin() + USB_DT_DEVICE_SIZE, all.end());
        ok = true;
      } else if (type == USB_DT_STRING) {
        reply = string_descriptor(index);
        ok = !reply.empty();
      }
    } else if (setup.bRequestType == USB_DIR_IN && setup.bRequest == USB_REQ_GET_CONFIGURATION) {
      reply = {1};
      ok = true;
    } else {
      {
        std::lock_guard lock(mutex);
        ++stats.vendor_requests;
      }
      const bool in = setup.bRequestType & USB_DIR_IN;
      std::span<const std::uint8_t> out;
      if (!in) out = {data, std::min(length, room)};
      if (handler) ok = handler(setup, out, reply);
      if (ok && !in) {
        u.status = 0;
        u.actual_length = static_cast<int>(out.size());
        return;
      }
    }

    if (!ok) {
      u.status = -EPIPE;  // stall: LIBUSB_ERROR_PIPE
      return;
    }
    const std::size_t n = std::min({reply.size(), length, room});
    if (n) std::memcpy(data, reply.data(), n);
    u.status = 0;
    u.actual_length = static_cast<int>(n);  // without the 8 setup bytes
  }

  // Device descriptor followed by the whole configuration: what sysfs "descriptors" holds.
  std::vector<std::uint8_t> descriptors() const {
    std::vector<std::uint8_t> d;
    d.insert(d.end(), {USB_DT_DEVICE_SIZE, USB_DT_DEVICE});
    put_le16(d, 0x0200);                        // bcdUSB
    d.insert(d.end(), {0x00, 0x00, 0x00, 64});  // class per interface; ep0 max packet 64
    put_le16(d, config.vid);
    put_le16(d, config.pid);
    put_le16(d, config.bcd_device);
    d.insert(d.end(), {1, 2, 3, 1});  // iManufacturer, iProduct, iSerialNumber, bNumConfigurations
    d.insert(d.end(), {USB_DT_CONFIG_SIZE, USB_DT_CONFIG});
    put_le16(d, USB_DT_CONFIG_SIZE + USB_DT_INTERFACE_SIZE + 2 * USB_DT_ENDPOINT_SIZE);
    d.insert(d.end(), {1, 1, 0, 0x80, 50});  // 1 interface, configuration 1, bus powered, 100 mA
    d.insert(d.end(), {USB_DT_INTERFACE_SIZE, USB_DT_INTERFACE, 0, 0, 2, config.interface_class,
                       config.interface_subclass, config.interface_protocol, 0});
    for (std::uint8_t ep : {config.ep_out, config.ep_in}) {
      d.insert(d.end(), {USB_DT_ENDPOINT_SIZE, USB_DT_ENDPOINT, ep, USB_ENDPOINT_XFER_BULK});
      put_le16(d, config.max_packet);
      d.push_back(0);
    }
    return d;
  }

  std::vector<std::uint8_t> string_descriptor(std::uint8_t index) const {
    if (index == 0) return {4, USB_DT_STRING, 0x09, 0x04};  // LANGID en-US
    const std::string* s = index == 1   ? &config.manufacturer
                           : index == 2 ? &config.product
                           : index == 3 ? &config.serial
                                        : nullptr;
    if (!s) return {};
    std::vector<std::uint8_t> d{static_cast<std::uint8_t>(2 + 2 * s->size()), USB_DT_STRING};
    for (char c : *s) put_le16(d, static_cast<std::uint8_t>(c));  // ASCII to UTF-16LE
    return d;
  }

  // The sysfs entry and udev properties libusb needs (see the notes in the header): without DEVTYPE,
  // DEVNAME, busnum or devnum the device is not enumerated, without bConfigurationValue there is no
  // active configuration, and "descriptors" is libusb's descriptor cache.
  std::string sysfs_description(const std::string& syspath) const {
    const auto& c = config;
    std::string s;
    s += "P: " + syspath.substr(4) + "\n";  // without "/sys"
    s += "E: SUBSYSTEM=usb\n";
    s += "E: DEVTYPE=usb_device\n";
    s += "E: DRIVER=usb\n";
    s += "E: DEVNAME=" + devnode + "\n";
    s += "E: BUSNUM=" + three_digits(c.busnum) + "\n";
    s += "E: DEVNUM=" + three_digits(c.devnum) + "\n";
    char product[32];
    std::snprintf(product, sizeof product, "%x/%x/%x", c.vid, c.pid, c.bcd_device);
    s += std::string("E: PRODUCT=") + product + "\n";
    auto attribute = [&s](const std::string& name, const std::string& value) {
      s += "A: " + name + "=" + value + "\\n\n";
    };
    attribute("idVendor", hex4(c.vid));
    attribute("idProduct", hex4(c.pid));
    attribute("bcdDevice", hex4(c.bcd_device));
    attribute("busnum", std::to_string(c.busnum));
    attribute("devnum", std::to_string(c.devnum));
    attribute("manufacturer", c.manufacturer);
    attribute("product", c.product);
    attribute("serial", c.serial);
    attribute("speed", "480");
    attribute("bConfigurationValue", "1");
    attribute("bNumConfigurations", "1");
    attribute("bNumInterfaces", " 1");
    attribute("bDeviceClass", "00");
    attribute("bMaxPacketSize0", "64");
    attribute("devpath", std::to_string(c.port));
    attribute("maxchild", "0");
    s += "H: descriptors=" + hex(descriptors()) + "\n";
    return s;
  }
};

// ---------------------------------------------------------------------------------------------------
// MockUsbDevice

namespace {

void check_config(const MockUsbConfig& c) {
  auto fail = [](const std::string& what) { throw std::invalid_argument("mock usb: " + what); };
  if (c.busnum == 0) fail("busnum must be at least 1");
  if (c.devnum == 0 || c.devnum > 127) fail("devnum must be 1..127");
  if (c.ep_out & USB_DIR_IN || (c.ep_out & 0x0f) == 0) fail("ep_out must be an OUT endpoint 0x01..0x0f");
  if (!(c.ep_in & USB_DIR_IN) || (c.ep_in & 0x0f) == 0) fail("ep_in must be an IN endpoint 0x81..0x8f");
  if (c.max_packet == 0) fail("max_packet must not be 0");
  for (const std::string* s : {&c.manufacturer, &c.product, &c.serial}) {
    if (s->size() > 126) fail("string descriptor too long: " + *s);
    for (char ch : *s)
      if (static_cast<unsigned char>(ch) < 0x20 || static_cast<unsigned char>(ch) > 0x7e || ch == '\\')
        fail("strings must be printable ASCII without backslash: " + *s);
  }
}

}  // namespace

MockUsbDevice::MockUsbDevice(UsbTestbed& testbed, MockUsbConfig config)
    : testbed_(testbed), config_(std::move(config)) {
  check_config(config_);
  if (config_.port == 0) config_.port = config_.devnum;
  devnode_ = "/dev/bus/usb/" + three_digits(config_.busnum) + "/" + three_digits(config_.devnum);
  const std::string bus = std::to_string(config_.busnum);
  syspath_ = "/sys/devices/usb" + bus + "/" + bus + "-" + std::to_string(config_.port);

  UsbTestbed::Impl& tb = *testbed_.impl_;
  {
    std::lock_guard lock(tb.mutex);
    if (tb.taken.count("node:" + devnode_))
      throw std::invalid_argument("mock usb: " + devnode_ + " is taken by another device");
    if (tb.taken.count("sys:" + syspath_))
      throw std::invalid_argument("mock usb: " + syspath_ + " is taken by another device");
    tb.taken.insert("node:" + devnode_);
    tb.taken.insert("sys:" + syspath_);
  }

  state_ = std::make_shared<State>();
  state_->config = config_;
  state_->devnode = devnode_;
  state_->node_path = tb.root + devnode_;
  try {
    {
      std::lock_guard lock(tb.mutex);
      UsbTestbed::Impl::Node& node = tb.nodes[devnode_];
      if (node.owner) state_->adopt(*std::static_pointer_cast<State>(node.owner));
      node.owner = state_;
      node.target = [state = state_](UMockdevIoctlClient* client) { state->handle(client); };
    }
    tb.attach_once(devnode_);
    replug();
  } catch (...) {
    std::lock_guard lock(tb.mutex);  // the state stays at the node, unplugged, like a device gone
    tb.taken.erase("node:" + devnode_);
    tb.taken.erase("sys:" + syspath_);
    throw;
  }
}

MockUsbDevice::~MockUsbDevice() {
  unplug();
  {
    // The state stays at the node for the handles still open there (see UsbTestbed::Impl); what the
    // handlers captured must not outlive the device.
    OutHandler out;
    ControlHandler control;
    std::lock_guard lock(state_->mutex);
    out.swap(state_->out_handler);
    control.swap(state_->control_handler);
  }
  UsbTestbed::Impl& tb = *testbed_.impl_;
  std::lock_guard lock(tb.mutex);
  tb.taken.erase("node:" + devnode_);
  tb.taken.erase("sys:" + syspath_);
}

void MockUsbDevice::set_out_handler(OutHandler handler) {
  std::lock_guard lock(state_->mutex);
  state_->out_handler = std::move(handler);
}

void MockUsbDevice::set_control_handler(ControlHandler handler) {
  std::lock_guard lock(state_->mutex);
  state_->control_handler = std::move(handler);
}

void MockUsbDevice::queue_in(std::uint8_t ep, std::vector<std::uint8_t> data) {
  std::lock_guard lock(state_->mutex);
  if (!state_->plugged) return;
  state_->in_data[ep].push_back(std::move(data));
  state_->fill_pending_in_locked();
}

std::size_t MockUsbDevice::clear_in(std::uint8_t ep) {
  std::lock_guard lock(state_->mutex);
  std::size_t dropped = 0;
  if (auto it = state_->in_data.find(ep); it != state_->in_data.end()) {
    for (const auto& chunk : it->second) dropped += chunk.size();
    it->second.clear();
  }
  return dropped;
}

void MockUsbDevice::set_accept_out(bool accept) {
  {
    std::lock_guard lock(state_->mutex);
    state_->accept_out = accept;
    if (!accept) return;
    for (auto& [ep, q] : state_->pending_out) {
      for (auto& u : q) state_->accept_out_locked(u);
      q.clear();
    }
  }
  state_->deliver_out();
}

void MockUsbDevice::unplug() {
  State& s = *state_;
  {
    std::lock_guard lock(s.mutex);
    if (!s.plugged) return;
    s.plugged = false;
    s.claimed_by = nullptr;  // claims die with the device
    for (auto* queues : {&s.pending_in, &s.pending_out}) {
      for (auto& [ep, q] : *queues) {
        for (auto& u : q) {
          u.status = -ESHUTDOWN;  // what the host controller reports; libusb: NO_DEVICE
          u.actual_length = 0;
          s.reapable.push_back(u);
        }
        q.clear();
      }
    }
    s.in_data.clear();
    s.update_poll_locked();
  }
  UMockdevTestbed* tb = testbed_.impl_->testbed;
  // The uevent first: umockdev reads its properties from the sysfs entry, and removing the entry
  // sends no uevent of its own.
  umockdev_testbed_uevent(tb, syspath_.c_str(), "remove");
  umockdev_testbed_remove_device(tb, syspath_.c_str());
}

void MockUsbDevice::replug() {
  State& s = *state_;
  {
    std::lock_guard lock(s.mutex);
    if (s.plugged) return;
    // Handles opened before stay dead, as a real fd does after a disconnect (they still reap the URBs
    // the unplug completed).
    s.dead_clients.merge(s.live_clients);
  }
  s.ensure_fifo();
  {
    // Before the "add" uevent: libusb may open the device at once, from its hot-plug thread.
    std::lock_guard lock(s.mutex);
    s.plugged = true;
  }
  GError* err = nullptr;
  // Creates the sysfs entry and sends the "add" uevent.
  if (!umockdev_testbed_add_from_string(testbed_.impl_->testbed, s.sysfs_description(syspath_).c_str(),
                                        &err)) {
    const std::string why = err ? err->message : "unknown error";
    if (err) g_error_free(err);
    std::lock_guard lock(s.mutex);
    s.plugged = false;
    throw std::runtime_error("mock usb: cannot add " + syspath_ + " to the testbed: " + why);
  }
}

bool MockUsbDevice::plugged() const {
  std::lock_guard lock(state_->mutex);
  return state_->plugged;
}

MockUsbStats MockUsbDevice::stats() const {
  std::lock_guard lock(state_->mutex);
  return state_->stats;
}

std::size_t MockUsbDevice::pending_in_urbs() const {
  std::lock_guard lock(state_->mutex);
  std::size_t n = 0;
  for (const auto& [ep, q] : state_->pending_in) n += q.size();
  return n;
}

std::size_t MockUsbDevice::pending_out_urbs() const {
  std::lock_guard lock(state_->mutex);
  std::size_t n = 0;
  for (const auto& [ep, q] : state_->pending_out) n += q.size();
  return n;
}

}  // namespace seedval::testing

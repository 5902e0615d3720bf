// The FunctionFS gadget: see seedval/transport/functionfs.h.
#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <limits>
#include <mutex>
#include <span>
#include <system_error>
#include <tuple>
#include <utility>

#include <fcntl.h>
#include <fmt/core.h>
#include <linux/aio_abi.h>
#include <linux/usb/ch9.h>
#include <linux/usb/functionfs.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <seedval/core/error.h>
#include <seedval/core/log.h>
#include <seedval/transport/functionfs.h>

namespace seedval::usb {
namespace {

namespace fs = std::filesystem;

std::string errno_text(int err) {
  return std::error_code(err, std::generic_category()).message();
}

[[noreturn]] void throw_io(const fs::path& file, std::string_view step, int err) {
  throw IoError(ErrorCode::io, fmt::format("functionfs {}: {}: {}", file.string(), step, errno_text(err)));
}

/// An owned file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

Fd make_eventfd() {
  const int fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd < 0) throw IoError(ErrorCode::io, fmt::format("functionfs: eventfd: {}", errno_text(errno)));
  return Fd(fd);
}

void signal_eventfd(int fd) {
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto n = ::write(fd, &one, sizeof one);
}

void clear_eventfd(int fd) {
  std::uint64_t value = 0;
  [[maybe_unused]] const auto n = ::read(fd, &value, sizeof value);
}

// Linux AIO through its system calls (FunctionFS endpoints support it; glibc's POSIX AIO would use
// threads instead). An AioContext is one kernel completion queue; destroying it cancels what is still
// queued and waits for it, so no buffer is freed under a transfer.
class AioContext {
 public:
  explicit AioContext(unsigned depth) {
    if (::syscall(SYS_io_setup, depth, &ctx_) < 0)
      throw IoError(ErrorCode::io, fmt::format("functionfs: io_setup: {}", errno_text(errno)));
  }
  ~AioContext() { ::syscall(SYS_io_destroy, ctx_); }
  AioContext(const AioContext&) = delete;
  AioContext& operator=(const AioContext&) = delete;

  /// 0 or an errno value.
  int submit(iocb* cb) {
    iocb* list[1] = {cb};
    return ::syscall(SYS_io_submit, ctx_, 1L, list) == 1 ? 0 : errno;
  }
  void cancel(iocb* cb) {
    io_event ignored{};
    ::syscall(SYS_io_cancel, ctx_, cb, &ignored);  // the completion still arrives through the queue
  }
  /// Completions: at least `min`, waiting at most `timeout` (nullptr: no limit).
  long events(long min, std::span<io_event> out, timespec* timeout) {
    while (true) {
      const long n =
          ::syscall(SYS_io_getevents, ctx_, min, static_cast<long>(out.size()), out.data(), timeout);
      if (n >= 0 || errno != EINTR) return n;
    }
  }

 private:
  aio_context_t ctx_ = 0;
};

iocb make_iocb(int fd, std::uint16_t opcode, void* buf, std::size_t size, int resfd, std::uint64_t tag) {
  iocb cb{};
  cb.aio_data = tag;
  cb.aio_lio_opcode = opcode;
  cb.aio_fildes = static_cast<std::uint32_t>(fd);
  cb.aio_buf = reinterpret_cast<std::uint64_t>(buf);
  cb.aio_nbytes = size;
  cb.aio_flags = IOCB_FLAG_RESFD;
  cb.aio_resfd = static_cast<std::uint32_t>(resfd);
  return cb;
}

// Results that mean the endpoint went away (host gone, function disabled) or the transfer was cancelled.
bool is_link_gone(long result) {
  return result == -ESHUTDOWN || result == -ECONNRESET || result == -ECANCELED || result == -ENODEV ||
         result == -EAGAIN || result == -EINTR;
}

class ByteWriter {
 public:
  void u8(std::uint8_t v) { out_.push_back(v); }
  void u16(std::uint16_t v) {
    u8(static_cast<std::uint8_t>(v));
    u8(static_cast<std::uint8_t>(v >> 8));
  }
  void u32(std::uint32_t v) {
    u16(static_cast<std::uint16_t>(v));
    u16(static_cast<std::uint16_t>(v >> 16));
  }
  void patch_u32(std::size_t at, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out_[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
  }
  std::vector<std::uint8_t> take() { return std::move(out_); }
  std::size_t size() const { return out_.size(); }

 private:
  std::vector<std::uint8_t> out_;
};

constexpr std::uint8_t kEpOut = 1 | USB_DIR_OUT;  // FunctionFS names the endpoint files by this order:
constexpr std::uint8_t kEpIn = 2 | USB_DIR_IN;    // ep1 (OUT), ep2 (IN); the UDC picks the addresses.
constexpr std::size_t kLargestPacket = 1024;

void interface_descriptor(ByteWriter& w) {
  w.u8(USB_DT_INTERFACE_SIZE);
  w.u8(USB_DT_INTERFACE);
  w.u8(0);  // bInterfaceNumber (FunctionFS renumbers it within the configuration)
  w.u8(0);  // bAlternateSetting
  w.u8(2);  // bNumEndpoints
  w.u8(kInterfaceClass);
  w.u8(kInterfaceSubclass);
  w.u8(kInterfaceProtocol);
  w.u8(1);  // iInterface: the first string
}

void endpoint_descriptor(ByteWriter& w, std::uint8_t address, std::uint16_t max_packet) {
  w.u8(USB_DT_ENDPOINT_SIZE);
  w.u8(USB_DT_ENDPOINT);
  w.u8(address);
  w.u8(USB_ENDPOINT_XFER_BULK);
  w.u16(max_packet);
  w.u8(0);  // bInterval
}

void ss_companion_descriptor(ByteWriter& w) {
  w.u8(USB_DT_SS_EP_COMP_SIZE);
  w.u8(USB_DT_SS_ENDPOINT_COMP);
  w.u8(0);   // bMaxBurst: one packet per burst works on every controller
  w.u8(0);   // bmAttributes: no streams
  w.u16(0);  // wBytesPerInterval: periodic endpoints only
}

}  // namespace

std::vector<std::uint8_t> functionfs_descriptors() {
  ByteWriter w;
  w.u32(FUNCTIONFS_DESCRIPTORS_MAGIC_V2);
  w.u32(0);  // length, patched below
  w.u32(FUNCTIONFS_HAS_FS_DESC | FUNCTIONFS_HAS_HS_DESC | FUNCTIONFS_HAS_SS_DESC);
  w.u32(3);  // full speed: interface, OUT, IN
  w.u32(3);  // high speed
  w.u32(5);  // super speed: each endpoint with its companion
  for (const std::uint16_t packet : {64, 512}) {
    interface_descriptor(w);
    endpoint_descriptor(w, kEpOut, packet);
    endpoint_descriptor(w, kEpIn, packet);
  }
  interface_descriptor(w);
  endpoint_descriptor(w, kEpOut, 1024);
  ss_companion_descriptor(w);
  endpoint_descriptor(w, kEpIn, 1024);
  ss_companion_descriptor(w);
  w.patch_u32(4, static_cast<std::uint32_t>(w.size()));
  return w.take();
}

std::vector<std::uint8_t> functionfs_strings(std::string_view interface_name) {
  ByteWriter w;
  w.u32(FUNCTIONFS_STRINGS_MAGIC);
  w.u32(0);       // length, patched below
  w.u32(1);       // str_count
  w.u32(1);       // lang_count
  w.u16(0x0409);  // en-US
  for (const char c : interface_name) w.u8(static_cast<std::uint8_t>(c));
  w.u8(0);
  w.patch_u32(4, static_cast<std::uint32_t>(w.size()));
  return w.take();
}

namespace {

// One connection: from ENABLE to DISABLE (or UNBIND, or the server stopping). Owns the queued OUT reads,
// the IN writes and the stream between them.
class Session {
 public:
  Session(const fs::path& mount, int ep_out, int ep_in, UsbFunctionStream::Serve serve,
          const FunctionFsOptions& options)
      : mount_(mount),
        ep_out_(ep_out),
        ep_in_(ep_in),
        write_size_(
            std::max<std::size_t>(kLargestPacket, options.write_size / kLargestPacket * kLargestPacket)),
        read_done_(make_eventfd()),
        write_done_(make_eventfd()),
        wake_writer_(make_eventfd()),
        reads_(std::max(1u, options.queued_reads)),
        writes_(kWritesInFlight + 1) {
    usb_endpoint_descriptor desc{};
    if (::ioctl(ep_in_, FUNCTIONFS_ENDPOINT_DESC, &desc) >= 0 && desc.wMaxPacketSize != 0)
      max_packet_ = desc.wMaxPacketSize & 0x7FF;
    const std::size_t read_size =
        (std::max<std::size_t>(options.read_size, 1) + kLargestPacket - 1) / kLargestPacket * kLargestPacket;
    slots_.resize(std::max(1u, options.queued_reads));
    for (auto& slot : slots_) slot.buffer.resize(read_size);
    stream_ = std::make_unique<UsbFunctionStream>(
        std::move(serve), [this](std::vector<std::uint8_t> response) { write_response(response); });
  }

  ~Session() { close(); }

  /// Ends the session and returns what its stream did. Order matters: the writer is woken and gives up
  /// its transfer, the stream's worker ends after the request it is serving, and the reads still queued
  /// are cancelled by ~AioContext afterwards.
  UsbFunctionStats close() {
    if (!stream_) return {};
    closing_ = true;
    signal_eventfd(wake_writer_.get());
    stream_->reset();
    stream_->drain();
    const UsbFunctionStats served = stream_->stats();
    stream_.reset();
    return served;
  }

  int read_done_fd() const { return read_done_.get(); }
  std::size_t max_packet() const { return max_packet_; }
  UsbFunctionStats stream_stats() const { return stream_->stats(); }

  /// Queues every read. Returns false when the endpoint refuses (already disabled).
  bool start_reads() {
    for (std::size_t i = 0; i < slots_.size(); ++i)
      if (!submit_read(i)) return false;
    return true;
  }

  /// Takes the finished reads and feeds their bytes, in the order they were queued, to the stream.
  void collect_reads() {
    clear_eventfd(read_done_.get());
    std::array<io_event, 16> events{};
    timespec now{0, 0};
    while (true) {
      const long n = reads_.events(0, events, &now);
      if (n <= 0) break;
      for (long i = 0; i < n; ++i) {
        auto& slot = slots_.at(events[static_cast<std::size_t>(i)].data);
        slot.queued = false;
        slot.result = events[static_cast<std::size_t>(i)].res;
      }
      // In queue order: the kernel completes a bulk endpoint's transfers in order, and this keeps the
      // bytes in order even if completions were reported otherwise.
      while (!reads_stopped_ && !slots_[head_].queued && slots_[head_].result != kNoResult) {
        auto& slot = slots_[head_];
        const long result = std::exchange(slot.result, kNoResult);
        if (result > 0) {
          stream_->feed(std::span<const std::uint8_t>(slot.buffer.data(), static_cast<std::size_t>(result)));
        } else if (result < 0) {
          if (is_link_gone(result)) {
            reads_stopped_ = true;  // DISABLE follows; nothing more to queue
            break;
          }
          log::warn("functionfs {}/ep1: read: {}", mount_.string(), errno_text(static_cast<int>(-result)));
        }
        if (!submit_read(head_)) break;
        head_ = (head_ + 1) % slots_.size();
      }
      if (static_cast<std::size_t>(n) < events.size()) break;
    }
  }

  /// The reset-stream request: drop the partial request, the queued ones, and the response being sent.
  void reset() {
    stream_->reset();
    abort_generation_.fetch_add(1);
    signal_eventfd(wake_writer_.get());
  }

 private:
  static constexpr long kNoResult = std::numeric_limits<long>::min();
  static constexpr std::size_t kWritesInFlight = 4;

  struct ReadSlot {
    std::vector<std::uint8_t> buffer;
    iocb cb{};
    bool queued = false;
    long result = kNoResult;
  };

  bool submit_read(std::size_t index) {
    if (reads_stopped_) return false;
    auto& slot = slots_[index];
    slot.cb =
        make_iocb(ep_out_, IOCB_CMD_PREAD, slot.buffer.data(), slot.buffer.size(), read_done_.get(), index);
    if (const int err = reads_.submit(&slot.cb); err != 0) {
      if (err != EAGAIN && err != ESHUTDOWN)
        log::warn("functionfs {}/ep1: queueing a read: {}", mount_.string(), errno_text(err));
      reads_stopped_ = true;
      return false;
    }
    slot.queued = true;
    return true;
  }

  // The stream's sink, on its worker thread: the response in pieces of write_size_ with up to
  // kWritesInFlight queued, then a zero-length packet if the response fills its last packet. Returns
  // when everything is sent, or the transfer is abandoned (session closing, stream reset, host gone) and
  // every queued piece is back from the kernel.
  void write_response(const std::vector<std::uint8_t>& response) {
    if (closing_) return;
    const std::uint64_t generation = abort_generation_.load();
    std::size_t next = 0;  // first byte not yet queued
    bool zlp_pending = needs_zero_length_packet(response.size(), max_packet_);
    std::array<iocb, kWritesInFlight> cbs{};
    std::array<bool, kWritesInFlight> busy{};
    std::size_t in_flight = 0;
    bool failed = false;
    auto abandon = [&] {
      for (std::size_t i = 0; i < cbs.size(); ++i)
        if (busy[i]) writes_.cancel(&cbs[i]);
      std::array<io_event, kWritesInFlight> events{};
      while (in_flight > 0) {
        const long n = writes_.events(1, std::span(events.data(), in_flight), nullptr);
        if (n <= 0) break;
        for (long i = 0; i < n; ++i) busy[events[static_cast<std::size_t>(i)].data] = false;
        in_flight -= static_cast<std::size_t>(n);
      }
    };
    while (true) {
      // Queue pieces while there is room.
      while (!failed && in_flight < kWritesInFlight &&
             (next < response.size() || (zlp_pending && in_flight == 0))) {
        std::size_t slot = 0;
        while (busy[slot]) ++slot;
        const std::size_t size = std::min(write_size_, response.size() - next);
        // The zero-length packet goes only after every piece before it is done, so it cannot overtake.
        cbs[slot] = make_iocb(ep_in_, IOCB_CMD_PWRITE, const_cast<std::uint8_t*>(response.data()) + next,
                              size, write_done_.get(), slot);
        if (const int err = writes_.submit(&cbs[slot]); err != 0) {
          if (err != EAGAIN && err != ESHUTDOWN)
            log::warn("functionfs {}/ep2: queueing a write: {}", mount_.string(), errno_text(err));
          failed = true;
          break;
        }
        busy[slot] = true;
        ++in_flight;
        if (size == 0) zlp_pending = false;
        next += size;
      }
      if (in_flight == 0) return;
      pollfd fds[2] = {{write_done_.get(), POLLIN, 0}, {wake_writer_.get(), POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0 && errno != EINTR) {
        abandon();
        return;
      }
      if (fds[1].revents & POLLIN) {
        if (closing_ || abort_generation_.load() != generation) {
          abandon();
          return;
        }
        clear_eventfd(wake_writer_.get());  // a reset that came before this response: not ours
      }
      if (fds[0].revents & POLLIN) {
        clear_eventfd(write_done_.get());
        std::array<io_event, kWritesInFlight> events{};
        timespec now{0, 0};
        const long n = writes_.events(0, events, &now);
        for (long i = 0; i < n; ++i) {
          const auto& e = events[static_cast<std::size_t>(i)];
          busy[e.data] = false;
          --in_flight;
          if (e.res < 0) {
            if (!is_link_gone(e.res))
              log::warn("functionfs {}/ep2: write: {}", mount_.string(),
                        errno_text(static_cast<int>(-e.res)));
            failed = true;
          }
        }
        if (failed) {
          abandon();
          return;
        }
      }
    }
  }

  fs::path mount_;
  int ep_out_;
  int ep_in_;
  std::size_t max_packet_ = 512;
  std::size_t write_size_;
  Fd read_done_;                 // signalled by the kernel when a read finishes
  Fd write_done_;                // ... a write
  Fd wake_writer_;               // signalled by the session: stop writing (closing, or a stream reset)
  std::vector<ReadSlot> slots_;  // before the contexts: ~AioContext waits for the reads into these buffers
  AioContext reads_;
  AioContext writes_;
  std::size_t head_ = 0;  // the read whose bytes come next
  bool reads_stopped_ = false;
  std::atomic<bool> closing_ = false;
  std::atomic<std::uint64_t> abort_generation_ = 0;
  std::unique_ptr<UsbFunctionStream> stream_;  // last: its worker uses the members above
};

}  // namespace

struct FunctionFsServer::Impl {
  fs::path mount;
  UsbFunctionStream::Serve serve;
  FunctionFsOptions options;
  Fd ep0;
  Fd ep_out;
  Fd ep_in;
  Fd stop_event;
  mutable std::mutex stats_mutex;  // guards stats and the session pointer (not what it points to)
  FunctionFsStats stats;
  std::unique_ptr<Session> session;  // changed by run()'s thread only

  fs::path file(std::string_view name) const { return mount / name; }

  void note(const std::string& line) const {
    if (options.log)
      options.log(line);
    else
      log::info("{}", line);
  }

  void start_session() {
    end_session("enable again");
    auto next = std::make_unique<Session>(mount, ep_out.get(), ep_in.get(), serve, options);
    {
      std::lock_guard lock(stats_mutex);
      session = std::move(next);
      ++stats.sessions;
    }
    note(fmt::format("functionfs {}: host connected (bulk packets of {} bytes)", mount.string(),
                     session->max_packet()));
    session->start_reads();
  }

  void end_session(std::string_view why) {
    if (!session) return;
    std::unique_ptr<Session> ended;
    {
      std::lock_guard lock(stats_mutex);
      ended = std::move(session);
    }
    const UsbFunctionStats served = ended->close();  // waits for the request being served
    ended.reset();
    {
      std::lock_guard lock(stats_mutex);
      stats.requests += served.requests;
      stats.skipped_bytes += served.skipped_bytes;
    }
    note(fmt::format("functionfs {}: {} ({} requests served)", mount.string(), why, served.requests));
  }

  void handle_setup(const usb_ctrlrequest& setup) {
    const bool reset = setup.bRequestType == (USB_DIR_OUT | USB_TYPE_VENDOR | USB_RECIP_INTERFACE) &&
                       setup.bRequest == kRequestResetStream && setup.wLength == 0;
    if (reset) {
      if (session) {
        session->collect_reads();  // bytes that came before the request belong to the old stream
        session->reset();
      }
      {
        std::lock_guard lock(stats_mutex);
        ++stats.resets;
      }
      // The status stage of a request without data: a zero-length read acknowledges it.
      char none = 0;
      if (::read(ep0.get(), &none, 0) < 0 && errno != EIDRM)
        throw_io(file("ep0"), "acknowledging reset-stream", errno);
      return;
    }
    // FunctionFS stalls when ep0 is used in the wrong direction (the call fails with EL2HLT).
    char none = 0;
    const ssize_t r =
        (setup.bRequestType & USB_DIR_IN) ? ::read(ep0.get(), &none, 0) : ::write(ep0.get(), &none, 0);
    if (r < 0 && errno != EL2HLT && errno != EIDRM)
      throw_io(file("ep0"), "stalling a control request", errno);
    std::lock_guard lock(stats_mutex);
    ++stats.stalled_setups;
  }

  void handle_events() {
    usb_functionfs_event events[4];
    const ssize_t n = ::read(ep0.get(), events, sizeof events);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR || errno == EIDRM) return;
      throw_io(file("ep0"), "reading events", errno);
    }
    for (std::size_t i = 0; i < static_cast<std::size_t>(n) / sizeof(usb_functionfs_event); ++i) {
      switch (events[i].type) {
        case FUNCTIONFS_BIND:
          note(fmt::format("functionfs {}: bound to the UDC", mount.string()));
          break;
        case FUNCTIONFS_UNBIND:
          end_session("unbound from the UDC");
          break;
        case FUNCTIONFS_ENABLE:
          start_session();
          break;
        case FUNCTIONFS_DISABLE:
          end_session("host disconnected");
          break;
        case FUNCTIONFS_SETUP:
          handle_setup(events[i].u.setup);
          break;
        case FUNCTIONFS_SUSPEND:
        case FUNCTIONFS_RESUME:
        default:
          break;
      }
    }
  }
};

FunctionFsServer::FunctionFsServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

FunctionFsServer::~FunctionFsServer() {
  if (impl_) impl_->end_session("server stopped");
}

std::unique_ptr<FunctionFsServer> FunctionFsServer::open(const fs::path& mount,
                                                         UsbFunctionStream::Serve serve,
                                                         FunctionFsOptions options) {
  if (!serve) throw InvalidArgumentError(ErrorCode::invalid_argument, "functionfs: needs a server function");
  auto impl = std::make_unique<Impl>();
  impl->mount = mount;
  impl->serve = std::move(serve);
  impl->options = std::move(options);
  impl->stop_event = make_eventfd();
  const fs::path ep0 = impl->file("ep0");
  impl->ep0 = Fd(::open(ep0.c_str(), O_RDWR | O_CLOEXEC));
  if (!impl->ep0) {
    if (errno == ENOENT)
      throw NotFoundError(ErrorCode::not_found,
                          fmt::format("functionfs {}: not found (is FunctionFS mounted at {}?)", ep0.string(),
                                      mount.string()));
    throw_io(ep0, "opening", errno);
  }
  const auto write_all = [&](const std::vector<std::uint8_t>& bytes, std::string_view step) {
    const ssize_t n = ::write(impl->ep0.get(), bytes.data(), bytes.size());
    if (n < 0) throw_io(ep0, step, errno);
    if (static_cast<std::size_t>(n) != bytes.size()) throw_io(ep0, step, EIO);
  };
  write_all(functionfs_descriptors(), "writing descriptors");
  write_all(functionfs_strings(impl->options.interface_name), "writing strings");
  // The endpoint files exist once the strings are in. Non-blocking: a transfer queued while the
  // function is disabled fails at once instead of waiting for the next ENABLE.
  for (auto [fd, name, flags] :
       {std::tuple{&impl->ep_out, "ep1", O_RDONLY}, std::tuple{&impl->ep_in, "ep2", O_WRONLY}}) {
    *fd = Fd(::open(impl->file(name).c_str(), flags | O_NONBLOCK | O_CLOEXEC));
    if (!*fd) throw_io(impl->file(name), "opening", errno);
  }
  return std::unique_ptr<FunctionFsServer>(new FunctionFsServer(std::move(impl)));
}

std::unique_ptr<FunctionFsServer> FunctionFsServer::open(const fs::path& mount,
                                                         std::shared_ptr<protocol::RequestHandler> handler,
                                                         FunctionFsOptions options) {
  if (!handler)
    throw InvalidArgumentError(ErrorCode::invalid_argument, "functionfs: needs a request handler");
  return open(
      mount,
      [handler = std::move(handler)](std::span<const std::uint8_t> request,
                                     std::vector<std::uint8_t>& response) {
        protocol::serve(*handler, request, response);
      },
      std::move(options));
}

void FunctionFsServer::run(std::stop_token stop) {
  Impl& s = *impl_;
  clear_eventfd(s.stop_event.get());
  std::stop_callback on_stop(stop, [&s] { signal_eventfd(s.stop_event.get()); });
  while (!stop.stop_requested()) {
    pollfd fds[3] = {{s.stop_event.get(), POLLIN, 0}, {s.ep0.get(), POLLIN, 0}, {-1, POLLIN, 0}};
    if (s.session) fds[2].fd = s.session->read_done_fd();
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      throw_io(s.file("ep0"), "poll", errno);
    }
    if (fds[0].revents & POLLIN) break;
    // Data before events: bytes that arrived before a reset-stream request belong to the old stream.
    if (s.session && (fds[2].revents & POLLIN)) s.session->collect_reads();
    if (fds[1].revents & POLLIN) s.handle_events();
  }
  s.end_session("server stopped");
}

FunctionFsStats FunctionFsServer::stats() const {
  std::lock_guard lock(impl_->stats_mutex);
  FunctionFsStats out = impl_->stats;
  if (impl_->session) {
    const auto live = impl_->session->stream_stats();
    out.requests += live.requests;
    out.skipped_bytes += live.skipped_bytes;
  }
  return out;
}

const fs::path& FunctionFsServer::mount() const {
  return impl_->mount;
}

// ---- ConfigFS ----------------------------------------------------------------------------------------

namespace {

void write_attr(const fs::path& file, std::string_view value) {
  std::ofstream f(file);
  if (f) f << value;
  f.flush();
  if (!f)
    throw IoError(ErrorCode::io, fmt::format("usb gadget {}: cannot write \"{}\"", file.string(), value));
}

void make_dir(const fs::path& dir) {
  if (::mkdir(dir.c_str(), 0755) != 0)
    throw IoError(ErrorCode::io, fmt::format("usb gadget {}: mkdir: {}", dir.string(), errno_text(errno)));
}

std::string hex4(std::uint16_t v) {
  return fmt::format("0x{:04x}", v);
}

}  // namespace

std::string first_udc(const fs::path& udc_class) {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(udc_class, ec), end; !ec && it != end; it.increment(ec))
    names.push_back(it->path().filename().string());
  if (names.empty())
    throw NotFoundError(
        ErrorCode::not_found,
        fmt::format("usb gadget: no USB device controller in {} (this machine has no UDC, or its "
                    "driver is not loaded; for a test, modprobe dummy_hcd)",
                    udc_class.string()));
  std::sort(names.begin(), names.end());
  return names.front();
}

std::unique_ptr<ConfigFsGadget> ConfigFsGadget::create(const GadgetOptions& o, UsbFunctionStream::Serve serve,
                                                       FunctionFsOptions ffs) {
  if (o.name.empty() || o.name.find('/') != std::string::npos || o.name.find('.') != std::string::npos)
    throw InvalidArgumentError(
        ErrorCode::invalid_argument,
        fmt::format("usb gadget: name \"{}\" must be one path element without dots", o.name));
  std::unique_ptr<ConfigFsGadget> g(new ConfigFsGadget());
  g->udc_ = o.udc.empty() ? first_udc(o.udc_class) : o.udc;
  if (!o.udc.empty() && !fs::exists(o.udc_class / o.udc))
    throw NotFoundError(ErrorCode::not_found,
                        fmt::format("usb gadget: no UDC \"{}\" in {} (the first there is {})", o.udc,
                                    o.udc_class.string(), first_udc(o.udc_class)));
  const fs::path gadgets = o.configfs / "usb_gadget";
  if (!fs::is_directory(gadgets))
    throw NotFoundError(
        ErrorCode::not_found,
        fmt::format("usb gadget: {} not found (mount configfs at {} and modprobe libcomposite)",
                    gadgets.string(), o.configfs.string()));
  g->dir_ = gadgets / o.name;
  g->mount_ = o.mount.empty() ? fs::path("/dev") / ("ffs-" + o.name) : o.mount;
  const fs::path dir = g->dir_;
  const std::string function = "ffs." + o.name;
  try {
    make_dir(dir);
    g->undo_.push_back([dir] { ::rmdir(dir.c_str()); });
    write_attr(dir / "idVendor", hex4(o.vendor_id));
    write_attr(dir / "idProduct", hex4(o.product_id));
    write_attr(dir / "bcdDevice", hex4(o.bcd_device));
    write_attr(dir / "bcdUSB", "0x0200");
    const fs::path strings = dir / "strings" / "0x409";
    make_dir(strings);
    g->undo_.push_back([strings] { ::rmdir(strings.c_str()); });
    write_attr(strings / "manufacturer", o.manufacturer);
    write_attr(strings / "product", o.product);
    write_attr(strings / "serialnumber", o.serial);
    const fs::path config = dir / "configs" / "c.1";
    make_dir(config);
    g->undo_.push_back([config] { ::rmdir(config.c_str()); });
    write_attr(config / "MaxPower", std::to_string(o.max_power_ma));
    const fs::path config_strings = config / "strings" / "0x409";
    make_dir(config_strings);
    g->undo_.push_back([config_strings] { ::rmdir(config_strings.c_str()); });
    write_attr(config_strings / "configuration", "SeedChip wire protocol");
    const fs::path func = dir / "functions" / function;
    if (::mkdir(func.c_str(), 0755) != 0)
      throw IoError(ErrorCode::io,
                    fmt::format("usb gadget {}: mkdir: {} (is usb_f_fs loaded? modprobe usb_f_fs)",
                                func.string(), errno_text(errno)));
    g->undo_.push_back([func] { ::rmdir(func.c_str()); });
    const fs::path link = config / function;
    if (::symlink(func.c_str(), link.c_str()) != 0)
      throw IoError(ErrorCode::io,
                    fmt::format("usb gadget {}: symlink: {}", link.string(), errno_text(errno)));
    g->undo_.push_back([link] { ::unlink(link.c_str()); });
    const fs::path mount = g->mount_;
    std::error_code ec;
    const bool made_mount_dir = fs::create_directories(mount, ec);
    if (ec)
      throw IoError(ErrorCode::io, fmt::format("usb gadget {}: mkdir: {}", mount.string(), ec.message()));
    if (made_mount_dir) g->undo_.push_back([mount] { ::rmdir(mount.c_str()); });
    if (::mount(o.name.c_str(), mount.c_str(), "functionfs", 0, nullptr) != 0)
      throw IoError(ErrorCode::io, fmt::format("usb gadget {}: mounting functionfs \"{}\": {}",
                                               mount.string(), o.name, errno_text(errno)));
    g->undo_.push_back([mount] { ::umount2(mount.c_str(), MNT_DETACH); });
    g->server_ = FunctionFsServer::open(mount, std::move(serve), std::move(ffs));
    g->undo_.push_back([raw = g.get()] { raw->server_.reset(); });
    write_attr(dir / "UDC", g->udc_);
    g->undo_.push_back([dir] {
      std::ofstream f(dir / "UDC");
      f << "\n";
    });
  } catch (...) {
    g->undo();
    throw;
  }
  return g;
}

std::unique_ptr<ConfigFsGadget> ConfigFsGadget::create(const GadgetOptions& options,
                                                       std::shared_ptr<protocol::RequestHandler> handler,
                                                       FunctionFsOptions ffs) {
  if (!handler)
    throw InvalidArgumentError(ErrorCode::invalid_argument, "usb gadget: needs a request handler");
  return create(
      options,
      [handler = std::move(handler)](std::span<const std::uint8_t> request,
                                     std::vector<std::uint8_t>& response) {
        protocol::serve(*handler, request, response);
      },
      std::move(ffs));
}

ConfigFsGadget::~ConfigFsGadget() {
  undo();
}

void ConfigFsGadget::undo() noexcept {
  while (!undo_.empty()) {
    try {
      undo_.back()();
    } catch (...) {
      // Best effort: the remaining steps still run, so as little as possible is left behind.
    }
    undo_.pop_back();
  }
}

}  // namespace seedval::usb

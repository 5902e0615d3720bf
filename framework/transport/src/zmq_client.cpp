#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include <fmt/core.h>
#include <pwd.h>
#include <unistd.h>
#include <zmq.hpp>

#include <seedval/core/error.h>
#include <seedval/protocol/frame.h>
#include <seedval/protocol/payload.h>
#include <seedval/transport/faulty.h>
#include <seedval/transport/zmq.h>

#include "zmq_wire.h"

namespace seedval {
namespace {

std::string trimmed(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

using zmqwire::ClientId;
using zmqwire::Kind;

constexpr auto kPollStep = std::chrono::milliseconds(20);
std::atomic<std::uint64_t> monitor_counter{0};

std::string default_holder() {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  const char* user = std::getenv("USER");
  if (user == nullptr) {
    if (const passwd* pw = ::getpwuid(::getuid())) user = pw->pw_name;
  }
  return fmt::format("{}@{} pid {}", user ? user : "?", host, ::getpid());
}

ClientId random_client_id() {
  std::random_device rd;
  ClientId id{};
  for (auto& b : id) b = static_cast<std::uint8_t>(rd());
  return id;
}

int poll_ms(Deadline deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline.remaining());
  return static_cast<int>(std::clamp<std::int64_t>(left.count(), 0, kPollStep.count()));
}

using zmqwire::receive_message;

std::span<const std::uint8_t> span_of(const zmq::message_t& m) {
  return {static_cast<const std::uint8_t*>(m.data()), m.size()};
}

// Options every client socket gets: no lingering, quick reconnects, keepalive heartbeats so a silent
// network loss is noticed, and CURVE when the agent has a key.
void configure(zmq::socket_t& s, const ZmqClientOptions& o) {
  s.set(zmq::sockopt::linger, 0);
  s.set(zmq::sockopt::reconnect_ivl, 100);
  s.set(zmq::sockopt::reconnect_ivl_max, 1000);
  s.set(zmq::sockopt::heartbeat_ivl, 1000);
  s.set(zmq::sockopt::heartbeat_timeout, 3000);
  s.set(zmq::sockopt::immediate, 1);
  s.set(zmq::sockopt::sndhwm, 0);
  s.set(zmq::sockopt::rcvhwm, 0);
  s.set(zmq::sockopt::maxmsgsize, static_cast<std::int64_t>(protocol::kMaxPayload + (1u << 16)));
  if (!o.server_key.empty()) {
    s.set(zmq::sockopt::curve_serverkey, o.server_key);
    s.set(zmq::sockopt::curve_publickey, o.client_keys.public_key);
    s.set(zmq::sockopt::curve_secretkey, o.client_keys.secret_key);
  }
}

protocol::PayloadWriter envelope(Kind kind, const ClientId& id) {
  protocol::PayloadWriter w;
  w.u8(zmqwire::kVersion);
  w.u8(static_cast<std::uint8_t>(kind));
  w.bytes(id);
  return w;
}

struct Reply {
  Kind kind = Kind::hello;
  ErrorCode status = ErrorCode::ok;
  std::vector<std::uint8_t> fields;  // after the status
};

std::optional<Reply> parse_reply(std::span<const std::uint8_t> env) {
  if (env.size() < 4 || env[0] != zmqwire::kVersion) return std::nullopt;
  Reply r;
  r.kind = static_cast<Kind>(env[1]);
  const std::uint16_t code = static_cast<std::uint16_t>(env[2] | (env[3] << 8));
  r.status = is_known_error_code(code) ? static_cast<ErrorCode>(code) : ErrorCode::internal;
  r.fields.assign(env.begin() + 4, env.end());
  return r;
}

}  // namespace

// --- keys and endpoints ---

bool is_z85_key(std::string_view key) {
  if (key.size() != 40) return false;
  std::uint8_t out[32];
  const std::string k(key);
  return zmq_z85_decode(out, k.c_str()) != nullptr;
}

CurveKeyPair generate_curve_keys() {
  char pub[41] = {}, sec[41] = {};
  if (zmq_curve_keypair(pub, sec) != 0)
    throw UnsupportedError(ErrorCode::unsupported, "this libzmq was built without CURVE support");
  return {pub, sec};
}

std::string curve_public_key(std::string_view secret_key) {
  if (!is_z85_key(secret_key))
    throw ConfigError(ErrorCode::config, "a CurveZMQ secret key must be 40 characters of Z85");
  char pub[41] = {};
  const std::string sec(secret_key);
  if (zmq_curve_public(pub, sec.c_str()) != 0)
    throw UnsupportedError(ErrorCode::unsupported, "this libzmq was built without CURVE support");
  return pub;
}

std::string read_curve_key_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw IoError(ErrorCode::io, fmt::format("{}: cannot read the key file", path));
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    const std::string t = trimmed(line);
    if (t.empty() || t.starts_with('#')) continue;
    if (!is_z85_key(t))
      throw ConfigError(
          ErrorCode::config,
          fmt::format("{}:{}: expected a Z85 key of 40 characters, got {} characters", path, n, t.size()));
    return t;
  }
  throw ConfigError(ErrorCode::config, fmt::format("{}: no key in the file", path));
}

std::vector<std::string> read_allowed_keys_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw IoError(ErrorCode::io, fmt::format("{}: cannot read the allowed keys", path));
  std::vector<std::string> keys;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    const std::string t = trimmed(line);
    if (t.empty() || t.starts_with('#')) continue;
    if (!is_z85_key(t))
      throw ConfigError(ErrorCode::config,
                        fmt::format("{}:{}: expected a Z85 public key of 40 characters", path, n));
    keys.push_back(t);
  }
  return keys;
}

bool is_local_endpoint(std::string_view e) {
  if (e.starts_with("ipc://") || e.starts_with("inproc://")) return true;
  if (!e.starts_with("tcp://")) return false;
  std::string_view host = e.substr(6);
  if (host.starts_with('[')) {  // [::1]:port
    const auto close = host.find(']');
    return close != std::string_view::npos && host.substr(1, close - 1) == "::1";
  }
  host = host.substr(0, host.rfind(':'));
  return host == "localhost" || host == "lo" || host.starts_with("127.");
}

bool is_zmq_uri(std::string_view s) {
  return s.starts_with("zmq+");
}

ZmqUri parse_zmq_uri(std::string_view uri) {
  const auto bad = [&](std::string_view why) {
    return ConfigError(ErrorCode::config,
                       fmt::format("board URI \"{}\": {} (expected zmq+tcp://HOST:PORT[?board=NAME] or "
                                   "zmq+ipc://PATH[?board=NAME])",
                                   uri, why));
  };
  if (!is_zmq_uri(uri)) throw bad("not a zmq+ URI");
  std::string_view rest = uri.substr(4);
  ZmqUri out;
  std::string_view query;
  if (const auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  if (rest.starts_with("tcp://")) {
    const auto colon = rest.rfind(':');
    if (colon <= 6 || colon + 1 >= rest.size()) throw bad("no port");
    for (char c : rest.substr(colon + 1))
      if (c < '0' || c > '9') throw bad("the port is not a number");
  } else if (rest.starts_with("ipc://")) {
    if (rest.size() <= 6) throw bad("no socket path");
  } else {
    throw bad("unknown ZeroMQ transport");
  }
  out.endpoint = std::string(rest);
  while (!query.empty()) {
    // A Z85 key may hold '&', '?' and '=': server_key takes exactly the key's 40 characters.
    if (query.starts_with("server_key=")) {
      const std::string_view key = query.substr(11, 40);
      if (key.size() != 40 || !is_z85_key(key)) throw bad("server_key is not a Z85 key of 40 characters");
      out.server_key = key;
      query = query.substr(std::min(query.size(), std::size_t{51}));
      if (!query.empty() && query.front() != '&') throw bad("server_key is not a Z85 key of 40 characters");
      if (!query.empty()) query.remove_prefix(1);
      continue;
    }
    const auto amp = query.find('&');
    const std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    const auto eq = item.find('=');
    if (eq == std::string_view::npos) throw bad(fmt::format("\"{}\" is not KEY=VALUE", item));
    const std::string_view key = item.substr(0, eq), value = item.substr(eq + 1);
    if (key == "board")
      out.board = value;
    else if (key == "server_key") {
      if (!is_z85_key(value)) throw bad("server_key is not a Z85 key of 40 characters");
      out.server_key = value;
    } else
      throw bad(fmt::format("unknown parameter \"{}\" (known: board, server_key)", key));
  }
  return out;
}

// --- the session ---

struct ZmqSession::Impl {
  ZmqClientOptions options;
  std::shared_ptr<zmq::context_t> context = std::make_shared<zmq::context_t>(1);
  ClientId id = random_client_id();
  RemoteBoardInfo info;
  zmq::socket_t control;
  zmq::socket_t monitor;
  std::mutex control_mutex;  // the control socket: hello, heartbeat, insert, bye
  mutable std::mutex state_mutex;
  std::string lost;
  std::string handshake_error;  // a refused handshake before the lease was granted
  std::string handshake_note;   // a handshake cut short, for the message if nothing answers
  int handshake_closes = 0;     // handshakes cut short before the lease was granted
  std::atomic<bool> established{false};
  std::optional<std::string> die;
  std::atomic<std::uint32_t> next_link{1};
  std::jthread heartbeat;
  std::condition_variable_any wake;
  bool vanished = false;

  std::string where() const {
    return fmt::format("zmq:{}{}{}", options.endpoint, options.board.empty() ? "" : "/", options.board);
  }

  // Takes `o` (filling in the holder and this client's CURVE keys) and connects the control socket,
  // with a monitor that reports refused handshakes.
  void connect_control(const ZmqClientOptions& o) {
    options = o;
    if (options.holder.empty()) options.holder = default_holder();
    if (!options.server_key.empty()) {
      if (!is_z85_key(options.server_key))
        throw ConfigError(ErrorCode::config,
                          fmt::format("zmq:{}: the agent's key is not a Z85 key", options.endpoint));
      if (options.client_keys.secret_key.empty()) options.client_keys = generate_curve_keys();
      if (options.client_keys.public_key.empty())
        options.client_keys.public_key = curve_public_key(options.client_keys.secret_key);
    }
    control = zmq::socket_t(*context, zmq::socket_type::dealer);
    configure(control, options);
    const std::string monitor_address = fmt::format("inproc://seedval-monitor-{}", monitor_counter++);
    if (zmq_socket_monitor(control.handle(), monitor_address.c_str(),
                           ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                               ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) != 0)
      throw InternalError(ErrorCode::internal, "cannot monitor the agent connection");
    monitor = zmq::socket_t(*context, zmq::socket_type::pair);
    monitor.set(zmq::sockopt::linger, 0);
    monitor.connect(monitor_address);
    try {
      control.connect(options.endpoint);
    } catch (const zmq::error_t& e) {
      throw ConfigError(ErrorCode::config, fmt::format("zmq:{}: {}", options.endpoint, e.what()));
    }
  }

  // Reads the control socket's monitor events. Until the lease is granted, a refused handshake ends
  // open() with the reason; once established, handshakes of reconnects after a network loss may fail
  // on the way (a connection cut mid-handshake) and are left to the requests' own deadlines.
  void check_monitor() {
    std::vector<zmq::message_t> parts;
    while (receive_message(monitor, parts)) {
      if (parts.empty() || parts[0].size() < 6 || established) continue;
      const auto* p = static_cast<const std::uint8_t*>(parts[0].data());
      const std::uint16_t event = static_cast<std::uint16_t>(p[0] | (p[1] << 8));
      const std::uint32_t value =
          p[2] | (p[3] << 8) | (p[4] << 16) | (static_cast<std::uint32_t>(p[5]) << 24);
      std::lock_guard lock(state_mutex);
      if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
        handshake_error = fmt::format("the agent refused this client's CurveZMQ key (ZAP status {})", value);
      } else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) {
        if (value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH)
          handshake_error = options.server_key.empty()
                                ? "the agent requires CurveZMQ (give the agent's public key)"
                                : "the agent does not use CurveZMQ (drop the agent's key)";
        else
          handshake_error = fmt::format("the ZeroMQ handshake failed (ZMTP protocol error 0x{:x})", value);
      } else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) {
        // The connection closed during the handshake: a refusal, or the network. Which end sees a
        // mechanism mismatch first is a race: when the agent does, this end sees only the close. Three
        // closes in a row before any answer are a refusal, said at once rather than at the deadline.
        handshake_note =
            options.server_key.empty()
                ? "the connection closed during the handshake: the agent requires CurveZMQ if it is bound "
                  "off loopback (give the agent's public key)"
                : "the connection closed during the CurveZMQ handshake: is the agent's key right?";
        if (++handshake_closes >= 3)
          handshake_error = fmt::format("{} ({} times in a row)", handshake_note, handshake_closes);
      }
    }
  }

  // Sends one control message and waits for the agent's reply of the same kind. Throws the agent's
  // error for an error reply.
  Reply control_call(Kind kind, const protocol::PayloadWriter& fields, Milliseconds timeout) {
    std::lock_guard lock(control_mutex);
    auto env = envelope(kind, id);
    env.bytes(fields.data());
    const Deadline deadline = Deadline::after(timeout);
    bool sent = false;
    std::vector<zmq::message_t> parts;
    while (true) {
      check_monitor();
      {
        std::lock_guard state(state_mutex);
        if (!handshake_error.empty())
          throw TransportError(ErrorCode::transport, fmt::format("{}: {}", where(), handshake_error));
      }
      if (!sent)
        sent =
            control.send(zmq::buffer(env.data().data(), env.size()), zmq::send_flags::dontwait).has_value();
      while (receive_message(control, parts)) {
        auto r = parse_reply(span_of(parts[0]));
        if (!r || r->kind != kind) continue;  // a late answer to an earlier heartbeat
        if (r->status != ErrorCode::ok) {
          protocol::PayloadReader rd(r->fields, "agent reply");
          throw_error(r->status, fmt::format("{}: {}", where(), rd.string()));
        }
        return *r;
      }
      if (deadline.expired()) {
        std::lock_guard state(state_mutex);
        throw TransportError(
            ErrorCode::transport,
            fmt::format("{}: no answer from an agent within {} ms ({})", where(), timeout.count(),
                        handshake_note.empty() ? "is `seedval agent` running there?" : handshake_note));
      }
      zmq::pollitem_t items[] = {
          {control.handle(), 0, static_cast<short>(ZMQ_POLLIN | (sent ? 0 : ZMQ_POLLOUT)), 0},
          {monitor.handle(), 0, ZMQ_POLLIN, 0}};
      zmqwire::poll(items, 2, std::chrono::milliseconds(poll_ms(deadline)));
    }
  }

  void heartbeat_loop(std::stop_token stop) {
    const auto interval = std::max(options.lease / 3, Milliseconds{10});
    std::mutex m;
    std::unique_lock lock(m);
    while (!stop.stop_requested()) {
      wake.wait_for(lock, stop, interval, [] { return false; });
      if (stop.stop_requested()) return;
      try {
        control_call(Kind::heartbeat, {}, interval);
      } catch (const TransportError& e) {
        // The agent answered that the lease is gone (expired, or the agent restarted): every later
        // request fails with this. No answer at all is left to the requests' own deadlines.
        if (e.message().find("no answer from an agent") == std::string::npos) {
          std::lock_guard state(state_mutex);
          if (lost.empty()) lost = e.message();
        }
      } catch (const Error&) {
      }
    }
  }
};

namespace {

// One link: its own DEALER socket, requests tagged with the session's client id and its link id.
class ZmqTransport final : public Transport {
 public:
  ZmqTransport(std::shared_ptr<ZmqSession> session, ZmqSession::Impl& impl)
      : session_(std::move(session)), impl_(impl) {
    socket_ = zmq::socket_t(*impl_.context, zmq::socket_type::dealer);
    configure(socket_, impl_.options);
    socket_.connect(impl_.options.endpoint);
    link_ = impl_.next_link++;
  }

  std::string describe() const override { return impl_.where(); }

  TransportCapabilities capabilities() const override {
    TransportCapabilities c;
    c.max_frame_payload = std::min(impl_.info.max_frame_payload, protocol::kMaxPayload);
    c.remote = true;
    c.pipeline_depth = std::max<std::size_t>(1, impl_.options.pipeline_depth);
    return c;
  }

  void exchange_into(std::span<const std::uint8_t> request, std::vector<std::uint8_t>& response,
                     Deadline deadline, std::stop_token stop) override {
    post(request, deadline, stop);
    collect(protocol::peek_sequence(request).value_or(0), response, deadline, std::move(stop));
  }

  void post(std::span<const std::uint8_t> request, Deadline deadline, std::stop_token stop) override {
    check_lease();
    const auto sequence = protocol::peek_sequence(request);
    if (!sequence)
      throw InvalidArgumentError(ErrorCode::invalid_argument,
                                 fmt::format("{}: a request shorter than a frame header", describe()));
    outstanding_.insert(*sequence);
    FrameFaults* faults = impl_.options.faults;
    if (faults != nullptr) {
      if (faults->cut())
        throw TransportError(ErrorCode::transport, fmt::format("{}: link cut (injected)", describe()));
      const auto pause = faults->delay();
      if (pause.count() > 0) std::this_thread::sleep_for(pause);
      for (const auto& f : faults->on_request(request)) send(f, deadline, stop);
      return;
    }
    send(request, deadline, stop);
  }

  void collect(std::uint32_t sequence, std::vector<std::uint8_t>& response, Deadline deadline,
               std::stop_token stop) override {
    std::vector<zmq::message_t> parts;
    while (true) {
      if (auto it = answered_.find(sequence); it != answered_.end()) {
        const auto bytes = span_of(it->second);
        response.assign(bytes.begin(), bytes.end());  // into the caller's buffer, reusing its capacity
        answered_.erase(it);
        outstanding_.erase(sequence);
        return;
      }
      while (receive_message(socket_, parts)) take(parts);
      if (answered_.contains(sequence)) continue;
      if (stop.stop_requested()) {
        outstanding_.erase(sequence);
        throw CancelledError(ErrorCode::cancelled, fmt::format("{}: cancelled", describe()));
      }
      check_lease();
      if (deadline.expired()) {
        outstanding_.erase(sequence);
        throw TimeoutError(ErrorCode::timeout,
                           fmt::format("{}: no response to request {} in time", describe(), sequence));
      }
      zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
      zmqwire::poll(&item, 1, std::chrono::milliseconds(poll_ms(deadline)));
    }
  }

  void discard_posted() override {
    outstanding_.clear();
    answered_.clear();
  }

 private:
  void check_lease() {
    std::lock_guard lock(impl_.state_mutex);
    if (!impl_.lost.empty()) throw TransportError(ErrorCode::transport, impl_.lost);
  }

  void send(std::span<const std::uint8_t> frame, Deadline deadline, const std::stop_token& stop) {
    // A request is never sent once a stop is requested: its answer could come back before the stop is
    // seen, and the call would return as if nothing had been asked to stop.
    if (stop.stop_requested())
      throw CancelledError(ErrorCode::cancelled, fmt::format("{}: cancelled", describe()));
    check_lease();
    if (deadline.expired())
      throw TimeoutError(ErrorCode::timeout, fmt::format("{}: deadline passed before sending", describe()));
    auto env = envelope(Kind::request, impl_.id);
    env.u32(link_);
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline.remaining()).count();
    env.u32(static_cast<std::uint32_t>(std::clamp<std::int64_t>(left, 1, 0x7FFFFFFF)));
    while (true) {
      // Both parts go together or not at all: ZeroMQ queues a multipart message atomically.
      if (socket_.send(zmq::buffer(env.data().data(), env.size()),
                       zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
        socket_.send(zmq::buffer(frame.data(), frame.size()), zmq::send_flags::none);
        return;
      }
      if (stop.stop_requested())
        throw CancelledError(ErrorCode::cancelled, fmt::format("{}: cancelled", describe()));
      if (deadline.expired())
        throw TimeoutError(
            ErrorCode::timeout,
            fmt::format("{}: not connected to the agent (the network or the agent is down)", describe()));
      zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLOUT, 0};
      zmqwire::poll(&item, 1, std::chrono::milliseconds(poll_ms(deadline)));
    }
  }

  // One message from the agent: an answer to a request of this link, or an error for one.
  void take(std::vector<zmq::message_t>& parts) {
    const auto r = parse_reply(span_of(parts[0]));
    if (!r || r->kind != Kind::request) return;
    protocol::PayloadReader rd(r->fields, "agent reply");
    const std::uint32_t link = rd.u32();
    const std::uint32_t sequence = rd.u32();
    if (link != link_) return;
    if (r->status != ErrorCode::ok) {
      if (!outstanding_.contains(sequence)) return;
      outstanding_.erase(sequence);
      throw_error(r->status, fmt::format("{}: {}", describe(), rd.string()));
    }
    if (parts.size() < 2) return;
    const auto frame = span_of(parts[1]);
    // Like any stream link: a response to nothing outstanding (a late duplicate) is dropped.
    const auto wanted = [&](std::span<const std::uint8_t> f) {
      const auto s = protocol::peek_sequence(f);
      return s && outstanding_.contains(*s) && !answered_.contains(*s) ? s : std::nullopt;
    };
    if (FrameFaults* faults = impl_.options.faults) {
      for (const auto& f : faults->on_response(frame))
        if (const auto s = wanted(f)) answered_.emplace(*s, zmq::message_t(f.data(), f.size()));
    } else if (const auto s = wanted(frame)) {
      answered_.emplace(*s, std::move(parts[1]));  // kept as received: copied once, into the caller's buffer
    }
  }

  std::shared_ptr<ZmqSession> session_;  // keeps the context alive
  ZmqSession::Impl& impl_;
  zmq::socket_t socket_;
  std::uint32_t link_ = 0;
  std::set<std::uint32_t> outstanding_;
  std::map<std::uint32_t, zmq::message_t> answered_;
};

}  // namespace

std::shared_ptr<ZmqSession> ZmqSession::open(const ZmqClientOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->connect_control(options);
  auto& o = impl->options;
  protocol::PayloadWriter hello;
  hello.u32(static_cast<std::uint32_t>(o.lease.count()));
  hello.string(o.board);
  hello.string(o.holder);
  const Reply r = impl->control_call(Kind::hello, hello, o.connect_timeout);
  protocol::PayloadReader rd(r.fields, "hello reply");
  impl->info.name = rd.string();
  impl->info.description = rd.string();
  impl->info.agent = rd.string();
  impl->info.die_socket = rd.u8() != 0;
  impl->info.max_frame_payload = rd.u64();
  if (o.board.empty()) o.board = impl->info.name;
  impl->established = true;
  Impl* raw = impl.get();
  std::shared_ptr<ZmqSession> session(new ZmqSession(std::move(impl)));
  raw->heartbeat = std::jthread([raw](std::stop_token stop) { raw->heartbeat_loop(stop); });
  return session;
}

ZmqSession::ZmqSession(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ZmqSession::~ZmqSession() {
  impl_->heartbeat.request_stop();
  if (impl_->heartbeat.joinable()) impl_->heartbeat.join();
  if (!impl_->vanished) {
    try {
      impl_->control_call(Kind::bye, {}, Milliseconds{500});
    } catch (const Error&) {
      // The agent is gone or has already ended the lease: nothing to release.
    }
  }
}

const RemoteBoardInfo& ZmqSession::board() const {
  return impl_->info;
}

const ZmqClientOptions& ZmqSession::options() const {
  return impl_->options;
}

std::string ZmqSession::client_id() const {
  return zmqwire::hex(impl_->id);
}

std::unique_ptr<Transport> ZmqSession::connect() {
  return std::make_unique<ZmqTransport>(shared_from_this(), *impl_);
}

void ZmqSession::insert(std::string_view lot, int wafer, int x, int y, int insertion) {
  protocol::PayloadWriter w;
  w.string(lot);
  w.u32(static_cast<std::uint32_t>(wafer));
  w.u32(static_cast<std::uint32_t>(x));
  w.u32(static_cast<std::uint32_t>(y));
  w.u32(static_cast<std::uint32_t>(insertion));
  impl_->control_call(Kind::insert, w, impl_->options.connect_timeout);
  std::lock_guard lock(impl_->state_mutex);
  impl_->die = fmt::format("{}-{}-{}-{}", lot, wafer, x, y);
}

std::optional<std::string> ZmqSession::current_die() const {
  std::lock_guard lock(impl_->state_mutex);
  return impl_->die;
}

std::string ZmqSession::lease_lost() const {
  std::lock_guard lock(impl_->state_mutex);
  return impl_->lost;
}

void ZmqSession::vanish() {
  impl_->heartbeat.request_stop();
  if (impl_->heartbeat.joinable()) impl_->heartbeat.join();
  std::lock_guard lock(impl_->control_mutex);
  impl_->control.close();
  impl_->vanished = true;
}

std::vector<std::string> list_agent_boards(const ZmqClientOptions& options) {
  ZmqSession::Impl impl;
  impl.connect_control(options);
  const Reply r = impl.control_call(Kind::list, {}, impl.options.connect_timeout);
  protocol::PayloadReader rd(r.fields, "list reply");
  std::vector<std::string> lines(rd.u32());
  for (auto& l : lines) l = rd.string();
  impl.vanished = true;
  return lines;
}

}  // namespace seedval

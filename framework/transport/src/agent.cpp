#include <algorithm>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include <fmt/core.h>
#include <fmt/ranges.h>
#include <unistd.h>
#include <zmq.hpp>

#include <seedval/core/error.h>
#include <seedval/core/log.h>
#include <seedval/protocol/frame.h>
#include <seedval/protocol/payload.h>
#include <seedval/transport/agent.h>
#include <seedval/transport/zmq.h>

#include "zmq_wire.h"

namespace seedval {
namespace {

using zmqwire::ClientId;
using zmqwire::Kind;
using Clock = SteadyClock;

constexpr std::size_t kCacheEntries = 256;      // answered requests kept per lease for duplicates
constexpr std::size_t kCacheBytes = 64u << 20;  // and at most this much of them
constexpr auto kPollInterval = std::chrono::milliseconds(50);

std::vector<std::uint8_t> to_bytes(const zmq::message_t& m) {
  const auto* p = static_cast<const std::uint8_t*>(m.data());
  return {p, p + m.size()};
}

std::span<const std::uint8_t> span_of(const zmq::message_t& m) {
  return {static_cast<const std::uint8_t*>(m.data()), m.size()};
}

// Requests answered by the router thread itself when the board's worker is idle: they finish in
// microseconds to milliseconds. MBIST runs, tensor operations, holds, resets, operating-point changes
// and fills (which may cover the whole HBM) go to the worker.
bool is_quick(std::uint8_t opcode) {
  using protocol::Opcode;
  switch (static_cast<Opcode>(opcode)) {
    case Opcode::ping:
    case Opcode::identify:
    case Opcode::reg_read:
    case Opcode::reg_write:
    case Opcode::reg_batch:
    case Opcode::mem_read:
    case Opcode::mem_write:
    case Opcode::sensors:
    case Opcode::tensor_caps:
      return true;
    default:
      return false;
  }
}

zmq::message_t message(std::span<const std::uint8_t> bytes) {
  return zmq::message_t(bytes.data(), bytes.size());
}

// The reply envelope: version, kind, status.
protocol::PayloadWriter reply(Kind kind, ErrorCode status) {
  protocol::PayloadWriter w;
  w.u8(zmqwire::kVersion);
  w.u8(static_cast<std::uint8_t>(kind));
  w.u16(static_cast<std::uint16_t>(status));
  return w;
}

std::string agent_identity() {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return fmt::format("seedval agent on {} (pid {})", host, ::getpid());
}

std::string since(Clock::time_point t) {
  return fmt::format("{} ms",
                     std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count());
}

struct Lease {
  ClientId client{};
  std::string holder;
  Milliseconds length{0};
  Clock::time_point granted{};
  Clock::time_point last_heard{};
};

struct CacheKey {
  std::uint32_t link = 0;
  std::uint32_t sequence = 0;
  auto operator<=>(const CacheKey&) const = default;
};

}  // namespace

struct Agent::Impl {
  struct Slot {
    ServedBoard board;
    std::optional<Lease> lease;
    zmq::socket_t pair;  // router thread's end of the worker's PAIR
    std::thread worker;
    std::map<CacheKey, std::vector<std::uint8_t>> cache;  // answered requests of the current lease
    std::deque<CacheKey> cache_order;
    std::size_t cache_bytes = 0;
    std::set<CacheKey> in_progress;
    // The board's own link and the buffer of its answers. Used by the router thread (quick requests
    // while the worker is idle) or by the worker (everything else), never both: the router hands work
    // to the worker only through the PAIR and touches the link again only once `dispatched` is back
    // to 0, i.e. after the worker's answers arrived (ZeroMQ's message passing orders the accesses).
    std::unique_ptr<Transport> link;
    std::vector<std::uint8_t> response;
    std::mutex link_mutex;  // never contended (see above); states the rule for readers and sanitizers
    int dispatched = 0;     // messages handed to the worker and not answered yet
  };

  AgentOptions options;
  zmq::context_t context{1};
  zmq::socket_t router;
  std::vector<std::string> endpoints;
  std::string public_key;
  std::string identity = agent_identity();
  std::vector<std::unique_ptr<Slot>> slots;
  std::map<ClientId, std::string> lost;  // why a client's lease ended, for its next message
  std::thread zap;
  std::atomic<bool> stopping{false};
  Stats stats;

  void log(std::string_view line) {
    if (options.log)
      options.log(line);
    else
      log::info("agent: {}", line);
  }

  Slot* leased_by(const ClientId& client) {
    for (auto& s : slots)
      if (s->lease && s->lease->client == client) return s.get();
    return nullptr;
  }

  void release(Slot& s, std::string why) {
    if (!s.lease) return;
    log(fmt::format("board {}: lease of {} ended: {}", s.board.name, s.lease->holder, why));
    lost[s.lease->client] = fmt::format("the lease of board {} ended: {}", s.board.name, why);
    s.lease.reset();
    s.cache.clear();
    s.cache_order.clear();
    s.cache_bytes = 0;
  }

  void send_reply(const zmq::message_t& routing_id, protocol::PayloadWriter&& envelope,
                  std::span<const std::uint8_t> frame = {}, bool with_frame = false) {
    zmq::message_t rid(routing_id.data(), routing_id.size());
    router.send(rid, zmq::send_flags::sndmore | zmq::send_flags::dontwait);
    const auto env = envelope.data();
    router.send(message(env), with_frame ? zmq::send_flags::sndmore | zmq::send_flags::dontwait
                                         : zmq::send_flags::dontwait);
    if (with_frame) router.send(message(frame), zmq::send_flags::dontwait);
  }

  void send_error(const zmq::message_t& rid, Kind kind, ErrorCode code, const std::string& text,
                  std::optional<std::pair<std::uint32_t, std::uint32_t>> link_seq = std::nullopt) {
    auto w = reply(kind, code);
    if (link_seq) {
      w.u32(link_seq->first);
      w.u32(link_seq->second);
    }
    w.string(text);
    send_reply(rid, std::move(w));
  }

  void worker_loop(Slot& slot, zmq::socket_t socket);
  /// Relays one request frame to the board's link. Returns the reply envelope (status, link,
  /// sequence, and the error message if the board's link failed) and the answer frame (empty then).
  std::pair<zmq::message_t, zmq::message_t> execute(Slot& slot, std::uint32_t link_id,
                                                    std::uint32_t timeout_ms,
                                                    std::span<const std::uint8_t> frame);
  /// Keeps the answer to a non-idempotent request for duplicates of it.
  void remember(Slot& slot, const CacheKey& key, std::span<const std::uint8_t> answer);
  void zap_loop();
  void on_client_message(std::vector<zmq::message_t>& parts);
  void on_worker_message(Slot& slot, std::vector<zmq::message_t>& parts);
  void expire_leases();
};

void Agent::Impl::worker_loop(Slot& slot, zmq::socket_t socket) {
  for (;;) {
    std::vector<zmq::message_t> parts;
    zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
    zmqwire::poll(&item, 1, kPollInterval);
    if (stopping) return;
    if (!(item.revents & ZMQ_POLLIN) || !zmqwire::receive_message(socket, parts)) continue;
    if (parts.size() < 3) continue;
    const auto kind = static_cast<Kind>(*static_cast<const std::uint8_t*>(parts[1].data()));
    ErrorCode status = ErrorCode::ok;
    std::string error_text;
    protocol::PayloadWriter out;
    if (kind == Kind::insert) {
      try {
        const auto fields = to_bytes(parts[2]);
        protocol::PayloadReader r(fields, "insert");
        const std::string lot = r.string();
        const int wafer = static_cast<int>(r.u32());
        const int x = static_cast<int>(r.u32());
        const int y = static_cast<int>(r.u32());
        const int insertion = static_cast<int>(r.u32());
        r.expect_end();
        if (!slot.board.insert)
          throw UnsupportedError(
              ErrorCode::unsupported,
              fmt::format("board {} takes no dies (it is not simulated)", slot.board.name));
        std::lock_guard lock(slot.link_mutex);
        slot.link.reset();
        slot.board.insert(lot, wafer, x, y, insertion);
      } catch (const Error& e) {
        status = e.code();
        error_text = e.message();
      }
      auto w = reply(Kind::insert, status);
      if (status != ErrorCode::ok) w.string(error_text);
      zmqwire::send_to_thread(socket, parts[0], zmq::send_flags::sndmore);
      zmqwire::send_to_thread(socket, message(w.data()), zmq::send_flags::sndmore);
      zmqwire::send_to_thread(socket, zmq::message_t(), zmq::send_flags::none);
      continue;
    }
    // A request: parts[2] holds link and timeout, parts[3] the frame.
    const auto env = to_bytes(parts[2]);
    protocol::PayloadReader r(env, "request envelope");
    const std::uint32_t link_id = r.u32();
    const std::uint32_t timeout_ms = r.u32();
    auto [reply_envelope, answer] = execute(
        slot, link_id, timeout_ms, parts.size() > 3 ? span_of(parts[3]) : std::span<const std::uint8_t>{});
    zmqwire::send_to_thread(socket, parts[0], zmq::send_flags::sndmore);
    zmqwire::send_to_thread(socket, reply_envelope, zmq::send_flags::sndmore);
    zmqwire::send_to_thread(socket, answer, zmq::send_flags::none);
  }
}

std::pair<zmq::message_t, zmq::message_t> Agent::Impl::execute(Slot& slot, std::uint32_t link_id,
                                                               std::uint32_t timeout_ms,
                                                               std::span<const std::uint8_t> frame) {
  ErrorCode status = ErrorCode::ok;
  std::string error_text;
  std::lock_guard lock(slot.link_mutex);
  try {
    if (!slot.link) slot.link = slot.board.connect();
    slot.link->exchange_into(frame, slot.response,
                             Deadline::after(Milliseconds{std::max<std::uint32_t>(timeout_ms, 1)}), {});
  } catch (const Error& e) {
    // The board's own link failed (a USB board vanished): the error crosses to the client intact.
    status = e.code();
    error_text = fmt::format("{} on {}: {}", slot.board.name, identity, e.message());
    if (e.code() == ErrorCode::transport) slot.link.reset();
  }
  auto w = reply(Kind::request, status);
  w.u32(link_id);
  w.u32(protocol::peek_sequence(frame).value_or(0));
  if (status != ErrorCode::ok) w.string(error_text);
  return {message(w.data()), status == ErrorCode::ok ? message(slot.response) : zmq::message_t()};
}

void Agent::Impl::remember(Slot& slot, const CacheKey& key, std::span<const std::uint8_t> answer) {
  // Not kept: answers to idempotent requests (a duplicate may simply run again, and bulk reads would
  // be copied for nothing), and refusals of a damaged request (nothing ran: a resend must reach the
  // board).
  if (!slot.lease || answer.size() < protocol::kHeaderSize) return;
  const auto frame_status = static_cast<ErrorCode>(answer[6] | (answer[7] << 8));
  const bool idempotent = protocol::is_known_opcode(answer[3]) &&
                          protocol::is_idempotent(static_cast<protocol::Opcode>(answer[3]));
  if (idempotent || frame_status == ErrorCode::checksum || frame_status == ErrorCode::protocol) return;
  slot.cache_bytes += answer.size();
  slot.cache.emplace(key, std::vector<std::uint8_t>(answer.begin(), answer.end()));
  slot.cache_order.push_back(key);
  while (slot.cache_order.size() > kCacheEntries || slot.cache_bytes > kCacheBytes) {
    auto old = slot.cache.find(slot.cache_order.front());
    if (old != slot.cache.end()) {
      slot.cache_bytes -= old->second.size();
      slot.cache.erase(old);
    }
    slot.cache_order.pop_front();
  }
}

void Agent::Impl::zap_loop() {
  // ZAP (RFC 27): libzmq asks here whether a CURVE client may connect.
  zmq::socket_t handler(context, zmq::socket_type::rep);
  handler.set(zmq::sockopt::linger, 0);
  handler.bind("inproc://zeromq.zap.01");
  const std::set<std::string> allowed(options.allowed_client_keys.begin(), options.allowed_client_keys.end());
  while (!stopping) {
    zmq::pollitem_t item{handler.handle(), 0, ZMQ_POLLIN, 0};
    zmqwire::poll(&item, 1, kPollInterval);
    std::vector<zmq::message_t> parts;
    if (!(item.revents & ZMQ_POLLIN) || !zmqwire::receive_message(handler, parts)) continue;
    // version, request id, domain, address, identity, mechanism, credentials...
    std::string status = "400", text = "not allowed";
    std::string address = parts.size() > 3 ? parts[3].to_string() : "?";
    if (parts.size() >= 7 && parts[5].to_string() == "CURVE" && parts[6].size() == 32) {
      char z85[41] = {};
      zmq_z85_encode(z85, static_cast<const std::uint8_t*>(parts[6].data()), 32);
      if (allowed.contains(z85)) {
        status = "200";
        text = "OK";
      } else {
        ++stats.auth_refused;
        log(fmt::format("refused a CURVE client from {}: key {} is not allowed", address, z85));
      }
    } else {
      ++stats.auth_refused;
      log(fmt::format("refused a client from {}: no CURVE credentials", address));
    }
    const std::string request_id = parts.size() > 1 ? parts[1].to_string() : "";
    handler.send(zmq::buffer(std::string_view("1.0")), zmq::send_flags::sndmore);
    handler.send(zmq::buffer(request_id), zmq::send_flags::sndmore);
    handler.send(zmq::buffer(status), zmq::send_flags::sndmore);
    handler.send(zmq::buffer(text), zmq::send_flags::sndmore);
    handler.send(zmq::buffer(std::string_view("")), zmq::send_flags::sndmore);
    handler.send(zmq::buffer(std::string_view("")), zmq::send_flags::none);
  }
}

void Agent::Impl::on_client_message(std::vector<zmq::message_t>& parts) {
  const zmq::message_t& rid = parts[0];
  if (parts.size() < 2) return;
  const auto env = to_bytes(parts[1]);
  if (env.size() < 2 + 16 || env[0] != zmqwire::kVersion) {
    log(fmt::format("dropped a malformed message ({} bytes of envelope)", env.size()));
    return;
  }
  const auto kind = static_cast<Kind>(env[1]);
  ClientId client{};
  std::copy_n(env.begin() + 2, 16, client.begin());
  protocol::PayloadReader r(std::span<const std::uint8_t>(env).subspan(18), "agent envelope");
  Slot* mine = leased_by(client);
  if (mine) mine->lease->last_heard = Clock::now();
  try {
    switch (kind) {
      case Kind::hello: {
        const Milliseconds length{std::min<std::int64_t>(r.u32(), options.max_lease.count())};
        const std::string wanted = r.string();
        const std::string holder = r.string();
        Slot* slot = nullptr;
        for (auto& s : slots)
          if (wanted.empty() || s->board.name == wanted) {
            slot = s.get();
            break;
          }
        if (!slot) {
          std::vector<std::string> names;
          for (auto& s : slots) names.push_back(s->board.name);
          throw NotFoundError(ErrorCode::not_found, fmt::format("{} serves no board \"{}\" (it serves: {})",
                                                                identity, wanted, fmt::join(names, ", ")));
        }
        if (slot->lease && slot->lease->client != client) {
          ++stats.refused;
          log(fmt::format("board {}: refused {}: leased by {}", slot->board.name, holder,
                          slot->lease->holder));
          throw_error(ErrorCode::busy,
                      fmt::format("board {} at {} is leased by {} (for {}, last heard {} ago)",
                                  slot->board.name, identity, slot->lease->holder,
                                  since(slot->lease->granted), since(slot->lease->last_heard)));
        }
        if (mine && mine != slot) release(*mine, "the client leased another board");
        if (!slot->lease) {
          slot->lease = Lease{client, holder, length, Clock::now(), Clock::now()};
          log(fmt::format("board {}: leased to {} for {} ms after its last message", slot->board.name, holder,
                          length.count()));
        }
        lost.erase(client);
        auto w = reply(Kind::hello, ErrorCode::ok);
        w.string(slot->board.name);
        w.string(slot->board.description);
        w.string(identity);
        w.u8(slot->board.insert ? 1 : 0);
        w.u64(protocol::kMaxPayload);
        send_reply(rid, std::move(w));
        return;
      }
      case Kind::heartbeat:
      case Kind::bye:
      case Kind::insert:
      case Kind::request: {
        if (!mine) {
          ++stats.refused;
          auto it = lost.find(client);
          const std::string why =
              it != lost.end() ? it->second : fmt::format("this client holds no lease at {}", identity);
          std::optional<std::pair<std::uint32_t, std::uint32_t>> link_seq;
          if (kind == Kind::request) {
            const std::uint32_t link = r.u32();
            const auto frame = parts.size() > 2 ? to_bytes(parts[2]) : std::vector<std::uint8_t>{};
            link_seq = {link, protocol::peek_sequence(frame).value_or(0)};
          }
          if (kind == Kind::bye) {
            send_reply(rid, reply(Kind::bye, ErrorCode::ok));
            return;
          }
          send_error(rid, kind, ErrorCode::transport, why, link_seq);
          return;
        }
        if (kind == Kind::heartbeat) {
          send_reply(rid, reply(Kind::heartbeat, ErrorCode::ok));
          return;
        }
        if (kind == Kind::bye) {
          release(*mine, "released by its holder");
          lost.erase(client);
          send_reply(rid, reply(Kind::bye, ErrorCode::ok));
          return;
        }
        if (kind == Kind::insert) {
          ++mine->dispatched;
          zmqwire::send_to_thread(mine->pair,
                                  message(std::span<const std::uint8_t>(
                                      static_cast<const std::uint8_t*>(rid.data()), rid.size())),
                                  zmq::send_flags::sndmore);
          const std::uint8_t k = static_cast<std::uint8_t>(Kind::insert);
          zmqwire::send_to_thread(mine->pair, zmq::message_t(&k, 1), zmq::send_flags::sndmore);
          zmqwire::send_to_thread(mine->pair, message(std::span<const std::uint8_t>(env).subspan(18)),
                                  zmq::send_flags::none);
          return;
        }
        const std::uint32_t link = r.u32();
        if (parts.size() < 3) throw ProtocolError(ErrorCode::protocol, "a request without a frame");
        const std::span<const std::uint8_t> frame(static_cast<const std::uint8_t*>(parts[2].data()),
                                                  parts[2].size());
        const auto sequence = protocol::peek_sequence(frame);
        const CacheKey key{link, sequence.value_or(0)};
        if (sequence) {
          if (auto hit = mine->cache.find(key); hit != mine->cache.end()) {
            ++stats.duplicates;  // executed already: answer again from the cache
            auto w = reply(Kind::request, ErrorCode::ok);
            w.u32(link);
            w.u32(*sequence);
            send_reply(rid, std::move(w), hit->second, true);
            return;
          }
          if (mine->in_progress.contains(key)) {
            ++stats.duplicates;  // executing now: its answer is on the way
            return;
          }
          mine->in_progress.insert(key);
        }
        ++stats.requests;
        const bool quick = frame.size() >= protocol::kHeaderSize && is_quick(frame[3]);
        if (quick && mine->dispatched == 0) {
          // Nothing queued at the worker and the request is short: answer it here, saving two thread
          // hops per round trip. Long ones go to the worker so leases and other boards never wait.
          auto [envelope_out, answer] = execute(*mine, link, r.u32(), frame);
          const bool ok = span_of(envelope_out)[2] == 0 && span_of(envelope_out)[3] == 0;
          if (sequence) mine->in_progress.erase(key);
          if (ok) remember(*mine, key, span_of(answer));
          zmq::message_t rid_out(rid.data(), rid.size());
          router.send(rid_out, zmq::send_flags::sndmore | zmq::send_flags::dontwait);
          router.send(envelope_out,
                      ok ? zmq::send_flags::sndmore | zmq::send_flags::dontwait : zmq::send_flags::dontwait);
          if (ok) router.send(answer, zmq::send_flags::dontwait);
          return;
        }
        ++mine->dispatched;
        zmq::message_t rid_copy(rid.data(), rid.size());
        zmqwire::send_to_thread(mine->pair, rid_copy, zmq::send_flags::sndmore);
        const std::uint8_t k = static_cast<std::uint8_t>(Kind::request);
        zmqwire::send_to_thread(mine->pair, zmq::message_t(&k, 1), zmq::send_flags::sndmore);
        zmqwire::send_to_thread(mine->pair, message(std::span<const std::uint8_t>(env).subspan(18)),
                                zmq::send_flags::sndmore);
        zmqwire::send_to_thread(mine->pair, parts[2], zmq::send_flags::none);
        return;
      }
      case Kind::list: {
        auto w = reply(Kind::list, ErrorCode::ok);
        w.u32(static_cast<std::uint32_t>(slots.size()));
        for (auto& s : slots)
          w.string(s->lease ? fmt::format("{}  leased by {}", s->board.name, s->lease->holder)
                            : fmt::format("{}  free", s->board.name));
        send_reply(rid, std::move(w));
        return;
      }
    }
    throw ProtocolError(ErrorCode::protocol, fmt::format("unknown message kind {}", env[1]));
  } catch (const Error& e) {
    send_error(rid, kind, e.code(), e.message());
  }
}

void Agent::Impl::on_worker_message(Slot& slot, std::vector<zmq::message_t>& parts) {
  if (parts.size() < 3) return;
  --slot.dispatched;
  const auto env = span_of(parts[1]);
  const bool request = env.size() >= 12 && static_cast<Kind>(env[1]) == Kind::request;
  const bool ok = env.size() >= 4 && env[2] == 0 && env[3] == 0;
  if (request) {
    protocol::PayloadReader r(env.subspan(4), "worker reply");
    const CacheKey key{r.u32(), r.u32()};
    slot.in_progress.erase(key);
    if (ok) remember(slot, key, span_of(parts[2]));
    if (slot.lease) slot.lease->last_heard = Clock::now();
  }
  const bool frame = request && ok;
  router.send(parts[0], zmq::send_flags::sndmore | zmq::send_flags::dontwait);
  router.send(parts[1],
              frame ? zmq::send_flags::sndmore | zmq::send_flags::dontwait : zmq::send_flags::dontwait);
  if (frame) router.send(parts[2], zmq::send_flags::dontwait);
}

void Agent::Impl::expire_leases() {
  const auto now = Clock::now();
  for (auto& s : slots)
    if (s->lease && s->in_progress.empty() && now - s->lease->last_heard > s->lease->length) {
      ++stats.expired;
      release(*s, fmt::format("no message from {} for {} ms (the client vanished)", s->lease->holder,
                              s->lease->length.count()));
    }
}

Agent::Agent(std::vector<ServedBoard> boards, AgentOptions options) : impl_(std::make_unique<Impl>()) {
  auto& m = *impl_;
  m.options = std::move(options);
  if (boards.empty())
    throw InvalidArgumentError(ErrorCode::invalid_argument, "an agent needs a board to serve");
  if (m.options.bind.empty()) m.options.bind = {"tcp://127.0.0.1:5555"};
  const bool curve = !m.options.curve_secret_key.empty();
  for (const auto& e : m.options.bind)
    if (!curve && !is_local_endpoint(e))
      throw ConfigError(ErrorCode::config,
                        fmt::format("agent: binding {} reaches beyond this host: give a CurveZMQ secret key "
                                    "and the allowed client keys (--curve-secret, --allow)",
                                    e));
  if (curve) {
    m.public_key = curve_public_key(m.options.curve_secret_key);
    if (m.options.allowed_client_keys.empty())
      throw ConfigError(ErrorCode::config, "agent: CURVE is on but no client key is allowed");
    for (const auto& k : m.options.allowed_client_keys)
      if (!is_z85_key(k))
        throw ConfigError(
            ErrorCode::config,
            fmt::format("agent: allowed client key \"{}\" is not a Z85 key of 40 characters", k));
    m.zap = std::thread([&m] { m.zap_loop(); });
  }
  m.router = zmq::socket_t(m.context, zmq::socket_type::router);
  m.router.set(zmq::sockopt::linger, 0);
  m.router.set(zmq::sockopt::router_handover, 1);
  m.router.set(zmq::sockopt::maxmsgsize, static_cast<std::int64_t>(protocol::kMaxPayload + (1u << 16)));
  m.router.set(zmq::sockopt::sndhwm, 0);
  m.router.set(zmq::sockopt::rcvhwm, 0);
  if (curve) {
    m.router.set(zmq::sockopt::curve_server, 1);
    m.router.set(zmq::sockopt::curve_secretkey, m.options.curve_secret_key);
    m.router.set(zmq::sockopt::zap_domain, "seedval");
  }
  for (const auto& e : m.options.bind) {
    try {
      m.router.bind(e);
    } catch (const zmq::error_t& err) {
      m.stopping = true;
      if (m.zap.joinable()) m.zap.join();
      throw TransportError(ErrorCode::transport, fmt::format("agent: cannot bind {}: {}", e, err.what()));
    }
    m.endpoints.push_back(m.router.get(zmq::sockopt::last_endpoint));
  }
  int n = 0;
  for (auto& b : boards) {
    auto slot = std::make_unique<Impl::Slot>();
    slot->board = std::move(b);
    const std::string address = fmt::format("inproc://seedval-agent-board-{}", n++);
    slot->pair = zmq::socket_t(m.context, zmq::socket_type::pair);
    slot->pair.set(zmq::sockopt::linger, 0);
    slot->pair.bind(address);
    zmq::socket_t worker(m.context, zmq::socket_type::pair);
    worker.set(zmq::sockopt::linger, 0);
    worker.connect(address);
    Impl::Slot* raw = slot.get();
    slot->worker =
        std::thread([&m, raw, w = std::move(worker)]() mutable { m.worker_loop(*raw, std::move(w)); });
    m.slots.push_back(std::move(slot));
  }
}

Agent::~Agent() {
  impl_->stopping = true;
  for (auto& s : impl_->slots)
    if (s->worker.joinable()) s->worker.join();
  if (impl_->zap.joinable()) impl_->zap.join();
}

const std::vector<std::string>& Agent::endpoints() const {
  return impl_->endpoints;
}

const std::string& Agent::public_key() const {
  return impl_->public_key;
}

const Agent::Stats& Agent::stats() const {
  return impl_->stats;
}

void Agent::run(std::stop_token stop) {
  auto& m = *impl_;
  std::vector<zmq::pollitem_t> items;
  items.push_back({m.router.handle(), 0, ZMQ_POLLIN, 0});
  for (auto& s : m.slots) items.push_back({s->pair.handle(), 0, ZMQ_POLLIN, 0});
  const auto receive = zmqwire::receive_message;
  std::vector<zmq::message_t> parts;
  while (!stop.stop_requested()) {
    zmqwire::poll(items.data(), items.size(), kPollInterval);
    if (items[0].revents & ZMQ_POLLIN)
      while (receive(m.router, parts)) m.on_client_message(parts);
    for (std::size_t i = 0; i < m.slots.size(); ++i)
      if (items[i + 1].revents & ZMQ_POLLIN)
        while (receive(m.slots[i]->pair, parts)) m.on_worker_message(*m.slots[i], parts);
    m.expire_leases();
  }
}

}  // namespace seedval

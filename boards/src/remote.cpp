// The "remote" board backend: a board served by a `seedval agent` on another host, over ZeroMQ.
//
// Descriptor keys (besides board/transport/description/include):
//   "endpoint"                 the agent, "tcp://HOST:PORT" or "ipc://PATH"                (required)
//   "remote_board"             the board's name at the agent           (default: the agent's first)
//   "server_key"               the agent's CurveZMQ public key (Z85)    (required off loopback)
//   "client_secret_key_file"   this client's CurveZMQ secret key, relative to the descriptor
//                              (default: $SEEDVAL_CURVE_SECRET_KEY; a fresh key when neither is set)
//   "lease_ms"                 the lease, renewed by heartbeats          (default 3000)
//   "pipeline_depth"           requests in flight per link               (default 16)
// The same board is reached with --board zmq+tcp://HOST:PORT[?board=NAME][&server_key=KEY].
#include <cstdlib>

#include <fmt/core.h>

#include <seedval/boards/backend.h>
#include <seedval/core/error.h>
#include <seedval/transport/zmq.h>

#include "registry.h"

namespace seedval {
namespace {

class RemoteBoard final : public Board, public DieSocket {
 public:
  RemoteBoard(BoardInfo info, const ZmqClientOptions& options)
      : Board(std::move(info)), session_(ZmqSession::open(options)) {}

  std::unique_ptr<Transport> connect() override { return session_->connect(); }
  DieSocket* die_socket() override { return session_->board().die_socket ? this : nullptr; }

  void insert(const chip::DieId& die, int insertion) override {
    session_->insert(die.lot, die.wafer, die.x, die.y, insertion);
    current_ = die;
  }
  std::optional<chip::DieId> current() const override { return current_; }

 private:
  std::shared_ptr<ZmqSession> session_;
  std::optional<chip::DieId> current_;
};

void client_key_from_env(ZmqClientOptions& o) {
  if (o.server_key.empty() || !o.client_keys.secret_key.empty()) return;
  if (const char* file = std::getenv("SEEDVAL_CURVE_SECRET_KEY"); file != nullptr && *file != '\0')
    o.client_keys.secret_key = read_curve_key_file(file);
}

std::unique_ptr<Board> make_remote(JsonObject& params, BoardInfo info) {
  ZmqClientOptions o;
  o.endpoint = params.string("endpoint");
  o.board = params.string_or("remote_board", "");
  o.server_key = params.string_or("server_key", "");
  if (!o.server_key.empty() && !is_z85_key(o.server_key))
    params.fail("server_key", "expected the agent's public key: 40 characters of Z85");
  if (params.has("client_secret_key_file"))
    o.client_keys.secret_key = read_curve_key_file(resolve_path(params, "client_secret_key_file").string());
  o.lease = Milliseconds{params.integer_or("lease_ms", 3000, 100, 3'600'000)};
  o.pipeline_depth = static_cast<std::size_t>(params.integer_or("pipeline_depth", 16, 1, 1024));
  if (info.transport != "zmq") params.fail("transport", "a remote board is reached over \"zmq\"");
  client_key_from_env(o);
  return std::make_unique<RemoteBoard>(std::move(info), o);
}

}  // namespace

namespace detail {

void register_remote_backend(BoardRegistry& r) {
  r.backends.emplace("remote", BoardBackend{"a board served by `seedval agent` over ZeroMQ", make_remote});
}

std::unique_ptr<Board> open_remote_uri(std::string_view uri) {
  const ZmqUri u = parse_zmq_uri(uri);
  ZmqClientOptions o;
  o.endpoint = u.endpoint;
  o.board = u.board;
  o.server_key = u.server_key;
  client_key_from_env(o);
  BoardInfo info;
  info.name = u.board.empty() ? std::string(uri) : u.board;
  info.backend = "remote";
  info.transport = "zmq";
  info.description = fmt::format("remote board at {}", u.endpoint);
  auto board = std::make_unique<RemoteBoard>(info, o);
  return board;
}

}  // namespace detail
}  // namespace seedval

// Remote boards over ZeroMQ: the client side. A `seedval agent` (agent.h) serves the boards attached to a
// lab host; a remote orchestrator reaches one of them through a ZmqSession (the lease on the board) and
// ZmqTransports (links carrying protocol frames, several in flight at once).
//
//   ZmqClientOptions o;
//   o.endpoint = "tcp://bench-07:5555";
//   o.board = "seedchip-sim";
//   auto session = ZmqSession::open(o);              // leases the board; heartbeats keep the lease
//   Device dev(session->connect(), "bench-07/seedchip-sim");
//
// What crosses the network is chip-level operations (the wire protocol's frames), never raw USB.
//
// Each message is a ZeroMQ multipart message: an envelope (kind, client id, kind-specific fields) and,
// for requests and their answers, one protocol frame. The agent suppresses duplicates by client id and
// frame sequence (a request that arrives twice is executed once and answered from its cache), and the
// device layer sends again only idempotent requests (protocol::is_idempotent). A board is leased to one
// client at a time: a second client is refused with a message naming the holder, and a lease expires
// when its holder stops sending heartbeats (it vanished), so the board is free again.
//
// Off loopback, the agent requires CurveZMQ: the client names the agent's public key and has a key pair
// of its own whose public key the agent allows. A refused handshake is reported as such, not as a
// timeout.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <seedval/core/clock.h>
#include <seedval/transport/transport.h>

namespace seedval {

class FrameFaults;

/// A CurveZMQ key pair, Z85-encoded (40 characters each).
struct CurveKeyPair {
  std::string public_key;
  std::string secret_key;
};
/// A new key pair (zmq_curve_keypair). Throws UnsupportedError when libzmq has no CURVE support.
CurveKeyPair generate_curve_keys();
/// The public key of a Z85 secret key. Throws ConfigError for a malformed key.
std::string curve_public_key(std::string_view secret_key);
/// Whether `key` is a Z85-encoded 32-byte key (40 characters of the Z85 alphabet).
bool is_z85_key(std::string_view key);
/// Reads a key file: one Z85 key (40 characters) on its first line; `#` lines are comments. Throws
/// ConfigError naming the file for anything else.
std::string read_curve_key_file(const std::string& path);
/// Reads a file of allowed client public keys: one Z85 key per line, `#` comments and blank lines
/// ignored. Throws ConfigError naming the file and line of a malformed key.
std::vector<std::string> read_allowed_keys_file(const std::string& path);
/// Whether `endpoint` (a ZeroMQ endpoint, "tcp://127.0.0.1:5555", "ipc:///run/x") can only be reached
/// from this host: loopback addresses, ipc:// and inproc://.
bool is_local_endpoint(std::string_view endpoint);

/// Remote-board URIs as commands take them with --board:
///   zmq+tcp://HOST:PORT[?board=NAME][&server_key=Z85]   zmq+ipc://PATH[?board=NAME][&server_key=Z85]
/// The client's own CurveZMQ secret key comes from the file named by SEEDVAL_CURVE_SECRET_KEY.
struct ZmqUri {
  std::string endpoint;  ///< "tcp://HOST:PORT" or "ipc://PATH"
  std::string board;     ///< empty: the agent's first board
  std::string server_key;
};
/// True for strings starting with "zmq+".
bool is_zmq_uri(std::string_view s);
/// Throws ConfigError naming the URI and what is wrong with it.
ZmqUri parse_zmq_uri(std::string_view uri);

struct ZmqClientOptions {
  std::string endpoint;  ///< the agent, e.g. "tcp://bench-07:5555" or "ipc:///run/seedval/agent"
  std::string board;     ///< the board to lease; empty: the agent's first board
  /// Who holds the lease, shown to other clients refused the board; default "user@host pid N".
  std::string holder;
  /// The lease lasts this long after the last message from this client; heartbeats go out at a third
  /// of it, so a vanished client frees the board within this time.
  Milliseconds lease{3000};
  /// How long open() waits for the agent to answer.
  Milliseconds connect_timeout{5000};
  /// Requests one link keeps in flight (the transport's pipeline depth).
  std::size_t pipeline_depth = 16;
  std::string server_key;    ///< the agent's CurveZMQ public key (Z85); empty: no CURVE
  CurveKeyPair client_keys;  ///< this client's key pair; generated when empty and server_key is set
  /// Faults injected into the frames this client sends and receives (testing; not owned).
  FrameFaults* faults = nullptr;
};

/// What the agent says about the board it leased.
struct RemoteBoardInfo {
  std::string name;         ///< the board's name at the agent
  std::string description;  ///< the agent's description of it, e.g. "seedchip-sim (boards/...)"
  std::string agent;        ///< the agent's own identification (host, pid, instance)
  bool die_socket = false;  ///< the board takes dies (a simulated board): insert() works
  std::size_t max_frame_payload = 0;
};

/// A lease on one board of an agent, kept alive by heartbeats from a thread of its own. Destroying it
/// releases the lease.
class ZmqSession : public std::enable_shared_from_this<ZmqSession> {
 public:
  /// Connects to the agent and leases the board. Throws TransportError when the agent does not answer
  /// in time or refuses the handshake (naming the endpoint), BusyError when another client holds the
  /// board (naming the holder), NotFoundError when the agent has no such board.
  static std::shared_ptr<ZmqSession> open(const ZmqClientOptions& options);
  ~ZmqSession();
  ZmqSession(const ZmqSession&) = delete;
  ZmqSession& operator=(const ZmqSession&) = delete;

  const RemoteBoardInfo& board() const;
  const ZmqClientOptions& options() const;
  /// The 16-byte client id, hex; the agent's duplicate suppression and lease key.
  std::string client_id() const;

  /// A new link to the leased board. Several may exist; each carries its own requests.
  std::unique_ptr<Transport> connect();
  /// Puts a die into the agent's simulated board (DieSocket). Throws UnsupportedError when the board
  /// takes no dies.
  void insert(std::string_view lot, int wafer, int x, int y, int insertion);
  /// The die now in the agent's socket, if the agent reports one.
  std::optional<std::string> current_die() const;

  /// Empty while the lease holds; else why it was lost ("the agent ended the lease: ...").
  std::string lease_lost() const;
  /// Stops heartbeats and closes the connection without releasing the lease, as a client that
  /// crashed or lost its network would (for tests of lease expiry).
  void vanish();

  struct Impl;

 private:
  explicit ZmqSession(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// Lists the boards an agent serves and who holds each, without leasing any: one line per board,
/// "NAME  free" or "NAME  leased by HOLDER". Throws TransportError when the agent does not answer.
std::vector<std::string> list_agent_boards(const ZmqClientOptions& options);

}  // namespace seedval

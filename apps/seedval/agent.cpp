// seedval agent: serve the boards attached to this host to remote orchestrators over ZeroMQ.
// seedval keygen: make a CurveZMQ key pair for an agent or a client.
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <seedval/boards/board.h>
#include <seedval/core/error.h>
#include <seedval/transport/agent.h>
#include <seedval/transport/zmq.h>

#include "common.h"

namespace seedval::cli {
namespace {

struct AgentOptionsCli {
  std::vector<std::string> boards;
  std::vector<std::string> bind;
  std::string curve_secret;
  std::string allow;
  std::string endpoint_file;
  long max_lease_ms = 600'000;
};

std::stop_source g_agent_stop;  // SIGINT/SIGTERM end the agent; leases end with it
extern "C" void on_agent_signal(int) {
  g_agent_stop.request_stop();
}

int agent(const AgentOptionsCli& o) {
  std::vector<std::unique_ptr<Board>> opened;
  std::vector<ServedBoard> served;
  for (const auto& name :
       o.boards.empty() ? std::vector<std::string>{std::string(kDefaultBoard)} : o.boards) {
    if (name.starts_with("zmq+"))
      throw InvalidArgumentError(
          ErrorCode::invalid_argument,
          fmt::format("--board {}: an agent serves boards attached to this host", name));
    auto board = open_board(name);
    Board* raw = board.get();
    ServedBoard s;
    s.name = board->info().name;
    s.description = board->describe();
    s.connect = [raw] { return raw->connect(); };
    if (raw->die_socket() != nullptr)
      s.insert = [raw](std::string_view lot, int wafer, int x, int y, int insertion) {
        raw->die_socket()->insert(chip::DieId{std::string(lot), wafer, x, y}, insertion);
      };
    served.push_back(std::move(s));
    opened.push_back(std::move(board));
  }
  AgentOptions options;
  options.bind = o.bind;
  options.max_lease = Milliseconds{o.max_lease_ms};
  if (!o.curve_secret.empty()) options.curve_secret_key = read_curve_key_file(o.curve_secret);
  if (!o.allow.empty()) options.allowed_client_keys = read_allowed_keys_file(o.allow);
  if (options.curve_secret_key.empty() != options.allowed_client_keys.empty())
    throw InvalidArgumentError(
        ErrorCode::invalid_argument,
        "--curve-secret and --allow go together: the agent's key and the clients it lets in");
  options.log = [](std::string_view line) { std::cerr << "seedval agent: " << line << std::endl; };
  Agent server(std::move(served), options);
  std::vector<std::string> names;
  for (const auto& b : opened) names.push_back(b->info().name);
  for (const auto& e : server.endpoints())
    std::cout << fmt::format(
        "serving {} on {}{}\n", fmt::join(names, ", "), e,
        server.public_key().empty() ? "" : fmt::format(" (CurveZMQ, key {})", server.public_key()));
  std::cout.flush();
  if (!o.endpoint_file.empty()) {
    // Written whole, then renamed: a script waiting for the file never reads half of it.
    const std::filesystem::path file(o.endpoint_file), tmp = file.string() + ".tmp";
    {
      std::ofstream f(tmp);
      f << server.endpoints().front() << "\n";
      if (!f) throw IoError(ErrorCode::io, fmt::format("{}: cannot write", tmp.string()));
    }
    std::filesystem::rename(tmp, file);
  }
  std::signal(SIGINT, on_agent_signal);
  std::signal(SIGTERM, on_agent_signal);
  server.run(g_agent_stop.get_token());
  std::cerr << "seedval agent: stopped\n";
  return kOk;
}

int keygen(const std::string& prefix) {
  const CurveKeyPair keys = generate_curve_keys();
  const std::string secret = prefix + ".key", pub = prefix + ".pub";
  {
    std::ofstream f(secret);
    f << "# seedval CurveZMQ secret key: keep it private\n" << keys.secret_key << "\n";
    if (!f) throw IoError(ErrorCode::io, fmt::format("{}: cannot write", secret));
  }
  std::filesystem::permissions(secret,
                               std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  {
    std::ofstream f(pub);
    f << keys.public_key << "\n";
    if (!f) throw IoError(ErrorCode::io, fmt::format("{}: cannot write", pub));
  }
  std::cout << fmt::format("wrote {} (secret) and {} (public: {})\n", secret, pub, keys.public_key);
  return kOk;
}

}  // namespace

void add_agent(CLI::App& app) {
  auto o = std::make_shared<AgentOptionsCli>();
  auto* cmd = app.add_subcommand("agent", "serve this host's boards to remote orchestrators over ZeroMQ");
  cmd->add_option("--board,-b", o->boards,
                  board_option_help() + "; repeat to serve several (default seedchip-sim)");
  cmd->add_option("--bind", o->bind,
                  "endpoint to bind, e.g. tcp://127.0.0.1:5555, tcp://127.0.0.1:* (a free port), "
                  "ipc:///run/seedval/agent; off loopback needs --curve-secret and --allow "
                  "(default tcp://127.0.0.1:5555)");
  cmd->add_option("--curve-secret", o->curve_secret,
                  "file with the agent's CurveZMQ secret key (seedval keygen)");
  cmd->add_option("--allow", o->allow, "file of the client public keys let in, one per line");
  cmd->add_option("--endpoint-file", o->endpoint_file, "write the bound endpoint to this file once serving");
  cmd->add_option("--max-lease-ms", o->max_lease_ms, "longest lease a client may ask for")
      ->capture_default_str();
  cmd->callback([o] { throw ExitRequest{guarded("agent", [&] { return agent(*o); })}; });

  auto prefix = std::make_shared<std::string>();
  auto* gen = app.add_subcommand("keygen", "make a CurveZMQ key pair: PREFIX.key (secret) and PREFIX.pub");
  gen->add_option("prefix", *prefix, "path prefix of the two files")->required();
  gen->callback([prefix] { throw ExitRequest{guarded("keygen", [&] { return keygen(*prefix); })}; });
}

}  // namespace seedval::cli

#include "support/postgres_server.h"

#include <algorithm>
#include <atomic>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace seedval::testing {
namespace {

namespace fs = std::filesystem;

/// The newest /usr/lib/postgresql/<version>/bin holding initdb and pg_ctl (or $SEEDVAL_PG_BIN).
fs::path find_server_binaries() {
  if (const char* env = std::getenv("SEEDVAL_PG_BIN"); env != nullptr && *env != '\0') return env;
  std::vector<fs::path> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const fs::path bin = entry.path() / "bin";
    if (fs::exists(bin / "initdb", ec) && fs::exists(bin / "pg_ctl", ec)) found.push_back(bin);
  }
  if (found.empty())
    throw std::runtime_error(
        "the PostgreSQL tests need a PostgreSQL server: no initdb and pg_ctl under "
        "/usr/lib/postgresql/*/bin; "
        "install Debian's postgresql package (apt-get install postgresql; ./dev setup does)");
  std::sort(found.begin(), found.end(), [](const fs::path& a, const fs::path& b) {
    const auto version = [](const fs::path& p) { return std::atoi(p.parent_path().filename().c_str()); };
    return version(a) < version(b);
  });
  return found.back();
}

/// A TCP port of 127.0.0.1 free at this moment (the kernel's pick).
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("cannot open a socket to find a free port");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot find a free TCP port on 127.0.0.1");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool running_as_root() {
  return ::geteuid() == 0;
}

std::string read_all(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

/// Runs `argv` (as the postgres user when we are root), its output to `log`; returns the exit status.
int run(std::vector<std::string> argv, const fs::path& log) {
  if (running_as_root()) argv.insert(argv.begin(), {"runuser", "-u", "postgres", "--"});
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::close(fd);
    }
    const int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) ::dup2(null, 0);
    ::close_range(3, ~0u, 0);  // no descriptor of the test (a store's socket or file) into the server
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void run_or_throw(const std::vector<std::string>& argv, const fs::path& log, const std::string& what) {
  if (run(argv, log) != 0) {
    std::string command;
    for (const auto& a : argv) command += (command.empty() ? "" : " ") + a;
    throw std::runtime_error("PostgreSQL test server: " + what + " failed (" + command +
                             "): " + read_all(log));
  }
}

}  // namespace

PostgresServer::PostgresServer() : bin_(find_server_binaries()) {
  static std::atomic<int> counter{0};
  folder_ = fs::temp_directory_path() /
            ("seedval-pg-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  fs::remove_all(folder_);
  fs::create_directories(folder_);
  try {
    if (running_as_root()) {
      const passwd* pw = ::getpwnam("postgres");
      if (pw == nullptr)
        throw std::runtime_error(
            "PostgreSQL test server: running as root, and initdb refuses root, but there is no `postgres` "
            "user to run it as (Debian's postgresql package creates it)");
      if (::chown(folder_.c_str(), pw->pw_uid, pw->pw_gid) != 0)
        throw std::runtime_error("PostgreSQL test server: cannot hand " + folder_.string() + " to postgres");
    }
    const fs::path data = folder_ / "data";
    const fs::path password_file = folder_ / "password";
    std::ofstream(password_file) << kPassword << '\n';
    run_or_throw(
        {(bin_ / "initdb").string(), "-D", data.string(), "-U", kUser, "--pwfile", password_file.string(),
         "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync"},
        folder_ / "initdb.log", "initdb");
    // A port free a moment ago may be taken before the server binds it: try a few.
    std::string last;
    for (int attempt = 0; attempt < 5 && !running_; ++attempt) {
      port_ = free_port();
      const std::string options = "-p " + std::to_string(port_) + " -k " + folder_.string() +
                                  " -c listen_addresses=127.0.0.1 -c max_connections=50";
      if (run({(bin_ / "pg_ctl").string(), "-D", data.string(), "-l", (folder_ / "server.log").string(), "-w",
               "-t", "60", "-o", options, "start"},
              folder_ / "pg_ctl.log") == 0)
        running_ = true;
      else
        last = read_all(folder_ / "pg_ctl.log") + read_all(folder_ / "server.log");
    }
    if (!running_) throw std::runtime_error("PostgreSQL test server: pg_ctl start failed: " + last);
  } catch (...) {
    std::error_code ec;
    fs::remove_all(folder_, ec);
    throw;
  }
}

PostgresServer::~PostgresServer() {
  stop();
  std::error_code ec;
  fs::remove_all(folder_, ec);
}

void PostgresServer::stop() {
  if (!running_) return;
  run({(bin_ / "pg_ctl").string(), "-D", (folder_ / "data").string(), "-m", "immediate", "-w", "stop"},
      folder_ / "pg_ctl-stop.log");
  running_ = false;
}

std::string PostgresServer::uri(const std::string& db, const std::string& password) const {
  return "postgresql://" + std::string(kUser) + ":" + password + "@127.0.0.1:" + std::to_string(port_) + "/" +
         db;
}

std::string PostgresServer::shown(const std::string& db) const {
  return "postgresql://" + std::string(kUser) + "@127.0.0.1:" + std::to_string(port_) + "/" + db;
}

std::string PostgresServer::keywords(const std::string& db) const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " dbname=" + db + " user=" + kUser +
         " password=" + kPassword;
}

std::string PostgresServer::create_database() {
  const std::string name = "seedval_" + std::to_string(++databases_);
  psql("postgres", "CREATE DATABASE " + name);
  return uri(name);
}

std::string PostgresServer::psql(const std::string& db, const std::string& sql) const {
  const fs::path log = folder_ / ("psql-" + std::to_string(::getpid()) + ".log");
  const fs::path psql_bin = fs::exists(bin_ / "psql") ? bin_ / "psql" : fs::path("psql");
  run_or_throw({psql_bin.string(), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", folder_.string(),
                "-p", std::to_string(port_), "-U", kUser, "-d", db, "-c", sql},
               log, "psql -c \"" + sql + "\"");
  std::string out = read_all(log);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

PostgresServer& shared_postgres_server() {
  static PostgresServer server;
  return server;
}

}  // namespace seedval::testing

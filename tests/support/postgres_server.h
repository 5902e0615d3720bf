// A throwaway PostgreSQL server for tests of the results store on PostgreSQL: Debian's `postgresql`
// package (initdb and pg_ctl under /usr/lib/postgresql/<version>/bin), a cluster in a fresh temporary
// folder, listening on a free TCP port of 127.0.0.1 (never a fixed one) and on a Unix socket in that
// folder. Over TCP the user `seedval` logs in with a password (SCRAM), as a station would; on the Unix
// socket, which only psql here uses, it is trusted. Stopped and removed with everything in it at the end
// of the object's life. As root (CI), initdb and pg_ctl run as the `postgres` user (runuser), which
// owns the folder: initdb refuses root.
//
//   testing::PostgresServer& pg = testing::shared_postgres_server();  // one per test executable
//   const std::string uri = pg.create_database();   // postgresql://seedval:PW@127.0.0.1:PORT/seedval_3
//
// When the server binaries are absent or the server does not start, the constructor throws
// std::runtime_error saying so (and how to install them): a test that needs it fails, never skips.
#pragma once

#include <filesystem>
#include <string>

namespace seedval::testing {

class PostgresServer {
 public:
  static constexpr const char* kUser = "seedval";
  static constexpr const char* kPassword = "seedval-test-pw";

  PostgresServer();
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  int port() const { return port_; }
  const std::filesystem::path& folder() const { return folder_; }
  /// postgresql://seedval:PASSWORD@127.0.0.1:PORT/DB, or with another `password`.
  std::string uri(const std::string& db, const std::string& password = kPassword) const;
  /// How the store names that server in messages: postgresql://seedval@127.0.0.1:PORT/DB (no password).
  std::string shown(const std::string& db) const;
  /// The libpq keyword/value form: "host=127.0.0.1 port=PORT dbname=DB user=seedval password=PASSWORD".
  std::string keywords(const std::string& db) const;
  /// A new empty database (seedval_1, seedval_2, ...); returns its URI.
  std::string create_database();
  /// Runs one SQL command on database `db` with psql; returns what it printed (unaligned, tuples only).
  /// Throws std::runtime_error with psql's output when it fails.
  std::string psql(const std::string& db, const std::string& sql) const;
  /// Stops the server now (immediate shutdown), for tests of a server that went away.
  void stop();

 private:
  std::filesystem::path folder_;
  std::filesystem::path bin_;
  int port_ = 0;
  bool running_ = false;
  int databases_ = 0;
};

/// One server for the whole test executable, started on first use, stopped at exit.
PostgresServer& shared_postgres_server();

}  // namespace seedval::testing

// The store's SQL on SQLite: one file, WAL, synchronous=FULL (a commit is on disk when it returns),
// foreign keys on, a busy timeout for another process holding the write lock.
#include <fmt/core.h>
#include <sqlite3.h>

#include "db.h"

namespace seedval::db {
namespace {

[[noreturn]] void fail(sqlite3* db, const std::string& where, int rc) {
  const int extended = sqlite3_extended_errcode(db);
  const std::string message = fmt::format("{}: {}", where, sqlite3_errmsg(db));
  if (rc == SQLITE_CONSTRAINT &&
      (extended == SQLITE_CONSTRAINT_UNIQUE || extended == SQLITE_CONSTRAINT_PRIMARYKEY))
    throw UniqueViolation(ErrorCode::io, message);
  throw IoError(ErrorCode::io, message);
}

class SqliteStatement final : public Statement {
 public:
  SqliteStatement(sqlite3* db, std::string_view sql, const std::string& location)
      : db_(db), location_(location) {
    if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr) != SQLITE_OK)
      throw IoError(ErrorCode::io,
                    fmt::format("{}: cannot prepare a statement: {}", location, sqlite3_errmsg(db)));
  }
  ~SqliteStatement() override { sqlite3_finalize(stmt_); }
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  void bind_int(int i, std::int64_t v) override { check(sqlite3_bind_int64(stmt_, i, v)); }
  void bind_real(int i, double v) override { check(sqlite3_bind_double(stmt_, i, v)); }
  void bind_text(int i, std::string_view v) override {
    check(sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
  }
  void bind_blob(int i, std::string_view v) override {
    check(sqlite3_bind_blob(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
  }
  void bind_null(int i) override { check(sqlite3_bind_null(stmt_, i)); }

  bool step() override {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail(db_, location_, rc);
  }
  void reset() override {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  void run() override {
    try {
      step();
    } catch (...) {
      reset();
      throw;
    }
    reset();
  }
  std::int64_t insert() override {
    run();
    return sqlite3_last_insert_rowid(db_);
  }

  bool is_null(int c) const override { return sqlite3_column_type(stmt_, c) == SQLITE_NULL; }
  std::int64_t integer(int c) const override { return sqlite3_column_int64(stmt_, c); }
  double real(int c) const override { return sqlite3_column_double(stmt_, c); }
  std::string text(int c) const override {
    const auto* p = sqlite3_column_text(stmt_, c);
    return p == nullptr ? std::string()
                        : std::string(reinterpret_cast<const char*>(p),
                                      static_cast<std::size_t>(sqlite3_column_bytes(stmt_, c)));
  }
  void blob_into(int c, std::string& out) const override {
    const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, c));
    if (p == nullptr)
      out.clear();
    else
      out.assign(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, c)));
  }
  void text_into(int c, std::string& out) const override {
    const auto* p = sqlite3_column_text(stmt_, c);
    if (p == nullptr)
      out.clear();
    else
      out.assign(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, c)));
  }
  std::string blob(int c) const override {
    const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, c));
    return p == nullptr ? std::string()
                        : std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, c)));
  }

 private:
  void check(int rc) const {
    if (rc != SQLITE_OK) fail(db_, location_, rc);
  }
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  const std::string& location_;
};

class SqliteConnection final : public Connection {
 public:
  explicit SqliteConnection(const std::filesystem::path& file) : location_(file.string()) {
    // NOMUTEX: a connection is used by one thread at a time (a ResultStore is), so SQLite need not lock
    // its mutex around every call; that locking was a third of the time to read a large lot back.
    const int rc = sqlite3_open_v2(file.c_str(), &db_,
                                   SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      const std::string why = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
      sqlite3_close(db_);
      throw IoError(ErrorCode::io, fmt::format("{}: cannot open the results store: {}", location_, why));
    }
    sqlite3_busy_timeout(db_, 5000);
    try {
      exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;", "setting up");
    } catch (...) {
      sqlite3_close(db_);
      throw;
    }
  }
  ~SqliteConnection() override { sqlite3_close(db_); }
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  Dialect dialect() const override { return Dialect::sqlite; }
  const std::string& location() const override { return location_; }

  void exec(std::string_view sql, std::string_view what) override {
    const std::string text(sql);
    char* error = nullptr;
    if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
      const std::string message = error != nullptr ? error : sqlite3_errmsg(db_);
      sqlite3_free(error);
      throw IoError(ErrorCode::io, fmt::format("{}: {}: {}", location_, what, message));
    }
  }
  std::unique_ptr<Statement> prepare(std::string_view sql, Returning) override {
    return std::make_unique<SqliteStatement>(db_, sql, location_);
  }
  std::unique_ptr<Statement> stream(std::string_view sql, int) override {
    return std::make_unique<SqliteStatement>(db_, sql, location_);  // SQLite steps rows from the file
  }

  void begin_write() override { exec("BEGIN IMMEDIATE", "starting a transaction"); }
  void begin_read() override { exec("BEGIN", "starting a transaction"); }
  void commit(std::string_view what) override {
    try {
      exec("COMMIT", what);
    } catch (...) {
      rollback();  // a failed COMMIT leaves the transaction open
      throw;
    }
  }
  void rollback() noexcept override {
    if (sqlite3_get_autocommit(db_) == 0) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }

 private:
  std::string location_;
  sqlite3* db_ = nullptr;
};

}  // namespace

std::unique_ptr<Connection> open_sqlite(const std::filesystem::path& file) {
  return std::make_unique<SqliteConnection>(file);
}

}  // namespace seedval::db

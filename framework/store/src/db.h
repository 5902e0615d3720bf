// The SQL behind the results store, private to framework/store: a connection and its prepared
// statements, with one implementation over SQLite (db_sqlite.cpp) and one over PostgreSQL through libpq
// (db_postgres.cpp). The store writes its SQL once, with `?` placeholders and the column types of
// schema_sql(); the few differences between the two dialects are settled here and in the backends:
//
//   what                 SQLite                      PostgreSQL
//   row id               INTEGER PRIMARY KEY         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY
//   integers             INTEGER (64-bit)            BIGINT
//   reals                REAL (64-bit)               DOUBLE PRECISION
//   bytes                BLOB                        BYTEA
//   placeholders         ?                           $1, $2, ... (rewritten by the backend)
//   id of a new row      sqlite3_last_insert_rowid   INSERT ... RETURNING id
//   unique violation     SQLITE_CONSTRAINT_UNIQUE    SQLSTATE 23505          (both: UniqueViolation)
//   streamed rows        stepping the statement      a cursor, fetched in batches
//   many inserts         one by one (in-process)     sent ahead in pipeline mode (begin_batch)
//
// Reals are bound as they are except negative zero, bound as zero on both: SQLite keeps no negative
// zero (it reads back as 0), and the two backends must give back the same values.
//
// Every failure is an IoError whose message starts with the store's location() and says what failed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <seedval/core/error.h>

namespace seedval::db {

enum class Dialect { sqlite, postgresql };

/// The schema text for `dialect`: the same tables, columns and indexes on both.
std::string schema_sql(Dialect dialect);

/// A statement refused because it would break a UNIQUE or PRIMARY KEY constraint.
class UniqueViolation : public IoError {
 public:
  using IoError::IoError;
};

/// One prepared statement. Bind parameters by index (from 1), then step() through the rows (the first
/// call runs it) and read columns by index (from 0); reset() to run it again with new bindings.
class Statement {
 public:
  virtual ~Statement() = default;

  virtual void bind_int(int i, std::int64_t v) = 0;
  virtual void bind_real(int i, double v) = 0;
  virtual void bind_text(int i, std::string_view v) = 0;
  virtual void bind_blob(int i, std::string_view v) = 0;
  virtual void bind_null(int i) = 0;

  /// Runs the statement on the first call; true while a row is available.
  virtual bool step() = 0;
  /// Ends this run (rows not read are dropped) and clears the bindings.
  virtual void reset() = 0;
  /// Runs a statement that returns no rows, then resets it.
  virtual void run() = 0;
  /// Runs an INSERT prepared with Returning::id, resets it and returns the new row's id.
  virtual std::int64_t insert() = 0;

  virtual bool is_null(int c) const = 0;
  virtual std::int64_t integer(int c) const = 0;
  virtual double real(int c) const = 0;
  virtual std::string text(int c) const = 0;
  virtual std::string blob(int c) const = 0;
  /// The same into `out`, whose memory is reused: reading millions of values, no allocation for each.
  virtual void blob_into(int c, std::string& out) const { out = blob(c); }
  virtual void text_into(int c, std::string& out) const { out = text(c); }

  std::optional<double> optional_real(int c) const {
    return is_null(c) ? std::nullopt : std::optional<double>(real(c));
  }

  // Typed binding that chains: s.bind(1, id).bind(2, name).run();
  Statement& bind(int i, std::int64_t v) {
    bind_int(i, v);
    return *this;
  }
  Statement& bind(int i, int v) { return bind(i, static_cast<std::int64_t>(v)); }
  Statement& bind(int i, bool v) { return bind(i, static_cast<std::int64_t>(v ? 1 : 0)); }
  Statement& bind(int i, double v) {
    bind_real(i, v == 0 ? 0.0 : v);  // -0.0 as 0.0 (see above)
    return *this;
  }
  Statement& bind(int i, std::string_view v) {
    bind_text(i, v);
    return *this;
  }
  Statement& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
  Statement& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
  Statement& blob(int i, std::string_view v) {
    bind_blob(i, v);
    return *this;
  }
  Statement& null(int i) {
    bind_null(i);
    return *this;
  }
  template <class T>
  Statement& bind(int i, const std::optional<T>& v) {
    return v ? bind(i, *v) : null(i);
  }
};

/// What an INSERT gives back.
enum class Returning { nothing, id };

class Connection {
 public:
  virtual ~Connection() = default;

  virtual Dialect dialect() const = 0;
  /// Where the store is, for messages: the file, or the server as a postgresql:// URI without password.
  virtual const std::string& location() const = 0;

  /// Runs SQL text of one or more statements with no parameters and no rows.
  virtual void exec(std::string_view sql, std::string_view what) = 0;
  /// Prepares one statement written with `?` placeholders. With Returning::id it is an INSERT into a
  /// table with an `id` row id, run with Statement::insert().
  virtual std::unique_ptr<Statement> prepare(std::string_view sql,
                                             Returning returning = Returning::nothing) = 0;
  /// A query whose rows are read a batch of up to `batch_rows` at a time (PostgreSQL; SQLite steps them
  /// from the file), so a large result is never held whole; only inside a transaction (begin_read),
  /// several may be open at once.
  virtual std::unique_ptr<Statement> stream(std::string_view sql, int batch_rows = 4096) = 0;

  /// A transaction that writes: on SQLite it takes the write lock at once (BEGIN IMMEDIATE).
  virtual void begin_write() = 0;
  /// A write transaction of many statements: on PostgreSQL, those that return nothing (Statement::run)
  /// are sent without waiting for their answers (libpq's pipeline mode), which the next statement that
  /// returns rows or an id, or the commit, reads and checks, so an error still throws before commit()
  /// returns. Only prepare() and the statements it gives inside; no exec() or stream().
  virtual void begin_batch() { begin_write(); }
  /// A transaction that reads one consistent snapshot.
  virtual void begin_read() = 0;
  /// Commits; throws IoError naming `what` when the commit fails (nothing of the transaction is kept).
  virtual void commit(std::string_view what) = 0;
  virtual void rollback() noexcept = 0;
  /// Inside a write transaction: waits until no other process is changing the schema (PostgreSQL: an
  /// advisory lock held to the end of the transaction; SQLite's write lock already does it).
  virtual void lock_schema() {}
};

/// True if `location` names a PostgreSQL server: a postgresql:// or postgres:// URI, or a libpq
/// keyword/value string ("host=... dbname=..."). Anything else is a file path (SQLite).
bool is_postgres_location(std::string_view location);

/// Opens (creating if missing) the SQLite file: WAL, synchronous=FULL, foreign keys, a busy timeout.
std::unique_ptr<Connection> open_sqlite(const std::filesystem::path& file);
/// Connects to the PostgreSQL server `conninfo` names, with synchronous_commit on.
std::unique_ptr<Connection> open_postgres(std::string_view conninfo);

/// Commits on commit(), rolls back if left without it (an exception on the way).
class Transaction {
 public:
  enum Kind { read, write, batch };
  Transaction(Connection& c, Kind kind) : c_(c) {
    if (kind == write)
      c_.begin_write();
    else if (kind == batch)
      c_.begin_batch();
    else
      c_.begin_read();
  }
  ~Transaction() {
    if (open_) c_.rollback();
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit(std::string_view what) {
    open_ = false;
    c_.commit(what);
  }

 private:
  Connection& c_;
  bool open_ = true;
};

}  // namespace seedval::db

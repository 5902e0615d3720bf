// The store's SQL on PostgreSQL through libpq. Statements are prepared once per connection and run with
// their parameters apart from the SQL text (numbers as text, strings and bytes as raw bytes, so nothing is
// cut or reinterpreted); rows come back as text. A commit returns once the server has the transaction on
// disk (synchronous_commit on). Large reads go through a cursor, fetched a batch at a time.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <unordered_map>
#include <vector>

#include <fmt/core.h>
#include <libpq-fe.h>

#include "db.h"

namespace seedval::db {
namespace {

constexpr long long kSchemaLock = 0x5eed5707e;  // advisory lock key: changing the store's schema

std::string trimmed(const char* text) {
  std::string s = text != nullptr ? text : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  std::replace(s.begin(), s.end(), '\n', ' ');
  return s;
}

/// `?` placeholders as `$1`, `$2`, ... (none stands inside a quoted literal in the store's SQL, but they
/// are skipped all the same). Returns the number of parameters.
int to_numbered_placeholders(std::string_view sql, std::string& out) {
  int n = 0;
  char quote = 0;
  for (char ch : sql) {
    if (quote != 0) {
      if (ch == quote) quote = 0;
    } else if (ch == '\'' || ch == '"') {
      quote = ch;
    } else if (ch == '?') {
      out += fmt::format("${}", ++n);
      continue;
    }
    out += ch;
  }
  return n;
}

std::string percent_encoded(std::string_view s) {
  std::string out;
  for (char ch : s) {
    if (ch == '/' || ch == '%' || ch == '@' || ch == ':' || ch == '?' || ch == '#' || ch == ' ' || ch == '&')
      out += fmt::format("%{:02X}", static_cast<unsigned char>(ch));
    else
      out += ch;
  }
  return out;
}

/// The server `conninfo` names as a postgresql:// URI, for messages: user, host, port and database as
/// given, never the password.
std::string describe(std::string_view conninfo) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(std::string(conninfo).c_str(), &error);
  if (options == nullptr) {
    const std::string why = error != nullptr ? trimmed(error) : "out of memory";
    PQfreemem(error);
    throw IoError(ErrorCode::io, fmt::format("not a PostgreSQL connection string: {}", why));
  }
  std::string user, host, port, dbname;
  for (const PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    const std::string_view key = o->keyword;
    if (key == "user")
      user = o->val;
    else if (key == "host")
      host = o->val;
    else if (key == "hostaddr" && host.empty())
      host = o->val;
    else if (key == "port")
      port = o->val;
    else if (key == "dbname")
      dbname = o->val;
  }
  PQconninfoFree(options);
  return fmt::format("postgresql://{}{}{}{}/{}", user.empty() ? "" : percent_encoded(user) + "@",
                     percent_encoded(host), port.empty() ? "" : ":", port, percent_encoded(dbname));
}

class PgConnection;

/// One result, freed with it.
struct Result {
  PGresult* r = nullptr;
  Result() = default;
  explicit Result(PGresult* p) : r(p) {}
  ~Result() { PQclear(r); }
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;
  Result(Result&& o) noexcept : r(o.r) { o.r = nullptr; }
  Result& operator=(Result&& o) noexcept {
    std::swap(r, o.r);
    return *this;
  }
};

class PgConnection final : public Connection {
 public:
  explicit PgConnection(std::string_view conninfo) : location_(describe(conninfo)) {
    // Defaults the connection string may override (it is expanded in place of dbname, after them).
    const std::string info(conninfo);
    const char* keys[] = {"connect_timeout", "fallback_application_name", "client_encoding", "dbname",
                          nullptr};
    const char* values[] = {"10", "seedval", "UTF8", info.c_str(), nullptr};
    conn_ = PQconnectdbParams(keys, values, 1);
    if (conn_ == nullptr)
      throw IoError(ErrorCode::io,
                    fmt::format("{}: cannot connect to the results store: out of memory", location_));
    if (PQstatus(conn_) != CONNECTION_OK) {
      const std::string why = trimmed(PQerrorMessage(conn_));
      PQfinish(conn_);
      throw IoError(ErrorCode::io,
                    fmt::format("{}: cannot connect to the results store: {}", location_, why));
    }
    PQsetNoticeProcessor(
        conn_, [](void*, const char*) {}, nullptr);  // "relation exists, skipping"
    try {
      exec("SET synchronous_commit TO on; SET bytea_output TO hex; SET client_min_messages TO warning",
           "setting up");
    } catch (...) {
      PQfinish(conn_);
      throw;
    }
  }
  ~PgConnection() override { PQfinish(conn_); }
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  Dialect dialect() const override { return Dialect::postgresql; }
  const std::string& location() const override { return location_; }

  void exec(std::string_view sql, std::string_view what) override {
    Result r(PQexec(conn_, std::string(sql).c_str()));
    check(r.r, what);
  }
  std::unique_ptr<Statement> prepare(std::string_view sql, Returning returning) override;
  std::unique_ptr<Statement> stream(std::string_view sql, int batch_rows) override;

  void begin_write() override { exec("BEGIN", "starting a transaction"); }
  void begin_batch() override {
    if (PQenterPipelineMode(conn_) != 1)
      throw IoError(ErrorCode::io, fmt::format("{}: cannot enter pipeline mode: {}", location_,
                                               trimmed(PQerrorMessage(conn_))));
    pipeline_ = true;
    send(PQsendQueryParams(conn_, "BEGIN", 0, nullptr, nullptr, nullptr, nullptr, 0),
         "starting a transaction");
  }
  void begin_read() override {
    // One snapshot for every query of the read, however many rows they stream.
    exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "starting a transaction");
  }
  void commit(std::string_view what) override {
    Result r;
    try {
      if (pipeline_) {
        send(PQsendQueryParams(conn_, "COMMIT", 0, nullptr, nullptr, nullptr, nullptr, 0), what);
        r = drain(what, true);
      } else {
        r = Result(PQexec(conn_, "COMMIT"));
      }
      check(r.r, what);
      // COMMIT of a transaction that failed answers ROLLBACK, not an error.
      if (std::string_view(PQcmdStatus(r.r)) != "COMMIT")
        throw IoError(ErrorCode::io,
                      fmt::format("{}: {}: the server rolled the transaction back", location_, what));
    } catch (...) {
      rollback();
      throw;
    }
  }
  void rollback() noexcept override {
    if (pipeline_) {
      try {
        drain("rolling back", true);
      } catch (...) {  // the transaction is rolled back below, whatever its statements said
      }
    }
    const auto status = PQtransactionStatus(conn_);
    if (status == PQTRANS_INTRANS || status == PQTRANS_INERROR) PQclear(PQexec(conn_, "ROLLBACK"));
  }
  void lock_schema() override {
    exec(fmt::format("SELECT pg_advisory_xact_lock({})", kSchemaLock), "waiting for the schema lock");
  }

  /// Throws IoError (UniqueViolation for SQLSTATE 23505) unless `r` is a success.
  void check(const PGresult* r, std::string_view what) const {
    const auto status = PQresultStatus(r);
    if (r != nullptr && (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)) return;
    std::string why;
    const char* primary = r != nullptr ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
    if (primary != nullptr)
      why = trimmed(primary);
    else
      why = trimmed(PQerrorMessage(conn_));
    if (PQstatus(conn_) == CONNECTION_BAD) why = "lost the connection to the server: " + why;
    const std::string message = what.empty() ? fmt::format("{}: {}", location_, why)
                                             : fmt::format("{}: {}: {}", location_, what, why);
    const char* state = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    if (state != nullptr && std::string_view(state) == "23505") throw UniqueViolation(ErrorCode::io, message);
    throw IoError(ErrorCode::io, message);
  }

  PGconn* conn() const { return conn_; }
  bool pipelining() const { return pipeline_; }

  /// Counts a query sent in pipeline mode (its answer is read by drain); `ok` is what PQsend* returned.
  void send(int ok, std::string_view what) {
    if (ok != 1) {
      const std::string why = trimmed(PQerrorMessage(conn_));
      leave_pipeline(false);
      throw IoError(ErrorCode::io, fmt::format("{}: {}: {}", location_, what, why));
    }
    ++pending_;
  }

  /// Reads the answers to every query sent in pipeline mode and not yet read, and returns the last one.
  /// With `finish`, ends the pipeline first (a Sync) and leaves pipeline mode. If any query failed,
  /// leaves pipeline mode and throws its error (the server then skipped the rest: the transaction is to
  /// be rolled back).
  Result drain(std::string_view what, bool finish) {
    if (finish ? PQpipelineSync(conn_) != 1 : PQsendFlushRequest(conn_) != 1 || PQflush(conn_) != 0) {
      const std::string why = trimmed(PQerrorMessage(conn_));
      leave_pipeline(false);
      throw IoError(ErrorCode::io, fmt::format("{}: {}: {}", location_, what, why));
    }
    const bool synced = finish;
    Result last;
    const PGresult* failed = nullptr;
    Result failure;
    for (; pending_ > 0; --pending_) {
      Result r(PQgetResult(conn_));
      if (r.r == nullptr) {  // no answer: the connection broke
        const std::string why = trimmed(PQerrorMessage(conn_));
        leave_pipeline(synced);
        throw IoError(ErrorCode::io,
                      fmt::format("{}: {}: lost the connection to the server: {}", location_, what, why));
      }
      PQclear(PQgetResult(conn_));  // the null that ends each query's answer
      if (failed == nullptr && PQresultStatus(r.r) == PGRES_FATAL_ERROR) {
        failure = std::move(r);
        failed = failure.r;
      } else {
        last = std::move(r);
      }
    }
    if (finish || failed != nullptr) leave_pipeline(synced);
    if (failed != nullptr) check(failed, what);
    return last;
  }

  /// Leaves pipeline mode: a Sync unless `synced` (one was sent), every answer up to it read.
  void leave_pipeline(bool synced) noexcept {
    if (!pipeline_) return;
    pipeline_ = false;
    pending_ = 0;
    if (PQpipelineStatus(conn_) == PQ_PIPELINE_OFF) return;
    if (!synced && PQpipelineSync(conn_) != 1) {
      PQexitPipelineMode(conn_);
      return;
    }
    for (int nulls = 0; nulls < 2;) {
      PGresult* r = PQgetResult(conn_);
      if (r == nullptr) {
        ++nulls;
        continue;
      }
      nulls = 0;
      const bool sync = PQresultStatus(r) == PGRES_PIPELINE_SYNC;
      PQclear(r);
      if (sync && PQexitPipelineMode(conn_) == 1) return;
    }
    PQexitPipelineMode(conn_);
  }
  std::string next_cursor() { return fmt::format("seedval_cursor_{}", ++cursors_); }

  /// The name of `sql` prepared on the server (prepared on first use; kept for the connection's life).
  const std::string& prepared(const std::string& sql, int params) {
    auto it = prepared_.find(sql);
    if (it != prepared_.end()) return it->second;
    std::string name = fmt::format("seedval_{}", prepared_.size() + 1);
    if (pipeline_) {
      send(PQsendPrepare(conn_, name.c_str(), sql.c_str(), params, nullptr), "preparing a statement");
      (void)drain("preparing a statement", false);
    } else {
      Result r(PQprepare(conn_, name.c_str(), sql.c_str(), params, nullptr));
      check(r.r, "preparing a statement");
    }
    return prepared_.emplace(sql, std::move(name)).first->second;
  }

 private:
  std::string location_;
  PGconn* conn_ = nullptr;
  std::unordered_map<std::string, std::string> prepared_;
  int cursors_ = 0;
  bool pipeline_ = false;  // in a batch: queries sent, answers read later
  int pending_ = 0;        // queries sent whose answers are not read yet
};

class PgStatement final : public Statement {
 public:
  /// A prepared statement, or with `batch_rows` > 0 a query read through a cursor, that many rows a fetch.
  PgStatement(PgConnection& c, std::string_view sql, Returning returning, int batch_rows)
      : c_(c), streamed_(batch_rows > 0), batch_rows_(batch_rows) {
    std::string text;
    const int n = to_numbered_placeholders(sql, text);
    if (returning == Returning::id) text += " RETURNING id";
    values_.resize(static_cast<std::size_t>(n));
    null_.assign(static_cast<std::size_t>(n), true);
    binary_.assign(static_cast<std::size_t>(n), 0);
    if (streamed_)
      sql_ = std::move(text);
    else
      name_ = c_.prepared(text, n);
  }
  ~PgStatement() override { close_cursor(); }
  PgStatement(const PgStatement&) = delete;
  PgStatement& operator=(const PgStatement&) = delete;

  void bind_int(int i, std::int64_t v) override { set(i, std::to_string(v), false); }
  void bind_real(int i, double v) override {
    if (std::isnan(v))
      set(i, "NaN", false);
    else if (std::isinf(v))
      set(i, v > 0 ? "Infinity" : "-Infinity", false);
    else
      set(i, fmt::format("{}", v), false);  // shortest text that reads back as the same double
  }
  // Text goes as raw bytes: the server checks the encoding and refuses what it cannot hold (a NUL),
  // where a text-format parameter would be cut at it without a word.
  void bind_text(int i, std::string_view v) override { set(i, std::string(v), true); }
  void bind_blob(int i, std::string_view v) override { set(i, std::string(v), true); }
  void bind_null(int i) override {
    slot(i);
    null_[static_cast<std::size_t>(i - 1)] = true;
  }

  bool step() override {
    if (!ran_) {
      ran_ = true;
      if (streamed_)
        open_cursor();
      else
        execute(true);
    }
    if (++row_ < PQntuples(result_.r)) return true;
    if (!streamed_ || done_) return false;
    fetch();
    return ++row_ < PQntuples(result_.r);
  }
  void reset() override {
    close_cursor();
    result_ = Result();
    ran_ = false;
    done_ = false;
    row_ = -1;
    std::fill(null_.begin(), null_.end(), true);
  }
  void run() override {
    try {
      execute(false);
    } catch (...) {
      reset();
      throw;
    }
    reset();
  }
  std::int64_t insert() override {
    std::int64_t id = 0;
    try {
      execute(true);
      if (PQntuples(result_.r) != 1)
        throw IoError(ErrorCode::io, fmt::format("{}: an insert returned no id", c_.location()));
      row_ = 0;
      id = integer(0);
    } catch (...) {
      reset();
      throw;
    }
    reset();
    return id;
  }

  bool is_null(int c) const override { return PQgetisnull(result_.r, row_, c) != 0; }
  std::int64_t integer(int c) const override {
    const char* p = PQgetvalue(result_.r, row_, c);
    const char* end = p + PQgetlength(result_.r, row_, c);
    std::int64_t v = 0;
    if (p == end) return 0;  // NULL reads as 0, as in SQLite
    if (std::from_chars(p, end, v).ec != std::errc())
      throw IoError(ErrorCode::io, fmt::format("{}: \"{}\" is not an integer", c_.location(), p));
    return v;
  }
  double real(int c) const override {
    const std::string_view s(PQgetvalue(result_.r, row_, c),
                             static_cast<std::size_t>(PQgetlength(result_.r, row_, c)));
    if (s.empty()) return 0;
    if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
    if (s == "Infinity") return std::numeric_limits<double>::infinity();
    if (s == "-Infinity") return -std::numeric_limits<double>::infinity();
    double v = 0;
    if (std::from_chars(s.data(), s.data() + s.size(), v).ec != std::errc())
      throw IoError(ErrorCode::io, fmt::format("{}: \"{}\" is not a number", c_.location(), s));
    return v;
  }
  std::string text(int c) const override {
    return std::string(PQgetvalue(result_.r, row_, c),
                       static_cast<std::size_t>(PQgetlength(result_.r, row_, c)));
  }
  std::string blob(int c) const override {
    // bytea as text: \x and two hex digits a byte.
    const std::string_view s(PQgetvalue(result_.r, row_, c),
                             static_cast<std::size_t>(PQgetlength(result_.r, row_, c)));
    if (s.empty()) return {};
    if (!s.starts_with("\\x") || s.size() % 2 != 0)
      throw IoError(ErrorCode::io, fmt::format("{}: a bytea value not in hex form", c_.location()));
    std::string out(s.size() / 2 - 1, '\0');
    auto hex = [&](char h) -> int {
      if (h >= '0' && h <= '9') return h - '0';
      if (h >= 'a' && h <= 'f') return h - 'a' + 10;
      if (h >= 'A' && h <= 'F') return h - 'A' + 10;
      throw IoError(ErrorCode::io, fmt::format("{}: a bytea value not in hex form", c_.location()));
    };
    for (std::size_t i = 0; i < out.size(); ++i)
      out[i] = static_cast<char>(hex(s[2 + 2 * i]) * 16 + hex(s[3 + 2 * i]));
    return out;
  }

 private:
  std::size_t slot(int i) const {
    if (i < 1 || static_cast<std::size_t>(i) > values_.size())
      throw IoError(ErrorCode::io, fmt::format("{}: no parameter {} in a statement", c_.location(), i));
    return static_cast<std::size_t>(i - 1);
  }
  void set(int i, std::string v, bool binary) {
    const std::size_t k = slot(i);
    values_[k] = std::move(v);
    null_[k] = false;
    binary_[k] = binary ? 1 : 0;
  }
  struct Params {
    std::vector<const char*> values;
    std::vector<int> lengths;
  };
  Params params() const {
    Params p;
    for (std::size_t k = 0; k < values_.size(); ++k) {
      p.values.push_back(null_[k] ? nullptr : values_[k].c_str());
      p.lengths.push_back(static_cast<int>(values_[k].size()));
    }
    return p;
  }
  /// Runs the statement. In a batch (pipeline mode) it is sent, and its answer read now only if
  /// `answer` is wanted (rows, an id); else with the next one that is.
  void execute(bool answer) {
    const Params p = params();
    row_ = -1;
    if (c_.pipelining()) {
      c_.send(PQsendQueryPrepared(c_.conn(), name_.c_str(), static_cast<int>(values_.size()), p.values.data(),
                                  p.lengths.data(), binary_.data(), 0),
              "sending a statement");
      if (answer) result_ = c_.drain("", false);
      return;
    }
    result_ = Result(PQexecPrepared(c_.conn(), name_.c_str(), static_cast<int>(values_.size()),
                                    p.values.data(), p.lengths.data(), binary_.data(), 0));
    c_.check(result_.r, "");
  }
  void open_cursor() {
    cursor_ = c_.next_cursor();
    const Params p = params();
    const std::string declare = fmt::format("DECLARE {} NO SCROLL CURSOR FOR {}", cursor_, sql_);
    Result r(PQexecParams(c_.conn(), declare.c_str(), static_cast<int>(values_.size()), nullptr,
                          p.values.data(), p.lengths.data(), binary_.data(), 0));
    c_.check(r.r, "opening a cursor");
    fetch();
  }
  void fetch() {
    result_ = Result(PQexec(c_.conn(), fmt::format("FETCH {} FROM {}", batch_rows_, cursor_).c_str()));
    row_ = -1;
    c_.check(result_.r, "reading rows");
    done_ = PQntuples(result_.r) < batch_rows_;
  }
  void close_cursor() noexcept {
    if (cursor_.empty()) return;
    if (PQtransactionStatus(c_.conn()) == PQTRANS_INTRANS)
      PQclear(PQexec(c_.conn(), fmt::format("CLOSE {}", cursor_).c_str()));
    cursor_.clear();
  }

  PgConnection& c_;
  bool streamed_;
  int batch_rows_;    // rows a cursor brings per round trip
  std::string name_;  // the prepared statement
  std::string sql_;   // the query of a cursor
  std::string cursor_;
  std::vector<std::string> values_;
  std::vector<bool> null_;
  std::vector<int> binary_;
  Result result_;
  int row_ = -1;
  bool ran_ = false;
  bool done_ = false;
};

std::unique_ptr<Statement> PgConnection::prepare(std::string_view sql, Returning returning) {
  return std::make_unique<PgStatement>(*this, sql, returning, 0);
}

std::unique_ptr<Statement> PgConnection::stream(std::string_view sql, int batch_rows) {
  return std::make_unique<PgStatement>(*this, sql, Returning::nothing, std::max(batch_rows, 1));
}

}  // namespace

bool is_postgres_location(std::string_view location) {
  if (location.starts_with("postgresql://") || location.starts_with("postgres://")) return true;
  // A keyword/value string starts with one of libpq's keywords and '='.
  std::size_t i = location.find_first_not_of(" \t");
  if (i == std::string_view::npos) return false;
  const std::size_t end = location.find_first_not_of("abcdefghijklmnopqrstuvwxyz_", i);
  if (end == std::string_view::npos || end == i) return false;
  const std::string_view key = location.substr(i, end - i);
  const std::size_t eq = location.find_first_not_of(" \t", end);
  if (eq == std::string_view::npos || location[eq] != '=') return false;
  static const std::vector<std::string> keywords = [] {
    std::vector<std::string> out;
    PQconninfoOption* defaults = PQconndefaults();
    for (const PQconninfoOption* o = defaults; o != nullptr && o->keyword != nullptr; ++o)
      out.emplace_back(o->keyword);
    PQconninfoFree(defaults);
    return out;
  }();
  return std::find(keywords.begin(), keywords.end(), key) != keywords.end();
}

std::unique_ptr<Connection> open_postgres(std::string_view conninfo) {
  return std::make_unique<PgConnection>(conninfo);
}

}  // namespace seedval::db

#include <cstring>
#include <optional>

#include <fmt/core.h>
#include <sqlite3.h>

#include <seedval/core/error.h>
#include <seedval/core/units.h>
#include <seedval/store/store.h>

namespace seedval {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS lots (
  id INTEGER PRIMARY KEY, lot_id TEXT NOT NULL UNIQUE, product TEXT, step TEXT, station TEXT, handler TEXT,
  site_count INTEGER, temperature_c REAL, program_name TEXT, program_path TEXT, program_sha256 TEXT,
  program_revision TEXT, board_name TEXT, board_path TEXT, board_sha256 TEXT, start_time TEXT,
  finish_time TEXT, seedval_version TEXT, ended INTEGER NOT NULL DEFAULT 0, cancelled INTEGER NOT NULL DEFAULT 0,
  stopped_because TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS inputs (
  lot INTEGER NOT NULL REFERENCES lots(id) ON DELETE CASCADE, idx INTEGER NOT NULL, name TEXT, path TEXT,
  sha256 TEXT, PRIMARY KEY (lot, idx));
CREATE TABLE IF NOT EXISTS sites (
  lot INTEGER NOT NULL REFERENCES lots(id) ON DELETE CASCADE, site INTEGER NOT NULL, board TEXT,
  insertions INTEGER, tester_errors INTEGER, out_of_service INTEGER, reason TEXT, PRIMARY KEY (lot, site));
CREATE TABLE IF NOT EXISTS insertions (
  id INTEGER PRIMARY KEY, lot INTEGER NOT NULL REFERENCES lots(id) ON DELETE CASCADE, unit INTEGER NOT NULL,
  part_id TEXT, die_lot TEXT, wafer INTEGER, x INTEGER, y INTEGER, ecid INTEGER, site INTEGER,
  insertion INTEGER NOT NULL, soft_bin INTEGER, hard_bin INTEGER, passed INTEGER, tester_error INTEGER,
  aborted INTEGER, failing_step TEXT, grade TEXT, message TEXT, start_time TEXT, finish_time TEXT,
  test_time_s REAL, UNIQUE (lot, unit, insertion));
CREATE TABLE IF NOT EXISTS steps (
  id INTEGER PRIMARY KEY, insertion INTEGER NOT NULL REFERENCES insertions(id) ON DELETE CASCADE,
  idx INTEGER NOT NULL, step_id TEXT, test TEXT, outcome INTEGER, message TEXT, duration_s REAL,
  error_code INTEGER);
CREATE TABLE IF NOT EXISTS notes (
  step INTEGER NOT NULL REFERENCES steps(id) ON DELETE CASCADE, idx INTEGER NOT NULL, text TEXT);
CREATE TABLE IF NOT EXISTS measurements (
  step INTEGER NOT NULL REFERENCES steps(id) ON DELETE CASCADE, idx INTEGER NOT NULL, name TEXT,
  value REAL, unit TEXT, low REAL, high REAL, outcome INTEGER);
CREATE TABLE IF NOT EXISTS artifacts (
  step INTEGER NOT NULL REFERENCES steps(id) ON DELETE CASCADE, idx INTEGER NOT NULL, name TEXT,
  media_type TEXT, content BLOB);
CREATE INDEX IF NOT EXISTS insertions_by_lot ON insertions (lot, id);
CREATE INDEX IF NOT EXISTS steps_by_insertion ON steps (insertion, idx);
CREATE INDEX IF NOT EXISTS measurements_by_step ON measurements (step, idx);
CREATE INDEX IF NOT EXISTS notes_by_step ON notes (step, idx);
CREATE INDEX IF NOT EXISTS artifacts_by_step ON artifacts (step, idx);
)sql";

class Statement {
 public:
  Statement(sqlite3* db, const char* sql, const std::string& file) : db_(db), file_(file) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK)
      throw IoError(ErrorCode::io,
                    fmt::format("{}: cannot prepare a statement: {}", file, sqlite3_errmsg(db)));
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int i, std::int64_t v) {
    check(sqlite3_bind_int64(stmt_, i, v));
    return *this;
  }
  Statement& bind(int i, int v) { return bind(i, static_cast<std::int64_t>(v)); }
  Statement& bind(int i, bool v) { return bind(i, static_cast<std::int64_t>(v ? 1 : 0)); }
  Statement& bind(int i, double v) {
    check(sqlite3_bind_double(stmt_, i, v));
    return *this;
  }
  Statement& bind(int i, std::string_view v) {
    check(sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
    return *this;
  }
  Statement& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
  Statement& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
  Statement& bind_blob(int i, std::string_view v) {
    check(sqlite3_bind_blob(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
    return *this;
  }
  Statement& bind_null(int i) {
    check(sqlite3_bind_null(stmt_, i));
    return *this;
  }
  template <class T>
  Statement& bind(int i, const std::optional<T>& v) {
    return v ? bind(i, *v) : bind_null(i);
  }

  /// Steps once; true while a row is available.
  bool step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw IoError(ErrorCode::io, fmt::format("{}: {}", file_, sqlite3_errmsg(db_)));
  }
  /// Runs a statement that returns no rows, then resets it for the next use.
  void run() {
    step();
    reset();
  }
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  std::int64_t integer(int c) const { return sqlite3_column_int64(stmt_, c); }
  double real(int c) const { return sqlite3_column_double(stmt_, c); }
  bool is_null(int c) const { return sqlite3_column_type(stmt_, c) == SQLITE_NULL; }
  std::optional<double> optional_real(int c) const {
    return is_null(c) ? std::nullopt : std::optional<double>(real(c));
  }
  std::string text(int c) const {
    const auto* p = sqlite3_column_text(stmt_, c);
    return p == nullptr ? std::string()
                        : std::string(reinterpret_cast<const char*>(p),
                                      static_cast<std::size_t>(sqlite3_column_bytes(stmt_, c)));
  }
  std::string blob(int c) const {
    const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, c));
    return p == nullptr ? std::string()
                        : std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, c)));
  }

 private:
  void check(int rc) const {
    if (rc != SQLITE_OK) throw IoError(ErrorCode::io, fmt::format("{}: {}", file_, sqlite3_errmsg(db_)));
  }
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  std::string file_;
};

Unit unit_of(const std::string& symbol) {
  return unit_from_symbol(symbol).value_or(units::none);
}

}  // namespace

struct ResultStore::Impl {
  std::filesystem::path file;
  sqlite3* db = nullptr;

  void exec(const char* sql, std::string_view what) const {
    char* error = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &error) != SQLITE_OK) {
      const std::string message = error != nullptr ? error : sqlite3_errmsg(db);
      sqlite3_free(error);
      throw IoError(ErrorCode::io, fmt::format("{}: {}: {}", file.string(), what, message));
    }
  }
  std::int64_t lot_key(const std::string& lot_id) const {
    Statement s(db, "SELECT id FROM lots WHERE lot_id = ?", file.string());
    s.bind(1, lot_id);
    if (!s.step())
      throw NotFoundError(ErrorCode::not_found, fmt::format("{}: holds no lot {}", file.string(), lot_id));
    return s.integer(0);
  }
};

ResultStore::ResultStore(const std::filesystem::path& file) : impl_(std::make_unique<Impl>()) {
  impl_->file = file;
  const int rc =
      sqlite3_open_v2(file.c_str(), &impl_->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  if (rc != SQLITE_OK) {
    const std::string why = impl_->db != nullptr ? sqlite3_errmsg(impl_->db) : sqlite3_errstr(rc);
    sqlite3_close(impl_->db);
    impl_->db = nullptr;
    throw IoError(ErrorCode::io, fmt::format("{}: cannot open the results store: {}", file.string(), why));
  }
  sqlite3_busy_timeout(impl_->db, 5000);
  try {
    impl_->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;", "setting up");
    impl_->exec(kSchema, "creating the tables");
    Statement version(impl_->db, "SELECT value FROM meta WHERE key = 'schema_version'", file.string());
    if (version.step()) {
      if (version.text(0) != std::to_string(kSchemaVersion))
        throw IoError(ErrorCode::io,
                      fmt::format("{}: a results store of schema version {}; this seedval reads {}",
                                  file.string(), version.text(0), kSchemaVersion));
    } else {
      Statement set(impl_->db, "INSERT INTO meta (key, value) VALUES ('schema_version', ?)", file.string());
      set.bind(1, std::to_string(kSchemaVersion)).run();
    }
  } catch (...) {
    sqlite3_close(impl_->db);
    impl_->db = nullptr;
    throw;
  }
}

ResultStore::~ResultStore() {
  if (impl_ && impl_->db != nullptr) sqlite3_close(impl_->db);
}

const std::filesystem::path& ResultStore::file() const {
  return impl_->file;
}

void ResultStore::begin_lot(const LotInfo& info) {
  const std::string f = impl_->file.string();
  {
    Statement exists(impl_->db, "SELECT 1 FROM lots WHERE lot_id = ?", f);
    exists.bind(1, info.lot_id);
    if (exists.step())
      throw InvalidArgumentError(ErrorCode::invalid_argument,
                                 fmt::format("{}: already holds lot {}", f, info.lot_id));
  }
  impl_->exec("BEGIN IMMEDIATE", "starting a transaction");
  try {
    Statement lot(impl_->db,
                  "INSERT INTO lots (lot_id, product, step, station, handler, site_count, temperature_c, "
                  "program_name, program_path, program_sha256, program_revision, board_name, board_path, "
                  "board_sha256, start_time, finish_time, seedval_version) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  f);
    lot.bind(1, info.lot_id)
        .bind(2, info.product)
        .bind(3, info.step)
        .bind(4, info.station)
        .bind(5, info.handler);
    lot.bind(6, info.site_count)
        .bind(7, info.temperature_c)
        .bind(8, info.program.name)
        .bind(9, info.program.path);
    lot.bind(10, info.program.sha256).bind(11, info.program_revision).bind(12, info.board.name);
    lot.bind(13, info.board.path)
        .bind(14, info.board.sha256)
        .bind(15, info.start_time)
        .bind(16, info.finish_time);
    lot.bind(17, info.seedval_version).run();
    const std::int64_t key = sqlite3_last_insert_rowid(impl_->db);
    Statement input(impl_->db, "INSERT INTO inputs (lot, idx, name, path, sha256) VALUES (?, ?, ?, ?, ?)", f);
    int i = 0;
    for (const auto& in : info.inputs)
      input.bind(1, key).bind(2, i++).bind(3, in.name).bind(4, in.path).bind(5, in.sha256).run();
    impl_->exec("COMMIT", "committing the lot");
  } catch (...) {
    impl_->exec("ROLLBACK", "rolling back");
    throw;
  }
}

void ResultStore::add_insertion(const std::string& lot_id, const UnitRecord& u) {
  const std::string f = impl_->file.string();
  const std::int64_t lot = impl_->lot_key(lot_id);
  impl_->exec("BEGIN IMMEDIATE", "starting a transaction");
  try {
    Statement ins(
        impl_->db,
        "INSERT INTO insertions (lot, unit, part_id, die_lot, wafer, x, y, ecid, site, insertion, soft_bin, "
        "hard_bin, passed, tester_error, aborted, failing_step, grade, message, start_time, finish_time, "
        "test_time_s) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        f);
    ins.bind(1, lot)
        .bind(2, u.unit)
        .bind(3, u.part_id)
        .bind(4, u.die.lot)
        .bind(5, u.die.wafer)
        .bind(6, u.die.x);
    ins.bind(7, u.die.y);
    if (u.ecid)
      ins.bind(8, static_cast<std::int64_t>(*u.ecid));  // the same 64 bits, signed
    else
      ins.bind_null(8);
    ins.bind(9, u.site).bind(10, u.insertion).bind(11, u.soft_bin).bind(12, u.hard_bin).bind(13, u.passed);
    ins.bind(14, u.tester_error)
        .bind(15, u.aborted)
        .bind(16, u.failing_step)
        .bind(17, u.grade)
        .bind(18, u.message);
    ins.bind(19, u.start_time).bind(20, u.finish_time).bind(21, u.test_time_s);
    try {
      ins.run();
    } catch (const IoError& e) {
      if (sqlite3_extended_errcode(impl_->db) == SQLITE_CONSTRAINT_UNIQUE)
        throw InvalidArgumentError(ErrorCode::invalid_argument,
                                   fmt::format("{}: lot {} already records unit {} insertion {}", f, lot_id,
                                               u.part_id, u.insertion));
      throw;
    }
    const std::int64_t insertion = sqlite3_last_insert_rowid(impl_->db);
    Statement step(
        impl_->db,
        "INSERT INTO steps (insertion, idx, step_id, test, outcome, message, duration_s, error_code) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        f);
    Statement meas(impl_->db,
                   "INSERT INTO measurements (step, idx, name, value, unit, low, high, outcome) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   f);
    Statement note(impl_->db, "INSERT INTO notes (step, idx, text) VALUES (?, ?, ?)", f);
    Statement art(impl_->db,
                  "INSERT INTO artifacts (step, idx, name, media_type, content) VALUES (?, ?, ?, ?, ?)", f);
    int si = 0;
    for (const StepRecord& s : u.steps) {
      step.bind(1, insertion)
          .bind(2, si++)
          .bind(3, s.id)
          .bind(4, s.test)
          .bind(5, static_cast<int>(s.outcome));
      step.bind(6, s.message).bind(7, s.duration_s).bind(8, static_cast<int>(s.error_code)).run();
      const std::int64_t sk = sqlite3_last_insert_rowid(impl_->db);
      int mi = 0;
      for (const Measurement& m : s.measurements) {
        meas.bind(1, sk).bind(2, mi++).bind(3, m.name);
        if (m.value == m.value)
          meas.bind(4, m.value);
        else
          meas.bind_null(4);  // NaN: SQLite has none; read back as NaN
        meas.bind(5, m.unit.symbol)
            .bind(6, m.limits.low)
            .bind(7, m.limits.high)
            .bind(8, static_cast<int>(m.outcome));
        meas.run();
      }
      int ni = 0;
      for (const auto& n : s.notes) note.bind(1, sk).bind(2, ni++).bind(3, n).run();
      int ai = 0;
      for (const Artifact& a : s.artifacts)
        art.bind(1, sk).bind(2, ai++).bind(3, a.name).bind(4, a.media_type).bind_blob(5, a.content).run();
    }
    impl_->exec("COMMIT", "committing the insertion");
  } catch (...) {
    sqlite3_exec(impl_->db, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

void ResultStore::end_lot(const LotResult& result) {
  const std::string f = impl_->file.string();
  const std::int64_t lot = impl_->lot_key(result.info.lot_id);
  impl_->exec("BEGIN IMMEDIATE", "starting a transaction");
  try {
    Statement end(
        impl_->db,
        "UPDATE lots SET finish_time = ?, ended = 1, cancelled = ?, stopped_because = ? WHERE id = ?", f);
    end.bind(1, result.info.finish_time)
        .bind(2, result.cancelled)
        .bind(3, result.stopped_because)
        .bind(4, lot)
        .run();
    Statement site(
        impl_->db,
        "INSERT INTO sites (lot, site, board, insertions, tester_errors, out_of_service, reason) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (lot, site) DO UPDATE SET board = excluded.board, "
        "insertions = insertions + excluded.insertions, tester_errors = tester_errors + "
        "excluded.tester_errors, "
        "out_of_service = excluded.out_of_service, reason = excluded.reason",
        f);
    for (const auto& s : result.sites)
      site.bind(1, lot)
          .bind(2, s.site)
          .bind(3, s.board)
          .bind(4, s.insertions)
          .bind(5, s.tester_errors)
          .bind(6, s.out_of_service)
          .bind(7, s.reason)
          .run();
    impl_->exec("COMMIT", "committing the end of the lot");
  } catch (...) {
    sqlite3_exec(impl_->db, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

void ResultStore::remove_lot(const std::string& lot_id) {
  Statement s(impl_->db, "DELETE FROM lots WHERE lot_id = ?", impl_->file.string());
  s.bind(1, lot_id).run();
}

bool ResultStore::has_lot(const std::string& lot_id) const {
  Statement s(impl_->db, "SELECT 1 FROM lots WHERE lot_id = ?", impl_->file.string());
  s.bind(1, lot_id);
  return s.step();
}

std::vector<std::string> ResultStore::lots() const {
  Statement s(impl_->db, "SELECT lot_id FROM lots ORDER BY id", impl_->file.string());
  std::vector<std::string> out;
  while (s.step()) out.push_back(s.text(0));
  return out;
}

LotResult ResultStore::load(const std::string& lot_id) const {
  const std::string f = impl_->file.string();
  sqlite3* db = impl_->db;
  const std::int64_t lot = impl_->lot_key(lot_id);
  LotResult r;
  {
    Statement s(
        db,
        "SELECT lot_id, product, step, station, handler, site_count, temperature_c, program_name, "
        "program_path, program_sha256, program_revision, board_name, board_path, board_sha256, start_time, "
        "finish_time, seedval_version, cancelled, stopped_because FROM lots WHERE id = ?",
        f);
    s.bind(1, lot);
    s.step();
    LotInfo& i = r.info;
    i.lot_id = s.text(0);
    i.product = s.text(1);
    i.step = s.text(2);
    i.station = s.text(3);
    i.handler = s.text(4);
    i.site_count = static_cast<int>(s.integer(5));
    i.temperature_c = s.real(6);
    i.program = {s.text(7), s.text(8), s.text(9)};
    i.program_revision = s.text(10);
    i.board = {s.text(11), s.text(12), s.text(13)};
    i.start_time = s.text(14);
    i.finish_time = s.text(15);
    i.seedval_version = s.text(16);
    r.cancelled = s.integer(17) != 0;
    r.stopped_because = s.text(18);
  }
  {
    Statement s(db, "SELECT name, path, sha256 FROM inputs WHERE lot = ? ORDER BY idx", f);
    s.bind(1, lot);
    while (s.step()) r.info.inputs.push_back({s.text(0), s.text(1), s.text(2)});
  }
  {
    Statement s(
        db,
        "SELECT site, board, insertions, tester_errors, out_of_service, reason FROM sites WHERE lot = ? "
        "ORDER BY site",
        f);
    s.bind(1, lot);
    while (s.step())
      r.sites.push_back({static_cast<int>(s.integer(0)), s.text(1), static_cast<int>(s.integer(2)),
                         static_cast<int>(s.integer(3)), s.integer(4) != 0, s.text(5)});
  }
  Statement ins(
      db,
      "SELECT id, unit, part_id, die_lot, wafer, x, y, ecid, site, insertion, soft_bin, hard_bin, passed, "
      "tester_error, aborted, failing_step, grade, message, start_time, finish_time, test_time_s "
      "FROM insertions WHERE lot = ? ORDER BY id",
      f);
  Statement steps(
      db,
      "SELECT id, step_id, test, outcome, message, duration_s, error_code FROM steps WHERE insertion = ? "
      "ORDER BY idx",
      f);
  Statement meas(
      db, "SELECT name, value, unit, low, high, outcome FROM measurements WHERE step = ? ORDER BY idx", f);
  Statement notes(db, "SELECT text FROM notes WHERE step = ? ORDER BY idx", f);
  Statement arts(db, "SELECT name, media_type, content FROM artifacts WHERE step = ? ORDER BY idx", f);
  ins.bind(1, lot);
  while (ins.step()) {
    UnitRecord u;
    const std::int64_t key = ins.integer(0);
    u.unit = static_cast<int>(ins.integer(1));
    u.part_id = ins.text(2);
    u.die = {ins.text(3), static_cast<int>(ins.integer(4)), static_cast<int>(ins.integer(5)),
             static_cast<int>(ins.integer(6))};
    if (!ins.is_null(7)) u.ecid = static_cast<std::uint64_t>(ins.integer(7));
    u.site = static_cast<int>(ins.integer(8));
    u.insertion = static_cast<int>(ins.integer(9));
    u.soft_bin = static_cast<int>(ins.integer(10));
    u.hard_bin = static_cast<int>(ins.integer(11));
    u.passed = ins.integer(12) != 0;
    u.tester_error = ins.integer(13) != 0;
    u.aborted = ins.integer(14) != 0;
    u.failing_step = ins.text(15);
    u.grade = ins.text(16);
    u.message = ins.text(17);
    u.start_time = ins.text(18);
    u.finish_time = ins.text(19);
    u.test_time_s = ins.real(20);
    steps.bind(1, key);
    while (steps.step()) {
      StepRecord s;
      const std::int64_t sk = steps.integer(0);
      s.id = steps.text(1);
      s.test = steps.text(2);
      s.outcome = static_cast<Outcome>(steps.integer(3));
      s.message = steps.text(4);
      s.duration_s = steps.real(5);
      s.error_code = static_cast<ErrorCode>(steps.integer(6));
      meas.bind(1, sk);
      while (meas.step()) {
        Measurement m;
        m.name = meas.text(0);
        m.value = meas.is_null(1) ? std::numeric_limits<double>::quiet_NaN() : meas.real(1);
        m.unit = unit_of(meas.text(2));
        m.limits.low = meas.optional_real(3);
        m.limits.high = meas.optional_real(4);
        m.outcome = static_cast<Outcome>(meas.integer(5));
        s.measurements.push_back(std::move(m));
      }
      meas.reset();
      notes.bind(1, sk);
      while (notes.step()) s.notes.push_back(notes.text(0));
      notes.reset();
      arts.bind(1, sk);
      while (arts.step()) s.artifacts.push_back({arts.text(0), arts.text(1), arts.blob(2)});
      arts.reset();
      u.steps.push_back(std::move(s));
    }
    steps.reset();
    r.insertions.push_back(std::move(u));
  }
  return r;
}

void StoreSink::lot_started(const LotInfo& info) {
  lot_id_ = info.lot_id;
  if (!continuing_)
    store_.begin_lot(info);
  else if (!store_.has_lot(info.lot_id))
    throw NotFoundError(ErrorCode::not_found,
                        fmt::format("{}: holds no lot {} to continue", store_.file().string(), info.lot_id));
}

void StoreSink::unit_finished(const UnitRecord& unit) {
  store_.add_insertion(lot_id_, unit);
}

void StoreSink::lot_finished(const LotResult& result) {
  store_.end_lot(result);
}

}  // namespace seedval

#include <algorithm>
#include <bit>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <fstream>
#include <functional>
#include <limits>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <seedval/core/error.h>
#include <seedval/core/units.h>
#include <seedval/store/store.h>

#include "db.h"

namespace seedval {
namespace {

using db::Connection;
using db::Statement;
using db::Transaction;

Unit unit_of(const std::string& symbol) {
  return unit_from_symbol(symbol).value_or(units::none);
}

// input_hashes is stored as the SHA-256s joined by commas.
std::vector<std::string> split_hashes(const std::string& joined) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < joined.size()) {
    const std::size_t comma = std::min(joined.find(',', start), joined.size());
    out.push_back(joined.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

// Schema 3 keeps an insertion's steps twice: as rows of `steps`, `measurements` and `notes`, for SQL, and
// packed in one value, `insertions.packed_steps`, from which a lot written since is read back. A year of
// production is some 5 million step rows and 35 million measurement rows: joining that many rows is most
// of the time to build the year's reports; reading 350,000 packed values is not. (Artifacts, tens of KB
// a step, stay in their table only.) The packing, format 1, integers little-endian:
//   byte 1 (the format); varint step count; per step: text id, text test, byte outcome, text message,
//   double duration_s, varint error code, varint measurement count, the measurements, varint note count,
//   the notes as texts. A measurement: text name, text unit symbol, a flags byte (1: value, 2: low limit,
//   4: high limit), the doubles the flags announce in that order, byte outcome.
//   A text is a varint length and its bytes; a double, the 8 bytes of its IEEE-754 form.
// A NaN value is packed as absent (as a NULL row) and negative zero as zero (as it is bound), so both
// forms read back the same.
constexpr std::uint8_t kPackedFormat = 1;

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void put_double(std::string& out, double v) {
  const auto bits = std::bit_cast<std::uint64_t>(v == 0 ? 0.0 : v);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
}

void put_text(std::string& out, std::string_view t) {
  put_varint(out, t.size());
  out.append(t);
}

std::string pack_steps(const std::vector<StepRecord>& steps) {
  std::string out;
  out.push_back(static_cast<char>(kPackedFormat));
  put_varint(out, steps.size());
  for (const StepRecord& st : steps) {
    put_text(out, st.id);
    put_text(out, st.test);
    out.push_back(static_cast<char>(st.outcome));
    put_text(out, st.message);
    put_double(out, st.duration_s);
    put_varint(out, static_cast<std::uint64_t>(st.error_code));
    put_varint(out, st.measurements.size());
    for (const Measurement& m : st.measurements) {
      put_text(out, m.name);
      put_text(out, m.unit.symbol);
      const bool value = m.value == m.value;
      out.push_back(static_cast<char>((value ? 1 : 0) | (m.limits.low ? 2 : 0) | (m.limits.high ? 4 : 0)));
      if (value) put_double(out, m.value);
      if (m.limits.low) put_double(out, *m.limits.low);
      if (m.limits.high) put_double(out, *m.limits.high);
      out.push_back(static_cast<char>(m.outcome));
    }
    put_varint(out, st.notes.size());
    for (const auto& n : st.notes) put_text(out, n);
  }
  return out;
}

/// Reads packed steps back; a value that is not a whole packing of format 1 throws IoError.
class Unpacker {
 public:
  /// The steps are unpacked into `out`, whose elements (and their strings and vectors) are reused.
  /// `where` names the store and the insertion for the error.
  void unpack(std::string_view bytes, std::vector<StepRecord>& out,
              const std::function<std::string()>& where) {
    in_ = bytes;
    try {
      if (byte() != kPackedFormat) fail("an unknown packing");
      out.resize(count());
      for (StepRecord& st : out) {
        set(st.id, text_view());
        set(st.test, text_view());
        st.outcome = outcome();
        set(st.message, text_view());
        st.duration_s = real();
        const std::uint64_t code = varint();
        if (code > 0xffff) fail("an error code out of range");
        st.error_code = static_cast<ErrorCode>(code);
        st.measurements.resize(count());
        for (Measurement& m : st.measurements) {
          set(m.name, text_view());
          m.unit = unit(text_view());
          const std::uint8_t flags = byte();
          if (flags > 7) fail("unknown flags");
          m.value = (flags & 1) != 0 ? real() : std::numeric_limits<double>::quiet_NaN();
          m.limits.low.reset();
          m.limits.high.reset();
          if ((flags & 2) != 0) m.limits.low = real();
          if ((flags & 4) != 0) m.limits.high = real();
          m.outcome = outcome();
        }
        st.notes.resize(count());
        for (std::string& n : st.notes) set(n, text_view());
        st.artifacts.clear();
      }
      if (!in_.empty()) fail("bytes after the last step");
    } catch (const std::runtime_error& e) {
      throw IoError(ErrorCode::io, fmt::format("{}: its packed steps are damaged ({})", where(), e.what()));
    }
  }

 private:
  [[noreturn]] static void fail(const char* why) { throw std::runtime_error(why); }
  std::uint8_t byte() {
    if (in_.empty()) fail("cut short");
    const auto b = static_cast<std::uint8_t>(in_.front());
    in_.remove_prefix(1);
    return b;
  }
  std::uint64_t varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      const std::uint8_t b = byte();
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
    fail("a varint too long");
  }
  /// A count of things that each take at least a byte: never more than the bytes left.
  std::uint64_t count() {
    const std::uint64_t n = varint();
    if (n > in_.size()) fail("a count larger than the bytes left");
    return n;
  }
  Outcome outcome() {
    const std::uint8_t o = byte();
    if (o > static_cast<std::uint8_t>(Outcome::error)) fail("an unknown outcome");
    return static_cast<Outcome>(o);
  }
  std::string_view text_view() {
    const std::uint64_t n = varint();
    if (n > in_.size()) fail("cut short");
    const std::string_view t = in_.substr(0, n);
    in_.remove_prefix(n);
    return t;
  }
  double real() {
    if (in_.size() < 8) fail("cut short");
    std::uint64_t bits = 0;
    for (int i = 0; i < 8; ++i)
      bits |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(in_[i])) << (8 * i);
    in_.remove_prefix(8);
    return std::bit_cast<double>(bits);
  }
  /// The unit of a symbol, remembered: a lot has a handful of them.
  Unit unit(std::string_view symbol) {
    if (last_ < units_.size() && units_[last_].first == symbol) return units_[last_].second;
    for (last_ = 0; last_ < units_.size(); ++last_)
      if (units_[last_].first == symbol) return units_[last_].second;
    const Unit u = unit_of(std::string(symbol));
    units_.emplace_back(std::string(symbol), u);
    return u;
  }
  /// A reused string takes the text only if it differs: a lot's records repeat the same names.
  static void set(std::string& to, std::string_view text) {
    if (to != text) to.assign(text);
  }

  std::string_view in_;
  std::vector<std::pair<std::string, Unit>> units_;
  std::size_t last_ = 0;  // the unit found last
};

/// A streamed query and whether it stands on a row.
struct Rows {
  std::unique_ptr<Statement> s;
  bool row = false;
  void next() { row = s->step(); }
  Statement* operator->() const { return s.get(); }
};

}  // namespace

struct ResultStore::Impl {
  std::unique_ptr<Connection> c;
  std::filesystem::path file;  // SQLite only
  // The statements of add_insertion, prepared on first use and kept.
  std::unique_ptr<Statement> insert_insertion, insert_step, insert_measurement, insert_note, insert_artifact;

  const std::string& where() const { return c->location(); }

  Statement& cached(std::unique_ptr<Statement>& s, const char* sql, db::Returning returning) {
    if (!s) s = c->prepare(sql, returning);
    return *s;
  }

  std::optional<std::int64_t> find_lot(const std::string& lot_id) const {
    auto s = c->prepare("SELECT id FROM lots WHERE lot_id = ?");
    s->bind(1, lot_id);
    if (!s->step()) return std::nullopt;
    return s->integer(0);
  }
  /// Records one insertion inside the caller's transaction.
  void insert(const std::string& lot_id, const UnitRecord& u);

  std::int64_t lot_key(const std::string& lot_id) const {
    const auto key = find_lot(lot_id);
    if (!key) throw NotFoundError(ErrorCode::not_found, fmt::format("{}: holds no lot {}", where(), lot_id));
    return *key;
  }

  /// Creates the tables of an empty store, brings an older schema to this one, refuses a newer one.
  void set_up() {
    Transaction tx(*c, Transaction::write);
    c->lock_schema();  // stations opening one new database at once create its tables once
    c->exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            "creating the tables");
    std::optional<std::string> version;
    {
      auto s = c->prepare("SELECT value FROM meta WHERE key = 'schema_version'");
      if (s->step()) version = s->text(0);
    }
    const std::string current = std::to_string(kSchemaVersion);
    if (!version) {
      c->exec(db::schema_sql(c->dialect()), "creating the tables");
      c->prepare("INSERT INTO meta (key, value) VALUES ('schema_version', ?)")->bind(1, current).run();
    } else if (*version != current) {
      int known = 0;
      for (int v = 1; v < kSchemaVersion; ++v)
        if (*version == std::to_string(v)) known = v;
      if (known == 0)
        throw IoError(
            ErrorCode::io,
            fmt::format("{}: a results store of schema version {}; this seedval reads versions 1 to {}",
                        where(), *version, kSchemaVersion));
      // What each version added that CREATE TABLE IF NOT EXISTS (the schema text) does not: 1 -> 2
      // lot_files (a table: the schema text makes it) and insertions.input_hashes; 2 -> 3 the packed
      // steps of insertions, and the lots flag that says all of a lot's insertions have them.
      const std::string what = fmt::format("bringing schema version {} to {}", known, kSchemaVersion);
      c->exec(db::schema_sql(c->dialect()), what);
      if (known < 2) c->exec("ALTER TABLE insertions ADD COLUMN input_hashes TEXT", what);
      if (known < 3) {
        c->exec(fmt::format("ALTER TABLE insertions ADD COLUMN packed_steps {}",
                            c->dialect() == db::Dialect::sqlite ? "BLOB" : "BYTEA"),
                what);
        c->exec(fmt::format("ALTER TABLE lots ADD COLUMN packed_steps {} NOT NULL DEFAULT 0",
                            c->dialect() == db::Dialect::sqlite ? "INTEGER" : "BIGINT"),
                what);
      }
      c->prepare("UPDATE meta SET value = ? WHERE key = 'schema_version'")->bind(1, current).run();
    }
    tx.commit("setting up the store");
  }

  /// Every insertion of lot `lot` in the order recorded, built from five queries read side by side
  /// (insertions; steps; measurements; notes; artifacts), each ordered by insertion, step and index.
  /// `reuse`, when given, hands back a record of an earlier call of `f` to be filled again (its strings
  /// and vectors keep their memory).
  void each_insertion(std::int64_t lot, const std::function<void(UnitRecord&&)>& f, bool artifacts = true,
                      const std::function<UnitRecord()>& reuse = {}) const {
    // A lot written since schema 3 is read from its insertions' packed steps, an older one from the rows.
    bool packed = false;
    {
      auto s = c->prepare("SELECT packed_steps FROM lots WHERE id = ?");
      s->bind(1, lot);
      packed = s->step() && s->integer(0) != 0;
    }
    const char* rows = packed ? " AND 1 = 0" : "";
    Rows ins{c->stream(
        "SELECT id, unit, part_id, die_lot, wafer, x, y, ecid, site, insertion, soft_bin, hard_bin, passed, "
        "tester_error, aborted, failing_step, grade, message, start_time, finish_time, test_time_s, "
        "input_hashes, packed_steps FROM insertions WHERE lot = ? ORDER BY id")};
    Rows steps{c->stream(fmt::format(
        "SELECT s.insertion, s.id, s.step_id, s.test, s.outcome, s.message, s.duration_s, s.error_code "
        "FROM steps s JOIN insertions i ON i.id = s.insertion WHERE i.lot = ?{} ORDER BY i.id, s.idx",
        rows))};
    Rows meas{c->stream(
        fmt::format("SELECT m.step, m.name, m.value, m.unit, m.low, m.high, m.outcome FROM measurements m "
                    "JOIN steps s ON s.id = m.step JOIN insertions i ON i.id = s.insertion WHERE i.lot = ?{} "
                    "ORDER BY i.id, s.idx, m.idx",
                    rows))};
    Rows notes{c->stream(fmt::format(
        "SELECT n.step, n.text FROM notes n JOIN steps s ON s.id = n.step JOIN insertions i ON i.id = "
        "s.insertion WHERE i.lot = ?{} ORDER BY i.id, s.idx, n.idx",
        rows))};
    Rows arts{c->stream(
        fmt::format(
            "SELECT s.insertion, s.idx, a.name, a.media_type, a.content FROM artifacts a JOIN steps s "
            "ON s.id = a.step JOIN insertions i ON i.id = s.insertion WHERE i.lot = ?{} ORDER BY "
            "i.id, s.idx, a.idx",
            artifacts ? "" : " AND 1 = 0"),
        64)};  // artifacts run to tens of KB: a few at a time
    for (Rows* r : {&ins, &steps, &meas, &notes, &arts}) {
      r->s->bind(1, lot);
      r->next();
    }
    Unpacker unpacker;
    std::string packed_bytes;
    while (ins.row) {
      UnitRecord u = reuse ? reuse() : UnitRecord{};
      const std::int64_t key = ins->integer(0);
      u.unit = static_cast<int>(ins->integer(1));
      ins->text_into(2, u.part_id);
      ins->text_into(3, u.die.lot);
      u.die.wafer = static_cast<int>(ins->integer(4));
      u.die.x = static_cast<int>(ins->integer(5));
      u.die.y = static_cast<int>(ins->integer(6));
      u.ecid.reset();
      if (!ins->is_null(7)) u.ecid = static_cast<std::uint64_t>(ins->integer(7));
      u.site = static_cast<int>(ins->integer(8));
      u.insertion = static_cast<int>(ins->integer(9));
      u.soft_bin = static_cast<int>(ins->integer(10));
      u.hard_bin = static_cast<int>(ins->integer(11));
      u.passed = ins->integer(12) != 0;
      u.tester_error = ins->integer(13) != 0;
      u.aborted = ins->integer(14) != 0;
      ins->text_into(15, u.failing_step);
      ins->text_into(16, u.grade);
      ins->text_into(17, u.message);
      ins->text_into(18, u.start_time);
      ins->text_into(19, u.finish_time);
      u.test_time_s = ins->real(20);
      u.input_hashes.clear();
      if (!ins->is_null(21))
        for (auto& h : split_hashes(ins->text(21))) u.input_hashes.push_back(std::move(h));
      if (!packed) u.steps.clear();
      if (packed) {
        if (ins->is_null(22))
          throw IoError(ErrorCode::io, fmt::format("{}: unit {} insertion {} has lost its steps", where(),
                                                   u.part_id, u.insertion));
        ins->blob_into(22, packed_bytes);
        unpacker.unpack(packed_bytes, u.steps, [&] {
          return fmt::format("{}: unit {} insertion {}", where(), u.part_id, u.insertion);
        });
      }
      for (; steps.row && steps->integer(0) == key; steps.next()) {
        StepRecord s;
        const std::int64_t sk = steps->integer(1);
        s.id = steps->text(2);
        s.test = steps->text(3);
        s.outcome = static_cast<Outcome>(steps->integer(4));
        s.message = steps->text(5);
        s.duration_s = steps->real(6);
        s.error_code = static_cast<ErrorCode>(steps->integer(7));
        for (; meas.row && meas->integer(0) == sk; meas.next()) {
          Measurement m;
          m.name = meas->text(1);
          m.value = meas->is_null(2) ? std::numeric_limits<double>::quiet_NaN() : meas->real(2);
          m.unit = unit_of(meas->text(3));
          m.limits.low = meas->optional_real(4);
          m.limits.high = meas->optional_real(5);
          m.outcome = static_cast<Outcome>(meas->integer(6));
          s.measurements.push_back(std::move(m));
        }
        for (; notes.row && notes->integer(0) == sk; notes.next()) s.notes.push_back(notes->text(1));
        u.steps.push_back(std::move(s));
      }
      for (; arts.row && arts->integer(0) == key; arts.next()) {
        const auto idx = static_cast<std::size_t>(arts->integer(1));
        if (idx >= u.steps.size())
          throw IoError(ErrorCode::io,
                        fmt::format("{}: an artifact of unit {} insertion {} belongs to step {} "
                                    "of {}",
                                    where(), u.part_id, u.insertion, idx + 1, u.steps.size()));
        u.steps[idx].artifacts.push_back({arts->text(2), arts->text(3), arts->blob(4)});
      }
      f(std::move(u));
      ins.next();
    }
    // Every row of the lot belongs to an insertion read above; one left over was read out of order and
    // would otherwise be lost without a word.
    if (steps.row || meas.row || notes.row || arts.row)
      throw IoError(ErrorCode::io, fmt::format("{}: the rows of a lot did not come back in insertion order; "
                                               "the lot was not read whole",
                                               where()));
  }
};

ResultStore::ResultStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {
  impl_->set_up();
}

ResultStore::ResultStore(const std::filesystem::path& file) : impl_(std::make_unique<Impl>()) {
  impl_->c = db::open_sqlite(file);
  impl_->file = file;
  impl_->set_up();
}

std::unique_ptr<ResultStore> ResultStore::open(std::string_view location) {
  if (backend_of(location) == Backend::sqlite)
    return std::make_unique<ResultStore>(std::filesystem::path(location));
  auto impl = std::make_unique<Impl>();
  impl->c = db::open_postgres(location);
  return std::unique_ptr<ResultStore>(new ResultStore(std::move(impl)));
}

ResultStore::~ResultStore() = default;

ResultStore::Backend ResultStore::backend_of(std::string_view location) {
  return db::is_postgres_location(location) ? Backend::postgresql : Backend::sqlite;
}

ResultStore::Backend ResultStore::backend() const {
  return impl_->c->dialect() == db::Dialect::sqlite ? Backend::sqlite : Backend::postgresql;
}

const std::filesystem::path& ResultStore::file() const {
  return impl_->file;
}

std::string ResultStore::location() const {
  return impl_->where();
}

void ResultStore::begin_lot(const LotInfo& info) {
  Connection& c = *impl_->c;
  const auto refuse = [&] {
    return InvalidArgumentError(ErrorCode::invalid_argument,
                                fmt::format("{}: already holds lot {}", impl_->where(), info.lot_id));
  };
  if (impl_->find_lot(info.lot_id)) throw refuse();
  Transaction tx(c, Transaction::write);
  auto lot = c.prepare(
      "INSERT INTO lots (lot_id, product, step, station, handler, site_count, temperature_c, program_name, "
      "program_path, program_sha256, program_revision, board_name, board_path, board_sha256, start_time, "
      "finish_time, seedval_version, packed_steps) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
      "?, ?, ?, 1)",
      db::Returning::id);
  lot->bind(1, info.lot_id)
      .bind(2, info.product)
      .bind(3, info.step)
      .bind(4, info.station)
      .bind(5, info.handler);
  lot->bind(6, info.site_count)
      .bind(7, info.temperature_c)
      .bind(8, info.program.name)
      .bind(9, info.program.path);
  lot->bind(10, info.program.sha256).bind(11, info.program_revision).bind(12, info.board.name);
  lot->bind(13, info.board.path)
      .bind(14, info.board.sha256)
      .bind(15, info.start_time)
      .bind(16, info.finish_time);
  lot->bind(17, info.seedval_version);
  std::int64_t key = 0;
  try {
    key = lot->insert();
  } catch (const db::UniqueViolation&) {
    throw refuse();  // another station started the same lot id a moment ago
  }
  auto input = c.prepare("INSERT INTO inputs (lot, idx, name, path, sha256) VALUES (?, ?, ?, ?, ?)");
  int i = 0;
  for (const auto& in : info.inputs)
    input->bind(1, key).bind(2, i++).bind(3, in.name).bind(4, in.path).bind(5, in.sha256).run();
  tx.commit("committing the lot");
}

void ResultStore::Impl::insert(const std::string& lot_id, const UnitRecord& u) {
  Impl& m = *this;
  const std::int64_t lot = m.lot_key(lot_id);
  Statement& ins =
      m.cached(m.insert_insertion,
               "INSERT INTO insertions (lot, unit, part_id, die_lot, wafer, x, y, ecid, site, "
               "insertion, soft_bin, hard_bin, passed, tester_error, aborted, failing_step, grade, "
               "message, start_time, finish_time, test_time_s, input_hashes, packed_steps) "
               "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               db::Returning::id);
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
    ins.null(8);
  ins.bind(9, u.site).bind(10, u.insertion).bind(11, u.soft_bin).bind(12, u.hard_bin).bind(13, u.passed);
  ins.bind(14, u.tester_error)
      .bind(15, u.aborted)
      .bind(16, u.failing_step)
      .bind(17, u.grade)
      .bind(18, u.message);
  ins.bind(19, u.start_time).bind(20, u.finish_time).bind(21, u.test_time_s);
  if (u.input_hashes.empty())
    ins.null(22);
  else
    ins.bind(22, fmt::format("{}", fmt::join(u.input_hashes, ",")));
  ins.blob(23, pack_steps(u.steps));
  std::int64_t insertion = 0;
  try {
    insertion = ins.insert();
  } catch (const db::UniqueViolation&) {
    throw InvalidArgumentError(ErrorCode::invalid_argument,
                               fmt::format("{}: lot {} already records unit {} insertion {}", m.where(),
                                           lot_id, u.part_id, u.insertion));
  }
  Statement& step =
      m.cached(m.insert_step,
               "INSERT INTO steps (insertion, idx, step_id, test, outcome, message, duration_s, "
               "error_code) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
               db::Returning::id);
  Statement& meas = m.cached(m.insert_measurement,
                             "INSERT INTO measurements (step, idx, name, value, unit, low, high, outcome) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                             db::Returning::nothing);
  Statement& note =
      m.cached(m.insert_note, "INSERT INTO notes (step, idx, text) VALUES (?, ?, ?)", db::Returning::nothing);
  Statement& art =
      m.cached(m.insert_artifact,
               "INSERT INTO artifacts (step, idx, name, media_type, content) VALUES (?, ?, ?, ?, ?)",
               db::Returning::nothing);
  int si = 0;
  for (const StepRecord& s : u.steps) {
    step.bind(1, insertion).bind(2, si++).bind(3, s.id).bind(4, s.test).bind(5, static_cast<int>(s.outcome));
    step.bind(6, s.message).bind(7, s.duration_s).bind(8, static_cast<int>(s.error_code));
    const std::int64_t sk = step.insert();
    int mi = 0;
    for (const Measurement& x : s.measurements) {
      meas.bind(1, sk).bind(2, mi++).bind(3, x.name);
      if (x.value == x.value)
        meas.bind(4, x.value);
      else
        meas.null(4);  // NaN: stored as NULL (SQLite has none), read back as NaN
      meas.bind(5, x.unit.symbol)
          .bind(6, x.limits.low)
          .bind(7, x.limits.high)
          .bind(8, static_cast<int>(x.outcome));
      meas.run();
    }
    int ni = 0;
    for (const auto& n : s.notes) note.bind(1, sk).bind(2, ni++).bind(3, n).run();
    int ai = 0;
    for (const Artifact& a : s.artifacts)
      art.bind(1, sk).bind(2, ai++).bind(3, a.name).bind(4, a.media_type).blob(5, a.content).run();
  }
}

void ResultStore::add_insertion(const std::string& lot_id, const UnitRecord& u) {
  Transaction tx(*impl_->c, Transaction::batch);
  impl_->insert(lot_id, u);
  tx.commit("committing the insertion");
}

void ResultStore::add_insertions(const std::string& lot_id, std::span<const UnitRecord> units) {
  Transaction tx(*impl_->c, Transaction::batch);
  for (const UnitRecord& u : units) impl_->insert(lot_id, u);
  tx.commit("committing the insertions");
}

void ResultStore::end_lot(const LotResult& result) {
  Connection& c = *impl_->c;
  Transaction tx(c, Transaction::write);
  const std::int64_t lot = impl_->lot_key(result.info.lot_id);
  c.prepare("UPDATE lots SET finish_time = ?, ended = 1, cancelled = ?, stopped_because = ? WHERE id = ?")
      ->bind(1, result.info.finish_time)
      .bind(2, result.cancelled)
      .bind(3, result.stopped_because)
      .bind(4, lot)
      .run();
  auto site = c.prepare(
      "INSERT INTO sites (lot, site, board, insertions, tester_errors, out_of_service, reason) "
      "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (lot, site) DO UPDATE SET board = excluded.board, "
      "insertions = sites.insertions + excluded.insertions, "
      "tester_errors = sites.tester_errors + excluded.tester_errors, "
      "out_of_service = excluded.out_of_service, reason = excluded.reason");
  for (const auto& s : result.sites)
    site->bind(1, lot)
        .bind(2, s.site)
        .bind(3, s.board)
        .bind(4, s.insertions)
        .bind(5, s.tester_errors)
        .bind(6, s.out_of_service)
        .bind(7, s.reason)
        .run();
  tx.commit("committing the end of the lot");
}

void ResultStore::remove_lot(const std::string& lot_id) {
  Transaction tx(*impl_->c, Transaction::write);
  impl_->c->prepare("DELETE FROM lots WHERE lot_id = ?")->bind(1, lot_id).run();
  tx.commit("removing the lot");
}

void ResultStore::add_file(const std::string& lot_id, std::string_view role, const FileRef& ref,
                           std::string_view content) {
  const std::string sha = sha256_hex(content);
  if (!ref.sha256.empty() && ref.sha256 != sha)
    throw InvalidArgumentError(ErrorCode::invalid_argument,
                               fmt::format("{}: {} changed since lot {} started (sha256 {} then, {} now)",
                                           impl_->where(), ref.path.empty() ? ref.name : ref.path, lot_id,
                                           ref.sha256.substr(0, 12), sha.substr(0, 12)));
  Connection& c = *impl_->c;
  Transaction tx(c, Transaction::write);
  const std::int64_t lot = impl_->lot_key(lot_id);
  auto next = c.prepare("SELECT COALESCE(MAX(idx) + 1, 0) FROM lot_files WHERE lot = ?");
  next->bind(1, lot);
  const std::int64_t idx = next->step() ? next->integer(0) : 0;
  next->reset();
  c.prepare(
       "INSERT INTO lot_files (lot, idx, role, name, path, sha256, content) VALUES (?, ?, ?, ?, ?, ?, ?)")
      ->bind(1, lot)
      .bind(2, idx)
      .bind(3, role)
      .bind(4, ref.name)
      .bind(5, ref.path)
      .bind(6, sha)
      .blob(7, content)
      .run();
  tx.commit("committing the lot's file");
}

std::vector<StoredFile> ResultStore::files(const std::string& lot_id) const {
  const std::int64_t lot = impl_->lot_key(lot_id);
  auto s =
      impl_->c->prepare("SELECT role, name, path, sha256, content FROM lot_files WHERE lot = ? ORDER BY idx");
  s->bind(1, lot);
  std::vector<StoredFile> out;
  while (s->step()) out.push_back({s->text(0), {s->text(1), s->text(2), s->text(3)}, s->blob(4)});
  return out;
}

bool ResultStore::has_lot(const std::string& lot_id) const {
  return impl_->find_lot(lot_id).has_value();
}

std::vector<std::string> ResultStore::lots() const {
  auto s = impl_->c->prepare("SELECT lot_id FROM lots ORDER BY id");
  std::vector<std::string> out;
  while (s->step()) out.push_back(s->text(0));
  return out;
}

std::int64_t ResultStore::insertion_count(const std::string& lot_id) const {
  const std::int64_t lot = impl_->lot_key(lot_id);
  auto s = impl_->c->prepare("SELECT COUNT(*) FROM insertions WHERE lot = ?");
  s->bind(1, lot);
  return s->step() ? s->integer(0) : 0;
}

namespace {

/// Batches of records handed from the thread that reads the store to the one that uses them, a few
/// batches at most in between.
class ReadAhead {
 public:
  static constexpr std::size_t kBatch = 64, kDepth = 8;
  struct Stopped {};  ///< thrown in the reader when the user of the records has stopped

  /// Reader: queues a batch, waiting while the queue is full. Throws Stopped once the user has stopped.
  void push(std::vector<UnitRecord>&& batch) {
    std::unique_lock lock(m_);
    room_.wait(lock, [&] { return q_.size() < kDepth || stopped_; });
    if (stopped_) throw Stopped{};
    q_.push_back(std::move(batch));
    ready_.notify_one();
  }
  /// Reader: no more batches; `error` is why, if the read failed.
  void finish(std::exception_ptr error) {
    std::lock_guard lock(m_);
    done_ = true;
    error_ = std::move(error);
    ready_.notify_one();
  }
  /// User: the next batch; nullopt at the end (rethrowing the reader's error, if it had one).
  std::optional<std::vector<UnitRecord>> pop() {
    std::unique_lock lock(m_);
    ready_.wait(lock, [&] { return !q_.empty() || done_; });
    if (q_.empty()) {
      if (error_) std::rethrow_exception(error_);
      return std::nullopt;
    }
    auto batch = std::move(q_.front());
    q_.pop_front();
    room_.notify_one();
    return batch;
  }
  /// User: hands a used batch back. The reader fills its records again: their strings and vectors keep
  /// their memory, and memory is freed by the thread that allocated it (freed on another thread, glibc's
  /// allocator takes a lock and loses its per-thread caches).
  void recycle(std::vector<UnitRecord>&& batch) {
    std::lock_guard lock(m_);
    used_.push_back(std::move(batch));
  }
  /// Reader: a record to fill, handed back by the user if there is one.
  UnitRecord reuse() {
    if (spare_.empty()) {
      std::deque<std::vector<UnitRecord>> used;
      {
        std::lock_guard lock(m_);
        used.swap(used_);
      }
      for (auto& batch : used)
        for (auto& u : batch) spare_.push_back(std::move(u));
      if (spare_.empty()) return {};
    }
    UnitRecord u = std::move(spare_.back());
    spare_.pop_back();
    return u;
  }
  /// User: stops the reader (its next push throws Stopped).
  void stop() {
    std::lock_guard lock(m_);
    stopped_ = true;
    room_.notify_one();
  }

 private:
  std::mutex m_;
  std::condition_variable ready_, room_;
  std::deque<std::vector<UnitRecord>> q_, used_;
  std::vector<UnitRecord> spare_;  // the reader's own
  bool done_ = false, stopped_ = false;
  std::exception_ptr error_;
};

}  // namespace

void ResultStore::for_each_insertion(const std::string& lot_id, const std::function<void(UnitRecord&&)>& f,
                                     bool artifacts) const {
  const std::int64_t lot = impl_->lot_key(lot_id);
  // The store is read on a thread of its own while `f` works on the caller's, a few batches apart: on a
  // year of units, reading and building the reports each take about as long as the other.
  ReadAhead queue;
  std::thread reader([&] {
    std::exception_ptr error;
    try {
      Transaction tx(*impl_->c, Transaction::read);
      std::vector<UnitRecord> batch;
      batch.reserve(ReadAhead::kBatch);
      impl_->each_insertion(
          lot,
          [&](UnitRecord&& u) {
            batch.push_back(std::move(u));
            if (batch.size() == ReadAhead::kBatch) {
              queue.push(std::move(batch));
              batch = {};
              batch.reserve(ReadAhead::kBatch);
            }
          },
          artifacts, [&] { return queue.reuse(); });
      if (!batch.empty()) queue.push(std::move(batch));
      tx.commit("reading the lot");
    } catch (const ReadAhead::Stopped&) {
    } catch (...) {
      error = std::current_exception();
    }
    queue.finish(std::move(error));
  });
  try {
    while (auto batch = queue.pop()) {
      for (UnitRecord& u : *batch) f(std::move(u));
      queue.recycle(std::move(*batch));
    }
  } catch (...) {
    queue.stop();
    reader.join();
    throw;
  }
  reader.join();
}

LotResult ResultStore::load(const std::string& lot_id) const {
  return load(lot_id, true);
}

LotResult ResultStore::load_header(const std::string& lot_id) const {
  return load(lot_id, false);
}

LotResult ResultStore::load(const std::string& lot_id, bool insertions) const {
  Connection& c = *impl_->c;
  Transaction tx(c, Transaction::read);  // one snapshot: a lot being written is read as of one moment
  const std::int64_t lot = impl_->lot_key(lot_id);
  LotResult r;
  {
    auto s = c.prepare(
        "SELECT lot_id, product, step, station, handler, site_count, temperature_c, program_name, "
        "program_path, program_sha256, program_revision, board_name, board_path, board_sha256, start_time, "
        "finish_time, seedval_version, cancelled, stopped_because FROM lots WHERE id = ?");
    s->bind(1, lot);
    if (!s->step())
      throw NotFoundError(ErrorCode::not_found, fmt::format("{}: holds no lot {}", impl_->where(), lot_id));
    LotInfo& i = r.info;
    i.lot_id = s->text(0);
    i.product = s->text(1);
    i.step = s->text(2);
    i.station = s->text(3);
    i.handler = s->text(4);
    i.site_count = static_cast<int>(s->integer(5));
    i.temperature_c = s->real(6);
    i.program = {s->text(7), s->text(8), s->text(9)};
    i.program_revision = s->text(10);
    i.board = {s->text(11), s->text(12), s->text(13)};
    i.start_time = s->text(14);
    i.finish_time = s->text(15);
    i.seedval_version = s->text(16);
    r.cancelled = s->integer(17) != 0;
    r.stopped_because = s->text(18);
  }
  {
    auto s = c.prepare("SELECT name, path, sha256 FROM inputs WHERE lot = ? ORDER BY idx");
    s->bind(1, lot);
    while (s->step()) r.info.inputs.push_back({s->text(0), s->text(1), s->text(2)});
  }
  {
    auto s = c.prepare(
        "SELECT site, board, insertions, tester_errors, out_of_service, reason FROM sites WHERE lot = ? "
        "ORDER BY site");
    s->bind(1, lot);
    while (s->step())
      r.sites.push_back({static_cast<int>(s->integer(0)), s->text(1), static_cast<int>(s->integer(2)),
                         static_cast<int>(s->integer(3)), s->integer(4) != 0, s->text(5)});
  }
  if (insertions) {
    auto s = c.prepare("SELECT COUNT(*) FROM insertions WHERE lot = ?");
    s->bind(1, lot);
    if (s->step()) r.insertions.reserve(static_cast<std::size_t>(s->integer(0)));
  }
  if (insertions) impl_->each_insertion(lot, [&](UnitRecord&& u) { r.insertions.push_back(std::move(u)); });
  tx.commit("reading the lot");
  return r;
}

void StoreSink::lot_started(const LotInfo& info) {
  lot_id_ = info.lot_id;
  if (continuing_) {
    if (!store_.has_lot(info.lot_id))
      throw NotFoundError(ErrorCode::not_found,
                          fmt::format("{}: holds no lot {} to continue", store_.location(), info.lot_id));
    return;
  }
  store_.begin_lot(info);
  for (const StoredFile& f : keep_) {
    std::ifstream in(f.ref.path, std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    if (!in.is_open() || in.bad())
      throw IoError(ErrorCode::io, fmt::format("{}: cannot read the lot's {} file to keep it in {}",
                                               f.ref.path, f.role, store_.location()));
    store_.add_file(info.lot_id, f.role, f.ref, bytes.str());
  }
  for (const StoredFile& f : given_) store_.add_file(info.lot_id, f.role, f.ref, f.content);
}

void StoreSink::unit_finished(const UnitRecord& unit) {
  store_.add_insertion(lot_id_, unit);
}

void StoreSink::lot_finished(const LotResult& result) {
  store_.end_lot(result);
}

}  // namespace seedval

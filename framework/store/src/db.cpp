#include "db.h"

namespace seedval::db {
namespace {

// The schema, written once. $ID, $INT, $REAL and $BLOB stand for the column types of the dialect.
// Version 2 added lot_files; version 3 insertions.packed_steps and lots.packed_steps. An older
// store gains what is new when it is opened (store.cpp).
constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS lots (
  id $ID, lot_id TEXT NOT NULL UNIQUE, product TEXT, step TEXT, station TEXT, handler TEXT,
  site_count $INT, temperature_c $REAL, program_name TEXT, program_path TEXT, program_sha256 TEXT,
  program_revision TEXT, board_name TEXT, board_path TEXT, board_sha256 TEXT, start_time TEXT,
  finish_time TEXT, seedval_version TEXT, ended $INT NOT NULL DEFAULT 0, cancelled $INT NOT NULL DEFAULT 0,
  stopped_because TEXT NOT NULL DEFAULT '', packed_steps $INT NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS inputs (
  lot $INT NOT NULL REFERENCES lots(id) ON DELETE CASCADE, idx $INT NOT NULL, name TEXT, path TEXT,
  sha256 TEXT, PRIMARY KEY (lot, idx));
CREATE TABLE IF NOT EXISTS lot_files (
  lot $INT NOT NULL REFERENCES lots(id) ON DELETE CASCADE, idx $INT NOT NULL, role TEXT NOT NULL,
  name TEXT, path TEXT, sha256 TEXT, content $BLOB, PRIMARY KEY (lot, idx));
CREATE TABLE IF NOT EXISTS sites (
  lot $INT NOT NULL REFERENCES lots(id) ON DELETE CASCADE, site $INT NOT NULL, board TEXT,
  insertions $INT, tester_errors $INT, out_of_service $INT, reason TEXT, PRIMARY KEY (lot, site));
CREATE TABLE IF NOT EXISTS insertions (
  id $ID, lot $INT NOT NULL REFERENCES lots(id) ON DELETE CASCADE, unit $INT NOT NULL,
  part_id TEXT, die_lot TEXT, wafer $INT, x $INT, y $INT, ecid $INT, site $INT,
  insertion $INT NOT NULL, soft_bin $INT, hard_bin $INT, passed $INT, tester_error $INT,
  aborted $INT, failing_step TEXT, grade TEXT, message TEXT, start_time TEXT, finish_time TEXT,
  test_time_s $REAL, input_hashes TEXT, packed_steps $BLOB, UNIQUE (lot, unit, insertion));
CREATE TABLE IF NOT EXISTS steps (
  id $ID, insertion $INT NOT NULL REFERENCES insertions(id) ON DELETE CASCADE,
  idx $INT NOT NULL, step_id TEXT, test TEXT, outcome $INT, message TEXT, duration_s $REAL,
  error_code $INT);
CREATE TABLE IF NOT EXISTS notes (
  step $INT NOT NULL REFERENCES steps(id) ON DELETE CASCADE, idx $INT NOT NULL, text TEXT);
CREATE TABLE IF NOT EXISTS measurements (
  step $INT NOT NULL REFERENCES steps(id) ON DELETE CASCADE, idx $INT NOT NULL, name TEXT,
  value $REAL, unit TEXT, low $REAL, high $REAL, outcome $INT);
CREATE TABLE IF NOT EXISTS artifacts (
  step $INT NOT NULL REFERENCES steps(id) ON DELETE CASCADE, idx $INT NOT NULL, name TEXT,
  media_type TEXT, content $BLOB);
CREATE INDEX IF NOT EXISTS insertions_by_lot ON insertions (lot, id);
CREATE INDEX IF NOT EXISTS steps_by_insertion ON steps (insertion, idx);
CREATE INDEX IF NOT EXISTS measurements_by_step ON measurements (step, idx);
CREATE INDEX IF NOT EXISTS notes_by_step ON notes (step, idx);
CREATE INDEX IF NOT EXISTS artifacts_by_step ON artifacts (step, idx);
)sql";

struct Types {
  std::string_view id, integer, real, blob;
};

constexpr Types kSqliteTypes{"INTEGER PRIMARY KEY", "INTEGER", "REAL", "BLOB"};
constexpr Types kPostgresTypes{"BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY", "BIGINT",
                               "DOUBLE PRECISION", "BYTEA"};

}  // namespace

std::string schema_sql(Dialect dialect) {
  const Types& t = dialect == Dialect::sqlite ? kSqliteTypes : kPostgresTypes;
  std::string out;
  out.reserve(kSchema.size() * 2);
  for (std::size_t i = 0; i < kSchema.size();) {
    const std::string_view rest = kSchema.substr(i);
    const std::pair<std::string_view, std::string_view> tokens[] = {
        {"$ID", t.id}, {"$INT", t.integer}, {"$REAL", t.real}, {"$BLOB", t.blob}};
    bool replaced = false;
    for (const auto& [token, type] : tokens)
      if (rest.starts_with(token)) {
        out += type;
        i += token.size();
        replaced = true;
        break;
      }
    if (!replaced) out += kSchema[i++];
  }
  return out;
}

}  // namespace seedval::db

// The results store: lots, their inputs, files and sites, every insertion with its steps, measurements
// and artifacts. Reports are built from it. Two backends hold the same schema:
//   - SQLite, one file (results.db in a lot's folder), the default;
//   - PostgreSQL, a server many stations write at once (each its own lots), named by a connection
//     string: a postgresql:// or postgres:// URI, or libpq keywords ("host=db1 dbname=lots user=ft").
//
//   ResultStore store("out/LOT001/results.db");    // or: auto store = ResultStore::open(location);
//   StoreSink sink(store);                          // a ResultSink: run_lot(..., {&sink, ...})
//   LotResult again = store.load("LOT001");        // the lot as recorded, for reports
//
// Durability: each insertion is one transaction committed before StoreSink::unit_finished returns, so a
// unit counts only once its record is durable (SQLite: WAL with synchronous=FULL; PostgreSQL:
// synchronous_commit on, the commit returns once the server has flushed it). A record that cannot be
// written, or a commit that fails, throws IoError (naming the store and what failed), which stops the
// lot. An insertion is unique by (lot, unit, insertion): a second record of the same one is refused, so
// a resumed lot cannot count a unit twice.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <seedval/exec/lot.h>
#include <seedval/exec/record.h>

namespace seedval {

/// A file that shaped a lot, kept with its content so the lot's reports can be rebuilt later.
struct StoredFile {
  std::string role;  ///< what it was to the lot: "program", "board", ...
  FileRef ref;       ///< its name, path and SHA-256 when the lot started
  std::string content;
};

/// A ResultStore holds one connection: use it from one thread at a time (a lot's sinks are called one at a
/// time). Threads that write at once each open their own.
class ResultStore {
 public:
  enum class Backend { sqlite, postgresql };

  /// Opens (creating if missing) the SQLite store at `file`. Throws IoError naming the file when it
  /// cannot be opened or is not a seedval store of a known schema version.
  explicit ResultStore(const std::filesystem::path& file);
  /// Opens the store `location` names: a PostgreSQL connection string (see backend_of) or a file path
  /// (SQLite). Creates the tables in an empty database. Throws IoError naming the store when it cannot
  /// be reached (server down, authentication refused, ...) or holds a schema version it does not know.
  static std::unique_ptr<ResultStore> open(std::string_view location);
  ~ResultStore();
  ResultStore(const ResultStore&) = delete;
  ResultStore& operator=(const ResultStore&) = delete;

  /// 2: lot_files added; 3: each step's measurements also kept packed, to read a lot back fast. An older
  /// store is brought to this version when opened; newer versions are refused.
  static constexpr int kSchemaVersion = 3;
  /// PostgreSQL for postgresql:// and postgres:// URIs and libpq keyword/value strings, else SQLite.
  static Backend backend_of(std::string_view location);
  Backend backend() const;
  /// The SQLite file; empty for a store on PostgreSQL.
  const std::filesystem::path& file() const;
  /// Where the store is, for messages: the file, or postgresql://user@host:port/dbname (never a password).
  std::string location() const;

  /// Records a lot's start. Throws InvalidArgumentError if the store already holds that lot id.
  void begin_lot(const LotInfo& info);
  /// Records one insertion of lot `lot_id` durably (one transaction).
  void add_insertion(const std::string& lot_id, const UnitRecord& unit);
  /// Records several insertions in one transaction: all or none (importing a lot, benchmarks). A running
  /// lot records each unit on its own with add_insertion, so none waits on another's commit.
  void add_insertions(const std::string& lot_id, std::span<const UnitRecord> units);
  /// Records how the lot ended: its finish time, sites (their counts added to those of earlier runs of
  /// a resumed lot) and why it stopped early, if it did.
  void end_lot(const LotResult& result);
  /// Removes a lot and everything recorded for it.
  void remove_lot(const std::string& lot_id);
  /// Keeps a file that shaped lot `lot_id` (the program, the board, ...) with its bytes. `ref.sha256`,
  /// when given, must be that of `content` (InvalidArgumentError: the file changed since it was hashed);
  /// empty, it is computed.
  void add_file(const std::string& lot_id, std::string_view role, const FileRef& ref,
                std::string_view content);
  /// The files kept for lot `lot_id`, in the order added. Throws NotFoundError for an unknown lot id.
  std::vector<StoredFile> files(const std::string& lot_id) const;

  bool has_lot(const std::string& lot_id) const;
  /// The lot ids recorded, in the order they were started.
  std::vector<std::string> lots() const;
  /// The lot as recorded: its info, sites and every insertion in the order they finished. Throws
  /// NotFoundError for an unknown lot id.
  LotResult load(const std::string& lot_id) const;
  /// The lot without its insertions: its info, sites and how it ended (with for_each_insertion, what a
  /// lot too large to hold in memory is read as).
  LotResult load_header(const std::string& lot_id) const;
  /// Each insertion of lot `lot_id`, in the order they finished, read from one snapshot of the store by
  /// a few sequential queries (not one per insertion), so a lot of any size streams through in bounded
  /// memory. The store is read on a thread of its own, a few batches of insertions ahead of `f`, which
  /// runs on the caller's thread and must not use this store. An exception from `f` stops the read and
  /// comes out of this call. Throws NotFoundError for an unknown lot id.
  /// With `artifacts` false, the steps come without their artifacts (the reports never read them, and
  /// they are most of a store's bytes).
  void for_each_insertion(const std::string& lot_id, const std::function<void(UnitRecord&&)>& f,
                          bool artifacts = true) const;
  /// How many insertions lot `lot_id` has recorded. Throws NotFoundError for an unknown lot id.
  std::int64_t insertion_count(const std::string& lot_id) const;

 private:
  struct Impl;
  explicit ResultStore(std::unique_ptr<Impl> impl);
  LotResult load(const std::string& lot_id, bool insertions) const;
  std::unique_ptr<Impl> impl_;
};

/// Records a running lot in a store. With `continuing`, the lot is one the store already holds (a
/// resumed lot): its start is not recorded again, and its insertions are added to those it has.
class StoreSink final : public ResultSink {
 public:
  explicit StoreSink(ResultStore& store, bool continuing = false) : store_(store), continuing_(continuing) {}
  /// Keeps the file `ref` names (ref.path) in the store with the lot once its start is recorded (not
  /// when continuing): read whole then, its SHA-256 checked against ref.sha256 (add_file). A file that
  /// cannot be read, or changed, stops the lot before any unit is tested.
  void keep_file(std::string role, FileRef ref) { keep_.push_back({std::move(role), std::move(ref), {}}); }
  /// Keeps `content` as the lot's `role` file (one with no file on disk: a program made in code), under
  /// ref's name; checked against ref.sha256 when given.
  void keep_content(std::string role, FileRef ref, std::string content) {
    given_.push_back({std::move(role), std::move(ref), std::move(content)});
  }
  void lot_started(const LotInfo& info) override;
  void unit_finished(const UnitRecord& unit) override;
  void lot_finished(const LotResult& result) override;

 private:
  ResultStore& store_;
  bool continuing_;
  std::vector<StoredFile> keep_;   // read from disk when the lot starts
  std::vector<StoredFile> given_;  // kept as given
  std::string lot_id_;
};

}  // namespace seedval

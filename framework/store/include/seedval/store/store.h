// The results store: lots, their inputs and sites, every insertion with its steps, measurements and
// artifacts, in one SQLite file (results.db in a lot's folder). Reports are built from it.
//
//   ResultStore store("out/LOT001/results.db");
//   StoreSink sink(store);                          // a ResultSink: run_lot(..., {&sink, ...})
//   LotResult again = store.load("LOT001");        // the lot as recorded, for reports
//
// Durability: the store runs in WAL mode with synchronous=FULL, and each insertion is one transaction
// committed before StoreSink::unit_finished returns, so a unit counts only once its record is on disk; a
// record that cannot be written throws IoError (naming the file and what failed), which stops the lot.
// An insertion is unique by (lot, unit, insertion): a second record of the same one is refused, so a
// resumed lot cannot count a unit twice.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <seedval/exec/lot.h>
#include <seedval/exec/record.h>

namespace seedval {

class ResultStore {
 public:
  /// Opens (creating if missing) the store at `file`. Throws IoError naming the file when it cannot be
  /// opened or is not a seedval store of a known schema version.
  explicit ResultStore(const std::filesystem::path& file);
  ~ResultStore();
  ResultStore(const ResultStore&) = delete;
  ResultStore& operator=(const ResultStore&) = delete;

  static constexpr int kSchemaVersion = 1;
  const std::filesystem::path& file() const;

  /// Records a lot's start. Throws InvalidArgumentError if the store already holds that lot id.
  void begin_lot(const LotInfo& info);
  /// Records one insertion of lot `lot_id` durably (one transaction).
  void add_insertion(const std::string& lot_id, const UnitRecord& unit);
  /// Records how the lot ended: its finish time, sites (their counts added to those of earlier runs of
  /// a resumed lot) and why it stopped early, if it did.
  void end_lot(const LotResult& result);
  /// Removes a lot and everything recorded for it.
  void remove_lot(const std::string& lot_id);

  bool has_lot(const std::string& lot_id) const;
  /// The lot ids recorded, in the order they were started.
  std::vector<std::string> lots() const;
  /// The lot as recorded: its info, sites and every insertion in the order they finished. Throws
  /// NotFoundError for an unknown lot id.
  LotResult load(const std::string& lot_id) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Records a running lot in a store. With `continuing`, the lot is one the store already holds (a
/// resumed lot): its start is not recorded again, and its insertions are added to those it has.
class StoreSink final : public ResultSink {
 public:
  explicit StoreSink(ResultStore& store, bool continuing = false) : store_(store), continuing_(continuing) {}
  void lot_started(const LotInfo& info) override;
  void unit_finished(const UnitRecord& unit) override;
  void lot_finished(const LotResult& result) override;

 private:
  ResultStore& store_;
  bool continuing_;
  std::string lot_id_;
};

}  // namespace seedval

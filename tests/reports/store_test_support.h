// Shared pieces of the results-store tests: a fresh, empty store on either backend (a file in a temporary
// folder, or a new database on the test executable's PostgreSQL server), SQL run on it behind the
// store's back (to age or break it), and a field-by-field comparison of recorded insertions.
#pragma once

#include <cmath>
#include <memory>
#include <stdexcept>
#include <string>

#include <boost/test/unit_test.hpp>
#include <sqlite3.h>

#include <seedval/exec/record.h>
#include <seedval/store/store.h>

#include "support/postgres_server.h"
#include "support/temp_dir.h"

namespace seedval::store_test {

/// The backends every store case runs on.
inline const char* const kBackends[] = {"sqlite", "postgresql"};

/// An empty store location on `backend`.
class Place {
 public:
  explicit Place(const std::string& backend) : postgres_(backend == "postgresql") {
    if (postgres_) {
      location_ = testing::shared_postgres_server().create_database();
      db_ = location_.substr(location_.rfind('/') + 1);
      shown_ = testing::shared_postgres_server().shown(db_);
    } else {
      location_ = shown_ = (dir_.path() / "results.db").string();
    }
  }
  /// What to open the store with (for PostgreSQL, a URI with the password).
  const std::string& location() const { return location_; }
  /// How the store names itself in messages (no password).
  const std::string& shown() const { return shown_; }
  bool postgres() const { return postgres_; }
  const testing::TempDir& dir() const { return dir_; }
  std::unique_ptr<ResultStore> open() const { return ResultStore::open(location_); }

  /// Runs `sql` on the store directly; returns the first column of the first row, if any.
  std::string sql(const std::string& statement) const {
    if (postgres_) return testing::shared_postgres_server().psql(db_, statement);
    sqlite3* db = nullptr;
    if (sqlite3_open(location_.c_str(), &db) != SQLITE_OK)
      throw std::runtime_error("cannot open " + location_);
    sqlite3_stmt* s = nullptr;
    std::string out;
    int rc = sqlite3_prepare_v2(db, statement.c_str(), -1, &s, nullptr);
    if (rc == SQLITE_OK) {
      rc = sqlite3_step(s);
      if (rc == SQLITE_ROW && sqlite3_column_text(s, 0) != nullptr)
        out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
      if (rc == SQLITE_ROW || rc == SQLITE_DONE) rc = SQLITE_OK;
    }
    const std::string error = sqlite3_errmsg(db);
    sqlite3_finalize(s);
    sqlite3_close(db);
    if (rc != SQLITE_OK) throw std::runtime_error(statement + ": " + error);
    return out;
  }

 private:
  bool postgres_;
  testing::TempDir dir_;
  std::string location_;
  std::string shown_;
  std::string db_;
};

inline bool same_real(double a, double b) {
  return (std::isnan(a) && std::isnan(b)) || (a == b && std::signbit(a) == std::signbit(b));
}
inline bool same_real(const std::optional<double>& a, const std::optional<double>& b) {
  return a.has_value() == b.has_value() && (!a || same_real(*a, *b));
}

/// Checks that `back` (read from a store) is `want` (what was recorded), field by field, bit for bit.
inline void check_same(const UnitRecord& back, const UnitRecord& want) {
  BOOST_TEST_CONTEXT("unit " << want.part_id << " insertion " << want.insertion) {
    BOOST_TEST(back.unit == want.unit);
    BOOST_TEST(back.part_id == want.part_id);
    BOOST_TEST((back.die == want.die));
    BOOST_TEST(back.ecid.has_value() == want.ecid.has_value());
    if (back.ecid && want.ecid) BOOST_TEST(*back.ecid == *want.ecid);
    BOOST_TEST(back.site == want.site);
    BOOST_TEST(back.insertion == want.insertion);
    BOOST_TEST(back.soft_bin == want.soft_bin);
    BOOST_TEST(back.hard_bin == want.hard_bin);
    BOOST_TEST(back.passed == want.passed);
    BOOST_TEST(back.tester_error == want.tester_error);
    BOOST_TEST(back.aborted == want.aborted);
    BOOST_TEST(back.failing_step == want.failing_step);
    BOOST_TEST(back.grade == want.grade);
    BOOST_TEST(back.message == want.message);
    BOOST_TEST(back.start_time == want.start_time);
    BOOST_TEST(back.finish_time == want.finish_time);
    BOOST_TEST(same_real(back.test_time_s, want.test_time_s));
    BOOST_REQUIRE(back.steps.size() == want.steps.size());
    for (std::size_t i = 0; i < want.steps.size(); ++i) {
      const StepRecord& b = back.steps[i];
      const StepRecord& w = want.steps[i];
      BOOST_TEST_CONTEXT("step " << w.id) {
        BOOST_TEST(b.id == w.id);
        BOOST_TEST(b.test == w.test);
        BOOST_TEST((b.outcome == w.outcome));
        BOOST_TEST(b.message == w.message);
        BOOST_TEST(same_real(b.duration_s, w.duration_s));
        BOOST_TEST((b.error_code == w.error_code));
        BOOST_TEST(b.notes == w.notes, boost::test_tools::per_element());
        BOOST_REQUIRE(b.measurements.size() == w.measurements.size());
        for (std::size_t k = 0; k < w.measurements.size(); ++k) {
          const Measurement& bm = b.measurements[k];
          const Measurement& wm = w.measurements[k];
          BOOST_TEST(bm.name == wm.name);
          BOOST_TEST(same_real(bm.value, wm.value),
                     wm.name << ": " << wm.value << " read back as " << bm.value);
          BOOST_TEST(bm.unit.symbol == wm.unit.symbol);
          BOOST_TEST(same_real(bm.limits.low, wm.limits.low));
          BOOST_TEST(same_real(bm.limits.high, wm.limits.high));
          BOOST_TEST((bm.outcome == wm.outcome));
        }
        BOOST_REQUIRE(b.artifacts.size() == w.artifacts.size());
        for (std::size_t k = 0; k < w.artifacts.size(); ++k) {
          BOOST_TEST(b.artifacts[k].name == w.artifacts[k].name);
          BOOST_TEST(b.artifacts[k].media_type == w.artifacts[k].media_type);
          BOOST_TEST(b.artifacts[k].content == w.artifacts[k].content);
        }
      }
    }
  }
}

/// Records `lot` in `store` as a running lot would: its start, every insertion, its end.
inline void record(ResultStore& store, const LotResult& lot) {
  StoreSink sink(store);
  sink.lot_started(lot.info);
  for (const auto& u : lot.insertions) sink.unit_finished(u);
  sink.lot_finished(lot);
}

}  // namespace seedval::store_test

// bench_store: the results store on SQLite and on PostgreSQL with insertions shaped like a real unit's,
// writing them one durable transaction each and reading the lot back.
//
//   bench_store [N] [--pg URI] [--artifact-scale F] [--dir DIR]
//
// N insertions (default 20000) of one lot, each shaped like a unit that passed the production program
// (`seedval lot` on the simulated board): 14 steps, 102 measurements (some NaN-free, some one-sided
// limits), 2 notes and 5 artifacts of about 69 KB together (conformance 41 KB, golden 24 KB, two SDC
// screens 1.6 KB, fmax 0.6 KB), times F (default 1; 0 drops them). The SQLite store is a file in DIR
// (default the system temp folder); PostgreSQL is the server URI names, or a throwaway server started
// here from Debian's postgresql package (tests/support/postgres_server.h), with its default fsync.
//
// Figures per backend: write time per insertion (mean, p50, p99; each insertion committed before the
// next), reading the lot with for_each_insertion and with load(), and insertion_count; each also
// extrapolated to a 350,000-unit lot. Beside them the baseline: the lot read the way load() read it
// before for_each_insertion, one query per insertion and three per step (N+1), timed on the first
// insertions and extrapolated. Resident memory is printed for each read: the most seen while
// for_each_insertion ran (it holds one insertion at a time), and with load()'s whole lot in hand.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/core.h>
#include <libpq-fe.h>
#include <malloc.h>
#include <sqlite3.h>
#include <unistd.h>

#include <seedval/core/units.h>
#include <seedval/store/store.h>

#include "support/postgres_server.h"

using namespace seedval;
using Clock = std::chrono::steady_clock;

namespace {

constexpr double kLotUnits = 350000;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

/// Resident memory now, in MiB.
long rss_mib() {
  long pages = 0, resident = 0;
  if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return resident * ::sysconf(_SC_PAGESIZE) / (1024 * 1024);
}

// Per step of a passing unit of seedchip-production: id, test, measurements, artifact bytes.
struct StepShape {
  const char* id;
  const char* test;
  int measurements;
  std::vector<std::pair<const char*, int>> artifacts;
};

const std::vector<StepShape>& shape() {
  static const std::vector<StepShape> steps = {
      {"identify", "chip.identify", 4, {}},
      {"registers", "chip.registers", 2, {}},
      {"memory_march", "memory.march", 8, {}},
      {"reset", "chip.reset", 1, {}},
      {"memory_decoder", "memory.decoder", 8, {}},
      {"memory_low_voltage", "memory.march", 8, {}},
      {"memory_retention", "memory.retention", 8, {}},
      {"memory_rowhammer", "memory.rowhammer", 5, {}},
      {"memory_ecc", "memory.ecc", 5, {}},
      {"inference_sdc", "inference.sdc", 8, {{"sdc_screen.gemm.f32", 1650}, {"sdc_screen.gemm.i8", 1648}}},
      {"inference_golden", "inference.golden", 34, {{"golden", 24375}}},
      {"inference_conformance", "inference.conformance", 4, {{"conformance", 41232}}},
      {"speed", "stress.fmax", 4, {{"fmax_search", 595}}},
      {"idle_power", "power.idle", 3, {}},
  };
  return steps;
}

UnitRecord make_unit(int n, double artifact_scale) {
  UnitRecord u;
  u.unit = n;
  u.part_id = std::to_string(n);
  u.die = {"BENCH", 1 + n / 4096 % 25, n % 64, n / 64 % 64};
  u.ecid = 0x5eed000000000000ull ^ static_cast<std::uint64_t>(n) * 0x9E3779B97F4A7C15ull;
  u.site = n % 4;
  u.insertion = 1;
  u.soft_bin = 1;
  u.hard_bin = 1;
  u.passed = true;
  u.grade = "A0-1400";
  u.start_time = "2026-01-01T00:00:00.000+00:00";
  u.finish_time = "2026-01-01T00:00:01.000+00:00";
  u.test_time_s = 0.16 + n % 100 * 1e-4;
  for (const StepShape& s : shape()) {
    StepRecord step;
    step.id = s.id;
    step.test = s.test;
    step.duration_s = 0.01 + n % 7 * 1e-3;
    for (int m = 0; m < s.measurements; ++m) {
      Measurement x;
      x.name = fmt::format("{}_m{}", s.id, m);
      x.value = 0.75 + (n * 31 + m) % 997 * 1e-4;
      x.unit = m % 2 == 0 ? units::volt : units::count;
      if (m % 3 != 2) x.limits.low = 0.0;
      if (m % 3 != 1) x.limits.high = 10.0;
      step.measurements.push_back(std::move(x));
    }
    if (std::string_view(s.id) == "speed") step.notes = {"fmax 1412 MHz at 750 mV", "bisection: 9 probes"};
    for (const auto& [name, bytes] : s.artifacts) {
      const auto size = static_cast<std::size_t>(bytes * artifact_scale);
      if (size == 0) continue;
      std::string content(size, 'x');
      for (std::size_t i = 0; i < size; i += 64) content[i] = static_cast<char>('0' + (n + i / 64) % 10);
      step.artifacts.push_back({name, "application/json", std::move(content)});
    }
    u.steps.push_back(std::move(step));
  }
  return u;
}

LotInfo bench_lot() {
  LotInfo info;
  info.lot_id = "BENCH";
  info.product = "SeedChip A0";
  info.station = "bench";
  info.handler = "synthetic";
  info.program = {"seedchip-production", "fixtures/programs/seedchip-production.json", "0"};
  return info;
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

// The N+1 read of the old load(): insertions, then per insertion its steps, per step its measurements,
// notes and artifacts. Reads the first `limit` insertions; returns the rows read.
long n_plus_one_sqlite(const std::string& file, int limit) {
  sqlite3* db = nullptr;
  sqlite3_open(file.c_str(), &db);
  auto prepare = [&](const char* sql) {
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db, sql, -1, &s, nullptr);
    return s;
  };
  sqlite3_stmt* ins = prepare("SELECT id FROM insertions ORDER BY id LIMIT ?");
  sqlite3_stmt* steps = prepare("SELECT id, step_id FROM steps WHERE insertion = ? ORDER BY idx");
  sqlite3_stmt* meas =
      prepare("SELECT name, value, unit, low, high FROM measurements WHERE step = ? ORDER BY idx");
  sqlite3_stmt* notes = prepare("SELECT text FROM notes WHERE step = ? ORDER BY idx");
  sqlite3_stmt* arts = prepare("SELECT name, content FROM artifacts WHERE step = ? ORDER BY idx");
  long rows = 0;
  sqlite3_bind_int(ins, 1, limit);
  while (sqlite3_step(ins) == SQLITE_ROW) {
    sqlite3_bind_int64(steps, 1, sqlite3_column_int64(ins, 0));
    while (sqlite3_step(steps) == SQLITE_ROW) {
      for (sqlite3_stmt* child : {meas, notes, arts}) {
        sqlite3_bind_int64(child, 1, sqlite3_column_int64(steps, 0));
        while (sqlite3_step(child) == SQLITE_ROW) {
          (void)sqlite3_column_blob(child, 1);
          ++rows;
        }
        sqlite3_reset(child);
      }
      ++rows;
    }
    sqlite3_reset(steps);
    ++rows;
  }
  for (sqlite3_stmt* s : {ins, steps, meas, notes, arts}) sqlite3_finalize(s);
  sqlite3_close(db);
  return rows;
}

long n_plus_one_postgres(const std::string& uri, int limit) {
  PGconn* c = PQconnectdb(uri.c_str());
  auto prepare = [&](const char* name, const char* sql) { PQclear(PQprepare(c, name, sql, 1, nullptr)); };
  prepare("ins", "SELECT id FROM insertions ORDER BY id LIMIT $1");
  prepare("steps", "SELECT id, step_id FROM steps WHERE insertion = $1 ORDER BY idx");
  prepare("meas", "SELECT name, value, unit, low, high FROM measurements WHERE step = $1 ORDER BY idx");
  prepare("notes", "SELECT text FROM notes WHERE step = $1 ORDER BY idx");
  prepare("arts", "SELECT name, content FROM artifacts WHERE step = $1 ORDER BY idx");
  auto run = [&](const char* name, const std::string& arg) {
    const char* values[] = {arg.c_str()};
    return PQexecPrepared(c, name, 1, values, nullptr, nullptr, 0);
  };
  long rows = 0;
  PGresult* ins = run("ins", std::to_string(limit));
  for (int i = 0; i < PQntuples(ins); ++i) {
    PGresult* steps = run("steps", PQgetvalue(ins, i, 0));
    for (int s = 0; s < PQntuples(steps); ++s) {
      for (const char* child : {"meas", "notes", "arts"}) {
        PGresult* r = run(child, PQgetvalue(steps, s, 0));
        rows += PQntuples(r);
        PQclear(r);
      }
      ++rows;
    }
    PQclear(steps);
    ++rows;
  }
  PQclear(ins);
  PQfinish(c);
  return rows;
}

void bench(const std::string& title, const std::string& location, int n, double artifact_scale,
           const std::function<long(int)>& n_plus_one) {
  {
    const auto store = ResultStore::open(location);
    fmt::print("\n{}  ({})\n", title, store->location());  // never the password
    if (store->has_lot("BENCH")) store->remove_lot("BENCH");
    store->begin_lot(bench_lot());
    std::vector<double> each;
    each.reserve(static_cast<std::size_t>(n));
    const UnitRecord shape_unit = make_unit(0, artifact_scale);
    std::size_t measurements = 0, artifact_bytes = 0;
    for (const auto& s : shape_unit.steps) {
      measurements += s.measurements.size();
      for (const auto& a : s.artifacts) artifact_bytes += a.content.size();
    }
    fmt::print("  insertion shape: {} steps, {} measurements, {} KB of artifacts\n", shape_unit.steps.size(),
               measurements, artifact_bytes / 1024);
    const auto t0 = Clock::now();
    for (int i = 0; i < n; ++i) {
      const UnitRecord u = make_unit(i, artifact_scale);
      const auto t = Clock::now();
      store->add_insertion("BENCH", u);
      each.push_back(seconds_since(t));
      if ((i + 1) % 5000 == 0) fmt::print("  ... {} written\n", i + 1);
    }
    const double total = seconds_since(t0);
    double sum = 0;
    for (double e : each) sum += e;
    const double mean = sum / n;
    fmt::print(
        "  write      {:8.3f} ms/insertion mean, p50 {:.3f} ms, p99 {:.3f} ms  ({} in {:.1f} s; 350k: {:.0f} "
        "s "
        "= {:.1f} h of store time)\n",
        mean * 1e3, percentile(each, 0.5) * 1e3, percentile(each, 0.99) * 1e3, n, total, mean * kLotUnits,
        mean * kLotUnits / 3600);
  }
  const auto store = ResultStore::open(location);
  auto t = Clock::now();
  const std::int64_t count = store->insertion_count("BENCH");
  fmt::print("  count      {:8.3f} ms for {} insertions\n", seconds_since(t) * 1e3, count);
  const long rss_before = rss_mib();
  long rss_streaming = rss_before;
  t = Clock::now();
  std::size_t seen = 0, values = 0;
  store->for_each_insertion("BENCH", [&](UnitRecord&& u) {
    if (++seen % 1000 == 0) rss_streaming = std::max(rss_streaming, rss_mib());
    for (const auto& s : u.steps) values += s.measurements.size();
  });
  double read = seconds_since(t);
  fmt::print(
      "  streamed   {:8.3f} ms/insertion  ({} insertions, {} measurements in {:.2f} s; 350k: {:.0f} s)  "
      "RSS {} MiB at most (from {} MiB)\n",
      read / static_cast<double>(seen) * 1e3, seen, values, read,
      read / static_cast<double>(seen) * kLotUnits, rss_streaming, rss_before);
  const int baseline = std::min(n, 2000);
  t = Clock::now();
  const long rows = n_plus_one(baseline);
  const double old = seconds_since(t);
  fmt::print(
      "  N+1 (old)  {:8.3f} ms/insertion  (its queries only, no records built: first {} insertions, {} rows "
      "in {:.2f} s; 350k: {:.0f} s)\n",
      old / baseline * 1e3, baseline, rows, old, old / baseline * kLotUnits);
  t = Clock::now();
  {
    const LotResult lot = store->load("BENCH");
    read = seconds_since(t);
    fmt::print(
        "  load()     {:8.3f} ms/insertion  ({} insertions in {:.2f} s; 350k: {:.0f} s)  RSS {} MiB holding "
        "it\n",
        read / static_cast<double>(lot.insertions.size()) * 1e3, lot.insertions.size(), read,
        read / static_cast<double>(lot.insertions.size()) * kLotUnits, rss_mib());
  }
  ::malloc_trim(0);  // the lot's memory back to the system, so the next figures start clean
}

}  // namespace

int main(int argc, char** argv) {
  int n = 20000;
  double artifact_scale = 1.0;
  std::string pg_uri;
  std::filesystem::path dir = std::filesystem::temp_directory_path();
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--pg" && i + 1 < argc)
      pg_uri = argv[++i];
    else if (a == "--artifact-scale" && i + 1 < argc)
      artifact_scale = std::atof(argv[++i]);
    else if (a == "--dir" && i + 1 < argc)
      dir = argv[++i];
    else
      n = std::max(1, std::atoi(a.c_str()));
  }
  fmt::print("bench_store: {} insertions a backend, artifacts x{}\n", n, artifact_scale);

  const std::filesystem::path file = dir / fmt::format("bench-store-{}.db", ::getpid());
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(file.string() + suffix);
  bench("SQLite", file.string(), n, artifact_scale,
        [&](int limit) { return n_plus_one_sqlite(file.string(), limit); });
  fmt::print("  file size  {} MiB\n", std::filesystem::file_size(file) / (1024 * 1024));
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(file.string() + suffix);

  std::unique_ptr<testing::PostgresServer> server;
  if (pg_uri.empty()) {
    server = std::make_unique<testing::PostgresServer>();
    pg_uri = server->create_database();
  }
  bench("PostgreSQL", pg_uri, n, artifact_scale,
        [&](int limit) { return n_plus_one_postgres(pg_uri, limit); });
  return 0;
}

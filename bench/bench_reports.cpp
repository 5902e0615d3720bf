// bench_reports: the reports of a year of production (350,000 units) built from the results store, with
// the time and the peak memory it takes.
//
//   bench_reports [UNITS] [--dir DIR] [--template N] [--store FILE]
//
// A real lot of N (default 48) units of the production program on the simulated board gives the unit
// records; UNITS (default 350,000) copies of them, each its own die, go into a SQLite store in DIR
// (default the system temp folder) in batches of 1,000 per transaction, without their artifacts (the
// reports never read them); with --store, FILE is that store, filled once and kept for the next run (to
// profile the reading alone). Then, timed, with the process's peak resident memory reset before each:
//   - baseline: the store read back, every insertion built and dropped (for_each_insertion alone);
//   - reports: the same read into LotSummarizer, then yield.json and bins.json written;
//   - all five reports, as seedval lot and seedval report write them (write_lot_reports from the store);
//   - in memory: load() and summarize() as seedval lot does for small lots, on the first 20,000 units
//     copied to a second store (a whole year does not fit), extrapolated.
// Targets: reports of 350,000 units in at most 10 s and 1 GiB.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <fmt/core.h>
#include <unistd.h>

#include <seedval/boards/board.h>
#include <seedval/exec/handler.h>
#include <seedval/exec/lot.h>
#include <seedval/exec/program.h>
#include <seedval/reports/lot_reports.h>
#include <seedval/reports/summary.h>
#include <seedval/store/store.h>

using namespace seedval;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

/// Peak resident memory since the last reset, in MiB (VmHWM).
long peak_mib() {
  long kib = 0;
  if (std::FILE* f = std::fopen("/proc/self/status", "r")) {
    char line[256];
    while (std::fgets(line, sizeof line, f) != nullptr)
      if (std::sscanf(line, "VmHWM: %ld kB", &kib) == 1) break;
    std::fclose(f);
  }
  return kib / 1024;
}

/// Resets the peak to what is resident now (Linux: clear_refs 5).
void reset_peak() {
  if (std::FILE* f = std::fopen("/proc/self/clear_refs", "w")) {
    std::fputs("5", f);
    std::fclose(f);
  }
}

// Fills `store` with `units` copies of the template records, each its own die of lot `lot`.
void fill(ResultStore& store, const LotResult& templ, const std::string& lot, int units) {
  LotResult head;
  head.info = templ.info;
  head.info.lot_id = lot;
  store.begin_lot(head.info);
  std::vector<UnitRecord> batch;
  const auto& recs = templ.insertions;
  for (int i = 0; i < units; ++i) {
    UnitRecord u = recs[static_cast<std::size_t>(i) % recs.size()];
    for (auto& s : u.steps) s.artifacts.clear();
    u.unit = i;
    u.part_id = std::to_string(i + 1);
    u.die = {lot, 1 + i / 400, i % 20, (i / 20) % 20};
    u.insertion = 1;
    u.site = i % 4;
    batch.push_back(std::move(u));
    if (batch.size() == 1000 || i + 1 == units) {
      store.add_insertions(lot, batch);
      batch.clear();
    }
  }
  head.sites = {{0, "bench", units / 4, 0, false, ""}};
  store.end_lot(head);
}

}  // namespace

int main(int argc, char** argv) {
  int units = 350000, template_units = 48;
  std::filesystem::path dir = std::filesystem::temp_directory_path();
  std::filesystem::path kept;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--dir" && i + 1 < argc)
      dir = argv[++i];
    else if (a == "--store" && i + 1 < argc)
      kept = argv[++i];
    else if (a == "--template" && i + 1 < argc)
      template_units = std::atoi(argv[++i]);
    else
      units = std::atoi(argv[i]);
  }
  if (units < 1000 || template_units < 1) {
    std::fprintf(stderr, "usage: bench_reports [UNITS >= 1000] [--dir DIR] [--template N]\n");
    return 2;
  }
  const Program program = load_program(kDefaultProgram);
  const bool reuse = !kept.empty() && std::filesystem::exists(kept) && ResultStore(kept).has_lot("YEAR");
  LotResult templ;
  auto t0 = Clock::now();
  if (!reuse) {
    auto board = open_board("seedchip-sim");
    SimHandler handler("BENCH", template_units);
    templ = run_lot(*board, handler, program, {}, {});
    fmt::print("template: a real lot of {} units, {} insertions, in {:.1f} s\n", template_units,
               templ.insertions.size(), seconds_since(t0));
  }

  const auto file = kept.empty() ? dir / fmt::format("bench-reports-{}.db", ::getpid()) : kept;
  const auto small_file = dir / fmt::format("bench-reports-{}-small.db", ::getpid());
  struct Cleanup {
    std::vector<std::filesystem::path> files;
    ~Cleanup() {
      std::error_code ec;
      for (const auto& f : files)
        for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(f.string() + suffix, ec);
    }
  } cleanup{{small_file}};
  if (kept.empty()) cleanup.files.push_back(file);
  const int small = std::min(units, 20000);
  if (reuse) {
    units = static_cast<int>(ResultStore(file).insertion_count("YEAR"));
    fmt::print("store: {} units kept in {}\n", units, file.string());
  } else {
    ResultStore store(file);
    t0 = Clock::now();
    fill(store, templ, "YEAR", units);
    fmt::print("store: {} units written in {:.1f} s ({:.0f} MiB)\n", units, seconds_since(t0),
               static_cast<double>(std::filesystem::file_size(file)) / (1 << 20));
    ResultStore small_store(small_file);
    fill(small_store, templ, "YEAR", small);
  }

  ResultStore store(file);
  // Baseline: the store read, nothing done with it.
  reset_peak();
  t0 = Clock::now();
  std::size_t read = 0;
  store.for_each_insertion(
      "YEAR", [&](UnitRecord&& u) { read += u.steps.size(); }, false);
  const double base_s = seconds_since(t0);
  const long base_mib = peak_mib();
  fmt::print(
      "baseline: {} units read back from the store (every step and measurement): {:.2f} s, peak {} MiB\n",
      units, base_s, base_mib);

  // The reports, streamed.
  reset_peak();
  t0 = Clock::now();
  const LotResult head = store.load_header("YEAR");
  reports::LotSummarizer summarizer(program, 4);
  store.for_each_insertion(
      "YEAR", [&](UnitRecord&& u) { summarizer.add(u); }, false);
  const double read_s = seconds_since(t0);
  const reports::LotSummary summary = summarizer.finish();
  const double finish_s = seconds_since(t0) - read_s;
  const std::string yield = reports::yield_report(summary, head, program);
  const double yield_s = seconds_since(t0) - read_s - finish_s;
  const std::string bins = reports::bins_report(summary, head, program);
  const auto out = dir / fmt::format("bench-reports-{}", ::getpid());
  std::filesystem::create_directories(out);
  reports::write_file_atomic(out / "yield.json", yield);
  reports::write_file_atomic(out / "bins.json", bins);
  const double reports_s = seconds_since(t0);
  const long reports_mib = peak_mib();
  std::error_code ec;
  std::filesystem::remove_all(out, ec);
  fmt::print(
      "reports: yield.json ({:.1f} MiB) and bins.json of {} units: {:.2f} s, peak {} MiB  "
      "[target <= 10 s, <= 1024 MiB: {}]\n",
      static_cast<double>(yield.size()) / (1 << 20), summary.units, reports_s, reports_mib,
      reports_s <= 10 && reports_mib <= 1024 ? "met" : "MISSED");
  fmt::print("         {:.1f} us per unit, {:.2f}x the bare read\n", 1e6 * reports_s / units,
             reports_s / base_s);
  fmt::print(
      "         read and summarized {:.2f} s, summary finished {:.2f} s, yield.json {:.2f} s, the rest "
      "{:.2f} s\n",
      read_s, finish_s, yield_s, reports_s - read_s - finish_s - yield_s);

  // Every report seedval lot and seedval report write (adding STDF, report.html and junit.xml, which
  // reads the lot a second time), streamed the same way.
  reset_peak();
  t0 = Clock::now();
  LotResult header = store.load_header("YEAR");
  const auto all_dir = dir / fmt::format("bench-reports-{}-all", ::getpid());
  const auto all = reports::write_lot_reports(
      header, program,
      [&](const std::function<void(const UnitRecord&)>& f) {
        store.for_each_insertion(
            "YEAR", [&](UnitRecord&& u) { f(u); }, false);
      },
      all_dir);
  const double all_s = seconds_since(t0);
  const long all_mib = peak_mib();
  std::string sizes;
  for (const auto& f : all)
    sizes += fmt::format("{}{} {:.0f} MiB", sizes.empty() ? "" : ", ", f.filename().string(),
                         static_cast<double>(std::filesystem::file_size(f)) / (1 << 20));
  std::filesystem::remove_all(all_dir, ec);
  fmt::print("all five reports ({}): {:.2f} s, peak {} MiB  [{}]\n", sizes, all_s, all_mib,
             all_s <= 10 && all_mib <= 1024 ? "within 10 s and 1 GiB" : "beyond 10 s or 1 GiB");

  // The in-memory path on the small store, extrapolated.
  if (!reuse) {
    ResultStore small_store(small_file);
    reset_peak();
    t0 = Clock::now();
    const LotResult lot = small_store.load("YEAR");
    const std::string y = reports::yield_report(lot, program);
    const std::string b = reports::bins_report(lot, program);
    const double s = seconds_since(t0);
    const long mib = peak_mib();
    fmt::print(
        "in memory: load() + summarize of {} units: {:.2f} s, peak {} MiB; for {} units about {:.0f} s "
        "and {:.1f} GiB\n",
        small, s, mib, units, s * units / small, static_cast<double>(mib) * units / small / 1024);
  }
  return reports_s <= 10 && reports_mib <= 1024 ? 0 : 1;
}

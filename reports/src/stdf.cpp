#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <limits>
#include <map>
#include <utility>

#include <fmt/core.h>

#include <seedval/core/error.h>
#include <seedval/reports/lot_reports.h>
#include <seedval/reports/stdf.h>
#include <seedval/reports/summary.h>

#include "writers.h"

namespace seedval::reports {
namespace {

constexpr std::uint8_t kAllHeads = 255, kAllSites = 255, kHead = 1;
constexpr std::uint32_t kMissingU4 = 4294967295u;

// One record being written at the end of `out`: its header first, with the length filled in by finish(),
// then its fields, little-endian. Nothing is allocated per record: a year's lot writes 35 million.
class Record {
 public:
  Record(std::string& out, std::uint8_t type, std::uint8_t subtype) : out_(out), start_(out.size()) {
    out_.append(2, '\0');
    out_.push_back(static_cast<char>(type));
    out_.push_back(static_cast<char>(subtype));
  }
  Record& u1(std::uint64_t v) {
    out_.push_back(static_cast<char>(v & 0xff));
    return *this;
  }
  Record& u2(std::uint64_t v) { return u1(v).u1(v >> 8); }
  Record& u4(std::uint64_t v) { return u2(v & 0xffff).u2(v >> 16); }
  Record& i1(int v) { return u1(static_cast<std::uint8_t>(static_cast<std::int8_t>(v))); }
  Record& i2(int v) { return u2(static_cast<std::uint16_t>(static_cast<std::int16_t>(v))); }
  Record& r4(double v) {
    const float f = static_cast<float>(v);
    std::uint32_t bits = 0;
    static_assert(sizeof bits == sizeof f);
    std::memcpy(&bits, &f, sizeof bits);
    return u4(bits);
  }
  Record& c1(char c) { return u1(static_cast<std::uint8_t>(c)); }
  /// A string: a length byte and at most 255 ASCII bytes (anything else becomes '?').
  Record& cn(std::string_view s) {
    const std::size_t n = std::min<std::size_t>(s.size(), 255);
    u1(n);
    for (std::size_t i = 0; i < n; ++i) {
      const auto c = static_cast<unsigned char>(s[i]);
      out_.push_back(c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?');
    }
    return *this;
  }
  void finish() {
    const std::size_t length = out_.size() - start_ - 4;
    if (length > 65535)
      throw InternalError(ErrorCode::internal, fmt::format("stdf: a record of {} bytes", length));
    out_[start_] = static_cast<char>(length & 0xff);
    out_[start_ + 1] = static_cast<char>(length >> 8);
  }

 private:
  std::string& out_;
  std::size_t start_;
};

// Seconds since 1970 of the local wall clock in an ISO-8601 stamp ("2026-12-02T16:20:31.842+01:00").
std::uint32_t stdf_time(const std::string& iso) {
  std::tm t{};
  if (std::sscanf(iso.c_str(), "%d-%d-%dT%d:%d:%d", &t.tm_year, &t.tm_mon, &t.tm_mday, &t.tm_hour, &t.tm_min,
                  &t.tm_sec) != 6)
    return 0;
  t.tm_year -= 1900;
  t.tm_mon -= 1;
  const std::time_t s = timegm(&t);
  return s < 0 ? 0 : static_cast<std::uint32_t>(s);
}

std::uint8_t site_num(int site) {
  return static_cast<std::uint8_t>(std::clamp(site + 1, 1, 254));
}

int coordinate(int v) {
  return std::clamp(v, -32767, 32767);
}

}  // namespace

StdfWriter::StdfWriter(const LotResult& lot, const Program& program, detail::Output& output)
    : output_(output) {
  const LotInfo& info = lot.info;
  finish_time_ = info.finish_time.empty() ? info.start_time : info.finish_time;
  std::string& out = output_.out();
  Record(out, 0, 10).u1(2).u1(4).finish();  // FAR: CPU_TYPE 2 (little-endian), STDF_VER 4
  Record(out, 1, 10)                        // MIR
      .u4(stdf_time(info.start_time))       // SETUP_T
      .u4(stdf_time(info.start_time))       // START_T
      .u1(1)                                // STAT_NUM
      .c1('P')                              // MODE_COD: production
      .c1(' ')                              // RTST_COD
      .c1(' ')                              // PROT_COD
      .u2(65535)                            // BURN_TIM
      .c1(' ')                              // CMOD_COD
      .cn(info.lot_id)
      .cn(info.product)       // PART_TYP
      .cn(info.station)       // NODE_NAM
      .cn("seedval")          // TSTR_TYP
      .cn(info.program.name)  // JOB_NAM
      .cn(info.program_revision)
      .cn("")  // SBLOT_ID
      .cn("")  // OPER_NAM
      .cn("seedval")
      .cn(info.seedval_version)
      .cn(info.step)  // TEST_COD
      .cn(fmt::format("{:g}", info.temperature_c))
      .finish();
  {
    Record sdr(out, 1, 80);  // SDR: the sites of head 1
    sdr.u1(kHead).u1(1).u1(static_cast<std::uint64_t>(lot.sites.empty() ? 1 : lot.sites.size()));
    if (lot.sites.empty())
      sdr.u1(site_num(0));
    else
      for (const auto& s : lot.sites) sdr.u1(site_num(s.site));
    sdr.cn("").cn(info.handler).cn("").cn("").cn("").cn(info.board.name);  // HAND_TYP/ID, CARD, LOAD_ID
    sdr.finish();
  }

  // Test numbers: step n (from 1, setup, flow, teardown) is n * 1000; its measurements n * 1000 + k.
  for (const auto* steps : {&program.setup, &program.flow, &program.teardown})
    for (const auto& st : *steps) steps_by_id_.emplace(st.id, StepNumbers{++steps_ * 1000, {}});
}

StdfWriter::~StdfWriter() = default;

void StdfWriter::add(const UnitRecord& u) {
  std::string& out = output_.out();
  ++insertions_;
  if (u.insertion > 1) ++retests_;
  if (u.aborted) ++aborted_;
  const std::uint8_t site = site_num(u.site);
  Record(out, 5, 10).u1(kHead).u1(site).finish();  // PIR
  std::uint32_t records = 0;
  for (const StepRecord& step : u.steps) {
    auto found = steps_by_id_.find(step.id);
    if (found == steps_by_id_.end())
      found = steps_by_id_.emplace(step.id, StepNumbers{++steps_ * 1000, {}}).first;
    StepNumbers& numbers = found->second;
    const std::uint32_t base = numbers.base;
    const bool failed = step.outcome == Outcome::failed || step.outcome == Outcome::error;
    std::uint8_t flags = failed ? 0x80 : 0;
    if (step.outcome == Outcome::skipped) flags |= 0x10;                 // not executed
    if (step.outcome == Outcome::error) flags |= 0x40;                   // an error: no verdict on the part
    if (step.error_code == ErrorCode::timeout) flags |= 0x08;            // timeout
    Record(out, 15, 20).u4(base).u1(kHead).u1(site).u1(flags).finish();  // FTR
    ++records;
    TestTotals& t = totals_[base];
    t.type = 'F';
    if (t.name.empty()) t.name = step.id;
    if (step.outcome != Outcome::skipped) ++t.executed;
    if (failed) ++t.failed;
    for (std::size_t k = 0; k < step.measurements.size(); ++k) {
      const Measurement& m = step.measurements[k];
      // Test numbers in the order a step's measurements first appear; usually the same order every time.
      std::uint32_t number = 0;
      if (k < numbers.measurements.size() && numbers.measurements[k].first == m.name) {
        number = numbers.measurements[k].second;
      } else {
        for (const auto& [name, n] : numbers.measurements)
          if (name == m.name) number = n;
        if (number == 0) {
          number = base + static_cast<std::uint32_t>(numbers.measurements.size()) + 1;
          numbers.measurements.emplace_back(m.name, number);
        }
      }
      TestTotals& pt = totals_[number];
      pt.type = 'P';
      if (pt.name.empty()) pt.name = step.id + "/" + m.name;
      ++pt.executed;
      const bool m_failed = m.outcome == Outcome::failed;
      if (m_failed) ++pt.failed;
      const bool finite = std::isfinite(m.value);
      if (finite) {
        pt.sum += m.value;
        pt.squares += m.value * m.value;
        pt.min = std::min(pt.min, m.value);
        pt.max = std::max(pt.max, m.value);
      }
      Record ptr(out, 15, 10);
      ptr.u4(number).u1(kHead).u1(site);
      ptr.u1((m_failed ? 0x80 : 0) | (finite ? 0 : 0x02));  // TEST_FLG: failed, result invalid
      ptr.u1(0);                                            // PARM_FLG
      ptr.r4(finite ? m.value : 0.0);
      ptr.cn(pt.name);  // TEST_TXT
      if (!pt.limits_written) {
        // The first PTR of a test number carries its limits and units (results in base units).
        std::uint8_t opt = 0;  // the scales are valid (0); a missing limit is "none" and invalid
        if (!m.limits.low) opt |= 0x40 | 0x10;
        if (!m.limits.high) opt |= 0x80 | 0x20;
        ptr.cn("").u1(opt).i1(0).i1(0).i1(0);
        ptr.r4(m.limits.low.value_or(0)).r4(m.limits.high.value_or(0));
        ptr.cn(m.unit.symbol);
        pt.limits_written = true;
      }
      ptr.finish();
      ++records;
    }
  }
  std::uint8_t part_flags = 0;
  if (u.insertion > 1) part_flags |= 0x01;  // supersedes the earlier record of this part id
  if (u.aborted) part_flags |= 0x04;
  if (!u.passed) part_flags |= 0x08;
  Record(out, 5, 20)  // PRR
      .u1(kHead)
      .u1(site)
      .u1(part_flags)
      .u2(std::min<std::uint32_t>(records, 65535))
      .u2(static_cast<std::uint64_t>(u.hard_bin))
      .u2(static_cast<std::uint64_t>(u.soft_bin))
      .i2(coordinate(u.die.x))
      .i2(coordinate(u.die.y))
      .u4(static_cast<std::uint64_t>(std::llround(u.test_time_s * 1000)))
      .cn(u.part_id)
      .cn(chip::to_string(u.die))
      .finish();
  output_.flush_if_full();
}

void StdfWriter::finish(const LotSummary& summary) {
  std::string& out = output_.out();
  Record(out, 1, 30)  // PCR, all sites
      .u1(kAllHeads)
      .u1(kAllSites)
      .u4(static_cast<std::uint64_t>(insertions_))
      .u4(static_cast<std::uint64_t>(retests_))
      .u4(static_cast<std::uint64_t>(aborted_))
      .u4(static_cast<std::uint64_t>(summary.final_yield.numerator))
      .u4(kMissingU4)
      .finish();
  // HBR and SBR: the final bins of every unit, all sites together.
  for (const auto& [subtype, bins] :
       {std::pair{40, &summary.final_bins.hard}, std::pair{50, &summary.final_bins.soft}})
    for (const auto& b : *bins)
      Record(out, 1, static_cast<std::uint8_t>(subtype))
          .u1(kAllHeads)
          .u1(kAllSites)
          .u2(b.number)
          .u4(b.count)
          .c1(b.pass ? 'P' : 'F')
          .cn(b.name)
          .finish();
  for (const auto& [number, t] : totals_) {
    Record tsr(out, 10, 30);
    tsr.u1(kAllHeads).u1(kAllSites).c1(t.type).u4(number).u4(t.executed).u4(t.failed).u4(kMissingU4);
    tsr.cn(t.name).cn("").cn("");
    if (t.type == 'P' && t.executed > 0 && std::isfinite(t.min)) {
      tsr.u1(0x04).r4(0).r4(t.min).r4(t.max).r4(t.sum).r4(t.squares);  // OPT_FLAG: only TEST_TIM invalid
    }
    tsr.finish();
  }
  Record(out, 1, 20).u4(stdf_time(finish_time_)).c1(' ').finish();
}

std::string stdf_bytes(const LotResult& lot, const Program& program) {
  std::string out;
  detail::Output output(out);
  StdfWriter w(lot, program, output);
  for (const UnitRecord& u : lot.insertions) w.add(u);
  w.finish(summarize(lot, program));
  return out;
}

void write_stdf(const LotResult& lot, const Program& program, const std::filesystem::path& file) {
  detail::AtomicFile f(file);
  StdfWriter w(lot, program, f.output());
  for (const UnitRecord& u : lot.insertions) w.add(u);
  w.finish(summarize(lot, program));
  f.commit();
}

}  // namespace seedval::reports

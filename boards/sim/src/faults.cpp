#include <algorithm>
#include <array>

#include <fmt/core.h>

#include <seedval/core/error.h>
#include <seedval/sim/faults.h>

namespace seedval::sim {
namespace {

constexpr std::array<std::string_view, kFaultClassCount> kNames = {
    "SAF", "TF",   "WDF",  "RDF",  "DRDF", "IRF",       "SOF",  "DRF",
    "AF",  "CFin", "CFid", "CFst", "CFds", "RowHammer", "weak",
};

bool iequals(std::string_view a, std::string_view b) noexcept {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [&](char x, char y) { return lower(x) == lower(y); });
}

// "0x1234.7": the word index in hex, then the bit.
std::string cell(const Cell& c) {
  return fmt::format("0x{:x}.{}", c.word, c.bit);
}

char digit(bool v) noexcept {
  return v ? '1' : '0';
}

std::string_view arrow(bool rises) noexcept {
  return rises ? "↑" : "↓";
}

std::string_view af_name(AfKind k) noexcept {
  switch (k) {
    case AfKind::no_cell:
      return "no-cell";
    case AfKind::alias:
      return "alias";
    case AfKind::multi_and:
      return "multi-and";
    case AfKind::multi_or:
      return "multi-or";
  }
  return "?";
}

}  // namespace

std::string_view to_string(FaultClass c) noexcept {
  const auto i = static_cast<std::size_t>(c);
  return i < kNames.size() ? kNames[i] : std::string_view("?");
}

FaultClass fault_class_from_string(std::string_view name) {
  for (std::size_t i = 0; i < kNames.size(); ++i)
    if (iequals(name, kNames[i])) return static_cast<FaultClass>(i);
  std::string known;
  for (std::string_view n : kNames) known += fmt::format("{}{}", known.empty() ? "" : ", ", n);
  throw NotFoundError(ErrorCode::not_found,
                      fmt::format("unknown memory fault class \"{}\" (known: {})", name, known));
}

bool MemoryFault::is_coupling() const noexcept {
  return kind == FaultClass::cfin || kind == FaultClass::cfid || kind == FaultClass::cfst ||
         kind == FaultClass::cfds;
}

std::string MemoryFault::describe() const {
  const std::string_view name = to_string(kind);
  const char v = digit(value);
  const char nv = digit(!value);
  switch (kind) {
    case FaultClass::saf:
      return fmt::format("{} <∀/{}/-> v={}", name, v, cell(victim));
    case FaultClass::tf:
      return fmt::format("{} <{}w{}/{}/-> v={}", name, nv, v, nv, cell(victim));
    case FaultClass::wdf:
      return fmt::format("{} <{}w{}/{}/-> v={}", name, v, v, arrow(!value), cell(victim));
    case FaultClass::rdf:
      return fmt::format("{} <{}r{}/{}/{}> v={}", name, v, v, arrow(!value), nv, cell(victim));
    case FaultClass::drdf:
      return fmt::format("{} <{}r{}/{}/{}> v={}", name, v, v, arrow(!value), v, cell(victim));
    case FaultClass::irf:
      return fmt::format("{} <{}r{}/{}/{}> v={}", name, v, v, v, nv, cell(victim));
    case FaultClass::sof:
      return fmt::format("{} v={}", name, cell(victim));
    case FaultClass::drf:
      return fmt::format("{} <{} T/{}/-> v={} retention={}ms", name, v, nv, cell(victim), retention_ms);
    case FaultClass::af:
      if (af == AfKind::no_cell) return fmt::format("{} {} A=0x{:x}", name, af_name(af), victim.word);
      return fmt::format("{} {} A=0x{:x} B=0x{:x}", name, af_name(af), victim.word, other_word);
    case FaultClass::cfin:
      return fmt::format("{} <{};↕> a={} v={}", name, arrow(aggressor_rises), cell(aggressor), cell(victim));
    case FaultClass::cfid:
      return fmt::format("{} <{};{}> a={} v={}", name, arrow(aggressor_rises), v, cell(aggressor),
                         cell(victim));
    case FaultClass::cfst:
      return fmt::format("{} <{};{}> a={} v={}", name, digit(aggressor_state), v, cell(aggressor),
                         cell(victim));
    case FaultClass::cfds: {
      const char s = digit(aggressor_state);
      return fmt::format("{} <{}{}{};{}/{}/-> a={} v={}", name, s, aggressor_read ? 'r' : 'w', s, v, nv,
                         cell(aggressor), cell(victim));
    }
    case FaultClass::rowhammer:
      return fmt::format("{} <{}/{}> v={} threshold={}", name, v, nv, cell(victim), hammer_threshold);
    case FaultClass::weak:
      return fmt::format("{} reads {} v={} below={}mV above={}°C", name, v, cell(victim), fail_below_mv,
                         fail_above_c);
  }
  return fmt::format("{} v={}", name, cell(victim));
}

std::vector<std::uint64_t> MemoryFault::words() const {
  std::vector<std::uint64_t> w{victim.word};
  if (is_coupling()) w.push_back(aggressor.word);
  if (kind == FaultClass::af && af != AfKind::no_cell) w.push_back(other_word);
  std::sort(w.begin(), w.end());
  w.erase(std::unique(w.begin(), w.end()), w.end());
  return w;
}

std::string CoreFault::describe() const {
  switch (kind) {
    case Kind::stuck0:
      return fmt::format("core {} lane {} bit {} stuck-at-0", core, lane, bit);
    case Kind::stuck1:
      return fmt::format("core {} lane {} bit {} stuck-at-1", core, lane, bit);
    case Kind::flaky:
      return fmt::format("core {} lane {} bit {} flaky (flip rate {:g})", core, lane, bit, flip_rate);
  }
  return fmt::format("core {} lane {} bit {}", core, lane, bit);
}

}  // namespace seedval::sim

#include "hbm.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <utility>

#include <fmt/core.h>

#include <seedval/core/error.h>

namespace seedval::sim {

static_assert(std::endian::native == std::endian::little,
              "host byte access maps byte i of a word to bits 8i..8i+7");

namespace {

// ---- SECDED (72,64) ----------------------------------------------------------------------------------
//
// Hamming positions 1..71: check bit i sits at position 2^i (i = 0..6), the 64 data bits fill the other
// positions in order. Check bit 7 is the parity of the 71 others and the data, so all 72 bits have even
// parity.

struct SecdedTables {
  std::array<std::uint8_t, 64> position{};  // data bit -> Hamming position
  std::array<std::int8_t, 128> data_bit{};  // Hamming position -> data bit, or -1
  std::array<std::uint64_t, 7> cover{};     // data bits each Hamming check bit covers
};

constexpr SecdedTables make_tables() {
  SecdedTables t;
  for (auto& d : t.data_bit) d = -1;
  int bit = 0;
  for (int pos = 1; pos < 72 && bit < 64; ++pos) {
    if (std::has_single_bit(static_cast<unsigned>(pos))) continue;
    t.position[static_cast<std::size_t>(bit)] = static_cast<std::uint8_t>(pos);
    t.data_bit[static_cast<std::size_t>(pos)] = static_cast<std::int8_t>(bit);
    for (int i = 0; i < 7; ++i)
      if ((pos >> i) & 1) t.cover[static_cast<std::size_t>(i)] |= std::uint64_t{1} << bit;
    ++bit;
  }
  return t;
}

constexpr SecdedTables kSecded = make_tables();

std::uint64_t bit_mask(std::uint8_t bit) noexcept {
  return std::uint64_t{1} << bit;
}

bool bit_of(std::uint64_t word, std::uint8_t bit) noexcept {
  return ((word >> bit) & 1) != 0;
}

void set_bit(std::uint64_t& word, std::uint8_t bit, bool v) noexcept {
  word = v ? (word | bit_mask(bit)) : (word & ~bit_mask(bit));
}

// Byte i of the result is 0xFF when byte i of a word lies in [lo, hi) (byte offsets within the word).
std::uint64_t bytes_mask(std::uint64_t lo, std::uint64_t hi) noexcept {
  std::uint64_t m = 0;
  for (std::uint64_t i = lo; i < hi; ++i) m |= std::uint64_t{0xFF} << (8 * i);
  return m;
}

// Calls plain(begin, end) for byte runs of plain words and special(word, lo, hi) for each special word
// (lo..hi: the byte offsets of the word inside the range), in ascending address order.
template <typename Plain, typename Special>
void for_each_run(const std::vector<std::uint64_t>& specials, std::uint64_t address, std::uint64_t length,
                  Plain&& plain, Special&& special) {
  const std::uint64_t end = address + length;
  auto it = std::lower_bound(specials.begin(), specials.end(), address / 8);
  std::uint64_t pos = address;
  while (pos < end) {
    const std::uint64_t next = it != specials.end() ? std::min(end, *it * 8) : end;
    if (next > pos) {
      plain(pos, next);
      pos = next;
    }
    if (pos >= end) break;
    const std::uint64_t word = *it++;
    const std::uint64_t hi = std::min(end, word * 8 + 8);
    special(word, pos - word * 8, hi - word * 8);
    pos = hi;
  }
}

}  // namespace

std::uint8_t secded_check_bits(std::uint64_t data) noexcept {
  unsigned c = 0;
  for (std::size_t i = 0; i < 7; ++i)
    c |= static_cast<unsigned>(std::popcount(data & kSecded.cover[i]) & 1) << i;
  const unsigned overall = static_cast<unsigned>((std::popcount(data) + std::popcount(c)) & 1);
  return static_cast<std::uint8_t>(c | (overall << 7));
}

SecdedResult secded_decode(std::uint64_t data, std::uint8_t check) noexcept {
  const std::uint8_t expect = secded_check_bits(data);
  const unsigned syndrome = (expect ^ check) & 0x7Fu;
  const bool odd = ((std::popcount(data) + std::popcount(static_cast<unsigned>(check))) & 1) != 0;
  SecdedResult r;
  r.data = data;
  if (syndrome == 0 && !odd) return r;
  if (!odd) {  // an even number of flips with a non-zero syndrome: two bits
    r.kind = SecdedResult::Kind::uncorrectable;
    return r;
  }
  if (syndrome == 0) {  // the overall parity bit itself
    r.kind = SecdedResult::Kind::corrected;
    r.bit = 71;
    return r;
  }
  if (std::has_single_bit(syndrome)) {  // a Hamming check bit
    r.kind = SecdedResult::Kind::corrected;
    r.bit = 64 + std::countr_zero(syndrome);
    return r;
  }
  const int bit = kSecded.data_bit[syndrome];
  if (bit < 0) {  // a position no single flip can produce: three or more bits
    r.kind = SecdedResult::Kind::uncorrectable;
    return r;
  }
  r.kind = SecdedResult::Kind::corrected;
  r.bit = bit;
  r.data = data ^ (std::uint64_t{1} << bit);
  return r;
}

// ---- construction -----------------------------------------------------------------------------------

HbmArray::HbmArray(const chip::HbmGeometry& geometry, std::vector<MemoryFault> faults, HbmEnvironment& env,
                   std::vector<std::uint64_t> recycled)
    : geometry_(geometry), faults_(std::move(faults)), env_(env), words_(std::move(recycled)) {
  geometry_.validate();
  validate_faults();
  // clear() + resize() writes each word once and keeps the allocation when it is large enough.
  words_.clear();
  words_.resize(geometry_.words());
  build_index();
}

void HbmArray::validate_faults() const {
  const std::uint64_t n = geometry_.words();
  for (const MemoryFault& f : faults_) {
    auto reject = [&](const std::string& why) {
      throw InvalidArgumentError(ErrorCode::invalid_argument,
                                 fmt::format("memory fault {} {} (array of {} words: {})", f.describe(), why,
                                             n, geometry_.describe()));
    };
    if (static_cast<int>(f.kind) >= kFaultClassCount)
      reject(fmt::format("has an unknown class {}", static_cast<int>(f.kind)));
    if (f.victim.word >= n) reject(fmt::format("names word 0x{:x} outside the array", f.victim.word));
    if (f.victim.bit > 63) reject(fmt::format("names bit {} outside the 64-bit word", f.victim.bit));
    if (f.is_coupling()) {
      if (f.aggressor.word >= n)
        reject(fmt::format("names aggressor word 0x{:x} outside the array", f.aggressor.word));
      if (f.aggressor.bit > 63)
        reject(fmt::format("names aggressor bit {} outside the 64-bit word", f.aggressor.bit));
      if (f.aggressor == f.victim) reject("couples a cell to itself");
    }
    if (f.kind == FaultClass::af && f.af != AfKind::no_cell) {
      if (f.other_word >= n) reject(fmt::format("names word 0x{:x} outside the array", f.other_word));
      if (f.other_word == f.victim.word) reject("maps an address to its own word");
    }
    if (f.kind == FaultClass::af && static_cast<int>(f.af) > static_cast<int>(AfKind::multi_or))
      reject("has an unknown decoder kind");
    if (f.kind == FaultClass::drf && !(f.retention_ms > 0 && std::isfinite(f.retention_ms)))
      reject("needs a positive retention time");
    if (f.kind == FaultClass::rowhammer && !(f.hammer_threshold > 0 && std::isfinite(f.hammer_threshold)))
      reject("needs a positive hammer threshold");
  }
}

void HbmArray::build_index() {
  state_.clear();
  row_faults_.clear();
  fault_state_.assign(faults_.size(), FaultState{.since_ns = env_.now_ns(), .disturbance = 0});
  for (std::uint32_t i = 0; i < faults_.size(); ++i) {
    const MemoryFault& f = faults_[i];
    for (std::uint64_t w : f.words()) state_[w].faults.push_back(i);
    if (f.kind == FaultClass::af) {
      auto& st = state_[f.victim.word];
      if (st.af < 0) st.af = static_cast<std::int32_t>(i);
    }
    if (f.kind == FaultClass::drf || f.kind == FaultClass::rowhammer) {
      const chip::PhysicalAddress p = geometry_.to_physical(f.victim.word);
      row_faults_[row_key(geometry_.bank_index(p), p.row)].push_back(i);
    }
  }
  special_.clear();
  special_.reserve(state_.size());
  const std::uint8_t zero_check = secded_check_bits(0);
  for (auto& [w, st] : state_) {
    special_.push_back(w);
    st.check = zero_check;  // power-on: the cells and check bits as if zero had been written
  }
  std::sort(special_.begin(), special_.end());
  for (std::uint64_t w : special_) enforce_static(state_.at(w));
  open_row_.assign(row_faults_.empty() ? 0 : geometry_.total_banks(), kNoRow);
  sense_ = Sensed{.data = 0, .check = zero_check};
}

HbmArray::WordState* HbmArray::state(std::uint64_t word) {
  if (state_.empty()) return nullptr;
  auto it = state_.find(word);
  return it == state_.end() ? nullptr : &it->second;
}

// ---- host access ------------------------------------------------------------------------------------

void HbmArray::read(std::uint64_t address, std::span<std::uint8_t> out) {
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(words_.data());
  for_each_run(
      special_, address, out.size(),
      [&](std::uint64_t b, std::uint64_t e) { std::memcpy(out.data() + (b - address), bytes + b, e - b); },
      [&](std::uint64_t w, std::uint64_t lo, std::uint64_t hi) {
        const std::uint64_t v = host_read_word(w);
        std::memcpy(out.data() + (w * 8 + lo - address), reinterpret_cast<const std::uint8_t*>(&v) + lo,
                    hi - lo);
      });
}

void HbmArray::write(std::uint64_t address, std::span<const std::uint8_t> data) {
  auto* bytes = reinterpret_cast<std::uint8_t*>(words_.data());
  for_each_run(
      special_, address, data.size(),
      [&](std::uint64_t b, std::uint64_t e) { std::memcpy(bytes + b, data.data() + (b - address), e - b); },
      [&](std::uint64_t w, std::uint64_t lo, std::uint64_t hi) {
        std::uint64_t v = 0;
        std::memcpy(reinterpret_cast<std::uint8_t*>(&v) + lo, data.data() + (w * 8 + lo - address), hi - lo);
        host_write_word(w, v, bytes_mask(lo, hi));
      });
}

void HbmArray::fill(std::uint64_t address, std::uint64_t length, std::uint64_t pattern) {
  auto* bytes = reinterpret_cast<std::uint8_t*>(words_.data());
  auto pattern_byte = [&](std::uint64_t a) { return static_cast<std::uint8_t>(pattern >> (8 * (a % 8))); };
  for_each_run(
      special_, address, length,
      [&](std::uint64_t b, std::uint64_t e) {
        for (; b < e && b % 8 != 0; ++b) bytes[b] = pattern_byte(b);
        const std::uint64_t whole_end = b + (e - b) / 8 * 8;
        std::fill(words_.begin() + static_cast<std::ptrdiff_t>(b / 8),
                  words_.begin() + static_cast<std::ptrdiff_t>(whole_end / 8), pattern);
        for (b = whole_end; b < e; ++b) bytes[b] = pattern_byte(b);
      },
      [&](std::uint64_t w, std::uint64_t lo, std::uint64_t hi) {
        host_write_word(w, pattern, bytes_mask(lo, hi));
      });
}

std::uint64_t HbmArray::host_read_word(std::uint64_t word) {
  const Sensed s = model_read(word);
  if (!ecc_enabled_) return s.data;
  const SecdedResult r = secded_decode(s.data, s.check);
  switch (r.kind) {
    case SecdedResult::Kind::clean:
      return s.data;
    case SecdedResult::Kind::corrected:
      ++ecc_.corrected;
      ecc_.last_error_address = word * 8;
      ecc_.last_error_uncorrectable = false;
      return r.data;
    case SecdedResult::Kind::uncorrectable:
      ++ecc_.uncorrectable;
      ecc_.last_error_address = word * 8;
      ecc_.last_error_uncorrectable = true;
      return s.data;
  }
  return s.data;
}

void HbmArray::host_write_word(std::uint64_t word, std::uint64_t value, std::uint64_t byte_mask) {
  if (byte_mask != ~std::uint64_t{0}) value = (host_read_word(word) & ~byte_mask) | (value & byte_mask);
  model_write(word, value);
}

void HbmArray::clear() {
  std::fill(words_.begin(), words_.end(), std::uint64_t{0});
  build_index();
}

void HbmArray::clear_ecc_counters(bool corrected, bool uncorrectable) {
  if (corrected) ecc_.corrected = 0;
  if (uncorrectable) ecc_.uncorrectable = 0;
  if (ecc_.corrected == 0 && ecc_.uncorrectable == 0) {
    ecc_.last_error_address.reset();
    ecc_.last_error_uncorrectable = false;
  }
}

void HbmArray::inject_error(std::uint64_t word, std::uint64_t flip_mask) {
  if (word >= words_.size())
    throw InvalidArgumentError(
        ErrorCode::invalid_argument,
        fmt::format("ECC error injection at word 0x{:x} is outside the {}-word array", word, words_.size()));
  auto [it, inserted] = state_.try_emplace(word);
  if (inserted) {
    it->second.check = secded_check_bits(words_[word]);
    special_.insert(std::lower_bound(special_.begin(), special_.end(), word), word);
  }
  words_[word] ^= flip_mask;
}

// ---- MarchMemory ------------------------------------------------------------------------------------

std::uint64_t HbmArray::read(std::uint64_t word) {
  return model_read(word).data;
}

void HbmArray::write(std::uint64_t word, std::uint64_t value) {
  model_write(word, value);
}

void HbmArray::wait(std::chrono::microseconds duration) {
  if (duration.count() > 0) env_.advance_ns(static_cast<std::uint64_t>(duration.count()) * 1000);
}

std::span<const std::uint8_t> HbmArray::plain_bytes(std::uint64_t address, std::uint64_t length) const {
  if (length == 0) return {};
  const std::uint64_t first = address / 8, last = (address + length - 1) / 8;
  auto it = std::lower_bound(special_.begin(), special_.end(), first);
  if (it != special_.end() && *it <= last) return {};
  return {reinterpret_cast<const std::uint8_t*>(words_.data()) + address, static_cast<std::size_t>(length)};
}

std::uint64_t HbmArray::next_special(std::uint64_t word) const {
  if (model_every_access_) return std::min<std::uint64_t>(word, words_.size());
  auto it = std::lower_bound(special_.begin(), special_.end(), word);
  return it == special_.end() ? words_.size() : *it;
}

void HbmArray::element_done(std::uint64_t first_word, std::uint64_t words, std::size_t ops_per_word) {
  if (words > 0 && ops_per_word > 0 && !row_faults_.empty()) {
    // One activation of every row the element swept: a swept victim row is restored, an unswept one
    // is disturbed once per swept neighbour. (A sweep disturbs a swept row at most once more before
    // restoring it, which this neglects.)
    const std::uint64_t end = first_word + words;
    const std::uint64_t now = env_.now_ns();
    for (const auto& [key, indices] : row_faults_) {
      const auto bank = static_cast<std::uint32_t>(key / geometry_.rows);
      const auto row = static_cast<std::uint32_t>(key % geometry_.rows);
      if (row_swept(bank, row, first_word, end)) {
        for (std::uint32_t i : indices) {
          if (faults_[i].kind == FaultClass::drf) evaluate_drf(i);
          fault_state_[i] = FaultState{.since_ns = now, .disturbance = 0};
        }
        continue;
      }
      const int neighbours = (row > 0 && row_swept(bank, row - 1, first_word, end) ? 1 : 0) +
                             (row + 1 < geometry_.rows && row_swept(bank, row + 1, first_word, end) ? 1 : 0);
      if (neighbours == 0) continue;
      for (std::uint32_t i : indices)
        if (faults_[i].kind == FaultClass::rowhammer) add_disturbance(i, neighbours);
    }
    std::fill(open_row_.begin(), open_row_.end(), kNoRow);
  }
  env_.advance_ns(transfer_ns(words * ops_per_word * 8));
}

std::uint64_t HbmArray::transfer_ns(std::uint64_t bytes) {
  return (bytes + 255) / 256;  // 256 GB/s = 256 bytes per ns
}

// ---- the modelled path ------------------------------------------------------------------------------

HbmArray::Sensed HbmArray::model_read(std::uint64_t word) {
  WordState* st = state(word);
  Sensed s;
  if (st != nullptr && st->af >= 0) {
    const MemoryFault& f = faults_[static_cast<std::size_t>(st->af)];
    switch (f.af) {
      case AfKind::no_cell:
        s = sense_;
        break;
      case AfKind::alias:
        s = cell_read(f.other_word, state(f.other_word));
        break;
      case AfKind::multi_and:
      case AfKind::multi_or: {
        const Sensed a = cell_read(word, st);
        const Sensed b = cell_read(f.other_word, state(f.other_word));
        s = f.af == AfKind::multi_and
                ? Sensed{.data = a.data & b.data, .check = static_cast<std::uint8_t>(a.check & b.check)}
                : Sensed{.data = a.data | b.data, .check = static_cast<std::uint8_t>(a.check | b.check)};
        break;
      }
    }
  } else {
    s = cell_read(word, st);
  }
  sense_ = s;
  return s;
}

void HbmArray::model_write(std::uint64_t word, std::uint64_t value) {
  WordState* st = state(word);
  if (st == nullptr || st->af < 0) {
    cell_write(word, st, value);
    return;
  }
  const MemoryFault& f = faults_[static_cast<std::size_t>(st->af)];
  switch (f.af) {
    case AfKind::no_cell:
      return;
    case AfKind::alias:
      cell_write(f.other_word, state(f.other_word), value);
      return;
    case AfKind::multi_and:
    case AfKind::multi_or:
      cell_write(word, st, value);
      cell_write(f.other_word, state(f.other_word), value);
      return;
  }
}

HbmArray::Sensed HbmArray::cell_read(std::uint64_t word, WordState* st) {
  if (st == nullptr) {
    touch_row(word);
    return Sensed{.data = words_[word], .check = secded_check_bits(words_[word])};
  }
  settle(word, *st);
  touch_row(word);
  std::uint64_t& cells = words_[word];
  const std::uint64_t before = cells;
  std::uint64_t out = cells;
  for (std::uint32_t i : st->faults) {
    const MemoryFault& f = faults_[i];
    if (f.victim.word != word) continue;
    const std::uint8_t b = f.victim.bit;
    const bool held = bit_of(cells, b) == f.value;
    switch (f.kind) {
      case FaultClass::rdf:
        if (held) {
          set_bit(cells, b, !f.value);
          set_bit(out, b, !f.value);
        }
        break;
      case FaultClass::drdf:
        if (held) {
          set_bit(cells, b, !f.value);
          set_bit(out, b, f.value);
        }
        break;
      case FaultClass::irf:
        if (held) set_bit(out, b, !f.value);
        break;
      case FaultClass::sof:
        set_bit(out, b, bit_of(sense_.data, b));
        break;
      case FaultClass::weak:
        if ((f.fail_below_mv != 0 && env_.hbm_supply_mv() < f.fail_below_mv) ||
            (f.fail_above_c != 0 && env_.temperature_c() > f.fail_above_c))
          set_bit(out, b, f.value);
        break;
      default:
        break;
    }
  }
  // A read of an aggressor holding s disturbs its victims after the data is sensed.
  for (std::uint32_t i : st->faults) {
    const MemoryFault& f = faults_[i];
    if (f.kind == FaultClass::cfds && f.aggressor_read && f.aggressor.word == word &&
        bit_of(before, f.aggressor.bit) == f.aggressor_state)
      flip_victim(f);
  }
  enforce_static(*st);
  restore_drf(word, *st);
  return Sensed{.data = out, .check = st->check};
}

void HbmArray::cell_write(std::uint64_t word, WordState* st, std::uint64_t value) {
  if (st == nullptr) {
    touch_row(word);
    words_[word] = value;
    return;
  }
  settle(word, *st);
  touch_row(word);
  const std::uint64_t old = words_[word];
  std::uint64_t next = value;
  for (std::uint32_t i : st->faults) {
    const MemoryFault& f = faults_[i];
    if (f.victim.word != word) continue;
    const std::uint8_t b = f.victim.bit;
    switch (f.kind) {
      case FaultClass::tf:  // the cell cannot make the transition to `value`
        if (bit_of(old, b) != f.value && bit_of(next, b) == f.value) set_bit(next, b, !f.value);
        break;
      case FaultClass::wdf:  // rewriting the held value flips it
        if (bit_of(old, b) == f.value && bit_of(next, b) == f.value) set_bit(next, b, !f.value);
        break;
      default:
        break;
    }
  }
  words_[word] = next;
  st->check = secded_check_bits(value);
  // Couplings whose aggressor is in this word act after the write (so intra-word victims too).
  for (std::uint32_t i : st->faults) {
    const MemoryFault& f = faults_[i];
    if (f.aggressor.word != word || !f.is_coupling()) continue;
    const bool was = bit_of(old, f.aggressor.bit);
    const bool now = bit_of(next, f.aggressor.bit);
    const bool transition = f.aggressor_rises ? (!was && now) : (was && !now);
    switch (f.kind) {
      case FaultClass::cfin:
        if (transition) flip_victim(f);
        break;
      case FaultClass::cfid:
        if (transition && bit_of(words_[f.victim.word], f.victim.bit) != f.value) flip_victim(f);
        break;
      case FaultClass::cfds:
        if (!f.aggressor_read && was == f.aggressor_state && now == f.aggressor_state) flip_victim(f);
        break;
      default:
        break;
    }
  }
  enforce_static(*st);
  restore_drf(word, *st);
}

// DRF leakage up to now, then the static faults (SAF, CFst).
void HbmArray::settle(std::uint64_t word, WordState& st) {
  for (std::uint32_t i : st.faults)
    if (faults_[i].kind == FaultClass::drf && faults_[i].victim.word == word) evaluate_drf(i);
  enforce_static(st);
}

// CFst victims take their forced value while the aggressor holds its state; then stuck-at cells,
// which win over every other fault.
void HbmArray::enforce_static(WordState& st) {
  for (std::uint32_t i : st.faults) {
    const MemoryFault& f = faults_[i];
    if (f.kind == FaultClass::cfst && bit_of(words_[f.aggressor.word], f.aggressor.bit) == f.aggressor_state)
      set_bit(words_[f.victim.word], f.victim.bit, f.value);
  }
  for (std::uint32_t i : st.faults) {
    const MemoryFault& f = faults_[i];
    if (f.kind == FaultClass::saf) set_bit(words_[f.victim.word], f.victim.bit, f.value);
  }
}

void HbmArray::restore_drf(std::uint64_t word, const WordState& st) {
  for (std::uint32_t i : st.faults)
    if (faults_[i].kind == FaultClass::drf && faults_[i].victim.word == word)
      fault_state_[i].since_ns = env_.now_ns();
}

// Flips a coupling or disturbance victim if it holds the value that flips (cfds, rowhammer), or
// unconditionally (cfin, cfid: the caller checked). Stuck-at cells of the victim word still win.
void HbmArray::flip_victim(const MemoryFault& f) {
  std::uint64_t& v = words_[f.victim.word];
  if ((f.kind == FaultClass::cfds || f.kind == FaultClass::rowhammer) && bit_of(v, f.victim.bit) != f.value)
    return;
  v ^= bit_mask(f.victim.bit);
  if (WordState* st = state(f.victim.word)) enforce_static(*st);
}

// ---- time -------------------------------------------------------------------------------------------

std::uint64_t HbmArray::last_refresh_ns(std::uint64_t now) const {
  const auto interval = static_cast<std::uint64_t>(refresh_interval_.count()) * 1000;
  if (now <= refresh_epoch_ns_) return refresh_epoch_ns_;
  return refresh_epoch_ns_ + (now - refresh_epoch_ns_) / interval * interval;
}

// A DRF cell holding its leaking value fails when some interval without a restore (an access, a row
// activation, a refresh tick) exceeded its retention at the present temperature.
void HbmArray::evaluate_drf(std::uint32_t fault) {
  const MemoryFault& f = faults_[fault];
  std::uint64_t& cells = words_[f.victim.word];
  if (bit_of(cells, f.victim.bit) != f.value) return;
  const std::uint64_t now = env_.now_ns();
  const std::uint64_t since = fault_state_[fault].since_ns;
  if (now <= since) return;
  std::uint64_t gap = now - since;
  if (refresh_on_) {
    const auto interval = static_cast<std::uint64_t>(refresh_interval_.count()) * 1000;
    const std::uint64_t first_tick =
        since < refresh_epoch_ns_
            ? refresh_epoch_ns_
            : refresh_epoch_ns_ + ((since - refresh_epoch_ns_) / interval + 1) * interval;
    if (now > first_tick) gap = std::max(first_tick - since, std::min(interval, now - first_tick));
  }
  const double retention_ns = f.retention_ms * 1e6 * std::exp2((25.0 - env_.temperature_c()) / 10.0);
  if (static_cast<double>(gap) > retention_ns) cells ^= bit_mask(f.victim.bit);
}

void HbmArray::add_disturbance(std::uint32_t fault, double activations) {
  FaultState& s = fault_state_[fault];
  if (refresh_on_) {
    const std::uint64_t tick = last_refresh_ns(env_.now_ns());
    if (s.since_ns < tick) s = FaultState{.since_ns = tick, .disturbance = 0};
  }
  s.disturbance += activations;
  if (s.disturbance >= faults_[fault].hammer_threshold) flip_victim(faults_[fault]);
}

void HbmArray::touch_row(std::uint64_t word) {
  if (row_faults_.empty()) return;
  const chip::PhysicalAddress p = geometry_.to_physical(word);
  const std::uint32_t bank = geometry_.bank_index(p);
  if (open_row_[bank] == p.row) return;
  open_row_[bank] = p.row;
  activate(bank, p.row, 1);
}

// `count` activations of one row: its own cells are restored, its neighbours' disturbed.
void HbmArray::activate(std::uint32_t bank, std::uint32_t row, std::uint64_t count) {
  const std::uint64_t now = env_.now_ns();
  if (auto it = row_faults_.find(row_key(bank, row)); it != row_faults_.end()) {
    for (std::uint32_t i : it->second) {
      if (faults_[i].kind == FaultClass::drf) evaluate_drf(i);
      fault_state_[i] = FaultState{.since_ns = now, .disturbance = 0};
    }
  }
  for (std::uint32_t r : {row - 1, row + 1}) {
    if (r >= geometry_.rows) continue;  // row - 1 of row 0 wraps to a huge value
    if (auto it = row_faults_.find(row_key(bank, r)); it != row_faults_.end())
      for (std::uint32_t i : it->second)
        if (faults_[i].kind == FaultClass::rowhammer) add_disturbance(i, static_cast<double>(count));
  }
}

// True if [first, end) holds a word of row `row` of flat bank `bank`. The address map (geometry.h)
// puts column[1:0] lowest, then channel, stack and bank, then column[..:2], then the row: a bank's
// words in one row are runs of 4 recurring every 4·channels·stacks·banks words.
bool HbmArray::row_swept(std::uint32_t bank, std::uint32_t row, std::uint64_t first,
                         std::uint64_t end) const {
  const std::uint64_t row_words = geometry_.words() / geometry_.rows;
  const std::uint64_t lo = std::max(first, std::uint64_t{row} * row_words);
  const std::uint64_t hi = std::min(end, std::uint64_t{row + 1} * row_words);
  if (lo >= hi) return false;
  const chip::PhysicalAddress p{.stack = bank / (geometry_.banks * geometry_.channels),
                                .channel = (bank / geometry_.banks) % geometry_.channels,
                                .bank = bank % geometry_.banks,
                                .row = 0,
                                .column = 0};
  const std::uint64_t offset = geometry_.to_word(p);
  const std::uint64_t period = std::uint64_t{4} * geometry_.total_banks();
  std::uint64_t run = lo / period * period + offset;
  if (run + 4 <= lo) run += period;
  return std::max(run, lo) < hi;
}

// ---- refresh and hammering --------------------------------------------------------------------------

void HbmArray::set_refresh(bool on, std::chrono::microseconds interval) {
  if (interval.count() <= 0)
    throw InvalidArgumentError(
        ErrorCode::invalid_argument,
        fmt::format("HBM refresh interval of {} us must be positive", interval.count()));
  if (on == refresh_on_ && (!on || interval == refresh_interval_)) return;
  // Settle what happened under the old regime before switching.
  for (std::uint32_t i = 0; i < faults_.size(); ++i)
    if (faults_[i].kind == FaultClass::drf) evaluate_drf(i);
  const std::uint64_t now = env_.now_ns();
  if (refresh_on_ && !on) {
    // The last tick restored every cell and ended every disturbance window.
    const std::uint64_t tick = last_refresh_ns(now);
    for (std::uint32_t i = 0; i < faults_.size(); ++i) {
      FaultState& s = fault_state_[i];
      if (faults_[i].kind == FaultClass::drf) s.since_ns = std::max(s.since_ns, tick);
      if (faults_[i].kind == FaultClass::rowhammer && s.since_ns < tick)
        s = FaultState{.since_ns = tick, .disturbance = 0};
    }
  }
  if (on) {
    // Refresh (re)starts with a refresh of every row now.
    refresh_epoch_ns_ = now;
    for (std::uint32_t i = 0; i < faults_.size(); ++i)
      if (faults_[i].kind == FaultClass::rowhammer)
        fault_state_[i] = FaultState{.since_ns = now, .disturbance = 0};
  }
  refresh_on_ = on;
  refresh_interval_ = interval;
}

void HbmArray::hammer(std::uint32_t bank, std::uint32_t row, std::uint64_t count) {
  if (bank >= geometry_.total_banks() || row >= geometry_.rows)
    throw InvalidArgumentError(ErrorCode::invalid_argument,
                               fmt::format("hammer of bank {} row {} is outside the HBM ({} banks × {} rows)",
                                           bank, row, geometry_.total_banks(), geometry_.rows));
  if (row_faults_.empty()) {
    env_.advance_ns(count * kActivationNs);
    return;
  }
  // Split the burst at refresh ticks: disturbance only accumulates within one window.
  const auto interval = static_cast<std::uint64_t>(refresh_interval_.count()) * 1000;
  while (count > 0) {
    std::uint64_t n = count;
    if (refresh_on_) {
      const std::uint64_t now = env_.now_ns();
      const std::uint64_t next_tick = last_refresh_ns(now) + interval;
      n = std::min(count, (next_tick - now + kActivationNs - 1) / kActivationNs);
    }
    activate(bank, row, n);
    env_.advance_ns(n * kActivationNs);
    count -= n;
  }
  open_row_[bank] = row;
}

void HbmArray::hammer_double_sided(std::uint32_t bank, std::uint32_t victim, std::uint64_t count) {
  if (bank >= geometry_.total_banks() || victim >= geometry_.rows)
    throw InvalidArgumentError(ErrorCode::invalid_argument,
                               fmt::format("hammer of bank {} row {} is outside the HBM ({} banks × {} rows)",
                                           bank, victim, geometry_.total_banks(), geometry_.rows));
  const auto interval = static_cast<std::uint64_t>(refresh_interval_.count()) * 1000;
  if (refresh_on_) {
    const std::uint64_t now = env_.now_ns();
    const std::uint64_t last = last_refresh_ns(now);
    if (now != last) env_.advance_ns(last + interval - now);
  }
  const std::uint32_t rows[] = {victim - 1, victim + 1};  // victim - 1 of row 0 wraps: skipped below
  while (count > 0) {
    std::uint64_t n = count;
    if (refresh_on_) {
      const std::uint64_t now = env_.now_ns();
      const std::uint64_t next_tick = last_refresh_ns(now) + interval;
      n = std::min(count, std::max<std::uint64_t>(1, (next_tick - now) / (2 * kActivationNs)));
    }
    for (std::uint32_t r : rows)
      if (r < geometry_.rows && !row_faults_.empty()) activate(bank, r, n);
    env_.advance_ns(2 * n * kActivationNs);
    count -= n;
  }
  if (!row_faults_.empty() && victim + 1 < geometry_.rows) open_row_[bank] = victim + 1;
}

}  // namespace seedval::sim

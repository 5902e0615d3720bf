#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <fmt/core.h>

#include <seedval/chip/march.h>
#include <seedval/core/error.h>

namespace seedval::chip {
namespace {

// Limits shared by the parser, the binary form and the interpreter (MarchFail keeps indices in 16 bits).
constexpr std::size_t kMaxElements = 256;
constexpr std::size_t kMaxOps = 64;
constexpr std::int64_t kMaxDelayUs = std::numeric_limits<std::int64_t>::max();

// Checks what every algorithm must satisfy before it is encoded or run; `what` names the caller.
void validate(const MarchAlgorithm& a, std::string_view what) {
  const auto bad = [&](const std::string& why) {
    throw InvalidArgumentError(
        ErrorCode::invalid_argument,
        a.name.empty() ? fmt::format("{}: {}", what, why) : fmt::format("{} \"{}\": {}", what, a.name, why));
  };
  if (a.elements.empty()) bad("the algorithm has no elements");
  if (a.elements.size() > kMaxElements)
    bad(fmt::format("{} elements (at most {})", a.elements.size(), kMaxElements));
  for (std::size_t i = 0; i < a.elements.size(); ++i) {
    const MarchElement& e = a.elements[i];
    if (e.is_delay) {
      if (!e.ops.empty()) bad(fmt::format("delay element {} has operations", i));
      if (e.delay.count() < 0) bad(fmt::format("delay element {} has a negative delay", i));
    } else {
      if (e.ops.empty()) bad(fmt::format("element {} has no operations", i));
      if (e.ops.size() > kMaxOps)
        bad(fmt::format("element {} has {} operations (at most {})", i, e.ops.size(), kMaxOps));
      if (e.order != AddressOrder::up && e.order != AddressOrder::down && e.order != AddressOrder::any)
        bad(fmt::format("element {} has address order {}", i, static_cast<int>(e.order)));
    }
  }
}

// ---- notation ----------------------------------------------------------------------------------------

std::string utf8(char32_t c) {
  std::string out;
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
  return out;
}

bool is_space(char32_t c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' || c == 0xA0 ||
         c == 0x2009 || c == 0x202F;
}

bool is_letter(char32_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

char32_t lower(char32_t c) {
  return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

// A recursive-descent parser over the code points of the text with whitespace dropped; every code point
// keeps the byte offset it came from, for the messages.
class Parser {
 public:
  Parser(std::string_view text, const std::string& name) : name_(name), end_offset_(text.size()) {
    std::size_t i = 0;
    while (i < text.size()) {
      const std::size_t start = i;
      const auto byte = static_cast<unsigned char>(text[i]);
      // Continuation bytes after the lead byte; the mask below keeps the lead byte's payload (and the
      // zero bit that ends its length prefix).
      const int extra = byte < 0x80   ? 0
                        : byte < 0xC2 ? -1
                        : byte < 0xE0 ? 1
                        : byte < 0xF0 ? 2
                        : byte < 0xF5 ? 3
                                      : -1;
      if (extra < 0) fail_at(start, "invalid UTF-8");
      char32_t c = byte & (0x7F >> extra);
      ++i;
      for (int k = 0; k < extra; ++k, ++i) {
        if (i >= text.size() || (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80)
          fail_at(start, "invalid UTF-8");
        c = (c << 6) | (static_cast<unsigned char>(text[i]) & 0x3F);
      }
      if (!is_space(c)) chars_.push_back({c, start});
    }
  }

  MarchAlgorithm parse() {
    MarchAlgorithm a;
    a.name = name_;
    expect('{', "'{'");
    while (true) {
      if (a.elements.size() == kMaxElements) fail(fmt::format("more than {} elements", kMaxElements));
      a.elements.push_back(element());
      const char32_t c = peek();
      if (c == ';' || c == ',') {
        ++pos_;
        continue;
      }
      if (c == '}') {
        ++pos_;
        break;
      }
      fail(fmt::format("expected ';' or '}}', found {}", found()));
    }
    if (pos_ != chars_.size()) fail(fmt::format("expected the end after '}}', found {}", found()));
    return a;
  }

 private:
  struct Char {
    char32_t c;
    std::size_t offset;
  };

  char32_t peek() const { return pos_ < chars_.size() ? chars_[pos_].c : char32_t{0}; }
  std::size_t offset() const { return pos_ < chars_.size() ? chars_[pos_].offset : end_offset_; }

  std::string found() const {
    if (pos_ >= chars_.size()) return "the end of the text";
    const char32_t c = chars_[pos_].c;
    if (c >= 0x20 && c < 0x7F) return fmt::format("'{}'", static_cast<char>(c));
    if (c < 0x20 || c == 0x7F) return fmt::format("U+{:04X}", static_cast<std::uint32_t>(c));
    return fmt::format("'{}' (U+{:04X})", utf8(c), static_cast<std::uint32_t>(c));
  }

  [[noreturn]] void fail_at(std::size_t offset, const std::string& what) const {
    throw ConfigError(ErrorCode::config,
                      name_.empty()
                          ? fmt::format("march notation: offset {}: {}", offset, what)
                          : fmt::format("march notation \"{}\": offset {}: {}", name_, offset, what));
  }
  [[noreturn]] void fail(const std::string& what) const { fail_at(offset(), what); }

  void expect(char32_t c, std::string_view what) {
    if (peek() != c) fail(fmt::format("expected {}, found {}", what, found()));
    ++pos_;
  }

  // A run of ASCII letters, lower-cased.
  std::string word() {
    std::string w;
    while (pos_ < chars_.size() && is_letter(chars_[pos_].c))
      w.push_back(static_cast<char>(lower(chars_[pos_++].c)));
    return w;
  }

  MarchElement element() {
    MarchElement e;
    const std::size_t start = pos_;
    const char32_t c = peek();
    if (c == U'⇑' || c == U'↑' || c == '^') {
      e.order = AddressOrder::up;
      ++pos_;
    } else if (c == U'⇓' || c == U'↓') {
      e.order = AddressOrder::down;
      ++pos_;
    } else if (c == U'⇕' || c == U'↕' || c == '*') {
      e.order = AddressOrder::any;
      ++pos_;
    } else if (is_letter(c)) {
      const std::string w = word();
      if (w == "u" || w == "up") {
        e.order = AddressOrder::up;
      } else if (w == "d" || w == "down" || w == "v") {
        e.order = AddressOrder::down;
      } else if (w == "b" || w == "any" || w == "x") {
        e.order = AddressOrder::any;
      } else if (w == "del") {
        return delay();
      } else {
        pos_ = start;
        fail(fmt::format("unknown address order \"{}\" (expected ⇑ ⇓ ⇕, u d b, up down any, or Del)", w));
      }
    } else {
      fail(fmt::format("expected an address order (⇑ ⇓ ⇕, u d b) or Del, found {}", found()));
    }
    expect('(', "'(' after the address order");
    while (true) {
      if (e.ops.size() == kMaxOps) fail(fmt::format("more than {} operations in one element", kMaxOps));
      MarchOp op;
      const char32_t k = lower(peek());
      if (k == 'r') {
        op.kind = MarchOp::Kind::read;
      } else if (k == 'w') {
        op.kind = MarchOp::Kind::write;
      } else {
        fail(fmt::format("expected 'r' or 'w', found {}", found()));
      }
      ++pos_;
      const char32_t v = peek();
      if (v != '0' && v != '1')
        fail(fmt::format("expected 0 or 1 after '{}', found {}", static_cast<char>(k), found()));
      op.inverted = v == '1';
      ++pos_;
      e.ops.push_back(op);
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == ')') {
        ++pos_;
        break;
      }
      fail(fmt::format("expected ',' or ')', found {}", found()));
    }
    return e;
  }

  // After "Del": nothing (the run's retention delay) or "(<digits><us|ms|s>)".
  MarchElement delay() {
    MarchElement e;
    e.is_delay = true;
    if (peek() != '(') return e;
    ++pos_;
    const std::size_t number_at = pos_;
    if (peek() < '0' || peek() > '9') fail(fmt::format("expected a duration in digits, found {}", found()));
    std::int64_t n = 0;
    while (peek() >= '0' && peek() <= '9') {
      const int digit = static_cast<int>(peek() - '0');
      if (n > (kMaxDelayUs - digit) / 10) {
        pos_ = number_at;
        fail("delay too long");
      }
      n = n * 10 + digit;
      ++pos_;
    }
    const std::size_t unit_at = pos_;
    std::int64_t scale = 0;
    if ((peek() == 0xB5 || peek() == 0x3BC) && pos_ + 1 < chars_.size() && lower(chars_[pos_ + 1].c) == 's') {
      pos_ += 2;
      scale = 1;
    } else {
      const std::string unit = word();
      if (unit == "us") scale = 1;
      if (unit == "ms") scale = 1'000;
      if (unit == "s") scale = 1'000'000;
      if (scale == 0) {
        pos_ = unit_at;
        fail(fmt::format("expected a unit (us, ms or s), found {}", found()));
      }
    }
    if (n > kMaxDelayUs / scale) {
      pos_ = number_at;
      fail("delay too long");
    }
    if (n == 0) {
      pos_ = number_at;
      fail("an explicit delay must be longer than zero (a bare Del waits the retention delay)");
    }
    e.delay = std::chrono::microseconds(n * scale);
    expect(')', "')' after the delay");
    return e;
  }

  std::string name_;
  std::size_t end_offset_;
  std::vector<Char> chars_;
  std::size_t pos_ = 0;
};

std::string render(const MarchAlgorithm& a, bool unicode) {
  std::string out = "{";
  for (std::size_t i = 0; i < a.elements.size(); ++i) {
    const MarchElement& e = a.elements[i];
    if (i > 0) out += ';';
    if (e.is_delay) {
      const std::int64_t us = e.delay.count();
      if (us == 0)
        out += "Del";
      else if (us % 1'000'000 == 0)
        out += fmt::format("Del({}s)", us / 1'000'000);
      else if (us % 1'000 == 0)
        out += fmt::format("Del({}ms)", us / 1'000);
      else
        out += fmt::format("Del({}us)", us);
      continue;
    }
    switch (e.order) {
      case AddressOrder::up:
        out += unicode ? "⇑" : "u";
        break;
      case AddressOrder::down:
        out += unicode ? "⇓" : "d";
        break;
      default:
        out += unicode ? "⇕" : "b";
        break;
    }
    out += '(';
    for (std::size_t k = 0; k < e.ops.size(); ++k) {
      if (k > 0) out += ',';
      out += e.ops[k].kind == MarchOp::Kind::write ? 'w' : 'r';
      out += e.ops[k].inverted ? '1' : '0';
    }
    out += ')';
  }
  out += '}';
  return out;
}

// ---- binary form -------------------------------------------------------------------------------------

class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

  std::uint64_t take(std::size_t n, std::string_view what) {
    if (bytes_.size() - pos_ < n)
      fail(fmt::format("truncated: {} needs {} byte{} at byte {}, {} left", what, n, n == 1 ? "" : "s", pos_,
                       bytes_.size() - pos_));
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v |= std::uint64_t{bytes_[pos_ + i]} << (8 * i);
    pos_ += n;
    return v;
  }
  std::size_t pos() const { return pos_; }
  std::size_t left() const { return bytes_.size() - pos_; }

  [[noreturn]] static void fail(const std::string& what) {
    throw ProtocolError(ErrorCode::protocol, fmt::format("march encoding: {}", what));
  }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t pos_ = 0;
};

constexpr std::uint8_t kDelayOrder = 3;
constexpr std::uint8_t kOpWrite = 0x01;
constexpr std::uint8_t kOpInverted = 0x02;

// ---- interpreter -------------------------------------------------------------------------------------

// Plain words are processed in chunks of this many words (two cache lines), aligned to multiples of it,
// so that a background's per-word inversion is a per-chunk constant XOR a 16-entry table indexed by the
// word's low bits.
constexpr std::uint64_t kChunk = 16;

constexpr std::uint64_t ones(bool b) {
  return b ? ~std::uint64_t{0} : 0;
}
// All ones if `bits` has odd parity (folded with shifts: no dependence on a popcount instruction).
constexpr std::uint64_t parity_mask(std::uint64_t bits) {
  for (int shift = 32; shift > 0; shift /= 2) bits ^= bits >> shift;
  return ones((bits & 1) != 0);
}
static_assert(parity_mask(std::uint64_t{1} << 63) == ~std::uint64_t{0} &&
              parity_mask(0x8000'0001'0000'0000) == 0 && parity_mask(0x7) == ~std::uint64_t{0} &&
              parity_mask(0) == 0);

// What an element does to a plain word (one that holds what was last stored in it): reads before the
// first write all see the stored value; every later read sees the last value written, which for a given
// background differs from the expected value exactly when the two inversion flags differ.
struct Plan {
  bool blockwise = false;                  // false: plain words are run op by op (some read always fails)
  bool reads_first = false;                // true if some read comes before the first write
  bool read_inverted = false;              // the flag of those reads (all equal when blockwise)
  bool writes = false;                     // whether the element stores anything
  bool write_inverted = false;             // the flag of the last write
  std::vector<std::uint16_t> first_reads;  // op indices of the reads before the first write
};

Plan plan_for(const MarchElement& e) {
  Plan p;
  p.blockwise = true;
  bool have_written = false;
  for (std::size_t k = 0; k < e.ops.size(); ++k) {
    const MarchOp& op = e.ops[k];
    if (op.kind == MarchOp::Kind::write) {
      have_written = true;
      p.writes = true;
      p.write_inverted = op.inverted;
    } else if (!have_written) {
      if (p.reads_first && op.inverted != p.read_inverted) p.blockwise = false;
      p.reads_first = true;
      p.read_inverted = op.inverted;
      p.first_reads.push_back(static_cast<std::uint16_t>(k));
    } else if (op.inverted != p.write_inverted) {
      p.blockwise = false;
    }
  }
  return p;
}

class Runner {
 public:
  Runner(const MarchAlgorithm& algorithm, MarchMemory& memory, const MarchOptions& options)
      : algorithm_(algorithm), memory_(memory), options_(options), bg_(options.background) {}

  MarchResult run() {
    first_ = options_.first_word;
    end_ = options_.first_word + options_.words;
    storage_ = memory_.storage();
    if (storage_ != nullptr) prepare_fast_path();
    for (std::size_t i = 0; i < algorithm_.elements.size(); ++i) {
      const MarchElement& e = algorithm_.elements[i];
      if (e.is_delay) {
        memory_.wait(e.delay.count() > 0 ? e.delay : options_.retention_delay);
        continue;
      }
      AddressOrder order = e.order;
      if (order == AddressOrder::any) order = options_.any_order;
      const bool down = order == AddressOrder::down;
      if (storage_ == nullptr) {
        if (down) {
          for (std::uint64_t w = end_; w-- > first_;) modelled(w, e, i);
        } else {
          for (std::uint64_t w = first_; w < end_; ++w) modelled(w, e, i);
        }
      } else {
        run_fast(e, i, down);
      }
      result_.operations += options_.words * e.ops.size();
      memory_.element_done(first_, options_.words, e.ops.size());
    }
    return std::move(result_);
  }

 private:
  struct Span {
    std::uint64_t begin;
    std::uint64_t end;
  };

  void record(std::uint64_t word, std::uint64_t expected, std::uint64_t actual, std::size_t element,
              std::size_t op) {
    ++result_.fail_count;
    if (result_.fails.size() < options_.max_fails)
      result_.fails.push_back(MarchFail{.word = word,
                                        .expected = expected,
                                        .actual = actual,
                                        .element = static_cast<std::uint16_t>(element),
                                        .op = static_cast<std::uint16_t>(op)});
  }

  // One word, every access through the memory's model.
  void modelled(std::uint64_t w, const MarchElement& e, std::size_t index) {
    for (std::size_t k = 0; k < e.ops.size(); ++k) {
      const MarchOp& op = e.ops[k];
      const std::uint64_t value = bg_.value(w, op.inverted);
      if (op.kind == MarchOp::Kind::write) {
        memory_.write(w, value);
      } else {
        const std::uint64_t actual = memory_.read(w);
        if (actual != value) record(w, value, actual, index, k);
      }
    }
  }

  // One plain word on storage, op by op.
  void plain_word(std::uint64_t w, const MarchElement& e, std::size_t index, bool writes) {
    std::uint64_t x = storage_[w];
    for (std::size_t k = 0; k < e.ops.size(); ++k) {
      const MarchOp& op = e.ops[k];
      const std::uint64_t value = bg_.value(w, op.inverted);
      if (op.kind == MarchOp::Kind::write)
        x = value;
      else if (x != value)
        record(w, value, x, index, k);
    }
    if (writes) storage_[w] = x;
  }

  // The special words of the region as maximal runs, in address order. The set is asked for once per
  // run (the contract of MarchMemory::next_special).
  void prepare_fast_path() {
    std::uint64_t w = first_;
    while (w < end_) {
      std::uint64_t s = std::max(memory_.next_special(w), w);
      if (s >= end_) break;
      std::uint64_t e = s + 1;
      while (e < end_ && memory_.next_special(e) <= e) ++e;
      specials_.push_back({s, e});
      w = e;
    }
    for (std::uint64_t i = 0; i < kChunk; ++i) low_masks_[i] = parity_mask(i & bg_.invert_mask);
    uniform_ = (bg_.invert_mask & (kChunk - 1)) == 0;
  }

  void run_fast(const MarchElement& e, std::size_t index, bool down) {
    const Plan p = plan_for(e);
    const auto special = [&](std::uint64_t w) { modelled(w, e, index); };
    if (!down) {
      std::uint64_t cursor = first_;
      for (const Span& s : specials_) {
        plain_run(cursor, s.begin, e, index, p, false);
        for (std::uint64_t w = s.begin; w < s.end; ++w) special(w);
        cursor = s.end;
      }
      plain_run(cursor, end_, e, index, p, false);
    } else {
      std::uint64_t cursor = end_;
      for (auto it = specials_.rbegin(); it != specials_.rend(); ++it) {
        plain_run(it->end, cursor, e, index, p, true);
        for (std::uint64_t w = it->end; w-- > it->begin;) special(w);
        cursor = it->begin;
      }
      plain_run(first_, cursor, e, index, p, true);
    }
  }

  // Plain words [lo, hi) in the element's order: the words before the first and after the last chunk
  // boundary one by one, the aligned chunks between them with the block loops.
  void plain_run(std::uint64_t lo, std::uint64_t hi, const MarchElement& e, std::size_t index, const Plan& p,
                 bool down) {
    if (lo >= hi) return;
    const auto words = [&](std::uint64_t from, std::uint64_t to) {
      if (down) {
        for (std::uint64_t w = to; w-- > from;) plain_word(w, e, index, p.writes);
      } else {
        for (std::uint64_t w = from; w < to; ++w) plain_word(w, e, index, p.writes);
      }
    };
    if (!p.blockwise) return words(lo, hi);
    const std::uint64_t head = std::min(hi, (lo + kChunk - 1) & ~(kChunk - 1));
    const std::uint64_t tail = std::max(head, hi & ~(kChunk - 1));
    if (down) {
      words(tail, hi);
      chunks(head, tail, index, p, true);
      words(lo, head);
    } else {
      words(lo, head);
      chunks(head, tail, index, p, false);
      words(tail, hi);
    }
  }

  void chunks(std::uint64_t lo, std::uint64_t hi, std::size_t index, const Plan& p, bool down) {
    if (lo >= hi) return;
    const int kind = (uniform_ ? 4 : 0) | (p.reads_first ? 2 : 0) | (p.writes ? 1 : 0);
    switch (kind) {
      case 7:
        return chunks_impl<true, true, true>(lo, hi, index, p, down);
      case 6:
        return chunks_impl<true, true, false>(lo, hi, index, p, down);
      case 5:
        return chunks_impl<true, false, true>(lo, hi, index, p, down);
      case 3:
        return chunks_impl<false, true, true>(lo, hi, index, p, down);
      case 2:
        return chunks_impl<false, true, false>(lo, hi, index, p, down);
      case 1:
        return chunks_impl<false, false, true>(lo, hi, index, p, down);
      default:
        return;  // neither reads nor writes: the element has no operations
    }
  }

  // Plain words [lo, hi) (multiples of kChunk), chunk by chunk in the element's order: compare what the
  // first reads see (OR-accumulated; the chunk is rescanned for the failing words only if something
  // differs), then store the last written value. The chunk stays in registers and L1 between the two, so
  // an element costs one pass over memory. kUniform: the background is one value for the whole chunk
  // (invert_mask has none of the low bits); else that value XOR the table of low-bit parities.
  template <bool kUniform, bool kRead, bool kWrite>
  void chunks_impl(std::uint64_t lo, std::uint64_t hi, std::size_t index, const Plan& p, bool down) {
    const std::array<std::uint64_t, kChunk> low = low_masks_;  // a local copy: cannot alias the storage
    const std::uint64_t mask = bg_.invert_mask & ~(kChunk - 1);
    const std::uint64_t read_flip = ones(p.read_inverted);
    const std::uint64_t write_flip = ones(p.write_inverted);
    const auto chunk = [&](std::uint64_t c) {
      std::uint64_t* w = storage_ + c;
      const std::uint64_t base = bg_.pattern ^ (mask != 0 ? parity_mask(c & mask) : 0);
      if constexpr (kRead) {
        const std::uint64_t expected = base ^ read_flip;
        std::uint64_t diff = 0;
        if constexpr (kUniform) {
          for (std::uint64_t i = 0; i < kChunk; ++i) diff |= w[i] ^ expected;
        } else {
          for (std::uint64_t i = 0; i < kChunk; ++i) diff |= w[i] ^ expected ^ low[i];
        }
        if (diff != 0) report(c, c + kChunk, index, p, down);
      }
      if constexpr (kWrite) {
        const std::uint64_t value = base ^ write_flip;
        if constexpr (kUniform) {
          for (std::uint64_t i = 0; i < kChunk; ++i) w[i] = value;
        } else {
          for (std::uint64_t i = 0; i < kChunk; ++i) w[i] = value ^ low[i];
        }
      }
    };
    if (down) {
      for (std::uint64_t c = hi; c > lo;) chunk(c -= kChunk);
    } else {
      for (std::uint64_t c = lo; c < hi; c += kChunk) chunk(c);
    }
  }

  // The failing first reads of plain words [lo, hi), in execution order.
  void report(std::uint64_t lo, std::uint64_t hi, std::size_t index, const Plan& p, bool down) {
    const auto check = [&](std::uint64_t w) {
      const std::uint64_t expected = bg_.value(w, p.read_inverted);
      const std::uint64_t actual = storage_[w];
      if (actual == expected) return;
      for (std::uint16_t k : p.first_reads) record(w, expected, actual, index, k);
    };
    if (down) {
      for (std::uint64_t w = hi; w-- > lo;) check(w);
    } else {
      for (std::uint64_t w = lo; w < hi; ++w) check(w);
    }
  }

  const MarchAlgorithm& algorithm_;
  MarchMemory& memory_;
  const MarchOptions& options_;
  const DataBackground bg_;
  MarchResult result_;
  std::uint64_t first_ = 0;
  std::uint64_t end_ = 0;
  std::uint64_t* storage_ = nullptr;
  std::vector<Span> specials_;
  bool uniform_ = true;
  std::array<std::uint64_t, kChunk> low_masks_{};
};

}  // namespace

std::size_t MarchAlgorithm::length() const noexcept {
  std::size_t n = 0;
  for (const MarchElement& e : elements)
    if (!e.is_delay) n += e.ops.size();
  return n;
}

std::string MarchAlgorithm::notation() const {
  return render(*this, true);
}

std::string MarchAlgorithm::ascii() const {
  return render(*this, false);
}

MarchAlgorithm parse_march(std::string_view text, std::string name) {
  return Parser(text, name).parse();
}

std::vector<std::uint8_t> encode_march(const MarchAlgorithm& algorithm) {
  validate(algorithm, "encode_march");
  std::vector<std::uint8_t> out;
  const auto put = [&](std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  };
  put(algorithm.elements.size(), 2);
  for (const MarchElement& e : algorithm.elements) {
    if (e.is_delay) {
      put(kDelayOrder, 1);
      put(0, 1);
      put(static_cast<std::uint64_t>(e.delay.count()), 8);
      continue;
    }
    put(static_cast<std::uint8_t>(e.order), 1);
    put(e.ops.size(), 1);
    for (const MarchOp& op : e.ops)
      put((op.kind == MarchOp::Kind::write ? kOpWrite : 0) | (op.inverted ? kOpInverted : 0), 1);
  }
  return out;
}

MarchAlgorithm decode_march(std::span<const std::uint8_t> bytes) {
  Reader r(bytes);
  MarchAlgorithm a;
  const std::uint64_t count = r.take(2, "the element count");
  if (count == 0) Reader::fail("element count 0");
  if (count > kMaxElements) Reader::fail(fmt::format("element count {} exceeds {}", count, kMaxElements));
  for (std::uint64_t i = 0; i < count; ++i) {
    MarchElement e;
    const std::size_t at = r.pos();
    const std::uint64_t order = r.take(1, fmt::format("the order of element {}", i));
    if (order > kDelayOrder)
      Reader::fail(
          fmt::format("byte {}: element {} has order {} (0 up, 1 down, 2 any, 3 delay)", at, i, order));
    const std::size_t ops_at = r.pos();
    const std::uint64_t ops = r.take(1, fmt::format("the op count of element {}", i));
    if (order == kDelayOrder) {
      if (ops != 0) Reader::fail(fmt::format("byte {}: delay element {} has op count {}", ops_at, i, ops));
      const std::size_t delay_at = r.pos();
      const std::uint64_t us = r.take(8, fmt::format("the delay of element {}", i));
      if (us > static_cast<std::uint64_t>(kMaxDelayUs))
        Reader::fail(fmt::format("byte {}: delay of element {} is too long ({} us)", delay_at, i, us));
      e.is_delay = true;
      e.delay = std::chrono::microseconds(static_cast<std::int64_t>(us));
    } else {
      if (ops == 0) Reader::fail(fmt::format("byte {}: element {} has no operations", ops_at, i));
      if (ops > kMaxOps)
        Reader::fail(
            fmt::format("byte {}: element {} has {} operations (at most {})", ops_at, i, ops, kMaxOps));
      e.order = static_cast<AddressOrder>(order);
      for (std::uint64_t k = 0; k < ops; ++k) {
        const std::size_t op_at = r.pos();
        const std::uint64_t op = r.take(1, fmt::format("operation {} of element {}", k, i));
        if ((op & ~std::uint64_t{kOpWrite | kOpInverted}) != 0)
          Reader::fail(
              fmt::format("byte {}: operation {} of element {} is 0x{:02x} (only bits 0 and 1 may be set)",
                          op_at, k, i, op));
        e.ops.push_back({.kind = (op & kOpWrite) != 0 ? MarchOp::Kind::write : MarchOp::Kind::read,
                         .inverted = (op & kOpInverted) != 0});
      }
    }
    a.elements.push_back(std::move(e));
  }
  if (r.left() != 0)
    Reader::fail(
        fmt::format("{} trailing byte{} after the last element", r.left(), r.left() == 1 ? "" : "s"));
  return a;
}

MarchResult run_march(const MarchAlgorithm& algorithm, MarchMemory& memory, const MarchOptions& options) {
  validate(algorithm, "run_march");
  const std::uint64_t size = memory.words();
  if (options.words > size || options.first_word > size - options.words)
    throw InvalidArgumentError(
        ErrorCode::invalid_argument,
        fmt::format("run_march: region of {} words at word {} lies outside the memory's {} words",
                    options.words, options.first_word, size));
  return Runner(algorithm, memory, options).run();
}

}  // namespace seedval::chip

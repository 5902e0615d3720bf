// March tests: the notation, its compiled form, and the one interpreter that runs them.
//
// The same interpreter runs inside the chip's MBIST engine (on the model: over the HBM array) and on the
// host for a host-driven march (over a Device, one operation per access), so the two can never disagree
// about what an algorithm means.
//
// Notation (van de Goor), Unicode or ASCII, whitespace ignored, case-insensitive:
//   {⇕(w0); ⇑(r0,w1); ⇓(r1,w0); ⇕(r0)}
//   {b(w0); u(r0,w1); d(r1,w0); b(r0)}          ASCII: u/up/^ = ⇑, d/down/v = ⇓, b/any/x/* = ⇕
//   {⇕(w0); Del; ⇕(r0)}                         Del: wait the retention delay given at run time
//   {⇕(w0); Del(64ms); ⇕(r0)}                   Del with an explicit duration (us, ms, s)
// Elements are separated by ';' (',' between elements is accepted too); operations inside an element by
// ','. r0/r1 read and expect the background / its complement, w0/w1 write them. ↑ ↓ ↕ are accepted for
// ⇑ ⇓ ⇕. An algorithm has 1 to 256 elements and an element 1 to 64 operations.
//
//   auto alg = chip::parse_march("{⇕(w0);⇑(r0,w1);⇓(r1,w0)}");   // throws ConfigError with the offset
//   chip::MarchOptions opt{.background = chip::DataBackground{0x5555555555555555}};
//   chip::MarchResult r = chip::run_march(alg, memory, opt);
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace seedval::chip {

enum class AddressOrder : std::uint8_t { up = 0, down = 1, any = 2 };

struct MarchOp {
  enum class Kind : std::uint8_t { read = 0, write = 1 };
  Kind kind = Kind::read;
  bool inverted = false;  ///< r1/w1: the complement of the background
  friend bool operator==(const MarchOp&, const MarchOp&) = default;
};

/// One march element: an address order and the operations applied to each word in turn, or a delay
/// (no operations; `delay` set, or zero meaning "the retention delay of the run"; a delay's order is
/// ignored and the parser and decoder leave it `any`).
struct MarchElement {
  AddressOrder order = AddressOrder::any;
  std::vector<MarchOp> ops;
  bool is_delay = false;
  std::chrono::microseconds delay{0};
  friend bool operator==(const MarchElement&, const MarchElement&) = default;
};

struct MarchAlgorithm {
  std::string name;  ///< optional, for reports
  std::vector<MarchElement> elements;
  friend bool operator==(const MarchAlgorithm&, const MarchAlgorithm&) = default;

  /// Operations per word (the "10" of March C-'s 10N); delays count 0.
  std::size_t length() const noexcept;
  /// Canonical Unicode notation: "{⇕(w0);⇑(r0,w1);…}".
  std::string notation() const;
  /// Canonical ASCII notation: "{b(w0);u(r0,w1);…}".
  std::string ascii() const;
};

/// Parses march notation (UTF-8) into an algorithm called `name`. Throws ConfigError naming the byte
/// offset into `text` (from 0), what was expected and what was found, e.g.
/// "march notation \"March C-\": offset 12: expected 'r' or 'w', found 'x'". An explicit delay must be
/// a positive whole number of us, ms or s.
MarchAlgorithm parse_march(std::string_view text, std::string name = {});

/// Compact binary form carried by the MBIST opcode (little-endian):
///   u16 element count, then per element: u8 order (0 up, 1 down, 2 any, 3 delay), u8 op count,
///   op count × u8 (bit 0: write, bit 1: inverted), and for a delay a u64 microseconds.
/// A delay has op count 0; the name is not carried. Throws InvalidArgumentError for an algorithm outside
/// the limits above (no elements, an element without operations, a delay with operations or < 0).
std::vector<std::uint8_t> encode_march(const MarchAlgorithm& algorithm);
/// Throws ProtocolError (ErrorCode::protocol) on malformed input — truncation, element count 0 or
/// > 256, an unknown order, op count 0 or > 64, a delay with operations or > INT64_MAX us, an op byte
/// with bits other than 0 and 1, trailing bytes — and never reads outside `bytes`.
MarchAlgorithm decode_march(std::span<const std::uint8_t> bytes);

/// The data a march writes: op value 0 writes `pattern` ^ mask(word), value 1 its complement, where
/// mask(word) is all ones when the parity of (word & invert_mask) is odd, else zero. A solid background
/// has invert_mask 0; since the address map is a bit permutation, physical checkerboards and row or
/// column stripes are parities of chosen word-index bits (see geometry.h).
struct DataBackground {
  std::uint64_t pattern = 0;
  std::uint64_t invert_mask = 0;
  friend bool operator==(const DataBackground&, const DataBackground&) = default;

  std::uint64_t value(std::uint64_t word, bool inverted) const noexcept {
    const bool odd = (__builtin_popcountll(word & invert_mask) & 1) != 0;
    return pattern ^ ((odd != inverted) ? ~std::uint64_t{0} : 0);
  }
};

/// One failing read.
struct MarchFail {
  std::uint64_t word = 0;  ///< word index (byte address / 8) in device memory
  std::uint64_t expected = 0;
  std::uint64_t actual = 0;
  std::uint16_t element = 0;  ///< index into MarchAlgorithm::elements
  std::uint16_t op = 0;       ///< index into the element's ops
  friend bool operator==(const MarchFail&, const MarchFail&) = default;
};

struct MarchOptions {
  std::uint64_t first_word = 0;  ///< region: [first_word, first_word + words)
  std::uint64_t words = 0;
  DataBackground background;
  /// How ⇕ is resolved (fault simulation runs both).
  AddressOrder any_order = AddressOrder::up;
  std::chrono::microseconds retention_delay{100'000};  ///< for a bare "Del"
  std::size_t max_fails = 256;  ///< fail log bound; fail_count keeps counting beyond it
};

struct MarchResult {
  std::vector<MarchFail> fails;  ///< the first max_fails failing reads, in execution order
  std::uint64_t fail_count = 0;  ///< all failing reads
  std::uint64_t operations = 0;  ///< word operations executed
  bool truncated() const noexcept { return fail_count > fails.size(); }
};

/// The memory a march runs on. The interpreter calls read()/write() for words that need modelling and
/// may run the rest directly on storage() — the fast path that lets a march over fault-free memory run
/// at memory speed.
class MarchMemory {
 public:
  virtual ~MarchMemory() = default;
  /// Total words addressable.
  virtual std::uint64_t words() const = 0;
  virtual std::uint64_t read(std::uint64_t word) = 0;
  virtual void write(std::uint64_t word, std::uint64_t value) = 0;
  /// Lets time pass with no access (retention).
  virtual void wait(std::chrono::microseconds duration) = 0;
  /// Word storage that behaves as plain memory except at special words, or nullptr when every access
  /// must go through read()/write() (a host-driven march over a transport).
  virtual std::uint64_t* storage() { return nullptr; }
  /// The first special word >= `word` (one whose accesses read()/write() must model), or words() if
  /// none. Only called when storage() is not null. A word is special if any fault involves it. The
  /// interpreter asks once at the start of a run, so the set must not change during run_march().
  /// Plain words must be independent of every other word: the interpreter reads and writes them on
  /// storage() in blocks, never through read()/write().
  virtual std::uint64_t next_special(std::uint64_t word) const { return word; }
  /// Called once per element with the region it swept, after it finished, so a model can account for
  /// time, row activations and refresh of the fast-path words in bulk.
  virtual void element_done(std::uint64_t /*first_word*/, std::uint64_t /*words*/,
                            std::size_t /*ops_per_word*/) {}
};

/// Runs `algorithm` on `memory`: for each element in turn, for each word of the region in the element's
/// order (⇕ as options.any_order, which when `any` means up), each operation in turn; a read that differs
/// from the background value is a fail. A delay element calls memory.wait() (its own delay, or
/// options.retention_delay for a bare Del); every other element calls memory.element_done() when it has
/// swept the region. With storage() the plain words run as block loops on the storage, with results
/// (fails and their order, counts, final contents) identical to running every word through
/// read()/write(). Throws InvalidArgumentError if the region lies outside memory or the algorithm breaks
/// the limits of encode_march().
MarchResult run_march(const MarchAlgorithm& algorithm, MarchMemory& memory, const MarchOptions& options);

}  // namespace seedval::chip

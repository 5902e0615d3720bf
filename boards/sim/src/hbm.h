// The model's HBM array: word storage, the sparse fault structure, SECDED ECC and refresh.
//
// Storage is a flat array of 64-bit words. Faults are indexed by the words they involve ("special"
// words); every access to a plain word is a plain load or store, so fault-free memory runs at memcpy
// speed and a march over it takes the interpreter's fast path. Special words go through one modelled
// access path (model_read/model_write) that applies every fault primitive of faults.h.
//
// ECC: SECDED over each 64-bit word with a (72,64) Hamming code. Check bits are kept only for special
// words and words with injected errors — elsewhere stored data always equals written data, so the
// syndrome is zero by construction. With ECC on, host reads of a special word decode it: a single-bit
// error is corrected (and counted), a double-bit error is detected (counted, data returned raw); the
// address of the last error is logged. With ECC off, host reads return the raw cells. MBIST and the
// fault-simulation path always see raw cells.
//
// Modelled semantics, beyond the primitives of faults.h:
//  - Several faults on one word apply in the order of the fault list; a stuck-at cell wins over all.
//  - Couplings act after the access that sensitises them: CFin/CFid/CFds-by-write after the write
//    (so an intra-word victim is first written, then disturbed), CFds-by-read after the data is sensed
//    (the read returns the victim's old value). CFst is enforced at every modelled access of either word.
//  - SOF: the read of the cell returns that bit of the sense amplifier, which latches the word every
//    modelled read returns (writes still reach the cell, unobservably). Plain words read on the fast
//    path do not latch it; set_model_every_access(true) makes the latch exact.
//  - AF no-cell: writes are lost, reads return the whole latched word; alias and multi-cell faults act
//    on the cells' data and their check bits alike.
//  - DRF: evaluated lazily at each modelled access of the word, and at set_refresh(), with the
//    temperature of that moment; retention_ms · 2^((25 − T)/10). A cell is restored by an access of its
//    word, by an activation of its row, and (refresh on) by a refresh tick.
//  - Rows: the modelled path tracks the open row per flat bank (a modelled access to another row is one
//    activation); element_done() adds one activation per row the element swept; hammer() adds `count`.
//    Refresh ticks fall at multiples of the interval from the moment refresh was (re)enabled, which
//    itself refreshes every row.
//
// Time: host read/write/fill and MarchMemory read/write do not advance model time (the chip model
// charges transfers, e.g. with transfer_ns()). wait(), element_done() (transfer_ns of the element's
// traffic) and hammer() (kActivationNs per activation) advance it through the environment.
//
// Not thread-safe: one die, one caller at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include <seedval/chip/geometry.h>
#include <seedval/chip/march.h>
#include <seedval/sim/faults.h>

namespace seedval::sim {

/// What the array needs from the rest of the die: time, supply and temperature.
class HbmEnvironment {
 public:
  virtual ~HbmEnvironment() = default;
  /// Model time in nanoseconds (virtual: it advances with work, not with the host's clock).
  virtual std::uint64_t now_ns() const = 0;
  /// Lets `ns` of model time pass (the die idles: the thermal model integrates over it).
  virtual void advance_ns(std::uint64_t ns) = 0;
  virtual double hbm_supply_mv() const = 0;
  virtual double temperature_c() const = 0;
};

/// A fixed environment for unit tests and fault simulation: time only moves when told.
class FixedEnvironment final : public HbmEnvironment {
 public:
  std::uint64_t now_ns() const override { return now_; }
  void advance_ns(std::uint64_t ns) override { now_ += ns; }
  double hbm_supply_mv() const override { return supply_mv; }
  double temperature_c() const override { return temp_c; }
  double supply_mv = 1100.0;
  double temp_c = 25.0;

 private:
  std::uint64_t now_ = 0;
};

struct EccStatus {
  std::uint64_t corrected = 0;
  std::uint64_t uncorrectable = 0;
  std::optional<std::uint64_t> last_error_address;  ///< byte address of the word
  bool last_error_uncorrectable = false;
};

class HbmArray final : public chip::MarchMemory {
 public:
  /// Throws InvalidArgumentError if a fault names a word or bit outside the geometry. `recycled` may
  /// hold the storage of a previous array (release_storage()); it is cleared to zero and reused.
  HbmArray(const chip::HbmGeometry& geometry, std::vector<MemoryFault> faults, HbmEnvironment& env,
           std::vector<std::uint64_t> recycled = {});

  const chip::HbmGeometry& geometry() const { return geometry_; }
  std::uint64_t size_bytes() const { return geometry_.bytes(); }

  // Host access by byte address, through ECC when it is on. Ranges must lie inside the array (the
  // caller checks); any alignment and length. Special words go through the model in ascending address
  // order; a partial write of a special word is a read-modify-write, whose read is decoded (corrected
  // and counted) like a host read, so it never turns a correctable error into silent corruption.
  void read(std::uint64_t address, std::span<std::uint8_t> out);
  /// The stored bytes of [address, address + length) if no word of the range involves a fault (then
  /// they are exactly what read() returns, ECC or not), else an empty span: the zero-copy path a
  /// memory read's response takes. The range must lie inside the array.
  std::span<const std::uint8_t> plain_bytes(std::uint64_t address, std::uint64_t length) const;
  void write(std::uint64_t address, std::span<const std::uint8_t> data);
  /// Byte i of the range takes byte (address + i) mod 8 of the little-endian pattern.
  void fill(std::uint64_t address, std::uint64_t length, std::uint64_t pattern);
  /// Zeroes every word (power-on), keeping faults; fault state (sense amplifier, timers, disturbance,
  /// injected errors) resets too. Check bits become those of zero (a stuck-at-1 cell is then an error).
  /// The ECC counters, the ECC and refresh settings are left alone.
  void clear();

  void set_ecc_enabled(bool on) { ecc_enabled_ = on; }
  bool ecc_enabled() const { return ecc_enabled_; }
  const EccStatus& ecc_status() const { return ecc_; }
  /// Zeroes the chosen counters; the logged address goes once both are zero.
  void clear_ecc_counters(bool corrected, bool uncorrectable);
  /// Flips the stored bits of `flip_mask` in the word without updating its check bits (ECC error
  /// injection, as the ECC_INJECT registers do on silicon). The word becomes special; the next write to
  /// it stores clean data and check bits. Throws InvalidArgumentError if `word` is outside the array.
  void inject_error(std::uint64_t word, std::uint64_t flip_mask);

  /// Refresh: while on, a cell's charge is restored every `interval`; retention (DRF) and RowHammer
  /// windows are measured against it. Off, cells hold only as long as their retention time. Turning it
  /// on (or changing the interval) refreshes every row at once; a call that changes nothing is a no-op.
  /// Throws InvalidArgumentError if `interval` is not positive.
  void set_refresh(bool on, std::chrono::microseconds interval = std::chrono::milliseconds(32));
  bool refresh_enabled() const { return refresh_on_; }

  /// Activates `row` of flat bank `bank` `count` times (a RowHammer kernel run by the engine),
  /// advancing model time by count × kActivationNs; the burst is split at refresh ticks. Throws
  /// InvalidArgumentError if the bank or row does not exist.
  void hammer(std::uint32_t bank, std::uint32_t row, std::uint64_t count);
  /// Double-sided hammer of `victim` in flat bank `bank`, as a test engine synchronised with the refresh
  /// scheduler runs it: waits for the next refresh tick (refresh on), then activates victim − 1 and
  /// victim + 1 alternately, `count` times each, so a burst shorter than the interval falls in one
  /// refresh window. Longer bursts are split at ticks like hammer(). Advances time by the wait plus
  /// 2 · count · kActivationNs. Throws InvalidArgumentError if the bank or row does not exist.
  void hammer_double_sided(std::uint32_t bank, std::uint32_t victim, std::uint64_t count);

  /// Storage for the next array (see the constructor); the array is unusable afterwards.
  std::vector<std::uint64_t> release_storage() { return std::move(words_); }

  // chip::MarchMemory: raw cells, no ECC; `word` < words(). read()/write() always take the modelled
  // path (plain words included); storage() is the raw cells, for the march fast path and for tests.
  std::uint64_t words() const override { return words_.size(); }
  std::uint64_t read(std::uint64_t word) override;
  void write(std::uint64_t word, std::uint64_t value) override;
  void wait(std::chrono::microseconds duration) override;
  std::uint64_t* storage() override { return words_.data(); }
  std::uint64_t next_special(std::uint64_t word) const override;
  void element_done(std::uint64_t first_word, std::uint64_t words, std::size_t ops_per_word) override;

  /// Fault simulation: when on, next_special() returns its argument, so a march routes every access
  /// through read()/write() and the sense amplifier (SOF, AF no-cell) and row activations are exact.
  /// Host read/write/fill are unaffected (plain words carry no fault either way).
  void set_model_every_access(bool on) { model_every_access_ = on; }
  bool model_every_access() const { return model_every_access_; }

  /// Modelled time of moving `bytes` through the array, in ns (the HBM's bandwidth, 256 GB/s).
  static std::uint64_t transfer_ns(std::uint64_t bytes);
  /// Model time of one row activation (tRC) charged by hammer().
  static constexpr std::uint64_t kActivationNs = 45;

 private:
  /// What a modelled read senses: the data and the check bits stored beside it.
  struct Sensed {
    std::uint64_t data = 0;
    std::uint8_t check = 0;
  };
  /// Per special word: the faults involving it (ascending index: the order they apply in) and the
  /// check bits of the data last written to its cell.
  struct WordState {
    std::vector<std::uint32_t> faults;
    std::uint8_t check = 0;
    std::int32_t af = -1;  ///< the address-decoder fault whose faulty address is this word
  };
  /// Per fault: DRF — when the cell was last accessed or restored; RowHammer — when the disturbance
  /// count started (the victim row's last activation or refresh) and the count.
  struct FaultState {
    std::uint64_t since_ns = 0;
    double disturbance = 0;
  };
  static constexpr std::uint32_t kNoRow = ~std::uint32_t{0};

  void validate_faults() const;
  void build_index();
  WordState* state(std::uint64_t word);
  std::uint64_t host_read_word(std::uint64_t word);
  void host_write_word(std::uint64_t word, std::uint64_t value, std::uint64_t byte_mask);
  // Address level: resolves address-decoder faults, then goes to the cells.
  Sensed model_read(std::uint64_t word);
  void model_write(std::uint64_t word, std::uint64_t value);
  // Cell level: one physical word and every cell fault on it.
  Sensed cell_read(std::uint64_t word, WordState* st);
  void cell_write(std::uint64_t word, WordState* st, std::uint64_t value);
  void settle(std::uint64_t word, WordState& st);
  void enforce_static(WordState& st);
  void restore_drf(std::uint64_t word, const WordState& st);
  void flip_victim(const MemoryFault& f);
  // Time: retention, refresh and row activations.
  void evaluate_drf(std::uint32_t fault);
  void add_disturbance(std::uint32_t fault, double activations);
  void touch_row(std::uint64_t word);
  void activate(std::uint32_t bank, std::uint32_t row, std::uint64_t count);
  bool row_swept(std::uint32_t bank, std::uint32_t row, std::uint64_t first, std::uint64_t end) const;
  std::uint64_t last_refresh_ns(std::uint64_t now) const;
  std::uint64_t row_key(std::uint32_t bank, std::uint32_t row) const {
    return std::uint64_t{bank} * geometry_.rows + row;
  }

  chip::HbmGeometry geometry_;
  std::vector<MemoryFault> faults_;
  HbmEnvironment& env_;
  std::vector<std::uint64_t> words_;
  bool ecc_enabled_ = true;
  EccStatus ecc_;
  bool refresh_on_ = true;
  std::chrono::microseconds refresh_interval_{32'000};
  std::uint64_t refresh_epoch_ns_ = 0;  ///< refresh ticks at epoch + k·interval while on
  bool model_every_access_ = false;

  std::vector<std::uint64_t> special_;  ///< sorted
  std::unordered_map<std::uint64_t, WordState> state_;
  std::vector<FaultState> fault_state_;  ///< parallel to faults_
  /// DRF and RowHammer faults by the row of their victim (row_key()).
  std::unordered_map<std::uint64_t, std::vector<std::uint32_t>> row_faults_;
  std::vector<std::uint32_t> open_row_;  ///< per flat bank, kNoRow when none
  Sensed sense_;                         ///< what the sense amplifier latched last
};

/// SECDED (72,64): the 8 check bits of `data` (7 Hamming bits and overall parity).
std::uint8_t secded_check_bits(std::uint64_t data) noexcept;
struct SecdedResult {
  enum class Kind : std::uint8_t { clean, corrected, uncorrectable } kind = Kind::clean;
  std::uint64_t data = 0;  ///< corrected data (raw data if uncorrectable)
  int bit = -1;            ///< corrected bit position 0..71 (64..71: a check bit) or -1
};
SecdedResult secded_decode(std::uint64_t data, std::uint8_t check) noexcept;

}  // namespace seedval::sim

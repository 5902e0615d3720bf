// The host-side SeedChip driver: typed calls encoded as protocol requests over a Transport.
//
// Tests see a Device and nothing else; it works the same over every transport and on the chip model.
//
//   seedval::Device dev(board->connect(), "seedchip-sim");
//   const auto& id = dev.identify();                  // chip id, revision, ECID, capabilities
//   dev.write_register("SCRATCH0", 0xA5A5A5A5);
//   auto data = dev.read_memory(0x1000, 4096);
//
// Every failure is a seedval::Error whose message starts with the device name and the operation, e.g.
// "seedchip-sim: reg_write 0x0000 (CHIP_ID): register 0x0000 CHIP_ID is read-only". Errors the device
// reports arrive as the same typed error it raised (an AddressError stays an AddressError).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include <seedval/chip/geometry.h>
#include <seedval/chip/identity.h>
#include <seedval/chip/march.h>
#include <seedval/chip/registers.h>
#include <seedval/chip/tensor.h>
#include <seedval/core/clock.h>
#include <seedval/core/error.h>
#include <seedval/protocol/frame.h>
#include <seedval/protocol/messages.h>
#include <seedval/protocol/payload.h>
#include <seedval/transport/transport.h>

namespace seedval {

/// What identify() learns about the chip.
struct Identity {
  std::uint32_t chip_id = 0;
  std::uint32_t revision = 0;
  std::uint64_t ecid = 0;
  std::optional<chip::DieId> die;  ///< decoded ECID; empty if the fuses do not decode
  std::string ecid_error;          ///< why the ECID did not decode
  std::uint64_t capabilities = 0;
  std::uint64_t memory_size = 0;
  std::string model;

  bool has(chip::Capability c) const { return (capabilities & chip::bit(c)) != 0; }
  /// "A0", "B1": the revision register (0xA0, 0xB1) as silicon names it.
  std::string revision_name() const;
};

/// Bulk memory moves in frames of at most this much data: small enough that a frame stays in the L2
/// cache of both ends (its CRC check and copy then cost little beyond the copy to or from memory), large
/// enough that per-frame costs vanish. A link with smaller frames gets smaller chunks.
inline constexpr std::size_t kMemoryChunk = 256u << 10;

/// Pipelined requests stop being posted once this much data is in flight: two memory chunks keep a
/// link busy while one is being handled, and more only adds work for the host's cores to interleave
/// (bench_transport: on 2 cores, 4 or more 256 KiB chunks in flight read slower than 2). Register
/// requests move no data and fill the whole pipeline depth.
inline constexpr std::size_t kPipelineBytes = 2 * kMemoryChunk;

/// Time limits of device calls: a base per request plus time per MiB moved, and how often a request
/// whose exchange failed on the link is sent again.
struct DeviceTimeouts {
  Milliseconds base{2000};
  Milliseconds per_mib{200};
  /// A request is sent again, at most this many times, when the device answered that the request
  /// arrived damaged (any request: the device executed nothing), or when the response was lost,
  /// damaged or out of sequence and the request is idempotent (protocol::is_idempotent). Anything else
  /// fails the call: a register write whose answer was lost is never guessed at.
  int retries = 2;
};

/// What the link has done under this device: requests sent, requests sent again, and the failures
/// that caused them. A clean link shows retries == 0.
struct LinkStats {
  std::uint64_t requests = 0;     ///< requests sent (first attempts)
  std::uint64_t retries = 0;      ///< requests sent again after a link fault
  std::uint64_t pipelined = 0;    ///< requests that went out while earlier ones were still in flight
  std::uint64_t link_faults = 0;  ///< exchanges that failed on the link (lost, damaged, out of sequence)
};

class Device {
 public:
  /// Takes ownership of `transport`. `name` (usually the board name) starts every error message.
  Device(std::unique_ptr<Transport> transport, std::string name);
  ~Device();
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  const std::string& name() const { return name_; }
  Transport& transport() { return *transport_; }

  /// Cancels blocking calls cooperatively when `stop` is requested.
  void set_stop_token(std::stop_token stop) { stop_ = std::move(stop); }
  const std::stop_token& stop_token() const noexcept { return stop_; }
  void set_timeouts(const DeviceTimeouts& t) { timeouts_ = t; }
  /// A time limit over every call until cleared (the runner sets one per step with a time limit): each
  /// request's deadline is capped by it, and a call once it has passed fails at once. Either way the
  /// TimeoutError names `what` (e.g. "step memory: time limit of 2 s").
  void set_time_limit(Deadline limit, std::string what);
  void clear_time_limit();
  bool time_limit_passed() const { return !limit_.is_never() && limit_.expired(); }
  const DeviceTimeouts& timeouts() const noexcept { return timeouts_; }
  const LinkStats& link_stats() const noexcept { return stats_; }
  /// The most register operations one reg_batch frame carries (default and upper bound:
  /// protocol::kMaxBatchOps); longer lists go as several frames, pipelined on links that allow it.
  void set_batch_limit(std::size_t ops);

  /// Asks the chip who it is. The result is cached until reset() or refresh.
  const Identity& identify(bool refresh = false);
  bool has(chip::Capability c) { return identify().has(c); }

  /// Echoes `data` through the device: a link check.
  std::vector<std::uint8_t> ping(std::span<const std::uint8_t> data);

  std::uint32_t read_register(std::uint32_t address);
  std::uint32_t read_register(std::string_view name);
  void write_register(std::uint32_t address, std::uint32_t value);
  void write_register(std::string_view name, std::uint32_t value);
  /// Executes `ops` in order, in one request when the chip has registers.batch and the link carries
  /// batches, else one request per operation. Requests go pipelined when the link allows several in
  /// flight (lists of reads only: a write list stops where it failed). Returns one value per operation
  /// (read value, or the value written). On failure the error message names the index of the first
  /// failing operation ("operation 17: ..."); operations before it took effect, none after it.
  std::vector<std::uint32_t> execute(std::span<const protocol::RegisterOp> ops);

  void read_memory(std::uint64_t address, std::span<std::uint8_t> out);
  std::vector<std::uint8_t> read_memory(std::uint64_t address, std::size_t length);
  void write_memory(std::uint64_t address, std::span<const std::uint8_t> data);
  /// Fills [address, address+length) with the 64-bit little-endian `pattern`, anchored to absolute
  /// addresses (byte i holds pattern byte (address+i) mod 8). Done on the device when it can.
  void fill_memory(std::uint64_t address, std::uint64_t length, std::uint64_t pattern);

  void reset(protocol::ResetKind kind = protocol::ResetKind::soft);

  /// The HBM organisation, from the HBM_GEOMETRY register (cached with the identity).
  const chip::HbmGeometry& memory_geometry();

  /// Runs `algorithm` on the device's MBIST engine over the words of `options` (first_word, words),
  /// with its background, ⇕ resolution, retention delay and fail-log bound. The whole march is one
  /// request. Throws UnsupportedError if the chip has no MBIST engine.
  struct MbistRun {
    chip::MarchResult result;
    std::uint64_t device_ns = 0;  ///< how long the engine ran
  };
  MbistRun run_mbist(const chip::MarchAlgorithm& algorithm, const chip::MarchOptions& options);

  /// Executes `op` on tensor core `core`; operands must already be in device memory (HBM or the
  /// core's SRAM). Throws UnsupportedError for an operation outside the chip's set and DeviceError when
  /// the core refuses (fused off, disabled, thermal trip).
  protocol::TensorResponse execute_tensor(std::uint32_t core, const chip::TensorOp& op);
  /// What the tensor cores declare they run: operators, dtypes, cores and lanes. Cached like
  /// identify(). Throws UnsupportedError if the chip has no tensor cores.
  const protocol::TensorCapabilities& tensor_capabilities(bool refresh = false);

  /// Every sensor and the operating point, in one request.
  protocol::SensorsResponse read_sensors();
  /// Holds the device for `duration` idle (core_mask 0) or with the cores of `core_mask` running a
  /// power-virus kernel at `utilisation` (0..1); returns the sensors at the end.
  protocol::SensorsResponse hold(std::chrono::microseconds duration, std::uint32_t core_mask = 0,
                                 double utilisation = 1.0);
  /// Sets core supply and clock (and the HBM supply unless 0) at once; returns the sensors after.
  protocol::SensorsResponse set_operating_point(std::uint32_t vdd_core_mv, std::uint32_t frequency_mhz,
                                                std::uint32_t vdd_hbm_mv = 0);

  /// Sends one raw request and returns the response payload, valid until the next call on this
  /// device; for tools and tests of the protocol.
  std::span<const std::uint8_t> call(protocol::Opcode op, std::span<const std::uint8_t> payload,
                                     std::string_view what = {});

 private:
  std::size_t chunk_size();
  /// A writer over the reusable request buffer, with room for the frame header.
  protocol::PayloadWriter begin_request();
  /// Sends the request and returns the response payload. `work_bytes` is how much data the request
  /// moves or touches (a fill's length, a read's size): the deadline grows with it.
  std::span<const std::uint8_t> send(protocol::Opcode op, protocol::PayloadWriter&& request,
                                     std::string_view what, std::uint64_t work_bytes = 0,
                                     Milliseconds extra_time = Milliseconds{0});
  /// send() for bulk data: `bulk` follows the request's fields, and on a link with split frames neither
  /// it nor the response's payload is copied into a frame. The response payload is copied into `out`
  /// when it has out.size() bytes (its CRC checked in the same pass); returns the payload's size.
  std::size_t send_bulk(protocol::Opcode op, protocol::PayloadWriter&& request,
                        std::span<const std::uint8_t> bulk, std::span<std::uint8_t> out,
                        std::string_view what);
  /// One request of a pipelined run: `build` writes the request's payload and returns its opcode, label
  /// and the bytes it moves; the response payload lands in `out` when it has out.size() bytes.
  struct PipelineItem {
    protocol::Opcode op = protocol::Opcode::ping;
    std::string label;
    std::uint64_t work_bytes = 0;
    std::span<std::uint8_t> out;
  };
  /// Sends `count` requests, keeping up to the link's pipeline depth in flight, and hands each response
  /// payload to `take(i, payload)` in order. `build(i, writer)` writes request i. On a link without
  /// pipelining, or after a link fault mid-pipeline when every request in flight is idempotent, the
  /// rest go one at a time through send()'s retries. With `allow_pipelining` false, always one at a time.
  void pipelined(std::size_t count, bool allow_pipelining,
                 const std::function<PipelineItem(std::size_t, protocol::PayloadWriter&)>& build,
                 const std::function<void(std::size_t, std::span<const std::uint8_t>)>& take);
  /// Runs `decode` on a response; a decoding error is rethrown with the device name and operation.
  template <typename F>
  auto decode(std::string_view label, F&& decode_fn) -> decltype(decode_fn());
  const chip::RegisterInfo& named_register(std::string_view name) const;

  // Frame buffers reused across calls: bulk transfers allocate nothing once they have grown.
  std::vector<std::uint8_t> tx_, rx_;
  protocol::ReceivedFrame bulk_rx_;
  std::unique_ptr<Transport> transport_;
  std::string name_;
  std::stop_token stop_;
  DeviceTimeouts timeouts_;
  Deadline limit_ = Deadline::never();
  std::string limit_what_;
  /// A request's deadline: its own time (base plus time per MiB) capped by the time limit. Throws
  /// TimeoutError when the limit has passed already.
  Deadline request_deadline(std::uint64_t work_bytes, Milliseconds extra_time,
                            std::string_view context) const;
  /// Rethrows `e` as the time limit's TimeoutError when the limit has passed (the limit, not the link,
  /// ended the call); else returns.
  void check_time_limit(const Error& e, std::string_view context) const;
  std::uint32_t sequence_ = 1;
  LinkStats stats_;
  std::size_t batch_limit_ = protocol::kMaxBatchOps;
  std::optional<Identity> identity_;
  std::optional<protocol::TensorCapabilities> tensor_caps_;
  std::optional<chip::HbmGeometry> geometry_;
};

}  // namespace seedval

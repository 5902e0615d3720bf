// The SeedChip model: a protocol::RequestHandler that behaves as one die does on the wire.
//
// Identity and fuses (ECID, harvest mask), the register map with its access rules, HBM with the die's
// faults, SECDED ECC, refresh and an MBIST engine, on-chip SRAM per tensor core, tensor cores with their
// MAC-lane faults, and physics-lite: fmax(V, T, corner), leakage and dynamic power, a thermal RC, sensors,
// timing errors above fmax, thermal throttle and trip. Time is the model's own (virtual): it advances with
// the work the die does, so a simulated lot never sleeps and every result is reproducible.
// See docs/chip-model.md.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <seedval/chip/geometry.h>
#include <seedval/protocol/messages.h>
#include <seedval/protocol/server.h>
#include <seedval/sim/population.h>

namespace seedval::sim {

struct ChipConfig {
  std::uint64_t memory_size = 16u << 20;      ///< bytes of HBM: a power of two (see HbmGeometry::for_size)
  std::optional<chip::HbmGeometry> geometry;  ///< overrides memory_size when set
  std::uint32_t sram_kib = 256;               ///< on-chip SRAM per tensor core
  std::uint32_t spare_rows = 4;               ///< repair resources per HBM bank (HBM_SPARES)
  std::uint32_t spare_columns = 2;
  std::string model = "seedchip-sim";  ///< what identify reports
  /// Capability bits the die does not declare (a chip variant or bring-up firmware without them): their
  /// opcodes answer "unsupported", as such a chip would.
  std::uint64_t disabled_capabilities = 0;

  chip::HbmGeometry hbm_geometry() const;
};

class HbmArray;
class TensorCore;

class ChipModel final : public protocol::RequestHandler {
 public:
  /// `recycled` may hold the HBM storage of a previous die (see release_memory()): reusing it spares
  /// the page faults of a fresh allocation on every insertion. Throws InvalidArgumentError for a bad
  /// configuration or a die whose faults lie outside the memory.
  ChipModel(const ChipConfig& config, DieInstance die, std::vector<std::uint64_t> recycled = {});
  ~ChipModel() override;
  ChipModel(const ChipModel&) = delete;  // the HBM array refers back to the die it belongs to
  ChipModel& operator=(const ChipModel&) = delete;

  /// Hands the HBM storage over for the next die; the model is unusable afterwards.
  std::vector<std::uint64_t> release_memory();

  void handle(protocol::Opcode op, protocol::PayloadReader& request,
              protocol::PayloadWriter& response) override;

  /// Back door for the model's own tests and the ground-truth audit only.
  const DieInstance& die() const { return die_; }
  const ChipConfig& config() const { return config_; }
  const chip::HbmGeometry& geometry() const { return geometry_; }
  /// Everything the model can do; a die declares this minus its config's disabled_capabilities.
  static std::uint64_t all_capabilities();
  std::uint64_t capabilities() const { return all_capabilities() & ~config_.disabled_capabilities; }

  /// Modelled state (for the model's tests; the host reads sensors). Power is that of the latest
  /// interval of work: a hold under load reads loaded power, the next register access idle power.
  double power_w() const;
  double temperature_c() const { return temperature_c_; }
  double fmax_mhz() const;
  double effective_mhz() const;
  std::uint64_t now_ns() const { return now_ns_; }

 private:
  class Environment;
  class TensorAccess;

  std::uint32_t& reg(std::uint32_t address);
  std::uint32_t reg(std::uint32_t address) const;
  std::uint32_t read_reg(std::uint32_t address);
  void write_reg(std::uint32_t address, std::uint32_t value);
  void power_on_reset();
  std::uint32_t apply_register_faults(std::uint32_t address, std::uint32_t value) const;

  /// Lets `ns` pass with `busy_cores` running at `utilisation`; integrates the thermal RC and raises
  /// throttle and trip.
  void advance(std::uint64_t ns, double busy_cores = 0, double utilisation = 0);
  void update_thermal_status();
  /// Picks up ECC events the HBM logged during the last access: counters, address log, interrupts.
  void sync_ecc();
  protocol::SensorsResponse sensors() const;

  void check_memory_range(std::uint64_t address, std::uint64_t length) const;
  /// The SRAM of the core whose window holds `address`, or nullptr for HBM.
  std::vector<std::uint8_t>* sram_at(std::uint64_t address, std::uint64_t& offset);
  void memory_read(std::uint64_t address, std::span<std::uint8_t> out);
  void memory_write(std::uint64_t address, std::span<const std::uint8_t> data);

  void handle_mbist(protocol::PayloadReader& request, protocol::PayloadWriter& response);
  void handle_tensor(protocol::PayloadReader& request, protocol::PayloadWriter& response);
  void handle_hold(protocol::PayloadReader& request, protocol::PayloadWriter& response);
  void handle_operating_point(protocol::PayloadReader& request, protocol::PayloadWriter& response);
  void set_core_voltage(std::uint32_t mv);
  void set_hbm_voltage(std::uint32_t mv);
  void set_frequency(std::uint32_t mhz);

  ChipConfig config_;
  chip::HbmGeometry geometry_;
  DieInstance die_;
  std::vector<std::uint32_t> registers_;  // indexed like chip::register_map()
  std::uint64_t now_ns_ = 0;
  double temperature_c_ = 25.0;
  double busy_cores_ = 0, utilisation_ = 0;  // activity of the latest interval: what the sensors see
  std::uint64_t tensor_ops_ = 0;
  std::uint64_t ecc_seen_corrected_ = 0, ecc_seen_uncorrectable_ = 0;
  std::unique_ptr<Environment> env_;
  std::unique_ptr<HbmArray> hbm_;
  std::vector<std::vector<std::uint8_t>> sram_;
  std::vector<std::unique_ptr<TensorCore>> cores_;
};

}  // namespace seedval::sim

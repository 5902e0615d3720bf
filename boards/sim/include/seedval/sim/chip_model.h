// The SeedChip model: a protocol::RequestHandler that behaves as one die does on the wire.
//
// First cut (issue 2): identity and ECID fuses, the register map with its access rules, device memory of
// configurable size, idle power and temperature from the operating point and the die's leakage, and
// stuck-at faults from the die instance. Faults live in a sorted list consulted only where they are, so
// fault-free memory runs at memcpy speed.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <seedval/protocol/server.h>
#include <seedval/sim/population.h>

namespace seedval::sim {

struct ChipConfig {
  std::uint64_t memory_size = 16u << 20;  ///< bytes of device memory
  std::string model = "seedchip-sim";     ///< what identify reports
};

class ChipModel final : public protocol::RequestHandler {
 public:
  /// `recycled` may hold the memory buffer of a previous die (see release_memory()): reusing it spares
  /// the page faults of a fresh allocation on every insertion.
  ChipModel(const ChipConfig& config, DieInstance die, std::vector<std::uint8_t> recycled = {});

  /// Hands the device memory buffer over for the next die; the model is unusable afterwards.
  std::vector<std::uint8_t> release_memory() { return std::move(memory_); }

  void handle(protocol::Opcode op, protocol::PayloadReader& request,
              protocol::PayloadWriter& response) override;

  /// Back door for the model's own tests and the ground-truth audit only.
  const DieInstance& die() const { return die_; }
  const ChipConfig& config() const { return config_; }
  /// The capabilities this model declares.
  static std::uint64_t capabilities();

  /// Modelled sensor readings at the current operating point.
  double power_w() const;
  double temperature_c() const;

 private:
  std::uint32_t read_reg(std::uint32_t address);
  void write_reg(std::uint32_t address, std::uint32_t value);
  void check_range(std::uint64_t address, std::uint64_t length) const;
  /// Re-imposes stuck bits on [address, address+length) after it was written.
  void apply_memory_faults(std::uint64_t address, std::uint64_t length);
  std::uint32_t apply_register_faults(std::uint32_t address, std::uint32_t value) const;
  void power_on_reset();

  ChipConfig config_;
  DieInstance die_;
  std::vector<std::uint32_t> registers_;  // indexed like chip::register_map()
  std::vector<std::uint8_t> memory_;
};

}  // namespace seedval::sim

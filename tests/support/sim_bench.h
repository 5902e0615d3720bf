// A Device on the SeedChip model, for tests of the device layer: the model of one die, reached over an
// InprocTransport, optionally through a test transport that wraps the link to count, record or corrupt
// frames (derive it from ForwardingTransport).
//
//   auto bench = testing::make_sim_bench(
//       testing::chip_model(testing::population("device-link"), {"LINK", 11, 12, 13}, 1u << 20));
//   bench.device->write_register(chip::reg::SCRATCH0, 7);
//
// Built into seedval_test_sim (links seedval::device and seedval::sim), not seedval_test_main.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <stop_token>
#include <string>
#include <utility>
#include <vector>

#include <seedval/chip/identity.h>
#include <seedval/device/device.h>
#include <seedval/sim/chip_model.h>
#include <seedval/sim/population.h>
#include <seedval/transport/transport.h>

namespace seedval::testing {

/// The name of the bench's device and link: the built-in board's.
inline const std::string kSimName = "seedchip-sim";

/// A population spec named `name` with every other field at its default (no injected faults).
sim::PopulationSpec population(std::string name);

/// A die with `id`, the ECID that encodes it and no defects; tests add the faults they need.
sim::DieInstance clean_die(const chip::DieId& id);

/// The SeedChip model of `die`, with `memory_size` bytes of device memory.
std::shared_ptr<sim::ChipModel> chip_model(sim::DieInstance die, std::uint64_t memory_size);
/// The SeedChip model of the die at `id` drawn from `spec`, with `memory_size` bytes of device memory.
std::shared_ptr<sim::ChipModel> chip_model(const sim::PopulationSpec& spec, const chip::DieId& id,
                                           std::uint64_t memory_size);

/// An InprocTransport to `model`, named kSimName.
std::unique_ptr<Transport> inproc_link(std::shared_ptr<sim::ChipModel> model);

/// Wraps the link of a bench in a test transport.
using LinkWrapper = std::function<std::unique_ptr<Transport>(std::unique_ptr<Transport>)>;

/// A device and the chip model behind it.
struct SimBench {
  std::shared_ptr<sim::ChipModel> model;  ///< shared with the link; its back door is for checks only
  std::unique_ptr<Device> device;         ///< named kSimName
};

/// A Device named kSimName on `model` over inproc_link(model), wrapped by `wrap` if it is set.
SimBench make_sim_bench(std::shared_ptr<sim::ChipModel> model, const LinkWrapper& wrap = {});

/// A test transport that passes everything to the one it wraps; subclasses override what they change.
/// It behaves as a wire: every frame, bulk ones included, goes whole through exchange_into() with its
/// CRC, so a subclass that changes bytes there sees all of them.
class ForwardingTransport : public Transport {
 public:
  explicit ForwardingTransport(std::unique_ptr<Transport> inner) : inner_(std::move(inner)) {}

  std::string describe() const override { return inner_->describe(); }
  TransportCapabilities capabilities() const override {
    auto c = inner_->capabilities();
    c.split_frames = false;
    c.checksum_unnecessary = false;
    return c;
  }
  void exchange_into(std::span<const std::uint8_t> request, std::vector<std::uint8_t>& response,
                     Deadline deadline, std::stop_token stop) override {
    inner_->exchange_into(request, response, deadline, std::move(stop));
  }

 private:
  std::unique_ptr<Transport> inner_;
};

}  // namespace seedval::testing

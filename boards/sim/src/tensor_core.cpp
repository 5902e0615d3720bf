#include "tensor_core.h"

#include <algorithm>
#include <array>
#include <utility>

#include <fmt/core.h>

#include <seedval/core/error.h>
#include <seedval/sim/population.h>

namespace seedval::sim {
namespace {

constexpr std::uint64_t kGolden = 0x9E3779B97F4A7C15ull;

// A uniform draw in [0, 1) from a hash.
double unit(std::uint64_t h) noexcept {
  return static_cast<double>(h >> 11) * 0x1.0p-53;
}

// Applies the core's lane faults and timing errors to each lane result as the kernels produce it.
class FaultTap final : public chip::ResultTap {
 public:
  FaultTap(int core, const std::vector<CoreFault>& faults, const ExecConditions& c)
      : timing_rate_(c.timing_error_rate) {
    const std::uint64_t base = mix64(c.seed ^ mix64(static_cast<std::uint64_t>(core) + 1));
    timing_stream_ = mix64(base ^ 0x7431'6E67'0000'0000ull);  // independent of every fault's stream
    for (std::size_t j = 0; j < faults.size(); ++j) {
      const auto& f = faults[j];
      lanes_[static_cast<std::size_t>(f.lane)].push_back(
          LaneFault{.kind = f.kind,
                    .mask = std::uint32_t{1} << f.bit,
                    .rate = f.flip_rate,
                    .stream = mix64(base ^ ((j + 1) * kGolden))});
    }
  }

  /// False when nothing can change a result: no fault on this core and no timing errors.
  bool active() const noexcept {
    return timing_rate_ > 0 ||
           std::any_of(lanes_.begin(), lanes_.end(), [](const auto& lane) { return !lane.empty(); });
  }

  std::uint32_t apply(std::uint64_t element, std::uint32_t bits) override {
    const std::uint32_t before = bits;
    for (const auto& f : lanes_[element % kLanesPerCore]) {
      switch (f.kind) {
        case CoreFault::Kind::stuck0:
          bits &= ~f.mask;
          break;
        case CoreFault::Kind::stuck1:
          bits |= f.mask;
          break;
        case CoreFault::Kind::flaky:
          if (unit(draw(f.stream, element)) < f.rate) bits ^= f.mask;
          break;
      }
    }
    if (bits != before) ++lane_errors;
    if (timing_rate_ > 0) {
      const std::uint64_t h = draw(timing_stream_, element);
      if (unit(h) < timing_rate_) {
        bits ^= std::uint32_t{1} << (mix64(h) & 31u);
        ++timing_errors;
      }
    }
    return bits;
  }

  std::uint64_t lane_errors = 0;
  std::uint64_t timing_errors = 0;

 private:
  struct LaneFault {
    CoreFault::Kind kind;
    std::uint32_t mask;
    double rate;
    std::uint64_t stream;
  };

  static std::uint64_t draw(std::uint64_t stream, std::uint64_t element) noexcept {
    return mix64(stream + (element + 1) * kGolden);
  }

  double timing_rate_;
  std::uint64_t timing_stream_ = 0;
  std::array<std::vector<LaneFault>, kLanesPerCore> lanes_;
};

}  // namespace

TensorCore::TensorCore(int index, std::span<const CoreFault> faults) : index_(index) {
  for (const auto& f : faults) {
    if (f.core != index) continue;
    if (f.lane < 0 || f.lane >= kLanesPerCore || f.bit < 0 || f.bit > 31 || !(f.flip_rate >= 0.0) ||
        f.flip_rate > 1.0)
      throw InvalidArgumentError(
          ErrorCode::invalid_argument,
          fmt::format("tensor core {}: fault {} is out of range (lanes 0..{}, bits 0..31, flip rate 0..1)",
                      index, f.describe(), kLanesPerCore - 1));
    faults_.push_back(f);
  }
}

TensorStats TensorCore::execute(const chip::TensorOp& op, TensorMemory& memory,
                                const ExecConditions& conditions) {
  if (!(conditions.timing_error_rate >= 0.0) || conditions.timing_error_rate > 1.0)
    throw InvalidArgumentError(ErrorCode::invalid_argument,
                               fmt::format("tensor core {}: timing error rate {} is outside 0..1", index_,
                                           conditions.timing_error_rate));
  try {
    chip::validate(op);
    for (const auto* list : {&op.inputs, &op.outputs})
      for (const auto& o : *list)
        if (!o.absent) memory.check(o.address, o.bytes());

    // Input buffers are kept from one operation to the next: repeated work (a stress load, an SDC
    // screen) does not allocate and fault in fresh pages for every operand.
    auto& inputs = scratch_;
    if (inputs.size() < op.inputs.size()) inputs.resize(op.inputs.size());
    std::vector<std::span<const std::uint8_t>> views(op.inputs.size());
    for (std::size_t i = 0; i < op.inputs.size(); ++i) {
      if (op.inputs[i].absent) continue;
      inputs[i].resize(op.inputs[i].bytes());
      memory.read(op.inputs[i].address, inputs[i]);
      views[i] = inputs[i];
    }

    FaultTap tap(index_, faults_, conditions);
    const auto outputs =
        chip::reference_execute(op, std::span<const std::span<const std::uint8_t>>(views),
                                chip::has_lane_results(op.kind) && tap.active() ? &tap : nullptr);

    TensorStats stats{.macs = chip::mac_count(op),
                      .elements = 0,
                      .timing_errors = tap.timing_errors,
                      .lane_errors = tap.lane_errors};
    for (std::size_t i = 0; i < op.outputs.size(); ++i) {
      if (op.outputs[i].absent) continue;
      memory.write(op.outputs[i].address, outputs[i]);
      stats.elements += op.outputs[i].elements();
    }
    return stats;
  } catch (const Error& e) {
    rethrow_with_context(e, fmt::format("tensor core {}", index_));
  }
}

}  // namespace seedval::sim

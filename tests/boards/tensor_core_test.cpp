// Tests for the model's tensor cores (boards/sim/src/tensor_core.h): fault-free results equal the chip
// library's reference kernels bit for bit; stuck lanes corrupt exactly their elements and bit; flaky
// lanes and timing errors hit at their rates; everything is repeatable from the seed.
#include "tensor_core.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <fmt/core.h>

#include <seedval/chip/numeric.h>
#include <seedval/chip/tensor.h>
#include <seedval/core/error.h>
#include <seedval/sim/population.h>

#include "support/errors.h"

namespace seedval::sim {
namespace {

using chip::DType;
using chip::TensorOpKind;
using Bytes = std::vector<std::uint8_t>;
using Shape = std::vector<std::int64_t>;

// Flat device memory with the range checks the chip model makes; counts accesses.
class FlatMemory final : public TensorMemory {
 public:
  explicit FlatMemory(std::size_t size) : bytes(size) {}
  void check(std::uint64_t address, std::uint64_t n) const override {
    if (address > bytes.size() || n > bytes.size() - address)
      throw AddressError(ErrorCode::address, fmt::format("range 0x{:x}+{} is outside memory of {} bytes",
                                                         address, n, bytes.size()));
  }
  void read(std::uint64_t address, std::span<std::uint8_t> out) override {
    check(address, out.size());
    ++reads;
    std::copy_n(bytes.begin() + static_cast<std::ptrdiff_t>(address), out.size(), out.begin());
  }
  void write(std::uint64_t address, std::span<const std::uint8_t> data) override {
    check(address, data.size());
    ++writes;
    std::copy(data.begin(), data.end(), bytes.begin() + static_cast<std::ptrdiff_t>(address));
  }
  void put(std::uint64_t address, const Bytes& data) {
    std::copy(data.begin(), data.end(), bytes.begin() + static_cast<std::ptrdiff_t>(address));
  }
  Bytes get(std::uint64_t address, std::size_t n) const {
    return Bytes(bytes.begin() + static_cast<std::ptrdiff_t>(address),
                 bytes.begin() + static_cast<std::ptrdiff_t>(address + n));
  }
  Bytes bytes;
  int reads = 0;
  int writes = 0;
};

chip::TensorOperand operand(std::uint64_t address, DType t, Shape shape) {
  return chip::TensorOperand{.address = address, .dtype = t, .shape = std::move(shape), .absent = false};
}

chip::TensorOp make(TensorOpKind kind, std::vector<chip::TensorOperand> in,
                    std::vector<chip::TensorOperand> out, std::vector<chip::Attribute> attrs = {}) {
  return chip::TensorOp{
      .kind = kind, .inputs = std::move(in), .outputs = std::move(out), .attributes = std::move(attrs)};
}

Bytes random_bytes(DType t, std::size_t n, Rng& r) {
  Bytes b(n * chip::dtype_size(t));
  for (std::size_t i = 0; i < n; ++i) {
    const auto v = static_cast<float>(r.uniform() * 4.0 - 2.0);
    switch (t) {
      case DType::f32: {
        const auto u = std::bit_cast<std::uint32_t>(v);
        for (int k = 0; k < 4; ++k)
          b[4 * i + static_cast<std::size_t>(k)] = static_cast<std::uint8_t>(u >> (8 * k));
        break;
      }
      case DType::f16:
      case DType::bf16: {
        const auto h = t == DType::f16 ? chip::float_to_fp16(v) : chip::float_to_bf16(v);
        b[2 * i] = static_cast<std::uint8_t>(h);
        b[2 * i + 1] = static_cast<std::uint8_t>(h >> 8);
        break;
      }
      default:
        b[i] = static_cast<std::uint8_t>(r.next());
        break;
    }
  }
  return b;
}

std::uint32_t u32_at(const Bytes& b, std::size_t i) {
  std::uint32_t v = 0;
  for (int k = 0; k < 4; ++k) v |= std::uint32_t{b[4 * i + static_cast<std::size_t>(k)]} << (8 * k);
  return v;
}

// Puts random inputs in memory, runs `op` on `core`, and returns (device output, reference output).
struct Run {
  Bytes device;
  Bytes reference;
  TensorStats stats;
};

Run run(TensorCore& core, const chip::TensorOp& op, const ExecConditions& c, std::uint64_t data_seed = 1) {
  FlatMemory mem(8 << 20);
  Rng r(data_seed);
  std::vector<Bytes> inputs;
  for (const auto& in : op.inputs) {
    inputs.push_back(in.absent ? Bytes{} : random_bytes(in.dtype, in.elements(), r));
    if (!in.absent) mem.put(in.address, inputs.back());
  }
  Run out;
  out.stats = core.execute(op, mem, c);
  const auto& y = op.outputs.at(0);
  out.device = mem.get(y.address, y.bytes());
  out.reference = chip::reference_execute(op, inputs).at(0);
  return out;
}

const ExecConditions kClean{.timing_error_rate = 0.0, .seed = 7};

// A long f32 element-wise op: many elements per lane, no rounding after the lane result.
chip::TensorOp long_add(std::int64_t n) {
  return make(TensorOpKind::add, {operand(0, DType::f32, {n}), operand(0x200000, DType::f32, {1})},
              {operand(0x400000, DType::f32, {n})});
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sim_tensor_core)

BOOST_AUTO_TEST_CASE(fault_free_equals_the_reference_kernels) {
  TensorCore core(0, {});
  const std::vector<chip::TensorOp> ops{
      make(TensorOpKind::matmul,
           {operand(0, DType::bf16, {2, 16, 40}), operand(0x10000, DType::bf16, {40, 24})},
           {operand(0x20000, DType::bf16, {2, 16, 24})}),
      make(TensorOpKind::matmul, {operand(0, DType::f16, {33, 20}), operand(0x10000, DType::f16, {20, 7})},
           {operand(0x20000, DType::f16, {33, 7})}),
      make(TensorOpKind::gemm,
           {operand(0, DType::f32, {20, 12}), operand(0x10000, DType::f32, {9, 20}),
            operand(0x18000, DType::f32, {9})},
           {operand(0x20000, DType::f32, {12, 9})},
           {{.id = chip::AttrId::trans_a, .value = std::int64_t{1}},
            {.id = chip::AttrId::trans_b, .value = std::int64_t{1}},
            {.id = chip::AttrId::alpha, .value = 0.75},
            {.id = chip::AttrId::beta, .value = -2.0}}),
      make(TensorOpKind::matmul_integer,
           {operand(0, DType::i8, {8, 64}), operand(0x10000, DType::u8, {64, 8})},
           {operand(0x20000, DType::i32, {8, 8})},
           {{.id = chip::AttrId::b_zero_point, .value = std::int64_t{128}}}),
      make(TensorOpKind::add, {operand(0, DType::f16, {4, 1, 8}), operand(0x10000, DType::f16, {3, 1})},
           {operand(0x20000, DType::f16, {4, 3, 8})}),
      make(TensorOpKind::sigmoid, {operand(0, DType::bf16, {100})}, {operand(0x10000, DType::bf16, {100})}),
      make(TensorOpKind::cast, {operand(0, DType::f32, {50})}, {operand(0x10000, DType::i8, {50})}),
  };
  for (const auto& op : ops) {
    BOOST_TEST_CONTEXT(op.describe()) {
      const auto r = run(core, op, kClean);
      BOOST_TEST(r.device == r.reference);
      BOOST_TEST(r.stats.macs == chip::mac_count(op));
      BOOST_TEST(r.stats.elements == op.outputs[0].elements());
      BOOST_TEST(r.stats.lane_errors == 0u);
      BOOST_TEST(r.stats.timing_errors == 0u);
    }
  }
}

BOOST_AUTO_TEST_CASE(output_may_overwrite_an_input) {
  TensorCore core(0, {});
  FlatMemory mem(1 << 16);
  Rng r(3);
  const Bytes x = random_bytes(DType::f32, 64, r);
  mem.put(0, x);
  const auto op = make(TensorOpKind::neg, {operand(0, DType::f32, {64})}, {operand(0, DType::f32, {64})});
  core.execute(op, mem, kClean);
  for (std::size_t i = 0; i < 64; ++i) BOOST_TEST(u32_at(mem.bytes, i) == (u32_at(x, i) ^ 0x80000000u));
}

BOOST_AUTO_TEST_CASE(stuck_lane_corrupts_exactly_its_elements_and_bit) {
  for (const auto kind : {CoreFault::Kind::stuck0, CoreFault::Kind::stuck1}) {
    const std::vector<CoreFault> faults{
        CoreFault{.core = 2, .lane = 5, .bit = 22, .kind = kind, .flip_rate = 0},
        CoreFault{.core = 3, .lane = 6, .bit = 1, .kind = kind, .flip_rate = 0},  // another core: ignored
    };
    TensorCore core(2, faults);
    BOOST_TEST(core.faults().size() == 1u);
    const auto op =
        make(TensorOpKind::matmul, {operand(0, DType::f32, {12, 30}), operand(0x10000, DType::f32, {30, 20})},
             {operand(0x20000, DType::f32, {12, 20})});
    const auto r = run(core, op, kClean);
    std::uint64_t changed = 0;
    for (std::size_t i = 0; i < 240; ++i) {
      const auto dev = u32_at(r.device, i), ref = u32_at(r.reference, i);
      if (i % kLanesPerCore != 5) {
        BOOST_TEST(dev == ref, "element " << i);
        continue;
      }
      const auto want = kind == CoreFault::Kind::stuck1 ? ref | (1u << 22) : ref & ~(1u << 22);
      BOOST_TEST(dev == want, "element " << i);
      changed += dev != ref;
    }
    BOOST_TEST(changed > 0u);
    BOOST_TEST(r.stats.lane_errors == changed);
  }
}

BOOST_AUTO_TEST_CASE(stuck_bit_of_the_int32_accumulator) {
  TensorCore core(1, std::vector<CoreFault>{
                         {.core = 1, .lane = 0, .bit = 31, .kind = CoreFault::Kind::stuck1, .flip_rate = 0}});
  const auto op = make(TensorOpKind::matmul_integer,
                       {operand(0, DType::u8, {4, 16}), operand(0x1000, DType::u8, {16, 8})},
                       {operand(0x2000, DType::i32, {4, 8})});
  const auto r = run(core, op, kClean);
  for (std::size_t i = 0; i < 32; ++i) {
    const auto ref = u32_at(r.reference, i);
    BOOST_TEST(u32_at(r.device, i) == (i % 16 == 0 ? ref | 0x80000000u : ref), "element " << i);
  }
  BOOST_TEST(r.stats.lane_errors == 2u);  // u8 products are non-negative: the sign bit was clear
}

BOOST_AUTO_TEST_CASE(reduced_outputs_see_the_fault_through_rounding) {
  // Bit 31 (sign) of the FP32 lane result survives rounding to bf16; bit 0 never does.
  const auto op =
      make(TensorOpKind::abs, {operand(0, DType::bf16, {64})}, {operand(0x1000, DType::bf16, {64})});
  TensorCore sign(0, std::vector<CoreFault>{
                         {.core = 0, .lane = 9, .bit = 31, .kind = CoreFault::Kind::stuck1, .flip_rate = 0}});
  const auto r = run(sign, op, kClean);
  for (std::size_t i = 0; i < 64; ++i) {
    const auto dev = static_cast<std::uint16_t>(r.device[2 * i] | r.device[2 * i + 1] << 8);
    const auto ref = static_cast<std::uint16_t>(r.reference[2 * i] | r.reference[2 * i + 1] << 8);
    BOOST_TEST(dev == (i % 16 == 9 ? ref | 0x8000 : ref), "element " << i);
  }
  TensorCore low(0, std::vector<CoreFault>{
                        {.core = 0, .lane = 9, .bit = 0, .kind = CoreFault::Kind::stuck1, .flip_rate = 0}});
  const auto q = run(low, op, kClean);
  BOOST_TEST(q.device == q.reference);
  BOOST_TEST(q.stats.lane_errors == 4u);  // the lane result changed, the stored value did not
}

BOOST_AUTO_TEST_CASE(data_movement_is_not_on_the_lanes) {
  TensorCore core(0, std::vector<CoreFault>{
                         {.core = 0, .lane = 0, .bit = 30, .kind = CoreFault::Kind::stuck1, .flip_rate = 0}});
  for (const auto& op :
       {make(TensorOpKind::identity, {operand(0, DType::f32, {64})}, {operand(0x1000, DType::f32, {64})}),
        make(TensorOpKind::cast, {operand(0, DType::f32, {64})}, {operand(0x1000, DType::f16, {64})})}) {
    const auto r = run(core, op, ExecConditions{.timing_error_rate = 1.0, .seed = 1});
    BOOST_TEST(r.device == r.reference);
    BOOST_TEST(r.stats.macs == 0u);
    BOOST_TEST(r.stats.timing_errors == 0u);
  }
}

BOOST_AUTO_TEST_CASE(flaky_lane_flips_at_its_rate) {
  const double rate = 0.1;
  TensorCore core(4,
                  std::vector<CoreFault>{
                      {.core = 4, .lane = 3, .bit = 7, .kind = CoreFault::Kind::flaky, .flip_rate = rate}});
  const std::int64_t n = 16 * 20'000;
  const auto r = run(core, long_add(n), ExecConditions{.timing_error_rate = 0.0, .seed = 11});
  std::uint64_t flips = 0;
  for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
    const auto diff = u32_at(r.device, i) ^ u32_at(r.reference, i);
    if (i % 16 != 3) {
      if (diff != 0) BOOST_FAIL("element " << i << " is not on the flaky lane but changed");
      continue;
    }
    if (diff != 0) {
      BOOST_TEST(diff == (1u << 7));
      ++flips;
    }
  }
  const double expected = rate * (n / 16.0);
  const double sigma = std::sqrt(expected * (1 - rate));
  BOOST_TEST_MESSAGE("flaky lane: " << flips << " flips, " << expected << " expected");
  BOOST_TEST(std::fabs(static_cast<double>(flips) - expected) < 5 * sigma);
  BOOST_TEST(r.stats.lane_errors == flips);
}

BOOST_AUTO_TEST_CASE(timing_errors_flip_one_bit_at_the_given_rate) {
  const double rate = 0.01;
  TensorCore core(0, {});
  const std::int64_t n = 300'000;
  const auto r = run(core, long_add(n), ExecConditions{.timing_error_rate = rate, .seed = 99});
  std::uint64_t flipped = 0;
  std::vector<int> per_bit(32);
  for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
    const auto diff = u32_at(r.device, i) ^ u32_at(r.reference, i);
    if (diff == 0) continue;
    ++flipped;
    BOOST_TEST(std::popcount(diff) == 1);
    ++per_bit[static_cast<std::size_t>(std::countr_zero(diff))];
  }
  const double expected = rate * static_cast<double>(n);
  BOOST_TEST_MESSAGE("timing errors: " << flipped << ", " << expected << " expected");
  BOOST_TEST(std::fabs(static_cast<double>(flipped) - expected) < 5 * std::sqrt(expected));
  BOOST_TEST(r.stats.timing_errors == flipped);
  BOOST_TEST(r.stats.lane_errors == 0u);
  // Every bit position is hit (about 94 each).
  for (int b = 0; b < 32; ++b) BOOST_TEST(per_bit[static_cast<std::size_t>(b)] > 40, "bit " << b);
}

BOOST_AUTO_TEST_CASE(same_seed_same_result_other_seed_other_result) {
  const std::vector<CoreFault> faults{
      {.core = 5, .lane = 1, .bit = 12, .kind = CoreFault::Kind::flaky, .flip_rate = 0.05}};
  const auto op = long_add(16 * 2000);
  auto once = [&](int core_index, std::uint64_t seed) {
    TensorCore core(core_index, faults);
    return run(core, op, ExecConditions{.timing_error_rate = 0.002, .seed = seed});
  };
  const auto a = once(5, 1), b = once(5, 1), c = once(5, 2);
  BOOST_TEST(a.device == b.device);
  BOOST_TEST((a.stats == b.stats));
  BOOST_TEST(a.device != c.device);
  BOOST_TEST(a.device != a.reference);
  // Another core with the same seed draws its own timing errors.
  TensorCore other(6, {});
  const auto d = run(other, op, ExecConditions{.timing_error_rate = 0.002, .seed = 1});
  TensorCore same(5, {});
  const auto e = run(same, op, ExecConditions{.timing_error_rate = 0.002, .seed = 1});
  BOOST_TEST(d.device != e.device);
}

BOOST_AUTO_TEST_CASE(errors_name_the_core_and_write_nothing) {
  TensorCore core(7, {});
  FlatMemory mem(1 << 12);
  const auto bad_shape = make(TensorOpKind::add, {operand(0, DType::f32, {3}), operand(0, DType::f32, {4})},
                              {operand(0x100, DType::f32, {4})});
  BOOST_CHECK_EXCEPTION(core.execute(bad_shape, mem, kClean), InvalidArgumentError,
                        testing::error_with(ErrorCode::invalid_argument, "tensor core 7: Add: input 1 (B)"));
  const auto unsupported =
      make(TensorOpKind::relu, {operand(0, DType::i32, {3})}, {operand(0x100, DType::i32, {3})});
  BOOST_CHECK_THROW(core.execute(unsupported, mem, kClean), UnsupportedError);
  const auto out_of_range =
      make(TensorOpKind::relu, {operand(0, DType::f32, {16})}, {operand(0xFF0, DType::f32, {16})});
  BOOST_CHECK_EXCEPTION(core.execute(out_of_range, mem, kClean), AddressError,
                        testing::error_with(ErrorCode::address, "tensor core 7: range 0xff0+64"));
  const auto huge =
      make(TensorOpKind::relu, {operand(0, DType::f32, {1 << 30})}, {operand(0, DType::f32, {1 << 30})});
  BOOST_CHECK_THROW(core.execute(huge, mem, kClean), AddressError);  // refused before allocating 4 GiB
  BOOST_TEST(mem.reads == 0);
  BOOST_TEST(mem.writes == 0);
  const auto ok =
      make(TensorOpKind::relu, {operand(0, DType::f32, {16})}, {operand(0x100, DType::f32, {16})});
  BOOST_CHECK_EXCEPTION(
      core.execute(ok, mem, ExecConditions{.timing_error_rate = 1.5, .seed = 0}), InvalidArgumentError,
      testing::error_with(ErrorCode::invalid_argument, "timing error rate 1.5 is outside 0..1"));
  BOOST_CHECK_THROW(core.execute(ok, mem, ExecConditions{.timing_error_rate = std::nan(""), .seed = 0}),
                    InvalidArgumentError);
}

BOOST_AUTO_TEST_CASE(faults_out_of_range_are_refused) {
  const auto bad = [](CoreFault f) {
    f.core = 1;
    return std::vector<CoreFault>{f};
  };
  BOOST_CHECK_EXCEPTION(
      TensorCore(1, bad({.core = 1, .lane = 16, .bit = 0, .kind = CoreFault::Kind::stuck0, .flip_rate = 0})),
      InvalidArgumentError, testing::error_with(ErrorCode::invalid_argument, "tensor core 1: fault"));
  BOOST_CHECK_THROW(
      TensorCore(1, bad({.core = 1, .lane = 0, .bit = 32, .kind = CoreFault::Kind::stuck0, .flip_rate = 0})),
      InvalidArgumentError);
  BOOST_CHECK_THROW(
      TensorCore(1, bad({.core = 1, .lane = 0, .bit = 0, .kind = CoreFault::Kind::flaky, .flip_rate = 2})),
      InvalidArgumentError);
  // Faults of other cores are not this core's business.
  BOOST_CHECK_NO_THROW(
      TensorCore(2, bad({.core = 1, .lane = 99, .bit = 0, .kind = CoreFault::Kind::stuck0, .flip_rate = 0})));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval::sim

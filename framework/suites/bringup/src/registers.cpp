// chip.registers: the register bus and file. Walking ones and zeros through the scratch registers find
// stuck and bridged bits; the access rules (read-only, reserved addresses) must answer with errors, as
// silicon does, never with a silent success.
#include <bit>

#include <fmt/core.h>

#include <seedval/chip/registers.h>
#include <seedval/core/error.h>
#include <seedval/testapi/test.h>

namespace seedval {
namespace {

constexpr std::uint32_t kReservedProbe = 0x0FF0;  // no register lives here

TestDefinition registers_test() {
  TestDefinition t;
  t.name = "chip.registers";
  t.description =
      "walking ones and zeros through the scratch registers; read-only and reserved addresses reject access";
  t.params = {{"passes", ParamType::integer, std::int64_t{1}, "times to repeat the walk", 1.0, 1000.0, {}}};
  t.measurements = {
      {"mismatching_bits", units::count, "scratch bits read back wrong over all walks", {{}, 0.0}},
      {"access_rule_violations",
       units::count,
       "writes to read-only or accesses to reserved registers that succeeded",
       {{}, 0.0}},
  };
  t.run = [](TestContext& ctx) {
    Device& dev = ctx.device();
    std::vector<protocol::RegisterOp> ops;
    std::vector<std::uint32_t> expected;
    for (std::uint32_t reg : {chip::reg::SCRATCH0, chip::reg::SCRATCH1}) {
      for (int b = 0; b < 32; ++b) {
        for (std::uint32_t v : {1u << b, ~(1u << b)}) {
          ops.push_back({protocol::RegisterOp::Kind::write, reg, v});
          ops.push_back({protocol::RegisterOp::Kind::read, reg, 0});
          expected.push_back(v);
        }
      }
    }
    std::int64_t bad_bits = 0;
    int noted = 0;
    for (std::int64_t pass = 0; pass < ctx.params().integer("passes"); ++pass) {
      ctx.check_stop();
      const auto values = dev.execute(ops);
      for (std::size_t i = 0; i < expected.size(); ++i) {
        const std::uint32_t diff = values[2 * i + 1] ^ expected[i];
        if (diff == 0) continue;
        bad_bits += std::popcount(diff);
        if (noted++ < 8)
          ctx.note(fmt::format("register 0x{:04x}: wrote 0x{:08x}, read 0x{:08x}", ops[2 * i].address,
                               expected[i], values[2 * i + 1]));
      }
    }
    ctx.measure("mismatching_bits", static_cast<double>(bad_bits));

    int violations = 0;
    try {
      dev.write_register(chip::reg::CHIP_ID, 0);
      ++violations;
      ctx.note("a write to read-only CHIP_ID succeeded");
    } catch (const AddressError& e) {
      if (e.code() != ErrorCode::read_only) throw;
    }
    try {
      dev.read_register(kReservedProbe);
      ++violations;
      ctx.note(fmt::format("a read of reserved address 0x{:04x} succeeded", kReservedProbe));
    } catch (const AddressError& e) {
      if (e.code() != ErrorCode::address) throw;
    }
    ctx.measure("access_rule_violations", violations);
  };
  return t;
}

SEEDVAL_REGISTER_TEST(registers_test());

}  // namespace
}  // namespace seedval

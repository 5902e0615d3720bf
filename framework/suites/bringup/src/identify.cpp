// chip.identify: is this a SeedChip of the expected revision, with readable fuses and the expected memory?
// chip.reset: does a soft reset bring the chip back ready?
#include <fmt/core.h>

#include <seedval/chip/registers.h>
#include <seedval/core/error.h>
#include <seedval/testapi/test.h>

namespace seedval {
namespace {

TestDefinition identify_test() {
  TestDefinition t;
  t.name = "chip.identify";
  t.description = "reads chip id, revision, ECID fuses and memory size; checks them against expectations";
  t.params = {
      {"revision",
       ParamType::string,
       std::string(),
       "expected revision, e.g. \"A0\"; empty accepts any",
       {},
       {},
       {}},
  };
  t.measurements = {
      {"chip_id_match", units::none, "1 if CHIP_ID reads 0x5EEDC41B", {1.0, 1.0}},
      {"revision_match", units::none, "1 if the revision is the expected one", {1.0, 1.0}},
      {"ecid_valid", units::none, "1 if the ECID fuses decode with valid check bits", {1.0, 1.0}},
      {"memory_size", units::byte, "device memory reported by the chip", {}},
  };
  t.run = [](TestContext& ctx) {
    const Identity& id = ctx.device().identify(true);
    // Read CHIP_ID through the register path as well: identify and the register file must agree.
    const std::uint32_t reg_id = ctx.device().read_register(chip::reg::CHIP_ID);
    ctx.measure("chip_id_match", id.chip_id == chip::kChipId && reg_id == chip::kChipId ? 1 : 0);
    if (id.chip_id != chip::kChipId)
      ctx.note(fmt::format("chip id 0x{:08x}, expected 0x{:08x}", id.chip_id, chip::kChipId));
    const std::string& want = ctx.params().string("revision");
    const bool rev_ok = want.empty() || want == id.revision_name();
    ctx.measure("revision_match", rev_ok ? 1 : 0);
    if (!rev_ok) ctx.note(fmt::format("revision {}, expected {}", id.revision_name(), want));
    ctx.measure("ecid_valid", id.die ? 1 : 0);
    if (!id.die) ctx.note(id.ecid_error);
    ctx.measure("memory_size", static_cast<double>(id.memory_size));
  };
  return t;
}

TestDefinition reset_test() {
  TestDefinition t;
  t.name = "chip.reset";
  t.description = "soft-resets the chip and checks it comes back ready with its PLL locked";
  t.requires_caps = {chip::Capability::reset};
  t.measurements = {{"ready_after_reset", units::none, "1 if STATUS shows ready and PLL locked", {1.0, 1.0}}};
  t.run = [](TestContext& ctx) {
    ctx.device().reset(protocol::ResetKind::soft);
    const std::uint32_t status = ctx.device().read_register(chip::reg::STATUS);
    const std::uint32_t want = chip::bits::STATUS_READY | chip::bits::STATUS_PLL_LOCKED;
    ctx.measure("ready_after_reset", (status & want) == want ? 1 : 0);
  };
  return t;
}

SEEDVAL_REGISTER_TEST(identify_test());
SEEDVAL_REGISTER_TEST(reset_test());

}  // namespace
}  // namespace seedval

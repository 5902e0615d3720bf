// memory.ecc: does SECDED do its job? Known data goes into chosen words; the chip's injection registers
// flip one stored bit (then two) without updating the check bits; reading back must return the data
// corrected (one bit) or raw but counted as uncorrectable (two bits), the counters must count each error
// once, and the error log must name the word and the kind. Every check that fails is counted and named.
#include <bit>
#include <cstring>
#include <random>

#include <fmt/core.h>

#include <seedval/chip/registers.h>
#include <seedval/core/error.h>

#include "memory_common.h"

namespace seedval::memory {
namespace {

std::uint64_t read_word(Device& dev, std::uint64_t address) {
  std::uint8_t bytes[8];
  dev.read_memory(address, bytes);
  std::uint64_t v = 0;
  std::memcpy(&v, bytes, 8);
  return v;
}

void write_word(Device& dev, std::uint64_t address, std::uint64_t value) {
  std::uint8_t bytes[8];
  std::memcpy(bytes, &value, 8);
  dev.write_memory(address, bytes);
}

std::uint64_t read64(Device& dev, std::uint32_t lo, std::uint32_t hi) {
  return std::uint64_t{dev.read_register(hi)} << 32 | dev.read_register(lo);
}

void clear_ecc_log(Device& dev) {
  dev.write_register(chip::reg::ECC_CE_COUNT, 0xFFFFFFFF);
  dev.write_register(chip::reg::ECC_UE_COUNT, 0xFFFFFFFF);
  dev.write_register(chip::reg::ECC_ERR_INFO, 0xFFFFFFFF);
}

TestDefinition ecc_test() {
  TestDefinition t;
  t.name = "memory.ecc";
  t.description =
      "injects single- and double-bit errors and checks correction, detection, the counters and the error "
      "log";
  t.params = {
      {"single_errors", ParamType::integer, std::int64_t{8}, "words given a one-bit error", 0.0, 4096.0, {}},
      {"double_errors", ParamType::integer, std::int64_t{4}, "words given a two-bit error", 0.0, 4096.0, {}},
      {"seed", ParamType::integer, std::int64_t{1}, "chooses the words, the data and the bits", 0.0, {}, {}},
      {"max_notes",
       ParamType::integer,
       std::int64_t{16},
       "failed checks named in the record's notes",
       0.0,
       10000.0,
       {}},
  };
  t.measurements = {
      {"uncorrected_single", units::count, "one-bit errors read back wrong", {{}, 0.0}},
      {"undetected_double", units::count, "two-bit errors not counted as uncorrectable", {{}, 0.0}},
      {"counter_errors", units::count, "errors the CE/UE counters missed or counted twice", {{}, 0.0}},
      {"log_errors", units::count, "errors logged with the wrong address or kind", {{}, 0.0}},
      {"errors_injected", units::count, "single plus double errors injected", {}},
  };
  t.requires_caps = {chip::Capability::ecc, chip::Capability::memory_bulk};
  t.run = [](TestContext& ctx) {
    Device& dev = ctx.device();
    const auto& p = ctx.params();
    const chip::HbmGeometry& g = dev.memory_geometry();
    RegisterOverride ecc_on(dev, chip::reg::ECC_CTRL, chip::bits::ECC_ENABLE);
    clear_ecc_log(dev);
    std::mt19937_64 rng(static_cast<std::uint64_t>(p.integer("seed")));
    const auto max_notes = p.integer("max_notes");
    std::int64_t notes = 0;
    auto note = [&](std::string text) {
      if (notes++ < max_notes) ctx.note(std::move(text));
    };
    double uncorrected = 0, undetected = 0, counter_errors = 0, log_errors = 0;
    std::uint32_t ce_expected = 0, ue_expected = 0;
    int unclean = 0;
    const auto singles = p.integer("single_errors");
    const auto doubles = p.integer("double_errors");
    for (std::int64_t i = 0; i < singles + doubles; ++i) {
      ctx.check_stop();
      const bool is_double = i >= singles;
      const std::uint64_t address = (rng() % g.words()) * 8;
      const std::uint64_t data = rng();
      const int bit_a = static_cast<int>(rng() % 64);
      int bit_b = static_cast<int>(rng() % 63);
      if (bit_b >= bit_a) ++bit_b;
      const std::uint64_t mask = (std::uint64_t{1} << bit_a) | (is_double ? std::uint64_t{1} << bit_b : 0);
      write_word(dev, address, data);
      // A cell of the word may be bad itself: a clean word reads back clean before the injection.
      if (read_word(dev, address) != data || dev.read_register(chip::reg::ECC_CE_COUNT) != ce_expected ||
          dev.read_register(chip::reg::ECC_UE_COUNT) != ue_expected) {
        if (++unclean > 100)
          ctx.fail("more than 100 words were not clean before injection: test the memory first");
        ctx.note(fmt::format("word 0x{:x} is not clean before injection (a memory fault): chose another",
                             address));
        clear_ecc_log(dev);
        ce_expected = ue_expected = 0;
        --i;
        continue;
      }
      dev.write_register(chip::reg::ECC_INJECT_ADDR_LO, static_cast<std::uint32_t>(address));
      dev.write_register(chip::reg::ECC_INJECT_ADDR_HI, static_cast<std::uint32_t>(address >> 32));
      dev.write_register(chip::reg::ECC_INJECT_MASK_LO, static_cast<std::uint32_t>(mask));
      dev.write_register(chip::reg::ECC_INJECT_MASK_HI, static_cast<std::uint32_t>(mask >> 32));
      dev.write_register(chip::reg::ECC_INJECT_CTRL, chip::bits::ECC_INJECT_GO);
      const std::uint64_t got = read_word(dev, address);
      (is_double ? ue_expected : ce_expected) += 1;
      if (!is_double && got != data) {
        ++uncorrected;
        note(fmt::format("one-bit error at 0x{:x} bit {}: read 0x{:016x}, wrote 0x{:016x}", address, bit_a,
                         got, data));
      }
      const std::uint32_t ce = dev.read_register(chip::reg::ECC_CE_COUNT);
      const std::uint32_t ue = dev.read_register(chip::reg::ECC_UE_COUNT);
      if (is_double && ue != ue_expected) {
        ++undetected;
        note(fmt::format("two-bit error at 0x{:x} bits {},{}: UE count {} (expected {})", address, bit_a,
                         bit_b, ue, ue_expected));
      }
      if (ce != ce_expected || ue != ue_expected) {
        ++counter_errors;
        note(fmt::format("after the error at 0x{:x}: CE {} UE {} (expected {} and {})", address, ce, ue,
                         ce_expected, ue_expected));
        ce_expected = ce;
        ue_expected = ue;
      }
      const std::uint32_t info = dev.read_register(chip::reg::ECC_ERR_INFO);
      const std::uint64_t logged = read64(dev, chip::reg::ECC_ERR_ADDR_LO, chip::reg::ECC_ERR_ADDR_HI);
      const bool kind_ok = ((info & chip::bits::ECC_INFO_UNCORRECTABLE) != 0) == is_double;
      if ((info & chip::bits::ECC_INFO_VALID) == 0 || logged != address || !kind_ok) {
        ++log_errors;
        note(fmt::format("error at 0x{:x} ({}): log says 0x{:x}, info 0x{:x}", address,
                         is_double ? "uncorrectable" : "correctable", logged, info));
      }
      write_word(dev, address, data);  // stores clean data and check bits again
      dev.write_register(chip::reg::ECC_ERR_INFO, 0xFFFFFFFF);
    }
    clear_ecc_log(dev);
    ctx.measure("uncorrected_single", uncorrected);
    ctx.measure("undetected_double", undetected);
    ctx.measure("counter_errors", counter_errors);
    ctx.measure("log_errors", log_errors);
    ctx.measure("errors_injected", static_cast<double>(singles + doubles));
  };
  return t;
}

SEEDVAL_REGISTER_TEST(ecc_test());

}  // namespace
}  // namespace seedval::memory

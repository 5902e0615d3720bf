// memory.pattern: data patterns written over the range and read back over the bulk path. Solid and
// checkerboard fills are written by the device's fill engine; walking ones and zeros, address-in-address
// and seeded random data are generated on the host and written in bulk. Every bit written both 0 and 1
// is read back, so every stuck-at cell in the range is found (and named in the fail bitmap artifact);
// address-in-address finds words that alias (decoder faults); the failing cells (union over patterns) are the
// measurement. SECDED would hide single bad cells, so the test switches ECC off while it runs and restores it
// afterwards, pass or fail.
#include <algorithm>
#include <bit>
#include <cstring>
#include <map>
#include <unordered_map>

#include <fmt/core.h>

#include <seedval/chip/registers.h>
#include <seedval/core/error.h>
#include <seedval/testapi/test.h>

#include "memory_common.h"

namespace seedval {
namespace {

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// A pattern gives each 64-bit word (by byte address) its value; solid ones go to the fill engine.
struct Pattern {
  std::string_view name;
  bool solid;
  std::uint64_t word;  // solid patterns
  std::uint64_t (*value)(std::uint64_t address, std::uint64_t seed);
};
constexpr Pattern kPatterns[] = {
    {"zeros", true, 0x0000000000000000ull, nullptr},
    {"ones", true, 0xFFFFFFFFFFFFFFFFull, nullptr},
    {"checkerboard", true, 0x55555555AAAAAAAAull, nullptr},
    {"inverse-checkerboard", true, 0xAAAAAAAA55555555ull, nullptr},
    {"walking-ones", false, 0,
     [](std::uint64_t a, std::uint64_t) { return std::uint64_t{1} << (a / 8 % 64); }},
    {"walking-zeros", false, 0,
     [](std::uint64_t a, std::uint64_t) { return ~(std::uint64_t{1} << (a / 8 % 64)); }},
    {"address", false, 0, [](std::uint64_t a, std::uint64_t) { return a; }},
    {"inverse-address", false, 0, [](std::uint64_t a, std::uint64_t) { return ~a; }},
    {"random", false, 0,
     [](std::uint64_t a, std::uint64_t seed) { return splitmix64(seed ^ splitmix64(a)); }},
};

std::uint64_t expected_word(const Pattern& p, std::uint64_t address, std::uint64_t seed) {
  return p.solid ? p.word : p.value(address, seed);
}
constexpr std::size_t kReadChunk = 4u << 20;

constexpr std::size_t kMaxTrackedWords = 1u << 20;

TestDefinition pattern_test() {
  TestDefinition t;
  t.name = "memory.pattern";
  t.description =
      "writes data patterns (solid, checkerboard, walking ones/zeros, address-in-address, random), reads "
      "back "
      "and counts failing cells";
  std::vector<std::string> names;
  for (const auto& p : kPatterns) names.emplace_back(p.name);
  t.params = {
      {"patterns",
       ParamType::string,
       std::string("zeros,ones,checkerboard,inverse-checkerboard"),
       "comma-separated backgrounds to run",
       {},
       {},
       names},
      {"seed", ParamType::integer, std::int64_t{1}, "seed of the random pattern", 0.0, {}, {}},
  };
  for (auto& p : memory::region_params()) t.params.push_back(std::move(p));
  t.measurements = {
      {"failing_bits",
       units::count,
       "distinct memory cells that read back wrong under any pattern",
       {{}, 0.0}},
      {"failing_words", units::count, "distinct 64-bit words holding a failing cell", {}},
      {"bytes_tested", units::byte, "size of the range tested", {}},
  };
  t.requires_caps = {chip::Capability::memory_bulk};
  t.run = [](TestContext& ctx) {
    Device& dev = ctx.device();
    const std::uint64_t size = dev.identify().memory_size;
    const auto offset = static_cast<std::uint64_t>(ctx.params().integer("offset"));
    std::uint64_t length = static_cast<std::uint64_t>(ctx.params().integer("length"));
    if (length == 0 && offset < size) length = size - offset;
    if (offset % 8 != 0 || length % 8 != 0 || offset > size || length > size - offset)
      throw InvalidArgumentError(
          ErrorCode::invalid_argument,
          fmt::format("memory.pattern range 0x{:x}+{} must be 8-byte aligned inside the {} bytes "
                      "of device memory",
                      offset, length, size));
    const auto max_notes = ctx.params().integer("max_notes");

    memory::EccOff raw_cells(dev);
    std::unordered_map<std::uint64_t, std::uint64_t> bad;  // word address -> union of failing bit masks
    memory::FailBitmap bitmap(dev.memory_geometry());
    bool overflow = false;
    std::uint64_t overflow_bits = 0;
    std::vector<std::uint8_t> buffer(static_cast<std::size_t>(std::min<std::uint64_t>(kReadChunk, length)));
    std::int64_t notes = 0;
    for (const auto& name : ctx.params().list("patterns")) {
      const auto& pattern = *std::find_if(std::begin(kPatterns), std::end(kPatterns),
                                          [&](const Pattern& p) { return p.name == name; });
      const auto seed = static_cast<std::uint64_t>(ctx.params().integer("seed"));
      if (pattern.solid) {
        dev.fill_memory(offset, length, pattern.word);
      } else {
        for (std::uint64_t done = 0; done < length; done += buffer.size()) {
          ctx.check_stop();
          const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), length - done));
          for (std::size_t i = 0; i < n; i += 8) {
            const std::uint64_t v = pattern.value(offset + done + i, seed);
            std::memcpy(buffer.data() + i, &v, 8);
          }
          dev.write_memory(offset + done, std::span(buffer).first(n));
        }
      }
      for (std::uint64_t done = 0; done < length; done += buffer.size()) {
        ctx.check_stop();
        const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), length - done));
        dev.read_memory(offset + done, std::span(buffer).first(n));
        for (std::size_t i = 0; i < n; i += 8) {
          std::uint64_t word;
          std::memcpy(&word, buffer.data() + i, 8);
          const std::uint64_t want = expected_word(pattern, offset + done + i, seed);
          const std::uint64_t diff = word ^ want;
          if (diff == 0) continue;
          const std::uint64_t addr = offset + done + i;
          if (notes < max_notes) {
            ++notes;
            ctx.note(fmt::format("{}: word 0x{:x} read 0x{:016x}, expected 0x{:016x} (bits {:016x})", name,
                                 addr, word, want, diff));
          }
          bitmap.add_read(addr / 8, want, word, "memory.pattern", "", name);
          auto it = bad.find(addr);
          if (it != bad.end()) {
            it->second |= diff;
          } else if (bad.size() < kMaxTrackedWords) {
            bad.emplace(addr, diff);
          } else {
            overflow = true;
            overflow_bits += static_cast<std::uint64_t>(std::popcount(diff));
          }
        }
      }
    }
    std::uint64_t bits = overflow_bits;
    for (const auto& [addr, mask] : bad) bits += static_cast<std::uint64_t>(std::popcount(mask));
    if (overflow)
      ctx.note(fmt::format("more than {} failing words: counts past that are per pattern", kMaxTrackedWords));
    ctx.measure("failing_bits", static_cast<double>(bits));
    ctx.measure("failing_words", static_cast<double>(bad.size()));
    ctx.measure("bytes_tested", static_cast<double>(length));
    if (!bitmap.cells().empty()) ctx.attach("fail_bitmap", bitmap.to_json());
  };
  return t;
}

SEEDVAL_REGISTER_TEST(pattern_test());

}  // namespace
}  // namespace seedval

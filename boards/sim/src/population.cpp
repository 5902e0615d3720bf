#include <algorithm>
#include <cmath>

#include <seedval/chip/registers.h>
#include <seedval/core/error.h>
#include <seedval/core/json_reader.h>
#include <seedval/sim/population.h>

namespace seedval::sim {
namespace {

// A small deterministic generator: the same sequence on every platform and standard library
// (std::*_distribution are implementation-defined, which would make ground truth machine-dependent).
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() { return mix64(state_ += 0x9E3779B97F4A7C15ull); }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : next() % n; }
  double normal() {
    const double u1 = std::max(uniform(), 1e-300), u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  std::uint64_t state_;
};

}  // namespace

std::uint64_t mix64(std::uint64_t x) noexcept {
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBull;
  x ^= x >> 31;
  return x;
}

PopulationSpec load_population(const std::filesystem::path& file) {
  auto j = load_json_file(file);
  JsonObject o(j, file.string());
  PopulationSpec s;
  s.file = file;
  s.name = o.string("population");
  s.description = o.string_or("description", "");
  s.seed = static_cast<std::uint64_t>(o.integer_or("seed", 1, 0, INT64_MAX));
  if (auto p = o.optional_object("process")) {
    s.leakage_sigma = p->number_or("leakage_sigma", s.leakage_sigma);
    if (s.leakage_sigma < 0 || s.leakage_sigma > 2) p->fail("leakage_sigma", "expected a number from 0 to 2");
    s.ambient_c = p->number_or("ambient_c", s.ambient_c);
    if (s.ambient_c < -55 || s.ambient_c > 150)
      p->fail("ambient_c", "expected a temperature from -55 to 150");
    p->finish();
  }
  auto fraction = [](JsonObject& obj, std::string_view key) {
    double v = obj.number(key);
    if (!(v >= 0.0 && v <= 1.0)) obj.fail(key, "expected a fraction from 0 to 1");
    return v;
  };
  if (auto f = o.optional_object("faults")) {
    if (auto m = f->optional_object("memory_stuck_bits")) {
      s.memory_stuck_die_fraction = fraction(*m, "die_fraction");
      s.memory_stuck_min = static_cast<int>(m->integer_or("min_per_die", 1, 1, 1000));
      s.memory_stuck_max = static_cast<int>(m->integer_or("max_per_die", s.memory_stuck_min, 1, 1000));
      if (s.memory_stuck_max < s.memory_stuck_min) m->fail("max_per_die", "must not be below min_per_die");
      m->finish();
    }
    if (auto r = f->optional_object("register_stuck_bits")) {
      s.register_stuck_die_fraction = fraction(*r, "die_fraction");
      r->finish();
    }
    f->finish();
  }
  o.finish();
  return s;
}

DieInstance make_die(const PopulationSpec& spec, const chip::DieId& id, std::uint64_t memory_size) {
  DieInstance d;
  d.id = id;
  d.ecid = chip::encode_ecid(id);
  d.ambient_c = spec.ambient_c;
  Rng rng(mix64(spec.seed) ^ d.ecid);
  d.leakage_factor = std::exp(spec.leakage_sigma * rng.normal());
  if (rng.uniform() < spec.memory_stuck_die_fraction && memory_size > 0) {
    const auto span = static_cast<std::uint64_t>(spec.memory_stuck_max - spec.memory_stuck_min + 1);
    const int n = spec.memory_stuck_min + static_cast<int>(rng.below(span));
    for (int i = 0; i < n; ++i)
      d.memory_stuck.push_back(
          {rng.below(memory_size), static_cast<int>(rng.below(8)), (rng.next() & 1) != 0});
    std::sort(d.memory_stuck.begin(), d.memory_stuck.end(), [](const auto& a, const auto& b) {
      return a.address != b.address ? a.address < b.address : a.bit < b.bit;
    });
  }
  if (rng.uniform() < spec.register_stuck_die_fraction) {
    // The scratch registers stand in for the register file: a broken flop there shows on a bus check.
    const std::uint32_t addr = (rng.next() & 1) != 0 ? chip::reg::SCRATCH0 : chip::reg::SCRATCH1;
    d.register_stuck.push_back({addr, static_cast<int>(rng.below(32)), (rng.next() & 1) != 0});
  }
  return d;
}

}  // namespace seedval::sim

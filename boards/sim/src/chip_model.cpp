#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#include <fmt/core.h>

#include <seedval/chip/march.h>
#include <seedval/chip/registers.h>
#include <seedval/chip/tensor.h>
#include <seedval/core/error.h>
#include <seedval/protocol/messages.h>
#include <seedval/sim/chip_model.h>
#include <seedval/sim/physics.h>

#include "hbm.h"
#include "tensor_core.h"

namespace seedval::sim {
namespace {

using protocol::Opcode;

std::size_t register_index(const chip::RegisterInfo* r) {
  return static_cast<std::size_t>(r - chip::register_map().data());
}

const chip::RegisterInfo& lookup(std::uint32_t address) {
  if (address % 4 != 0)
    throw AddressError(ErrorCode::address,
                       fmt::format("register address 0x{:04x} is not 4-byte aligned", address));
  const auto* r = chip::find_register(address);
  if (r == nullptr)
    throw AddressError(ErrorCode::address, fmt::format("register address 0x{:04x} is reserved", address));
  return *r;
}

constexpr std::uint64_t kRegisterAccessNs = 1'000;  // one bus transaction
constexpr std::uint64_t kPllLockNs = 50'000;
constexpr double kPdnMilliOhm = 0.5;  // supply network resistance: the sensed voltage droops under load
constexpr std::uint32_t kCoreMask = (1u << kCoreCount) - 1;
constexpr double kMacsPerCycle = 1024;  // per tensor core: 16 lanes, each a 64-wide SIMD MAC array

}  // namespace

chip::HbmGeometry ChipConfig::hbm_geometry() const {
  if (geometry) {
    geometry->validate();
    return *geometry;
  }
  return chip::HbmGeometry::for_size(memory_size);
}

// Device memory as the tensor cores see it: HBM (through ECC) and the SRAM windows.
class ChipModel::TensorAccess final : public TensorMemory {
 public:
  explicit TensorAccess(ChipModel& m) : m_(m) {}
  void check(std::uint64_t address, std::uint64_t bytes) const override {
    m_.check_memory_range(address, bytes);
  }
  void read(std::uint64_t address, std::span<std::uint8_t> out) override { m_.memory_read(address, out); }
  void write(std::uint64_t address, std::span<const std::uint8_t> data) override {
    m_.memory_write(address, data);
  }

 private:
  ChipModel& m_;
};

// The die as the HBM array sees it: the model's clock, HBM supply and die temperature.
class ChipModel::Environment final : public HbmEnvironment {
 public:
  explicit Environment(ChipModel& m) : m_(m) {}
  std::uint64_t now_ns() const override { return m_.now_ns_; }
  void advance_ns(std::uint64_t ns) override { m_.advance(ns); }
  double hbm_supply_mv() const override { return m_.reg(chip::reg::VDD_HBM_MV); }
  double temperature_c() const override { return m_.temperature_c_; }

 private:
  ChipModel& m_;
};

ChipModel::ChipModel(const ChipConfig& config, DieInstance die, std::vector<std::uint64_t> recycled)
    : config_(config), geometry_(config.hbm_geometry()), die_(std::move(die)) {
  if (config_.sram_kib == 0 || config_.sram_kib > 65536)
    throw InvalidArgumentError(ErrorCode::invalid_argument,
                               fmt::format("SRAM of {} KiB per core is outside 1..65536", config_.sram_kib));
  config_.memory_size = geometry_.bytes();
  power_on_reset();
  // A die on the socket has idled long enough to settle at its idle temperature.
  temperature_c_ = die_.ambient_c;
  for (int i = 0; i < 50; ++i) temperature_c_ = physics::steady_temperature_c(die_, power_w());
  env_ = std::make_unique<Environment>(*this);
  hbm_ = std::make_unique<HbmArray>(geometry_, die_.memory_faults, *env_, std::move(recycled));
  sram_.assign(kCoreCount, std::vector<std::uint8_t>(std::size_t{config_.sram_kib} << 10, 0));
  for (int c = 0; c < kCoreCount; ++c) cores_.push_back(std::make_unique<TensorCore>(c, die_.core_faults));
}

ChipModel::~ChipModel() = default;

std::vector<std::uint64_t> ChipModel::release_memory() {
  return hbm_->release_storage();
}

std::uint64_t ChipModel::all_capabilities() {
  using chip::Capability;
  return chip::bit(Capability::register_batch) | chip::bit(Capability::memory_bulk) |
         chip::bit(Capability::memory_fill) | chip::bit(Capability::sensors) | chip::bit(Capability::dvfs) |
         chip::bit(Capability::ecc) | chip::bit(Capability::mbist) | chip::bit(Capability::tensor) |
         chip::bit(Capability::reset);
}

std::uint32_t& ChipModel::reg(std::uint32_t address) {
  return registers_[register_index(chip::find_register(address))];
}

std::uint32_t ChipModel::reg(std::uint32_t address) const {
  return registers_[register_index(chip::find_register(address))];
}

void ChipModel::power_on_reset() {
  const auto map = chip::register_map();
  registers_.assign(map.size(), 0);
  for (std::size_t i = 0; i < map.size(); ++i) registers_[i] = map[i].reset_value;
  reg(chip::reg::ECID_LO) = static_cast<std::uint32_t>(die_.ecid);
  reg(chip::reg::ECID_HI) = static_cast<std::uint32_t>(die_.ecid >> 32);
  reg(chip::reg::CAPS_LO) = static_cast<std::uint32_t>(capabilities());
  reg(chip::reg::CAPS_HI) = static_cast<std::uint32_t>(capabilities() >> 32);
  reg(chip::reg::MEM_SIZE_LO) = static_cast<std::uint32_t>(geometry_.bytes());
  reg(chip::reg::MEM_SIZE_HI) = static_cast<std::uint32_t>(geometry_.bytes() >> 32);
  reg(chip::reg::HBM_GEOMETRY) = geometry_.encode();
  reg(chip::reg::SRAM_SIZE_KIB) = config_.sram_kib;
  reg(chip::reg::HBM_SPARES) = (config_.spare_columns << 16) | (config_.spare_rows & 0xFFFF);
  reg(chip::reg::HARVEST_MASK) = die_.harvest_mask & kCoreMask;
  reg(chip::reg::CORE_COUNT) = kCoreCount;
  reg(chip::reg::CORE_ENABLE) = ~die_.harvest_mask & kCoreMask;
  reg(chip::reg::THERMAL_LIMIT_C) = static_cast<std::uint32_t>(physics::kTripC);
  tensor_ops_ = 0;
  if (hbm_) {
    hbm_->set_ecc_enabled(true);
    hbm_->set_refresh(true, std::chrono::microseconds(reg(chip::reg::HBM_REFRESH_US)));
    ecc_seen_corrected_ = hbm_->ecc_status().corrected;
    ecc_seen_uncorrectable_ = hbm_->ecc_status().uncorrectable;
  }
  update_thermal_status();
}

std::uint32_t ChipModel::apply_register_faults(std::uint32_t address, std::uint32_t value) const {
  for (const auto& f : die_.register_stuck)
    if (f.address == address) value = f.value ? value | (1u << f.bit) : value & ~(1u << f.bit);
  return value;
}

// ---- physics ---------------------------------------------------------------------------------------

double ChipModel::fmax_mhz() const {
  return physics::fmax_mhz(die_, reg(chip::reg::VDD_CORE_MV), temperature_c_);
}

double ChipModel::effective_mhz() const {
  const double f = reg(chip::reg::PLL_FREQ_MHZ);
  return (reg(chip::reg::STATUS) & chip::bits::STATUS_THROTTLED) != 0 ? f / 2 : f;
}

double ChipModel::power_w() const {
  const double v = reg(chip::reg::VDD_CORE_MV);
  return physics::dynamic_w(v, effective_mhz(), busy_cores_, utilisation_) +
         physics::leakage_w(die_, v, temperature_c_);
}

void ChipModel::advance(std::uint64_t ns, double busy_cores, double utilisation) {
  busy_cores_ = busy_cores;
  utilisation_ = utilisation;
  // Steps of at most τ/20 keep the leakage–temperature loop accurate; the exact RC step within each.
  const std::uint64_t max_step = static_cast<std::uint64_t>(physics::kTauS / 20 * 1e9);
  std::uint64_t left = ns;
  while (left > 0) {
    const std::uint64_t step = std::min(left, max_step);
    const bool tripped = (reg(chip::reg::STATUS) & chip::bits::STATUS_THERMAL_TRIP) != 0;
    busy_cores_ = tripped ? 0.0 : busy_cores;
    utilisation_ = utilisation;
    const double p = power_w();
    const double target = physics::steady_temperature_c(die_, p);
    const double before = temperature_c_;
    temperature_c_ =
        target + (temperature_c_ - target) * std::exp(-static_cast<double>(step) * 1e-9 / physics::kTauS);
    now_ns_ += step;
    left -= step;
    update_thermal_status();
    if (std::abs(temperature_c_ - before) < 1e-9) {  // settled: the rest changes nothing but the clock
      now_ns_ += left;
      break;
    }
  }
}

void ChipModel::update_thermal_status() {
  std::uint32_t& status = reg(chip::reg::STATUS);
  std::uint32_t& pending = reg(chip::reg::INT_STATUS);
  if (temperature_c_ >= physics::kTripC && (status & chip::bits::STATUS_THERMAL_TRIP) == 0) {
    status |= chip::bits::STATUS_THERMAL_TRIP;
    pending |= chip::bits::INT_THERMAL_TRIP;
  }
  if (temperature_c_ >= physics::kThrottleC) {
    if ((status & chip::bits::STATUS_THROTTLED) == 0) pending |= chip::bits::INT_THERMAL_THROTTLE;
    status |= chip::bits::STATUS_THROTTLED;
  } else if (temperature_c_ < physics::kThrottleC - 5.0) {
    status &= ~chip::bits::STATUS_THROTTLED;  // hysteresis
  }
}

protocol::SensorsResponse ChipModel::sensors() const {
  const double v = reg(chip::reg::VDD_CORE_MV);
  const double p = power_w();
  const double amps = p / (v / 1000.0);
  return protocol::SensorsResponse{
      .temperature_mc = static_cast<std::int32_t>(std::lround(temperature_c_ * 1000.0)),
      .hbm_temperature_mc = static_cast<std::int32_t>(
          std::lround((die_.ambient_c + 0.6 * (temperature_c_ - die_.ambient_c)) * 1000.0)),
      .power_mw = static_cast<std::uint32_t>(std::lround(p * 1000.0)),
      .current_ma = static_cast<std::uint32_t>(std::lround(amps * 1000.0)),
      .vdd_core_mv = static_cast<std::uint32_t>(std::lround(v - amps * kPdnMilliOhm)),
      .vdd_hbm_mv = reg(chip::reg::VDD_HBM_MV),
      .frequency_mhz = static_cast<std::uint32_t>(std::lround(effective_mhz())),
      .status = reg(chip::reg::STATUS),
      .time_us = now_ns_ / 1000,
  };
}

// ---- registers -------------------------------------------------------------------------------------

std::uint32_t ChipModel::read_reg(std::uint32_t address) {
  const auto& info = lookup(address);
  advance(kRegisterAccessNs);
  std::uint32_t value = registers_[register_index(&info)];
  if (address == chip::reg::TENSOR_OPS)
    value = static_cast<std::uint32_t>(std::min<std::uint64_t>(tensor_ops_, 0xFFFFFFFFu));
  if (address < chip::reg::TEMP_DIE_MC || address > chip::reg::TIMER_US_HI)
    return apply_register_faults(address, value);
  const auto s = sensors();  // only the sensor block is computed on a read
  switch (address) {
    case chip::reg::TEMP_DIE_MC:
      value = static_cast<std::uint32_t>(s.temperature_mc);
      break;
    case chip::reg::TEMP_HBM_MC:
      value = static_cast<std::uint32_t>(s.hbm_temperature_mc);
      break;
    case chip::reg::POWER_MW:
      value = s.power_mw;
      break;
    case chip::reg::VDD_SENSE_MV:
      value = s.vdd_core_mv;
      break;
    case chip::reg::CURRENT_MA:
      value = s.current_ma;
      break;
    case chip::reg::TIMER_US_LO:
      value = static_cast<std::uint32_t>(s.time_us);
      break;
    case chip::reg::TIMER_US_HI:
      value = static_cast<std::uint32_t>(s.time_us >> 32);
      break;
    default:
      break;
  }
  return apply_register_faults(address, value);
}

void ChipModel::set_core_voltage(std::uint32_t mv) {
  if (mv < 500 || mv > 1000)
    throw DeviceError(ErrorCode::device,
                      fmt::format("VDD_CORE_MV {} mV is outside the regulator range 500..1000 mV", mv));
  reg(chip::reg::VDD_CORE_MV) = mv;
}

void ChipModel::set_hbm_voltage(std::uint32_t mv) {
  if (mv < 900 || mv > 1300)
    throw DeviceError(ErrorCode::device,
                      fmt::format("VDD_HBM_MV {} mV is outside the regulator range 900..1300 mV", mv));
  reg(chip::reg::VDD_HBM_MV) = mv;
}

void ChipModel::set_frequency(std::uint32_t mhz) {
  if (mhz < 100 || mhz > 3000)
    throw DeviceError(ErrorCode::device,
                      fmt::format("PLL_FREQ_MHZ {} MHz is outside the PLL range 100..3000 MHz", mhz));
  reg(chip::reg::PLL_FREQ_MHZ) = mhz;
  advance(kPllLockNs);
}

void ChipModel::write_reg(std::uint32_t address, std::uint32_t value) {
  const auto& info = lookup(address);
  advance(kRegisterAccessNs);
  std::uint32_t& slot = registers_[register_index(&info)];
  switch (info.access) {
    case chip::Access::ro:
      throw AddressError(ErrorCode::read_only,
                         fmt::format("register 0x{:04x} {} is read-only", address, info.name));
    case chip::Access::w1c:
      slot = apply_register_faults(address, slot & ~(value & info.writable_mask));
      return;
    case chip::Access::rw:
      break;
  }
  const std::uint32_t v = (slot & ~info.writable_mask) | (value & info.writable_mask);
  switch (address) {
    case chip::reg::VDD_CORE_MV:
      set_core_voltage(v & 0xFFFF);
      return;
    case chip::reg::VDD_HBM_MV:
      set_hbm_voltage(v & 0xFFFF);
      return;
    case chip::reg::PLL_FREQ_MHZ:
      set_frequency(v & 0xFFFF);
      return;
    case chip::reg::HBM_REFRESH_US:
      if (v < 1000 || v > 10'000'000)
        throw DeviceError(ErrorCode::device,
                          fmt::format("HBM_REFRESH_US {} us is outside 1000..10000000 us", v));
      slot = v;
      hbm_->set_refresh(hbm_->refresh_enabled(), std::chrono::microseconds(v));
      return;
    case chip::reg::HBM_REFRESH_CTRL:
      slot = v;
      hbm_->set_refresh((v & chip::bits::REFRESH_ENABLE) != 0,
                        std::chrono::microseconds(reg(chip::reg::HBM_REFRESH_US)));
      return;
    case chip::reg::MBIST_HAMMER_CTRL:
      if ((v & chip::bits::MBIST_HAMMER_GO) != 0) {
        if ((reg(chip::reg::MBIST_CTRL) & chip::bits::MBIST_ENABLE) == 0)
          throw DeviceError(ErrorCode::device, "the MBIST engine is disabled (MBIST_CTRL.ENABLE = 0)");
        const std::uint32_t bank = reg(chip::reg::MBIST_HAMMER_BANK);
        const std::uint32_t row = reg(chip::reg::MBIST_HAMMER_ROW);
        if (bank >= geometry_.total_banks() || row >= geometry_.rows)
          throw AddressError(
              ErrorCode::address,
              fmt::format("MBIST hammer target bank {} row {} lies outside the HBM ({} banks of {} "
                          "rows)",
                          bank, row, geometry_.total_banks(), geometry_.rows));
        if ((v & chip::bits::MBIST_HAMMER_DOUBLE) != 0)
          hbm_->hammer_double_sided(bank, row, reg(chip::reg::MBIST_HAMMER_COUNT));
        else
          hbm_->hammer(bank, row, reg(chip::reg::MBIST_HAMMER_COUNT));
      }
      slot = 0;  // self-clearing
      return;
    case chip::reg::ECC_CTRL:
      slot = v;
      hbm_->set_ecc_enabled((v & chip::bits::ECC_ENABLE) != 0);
      return;
    case chip::reg::ECC_INJECT_CTRL:
      if ((v & chip::bits::ECC_INJECT_GO) != 0) {
        const std::uint64_t addr =
            std::uint64_t{reg(chip::reg::ECC_INJECT_ADDR_HI)} << 32 | reg(chip::reg::ECC_INJECT_ADDR_LO);
        const std::uint64_t mask =
            std::uint64_t{reg(chip::reg::ECC_INJECT_MASK_HI)} << 32 | reg(chip::reg::ECC_INJECT_MASK_LO);
        if (addr >= geometry_.bytes())
          throw AddressError(ErrorCode::address,
                             fmt::format("ECC_INJECT_ADDR 0x{:x} lies outside HBM (0x0..0x{:x})", addr,
                                         geometry_.bytes() - 1));
        hbm_->inject_error(addr / 8, mask);
      }
      slot = 0;  // self-clearing
      return;
    case chip::reg::CORE_ENABLE:
      slot = v & ~die_.harvest_mask & kCoreMask;  // fused-off cores cannot be enabled
      return;
    case chip::reg::CONTROL:
      slot = apply_register_faults(address,
                                   v & ~(chip::bits::CONTROL_SOFT_RESET | chip::bits::CONTROL_CLEAR_TRIP));
      if ((v & chip::bits::CONTROL_CLEAR_TRIP) != 0 && temperature_c_ < physics::kTripC - 10.0)
        reg(chip::reg::STATUS) &= ~chip::bits::STATUS_THERMAL_TRIP;
      if ((v & chip::bits::CONTROL_SOFT_RESET) != 0) power_on_reset();
      return;
    default:
      slot = apply_register_faults(address, v);
      return;
  }
}

// ---- memory ----------------------------------------------------------------------------------------

std::vector<std::uint8_t>* ChipModel::sram_at(std::uint64_t address, std::uint64_t& offset) {
  if (address < chip::kSramBase) return nullptr;
  const std::uint64_t core = (address - chip::kSramBase) / chip::kSramStride;
  if (core >= sram_.size()) return nullptr;
  offset = (address - chip::kSramBase) % chip::kSramStride;
  return &sram_[static_cast<std::size_t>(core)];
}

void ChipModel::check_memory_range(std::uint64_t address, std::uint64_t length) const {
  const std::uint64_t hbm = geometry_.bytes();
  if (address <= hbm && length <= hbm - address) return;
  if (address >= chip::kSramBase) {
    const std::uint64_t core = (address - chip::kSramBase) / chip::kSramStride;
    const std::uint64_t offset = (address - chip::kSramBase) % chip::kSramStride;
    const std::uint64_t size = std::uint64_t{config_.sram_kib} << 10;
    if (core < static_cast<std::uint64_t>(kCoreCount) && offset <= size && length <= size - offset) return;
  }
  throw AddressError(
      ErrorCode::address,
      fmt::format("memory range 0x{:x}+{} lies outside device memory (HBM 0x0..0x{:x}, {} MiB; SRAM of core "
                  "k at 0x{:x} + k * 0x{:x}, {} KiB each)",
                  address, length, hbm - 1, hbm >> 20, chip::kSramBase, chip::kSramStride, config_.sram_kib));
}

void ChipModel::sync_ecc() {
  const EccStatus& e = hbm_->ecc_status();
  if (e.corrected == ecc_seen_corrected_ && e.uncorrectable == ecc_seen_uncorrectable_) return;
  auto bump = [&](std::uint32_t address, std::uint64_t delta) {
    std::uint32_t& r = reg(address);
    r = static_cast<std::uint32_t>(std::min<std::uint64_t>(std::uint64_t{r} + delta, 0xFFFFFFFFu));
  };
  if (e.corrected > ecc_seen_corrected_) {
    bump(chip::reg::ECC_CE_COUNT, e.corrected - ecc_seen_corrected_);
    reg(chip::reg::INT_STATUS) |= chip::bits::INT_ECC_CORRECTED;
  }
  if (e.uncorrectable > ecc_seen_uncorrectable_) {
    bump(chip::reg::ECC_UE_COUNT, e.uncorrectable - ecc_seen_uncorrectable_);
    reg(chip::reg::INT_STATUS) |= chip::bits::INT_ECC_UNCORRECTABLE;
    reg(chip::reg::STATUS) |= chip::bits::STATUS_ERROR;
  }
  ecc_seen_corrected_ = e.corrected;
  ecc_seen_uncorrectable_ = e.uncorrectable;
  if (e.last_error_address) {
    reg(chip::reg::ECC_ERR_ADDR_LO) = static_cast<std::uint32_t>(*e.last_error_address);
    reg(chip::reg::ECC_ERR_ADDR_HI) = static_cast<std::uint32_t>(*e.last_error_address >> 32);
    reg(chip::reg::ECC_ERR_INFO) =
        chip::bits::ECC_INFO_VALID | (e.last_error_uncorrectable ? chip::bits::ECC_INFO_UNCORRECTABLE : 0u);
  }
}

void ChipModel::memory_read(std::uint64_t address, std::span<std::uint8_t> out) {
  check_memory_range(address, out.size());
  std::uint64_t offset = 0;
  if (auto* sram = sram_at(address, offset)) {
    if (!out.empty()) std::memcpy(out.data(), sram->data() + offset, out.size());
    return;
  }
  hbm_->read(address, out);
  advance(HbmArray::transfer_ns(out.size()));
  sync_ecc();
}

void ChipModel::memory_write(std::uint64_t address, std::span<const std::uint8_t> data) {
  check_memory_range(address, data.size());
  std::uint64_t offset = 0;
  if (auto* sram = sram_at(address, offset)) {
    if (!data.empty()) std::memcpy(sram->data() + offset, data.data(), data.size());
    return;
  }
  hbm_->write(address, data);
  advance(HbmArray::transfer_ns(data.size()));
}

// ---- long operations -------------------------------------------------------------------------------

void ChipModel::handle_mbist(protocol::PayloadReader& request, protocol::PayloadWriter& response) {
  const auto m = protocol::decode_mbist_request(request.rest());
  if ((reg(chip::reg::MBIST_CTRL) & chip::bits::MBIST_ENABLE) == 0)
    throw DeviceError(ErrorCode::device, "the MBIST engine is disabled (MBIST_CTRL.ENABLE = 0)");
  if (m.address % 8 != 0 || m.length % 8 != 0)
    throw AddressError(ErrorCode::address,
                       fmt::format("MBIST region 0x{:x}+{} is not 8-byte aligned", m.address, m.length));
  if (m.address > geometry_.bytes() || m.length > geometry_.bytes() - m.address)
    throw AddressError(ErrorCode::address, fmt::format("MBIST region 0x{:x}+{} lies outside HBM 0x0..0x{:x}",
                                                       m.address, m.length, geometry_.bytes() - 1));
  const chip::MarchAlgorithm algorithm = chip::decode_march(m.program);
  constexpr std::uint64_t kMaxDelayUs = 3'600'000'000;  // an hour: longer is a mistake, not a test
  if (m.retention_delay_us > kMaxDelayUs)
    throw InvalidArgumentError(
        ErrorCode::invalid_argument,
        fmt::format("MBIST retention delay of {} us exceeds an hour", m.retention_delay_us));
  for (const auto& e : algorithm.elements)
    if (e.is_delay && static_cast<std::uint64_t>(e.delay.count()) > kMaxDelayUs)
      throw InvalidArgumentError(
          ErrorCode::invalid_argument,
          fmt::format("MBIST delay element of {} us exceeds an hour", e.delay.count()));
  chip::MarchOptions options;
  options.first_word = m.address / 8;
  options.words = m.length / 8;
  options.background = {.pattern = m.pattern, .invert_mask = m.invert_mask};
  options.any_order = m.any_order == 1 ? chip::AddressOrder::down : chip::AddressOrder::up;
  options.retention_delay = std::chrono::microseconds(m.retention_delay_us);
  options.max_fails = m.max_fails;
  const std::uint64_t start = now_ns_;
  reg(chip::reg::MBIST_STATUS) = 0;
  const chip::MarchResult r = chip::run_march(algorithm, *hbm_, options);
  protocol::MbistResponse out;
  out.fail_count = r.fail_count;
  out.operations = r.operations;
  out.device_ns = now_ns_ - start;
  out.fails.reserve(r.fails.size());
  for (const auto& f : r.fails)
    out.fails.push_back(
        {.word = f.word, .expected = f.expected, .actual = f.actual, .element = f.element, .op = f.op});
  reg(chip::reg::MBIST_STATUS) = chip::bits::MBIST_DONE | (r.fail_count > 0 ? chip::bits::MBIST_FAILED : 0u);
  reg(chip::reg::MBIST_FAIL_COUNT) =
      static_cast<std::uint32_t>(std::min<std::uint64_t>(r.fail_count, 0xFFFFFFFFu));
  const std::uint64_t first = r.fails.empty() ? 0 : r.fails.front().word * 8;
  reg(chip::reg::MBIST_FAIL_ADDR_LO) = static_cast<std::uint32_t>(first);
  reg(chip::reg::MBIST_FAIL_ADDR_HI) = static_cast<std::uint32_t>(first >> 32);
  reg(chip::reg::INT_STATUS) |= chip::bits::INT_MBIST_DONE;
  response.bytes(protocol::encode(out));
}

void ChipModel::handle_tensor(protocol::PayloadReader& request, protocol::PayloadWriter& response) {
  const std::uint32_t core = request.u32();
  const chip::TensorOp op = chip::decode_tensor_op(request.rest());
  if (core >= static_cast<std::uint32_t>(kCoreCount))
    throw InvalidArgumentError(
        ErrorCode::invalid_argument,
        fmt::format("tensor core {} does not exist (the die has {})", core, kCoreCount));
  auto refuse = [&](std::string why) {
    reg(chip::reg::CORE_ERROR) |= 1u << core;
    reg(chip::reg::INT_STATUS) |= chip::bits::INT_TENSOR_ERROR;
    throw DeviceError(ErrorCode::device,
                      fmt::format("tensor core {} refused {}: {}", core, chip::to_string(op.kind), why));
  };
  if ((die_.harvest_mask >> core & 1u) != 0)
    refuse(fmt::format("it is fused off (HARVEST_MASK 0x{:03x})", die_.harvest_mask));
  if ((reg(chip::reg::CORE_ENABLE) >> core & 1u) == 0)
    refuse(fmt::format("it is disabled (CORE_ENABLE 0x{:03x})", reg(chip::reg::CORE_ENABLE)));
  if ((reg(chip::reg::STATUS) & chip::bits::STATUS_THERMAL_TRIP) != 0)
    refuse(fmt::format("compute is halted by a thermal trip ({:.1f} degC)", temperature_c_));
  TensorAccess memory(*this);
  // Timing errors draw fresh for every operation: repeating the same work does not repeat them.
  const ExecConditions conditions{
      .timing_error_rate = physics::timing_error_rate(effective_mhz(), fmax_mhz()),
      .seed = mix64(die_.ecid ^ mix64(tensor_ops_ + 1))};
  const std::uint64_t start = now_ns_;
  const TensorStats stats = cores_[core]->execute(op, memory, conditions);
  const double cycles = static_cast<double>(stats.macs) / kMacsPerCycle;
  advance(static_cast<std::uint64_t>(cycles * 1000.0 / effective_mhz()) + 1, 1.0, 1.0);
  ++tensor_ops_;
  response.bytes(protocol::encode(protocol::TensorResponse{
      .macs = stats.macs, .elements = stats.elements, .device_ns = now_ns_ - start}));
}

void ChipModel::handle_hold(protocol::PayloadReader& request, protocol::PayloadWriter& response) {
  const auto m = protocol::decode_hold_request(request.rest());
  if ((m.core_mask & ~kCoreMask) != 0)
    throw InvalidArgumentError(
        ErrorCode::invalid_argument,
        fmt::format("hold: core mask 0x{:x} names cores beyond the {} on the die", m.core_mask, kCoreCount));
  if (m.duration_us > 86'400'000'000ull)
    throw InvalidArgumentError(ErrorCode::invalid_argument,
                               fmt::format("hold of {} us exceeds a day", m.duration_us));
  const std::uint32_t enabled = m.core_mask & reg(chip::reg::CORE_ENABLE);
  advance(m.duration_us * 1000, std::popcount(enabled), m.utilisation_permille / 1000.0);
  response.bytes(protocol::encode(sensors()));
}

void ChipModel::handle_operating_point(protocol::PayloadReader& request, protocol::PayloadWriter& response) {
  const auto m = protocol::decode_operating_point_request(request.rest());
  // Validate all before changing anything: a refused request leaves the operating point as it was.
  if (m.vdd_core_mv < 500 || m.vdd_core_mv > 1000 || m.frequency_mhz < 100 || m.frequency_mhz > 3000 ||
      (m.vdd_hbm_mv != 0 && (m.vdd_hbm_mv < 900 || m.vdd_hbm_mv > 1300)))
    throw DeviceError(ErrorCode::device,
                      fmt::format("operating point {} mV, {} MHz, HBM {} mV is outside the regulator and PLL "
                                  "ranges (core 500..1000 mV, 100..3000 MHz, HBM 900..1300 mV)",
                                  m.vdd_core_mv, m.frequency_mhz, m.vdd_hbm_mv));
  set_core_voltage(m.vdd_core_mv);
  if (m.vdd_hbm_mv != 0) set_hbm_voltage(m.vdd_hbm_mv);
  set_frequency(m.frequency_mhz);
  response.bytes(protocol::encode(sensors()));
}

// ---- dispatch --------------------------------------------------------------------------------------

void ChipModel::handle(Opcode op, protocol::PayloadReader& req, protocol::PayloadWriter& resp) {
  auto require = [&](chip::Capability c) {
    if ((capabilities() & chip::bit(c)) == 0)
      throw UnsupportedError(ErrorCode::unsupported,
                             fmt::format("{} is not supported by {}: it does not declare {}",
                                         protocol::opcode_name(static_cast<std::uint8_t>(op)), config_.model,
                                         chip::to_string(c)));
  };
  switch (op) {
    case Opcode::reg_batch:
      require(chip::Capability::register_batch);
      break;
    case Opcode::mem_fill:
      require(chip::Capability::memory_fill);
      break;
    case Opcode::mbist:
      require(chip::Capability::mbist);
      break;
    case Opcode::tensor:
    case Opcode::tensor_caps:
      require(chip::Capability::tensor);
      break;
    case Opcode::sensors:
      require(chip::Capability::sensors);
      break;
    case Opcode::hold:
    case Opcode::operating_point:
      require(chip::Capability::dvfs);
      break;
    case Opcode::reset:
      require(chip::Capability::reset);
      break;
    default:
      break;
  }
  switch (op) {
    case Opcode::ping:
      resp.bytes(req.rest());
      return;
    case Opcode::identify: {
      req.expect_end();
      protocol::IdentifyResponse m;
      m.chip_id = read_reg(chip::reg::CHIP_ID);
      m.revision = read_reg(chip::reg::REVISION);
      m.ecid = die_.ecid;
      m.capabilities = capabilities();
      m.memory_size = geometry_.bytes();
      m.model = config_.model;
      resp.bytes(protocol::encode(m));
      return;
    }
    case Opcode::reg_read: {
      const auto address = req.u32();
      req.expect_end();
      resp.u32(read_reg(address));
      return;
    }
    case Opcode::reg_write: {
      const auto address = req.u32();
      const auto value = req.u32();
      req.expect_end();
      write_reg(address, value);
      return;
    }
    case Opcode::reg_batch: {
      const auto batch = protocol::decode_reg_batch(req.rest());
      const auto& ops = batch.ops;
      std::vector<std::uint32_t> values;
      values.reserve(ops.size());
      for (std::size_t i = 0; i < ops.size(); ++i) {
        try {
          if (ops[i].kind == protocol::RegisterOp::Kind::read) {
            values.push_back(read_reg(ops[i].address));
          } else {
            write_reg(ops[i].address, ops[i].value);
            values.push_back(ops[i].value);
          }
        } catch (const Error& e) {
          rethrow_with_context(e, fmt::format("operation {}", std::uint64_t{batch.first_index} + i));
        }
      }
      resp.bytes(protocol::encode_reg_values(values));
      return;
    }
    case Opcode::mem_read: {
      const auto m = protocol::decode_mem_read(req.rest());
      check_memory_range(m.address, m.length);
      std::uint64_t offset = 0;
      if (sram_at(m.address, offset) == nullptr) {
        // Fault-free words answer straight from the array: passed by reference on a split-frame link,
        // else copied into the frame and checksummed in one pass.
        const auto plain = hbm_->plain_bytes(m.address, m.length);
        if (!plain.empty()) {
          resp.external(plain);
          advance(HbmArray::transfer_ns(m.length));
          return;
        }
      }
      memory_read(m.address, resp.extend_for_overwrite(m.length));
      return;
    }
    case Opcode::mem_write: {
      const auto address = req.u64();
      memory_write(address, req.rest());
      return;
    }
    case Opcode::mem_fill: {
      const auto m = protocol::decode_mem_fill(req.rest());
      check_memory_range(m.address, m.length);
      std::uint64_t offset = 0;
      if (auto* sram = sram_at(m.address, offset)) {
        for (std::uint64_t i = 0; i < m.length; ++i)
          (*sram)[offset + i] = static_cast<std::uint8_t>(m.pattern >> (8 * ((m.address + i) % 8)));
        return;
      }
      hbm_->fill(m.address, m.length, m.pattern);
      advance(HbmArray::transfer_ns(m.length));
      return;
    }
    case Opcode::reset: {
      const auto kind = req.u8();
      req.expect_end();
      if (kind > static_cast<std::uint8_t>(protocol::ResetKind::hard))
        req.fail(fmt::format("unknown reset kind {}", kind));
      power_on_reset();
      if (kind == static_cast<std::uint8_t>(protocol::ResetKind::hard)) {
        hbm_->clear();
        for (auto& s : sram_) std::fill(s.begin(), s.end(), std::uint8_t{0});
      }
      return;
    }
    case Opcode::mbist:
      handle_mbist(req, resp);
      return;
    case Opcode::tensor:
      handle_tensor(req, resp);
      return;
    case Opcode::tensor_caps: {
      req.expect_end();
      protocol::TensorCapabilities m{.cores = static_cast<std::uint32_t>(kCoreCount),
                                     .lanes_per_core = static_cast<std::uint32_t>(kLanesPerCore),
                                     .dtypes = (1u << chip::kDTypeCount) - 1u,
                                     .operators = {}};
      for (const auto kind : chip::known_kinds()) m.operators.push_back(static_cast<std::uint16_t>(kind));
      std::sort(m.operators.begin(), m.operators.end());
      resp.bytes(protocol::encode(m));
      return;
    }
    case Opcode::sensors:
      req.expect_end();
      resp.bytes(protocol::encode(sensors()));
      return;
    case Opcode::hold:
      handle_hold(req, resp);
      return;
    case Opcode::operating_point:
      handle_operating_point(req, resp);
      return;
  }
  throw UnsupportedError(ErrorCode::unsupported,
                         fmt::format("{} is not supported by {}",
                                     protocol::opcode_name(static_cast<std::uint8_t>(op)), config_.model));
}

}  // namespace seedval::sim

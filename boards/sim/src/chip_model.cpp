#include <algorithm>
#include <cmath>
#include <cstring>

#include <fmt/core.h>

#include <seedval/chip/registers.h>
#include <seedval/core/error.h>
#include <seedval/protocol/messages.h>
#include <seedval/sim/chip_model.h>

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

// Nominal figures of the idle die at 0.75 V, 1200 MHz.
constexpr double kNominalMv = 750.0, kNominalMhz = 1200.0;
constexpr double kIdleDynamicW = 3.0, kNominalLeakageW = 1.2, kThetaJaCPerW = 2.0;

}  // namespace

ChipModel::ChipModel(const ChipConfig& config, DieInstance die, std::vector<std::uint8_t> recycled)
    : config_(config), die_(std::move(die)), memory_(std::move(recycled)) {
  if (config_.memory_size == 0 || config_.memory_size % 8 != 0)
    throw InvalidArgumentError(
        ErrorCode::invalid_argument,
        fmt::format("device memory of {} bytes is not a positive multiple of 8", config_.memory_size));
  if (memory_.size() == config_.memory_size) {
    std::fill(memory_.begin(), memory_.end(), std::uint8_t{0});
  } else {
    memory_.assign(static_cast<std::size_t>(config_.memory_size), 0);
  }
  power_on_reset();
  apply_memory_faults(0, config_.memory_size);
}

std::uint64_t ChipModel::capabilities() {
  using chip::Capability;
  return chip::bit(Capability::register_batch) | chip::bit(Capability::memory_bulk) |
         chip::bit(Capability::memory_fill) | chip::bit(Capability::sensors) | chip::bit(Capability::dvfs) |
         chip::bit(Capability::reset);
}

void ChipModel::power_on_reset() {
  const auto map = chip::register_map();
  registers_.assign(map.size(), 0);
  for (std::size_t i = 0; i < map.size(); ++i) registers_[i] = map[i].reset_value;
  auto set = [&](std::uint32_t addr, std::uint32_t v) {
    registers_[register_index(chip::find_register(addr))] = v;
  };
  set(chip::reg::ECID_LO, static_cast<std::uint32_t>(die_.ecid));
  set(chip::reg::ECID_HI, static_cast<std::uint32_t>(die_.ecid >> 32));
  set(chip::reg::CAPS_LO, static_cast<std::uint32_t>(capabilities()));
  set(chip::reg::CAPS_HI, static_cast<std::uint32_t>(capabilities() >> 32));
  set(chip::reg::MEM_SIZE_LO, static_cast<std::uint32_t>(config_.memory_size));
  set(chip::reg::MEM_SIZE_HI, static_cast<std::uint32_t>(config_.memory_size >> 32));
}

std::uint32_t ChipModel::apply_register_faults(std::uint32_t address, std::uint32_t value) const {
  for (const auto& f : die_.register_stuck)
    if (f.address == address) value = f.value ? value | (1u << f.bit) : value & ~(1u << f.bit);
  return value;
}

double ChipModel::power_w() const {
  const double v = registers_[register_index(chip::find_register(chip::reg::VDD_CORE_MV))] / kNominalMv;
  const double f = registers_[register_index(chip::find_register(chip::reg::PLL_FREQ_MHZ))] / kNominalMhz;
  const double dynamic = kIdleDynamicW * v * v * f;
  // Leakage rises with the cube of voltage and doubles about every 28 degC; solve the small
  // temperature/leakage loop by fixed-point iteration.
  double t = die_.ambient_c, leakage = 0;
  for (int i = 0; i < 4; ++i) {
    leakage = kNominalLeakageW * die_.leakage_factor * v * v * v * std::exp((t - 25.0) / 40.0);
    t = die_.ambient_c + kThetaJaCPerW * (dynamic + leakage);
  }
  return dynamic + leakage;
}

double ChipModel::temperature_c() const {
  return die_.ambient_c + kThetaJaCPerW * power_w();
}

std::uint32_t ChipModel::read_reg(std::uint32_t address) {
  const auto& info = lookup(address);
  std::uint32_t value = registers_[register_index(&info)];
  switch (address) {
    case chip::reg::TEMP_DIE_MC:
      value = static_cast<std::uint32_t>(std::lround(temperature_c() * 1000.0));
      break;
    case chip::reg::POWER_MW:
      value = static_cast<std::uint32_t>(std::lround(power_w() * 1000.0));
      break;
    case chip::reg::VDD_SENSE_MV:
      value = registers_[register_index(chip::find_register(chip::reg::VDD_CORE_MV))];
      break;
    default:
      break;
  }
  return apply_register_faults(address, value);
}

void ChipModel::write_reg(std::uint32_t address, std::uint32_t value) {
  const auto& info = lookup(address);
  std::uint32_t& slot = registers_[register_index(&info)];
  switch (info.access) {
    case chip::Access::ro:
      throw AddressError(ErrorCode::read_only,
                         fmt::format("register 0x{:04x} {} is read-only", address, info.name));
    case chip::Access::w1c:
      slot &= ~(value & info.writable_mask);
      return;
    case chip::Access::rw:
      break;
  }
  if (address == chip::reg::VDD_CORE_MV && ((value & 0xFFFF) < 500 || (value & 0xFFFF) > 1000))
    throw DeviceError(
        ErrorCode::device,
        fmt::format("VDD_CORE_MV {} mV is outside the regulator range 500..1000 mV", value & 0xFFFF));
  if (address == chip::reg::PLL_FREQ_MHZ && ((value & 0xFFFF) < 100 || (value & 0xFFFF) > 3000))
    throw DeviceError(
        ErrorCode::device,
        fmt::format("PLL_FREQ_MHZ {} MHz is outside the PLL range 100..3000 MHz", value & 0xFFFF));
  slot = apply_register_faults(address, (slot & ~info.writable_mask) | (value & info.writable_mask));
  if (address == chip::reg::CONTROL && (value & chip::bits::CONTROL_SOFT_RESET) != 0) power_on_reset();
}

void ChipModel::check_range(std::uint64_t address, std::uint64_t length) const {
  if (address > config_.memory_size || length > config_.memory_size - address)
    throw AddressError(ErrorCode::address,
                       fmt::format("memory range 0x{:x}+{} lies outside device memory 0x0..0x{:x} ({} MiB)",
                                   address, length, config_.memory_size - 1, config_.memory_size >> 20));
}

void ChipModel::apply_memory_faults(std::uint64_t address, std::uint64_t length) {
  const auto end = address + length;
  auto it = std::lower_bound(die_.memory_stuck.begin(), die_.memory_stuck.end(), address,
                             [](const MemoryStuckBit& f, std::uint64_t a) { return f.address < a; });
  for (; it != die_.memory_stuck.end() && it->address < end; ++it) {
    auto& byte = memory_[static_cast<std::size_t>(it->address)];
    const auto mask = static_cast<std::uint8_t>(1u << it->bit);
    byte = it->value ? static_cast<std::uint8_t>(byte | mask) : static_cast<std::uint8_t>(byte & ~mask);
  }
}

void ChipModel::handle(Opcode op, protocol::PayloadReader& req, protocol::PayloadWriter& resp) {
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
      m.memory_size = config_.memory_size;
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
      check_range(m.address, m.length);
      std::memcpy(resp.extend(m.length), memory_.data() + m.address, m.length);
      return;
    }
    case Opcode::mem_write: {
      const auto address = req.u64();
      const auto data = req.rest();
      check_range(address, data.size());
      if (!data.empty()) std::memcpy(memory_.data() + address, data.data(), data.size());
      apply_memory_faults(address, data.size());
      return;
    }
    case Opcode::mem_fill: {
      const auto m = protocol::decode_mem_fill(req.rest());
      check_range(m.address, m.length);
      // Byte at absolute address a holds pattern byte a mod 8: whole aligned words take the pattern as is.
      auto byte_at = [&](std::uint64_t a) { return static_cast<std::uint8_t>(m.pattern >> (8 * (a % 8))); };
      std::uint64_t a = m.address;
      const std::uint64_t end = m.address + m.length;
      for (; a < end && a % 8 != 0; ++a) memory_[a] = byte_at(a);
      for (; a + 8 <= end; a += 8) std::memcpy(memory_.data() + a, &m.pattern, 8);
      for (; a < end; ++a) memory_[a] = byte_at(a);
      apply_memory_faults(m.address, m.length);
      return;
    }
    case Opcode::reset: {
      const auto kind = req.u8();
      req.expect_end();
      if (kind > static_cast<std::uint8_t>(protocol::ResetKind::hard))
        req.fail(fmt::format("unknown reset kind {}", kind));
      power_on_reset();
      if (kind == static_cast<std::uint8_t>(protocol::ResetKind::hard)) {
        std::fill(memory_.begin(), memory_.end(), std::uint8_t{0});
        apply_memory_faults(0, config_.memory_size);
      }
      return;
    }
  }
  throw UnsupportedError(ErrorCode::unsupported,
                         fmt::format("{} is not supported by {}",
                                     protocol::opcode_name(static_cast<std::uint8_t>(op)), config_.model));
}

}  // namespace seedval::sim

// seedval reg: read, write and list chip registers by name or address, with fields decoded.
//
//   seedval reg read STATUS            0x0034 STATUS = 0x00000003 (ro) and one line per field
//   seedval reg write SCRATCH0 0xA5A5A5A5
//   seedval reg list                   the register map
#include <cstdio>
#include <iostream>
#include <memory>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <seedval/boards/board.h>
#include <seedval/chip/registers.h>
#include <seedval/core/error.h>
#include <seedval/device/device.h>

#include "common.h"

namespace seedval::cli {
namespace {

struct RegOptions {
  std::string board{kDefaultBoard};
  std::string target;
  std::string value;
  bool json = false;
};

/// A register by name (case-insensitive) or by address; addresses outside the map are still allowed so
/// the chip's own answer (a reserved-address error) is what the engineer sees.
std::uint32_t resolve(const std::string& target, const chip::RegisterInfo*& info) {
  if (!target.empty() && (std::isdigit(static_cast<unsigned char>(target[0])) != 0)) {
    const std::uint64_t a = parse_number(target, "register address");
    if (a > 0xFFFFFFFFu)
      throw InvalidArgumentError(ErrorCode::invalid_argument,
                                 fmt::format("register address {} exceeds 32 bits", target));
    info = chip::find_register(static_cast<std::uint32_t>(a));
    return static_cast<std::uint32_t>(a);
  }
  info = &chip::register_by_name(target);
  return info->address;
}

nlohmann::json describe(std::uint32_t address, const chip::RegisterInfo* info, std::uint32_t value) {
  nlohmann::json j = {{"address", fmt::format("0x{:04x}", address)},
                      {"name", info ? std::string(info->name) : std::string()},
                      {"access", info ? std::string(chip::to_string(info->access)) : std::string()},
                      {"value", value},
                      {"hex", fmt::format("0x{:08x}", value)}};
  nlohmann::json fields = nlohmann::json::object();
  for (const auto& f : chip::fields_of(address)) fields[std::string(f.name)] = f.extract(value);
  j["fields"] = fields;
  return j;
}

void print(std::uint32_t address, const chip::RegisterInfo* info, std::uint32_t value) {
  fmt::print("0x{:04x} {} = 0x{:08x} ({}){}\n", address, info ? info->name : "?", value, value,
             info ? fmt::format(" [{}]", chip::to_string(info->access)) : "");
  for (const auto& f : chip::fields_of(address)) {
    const std::string bits =
        f.width == 1 ? fmt::format("[{}]", f.lsb) : fmt::format("[{}:{}]", f.lsb + f.width - 1, f.lsb);
    fmt::print("  {:<8} {:<18} = {:<6} {}\n", bits, f.name, f.extract(value), f.description);
  }
}

int reg_read(const RegOptions& o) {
  const chip::RegisterInfo* info = nullptr;
  const std::uint32_t address = resolve(o.target, info);
  auto board = open_board(o.board);
  Device dev(board->connect(), board->info().name);
  const std::uint32_t value = dev.read_register(address);
  if (o.json) {
    std::cout << describe(address, info, value).dump(2) << "\n";
  } else {
    print(address, info, value);
  }
  return kOk;
}

int reg_write(const RegOptions& o) {
  const chip::RegisterInfo* info = nullptr;
  const std::uint32_t address = resolve(o.target, info);
  const std::uint64_t value = parse_number(o.value, "register value");
  if (value > 0xFFFFFFFFu)
    throw InvalidArgumentError(ErrorCode::invalid_argument,
                               fmt::format("register value {} exceeds 32 bits", o.value));
  auto board = open_board(o.board);
  Device dev(board->connect(), board->info().name);
  dev.write_register(address, static_cast<std::uint32_t>(value));
  // Read back what the register holds now: self-clearing and masked bits show as the chip has them.
  const std::uint32_t now = dev.read_register(address);
  if (o.json) {
    auto j = describe(address, info, now);
    j["written"] = value;
    std::cout << j.dump(2) << "\n";
  } else {
    print(address, info, now);
  }
  return kOk;
}

int reg_list(const RegOptions& o) {
  if (o.json) {
    nlohmann::json all = nlohmann::json::array();
    for (const auto& r : chip::register_map()) {
      nlohmann::json fields = nlohmann::json::array();
      for (const auto& f : chip::fields_of(r.address))
        fields.push_back(
            {{"name", f.name}, {"lsb", f.lsb}, {"width", f.width}, {"description", f.description}});
      all.push_back({{"address", fmt::format("0x{:04x}", r.address)},
                     {"name", r.name},
                     {"access", chip::to_string(r.access)},
                     {"reset", fmt::format("0x{:08x}", r.reset_value)},
                     {"description", r.description},
                     {"fields", fields}});
    }
    std::cout << all.dump(2) << "\n";
    return kOk;
  }
  for (const auto& r : chip::register_map())
    fmt::print("0x{:04x}  {:<20} {:<4} reset 0x{:08x}  {}\n", r.address, r.name, chip::to_string(r.access),
               r.reset_value, r.description);
  return kOk;
}

}  // namespace

void add_reg(CLI::App& app) {
  auto o = std::make_shared<RegOptions>();
  auto* cmd = app.add_subcommand("reg", "read, write or list chip registers (names from the register map)");
  cmd->require_subcommand(1);
  auto* read = cmd->add_subcommand("read", "read a register and decode its fields");
  read->add_option("register", o->target, "register name (e.g. STATUS) or address (e.g. 0x34)")->required();
  auto* write = cmd->add_subcommand("write", "write a register, then read it back");
  write->add_option("register", o->target, "register name or address")->required();
  write->add_option("value", o->value, "value: decimal, 0x hex or 0b binary")->required();
  auto* list = cmd->add_subcommand("list", "print the register map");
  for (auto* sub : {read, write, list}) {
    sub->add_option("--board,-b", o->board, board_option_help())->capture_default_str();
    sub->add_flag("--json", o->json, "print JSON instead of text");
  }
  read->callback([o] { throw ExitRequest{guarded("reg read", [&] { return reg_read(*o); })}; });
  write->callback([o] { throw ExitRequest{guarded("reg write", [&] { return reg_write(*o); })}; });
  list->callback([o] { throw ExitRequest{guarded("reg list", [&] { return reg_list(*o); })}; });
}

}  // namespace seedval::cli

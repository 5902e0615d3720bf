// seedval mem: device memory on the bench.
//
//   seedval mem read 0x1000 64                 64-bit words, four per line
//   seedval mem dump 0x1000 256                hex and ASCII, 16 bytes per line
//   seedval mem read 0 16M --out hbm.bin       raw bytes to a file
//   seedval mem write 0x1000 0xDEADBEEF 0x1    64-bit little-endian words (--width 1, 2, 4 or 8)
//   seedval mem write 0x1000 --in image.bin    a file's bytes
//   seedval mem fill 0 1M 0x5555555555555555   a repeating 64-bit pattern
#include <cctype>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <vector>

#include <fmt/core.h>

#include <seedval/boards/board.h>
#include <seedval/core/error.h>
#include <seedval/device/device.h>

#include "common.h"

namespace seedval::cli {
namespace {

struct MemOptions {
  std::string board{kDefaultBoard};
  std::string address;
  std::string length;
  std::vector<std::string> values;
  std::string pattern;
  std::string in, out;
  int width = 8;
};

constexpr std::uint64_t kMaxPrinted = 16u << 20;  // beyond this, printing is a mistake: use --out

void write_file(const std::string& path, std::span<const std::uint8_t> data) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  f.close();
  if (!f) throw IoError(ErrorCode::io, fmt::format("cannot write {} bytes to {}", data.size(), path));
}

std::vector<std::uint8_t> read_region(const MemOptions& o, std::uint64_t& address) {
  address = parse_number(o.address, "address", true);
  const std::uint64_t length = parse_number(o.length, "length", true);
  if (o.out.empty() && length > kMaxPrinted)
    throw InvalidArgumentError(
        ErrorCode::invalid_argument,
        fmt::format("{} bytes are too many to print; write them to a file with --out", length));
  auto board = open_board(o.board);
  Device dev(board->connect(), board->info().name);
  return dev.read_memory(address, static_cast<std::size_t>(length));
}

// With --out, writes the bytes read to the file and says so; false when they are to be printed.
bool saved_to_file(const MemOptions& o, std::uint64_t address, std::span<const std::uint8_t> data) {
  if (o.out.empty()) return false;
  write_file(o.out, data);
  fmt::print("{} bytes from 0x{:x} written to {}\n", data.size(), address, o.out);
  return true;
}

int mem_read(const MemOptions& o) {
  std::uint64_t address = 0;
  const auto data = read_region(o, address);
  if (saved_to_file(o, address, data)) return kOk;
  std::string line;
  for (std::size_t i = 0; i < data.size(); i += 8) {
    if (i % 32 == 0) {
      if (!line.empty()) fmt::print("{}\n", line);
      line = fmt::format("0x{:010x}:", address + i);
    }
    std::uint64_t word = 0;
    const std::size_t n = std::min<std::size_t>(8, data.size() - i);
    for (std::size_t b = 0; b < n; ++b) word |= std::uint64_t{data[i + b]} << (8 * b);
    line += n == 8 ? fmt::format(" 0x{:016x}", word) : fmt::format(" 0x{:0{}x}", word, 2 * n);
  }
  if (!line.empty()) fmt::print("{}\n", line);
  return kOk;
}

int mem_dump(const MemOptions& o) {
  std::uint64_t address = 0;
  const auto data = read_region(o, address);
  if (saved_to_file(o, address, data)) return kOk;
  for (std::size_t i = 0; i < data.size(); i += 16) {
    std::string hex, text;
    for (std::size_t b = 0; b < 16; ++b) {
      if (b == 8) hex += ' ';
      if (i + b < data.size()) {
        const std::uint8_t c = data[i + b];
        hex += fmt::format(" {:02x}", c);
        text += std::isprint(c) != 0 ? static_cast<char>(c) : '.';
      } else {
        hex += "   ";
      }
    }
    fmt::print("{:010x} {}  |{}|\n", address + i, hex, text);
  }
  return kOk;
}

int mem_write(const MemOptions& o) {
  const std::uint64_t address = parse_number(o.address, "address", true);
  std::vector<std::uint8_t> data;
  if (!o.in.empty()) {
    if (!o.values.empty())
      throw InvalidArgumentError(ErrorCode::invalid_argument, "give values or --in FILE, not both");
    std::ifstream f(o.in, std::ios::binary);
    if (!f) throw IoError(ErrorCode::io, fmt::format("cannot open {}", o.in));
    data.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    if (f.bad()) throw IoError(ErrorCode::io, fmt::format("cannot read {}", o.in));
  } else {
    if (o.values.empty())
      throw InvalidArgumentError(ErrorCode::invalid_argument, "nothing to write: give values or --in FILE");
    for (const auto& text : o.values) {
      const std::uint64_t v = parse_number(text, "value");
      if (o.width < 8 && v >> (8 * o.width) != 0)
        throw InvalidArgumentError(ErrorCode::invalid_argument,
                                   fmt::format("value {} does not fit in {} bytes (--width)", text, o.width));
      for (int b = 0; b < o.width; ++b) data.push_back(static_cast<std::uint8_t>(v >> (8 * b)));
    }
  }
  auto board = open_board(o.board);
  Device dev(board->connect(), board->info().name);
  dev.write_memory(address, data);
  fmt::print("{} bytes written at 0x{:x}\n", data.size(), address);
  return kOk;
}

int mem_fill(const MemOptions& o) {
  const std::uint64_t address = parse_number(o.address, "address", true);
  const std::uint64_t length = parse_number(o.length, "length", true);
  const std::uint64_t pattern = parse_number(o.pattern, "pattern");
  auto board = open_board(o.board);
  Device dev(board->connect(), board->info().name);
  dev.fill_memory(address, length, pattern);
  fmt::print("{} bytes at 0x{:x} filled with 0x{:016x}\n", length, address, pattern);
  return kOk;
}

}  // namespace

void add_mem(CLI::App& app) {
  auto o = std::make_shared<MemOptions>();
  auto* cmd = app.add_subcommand("mem", "read, write, fill or dump device memory");
  cmd->require_subcommand(1);
  const char* kAddressHelp = "byte address: decimal, 0x hex, K/M/G suffixes";
  auto* read = cmd->add_subcommand("read", "print 64-bit words (or write raw bytes to --out)");
  auto* dump = cmd->add_subcommand("dump", "print a hex and ASCII dump (or write raw bytes to --out)");
  for (auto* sub : {read, dump}) {
    sub->add_option("address", o->address, kAddressHelp)->required();
    sub->add_option("length", o->length, "bytes, e.g. 256, 0x100, 4K, 16M")->required();
    sub->add_option("--out,-o", o->out, "write the raw bytes to this file instead of printing");
  }
  auto* write = cmd->add_subcommand("write", "write values (or a file's bytes) at an address");
  write->add_option("address", o->address, kAddressHelp)->required();
  write->add_option("values", o->values, "values, each --width bytes, little-endian");
  write->add_option("--in,-i", o->in, "write this file's bytes");
  write->add_option("--width,-w", o->width, "bytes per value: 1, 2, 4 or 8")
      ->check(CLI::IsMember({1, 2, 4, 8}))
      ->capture_default_str();
  auto* fill = cmd->add_subcommand("fill", "fill a range with a repeating 64-bit pattern (on the device)");
  fill->add_option("address", o->address, kAddressHelp)->required();
  fill->add_option("length", o->length, "bytes, e.g. 1M")->required();
  fill->add_option("pattern", o->pattern, "64-bit pattern, anchored to absolute addresses")->required();
  for (auto* sub : {read, dump, write, fill})
    sub->add_option("--board,-b", o->board, board_option_help())->capture_default_str();
  read->callback([o] { throw ExitRequest{guarded("mem read", [&] { return mem_read(*o); })}; });
  dump->callback([o] { throw ExitRequest{guarded("mem dump", [&] { return mem_dump(*o); })}; });
  write->callback([o] { throw ExitRequest{guarded("mem write", [&] { return mem_write(*o); })}; });
  fill->callback([o] { throw ExitRequest{guarded("mem fill", [&] { return mem_fill(*o); })}; });
}

}  // namespace seedval::cli

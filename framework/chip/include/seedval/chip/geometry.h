// HBM organisation and the logical→physical address map, shared by the chip model (which stores cells
// by physical location) and the host (which names failing cells in fail bitmaps and aims RowHammer).
//
// Device memory is an array of 64-bit words (the SECDED granule). A word lives at
// (stack, channel, bank, row, column); a cell is one bit of a word. Every dimension is a power of two.
//
// The address map is a permutation of the bits of the word index (byte address / 8). From the least
// significant bit up:
//
//   bits          field        why
//   2             column[1:0]  a 32-byte burst stays in one row of one channel
//   log2(C)       channel      consecutive bursts spread over the channels (bandwidth)
//   log2(S)       stack        ... and over the stacks
//   log2(B)       bank         ... and over the banks, so a linear sweep keeps many rows open
//   log2(Col)-2   column[..:2] the rest of the row
//   log2(R)       row          rows change slowest: a row is a contiguous set of bursts per bank
//
//   chip::HbmGeometry g = chip::HbmGeometry::for_size(16 << 20);
//   chip::PhysicalAddress p = g.to_physical(0x12340 / 8);   // {stack, channel, bank, row, column}
//   assert(g.to_word(p) == 0x12340 / 8);
#pragma once

#include <cstdint>
#include <string>

namespace seedval::chip {

/// Device address space: HBM from 0; the on-chip SRAM of tensor core k at kSramBase + k · kSramStride.
inline constexpr std::uint64_t kSramBase = std::uint64_t{1} << 40;
inline constexpr std::uint64_t kSramStride = std::uint64_t{1} << 32;

/// Where a word is in the HBM array.
struct PhysicalAddress {
  std::uint32_t stack = 0;
  std::uint32_t channel = 0;
  std::uint32_t bank = 0;
  std::uint32_t row = 0;
  std::uint32_t column = 0;  ///< word within the row
  friend bool operator==(const PhysicalAddress&, const PhysicalAddress&) = default;
};

/// "s1.c3.b5.r0123.c017"
std::string to_string(const PhysicalAddress& p);

struct HbmGeometry {
  std::uint32_t stacks = 2;
  std::uint32_t channels = 4;   ///< per stack
  std::uint32_t banks = 8;      ///< per channel
  std::uint32_t rows = 256;     ///< per bank
  std::uint32_t columns = 128;  ///< 64-bit words per row

  friend bool operator==(const HbmGeometry&, const HbmGeometry&) = default;

  /// The default organisation (2 stacks × 4 channels × 8 banks × 128 columns) with as many rows as
  /// `bytes` needs. Throws InvalidArgumentError unless `bytes` is a power of two that fits.
  static HbmGeometry for_size(std::uint64_t bytes);
  /// Throws InvalidArgumentError naming the dimension that is not a power of two or out of range.
  void validate() const;

  std::uint64_t words() const noexcept { return std::uint64_t{stacks} * channels * banks * rows * columns; }
  std::uint64_t bytes() const noexcept { return words() * 8; }
  /// Banks in the whole device (stacks × channels × banks): the unit of repair and of RowHammer.
  std::uint32_t total_banks() const noexcept { return stacks * channels * banks; }
  /// A flat bank number 0..total_banks()-1.
  std::uint32_t bank_index(const PhysicalAddress& p) const noexcept {
    return (p.stack * channels + p.channel) * banks + p.bank;
  }

  PhysicalAddress to_physical(std::uint64_t word) const noexcept;
  std::uint64_t to_word(const PhysicalAddress& p) const noexcept;

  /// The geometry as the HBM_GEOMETRY register holds it: log2 of each dimension, 5 bits each
  /// (stacks 4:0, channels 9:5, banks 14:10, rows 19:15, columns 24:20).
  std::uint32_t encode() const noexcept;
  /// Throws DeviceError if a field is out of range.
  static HbmGeometry decode(std::uint32_t reg);

  /// "2 stacks × 4 channels × 8 banks × 256 rows × 128 columns (16 MiB)"
  std::string describe() const;
};

}  // namespace seedval::chip

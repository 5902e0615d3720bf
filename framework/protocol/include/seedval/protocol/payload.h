// Little-endian payload encoding with bounds-checked reading.
//
//   PayloadWriter w;  w.u64(address); w.u32(length);
//   PayloadReader r(frame.payload, "mem_read request");
//   auto address = r.u64(); auto length = r.u32(); r.expect_end();
//
// A read past the end throws ProtocolError naming the payload, the field offset and what was missing.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace seedval::protocol {

class PayloadWriter {
 public:
  PayloadWriter() = default;
  /// Writes into `storage` (reusing its capacity) after `headroom` bytes kept for a frame header; see
  /// protocol::finish_frame().
  PayloadWriter(std::vector<std::uint8_t>&& storage, std::size_t headroom);

  void u8(std::uint8_t v) { bytes_.push_back(v); }
  void u16(std::uint16_t v) { put(v, 2); }
  void u32(std::uint32_t v) { put(v, 4); }
  void u64(std::uint64_t v) { put(v, 8); }
  void bytes(std::span<const std::uint8_t> data) { bytes_.insert(bytes_.end(), data.begin(), data.end()); }
  /// A string as u16 length + bytes; longer strings are cut at 65535 bytes.
  void string(std::string_view s);
  void reserve(std::size_t n) { bytes_.reserve(n); }
  /// Appends `n` zero bytes and returns where they start, for callers that fill them in place.
  std::uint8_t* extend(std::size_t n);
  /// The payload written so far (after any headroom).
  std::span<const std::uint8_t> data() const { return std::span(bytes_).subspan(headroom_); }
  /// The payload as a vector; only for writers without headroom.
  std::vector<std::uint8_t>&& take() && { return std::move(bytes_); }
  std::size_t size() const { return bytes_.size() - headroom_; }
  std::size_t headroom() const { return headroom_; }
  /// The whole buffer, headroom included (for finish_frame).
  std::vector<std::uint8_t>& buffer() { return bytes_; }

 private:
  void put(std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) bytes_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  std::vector<std::uint8_t> bytes_;
  std::size_t headroom_ = 0;
};

class PayloadReader {
 public:
  /// `what` names the payload in errors, e.g. "reg_batch request"; it must outlive the reader.
  PayloadReader(std::span<const std::uint8_t> data, std::string_view what) : data_(data), what_(what) {}

  std::uint8_t u8() { return static_cast<std::uint8_t>(get(1, "u8")); }
  std::uint16_t u16() { return static_cast<std::uint16_t>(get(2, "u16")); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(get(4, "u32")); }
  std::uint64_t u64() { return get(8, "u64"); }
  std::span<const std::uint8_t> bytes(std::size_t n);
  std::string string();
  /// Everything not read yet.
  std::span<const std::uint8_t> rest();
  std::size_t remaining() const { return data_.size() - pos_; }
  /// Throws ProtocolError if bytes are left over.
  void expect_end() const;
  /// Throws ProtocolError "<what>: <message>".
  [[noreturn]] void fail(std::string_view message) const;

 private:
  std::uint64_t get(std::size_t n, std::string_view type);
  std::span<const std::uint8_t> data_;
  std::string_view what_;
  std::size_t pos_ = 0;
};

}  // namespace seedval::protocol

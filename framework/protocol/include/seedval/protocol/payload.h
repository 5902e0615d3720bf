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
  /// Writes into `storage` (reusing its capacity, and its size: a buffer that held a large frame is not
  /// cleared or zeroed again) after `headroom` bytes kept for a frame header; see
  /// protocol::finish_frame().
  PayloadWriter(std::vector<std::uint8_t>&& storage, std::size_t headroom);

  void u8(std::uint8_t v) { *grow(1) = v; }
  void u16(std::uint16_t v) { put(v, 2); }
  void u32(std::uint32_t v) { put(v, 4); }
  void u64(std::uint64_t v) { put(v, 8); }
  void bytes(std::span<const std::uint8_t> data);
  /// Appends `data` like bytes(), computing its CRC-32C in the same pass (crc32c_copy), so that
  /// finish_frame() does not read those bytes again. For bulk data: a memory write's payload, a memory
  /// read's response. Bytes written before it are checksummed here too (once; they are usually a few
  /// fields), so bytes handed out by extend() must be filled in before the next write.
  void bulk(std::span<const std::uint8_t> data);
  /// Ends the payload with `data` without copying it: the bytes stay where they are (the device's
  /// memory) and must not change until the response is consumed. A split-frame response passes them by
  /// reference; finish_frame() copies them in as bulk() would. Nothing may be written after them.
  void external(std::span<const std::uint8_t> data) { external_ = data; }
  std::span<const std::uint8_t> external() const { return external_; }
  /// Copies external bytes into the buffer (bulk()) and forgets them.
  void flatten_external();
  /// A string as u16 length + bytes; longer strings are cut at 65535 bytes.
  void string(std::string_view s);
  void reserve(std::size_t n) { bytes_.reserve(n); }
  /// Appends `n` zero bytes and returns where they start, for callers that fill them in place.
  std::uint8_t* extend(std::size_t n);
  /// Appends `n` bytes of unspecified content (nothing is zeroed) for a caller that overwrites all of
  /// them at once, e.g. a memory read filling its response in place. Fill them before the next write.
  std::span<std::uint8_t> extend_for_overwrite(std::size_t n) { return {grow(n), n}; }
  /// The payload written so far (after any headroom).
  std::span<const std::uint8_t> data() const { return {bytes_.data() + headroom_, size_ - headroom_}; }
  /// The payload as a vector; only for writers without headroom.
  std::vector<std::uint8_t>&& take() && {
    bytes_.resize(size_);
    return std::move(bytes_);
  }
  std::size_t size() const { return size_ - headroom_; }
  std::size_t headroom() const { return headroom_; }
  /// The whole buffer, headroom included, cut to what was written (for finish_frame). Forgets the
  /// CRC recorded by bulk(): the caller may change the bytes.
  std::vector<std::uint8_t>& buffer();
  /// How many leading payload bytes bulk() has checksummed, and their CRC-32C; finish_frame() joins it
  /// with the header's instead of reading them again.
  std::size_t checksummed_size() const { return crc_end_ - headroom_; }
  std::uint32_t checksummed_crc() const { return crc_; }

 private:
  // Makes room for n more bytes and returns where they start. The vector may be longer than what was
  // written (size_): a reused buffer keeps its old bytes, so growing into them costs nothing.
  std::uint8_t* grow(std::size_t n) {
    if (bytes_.size() - size_ < n) bytes_.resize(size_ + n);
    std::uint8_t* p = bytes_.data() + size_;
    size_ += n;
    return p;
  }
  void put(std::uint64_t v, int n) {
    std::uint8_t* p = grow(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
  }
  std::vector<std::uint8_t> bytes_;
  std::size_t headroom_ = 0;
  std::size_t size_ = 0;     // bytes written, headroom included; bytes_ may be longer
  std::size_t crc_end_ = 0;  // crc_ is the CRC-32C of bytes_[headroom_, crc_end_)
  std::uint32_t crc_ = 0;
  std::span<const std::uint8_t> external_;
};

class PayloadReader {
 public:
  /// `what` names the payload in errors, e.g. "reg_batch request"; it must outlive the reader.
  PayloadReader(std::span<const std::uint8_t> data, std::string_view what) : data_(data), what_(what) {}
  /// A payload in two pieces (a split frame's fields and bulk), read as one: rest() after the fields
  /// returns the bulk without copying it.
  PayloadReader(std::span<const std::uint8_t> first, std::span<const std::uint8_t> second,
                std::string_view what)
      : data_(first), more_(second), what_(what) {}

  std::uint8_t u8() { return static_cast<std::uint8_t>(get(1, "u8")); }
  std::uint16_t u16() { return static_cast<std::uint16_t>(get(2, "u16")); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(get(4, "u32")); }
  std::uint64_t u64() { return get(8, "u64"); }
  std::span<const std::uint8_t> bytes(std::size_t n);
  std::string string();
  /// Everything not read yet.
  std::span<const std::uint8_t> rest();
  std::size_t remaining() const { return data_.size() - pos_ + more_.size(); }
  /// Throws ProtocolError if bytes are left over.
  void expect_end() const;
  /// Throws ProtocolError "<what>: <message>".
  [[noreturn]] void fail(std::string_view message) const;

 private:
  std::uint64_t get(std::size_t n, std::string_view type);
  // Makes the next n bytes (n <= remaining()) contiguous in data_: moves on to the second piece, or joins
  // the two when a read straddles them.
  void contiguous(std::size_t n);
  std::span<const std::uint8_t> data_;
  std::span<const std::uint8_t> more_;
  std::vector<std::uint8_t> joined_;
  std::string_view what_;
  std::size_t base_ = 0;  // payload offset of data_[0]
  std::size_t pos_ = 0;
};

}  // namespace seedval::protocol

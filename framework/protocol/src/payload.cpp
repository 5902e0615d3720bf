#include <algorithm>
#include <cstring>

#include <fmt/core.h>

#include <seedval/core/error.h>
#include <seedval/protocol/crc32c.h>
#include <seedval/protocol/payload.h>

namespace seedval::protocol {

PayloadWriter::PayloadWriter(std::vector<std::uint8_t>&& storage, std::size_t headroom)
    : bytes_(std::move(storage)), headroom_(headroom), size_(headroom), crc_end_(headroom) {
  if (bytes_.size() < headroom) bytes_.resize(headroom);
}

void PayloadWriter::bytes(std::span<const std::uint8_t> data) {
  if (!data.empty()) std::memcpy(grow(data.size()), data.data(), data.size());
}

void PayloadWriter::bulk(std::span<const std::uint8_t> data) {
  crc_ = crc32c({bytes_.data() + crc_end_, size_ - crc_end_}, crc_);
  std::uint8_t* p = grow(data.size());
  crc_ = crc32c_copy(p, data, crc_);
  crc_end_ = size_;
}

void PayloadWriter::flatten_external() {
  const auto data = external_;
  external_ = {};
  if (!data.empty()) bulk(data);
}

void PayloadWriter::string(std::string_view s) {
  s = s.substr(0, 0xFFFF);
  u16(static_cast<std::uint16_t>(s.size()));
  if (!s.empty()) std::memcpy(grow(s.size()), s.data(), s.size());
}

std::uint8_t* PayloadWriter::extend(std::size_t n) {
  // Only reused bytes need zeroing; vector growth zeroes the rest.
  const std::size_t reused = std::min(n, bytes_.size() - size_);
  std::uint8_t* p = grow(n);
  if (reused > 0) std::memset(p, 0, reused);
  return p;
}

std::vector<std::uint8_t>& PayloadWriter::buffer() {
  bytes_.resize(size_);
  crc_end_ = headroom_;
  crc_ = 0;
  return bytes_;
}

void PayloadReader::fail(std::string_view message) const {
  throw ProtocolError(ErrorCode::protocol, fmt::format("{}: {}", what_, message));
}

void PayloadReader::contiguous(std::size_t n) {
  if (data_.size() - pos_ >= n || more_.empty()) return;
  if (pos_ == data_.size()) {
    base_ += data_.size();
    data_ = more_;
  } else {
    joined_.assign(data_.begin() + static_cast<std::ptrdiff_t>(pos_), data_.end());
    joined_.insert(joined_.end(), more_.begin(), more_.end());
    base_ += pos_;
    data_ = joined_;
  }
  more_ = {};
  pos_ = 0;
}

std::uint64_t PayloadReader::get(std::size_t n, std::string_view type) {
  if (remaining() < n)
    fail(fmt::format("truncated at offset {}: a {} needs {} bytes, {} left", base_ + pos_, type, n,
                     remaining()));
  contiguous(n);
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v |= std::uint64_t{data_[pos_ + i]} << (8 * i);
  pos_ += n;
  return v;
}

std::span<const std::uint8_t> PayloadReader::bytes(std::size_t n) {
  if (remaining() < n)
    fail(fmt::format("truncated at offset {}: {} bytes expected, {} left", base_ + pos_, n, remaining()));
  contiguous(n);
  auto s = data_.subspan(pos_, n);
  pos_ += n;
  return s;
}

std::string PayloadReader::string() {
  auto n = u16();
  auto s = bytes(n);
  return std::string(s.begin(), s.end());
}

std::span<const std::uint8_t> PayloadReader::rest() {
  return bytes(remaining());
}

void PayloadReader::expect_end() const {
  if (remaining() != 0) fail(fmt::format("{} unexpected bytes after offset {}", remaining(), base_ + pos_));
}

}  // namespace seedval::protocol

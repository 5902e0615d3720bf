#include "output.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#include <fmt/core.h>
#include <unistd.h>

#include <seedval/core/error.h>

namespace seedval::reports::detail {

Output::Output(const std::filesystem::path& file) : file_(file) {
  f_ = std::fopen(file.c_str(), "wb");
  if (f_ == nullptr)
    throw IoError(ErrorCode::io,
                  fmt::format("{}: cannot be created: {}", file.string(), std::strerror(errno)));
  buffer_.reserve(std::size_t{1} << 21);
}

Output::~Output() {
  if (f_ != nullptr) std::fclose(f_);
}

void Output::flush() {
  if (f_ == nullptr || buffer_.empty()) return;
  if (std::fwrite(buffer_.data(), 1, buffer_.size(), f_) != buffer_.size())
    throw IoError(ErrorCode::io, fmt::format("{}: write failed: {}", file_.string(), std::strerror(errno)));
  written_ += buffer_.size();
  buffer_.clear();
}

void Output::write(std::string_view bytes) {
  if (text_ != nullptr || bytes.size() < (std::size_t{1} << 16)) {
    out().append(bytes);
    flush_if_full();
    return;
  }
  flush();
  if (std::fwrite(bytes.data(), 1, bytes.size(), f_) != bytes.size())
    throw IoError(ErrorCode::io, fmt::format("{}: write failed: {}", file_.string(), std::strerror(errno)));
  written_ += bytes.size();
}

void Output::append_file(const std::filesystem::path& file) {
  std::FILE* in = std::fopen(file.c_str(), "rb");
  if (in == nullptr)
    throw IoError(ErrorCode::io, fmt::format("{}: cannot be read: {}", file.string(), std::strerror(errno)));
  char chunk[1 << 16];
  std::size_t n = 0;
  while ((n = std::fread(chunk, 1, sizeof chunk, in)) > 0) {
    out().append(chunk, n);
    flush_if_full();
  }
  const bool failed = std::ferror(in) != 0;
  std::fclose(in);
  if (failed) throw IoError(ErrorCode::io, fmt::format("{}: read failed", file.string()));
}

void Output::append_file(const std::filesystem::path& file,
                         const std::vector<std::pair<std::uint64_t, std::uint64_t>>& ranges) {
  std::FILE* in = std::fopen(file.c_str(), "rb");
  if (in == nullptr)
    throw IoError(ErrorCode::io, fmt::format("{}: cannot be read: {}", file.string(), std::strerror(errno)));
  std::uint64_t at = 0;
  char chunk[1 << 16];
  bool failed = false;
  for (const auto& [offset, length] : ranges) {
    if (offset != at && ::fseeko(in, static_cast<off_t>(offset), SEEK_SET) != 0) {
      failed = true;
      break;
    }
    std::uint64_t left = length;
    while (left > 0) {
      const std::size_t n =
          std::fread(chunk, 1, static_cast<std::size_t>(std::min<std::uint64_t>(left, sizeof chunk)), in);
      if (n == 0) break;
      out().append(chunk, n);
      flush_if_full();
      left -= n;
    }
    if (left > 0) {
      failed = true;
      break;
    }
    at = offset + length;
  }
  std::fclose(in);
  if (failed) throw IoError(ErrorCode::io, fmt::format("{}: read failed (cut short?)", file.string()));
}

void Output::close(bool sync) {
  if (f_ == nullptr) return;
  flush();
  const bool ok = std::fflush(f_) == 0 && (!sync || ::fsync(fileno(f_)) == 0);
  const bool closed = std::fclose(f_) == 0;
  f_ = nullptr;
  if (!ok || !closed) throw IoError(ErrorCode::io, fmt::format("{}: write failed", file_.string()));
}

AtomicFile::AtomicFile(std::filesystem::path file)
    : file_(std::move(file)), tmp_(file_.string() + ".tmp"), out_(tmp_) {}

AtomicFile::~AtomicFile() {
  if (!committed_) {
    std::error_code ec;
    std::filesystem::remove(tmp_, ec);
  }
}

void AtomicFile::commit() {
  out_.close();
  std::error_code ec;
  std::filesystem::rename(tmp_, file_, ec);
  if (ec)
    throw IoError(ErrorCode::io, fmt::format("{}: cannot be replaced: {}", file_.string(), ec.message()));
  committed_ = true;
}

}  // namespace seedval::reports::detail

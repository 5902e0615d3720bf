// Report text written into a string, or for a lot too large to hold, into a file through a buffer; and
// files replaced whole or not at all. Private to reports/.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace seedval::reports::detail {

/// Where a report's bytes go: a string, or a file opened here. Append to out(), then call
/// flush_if_full() now and then; a file's bytes are written out a megabyte at a time.
class Output {
 public:
  /// Into `text` (appended to).
  explicit Output(std::string& text) : text_(&text) {}
  /// Into a new file (created or truncated). Throws IoError naming it.
  explicit Output(const std::filesystem::path& file);
  ~Output();
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;

  std::string& out() { return text_ != nullptr ? *text_ : buffer_; }
  /// Bytes written so far (a string's: its size).
  std::uint64_t size() const { return text_ != nullptr ? text_->size() : written_ + buffer_.size(); }
  void flush_if_full() {
    if (text_ == nullptr && buffer_.size() >= (std::size_t{1} << 20)) flush();
  }
  /// Appends `bytes` (a file's large ones are written straight out, not copied into the buffer).
  void write(std::string_view bytes);
  /// Appends the bytes of `file`: all of them, or the ranges (offset, length) given, in that order.
  void append_file(const std::filesystem::path& file);
  void append_file(const std::filesystem::path& file,
                   const std::vector<std::pair<std::uint64_t, std::uint64_t>>& ranges);
  /// A file: writes what is buffered, syncs it to disk (unless `sync` is false: a scratch file) and
  /// closes it. Throws IoError naming the file.
  void close(bool sync = true);

 private:
  void flush();

  std::string* text_ = nullptr;
  std::string buffer_;
  std::uint64_t written_ = 0;
  std::filesystem::path file_;
  std::FILE* f_ = nullptr;
};

/// A file replaced whole or not at all: written to `<file>.tmp`, renamed into place by commit(); a
/// crash or an exception leaves the old file (or none), never half of a new one.
class AtomicFile {
 public:
  explicit AtomicFile(std::filesystem::path file);
  ~AtomicFile();  ///< without commit(), removes the temporary file
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  Output& output() { return out_; }
  const std::filesystem::path& path() const { return file_; }
  /// Syncs the file and renames it into place. Throws IoError naming the file.
  void commit();

 private:
  std::filesystem::path file_, tmp_;
  Output out_;
  bool committed_ = false;
};

}  // namespace seedval::reports::detail

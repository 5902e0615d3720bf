// units.jsonl: one JSON object per insertion, appended and flushed to disk as each unit is binned, so a
// crash loses at most the unit in flight. The same record is what `seedval run --json` prints.
#pragma once

#include <cstdio>
#include <filesystem>
#include <string>

#include <seedval/exec/lot.h>

namespace seedval::reports {

/// One insertion as a single-line JSON object.
std::string unit_record_json(const UnitRecord& unit, const Program& program);

class UnitLog final : public ResultSink {
 public:
  /// Opens `file` for appending. Throws IoError naming the file.
  UnitLog(const std::filesystem::path& file, const Program& program);
  ~UnitLog() override;
  UnitLog(const UnitLog&) = delete;
  UnitLog& operator=(const UnitLog&) = delete;

  /// Appends and syncs one line; throws IoError if the line cannot be written.
  void unit_finished(const UnitRecord& unit) override;

 private:
  std::filesystem::path file_;
  const Program& program_;
  std::FILE* out_ = nullptr;
};

}  // namespace seedval::reports

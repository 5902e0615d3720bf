// units.jsonl: one JSON object per insertion, appended and flushed to disk as each unit is binned, so a
// crash loses at most the unit in flight. The same record is what `seedval run --json` prints.
#pragma once

#include <cstdio>
#include <filesystem>
#include <string>

#include <seedval/exec/lot.h>

namespace seedval::reports {

/// One insertion as a single-line JSON object. Each step lists its artifacts with the file they are
/// saved to (artifact_file), relative to the folder of the record.
std::string unit_record_json(const UnitRecord& unit, const Program& program);

/// Where an artifact of a unit's step is saved, relative to the folder of units.jsonl:
/// "artifacts/<part_id>-i<insertion>-<step>-<name>.json" (the extension from the media type).
std::string artifact_file(const UnitRecord& unit, const StepRecord& step, const Artifact& artifact);
/// Saves every artifact of `unit` under `folder` (each file written whole and synced). Throws IoError
/// naming the file that could not be written.
void save_artifacts(const UnitRecord& unit, const std::filesystem::path& folder);

class UnitLog final : public ResultSink {
 public:
  /// Opens `file` for appending. Throws IoError naming the file.
  UnitLog(const std::filesystem::path& file, const Program& program);
  ~UnitLog() override;
  UnitLog(const UnitLog&) = delete;
  UnitLog& operator=(const UnitLog&) = delete;

  /// Saves the unit's artifacts next to the log, then appends and syncs one line; throws IoError if
  /// either cannot be written (the line is written only once the artifacts it names are on disk).
  void unit_finished(const UnitRecord& unit) override;

 private:
  std::filesystem::path file_;
  const Program& program_;
  std::FILE* out_ = nullptr;
};

}  // namespace seedval::reports

#include <cctype>

#include <fmt/core.h>
#include <unistd.h>

#include <seedval/core/error.h>
#include <seedval/reports/lot_reports.h>
#include <seedval/reports/unit_log.h>

#include "json_record.h"

namespace seedval::reports {

namespace {

// A process killed while appending leaves its last line unfinished: cut the file after its last newline,
// so that the lines appended next are whole lines. (The unit of that line is in the results store,
// which is written first; the journal is the second record.)
void drop_partial_line(const std::filesystem::path& file) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  if (ec || size == 0) return;
  std::FILE* f = std::fopen(file.c_str(), "rb");
  if (f == nullptr) return;
  std::uintmax_t keep = size;
  char c = 0;
  while (keep > 0 && std::fseek(f, static_cast<long>(keep - 1), SEEK_SET) == 0 &&
         std::fread(&c, 1, 1, f) == 1 && c != '\n')
    --keep;
  std::fclose(f);
  if (keep == size) return;
  std::filesystem::resize_file(file, keep, ec);
  if (ec)
    throw IoError(ErrorCode::io,
                  fmt::format("{}: cannot cut its unfinished last line: {}", file.string(), ec.message()));
}

}  // namespace

std::string unit_record_json(const UnitRecord& unit, const Program& program) {
  return detail::to_json(unit, program).dump();
}

UnitLog::UnitLog(const std::filesystem::path& file, const Program& program) : file_(file), program_(program) {
  drop_partial_line(file);
  out_ = std::fopen(file.c_str(), "ab");
  if (out_ == nullptr)
    throw IoError(ErrorCode::io, fmt::format("{}: cannot be opened for appending", file.string()));
}

UnitLog::~UnitLog() {
  if (out_ != nullptr) std::fclose(out_);
}

std::string artifact_file(const UnitRecord& unit, const StepRecord& step, const Artifact& artifact) {
  auto safe = [](std::string_view text) {
    std::string out(text);
    for (char& c : out)
      if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '-' && c != '_' && c != '.') c = '_';
    return out;
  };
  const char* ext = artifact.media_type == "application/json" ? "json"
                    : artifact.media_type == "image/svg+xml"  ? "svg"
                                                              : "txt";
  return fmt::format("artifacts/{}-i{}-{}-{}.{}", safe(unit.part_id), unit.insertion, safe(step.id),
                     safe(artifact.name), ext);
}

void save_artifacts(const UnitRecord& unit, const std::filesystem::path& folder) {
  for (const auto& step : unit.steps)
    for (const auto& a : step.artifacts) {
      const auto file = folder / artifact_file(unit, step, a);
      std::error_code ec;
      std::filesystem::create_directories(file.parent_path(), ec);
      if (ec)
        throw IoError(ErrorCode::io, fmt::format("{}: cannot create the folder: {}",
                                                 file.parent_path().string(), ec.message()));
      write_file_atomic(file, a.content);
    }
}

void UnitLog::unit_finished(const UnitRecord& unit) {
  save_artifacts(unit, file_.parent_path());
  const std::string line = unit_record_json(unit, program_) + "\n";
  if (std::fwrite(line.data(), 1, line.size(), out_) != line.size() || std::fflush(out_) != 0 ||
      ::fdatasync(fileno(out_)) != 0)
    throw IoError(ErrorCode::io,
                  fmt::format("{}: cannot record unit {} (disk full?)", file_.string(), unit.part_id));
}

}  // namespace seedval::reports

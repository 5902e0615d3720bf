#include <fmt/core.h>
#include <unistd.h>

#include <seedval/core/error.h>
#include <seedval/reports/unit_log.h>

#include "json_record.h"

namespace seedval::reports {

std::string unit_record_json(const UnitRecord& unit, const Program& program) {
  return detail::to_json(unit, program).dump();
}

UnitLog::UnitLog(const std::filesystem::path& file, const Program& program) : file_(file), program_(program) {
  out_ = std::fopen(file.c_str(), "ab");
  if (out_ == nullptr)
    throw IoError(ErrorCode::io, fmt::format("{}: cannot be opened for appending", file.string()));
}

UnitLog::~UnitLog() {
  if (out_ != nullptr) std::fclose(out_);
}

void UnitLog::unit_finished(const UnitRecord& unit) {
  const std::string line = unit_record_json(unit, program_) + "\n";
  if (std::fwrite(line.data(), 1, line.size(), out_) != line.size() || std::fflush(out_) != 0 ||
      ::fdatasync(fileno(out_)) != 0)
    throw IoError(ErrorCode::io,
                  fmt::format("{}: cannot record unit {} (disk full?)", file_.string(), unit.part_id));
}

}  // namespace seedval::reports

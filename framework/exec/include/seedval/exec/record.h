// Results as data: what happened to one unit at one insertion, and to a whole lot. Reports and the
// results store read these; nothing in them points back into the running system.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <seedval/chip/identity.h>
#include <seedval/testapi/test.h>

namespace seedval {

struct UnitRecord {
  int unit = 0;                       ///< the handler's index of the unit in the lot, from 0
  std::string part_id;                ///< unique within the lot, e.g. "17"
  chip::DieId die;                    ///< where the handler says the unit came from
  std::optional<std::uint64_t> ecid;  ///< as read from the device, when it answered
  int site = 0;
  int insertion = 1;  ///< 1 for the first test of this unit, 2 for its first retest, ...
  std::vector<StepRecord> steps;
  int soft_bin = 0;
  int hard_bin = 0;
  bool passed = false;
  bool tester_error = false;  ///< the tester could not judge the unit (link, timeout, skipped step, ...)
  bool aborted = false;       ///< stopped before the program finished (cancelled)
  std::string failing_step;   ///< id of the step that decided the bin ("grade" for no grade), if any
  std::string grade;          ///< the grade a passing unit was sorted into (programs with grades)
  std::string message;        ///< why it failed or errored
  std::string start_time;     ///< ISO-8601
  std::string finish_time;
  double test_time_s = 0;
  /// The sha256 of every file that shaped the verdict, as LotInfo::inputs lists them: board files, the
  /// program, then its limits files in the order applied (base, product, temperature).
  std::vector<std::string> input_hashes;
};

struct FileRef {
  std::string name;
  std::string path;
  std::string sha256;
};

struct LotInfo {
  std::string lot_id;
  std::string product;
  std::string step = "final-test";
  std::string station;
  std::string handler;
  int site_count = 1;
  double temperature_c = 25.0;
  FileRef program;
  std::string program_revision;
  FileRef board;
  std::vector<FileRef> inputs;  ///< every file that shaped a verdict
  std::string start_time;
  std::string finish_time;
  std::string seedval_version;
};

/// One site of a multi-site lot: its own board, device and failure domain.
struct SiteRecord {
  int site = 0;
  std::string board;            ///< the board's description
  int insertions = 0;           ///< insertions it tested
  int tester_errors = 0;        ///< of those, binned as tester errors
  bool out_of_service = false;  ///< taken out after too many tester errors in a row
  std::string reason;           ///< why it was taken out (the last error)
};

struct LotResult {
  LotInfo info;
  std::vector<UnitRecord> insertions;  ///< every insertion of every unit, in the order finished
  std::vector<SiteRecord> sites;
  bool cancelled = false;
  /// Why the lot stopped before the handler ran out of units ("" when it did not): a stop request, or
  /// every site out of service. The units not yet tested stay with the handler.
  std::string stopped_because;
};

}  // namespace seedval

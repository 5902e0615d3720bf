// The audit of a simulated lot: its bins compared with the model's ground truth, per defect class.
//
//   auto truth = [&](const chip::DieId& d) { return socket->ground_truth(d); };
//   const reports::Audit a = reports::audit_lot(lot, program, truth);
//   a.escapes, a.overkill, a.classes ...
//
// Each unit is judged by its final insertion:
//   - escape: the die has a harmful defect and was binned good (a pass hard bin);
//   - overkill: the die is a good full-grade part and was binned bad (a fail bin, not a tester error);
//   - untested: the final insertion ended as a tester error (neither: the unit was never judged).
// Per defect class (a die counts once in each class it carries): units, caught (binned bad), escapes,
// untested, and overkill: good dies failed by a step documented to cover the class ("covers" in the
// program). A class is covered when some step of the program documents it; escapes of covered classes
// are the program's own, the others are gaps it does not claim to close. A core fused off at test (a
// step's "harvest_mask" measurement: harvesting) takes its defects with it: the part is sold without it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <seedval/boards/board.h>
#include <seedval/exec/program.h>
#include <seedval/exec/record.h>

namespace seedval::reports {

struct AuditUnit {
  std::string part_id;
  chip::DieId die;
  int hard_bin = 0;
  int soft_bin = 0;
  std::string grade;
  std::string failing_step;
  std::vector<std::string> classes;  ///< its harmful defect classes (empty: a good die)
  std::vector<std::string> where;    ///< where each defect is, in the same order
};

struct AuditClass {
  std::string defect_class;
  std::string category;
  std::vector<std::string> covered_by;  ///< program steps documenting it
  std::int64_t units = 0, caught = 0, escapes = 0, untested = 0, overkill = 0;
  bool covered() const { return !covered_by.empty(); }
};

struct Audit {
  std::string lot_id;
  std::int64_t units = 0;      ///< unique units judged (their final insertion)
  std::int64_t defective = 0;  ///< dies with a harmful defect
  std::int64_t good = 0;       ///< good full-grade dies
  std::int64_t passed = 0;     ///< units binned good
  std::int64_t escapes = 0, overkill = 0, untested = 0;
  std::int64_t covered_escapes = 0;  ///< escapes carrying a class the program covers
  std::vector<AuditClass> classes;   ///< every class seen or covered, covered first, then by name
  std::vector<AuditUnit> escaped_units, overkill_units;
};

/// The harmful defects of a die; nullopt when the board cannot tell.
using GroundTruth = std::function<std::optional<std::vector<KnownDefect>>(const chip::DieId&)>;

/// Audits `lot`. Throws InvalidArgumentError when the truth of a unit's die is not known.
Audit audit_lot(const LotResult& lot, const Program& program, const GroundTruth& truth);

/// The audit as JSON (schema reports/schema/audit.schema.json): totals "units", "escapes", "overkill",
/// and the same per defect class under "classes".
std::string audit_json(const Audit& audit);

}  // namespace seedval::reports

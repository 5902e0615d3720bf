// Internal: JSON forms shared by the report writers.
#pragma once

#include <nlohmann/json.hpp>

#include <seedval/exec/program.h>
#include <seedval/exec/record.h>
#include <seedval/reports/summary.h>

namespace seedval::reports::detail {

nlohmann::json to_json(const Ratio& r);
nlohmann::json to_json(const Distribution& d);
nlohmann::json to_json(const StepRecord& s);
nlohmann::json to_json(const UnitRecord& u, const Program& p);
nlohmann::json to_json(const chip::DieId& d);
/// The provenance block every report starts with.
nlohmann::json provenance(const LotResult& lot, const Program& p);
/// A number, or null where it is not finite (JSON has no NaN).
nlohmann::json number(double v);

}  // namespace seedval::reports::detail

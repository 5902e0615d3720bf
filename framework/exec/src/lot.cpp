#include <fmt/core.h>

#include <seedval/core/clock.h>
#include <seedval/core/error.h>
#include <seedval/core/log.h>
#include <seedval/exec/lot.h>
#include <seedval/exec/runner.h>

namespace seedval {

LotResult run_lot(Board& board, Handler& handler, const Program& program, const LotOptions& options,
                  const std::vector<ResultSink*>& sinks, std::stop_token stop) {
  LotResult result;
  LotInfo& info = result.info;
  info.lot_id = options.lot_id;
  info.product = program.product;
  info.step = options.step;
  info.station = options.station.empty() ? host_name() : options.station;
  info.handler = handler.describe();
  info.site_count = 1;
  info.temperature_c = options.temperature_c;
  info.program = {program.name, program.file.string(), program.sha256};
  info.program_revision = program.revision;
  info.board = {board.info().name, board.info().file.string(), ""};
  for (const auto& f : board.info().files) {
    FileRef ref{f.filename().string(), f.string(), sha256_file(f)};
    if (f == board.info().file) info.board.sha256 = ref.sha256;
    info.inputs.push_back(std::move(ref));
  }
  if (!program.file.empty()) info.inputs.push_back(info.program);
  info.start_time = iso8601_now();
  info.seedval_version = std::string(seedval_version());
  for (auto* s : sinks) s->lot_started(info);

  DieSocket* socket = board.die_socket();
  while (auto slot = handler.next()) {
    if (stop.stop_requested()) {
      result.cancelled = true;
      break;
    }
    if (socket != nullptr) socket->insert(slot->die, slot->insertion);
    UnitContext ctx{slot->unit, std::to_string(slot->unit + 1), slot->die, 0, slot->insertion};
    UnitRecord unit = test_unit(board, program, ctx, stop);
    const bool retest = !unit.passed && !unit.aborted && program.retestable(unit.hard_bin) &&
                        slot->insertion < program.max_insertions;
    log::debug("unit {} ({}) insertion {}: soft bin {} hard bin {}{}", unit.part_id,
               chip::to_string(unit.die), unit.insertion, unit.soft_bin, unit.hard_bin,
               retest ? ", to retest" : "");
    for (auto* s : sinks) s->unit_finished(unit);
    result.insertions.push_back(std::move(unit));
    if (result.insertions.back().aborted) {
      result.cancelled = true;
      break;
    }
    handler.sort(*slot, result.insertions.back().hard_bin, retest);
  }
  info.finish_time = iso8601_now();
  for (auto* s : sinks) s->lot_finished(result);
  return result;
}

}  // namespace seedval

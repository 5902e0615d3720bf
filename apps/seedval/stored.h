// Lots recorded in results stores, for the commands that read them back (`seedval report`, `seedval
// audit`).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <seedval/exec/program.h>
#include <seedval/exec/record.h>
#include <seedval/reports/lot_reports.h>
#include <seedval/store/store.h>

namespace seedval::cli {

/// Opens the results store of a lot folder (`DIR/results.db`), a store file, which must exist (a store
/// is never created by reading it), or a PostgreSQL connection string. Throws NotFoundError naming what
/// was looked for.
std::unique_ptr<ResultStore> open_existing_store(const std::string& location);

/// The program a lot was tested with, as it was: from the program and limits files the store kept with
/// the lot (lot_files), else re-read from their paths and checked against the hashes the lot recorded
/// (InvalidArgumentError naming a file that changed since).
Program program_of_lot(const ResultStore& store, const LotResult& lot);

/// Lot `lot_id`'s insertions as they are read from `store`, for reports built one at a time (without
/// their artifacts, which no report reads).
reports::InsertionSource insertions_of(const ResultStore& store, const std::string& lot_id);

}  // namespace seedval::cli

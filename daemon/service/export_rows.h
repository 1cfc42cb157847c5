#pragma once
// The rows of an export written straight from the store's row (ExportRow) into the output:
// JSONL lines that are the API's job and run objects (JobView, RunView: same keys in the
// same order, the same values, strings escaped as the API escapes them; parsed back each
// equals GET /jobs/{id} or /runs/{id}), and CSV records (seed 004's columns).
//
// No JSON tree and no record is built per row: a million-row export spent most of its time
// building, dumping and freeing them. JSON columns are copied as stored (the store keeps
// them as nlohmann's compact dump, which is also what the views write); only an HTTP job's
// target is parsed, to mask its header values as JobView does.

#include <string>

#include "daemon/store/export_store.h"

namespace flare::daemon {

/// Appends JobView of the row as compact JSON (no newline).
void AppendJobJson(std::string& out, const ExportRow& job);
/// Appends RunView of the row as compact JSON (no newline).
void AppendRunJson(std::string& out, const ExportRow& run);
/// Appends the row as a CSV record of the jobs columns (CRLF included).
void AppendJobCsv(std::string& out, const ExportRow& job);
/// Appends the row as a CSV record of the runs columns (CRLF included).
void AppendRunCsv(std::string& out, const ExportRow& run);

}  // namespace flare::daemon

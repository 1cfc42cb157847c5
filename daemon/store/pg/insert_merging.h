#pragma once
// Multi-row INSERTs out of the single-row ones a write transaction queued (Connection::
// Defer). A group commit of 16 creates queues 16 INSERTs into jobs, 16 into runs and 16
// into events, interleaved; sent as three statements of 16 rows each they cost the server
// three executor start-ups and index opens instead of 48.
//
// Only the order that can matter is kept: statements on one table stay in their order, and
// anything that is not a plain INSERT, UPDATE or DELETE of one table (BEGIN, SET, a
// counters upsert written as a CTE) is a barrier nothing moves across. An INSERT joins the
// latest earlier INSERT of the same text when no statement on its table (and no barrier)
// lies between them. Writes to different tables commute here: the schema has no foreign
// keys, and its triggers fire on UPDATE and DELETE, which are never moved past a write of
// their own table.
//
// Mergeable: "INSERT INTO <table> (<columns>) VALUES ($1, $2, …, $n)" with n parameters,
// nothing after the values (no RETURNING, no ON CONFLICT).

#include <string>
#include <vector>

#include "daemon/store/pg/statement.h"

namespace flare::daemon::pg {

/// Rows of one merged INSERT at most (the protocol allows 65,535 parameters).
inline constexpr size_t kMaxMergedRows = 128;
inline constexpr size_t kMaxMergedParameters = 32'000;

/// `statements` with mergeable INSERTs merged as above; everything else unchanged.
std::vector<Statement> MergeInserts(std::vector<Statement> statements);

}  // namespace flare::daemon::pg

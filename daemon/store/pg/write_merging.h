#pragma once
// Multi-row statements out of the single-row writes a transaction queued (Connection::
// Defer). A group commit of 16 creates queues 16 INSERTs into jobs, 16 into runs and 16
// into events, interleaved; a claim of 50 runs queues 50 UPDATEs of runs and 50 of jobs.
// Sent as one statement per table and shape they cost the server one executor start-up
// and one set of index opens each instead of one per row.
//
// Only the order that can matter is kept: statements on one table stay in their order, and
// anything that is not a plain INSERT, UPDATE or DELETE of one table (BEGIN, SET, a
// counters upsert written as a CTE) is a barrier nothing moves across. A write joins the
// latest earlier write of the same text when no other statement on its table (and no
// barrier) lies between them. Writes to different tables commute here: the schema has no
// foreign keys, and its triggers (on UPDATE OF enabled/deleted_at and DELETE of jobs and
// runs) only add to counter tables that no queued write touches.
//
// Mergeable shapes, with every value a parameter and nothing else in the text:
//   INSERT INTO <table> (<columns>) VALUES ($1, $2, …, $n)
//   UPDATE <table> SET <column> = $i, … WHERE <column> = $j AND …
// An UPDATE joins a group only if no row of the group has the same WHERE values: one
// UPDATE … FROM (VALUES …) would change a row once, whichever of two rows came first.
// Merged UPDATEs cast each value to its column's type (types_of below), as the single-row
// statement's parameters were typed by their columns.

#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "daemon/store/pg/statement.h"

namespace flare::daemon::pg {

/// Rows of one merged statement at most (the protocol allows 65,535 parameters).
inline constexpr size_t kMaxMergedRows = 128;
inline constexpr size_t kMaxMergedParameters = 32'000;

/// Column name → SQL type ("bigint", "text", "jsonb"…) of one table.
using ColumnTypes = std::unordered_map<std::string, std::string>;
/// The column types of a table, or null when unknown (its UPDATEs are then not merged).
using ColumnTypesOf = std::function<const ColumnTypes*(const std::string& table)>;

/// `statements` with mergeable writes merged as above; everything else unchanged.
std::vector<Statement> MergeWrites(std::vector<Statement> statements,
                                   const ColumnTypesOf& types_of);

}  // namespace flare::daemon::pg

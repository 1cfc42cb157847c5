#pragma once
// flared's tables in PostgreSQL: the same tables, columns and indexes as the SQLite schema
// (store/schema.cc, at its current version), so one set of typed records (records.h) maps
// onto both. Times are BIGINT milliseconds since the epoch and JSON is kept as the text
// flared wrote (jsonb would reorder keys and change what the API echoes back). Where SQLite
// counted with triggers, PostgreSQL does the same with PL/pgSQL trigger functions.

#include <span>

#include "daemon/store/pg/migrations.h"

namespace flare::daemon::pg {

/// Every migration of flared's PostgreSQL schema, in order (apply with Migrate).
std::span<const Migration> FlareSchema();

}  // namespace flare::daemon::pg

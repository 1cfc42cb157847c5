#pragma once

#include "daemon/store/connection.h"

namespace flare::daemon {

/// Brings the database to the newest schema version (PRAGMA user_version), one
/// transaction per version. Refuses a database newer than this flared.
void MigrateSchema(Connection& connection);

/// The schema version this flared writes.
int CurrentSchemaVersion();

}  // namespace flare::daemon

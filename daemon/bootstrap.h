#pragma once
// First start: the project "default" and an admin key, written to <data-dir>/admin.key
// (mode 0600) so the local flarectl can find it. The key itself is never logged.

#include <string>

#include "daemon/store/transactions.h"

namespace flare::daemon {

/// Creates the default project and admin key when the database has no project yet.
/// Returns the path of the key file when one was written, else "".
std::string EnsureDefaultProject(Transactions& writer, const std::string& data_dir);

}  // namespace flare::daemon

#include "daemon/store/pg/transaction.h"

#include <optional>

#include "daemon/log.h"
#include "daemon/store/pg/error.h"

namespace flare::daemon::pg {

Transaction::Transaction(Connection& connection, CommitFlush flush) : connection_(connection) {
  // Deferred: BEGIN (and the setting) travel with the transaction's first statement.
  connection_.Defer("BEGIN");
  if (flush == CommitFlush::kDeferred) connection_.Defer("SET LOCAL synchronous_commit = off");
}

Transaction::~Transaction() {
  if (!open_) return;
  try {
    Rollback();
  } catch (const PgError& error) {
    LogWarn("postgres rollback failed", {{"sqlstate", error.sqlstate()}, {"error", error.what()}});
  }
}

void Transaction::Commit() {
  open_ = false;  // whatever happens next, the transaction is over: no ROLLBACK after it
  std::optional<PgResult> sent;
  try {
    sent = connection_.Exec("COMMIT");
  } catch (const PgError&) {
    // A statement queued before the COMMIT failed, so the server skipped the COMMIT and the
    // transaction is still open (aborted): end it, or the session's next user inherits it.
    EndAfterFailure();
    throw;
  }
  PgResult& result = *sent;
  // COMMIT of a transaction a failed statement aborted succeeds with the tag ROLLBACK.
  if (result.command_status() != "COMMIT") {
    throw PgError("40000", "PostgreSQL rolled the transaction back at COMMIT (a statement failed)");
  }
}

void Transaction::EndAfterFailure() {
  connection_.DropDeferred();
  if (!connection_.InTransaction()) return;
  try {
    connection_.Exec("ROLLBACK");
  } catch (const PgError& error) {
    LogWarn("postgres rollback failed", {{"sqlstate", error.sqlstate()}, {"error", error.what()}});
  }
}

void Transaction::Rollback() {
  open_ = false;
  // What is still queued was never sent: dropping it undoes it. Only a transaction the
  // server has begun needs a ROLLBACK.
  connection_.DropDeferred();
  if (connection_.InTransaction()) connection_.Exec("ROLLBACK");
}

}  // namespace flare::daemon::pg

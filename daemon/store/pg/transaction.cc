#include "daemon/store/pg/transaction.h"

#include "daemon/log.h"
#include "daemon/store/pg/error.h"

namespace flare::daemon::pg {

Transaction::Transaction(Connection& connection, CommitFlush flush) : connection_(connection) {
  // One round trip either way: the setting travels with the BEGIN (a simple-query script).
  if (flush == CommitFlush::kDeferred)
    connection_.ExecScript("BEGIN; SET LOCAL synchronous_commit = off");
  else
    connection_.Exec("BEGIN");
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
  PgResult result = connection_.Exec("COMMIT");
  // COMMIT of a transaction a failed statement aborted succeeds with the tag ROLLBACK.
  if (result.command_status() != "COMMIT") {
    throw PgError("40000", "PostgreSQL rolled the transaction back at COMMIT (a statement failed)");
  }
}

void Transaction::Rollback() {
  open_ = false;
  connection_.Exec("ROLLBACK");
}

}  // namespace flare::daemon::pg

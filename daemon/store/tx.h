#pragma once
// What an operation sees inside its transaction, whichever backend runs it: every
// resource's store (the storage port, stores.h), the transaction's time, and hand-offs for
// its end. The transaction runner (transactions.h) makes one per operation.

#include <functional>
#include <vector>

#include "common/time_format.h"
#include "daemon/store/stores.h"

namespace flare::daemon {

class Connection;
namespace postgres {
class PgTransactions;
}

class Tx {
 public:
  /// An operation of the SQLite writer: `connection` is the one under the transaction.
  Tx(Connection& connection, Stores& stores, TimePoint now)
      : connection_(&connection), stores_(stores), now_(now) {}
  /// An operation of another backend (there is no SQLite connection to hand out).
  Tx(Stores& stores, TimePoint now) : stores_(stores), now_(now) {}
  Tx(const Tx&) = delete;
  Tx& operator=(const Tx&) = delete;
  /// The SQLite connection under the transaction, for tests and code inside store/ only:
  /// above store/ nothing may include connection.h (scripts/check-layers.sh). Only for a
  /// Tx of the SQLite writer.
  Connection& conn() { return *connection_; }
  JobStore& jobs() { return stores_.jobs(); }
  RunStore& runs() { return stores_.runs(); }
  EventStore& events() { return stores_.events(); }
  WorkerStore& workers() { return stores_.workers(); }
  KeyStore& keys() { return stores_.keys(); }
  AccountStore& accounts() { return stores_.accounts(); }
  WebhookStore& webhooks() { return stores_.webhooks(); }
  UsageStore& usage() { return stores_.usage(); }
  RetentionStore& retention() { return stores_.retention(); }
  NodeStore& nodes() { return stores_.nodes(); }
  ExportStore& exports() { return stores_.exports(); }
  /// The transaction's time: every row an operation writes carries this "now".
  TimePoint now() const { return now_; }
  /// Runs `action` after the commit, if the operation succeeds. It may only hand off
  /// (notify, enqueue): see the rule at the top of writer.h.
  void OnCommit(std::function<void()> action) { after_commit_.push_back(std::move(action)); }
  /// Runs `action` if the operation is rolled back instead (it failed, or its group could
  /// not commit). The same rule applies: hand off only.
  void OnAbort(std::function<void()> action) { on_abort_.push_back(std::move(action)); }

 private:
  friend class Writer;
  friend class postgres::PgTransactions;
  Connection* connection_ = nullptr;
  Stores& stores_;
  TimePoint now_;
  std::vector<std::function<void()>> after_commit_;
  std::vector<std::function<void()>> on_abort_;
};

}  // namespace flare::daemon

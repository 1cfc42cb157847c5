#pragma once
// The storage port: what the layers above store/ see of the database. Each resource has a
// store interface (jobs, runs, events, …) whose methods speak in typed records
// (records.h); a backend implements every one of them over its own connection (SQLite:
// SqliteStores). An operation reaches them through its transaction (tx.jobs()), a read
// through its lease (reader->jobs()), so no SQL and no database client type is seen above
// store/.

namespace flare::daemon {

class JobStore;
class RunStore;
class EventStore;
class WorkerStore;
class KeyStore;
class AccountStore;
class WebhookStore;
class UsageStore;
class RetentionStore;
class NodeStore;
class ExportStore;

/// Every resource's store over one connection (a transaction's, or a reader's).
class Stores {
 public:
  virtual ~Stores() = default;
  virtual JobStore& jobs() = 0;
  virtual RunStore& runs() = 0;
  virtual EventStore& events() = 0;
  virtual WorkerStore& workers() = 0;
  virtual KeyStore& keys() = 0;
  virtual AccountStore& accounts() = 0;
  virtual WebhookStore& webhooks() = 0;
  virtual UsageStore& usage() = 0;
  virtual RetentionStore& retention() = 0;
  virtual NodeStore& nodes() = 0;
  virtual ExportStore& exports() = 0;
};

}  // namespace flare::daemon

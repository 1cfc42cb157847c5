#pragma once
// The SQLite backend of the storage port (stores.h): every resource's store over one
// SQLite connection. The writer keeps one over its connection for every transaction; a
// reader lease makes one over the connection it lends.

#include "daemon/store/account_repository.h"
#include "daemon/store/connection.h"
#include "daemon/store/event_repository.h"
#include "daemon/store/export_reader.h"
#include "daemon/store/job_repository.h"
#include "daemon/store/key_repository.h"
#include "daemon/store/node_repository.h"
#include "daemon/store/retention_repository.h"
#include "daemon/store/run_repository.h"
#include "daemon/store/stores.h"
#include "daemon/store/usage_repository.h"
#include "daemon/store/webhook_repository.h"
#include "daemon/store/worker_repository.h"

namespace flare::daemon {

class SqliteStores final : public Stores {
 public:
  explicit SqliteStores(Connection& c)
      : jobs_(c),
        runs_(c),
        events_(c),
        workers_(c),
        keys_(c),
        accounts_(c),
        webhooks_(c),
        usage_(c),
        retention_(c),
        nodes_(c),
        exports_(c) {}
  JobStore& jobs() override { return jobs_; }
  RunStore& runs() override { return runs_; }
  EventStore& events() override { return events_; }
  WorkerStore& workers() override { return workers_; }
  KeyStore& keys() override { return keys_; }
  AccountStore& accounts() override { return accounts_; }
  WebhookStore& webhooks() override { return webhooks_; }
  UsageStore& usage() override { return usage_; }
  RetentionStore& retention() override { return retention_; }
  NodeStore& nodes() override { return nodes_; }
  ExportStore& exports() override { return exports_; }

 private:
  SqliteJobStore jobs_;
  SqliteRunStore runs_;
  SqliteEventStore events_;
  SqliteWorkerStore workers_;
  SqliteKeyStore keys_;
  SqliteAccountStore accounts_;
  SqliteWebhookStore webhooks_;
  SqliteUsageStore usage_;
  SqliteRetentionStore retention_;
  SqliteNodeStore nodes_;
  SqliteExportStore exports_;
};

}  // namespace flare::daemon

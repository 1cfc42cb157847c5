#pragma once
// The PostgreSQL backend of the storage port (store/stores.h): every resource's store over
// one session of the pool, in a write transaction (PgTransactions) or a read lease
// (PgReaders). session.h says how concurrent writers stay correct.

#include "daemon/store/postgres/account_store.h"
#include "daemon/store/postgres/event_store.h"
#include "daemon/store/postgres/export_store.h"
#include "daemon/store/postgres/job_store.h"
#include "daemon/store/postgres/key_store.h"
#include "daemon/store/postgres/node_store.h"
#include "daemon/store/postgres/retention_store.h"
#include "daemon/store/postgres/run_store.h"
#include "daemon/store/postgres/session.h"
#include "daemon/store/postgres/usage_store.h"
#include "daemon/store/postgres/webhook_store.h"
#include "daemon/store/postgres/worker_store.h"
#include "daemon/store/stores.h"

namespace flare::daemon::postgres {

class PgStores final : public Stores {
 public:
  explicit PgStores(Session session)
      : jobs_(session),
        runs_(session),
        events_(session),
        workers_(session),
        keys_(session),
        accounts_(session),
        webhooks_(session),
        usage_(session),
        retention_(session),
        nodes_(session),
        exports_(session) {}
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
  PgJobStore jobs_;
  PgRunStore runs_;
  PgEventStore events_;
  PgWorkerStore workers_;
  PgKeyStore keys_;
  PgAccountStore accounts_;
  PgWebhookStore webhooks_;
  PgUsageStore usage_;
  PgRetentionStore retention_;
  PgNodeStore nodes_;
  PgExportStore exports_;
};

}  // namespace flare::daemon::postgres

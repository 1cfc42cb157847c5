#include "daemon/store/schema.h"

#include <SQLiteCpp/Transaction.h>

#include <array>
#include <stdexcept>
#include <string>

namespace flare::daemon {
namespace {

// Each entry moves the schema from version i to i+1. Never edit a shipped entry:
// add a new one. Times are integer milliseconds since the epoch (UTC).
constexpr std::array<const char*, 11> kMigrations = {
    R"sql(
CREATE TABLE projects (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  settings TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL
);

CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL,
  name TEXT NOT NULL,
  prefix TEXT NOT NULL,
  key_hash BLOB NOT NULL UNIQUE,
  scopes TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at INTEGER
);

CREATE TABLE jobs (
  rowid INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  project_id TEXT NOT NULL,
  slug TEXT,
  job_type TEXT NOT NULL,
  queue TEXT NOT NULL,
  payload TEXT NOT NULL,
  tags TEXT,
  spec TEXT NOT NULL,
  is_http INTEGER NOT NULL,
  parent_job_id TEXT,
  idempotency_key TEXT,
  request_hash TEXT,
  enabled INTEGER NOT NULL,
  next_run_at INTEGER,
  version INTEGER NOT NULL,
  last_run_id TEXT,
  state TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  max_attempts INTEGER NOT NULL,
  started_at INTEGER,
  completed_at INTEGER,
  next_retry_at INTEGER,
  progress REAL,
  duration_ms INTEGER,
  error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  deleted_at INTEGER
);
CREATE INDEX jobs_by_created ON jobs(project_id, created_at DESC, id DESC);
CREATE UNIQUE INDEX jobs_by_slug ON jobs(project_id, slug) WHERE slug IS NOT NULL AND deleted_at IS NULL;
CREATE INDEX jobs_by_parent ON jobs(parent_job_id) WHERE parent_job_id IS NOT NULL;
CREATE INDEX jobs_by_next_run ON jobs(next_run_at) WHERE next_run_at IS NOT NULL;

CREATE TABLE idempotency_keys (
  project_id TEXT NOT NULL,
  key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  job_id TEXT NOT NULL,
  response TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (project_id, key)
) WITHOUT ROWID;

CREATE TABLE runs (
  rowid INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  project_id TEXT NOT NULL,
  job_id TEXT NOT NULL,
  job_version INTEGER NOT NULL,
  trigger TEXT NOT NULL,
  rerun_of TEXT,
  scheduled_for INTEGER,
  state TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  max_attempts INTEGER NOT NULL,
  timeout_seconds INTEGER NOT NULL,
  queue TEXT NOT NULL,
  job_type TEXT NOT NULL,
  priority INTEGER NOT NULL,
  is_http INTEGER NOT NULL,
  due_at INTEGER,
  next_retry_at INTEGER,
  worker_id TEXT,
  lease_id TEXT,
  lease_expires_at INTEGER,
  progress REAL,
  payload TEXT,
  created_at INTEGER NOT NULL,
  ready_at INTEGER,
  started_at INTEGER,
  completed_at INTEGER,
  duration_ms INTEGER,
  failure_reason TEXT,
  error TEXT,
  request TEXT,
  result TEXT,
  trace TEXT,
  cancel_requested INTEGER NOT NULL DEFAULT 0,
  acked_lease_id TEXT,
  ack_response TEXT
);
-- The work queue: only pending worker runs, in claim order.
CREATE INDEX runs_ready ON runs(project_id, queue, priority DESC, due_at, rowid)
  WHERE state = 'pending' AND is_http = 0;
-- Pending HTTP runs, for the executor after a restart.
CREATE INDEX runs_http_ready ON runs(due_at) WHERE state = 'pending' AND is_http = 1;
-- What the timer wakes for: runs waiting for a time (run_at, retry delay).
CREATE INDEX runs_waiting ON runs(due_at) WHERE state IN ('scheduled', 'failed') AND due_at IS NOT NULL;
CREATE INDEX runs_leased ON runs(lease_expires_at) WHERE state = 'processing';
CREATE INDEX runs_by_job ON runs(job_id, rowid);

CREATE TABLE events (
  rowid INTEGER PRIMARY KEY,
  id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  job_id TEXT NOT NULL,
  run_id TEXT,
  type TEXT NOT NULL,
  at INTEGER NOT NULL,
  attempt INTEGER,
  details TEXT
);
CREATE INDEX events_by_job ON events(job_id, rowid);

CREATE TABLE workers (
  project_id TEXT NOT NULL,
  worker_id TEXT NOT NULL,
  queues TEXT NOT NULL,
  job_types TEXT NOT NULL,
  registered_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  PRIMARY KEY (project_id, worker_id)
) WITHOUT ROWID;
)sql",
    // Version 2 shipped as an empty step (the array grew without an entry); kept so that
    // databases at version 2 take the steps after it.
    "",
    R"sql(
-- Retention deletes a run's events by run_id; without this index each delete scanned
-- every event. Job-level events (run_id NULL) are never looked up this way.
CREATE INDEX events_by_run ON events(run_id) WHERE run_id IS NOT NULL;
-- Retention finds finished runs by state and age (and the oldest one per state). Only
-- runs with a completion time are indexed, so pending and processing runs cost nothing.
CREATE INDEX runs_finished ON runs(state, completed_at) WHERE completed_at IS NOT NULL;
)sql",
    R"sql(
-- Webhook endpoints. Secrets are AES-256-GCM boxes under <data-dir>/webhook.key, never
-- text. IF NOT EXISTS: the schema tests replay the steps after version 2.
CREATE TABLE IF NOT EXISTS webhooks (
  rowid INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  project_id TEXT NOT NULL,
  url TEXT NOT NULL,
  events TEXT NOT NULL,
  description TEXT,
  enabled INTEGER NOT NULL,
  disabled_reason TEXT,
  secret BLOB NOT NULL,
  previous_secret BLOB,
  previous_secret_expires_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS webhooks_by_project ON webhooks(project_id, created_at DESC, id DESC);
-- The outbox: one row per (event, endpoint), written with the change that causes it. A claim
-- pushes next_attempt_at to the lease expiry, so a row whose sender died is due again then.
CREATE TABLE IF NOT EXISTS webhook_deliveries (
  rowid INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  webhook_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  payload TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  next_attempt_at INTEGER,
  lease_id TEXT,
  lease_expires_at INTEGER,
  last_response_code INTEGER,
  last_latency_ms INTEGER,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  completed_at INTEGER
);
CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries(webhook_id, next_attempt_at) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS webhook_deliveries_by_webhook ON webhook_deliveries(webhook_id, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS webhook_deliveries_by_project ON webhook_deliveries(project_id, created_at);
)sql",
    R"sql(
-- Accounts: local users (each owns the project signup made) and their login sessions.
-- Emails are unique whatever their case; passwords are stored only as KDF hashes, session
-- tokens only as SHA-256 hashes. IF NOT EXISTS: the step may be replayed on a database
-- whose version was set back (as the schema tests do).
CREATE TABLE IF NOT EXISTS users (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL,
  email TEXT NOT NULL COLLATE NOCASE UNIQUE,
  name TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  token_hash BLOB NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked_at INTEGER
);
CREATE INDEX IF NOT EXISTS api_keys_by_project ON api_keys(project_id, created_at DESC, id DESC);
)sql",
    R"sql(
-- Usage and metrics counters, kept as work happens (SPEC §7 usage/metrics). Triggers move
-- them because they sit where every run state change lands: some transitions append no
-- event (a timer making a run pending, a cron fire creating one), so an event observer
-- alone would miss them. Written to be re-runnable (IF NOT EXISTS, OR IGNORE) so a database
-- whose version was set back takes it again without failing. Each is a small upsert on a hot row, in the same transaction as
-- the change, and survives restarts; the rows already present are counted once here.
--
-- Per project, queue and run state: runs in the state now, and entries into it ever.
CREATE TABLE IF NOT EXISTS queue_counts (
  project_id TEXT NOT NULL,
  queue TEXT NOT NULL,
  state TEXT NOT NULL,
  current INTEGER NOT NULL DEFAULT 0,
  entered INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (project_id, queue, state)
) WITHOUT ROWID;
-- Per project and minute (ms / 60000): runs created, and runs finishing each way.
CREATE TABLE IF NOT EXISTS run_stats_minute (
  project_id TEXT NOT NULL,
  minute INTEGER NOT NULL,
  created INTEGER NOT NULL DEFAULT 0,
  succeeded INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0,
  retried INTEGER NOT NULL DEFAULT 0,
  cancelled INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (project_id, minute)
) WITHOUT ROWID;
-- Per project and UTC day (ms / 86400000): the usage that is billed on the hosted service.
CREATE TABLE IF NOT EXISTS usage_daily (
  project_id TEXT NOT NULL,
  day INTEGER NOT NULL,
  runs INTEGER NOT NULL DEFAULT 0,
  succeeded INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0,
  webhook_deliveries INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (project_id, day)
) WITHOUT ROWID;
-- Per project: enabled, not deleted jobs.
CREATE TABLE IF NOT EXISTS project_counts (
  project_id TEXT PRIMARY KEY,
  active_jobs INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

INSERT OR IGNORE INTO queue_counts (project_id, queue, state, current, entered)
  SELECT project_id, queue, state, COUNT(*), COUNT(*) FROM runs GROUP BY 1, 2, 3;
INSERT OR IGNORE INTO run_stats_minute (project_id, minute, created)
  SELECT project_id, created_at / 60000, COUNT(*) FROM runs GROUP BY 1, 2;
INSERT INTO run_stats_minute (project_id, minute, succeeded, failed, cancelled)
  SELECT project_id, completed_at / 60000, SUM(state = 'succeeded'), SUM(state = 'dead_letter'),
         SUM(state = 'cancelled')
  FROM runs WHERE completed_at IS NOT NULL GROUP BY 1, 2
  ON CONFLICT DO UPDATE SET succeeded = excluded.succeeded, failed = excluded.failed,
                            cancelled = excluded.cancelled;
INSERT OR IGNORE INTO usage_daily (project_id, day, runs)
  SELECT project_id, created_at / 86400000, COUNT(*) FROM runs GROUP BY 1, 2;
INSERT INTO usage_daily (project_id, day, succeeded, failed)
  SELECT project_id, completed_at / 86400000, SUM(state = 'succeeded'), SUM(state = 'dead_letter')
  FROM runs WHERE completed_at IS NOT NULL GROUP BY 1, 2
  ON CONFLICT DO UPDATE SET succeeded = excluded.succeeded, failed = excluded.failed;
INSERT OR IGNORE INTO project_counts (project_id, active_jobs)
  SELECT project_id, COUNT(*) FROM jobs WHERE enabled = 1 AND deleted_at IS NULL GROUP BY 1;

CREATE TRIGGER IF NOT EXISTS runs_count_insert AFTER INSERT ON runs BEGIN
  INSERT INTO queue_counts (project_id, queue, state, current, entered)
    VALUES (NEW.project_id, NEW.queue, NEW.state, 1, 1)
    ON CONFLICT DO UPDATE SET current = current + 1, entered = entered + 1;
  INSERT INTO run_stats_minute (project_id, minute, created)
    VALUES (NEW.project_id, NEW.created_at / 60000, 1)
    ON CONFLICT DO UPDATE SET created = created + 1;
  INSERT INTO usage_daily (project_id, day, runs)
    VALUES (NEW.project_id, NEW.created_at / 86400000, 1)
    ON CONFLICT DO UPDATE SET runs = runs + 1;
END;
-- A change of a run's state is counted by SaveRun (usage_repository.cc), not by a trigger:
-- an AFTER UPDATE trigger on runs made each statement's cost grow with the transaction's
-- size (a 20,000-deep chain cancel took 35 s instead of 2).
-- Retention deletes finished runs: they leave the "now" count, not the history.
CREATE TRIGGER IF NOT EXISTS runs_count_delete AFTER DELETE ON runs BEGIN
  UPDATE queue_counts SET current = current - 1
    WHERE project_id = OLD.project_id AND queue = OLD.queue AND state = OLD.state;
END;
CREATE TRIGGER IF NOT EXISTS jobs_count_insert AFTER INSERT ON jobs
WHEN NEW.enabled = 1 AND NEW.deleted_at IS NULL BEGIN
  INSERT INTO project_counts (project_id, active_jobs) VALUES (NEW.project_id, 1)
    ON CONFLICT DO UPDATE SET active_jobs = active_jobs + 1;
END;
CREATE TRIGGER IF NOT EXISTS jobs_count_update AFTER UPDATE OF enabled, deleted_at ON jobs
WHEN (OLD.enabled = 1 AND OLD.deleted_at IS NULL) IS NOT (NEW.enabled = 1 AND NEW.deleted_at IS NULL)
BEGIN
  INSERT INTO project_counts (project_id, active_jobs)
    VALUES (NEW.project_id, CASE WHEN NEW.enabled = 1 AND NEW.deleted_at IS NULL THEN 1 ELSE -1 END)
    ON CONFLICT DO UPDATE SET active_jobs = active_jobs + excluded.active_jobs;
END;
CREATE TRIGGER IF NOT EXISTS jobs_count_delete AFTER DELETE ON jobs
WHEN OLD.enabled = 1 AND OLD.deleted_at IS NULL BEGIN
  UPDATE project_counts SET active_jobs = active_jobs - 1 WHERE project_id = OLD.project_id;
END;
)sql",
    R"sql(
-- The project event log (GET /events) is read by project in id order: event ids are
-- monotonic ULIDs issued on the writer thread, so id order is commit order, and a
-- position stays meaningful after retention deletes rows (rowids may be reused).
CREATE INDEX IF NOT EXISTS events_by_project ON events(project_id, id);
CREATE INDEX IF NOT EXISTS events_by_project_type ON events(project_id, type, id);
-- Exports read a project's runs by (created_at, id) ascending, a keyset page at a time.
CREATE INDEX IF NOT EXISTS runs_by_created ON runs(project_id, created_at, id);
)sql",
    R"sql(
-- Run and job inserts are counted by the application (counter_deltas.h): the writer sums a
-- group's changes and writes each counter row once, where these triggers wrote every
-- counter row once per inserted row (about 20% of flared's CPU per job in a batch create).
DROP TRIGGER IF EXISTS runs_count_insert;
DROP TRIGGER IF EXISTS jobs_count_insert;
)sql",
    R"sql(
-- The flared processes that use this database (one for SQLite; several may share a
-- PostgreSQL database). A node that stops cleanly sets stopped_at; one that dies stops
-- refreshing last_seen_at. Either way the HTTP runs it was performing are failed with
-- WORKER_LOST and retried per policy by a node that is alive, and only those: another
-- node's calls in flight are left alone.
CREATE TABLE IF NOT EXISTS nodes (
  id TEXT PRIMARY KEY,
  started_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  stopped_at INTEGER
) WITHOUT ROWID;
-- The node performing a processing HTTP run (NULL: begun by a flared older than this step,
-- which fails at its first start like any run of a node that is gone).
ALTER TABLE runs ADD COLUMN node_id TEXT;
CREATE INDEX IF NOT EXISTS runs_http_held ON runs(node_id) WHERE state = 'processing' AND is_http = 1;
-- The node whose delivery engine holds a delivery's lease: at start only the leases of lost
-- nodes are released at once (another node's sends in flight are left alone).
ALTER TABLE webhook_deliveries ADD COLUMN node_id TEXT;
)sql",
    R"sql(
-- When each project last started an export of each kind ('jobs', 'runs'): exports are
-- limited to one a minute per project, and several nodes on one database must share that
-- limit, so it is kept with the data instead of in one process's memory.
CREATE TABLE IF NOT EXISTS export_slots (
  project_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  PRIMARY KEY (project_id, kind)
) WITHOUT ROWID;
)sql",
    R"sql(
-- A project's jobs, and a webhook's deliveries, indexed by creation in ascending order, so
-- that a new row is appended at the right end. Declared DESC, each create went in at the
-- left end of its project's entries, which left the pages half full and split one at
-- nearly every commit (3.9 of the ~29 pages a commit of 16 concurrent creates wrote, 2.2
-- after; bench/RESULTS.md). SQLite reads an index backwards as cheaply, so the
-- newest-first listings keep their plans.
DROP INDEX IF EXISTS jobs_by_created;
CREATE INDEX jobs_by_created ON jobs(project_id, created_at, id);
DROP INDEX IF EXISTS webhook_deliveries_by_webhook;
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries(webhook_id, created_at, id);
)sql",
};

}  // namespace

int CurrentSchemaVersion() { return static_cast<int>(kMigrations.size()); }

void MigrateSchema(Connection& connection) {
  auto& db = connection.db();
  int version = db.execAndGet("PRAGMA user_version").getInt();
  if (version > CurrentSchemaVersion()) {
    throw std::runtime_error("the database has schema version " + std::to_string(version) +
                             ", newer than this flared understands (" +
                             std::to_string(CurrentSchemaVersion()) + "); upgrade flared");
  }
  for (int next = version; next < CurrentSchemaVersion(); ++next) {
    db.exec("BEGIN IMMEDIATE");
    try {
      db.exec(kMigrations[next]);
      db.exec("PRAGMA user_version = " + std::to_string(next + 1));
      db.exec("COMMIT");
    } catch (...) {
      db.exec("ROLLBACK");
      throw;
    }
  }
}

}  // namespace flare::daemon

#include "daemon/store/schema.h"

#include <SQLiteCpp/Transaction.h>

#include <array>
#include <stdexcept>
#include <string>

namespace flare::daemon {
namespace {

// Each entry moves the schema from version i to i+1. Never edit a shipped entry:
// add a new one. Times are integer milliseconds since the epoch (UTC).
constexpr std::array<const char*, 4> kMigrations = {
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
-- The project event log (GET /events) is read by project in id order: event ids are
-- monotonic ULIDs issued on the writer thread, so id order is commit order, and a
-- position stays meaningful after retention deletes rows (rowids may be reused).
CREATE INDEX IF NOT EXISTS events_by_project ON events(project_id, id);
CREATE INDEX IF NOT EXISTS events_by_project_type ON events(project_id, type, id);
-- Exports read a project's runs by (created_at, id) ascending, a keyset page at a time.
CREATE INDEX IF NOT EXISTS runs_by_created ON runs(project_id, created_at, id);
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

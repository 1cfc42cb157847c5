#include "daemon/store/pg/schema.h"

namespace flare::daemon::pg {
namespace {

// Version 1 is SQLite's version 9 as a whole: no PostgreSQL database predates it. Later
// changes are new entries; never edit a shipped one.
constexpr std::string_view kTables = R"sql(
CREATE TABLE projects (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  settings TEXT NOT NULL DEFAULT '{}',
  created_at BIGINT NOT NULL
);
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL,
  name TEXT NOT NULL,
  prefix TEXT NOT NULL,
  key_hash BYTEA NOT NULL UNIQUE,
  scopes TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  last_used_at BIGINT,
  revoked_at BIGINT
);
CREATE INDEX api_keys_by_project ON api_keys(project_id, created_at DESC, id DESC);

CREATE TABLE jobs (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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
  next_run_at BIGINT,
  version INTEGER NOT NULL,
  last_run_id TEXT,
  state TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  max_attempts INTEGER NOT NULL,
  started_at BIGINT,
  completed_at BIGINT,
  next_retry_at BIGINT,
  progress DOUBLE PRECISION,
  duration_ms BIGINT,
  error TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  deleted_at BIGINT
);
CREATE INDEX jobs_by_created ON jobs(project_id, created_at DESC, id DESC);
CREATE UNIQUE INDEX jobs_by_slug ON jobs(project_id, slug) WHERE slug IS NOT NULL AND deleted_at IS NULL;
CREATE INDEX jobs_by_parent ON jobs(parent_job_id) WHERE parent_job_id IS NOT NULL;
-- Fires are claimed across nodes with FOR UPDATE SKIP LOCKED in next_run_at order.
CREATE INDEX jobs_by_next_run ON jobs(next_run_at) WHERE next_run_at IS NOT NULL;

CREATE TABLE idempotency_keys (
  project_id TEXT NOT NULL,
  key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  job_id TEXT NOT NULL,
  response TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (project_id, key)
);

CREATE TABLE runs (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  project_id TEXT NOT NULL,
  job_id TEXT NOT NULL,
  job_version INTEGER NOT NULL,
  trigger TEXT NOT NULL,
  rerun_of TEXT,
  scheduled_for BIGINT,
  state TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  max_attempts INTEGER NOT NULL,
  timeout_seconds INTEGER NOT NULL,
  queue TEXT NOT NULL,
  job_type TEXT NOT NULL,
  priority INTEGER NOT NULL,
  is_http INTEGER NOT NULL,
  due_at BIGINT,
  next_retry_at BIGINT,
  worker_id TEXT,
  lease_id TEXT,
  lease_expires_at BIGINT,
  progress DOUBLE PRECISION,
  payload TEXT,
  created_at BIGINT NOT NULL,
  ready_at BIGINT,
  started_at BIGINT,
  completed_at BIGINT,
  duration_ms BIGINT,
  failure_reason TEXT,
  error TEXT,
  request TEXT,
  result TEXT,
  trace TEXT,
  cancel_requested INTEGER NOT NULL DEFAULT 0,
  acked_lease_id TEXT,
  ack_response TEXT,
  node_id TEXT
);
-- The work queue: only pending worker runs, in claim order (FOR UPDATE SKIP LOCKED).
CREATE INDEX runs_ready ON runs(project_id, queue, priority DESC, due_at, rowid)
  WHERE state = 'pending' AND is_http = 0;
CREATE INDEX runs_http_ready ON runs(due_at) WHERE state = 'pending' AND is_http = 1;
CREATE INDEX runs_waiting ON runs(due_at) WHERE state IN ('scheduled', 'failed') AND due_at IS NOT NULL;
CREATE INDEX runs_leased ON runs(lease_expires_at) WHERE state = 'processing';
CREATE INDEX runs_http_held ON runs(node_id) WHERE state = 'processing' AND is_http = 1;
CREATE INDEX runs_by_job ON runs(job_id, rowid);
CREATE INDEX runs_finished ON runs(state, completed_at) WHERE completed_at IS NOT NULL;
CREATE INDEX runs_by_created ON runs(project_id, created_at, id);

CREATE TABLE events (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  job_id TEXT NOT NULL,
  run_id TEXT,
  type TEXT NOT NULL,
  at BIGINT NOT NULL,
  attempt INTEGER,
  details TEXT
);
CREATE INDEX events_by_job ON events(job_id, rowid);
CREATE INDEX events_by_run ON events(run_id) WHERE run_id IS NOT NULL;
CREATE INDEX events_by_project ON events(project_id, id);
CREATE INDEX events_by_project_type ON events(project_id, type, id);

CREATE TABLE workers (
  project_id TEXT NOT NULL,
  worker_id TEXT NOT NULL,
  queues TEXT NOT NULL,
  job_types TEXT NOT NULL,
  registered_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  PRIMARY KEY (project_id, worker_id)
);

CREATE TABLE webhooks (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  project_id TEXT NOT NULL,
  url TEXT NOT NULL,
  events TEXT NOT NULL,
  description TEXT,
  enabled INTEGER NOT NULL,
  disabled_reason TEXT,
  secret BYTEA NOT NULL,
  previous_secret BYTEA,
  previous_secret_expires_at BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX webhooks_by_project ON webhooks(project_id, created_at DESC, id DESC);

CREATE TABLE webhook_deliveries (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  webhook_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  payload TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  next_attempt_at BIGINT,
  lease_id TEXT,
  lease_expires_at BIGINT,
  last_response_code INTEGER,
  last_latency_ms BIGINT,
  last_error TEXT,
  created_at BIGINT NOT NULL,
  completed_at BIGINT,
  node_id TEXT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(webhook_id, next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries(webhook_id, created_at DESC, id DESC);
CREATE INDEX webhook_deliveries_by_project ON webhook_deliveries(project_id, created_at);

CREATE TABLE users (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL,
  email TEXT NOT NULL,
  name TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
-- SQLite's COLLATE NOCASE UNIQUE: one account per address whatever its case.
CREATE UNIQUE INDEX users_by_email ON users(lower(email));

CREATE TABLE sessions (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  token_hash BYTEA NOT NULL UNIQUE,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  revoked_at BIGINT
);

CREATE TABLE queue_counts (
  project_id TEXT NOT NULL,
  queue TEXT NOT NULL,
  state TEXT NOT NULL,
  current BIGINT NOT NULL DEFAULT 0,
  entered BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (project_id, queue, state)
);
CREATE TABLE run_stats_minute (
  project_id TEXT NOT NULL,
  minute BIGINT NOT NULL,
  created BIGINT NOT NULL DEFAULT 0,
  succeeded BIGINT NOT NULL DEFAULT 0,
  failed BIGINT NOT NULL DEFAULT 0,
  retried BIGINT NOT NULL DEFAULT 0,
  cancelled BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (project_id, minute)
);
CREATE TABLE usage_daily (
  project_id TEXT NOT NULL,
  day BIGINT NOT NULL,
  runs BIGINT NOT NULL DEFAULT 0,
  succeeded BIGINT NOT NULL DEFAULT 0,
  failed BIGINT NOT NULL DEFAULT 0,
  webhook_deliveries BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (project_id, day)
);
CREATE TABLE project_counts (
  project_id TEXT PRIMARY KEY,
  active_jobs BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE nodes (
  id TEXT PRIMARY KEY,
  started_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  stopped_at BIGINT
);
)sql";

// The counters SQLite keeps with triggers (store/schema.cc): a deleted run leaves its
// queue's "now" count; a job that becomes active or inactive, or is deleted while active,
// moves its project's count of active jobs. Inserts are counted by the application.
constexpr std::string_view kCountTriggers = R"sql(
CREATE FUNCTION flare_runs_count_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE queue_counts SET current = current - 1
    WHERE project_id = OLD.project_id AND queue = OLD.queue AND state = OLD.state;
  RETURN NULL;
END $$;
CREATE TRIGGER runs_count_delete AFTER DELETE ON runs
  FOR EACH ROW EXECUTE FUNCTION flare_runs_count_delete();

CREATE FUNCTION flare_jobs_count_update() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  was_active boolean := OLD.enabled = 1 AND OLD.deleted_at IS NULL;
  is_active boolean := NEW.enabled = 1 AND NEW.deleted_at IS NULL;
BEGIN
  IF was_active IS DISTINCT FROM is_active THEN
    INSERT INTO project_counts AS p (project_id, active_jobs)
      VALUES (NEW.project_id, CASE WHEN is_active THEN 1 ELSE -1 END)
      ON CONFLICT (project_id) DO UPDATE SET active_jobs = p.active_jobs + excluded.active_jobs;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER jobs_count_update AFTER UPDATE OF enabled, deleted_at ON jobs
  FOR EACH ROW EXECUTE FUNCTION flare_jobs_count_update();

CREATE FUNCTION flare_jobs_count_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.enabled = 1 AND OLD.deleted_at IS NULL THEN
    UPDATE project_counts SET active_jobs = active_jobs - 1 WHERE project_id = OLD.project_id;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER jobs_count_delete AFTER DELETE ON jobs
  FOR EACH ROW EXECUTE FUNCTION flare_jobs_count_delete();
)sql";

// Counter rows striped by session. Every create and every move of a run adds to the same
// few counter rows (its queue's depth, the minute's and the day's figures), and PostgreSQL
// holds a row updated by one transaction locked until that transaction's COMMIT has
// flushed the WAL. With one row per counter, concurrent transactions of one project would
// wait for each other's fsync one by one; with a row per counter and slot (the session's
// backend pid modulo 16), sessions of the pool mostly write rows of their own and commit
// together. Readers sum the slots.
constexpr std::string_view kStripedCounters = R"sql(
CREATE FUNCTION flare_counter_slot() RETURNS smallint LANGUAGE sql STABLE AS
  $$ SELECT (pg_backend_pid() % 16)::smallint $$;

ALTER TABLE queue_counts ADD COLUMN slot SMALLINT NOT NULL DEFAULT 0;
ALTER TABLE queue_counts DROP CONSTRAINT queue_counts_pkey;
ALTER TABLE queue_counts ADD PRIMARY KEY (project_id, queue, state, slot);
ALTER TABLE run_stats_minute ADD COLUMN slot SMALLINT NOT NULL DEFAULT 0;
ALTER TABLE run_stats_minute DROP CONSTRAINT run_stats_minute_pkey;
ALTER TABLE run_stats_minute ADD PRIMARY KEY (project_id, minute, slot);
ALTER TABLE usage_daily ADD COLUMN slot SMALLINT NOT NULL DEFAULT 0;
ALTER TABLE usage_daily DROP CONSTRAINT usage_daily_pkey;
ALTER TABLE usage_daily ADD PRIMARY KEY (project_id, day, slot);
ALTER TABLE project_counts ADD COLUMN slot SMALLINT NOT NULL DEFAULT 0;
ALTER TABLE project_counts DROP CONSTRAINT project_counts_pkey;
ALTER TABLE project_counts ADD PRIMARY KEY (project_id, slot);

CREATE OR REPLACE FUNCTION flare_runs_count_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO queue_counts AS q (project_id, queue, state, slot, current)
    VALUES (OLD.project_id, OLD.queue, OLD.state, flare_counter_slot(), -1)
    ON CONFLICT (project_id, queue, state, slot) DO UPDATE SET current = q.current - 1;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION flare_jobs_count_update() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  was_active boolean := OLD.enabled = 1 AND OLD.deleted_at IS NULL;
  is_active boolean := NEW.enabled = 1 AND NEW.deleted_at IS NULL;
BEGIN
  IF was_active IS DISTINCT FROM is_active THEN
    INSERT INTO project_counts AS p (project_id, slot, active_jobs)
      VALUES (NEW.project_id, flare_counter_slot(), CASE WHEN is_active THEN 1 ELSE -1 END)
      ON CONFLICT (project_id, slot) DO UPDATE SET active_jobs = p.active_jobs + excluded.active_jobs;
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION flare_jobs_count_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.enabled = 1 AND OLD.deleted_at IS NULL THEN
    INSERT INTO project_counts AS p (project_id, slot, active_jobs)
      VALUES (OLD.project_id, flare_counter_slot(), -1)
      ON CONFLICT (project_id, slot) DO UPDATE SET active_jobs = p.active_jobs - 1;
  END IF;
  RETURN NULL;
END $$;
)sql";

// Facts every node of the database must agree on, written by the first node that starts
// (e.g. the fingerprint of the key that encrypts webhook secrets: a node with another key
// would fail every delivery, so it refuses to start instead).
constexpr std::string_view kSettings = R"sql(
CREATE TABLE flare_settings (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
)sql";

// SQLite schema step 10: the export rate limit, shared by the nodes.
constexpr std::string_view kExportSlots = R"sql(
CREATE TABLE export_slots (
  project_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  started_at BIGINT NOT NULL,
  PRIMARY KEY (project_id, kind)
);
)sql";

// Live streams follow the log in the order of the transactions that wrote it
// (store/event_store.h): each event records its transaction, and the tail reads settled
// events in (xact, rowid) order.
// One index serves both the tail and a stream catching up: a second one per project would
// cost every event insert for the rare catch-up of a small project in a large log.
constexpr std::string_view kEventStreamOrder = R"sql(
ALTER TABLE events ADD COLUMN xact xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX events_in_commit_order ON events(xact, rowid);
)sql";

// A claim and an ack each rewrite their jobs' rows (state, attempt, times: no indexed
// column), 50 rows a transaction for a worker's poll or ack list. PostgreSQL keeps such an
// update on the row's page without touching the table's indexes (a HOT update) only if
// the page has room for the new versions until the commit, and creates fill their pages.
// At 70 % the table is ~40 % larger, and 4 workers x 50 drained a backlog ~6 % faster
// (7 of 8 runs; creates unchanged within noise): 61 % of their job updates were HOT
// instead of 4 %, and the indexes of jobs stop growing with every update.
// Existing rows keep their pages; new pages get the room.
constexpr std::string_view kRoomForUpdates = R"sql(
ALTER TABLE jobs SET (fillfactor = 70);
)sql";

// The timer asks at every pass for the earliest next fire of an enabled, live job, and the
// fire takes the due ones in that order; both filter on enabled and deleted_at, which the
// first index (next_run_at IS NOT NULL) left to a filter. Until the table has statistics
// (a new or newly filled database, before autovacuum's first ANALYZE) PostgreSQL guesses
// that `enabled = 1` keeps 0.5 % of rows and `next_run_at IS NOT NULL` 99.5 %, expects to
// read the whole index for one row, and scans the table instead: 80-370 ms at 20,000 jobs
// (a scan grows with the table: seconds at a million), at every timer pass of every node.
// An index whose predicate is the queries' whole filter leaves nothing to guess.
// Built online (migrations.h), so the nodes' requests go on meanwhile; each step may run
// again (an interrupted build leaves an invalid jobs_due, dropped first).
constexpr std::string_view kDueJobsIndex[] = {
    "DROP INDEX CONCURRENTLY IF EXISTS jobs_due",
    "CREATE INDEX CONCURRENTLY jobs_due ON jobs(next_run_at)"
    " WHERE next_run_at IS NOT NULL AND enabled = 1 AND deleted_at IS NULL",
    "DROP INDEX CONCURRENTLY IF EXISTS jobs_by_next_run",
};

// A group of writes (creates, claims, acks) confirms its requests' keys (KeyToConfirm)
// inside its transaction. Read and answered first, that check was a round trip of its own
// before the writes, ~a fifth of a 16-client create group's time; raised as an error it
// travels with the writes and the COMMIT, and aborts the transaction before it commits
// anything. The hashes come as hex.
constexpr std::string_view kKeysRequiredInTheWrite = R"sql(
CREATE FUNCTION flare_require_active_keys(hex_hashes text[]) RETURNS void
LANGUAGE plpgsql STABLE AS $$
BEGIN
  IF (SELECT count(*) FROM api_keys WHERE revoked_at IS NULL
        AND key_hash = ANY(ARRAY(SELECT decode(h, 'hex') FROM unnest(hex_hashes) AS h)))
     < (SELECT count(DISTINCT h) FROM unnest(hex_hashes) AS h) THEN
    RAISE EXCEPTION 'an API key this write confirms was revoked' USING ERRCODE = 'FL401';
  END IF;
END $$;
)sql";

// New jobs and deliveries are appended at their index's right end (see the SQLite schema's
// step 11): a DESC index took each one at its leftmost position, where a page split leaves
// both halves half full. A b-tree is scanned backwards as cheaply.
// Built online (migrations.h) under a temporary name, then put in the old one's place; run
// again from any step, it ends the same (at worst it builds the index once more).
constexpr std::string_view kAscendingCreationIndexes[] = {
    "DROP INDEX CONCURRENTLY IF EXISTS jobs_by_created_ascending",
    "CREATE INDEX CONCURRENTLY jobs_by_created_ascending ON jobs(project_id, created_at, id)",
    "DROP INDEX CONCURRENTLY IF EXISTS jobs_by_created",
    "ALTER INDEX jobs_by_created_ascending RENAME TO jobs_by_created",
    "DROP INDEX CONCURRENTLY IF EXISTS webhook_deliveries_by_webhook_ascending",
    "CREATE INDEX CONCURRENTLY webhook_deliveries_by_webhook_ascending"
    " ON webhook_deliveries(webhook_id, created_at, id)",
    "DROP INDEX CONCURRENTLY IF EXISTS webhook_deliveries_by_webhook",
    "ALTER INDEX webhook_deliveries_by_webhook_ascending RENAME TO webhook_deliveries_by_webhook",
};

constexpr Migration kMigrations[] = {
    {1, "tables and indexes of SQLite schema version 9", kTables},
    {2, "the counters SQLite keeps with triggers", kCountTriggers},
    {3, "counter rows striped by session", kStripedCounters},
    {4, "settings the nodes share", kSettings},
    {5, "the export rate limit", kExportSlots},
    {6, "the order streams read events in", kEventStreamOrder},
    {7, "room on each page for the updates of its jobs", kRoomForUpdates},
    {8, "the timer's index of due jobs, whole", "", kDueJobsIndex},
    {9, "a write that requires its keys to be active", kKeysRequiredInTheWrite},
    {10, "creation indexes that new rows append to", "", kAscendingCreationIndexes},
};

}  // namespace

std::span<const Migration> FlareSchema() { return kMigrations; }

}  // namespace flare::daemon::pg

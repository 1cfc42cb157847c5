#include "daemon/store/run_repository.h"

#include "daemon/store/columns.h"
#include "daemon/store/counter_deltas.h"
#include "daemon/store/node_repository.h"

namespace flare::daemon {
namespace {

#define RUN_COLUMNS                                                                             \
  "rowid, id, project_id, job_id, job_version, trigger, rerun_of, scheduled_for, "              \
  "state, attempt, max_attempts, timeout_seconds, queue, job_type, priority, is_http, due_at, " \
  "next_retry_at, worker_id, lease_id, lease_expires_at, progress, payload, created_at, "       \
  "ready_at, started_at, completed_at, duration_ms, failure_reason, error, request, result, "   \
  "trace, cancel_requested, acked_lease_id, ack_response, node_id "
#define RUN_SELECT "SELECT " RUN_COLUMNS "FROM runs "

// Binds ?1..?36 in the column order of RUN_SELECT without rowid.
// What a run is born with and keeps (SaveRun never writes these: an UPDATE that assigns an
// indexed column rewrites that index's entry even when the value is the same, and job_id and
// created_at key runs_by_job and runs_by_created).
void BindRunIdentity(SQLite::Statement& st, const RunRecord& r) {
  st.bind(3, r.job_id);
  st.bind(5, r.trigger);
  BindText(st, 6, r.rerun_of);
  BindTime(st, 7, r.scheduled_for);
  BindJson(st, 22, r.payload);
  BindTime(st, 23, r.created_at);
}

// Everything a transition or a job update may change, and the key.
void BindRunState(SQLite::Statement& st, const RunRecord& r) {
  st.bind(1, r.id);
  st.bind(2, r.project_id);
  st.bind(4, r.job_version);
  BindState(st, 8, r.state);
  st.bind(9, r.attempt);
  st.bind(10, r.max_attempts);
  st.bind(11, r.timeout_seconds);
  st.bind(12, r.queue);
  st.bind(13, r.job_type);
  st.bind(14, r.priority);
  st.bind(15, r.is_http ? 1 : 0);
  BindTime(st, 16, r.due_at);
  BindTime(st, 17, r.next_retry_at);
  BindText(st, 18, r.worker_id);
  BindText(st, 19, r.lease_id);
  BindTime(st, 20, r.lease_expires_at);
  BindOptional(st, 21, r.progress);
  BindTime(st, 24, r.ready_at);
  BindTime(st, 25, r.started_at);
  BindTime(st, 26, r.completed_at);
  BindOptional(st, 27, r.duration_ms);
  BindText(st, 28, r.failure_reason);
  BindJson(st, 29, r.error);
  BindText(st, 30, r.request.text());
  BindText(st, 31, r.result.text());
  BindText(st, 32, r.trace.text());
  st.bind(33, r.cancel_requested ? 1 : 0);
  BindText(st, 34, r.acked_lease_id);
  BindJson(st, 35, r.ack_response);
  BindText(st, 36, r.node_id);
}

void BindRun(SQLite::Statement& st, const RunRecord& r) {
  BindRunIdentity(st, r);
  BindRunState(st, r);
}

RunRecord ReadRun(SQLite::Statement& st) {
  RunRecord r;
  r.rowid = st.getColumn(0).getInt64();
  r.id = ColText(st, 1);
  r.project_id = ColText(st, 2);
  r.job_id = ColText(st, 3);
  r.job_version = st.getColumn(4).getInt();
  r.trigger = ColText(st, 5);
  r.rerun_of = ColText(st, 6);
  r.scheduled_for = ColTime(st, 7);
  r.state = ColState(st, 8);
  r.attempt = st.getColumn(9).getInt();
  r.max_attempts = st.getColumn(10).getInt();
  r.timeout_seconds = st.getColumn(11).getInt();
  r.queue = ColText(st, 12);
  r.job_type = ColText(st, 13);
  r.priority = st.getColumn(14).getInt();
  r.is_http = st.getColumn(15).getInt() != 0;
  r.due_at = ColTime(st, 16);
  r.next_retry_at = ColTime(st, 17);
  r.worker_id = ColText(st, 18);
  r.lease_id = ColText(st, 19);
  r.lease_expires_at = ColTime(st, 20);
  r.progress = ColDouble(st, 21);
  r.payload = ColJson(st, 22);
  r.created_at = ColTimeRequired(st, 23);
  r.ready_at = ColTime(st, 24);
  r.started_at = ColTime(st, 25);
  r.completed_at = ColTime(st, 26);
  r.duration_ms = ColInt64(st, 27);
  r.failure_reason = ColText(st, 28);
  r.error = ColJson(st, 29);
  r.request = StoredJson::FromColumn(ColText(st, 30));
  r.result = StoredJson::FromColumn(ColText(st, 31));
  r.trace = StoredJson::FromColumn(ColText(st, 32));
  r.cancel_requested = st.getColumn(33).getInt() != 0;
  r.acked_lease_id = ColText(st, 34);
  r.ack_response = ColJson(st, 35);
  r.node_id = ColText(st, 36);
  return r;
}

std::vector<RunRecord> ReadRuns(SQLite::Statement& st) {
  std::vector<RunRecord> runs;
  while (st.executeStep()) runs.push_back(ReadRun(st));
  return runs;
}

// Queries on the queue, the timer and leases spell states in their SQL text, not bound from
// ToString: SQLite uses a partial index (runs_ready, runs_http_ready, runs_waiting,
// runs_leased in schema.cc) only when the statement's text implies the index's WHERE, which
// a bound value never does. These spellings must stay the enum's.
static_assert(ToString(RunState::kPending) == "pending");
static_assert(ToString(RunState::kScheduled) == "scheduled");
static_assert(ToString(RunState::kFailed) == "failed");
static_assert(ToString(RunState::kProcessing) == "processing");

std::string Placeholders(size_t count) {
  std::string out;
  for (size_t i = 0; i < count; ++i) out += i == 0 ? "?" : ", ?";
  return out;
}

}  // namespace

void InsertRun(Connection& c, RunRecord& run) {
  auto& st = c.Prepare(
      "INSERT INTO runs (id, project_id, job_id, job_version, trigger, rerun_of, scheduled_for, "
      "state, attempt, max_attempts, timeout_seconds, queue, job_type, priority, is_http, due_at, "
      "next_retry_at, worker_id, lease_id, lease_expires_at, progress, payload, created_at, "
      "ready_at, started_at, completed_at, duration_ms, failure_reason, error, request, result, "
      "trace, cancel_requested, acked_lease_id, ack_response, node_id) VALUES (?1, ?2, ?3, ?4, "
      "?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, "
      "?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34, ?35, ?36)");
  BindRun(st, run);
  st.exec();
  run.rowid = c.db().getLastInsertRowid();
  CountRunCreated(c, run);
}

void SaveRun(Connection& c, const RunRecord& run) {
  // The stored state and queue, for the counters (a primary-key read of a page the update
  // below touches anyway).
  auto& before = c.Prepare("SELECT state, queue FROM runs WHERE id = ?1");
  before.bind(1, run.id);
  std::optional<RunState> old_state;
  std::string old_queue;
  if (before.executeStep()) {
    old_state = ColState(before, 0);
    old_queue = before.getColumn(1).getString();
  }
  before.reset();
  auto& st = c.Prepare(
      "UPDATE runs SET job_version = ?4, state = ?8, attempt = ?9, max_attempts = ?10, "
      "timeout_seconds = ?11, queue = ?12, job_type = ?13, priority = ?14, is_http = ?15, "
      "due_at = ?16, next_retry_at = ?17, worker_id = ?18, lease_id = ?19, "
      "lease_expires_at = ?20, progress = ?21, ready_at = ?24, started_at = ?25, "
      "completed_at = ?26, duration_ms = ?27, failure_reason = ?28, error = ?29, request = ?30, "
      "result = ?31, trace = ?32, cancel_requested = ?33, acked_lease_id = ?34, "
      "ack_response = ?35, node_id = ?36 WHERE id = ?1 AND project_id = ?2");
  BindRunState(st, run);
  if (st.exec() > 0 && old_state && *old_state != run.state)
    CountRunMoved(c, run, old_queue, *old_state);
}

std::optional<RunRecord> FindRun(Connection& c, const std::string& project_id,
                                 const std::string& run_id) {
  auto& st = c.Prepare(RUN_SELECT "WHERE id = ?1 AND project_id = ?2");
  st.bind(1, run_id);
  st.bind(2, project_id);
  if (!st.executeStep()) return std::nullopt;
  return ReadRun(st);
}

std::optional<RunRecord> FindRunOfJob(Connection& c, const std::string& job_id,
                                      const std::string& run_id) {
  auto& st = c.Prepare(RUN_SELECT "WHERE id = ?1 AND job_id = ?2");
  st.bind(1, run_id);
  st.bind(2, job_id);
  if (!st.executeStep()) return std::nullopt;
  return ReadRun(st);
}

std::vector<RunRecord> RunsOfJobInState(Connection& c, const std::string& job_id,
                                        std::initializer_list<RunState> states) {
  std::string sql = RUN_SELECT "WHERE job_id = ? AND state IN (" + Placeholders(states.size()) +
                    ") ORDER BY rowid";
  auto& st = c.PrepareDynamic(sql);
  int i = 0;
  st.bind(++i, job_id);
  for (RunState state : states) BindState(st, ++i, state);
  return ReadRuns(st);
}

std::vector<RunRecord> ClaimableRuns(Connection& c, const std::string& project_id,
                                     const std::vector<std::string>& queues,
                                     const std::vector<std::string>& job_types, int limit) {
  std::string sql = RUN_SELECT
                    "WHERE project_id = ? AND state = 'pending' AND is_http = 0 AND "
                    "queue IN (" +
                    Placeholders(queues.size()) + ")";
  if (!job_types.empty()) sql += " AND job_type IN (" + Placeholders(job_types.size()) + ")";
  sql += " ORDER BY priority DESC, due_at, rowid LIMIT ?";
  auto& st = c.PrepareDynamic(sql);
  int i = 0;
  st.bind(++i, project_id);
  for (const auto& queue : queues) st.bind(++i, queue);
  for (const auto& type : job_types) st.bind(++i, type);
  st.bind(++i, limit);
  return ReadRuns(st);
}

std::vector<RunRecord> DueWaitingRuns(Connection& c, TimePoint now, int limit) {
  auto& st = c.Prepare(RUN_SELECT
                       "WHERE state IN ('scheduled', 'failed') AND due_at IS NOT NULL AND "
                       "due_at <= ?1 ORDER BY due_at LIMIT ?2");
  BindTime(st, 1, now);
  st.bind(2, limit);
  return ReadRuns(st);
}

std::vector<RunRecord> ExpiredLeases(Connection& c, TimePoint now, int limit) {
  auto& st = c.Prepare(RUN_SELECT
                       "WHERE state = 'processing' AND lease_expires_at <= ?1 "
                       "ORDER BY lease_expires_at LIMIT ?2");
  BindTime(st, 1, now);
  st.bind(2, limit);
  return ReadRuns(st);
}

std::vector<RunRecord> RunsHeldBy(Connection& c, const std::string& project_id,
                                  const std::string& worker_id) {
  // runs_leased holds the processing runs only; left to itself SQLite would search the
  // project's runs through runs_by_created (every run the project has, on the writer).
  auto& st = c.Prepare("SELECT " RUN_COLUMNS
                       "FROM runs INDEXED BY runs_leased "
                       "WHERE state = 'processing' AND project_id = ?1 AND worker_id = ?2");
  st.bind(1, project_id);
  st.bind(2, worker_id);
  return ReadRuns(st);
}

std::vector<RunRecord> RunsOfJobHeldBy(Connection& c, const std::string& job_id,
                                       const std::string& worker_id) {
  auto& st = c.Prepare(RUN_SELECT
                       "WHERE job_id = ?1 AND state = 'processing' AND is_http = 0 AND "
                       "worker_id = ?2 ORDER BY rowid");
  st.bind(1, job_id);
  st.bind(2, worker_id);
  return ReadRuns(st);
}

std::vector<RunRecord> ListRuns(Connection& c, const std::string& project_id,
                                const RunFilter& filter, const std::optional<PageCursor>& cursor,
                                int limit) {
  std::string sql = RUN_SELECT "WHERE project_id = ?";
  if (!filter.job_id.empty()) sql += " AND job_id = ?";
  if (filter.state) sql += " AND state = ?";
  if (!filter.trigger.empty()) sql += " AND trigger = ?";
  if (cursor) sql += " AND (created_at, id) < (?, ?)";
  sql += " ORDER BY created_at DESC, id DESC LIMIT ?";
  auto& st = c.PrepareDynamic(sql);
  int i = 0;
  st.bind(++i, project_id);
  if (!filter.job_id.empty()) st.bind(++i, filter.job_id);
  if (filter.state) BindState(st, ++i, *filter.state);
  if (!filter.trigger.empty()) st.bind(++i, filter.trigger);
  if (cursor) {
    st.bind(++i, cursor->created_ms);
    st.bind(++i, cursor->id);
  }
  st.bind(++i, limit);
  return ReadRuns(st);
}

std::vector<CancelNotice> TakeCancelNotices(Connection& c, const std::string& project_id,
                                            const std::string& worker_id) {
  auto& st = c.Prepare(
      "UPDATE runs SET cancel_requested = 0 WHERE project_id = ?1 AND worker_id = ?2 AND "
      "cancel_requested = 1 AND state = ?3 AND is_http = 0 RETURNING job_id, id");
  st.bind(1, project_id);
  st.bind(2, worker_id);
  BindState(st, 3, RunState::kCancelled);
  std::vector<CancelNotice> notices;
  while (st.executeStep()) notices.push_back({ColText(st, 0), ColText(st, 1)});
  return notices;
}

// Both read the processing HTTP runs through runs_http_held (as many as calls in flight on
// all nodes), never the whole table.
std::vector<RunRecord> HttpRunsOfLostNodes(Connection& c, const std::string& self,
                                           TimePoint alive_since, int limit) {
  auto& st =
      c.Prepare(RUN_SELECT "WHERE state = 'processing' AND is_http = 1 AND " FLARE_SQL_NODE_IS_LOST(
          "runs.node_id", "?1", "?2") "LIMIT ?3");
  st.bind(1, self);
  BindTime(st, 2, alive_since);
  st.bind(3, limit);
  return ReadRuns(st);
}

OptTime OldestBusyNodeSeen(Connection& c, const std::string& self) {
  auto& st = c.Prepare(
      "SELECT MIN(n.last_seen_at) FROM "
      "(SELECT DISTINCT node_id FROM runs WHERE state = 'processing' AND is_http = 1 "
      " AND node_id <> ?1) r "
      "JOIN nodes n ON n.id = r.node_id AND n.stopped_at IS NULL");
  st.bind(1, self);
  st.executeStep();
  return ColTime(st, 0);
}

std::vector<RunRecord> PendingHttpRuns(Connection& c) {
  auto& st = c.Prepare(RUN_SELECT "WHERE state = 'pending' AND is_http = 1 ORDER BY due_at");
  return ReadRuns(st);
}

OptTime EarliestWaitingDue(Connection& c) {
  auto& st = c.Prepare(
      "SELECT MIN(due_at) FROM runs WHERE state IN ('scheduled', 'failed') AND due_at IS NOT NULL");
  st.executeStep();
  return ColTime(st, 0);
}

OptTime EarliestLeaseExpiry(Connection& c) {
  auto& st = c.Prepare("SELECT MIN(lease_expires_at) FROM runs WHERE state = 'processing'");
  st.executeStep();
  return ColTime(st, 0);
}

}  // namespace flare::daemon

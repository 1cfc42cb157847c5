#include "daemon/store/postgres/run_store.h"

#include <array>
#include <stdexcept>
#include <string_view>

#include "daemon/store/node_sql.h"
#include "daemon/store/postgres/columns.h"

namespace flare::daemon::postgres {
// The unity build compiles this file in one batch with the other stores: a named namespace
// keeps its helpers apart from theirs, the inner anonymous one keeps them internal.
namespace runs_sql {
namespace {

#define PG_RUN_COLUMNS                                                                          \
  "rowid, id, project_id, job_id, job_version, trigger, rerun_of, scheduled_for, "              \
  "state, attempt, max_attempts, timeout_seconds, queue, job_type, priority, is_http, due_at, " \
  "next_retry_at, worker_id, lease_id, lease_expires_at, progress, payload, created_at, "       \
  "ready_at, started_at, completed_at, duration_ms, failure_reason, error, request, result, "   \
  "trace, cancel_requested, acked_lease_id, ack_response, node_id "
#define PG_RUN_SELECT "SELECT " PG_RUN_COLUMNS "FROM runs "

// Queries on the queue, the timer and leases spell states in their SQL text, as the SQLite
// store does: the partial indexes (runs_ready, runs_waiting, runs_leased, … in schema.cc)
// then match the statement whatever plan the server makes. These spellings must stay the
// enum's.
static_assert(ToString(RunState::kPending) == "pending");
static_assert(ToString(RunState::kScheduled) == "scheduled");
static_assert(ToString(RunState::kFailed) == "failed");
static_assert(ToString(RunState::kProcessing) == "processing");

// The key of a run, then the columns Save writes (in parameter order $3, $4, …), then what a
// run is born with and keeps. Save never assigns the last group: an UPDATE that assigns an
// indexed column may rewrite that index's entry, and job_id and created_at key runs_by_job
// and runs_by_created.
constexpr std::array<std::string_view, 2> kKeyColumns = {"id", "project_id"};
// clang-format off
constexpr std::array<std::string_view, 28> kChangingColumns = {
    "job_version", "state", "attempt", "max_attempts", "timeout_seconds", "queue", "job_type",
    "priority", "is_http", "due_at", "next_retry_at", "worker_id", "lease_id",
    "lease_expires_at", "progress", "ready_at", "started_at", "completed_at", "duration_ms",
    "failure_reason", "error", "request", "result", "trace", "cancel_requested",
    "acked_lease_id", "ack_response", "node_id"};
// clang-format on
constexpr std::array<std::string_view, 6> kBirthColumns = {
    "job_id", "trigger", "rerun_of", "scheduled_for", "payload", "created_at"};

// The values of kKeyColumns and kChangingColumns, in their order.
std::vector<pg::PgParam> KeyAndChangingValues(const RunRecord& r) {
  return {r.id,
          r.project_id,
          r.job_version,
          StateText(r.state),
          r.attempt,
          r.max_attempts,
          r.timeout_seconds,
          r.queue,
          r.job_type,
          r.priority,
          Flag(r.is_http),
          Millis(r.due_at),
          Millis(r.next_retry_at),
          TextOrNull(r.worker_id),
          TextOrNull(r.lease_id),
          Millis(r.lease_expires_at),
          DoubleOrNull(r.progress),
          Millis(r.ready_at),
          Millis(r.started_at),
          Millis(r.completed_at),
          r.duration_ms,
          TextOrNull(r.failure_reason),
          JsonOrNull(r.error),
          TextOrNull(r.request.text()),
          TextOrNull(r.result.text()),
          TextOrNull(r.trace.text()),
          Flag(r.cancel_requested),
          TextOrNull(r.acked_lease_id),
          JsonOrNull(r.ack_response),
          TextOrNull(r.node_id)};
}

// The values of every column an INSERT writes: the above, then kBirthColumns.
std::vector<pg::PgParam> AllValues(const RunRecord& r) {
  std::vector<pg::PgParam> values = KeyAndChangingValues(r);
  values.insert(values.end(), {r.job_id, r.trigger, TextOrNull(r.rerun_of), Millis(r.scheduled_for),
                               JsonOrNull(r.payload), Millis(r.created_at)});
  return values;
}

std::string Placeholder(size_t number) { return "$" + std::to_string(number); }

const std::string& InsertSql() {
  static const std::string sql = [] {
    std::string columns, values;
    size_t number = 0;
    auto add = [&](std::string_view column) {
      if (number > 0) columns += ", ", values += ", ";
      columns += column;
      values += Placeholder(++number);
    };
    for (auto column : kKeyColumns) add(column);
    for (auto column : kChangingColumns) add(column);
    for (auto column : kBirthColumns) add(column);
    return "INSERT INTO runs (" + columns + ") VALUES (" + values + ")";
  }();
  return sql;
}

// "column = $n, …" for every changing column, numbered after the key columns.
std::string ChangingAssignments() {
  std::string assignments;
  size_t number = kKeyColumns.size();
  for (auto column : kChangingColumns) {
    if (!assignments.empty()) assignments += ", ";
    assignments += std::string(column) + " = " + Placeholder(++number);
  }
  return assignments;
}

// One statement reads the stored state and queue (for the counters) and writes the run: the
// sub-select locks the row first, so under READ COMMITTED the old values it returns are those
// of the version the UPDATE replaces, not of one a concurrent transaction replaced meanwhile.
const std::string& SaveSql() {
  static const std::string sql = [] {
    return "UPDATE runs r SET " + ChangingAssignments() +
           " FROM (SELECT id, state AS old_state, queue AS old_queue FROM runs WHERE id = $1 "
           "FOR UPDATE) o WHERE r.id = o.id AND r.project_id = $2 "
           "RETURNING o.old_state, o.old_queue";
  }();
  return sql;
}

// The same write for a run whose stored state the caller already knows (a locked row).
const std::string& UpdateSql() {
  static const std::string sql =
      "UPDATE runs SET " + ChangingAssignments() + " WHERE id = $1 AND project_id = $2";
  return sql;
}

RunState StoredState(const pg::PgResult& rows, int row, int column) {
  std::string text = rows.Text(row, column);
  if (std::optional<RunState> state = ParseRunState(text)) return *state;
  throw std::runtime_error("stored run state '" + text + "' is not a state this flared knows");
}

int IntAt(const pg::PgResult& rows, int row, int column) {
  return static_cast<int>(rows.Int64(row, column));
}

// A row of PG_RUN_SELECT.
RunRecord ReadRun(const pg::PgResult& rows, int row) {
  RunRecord r;
  r.rowid = rows.Int64(row, 0);
  r.id = TextAt(rows, row, 1);
  r.project_id = TextAt(rows, row, 2);
  r.job_id = TextAt(rows, row, 3);
  r.job_version = IntAt(rows, row, 4);
  r.trigger = TextAt(rows, row, 5);
  r.rerun_of = TextAt(rows, row, 6);
  r.scheduled_for = OptTimeAt(rows, row, 7);
  r.state = StoredState(rows, row, 8);
  r.attempt = IntAt(rows, row, 9);
  r.max_attempts = IntAt(rows, row, 10);
  r.timeout_seconds = IntAt(rows, row, 11);
  r.queue = TextAt(rows, row, 12);
  r.job_type = TextAt(rows, row, 13);
  r.priority = IntAt(rows, row, 14);
  r.is_http = FlagAt(rows, row, 15);
  r.due_at = OptTimeAt(rows, row, 16);
  r.next_retry_at = OptTimeAt(rows, row, 17);
  r.worker_id = TextAt(rows, row, 18);
  r.lease_id = TextAt(rows, row, 19);
  r.lease_expires_at = OptTimeAt(rows, row, 20);
  r.progress = OptDoubleAt(rows, row, 21);
  r.payload = JsonAt(rows, row, 22);
  r.created_at = TimeAt(rows, row, 23);
  r.ready_at = OptTimeAt(rows, row, 24);
  r.started_at = OptTimeAt(rows, row, 25);
  r.completed_at = OptTimeAt(rows, row, 26);
  r.duration_ms = OptInt64At(rows, row, 27);
  r.failure_reason = TextAt(rows, row, 28);
  r.error = JsonAt(rows, row, 29);
  r.request = StoredJson::FromColumn(TextAt(rows, row, 30));
  r.result = StoredJson::FromColumn(TextAt(rows, row, 31));
  r.trace = StoredJson::FromColumn(TextAt(rows, row, 32));
  r.cancel_requested = FlagAt(rows, row, 33);
  r.acked_lease_id = TextAt(rows, row, 34);
  r.ack_response = JsonAt(rows, row, 35);
  r.node_id = TextAt(rows, row, 36);
  return r;
}

std::vector<RunRecord> ReadRuns(const pg::PgResult& rows) {
  std::vector<RunRecord> runs;
  runs.reserve(rows.rows());
  for (int row = 0; row < rows.rows(); ++row) runs.push_back(ReadRun(rows, row));
  return runs;
}

std::optional<RunRecord> ReadOne(const pg::PgResult& rows) {
  if (rows.rows() == 0) return std::nullopt;
  return ReadRun(rows, 0);
}

OptTime ReadOptTime(const pg::PgResult& rows) { return OptTimeAt(rows, 0, 0); }

std::vector<std::string> StateTexts(std::initializer_list<RunState> states) {
  std::vector<std::string> texts;
  for (RunState state : states) texts.emplace_back(StateText(state));
  return texts;
}

/// The SQLite store reads a negative limit as "no limit"; PostgreSQL rejects a negative
/// LIMIT but reads LIMIT NULL so.
std::optional<int> LimitOrAll(int limit) {
  if (limit < 0) return std::nullopt;
  return limit;
}

/// Parameters of a statement whose SQL is assembled from optional parts: Add keeps the value
/// and returns its placeholder, so numbering and values cannot drift apart.
class Parameters {
 public:
  std::string Add(pg::PgParam value) {
    values_.push_back(std::move(value));
    return Placeholder(values_.size());
  }
  const std::vector<pg::PgParam>& values() const { return values_; }

 private:
  std::vector<pg::PgParam> values_;
};

/// The test that a column holds one of `values`. One value is compared with `=`: the server
/// then reads runs_ready in claim order and stops at the limit, where `= ANY` (before
/// PostgreSQL 17) reads every pending run of the queue and sorts them.
std::string OneOf(Parameters& p, const std::vector<std::string>& values) {
  if (values.size() == 1) return " = " + p.Add(values[0]);
  return " = ANY(" + p.Add(TextArray(values)) + "::text[])";
}

}  // namespace
}  // namespace runs_sql

std::vector<RunRecord> PgRunStore::Locked(std::vector<RunRecord> runs) {
  if (session_.writing()) {
    for (const RunRecord& run : runs) locked_[run.id] = {run.state, run.queue};
  }
  return runs;
}

std::optional<RunRecord> PgRunStore::Locked(std::optional<RunRecord> run) {
  if (run && session_.writing()) locked_[run->id] = {run->state, run->queue};
  return run;
}

void PgRunStore::Insert(RunRecord& run) {
  session_.WriteParams(runs_sql::InsertSql(), runs_sql::AllValues(run));
  if (session_.writing()) locked_[run.id] = {run.state, run.queue};
  session_.Count([&](CounterDeltas& d) { d.RunCreated(run); });
}

void PgRunStore::Save(const RunRecord& run) {
  auto known = locked_.find(run.id);
  if (known != locked_.end()) {
    session_.WriteParams(runs_sql::UpdateSql(), runs_sql::KeyAndChangingValues(run));
    LockedAs& was = known->second;
    if (was.state != run.state)
      session_.Count([&](CounterDeltas& d) { d.RunMoved(run, was.queue, was.state); });
    was = {run.state, run.queue};
    return;
  }
  pg::PgResult before =
      session_.db.ExecParams(runs_sql::SaveSql(), runs_sql::KeyAndChangingValues(run));
  if (before.rows() == 0) return;
  RunState old_state = runs_sql::StoredState(before, 0, 0);
  std::string old_queue = before.Text(0, 1);
  if (session_.writing()) locked_[run.id] = {run.state, run.queue};
  if (old_state != run.state)
    session_.Count([&](CounterDeltas& d) { d.RunMoved(run, old_queue, old_state); });
}

std::optional<RunRecord> PgRunStore::Find(const std::string& project_id,
                                          const std::string& run_id) {
  return Locked(runs_sql::ReadOne(session_.db.Exec(
      std::string(PG_RUN_SELECT "WHERE id = $1 AND project_id = $2") + session_.lock(), run_id,
      project_id)));
}

// Locked in rowid order, as OfJobInState locks a job's runs. The project test serves no
// index on purpose, as in PgJobStore::FindMany.
std::vector<RunRecord> PgRunStore::FindMany(const std::string& project_id,
                                            const std::vector<std::string>& ids) {
  if (ids.empty()) return {};
  return Locked(runs_sql::ReadRuns(session_.db.Exec(
      std::string(PG_RUN_SELECT
                  "WHERE id = ANY($1::text[]) AND (project_id = $2) IS TRUE ORDER BY rowid") +
          session_.lock(),
      TextArray(ids), project_id)));
}

std::optional<RunRecord> PgRunStore::FindOfJob(const std::string& job_id,
                                               const std::string& run_id) {
  return Locked(runs_sql::ReadOne(
      session_.db.Exec(std::string(PG_RUN_SELECT "WHERE id = $1 AND job_id = $2") + session_.lock(),
                       run_id, job_id)));
}

// The caller changes these runs (cancels, reschedules them): locked like a lookup, in rowid
// order so that two operations on one job take their locks in the same order.
std::vector<RunRecord> PgRunStore::OfJobInState(const std::string& job_id,
                                                std::initializer_list<RunState> states) {
  return Locked(runs_sql::ReadRuns(session_.db.Exec(
      std::string(PG_RUN_SELECT "WHERE job_id = $1 AND state = ANY($2::text[]) ORDER BY rowid") +
          session_.lock(),
      job_id, TextArray(runs_sql::StateTexts(states)))));
}

std::vector<RunRecord> PgRunStore::Claimable(const std::string& project_id,
                                             const std::vector<std::string>& queues,
                                             const std::vector<std::string>& job_types, int limit) {
  runs_sql::Parameters p;
  std::string sql = PG_RUN_SELECT "WHERE project_id = " + p.Add(project_id) +
                    " AND state = 'pending' AND is_http = 0 AND queue" + runs_sql::OneOf(p, queues);
  if (!job_types.empty()) sql += " AND job_type" + runs_sql::OneOf(p, job_types);
  sql += " ORDER BY priority DESC, due_at, rowid LIMIT " + p.Add(runs_sql::LimitOrAll(limit));
  return Locked(runs_sql::ReadRuns(session_.db.ExecParams(sql + session_.claim(), p.values())));
}

std::vector<RunRecord> PgRunStore::DueWaiting(TimePoint now, int limit) {
  return Locked(runs_sql::ReadRuns(session_.db.Exec(
      std::string(PG_RUN_SELECT "WHERE state IN ('scheduled', 'failed') AND due_at IS NOT NULL AND "
                                "due_at <= $1 ORDER BY due_at LIMIT $2") +
          session_.claim(),
      Millis(now), runs_sql::LimitOrAll(limit))));
}

std::vector<RunRecord> PgRunStore::ExpiredLeases(TimePoint now, int limit) {
  return Locked(runs_sql::ReadRuns(session_.db.Exec(
      std::string(PG_RUN_SELECT "WHERE state = 'processing' AND lease_expires_at <= $1 "
                                "ORDER BY lease_expires_at LIMIT $2") +
          session_.claim(),
      Millis(now), runs_sql::LimitOrAll(limit))));
}

// The timer fails the runs of a silent worker: skipped while another operation (the worker's
// own late ack, another node's timer) holds them, as a queue query would.
std::vector<RunRecord> PgRunStore::HeldBy(const std::string& project_id,
                                          const std::string& worker_id) {
  return Locked(runs_sql::ReadRuns(session_.db.Exec(
      std::string(PG_RUN_SELECT
                  "WHERE state = 'processing' AND project_id = $1 AND worker_id = $2") +
          session_.claim(),
      project_id, worker_id)));
}

// A worker's ack or heartbeat for one job: its runs are waited for, like a lookup.
std::vector<RunRecord> PgRunStore::OfJobHeldBy(const std::string& job_id,
                                               const std::string& worker_id) {
  return Locked(runs_sql::ReadRuns(session_.db.Exec(
      std::string(PG_RUN_SELECT "WHERE job_id = $1 AND state = 'processing' AND is_http = 0 AND "
                                "worker_id = $2 ORDER BY rowid") +
          session_.lock(),
      job_id, worker_id)));
}

// A page for display: nothing is locked.
std::vector<RunRecord> PgRunStore::List(const std::string& project_id, const RunFilter& filter,
                                        const std::optional<PageCursor>& cursor, int limit) {
  runs_sql::Parameters p;
  std::string sql = PG_RUN_SELECT "WHERE project_id = " + p.Add(project_id);
  if (!filter.job_id.empty()) sql += " AND job_id = " + p.Add(filter.job_id);
  if (filter.state) sql += " AND state = " + p.Add(StateText(*filter.state));
  if (!filter.trigger.empty()) sql += " AND trigger = " + p.Add(filter.trigger);
  if (cursor) {
    sql += " AND (created_at, id) < (" + p.Add(cursor->created_ms) + ", " + p.Add(cursor->id) + ")";
  }
  sql += " ORDER BY created_at DESC, id DESC LIMIT " + p.Add(runs_sql::LimitOrAll(limit));
  return runs_sql::ReadRuns(session_.db.ExecParams(sql, p.values()));
}

// The flag is cleared on the runs this operation can lock now; a run another transaction
// holds keeps its flag and is told about at the worker's next poll.
std::vector<CancelNotice> PgRunStore::TakeCancelNotices(const std::string& project_id,
                                                        const std::string& worker_id) {
  pg::PgResult taken = session_.db.Exec(
      std::string("UPDATE runs r SET cancel_requested = 0 FROM (SELECT rowid FROM runs "
                  "WHERE project_id = $1 AND worker_id = $2 AND cancel_requested = 1 AND "
                  "state = $3 AND is_http = 0") +
          session_.claim() + ") t WHERE r.rowid = t.rowid RETURNING r.job_id, r.id",
      project_id, worker_id, StateText(RunState::kCancelled));
  std::vector<CancelNotice> notices;
  for (int row = 0; row < taken.rows(); ++row)
    notices.push_back({TextAt(taken, row, 0), TextAt(taken, row, 1)});
  return notices;
}

std::vector<RunRecord> PgRunStore::HttpRunsOfLostNodes(const std::string& self,
                                                       TimePoint alive_since, int limit) {
  return Locked(runs_sql::ReadRuns(session_.db.Exec(
      std::string(PG_RUN_SELECT
                  "WHERE state = 'processing' AND is_http = 1 AND " FLARE_SQL_NODE_IS_LOST(
                      "runs.node_id", "$1", "$2") "LIMIT $3") +
          session_.claim(),
      self, Millis(alive_since), runs_sql::LimitOrAll(limit))));
}

// The aggregates below take no lock (PostgreSQL refuses FOR UPDATE with them): they only
// tell the timer when to look again.
OptTime PgRunStore::OldestBusyNodeSeen(const std::string& self) {
  return runs_sql::ReadOptTime(session_.db.Exec(
      "SELECT MIN(n.last_seen_at) FROM "
      "(SELECT DISTINCT node_id FROM runs WHERE state = 'processing' AND is_http = 1 "
      " AND node_id <> $1) r "
      "JOIN nodes n ON n.id = r.node_id AND n.stopped_at IS NULL",
      self));
}

std::vector<RunRecord> PgRunStore::PendingHttpRuns() {
  return Locked(runs_sql::ReadRuns(session_.db.Exec(
      std::string(PG_RUN_SELECT "WHERE state = 'pending' AND is_http = 1 ORDER BY due_at") +
      session_.claim())));
}

OptTime PgRunStore::EarliestWaitingDue() {
  return runs_sql::ReadOptTime(session_.db.Exec(
      "SELECT MIN(due_at) FROM runs WHERE state IN ('scheduled', 'failed') AND due_at IS NOT "
      "NULL"));
}

OptTime PgRunStore::EarliestLeaseExpiry() {
  return runs_sql::ReadOptTime(
      session_.db.Exec("SELECT MIN(lease_expires_at) FROM runs WHERE state = 'processing'"));
}

#undef PG_RUN_SELECT
#undef PG_RUN_COLUMNS

}  // namespace flare::daemon::postgres

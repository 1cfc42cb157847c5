#include "daemon/store/postgres/job_store.h"

#include <stdexcept>
#include <vector>

#include "daemon/store/postgres/columns.h"
#include "daemon/store/stored_spec.h"

namespace flare::daemon::postgres {
// Helpers live in a namespace named after the file: the sources of a target are compiled in
// unity batches, where another store's anonymous helpers would share this file's scope.
namespace job_sql {
namespace {

// The columns of a job, in the order ReadJob reads them; JobParams binds the same order
// without rowid, which the database assigns.
constexpr const char* kSelect =
    "SELECT rowid, id, project_id, slug, job_type, queue, payload, tags, spec, is_http, "
    "parent_job_id, idempotency_key, request_hash, enabled, next_run_at, version, last_run_id, "
    "state, attempt, max_attempts, started_at, completed_at, next_retry_at, progress, "
    "duration_ms, error, created_at, updated_at, deleted_at FROM jobs ";

constexpr const char* kInsert =
    "INSERT INTO jobs (id, project_id, slug, job_type, queue, payload, tags, spec, is_http, "
    "parent_job_id, idempotency_key, request_hash, enabled, next_run_at, version, last_run_id, "
    "state, attempt, max_attempts, started_at, completed_at, next_retry_at, progress, "
    "duration_ms, error, created_at, updated_at, deleted_at) VALUES ($1, $2, $3, $4, $5, $6, "
    "$7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, "
    "$25, $26, $27, $28)";

constexpr const char* kUpdate =
    "UPDATE jobs SET slug = $3, job_type = $4, queue = $5, payload = $6, tags = $7, spec = $8, "
    "is_http = $9, parent_job_id = $10, idempotency_key = $11, request_hash = $12, "
    "enabled = $13, next_run_at = $14, version = $15, last_run_id = $16, state = $17, "
    "attempt = $18, max_attempts = $19, started_at = $20, completed_at = $21, "
    "next_retry_at = $22, progress = $23, duration_ms = $24, error = $25, created_at = $26, "
    "updated_at = $27, deleted_at = $28 WHERE id = $1 AND project_id = $2";

// $1..$28 in the column order of kSelect without rowid. The pre-serialized spec, when a
// record carries it, spares the writer serializing again.
std::vector<pg::PgParam> JobParams(const JobRecord& j) {
  return {
      j.id,
      j.project_id,
      TextOrNull(j.slug),
      j.job_type,
      j.queue,
      j.payload.is_null() ? std::string("{}") : j.payload.text(),
      TextOrNull(j.tags.text()),
      j.spec_text.empty() ? SpecSettingsText(j.spec) : j.spec_text,
      Flag(j.is_http),
      TextOrNull(j.parent_job_id),
      TextOrNull(j.idempotency_key),
      TextOrNull(j.request_hash),
      Flag(j.enabled),
      Millis(j.next_run_at),
      j.version,
      TextOrNull(j.last_run_id),
      StateText(j.state),
      j.attempt,
      j.max_attempts,
      Millis(j.started_at),
      Millis(j.completed_at),
      Millis(j.next_retry_at),
      DoubleOrNull(j.progress),
      j.duration_ms,
      JsonOrNull(j.error),
      Millis(j.created_at),
      Millis(j.updated_at),
      Millis(j.deleted_at),
  };
}

// A state spelling this flared does not know throws, as SQLite's ColState does: guessing a
// state would let a transition act on the guess and write it back.
JobState StateAt(const pg::PgResult& r, int row, int column) {
  std::string text = r.Text(row, column);
  if (std::optional<JobState> state = ParseRunState(text)) return *state;
  throw std::runtime_error("stored job state '" + text + "' is not a state this flared knows");
}

JobRecord ReadJob(const pg::PgResult& r, int row) {
  JobRecord j;
  j.rowid = r.Int64(row, 0);
  j.id = TextAt(r, row, 1);
  j.project_id = TextAt(r, row, 2);
  j.slug = TextAt(r, row, 3);
  j.job_type = TextAt(r, row, 4);
  j.queue = TextAt(r, row, 5);
  j.payload = StoredJson::FromColumn(TextAt(r, row, 6));
  j.tags = StoredJson::FromColumn(TextAt(r, row, 7));
  j.stored_spec = SpecFromColumn(TextAt(r, row, 8));
  j.spec = j.stored_spec->spec;
  j.is_http = FlagAt(r, row, 9);
  j.parent_job_id = TextAt(r, row, 10);
  j.idempotency_key = TextAt(r, row, 11);
  j.request_hash = TextAt(r, row, 12);
  j.enabled = FlagAt(r, row, 13);
  j.next_run_at = OptTimeAt(r, row, 14);
  j.version = static_cast<int>(r.Int64(row, 15));
  j.last_run_id = TextAt(r, row, 16);
  j.state = StateAt(r, row, 17);
  j.attempt = static_cast<int>(r.Int64(row, 18));
  j.max_attempts = static_cast<int>(r.Int64(row, 19));
  j.started_at = OptTimeAt(r, row, 20);
  j.completed_at = OptTimeAt(r, row, 21);
  j.next_retry_at = OptTimeAt(r, row, 22);
  j.progress = OptDoubleAt(r, row, 23);
  j.duration_ms = OptInt64At(r, row, 24);
  j.error = JsonAt(r, row, 25);
  j.created_at = TimeAt(r, row, 26);
  j.updated_at = TimeAt(r, row, 27);
  j.deleted_at = OptTimeAt(r, row, 28);
  return j;
}

std::vector<JobRecord> ReadJobs(const pg::PgResult& r) {
  std::vector<JobRecord> jobs;
  jobs.reserve(static_cast<size_t>(r.rows()));
  for (int row = 0; row < r.rows(); ++row) jobs.push_back(ReadJob(r, row));
  return jobs;
}

std::optional<JobRecord> ReadFirstJob(const pg::PgResult& r) {
  if (r.rows() == 0) return std::nullopt;
  return ReadJob(r, 0);
}

// A List query grown filter by filter: each value becomes the next $n, never SQL text.
class ListQuery {
 public:
  explicit ListQuery(const std::string& project_id) : sql_(kSelect) {
    sql_ += "WHERE project_id = " + Bind(project_id);
  }
  void And(const std::string& condition) { sql_ += " AND " + condition; }
  std::string Bind(pg::PgParam value) {
    params_.push_back(std::move(value));
    return "$" + std::to_string(params_.size());
  }
  pg::PgResult Run(pg::Connection& db, int limit) {
    sql_ += " ORDER BY created_at DESC, id DESC LIMIT " + Bind(limit);
    return db.ExecParams(sql_, params_);
  }

 private:
  std::string sql_;
  std::vector<pg::PgParam> params_;
};

}  // namespace
}  // namespace job_sql

void PgJobStore::Insert(JobRecord& job) {
  // Sent with the operation's next statement: the rowid the database assigns is read back
  // with the row, not here.
  session_.WriteParams(job_sql::kInsert, job_sql::JobParams(job));
  if (job.enabled && !job.deleted_at) {
    session_.Count([&](CounterDeltas& d) { d.JobActivated(job.project_id); });
  }
}

void PgJobStore::Save(const JobRecord& job) {
  session_.WriteParams(job_sql::kUpdate, job_sql::JobParams(job));
}

void PgJobStore::SaveState(const JobRecord& j) {
  session_.Write(
      "UPDATE jobs SET next_run_at = $3, last_run_id = $4, state = $5, attempt = $6, "
      "max_attempts = $7, started_at = $8, completed_at = $9, next_retry_at = $10, "
      "progress = $11, duration_ms = $12, error = $13, updated_at = $14 "
      "WHERE id = $1 AND project_id = $2",
      j.id, j.project_id, Millis(j.next_run_at), TextOrNull(j.last_run_id), StateText(j.state),
      j.attempt, j.max_attempts, Millis(j.started_at), Millis(j.completed_at),
      Millis(j.next_retry_at), DoubleOrNull(j.progress), j.duration_ms, JsonOrNull(j.error),
      Millis(j.updated_at));
}

void PgJobStore::SaveEnabled(const JobRecord& j) {
  session_.Write("UPDATE jobs SET enabled = $3 WHERE id = $1 AND project_id = $2", j.id,
                 j.project_id, Flag(j.enabled));
}

std::optional<JobRecord> PgJobStore::Find(const std::string& project_id,
                                          const std::string& id_or_slug) {
  bool by_id = id_or_slug.rfind("job_", 0) == 0;
  std::string sql = job_sql::kSelect;
  sql += by_id ? "WHERE id = $1 AND project_id = $2"
               : "WHERE slug = $1 AND project_id = $2 AND deleted_at IS NULL";
  sql += session_.lock();
  return job_sql::ReadFirstJob(session_.db.Exec(sql, id_or_slug, project_id));
}

// Locked in id order, so that two batches naming the same jobs lock them in one order. The
// project test is written so that no index can serve it ("IS TRUE"): on a table without
// statistics yet the planner would otherwise AND the id lookups with a scan of the whole
// project's index (jobs_by_created), a cost that grows with every job of the project.
std::vector<JobRecord> PgJobStore::FindMany(const std::string& project_id,
                                            const std::vector<std::string>& ids) {
  if (ids.empty()) return {};
  std::string sql = job_sql::kSelect;
  sql += "WHERE id = ANY($1::text[]) AND (project_id = $2) IS TRUE ORDER BY id";
  sql += session_.lock();
  return job_sql::ReadJobs(session_.db.Exec(sql, TextArray(ids), project_id));
}

std::optional<JobRecord> PgJobStore::FindInAnyProject(const std::string& id) {
  std::string sql = std::string(job_sql::kSelect) + "WHERE id = $1" + session_.lock();
  return job_sql::ReadFirstJob(session_.db.Exec(sql, id));
}

bool PgJobStore::SlugTaken(const std::string& project_id, const std::string& slug,
                           const std::string& except_job_id) {
  // No lock: jobs_by_slug (unique among live jobs) decides a race between two writers.
  return session_.db
             .Exec(
                 "SELECT 1 FROM jobs WHERE project_id = $1 AND slug = $2 AND deleted_at IS NULL "
                 "AND id <> $3 LIMIT 1",
                 project_id, slug, except_job_id)
             .rows() > 0;
}

std::vector<JobRecord> PgJobStore::List(const std::string& project_id, const JobFilter& filter,
                                        const std::optional<PageCursor>& cursor, int limit) {
  job_sql::ListQuery query(project_id);
  if (!filter.include_deleted) query.And("deleted_at IS NULL");
  if (filter.state) query.And("state = " + query.Bind(StateText(*filter.state)));
  if (!filter.queue.empty()) query.And("queue = " + query.Bind(filter.queue));
  if (!filter.job_type.empty()) query.And("job_type = " + query.Bind(filter.job_type));
  if (filter.created_after) query.And("created_at > " + query.Bind(Millis(*filter.created_after)));
  if (filter.created_before) {
    query.And("created_at < " + query.Bind(Millis(*filter.created_before)));
  }
  // SQLite's json_extract(tags, '$."key"') = value matches a tag whose value is that string
  // (a number or boolean never equals bound text); comparing jsonb values keeps that.
  for (const auto& [key, value] : filter.tags) {
    std::string key_param = query.Bind(key);
    query.And("tags::jsonb -> " + key_param + "::text = to_jsonb(" + query.Bind(value) + "::text)");
  }
  if (cursor) {
    std::string created = query.Bind(cursor->created_ms);
    query.And("(created_at, id) < (" + created + ", " + query.Bind(cursor->id) + ")");
  }
  return job_sql::ReadJobs(query.Run(session_.db, limit));
}

std::vector<std::string> PgJobStore::ParentsWithChildrenInState(
    const std::vector<std::string>& parent_job_ids, JobState state) {
  if (parent_job_ids.empty()) return {};
  pg::PgResult rows = session_.db.Exec(
      "SELECT DISTINCT parent_job_id FROM jobs WHERE parent_job_id = ANY($1::text[]) AND "
      "state = $2 AND deleted_at IS NULL",
      TextArray(parent_job_ids), StateText(state));
  std::vector<std::string> parents;
  for (int row = 0; row < rows.rows(); ++row) parents.push_back(TextAt(rows, row, 0));
  return parents;
}

std::vector<JobRecord> PgJobStore::ChildrenInState(const std::string& parent_job_id,
                                                   JobState state) {
  // The caller moves the children it gets: claimed, so two operations never move one twice.
  std::string sql = std::string(job_sql::kSelect) +
                    "WHERE parent_job_id = $1 AND state = $2 AND deleted_at IS NULL" +
                    session_.claim();
  return job_sql::ReadJobs(session_.db.Exec(sql, parent_job_id, StateText(state)));
}

std::vector<JobRecord> PgJobStore::DueScheduled(TimePoint now, int limit) {
  // The fires of cron and @every jobs: claimed (SKIP LOCKED), so each fire is taken by one
  // flared node; the others skip the rows it holds and, once it commits the advanced
  // next_run_at, no longer see them as due.
  std::string sql = std::string(job_sql::kSelect) +
                    "WHERE next_run_at IS NOT NULL AND next_run_at <= $1 AND enabled = 1 AND "
                    "deleted_at IS NULL ORDER BY next_run_at LIMIT $2" +
                    session_.claim();
  return job_sql::ReadJobs(session_.db.Exec(sql, Millis(now), limit));
}

OptTime PgJobStore::EarliestNextRun() {
  // An aggregate takes no row locks (PostgreSQL refuses FOR UPDATE with one); it only says
  // when to look again.
  return OptTimeAt(session_.db.Exec("SELECT MIN(next_run_at) FROM jobs WHERE next_run_at IS NOT "
                                    "NULL AND enabled = 1 AND deleted_at IS NULL"),
                   0, 0);
}

std::optional<IdempotencyRecord> PgJobStore::FindIdempotencyKey(const std::string& project_id,
                                                                const std::string& key) {
  pg::PgResult r = session_.db.Exec(
      "SELECT request_hash, job_id, response FROM idempotency_keys WHERE project_id = $1 AND "
      "key = $2",
      project_id, key);
  if (r.rows() == 0) return std::nullopt;
  return IdempotencyRecord{TextAt(r, 0, 0), TextAt(r, 0, 1), TextAt(r, 0, 2)};
}

void PgJobStore::InsertIdempotencyKey(const std::string& project_id, const std::string& key,
                                      const IdempotencyRecord& record, TimePoint now) {
  session_.Write(
      "INSERT INTO idempotency_keys (project_id, key, request_hash, job_id, response, "
      "created_at) VALUES ($1, $2, $3, $4, $5, $6)",
      project_id, key, record.request_hash, record.job_id, record.response, Millis(now));
}

}  // namespace flare::daemon::postgres

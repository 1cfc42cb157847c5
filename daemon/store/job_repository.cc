#include "daemon/store/job_repository.h"

#include "daemon/store/columns.h"
#include "daemon/store/counter_deltas.h"
#include "daemon/store/stored_spec.h"

namespace flare::daemon {
namespace {

#define JOB_SELECT                                                                             \
  "SELECT rowid, id, project_id, slug, job_type, queue, payload, tags, spec, is_http, "        \
  "parent_job_id, idempotency_key, request_hash, enabled, next_run_at, version, last_run_id, " \
  "state, attempt, max_attempts, started_at, completed_at, next_retry_at, progress, "          \
  "duration_ms, error, created_at, updated_at, deleted_at FROM jobs "

// Binds ?1..?28 in the column order of JOB_SELECT without rowid.
void BindJob(SQLite::Statement& st, const JobRecord& j) {
  st.bind(1, j.id);
  st.bind(2, j.project_id);
  BindText(st, 3, j.slug);
  st.bind(4, j.job_type);
  st.bind(5, j.queue);
  st.bind(6, j.payload.is_null() ? std::string("{}") : j.payload.text());
  BindText(st, 7, j.tags.text());
  st.bind(8, j.spec_text.empty() ? SpecSettingsText(j.spec) : j.spec_text);
  st.bind(9, j.is_http ? 1 : 0);
  BindText(st, 10, j.parent_job_id);
  BindText(st, 11, j.idempotency_key);
  BindText(st, 12, j.request_hash);
  st.bind(13, j.enabled ? 1 : 0);
  BindTime(st, 14, j.next_run_at);
  st.bind(15, j.version);
  BindText(st, 16, j.last_run_id);
  BindState(st, 17, j.state);
  st.bind(18, j.attempt);
  st.bind(19, j.max_attempts);
  BindTime(st, 20, j.started_at);
  BindTime(st, 21, j.completed_at);
  BindTime(st, 22, j.next_retry_at);
  BindOptional(st, 23, j.progress);
  BindOptional(st, 24, j.duration_ms);
  BindJson(st, 25, j.error);
  BindTime(st, 26, j.created_at);
  BindTime(st, 27, j.updated_at);
  BindTime(st, 28, j.deleted_at);
}

JobRecord ReadJob(SQLite::Statement& st) {
  JobRecord j;
  j.rowid = st.getColumn(0).getInt64();
  j.id = ColText(st, 1);
  j.project_id = ColText(st, 2);
  j.slug = ColText(st, 3);
  j.job_type = ColText(st, 4);
  j.queue = ColText(st, 5);
  j.payload = StoredJson::FromColumn(ColText(st, 6));
  j.tags = StoredJson::FromColumn(ColText(st, 7));
  j.stored_spec = SpecFromColumn(ColTextView(st, 8));
  j.spec = j.stored_spec->spec;
  j.error = ColJson(st, 25);
  j.is_http = st.getColumn(9).getInt() != 0;
  j.parent_job_id = ColText(st, 10);
  j.idempotency_key = ColText(st, 11);
  j.request_hash = ColText(st, 12);
  j.enabled = st.getColumn(13).getInt() != 0;
  j.next_run_at = ColTime(st, 14);
  j.version = st.getColumn(15).getInt();
  j.last_run_id = ColText(st, 16);
  j.state = ColState(st, 17);
  j.attempt = st.getColumn(18).getInt();
  j.max_attempts = st.getColumn(19).getInt();
  j.started_at = ColTime(st, 20);
  j.completed_at = ColTime(st, 21);
  j.next_retry_at = ColTime(st, 22);
  j.progress = ColDouble(st, 23);
  j.duration_ms = ColInt64(st, 24);
  j.created_at = ColTimeRequired(st, 26);
  j.updated_at = ColTimeRequired(st, 27);
  j.deleted_at = ColTime(st, 28);
  return j;
}

std::vector<JobRecord> ReadJobs(SQLite::Statement& st) {
  std::vector<JobRecord> jobs;
  while (st.executeStep()) jobs.push_back(ReadJob(st));
  return jobs;
}

}  // namespace

void InsertJob(Connection& c, JobRecord& job) {
  auto& st = c.Prepare(
      "INSERT INTO jobs (id, project_id, slug, job_type, queue, payload, tags, spec, is_http, "
      "parent_job_id, idempotency_key, request_hash, enabled, next_run_at, version, last_run_id, "
      "state, attempt, max_attempts, started_at, completed_at, next_retry_at, progress, "
      "duration_ms, error, created_at, updated_at, deleted_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
      "?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, "
      "?25, ?26, ?27, ?28)");
  BindJob(st, job);
  st.exec();
  job.rowid = c.db().getLastInsertRowid();
  if (job.enabled && !job.deleted_at) CountJobActivated(c, job.project_id);
}

void SaveJob(Connection& c, const JobRecord& job) {
  auto& st = c.Prepare(
      "UPDATE jobs SET slug = ?3, job_type = ?4, queue = ?5, payload = ?6, tags = ?7, spec = ?8, "
      "is_http = ?9, parent_job_id = ?10, idempotency_key = ?11, request_hash = ?12, "
      "enabled = ?13, next_run_at = ?14, version = ?15, last_run_id = ?16, state = ?17, "
      "attempt = ?18, max_attempts = ?19, started_at = ?20, completed_at = ?21, "
      "next_retry_at = ?22, progress = ?23, duration_ms = ?24, error = ?25, created_at = ?26, "
      "updated_at = ?27, deleted_at = ?28 WHERE id = ?1 AND project_id = ?2");
  BindJob(st, job);
  st.exec();
}

void SaveJobState(Connection& c, const JobRecord& j) {
  auto& st = c.Prepare(
      "UPDATE jobs SET next_run_at = ?3, last_run_id = ?4, state = ?5, attempt = ?6, "
      "max_attempts = ?7, started_at = ?8, completed_at = ?9, next_retry_at = ?10, progress = ?11, "
      "duration_ms = ?12, error = ?13, updated_at = ?14 WHERE id = ?1 AND project_id = ?2");
  st.bind(1, j.id);
  st.bind(2, j.project_id);
  BindTime(st, 3, j.next_run_at);
  BindText(st, 4, j.last_run_id);
  BindState(st, 5, j.state);
  st.bind(6, j.attempt);
  st.bind(7, j.max_attempts);
  BindTime(st, 8, j.started_at);
  BindTime(st, 9, j.completed_at);
  BindTime(st, 10, j.next_retry_at);
  BindOptional(st, 11, j.progress);
  BindOptional(st, 12, j.duration_ms);
  BindJson(st, 13, j.error);
  BindTime(st, 14, j.updated_at);
  st.exec();
}

void SaveJobEnabled(Connection& c, const JobRecord& j) {
  auto& st = c.Prepare("UPDATE jobs SET enabled = ?3 WHERE id = ?1 AND project_id = ?2");
  st.bind(1, j.id);
  st.bind(2, j.project_id);
  st.bind(3, j.enabled ? 1 : 0);
  st.exec();
}

std::optional<JobRecord> FindJob(Connection& c, const std::string& project_id,
                                 const std::string& id_or_slug) {
  bool by_id = id_or_slug.rfind("job_", 0) == 0;
  auto& st =
      by_id ? c.Prepare(JOB_SELECT "WHERE id = ?1 AND project_id = ?2")
            : c.Prepare(JOB_SELECT "WHERE slug = ?1 AND project_id = ?2 AND deleted_at IS NULL");
  st.bind(1, id_or_slug);
  st.bind(2, project_id);
  if (!st.executeStep()) return std::nullopt;
  return ReadJob(st);
}

std::optional<JobRecord> FindJobInAnyProject(Connection& c, const std::string& id) {
  auto& st = c.Prepare(JOB_SELECT "WHERE id = ?1");
  st.bind(1, id);
  if (!st.executeStep()) return std::nullopt;
  return ReadJob(st);
}

bool SlugTaken(Connection& c, const std::string& project_id, const std::string& slug,
               const std::string& except_job_id) {
  auto& st = c.Prepare(
      "SELECT 1 FROM jobs WHERE project_id = ?1 AND slug = ?2 AND deleted_at IS NULL AND id != ?3");
  st.bind(1, project_id);
  st.bind(2, slug);
  st.bind(3, except_job_id);
  return st.executeStep();
}

std::vector<JobRecord> ListJobs(Connection& c, const std::string& project_id,
                                const JobFilter& filter, const std::optional<PageCursor>& cursor,
                                int limit) {
  std::string sql = JOB_SELECT "WHERE project_id = ?";
  if (!filter.include_deleted) sql += " AND deleted_at IS NULL";
  if (filter.state) sql += " AND state = ?";
  if (!filter.queue.empty()) sql += " AND queue = ?";
  if (!filter.job_type.empty()) sql += " AND job_type = ?";
  if (filter.created_after) sql += " AND created_at > ?";
  if (filter.created_before) sql += " AND created_at < ?";
  for (size_t i = 0; i < filter.tags.size(); ++i) sql += " AND json_extract(tags, ?) = ?";
  if (cursor) sql += " AND (created_at, id) < (?, ?)";
  sql += " ORDER BY created_at DESC, id DESC LIMIT ?";
  auto& st = c.PrepareDynamic(sql);
  int i = 0;
  st.bind(++i, project_id);
  if (filter.state) BindState(st, ++i, *filter.state);
  if (!filter.queue.empty()) st.bind(++i, filter.queue);
  if (!filter.job_type.empty()) st.bind(++i, filter.job_type);
  if (filter.created_after) BindTime(st, ++i, *filter.created_after);
  if (filter.created_before) BindTime(st, ++i, *filter.created_before);
  for (const auto& [key, value] : filter.tags) {
    st.bind(++i, "$." + nlohmann::json(key).dump());  // quoted: any key is a safe JSON path
    st.bind(++i, value);
  }
  if (cursor) {
    st.bind(++i, cursor->created_ms);
    st.bind(++i, cursor->id);
  }
  st.bind(++i, limit);
  return ReadJobs(st);
}

std::vector<JobRecord> ChildrenInState(Connection& c, const std::string& parent_job_id,
                                       JobState state) {
  auto& st = c.Prepare(JOB_SELECT "WHERE parent_job_id = ?1 AND state = ?2 AND deleted_at IS NULL");
  st.bind(1, parent_job_id);
  BindState(st, 2, state);
  return ReadJobs(st);
}

std::vector<JobRecord> DueScheduledJobs(Connection& c, TimePoint now, int limit) {
  auto& st = c.Prepare(JOB_SELECT
                       "WHERE next_run_at IS NOT NULL AND next_run_at <= ?1 AND enabled = 1 AND "
                       "deleted_at IS NULL ORDER BY next_run_at LIMIT ?2");
  BindTime(st, 1, now);
  st.bind(2, limit);
  return ReadJobs(st);
}

OptTime EarliestNextRun(Connection& c) {
  auto& st = c.Prepare(
      "SELECT MIN(next_run_at) FROM jobs WHERE next_run_at IS NOT NULL AND enabled = 1 AND "
      "deleted_at IS NULL");
  st.executeStep();
  return ColTime(st, 0);
}

std::optional<IdempotencyRecord> FindIdempotencyKey(Connection& c, const std::string& project_id,
                                                    const std::string& key) {
  auto& st = c.Prepare(
      "SELECT request_hash, job_id, response FROM idempotency_keys WHERE project_id = ?1 AND "
      "key = ?2");
  st.bind(1, project_id);
  st.bind(2, key);
  if (!st.executeStep()) return std::nullopt;
  return IdempotencyRecord{ColText(st, 0), ColText(st, 1), ColText(st, 2)};
}

void InsertIdempotencyKey(Connection& c, const std::string& project_id, const std::string& key,
                          const IdempotencyRecord& record, TimePoint now) {
  auto& st = c.Prepare(
      "INSERT INTO idempotency_keys (project_id, key, request_hash, job_id, response, created_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  st.bind(1, project_id);
  st.bind(2, key);
  st.bind(3, record.request_hash);
  st.bind(4, record.job_id);
  st.bind(5, record.response);
  BindTime(st, 6, now);
  st.exec();
}

}  // namespace flare::daemon

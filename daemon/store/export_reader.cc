#include "daemon/store/export_reader.h"

#include <SQLiteCpp/Exception.h>
#include <sqlite3.h>

#include <memory>

namespace flare::daemon {
namespace {

// Column lists in the order of JobColumn and RunColumn.
constexpr const char* kJobPageSql =
    "SELECT id, slug, job_type, queue, payload, tags, spec, parent_job_id, idempotency_key, "
    "enabled, next_run_at, version, last_run_id, state, attempt, max_attempts, started_at, "
    "completed_at, next_retry_at, progress, duration_ms, error, created_at, updated_at, "
    "deleted_at FROM jobs WHERE project_id = ?1 AND (created_at, id) > (?2, ?3) AND "
    "created_at <= ?4 ORDER BY created_at, id LIMIT ?5";
constexpr const char* kRunPageSql =
    "SELECT id, job_id, job_version, trigger, rerun_of, scheduled_for, state, attempt, "
    "max_attempts, next_retry_at, worker_id, lease_expires_at, progress, payload, queue, "
    "job_type, created_at, ready_at, started_at, completed_at, duration_ms, failure_reason, "
    "error, request, result, trace FROM runs WHERE project_id = ?1 AND (created_at, id) > "
    "(?2, ?3) AND created_at <= ?4 ORDER BY created_at, id LIMIT ?5";

struct Finalize {
  void operator()(sqlite3_stmt* st) const { sqlite3_finalize(st); }
};
using StatementPtr = std::unique_ptr<sqlite3_stmt, Finalize>;

// The current row of a page: the statement itself.
class SqliteExportRow final : public ExportRow {
 public:
  explicit SqliteExportRow(sqlite3_stmt* statement) : st_(statement) {}

 private:
  bool IsNullAt(int index) const override { return sqlite3_column_type(st_, index) == SQLITE_NULL; }
  std::string_view TextAt(int index) const override {
    const auto* text = sqlite3_column_text(st_, index);
    if (text == nullptr) return {};
    return {reinterpret_cast<const char*>(text),
            static_cast<size_t>(sqlite3_column_bytes(st_, index))};
  }
  int64_t IntAt(int index) const override { return sqlite3_column_int64(st_, index); }
  double DoubleAt(int index) const override { return sqlite3_column_double(st_, index); }

  sqlite3_stmt* st_;
};

void Check(sqlite3* db, int rc) {
  if (rc != SQLITE_OK) throw SQLite::Exception(db, rc);
}

int ReadPage(Connection& c, const char* sql, const ExportWindow& window, int limit,
             const ExportRowVisitor& visit) {
  sqlite3* db = c.db().getHandle();
  sqlite3_stmt* raw = nullptr;
  // Compiled once a page (a page is up to a thousand rows, so this is noise); finalized when
  // the page ends, which ends its read transaction whatever the caller does next.
  Check(db, sqlite3_prepare_v2(db, sql, -1, &raw, nullptr));
  StatementPtr st(raw);
  const std::string& after_id = window.after ? window.after->id : std::string();
  int64_t after_ms = window.after ? window.after->created_ms : ToMillis(window.from);
  Check(db, sqlite3_bind_text(raw, 1, window.project_id.data(),
                              static_cast<int>(window.project_id.size()), SQLITE_STATIC));
  Check(db, sqlite3_bind_int64(raw, 2, after_ms));
  // (created_at, id) > (from, '') starts the first page at `from` itself.
  Check(db, sqlite3_bind_text(raw, 3, after_id.data(), static_cast<int>(after_id.size()),
                              SQLITE_STATIC));
  Check(db, sqlite3_bind_int64(raw, 4, ToMillis(window.until)));
  Check(db, sqlite3_bind_int(raw, 5, limit));
  SqliteExportRow row(raw);
  int seen = 0;
  for (;;) {
    int rc = sqlite3_step(raw);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) throw SQLite::Exception(db, rc);
    ++seen;
    if (!visit(row)) break;
  }
  return seen;
}

}  // namespace

int ReadJobExportPage(Connection& c, const ExportWindow& window, int limit,
                      const ExportRowVisitor& visit) {
  return ReadPage(c, kJobPageSql, window, limit, visit);
}

int ReadRunExportPage(Connection& c, const ExportWindow& window, int limit,
                      const ExportRowVisitor& visit) {
  return ReadPage(c, kRunPageSql, window, limit, visit);
}

OptTime TakeExportSlot(Connection& c, const std::string& project_id, const std::string& kind,
                       TimePoint now, std::chrono::milliseconds cooldown) {
  auto& taken =
      c.Prepare("SELECT started_at FROM export_slots WHERE project_id = ?1 AND kind = ?2");
  taken.bind(1, project_id);
  taken.bind(2, kind);
  OptTime last;
  if (taken.executeStep()) last = FromMillis(taken.getColumn(0).getInt64());
  taken.reset();
  if (last && now - *last < cooldown) return last;
  auto& take = c.Prepare(
      "INSERT INTO export_slots (project_id, kind, started_at) VALUES (?1, ?2, ?3) "
      "ON CONFLICT DO UPDATE SET started_at = excluded.started_at");
  take.bind(1, project_id);
  take.bind(2, kind);
  take.bind(3, static_cast<int64_t>(ToMillis(now)));
  take.exec();
  return std::nullopt;
}

}  // namespace flare::daemon

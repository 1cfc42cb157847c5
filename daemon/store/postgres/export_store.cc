#include "daemon/store/postgres/export_store.h"

#include <algorithm>
#include <charconv>
#include <stdexcept>
#include <vector>

namespace flare::daemon::postgres {
namespace {

// Column lists in the order of JobColumn and RunColumn; the window and keyset of SQLite's
// export_reader.cc: [from, until], strictly after the cursor, (created_at, id) order.
constexpr const char* kJobExportPageSql =
    "SELECT id, slug, job_type, queue, payload, tags, spec, parent_job_id, idempotency_key, "
    "enabled, next_run_at, version, last_run_id, state, attempt, max_attempts, started_at, "
    "completed_at, next_retry_at, progress, duration_ms, error, created_at, updated_at, "
    "deleted_at FROM jobs WHERE project_id = $1 AND (created_at, id) > ($2, $3) AND "
    "created_at <= $4 ORDER BY created_at, id LIMIT $5";
constexpr const char* kRunExportPageSql =
    "SELECT id, job_id, job_version, trigger, rerun_of, scheduled_for, state, attempt, "
    "max_attempts, next_retry_at, worker_id, lease_expires_at, progress, payload, queue, "
    "job_type, created_at, ready_at, started_at, completed_at, duration_ms, failure_reason, "
    "error, request, result, trace FROM runs WHERE project_id = $1 AND (created_at, id) > "
    "($2, $3) AND created_at <= $4 ORDER BY created_at, id LIMIT $5";

// The current row of a page: a row index into the page's result. NULL reads as 0 and "" as
// SQLite's column functions return it.
//
// Text: PgResult hands out copies only, so each column's text is copied once a row into a
// buffer of its own, kept across rows. Views of several columns of one row stay valid
// together until the next row, and the buffers only grow to the longest value seen: memory
// stays constant however many rows an export reads.
class PgExportRow final : public ExportRow {
 public:
  explicit PgExportRow(const pg::PgResult& page)
      : page_(page),
        texts_(static_cast<size_t>(page.columns())),
        copied_(static_cast<size_t>(page.columns()), false) {}

  void MoveTo(int row) {
    row_ = row;
    std::fill(copied_.begin(), copied_.end(), false);
  }

 private:
  bool IsNullAt(int index) const override { return page_.IsNull(row_, index); }

  std::string_view TextAt(int index) const override {
    if (IsNullAt(index)) return {};
    auto column = static_cast<size_t>(index);
    if (!copied_[column]) {
      texts_[column].assign(page_.Text(row_, index));
      copied_[column] = true;
    }
    return texts_[column];
  }

  int64_t IntAt(int index) const override { return IsNullAt(index) ? 0 : page_.Int64(row_, index); }

  double DoubleAt(int index) const override {
    if (IsNullAt(index)) return 0;
    std::string_view text = TextAt(index);
    double value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) {
      throw std::runtime_error("export column " + std::to_string(index) + " is not a number");
    }
    return value;
  }

  const pg::PgResult& page_;
  int row_ = 0;
  mutable std::vector<std::string> texts_;
  mutable std::vector<bool> copied_;
};

// One statement a page: its result holds at most `limit` rows and dies with the page, so
// nothing of the page outlives it and no cursor stays open between pages.
int ReadExportPage(pg::Connection& db, const char* sql, const ExportWindow& window, int limit,
                   const ExportRowVisitor& visit) {
  // (created_at, id) > (from, '') starts the first page at `from` itself.
  const std::string& after_id = window.after ? window.after->id : std::string();
  int64_t after_ms = window.after ? window.after->created_ms : ToMillis(window.from);
  pg::PgResult page =
      db.Exec(sql, window.project_id, after_ms, after_id, ToMillis(window.until), limit);
  PgExportRow row(page);
  int seen = 0;
  while (seen < page.rows()) {
    row.MoveTo(seen);
    ++seen;
    if (!visit(row)) break;
  }
  return seen;
}

}  // namespace

int PgExportStore::ReadJobPage(const ExportWindow& window, int limit,
                               const ExportRowVisitor& visit) {
  return ReadExportPage(session_.db, kJobExportPageSql, window, limit, visit);
}

int PgExportStore::ReadRunPage(const ExportWindow& window, int limit,
                               const ExportRowVisitor& visit) {
  return ReadExportPage(session_.db, kRunExportPageSql, window, limit, visit);
}

OptTime PgExportStore::TakeSlot(const std::string& project_id, const std::string& kind,
                                TimePoint now, std::chrono::milliseconds cooldown) {
  // One statement: the slot is taken unless it was taken within the cooldown, and the row
  // lock orders two nodes starting the same project's export at once.
  pg::PgResult taken = session_.db.Exec(
      "INSERT INTO export_slots AS s (project_id, kind, started_at) VALUES ($1, $2, $3) "
      "ON CONFLICT (project_id, kind) DO UPDATE SET started_at = excluded.started_at "
      "WHERE s.started_at <= $3 - $4 RETURNING started_at",
      project_id, kind, ToMillis(now), static_cast<int64_t>(cooldown.count()));
  if (taken.rows() == 1) return std::nullopt;
  pg::PgResult last = session_.db.Exec(
      "SELECT started_at FROM export_slots WHERE project_id = $1 AND kind = $2", project_id, kind);
  return FromMillis(last.Int64(0, 0));
}

}  // namespace flare::daemon::postgres

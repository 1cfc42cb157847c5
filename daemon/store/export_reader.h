#pragma once
// The rows of an export page read straight from SQLite's C API. An export reads every row
// of up to 90 days; SQLiteCpp's per-column objects (a shared_ptr copy each) and the
// std::string copies of a full JobRecord were a large share of its cost. Here a row is the
// statement itself: text is a view into SQLite's row buffer, valid until the next row.
//
// Pages are keyset pages ordered (created_at, id), read by one statement that is finalized
// when the page ends, so the read transaction lasts exactly one page.

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/store/connection.h"
#include "daemon/store/export_store.h"
#include "daemon/store/records.h"

namespace flare::daemon {

/// The columns of a jobs export row, in select order.
enum class JobColumn : int {
  kId,
  kSlug,
  kJobType,
  kQueue,
  kPayload,
  kTags,
  kSpec,
  kParentJobId,
  kIdempotencyKey,
  kEnabled,
  kNextRunAt,
  kVersion,
  kLastRunId,
  kState,
  kAttempt,
  kMaxAttempts,
  kStartedAt,
  kCompletedAt,
  kNextRetryAt,
  kProgress,
  kDurationMs,
  kError,
  kCreatedAt,
  kUpdatedAt,
  kDeletedAt,
};

/// The columns of a runs export row, in select order.
enum class RunColumn : int {
  kId,
  kJobId,
  kJobVersion,
  kTrigger,
  kRerunOf,
  kScheduledFor,
  kState,
  kAttempt,
  kMaxAttempts,
  kNextRetryAt,
  kWorkerId,
  kLeaseExpiresAt,
  kProgress,
  kPayload,
  kQueue,
  kJobType,
  kCreatedAt,
  kReadyAt,
  kStartedAt,
  kCompletedAt,
  kDurationMs,
  kFailureReason,
  kError,
  kRequest,
  kResult,
  kTrace,
};

/// The current row of an export page. Columns are named by JobColumn or RunColumn.
class ExportRow {
 public:
  explicit ExportRow(sqlite3_stmt* statement) : st_(statement) {}
  template <typename Column>
  bool IsNull(Column c) const {
    return sqlite3_column_type(st_, Index(c)) == SQLITE_NULL;
  }
  /// The column's text ("" for NULL); valid until the next row.
  template <typename Column>
  std::string_view Text(Column c) const {
    const auto* text = sqlite3_column_text(st_, Index(c));
    if (text == nullptr) return {};
    return {reinterpret_cast<const char*>(text),
            static_cast<size_t>(sqlite3_column_bytes(st_, Index(c)))};
  }
  template <typename Column>
  int64_t Int(Column c) const {
    return sqlite3_column_int64(st_, Index(c));
  }
  template <typename Column>
  double Double(Column c) const {
    return sqlite3_column_double(st_, Index(c));
  }
  /// A time column (milliseconds since the epoch); nullopt for NULL.
  template <typename Column>
  OptTime Time(Column c) const {
    if (IsNull(c)) return std::nullopt;
    return FromMillis(Int(c));
  }

 private:
  template <typename Column>
  static int Index(Column c) {
    return static_cast<int>(c);
  }
  sqlite3_stmt* st_;
};

/// Where an export's next page starts: the window and the last row already read.
struct ExportWindow {
  std::string project_id;
  TimePoint from;
  TimePoint until;
  std::optional<PageCursor> after;  // nullopt: start at `from` itself
};

using ExportRowVisitor = std::function<bool(const ExportRow&)>;

/// Hands up to `limit` jobs of the window (deleted ones included), oldest first (created_at,
/// then id), to `visit` until it returns false. Returns the rows visited.
int ReadJobExportPage(Connection& c, const ExportWindow& window, int limit,
                      const ExportRowVisitor& visit);
/// The same for runs.
int ReadRunExportPage(Connection& c, const ExportWindow& window, int limit,
                      const ExportRowVisitor& visit);

/// The SQLite ExportStore (stores.h): the functions above over one connection.
class SqliteExportStore final : public ExportStore {
 public:
  explicit SqliteExportStore(Connection& c) : c_(c) {}

 private:
  [[maybe_unused]] Connection& c_;
};

}  // namespace flare::daemon

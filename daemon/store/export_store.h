#pragma once
// The storage port for one resource: Keyset pages of jobs and runs for export (export_reader.h).
// Services reach it through their transaction (Tx::exports()) or a read lease; each backend
// implements it (SQLite: SqliteExportStore in export_reader.h).
//
// An export reads every row of up to 90 days at constant memory: a row is handed to the
// caller as the backend's current row (ExportRow), text as a view into the backend's row
// buffer, valid until the next row; no record is built per row. Pages are keyset pages
// ordered (created_at, id), and a page's read ends with the page, so the read transaction
// lasts exactly one page.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

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

/// The current row of an export page, implemented by each backend over its row buffer.
/// Columns are named by JobColumn or RunColumn (or their index).
class ExportRow {
 public:
  virtual ~ExportRow() = default;
  template <typename Column>
  bool IsNull(Column c) const {
    return IsNullAt(Index(c));
  }
  /// The column's text ("" for NULL); valid until the next row.
  template <typename Column>
  std::string_view Text(Column c) const {
    return TextAt(Index(c));
  }
  template <typename Column>
  int64_t Int(Column c) const {
    return IntAt(Index(c));
  }
  template <typename Column>
  double Double(Column c) const {
    return DoubleAt(Index(c));
  }
  /// A time column (milliseconds since the epoch); nullopt for NULL.
  template <typename Column>
  OptTime Time(Column c) const {
    if (IsNull(c)) return std::nullopt;
    return FromMillis(Int(c));
  }

 protected:
  /// The column at `index` (select order, from 0).
  virtual bool IsNullAt(int index) const = 0;
  virtual std::string_view TextAt(int index) const = 0;
  virtual int64_t IntAt(int index) const = 0;
  virtual double DoubleAt(int index) const = 0;

 private:
  template <typename Column>
  static int Index(Column c) {
    return static_cast<int>(c);
  }
};

/// Where an export's next page starts: the window and the last row already read.
struct ExportWindow {
  std::string project_id;
  TimePoint from;
  TimePoint until;
  std::optional<PageCursor> after;  // nullopt: start at `from` itself
};

using ExportRowVisitor = std::function<bool(const ExportRow&)>;

class ExportStore {
 public:
  virtual ~ExportStore() = default;
  /// Hands up to `limit` jobs of the window (deleted ones included), oldest first
  /// (created_at, then id), to `visit` until it returns false. Returns the rows visited. The
  /// page's read ends when this returns.
  virtual int ReadJobPage(const ExportWindow& window, int limit, const ExportRowVisitor& visit) = 0;
  /// The same for runs.
  virtual int ReadRunPage(const ExportWindow& window, int limit, const ExportRowVisitor& visit) = 0;
  /// Takes the project's export slot of `kind` ("jobs" or "runs") at `now`, unless it was
  /// taken after `now - cooldown`: then nothing changes and the time it was taken is
  /// returned. In a write transaction (the slot row is locked until it ends).
  virtual OptTime TakeSlot(const std::string& project_id, const std::string& kind, TimePoint now,
                           std::chrono::milliseconds cooldown) = 0;
};

}  // namespace flare::daemon

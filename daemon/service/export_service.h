#pragma once
// Exports of jobs and runs (seed 004 "GET /flare/v1/jobs/export"; runs the same with run
// rows): a window [from, until] of at most 90 days, JSONL (one API object per line) or CSV,
// ordered by created_at then id, at most one export per minute per project and kind.
//
// An export is read in keyset pages, each in its own short read (a reader lease that ends
// with the page), so a slow client never holds a read transaction open: the WAL can be
// checkpointed and writers go on while the client reads. A page stops early once its rows
// reach ~1 MiB, so memory stays flat however large the export or its rows.
//
// CSV columns. Jobs (seed 004, exactly): Id, State, JobType, Queue, CreatedAt, CompletedAt,
// Attempt, MaxAttempts, DurationMs, Error, Tags. Runs: Id, JobId, JobVersion, Trigger,
// RerunOf, State, Queue, JobType, Attempt, MaxAttempts, CreatedAt, ScheduledFor, StartedAt,
// CompletedAt, DurationMs, PendingDurationMs, FailureReason, WorkerId, Error. Times are
// RFC 3339 UTC with milliseconds, null is an empty cell, objects are JSON text.

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "daemon/service/context.h"

namespace flare::daemon {

enum class ExportKind { kJobs, kRuns };
enum class ExportFormat { kJsonl, kCsv };

/// The query of an export request as sent (nullopt: the parameter is absent).
struct ExportQuery {
  std::optional<std::string> from;
  std::optional<std::string> until;
  std::optional<std::string> format;
};

/// Reads an export page by page.
class ExportCursor {
 public:
  ExportCursor(Readers& readers, std::string project_id, ExportKind kind, ExportFormat format,
               TimePoint from, TimePoint until);
  /// Appends the next rows (the CSV header comes first) to `out`; false once everything
  /// was read (then nothing is appended).
  bool Next(std::string& out);
  size_t rows() const { return rows_; }

 private:
  Readers& readers_;
  const std::string project_id_;
  const ExportKind kind_;
  const ExportFormat format_;
  const TimePoint from_;
  const TimePoint until_;
  std::optional<PageCursor> after_;
  bool header_pending_;
  bool finished_ = false;
  size_t rows_ = 0;
};

struct StartedExport {
  std::unique_ptr<ExportCursor> cursor;
  std::string content_type;
  std::string filename;
};

class ExportService {
 public:
  ExportService(ServiceContext context, std::chrono::seconds cooldown)
      : ctx_(context), cooldown_(cooldown) {}

  /// Validates the query (seed 004's error codes) and takes the project's export slot for
  /// this kind. On 429 `retry_after` says how long the cooldown still runs.
  Result<StartedExport> Start(const std::string& project_id, ExportKind kind,
                              const ExportQuery& query, std::chrono::seconds& retry_after);

 private:
  ServiceContext ctx_;
  const std::chrono::seconds cooldown_;
};

}  // namespace flare::daemon

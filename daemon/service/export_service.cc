#include "daemon/service/export_service.h"

#include "daemon/service/export_rows.h"
#include "daemon/store/export_store.h"

namespace flare::daemon {
namespace {

constexpr int kPageRows = 1000;
constexpr size_t kPageBytes = 1 << 20;  // a page stops early past this much output
constexpr auto kMaxWindow = std::chrono::hours(24 * 90);

const char* kJobsHeader =
    "Id,State,JobType,Queue,CreatedAt,CompletedAt,Attempt,MaxAttempts,DurationMs,Error,Tags\r\n";
const char* kRunsHeader =
    "Id,JobId,JobVersion,Trigger,RerunOf,State,Queue,JobType,Attempt,MaxAttempts,CreatedAt,"
    "ScheduledFor,StartedAt,CompletedAt,DurationMs,PendingDurationMs,FailureReason,WorkerId,"
    "Error\r\n";

Result<TimePoint> WindowEnd(const std::optional<std::string>& text, ErrorCode code,
                            const char* name) {
  std::string field = name;
  if (!text || text->empty()) {
    return Error{code, field + " is required: an ISO 8601 date-time such as 2026-04-01T00:00:00Z",
                 field};
  }
  auto parsed = ParseTime(*text);
  if (!parsed) {
    return Error{code,
                 field +
                     " is not a valid ISO 8601 date-time; send one such as "
                     "2026-04-01T00:00:00Z",
                 field};
  }
  return *parsed;
}

std::string DateOf(TimePoint t) { return FormatTime(t).substr(0, 10); }

}  // namespace

ExportCursor::ExportCursor(Readers& readers, std::string project_id, ExportKind kind,
                           ExportFormat format, TimePoint from, TimePoint until)
    : readers_(readers),
      project_id_(std::move(project_id)),
      kind_(kind),
      format_(format),
      from_(from),
      until_(until),
      header_pending_(format == ExportFormat::kCsv) {}

bool ExportCursor::Next(std::string& out) {
  if (header_pending_) {
    header_pending_ = false;
    out.append(kind_ == ExportKind::kJobs ? kJobsHeader : kRunsHeader);
    return true;
  }
  if (finished_) return false;
  size_t start = out.size();
  const bool jobs = kind_ == ExportKind::kJobs;
  auto* append = format_ == ExportFormat::kCsv ? (jobs ? AppendJobCsv : AppendRunCsv)
                                               : (jobs ? AppendJobJson : AppendRunJson);
  const bool jsonl = format_ == ExportFormat::kJsonl;
  ExportWindow window{project_id_, from_, until_, after_};
  static_assert(static_cast<int>(JobColumn::kId) == static_cast<int>(RunColumn::kId));
  const int id_column = static_cast<int>(JobColumn::kId);
  const int created_column =
      jobs ? static_cast<int>(JobColumn::kCreatedAt) : static_cast<int>(RunColumn::kCreatedAt);
  int seen = 0;
  {
    // One short read per page: the statement (and its read transaction) ends with the page.
    auto reader = readers_.Acquire();
    auto visit = [&](const ExportRow& row) {
      append(out, row);
      if (jsonl) out.push_back('\n');
      if (++seen < kPageRows && out.size() - start < kPageBytes) return true;
      // The page ends here (by count or by size): the next one starts after this row.
      after_ = PageCursor{row.Int(created_column), std::string(row.Text(id_column))};
      return false;
    };
    if (jobs) {
      reader->exports().ReadJobPage(window, kPageRows, visit);
    } else {
      reader->exports().ReadRunPage(window, kPageRows, visit);
    }
  }
  rows_ += static_cast<size_t>(seen);
  // A page cut short by its size is not the last one; a short page by count is.
  if (seen < kPageRows && out.size() - start < kPageBytes) finished_ = true;
  return seen > 0;
}

Result<StartedExport> ExportService::Start(const std::string& project_id, ExportKind kind,
                                           const ExportQuery& query,
                                           std::chrono::seconds& retry_after) {
  auto from = WindowEnd(query.from, ErrorCode::kInvalidFrom, "from");
  if (!from) return from.error();
  auto until = WindowEnd(query.until, ErrorCode::kInvalidUntil, "until");
  if (!until) return until.error();
  if (*from >= *until) {
    return Error{ErrorCode::kInvalidRange, "from must be before until; swap or fix the window",
                 "from"};
  }
  if (*until - *from > kMaxWindow) {
    return Error{ErrorCode::kRangeTooLarge,
                 "the export window is longer than 90 days; split it into several exports",
                 "until"};
  }
  std::string format_text = query.format.value_or("jsonl");
  if (format_text != "jsonl" && format_text != "csv") {
    return Error{ErrorCode::kInvalidFormat, "format must be jsonl or csv", "format"};
  }
  ExportFormat format = format_text == "csv" ? ExportFormat::kCsv : ExportFormat::kJsonl;
  const char* noun = kind == ExportKind::kJobs ? "jobs" : "runs";
  // The slot is kept in the database, so nodes sharing one share the limit.
  auto taken = ctx_.writer.RunRelaxed<OptTime>([&](Tx& tx) -> Result<OptTime> {
    return tx.exports().TakeSlot(project_id, noun, tx.now(), cooldown_);
  });
  if (!taken) return taken.error();
  TimePoint now = ctx_.clock.Now();
  if (*taken) {
    retry_after = std::max(std::chrono::seconds(1),
                           std::chrono::ceil<std::chrono::seconds>(cooldown_ - (now - **taken)));
    return Error{ErrorCode::kRateLimitExceeded,
                 "an export of this project started less than " +
                     std::to_string(cooldown_.count()) +
                     " seconds ago; retry after the Retry-After seconds"};
  }
  StartedExport started;
  started.cursor =
      std::make_unique<ExportCursor>(ctx_.readers, project_id, kind, format, *from, *until);
  started.content_type = format == ExportFormat::kCsv ? "text/csv" : "application/x-ndjson";
  started.filename =
      std::string("zeridion-") + noun + "-" + project_id + "-" + DateOf(now) + "." + format_text;
  return started;
}

}  // namespace flare::daemon

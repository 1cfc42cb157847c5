#include "daemon/service/export_rows.h"

#include <array>
#include <charconv>
#include <nlohmann/json.hpp>

#include "common/json_escape.h"
#include "common/time_append.h"
#include "daemon/service/csv.h"
#include "daemon/service/json_members.h"
#include "daemon/service/views.h"

namespace flare::daemon {
namespace {

using J = JobColumn;
using R = RunColumn;

// The end of the JSON value starting at `at` in compact JSON text (strings, nested objects
// and arrays skipped whole).
size_t ValueEnd(std::string_view text, size_t at) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = at; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
        if (depth == 0) return i + 1;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (depth == 0) return i;  // the end of the enclosing object
      if (--depth == 0) return i + 1;
    } else if (c == ',' && depth == 0) {
      return i;
    }
  }
  return text.size();
}

// The spec fields JobView shows.
enum Spec {
  kConcurrencyPolicy,
  kDescription,
  kHttp,
  kMisfirePolicy,
  kName,
  kPriority,
  kRetry,
  kRunAt,
  kSchedule,
  kTimeoutSeconds,
  kTimezone,
  kSpecCount
};
constexpr std::array<std::string_view, kSpecCount> kSpecKeys = {"concurrency_policy",
                                                                "description",
                                                                "http",
                                                                "misfire_policy",
                                                                "name",
                                                                "priority",
                                                                "retry",
                                                                "run_at",
                                                                "schedule",
                                                                "timeout_seconds",
                                                                "timezone"};

// Raw value text of each wanted top-level field of the stored spec ("" = absent).
std::array<std::string_view, kSpecCount> SpecFields(std::string_view spec) {
  std::array<std::string_view, kSpecCount> found{};
  size_t i = spec.find('{');
  if (i == std::string_view::npos) return found;
  ++i;
  while (i < spec.size() && spec[i] == '"') {
    size_t key_end = ValueEnd(spec, i);
    std::string_view key = spec.substr(i + 1, key_end - i - 2);
    size_t value_start = key_end + 1;  // past ':'
    size_t value_end = ValueEnd(spec, value_start);
    for (size_t k = 0; k < kSpecCount; ++k) {
      if (kSpecKeys[k] == key) found[k] = spec.substr(value_start, value_end - value_start);
    }
    i = value_end + 1;  // past ','
  }
  return found;
}

// JsonMembers with the members read from an export row's columns.
class Members : public JsonMembers {
 public:
  using JsonMembers::Int;
  using JsonMembers::JsonMembers;
  using JsonMembers::Raw;
  using JsonMembers::TextOrNull;
  using JsonMembers::Time;
  /// null for NULL or "" (TextOrNull).
  template <typename Column>
  void TextOrNull(std::string_view key, const ExportRow& row, Column c) {
    TextOrNull(key, row.Text(c));
  }
  template <typename Column>
  void Time(std::string_view key, const ExportRow& row, Column c) {
    if (row.IsNull(c)) return Raw(key, {});
    Time(key, FromMillis(row.Int(c)));
  }
  template <typename Column>
  void IntOrNull(std::string_view key, const ExportRow& row, Column c) {
    if (row.IsNull(c)) return Raw(key, {});
    Int(key, row.Int(c));
  }
  /// A REAL column written as nlohmann writes a double (rare: only reported progress).
  template <typename Column>
  void DoubleOrNull(std::string_view key, const ExportRow& row, Column c) {
    if (row.IsNull(c)) return Raw(key, {});
    Raw(key, nlohmann::json(row.Double(c)).dump());
  }
  template <typename Column>
  void Json(std::string_view key, const ExportRow& row, Column c) {
    Raw(key, row.Text(c));
  }
};

// The `http` member as JobView shows it: header values masked.
std::string MaskedHttp(std::string_view http) {
  JobRecord masked;
  masked.spec = SpecFromSettings({{"http", nlohmann::json::parse(http, nullptr, false)}});
  return JobView(masked)["http"].dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// A CSV row's cells, separated by commas.
class Cells {
 public:
  explicit Cells(std::string& out) : out_(out) {}
  void Text(std::string_view text) {
    Separate();
    AppendCsvCell(out_, text);
  }
  template <typename Column>
  void Text(const ExportRow& row, Column c) {
    Text(row.Text(c));
  }
  template <typename Column>
  void Time(const ExportRow& row, Column c) {
    Separate();
    if (!row.IsNull(c)) AppendTime(out_, FromMillis(row.Int(c)));  // digits first: safe
  }
  void Int(int64_t value) {
    char digits[24];
    auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
    Text(std::string_view(digits, static_cast<size_t>(end - digits)));  // "-1" is neutralised
  }
  template <typename Column>
  void IntOrEmpty(const ExportRow& row, Column c) {
    if (row.IsNull(c)) return Text({});
    Int(row.Int(c));
  }
  void End() { out_.append("\r\n"); }

 private:
  void Separate() {
    if (!first_) out_.push_back(',');
    first_ = false;
  }
  std::string& out_;
  bool first_ = true;
};

}  // namespace

void AppendJobJson(std::string& out, const ExportRow& job) {
  auto spec = SpecFields(job.Text(J::kSpec));
  std::string http;
  if (!spec[kHttp].empty()) http = MaskedHttp(spec[kHttp]);
  Members m(out);
  // JobView's keys, in its (alphabetical) order.
  m.Int("{\"attempt\":", job.Int(J::kAttempt));
  m.Time(",\"completed_at\":", job, J::kCompletedAt);
  m.Raw(",\"concurrency_policy\":", spec[kConcurrencyPolicy]);
  m.Time(",\"created_at\":", job, J::kCreatedAt);
  m.Time(",\"deleted_at\":", job, J::kDeletedAt);
  m.Raw(",\"description\":", spec[kDescription]);
  m.IntOrNull(",\"duration_ms\":", job, J::kDurationMs);
  m.Raw(",\"enabled\":", job.Int(J::kEnabled) != 0 ? "true" : "false");
  m.Json(",\"error\":", job, J::kError);
  m.Raw(",\"http\":", http);
  m.String(",\"id\":", job.Text(J::kId));
  m.TextOrNull(",\"idempotency_key\":", job, J::kIdempotencyKey);
  m.String(",\"job_type\":", job.Text(J::kJobType));
  m.TextOrNull(",\"last_run_id\":", job, J::kLastRunId);
  m.Int(",\"max_attempts\":", job.Int(J::kMaxAttempts));
  m.Raw(",\"misfire_policy\":", spec[kMisfirePolicy]);
  m.Raw(",\"name\":", spec[kName]);
  m.Time(",\"next_retry_at\":", job, J::kNextRetryAt);
  m.Time(",\"next_run_at\":", job, J::kNextRunAt);
  m.TextOrNull(",\"parent_job_id\":", job, J::kParentJobId);
  m.Json(",\"payload\":", job, J::kPayload);
  m.Raw(",\"priority\":", spec[kPriority]);
  m.DoubleOrNull(",\"progress\":", job, J::kProgress);
  m.String(",\"queue\":", job.Text(J::kQueue));
  m.Raw(",\"retry\":", spec[kRetry]);
  m.Raw(",\"run_at\":", spec[kRunAt]);
  m.Raw(",\"schedule\":", spec[kSchedule]);
  m.TextOrNull(",\"slug\":", job, J::kSlug);
  m.Time(",\"started_at\":", job, J::kStartedAt);
  m.String(",\"state\":", job.Text(J::kState));
  m.Json(",\"tags\":", job, J::kTags);
  m.Raw(",\"timeout_seconds\":", spec[kTimeoutSeconds]);
  m.Raw(",\"timezone\":", spec[kTimezone]);
  m.Time(",\"updated_at\":", job, J::kUpdatedAt);
  m.Int(",\"version\":", job.Int(J::kVersion));
  m.End();
}

void AppendRunJson(std::string& out, const ExportRow& run) {
  Members m(out);
  // RunView's keys, in its (alphabetical) order.
  m.Int("{\"attempt\":", run.Int(R::kAttempt));
  m.Time(",\"completed_at\":", run, R::kCompletedAt);
  m.Time(",\"created_at\":", run, R::kCreatedAt);
  m.IntOrNull(",\"duration_ms\":", run, R::kDurationMs);
  m.Json(",\"error\":", run, R::kError);
  m.TextOrNull(",\"failure_reason\":", run, R::kFailureReason);
  m.String(",\"id\":", run.Text(R::kId));
  m.String(",\"job_id\":", run.Text(R::kJobId));
  m.String(",\"job_type\":", run.Text(R::kJobType));
  m.Int(",\"job_version\":", run.Int(R::kJobVersion));
  m.Time(",\"lease_expires_at\":", run, R::kLeaseExpiresAt);
  m.Int(",\"max_attempts\":", run.Int(R::kMaxAttempts));
  m.Time(",\"next_retry_at\":", run, R::kNextRetryAt);
  m.Json(",\"payload\":", run, R::kPayload);
  if (!run.IsNull(R::kStartedAt) && !run.IsNull(R::kReadyAt)) {
    m.Int(",\"pending_duration_ms\":", run.Int(R::kStartedAt) - run.Int(R::kReadyAt));
  } else {
    m.Raw(",\"pending_duration_ms\":", {});
  }
  m.DoubleOrNull(",\"progress\":", run, R::kProgress);
  m.String(",\"queue\":", run.Text(R::kQueue));
  m.Json(",\"request\":", run, R::kRequest);
  m.TextOrNull(",\"rerun_of\":", run, R::kRerunOf);
  m.Json(",\"result\":", run, R::kResult);
  m.Time(",\"scheduled_for\":", run, R::kScheduledFor);
  m.Time(",\"started_at\":", run, R::kStartedAt);
  m.String(",\"state\":", run.Text(R::kState));
  m.Json(",\"trace\":", run, R::kTrace);
  m.String(",\"trigger\":", run.Text(R::kTrigger));
  m.TextOrNull(",\"worker_id\":", run, R::kWorkerId);
  m.End();
}

void AppendJobCsv(std::string& out, const ExportRow& job) {
  // Id, State, JobType, Queue, CreatedAt, CompletedAt, Attempt, MaxAttempts, DurationMs,
  // Error, Tags.
  Cells c(out);
  c.Text(job, J::kId);
  c.Text(job, J::kState);
  c.Text(job, J::kJobType);
  c.Text(job, J::kQueue);
  c.Time(job, J::kCreatedAt);
  c.Time(job, J::kCompletedAt);
  c.Int(job.Int(J::kAttempt));
  c.Int(job.Int(J::kMaxAttempts));
  c.IntOrEmpty(job, J::kDurationMs);
  c.Text(job, J::kError);
  c.Text(job, J::kTags);
  c.End();
}

void AppendRunCsv(std::string& out, const ExportRow& run) {
  // Id, JobId, JobVersion, Trigger, RerunOf, State, Queue, JobType, Attempt, MaxAttempts,
  // CreatedAt, ScheduledFor, StartedAt, CompletedAt, DurationMs, PendingDurationMs,
  // FailureReason, WorkerId, Error.
  Cells c(out);
  c.Text(run, R::kId);
  c.Text(run, R::kJobId);
  c.Int(run.Int(R::kJobVersion));
  c.Text(run, R::kTrigger);
  c.Text(run, R::kRerunOf);
  c.Text(run, R::kState);
  c.Text(run, R::kQueue);
  c.Text(run, R::kJobType);
  c.Int(run.Int(R::kAttempt));
  c.Int(run.Int(R::kMaxAttempts));
  c.Time(run, R::kCreatedAt);
  c.Time(run, R::kScheduledFor);
  c.Time(run, R::kStartedAt);
  c.Time(run, R::kCompletedAt);
  c.IntOrEmpty(run, R::kDurationMs);
  if (!run.IsNull(R::kStartedAt) && !run.IsNull(R::kReadyAt)) {
    c.Int(run.Int(R::kStartedAt) - run.Int(R::kReadyAt));
  } else {
    c.Text({});
  }
  c.Text(run, R::kFailureReason);
  c.Text(run, R::kWorkerId);
  c.Text(run, R::kError);
  c.End();
}

}  // namespace flare::daemon

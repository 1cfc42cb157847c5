#pragma once
// The storage port for one resource: Counters behind usage and metrics (usage_repository.h).
// Services reach it through their transaction (Tx::usage()) or a read lease; each backend
// implements it (SQLite: SqliteUsageStore in usage_repository.h).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "daemon/store/records.h"

namespace flare::daemon {

/// The counters' day and minute: UTC days and minutes since the epoch (ms / these).
inline constexpr int64_t kMsPerDay = 86'400'000;
inline constexpr int64_t kMsPerMinute = 60'000;

struct DailyUsage {
  int64_t day = 0;
  int64_t runs = 0;
  int64_t succeeded = 0;
  int64_t failed = 0;
  int64_t webhook_deliveries = 0;
};

struct RunStatsBucket {
  int64_t start_minute = 0;  // the first minute of the bucket
  int64_t created = 0;
  int64_t succeeded = 0;
  int64_t failed = 0;
  int64_t retried = 0;
  int64_t cancelled = 0;
};

struct QueueCount {
  std::string queue;
  RunState state = RunState::kPending;
  int64_t current = 0;  // runs in the state now
  int64_t entered = 0;  // entries into it ever
};

/// The times of a finished run that latency metrics are made of.
struct FinishedRunTimes {
  std::string project_id;
  OptTime ready_at;
  OptTime started_at;
  OptTime completed_at;
  std::optional<int64_t> duration_ms;
  std::optional<int64_t> http_total_ms;  // trace.total_ms of an HTTP run
};

class UsageStore {
 public:
  virtual ~UsageStore() = default;
  /// Days in [first_day, last_day] that have any usage, oldest first.
  virtual std::vector<DailyUsage> ReadDaily(const std::string& project_id, int64_t first_day,
                                            int64_t last_day) = 0;
  /// Run counts from `first_minute` on, summed into buckets of `bucket_minutes` aligned to the
  /// epoch; only buckets with rows, oldest first.
  virtual std::vector<RunStatsBucket> ReadRunStats(const std::string& project_id,
                                                   int64_t first_minute,
                                                   int64_t bucket_minutes) = 0;
  /// Run counts summed over every minute from `first_minute` on.
  virtual RunStatsBucket SumRunStats(const std::string& project_id, int64_t first_minute) = 0;
  virtual std::vector<QueueCount> ReadQueueCounts(const std::string& project_id) = 0;
  virtual int64_t ReadActiveJobs(const std::string& project_id) = 0;
  /// One more webhook delivery on `at`'s day (call inside the delivery's transaction).
  virtual void AddWebhookDelivery(const std::string& project_id, TimePoint at) = 0;
  /// Drops minute rows before `first_minute` (they only serve periods up to 30 days).
  virtual int PruneRunStats(int64_t first_minute) = 0;
  /// Every retained run that finished (or failed an attempt) since `since`; `visit` is called
  /// once per run.
  virtual void ForEachFinishedRun(TimePoint since,
                                  const std::function<void(const FinishedRunTimes&)>& visit) = 0;
};

}  // namespace flare::daemon

#pragma once
// Reading the usage and metrics counters (schema.cc, version 4). Run and job inserts and
// run moves are counted by counter_deltas.h, deletes by the schema's triggers, and webhook
// deliveries here.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "daemon/store/connection.h"
#include "daemon/store/records.h"
#include "daemon/store/usage_store.h"

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

/// Days in [first_day, last_day] that have any usage, oldest first.
std::vector<DailyUsage> ReadDailyUsage(Connection& c, const std::string& project_id,
                                       int64_t first_day, int64_t last_day);
/// Run counts from `first_minute` on, summed into buckets of `bucket_minutes` aligned to the
/// epoch; only buckets with rows, oldest first.
std::vector<RunStatsBucket> ReadRunStats(Connection& c, const std::string& project_id,
                                         int64_t first_minute, int64_t bucket_minutes);
/// Run counts summed over every minute from `first_minute` on.
RunStatsBucket SumRunStats(Connection& c, const std::string& project_id, int64_t first_minute);
std::vector<QueueCount> ReadQueueCounts(Connection& c, const std::string& project_id);
int64_t ReadActiveJobs(Connection& c, const std::string& project_id);
/// One more webhook delivery on `at`'s day (call inside the delivery's transaction).
void AddWebhookDelivery(Connection& c, const std::string& project_id, TimePoint at);
/// Drops minute rows before `first_minute` (they only serve periods up to 30 days).
int PruneRunStats(Connection& c, int64_t first_minute);

}  // namespace flare::daemon

namespace flare::daemon {

/// The times of a finished run that latency metrics are made of.
struct FinishedRunTimes {
  std::string project_id;
  OptTime ready_at;
  OptTime started_at;
  OptTime completed_at;
  std::optional<int64_t> duration_ms;
  std::optional<int64_t> http_total_ms;  // trace.total_ms of an HTTP run
};

/// Every retained run that finished (or failed an attempt) since `since`, through the
/// runs_finished index; `visit` is called once per run.
void ForEachFinishedRun(Connection& c, TimePoint since,
                        const std::function<void(const FinishedRunTimes&)>& visit);

/// The SQLite UsageStore (stores.h): the functions above over one connection.
class SqliteUsageStore final : public UsageStore {
 public:
  explicit SqliteUsageStore(Connection& c) : c_(c) {}

 private:
  [[maybe_unused]] Connection& c_;
};

}  // namespace flare::daemon

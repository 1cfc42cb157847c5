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

/// Every retained run that finished (or failed an attempt) since `since`, through the
/// runs_finished index; `visit` is called once per run.
void ForEachFinishedRun(Connection& c, TimePoint since,
                        const std::function<void(const FinishedRunTimes&)>& visit);

/// The SQLite UsageStore (stores.h): the functions above over one connection.
class SqliteUsageStore final : public UsageStore {
 public:
  explicit SqliteUsageStore(Connection& c) : c_(c) {}
  std::vector<DailyUsage> ReadDaily(const std::string& project_id, int64_t first_day,
                                    int64_t last_day) override {
    return ReadDailyUsage(c_, project_id, first_day, last_day);
  }
  std::vector<RunStatsBucket> ReadRunStats(const std::string& project_id, int64_t first_minute,
                                           int64_t bucket_minutes) override {
    return ::flare::daemon::ReadRunStats(c_, project_id, first_minute, bucket_minutes);
  }
  RunStatsBucket SumRunStats(const std::string& project_id, int64_t first_minute) override {
    return ::flare::daemon::SumRunStats(c_, project_id, first_minute);
  }
  std::vector<QueueCount> ReadQueueCounts(const std::string& project_id) override {
    return ::flare::daemon::ReadQueueCounts(c_, project_id);
  }
  int64_t ReadActiveJobs(const std::string& project_id) override {
    return ::flare::daemon::ReadActiveJobs(c_, project_id);
  }
  void AddWebhookDelivery(const std::string& project_id, TimePoint at) override {
    ::flare::daemon::AddWebhookDelivery(c_, project_id, at);
  }
  int PruneRunStats(int64_t first_minute) override {
    return ::flare::daemon::PruneRunStats(c_, first_minute);
  }
  void ForEachFinishedRun(TimePoint since,
                          const std::function<void(const FinishedRunTimes&)>& visit) override {
    ::flare::daemon::ForEachFinishedRun(c_, since, visit);
  }

 private:
  Connection& c_;
};

}  // namespace flare::daemon

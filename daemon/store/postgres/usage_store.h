#pragma once
// The PostgreSQL UsageStore (store/usage_store.h, whose comments are the contract; the SQLite
// one is in store/usage_repository.*). session.h says what a write transaction locks.

#include "daemon/store/postgres/session.h"
#include "daemon/store/usage_store.h"

namespace flare::daemon::postgres {

class PgUsageStore final : public UsageStore {
 public:
  explicit PgUsageStore(Session session) : session_(session) {}
  std::vector<DailyUsage> ReadDaily(const std::string& project_id, int64_t first_day,
                                    int64_t last_day) override;
  std::vector<RunStatsBucket> ReadRunStats(const std::string& project_id, int64_t first_minute,
                                           int64_t bucket_minutes) override;
  RunStatsBucket SumRunStats(const std::string& project_id, int64_t first_minute) override;
  std::vector<QueueCount> ReadQueueCounts(const std::string& project_id) override;
  int64_t ReadActiveJobs(const std::string& project_id) override;
  void AddWebhookDelivery(const std::string& project_id, TimePoint at) override;
  int PruneRunStats(int64_t first_minute) override;
  void ForEachFinishedRun(TimePoint since,
                          const std::function<void(const FinishedRunTimes&)>& visit) override;

 private:
  Session session_;
};

}  // namespace flare::daemon::postgres

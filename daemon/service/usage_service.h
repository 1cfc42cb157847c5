#pragma once
// Usage (SPEC §7, seed 002's Usage object): runs metered this month against the plan, and
// the same per day as JSON or CSV. Read from the usage_daily and project_counts rows the
// schema's triggers keep (usage_store.h): a handful of rows per request, and they
// outlive both restarts and the retention that deletes old runs. The local plan is
// unlimited: runs_included and active_jobs_limit are -1.

#include <nlohmann/json.hpp>
#include <string>

#include "common/result.h"
#include "daemon/service/context.h"
#include "daemon/store/usage_store.h"

namespace flare::daemon {

/// A month's metered usage (seed 002's Usage object; api/usage_views.h renders it).
struct MonthUsage {
  std::string period;  // "YYYY-MM"
  DailyUsage total;    // runs, succeeded, failed and webhook deliveries over the month
  int64_t active_jobs = 0;
};

/// Usage per day: oldest first, days without usage as zeros, today last.
struct UsageDays {
  std::vector<DailyUsage> days;
};

class UsageService {
 public:
  explicit UsageService(ServiceContext ctx) : ctx_(ctx) {}

  /// `period`: "YYYY-MM", or "current" / "" for this UTC month.
  Result<MonthUsage> Usage(const std::string& project_id, const std::string& period);
  /// `days`: 1..90, "" = 30.
  Result<UsageDays> Daily(const std::string& project_id, const std::string& days);

  /// Counts one webhook delivery into today's usage, inside the delivery's transaction
  /// (the webhook engine calls this where it records the delivery).
  static void CountWebhookDelivery(Tx& tx, const std::string& project_id);

 private:
  ServiceContext ctx_;
};

}  // namespace flare::daemon

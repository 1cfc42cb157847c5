#include "daemon/api/usage_views.h"

#include "common/time_format.h"

namespace flare::daemon {
namespace {

// "YYYY-MM-DD" of a day counted from the epoch.
std::string DateOf(int64_t day) { return FormatTime(FromMillis(day * kMsPerDay)).substr(0, 10); }

}  // namespace

nlohmann::json MonthUsageView(const MonthUsage& usage) {
  return {{"period", usage.period},
          {"runs_used", usage.total.runs},
          {"runs_included", -1},
          {"active_jobs", usage.active_jobs},
          {"active_jobs_limit", -1},
          {"runs_succeeded", usage.total.succeeded},
          {"runs_failed", usage.total.failed},
          {"webhook_deliveries", usage.total.webhook_deliveries},
          {"plan", "local"}};
}

nlohmann::json UsageDaysView(const UsageDays& usage) {
  nlohmann::json data = nlohmann::json::array();
  for (const DailyUsage& day : usage.days) {
    data.push_back({{"date", DateOf(day.day)},
                    {"runs", day.runs},
                    {"succeeded", day.succeeded},
                    {"failed", day.failed},
                    {"webhook_deliveries", day.webhook_deliveries}});
  }
  return {{"days", usage.days.size()}, {"data", std::move(data)}};
}

std::string UsageDaysCsv(const UsageDays& usage) {
  // Every cell is a date or a number, so none needs quoting.
  std::string csv = "date,runs,succeeded,failed,webhook_deliveries\r\n";
  for (const DailyUsage& day : usage.days) {
    csv += DateOf(day.day);
    for (int64_t count : {day.runs, day.succeeded, day.failed, day.webhook_deliveries}) {
      csv += ',';
      csv += std::to_string(count);
    }
    csv += "\r\n";
  }
  return csv;
}

}  // namespace flare::daemon

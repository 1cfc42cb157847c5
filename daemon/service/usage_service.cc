#include "daemon/service/usage_service.h"

#include <charconv>
#include <chrono>

#include "daemon/store/usage_store.h"

namespace flare::daemon {
namespace {

bool ParseInt(const std::string& text, int& out) {
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc() && end == text.data() + text.size() && !text.empty();
}

// "YYYY-MM" → the days [first, last] of that month, as days since the epoch.
Result<std::pair<int64_t, int64_t>> MonthDays(const std::string& period) {
  using namespace std::chrono;
  int y = 0, m = 0;
  if (period.size() != 7 || period[4] != '-' || !ParseInt(period.substr(0, 4), y) ||
      !ParseInt(period.substr(5, 2), m) || y < 1970 || m < 1 || m > 12) {
    return InvalidRequest("period must be a month as YYYY-MM (e.g. 2026-03) or 'current'",
                          "period");
  }
  year_month month{year{y}, std::chrono::month{static_cast<unsigned>(m)}};
  sys_days first_day{month / 1};
  sys_days last_day{month / std::chrono::last};
  return std::pair<int64_t, int64_t>{first_day.time_since_epoch().count(),
                                     last_day.time_since_epoch().count()};
}

}  // namespace

Result<MonthUsage> UsageService::Usage(const std::string& project_id, const std::string& period) {
  std::string month =
      period.empty() || period == "current" ? FormatTime(ctx_.clock.Now()).substr(0, 7) : period;
  auto days = MonthDays(month);
  if (!days) return days.error();
  DailyUsage total;
  int64_t active_jobs = 0;
  {
    auto reader = ctx_.readers.Acquire();
    for (const DailyUsage& day : reader->usage().ReadDaily(project_id, days->first, days->second)) {
      total.runs += day.runs;
      total.succeeded += day.succeeded;
      total.failed += day.failed;
      total.webhook_deliveries += day.webhook_deliveries;
    }
    active_jobs = reader->usage().ReadActiveJobs(project_id);
  }
  return MonthUsage{month, total, active_jobs};
}

Result<UsageDays> UsageService::Daily(const std::string& project_id, const std::string& days_text) {
  int days = 30;
  if (!days_text.empty() && (!ParseInt(days_text, days) || days < 1 || days > 90)) {
    return InvalidRequest("days must be a whole number from 1 to 90", "days");
  }
  int64_t today = ToMillis(ctx_.clock.Now()) / kMsPerDay;
  int64_t first = today - days + 1;
  std::vector<DailyUsage> rows;
  {
    auto reader = ctx_.readers.Acquire();
    rows = reader->usage().ReadDaily(project_id, first, today);
  }
  UsageDays series;
  series.days.reserve(static_cast<size_t>(days));
  auto row = rows.begin();
  for (int64_t day = first; day <= today; ++day) {
    DailyUsage usage{day};
    if (row != rows.end() && row->day == day) usage = *row++;
    series.days.push_back(usage);
  }
  return series;
}

void UsageService::CountWebhookDelivery(Tx& tx, const std::string& project_id) {
  tx.usage().AddWebhookDelivery(project_id, tx.now());
}

}  // namespace flare::daemon

#pragma once
// The wire form of usage (seed 002's Usage object, SPEC §7): a month as JSON, and the days
// of a period as JSON or CSV. The local plan is unlimited: its limits are -1.

#include <nlohmann/json.hpp>
#include <string>

#include "daemon/service/usage_service.h"

namespace flare::daemon {

/// {period, runs_used, runs_included, active_jobs, active_jobs_limit, runs_succeeded,
/// runs_failed, webhook_deliveries, plan}
nlohmann::json MonthUsageView(const MonthUsage& usage);
/// {days, data: [{date, runs, succeeded, failed, webhook_deliveries}, ...]}
nlohmann::json UsageDaysView(const UsageDays& usage);
/// The same days as CSV (RFC 4180: CRLF line ends, a header row).
std::string UsageDaysCsv(const UsageDays& usage);

}  // namespace flare::daemon

#include "daemon/api/http_util.h"
#include "daemon/api/routes.h"
#include "daemon/api/usage_views.h"
#include "daemon/service/usage_service.h"

namespace flare::daemon {
namespace {

void Daily(UsageService& usage, RequestContext& ctx, httplib::Response& response) {
  std::string format = ctx.request.get_param_value("format");
  if (!format.empty() && format != "json" && format != "csv") {
    return SendError(response, InvalidRequest("format must be json or csv", "format"));
  }
  auto daily = usage.Daily(ctx.principal.project_id, ctx.request.get_param_value("days"));
  if (!daily || format != "csv") return SendView(response, daily, UsageDaysView);
  response.status = 200;
  response.set_header("Content-Disposition", "attachment; filename=\"usage-daily.csv\"");
  response.set_content(UsageDaysCsv(*daily), "text/csv; charset=utf-8");
}

}  // namespace

void AddUsageRoutes(Router& router, UsageService& usage) {
  using Ctx = RequestContext;
  using Res = httplib::Response;
  router.Add("GET", "/flare/v1/usage", kScopeJobsRead, [&](Ctx& c, Res& r) {
    SendView(r, usage.Usage(c.principal.project_id, c.request.get_param_value("period")),
             MonthUsageView);
  });
  router.Add("GET", "/flare/v1/usage/daily", kScopeJobsRead,
             [&](Ctx& c, Res& r) { Daily(usage, c, r); });
}

}  // namespace flare::daemon

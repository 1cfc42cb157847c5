#include "daemon/api/http_util.h"
#include "daemon/api/page_view.h"
#include "daemon/api/routes.h"
#include "daemon/service/run_service.h"
#include "daemon/service/views.h"

namespace flare::daemon {
namespace {

bool OneOf(const std::string& value, std::initializer_list<const char*> choices) {
  for (const char* choice : choices) {
    if (value == choice) return true;
  }
  return false;
}

void List(RunService& runs, RequestContext& ctx, httplib::Response& response) {
  RunFilter filter{ctx.request.get_param_value("job"), std::nullopt,
                   ctx.request.get_param_value("trigger")};
  if (std::string state = ctx.request.get_param_value("state"); !state.empty()) {
    filter.state = ParseRunState(state);
    if (!filter.state)
      return SendError(response, InvalidRequest("state is not a run state", "state"));
  }
  if (!filter.trigger.empty() &&
      !OneOf(filter.trigger, {"API", "SCHEDULE", "MANUAL", "RERUN", "RETRY"})) {
    return SendError(
        response,
        InvalidRequest("trigger must be API, SCHEDULE, MANUAL, RERUN or RETRY", "trigger"));
  }
  auto limit = QueryLimit(ctx.request);
  if (!limit) return SendError(response, limit.error());
  SendView(
      response,
      runs.List(ctx.principal.project_id, filter, ctx.request.get_param_value("cursor"), *limit),
      PageViewOf(RunView));
}

void Trigger(RunService& runs, RequestContext& ctx, httplib::Response& response) {
  nlohmann::json body = nlohmann::json::object();
  if (!ctx.request.body.empty()) {
    auto parsed = BodyObject(ctx.request);
    if (!parsed) return SendError(response, parsed.error());
    body = *parsed;
  }
  SendView(response, runs.Trigger(ctx.principal.project_id, ctx.params[0], body), RunView, 201);
}

}  // namespace

void AddRunRoutes(Router& router, RunService& runs) {
  using Ctx = RequestContext;
  using Res = httplib::Response;
  router.Add("GET", "/flare/v1/runs", kScopeJobsRead, [&](Ctx& c, Res& r) { List(runs, c, r); });
  router.Add("GET", "/flare/v1/runs/{id}", kScopeJobsRead, [&](Ctx& c, Res& r) {
    SendView(r, runs.Get(c.principal.project_id, c.params[0]), RunView);
  });
  router.Add("POST", "/flare/v1/runs/{id}/cancel", kScopeJobsWrite, [&](Ctx& c, Res& r) {
    SendView(r, runs.Cancel(c.principal.project_id, c.params[0]), RunView);
  });
  router.Add("POST", "/flare/v1/runs/{id}/rerun", kScopeJobsWrite, [&](Ctx& c, Res& r) {
    SendView(r, runs.Rerun(c.principal.project_id, c.params[0]), RunView, 201);
  });
  router.Add("POST", "/flare/v1/jobs/{id}/trigger", kScopeJobsWrite,
             [&](Ctx& c, Res& r) { Trigger(runs, c, r); });
}

}  // namespace flare::daemon

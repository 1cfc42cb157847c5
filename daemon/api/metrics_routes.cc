#include "daemon/api/http_util.h"
#include "daemon/api/routes.h"
#include "daemon/service/metrics_service.h"

namespace flare::daemon {
namespace {

void Prometheus(MetricsService& metrics, RequestContext& ctx, httplib::Response& response) {
  auto text = metrics.Prometheus(ctx.principal.project_id);
  if (!text) return SendError(response, text.error());
  response.status = 200;
  response.set_content(*text, "text/plain; version=0.0.4; charset=utf-8");
}

}  // namespace

void AddMetricsRoutes(Router& router, MetricsService& metrics) {
  using Ctx = RequestContext;
  using Res = httplib::Response;
  router.Add("GET", "/flare/v1/metrics/summary", kScopeJobsRead, [&](Ctx& c, Res& r) {
    SendResult(r, metrics.Summary(c.principal.project_id, c.request.get_param_value("period")));
  });
  router.Add("GET", "/flare/v1/metrics/throughput", kScopeJobsRead, [&](Ctx& c, Res& r) {
    SendResult(r, metrics.Throughput(c.principal.project_id, c.request.get_param_value("period"),
                                     c.request.get_param_value("granularity")));
  });
  router.Add("GET", "/flare/v1/metrics/queues", kScopeJobsRead,
             [&](Ctx& c, Res& r) { SendResult(r, metrics.Queues(c.principal.project_id)); });
  // Prometheus scrapes with `authorization: Bearer <key>`; the answer is the key's project.
  router.Add("GET", "/metrics", kScopeJobsRead, [&](Ctx& c, Res& r) { Prometheus(metrics, c, r); });
}

}  // namespace flare::daemon

#include "daemon/api/http_util.h"
#include "daemon/api/metrics_views.h"
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
    SendView(r, metrics.Summary(c.principal.project_id, c.request.get_param_value("period")),
             MetricsSummaryView);
  });
  router.Add("GET", "/flare/v1/metrics/throughput", kScopeJobsRead, [&](Ctx& c, Res& r) {
    SendView(r,
             metrics.Throughput(c.principal.project_id, c.request.get_param_value("period"),
                                c.request.get_param_value("granularity")),
             ThroughputView);
  });
  router.Add("GET", "/flare/v1/metrics/queues", kScopeJobsRead, [&](Ctx& c, Res& r) {
    SendView(r, metrics.Queues(c.principal.project_id), QueueDepthsView);
  });
  // Prometheus scrapes with `authorization: Bearer <key>`; the answer is the key's project.
  router.Add("GET", "/metrics", kScopeJobsRead, [&](Ctx& c, Res& r) { Prometheus(metrics, c, r); });
}

}  // namespace flare::daemon

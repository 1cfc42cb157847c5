#include "daemon/api/http_util.h"
#include "daemon/api/routes.h"
#include "daemon/api/worker_views.h"
#include "daemon/engines/dispatcher.h"
#include "daemon/service/worker_requests.h"
#include "daemon/service/worker_service.h"

namespace flare::daemon {
namespace {

using BodyCall = Result<nlohmann::json> (WorkerService::*)(const std::string&,
                                                           const nlohmann::json&);

RouteHandler WithBody(WorkerService& workers, BodyCall call) {
  return [&workers, call](RequestContext& ctx, httplib::Response& response) {
    auto body = BodyObject(ctx.request);
    if (!body) return SendError(response, body.error());
    SendResult(response, (workers.*call)(ctx.principal.project_id, *body));
  };
}

}  // namespace

void AddWorkerRoutes(Router& router, WorkerService& workers, Dispatcher& dispatcher) {
  router.Add("POST", "/flare/v1/workers/register", kScopeWorkers,
             WithBody(workers, &WorkerService::Register));
  router.Add("POST", "/flare/v1/workers/ack", kScopeWorkers,
             [&](RequestContext& ctx, httplib::Response& response) {
               auto body = BodyObject(ctx.request);
               if (!body) return SendError(response, body.error());
               // Seed 000's single ack, or the list form (README "Acks in a list").
               auto call = IsAckList(*body) ? &WorkerService::AckList : &WorkerService::Ack;
               SendResult(response, (workers.*call)(ctx.principal.project_id, *body));
             });
  router.Add("POST", "/flare/v1/workers/heartbeat", kScopeWorkers,
             WithBody(workers, &WorkerService::Heartbeat));
  router.Add("POST", "/flare/v1/workers/progress", kScopeWorkers,
             WithBody(workers, &WorkerService::Progress));
  router.Add("POST", "/flare/v1/workers/poll", kScopeWorkers,
             [&](RequestContext& ctx, httplib::Response& response) {
               auto body = BodyObject(ctx.request);
               if (!body) return SendError(response, body.error());
               auto request = WorkerService::ParsePoll(*body);
               if (!request) return SendError(response, request.error());
               auto claimed = dispatcher.Poll(ctx.principal.project_id, *request);
               if (!claimed) return SendError(response, claimed.error());
               SendJson(response, 200, PollAnswerView(std::move(*claimed)));
             });
  router.Add("GET", "/flare/v1/workers", kScopeWorkers,
             [&](RequestContext& ctx, httplib::Response& response) {
               SendResult(response, workers.List(ctx.principal.project_id));
             });
}

}  // namespace flare::daemon

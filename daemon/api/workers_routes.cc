#include "daemon/api/http_server.h"
#include "daemon/api/http_util.h"
#include "daemon/api/routes.h"
#include "daemon/api/worker_views.h"
#include "daemon/engines/dispatcher.h"
#include "daemon/service/worker_requests.h"
#include "daemon/service/worker_service.h"

namespace flare::daemon {
namespace {

// A worker call that takes the JSON body, answered through `view`.
template <typename Answer>
RouteHandler WithBody(WorkerService& workers,
                      Result<Answer> (WorkerService::*call)(const std::string&,
                                                            const nlohmann::json&),
                      nlohmann::json (*view)(const Answer&)) {
  return [&workers, call, view](RequestContext& ctx, httplib::Response& response) {
    auto body = BodyObject(ctx.request);
    if (!body) return SendError(response, body.error());
    SendView(response, (workers.*call)(ctx.principal.project_id, *body), view);
  };
}

// Seed 000's single ack, or the list form (README "Acks in a list"); either may ask for the
// worker's next jobs (README "Ack and take the next jobs").
RouteHandler Ack(WorkerService& workers) {
  return [&workers](RequestContext& ctx, httplib::Response& response) {
    auto body = BodyObject(ctx.request);
    if (!body) return SendError(response, body.error());
    const std::string& project_id = ctx.principal.project_id;
    if (IsAckList(*body)) {
      auto acked = workers.AckList(project_id, *body);
      if (!acked) return SendError(response, acked.error());
      return SendJsonText(response, 200, AckListReplyText(*acked));
    }
    auto acked = workers.Ack(project_id, *body);
    if (!acked) return SendError(response, acked.error());
    SendJsonText(response, 200, AckReplyText(*acked));
  };
}

RouteHandler Poll(Dispatcher& dispatcher) {
  return [&dispatcher](RequestContext& ctx, httplib::Response& response) {
    auto body = BodyObject(ctx.request);
    if (!body) return SendError(response, body.error());
    auto request = WorkerService::ParsePoll(*body);
    if (!request) return SendError(response, request.error());
    int fd = CurrentRequestSocket();
    auto claimed =
        dispatcher.Poll(ctx.principal.project_id, *request, [fd] { return PeerClosed(fd); });
    if (!claimed) return SendError(response, claimed.error());
    SendJsonText(response, 200, PollAnswerText(*claimed));
  };
}

}  // namespace

void AddWorkerRoutes(Router& router, WorkerService& workers, Dispatcher& dispatcher) {
  router.Add("POST", "/flare/v1/workers/register", kScopeWorkers,
             WithBody(workers, &WorkerService::Register, RegistrationView));
  // An ack's and a poll's writes confirm their key (Router::AddKeyConfirmedByWrite).
  router.AddKeyConfirmedByWrite("POST", "/flare/v1/workers/ack", kScopeWorkers, Ack(workers));
  router.Add("POST", "/flare/v1/workers/heartbeat", kScopeWorkers,
             WithBody(workers, &WorkerService::Heartbeat, HeartbeatView));
  router.Add("POST", "/flare/v1/workers/progress", kScopeWorkers,
             WithBody(workers, &WorkerService::Progress, ProgressView));
  router.AddKeyConfirmedByWrite("POST", "/flare/v1/workers/poll", kScopeWorkers, Poll(dispatcher));
  router.Add("GET", "/flare/v1/workers", kScopeWorkers,
             [&](RequestContext& ctx, httplib::Response& response) {
               SendView(response, workers.List(ctx.principal.project_id), WorkerListView);
             });
}

}  // namespace flare::daemon

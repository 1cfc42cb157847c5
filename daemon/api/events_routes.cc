// GET /flare/v1/events (the project event log, JSON pages or SSE) and
// GET /flare/v1/jobs/{id}/events (a job's history as JSON, or its snapshot stream as SSE).

#include "daemon/api/event_stream_response.h"
#include "daemon/api/http_util.h"
#include "daemon/api/page_view.h"
#include "daemon/api/routes.h"
#include "daemon/service/event_log_service.h"
#include "daemon/service/job_service.h"
#include "daemon/service/views.h"

namespace flare::daemon {
namespace {

Error TooManyStreams(size_t max) {
  return Error{ErrorCode::kRateLimitExceeded,
               std::to_string(max) +
                   " event streams are open; close one, retry after a few seconds, or raise "
                   "flared --max-streams"};
}

EventLogQuery QueryOf(const httplib::Request& request) {
  return {request.get_param_value("job"), request.get_param_value("queue"),
          request.get_param_value("type")};
}

// Last-Event-ID as EventSource sends it on a reconnect, or as a query parameter for
// clients that cannot set headers.
std::string LastEventId(const httplib::Request& request) {
  for (const char* name : {"last_event_id", "after"}) {
    if (request.has_param(name)) return request.get_param_value(name);
  }
  return request.get_header_value("Last-Event-ID");
}

struct EventRoutes {
  EventLogService& events;
  JobService& jobs;
  StreamSlots& slots;
  StreamOptions options;

  void Log(RequestContext& ctx, httplib::Response& response) {
    if (!WantsEventStream(ctx.request)) {
      auto limit = QueryLimit(ctx.request);
      if (!limit) return SendError(response, limit.error());
      return SendView(response,
                      events.List(ctx.principal.project_id, QueryOf(ctx.request),
                                  ctx.request.get_param_value("cursor"), *limit),
                      PageViewOf(EventView));
    }
    auto slot = slots.TryAcquire();
    if (!slot) return SendError(response, TooManyStreams(options.max_streams));
    std::string note;
    auto stream = events.Follow(ctx.principal.project_id, QueryOf(ctx.request),
                                LastEventId(ctx.request), note);
    if (!stream) return SendError(response, stream.error());
    std::shared_ptr<EventStream> shared = std::move(*stream);
    ServeEventStream(
        response, std::move(slot), std::move(note),
        [shared](std::string& out, SteadyTime until) { return shared->Read(out, until); },
        [] { return false; }, SteadyTime::max(), options.heartbeat);
  }

  void JobEvents(RequestContext& ctx, httplib::Response& response) {
    if (!WantsEventStream(ctx.request)) {
      auto limit = QueryLimit(ctx.request);
      if (!limit) return SendError(response, limit.error());
      return SendView(response,
                      jobs.Events(ctx.principal.project_id, ctx.params[0],
                                  ctx.request.get_param_value("cursor"), *limit),
                      PageViewOf(EventView));
    }
    auto slot = slots.TryAcquire();
    if (!slot) return SendError(response, TooManyStreams(options.max_streams));
    auto stream = events.FollowJob(ctx.principal.project_id, ctx.params[0]);
    if (!stream) return SendError(response, stream.error());
    std::shared_ptr<JobSnapshotStream> shared = std::move(*stream);
    ServeEventStream(
        response, std::move(slot), "",
        [shared](std::string& out, SteadyTime until) { return shared->Read(out, until); },
        [shared] { return shared->finished(); },
        std::chrono::steady_clock::now() + options.job_stream_limit, options.heartbeat);
  }
};

}  // namespace

void AddEventRoutes(Router& router, EventLogService& events, JobService& jobs, StreamSlots& slots,
                    StreamOptions options) {
  auto routes = std::make_shared<EventRoutes>(EventRoutes{events, jobs, slots, options});
  router.Add("GET", "/flare/v1/events", kScopeJobsRead,
             [routes](RequestContext& c, httplib::Response& r) { routes->Log(c, r); });
  router.Add("GET", "/flare/v1/jobs/{id}/events", kScopeJobsRead,
             [routes](RequestContext& c, httplib::Response& r) { routes->JobEvents(c, r); });
}

}  // namespace flare::daemon

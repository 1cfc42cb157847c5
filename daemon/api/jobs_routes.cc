#include "common/json_fields.h"
#include "daemon/api/http_util.h"
#include "daemon/api/page_view.h"
#include "daemon/api/routes.h"
#include "daemon/service/job_service.h"
#include "daemon/service/views.h"

namespace flare::daemon {
namespace {

// Seed 004's answers to cancel and retry: the job's id and state (and, after a retry, the
// attempt it goes on with), not the whole job.
nlohmann::json CancelledView(const JobRecord& job) {
  return {{"id", job.id}, {"state", job.state}};
}
nlohmann::json RetriedView(const JobRecord& job) {
  return {{"id", job.id}, {"state", job.state}, {"attempt", job.attempt}};
}

// A create's 201 answer: the job, or for an Idempotency-Key replay the first answer verbatim.
std::string CreatedAnswer(const CreatedJob& created) {
  return created.replayed ? DumpAnswer(created.replayed_answer) : JobViewText(created.job);
}

// A route's job, as the job object (written as text: JobViewText), or its error.
void SendJob(httplib::Response& response, const Result<JobRecord>& job) {
  if (!job) return SendError(response, job.error());
  SendJsonText(response, 200, JobViewText(*job));
}

// Seed 004's create answer for one job of a batch: {attempt, created_at, id, job_type,
// max_attempts, queue, run_at, state}, in the key order nlohmann's object would dump. It is
// written as text: building and dumping an object per job cost ~27 K instructions a job on
// the request's thread, a fifth of what a job in a batch of 1,000 costs it (callgrind).
void AppendBatchItem(std::string& out, const CreatedJob& created) {
  if (created.replayed) {
    out += DumpAnswer(created.replayed_answer);
    return;
  }
  const JobRecord& job = created.job;
  auto text = [&out](const std::string& value) { out += DumpAnswer(nlohmann::json(value)); };
  out += "{\"attempt\":" + std::to_string(job.attempt);
  out += ",\"created_at\":\"" + FormatTime(job.created_at) + '"';
  out += ",\"id\":\"" + job.id + '"';  // an id is prefix_ULID: nothing to escape
  out += ",\"job_type\":";
  text(job.job_type);
  out += ",\"max_attempts\":" + std::to_string(job.max_attempts);
  out += ",\"queue\":";
  text(job.queue);
  out += ",\"run_at\":";
  out += job.spec.run_at ? '"' + FormatTime(*job.spec.run_at) + '"' : std::string("null");
  out += ",\"state\":\"";
  out += ToString(job.state);
  out += "\"}";
}

std::string BatchAnswer(const std::vector<CreatedJob>& created) {
  std::string out = "{\"data\":[";
  for (size_t i = 0; i < created.size(); ++i) {
    if (i != 0) out += ',';
    AppendBatchItem(out, created[i]);
  }
  out += "]}";
  return out;
}

Result<JobFilter> ParseFilter(const httplib::Request& request) {
  JobFilter filter;
  if (std::string state = request.get_param_value("state"); !state.empty()) {
    filter.state = ParseRunState(state);
    if (!filter.state) {
      return InvalidRequest(
          "state must be one of pending, scheduled, processing, succeeded, "
          "failed, dead_letter, cancelled",
          "state");
    }
  }
  filter.queue = request.get_param_value("queue");
  filter.job_type = request.get_param_value("job_type");
  auto after = QueryTime(request, "created_after");
  if (!after) return after.error();
  filter.created_after = *after;
  auto before = QueryTime(request, "created_before");
  if (!before) return before.error();
  filter.created_before = *before;
  for (size_t i = 0; i < request.get_param_value_count("tag"); ++i) {
    std::string tag = request.get_param_value("tag", i);
    size_t colon = tag.find(':');
    if (colon == std::string::npos || colon == 0) {
      return InvalidRequest("tag filters are key:value, e.g. tag=env:prod", "tag");
    }
    filter.tags.emplace_back(tag.substr(0, colon), tag.substr(colon + 1));
  }
  filter.include_deleted = request.get_param_value("include_deleted") == "true";
  return filter;
}

void Create(JobService& jobs, RequestContext& ctx, httplib::Response& response) {
  auto body = BodyObject(ctx.request);
  if (!body) return SendError(response, body.error());
  auto created =
      jobs.Create(ctx.principal.project_id, *body, ctx.request.get_header_value("Idempotency-Key"));
  if (!created) return SendError(response, created.error());
  response.set_header("Location", "/flare/v1/jobs/" + created->id);
  if (created->replayed) response.set_header("Idempotent-Replay", "true");
  SendJsonText(response, 201, CreatedAnswer(*created));
}

void Batch(JobService& jobs, RequestContext& ctx, httplib::Response& response) {
  // The same parse as a single create: its nesting limit keeps a deep payload in an item
  // from exhausting the stack later (validation and storage recurse into it).
  auto body = ParseJsonBody(ctx.request.body);
  if (!body) return SendError(response, body.error());
  nlohmann::json item_errors;
  auto created = jobs.CreateBatch(ctx.principal.project_id, *body, &item_errors);
  if (created) {
    return SendJsonText(response, 201, BatchAnswer(*created));
  }
  // The refused items, inside the error object: {"error": {…, "errors": [{index, field,
  // code, message}]}}, so a client can point at each bad job at once.
  nlohmann::json answer = created.error().ToJson();
  if (item_errors.is_array()) answer["error"]["errors"] = std::move(item_errors);
  SendJson(response, HttpStatusOf(created.error().code), answer);
}

void List(JobService& jobs, RequestContext& ctx, httplib::Response& response) {
  auto filter = ParseFilter(ctx.request);
  if (!filter) return SendError(response, filter.error());
  auto limit = QueryLimit(ctx.request);
  if (!limit) return SendError(response, limit.error());
  SendView(
      response,
      jobs.List(ctx.principal.project_id, *filter, ctx.request.get_param_value("cursor"), *limit),
      PageViewOf(JobView));
}

void Update(JobService& jobs, RequestContext& ctx, httplib::Response& response) {
  auto body = BodyObject(ctx.request);
  if (!body) return SendError(response, body.error());
  SendJob(response, jobs.Update(ctx.principal.project_id, ctx.params[0], *body));
}

}  // namespace

void AddJobRoutes(Router& router, JobService& jobs) {
  using Ctx = RequestContext;
  using Res = httplib::Response;
  // A create's one write confirms the key (several nodes: no read of the key before it).
  router.AddKeyConfirmedByWrite("POST", "/flare/v1/jobs", kScopeJobsWrite,
                                [&](Ctx& c, Res& r) { Create(jobs, c, r); });
  router.AddKeyConfirmedByWrite("POST", "/flare/v1/jobs/batch", kScopeJobsWrite,
                                [&](Ctx& c, Res& r) { Batch(jobs, c, r); });
  router.Add("GET", "/flare/v1/jobs", kScopeJobsRead, [&](Ctx& c, Res& r) { List(jobs, c, r); });
  router.Add("GET", "/flare/v1/jobs/{id}", kScopeJobsRead,
             [&](Ctx& c, Res& r) { SendJob(r, jobs.Get(c.principal.project_id, c.params[0])); });
  router.Add("PATCH", "/flare/v1/jobs/{id}", kScopeJobsWrite,
             [&](Ctx& c, Res& r) { Update(jobs, c, r); });
  router.Add("DELETE", "/flare/v1/jobs/{id}", kScopeJobsWrite,
             [&](Ctx& c, Res& r) { SendJob(r, jobs.Delete(c.principal.project_id, c.params[0])); });
  router.Add("POST", "/flare/v1/jobs/{id}/cancel", kScopeJobsWrite, [&](Ctx& c, Res& r) {
    SendView(r, jobs.Cancel(c.principal.project_id, c.params[0]), CancelledView);
  });
  router.Add("POST", "/flare/v1/jobs/{id}/retry", kScopeJobsWrite, [&](Ctx& c, Res& r) {
    SendView(r, jobs.Retry(c.principal.project_id, c.params[0]), RetriedView);
  });
  // GET /flare/v1/jobs/{id}/events (history and snapshot stream): events_routes.cc.
}

}  // namespace flare::daemon

#include "daemon/api/http_util.h"
#include "daemon/api/page_view.h"
#include "daemon/api/routes.h"
#include "daemon/api/webhook_views.h"
#include "daemon/service/webhook_service.h"

namespace flare::daemon {
namespace {

constexpr const char* kCollection = "/flare/v1/webhooks";

// A POST whose body is optional ({} when empty).
Result<nlohmann::json> OptionalBody(const httplib::Request& request) {
  if (request.body.empty()) return nlohmann::json::object();
  return BodyObject(request);
}

void Create(WebhookService& webhooks, RequestContext& ctx, httplib::Response& response) {
  auto body = BodyObject(ctx.request);
  if (!body) return SendError(response, body.error());
  auto created = webhooks.Create(ctx.principal.project_id, *body);
  if (created)
    response.set_header("Location", std::string(kCollection) + "/" + created->webhook.id);
  SendView(response, created, WebhookWithSecretView, 201);
}

void List(WebhookService& webhooks, RequestContext& ctx, httplib::Response& response) {
  auto limit = QueryLimit(ctx.request);
  if (!limit) return SendError(response, limit.error());
  SendView(response,
           webhooks.List(ctx.principal.project_id, ctx.request.get_param_value("cursor"), *limit),
           PageViewOf(WebhookView));
}

void Update(WebhookService& webhooks, RequestContext& ctx, httplib::Response& response) {
  auto body = BodyObject(ctx.request);
  if (!body) return SendError(response, body.error());
  SendView(response, webhooks.Update(ctx.principal.project_id, ctx.params[0], *body), WebhookView);
}

void Rotate(WebhookService& webhooks, RequestContext& ctx, httplib::Response& response) {
  auto body = OptionalBody(ctx.request);
  if (!body) return SendError(response, body.error());
  SendView(response, webhooks.RotateSecret(ctx.principal.project_id, ctx.params[0], *body),
           WebhookWithSecretView);
}

void Test(WebhookService& webhooks, RequestContext& ctx, httplib::Response& response) {
  auto body = OptionalBody(ctx.request);
  if (!body) return SendError(response, body.error());
  if (!body->empty()) {
    return SendError(response, InvalidRequest("unknown field " + body->begin().key() +
                                                  ": a test delivery takes no body",
                                              body->begin().key()));
  }
  SendView(response, webhooks.Test(ctx.principal.project_id, ctx.params[0]), DeliveryView);
}

void Deliveries(WebhookService& webhooks, RequestContext& ctx, httplib::Response& response) {
  auto limit = QueryLimit(ctx.request);
  if (!limit) return SendError(response, limit.error());
  SendView(response,
           webhooks.Deliveries(ctx.principal.project_id, ctx.params[0],
                               ctx.request.get_param_value("cursor"), *limit),
           PageViewOf(DeliveryView));
}

}  // namespace

void AddWebhookRoutes(Router& router, WebhookService& webhooks) {
  using Ctx = RequestContext;
  using Res = httplib::Response;
  const std::string one = std::string(kCollection) + "/{id}";
  router.Add("POST", kCollection, kScopeWebhooks, [&](Ctx& c, Res& r) { Create(webhooks, c, r); });
  router.Add("GET", kCollection, kScopeWebhooks, [&](Ctx& c, Res& r) { List(webhooks, c, r); });
  router.Add("GET", one, kScopeWebhooks, [&](Ctx& c, Res& r) {
    SendView(r, webhooks.Get(c.principal.project_id, c.params[0]), WebhookView);
  });
  router.Add("PATCH", one, kScopeWebhooks, [&](Ctx& c, Res& r) { Update(webhooks, c, r); });
  router.Add("DELETE", one, kScopeWebhooks, [&](Ctx& c, Res& r) {
    SendView(r, webhooks.Delete(c.principal.project_id, c.params[0]), DeletedWebhookView);
  });
  router.Add("POST", one + "/test", kScopeWebhooks, [&](Ctx& c, Res& r) { Test(webhooks, c, r); });
  router.Add("POST", one + "/rotate-secret", kScopeWebhooks,
             [&](Ctx& c, Res& r) { Rotate(webhooks, c, r); });
  router.Add("GET", one + "/deliveries", kScopeWebhooks,
             [&](Ctx& c, Res& r) { Deliveries(webhooks, c, r); });
}

}  // namespace flare::daemon

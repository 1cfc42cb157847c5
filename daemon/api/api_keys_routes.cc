// /flare/v1/api-keys (SPEC §7, seed 001): create (the key is in this 201 only), list,
// revoke. Admin scope. Each change reaches the auth cache before the answer: a new key works
// and a revoked one fails on the very next request.

#include "daemon/api/http_util.h"
#include "daemon/api/page_view.h"
#include "daemon/api/routes.h"
#include "daemon/service/api_key_service.h"
#include "daemon/service/views.h"

namespace flare::daemon {
namespace {

using Ctx = RequestContext;
using Res = httplib::Response;

// A key as listed: never the key itself or its hash.
nlohmann::json ApiKeyView(const ApiKeyRecord& key) {
  return {{"id", key.id},
          {"name", key.name},
          {"prefix", key.prefix},
          {"scopes", key.scopes},
          {"created_at", FormatTime(key.created_at)},
          {"last_used_at", TimeOrNull(key.last_used_at)},
          {"revoked_at", TimeOrNull(key.revoked_at)}};
}

void Create(ApiKeyService& keys, Authenticator& auth, Ctx& ctx, Res& response) {
  auto body = BodyObject(ctx.request);
  if (!body) return SendError(response, body.error());
  auto created = keys.Create(ctx.principal.project_id, *body);
  if (!created) return SendError(response, created.error());
  auth.AddKey(created->record);
  response.set_header("Location", "/flare/v1/api-keys/" + created->record.id);
  response.set_header("Cache-Control", "no-store");
  nlohmann::json answer = ApiKeyView(created->record);
  answer["key"] = created->secret;
  SendJson(response, 201, answer);
}

void List(ApiKeyService& keys, Authenticator& auth, Ctx& ctx, Res& response) {
  auto limit = QueryLimit(ctx.request);
  if (!limit) return SendError(response, limit.error());
  SendView(response,
           keys.List(ctx.principal.project_id, ctx.request.get_param_value("cursor"), *limit,
                     [&](const std::string& id) { return auth.LastUsed(id); }),
           PageViewOf(ApiKeyView));
}

void Revoke(ApiKeyService& keys, Authenticator& auth, Ctx& ctx, Res& response) {
  auto revoked = keys.Revoke(ctx.principal.project_id, ctx.params[0]);
  if (!revoked) return SendError(response, revoked.error());
  auth.RemoveKey(revoked->key_hash);
  SendJson(response, 200, ApiKeyView(*revoked));
}

}  // namespace

void AddApiKeyRoutes(Router& router, ApiKeyService& keys, Authenticator& auth) {
  router.Add("POST", "/flare/v1/api-keys", kScopeAdmin,
             [&](Ctx& c, Res& r) { Create(keys, auth, c, r); });
  router.Add("GET", "/flare/v1/api-keys", kScopeAdmin,
             [&](Ctx& c, Res& r) { List(keys, auth, c, r); });
  router.Add("DELETE", "/flare/v1/api-keys/{id}", kScopeAdmin,
             [&](Ctx& c, Res& r) { Revoke(keys, auth, c, r); });
}

}  // namespace flare::daemon

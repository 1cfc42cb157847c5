// /platform/v1: local accounts (signup, login, me), the account, billing and products
// (SPEC §7, seed 000 paths exactly). Signup and login are public; their sessions enter the
// auth cache before the answer, so the token works on the very next request.

#include "daemon/api/http_util.h"
#include "daemon/api/routes.h"
#include "daemon/service/account_service.h"

namespace flare::daemon {
namespace {

using Ctx = RequestContext;
using Res = httplib::Response;

constexpr const char* kHostedService = "https://api.zeridion.com";

void Signup(AccountService& accounts, Authenticator& auth, Ctx& ctx, Res& response) {
  auto body = BodyObject(ctx.request);
  if (!body) return SendError(response, body.error());
  auto grant = accounts.Signup(*body);
  if (!grant) return SendError(response, grant.error());
  auth.AddSessions({grant->session});
  SendJson(response, 201, grant->body);
}

void Login(AccountService& accounts, Authenticator& auth, Ctx& ctx, Res& response) {
  auto body = BodyObject(ctx.request);
  if (!body) return SendError(response, body.error());
  int retry_after = 0;
  auto grant = accounts.Login(*body, ctx.request.remote_addr, retry_after);
  if (!grant) {
    if (retry_after > 0) response.set_header("Retry-After", std::to_string(retry_after));
    return SendError(response, grant.error());
  }
  auth.AddSessions({grant->session});
  SendJson(response, 200, grant->body);
}

RouteHandler NotSupported(std::string what) {
  return [what](Ctx&, Res& response) {
    SendError(response, Error{ErrorCode::kNotSupported,
                              what +
                                  " is not available on a local flared: plans and payments "
                                  "are handled by the hosted service at " +
                                  kHostedService + "; the local plan is free and unlimited"});
  };
}

}  // namespace

void AddAccountRoutes(Router& router, AccountService& accounts, Authenticator& auth) {
  router.Add("POST", "/platform/v1/auth/signup", "",
             [&](Ctx& c, Res& r) { Signup(accounts, auth, c, r); });
  router.Add("POST", "/platform/v1/auth/login", "",
             [&](Ctx& c, Res& r) { Login(accounts, auth, c, r); });
  router.Add("GET", "/platform/v1/auth/me", kAnyScope, [&](Ctx& c, Res& r) {
    const Principal& p = c.principal;
    SendResult(r, accounts.Me({p.project_id, p.key_id, p.scopes, p.user_id}));
  });
  router.Add("GET", "/platform/v1/account", kAnyScope,
             [&](Ctx& c, Res& r) { SendResult(r, accounts.Account(c.principal.project_id)); });
  router.Add("GET", "/platform/v1/billing/status", kAnyScope, [&](Ctx& c, Res& r) {
    SendResult(r, accounts.BillingStatus(c.principal.project_id));
  });
  router.Add("GET", "/platform/v1/products", kAnyScope,
             [&](Ctx& c, Res& r) { SendResult(r, accounts.Products(c.principal.project_id)); });
  router.Add("POST", "/platform/v1/billing/checkout", kScopeAdmin,
             NotSupported("Billing checkout"));
  router.Add("POST", "/platform/v1/billing/portal", kScopeAdmin,
             NotSupported("The billing portal"));
}

}  // namespace flare::daemon

// /platform/v1: local accounts (signup, login, me), the account, billing and products
// (SPEC §7, seed 000 paths exactly). Signup and login are public; their sessions enter the
// auth cache before the answer, so the token works on the very next request.

#include "daemon/api/http_util.h"
#include "daemon/api/routes.h"
#include "daemon/api/usage_views.h"
#include "daemon/service/account_service.h"

namespace flare::daemon {
namespace {

using Ctx = RequestContext;
using Res = httplib::Response;

constexpr const char* kHostedService = "https://api.zeridion.com";

// Never the password hash.
nlohmann::json UserView(const UserRecord& user) {
  return {{"id", user.id},
          {"email", user.email},
          {"name", user.name},
          {"project_id", user.project_id},
          {"created_at", FormatTime(user.created_at)}};
}

nlohmann::json ProjectView(const ProjectRecord& project) {
  return {{"id", project.id},
          {"name", project.name},
          {"created_at", FormatTime(project.created_at)},
          {"settings", project.settings.is_object() ? project.settings : nlohmann::json::object()}};
}

// {token, expires_at}, and after a signup the new user and project.
nlohmann::json GrantView(const SessionGrant& grant) {
  nlohmann::json answer = {{"token", grant.token},
                           {"expires_at", FormatTime(grant.session.expires_at)}};
  if (grant.user) answer["user"] = UserView(*grant.user);
  if (grant.project) answer["project"] = ProjectView(*grant.project);
  return answer;
}

nlohmann::json CallerView(const CallerProfile& me) {
  return {{"user", me.user ? UserView(*me.user) : nlohmann::json(nullptr)},
          {"project", ProjectView(me.project)},
          {"credential",
           {{"type", me.caller.user_id.empty() ? "api_key" : "session"},
            {"id", me.caller.credential_id},
            {"scopes", me.caller.scopes}}}};
}

// Every limit of the local plan: -1 is unlimited.
nlohmann::json UnlimitedLimits() {
  return {{"runs_per_month", -1}, {"active_jobs", -1}, {"api_keys", -1}, {"webhooks", -1}};
}

// The month's usage (as GET /usage answers it) with the period's bounds.
nlohmann::json PeriodUsageView(const BillingPeriod& period) {
  nlohmann::json view = MonthUsageView(period.usage);
  view["period_start"] = FormatTime(period.start);
  view["period_end"] = FormatTime(period.end);
  return view;
}

nlohmann::json BillingStatusView(const BillingPeriod& period) {
  return {{"plan", "local"},
          {"state", "active"},
          {"hosted", false},
          {"limits", UnlimitedLimits()},
          {"usage", PeriodUsageView(period)},
          {"cancel_at_period_end", false}};
}

// The one product of a local flared, in the SPEC §1 list shape, with the period's usage.
nlohmann::json ProductsView(const BillingPeriod& period) {
  nlohmann::json local = {{"id", "local"},
                          {"name", "Local"},
                          {"plan", "local"},
                          {"description", "Self-hosted flared: every feature, no limits"},
                          {"price", {{"amount", 0}, {"currency", "usd"}, {"interval", "month"}}},
                          {"limits", UnlimitedLimits()},
                          {"state", "active"},
                          {"current", true}};
  nlohmann::json page = PageJson(nlohmann::json::array({local}), false, "");
  page["usage"] = PeriodUsageView(period);
  return page;
}

nlohmann::json AccountView(const AccountProfile& account) {
  nlohmann::json view = ProjectView(account.project);
  view["owner"] = account.owner ? UserView(*account.owner) : nlohmann::json(nullptr);
  view["plan"] = "local";
  return view;
}

void Signup(AccountService& accounts, Authenticator& auth, Ctx& ctx, Res& response) {
  auto body = BodyObject(ctx.request);
  if (!body) return SendError(response, body.error());
  auto grant = accounts.Signup(*body);
  if (!grant) return SendError(response, grant.error());
  auth.AddSessions({grant->session});
  SendJson(response, 201, GrantView(*grant));
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
  SendJson(response, 200, GrantView(*grant));
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
    SendView(r, accounts.Me({p.project_id, p.key_id, p.scopes, p.user_id}), CallerView);
  });
  router.Add("GET", "/platform/v1/account", kAnyScope, [&](Ctx& c, Res& r) {
    SendView(r, accounts.Account(c.principal.project_id), AccountView);
  });
  router.Add("GET", "/platform/v1/billing/status", kAnyScope, [&](Ctx& c, Res& r) {
    SendView(r, accounts.Billing(c.principal.project_id), BillingStatusView);
  });
  router.Add("GET", "/platform/v1/products", kAnyScope, [&](Ctx& c, Res& r) {
    SendView(r, accounts.Billing(c.principal.project_id), ProductsView);
  });
  router.Add("POST", "/platform/v1/billing/checkout", kScopeAdmin,
             NotSupported("Billing checkout"));
  router.Add("POST", "/platform/v1/billing/portal", kScopeAdmin,
             NotSupported("The billing portal"));
}

}  // namespace flare::daemon

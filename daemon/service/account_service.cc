#include "daemon/service/account_service.h"

#include <algorithm>
#include <thread>

#include "common/encoding.h"
#include "common/ids.h"
#include "common/json_fields.h"
#include "daemon/service/credentials.h"
#include "daemon/store/account_store.h"
#include "daemon/store/key_store.h"

namespace flare::daemon {
namespace {

constexpr size_t kMaxEmailLength = 254;

Result<std::string> ReadEmail(const nlohmann::json& body) {
  if (!body.contains("email")) return InvalidRequest("email is required", "email");
  auto email = ReadString(body["email"], "email", kMaxEmailLength);
  if (!email) return email.error();
  size_t at = email->find('@');
  bool shaped = at != std::string::npos && at > 0 &&
                email->find('@', at + 1) == std::string::npos &&
                email->find('.', at) != std::string::npos && email->back() != '.' &&
                std::none_of(email->begin(), email->end(),
                             [](unsigned char c) { return c <= ' ' || c == 0x7f; });
  if (!shaped) return InvalidRequest("email must be an address like you@example.com", "email");
  return email;
}

Result<std::string> ReadPassword(const nlohmann::json& body) {
  if (!body.contains("password")) return InvalidRequest("password is required", "password");
  if (!body["password"].is_string()) return InvalidRequest("password must be a string", "password");
  return body["password"].get<std::string>();
}

Error ProjectGone() {
  return Error{ErrorCode::kUnauthorized, "this credential's project no longer exists"};
}

// The calendar month holding `now`, in UTC: [start, end).
std::pair<TimePoint, TimePoint> MonthOf(TimePoint now) {
  using namespace std::chrono;
  year_month_day day{floor<days>(now)};
  auto start = sys_days{day.year() / day.month() / 1};
  auto end = sys_days{(day.year() / day.month() / 1) + months{1}};
  return {time_point_cast<milliseconds>(start), time_point_cast<milliseconds>(end)};
}

}  // namespace

AccountService::AccountService(ServiceContext context, AccountOptions options, UsageService& usage)
    : ctx_(context),
      options_(options),
      usage_(usage),
      throttle_(context.clock, LoginThrottleRules{.base = options.login_lock_base}),
      kdf_slots_(std::max<std::ptrdiff_t>(2, std::thread::hardware_concurrency())) {}

const std::string& AccountService::DecoyHash() {
  std::call_once(decoy_once_,
                 [&] { decoy_hash_ = HashPassword(RandomBase32(24), options_.kdf_iterations); });
  return decoy_hash_;
}

Result<SessionGrant> AccountService::NewSession(const UserRecord& user) {
  std::string token = NewSessionToken();
  auto session = ctx_.writer.Run<SessionRecord>([&](Tx& tx) -> Result<SessionRecord> {
    SessionRecord row{NewId("ses", tx.now()), user.id,  user.project_id,
                      Sha256(token),          tx.now(), tx.now() + options_.session_ttl};
    tx.accounts().InsertSession(row);
    return row;
  });
  if (!session) return session.error();
  return SessionGrant{std::move(token), *session, std::nullopt, std::nullopt};
}

Result<SessionGrant> AccountService::Signup(const nlohmann::json& body) {
  if (!options_.signup_open) {
    return Error{ErrorCode::kForbidden,
                 "signup is closed on this server (flared --signup closed); ask its operator "
                 "for an account or an API key"};
  }
  if (auto unknown = RejectUnknownFields(body, {"email", "password", "name"}); !unknown)
    return unknown.error();
  auto email = ReadEmail(body);
  if (!email) return email.error();
  auto password = ReadPassword(body);
  if (!password) return password.error();
  if (auto rules = CheckPasswordRules(*password, *email); !rules) return rules.error();
  std::string name = email->substr(0, email->find('@'));
  if (body.contains("name")) {
    auto given = ReadString(body["name"], "name", 200);
    if (!given) return given.error();
    name = *given;
  }
  const Error taken{ErrorCode::kConflict,
                    "an account with this email already exists; log in instead", "email"};
  if (ctx_.readers.Acquire()->accounts().FindUserByEmail(*email)) return taken;
  std::string hash = WithKdfSlot([&] { return HashPassword(*password, options_.kdf_iterations); });
  auto user = ctx_.writer.Run<UserRecord>([&](Tx& tx) -> Result<UserRecord> {
    if (tx.accounts().FindUserByEmail(*email)) return taken;  // a signup raced this one
    ProjectRecord project{NewId("prj", tx.now()), name, nlohmann::json::object(), tx.now()};
    tx.keys().InsertProject(project);
    UserRecord row{NewId("usr", tx.now()), project.id, *email, name, hash, tx.now()};
    tx.accounts().InsertUser(row);
    return row;
  });
  if (!user) return user.error();
  auto grant = NewSession(*user);
  if (!grant) return grant.error();
  grant->user = *user;
  grant->project = ctx_.readers.Acquire()->keys().FindProjectById(user->project_id);
  return grant;
}

Result<SessionGrant> AccountService::Login(const nlohmann::json& body,
                                           const std::string& client_address, int& retry_after) {
  if (auto unknown = RejectUnknownFields(body, {"email", "password"}); !unknown)
    return unknown.error();
  auto email = ReadEmail(body);
  if (!email) return email.error();
  auto password = ReadPassword(body);
  if (!password) return password.error();
  if (auto wait = throttle_.Admit(*email, client_address); wait.count() > 0) {
    retry_after = static_cast<int>(wait.count());
    return Error{ErrorCode::kRateLimitExceeded,
                 "too many login attempts for this account or from this address; try again in " +
                     std::to_string(retry_after) + " s"};
  }
  auto user = ctx_.readers.Acquire()->accounts().FindUserByEmail(*email);
  // An unknown email costs the same KDF as a known one: timing does not tell them apart.
  const std::string& stored = user ? user->password_hash : DecoyHash();
  bool match = WithKdfSlot([&] { return VerifyPassword(*password, stored); });
  if (!user || !match) {
    return Error{ErrorCode::kUnauthorized,
                 "the email or the password is wrong; check both (passwords are case-sensitive)"};
  }
  throttle_.Succeeded(*email, client_address);
  return NewSession(*user);
}

Result<CallerProfile> AccountService::Me(const Caller& caller) {
  auto reader = ctx_.readers.Acquire();
  auto project = reader->keys().FindProjectById(caller.project_id);
  if (!project) return ProjectGone();
  std::optional<UserRecord> user;
  if (!caller.user_id.empty()) user = reader->accounts().FindUserById(caller.user_id);
  return CallerProfile{caller, std::move(*project), std::move(user)};
}

Result<AccountProfile> AccountService::Account(const std::string& project_id) {
  auto reader = ctx_.readers.Acquire();
  auto project = reader->keys().FindProjectById(project_id);
  if (!project) return ProjectGone();
  return AccountProfile{std::move(*project), reader->accounts().FindProjectOwner(project_id)};
}

Result<BillingPeriod> AccountService::Billing(const std::string& project_id) {
  auto [start, end] = MonthOf(ctx_.clock.Now());
  // The same counters as GET /usage (kept as work happens), for the month `start` is in.
  auto usage = usage_.Usage(project_id, FormatTime(start).substr(0, 7));
  if (!usage) return usage.error();
  return BillingPeriod{start, end, std::move(*usage)};
}

std::vector<SessionRecord> AccountService::ActiveSessions() {
  return ctx_.readers.Acquire()->accounts().ActiveSessions(ctx_.clock.Now());
}

}  // namespace flare::daemon

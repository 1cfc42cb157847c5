#pragma once
// Local accounts (SPEC §7 /platform/v1, seed 000): signup makes a user AND a new project
// owned by them (tenancy: everything the user does is scoped to it); login checks the
// password and issues a session token that works as an admin Bearer key of that project
// until it expires; me, account, billing status and products describe the caller's project.
//
// The password KDF (password.h) runs on the request's thread, never on the writer's, and at
// most a few at a time (a flood of logins queues here instead of starving the API of CPU).
// Unknown emails cost the same KDF as known ones, so timing does not reveal accounts.
// Failed logins are slowed by LoginThrottle. A session's token is stored only as SHA-256.

#include <chrono>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <semaphore>
#include <string>
#include <vector>

#include "common/result.h"
#include "daemon/service/context.h"
#include "daemon/service/login_throttle.h"
#include "daemon/service/password.h"
#include "daemon/service/usage_service.h"
#include "daemon/store/key_store.h"

namespace flare::daemon {

struct AccountOptions {
  bool signup_open = true;
  int kdf_iterations = kPasswordIterations;
  std::chrono::seconds session_ttl{30 * 24 * 60 * 60};
  std::chrono::seconds login_lock_base{1};  // LoginThrottleRules::base
};

/// What signup and login hand back: the bearer token (shown this once), its session for
/// the auth cache, and after a signup the new user and their new project.
struct SessionGrant {
  std::string token;
  SessionRecord session;
  std::optional<UserRecord> user;
  std::optional<ProjectRecord> project;
};

/// The caller as the auth layer identified them.
struct Caller {
  std::string project_id;
  std::string credential_id;  // key_… or ses_…
  std::vector<std::string> scopes;
  std::string user_id;  // empty for API keys
};

/// Who is calling: their credential, its project, and the user behind a session.
struct CallerProfile {
  Caller caller;
  ProjectRecord project;
  std::optional<UserRecord> user;  // none for an API key
};

/// The billing period now (this UTC month, [start, end)) and the project's usage in it.
struct BillingPeriod {
  TimePoint start;
  TimePoint end;
  MonthUsage usage;
};

/// The caller's project and the user who owns it (none for the default project).
struct AccountProfile {
  ProjectRecord project;
  std::optional<UserRecord> owner;
};

class AccountService {
 public:
  /// Billing pages report `usage`'s counters for the current month.
  AccountService(ServiceContext context, AccountOptions options, UsageService& usage);

  Result<SessionGrant> Signup(const nlohmann::json& body);
  /// On 429, `retry_after` is the seconds to wait.
  Result<SessionGrant> Login(const nlohmann::json& body, const std::string& client_address,
                             int& retry_after);
  Result<CallerProfile> Me(const Caller& caller);
  Result<AccountProfile> Account(const std::string& project_id);
  /// What billing status and products report: the local plan is free and unlimited, so
  /// only the period and its usage vary.
  Result<BillingPeriod> Billing(const std::string& project_id);
  /// Sessions to load into the auth cache at start.
  std::vector<SessionRecord> ActiveSessions();

 private:
  /// Runs the KDF holding one of a few slots.
  template <typename F>
  auto WithKdfSlot(F work) {
    kdf_slots_.acquire();
    struct Release {
      std::counting_semaphore<>& slots;
      ~Release() { slots.release(); }
    } release{kdf_slots_};
    return work();
  }
  Result<SessionGrant> NewSession(const UserRecord& user);
  const std::string& DecoyHash();

  ServiceContext ctx_;
  AccountOptions options_;
  UsageService& usage_;
  LoginThrottle throttle_;
  std::counting_semaphore<> kdf_slots_;
  std::once_flag decoy_once_;
  std::string decoy_hash_;
};

}  // namespace flare::daemon

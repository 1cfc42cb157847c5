#pragma once
// Bearer credentials: API keys and login session tokens. Both are stored as SHA-256 hashes;
// the cache maps hash → credential, and the match is confirmed with a constant-time
// comparison. A credential belongs to one project: the principal it yields scopes every
// query of the request. Session tokens carry the admin scope and expire.
//
// The cache is the authority at request time, so every change to keys or sessions is
// applied here right after its commit and before the answer: a revoked key fails on the
// very next request. Use of an API key is noted here in memory (no write per request); a
// flusher writes the times to the database now and then (KeyUsageFlusher).
//
// With several nodes on one database, a key can be revoked (or a login made) through
// another node, which this cache never hears of in time. There the database is the
// authority: every request looks its credential up (CheckEveryRequestWith), one indexed
// read, except on the routes whose write confirms the key in its own transaction
// (RememberedKey, Router::AddKeyConfirmedByWrite); the cache then remembers the keys read.

#include <httplib.h>

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "daemon/service/credentials.h"
#include "daemon/store/records.h"

namespace flare::daemon {

struct Principal {
  std::string project_id;
  std::string key_id;  // key_… for an API key, ses_… for a session token
  std::vector<std::string> scopes;
  std::string user_id;  // the logged-in user, for session tokens
};

/// The scope of routes any valid credential may call (whoami, account, billing).
inline constexpr const char* kAnyScope = "any";
/// The scopes an API key may hold (SPEC "API keys"); admin holds them all.
inline constexpr const char* kScopeJobsRead = "jobs:read";
inline constexpr const char* kScopeJobsWrite = "jobs:write";
inline constexpr const char* kScopeWorkers = "workers";
inline constexpr const char* kScopeWebhooks = "webhooks";
inline constexpr const char* kScopeAdmin = "admin";

/// A credential as the database holds it now: an active key, an active session, or
/// neither (revoked, expired or unknown).
struct StoredCredential {
  std::optional<ApiKeyRecord> key;
  std::optional<SessionRecord> session;
};
using CredentialLookup = std::function<Result<StoredCredential>(const std::string& hash)>;

class Authenticator {
 public:
  explicit Authenticator(const std::vector<ApiKeyRecord>& keys,
                         const Clock& clock = SystemClock::Instance())
      : clock_(clock) {
    Reload(keys);
  }

  /// 401 without a valid credential, 403 when it lacks `required_scope`.
  Result<Principal> Authenticate(const httplib::Request& request,
                                 const std::string& required_scope) const;
  /// Replaces the API keys of the cache (sessions stay).
  void Reload(const std::vector<ApiKeyRecord>& keys);
  /// A key just committed: valid from the next request.
  void AddKey(const ApiKeyRecord& key);
  /// A key just revoked: refused from the next request.
  void RemoveKey(const std::string& key_hash);
  /// Sessions just committed (or loaded at start); expired ones are dropped on the way.
  void AddSessions(const std::vector<SessionRecord>& sessions);
  /// From now on every request's credential is looked up with `lookup` instead of the cache
  /// (a database shared with other nodes). Call before serving.
  void CheckEveryRequestWith(CredentialLookup lookup) { lookup_ = std::move(lookup); }
  /// True once CheckEveryRequestWith was called.
  bool checks_every_request() const { return static_cast<bool>(lookup_); }
  /// Where the database answers for every request: the request's API key as this node last
  /// read it (it may have been revoked since), with the SHA-256 to confirm it by, when this
  /// node has read it before and it has `required_scope`; else nullopt. Only for routes whose
  /// write confirms the key (store/transactions.h, KeyToConfirm).
  std::optional<std::pair<Principal, std::string>> RememberedKey(
      const httplib::Request& request, const std::string& required_scope) const;

  /// The API keys used since the last call, each with its latest use.
  std::vector<std::pair<std::string, TimePoint>> TakeUsage();
  /// The latest use noted in memory since start, if any.
  OptTime LastUsed(const std::string& key_id) const;

 private:
  void NoteUse(const std::string& key_id) const;
  /// The principal of the credential with SHA-256 `hash`, from the cache or the lookup.
  Result<Principal> Identify(const std::string& hash) const;
  Result<Principal> IdentifyFromCache(const std::string& hash) const;
  Result<Principal> IdentifyFromDatabase(const std::string& hash) const;
  CredentialLookup lookup_;

  const Clock& clock_;
  mutable std::mutex mutex_;
  // Where every request is checked, the keys read from the database (RememberedKey).
  mutable std::unordered_map<std::string, ApiKeyRecord> keys_by_hash_;
  std::unordered_map<std::string, SessionRecord> sessions_by_hash_;
  mutable std::unordered_map<std::string, TimePoint> last_used_;
  mutable std::unordered_set<std::string> unflushed_;
};

/// True when `scopes` grant `required` (admin grants all; jobs:write grants jobs:read;
/// kAnyScope is granted to every credential).
bool ScopeAllows(const std::vector<std::string>& scopes, const std::string& required);

}  // namespace flare::daemon

#pragma once
// Bearer keys. Keys are stored as SHA-256 hashes; the cache maps hash → key, and the match
// is confirmed with a constant-time comparison. A key belongs to one project: the
// principal it yields scopes every query of the request.

#include <httplib.h>

#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "daemon/store/records.h"

namespace flare::daemon {

struct Principal {
  std::string project_id;
  std::string key_id;
  std::vector<std::string> scopes;
};

class Authenticator {
 public:
  explicit Authenticator(const std::vector<ApiKeyRecord>& keys) { Reload(keys); }

  /// 401 without a valid key, 403 when the key lacks `required_scope`.
  Result<Principal> Authenticate(const httplib::Request& request,
                                 const std::string& required_scope) const;
  /// Replaces the cache (after a key is created or revoked).
  void Reload(const std::vector<ApiKeyRecord>& keys);

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, ApiKeyRecord> by_hash_;
};

/// A new secret key: "flare_sk_" + 40 random base32 characters.
std::string NewSecretKey();
/// True when `scopes` grant `required` (admin grants all; jobs:write grants jobs:read).
bool ScopeAllows(const std::vector<std::string>& scopes, const std::string& required);

}  // namespace flare::daemon

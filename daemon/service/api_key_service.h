#pragma once
// API keys (SPEC §7, seed 001): create (the secret is in the 201 answer only; flared keeps
// its SHA-256), list (prefix, scopes and times, never the key or its hash), revoke. The
// caller applies each change to the auth cache right after it returns, before answering.
//
// Lock-out rule: revoking a project's last admin key is refused (409) when the project has
// no user who could log in for a new one — the default project's admin.key is the usual
// case. In a project made by signup the owner can always log in, so any key may go.

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "daemon/service/context.h"
#include "daemon/service/page.h"

namespace flare::daemon {

struct CreatedKey {
  ApiKeyRecord record;
  std::string secret;  // the key itself, shown this once
};

/// The memory's newer last-use time of a key, if any (the database lags up to a minute).
using LastUsedLookup = std::function<OptTime(const std::string& key_id)>;

class ApiKeyService {
 public:
  explicit ApiKeyService(ServiceContext context) : ctx_(context) {}

  Result<CreatedKey> Create(const std::string& project_id, const nlohmann::json& body);
  /// The project's keys, newest first, each with the newer of its stored and noted last use.
  Result<Page<ApiKeyRecord>> List(const std::string& project_id, const std::string& cursor,
                                  int limit, const LastUsedLookup& last_used);
  /// The key as it is now revoked (its hash leaves the auth cache).
  Result<ApiKeyRecord> Revoke(const std::string& project_id, const std::string& key_id);
  /// Writes last-use times noted in memory, in one transaction.
  Status RecordUsage(const std::vector<std::pair<std::string, TimePoint>>& uses);

 private:
  ServiceContext ctx_;
};

}  // namespace flare::daemon

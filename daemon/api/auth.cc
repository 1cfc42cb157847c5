#include "daemon/api/auth.h"

#include <algorithm>

#include "common/encoding.h"
#include "common/ids.h"

namespace flare::daemon {

std::string NewSecretKey() { return "flare_sk_" + RandomBase32(40); }

bool ScopeAllows(const std::vector<std::string>& scopes, const std::string& required) {
  auto has = [&](const char* scope) {
    return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
  };
  if (has("admin") || std::find(scopes.begin(), scopes.end(), required) != scopes.end())
    return true;
  return required == "jobs:read" && has("jobs:write");
}

void Authenticator::Reload(const std::vector<ApiKeyRecord>& keys) {
  std::unordered_map<std::string, ApiKeyRecord> fresh;
  for (const auto& key : keys) {
    if (!key.revoked_at) fresh.emplace(key.key_hash, key);
  }
  std::lock_guard lock(mutex_);
  by_hash_.swap(fresh);
}

Result<Principal> Authenticator::Authenticate(const httplib::Request& request,
                                              const std::string& required_scope) const {
  const Error unauthorized{ErrorCode::kUnauthorized,
                           "a valid API key is required: send Authorization: Bearer <key>"};
  std::string header = request.get_header_value("Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (header.size() <= kBearer.size() ||
      !std::equal(kBearer.begin(), kBearer.end(), header.begin(),
                  [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
    return unauthorized;
  }
  std::string hash = Sha256(std::string_view(header).substr(kBearer.size()));
  Principal principal;
  {
    std::lock_guard lock(mutex_);
    auto it = by_hash_.find(hash);
    if (it == by_hash_.end() || !ConstantTimeEquals(it->second.key_hash, hash)) return unauthorized;
    principal = {it->second.project_id, it->second.id, it->second.scopes};
  }
  if (!ScopeAllows(principal.scopes, required_scope)) {
    return Error{ErrorCode::kForbidden,
                 "this API key lacks the '" + required_scope + "' scope; use a key that has it"};
  }
  return principal;
}

}  // namespace flare::daemon

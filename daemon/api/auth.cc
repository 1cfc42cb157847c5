#include "daemon/api/auth.h"

#include <algorithm>

#include "common/encoding.h"

namespace flare::daemon {

bool ScopeAllows(const std::vector<std::string>& scopes, const std::string& required) {
  auto has = [&](const std::string& scope) {
    return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
  };
  if (required == kAnyScope || has(kScopeAdmin) || has(required)) return true;
  return required == kScopeJobsRead && has(kScopeJobsWrite);
}

void Authenticator::Reload(const std::vector<ApiKeyRecord>& keys) {
  std::unordered_map<std::string, ApiKeyRecord> fresh;
  for (const auto& key : keys) {
    if (!key.revoked_at) fresh.emplace(key.key_hash, key);
  }
  std::lock_guard lock(mutex_);
  keys_by_hash_.swap(fresh);
}

void Authenticator::AddKey(const ApiKeyRecord& key) {
  std::lock_guard lock(mutex_);
  keys_by_hash_[key.key_hash] = key;
}

void Authenticator::RemoveKey(const std::string& key_hash) {
  std::lock_guard lock(mutex_);
  keys_by_hash_.erase(key_hash);
}

void Authenticator::AddSessions(const std::vector<SessionRecord>& sessions) {
  TimePoint now = clock_.Now();
  std::lock_guard lock(mutex_);
  std::erase_if(sessions_by_hash_, [&](const auto& item) { return item.second.expires_at <= now; });
  for (const auto& session : sessions) {
    if (session.expires_at > now) sessions_by_hash_[session.token_hash] = session;
  }
}

void Authenticator::NoteUse(const std::string& key_id) const {
  last_used_[key_id] = clock_.Now();
  unflushed_.insert(key_id);
}

std::vector<std::pair<std::string, TimePoint>> Authenticator::TakeUsage() {
  std::lock_guard lock(mutex_);
  std::vector<std::pair<std::string, TimePoint>> uses;
  for (const auto& id : unflushed_) uses.emplace_back(id, last_used_[id]);
  unflushed_.clear();
  return uses;
}

OptTime Authenticator::LastUsed(const std::string& key_id) const {
  std::lock_guard lock(mutex_);
  auto it = last_used_.find(key_id);
  if (it == last_used_.end()) return std::nullopt;
  return it->second;
}

namespace {

Error Unauthorized() {
  return Error{ErrorCode::kUnauthorized,
               "a valid API key is required: send Authorization: Bearer <key>"};
}
Error SessionExpired() {
  return Error{ErrorCode::kUnauthorized,
               "this session has expired; log in again (flarectl auth login)"};
}
Principal OfKey(const ApiKeyRecord& key) { return {key.project_id, key.id, key.scopes, ""}; }
Principal OfSession(const SessionRecord& session) {
  return {session.project_id, session.id, {"admin"}, session.user_id};
}

// The SHA-256 of the request's bearer credential, or nullopt without one.
std::optional<std::string> BearerHash(const httplib::Request& request) {
  std::string header = request.get_header_value("Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (header.size() <= kBearer.size() ||
      !std::equal(kBearer.begin(), kBearer.end(), header.begin(),
                  [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
    return std::nullopt;
  }
  return Sha256(std::string_view(header).substr(kBearer.size()));
}

}  // namespace

Result<Principal> Authenticator::Authenticate(const httplib::Request& request,
                                              const std::string& required_scope) const {
  auto hash = BearerHash(request);
  if (!hash) return Unauthorized();
  auto principal = Identify(*hash);
  if (!principal) return principal.error();
  if (!ScopeAllows(principal->scopes, required_scope)) {
    return Error{ErrorCode::kForbidden,
                 "this API key lacks the '" + required_scope + "' scope; use a key that has it"};
  }
  return principal;
}

std::optional<std::pair<Principal, std::string>> Authenticator::RememberedKey(
    const httplib::Request& request, const std::string& required_scope) const {
  auto hash = BearerHash(request);
  if (!hash) return std::nullopt;
  std::lock_guard lock(mutex_);
  auto key = keys_by_hash_.find(*hash);
  if (key == keys_by_hash_.end() || !ConstantTimeEquals(key->second.key_hash, *hash) ||
      !ScopeAllows(key->second.scopes, required_scope)) {
    return std::nullopt;
  }
  NoteUse(key->second.id);
  return std::make_pair(OfKey(key->second), std::move(*hash));
}

Result<Principal> Authenticator::Identify(const std::string& hash) const {
  return lookup_ ? IdentifyFromDatabase(hash) : IdentifyFromCache(hash);
}

Result<Principal> Authenticator::IdentifyFromCache(const std::string& hash) const {
  std::lock_guard lock(mutex_);
  if (auto key = keys_by_hash_.find(hash); key != keys_by_hash_.end()) {
    if (!ConstantTimeEquals(key->second.key_hash, hash)) return Unauthorized();
    NoteUse(key->second.id);
    return OfKey(key->second);
  }
  if (auto session = sessions_by_hash_.find(hash); session != sessions_by_hash_.end()) {
    if (!ConstantTimeEquals(session->second.token_hash, hash)) return Unauthorized();
    if (session->second.expires_at <= clock_.Now()) return SessionExpired();
    return OfSession(session->second);
  }
  return Unauthorized();
}

Result<Principal> Authenticator::IdentifyFromDatabase(const std::string& hash) const {
  auto stored = lookup_(hash);
  if (!stored) return stored.error();
  if (stored->key && ConstantTimeEquals(stored->key->key_hash, hash)) {
    std::lock_guard lock(mutex_);
    keys_by_hash_[hash] = *stored->key;  // for RememberedKey
    NoteUse(stored->key->id);
    return OfKey(*stored->key);
  }
  if (stored->session && ConstantTimeEquals(stored->session->token_hash, hash)) {
    if (stored->session->expires_at <= clock_.Now()) return SessionExpired();
    return OfSession(*stored->session);
  }
  return Unauthorized();
}

}  // namespace flare::daemon

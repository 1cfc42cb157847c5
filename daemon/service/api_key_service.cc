#include "daemon/service/api_key_service.h"

#include <algorithm>

#include "common/encoding.h"
#include "common/ids.h"
#include "common/json_fields.h"
#include "daemon/service/credentials.h"
#include "daemon/store/account_store.h"
#include "daemon/store/key_store.h"

namespace flare::daemon {
namespace {

Result<std::vector<std::string>> ReadScopes(const nlohmann::json& value) {
  const char* known = "jobs:read, jobs:write, workers, webhooks, admin";
  if (!value.is_array() || value.empty()) {
    return InvalidRequest(std::string("scopes must be a non-empty list of: ") + known, "scopes");
  }
  std::vector<std::string> scopes;
  for (const auto& item : value) {
    if (!item.is_string() || std::find(KnownScopes().begin(), KnownScopes().end(),
                                       item.get<std::string>()) == KnownScopes().end()) {
      return InvalidRequest(
          "scopes: " + (item.is_string() ? "'" + item.get<std::string>() + "'" : item.dump()) +
              " is not a scope; use " + known,
          "scopes");
    }
    if (std::find(scopes.begin(), scopes.end(), item.get<std::string>()) == scopes.end())
      scopes.push_back(item.get<std::string>());
  }
  return scopes;
}

Error KeyNotFound(const std::string& id) {
  return Error{ErrorCode::kNotFound, "no API key " + id.substr(0, 64) +
                                         " in this project; list them with GET /flare/v1/api-keys"};
}

// "flare_sk_" + 4 characters: enough to tell keys apart in a list, too little to guess with.
constexpr size_t kPrefixLength = 13;

}  // namespace

Result<CreatedKey> ApiKeyService::Create(const std::string& project_id,
                                         const nlohmann::json& body) {
  if (auto unknown = RejectUnknownFields(body, {"name", "scopes"}); !unknown)
    return unknown.error();
  if (!body.contains("name")) return InvalidRequest("name is required, e.g. \"ci-deploy\"", "name");
  auto name = ReadString(body["name"], "name", 100);
  if (!name) return name.error();
  if (!body.contains("scopes")) {
    return InvalidRequest("scopes is required, e.g. [\"jobs:read\"]", "scopes");
  }
  auto scopes = ReadScopes(body["scopes"]);
  if (!scopes) return scopes.error();
  std::string secret = NewSecretKey();
  ApiKeyRecord key;
  key.project_id = project_id;
  key.name = *name;
  key.prefix = secret.substr(0, kPrefixLength);
  key.key_hash = Sha256(secret);
  key.scopes = *scopes;
  auto created = ctx_.writer.Run<ApiKeyRecord>([&](Tx& tx) -> Result<ApiKeyRecord> {
    ApiKeyRecord row = key;
    row.id = NewId("key", tx.now());
    row.created_at = tx.now();
    tx.keys().Insert(row);
    return row;
  });
  if (!created) return created.error();
  return CreatedKey{std::move(*created), std::move(secret)};
}

Result<Page<ApiKeyRecord>> ApiKeyService::List(const std::string& project_id,
                                               const std::string& cursor_text, int limit,
                                               const LastUsedLookup& last_used) {
  auto cursor = CursorFrom(cursor_text);
  if (!cursor) return cursor.error();
  auto reader = ctx_.readers.Acquire();
  std::vector<ApiKeyRecord> keys = reader->keys().List(project_id, *cursor, limit);
  for (ApiKeyRecord& key : keys) {
    if (auto noted = last_used(key.id); noted && (!key.last_used_at || *noted > *key.last_used_at))
      key.last_used_at = noted;
  }
  return PageOfRows(std::move(keys), limit);
}

Result<ApiKeyRecord> ApiKeyService::Revoke(const std::string& project_id,
                                           const std::string& key_id) {
  return ctx_.writer.Run<ApiKeyRecord>([&](Tx& tx) -> Result<ApiKeyRecord> {
    auto key = tx.keys().Find(project_id, key_id);
    if (!key) return KeyNotFound(key_id);
    if (key->revoked_at) return *key;  // revoking twice is not an error: the key is gone
    bool admin = std::find(key->scopes.begin(), key->scopes.end(), "admin") != key->scopes.end();
    if (admin && tx.keys().CountOtherAdmins(project_id, key->id) == 0 &&
        !tx.accounts().FindProjectOwner(project_id)) {
      return Error{ErrorCode::kConflict,
                   key->id +
                       " is the project's last admin key and nobody can log in to make "
                       "another; create a new admin key first, then revoke this one"};
    }
    tx.keys().Revoke(project_id, key->id, tx.now());
    key->revoked_at = tx.now();
    return *key;
  });
}

Status ApiKeyService::RecordUsage(const std::vector<std::pair<std::string, TimePoint>>& uses) {
  if (uses.empty()) return Ok{};
  return ctx_.writer.Run<Ok>([&](Tx& tx) -> Result<Ok> {
    tx.keys().Touch(uses);
    return Ok{};
  });
}

}  // namespace flare::daemon

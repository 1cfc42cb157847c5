#pragma once
// The storage port for one resource: API keys and projects (key_repository.h).
// Services reach it through their transaction (Tx::keys()) or a read lease; each backend
// implements it (SQLite: SqliteKeyStore in key_repository.h).

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "daemon/store/records.h"

namespace flare::daemon {

struct ProjectRecord {
  std::string id;
  std::string name;
  nlohmann::json settings = nlohmann::json::object();
  TimePoint created_at;
};

class KeyStore {
 public:
  virtual ~KeyStore() = default;

  virtual std::optional<ProjectRecord> FindProjectByName(const std::string& name) = 0;
  virtual std::optional<ProjectRecord> FindProjectById(const std::string& id) = 0;
  virtual void InsertProject(const ProjectRecord& project) = 0;

  virtual void Insert(const ApiKeyRecord& key) = 0;
  /// Every key that is not revoked (the auth cache loads these).
  virtual std::vector<ApiKeyRecord> Active() = 0;
  /// The key whose SHA-256 is `key_hash` (raw 32 bytes), unless it is revoked or unknown:
  /// nodes sharing a database check every request with it, so a revocation through one
  /// node holds on all of them from their next request.
  virtual std::optional<ApiKeyRecord> FindActiveByHash(const std::string& key_hash) = 0;
  /// A project's keys (revoked ones too), newest first, after `cursor`: up to `limit` + 1
  /// rows (the extra one only says that more exist).
  virtual std::vector<ApiKeyRecord> List(const std::string& project_id,
                                         const std::optional<PageCursor>& cursor, int limit) = 0;
  virtual std::optional<ApiKeyRecord> Find(const std::string& project_id,
                                           const std::string& id) = 0;
  /// Sets revoked_at on a key not yet revoked; false when there is no such key.
  virtual bool Revoke(const std::string& project_id, const std::string& id, TimePoint now) = 0;
  /// Active keys with the admin scope in the project, other than `except_id`.
  virtual int CountOtherAdmins(const std::string& project_id, const std::string& except_id) = 0;
  /// Writes the last-use times noted in memory (never moves a time backwards).
  virtual void Touch(const std::vector<std::pair<std::string, TimePoint>>& uses) = 0;
};

}  // namespace flare::daemon

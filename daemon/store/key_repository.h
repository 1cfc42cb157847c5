#pragma once
// SQL for projects and API keys.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "daemon/store/connection.h"
#include "daemon/store/key_store.h"
#include "daemon/store/records.h"

namespace flare::daemon {

struct ProjectRecord {
  std::string id;
  std::string name;
  nlohmann::json settings = nlohmann::json::object();
  TimePoint created_at;
};

std::optional<ProjectRecord> FindProjectByName(Connection& c, const std::string& name);
std::optional<ProjectRecord> FindProjectById(Connection& c, const std::string& id);
void InsertProject(Connection& c, const ProjectRecord& project);
void InsertApiKey(Connection& c, const ApiKeyRecord& key);
/// Every key that is not revoked (the auth cache loads these).
std::vector<ApiKeyRecord> ActiveApiKeys(Connection& c);
/// A project's keys (revoked ones too), newest first, after `cursor`, up to `limit` rows.
std::vector<ApiKeyRecord> ListApiKeys(Connection& c, const std::string& project_id,
                                      const std::optional<PageCursor>& cursor, int limit);
std::optional<ApiKeyRecord> FindApiKey(Connection& c, const std::string& project_id,
                                       const std::string& id);
/// Sets revoked_at on a key not yet revoked; false when there is no such key.
bool RevokeApiKey(Connection& c, const std::string& project_id, const std::string& id,
                  TimePoint now);
/// Active keys with the admin scope in the project, other than `except_id`.
int CountOtherAdminKeys(Connection& c, const std::string& project_id, const std::string& except_id);
/// Writes the last-use times noted in memory (never moves a time backwards).
void TouchApiKeys(Connection& c, const std::vector<std::pair<std::string, TimePoint>>& uses);

/// The SQLite KeyStore (stores.h): the functions above over one connection.
class SqliteKeyStore final : public KeyStore {
 public:
  explicit SqliteKeyStore(Connection& c) : c_(c) {}

 private:
  [[maybe_unused]] Connection& c_;
};

}  // namespace flare::daemon

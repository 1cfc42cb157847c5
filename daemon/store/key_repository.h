#pragma once
// SQL for projects and API keys: the SQLite KeyStore (key_store.h, where the contract of each
// function is written).

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "daemon/store/connection.h"
#include "daemon/store/key_store.h"
#include "daemon/store/records.h"

namespace flare::daemon {

std::optional<ProjectRecord> FindProjectByName(Connection& c, const std::string& name);
std::optional<ProjectRecord> FindProjectById(Connection& c, const std::string& id);
void InsertProject(Connection& c, const ProjectRecord& project);
void InsertApiKey(Connection& c, const ApiKeyRecord& key);
std::vector<ApiKeyRecord> ActiveApiKeys(Connection& c);
std::vector<ApiKeyRecord> ListApiKeys(Connection& c, const std::string& project_id,
                                      const std::optional<PageCursor>& cursor, int limit);
std::optional<ApiKeyRecord> FindApiKey(Connection& c, const std::string& project_id,
                                       const std::string& id);
bool RevokeApiKey(Connection& c, const std::string& project_id, const std::string& id,
                  TimePoint now);
int CountOtherAdminKeys(Connection& c, const std::string& project_id, const std::string& except_id);
std::optional<ApiKeyRecord> FindActiveApiKeyByHash(Connection& c, const std::string& key_hash);
void TouchApiKeys(Connection& c, const std::vector<std::pair<std::string, TimePoint>>& uses);

/// The SQLite KeyStore (stores.h): the functions above over one connection.
class SqliteKeyStore final : public KeyStore {
 public:
  explicit SqliteKeyStore(Connection& c) : c_(c) {}

  std::optional<ProjectRecord> FindProjectByName(const std::string& name) override {
    return daemon::FindProjectByName(c_, name);
  }
  std::optional<ProjectRecord> FindProjectById(const std::string& id) override {
    return daemon::FindProjectById(c_, id);
  }
  void InsertProject(const ProjectRecord& project) override { daemon::InsertProject(c_, project); }
  void Insert(const ApiKeyRecord& key) override { InsertApiKey(c_, key); }
  std::vector<ApiKeyRecord> Active() override { return ActiveApiKeys(c_); }
  std::optional<ApiKeyRecord> FindActiveByHash(const std::string& key_hash) override {
    return FindActiveApiKeyByHash(c_, key_hash);
  }
  std::vector<ApiKeyRecord> List(const std::string& project_id,
                                 const std::optional<PageCursor>& cursor, int limit) override {
    return ListApiKeys(c_, project_id, cursor, limit);
  }
  std::optional<ApiKeyRecord> Find(const std::string& project_id, const std::string& id) override {
    return FindApiKey(c_, project_id, id);
  }
  bool Revoke(const std::string& project_id, const std::string& id, TimePoint now) override {
    return RevokeApiKey(c_, project_id, id, now);
  }
  int CountOtherAdmins(const std::string& project_id, const std::string& except_id) override {
    return CountOtherAdminKeys(c_, project_id, except_id);
  }
  void Touch(const std::vector<std::pair<std::string, TimePoint>>& uses) override {
    TouchApiKeys(c_, uses);
  }

 private:
  Connection& c_;
};

}  // namespace flare::daemon

#include "daemon/store/key_repository.h"

#include "daemon/store/columns.h"

namespace flare::daemon {
namespace {

constexpr const char* kKeyColumns =
    "id, project_id, name, prefix, key_hash, scopes, created_at, revoked_at, last_used_at";

ApiKeyRecord ReadKey(SQLite::Statement& st) {
  ApiKeyRecord k;
  k.id = ColText(st, 0);
  k.project_id = ColText(st, 1);
  k.name = ColText(st, 2);
  k.prefix = ColText(st, 3);
  auto blob = st.getColumn(4);
  k.key_hash.assign(static_cast<const char*>(blob.getBlob()), static_cast<size_t>(blob.getBytes()));
  auto scopes = ColJson(st, 5);
  if (scopes.is_array()) {
    for (const auto& s : scopes) k.scopes.push_back(s.get<std::string>());
  }
  k.created_at = ColTimeRequired(st, 6);
  k.revoked_at = ColTime(st, 7);
  k.last_used_at = ColTime(st, 8);
  return k;
}

std::optional<ProjectRecord> ReadProject(SQLite::Statement& st) {
  if (!st.executeStep()) return std::nullopt;
  return ProjectRecord{ColText(st, 0), ColText(st, 1), ColJson(st, 2), ColTimeRequired(st, 3)};
}

}  // namespace

std::optional<ProjectRecord> FindProjectByName(Connection& c, const std::string& name) {
  auto& st = c.Prepare("SELECT id, name, settings, created_at FROM projects WHERE name = ?1");
  st.bind(1, name);
  return ReadProject(st);
}

std::optional<ProjectRecord> FindProjectById(Connection& c, const std::string& id) {
  auto& st = c.Prepare("SELECT id, name, settings, created_at FROM projects WHERE id = ?1");
  st.bind(1, id);
  return ReadProject(st);
}

void InsertProject(Connection& c, const ProjectRecord& p) {
  auto& st =
      c.Prepare("INSERT INTO projects (id, name, settings, created_at) VALUES (?1, ?2, ?3, ?4)");
  st.bind(1, p.id);
  st.bind(2, p.name);
  st.bind(3, p.settings.dump());
  BindTime(st, 4, p.created_at);
  st.exec();
}

void InsertApiKey(Connection& c, const ApiKeyRecord& k) {
  auto& st = c.Prepare(
      "INSERT INTO api_keys (id, project_id, name, prefix, key_hash, scopes, created_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  st.bind(1, k.id);
  st.bind(2, k.project_id);
  st.bind(3, k.name);
  st.bind(4, k.prefix);
  st.bind(5, k.key_hash.data(), static_cast<int>(k.key_hash.size()));
  st.bind(6, nlohmann::json(k.scopes).dump());
  BindTime(st, 7, k.created_at);
  st.exec();
}

std::vector<ApiKeyRecord> ActiveApiKeys(Connection& c) {
  auto& st = c.PrepareDynamic(std::string("SELECT ") + kKeyColumns +
                              " FROM api_keys WHERE revoked_at IS NULL");
  std::vector<ApiKeyRecord> keys;
  while (st.executeStep()) keys.push_back(ReadKey(st));
  return keys;
}

std::optional<ApiKeyRecord> FindActiveApiKeyByHash(Connection& c, const std::string& key_hash) {
  auto& st = c.PrepareDynamic(std::string("SELECT ") + kKeyColumns +
                              " FROM api_keys WHERE key_hash = ?1 AND revoked_at IS NULL");
  st.bind(1, key_hash.data(), static_cast<int>(key_hash.size()));
  if (!st.executeStep()) return std::nullopt;
  return ReadKey(st);
}

std::vector<ApiKeyRecord> ListApiKeys(Connection& c, const std::string& project_id,
                                      const std::optional<PageCursor>& cursor, int limit) {
  auto& st =
      c.PrepareDynamic(std::string("SELECT ") + kKeyColumns +
                       " FROM api_keys WHERE project_id = ?1 AND (?2 IS NULL OR created_at < ?2 OR "
                       "(created_at = ?2 AND id < ?3)) ORDER BY created_at DESC, id DESC LIMIT ?4");
  st.bind(1, project_id);
  BindCursor(st, 2, cursor);
  st.bind(4, limit + 1);
  std::vector<ApiKeyRecord> keys;
  while (st.executeStep()) keys.push_back(ReadKey(st));
  return keys;
}

std::optional<ApiKeyRecord> FindApiKey(Connection& c, const std::string& project_id,
                                       const std::string& id) {
  auto& st = c.PrepareDynamic(std::string("SELECT ") + kKeyColumns +
                              " FROM api_keys WHERE project_id = ?1 AND id = ?2");
  st.bind(1, project_id);
  st.bind(2, id);
  if (!st.executeStep()) return std::nullopt;
  return ReadKey(st);
}

bool RevokeApiKey(Connection& c, const std::string& project_id, const std::string& id,
                  TimePoint now) {
  auto& st = c.Prepare(
      "UPDATE api_keys SET revoked_at = ?3 WHERE project_id = ?1 AND id = ?2 AND "
      "revoked_at IS NULL");
  st.bind(1, project_id);
  st.bind(2, id);
  BindTime(st, 3, now);
  return st.exec() > 0;
}

int CountOtherAdminKeys(Connection& c, const std::string& project_id,
                        const std::string& except_id) {
  auto& st = c.Prepare(
      "SELECT COUNT(*) FROM api_keys, json_each(api_keys.scopes) AS scope WHERE "
      "api_keys.project_id = ?1 AND api_keys.id != ?2 AND api_keys.revoked_at IS NULL AND "
      "scope.value = 'admin'");
  st.bind(1, project_id);
  st.bind(2, except_id);
  st.executeStep();
  return st.getColumn(0).getInt();
}

void TouchApiKeys(Connection& c, const std::vector<std::pair<std::string, TimePoint>>& uses) {
  auto& st = c.Prepare(
      "UPDATE api_keys SET last_used_at = ?2 WHERE id = ?1 AND "
      "(last_used_at IS NULL OR last_used_at < ?2)");
  for (const auto& [id, at] : uses) {
    st.reset();
    st.clearBindings();
    st.bind(1, id);
    BindTime(st, 2, at);
    st.exec();
  }
}

}  // namespace flare::daemon

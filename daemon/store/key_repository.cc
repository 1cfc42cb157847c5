#include "daemon/store/key_repository.h"

#include "daemon/store/columns.h"

namespace flare::daemon {

std::optional<ProjectRecord> FindProjectByName(Connection& c, const std::string& name) {
  auto& st = c.Prepare("SELECT id, name, settings, created_at FROM projects WHERE name = ?1");
  st.bind(1, name);
  if (!st.executeStep()) return std::nullopt;
  return ProjectRecord{ColText(st, 0), ColText(st, 1), ColJson(st, 2), ColTimeRequired(st, 3)};
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
  auto& st = c.Prepare(
      "SELECT id, project_id, name, prefix, key_hash, scopes, created_at FROM api_keys "
      "WHERE revoked_at IS NULL");
  std::vector<ApiKeyRecord> keys;
  while (st.executeStep()) {
    ApiKeyRecord k;
    k.id = ColText(st, 0);
    k.project_id = ColText(st, 1);
    k.name = ColText(st, 2);
    k.prefix = ColText(st, 3);
    auto blob = st.getColumn(4);
    k.key_hash.assign(static_cast<const char*>(blob.getBlob()),
                      static_cast<size_t>(blob.getBytes()));
    auto scopes = ColJson(st, 5);
    if (scopes.is_array()) {
      for (const auto& s : scopes) k.scopes.push_back(s.get<std::string>());
    }
    k.created_at = ColTimeRequired(st, 6);
    keys.push_back(std::move(k));
  }
  return keys;
}

}  // namespace flare::daemon

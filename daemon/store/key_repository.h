#pragma once
// SQL for projects and API keys.

#include <optional>
#include <string>
#include <vector>

#include "daemon/store/connection.h"
#include "daemon/store/records.h"

namespace flare::daemon {

struct ProjectRecord {
  std::string id;
  std::string name;
  nlohmann::json settings = nlohmann::json::object();
  TimePoint created_at;
};

std::optional<ProjectRecord> FindProjectByName(Connection& c, const std::string& name);
void InsertProject(Connection& c, const ProjectRecord& project);
void InsertApiKey(Connection& c, const ApiKeyRecord& key);
/// Every key that is not revoked (the auth cache loads these).
std::vector<ApiKeyRecord> ActiveApiKeys(Connection& c);

}  // namespace flare::daemon

#include "daemon/bootstrap.h"

#include <fcntl.h>
#include <unistd.h>

#include <stdexcept>

#include "common/encoding.h"
#include "common/ids.h"
#include "daemon/api/auth.h"
#include "daemon/store/key_repository.h"

namespace flare::daemon {
namespace {

void WriteSecretFile(const std::string& path, const std::string& content) {
  std::string temp = path + ".tmp";
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot write " + temp);
  std::string line = content + "\n";
  bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(temp.c_str(), path.c_str()) != 0) throw std::runtime_error("cannot write " + path);
}

}  // namespace

std::string EnsureDefaultProject(Writer& writer, const std::string& data_dir) {
  std::string secret;
  auto created = writer.Run<bool>([&](Tx& tx) -> Result<bool> {
    if (FindProjectByName(tx.conn(), "default")) return false;
    ProjectRecord project{NewId("prj", tx.now()), "default", nlohmann::json::object(), tx.now()};
    InsertProject(tx.conn(), project);
    secret = NewSecretKey();
    ApiKeyRecord key;
    key.id = NewId("key", tx.now());
    key.project_id = project.id;
    key.name = "admin (created at first start)";
    key.prefix = secret.substr(0, 13);
    key.key_hash = Sha256(secret);
    key.scopes = {"admin"};
    key.created_at = tx.now();
    InsertApiKey(tx.conn(), key);
    return true;
  });
  if (!created) throw std::runtime_error("cannot create the default project: " + created.error().message);
  if (!*created) return "";
  std::string path = data_dir + "/admin.key";
  WriteSecretFile(path, secret);
  return path;
}

}  // namespace flare::daemon

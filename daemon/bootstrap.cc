#include "daemon/bootstrap.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "common/encoding.h"
#include "common/ids.h"
#include "daemon/api/auth.h"
#include "daemon/log.h"
#include "daemon/store/key_store.h"

namespace flare::daemon {
namespace {

constexpr std::string_view kKeyPrefix = "flare_sk_";
constexpr size_t kKeyLength = kKeyPrefix.size() + 40;

std::runtime_error WriteFailure(const std::string& path) {
  return std::runtime_error("cannot write " + path + ": " + std::strerror(errno));
}

// Writes `content` to `path` so that after a crash either the old file or the whole new
// one is there: a temp file, fsync, rename, fsync of the directory (which makes the rename
// itself durable).
void WriteSecretFile(const std::string& dir, const std::string& path, const std::string& content) {
  std::string temp = path + ".tmp";
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw WriteFailure(temp);
  std::string line = content + "\n";
  bool ok = ::fchmod(fd, 0600) == 0 &&
            ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(temp.c_str(), path.c_str()) != 0) throw WriteFailure(path);
  int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) throw WriteFailure(dir);
  ok = ::fsync(dir_fd) == 0;
  ::close(dir_fd);
  if (!ok) throw WriteFailure(dir);
}

// The key a first start wrote before it could commit the key's hash (it stopped in
// between): adopting it keeps the file and the database in agreement.
std::string KeyLeftByInterruptedStart(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return "";
  if (line.size() != kKeyLength || line.compare(0, kKeyPrefix.size(), kKeyPrefix) != 0) return "";
  return line;
}

}  // namespace

std::string EnsureDefaultProject(Transactions& writer, const std::string& data_dir) {
  auto exists = writer.Run<bool>(
      [](Tx& tx) -> Result<bool> { return tx.keys().FindProjectByName("default").has_value(); });
  if (!exists) throw std::runtime_error("cannot read the projects: " + exists.error().message);
  if (*exists) return "";
  // The key file first, the hash second: a failure in between leaves a key file that
  // the next start adopts, never a hash whose key nobody has (a locked-out install).
  std::string path = data_dir + "/admin.key";
  std::string secret = KeyLeftByInterruptedStart(path);
  if (secret.empty()) {
    secret = NewSecretKey();
    WriteSecretFile(data_dir, path, secret);
  } else {
    LogInfo("adopting the admin key an interrupted first start wrote", {{"key_file", path}});
  }
  auto created = writer.Run<bool>([&](Tx& tx) -> Result<bool> {
    if (tx.keys().FindProjectByName("default")) return false;
    ProjectRecord project{NewId("prj", tx.now()), "default", nlohmann::json::object(), tx.now()};
    tx.keys().InsertProject(project);
    ApiKeyRecord key;
    key.id = NewId("key", tx.now());
    key.project_id = project.id;
    key.name = "admin (created at first start)";
    key.prefix = secret.substr(0, 13);
    key.key_hash = Sha256(secret);
    key.scopes = {"admin"};
    key.created_at = tx.now();
    tx.keys().Insert(key);
    return true;
  });
  if (!created)
    throw std::runtime_error("cannot create the default project: " + created.error().message);
  return *created ? path : "";
}

}  // namespace flare::daemon

#include "daemon/service/webhook_secrets.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/secret_box.h"
#include "common/webhook_signing.h"

namespace flare::daemon {

std::string WebhookSecrets::Seal(const std::string& webhook_id, const std::string& secret) const {
  return SealSecret(key_, secret, webhook_id);
}

Result<std::string> WebhookSecrets::Open(const std::string& webhook_id,
                                         const std::string& box) const {
  return OpenSecret(key_, box, webhook_id);
}

Result<std::vector<std::string>> WebhookSecrets::SigningKeys(const WebhookRecord& webhook,
                                                             TimePoint now) const {
  std::vector<std::string> keys;
  auto add = [&](const std::string& box) -> Status {
    auto secret = Open(webhook.id, box);
    if (!secret) return secret.error();
    auto key = WebhookSecretKey(*secret);
    if (!key) return Error{ErrorCode::kInternal, "a stored webhook secret is malformed"};
    keys.push_back(std::move(*key));
    return Ok{};
  };
  if (auto current = add(webhook.secret_box); !current) return current.error();
  if (!webhook.previous_secret_box.empty() && webhook.previous_secret_expires_at &&
      now < *webhook.previous_secret_expires_at) {
    if (auto previous = add(webhook.previous_secret_box); !previous) return previous.error();
  }
  return keys;
}

namespace {

Error FileError(const char* what, const std::string& path) {
  return Error{ErrorCode::kInternal,
               std::string("cannot ") + what + " " + path + ": " + std::strerror(errno)};
}

// Reads the key from an open file, which it closes.
Result<std::string> ReadKey(int fd, const std::string& path) {
  std::string key(kSecretBoxKeySize + 1, '\0');
  ssize_t got = ::read(fd, key.data(), key.size());
  ::close(fd);
  if (got != static_cast<ssize_t>(kSecretBoxKeySize)) {
    return Error{ErrorCode::kInternal, path +
                                           " is not a 32-byte key; restore it from a backup "
                                           "(without it stored webhook secrets cannot be used)"};
  }
  key.resize(kSecretBoxKeySize);
  return key;
}

}  // namespace

Result<std::string> LoadOrCreateWebhookKey(const std::string& data_dir) {
  std::string path = data_dir + "/webhook.key";
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) {
    unsigned char key[kSecretBoxKeySize];
    if (RAND_bytes(key, sizeof key) != 1) return Error{ErrorCode::kInternal, "RAND_bytes failed"};
    // O_EXCL: two starts racing on a new data dir cannot both write a key.
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return FileError("create", path);
    bool written =
        ::write(fd, key, sizeof key) == static_cast<ssize_t>(sizeof key) && ::fsync(fd) == 0;
    ::close(fd);
    if (!written) return FileError("write", path);
    return std::string(reinterpret_cast<const char*>(key), sizeof key);
  }
  if (fd < 0) return FileError("open", path);
  return ReadKey(fd, path);
}

Result<std::string> LoadWebhookKey(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return FileError("open the webhook key file", path);
  return ReadKey(fd, path);
}

}  // namespace flare::daemon

#pragma once
// Webhook signing secrets at rest. The whsec_ text is shown once (create, rotate) and stored
// only as an AES-256-GCM box under a key that lives in <data-dir>/webhook.key, bound to the
// endpoint's id: a copy of the database alone reveals no secret.

#include <string>
#include <vector>

#include "common/result.h"
#include "daemon/store/webhook_store.h"

namespace flare::daemon {

class WebhookSecrets {
 public:
  /// `key`: kSecretBoxKeySize bytes.
  explicit WebhookSecrets(std::string key) : key_(std::move(key)) {}

  std::string Seal(const std::string& webhook_id, const std::string& secret) const;
  Result<std::string> Open(const std::string& webhook_id, const std::string& box) const;
  /// The raw key bytes that sign a delivery of `webhook` at `now`: the current secret, and
  /// the previous one while its overlap lasts.
  Result<std::vector<std::string>> SigningKeys(const WebhookRecord& webhook, TimePoint now) const;

 private:
  std::string key_;
};

/// The 32-byte key in `<data_dir>/webhook.key`, created (mode 0600, random) when missing.
/// An error when the file exists but is not 32 bytes, or cannot be read or written.
Result<std::string> LoadOrCreateWebhookKey(const std::string& data_dir);
/// The 32-byte key in the file at `path`, which must exist (flared --webhook-key-file: the
/// key several nodes share, created by the first of them).
Result<std::string> LoadWebhookKey(const std::string& path);

}  // namespace flare::daemon

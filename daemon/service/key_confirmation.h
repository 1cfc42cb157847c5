#pragma once
// Lets a request's writes confirm its API key (store/transactions.h, KeyToConfirm): while
// one of these lives on a thread, the writes that thread submits carry the key.

#include <string>

#include "daemon/store/transactions.h"

namespace flare::daemon {

class ConfirmKeyInWrites {
 public:
  explicit ConfirmKeyInWrites(std::string key_hash);
  ~ConfirmKeyInWrites();
  ConfirmKeyInWrites(const ConfirmKeyInWrites&) = delete;
  ConfirmKeyInWrites& operator=(const ConfirmKeyInWrites&) = delete;

  /// A write found the key active.
  bool confirmed() const { return key_.confirmed.load(); }
  /// A write found the key revoked (and failed with 401).
  bool refused() const { return key_.refused.load(); }

 private:
  KeyToConfirm key_;
  KeyToConfirm* outer_;  // restored when this one ends
};

}  // namespace flare::daemon

#include "daemon/service/key_confirmation.h"

#include <utility>

namespace flare::daemon {

ConfirmKeyInWrites::ConfirmKeyInWrites(std::string key_hash) : outer_(KeyToConfirmOfThisThread()) {
  key_.key_hash = std::move(key_hash);
  SetKeyToConfirmOfThisThread(&key_);
}

ConfirmKeyInWrites::~ConfirmKeyInWrites() { SetKeyToConfirmOfThisThread(outer_); }

}  // namespace flare::daemon

#pragma once
// The storage port for one resource: API keys and projects (key_repository.h).
// Services reach it through their transaction (Tx::keys()) or a read lease; each backend
// implements it (SQLite: SqliteKeyStore in key_repository.h).

#include "daemon/store/records.h"

namespace flare::daemon {

class KeyStore {
 public:
  virtual ~KeyStore() = default;
};

}  // namespace flare::daemon

#pragma once
// The storage port for one resource: Users and login sessions (account_repository.h).
// Services reach it through their transaction (Tx::accounts()) or a read lease; each backend
// implements it (SQLite: SqliteAccountStore in account_repository.h).

#include "daemon/store/records.h"

namespace flare::daemon {

class AccountStore {
 public:
  virtual ~AccountStore() = default;
};

}  // namespace flare::daemon

#pragma once
// The storage port for one resource: Users and login sessions (account_repository.h).
// Services reach it through their transaction (Tx::accounts()) or a read lease; each backend
// implements it (SQLite: SqliteAccountStore in account_repository.h).

#include <optional>
#include <string>
#include <vector>

#include "daemon/store/records.h"

namespace flare::daemon {

class AccountStore {
 public:
  virtual ~AccountStore() = default;

  virtual void InsertUser(const UserRecord& user) = 0;
  /// Case-insensitive on the email.
  virtual std::optional<UserRecord> FindUserByEmail(const std::string& email) = 0;
  virtual std::optional<UserRecord> FindUserById(const std::string& id) = 0;
  /// The project's owner (its earliest user), if it has one.
  virtual std::optional<UserRecord> FindProjectOwner(const std::string& project_id) = 0;

  virtual void InsertSession(const SessionRecord& session) = 0;
  /// Sessions not revoked and not expired at `now` (the auth cache loads these).
  virtual std::vector<SessionRecord> ActiveSessions(TimePoint now) = 0;
  /// The session whose token's SHA-256 is `token_hash`, unless revoked, expired or unknown
  /// (a login through another node sharing the database).
  virtual std::optional<SessionRecord> FindActiveSession(const std::string& token_hash,
                                                         TimePoint now) = 0;
};

}  // namespace flare::daemon

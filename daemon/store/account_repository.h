#pragma once
// SQL for local accounts: users, their login sessions, and the counts the account and
// billing pages show.

#include <optional>
#include <string>
#include <vector>

#include "daemon/store/account_store.h"
#include "daemon/store/connection.h"
#include "daemon/store/records.h"

namespace flare::daemon {

void InsertUser(Connection& c, const UserRecord& user);
/// Case-insensitive on the email.
std::optional<UserRecord> FindUserByEmail(Connection& c, const std::string& email);
std::optional<UserRecord> FindUserById(Connection& c, const std::string& id);
/// The project's owner (its earliest user), if it has one.
std::optional<UserRecord> FindProjectOwner(Connection& c, const std::string& project_id);

void InsertSession(Connection& c, const SessionRecord& session);
/// Sessions not revoked and not expired at `now` (the auth cache loads these).
std::vector<SessionRecord> ActiveSessions(Connection& c, TimePoint now);

/// The SQLite AccountStore (stores.h): the functions above over one connection.
class SqliteAccountStore final : public AccountStore {
 public:
  explicit SqliteAccountStore(Connection& c) : c_(c) {}

 private:
  [[maybe_unused]] Connection& c_;
};

}  // namespace flare::daemon

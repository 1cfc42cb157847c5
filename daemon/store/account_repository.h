#pragma once
// SQL for local accounts: users, their login sessions, and the counts the account and
// billing pages show. The SQLite AccountStore (account_store.h, where the contract of each
// function is written).

#include <optional>
#include <string>
#include <vector>

#include "daemon/store/account_store.h"
#include "daemon/store/connection.h"
#include "daemon/store/records.h"

namespace flare::daemon {

void InsertUser(Connection& c, const UserRecord& user);
std::optional<UserRecord> FindUserByEmail(Connection& c, const std::string& email);
std::optional<UserRecord> FindUserById(Connection& c, const std::string& id);
std::optional<UserRecord> FindProjectOwner(Connection& c, const std::string& project_id);

void InsertSession(Connection& c, const SessionRecord& session);
std::vector<SessionRecord> ActiveSessions(Connection& c, TimePoint now);
std::optional<SessionRecord> FindActiveSession(Connection& c, const std::string& token_hash,
                                               TimePoint now);

/// The SQLite AccountStore (stores.h): the functions above over one connection.
class SqliteAccountStore final : public AccountStore {
 public:
  explicit SqliteAccountStore(Connection& c) : c_(c) {}

  void InsertUser(const UserRecord& user) override { daemon::InsertUser(c_, user); }
  std::optional<UserRecord> FindUserByEmail(const std::string& email) override {
    return daemon::FindUserByEmail(c_, email);
  }
  std::optional<UserRecord> FindUserById(const std::string& id) override {
    return daemon::FindUserById(c_, id);
  }
  std::optional<UserRecord> FindProjectOwner(const std::string& project_id) override {
    return daemon::FindProjectOwner(c_, project_id);
  }
  void InsertSession(const SessionRecord& session) override { daemon::InsertSession(c_, session); }
  std::optional<SessionRecord> FindActiveSession(const std::string& token_hash,
                                                 TimePoint now) override {
    return daemon::FindActiveSession(c_, token_hash, now);
  }
  std::vector<SessionRecord> ActiveSessions(TimePoint now) override {
    return daemon::ActiveSessions(c_, now);
  }

 private:
  Connection& c_;
};

}  // namespace flare::daemon

#pragma once
// The PostgreSQL AccountStore (store/account_store.h, whose comments are the contract; the SQLite
// one is in store/account_repository.*). session.h says what a write transaction locks.

#include "daemon/store/account_store.h"
#include "daemon/store/postgres/session.h"

namespace flare::daemon::postgres {

class PgAccountStore final : public AccountStore {
 public:
  explicit PgAccountStore(Session session) : session_(session) {}
  void InsertUser(const UserRecord& user) override;
  std::optional<UserRecord> FindUserByEmail(const std::string& email) override;
  std::optional<UserRecord> FindUserById(const std::string& id) override;
  std::optional<UserRecord> FindProjectOwner(const std::string& project_id) override;
  void InsertSession(const SessionRecord& session) override;
  std::vector<SessionRecord> ActiveSessions(TimePoint now) override;
  std::optional<SessionRecord> FindActiveSession(const std::string& token_hash,
                                                 TimePoint now) override;

 private:
  Session session_;
};

}  // namespace flare::daemon::postgres

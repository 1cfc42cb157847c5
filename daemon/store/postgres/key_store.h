#pragma once
// The PostgreSQL KeyStore (store/key_store.h, whose comments are the contract; the SQLite
// one is in store/key_repository.*). session.h says what a write transaction locks.

#include <string>
#include <vector>

#include "daemon/store/key_store.h"
#include "daemon/store/postgres/session.h"

namespace flare::daemon::postgres {

/// The SQLSTATE of a write whose RequireActiveKeys check failed.
inline constexpr const char* kRevokedKeySqlstate = "FL401";

/// Queues (pg::Connection::Defer) a check that every key of `key_hashes` (raw SHA-256) is
/// still active, run by the server in its turn among the transaction's statements: if one
/// is revoked, the statement that sends it (a later read, the COMMIT at the latest) throws
/// PgError with kRevokedKeySqlstate and the transaction commits nothing. No round trip of
/// its own.
void RequireActiveKeys(pg::Connection& db, const std::vector<std::string>& key_hashes);

class PgKeyStore final : public KeyStore {
 public:
  explicit PgKeyStore(Session session) : session_(session) {}
  std::optional<ProjectRecord> FindProjectByName(const std::string& name) override;
  std::optional<ProjectRecord> FindProjectById(const std::string& id) override;
  void InsertProject(const ProjectRecord& project) override;
  void Insert(const ApiKeyRecord& key) override;
  std::vector<ApiKeyRecord> Active() override;
  std::optional<ApiKeyRecord> FindActiveByHash(const std::string& key_hash) override;
  std::vector<ApiKeyRecord> List(const std::string& project_id,
                                 const std::optional<PageCursor>& cursor, int limit) override;
  std::optional<ApiKeyRecord> Find(const std::string& project_id, const std::string& id) override;
  bool Revoke(const std::string& project_id, const std::string& id, TimePoint now) override;
  int CountOtherAdmins(const std::string& project_id, const std::string& except_id) override;
  void Touch(const std::vector<std::pair<std::string, TimePoint>>& uses) override;

 private:
  Session session_;
};

}  // namespace flare::daemon::postgres

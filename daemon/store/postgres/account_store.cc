#include "daemon/store/postgres/account_store.h"

#include "daemon/store/pg/result.h"
#include "daemon/store/postgres/columns.h"

namespace flare::daemon::postgres {
namespace {

constexpr const char* kAccountUserColumns =
    "id, project_id, email, name, password_hash, created_at";

// Every column of users and sessions is NOT NULL, so a value is read as it is.
std::optional<UserRecord> FirstUserOf(const pg::PgResult& r) {
  if (r.rows() == 0) return std::nullopt;
  return UserRecord{r.Text(0, 0), r.Text(0, 1), r.Text(0, 2),
                    r.Text(0, 3), r.Text(0, 4), FromMillis(r.Int64(0, 5))};
}

SessionRecord LoginSessionAt(const pg::PgResult& r, int row) {
  SessionRecord s;
  s.id = r.Text(row, 0);
  s.user_id = r.Text(row, 1);
  s.project_id = r.Text(row, 2);
  s.token_hash = BytesAt(r, row, 3);
  s.created_at = FromMillis(r.Int64(row, 4));
  s.expires_at = FromMillis(r.Int64(row, 5));
  return s;
}

}  // namespace

void PgAccountStore::InsertUser(const UserRecord& u) {
  // A taken address (whatever its case) fails on users_by_email: PgError, IsUniqueViolation.
  session_.db.Exec(
      "INSERT INTO users (id, project_id, email, name, password_hash, created_at) "
      "VALUES ($1, $2, $3, $4, $5, $6)",
      u.id, u.project_id, u.email, u.name, u.password_hash, ToMillis(u.created_at));
}

std::optional<UserRecord> PgAccountStore::FindUserByEmail(const std::string& email) {
  // lower() on both sides is SQLite's COLLATE NOCASE, and the expression users_by_email indexes.
  return FirstUserOf(session_.db.Exec(std::string("SELECT ") + kAccountUserColumns +
                                          " FROM users WHERE lower(email) = lower($1)" +
                                          session_.lock(),
                                      email));
}

std::optional<UserRecord> PgAccountStore::FindUserById(const std::string& id) {
  return FirstUserOf(session_.db.Exec(
      std::string("SELECT ") + kAccountUserColumns + " FROM users WHERE id = $1" + session_.lock(),
      id));
}

std::optional<UserRecord> PgAccountStore::FindProjectOwner(const std::string& project_id) {
  return FirstUserOf(session_.db.Exec(std::string("SELECT ") + kAccountUserColumns +
                                          " FROM users WHERE project_id = $1 "
                                          "ORDER BY created_at, id LIMIT 1" +
                                          session_.lock(),
                                      project_id));
}

void PgAccountStore::InsertSession(const SessionRecord& s) {
  session_.db.Exec(
      "INSERT INTO sessions (id, user_id, project_id, token_hash, created_at, expires_at) "
      "VALUES ($1, $2, $3, decode($4, 'hex'), $5, $6)",
      s.id, s.user_id, s.project_id, HexParam(s.token_hash), ToMillis(s.created_at),
      ToMillis(s.expires_at));
}

std::vector<SessionRecord> PgAccountStore::ActiveSessions(TimePoint now) {
  // A list for the auth cache, not a row to change: no lock.
  pg::PgResult r = session_.db.Exec(
      "SELECT id, user_id, project_id, encode(token_hash, 'hex'), created_at, expires_at "
      "FROM sessions WHERE revoked_at IS NULL AND expires_at > $1",
      ToMillis(now));
  std::vector<SessionRecord> sessions;
  sessions.reserve(static_cast<size_t>(r.rows()));
  for (int row = 0; row < r.rows(); ++row) sessions.push_back(LoginSessionAt(r, row));
  return sessions;
}

std::optional<SessionRecord> PgAccountStore::FindActiveSession(const std::string& token_hash,
                                                               TimePoint now) {
  pg::PgResult r = session_.db.Exec(
      "SELECT id, user_id, project_id, encode(token_hash, 'hex'), created_at, expires_at "
      "FROM sessions WHERE token_hash = decode($1, 'hex') AND revoked_at IS NULL AND "
      "expires_at > $2",
      HexParam(token_hash), ToMillis(now));
  if (r.rows() == 0) return std::nullopt;
  return LoginSessionAt(r, 0);
}

}  // namespace flare::daemon::postgres

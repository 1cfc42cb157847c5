#include "daemon/store/account_repository.h"

#include "daemon/store/columns.h"

namespace flare::daemon {
namespace {

constexpr const char* kUserColumns = "id, project_id, email, name, password_hash, created_at";

std::optional<UserRecord> ReadUser(SQLite::Statement& st) {
  if (!st.executeStep()) return std::nullopt;
  return UserRecord{ColText(st, 0), ColText(st, 1), ColText(st, 2),
                    ColText(st, 3), ColText(st, 4), ColTimeRequired(st, 5)};
}

}  // namespace

void InsertUser(Connection& c, const UserRecord& u) {
  auto& st = c.Prepare(
      "INSERT INTO users (id, project_id, email, name, password_hash, created_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  st.bind(1, u.id);
  st.bind(2, u.project_id);
  st.bind(3, u.email);
  st.bind(4, u.name);
  st.bind(5, u.password_hash);
  BindTime(st, 6, u.created_at);
  st.exec();
}

std::optional<UserRecord> FindUserByEmail(Connection& c, const std::string& email) {
  auto& st = c.PrepareDynamic(std::string("SELECT ") + kUserColumns +
                              " FROM users WHERE email = ?1 COLLATE NOCASE");
  st.bind(1, email);
  return ReadUser(st);
}

std::optional<UserRecord> FindUserById(Connection& c, const std::string& id) {
  auto& st = c.PrepareDynamic(std::string("SELECT ") + kUserColumns + " FROM users WHERE id = ?1");
  st.bind(1, id);
  return ReadUser(st);
}

std::optional<UserRecord> FindProjectOwner(Connection& c, const std::string& project_id) {
  auto& st = c.PrepareDynamic(std::string("SELECT ") + kUserColumns +
                              " FROM users WHERE project_id = ?1 ORDER BY created_at, id LIMIT 1");
  st.bind(1, project_id);
  return ReadUser(st);
}

void InsertSession(Connection& c, const SessionRecord& s) {
  auto& st = c.Prepare(
      "INSERT INTO sessions (id, user_id, project_id, token_hash, created_at, expires_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  st.bind(1, s.id);
  st.bind(2, s.user_id);
  st.bind(3, s.project_id);
  st.bind(4, s.token_hash.data(), static_cast<int>(s.token_hash.size()));
  BindTime(st, 5, s.created_at);
  BindTime(st, 6, s.expires_at);
  st.exec();
}

namespace {

// A row of "SELECT id, user_id, project_id, token_hash, created_at, expires_at".
SessionRecord ReadSession(SQLite::Statement& st) {
  SessionRecord s;
  s.id = ColText(st, 0);
  s.user_id = ColText(st, 1);
  s.project_id = ColText(st, 2);
  auto blob = st.getColumn(3);
  s.token_hash.assign(static_cast<const char*>(blob.getBlob()),
                      static_cast<size_t>(blob.getBytes()));
  s.created_at = ColTimeRequired(st, 4);
  s.expires_at = ColTimeRequired(st, 5);
  return s;
}

}  // namespace

std::vector<SessionRecord> ActiveSessions(Connection& c, TimePoint now) {
  auto& st = c.Prepare(
      "SELECT id, user_id, project_id, token_hash, created_at, expires_at FROM sessions "
      "WHERE revoked_at IS NULL AND expires_at > ?1");
  BindTime(st, 1, now);
  std::vector<SessionRecord> sessions;
  while (st.executeStep()) sessions.push_back(ReadSession(st));
  return sessions;
}

std::optional<SessionRecord> FindActiveSession(Connection& c, const std::string& token_hash,
                                               TimePoint now) {
  auto& st = c.Prepare(
      "SELECT id, user_id, project_id, token_hash, created_at, expires_at FROM sessions "
      "WHERE token_hash = ?1 AND revoked_at IS NULL AND expires_at > ?2");
  st.bind(1, token_hash.data(), static_cast<int>(token_hash.size()));
  BindTime(st, 2, now);
  if (!st.executeStep()) return std::nullopt;
  return ReadSession(st);
}

}  // namespace flare::daemon

#include "daemon/store/postgres/key_store.h"

#include <nlohmann/json.hpp>

#include "daemon/store/pg/result.h"
#include "daemon/store/postgres/columns.h"

namespace flare::daemon::postgres {
// Everything of this file is in its own namespace: flare_pgstore is compiled in unity
// batches, where another store's helpers (a hex codec, row readers) share one translation
// unit with these.
namespace key_sql {
namespace {

/// An array literal ({"a","b"}) for unnest($n::text[]) or $n::bigint[]: every element quoted, with
/// backslash and double quote escaped, so no value can end an element or the array early.
template <typename Items, typename Element>
std::string ArrayLiteral(const Items& items, Element element) {
  std::string literal = "{";
  for (const auto& item : items) {
    if (literal.size() > 1) literal += ',';
    literal += '"';
    for (char c : element(item)) {
      if (c == '"' || c == '\\') literal += '\\';
      literal += c;
    }
    literal += '"';
  }
  return literal + '}';
}

constexpr const char* kKeySelect =
    "SELECT id, project_id, name, prefix, encode(key_hash, 'hex'), scopes, created_at, "
    "revoked_at, last_used_at FROM api_keys ";

ApiKeyRecord ReadKey(const pg::PgResult& r, int row) {
  ApiKeyRecord k;
  k.id = TextAt(r, row, 0);
  k.project_id = TextAt(r, row, 1);
  k.name = TextAt(r, row, 2);
  k.prefix = TextAt(r, row, 3);
  k.key_hash = BytesAt(r, row, 4);
  nlohmann::json scopes = JsonAt(r, row, 5);
  if (scopes.is_array()) {
    for (const auto& s : scopes) k.scopes.push_back(s.get<std::string>());
  }
  k.created_at = TimeAt(r, row, 6);
  k.revoked_at = OptTimeAt(r, row, 7);
  k.last_used_at = OptTimeAt(r, row, 8);
  return k;
}

std::vector<ApiKeyRecord> ReadKeys(const pg::PgResult& r) {
  std::vector<ApiKeyRecord> keys;
  keys.reserve(static_cast<size_t>(r.rows()));
  for (int row = 0; row < r.rows(); ++row) keys.push_back(ReadKey(r, row));
  return keys;
}

constexpr const char* kProjectSelect = "SELECT id, name, settings, created_at FROM projects ";

std::optional<ProjectRecord> ReadProject(const pg::PgResult& r) {
  if (r.rows() == 0) return std::nullopt;
  return ProjectRecord{TextAt(r, 0, 0), TextAt(r, 0, 1), JsonAt(r, 0, 2), TimeAt(r, 0, 3)};
}

// --- the statements, one per operation of the store ---

std::optional<ProjectRecord> FindProjectByName(Session session, const std::string& name) {
  return ReadProject(
      session.db.Exec(std::string(kProjectSelect) + "WHERE name = $1" + session.lock(), name));
}

std::optional<ProjectRecord> FindProjectById(Session session, const std::string& id) {
  return ReadProject(
      session.db.Exec(std::string(kProjectSelect) + "WHERE id = $1" + session.lock(), id));
}

void InsertProject(Session session, const ProjectRecord& p) {
  session.db.Exec("INSERT INTO projects (id, name, settings, created_at) VALUES ($1, $2, $3, $4)",
                  p.id, p.name, p.settings.dump(), Millis(p.created_at));
}

void Insert(Session session, const ApiKeyRecord& k) {
  session.db.Exec(
      "INSERT INTO api_keys (id, project_id, name, prefix, key_hash, scopes, created_at) "
      "VALUES ($1, $2, $3, $4, decode($5, 'hex'), $6, $7)",
      k.id, k.project_id, k.name, k.prefix, HexParam(k.key_hash), nlohmann::json(k.scopes).dump(),
      Millis(k.created_at));
}

std::vector<ApiKeyRecord> Active(Session session) {
  return ReadKeys(session.db.Exec(std::string(kKeySelect) + "WHERE revoked_at IS NULL"));
}

std::optional<ApiKeyRecord> FindActiveByHash(Session session, const std::string& key_hash) {
  pg::PgResult r = session.db.Exec(
      std::string(kKeySelect) + "WHERE key_hash = decode($1, 'hex') AND revoked_at IS NULL",
      HexParam(key_hash));
  if (r.rows() == 0) return std::nullopt;
  return ReadKey(r, 0);
}

// One row more than `limit`, as SQLite reads it: the caller's page tells from it whether
// another page follows.
std::vector<ApiKeyRecord> List(Session session, const std::string& project_id,
                               const std::optional<PageCursor>& cursor, int limit) {
  std::optional<int64_t> after_ms;
  std::optional<std::string> after_id;
  if (cursor) {
    after_ms = cursor->created_ms;
    after_id = cursor->id;
  }
  return ReadKeys(session.db.Exec(
      std::string(kKeySelect) +
          "WHERE project_id = $1 AND ($2::bigint IS NULL OR (created_at, id) < ($2, $3::text)) "
          "ORDER BY created_at DESC, id DESC LIMIT $4",
      project_id, after_ms, after_id, limit + 1));
}

std::optional<ApiKeyRecord> Find(Session session, const std::string& project_id,
                                 const std::string& id) {
  pg::PgResult r = session.db.Exec(
      std::string(kKeySelect) + "WHERE project_id = $1 AND id = $2" + session.lock(), project_id,
      id);
  if (r.rows() == 0) return std::nullopt;
  return ReadKey(r, 0);
}

bool Revoke(Session session, const std::string& project_id, const std::string& id, TimePoint now) {
  pg::PgResult r = session.db.Exec(
      "UPDATE api_keys SET revoked_at = $3 WHERE project_id = $1 AND id = $2 AND "
      "revoked_at IS NULL",
      project_id, id, Millis(now));
  return r.affected_rows() > 0;
}

// Counts (key, scope) pairs as SQLite's json_each join does: a key is counted once per
// "admin" entry in its scopes.
int CountOtherAdmins(Session session, const std::string& project_id, const std::string& except_id) {
  pg::PgResult r = session.db.Exec(
      "SELECT COUNT(*) FROM api_keys k CROSS JOIN LATERAL json_array_elements_text("
      "k.scopes::json) AS scope WHERE k.project_id = $1 AND k.id <> $2 AND "
      "k.revoked_at IS NULL AND scope = 'admin'",
      project_id, except_id);
  return static_cast<int>(r.Int64(0, 0));
}

// Every use in one statement. A key noted twice keeps its latest use (SQLite's row-by-row
// updates end the same way), and a stored time is never moved backwards.
void Touch(Session session, const std::vector<std::pair<std::string, TimePoint>>& uses) {
  if (uses.empty()) return;
  std::string ids = ArrayLiteral(uses, [](const auto& use) { return use.first; });
  std::string times =
      ArrayLiteral(uses, [](const auto& use) { return std::to_string(Millis(use.second)); });
  session.db.Exec(
      "UPDATE api_keys k SET last_used_at = u.at FROM (SELECT id, MAX(at) AS at FROM "
      "unnest($1::text[], $2::bigint[]) AS used(id, at) GROUP BY id) u "
      "WHERE k.id = u.id AND (k.last_used_at IS NULL OR k.last_used_at < u.at)",
      ids, times);
}

}  // namespace
}  // namespace key_sql

void RequireActiveKeys(pg::Connection& db, const std::vector<std::string>& key_hashes) {
  std::vector<std::string> hex;
  hex.reserve(key_hashes.size());
  for (const std::string& hash : key_hashes) hex.push_back(HexParam(hash));
  db.Defer("SELECT flare_require_active_keys($1::text[])", TextArray(hex));
}

std::optional<ProjectRecord> PgKeyStore::FindProjectByName(const std::string& name) {
  return key_sql::FindProjectByName(session_, name);
}
std::optional<ProjectRecord> PgKeyStore::FindProjectById(const std::string& id) {
  return key_sql::FindProjectById(session_, id);
}
void PgKeyStore::InsertProject(const ProjectRecord& project) {
  key_sql::InsertProject(session_, project);
}
void PgKeyStore::Insert(const ApiKeyRecord& key) { key_sql::Insert(session_, key); }
std::vector<ApiKeyRecord> PgKeyStore::Active() { return key_sql::Active(session_); }
std::optional<ApiKeyRecord> PgKeyStore::FindActiveByHash(const std::string& key_hash) {
  return key_sql::FindActiveByHash(session_, key_hash);
}
std::vector<ApiKeyRecord> PgKeyStore::List(const std::string& project_id,
                                           const std::optional<PageCursor>& cursor, int limit) {
  return key_sql::List(session_, project_id, cursor, limit);
}
std::optional<ApiKeyRecord> PgKeyStore::Find(const std::string& project_id, const std::string& id) {
  return key_sql::Find(session_, project_id, id);
}
bool PgKeyStore::Revoke(const std::string& project_id, const std::string& id, TimePoint now) {
  return key_sql::Revoke(session_, project_id, id, now);
}
int PgKeyStore::CountOtherAdmins(const std::string& project_id, const std::string& except_id) {
  return key_sql::CountOtherAdmins(session_, project_id, except_id);
}
void PgKeyStore::Touch(const std::vector<std::pair<std::string, TimePoint>>& uses) {
  key_sql::Touch(session_, uses);
}

}  // namespace flare::daemon::postgres

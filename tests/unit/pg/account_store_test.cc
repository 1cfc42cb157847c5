// PgAccountStore against a real PostgreSQL: users and login sessions behave as the
// AccountStore contract (store/account_store.h) and the SQLite store say.

#include "daemon/store/postgres/account_store.h"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>

#include "daemon/store/pg/connection.h"
#include "daemon/store/pg/error.h"
#include "daemon/store/pg/migrations.h"
#include "daemon/store/pg/schema.h"
#include "daemon/store/pg/transaction.h"
#include "tests/testutil/pg_database.h"

namespace flare::daemon::postgres::account_store_test {
namespace {

const TimePoint kT0 = FromMillis(1'700'000'000'000);

// A migrated database and a read-lease store over one session of it.
class PgAccountStoreTest : public ::testing::Test {
 protected:
  PgAccountStoreTest() : db_(database_.uri()) { pg::Migrate(db_, pg::FlareSchema()); }

  PgAccountStore ReadStore() { return PgAccountStore(Session{db_, nullptr}); }

  static UserRecord User(std::string id, std::string email, TimePoint created,
                         std::string project = "prj_1") {
    return {std::move(id), std::move(project), std::move(email), "Ada", "pbkdf2$hash", created};
  }

  static SessionRecord Login(std::string id, std::string token_hash, TimePoint expires) {
    return {std::move(id), "usr_1", "prj_1", std::move(token_hash), kT0, expires};
  }

  pg::testing::TestDatabase database_;
  pg::Connection db_;
};

TEST_F(PgAccountStoreTest, InsertedUserIsFoundByIdWithEveryField) {
  PgAccountStore store = ReadStore();
  store.InsertUser(User("usr_1", "ada@example.com", kT0));
  std::optional<UserRecord> user = store.FindUserById("usr_1");
  ASSERT_TRUE(user);
  EXPECT_EQ(user->id, "usr_1");
  EXPECT_EQ(user->project_id, "prj_1");
  EXPECT_EQ(user->email, "ada@example.com");
  EXPECT_EQ(user->name, "Ada");
  EXPECT_EQ(user->password_hash, "pbkdf2$hash");
  EXPECT_EQ(user->created_at, kT0);
  EXPECT_FALSE(store.FindUserById("usr_unknown"));
}

TEST_F(PgAccountStoreTest, FindUserByEmailIgnoresCase) {
  PgAccountStore store = ReadStore();
  store.InsertUser(User("usr_1", "Ada@Example.com", kT0));
  std::optional<UserRecord> user = store.FindUserByEmail("ada@EXAMPLE.COM");
  ASSERT_TRUE(user);
  EXPECT_EQ(user->id, "usr_1");
  EXPECT_EQ(user->email, "Ada@Example.com") << "the address is kept as it was given";
  EXPECT_FALSE(store.FindUserByEmail("bob@example.com"));
}

TEST_F(PgAccountStoreTest, AnEmailTakenInAnotherCaseIsAUniqueViolation) {
  PgAccountStore store = ReadStore();
  store.InsertUser(User("usr_1", "ada@example.com", kT0));
  try {
    store.InsertUser(User("usr_2", "ADA@example.com", kT0));
    FAIL() << "a second account with the same address was inserted";
  } catch (const pg::PgError& e) {
    EXPECT_TRUE(e.IsUniqueViolation()) << e.sqlstate();
  }
}

TEST_F(PgAccountStoreTest, ProjectOwnerIsItsEarliestUserThenLowestId) {
  PgAccountStore store = ReadStore();
  EXPECT_FALSE(store.FindProjectOwner("prj_1"));
  store.InsertUser(User("usr_c", "c@example.com", kT0 + std::chrono::seconds(1)));
  store.InsertUser(User("usr_b", "b@example.com", kT0));
  store.InsertUser(User("usr_a", "a@example.com", kT0));
  store.InsertUser(User("usr_0", "z@example.com", kT0 - std::chrono::seconds(1), "prj_2"));
  std::optional<UserRecord> owner = store.FindProjectOwner("prj_1");
  ASSERT_TRUE(owner);
  EXPECT_EQ(owner->id, "usr_a");
}

TEST_F(PgAccountStoreTest, SessionKeepsItsRawTokenHashBytes) {
  PgAccountStore store = ReadStore();
  // Every byte value, NUL and 0xff included, as a SHA-256 may hold them.
  std::string hash;
  for (int byte = 0; byte < 32; ++byte) hash.push_back(static_cast<char>(byte * 8 + 7));
  hash[0] = '\0';
  hash[31] = static_cast<char>(0xff);
  store.InsertSession(Login("ses_1", hash, kT0 + std::chrono::hours(1)));
  auto sessions = store.ActiveSessions(kT0);
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(sessions[0].id, "ses_1");
  EXPECT_EQ(sessions[0].user_id, "usr_1");
  EXPECT_EQ(sessions[0].project_id, "prj_1");
  EXPECT_EQ(sessions[0].token_hash, hash);
  EXPECT_EQ(sessions[0].created_at, kT0);
  EXPECT_EQ(sessions[0].expires_at, kT0 + std::chrono::hours(1));
}

TEST_F(PgAccountStoreTest, ActiveSessionsLeaveOutRevokedAndExpiredOnes) {
  PgAccountStore store = ReadStore();
  const TimePoint now = kT0 + std::chrono::minutes(10);
  store.InsertSession(Login("ses_live", std::string(32, 'a'), now + std::chrono::milliseconds(1)));
  store.InsertSession(Login("ses_expiring_now", std::string(32, 'b'), now));
  store.InsertSession(Login("ses_expired", std::string(32, 'c'), now - std::chrono::minutes(1)));
  store.InsertSession(Login("ses_revoked", std::string(32, 'd'), now + std::chrono::hours(1)));
  db_.Exec("UPDATE sessions SET revoked_at = $1 WHERE id = 'ses_revoked'", ToMillis(now));
  auto sessions = store.ActiveSessions(now);
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(sessions[0].id, "ses_live");
}

TEST_F(PgAccountStoreTest, AUserFoundInAWriteTransactionIsLockedUntilItEnds) {
  ReadStore().InsertUser(User("usr_1", "ada@example.com", kT0));
  CounterDeltas counters;
  pg::Transaction transaction(db_);
  PgAccountStore writing(Session{db_, &counters});
  ASSERT_TRUE(writing.FindUserByEmail("ADA@example.com"));
  // NOWAIT: another session fails at once on the held row instead of waiting for it.
  pg::Connection other(database_.uri());
  try {
    other.Exec("SELECT id FROM users WHERE id = 'usr_1' FOR UPDATE NOWAIT");
    FAIL() << "the user row was not locked";
  } catch (const pg::PgError& e) {
    EXPECT_EQ(e.sqlstate(), "55P03");  // lock_not_available
  }
  transaction.Rollback();
  EXPECT_EQ(other.Exec("SELECT id FROM users WHERE id = 'usr_1' FOR UPDATE NOWAIT").rows(), 1);
}

}  // namespace
}  // namespace flare::daemon::postgres::account_store_test

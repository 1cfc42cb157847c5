// The PostgreSQL KeyStore against a real database: projects and API keys come back as
// written (the raw hash byte for byte), and revoking, listing, counting admins and noting
// last uses behave as the contract in store/key_store.h says.

#include "daemon/store/postgres/key_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "daemon/store/counter_deltas.h"
#include "daemon/store/pg/error.h"
#include "daemon/store/pg/migrations.h"
#include "daemon/store/pg/schema.h"
#include "daemon/store/pg/transaction.h"
#include "tests/testutil/pg_database.h"

namespace flare::daemon::postgres::key_store_test {
namespace {

using namespace std::chrono_literals;

const TimePoint kNow = FromMillis(1'700'000'000'123);

// A stand-in SHA-256 of `id` as raw bytes: a NUL first and high bytes after it.
std::string Hash(const std::string& id) {
  std::string hash(32, '\0');
  for (size_t i = 1; i < hash.size(); ++i) {
    hash[i] = static_cast<char>(0x80 | (id[i % id.size()] + static_cast<char>(i)));
  }
  hash[31] = static_cast<char>(id.size());  // ids that repeat a pattern still differ
  return hash;
}

ApiKeyRecord Key(const std::string& id, const std::string& project_id = "p1",
                 TimePoint created_at = kNow, std::vector<std::string> scopes = {"jobs:read"}) {
  ApiKeyRecord k;
  k.id = id;
  k.project_id = project_id;
  k.name = "key " + id;
  k.prefix = "flk_" + id;
  k.key_hash = Hash(id);
  k.scopes = std::move(scopes);
  k.created_at = created_at;
  return k;
}

std::vector<std::string> Ids(const std::vector<ApiKeyRecord>& keys) {
  std::vector<std::string> ids;
  for (const auto& key : keys) ids.push_back(key.id);
  return ids;
}

class PgKeyStoreTest : public ::testing::Test {
 protected:
  PgKeyStoreTest() { pg::Migrate(connection_, pg::FlareSchema()); }

  std::optional<ApiKeyRecord> ActiveKeyWithHash(const std::string& hash) {
    for (ApiKeyRecord& key : store_.Active())
      if (key.key_hash == hash) return key;
    return std::nullopt;
  }

  pg::testing::TestDatabase database_;
  pg::Connection connection_{database_.uri()};
  CounterDeltas counters_;
  PgKeyStore store_{Session{connection_, &counters_}};
};

TEST_F(PgKeyStoreTest, AProjectIsFoundByNameAndById) {
  store_.InsertProject(ProjectRecord{"p1", "acme", {{"retention_days", 7}}, kNow});
  for (auto found : {store_.FindProjectByName("acme"), store_.FindProjectById("p1")}) {
    ASSERT_TRUE(found);
    EXPECT_EQ(found->id, "p1");
    EXPECT_EQ(found->name, "acme");
    EXPECT_EQ(found->settings, (nlohmann::json{{"retention_days", 7}}));
    EXPECT_EQ(found->created_at, kNow);
  }
  EXPECT_FALSE(store_.FindProjectByName("ACME"));
  EXPECT_FALSE(store_.FindProjectById("acme"));
}

TEST_F(PgKeyStoreTest, AKeyComesBackWithEveryFieldAsWritten) {
  ApiKeyRecord key = Key("k1", "p1", kNow, {"admin", "jobs:write"});
  store_.Insert(key);
  auto found = store_.Find("p1", "k1");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, "k1");
  EXPECT_EQ(found->project_id, "p1");
  EXPECT_EQ(found->name, "key k1");
  EXPECT_EQ(found->prefix, "flk_k1");
  EXPECT_EQ(found->key_hash, key.key_hash);
  EXPECT_EQ(found->key_hash.size(), 32u);
  EXPECT_EQ(found->scopes, (std::vector<std::string>{"admin", "jobs:write"}));
  EXPECT_EQ(found->created_at, kNow);
  EXPECT_FALSE(found->revoked_at);
  EXPECT_FALSE(found->last_used_at);
  EXPECT_FALSE(store_.Find("p2", "k1"));
}

TEST_F(PgKeyStoreTest, TheAuthCacheFindsAKeyByItsExactHash) {
  store_.Insert(Key("a"));
  store_.Insert(Key("b"));
  auto found = ActiveKeyWithHash(Hash("b"));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, "b");
  EXPECT_FALSE(ActiveKeyWithHash(Hash("c")));
}

TEST_F(PgKeyStoreTest, TwoKeysCannotShareAHash) {
  store_.Insert(Key("a"));
  ApiKeyRecord clash = Key("a2");
  clash.key_hash = Hash("a");
  try {
    store_.Insert(clash);
    ADD_FAILURE() << "a second key with the same hash was stored";
  } catch (const pg::PgError& e) {
    EXPECT_TRUE(e.IsUniqueViolation()) << e.sqlstate();
  }
}

TEST_F(PgKeyStoreTest, RevokeEndsAKeyOnceAndOnlyInItsProject) {
  store_.Insert(Key("a"));
  store_.Insert(Key("b"));
  EXPECT_FALSE(store_.Revoke("p2", "a", kNow));
  EXPECT_FALSE(store_.Revoke("p1", "nope", kNow));
  EXPECT_TRUE(store_.Revoke("p1", "a", kNow + 1s));
  EXPECT_FALSE(store_.Revoke("p1", "a", kNow + 2s));  // already revoked: the time stays
  EXPECT_EQ(store_.Find("p1", "a")->revoked_at, kNow + 1s);
  EXPECT_EQ(Ids(store_.Active()), std::vector<std::string>{"b"});
}

TEST_F(PgKeyStoreTest, ListPagesNewestFirstAndReadsOneRowMoreThanTheLimit) {
  store_.Insert(Key("a", "p1", kNow));
  store_.Insert(Key("b", "p1", kNow + 1s));
  store_.Insert(Key("c", "p1", kNow + 1s));  // same time as b: the id breaks the tie
  store_.Insert(Key("d", "p1", kNow + 2s));
  store_.Insert(Key("e", "p2", kNow + 3s));
  store_.Revoke("p1", "d", kNow + 4s);  // revoked keys are listed too

  // As SQLite's: limit + 1 rows, so the page knows whether another follows.
  auto first = store_.List("p1", std::nullopt, 2);
  EXPECT_EQ(Ids(first), (std::vector<std::string>{"d", "c", "b"}));
  PageCursor after{ToMillis(kNow + 1s), "c"};
  EXPECT_EQ(Ids(store_.List("p1", after, 2)), (std::vector<std::string>{"b", "a"}));
  EXPECT_TRUE(store_.List("p1", PageCursor{ToMillis(kNow), "a"}, 2).empty());
}

TEST_F(PgKeyStoreTest, CountOtherAdminsCountsActiveAdminKeysOfTheProjectButOne) {
  store_.Insert(Key("me", "p1", kNow, {"admin"}));
  store_.Insert(Key("other", "p1", kNow, {"jobs:read", "admin"}));
  store_.Insert(Key("reader", "p1", kNow, {"jobs:read"}));
  store_.Insert(Key("revoked", "p1", kNow, {"admin"}));
  store_.Insert(Key("foreign", "p2", kNow, {"admin"}));
  store_.Insert(Key("none", "p1", kNow, {}));
  store_.Revoke("p1", "revoked", kNow);

  EXPECT_EQ(store_.CountOtherAdmins("p1", "me"), 1);
  EXPECT_EQ(store_.CountOtherAdmins("p1", "other"), 1);
  EXPECT_EQ(store_.CountOtherAdmins("p1", "reader"), 2);
  store_.Revoke("p1", "other", kNow);
  EXPECT_EQ(store_.CountOtherAdmins("p1", "me"), 0);
}

TEST_F(PgKeyStoreTest, TouchNotesLastUsesAndNeverMovesOneBackwards) {
  store_.Insert(Key("a"));
  store_.Insert(Key("b"));
  store_.Insert(Key("c"));
  store_.Touch({});  // nothing noted: nothing sent
  store_.Touch({{"a", kNow + 5s}, {"b", kNow + 1s}, {"b", kNow + 3s}, {"unknown", kNow}});
  EXPECT_EQ(store_.Find("p1", "a")->last_used_at, kNow + 5s);
  EXPECT_EQ(store_.Find("p1", "b")->last_used_at, kNow + 3s);  // the latest of the two
  EXPECT_FALSE(store_.Find("p1", "c")->last_used_at);

  store_.Touch({{"a", kNow + 2s}, {"b", kNow + 4s}});
  EXPECT_EQ(store_.Find("p1", "a")->last_used_at, kNow + 5s);  // older: kept
  EXPECT_EQ(store_.Find("p1", "b")->last_used_at, kNow + 4s);
}

TEST_F(PgKeyStoreTest, TouchTakesIdsAsValuesNeverSql) {
  const std::string odd = "k\"1\\,}{ '; DROP TABLE api_keys; --";
  store_.Insert(Key(odd));
  store_.Touch({{odd, kNow + 1s}});
  EXPECT_EQ(store_.Find("p1", odd)->last_used_at, kNow + 1s);
}

TEST_F(PgKeyStoreTest, FindInAWriteTransactionLocksTheKeyUntilItEnds) {
  store_.Insert(Key("a"));
  pg::Transaction writing(connection_);
  ASSERT_TRUE(store_.Find("p1", "a"));

  pg::Connection other_db(database_.uri());
  PgKeyStore reader(Session{other_db, nullptr});
  EXPECT_TRUE(reader.Find("p1", "a"));  // a read lease takes no lock

  CounterDeltas other_counters;
  PgKeyStore other_writer(Session{other_db, &other_counters});
  pg::Transaction other(other_db);
  other_db.Exec("SET LOCAL lock_timeout = '200ms'");
  try {
    other_writer.Find("p1", "a");
    ADD_FAILURE() << "the second writer read a key the first one holds";
  } catch (const pg::PgError& e) {
    EXPECT_EQ(e.sqlstate(), "55P03");  // lock_not_available
  }
}

TEST_F(PgKeyStoreTest, AWriteRequiringKeysCommitsOnlyWhileEveryOneIsActive) {
  store_.Insert(Key("a"));
  store_.Insert(Key("b"));
  auto project_stored = [&](const std::string& id) {
    return connection_.Exec("SELECT count(*) FROM projects WHERE id = $1", id).Int64(0, 0) == 1;
  };
  auto write_requiring = [&](const std::string& project_id, std::vector<std::string> hashes) {
    pg::Transaction writing(connection_);
    RequireActiveKeys(connection_, hashes);  // queued: it cannot fail before the commit
    connection_.Defer(
        "INSERT INTO projects (id, name, settings, created_at) VALUES ($1, $1, '{}', 0)",
        project_id);
    writing.Commit();
  };

  write_requiring("both_active", {Hash("a"), Hash("b"), Hash("a")});  // a key twice counts once
  EXPECT_TRUE(project_stored("both_active"));

  ASSERT_TRUE(store_.Revoke("p1", "b", kNow));
  for (const auto& hashes : std::vector<std::vector<std::string>>{
           {Hash("a"), Hash("b")}, {Hash("b")}, {Hash("a"), Hash("never stored")}}) {
    try {
      write_requiring("refused", hashes);
      ADD_FAILURE() << "a write requiring a revoked or unknown key committed";
    } catch (const pg::PgError& e) {
      EXPECT_EQ(e.sqlstate(), kRevokedKeySqlstate);
    }
    EXPECT_FALSE(project_stored("refused"));
  }
  write_requiring("a_alone", {Hash("a")});
  EXPECT_TRUE(project_stored("a_alone"));
}

}  // namespace
}  // namespace flare::daemon::postgres::key_store_test

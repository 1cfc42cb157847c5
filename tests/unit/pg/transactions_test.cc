// PgTransactions' group commit: operations that arrive while every leader is busy share one
// transaction; one that fails in a group leaves the others committed and answers exactly as
// it would have alone.

#include "daemon/store/postgres/transactions.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "daemon/store/job_store.h"
#include "daemon/store/pg/migrations.h"
#include "daemon/store/pg/schema.h"
#include "tests/testutil/pg_database.h"

namespace flare::daemon::postgres {
namespace {

using namespace std::chrono_literals;

class PgTransactionsTest : public ::testing::Test {
 protected:
  PgTransactionsTest()
      : admin_(database_.uri()), pool_(database_.uri(), 16), writer_(pool_, clock_) {
    pg::Migrate(admin_, pg::FlareSchema());
  }

  // An operation that writes one row (an idempotency key), may hold its leader for a while,
  // and may refuse after writing: a refused operation must leave nothing behind.
  Result<int> WriteKey(const std::string& key, bool refuse = false,
                       std::chrono::milliseconds hold = 0ms, Sync sync = Sync::kDurable) {
    return writer_.RunAs<int>(sync, [&](Tx& tx) -> Result<int> {
      tx.jobs().InsertIdempotencyKey("proj", key, {"hash", "job_" + key, "{}"}, tx.now());
      if (hold > 0ms) std::this_thread::sleep_for(hold);
      if (refuse) return Error{ErrorCode::kConflict, "refused after writing"};
      return static_cast<int>(key.size());
    });
  }

  bool Stored(const std::string& key) {
    return admin_.Exec("SELECT count(*) FROM idempotency_keys WHERE key = $1", key).Int64(0, 0) ==
           1;
  }

  // Starts kMaxLeaders operations that hold their leader for a while (the first leads; the
  // durable ones after it wait for its group to end), then runs `queued` from as many threads
  // while they hold: those queue up behind them.
  void BehindBusyLeaders(int queued, const std::function<void(int)>& operation) {
    std::vector<std::thread> threads;
    for (int i = 0; i < PgTransactions::kMaxLeaders; ++i) {
      threads.emplace_back(
          [&, i] { EXPECT_TRUE(WriteKey("slow" + std::to_string(i), false, 400ms).ok()); });
    }
    std::this_thread::sleep_for(100ms);
    for (int i = 0; i < queued; ++i) threads.emplace_back([&, i] { operation(i); });
    for (std::thread& thread : threads) thread.join();
  }

  SystemClock clock_;
  pg::testing::TestDatabase database_;
  pg::Connection admin_;
  pg::Pool pool_;
  PgTransactions writer_;
};

TEST_F(PgTransactionsTest, OperationsQueuedBehindBusyLeadersShareOneCommit) {
  std::atomic<int> answered{0};
  BehindBusyLeaders(12, [&](int i) {
    Result<int> result = WriteKey("k" + std::to_string(i));
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(*result, static_cast<int>(("k" + std::to_string(i)).size()));
    ++answered;
  });
  EXPECT_EQ(answered, 12);
  for (int i = 0; i < 12; ++i) EXPECT_TRUE(Stored("k" + std::to_string(i))) << i;
  // 15 operations; fewer transactions, since the queued ones shared them.
  const BoundedHistogram& groups = writer_.stats().group_size;
  uint64_t transactions = groups.Cumulative().back();
  EXPECT_EQ(groups.sum(), 15);
  EXPECT_LT(transactions, 15u) << "no operation shared a commit";
}

TEST_F(PgTransactionsTest, MoreOperationsThanAGroupHoldsGoInSeveralGroupsAndAllAreAnswered) {
  // Queued behind busy leaders, more than kMaxGroup: when the leaders finish, the queue fills
  // several groups, and every one of them must still find a leader (a lost wake-up hangs).
  constexpr int kQueued = static_cast<int>(PgTransactions::kMaxGroup) * 2 + 10;
  std::atomic<int> answered{0};
  BehindBusyLeaders(kQueued, [&](int i) {
    EXPECT_TRUE(WriteKey("k" + std::to_string(i)).ok());
    ++answered;
  });
  EXPECT_EQ(answered, kQueued);
  for (int i = 0; i < kQueued; ++i) EXPECT_TRUE(Stored("k" + std::to_string(i))) << i;
  const BoundedHistogram& groups = writer_.stats().group_size;
  EXPECT_EQ(groups.sum(), kQueued + PgTransactions::kMaxLeaders);
}

TEST_F(PgTransactionsTest, ARefusedOperationInAGroupRollsBackAloneAndTheOthersCommit) {
  std::atomic<int> refused{0};
  BehindBusyLeaders(10, [&](int i) {
    Result<int> result = WriteKey("k" + std::to_string(i), /*refuse=*/i == 4);
    if (i == 4) {
      ASSERT_FALSE(result.ok());
      EXPECT_EQ(result.error().code, ErrorCode::kConflict);
      ++refused;
    } else {
      EXPECT_TRUE(result.ok());
    }
  });
  EXPECT_EQ(refused, 1);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(Stored("k" + std::to_string(i)), i != 4) << i;
}

TEST_F(PgTransactionsTest, AnOperationThatBreaksAStatementInAGroupFailsAloneAndTheOthersCommit) {
  ASSERT_TRUE(WriteKey("taken").ok());
  std::atomic<int> failed{0};
  BehindBusyLeaders(8, [&](int i) {
    // The duplicate key fails only when the group's writes reach the server.
    Result<int> result = WriteKey(i == 3 ? std::string("taken") : "k" + std::to_string(i));
    if (i == 3) {
      EXPECT_FALSE(result.ok());
      ++failed;
    } else {
      EXPECT_TRUE(result.ok());
    }
  });
  EXPECT_EQ(failed, 1);
  for (int i = 0; i < 8; ++i) {
    if (i != 3) {
      EXPECT_TRUE(Stored("k" + std::to_string(i))) << i;
    }
  }
}

TEST_F(PgTransactionsTest, AnOperationWhoseKeyWasRevokedFailsWith401AndTheOthersInItsGroupCommit) {
  // Raw hashes as the auth cache keeps them (0x11 and 0x22, 32 bytes each); one revoked.
  const std::string active(32, '\x11'), revoked(32, '\x22');
  const char* kInsertKey =
      "INSERT INTO api_keys (id, project_id, name, prefix, key_hash, scopes, created_at, "
      "revoked_at) VALUES ($1, 'proj', $1, $1, decode($2, 'hex'), '[]', 0, $3)";
  admin_.Exec(kInsertKey, "key_active", std::string(64, '1'), std::optional<int64_t>());
  admin_.Exec(kInsertKey, "key_revoked", std::string(64, '2'), std::optional<int64_t>(1));
  std::vector<std::unique_ptr<KeyToConfirm>> keys;
  for (int i = 0; i < 8; ++i) {
    keys.push_back(std::make_unique<KeyToConfirm>());
    keys.back()->key_hash = i == 5 ? revoked : active;
  }
  std::atomic<int> unauthorized{0};
  BehindBusyLeaders(8, [&](int i) {
    SetKeyToConfirmOfThisThread(keys[i].get());
    Result<int> result = WriteKey("k" + std::to_string(i));
    SetKeyToConfirmOfThisThread(nullptr);
    if (i == 5) {
      ASSERT_FALSE(result.ok());
      EXPECT_EQ(result.error().code, ErrorCode::kUnauthorized);
      ++unauthorized;
    } else {
      EXPECT_TRUE(result.ok()) << i;
    }
  });
  EXPECT_EQ(unauthorized, 1);
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(Stored("k" + std::to_string(i)), i != 5) << i;
    EXPECT_EQ(keys[i]->confirmed.load(), i != 5) << i;
    EXPECT_EQ(keys[i]->refused.load(), i == 5) << i;
  }
}

TEST_F(PgTransactionsTest, DurableOperationsArrivingDuringADurableGroupShareTheNextCommit) {
  std::thread slow([&] { EXPECT_TRUE(WriteKey("slow", false, 1000ms).ok()); });
  std::this_thread::sleep_for(100ms);
  std::vector<std::thread> queued;
  for (int i = 0; i < 6; ++i)
    queued.emplace_back([&, i] { EXPECT_TRUE(WriteKey("k" + std::to_string(i)).ok()); });
  for (std::thread& thread : queued) thread.join();
  slow.join();
  for (int i = 0; i < 6; ++i) EXPECT_TRUE(Stored("k" + std::to_string(i))) << i;
  // With a durable group running, the six could not lead groups of their own (that split
  // them into more commits, each with its own flush): they went together, after it.
  const BoundedHistogram& groups = writer_.stats().group_size;
  EXPECT_EQ(groups.sum(), 7);
  EXPECT_EQ(groups.Cumulative().back(), 2u) << "the durable operations did not share a commit";
}

TEST_F(PgTransactionsTest, ARelaxedOperationDoesNotWaitForARunningDurableGroup) {
  std::atomic<bool> durable_done{false};
  std::thread slow([&] {
    EXPECT_TRUE(WriteKey("slow", false, 1500ms).ok());
    durable_done = true;
  });
  std::this_thread::sleep_for(100ms);
  EXPECT_TRUE(WriteKey("relaxed", false, 0ms, Sync::kRelaxed).ok());
  EXPECT_FALSE(durable_done) << "the relaxed operation waited for the durable group";
  EXPECT_TRUE(Stored("relaxed"));
  slow.join();
}

}  // namespace
}  // namespace flare::daemon::postgres

// Claims with SELECT … FOR UPDATE SKIP LOCKED: sessions claiming at the same time get
// disjoint rows instead of waiting on each other or taking the same job twice. This is the
// query shape the PostgreSQL job store will claim with.

#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "daemon/store/pg/connection.h"
#include "daemon/store/pg/transaction.h"
#include "tests/testutil/pg_database.h"

namespace flare::daemon::pg {
namespace {

constexpr const char* kClaimSql =
    "SELECT id FROM queue WHERE claimed_by IS NULL ORDER BY id FOR UPDATE SKIP LOCKED LIMIT $1";

void FillQueue(Connection& connection, int rows) {
  connection.Exec("CREATE TABLE queue (id bigint PRIMARY KEY, claimed_by int)");
  connection.Exec("INSERT INTO queue SELECT g, NULL FROM generate_series(1, $1) g", rows);
}

std::vector<int64_t> Ids(const PgResult& result) {
  std::vector<int64_t> ids;
  for (int row = 0; row < result.rows(); ++row) ids.push_back(result.Int64(row, "id"));
  return ids;
}

TEST(PgClaim, TwoSessionsClaimingAtOnceGetDisjointRows) {
  testing::TestDatabase db;
  Connection first(db.uri()), second(db.uri());
  FillQueue(first, 20);
  Transaction first_claim(first);
  std::vector<int64_t> first_ids = Ids(first.Exec(kClaimSql, 5));
  // The first transaction still holds its row locks: the second skips them, without waiting.
  Transaction second_claim(second);
  std::vector<int64_t> second_ids = Ids(second.Exec(kClaimSql, 5));
  ASSERT_EQ(first_ids.size(), 5u);
  ASSERT_EQ(second_ids.size(), 5u);
  for (int64_t id : first_ids) {
    EXPECT_EQ(std::count(second_ids.begin(), second_ids.end(), id), 0) << "row " << id;
  }
}

TEST(PgClaim, ConcurrentClaimersDrainTheQueueEachRowOnce) {
  testing::TestDatabase db;
  constexpr int kRows = 200, kClaimers = 4, kBatch = 7;
  {
    Connection setup(db.uri());
    FillQueue(setup, kRows);
  }
  std::mutex mutex;
  std::vector<int64_t> claimed;
  std::vector<std::thread> threads;
  for (int worker = 1; worker <= kClaimers; ++worker) {
    threads.emplace_back([&, worker] {
      Connection connection(db.uri());
      for (int round = 0; round < kRows; ++round) {  // bounded: a round claims >= 1 or stops
        Transaction transaction(connection);
        std::vector<int64_t> ids = Ids(connection.Exec(kClaimSql, kBatch));
        if (ids.empty()) return;
        for (int64_t id : ids) {
          connection.Exec("UPDATE queue SET claimed_by = $1 WHERE id = $2", worker, id);
        }
        transaction.Commit();
        std::lock_guard lock(mutex);
        claimed.insert(claimed.end(), ids.begin(), ids.end());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::set<int64_t> distinct(claimed.begin(), claimed.end());
  EXPECT_EQ(claimed.size(), static_cast<size_t>(kRows)) << "a row was claimed twice or lost";
  EXPECT_EQ(distinct.size(), static_cast<size_t>(kRows));
}

}  // namespace
}  // namespace flare::daemon::pg

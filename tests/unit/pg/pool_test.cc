// The pool bounds the sessions flared opens, makes callers wait (up to their timeout) when
// all are leased, and replaces a session the server killed.

#include "daemon/store/pg/pool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "daemon/store/pg/error.h"
#include "tests/testutil/pg_database.h"

namespace flare::daemon::pg {
namespace {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

// Client sessions the server has open on the test's database (the pool's, the one asking
// among them). Only client backends: an autovacuum worker visiting the fresh database also
// carries its name in pg_stat_activity, and once made this count 4 against a limit of 3.
int64_t ServerSessions(Connection& connection) {
  return connection
      .Exec(
          "SELECT count(*) FROM pg_stat_activity"
          " WHERE datname = current_database() AND backend_type = 'client backend'")
      .Int64(0, 0);
}

void RaiseTo(std::atomic<int64_t>& maximum, int64_t value) {
  int64_t seen = maximum.load();
  while (value > seen && !maximum.compare_exchange_weak(seen, value)) {
  }
}

// Waits (bounded) until backend `pid` has exited and closed its socket.
bool BackendGone(Connection& admin, int pid) {
  for (int i = 0; i < 250; ++i) {  // 5 s at most
    if (admin.Exec("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid).Int64(0, 0) == 0) {
      // The backend leaves pg_stat_activity in its exit hooks, a moment before the process
      // ends and its socket closes; until then its client cannot see that it is gone.
      std::this_thread::sleep_for(milliseconds(500));
      return true;
    }
    std::this_thread::sleep_for(milliseconds(20));
  }
  return false;
}

TEST(PgPool, NeverOpensMoreThanItsLimitUnderEightThreads) {
  testing::TestDatabase db;
  constexpr size_t kLimit = 3;
  constexpr int kThreads = 8, kEach = 25;
  Pool pool(db.uri(), kLimit);
  std::atomic<int64_t> leased{0}, most_leased{0}, most_on_server{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        auto lease = pool.Acquire(milliseconds(10'000));
        if (!lease) {
          ++failures;
          return;
        }
        RaiseTo(most_leased, ++leased);
        RaiseTo(most_on_server, ServerSessions(**lease));
        (*lease)->Exec("SELECT pg_sleep(0.001)");
        --leased;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0) << "an Acquire timed out after 10 s";
  EXPECT_LE(most_leased.load(), static_cast<int64_t>(kLimit));
  EXPECT_LE(most_on_server.load(), static_cast<int64_t>(kLimit));
  EXPECT_LE(pool.open(), kLimit);
  std::printf("pool: at most %lld leased, %lld sessions on the server (limit %zu)\n",
              static_cast<long long>(most_leased.load()),
              static_cast<long long>(most_on_server.load()), kLimit);
}

TEST(PgPool, AcquireTimesOutWhenExhaustedAndWakesWhenALeaseEnds) {
  testing::TestDatabase db;
  Pool pool(db.uri(), 1);
  auto held = pool.Acquire(milliseconds(5'000));
  ASSERT_TRUE(held);

  auto start = SteadyClock::now();
  EXPECT_FALSE(pool.Acquire(milliseconds(150)));
  auto waited = SteadyClock::now() - start;
  EXPECT_GE(waited, milliseconds(150));
  EXPECT_LT(waited, milliseconds(2'000));

  std::thread releaser([&] {
    std::this_thread::sleep_for(milliseconds(200));
    held.reset();
  });
  start = SteadyClock::now();
  auto next = pool.Acquire(milliseconds(5'000));
  waited = SteadyClock::now() - start;
  releaser.join();
  ASSERT_TRUE(next) << "not woken when the lease ended";
  EXPECT_GE(waited, milliseconds(100));
  EXPECT_EQ((*next)->Exec("SELECT 1").Int64(0, 0), 1);
}

TEST(PgPool, ASessionTheServerTerminatedIsReplaced) {
  testing::TestDatabase db;
  Connection admin(db.cluster_uri());
  Pool pool(db.uri(), 1);
  int first_pid = 0;
  {
    auto lease = pool.Acquire(milliseconds(5'000));
    ASSERT_TRUE(lease);
    first_pid = (*lease)->BackendPid();
  }
  // Killed while idle in the pool: the next Acquire must not hand out the dead session.
  admin.Exec("SELECT pg_terminate_backend($1)", first_pid);
  ASSERT_TRUE(BackendGone(admin, first_pid));
  int second_pid = 0;
  {
    auto lease = pool.Acquire(milliseconds(5'000));
    ASSERT_TRUE(lease) << "the dead session still counted against the limit";
    EXPECT_EQ((*lease)->Exec("SELECT 1").Int64(0, 0), 1);
    second_pid = (*lease)->BackendPid();
    EXPECT_NE(second_pid, first_pid);

    // Killed while leased: the user sees a lost connection, the pool drops the session.
    admin.Exec("SELECT pg_terminate_backend($1)", second_pid);
    ASSERT_TRUE(BackendGone(admin, second_pid));
    try {
      (*lease)->Exec("SELECT 1");
      FAIL() << "a terminated session still answered";
    } catch (const PgError& error) {
      EXPECT_TRUE(error.IsConnectionLost()) << error.sqlstate() << " " << error.what();
    }
  }
  auto lease = pool.Acquire(milliseconds(5'000));
  ASSERT_TRUE(lease);
  EXPECT_EQ((*lease)->Exec("SELECT 1").Int64(0, 0), 1);
  EXPECT_NE((*lease)->BackendPid(), second_pid);
  EXPECT_EQ(pool.open(), 1u);
}

}  // namespace
}  // namespace flare::daemon::pg

// LISTEN/NOTIFY wake-ups between sessions (between flared nodes, later): a committed
// NOTIFY wakes the listener within a bounded time, a rolled-back one never arrives.

#include <gtest/gtest.h>

#include <cstdio>
#include <thread>

#include "daemon/store/pg/connection.h"
#include "daemon/store/pg/transaction.h"
#include "tests/testutil/pg_database.h"

namespace flare::daemon::pg {
namespace {

using std::chrono::milliseconds;
using NotifyClock = std::chrono::steady_clock;

TEST(PgNotify, AListenerIsWokenByANotifyCommittedOnAnotherSession) {
  testing::TestDatabase db;
  Connection listener(db.uri()), sender(db.uri());
  listener.Listen("jobs ready");  // a name that needs quoting
  NotifyClock::time_point committed_at;
  std::thread send([&] {
    std::this_thread::sleep_for(milliseconds(100));  // the listener is already waiting
    Transaction transaction(sender);
    sender.Notify("jobs ready", "job-42");
    committed_at = NotifyClock::now();
    transaction.Commit();
  });
  auto notification = listener.WaitForNotification(milliseconds(5'000));
  auto woken_at = NotifyClock::now();
  send.join();
  ASSERT_TRUE(notification) << "no NOTIFY within 5 s";
  EXPECT_EQ(notification->channel, "jobs ready");
  EXPECT_EQ(notification->payload, "job-42");
  EXPECT_EQ(notification->sender_pid, sender.BackendPid());
  auto latency = std::chrono::duration_cast<std::chrono::microseconds>(woken_at - committed_at);
  std::printf("NOTIFY latency, commit to wake-up: %lld us\n",
              static_cast<long long>(latency.count()));
  EXPECT_LT(latency, milliseconds(1'000));
}

TEST(PgNotify, ANotifyInARolledBackTransactionNeverArrives) {
  testing::TestDatabase db;
  Connection listener(db.uri()), sender(db.uri());
  listener.Listen("wake");
  {
    Transaction transaction(sender);
    sender.Notify("wake", "rolled back");
  }  // destroyed uncommitted
  // A committed marker after it: notifications arrive in commit order, so if the rolled-back
  // one were ever delivered it would come first.
  sender.Notify("wake", "marker");
  auto first = listener.WaitForNotification(milliseconds(5'000));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->payload, "marker");
  EXPECT_FALSE(listener.WaitForNotification(milliseconds(200)));
}

TEST(PgNotify, WaitingWithNothingSentReturnsEmptyAtTheTimeout) {
  testing::TestDatabase db;
  Connection listener(db.uri());
  listener.Listen("quiet");
  auto start = NotifyClock::now();
  EXPECT_FALSE(listener.WaitForNotification(milliseconds(150)));
  auto waited = NotifyClock::now() - start;
  EXPECT_GE(waited, milliseconds(150));
  EXPECT_LT(waited, milliseconds(1'500));
}

}  // namespace
}  // namespace flare::daemon::pg

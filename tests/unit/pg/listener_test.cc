// The node's wake-up listener (store/pg/listener.h): it hands on what other sessions
// notify, resyncs after every (re)connection and on its safety interval, comes back after
// its session is killed, and stops at once.

#include "daemon/store/pg/listener.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <vector>

#include "tests/testutil/flared_process.h"
#include "tests/testutil/pg_database.h"

namespace flare::daemon::pg {
namespace {

using namespace std::chrono_literals;

// What the listener handed over, for the test thread to wait on.
class Heard {
 public:
  void Add(const Notification& n) {
    std::lock_guard lock(mutex_);
    payloads_.push_back(n.channel + ":" + n.payload);
  }
  void Resynced() { ++resyncs_; }
  std::vector<std::string> payloads() {
    std::lock_guard lock(mutex_);
    return payloads_;
  }
  int resyncs() const { return resyncs_.load(); }

 private:
  std::mutex mutex_;
  std::vector<std::string> payloads_;
  std::atomic<int> resyncs_{0};
};

class PgListenerTest : public ::testing::Test {
 protected:
  std::unique_ptr<Listener> Make(std::chrono::milliseconds safety = 60s) {
    ListenerOptions options{db_.uri(), {"flare_ready", "flare_timer"}, safety, 20ms, 200ms};
    return std::make_unique<Listener>(
        options, [this](const Notification& n) { heard_.Add(n); }, [this] { heard_.Resynced(); });
  }
  bool Hears(const std::string& what) {
    return flare::testing::WaitFor(
        [&] {
          for (const auto& p : heard_.payloads())
            if (p == what) return true;
          return false;
        },
        5s);
  }

  testing::TestDatabase db_;
  Heard heard_;
};

TEST_F(PgListenerTest, HandsOnWhatAnotherSessionNotifiesOnItsChannelsOnly) {
  auto listener = Make();
  listener->Start();
  ASSERT_TRUE(flare::testing::WaitFor([&] { return heard_.resyncs() == 1; }, 5s))
      << "the first connection resyncs";
  Connection sender(db_.uri());
  sender.Notify("flare_other", "not ours");
  sender.Notify("flare_ready", "prj_1/emails");
  sender.Notify("flare_timer", "");
  EXPECT_TRUE(Hears("flare_ready:prj_1/emails"));
  EXPECT_TRUE(Hears("flare_timer:"));
  listener->Stop();
  for (const auto& p : heard_.payloads()) EXPECT_NE(p, "flare_other:not ours");
}

TEST_F(PgListenerTest, AKilledSessionIsReplacedAndResyncedAndHearsAgain) {
  auto listener = Make();
  listener->Start();
  ASSERT_TRUE(flare::testing::WaitFor([&] { return listener->backend_pid() != 0; }, 5s));
  int first_pid = listener->backend_pid();
  Connection admin(db_.uri());
  admin.Exec("SELECT pg_terminate_backend($1)", first_pid);
  ASSERT_TRUE(flare::testing::WaitFor(
      [&] { return listener->connections() == 2 && listener->backend_pid() != 0; }, 5s));
  EXPECT_NE(listener->backend_pid(), first_pid);
  // Whatever was notified while no session listened is lost: the resync covers it.
  EXPECT_TRUE(flare::testing::WaitFor([&] { return heard_.resyncs() >= 2; }, 5s));
  admin.Notify("flare_ready", "after");
  EXPECT_TRUE(Hears("flare_ready:after"));
}

TEST_F(PgListenerTest, ResyncsOnItsSafetyIntervalWhenNothingArrives) {
  auto listener = Make(100ms);
  listener->Start();
  EXPECT_TRUE(flare::testing::WaitFor([&] { return heard_.resyncs() >= 4; }, 5s));
  listener->Stop();
  int after_stop = heard_.resyncs();
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(heard_.resyncs(), after_stop) << "no callback after Stop";
}

TEST_F(PgListenerTest, StopsAtOnceWhileWaiting) {
  auto listener = Make(60s);
  listener->Start();
  ASSERT_TRUE(flare::testing::WaitFor([&] { return heard_.resyncs() == 1; }, 5s));
  auto began = std::chrono::steady_clock::now();
  listener->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - began, 500ms);
}

TEST_F(PgListenerTest, RetriesABadAddressWithoutSpinningAndStops) {
  ListenerOptions options{
      "postgresql://flare@127.0.0.1:1/none?connect_timeout=1", {"c"}, 60s, 20ms, 200ms};
  Listener listener(
      options, [](const Notification&) {}, [] {});
  listener.Start();
  std::this_thread::sleep_for(300ms);
  auto began = std::chrono::steady_clock::now();
  listener.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - began, 1500ms);
  EXPECT_EQ(listener.connections(), 0);
}

}  // namespace
}  // namespace flare::daemon::pg

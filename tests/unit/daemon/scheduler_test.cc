// The scheduler thread's decisions on a fake clock, with scripted timer and retention passes:
// what runs at each pass and when the next wake is. The threaded tests check the loop waits
// on that decision (no spin) and that WakeAt and Stop reach a waiting thread.

#include "daemon/engines/scheduler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "daemon/log.h"
#include "tests/testutil/fake_clock.h"
#include "tests/testutil/test_time.h"

namespace flare::daemon {
namespace {

using namespace std::chrono_literals;
using testing::At;

// Before the wall clock's "now", far: a loop that waited on the wall clock would find every
// due time of these tests long past and run at once.
const TimePoint kStart = At("2020-01-01T00:00:00Z");

// A pass that answers what the test scripted and counts its calls. Thread-safe, so the
// threaded tests wait for a call with a deadline.
template <typename Outcome>
class ScriptedPass {
 public:
  /// What every later call answers (by default: done, nothing due).
  void Answer(Result<Outcome> answer) {
    std::lock_guard lock(mutex_);
    answer_ = std::move(answer);
  }
  int calls() const {
    std::lock_guard lock(mutex_);
    return calls_;
  }
  /// Whether `n` calls were made within `timeout`.
  bool WaitForCalls(int n, std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lock(mutex_);
    return called_.wait_for(lock, timeout, [&] { return calls_ >= n; });
  }

 protected:
  Result<Outcome> Take() {
    std::lock_guard lock(mutex_);
    ++calls_;
    called_.notify_all();
    return answer_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable called_;
  Result<Outcome> answer_ = Outcome{};
  int calls_ = 0;
};

class ScriptedTimer final : public DueProcessor, public ScriptedPass<DueOutcome> {
 public:
  Result<DueOutcome> ProcessDue() override { return Take(); }
};

class ScriptedRetention final : public RetentionPruner, public ScriptedPass<RetentionOutcome> {
 public:
  Result<RetentionOutcome> PruneSlice() override { return Take(); }
};

// The fake clock, counting its reads: a loop that spins reads it thousands of times a second.
class CountingClock final : public Clock {
 public:
  explicit CountingClock(const Clock& clock) : clock_(clock) {}
  TimePoint Now() const override {
    ++reads_;
    return clock_.Now();
  }
  int reads() const { return reads_; }

 private:
  const Clock& clock_;
  mutable std::atomic<int> reads_ = 0;
};

DueOutcome DueAt(TimePoint t) {
  DueOutcome outcome;
  outcome.next_due = t;
  return outcome;
}

class SchedulerTest : public ::testing::Test {
 protected:
  // Error logs (the failed passes) are expected; anything worse would still show.
  SchedulerTest() { ConfigureLog(LogFormat::kText, LogLevel::kError); }

  /// One pass at the fake clock's now; the next wake it asks for.
  OptTime Pass() { return scheduler_.RunDue(clock_.Now()); }

  /// Whether the thread, once it waits, stays asleep: a spinning loop would read the clock.
  bool StaysAsleep(const CountingClock& clock) {
    // Not a wait for a condition: a window in which a loop that spins would show.
    std::this_thread::sleep_for(100ms);
    return clock.reads() < 10;  // a pass and its wait read it twice
  }

  testing::FakeClock clock_{kStart};
  CountingClock counted_{clock_};  // what the scheduler reads
  ScriptedTimer timer_;
  ScriptedRetention retention_;
  std::atomic<int> hourly_calls_ = 0;
  Scheduler scheduler_{counted_, timer_, retention_, [this] { ++hourly_calls_; }};
};

TEST_F(SchedulerTest, FirstPassRunsTimerRetentionAndHourlyOnceForWorkOverdueAtStart) {
  EXPECT_EQ(Pass(), kStart + 1h);  // only the hourly chore has a next time
  EXPECT_EQ(timer_.calls(), 1);
  EXPECT_EQ(retention_.calls(), 1);
  EXPECT_EQ(hourly_calls_.load(), 1);
  EXPECT_EQ(Pass(), kStart + 1h);  // a second look at the same time runs nothing
  EXPECT_EQ(timer_.calls(), 1);
  EXPECT_EQ(retention_.calls(), 1);
  EXPECT_EQ(hourly_calls_.load(), 1);
}

TEST_F(SchedulerTest, NothingDueAsksForNoWakeUntilWakeAtSaysSomethingIs) {
  Scheduler without_hourly(clock_, timer_, retention_);
  EXPECT_EQ(without_hourly.RunDue(clock_.Now()), std::nullopt);  // the loop waits unbounded
  without_hourly.WakeAt(kStart + 5s);
  EXPECT_EQ(without_hourly.RunDue(clock_.Now()), kStart + 5s);
  EXPECT_EQ(timer_.calls(), 1);
  clock_.Advance(5s);
  EXPECT_EQ(without_hourly.RunDue(clock_.Now()), std::nullopt);
  EXPECT_EQ(timer_.calls(), 2);
  EXPECT_EQ(retention_.calls(), 1);  // WakeAt is the timer's alone
}

TEST_F(SchedulerTest, TimerRunsAtItsNextDueTimeAndNotBefore) {
  timer_.Answer(DueAt(kStart + 10s));
  EXPECT_EQ(Pass(), kStart + 10s);
  clock_.Advance(9'999ms);
  EXPECT_EQ(Pass(), kStart + 10s);
  EXPECT_EQ(timer_.calls(), 1);
  clock_.Advance(1ms);
  timer_.Answer(DueOutcome{});
  EXPECT_EQ(Pass(), kStart + 1h);
  EXPECT_EQ(timer_.calls(), 2);
}

TEST_F(SchedulerTest, WakeAtAnEarlierTimeMovesTheWakeEarlierALaterOneDoesNot) {
  timer_.Answer(DueAt(kStart + 10s));
  ASSERT_EQ(Pass(), kStart + 10s);
  scheduler_.WakeAt(kStart + 20s);
  EXPECT_EQ(Pass(), kStart + 10s);
  scheduler_.WakeAt(kStart + 4s);
  EXPECT_EQ(Pass(), kStart + 4s);
  EXPECT_EQ(timer_.calls(), 1);
  clock_.Advance(4s);
  Pass();
  EXPECT_EQ(timer_.calls(), 2);
}

TEST_F(SchedulerTest, WakeAtAPastTimeRunsTheTimerAtTheNextPass) {
  Pass();
  scheduler_.WakeAt(kStart - 1s);  // a commit's due time the clock already passed
  EXPECT_EQ(Pass(), kStart + 1h);
  EXPECT_EQ(timer_.calls(), 2);
}

TEST_F(SchedulerTest, BatchLimitHitRunsTheTimerAgainAtOnce) {
  DueOutcome more = DueAt(kStart + 10s);
  more.more = true;
  timer_.Answer(more);
  OptTime due = Pass();
  ASSERT_TRUE(due);
  EXPECT_LE(*due, clock_.Now());
  Pass();  // the clock has not moved
  EXPECT_EQ(timer_.calls(), 2);
  timer_.Answer(DueAt(kStart + 10s));  // the backlog is done
  EXPECT_EQ(Pass(), kStart + 10s);
  EXPECT_EQ(Pass(), kStart + 10s);
  EXPECT_EQ(timer_.calls(), 3);
}

TEST_F(SchedulerTest, FailedTimerPassRetriesAfterOneSecondNotAtOnce) {
  timer_.Answer(Error(ErrorCode::kInternal, "database is locked"));
  EXPECT_EQ(Pass(), kStart + 1s);
  EXPECT_EQ(Pass(), kStart + 1s);
  clock_.Advance(999ms);
  Pass();
  EXPECT_EQ(timer_.calls(), 1);
  clock_.Advance(1ms);
  timer_.Answer(DueOutcome{});
  Pass();
  EXPECT_EQ(timer_.calls(), 2);
}

TEST_F(SchedulerTest, RetentionPausesFiftyMillisecondsBetweenSlices) {
  RetentionOutcome slice;
  slice.runs_deleted = 200;
  slice.more = true;
  retention_.Answer(slice);
  EXPECT_EQ(Pass(), kStart + 50ms);
  clock_.Advance(49ms);
  Pass();
  EXPECT_EQ(retention_.calls(), 1);
  clock_.Advance(1ms);
  RetentionOutcome last;
  last.next_due = kStart + 7 * 24h;  // when the oldest kept run expires
  retention_.Answer(last);
  EXPECT_EQ(Pass(), kStart + 1h);  // the hourly chore comes first
  EXPECT_EQ(retention_.calls(), 2);
  clock_.Set(kStart + 7 * 24h - 1ms);
  Pass();
  EXPECT_EQ(retention_.calls(), 2);
  clock_.Advance(1ms);
  Pass();
  EXPECT_EQ(retention_.calls(), 3);
}

TEST_F(SchedulerTest, FailedRetentionSliceRetriesAfterAMinute) {
  retention_.Answer(Error(ErrorCode::kInternal, "disk I/O error"));
  EXPECT_EQ(Pass(), kStart + 1min);
  clock_.Advance(59'999ms);
  Pass();
  EXPECT_EQ(retention_.calls(), 1);
  clock_.Advance(1ms);
  Pass();
  EXPECT_EQ(retention_.calls(), 2);
}

TEST_F(SchedulerTest, HourlyChoreRunsAtTheFirstPassThenEveryHourOfTheClock) {
  Pass();
  EXPECT_EQ(hourly_calls_.load(), 1);
  clock_.Advance(1h - 1ms);
  Pass();
  EXPECT_EQ(hourly_calls_.load(), 1);
  clock_.Advance(1ms);
  EXPECT_EQ(Pass(), kStart + 2h);
  EXPECT_EQ(hourly_calls_.load(), 2);
  scheduler_.WakeAt(clock_.Now());  // the timer's wake is not the chore's
  Pass();
  EXPECT_EQ(hourly_calls_.load(), 2);
  EXPECT_EQ(timer_.calls(), 2);
  clock_.Advance(1h);
  Pass();
  EXPECT_EQ(hourly_calls_.load(), 3);
}

// The thread: its first pass runs, then it waits for the fake clock's due time, not the wall
// clock's (which passed it long ago), until a WakeAt reaches it.
TEST_F(SchedulerTest, ThreadWaitsForTheFakeClocksDueTimeUntilWakeAtWakesIt) {
  timer_.Answer(DueAt(kStart + 1h));
  scheduler_.Start();
  ASSERT_TRUE(timer_.WaitForCalls(1));
  ASSERT_TRUE(retention_.WaitForCalls(1));
  EXPECT_TRUE(StaysAsleep(counted_));
  EXPECT_EQ(timer_.calls(), 1);
  clock_.Advance(5s);
  scheduler_.WakeAt(clock_.Now());  // a commit: something is due now
  EXPECT_TRUE(timer_.WaitForCalls(2));
  scheduler_.Stop();
  EXPECT_EQ(timer_.calls(), 2);
  EXPECT_EQ(retention_.calls(), 1);
  EXPECT_EQ(hourly_calls_.load(), 1);
}

TEST_F(SchedulerTest, StopWakesAThreadThatWaitsWithNothingDue) {
  CountingClock counted(clock_);
  Scheduler without_hourly(counted, timer_, retention_);
  without_hourly.Start();
  ASSERT_TRUE(retention_.WaitForCalls(1));  // the pass's last step, then the wait
  EXPECT_TRUE(StaysAsleep(counted));
  without_hourly.Stop();  // hangs (to the test's timeout) if not woken
  EXPECT_EQ(timer_.calls(), 1);
  EXPECT_EQ(retention_.calls(), 1);
}

// A due time centuries away (a run_at in year 9999) is slept towards, not spun on: its
// distance in nanoseconds would overflow a single wait.
TEST_F(SchedulerTest, ThreadSleepsTowardsADueTimeCenturiesAway) {
  CountingClock counted(clock_);
  Scheduler without_hourly(counted, timer_, retention_);
  timer_.Answer(DueAt(At("9999-12-31T23:59:59Z")));
  without_hourly.Start();
  ASSERT_TRUE(retention_.WaitForCalls(1));
  EXPECT_TRUE(StaysAsleep(counted));
  without_hourly.Stop();
  EXPECT_EQ(timer_.calls(), 1);
}

}  // namespace
}  // namespace flare::daemon

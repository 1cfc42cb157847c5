// The executor finds ready HTTP runs in the database, not only from after-commit
// notifications (issue 6, item 8): the fixture's notifier never reaches the executor, and a
// run whose Begin failed is performed once Begin can succeed. Real services over SQLite, the
// real curl transport, a loopback sink.

#include "daemon/engines/executor.h"

#include <curl/curl.h>

#include "daemon/service/http_run_service.h"
#include "tests/testutil/flared_process.h"
#include "tests/testutil/test_http_server.h"
#include "tests/unit/daemon/service_fixture.h"

namespace flare::daemon {
namespace {

using namespace std::chrono_literals;

class ExecutorTest : public ServiceTest {
 protected:
  static void SetUpTestSuite() { curl_global_init(CURL_GLOBAL_DEFAULT); }

  void StartExecutor(ExecutorOptions options) {
    EgressPolicy open;
    open.allow_private = true;
    executor_ = std::make_unique<Executor>(http_runs_, MakeCurlTransport(open), options);
    executor_->Start();
  }

  std::string CreateHttpJob(const std::string& path = "/status/200") {
    return MustCreate({{"http", {{"url", sink_.Url(path)}, {"method", "GET"}}}})["id"];
  }

  // Event types of the job, oldest first.
  std::vector<std::string> EventTypes(const std::string& job_id) {
    std::vector<std::string> types;
    for (const auto& event : EventsOf(job_id, 50))
      types.insert(types.begin(), event["type"].get<std::string>());
    return types;
  }

  bool WaitForState(const std::string& job_id, const std::string& state) {
    return testing::WaitFor([&] { return Job(job_id)["state"] == state; }, 10s);
  }

  // Rewrites the job's stored http.method inside the writer's own transaction.
  void SetStoredMethod(const std::string& job_id, const std::string& method) {
    auto done = writer_.Run<Ok>([&](Tx& tx) -> Status {
      auto& update = tx.conn().db();
      SQLite::Statement st(update,
                           "UPDATE jobs SET spec = json_set(spec, '$.http.method', ?) "
                           "WHERE id = ?");
      st.bind(1, method);
      st.bind(2, job_id);
      st.exec();
      return Ok{};
    });
    ASSERT_TRUE(done.ok());
  }

  testing::TestHttpServer sink_;
  HttpRunService http_runs_{context_, node_.id};
  std::unique_ptr<Executor> executor_;  // last: stops before the services go
};

TEST_F(ExecutorTest, PerformsAPendingRunNoNotificationAnnounced) {
  ExecutorOptions options;
  options.rescan_interval = 200ms;
  StartExecutor(options);
  std::string job_id = CreateHttpJob();  // the notification goes to the fixture only
  ASSERT_EQ(notifier_.http_ready.size(), 1u);
  EXPECT_TRUE(WaitForState(job_id, "succeeded")) << Job(job_id).dump();
  EXPECT_EQ(sink_.requests(), 1);
}

// A group of writes may run twice: rolled back for another operation's failure, then again
// (writer.h). What the call returned is still recorded when the begin and the finish run
// twice each.
TEST_F(ExecutorTest, ABeginAndFinishThatRunTwiceStillRecordWhatTheCallReturned) {
  writer_.RunEveryGroupTwiceForTests();
  ExecutorOptions options;
  options.rescan_interval = 200ms;
  StartExecutor(options);
  std::string job_id = CreateHttpJob("/status/201");
  ASSERT_TRUE(WaitForState(job_id, "succeeded")) << Job(job_id).dump();
  EXPECT_EQ(sink_.requests(), 1);
  nlohmann::json run = RunsOf(job_id)[0];
  ASSERT_TRUE(run["result"].is_object()) << run.dump();
  EXPECT_EQ(run["result"]["status"], 201) << run.dump();
  ASSERT_TRUE(run["trace"].is_object()) << run.dump();
  EXPECT_TRUE(run["trace"].contains("ttfb_ms")) << run.dump();
  EXPECT_EQ(EventTypes(job_id), (std::vector<std::string>{"created", "started", "succeeded"}));
}

TEST_F(ExecutorTest, ARunWhoseBeginFailedIsPerformedWhenBeginCanSucceed) {
  std::string job_id = CreateHttpJob();
  SetStoredMethod(job_id, "BOGUS");  // Begin cannot build the request now
  ExecutorOptions options;
  options.rescan_interval = 60s;  // only the retry after the failed Begin can find it
  options.retry_after_failure = 100ms;
  StartExecutor(options);
  ASSERT_TRUE(testing::WaitFor([&] { return executor_->failed_begins() >= 1; }, 5s));
  EXPECT_EQ(Job(job_id)["state"], "pending");
  SetStoredMethod(job_id, "GET");
  EXPECT_TRUE(WaitForState(job_id, "succeeded")) << Job(job_id).dump();
  EXPECT_EQ(sink_.requests(), 1);
}

// A burst of ready runs is begun and finished in batches: a few writer operations for the
// whole burst, not a Begin and a Finish per run (issue 8).
TEST_F(ExecutorTest, ABurstOfRunsTakesFewWriterOperations) {
  constexpr int kRuns = 8;  // the test sink serves 8 connections at once
  std::vector<std::string> ids;
  for (int i = 0; i < kRuns; ++i) ids.push_back(CreateHttpJob());
  double ops_before = writer_.stats().group_size.sum();
  ExecutorOptions options;
  options.concurrency = 64;
  StartExecutor(options);  // recovery finds all of them pending at once
  for (const auto& id : ids) ASSERT_TRUE(WaitForState(id, "succeeded")) << Job(id).dump();
  double ops = writer_.stats().group_size.sum() - ops_before;
  std::printf("[ measure  ] %d HTTP runs took %.0f writer operations\n", kRuns, ops);
  // Recovery, then ONE Begin for all (they are queued before the bookkeepers start), then
  // at most one Finish per run (outcomes that arrive together share one). A Begin and a
  // Finish per run would be 2 * kRuns + 1.
  EXPECT_LE(ops, kRuns + 2.0);
  EXPECT_EQ(sink_.requests(), kRuns);
}

// A run that becomes ready while a call slot is free is begun by the transaction that made it
// ready (here: the create), so it costs one writer operation less than a Begin of its own,
// and its events keep their order (issue 8).
TEST_F(ExecutorTest, ARunReadyWhileASlotIsFreeIsBegunInTheSameTransaction) {
  ExecutorOptions options;
  options.concurrency = 4;
  StartExecutor(options);
  notifier_.starter = executor_.get();
  double ops_before = writer_.stats().group_size.sum();
  std::string job_id = CreateHttpJob();
  EXPECT_NE(Job(job_id)["state"], "pending");  // processing, or already succeeded
  EXPECT_TRUE(notifier_.http_ready.empty());   // nothing left for the executor's queue
  ASSERT_TRUE(WaitForState(job_id, "succeeded")) << Job(job_id).dump();
  // A reader sees the finish as soon as it commits, a moment before the writer counts its
  // group: wait for the count, bounded, before judging it.
  auto ops = [&] { return writer_.stats().group_size.sum() - ops_before; };
  ASSERT_TRUE(testing::WaitFor([&] { return ops() >= 2.0; }, 5s)) << ops();
  EXPECT_EQ(ops(), 2.0);  // the create (which began it) and the finish
  EXPECT_EQ(EventTypes(job_id), (std::vector<std::string>{"created", "started", "succeeded"}));
  EXPECT_EQ(sink_.requests(), 1);
}

// With every slot taken, a run becoming ready is announced and waits its turn; it is
// performed once a call ends.
TEST_F(ExecutorTest, WithNoSlotFreeARunWaitsInTheQueue) {
  ExecutorOptions options;
  options.concurrency = 1;
  options.rescan_interval = 200ms;  // the fixture's notifier does not reach the executor
  StartExecutor(options);
  notifier_.starter = executor_.get();
  std::string slow = CreateHttpJob("/delay/1500");  // still in flight at the next create
  EXPECT_EQ(Job(slow)["state"], "processing");
  std::string next = CreateHttpJob();
  EXPECT_EQ(Job(next)["state"], "pending");
  EXPECT_EQ(notifier_.http_ready.size(), 1u);
  EXPECT_TRUE(WaitForState(slow, "succeeded")) << Job(slow).dump();
  EXPECT_TRUE(WaitForState(next, "succeeded")) << Job(next).dump();
  EXPECT_EQ(sink_.requests(), 2);
}

// While the timer says more fires are due (a burst), the calls' outcomes wait, so the writer
// makes the burst's fires before it records the first ends; the burst's end records them
// (issue 8: 1,000 `@every 1s` jobs).
TEST_F(ExecutorTest, OutcomesWaitForABurstOfFiresAndAreRecordedWhenItEnds) {
  ExecutorOptions options;
  options.burst_hold = 60s;  // only the burst's end releases them
  StartExecutor(options);
  notifier_.starter = executor_.get();
  executor_->FiresPending(true);
  std::string job_id = CreateHttpJob();  // begun by the create: a slot is free
  ASSERT_TRUE(testing::WaitFor([&] { return sink_.requests() == 1; }, 10s));
  std::this_thread::sleep_for(300ms);  // long enough for an outcome not held to be recorded
  EXPECT_EQ(Job(job_id)["state"], "processing");
  Advance(10s);  // the clock flared stamps runs with moves on while the outcome waits
  executor_->FiresPending(false);
  ASSERT_TRUE(WaitForState(job_id, "succeeded")) << Job(job_id).dump();
  EXPECT_EQ(sink_.requests(), 1);
  // completed_at is when the call ended, not when its held outcome was recorded: at least
  // the 300 ms it waited before the recording's "now".
  auto run = Run(Job(job_id)["last_run_id"].get<std::string>());
  TimePoint started = *ParseTime(run["started_at"].get<std::string>());
  TimePoint completed = *ParseTime(run["completed_at"].get<std::string>());
  EXPECT_GE(completed, started);
  EXPECT_LE(completed, started + 10s - 250ms) << run.dump();
}

// A timer that stops saying more fires are due (a failed pass, a stuck thread) holds no
// outcome for longer than burst_hold.
TEST_F(ExecutorTest, AHoldTheTimerDoesNotRenewEndsByItself) {
  ExecutorOptions options;
  options.burst_hold = 300ms;
  StartExecutor(options);
  notifier_.starter = executor_.get();
  auto held_since = std::chrono::steady_clock::now();
  executor_->FiresPending(true);
  std::string job_id = CreateHttpJob();
  EXPECT_TRUE(WaitForState(job_id, "succeeded")) << Job(job_id).dump();
  EXPECT_GE(std::chrono::steady_clock::now() - held_since, 250ms);
}

}  // namespace
}  // namespace flare::daemon

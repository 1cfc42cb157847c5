// Long-polls and the runs made ready while they are parked (issue 8): a run whose queue has a
// parked poll is claimed for it by the transaction that makes it ready, so the poll is answered
// by that commit, with no claim transaction of its own. Real services over SQLite, a real
// Dispatcher, the poll on its own thread.

#include "daemon/engines/dispatcher.h"

#include <atomic>
#include <future>

#include "tests/testutil/flared_process.h"
#include "tests/unit/daemon/service_fixture.h"

namespace flare::daemon {
namespace {

using namespace std::chrono_literals;

class DispatcherTest : public ServiceTest {
 protected:
  DispatcherTest() { notifier_.polls = &dispatcher_; }
  ~DispatcherTest() override { dispatcher_.Shutdown(); }

  // A poll of `queue` (waiting up to `wait_seconds`), parked before this returns.
  std::future<Result<ClaimedRuns>> ParkedPoll(const std::string& queue,
                                              std::vector<std::string> job_types = {},
                                              int wait_seconds = 10) {
    request_ = PollRequest{"w1", {queue}, std::move(job_types), 1, wait_seconds};
    auto poll =
        std::async(std::launch::async, [this] { return dispatcher_.Poll(kProject, request_); });
    EXPECT_TRUE(testing::WaitFor([&] { return dispatcher_.parked() == 1; }, 5s));
    return poll;
  }

  // A poll by `request` whose client leaves when `gone` becomes true; parked before this
  // returns.
  std::future<Result<ClaimedRuns>> PollOfClient(const PollRequest& request,
                                                const std::atomic<bool>& gone) {
    size_t parked_before = dispatcher_.parked();
    auto poll = std::async(std::launch::async, [this, &request, &gone] {
      return dispatcher_.Poll(kProject, request, [&gone] { return gone.load(); });
    });
    EXPECT_TRUE(testing::WaitFor([&] { return dispatcher_.parked() == parked_before + 1; }, 5s));
    return poll;
  }

  // The one run a poll was answered with, within 5 s (an empty claim when it was not).
  static ClaimedRun AnsweredRun(std::future<Result<ClaimedRuns>>& poll) {
    EXPECT_EQ(poll.wait_for(5s), std::future_status::ready);
    auto answer = poll.get();
    EXPECT_TRUE(answer.ok()) << answer.error().message;
    EXPECT_EQ(answer.ok() ? answer->size() : 0u, 1u);
    return answer.ok() && answer->size() == 1 ? (*answer)[0] : ClaimedRun{};
  }

  std::string CreateWorkerJob(const std::string& queue, const std::string& job_type = "t") {
    return MustCreate({{"job_type", job_type}, {"queue", queue}, {"payload", {{"n", 1}}}})["id"];
  }

  // A poll of "mail" by the worker "stopped", whose client leaves once `stopped_ = true`.
  std::future<Result<ClaimedRuns>> StoppedWorkersPoll() {
    return PollOfClient(stopped_request_, stopped_);
  }

  Dispatcher dispatcher_{workers_, 16};
  PollRequest request_;
  PollRequest stopped_request_{"stopped", {"mail"}, {}, 1, 30};
  std::atomic<bool> stopped_{false};
};

TEST_F(DispatcherTest, AParkedPollIsAnsweredByTheCommitThatMadeItsRunReady) {
  auto poll = ParkedPoll("mail");
  double ops_before = writer_.stats().group_size.sum();
  std::string job_id = CreateWorkerJob("mail");
  ClaimedRun handed = AnsweredRun(poll);
  EXPECT_EQ(handed.job_id, job_id);
  EXPECT_FALSE(handed.lease_id.empty());
  EXPECT_EQ(handed.payload.value(), nlohmann::json({{"n", 1}}));
  EXPECT_EQ(Job(job_id)["state"], "processing");
  // One writer operation: the create, which also claimed the run; no claim of the poll's own.
  EXPECT_EQ(writer_.stats().group_size.sum() - ops_before, 1.0);
  EXPECT_TRUE(notifier_.ready_queues.empty());  // nothing was left to announce
}

TEST_F(DispatcherTest, ARunNoParkedPollTakesIsAnnouncedAndStaysPending) {
  auto poll = ParkedPoll("mail", {"sms"}, 1);  // another job type: not for this poll
  std::string job_id = CreateWorkerJob("mail", "email");
  EXPECT_EQ(Job(job_id)["state"], "pending");
  EXPECT_EQ(notifier_.ready_queues, std::vector<std::string>{"mail"});
  auto answer = poll.get();  // ends at its deadline, empty
  ASSERT_TRUE(answer.ok());
  EXPECT_TRUE(answer->empty());
  EXPECT_EQ(Claim("mail").size(), 1u);  // still there for the next claim
}

// Two runs made ready in one transaction while one poll is parked: the poll takes one (its
// max_jobs is 1) and the other stays pending for the next claim.
TEST_F(DispatcherTest, OneParkedPollTakesOneRunOfABatch) {
  auto poll = ParkedPoll("mail");
  nlohmann::json item = {{"job_type", "t"}, {"queue", "mail"}, {"payload", {{"n", 1}}}};
  auto batch = jobs_.CreateBatch(kProject, {{"jobs", {item, item}}});
  ASSERT_TRUE(batch.ok()) << batch.error().message;
  auto answer = poll.get();
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->size(), 1u);
  EXPECT_EQ(Claim("mail", 10).size(), 1u);
}

// A worker stopped while its poll was parked: the next job goes to a poll whose client is
// still there (though the departed one parked first), and the departed poll leaves within
// a client check, having claimed nothing.
TEST_F(DispatcherTest, ARunIsNeverKeptForAPollWhoseClientHasGone) {
  auto first = StoppedWorkersPoll();
  std::atomic<bool> running_gone{false};
  PollRequest running_request{"running", {"mail"}, {}, 1, 30};
  auto second = PollOfClient(running_request, running_gone);
  stopped_ = true;  // its connection closed; its poll has not noticed yet

  std::string job_id = CreateWorkerJob("mail");
  EXPECT_EQ(AnsweredRun(second).job_id, job_id);

  ASSERT_EQ(first.wait_for(Dispatcher::kClientCheck + 3s), std::future_status::ready);
  auto left = first.get();
  ASSERT_TRUE(left.ok());
  EXPECT_TRUE(left->empty());
  EXPECT_EQ(dispatcher_.waiting(), 0u);
}

// The only parked poll's client has gone: the run is announced and stays pending for the
// next poll instead of waiting out a lease held by nobody.
TEST_F(DispatcherTest, ARunWhoseOnlyParkedPollHasGoneStaysPending) {
  auto poll = StoppedWorkersPoll();
  stopped_ = true;
  std::string job_id = CreateWorkerJob("mail");
  EXPECT_EQ(Job(job_id)["state"], "pending");
  ASSERT_EQ(poll.wait_for(Dispatcher::kClientCheck + 3s), std::future_status::ready);
  EXPECT_TRUE(poll.get()->empty());
  EXPECT_EQ(Job(job_id)["state"], "pending");
  EXPECT_EQ(Claim("mail").size(), 1u);
}

// Nothing becomes ready: a parked poll whose client leaves gives back its place long before
// its deadline (30 s here).
TEST_F(DispatcherTest, AParkedPollLeavesSoonAfterItsClientHasGone) {
  auto poll = StoppedWorkersPoll();
  stopped_ = true;
  ASSERT_EQ(poll.wait_for(Dispatcher::kClientCheck + 2s), std::future_status::ready);
  EXPECT_TRUE(poll.get()->empty());
  EXPECT_EQ(dispatcher_.waiting(), 0u);
}

}  // namespace
}  // namespace flare::daemon

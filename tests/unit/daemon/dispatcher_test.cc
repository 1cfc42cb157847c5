// Long-polls and the runs made ready while they are parked (issue 8): a run whose queue has a
// parked poll is claimed for it by the transaction that makes it ready, so the poll is answered
// by that commit, with no claim transaction of its own. Real services over SQLite, a real
// Dispatcher, the poll on its own thread.

#include "daemon/engines/dispatcher.h"

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

  std::string CreateWorkerJob(const std::string& queue, const std::string& job_type = "t") {
    return MustCreate({{"job_type", job_type}, {"queue", queue}, {"payload", {{"n", 1}}}})["id"];
  }

  Dispatcher dispatcher_{workers_, 16};
  PollRequest request_;
};

TEST_F(DispatcherTest, AParkedPollIsAnsweredByTheCommitThatMadeItsRunReady) {
  auto poll = ParkedPoll("mail");
  double ops_before = writer_.stats().group_size.sum();
  std::string job_id = CreateWorkerJob("mail");
  ASSERT_EQ(poll.wait_for(5s), std::future_status::ready);
  auto answer = poll.get();
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  ASSERT_EQ(answer->size(), 1u);
  EXPECT_EQ((*answer)[0].job_id, job_id);
  EXPECT_FALSE((*answer)[0].lease_id.empty());
  EXPECT_EQ((*answer)[0].payload.value(), nlohmann::json({{"n", 1}}));
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

}  // namespace
}  // namespace flare::daemon

// HTTP runs are held by the flared node performing them (node_service.h): a node that
// stops or goes silent has its runs failed with WORKER_LOST and retried by a node that is
// alive, and a live node's calls in flight are never taken. Two nodes share one database
// here, each with its own services, on a fake clock.

#include "daemon/service/http_run_service.h"
#include "daemon/service/node_service.h"
#include "daemon/store/node_repository.h"
#include "daemon/store/webhook_repository.h"
#include "tests/unit/daemon/service_fixture.h"

namespace flare::daemon {
namespace {

using namespace std::chrono_literals;

class NodeTakeoverTest : public ServiceTest {
 protected:
  // An HTTP job whose run node A begins: the run is processing in A's name.
  std::string JobBegunByA() {
    std::string job_id = MustCreate(
        {{"http", {{"url", "http://127.0.0.1:9/hook"}}},
         {"timeout_seconds", 600},
         {"retry",
          {{"strategy", "fixed"}, {"initial_delay_seconds", 1}, {"jitter", false}}}})["id"];
    auto begun = http_a_.Begin(kProject, RunOf(job_id)["id"]);
    EXPECT_TRUE(begun.ok() && begun->has_value());
    if (begun.ok() && begun->has_value()) work_a_ = **begun;
    return job_id;
  }
  nlohmann::json RunOf(const std::string& job_id) { return RunsOf(job_id)[0]; }

  const NodeIdentity a_{"node_a", true, ""};
  const NodeIdentity b_{"node_b", true, ""};
  NodeService node_a_{context_, a_};
  NodeService node_b_{context_, b_};
  HttpRunService http_a_{context_, a_.id};
  TimerService timer_a_{context_, a_};
  TimerService timer_b_{context_, b_};
  HttpWork work_a_;
};

TEST_F(NodeTakeoverTest, ARunOfALiveNodeIsNeverTakenOver) {
  ASSERT_TRUE(node_a_.Join().ok());
  ASSERT_TRUE(node_b_.Join().ok());
  std::string job_id = JobBegunByA();
  EXPECT_EQ(RunOf(job_id)["state"], "processing");
  for (int beat = 0; beat < 12; ++beat) {  // a minute, node A beating every 5 s
    Advance(5s);
    ASSERT_TRUE(timer_a_.ProcessDue().ok());
    auto seen_by_b = timer_b_.ProcessDue();
    ASSERT_TRUE(seen_by_b.ok());
    EXPECT_EQ(seen_by_b->lost, 0);
  }
  EXPECT_EQ(RunOf(job_id)["state"], "processing");
  // A's call ends: its outcome is recorded.
  HttpCallOutcome ok;
  ok.status = 200;
  ASSERT_TRUE(http_a_.Finish(work_a_, ok).ok());
  EXPECT_EQ(Job(job_id)["state"], "succeeded");
}

TEST_F(NodeTakeoverTest, ASilentNodesRunsAreTakenOverAfterTheSilenceLimitAndItsOutcomeRefused) {
  ASSERT_TRUE(node_a_.Join().ok());
  ASSERT_TRUE(node_b_.Join().ok());
  std::string job_id = JobBegunByA();
  // A stops beating (killed). A timer that is not beating itself (so nothing else is due
  // soon) asks to be woken the moment A's silence turns into loss.
  TimerService observer{context_, {"node_observer", false, ""}};
  auto first = observer.ProcessDue();
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(first->next_due);
  EXPECT_EQ(*first->next_due, clock_.Now() + kNodeSilenceLimit + 1ms);
  Advance(kNodeSilenceLimit - 1ms);
  EXPECT_EQ(timer_b_.ProcessDue()->lost, 0);
  Advance(2ms);
  EXPECT_EQ(timer_b_.ProcessDue()->lost, 1);
  nlohmann::json run = RunOf(job_id);
  EXPECT_EQ(run["state"], "failed");  // a retry is due
  EXPECT_EQ(run["failure_reason"], "WORKER_LOST");
  EXPECT_NE(run["error"]["message"].get<std::string>().find("node_a"), std::string::npos)
      << run.dump();
  // A comes back from its pause and reports the call it made: its lease is no longer the
  // run's, so the outcome changes nothing.
  HttpCallOutcome ok;
  ok.status = 200;
  ASSERT_TRUE(http_a_.Finish(work_a_, ok).ok());
  EXPECT_EQ(RunOf(job_id)["state"], "failed");
  // The retry is made ready as usual and performed by whichever node begins it.
  Advance(1s);
  EXPECT_EQ(timer_b_.ProcessDue()->made_ready, 1);
  HttpRunService http_b{context_, b_.id};
  auto again = http_b.Begin(kProject, RunOf(job_id)["id"]);
  ASSERT_TRUE(again.ok() && again->has_value());
  EXPECT_EQ(RunOf(job_id)["attempt"], 2);
}

TEST_F(NodeTakeoverTest, ANodeThatStoppedCleanlyHasItsRunsTakenOverAtOnce) {
  ASSERT_TRUE(node_a_.Join().ok());
  ASSERT_TRUE(node_b_.Join().ok());
  std::string job_id = JobBegunByA();
  ASSERT_TRUE(node_a_.Leave().ok());
  EXPECT_EQ(timer_b_.ProcessDue()->lost, 1);
  EXPECT_EQ(RunOf(job_id)["failure_reason"], "WORKER_LOST");
}

TEST_F(NodeTakeoverTest, ANodeAloneOnItsDatabaseTakesOverEveryOtherNodesRunsAtStart) {
  ASSERT_TRUE(node_a_.Join().ok());
  std::string job_id = JobBegunByA();
  // A flared restarted on the same SQLite file: a new node, alone (the instance lock).
  NodeIdentity restarted{"node_c", false, ""};
  NodeService node_c{context_, restarted};
  ASSERT_TRUE(node_c.Join().ok());
  auto stored_a = FindNode(*readers_.Borrow(), "node_a");
  ASSERT_TRUE(stored_a);
  EXPECT_TRUE(stored_a->stopped_at);
  HttpRunService http_c{context_, restarted.id};
  ASSERT_TRUE(http_c.Recover().ok());
  EXPECT_EQ(RunOf(job_id)["failure_reason"], "WORKER_LOST");
  // Node A's row goes once no run names it any more (at the next start).
  NodeService node_d{context_, {"node_d", false, ""}};
  ASSERT_TRUE(node_d.Join().ok());
  EXPECT_FALSE(FindNode(*readers_.Borrow(), "node_a"));
}

TEST_F(NodeTakeoverTest, ANodeRestartedOnTheSameDataDirTakesOverItsPredecessorsRunsAtOnce) {
  ASSERT_TRUE(node_a_.Join().ok());
  ASSERT_TRUE(node_b_.Join().ok());
  std::string job_id = JobBegunByA();
  // Node A was killed; its data dir's next flared (sharing the database with B) names it.
  NodeIdentity successor{"node_a2", true, "node_a"};
  NodeService node_a2{context_, successor};
  ASSERT_TRUE(node_a2.Join().ok());
  HttpRunService http_a2{context_, successor.id};
  ASSERT_TRUE(http_a2.Recover().ok());
  EXPECT_EQ(RunOf(job_id)["failure_reason"], "WORKER_LOST") << "not after the silence limit";
  auto stored_b = FindNode(*readers_.Borrow(), "node_b");
  ASSERT_TRUE(stored_b);
  EXPECT_FALSE(stored_b->stopped_at) << "another live node is left alone";
}

TEST_F(NodeTakeoverTest, ANodeNeverTakesOverItsOwnRuns) {
  ASSERT_TRUE(node_a_.Join().ok());
  std::string job_id = JobBegunByA();
  // Node A does not beat here: silence only ever makes OTHER nodes lost to it.
  Advance(5min);
  auto outcome = timer_a_.ProcessDue();
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->lost, 0);
  EXPECT_EQ(RunOf(job_id)["state"], "processing");
}

TEST_F(NodeTakeoverTest, ARunBegunBeforeNodesWereRecordedIsTakenOverAtStart) {
  std::string job_id = JobBegunByA();
  // As a database migrated from a flared that did not name nodes: no node on the run.
  auto cleared = writer_.Run<Ok>([&](Tx& tx) -> Status {
    tx.conn().db().exec("UPDATE runs SET node_id = NULL");
    return Ok{};
  });
  ASSERT_TRUE(cleared.ok());
  HttpRunService http_c{context_, "node_c"};
  ASSERT_TRUE(http_c.Recover().ok());
  EXPECT_EQ(RunOf(job_id)["failure_reason"], "WORKER_LOST");
  EXPECT_NE(RunOf(job_id)["error"]["message"].get<std::string>().find("an earlier flared"),
            std::string::npos);
}

// Webhook deliveries are leased the same way: at start, a node releases at once only the
// leases of lost nodes; a live node's sends in flight keep theirs.
TEST_F(NodeTakeoverTest, OnlyTheDeliveryLeasesOfLostNodesAreReleased) {
  ASSERT_TRUE(node_a_.Join().ok());
  ASSERT_TRUE(node_b_.Join().ok());
  auto insert = writer_.Run<Ok>([&](Tx& tx) -> Status {
    for (const char* holder : {"node_a", "node_b", "node_gone", ""}) {
      DeliveryRecord d;
      d.id = std::string("msg_") + (*holder ? holder : "none");
      d.webhook_id = "wh_1";
      d.project_id = kProject;
      d.event_type = "job.completed";
      d.payload = "{}";
      d.status = "pending";
      d.lease_id = "lease";
      d.lease_expires_at = tx.now() + 40s;
      d.next_attempt_at = d.lease_expires_at;
      d.node_id = holder;
      d.created_at = tx.now();
      InsertDelivery(tx.conn(), d);
    }
    return Ok{};
  });
  ASSERT_TRUE(insert.ok());
  auto release_as_b = [&] {
    return writer_
        .Run<int>([&](Tx& tx) -> Result<int> {
          return ReleaseLostNodesDeliveryLeases(tx.conn(), "node_b", tx.now() - kNodeSilenceLimit,
                                                tx.now());
        })
        .value();
  };
  EXPECT_EQ(release_as_b(), 2);  // node_gone's and the one that names no node
  auto lease_of = [&](const std::string& id) {
    return FindDelivery(*readers_.Borrow(), id)->lease_id;
  };
  EXPECT_EQ(lease_of("msg_node_a"), "lease");
  EXPECT_EQ(lease_of("msg_node_b"), "lease");
  EXPECT_EQ(lease_of("msg_node_gone"), "");
  Advance(kNodeSilenceLimit + 1ms);  // node A went silent
  EXPECT_EQ(release_as_b(), 1);
  EXPECT_EQ(lease_of("msg_node_a"), "");
  EXPECT_EQ(lease_of("msg_node_b"), "lease");  // a node's own sends are its to finish
}

}  // namespace
}  // namespace flare::daemon

// Continuations exactly as seed 004: a child waits (scheduled) until its parent succeeds,
// is cancelled when the parent dead-letters or is cancelled, and cannot be created under a
// terminal or unknown parent.

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>

#include "tests/integration/itest.h"
#include "tests/testutil/build_flavour.h"

namespace flare::testing {
namespace {

class Continuations : public FlaredSuite {
 protected:
  void SetUp() override { queue_ = Unique("q"); }

  json Parent(const json& extra = json::object()) {
    return CreateJob(flared(), JobBody(queue_, extra));
  }
  HttpReply ChildOf(const json& parent) {
    return flared().Call("POST", "/flare/v1/jobs",
                         JobBody(queue_, {{"job_type", "notification.send"},
                                          {"parent_job_id", parent.value("id", "")}}));
  }
  json Child(const json& parent) {
    HttpReply reply = ChildOf(parent);
    EXPECT_EQ(reply.status, 201) << reply.body;
    return reply.json();
  }
  // Claims the parent (the only pending job of the queue) and acks it.
  HttpReply FinishParent(const json& parent, const std::string& status,
                         const json& extra = json::object()) {
    json claims = Poll(flared(), "w-cont", queue_);
    EXPECT_EQ(claims.size(), 1u);
    if (claims.empty()) return {};
    EXPECT_EQ(claims[0]["id"], parent["id"]) << "only the parent is runnable";
    return Ack(flared(), claims[0], "w-cont", status, extra);
  }
  std::string State(const json& job) { return GetJob(flared(), job.value("id", ""))["state"]; }

  std::string queue_;
};

TEST_F(Continuations, ChildOfPendingParentWaitsAndIsActivatedWhenItSucceeds) {
  json parent = Parent();
  json child = Child(parent);
  json second = Child(parent);
  EXPECT_EQ(child["state"], "scheduled");
  EXPECT_EQ(State(child), "scheduled");
  EXPECT_EQ(GetJob(flared(), child["id"])["parent_job_id"], parent["id"]);

  HttpReply ack = FinishParent(parent, "succeeded");
  ASSERT_EQ(ack.status, 200) << ack.body;
  EXPECT_EQ(ack.json()["state"], "succeeded");
  EXPECT_EQ(ack.json()["children_activated"], 2);
  EXPECT_EQ(State(child), "pending");
  EXPECT_EQ(State(second), "pending");
  json claims = Poll(flared(), "w-cont", queue_, 5);
  EXPECT_EQ(claims.size(), 2u);
}

TEST_F(Continuations, ChildOfProcessingParentWaitsToo) {
  json parent = Parent();
  json claims = Poll(flared(), "w-cont", queue_);
  ASSERT_EQ(claims.size(), 1u);
  json child = Child(parent);
  EXPECT_EQ(child["state"], "scheduled");
  HttpReply ack = Ack(flared(), claims[0], "w-cont", "succeeded");
  ASSERT_EQ(ack.status, 200) << ack.body;
  EXPECT_EQ(ack.json()["children_activated"], 1);
  EXPECT_EQ(State(child), "pending");
}

TEST_F(Continuations, ChildOfSucceededParentIsPendingAtOnce) {
  json parent = Parent();
  ASSERT_EQ(FinishParent(parent, "succeeded").status, 200);
  json child = Child(parent);
  EXPECT_EQ(child["state"], "pending");
  EXPECT_EQ(Poll(flared(), "w-cont", queue_).size(), 1u);
}

TEST_F(Continuations, ParentDeadLetterCancelsTheChild) {
  json parent = Parent();
  json child = Child(parent);
  HttpReply ack = FinishParent(
      parent, "failed", {{"retryable", false}, {"error", {{"type", "Fatal"}, {"message", "no"}}}});
  ASSERT_EQ(ack.status, 200) << ack.body;
  EXPECT_EQ(ack.json()["state"], "dead_letter");
  EXPECT_EQ(ack.json()["children_activated"], 0);
  EXPECT_EQ(State(parent), "dead_letter");
  EXPECT_EQ(State(child), "cancelled");
  EXPECT_TRUE(IsError(ChildOf(parent), 409, "parent_terminal"));
}

TEST_F(Continuations, FailedAttemptWithRetriesLeftKeepsTheChildWaiting) {
  json parent = Parent(
      {{"retry", {{"strategy", "fixed"}, {"initial_delay_seconds", 3600}, {"jitter", false}}}});
  json child = Child(parent);
  HttpReply ack = FinishParent(parent, "failed");
  ASSERT_EQ(ack.status, 200) << ack.body;
  EXPECT_EQ(ack.json()["state"], "failed");
  EXPECT_EQ(State(child), "scheduled");
  // A child of a failed (not terminal) parent may still be created, and waits.
  EXPECT_EQ(Child(parent)["state"], "scheduled");
}

TEST_F(Continuations, ParentCancelCancelsTheChild) {
  json parent = Parent({{"run_at", "2099-01-01T00:00:00Z"}});
  json child = Child(parent);
  EXPECT_EQ(child["state"], "scheduled");
  ASSERT_EQ(flared().Call("POST", "/flare/v1/jobs/" + parent.value("id", "") + "/cancel").status,
            200);
  EXPECT_EQ(State(child), "cancelled");
  EXPECT_TRUE(IsError(ChildOf(parent), 409, "parent_terminal"));
}

TEST_F(Continuations, CancelledChildStaysCancelledWhenTheParentSucceeds) {
  json parent = Parent();
  json child = Child(parent);
  ASSERT_EQ(flared().Call("POST", "/flare/v1/jobs/" + child.value("id", "") + "/cancel").status,
            200);
  HttpReply ack = FinishParent(parent, "succeeded");
  ASSERT_EQ(ack.status, 200);
  EXPECT_EQ(ack.json()["children_activated"], 0);
  EXPECT_EQ(State(child), "cancelled");
}

TEST_F(Continuations, UnknownParentIs422) {
  HttpReply reply =
      flared().Call("POST", "/flare/v1/jobs",
                    JobBody(queue_, {{"parent_job_id", "job_01AAAAAAAAAAAAAAAAAAAAAAAA"}}));
  EXPECT_TRUE(IsError(reply, 422, "parent_not_found"));
  HttpReply other =
      flared().Call("POST", "/flare/v1/jobs", JobBody(queue_, {{"parent_job_id", "nope"}}));
  EXPECT_TRUE(IsError(other, 422, "parent_not_found"));
  HttpReply list = flared().Call("GET", "/flare/v1/jobs?queue=" + queue_);
  EXPECT_TRUE(list.json()["data"].empty()) << "a refused child must not be created";
}

// "chain-4242-7": unique in the shared flared, and short enough to name a parent (≤ 36).
std::string UniqueSlug(const std::string& prefix) {
  static int counter = 0;
  return prefix + "-" + std::to_string(getpid()) + "-" + std::to_string(++counter);
}

TEST_F(Continuations, ParentGivenBySlugIsKeptByIdAndActivatesTheChild) {
  std::string slug = UniqueSlug("parent");
  json parent = Parent({{"slug", slug}});
  HttpReply reply =
      flared().Call("POST", "/flare/v1/jobs",
                    JobBody(queue_, {{"job_type", "notification.send"}, {"parent_job_id", slug}}));
  ASSERT_EQ(reply.status, 201) << reply.body;
  json child = reply.json();
  EXPECT_EQ(child["state"], "scheduled");
  EXPECT_EQ(GetJob(flared(), child["id"])["parent_job_id"], parent["id"]);
  HttpReply ack = FinishParent(parent, "succeeded");
  ASSERT_EQ(ack.status, 200) << ack.body;
  EXPECT_EQ(ack.json()["children_activated"], 1);
  EXPECT_EQ(State(child), "pending");
}

TEST_F(Continuations, ParentGivenBySlugCancelsTheChildWhenCancelled) {
  std::string slug = UniqueSlug("parent");
  json parent = Parent({{"slug", slug}, {"run_at", "2099-01-01T00:00:00Z"}});
  json child = CreateJob(flared(), JobBody(queue_, {{"parent_job_id", slug}}));
  ASSERT_EQ(flared().Call("POST", "/flare/v1/jobs/" + slug + "/cancel").status, 200);
  EXPECT_EQ(State(child), "cancelled");
}

// A flared whose threads get 2 MiB stacks (it inherits RLIMIT_STACK): a walk that takes a
// stack frame per level of a chain then overflows well within 20,000 levels, whatever the
// build flags (measured: the recursive walk died at 6,000 levels with 1 MiB).
std::unique_ptr<FlaredProcess> FlaredWithSmallStacks() {
  rlimit old{};
  getrlimit(RLIMIT_STACK, &old);
  rlimit small = old;
  small.rlim_cur = std::min<rlim_t>(old.rlim_cur, 2 << 20);
  setrlimit(RLIMIT_STACK, &small);
  auto flared = std::make_unique<FlaredProcess>();
  setrlimit(RLIMIT_STACK, &old);
  return flared;
}

// Cancelling the root of a chain tens of thousands of jobs deep reaches every level, and
// flared stays up (the walk must not take one stack frame per level).
TEST(ContinuationChain, CancellingTheRootOfADeepChainCancelsEveryLevel) {
  constexpr int kDepth = ScaleForBuild(20000);
  constexpr int kBatch = 1000;
  auto process = FlaredWithSmallStacks();
  FlaredProcess& flared = *process;
  std::string queue = Unique("q");
  std::string prefix = UniqueSlug("chain");
  json root = CreateJob(
      flared, JobBody(queue, {{"slug", prefix + "-0"}, {"run_at", "2099-01-01T00:00:00Z"}}));
  auto started = Clock::now();
  for (int first = 1; first <= kDepth; first += kBatch) {
    json jobs = json::array();
    for (int level = first; level < first + kBatch; ++level) {
      jobs.push_back(JobBody(queue, {{"slug", prefix + "-" + std::to_string(level)},
                                     {"parent_job_id", prefix + "-" + std::to_string(level - 1)}}));
    }
    HttpReply batch = flared.Call("POST", "/flare/v1/jobs/batch", {{"jobs", jobs}});
    ASSERT_EQ(batch.status, 201) << batch.body.substr(0, 500);
  }
  std::printf("[ measure  ] %d-deep chain created in %.0f ms\n", kDepth,
              MillisBetween(started, Clock::now()));
  std::string leaf = prefix + "-" + std::to_string(kDepth);
  ASSERT_EQ(GetJob(flared, leaf)["state"], "scheduled");

  started = Clock::now();
  HttpReply cancelled = flared.Call("POST", "/flare/v1/jobs/" + root.value("id", "") + "/cancel");
  double took = MillisBetween(started, Clock::now());
  std::printf("[ measure  ] cancelling the root of the chain took %.0f ms\n", took);
  std::string log = flared.Log();
  ASSERT_EQ(cancelled.status, 200) << cancelled.body << "\n"
                                   << log.substr(log.size() - std::min<size_t>(log.size(), 2000));
  EXPECT_LT(took, 120000.0);
  EXPECT_EQ(GetJob(flared, prefix + "-1")["state"], "cancelled");
  EXPECT_EQ(GetJob(flared, prefix + "-" + std::to_string(kDepth / 2))["state"], "cancelled");
  EXPECT_EQ(GetJob(flared, leaf)["state"], "cancelled");
  ExpectHealthy(flared);
  ExpectCleanShutdown(flared);
}

}  // namespace
}  // namespace flare::testing

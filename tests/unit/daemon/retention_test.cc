// Retention with a fake clock: old terminal runs go; one-off jobs go with them; recurring
// jobs stay.

#include "daemon/service/retention_service.h"
#include "tests/unit/daemon/service_fixture.h"

namespace flare::daemon {
namespace {

using namespace std::chrono_literals;

class RetentionTest : public ServiceTest {
 protected:
  RetentionService retention_{context_, RetentionPolicy{std::chrono::hours(24 * 7),
                                                        std::chrono::hours(24 * 90)}};

  void Succeed(const nlohmann::json& claimed) {
    nlohmann::json ack = {{"job_id", claimed["id"]}, {"worker_id", "w1"}, {"status", "succeeded"}};
    ASSERT_TRUE(workers_.Ack(kProject, ack).ok());
  }
};

TEST_F(RetentionTest, SucceededOneOffJobIsDeletedAfterSevenDays) {
  auto job = MustCreate({{"job_type", "t"}, {"payload", nlohmann::json::object()}});
  Succeed(Claim()[0]);
  auto early = retention_.PruneSlice().value();
  EXPECT_EQ(early.runs_deleted, 0);
  ASSERT_TRUE(early.next_due.has_value());
  EXPECT_EQ(FormatTime(*early.next_due), "2026-03-15T06:00:00.000Z");
  Advance(std::chrono::hours(24 * 7) + 1ms);
  auto pruned = retention_.PruneSlice().value();
  EXPECT_EQ(pruned.runs_deleted, 1);
  EXPECT_EQ(pruned.jobs_deleted, 1);
  EXPECT_FALSE(jobs_.Get(kProject, job["id"]).ok());
}

TEST_F(RetentionTest, DeadLetteredJobsAreKeptNinetyDays) {
  auto job = MustCreate({{"job_type", "t"}, {"payload", nlohmann::json::object()}, {"max_attempts", 1}});
  auto claimed = Claim()[0];
  ASSERT_TRUE(workers_.Ack(kProject, {{"job_id", claimed["id"]}, {"worker_id", "w1"}, {"status", "failed"}}).ok());
  Advance(std::chrono::hours(24 * 30));
  EXPECT_EQ(retention_.PruneSlice().value().runs_deleted, 0);
  EXPECT_TRUE(jobs_.Get(kProject, job["id"]).ok());
  Advance(std::chrono::hours(24 * 61));
  EXPECT_EQ(retention_.PruneSlice().value().jobs_deleted, 1);
}

TEST_F(RetentionTest, RecurringJobKeepsLivingWhenItsOldRunsGo) {
  auto job = MustCreate({{"job_type", "t"}, {"payload", nlohmann::json::object()}, {"schedule", "@every 1h"}});
  Advance(1h);
  ASSERT_EQ(Tick().fired, 1);
  Succeed(Claim()[0]);
  Advance(std::chrono::hours(24 * 8));
  auto pruned = retention_.PruneSlice().value();
  EXPECT_EQ(pruned.runs_deleted, 1);
  EXPECT_EQ(pruned.jobs_deleted, 0);
  EXPECT_TRUE(jobs_.Get(kProject, job["id"]).ok());
}

}  // namespace
}  // namespace flare::daemon

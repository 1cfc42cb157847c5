// The worker protocol's heartbeat pieces: what an item says, and which answer stops a run.

#include "cli/worker_protocol.h"

#include <gtest/gtest.h>

namespace flare::cli {
namespace {

TEST(WorkerProtocol, HeartbeatItemNamesTheHeldRunAndLease) {
  EXPECT_EQ(HeartbeatItem("job_1", "run_1", "lse_1", 90, 0.5),
            nlohmann::json({{"job_id", "job_1"},
                            {"run_id", "run_1"},
                            {"lease_id", "lse_1"},
                            {"extend_seconds", 90},
                            {"progress", 0.5}}));
  EXPECT_EQ(HeartbeatItem("job_1", "", "", 90, std::nullopt),
            nlohmann::json({{"job_id", "job_1"}, {"extend_seconds", 90}}));
}

TEST(WorkerProtocol, HeartbeatCancelsOnlyTheNamedRunOfAJob) {
  // Two runs of one job held by this worker; flared cancelled one of them.
  nlohmann::json answer = {{"ok", true}, {"cancel", {"job_1"}}, {"cancel_runs", {"run_old"}}};
  EXPECT_TRUE(HeartbeatCancels(answer, "job_1", "run_old"));
  EXPECT_FALSE(HeartbeatCancels(answer, "job_1", "run_new")) << "a healthy run was stopped";
  EXPECT_FALSE(HeartbeatCancels(answer, "job_2", "run_other"));
}

TEST(WorkerProtocol, HeartbeatCancelsByJobWhenFlaredNamesNoRuns) {
  nlohmann::json answer = {{"ok", true}, {"cancel", {"job_1"}}};
  EXPECT_TRUE(HeartbeatCancels(answer, "job_1", "run_1"));
  EXPECT_FALSE(HeartbeatCancels(answer, "job_2", "run_2"));
  EXPECT_FALSE(HeartbeatCancels({{"ok", true}}, "job_1", "run_1"));
}

}  // namespace
}  // namespace flare::cli

// Tenancy (SPEC §1): every read and write is scoped to the key's project; another
// project's object answers exactly as a missing one does.

#include "tests/unit/daemon/service_fixture.h"

namespace flare::daemon {
namespace {

constexpr const char* kOtherProject = "prj_other";

TEST_F(ServiceTest, AnotherProjectsJobAnswersLikeAMissingOne) {
  auto job =
      MustCreate({{"job_type", "t"}, {"payload", nlohmann::json::object()}, {"slug", "mine"}});
  std::string id = job["id"];
  auto missing = jobs_.Get(kOtherProject, "job_01HYX3K7M8N9P2Q4R5S6T7V8W9");
  auto foreign = jobs_.Get(kOtherProject, id);
  ASSERT_FALSE(foreign.ok());
  EXPECT_EQ(foreign.error().code, missing.error().code);
  EXPECT_EQ(foreign.error().code, ErrorCode::kJobNotFound);
  EXPECT_FALSE(jobs_.Get(kOtherProject, "mine").ok());
  EXPECT_FALSE(jobs_.Cancel(kOtherProject, id).ok());
  EXPECT_FALSE(jobs_.Update(kOtherProject, id, {{"priority", 5}}).ok());
  EXPECT_FALSE(jobs_.Delete(kOtherProject, id).ok());
  EXPECT_FALSE(runs_.Trigger(kOtherProject, id, nlohmann::json::object()).ok());
  EXPECT_EQ(jobs_.List(kOtherProject, {}, "", 50).value().items.size(), 0u);
  EXPECT_EQ(Job(id)["state"], "pending");  // untouched by all of the above
}

TEST_F(ServiceTest, WorkersOfAnotherProjectCannotClaimOrAck) {
  auto job = MustCreate({{"job_type", "t"}, {"payload", nlohmann::json::object()}});
  PollRequest request{"intruder", {"default"}, {}, 10, 0};
  EXPECT_EQ(workers_.Claim(kOtherProject, request).value().size(), 0u);
  auto claimed = Claim();
  ASSERT_EQ(claimed.size(), 1u);
  auto ack = workers_.Ack(kOtherProject,
                          {{"job_id", job["id"]}, {"worker_id", "w1"}, {"status", "succeeded"}});
  ASSERT_FALSE(ack.ok());
  EXPECT_EQ(ack.error().code, ErrorCode::kJobNotFound);
  EXPECT_FALSE(runs_.Get(kOtherProject, claimed[0]["run_id"]).ok());
  EXPECT_EQ(Job(job["id"])["state"], "processing");
}

TEST_F(ServiceTest, SlugsAreUniquePerProjectOnly) {
  MustCreate({{"job_type", "t"}, {"payload", nlohmann::json::object()}, {"slug", "shared-name"}});
  auto again = jobs_.Create(
      kProject, {{"job_type", "t"}, {"payload", nlohmann::json::object()}, {"slug", "shared-name"}},
      "");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  EXPECT_TRUE(
      jobs_
          .Create(
              kOtherProject,
              {{"job_type", "t"}, {"payload", nlohmann::json::object()}, {"slug", "shared-name"}},
              "")
          .ok());
}

}  // namespace
}  // namespace flare::daemon

// flarectl against a real flared (SPEC §7, §9). Fails until the daemon is merged.

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "tests/testutil/flared_process.h"

namespace flare::testing {
namespace {

TEST(CliJobs, CreateGetListAndExitCodes) {
  FlaredProcess flared;
  auto created =
      flared.Flarectl({"-o", "json", "jobs", "create", "--type", "report.generate", "--payload",
                       R"({"report_id":1})", "--tag", "env=dev", "--run-at", "+1h"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  auto job = nlohmann::json::parse(created.out);
  std::string id = job["id"];
  EXPECT_EQ(job["state"], "scheduled");

  auto got = flared.Flarectl({"-o", "json", "jobs", "get", id});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_EQ(nlohmann::json::parse(got.out)["payload"]["report_id"], 1);

  auto ids = flared.Flarectl({"-o", "id", "jobs", "list", "--tag", "env:dev"});
  EXPECT_EQ(ids.out, id + "\n");

  auto missing = flared.Flarectl({"jobs", "get", "job_01HYX3K7M8N9P2Q4R5S6T7V8W9"});
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_NE(missing.err.find("(job_not_found)"), std::string::npos);

  auto bad_key = RunProgram(
      FLARECTL_PATH, {"--base-url", flared.base_url(), "--api-key", "wrong", "jobs", "list"});
  EXPECT_EQ(bad_key.exit_code, 4);
}

TEST(CliJobs, CancelNeedsYesAndRetryOnlyFailed) {
  FlaredProcess flared;
  auto id = flared.Flarectl(
      {"-o", "id", "jobs", "create", "--type", "t", "--payload", "{}", "--run-at", "+1h"});
  ASSERT_EQ(id.exit_code, 0) << id.err;
  std::string job = id.out.substr(0, id.out.find('\n'));
  EXPECT_EQ(flared.Flarectl({"jobs", "cancel", job}).exit_code, 2);
  EXPECT_EQ(flared.Flarectl({"jobs", "cancel", job, "--yes"}).exit_code, 0);
  EXPECT_EQ(flared.Flarectl({"jobs", "cancel", job, "--yes"}).exit_code, 5);  // invalid_state
  EXPECT_EQ(flared.Flarectl({"jobs", "retry", job}).exit_code, 5);
}

TEST(CliJobs, IdempotencyKeyReplaysTheSameJob) {
  FlaredProcess flared;
  std::vector<std::string> args = {
      "-o", "id", "jobs", "create", "--type", "t", "--payload", R"({"a":1})", "--idempotency-key",
      "k-1"};
  auto first = flared.Flarectl(args);
  auto second = flared.Flarectl(args);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(first.out, second.out);
  args[7] = R"({"a":2})";
  EXPECT_EQ(flared.Flarectl(args).exit_code, 5);  // idempotency_key_reuse
}

TEST(CliJobs, AllFollowsCursors) {
  FlaredProcess flared;
  nlohmann::json jobs = nlohmann::json::array();
  for (int i = 0; i < 7; ++i) jobs.push_back({{"job_type", "t"}, {"payload", {{"i", i}}}});
  auto batch = flared.Flarectl({"jobs", "batch", "-"}, jobs.dump());
  ASSERT_EQ(batch.exit_code, 0) << batch.err;
  auto all = flared.Flarectl({"-o", "id", "jobs", "list", "--limit", "3", "--all"});
  EXPECT_EQ(std::count(all.out.begin(), all.out.end(), '\n'), 7);
  auto page = flared.Flarectl({"-o", "json", "jobs", "list", "--limit", "3"});
  auto body = nlohmann::json::parse(page.out);
  EXPECT_EQ(body["data"].size(), 3u);
  EXPECT_TRUE(body["has_more"].get<bool>());
}

TEST(CliJobs, DebugNeverPrintsTheKey) {
  FlaredProcess flared;
  auto result = flared.Flarectl({"--debug", "jobs", "list"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.err.find("GET "), std::string::npos);
  EXPECT_EQ(result.err.find(flared.admin_key()), std::string::npos);
  EXPECT_EQ(result.out.find(flared.admin_key()), std::string::npos);
}

TEST(CliJobs, LoopbackUsesTheLocalAdminKey) {
  FlaredProcess flared;
  TempDir home;
  auto result = RunProgram(
      FLARECTL_PATH, {"--base-url", flared.base_url(), "jobs", "list"}, "",
      {"HOME=" + home.path().string(), "XDG_CONFIG_HOME=" + (home.path() / "config").string(),
       "FLARE_DATA_DIR=" + flared.data_dir().string()});
  EXPECT_EQ(result.exit_code, 0) << result.err;
}

TEST(CliJobs, VersionShowsTheDaemon) {
  FlaredProcess flared;
  auto result = flared.Flarectl({"version"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_NE(result.out.find("flared "), std::string::npos);
}

}  // namespace
}  // namespace flare::testing

// flarectl against a fake API: request shapes, exit codes, --debug, pagination, confirmations.

#include <gtest/gtest.h>

#include <fstream>

#include "cli/cli_error.h"
#include "tests/unit/cli/cli_test_support.h"

namespace flare::cli {
namespace {

using testing::FakeApi;
using testing::Sandbox;

class CommandsTest : public ::testing::Test {
 protected:
  testing::CliResult Run(std::vector<std::string> args, Terminal terminal = {},
                         const std::string& input = "") {
    args.insert(args.begin(), {"--base-url", api.base_url(), "--api-key", kKey});
    return sandbox.Run(args, {}, terminal, input);
  }
  static constexpr const char* kKey = "sk_test_DO_NOT_PRINT_0123456789";
  FakeApi api;
  Sandbox sandbox;
};

const nlohmann::json kJob = {
    {"id", "job_01"}, {"state", "pending"}, {"job_type", "t"}, {"queue", "default"}};

TEST_F(CommandsTest, CreateSendsBodyBearerAndIdempotencyHeader) {
  api.Reply("POST /flare/v1/jobs", 201, kJob);
  auto result = Run({"-o", "id", "jobs", "create", "--type", "email.send", "--payload",
                     R"({"to":"a"})", "--idempotency-key", "welcome-42", "--tag", "env=dev"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "job_01\n");
  auto sent = api.RequestsTo("POST /flare/v1/jobs");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].Header("Authorization"), std::string("Bearer ") + kKey);
  EXPECT_EQ(sent[0].Header("Idempotency-Key"), "welcome-42");
  EXPECT_EQ(sent[0].Header("Content-Type"), "application/json");
  EXPECT_EQ(sent[0].Json(),
            nlohmann::json::parse(
                R"({"job_type":"email.send","payload":{"to":"a"},"tags":{"env":"dev"}})"));
}

TEST_F(CommandsTest, CreateFromFileWithPayloadFromStdin) {
  api.Reply("POST /flare/v1/jobs", 201, kJob);
  flare::testing::TempDir dir;
  std::ofstream(dir / "job.json") << R"({"job_type":"report","queue":"q1"})";
  auto result = Run({"jobs", "create", "--from-file", (dir / "job.json").string(), "--queue", "q2",
                     "--payload", "-"},
                    {}, R"({"n":1})");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  auto body = api.RequestsTo("POST /flare/v1/jobs").at(0).Json();
  EXPECT_EQ(body, nlohmann::json::parse(R"({"job_type":"report","queue":"q2","payload":{"n":1}})"));
}

TEST_F(CommandsTest, ErrorBodiesMapToExitCodesAndStderr) {
  struct Case {
    int status;
    const char* code;
    int exit;
  };
  for (auto c :
       {Case{404, "job_not_found", kExitNotFound}, Case{401, "unauthorized", kExitUnauthorized},
        Case{403, "forbidden", kExitUnauthorized}, Case{409, "invalid_state", kExitConflict},
        Case{422, "parent_not_found", kExitConflict},
        Case{429, "rate_limit_exceeded", kExitRateLimited},
        Case{400, "invalid_request", kExitError}, Case{500, "internal", kExitError}}) {
    FakeApi local;
    local.Reply("GET /flare/v1/jobs/job_x", c.status,
                {{"error", {{"code", c.code}, {"message", "It went wrong."}}}});
    auto result = sandbox.Run({"--base-url", local.base_url(), "jobs", "get", "job_x"});
    EXPECT_EQ(result.exit_code, c.exit) << c.status;
    EXPECT_EQ(result.out, "");
    EXPECT_NE(result.err.find(std::string("error: It went wrong. (") + c.code + ")"),
              std::string::npos)
        << result.err;
  }
}

TEST_F(CommandsTest, UnreachableApiExitsSixWithHint) {
  auto result = sandbox.Run({"--base-url", "http://127.0.0.1:1", "jobs", "list"});
  EXPECT_EQ(result.exit_code, kExitUnreachable);
  EXPECT_NE(result.err.find("(unreachable)"), std::string::npos);
  EXPECT_NE(result.err.find("hint:"), std::string::npos);
}

TEST_F(CommandsTest, UsageErrorsExitTwo) {
  EXPECT_EQ(Run({"jobs"}).exit_code, kExitUsage);
  EXPECT_EQ(Run({"jobs", "get"}).exit_code, kExitUsage);
  EXPECT_EQ(Run({"-o", "yaml", "jobs", "list"}).exit_code, kExitUsage);
  EXPECT_EQ(Run({"jobs", "create", "--max-attempts", "x"}).exit_code, kExitUsage);
  EXPECT_TRUE(api.requests().empty());
}

TEST_F(CommandsTest, DebugTracesRequestsButNeverTheKey) {
  api.Reply("GET /flare/v1/jobs/job_01", 200, kJob);
  auto result = Run({"--debug", "jobs", "get", "job_01"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_NE(result.err.find("* GET " + api.base_url() + "/flare/v1/jobs/job_01"),
            std::string::npos);
  EXPECT_NE(result.err.find("< 200 ("), std::string::npos);
  EXPECT_NE(result.err.find("\"job_type\":\"t\""), std::string::npos);
  EXPECT_EQ(result.err.find(kKey), std::string::npos);
  EXPECT_EQ(result.err.find("Authorization"), std::string::npos);
  EXPECT_EQ(result.out.find(kKey), std::string::npos);
}

TEST_F(CommandsTest, DebugCutsBodiesAt4KiB) {
  api.Reply("GET /flare/v1/jobs/job_01", 200,
            {{"id", "job_01"}, {"blob", std::string(10000, 'x')}});
  auto result = Run({"--debug", "-o", "id", "jobs", "get", "job_01"});
  EXPECT_NE(result.err.find("bytes)"), std::string::npos);
  EXPECT_EQ(result.err.find(std::string(4100, 'x')), std::string::npos);
}

TEST_F(CommandsTest, ListFiltersAndAllFollowsCursors) {
  api.On("GET /flare/v1/jobs", [](const httplib::Request& request, httplib::Response& response) {
    std::string cursor = request.has_param("cursor") ? request.get_param_value("cursor") : "";
    nlohmann::json page;
    if (cursor.empty()) {
      page = {{"data", {{{"id", "job_a"}}, {{"id", "job_b"}}}},
              {"has_more", true},
              {"next_cursor", "c1"}};
    } else if (cursor == "c1") {
      page = {{"data", {{{"id", "job_c"}}}}, {"has_more", true}, {"next_cursor", "c2"}};
    } else {
      page = {{"data", {{{"id", "job_d"}}}}, {"has_more", false}, {"next_cursor", nullptr}};
    }
    response.set_content(page.dump(), "application/json");
  });
  auto result = Run({"-o", "id", "jobs", "list", "--all", "--state", "failed", "--type", "email",
                     "--tag", "env:dev", "--limit", "2"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "job_a\njob_b\njob_c\njob_d\n");
  auto sent = api.RequestsTo("GET /flare/v1/jobs");
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[0].Param("state"), "failed");
  EXPECT_EQ(sent[0].Param("job_type"), "email");
  EXPECT_EQ(sent[0].Param("tag"), "env:dev");
  EXPECT_EQ(sent[0].Param("limit"), "2");
  EXPECT_EQ(sent[2].Param("cursor"), "c2");

  auto json = Run({"-o", "json", "jobs", "list", "--all"});
  auto page = nlohmann::json::parse(json.out);
  EXPECT_EQ(page["data"].size(), 4u);
  EXPECT_EQ(page["has_more"], false);
  auto one_page = Run({"-o", "jsonl", "jobs", "list"});
  EXPECT_EQ(one_page.out, "{\"id\":\"job_a\"}\n{\"id\":\"job_b\"}\n");
}

TEST_F(CommandsTest, DestructiveVerbsNeedYesWithoutATerminal) {
  api.Reply("DELETE /flare/v1/jobs/job_01", 204, nullptr);
  api.Reply("POST /flare/v1/jobs/job_01/cancel", 200, {{"id", "job_01"}, {"state", "cancelled"}});
  auto refused = Run({"jobs", "delete", "job_01"});
  EXPECT_EQ(refused.exit_code, kExitUsage);
  EXPECT_NE(refused.err.find("--yes"), std::string::npos);
  EXPECT_TRUE(api.requests().empty());

  EXPECT_EQ(Run({"jobs", "delete", "job_01", "--yes"}).exit_code, 0);
  EXPECT_EQ(api.RequestsTo("DELETE /flare/v1/jobs/job_01").size(), 1u);

  auto declined = Run({"jobs", "cancel", "job_01"}, testing::Tty(), "n\n");
  EXPECT_EQ(declined.exit_code, kExitError);
  auto accepted = Run({"-o", "json", "jobs", "cancel", "job_01"}, testing::Tty(), "y\n");
  EXPECT_EQ(accepted.exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(accepted.out)["state"], "cancelled");
  EXPECT_EQ(api.RequestsTo("POST /flare/v1/jobs/job_01/cancel").size(), 1u);
}

TEST_F(CommandsTest, PauseResumeTriggerAndRunsHitSpecPaths) {
  api.Reply("PATCH /flare/v1/jobs/nightly", 200, kJob);
  api.Reply("POST /flare/v1/jobs/nightly/trigger", 201, {{"id", "run_1"}, {"trigger", "MANUAL"}});
  api.Reply("POST /flare/v1/runs/run_1/rerun", 201, {{"id", "run_2"}});
  api.Reply("GET /flare/v1/runs", 200, {{"data", nlohmann::json::array()}, {"has_more", false}});
  EXPECT_EQ(Run({"jobs", "pause", "nightly"}).exit_code, 0);
  EXPECT_EQ(Run({"jobs", "resume", "nightly"}).exit_code, 0);
  auto patches = api.RequestsTo("PATCH /flare/v1/jobs/nightly");
  ASSERT_EQ(patches.size(), 2u);
  EXPECT_EQ(patches[0].Json(), nlohmann::json({{"enabled", false}}));
  EXPECT_EQ(patches[1].Json(), nlohmann::json({{"enabled", true}}));
  EXPECT_EQ(Run({"-o", "id", "jobs", "trigger", "nightly", "--payload", R"({"x":1})"}).out,
            "run_1\n");
  EXPECT_EQ(api.RequestsTo("POST /flare/v1/jobs/nightly/trigger")[0].Json()["payload"]["x"], 1);
  EXPECT_EQ(Run({"-o", "id", "runs", "rerun", "run_1"}).out, "run_2\n");
  EXPECT_EQ(Run({"runs", "list", "--job", "job_1", "--trigger", "MANUAL"}).exit_code, 0);
  EXPECT_EQ(api.RequestsTo("GET /flare/v1/runs")[0].Param("trigger"), "MANUAL");
}

TEST_F(CommandsTest, BatchPostsJobsFromJsonl) {
  api.Reply("POST /flare/v1/jobs/batch", 201, {{"results", {{{"index", 0}, {"job", kJob}}}}});
  auto result = Run({"jobs", "batch", "-"}, {}, "{\"job_type\":\"a\"}\n{\"job_type\":\"b\"}\n");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  auto body = api.RequestsTo("POST /flare/v1/jobs/batch").at(0).Json();
  EXPECT_EQ(body["jobs"].size(), 2u);
  EXPECT_EQ(body["jobs"][1]["job_type"], "b");
}

void ServeSnapshots(FakeApi& api, const std::string& final_state) {
  api.On("GET /flare/v1/jobs/job_w/events",
         [final_state](const httplib::Request& request, httplib::Response& response) {
           EXPECT_EQ(request.get_header_value("Accept"), "text/event-stream");
           std::string body =
               "event: snapshot\ndata: {\"state\":\"processing\",\"progress\":0.5}\n\n"
               "event: snapshot\ndata: {\"state\":\"" +
               final_state + "\"}\n\n";
           response.set_content(body, "text/event-stream");
         });
  api.Reply("GET /flare/v1/jobs/job_w", 200, {{"id", "job_w"}, {"state", final_state}});
}

TEST_F(CommandsTest, WaitExitCodesFollowTheFinalState) {
  for (auto [state, code] : std::vector<std::pair<std::string, int>>{
           {"succeeded", 0}, {"dead_letter", kExitWaitFailed}, {"cancelled", kExitWaitCancelled}}) {
    FakeApi local;
    ServeSnapshots(local, state);
    auto result = sandbox.Run({"--base-url", local.base_url(), "jobs", "wait", "job_w"});
    EXPECT_EQ(result.exit_code, code) << state << result.err;
    EXPECT_EQ(result.out, "job_w\t" + state + "\n");
  }
}

TEST_F(CommandsTest, WaitTimesOutWithTwelve) {
  api.On("GET /flare/v1/jobs/job_w/events",
         [](const httplib::Request&, httplib::Response& response) {
           response.set_content("event: snapshot\ndata: {\"state\":\"processing\"}\n\n",
                                "text/event-stream");
         });
  api.Reply("GET /flare/v1/jobs/job_w", 200, {{"id", "job_w"}, {"state", "processing"}});
  auto result = Run({"jobs", "wait", "job_w", "--timeout", "1s"});
  EXPECT_EQ(result.exit_code, kExitWaitTimedOut) << result.err;
}

TEST_F(CommandsTest, EventsFollowPrintsSnapshotsAsJsonl) {
  ServeSnapshots(api, "succeeded");
  auto result = Run({"-o", "jsonl", "jobs", "events", "job_w", "--follow"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "{\"progress\":0.5,\"state\":\"processing\"}\n{\"state\":\"succeeded\"}\n");
}

TEST_F(CommandsTest, ApiCommandPrintsBodyAndExitsByStatus) {
  api.Reply("GET /flare/v1/jobs/job_x", 404,
            {{"error", {{"code", "job_not_found"}, {"message", "m"}}}});
  api.Reply("POST /flare/v1/jobs", 201, kJob);
  auto missing = Run({"api", "get", "/flare/v1/jobs/job_x"});
  EXPECT_EQ(missing.exit_code, kExitNotFound);
  EXPECT_NE(missing.out.find("job_not_found"), std::string::npos);
  auto created = Run({"api", "POST", "/flare/v1/jobs", "--input", "-"}, {}, R"({"job_type":"t"})");
  EXPECT_EQ(created.exit_code, 0);
  EXPECT_EQ(api.RequestsTo("POST /flare/v1/jobs")[0].body, R"({"job_type":"t"})");
}

TEST_F(CommandsTest, VersionShowsClientAndDaemon) {
  api.Reply("GET /healthz", 200, {{"status", "ok"}, {"version", "9.9.9"}});
  auto result = Run({"version"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_NE(result.out.find("flarectl "), std::string::npos);
  EXPECT_NE(result.out.find("flared 9.9.9"), std::string::npos);
}

TEST_F(CommandsTest, HelpTopics) {
  for (const char* topic : {"environment", "exit-codes", "output"}) {
    auto result = Run({"help", topic});
    EXPECT_EQ(result.exit_code, 0) << topic;
    EXPECT_FALSE(result.out.empty());
  }
  EXPECT_NE(Run({"help", "jobs", "create"}).out.find("--idempotency-key"), std::string::npos);
  EXPECT_EQ(Run({"help", "nonsense"}).exit_code, kExitUsage);
}

}  // namespace
}  // namespace flare::cli

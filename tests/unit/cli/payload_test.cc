#include "cli/payload.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "cli/cli_error.h"
#include "cli/commands/job_body.h"
#include "cli/sse.h"
#include "tests/testutil/temp_dir.h"

namespace flare::cli {
namespace {

TEST(Payload, InlineFileAndStdin) {
  flare::testing::TempDir dir;
  std::ofstream(dir / "p.json") << R"({"from":"file"})";
  std::istringstream stdin_text(R"({"from":"stdin"})");
  std::istringstream none;
  EXPECT_EQ(ParseJsonArg(R"({"a":1})", none, "--payload"), nlohmann::json({{"a", 1}}));
  EXPECT_EQ(ParseJsonArg("@" + (dir / "p.json").string(), none, "--payload")["from"], "file");
  EXPECT_EQ(ParseJsonArg("-", stdin_text, "--payload")["from"], "stdin");
  EXPECT_THROW(ParseJsonArg("{nope", none, "--payload"), CliError);
  EXPECT_THROW(ParseJsonArg("@/no/such/file", none, "--payload"), CliError);
}

TEST(Payload, JsonArrayOrJsonl) {
  EXPECT_EQ(ParseJsonOrJsonl(R"([{"a":1},{"a":2}])", "f").size(), 2u);
  EXPECT_EQ(ParseJsonOrJsonl("{\"a\":1}\n\n{\"a\":2}\n", "f").size(), 2u);
  EXPECT_THROW(ParseJsonOrJsonl("{\"a\":1}\nnot json\n", "f"), CliError);
}

nlohmann::json Build(const std::vector<std::string>& args, BodyMode mode = BodyMode::kCreate) {
  CLI::App app;
  JobFlags flags;
  flags.Add(&app, mode);
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  app.parse(reversed);
  std::istringstream in;
  return flags.Build(in, FromMillis(1'773'847'800'000));
}

TEST(JobBody, FlagsMapOntoSpecFields) {
  auto body = Build({"--type", "email.send", "--queue", "mail", "--payload", R"({"to":"a"})",
                     "--max-attempts", "5", "--timeout", "2m", "--tag", "env=dev", "--tag",
                     "tier=gold", "--priority", "-3", "--run-at", "+10m"});
  EXPECT_EQ(body["job_type"], "email.send");
  EXPECT_EQ(body["queue"], "mail");
  EXPECT_EQ(body["payload"]["to"], "a");
  EXPECT_EQ(body["max_attempts"], 5);
  EXPECT_EQ(body["timeout_seconds"], 120);
  EXPECT_EQ(body["tags"], nlohmann::json({{"env", "dev"}, {"tier", "gold"}}));
  EXPECT_EQ(body["priority"], -3);
  EXPECT_EQ(body["run_at"], "2026-03-18T15:40:00.000Z");
}

TEST(JobBody, HttpScheduleAndRetryFlags) {
  auto body = Build({"--url",
                     "https://example.com/hook",
                     "--method",
                     "PUT",
                     "--header",
                     "X-A: 1",
                     "--success-status",
                     "2xx",
                     "--insecure",
                     "--follow-redirects",
                     "3",
                     "--schedule",
                     "*/5 * * * *",
                     "--tz",
                     "Europe/Berlin",
                     "--retry",
                     "custom",
                     "--retry-delay",
                     "10s,1m",
                     "--misfire",
                     "skip",
                     "--concurrency-policy",
                     "forbid",
                     "--disabled"});
  EXPECT_EQ(body["http"]["url"], "https://example.com/hook");
  EXPECT_EQ(body["http"]["method"], "PUT");
  EXPECT_EQ(body["http"]["headers"], nlohmann::json::parse(R"([{"name":"X-A","value":"1"}])"));
  EXPECT_EQ(body["http"]["success_status"], "2xx");
  EXPECT_EQ(body["http"]["tls_verify"], false);
  EXPECT_EQ(body["http"]["follow_redirects"], 3);
  EXPECT_EQ(body["schedule"], "*/5 * * * *");
  EXPECT_EQ(body["timezone"], "Europe/Berlin");
  EXPECT_EQ(body["retry"]["strategy"], "custom");
  EXPECT_EQ(body["retry"]["delays_seconds"], nlohmann::json({10, 60}));
  EXPECT_EQ(body["misfire_policy"], "skip");
  EXPECT_EQ(body["concurrency_policy"], "forbid");
  EXPECT_EQ(body["enabled"], false);
  EXPECT_EQ(Build({"--success-status", "204"})["http"]["success_status"], 204);
  EXPECT_EQ(Build({"--retry-delay", "30s"})["retry"]["initial_delay_seconds"], 30);
}

TEST(JobBody, UpdateSetsDottedJsonValues) {
  auto body = Build(
      {"--set", "http.url=https://x", "--set", "max_attempts=7", "--set", "payload={\"k\":[1]}"},
      BodyMode::kUpdate);
  EXPECT_EQ(body["http"]["url"], "https://x");
  EXPECT_EQ(body["max_attempts"], 7);
  EXPECT_EQ(body["payload"]["k"][0], 1);
}

TEST(JobBody, BadValuesAreUsageErrors) {
  EXPECT_THROW(Build({"--max-attempts", "many"}), CliError);
  EXPECT_THROW(Build({"--timeout", "soon"}), CliError);
  EXPECT_THROW(Build({"--run-at", "tomorrow"}), CliError);
  EXPECT_THROW(Build({"--tag", "novalue"}), CliError);
}

TEST(Sse, ParsesEventsAcrossChunkBoundaries) {
  std::vector<SseEvent> events;
  SseParser parser([&](const SseEvent& event) { events.push_back(event); });
  parser.Feed("event: snap");
  parser.Feed("shot\r\ndata: {\"state\":");
  parser.Feed("\"processing\"}\n\n: keep-alive\n\nid: 7\ndata: a\ndata: b\n\n");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].event, "snapshot");
  EXPECT_EQ(events[0].data, R"({"state":"processing"})");
  EXPECT_EQ(events[1].event, "message");
  EXPECT_EQ(events[1].id, "7");
  EXPECT_EQ(events[1].data, "a\nb");
}

}  // namespace
}  // namespace flare::cli

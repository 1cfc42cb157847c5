// Exports of jobs and runs (seed 004) against a real flared: the round trip (JSONL and CSV
// parsed back and compared with the API's objects), the CSV header, RFC 4180 quoting and
// neutralised formulas, chunked streaming, every error code and the per-project rate limit;
// plus the flarectl commands for exports and the event log.

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "common/time_format.h"
#include "tests/integration/itest.h"

namespace flare::testing {
namespace {

const char* kJobsHeader =
    "Id,State,JobType,Queue,CreatedAt,CompletedAt,Attempt,MaxAttempts,DurationMs,Error,Tags";

std::string Now(milliseconds offset = milliseconds(0)) {
  return FormatTime(
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()) +
      offset);
}

std::string Encode(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '+') {
      out += "%2B";
    } else if (c == ':') {
      out += "%3A";
    } else {
      out += c;
    }
  }
  return out;
}

// RFC 4180: records end with CRLF; quoted fields may hold commas, CRLF and "" for a quote.
std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> record;
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      record.push_back(field);
      field.clear();
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      record.push_back(field);
      records.push_back(record);
      record.clear();
      field.clear();
      ++i;
    } else {
      field += c;
    }
  }
  return records;
}

class Export : public ::testing::Test {
 public:
  static void SetUpTestSuite() {
    shared_ =
        std::make_unique<FlaredProcess>(std::vector<std::string>{"--export-cooldown-seconds", "0"});
  }
  static void TearDownTestSuite() {
    ExpectCleanShutdown(*shared_);
    shared_.reset();
  }
  static FlaredProcess& flared() { return *shared_; }

 protected:
  HttpReply Get(const std::string& noun, const std::string& query) {
    return flared().Call("GET", "/flare/v1/" + noun + "/export?" + query);
  }
  static inline std::unique_ptr<FlaredProcess> shared_;
};

TEST_F(Export, JsonlAndCsvRoundTripToTheApiObjectsInCreationOrder) {
  std::string queue = Unique("q");
  std::string from = Now(milliseconds(-1));
  json tricky_tags = {{"note", "a, \"quoted\"\r\nline"}, {"env", "=1+2"}};
  std::vector<std::string> ids;
  ids.push_back(CreateJob(
      flared(), JobBody(queue, {{"job_type", "=HYPERLINK(\"x\")"}, {"tags", tricky_tags}}))["id"]);
  for (int i = 0; i < 3; ++i) ids.push_back(CreateJob(flared(), JobBody(queue))["id"]);
  json claim = Poll(flared(), "w", queue)[0];
  ASSERT_EQ(Ack(flared(), claim, "w", "succeeded").status, 200);
  std::string window = "from=" + Encode(from) + "&until=" + Encode(Now(seconds(1)));

  HttpReply jsonl = Get("jobs", window);
  ASSERT_EQ(jsonl.status, 200) << jsonl.body;
  EXPECT_EQ(jsonl.header("Content-Type"), "application/x-ndjson");
  EXPECT_EQ(jsonl.header("Transfer-Encoding"), "chunked");
  EXPECT_TRUE(jsonl.header("Content-Length").empty());
  EXPECT_NE(jsonl.header("Content-Disposition").find("attachment; filename=\"zeridion-jobs-prj_"),
            std::string::npos)
      << jsonl.header("Content-Disposition");
  std::vector<std::string> seen;
  std::istringstream lines(jsonl.body);
  for (std::string line; std::getline(lines, line);) {
    json row = json::parse(line);
    if (row["queue"] != queue) continue;
    seen.push_back(row["id"]);
    EXPECT_EQ(row, GetJob(flared(), row["id"])) << "a row is the job detail object";
  }
  EXPECT_EQ(seen, ids);

  HttpReply csv = Get("jobs", window + "&format=csv");
  ASSERT_EQ(csv.status, 200) << csv.body;
  EXPECT_EQ(csv.header("Content-Type"), "text/csv");
  EXPECT_EQ(csv.body.rfind(std::string(kJobsHeader) + "\r\n", 0), 0u);
  auto records = ParseCsv(csv.body);
  std::vector<std::vector<std::string>> mine;
  for (const auto& record : records) {
    ASSERT_EQ(record.size(), 11u);
    if (record[3] == queue) mine.push_back(record);
  }
  ASSERT_EQ(mine.size(), ids.size());
  for (size_t i = 0; i < mine.size(); ++i) {
    json job = GetJob(flared(), ids[i]);
    EXPECT_EQ(mine[i][0], ids[i]);
    EXPECT_EQ(mine[i][1], job["state"]);
    EXPECT_EQ(mine[i][4], job["created_at"]);
    EXPECT_EQ(mine[i][6], std::to_string(job["attempt"].get<int>()));
  }
  EXPECT_EQ(mine[0][2], "'=HYPERLINK(\"x\")") << "a formula is neutralised";
  EXPECT_EQ(json::parse(mine[0][10]), tricky_tags) << "quotes, commas and newlines survive";
  EXPECT_EQ(mine[0][1], "succeeded");  // the first job was claimed and acked
  EXPECT_FALSE(mine[0][5].empty());    // CompletedAt
  EXPECT_TRUE(mine[2][9].empty());     // no error: an empty cell

  HttpReply runs = Get("runs", window);
  ASSERT_EQ(runs.status, 200) << runs.body;
  size_t run_rows = 0;
  std::istringstream run_lines(runs.body);
  for (std::string line; std::getline(run_lines, line);) {
    json row = json::parse(line);
    if (row["queue"] != queue) continue;
    ++run_rows;
    EXPECT_EQ(row, flared().Call("GET", "/flare/v1/runs/" + row["id"].get<std::string>()).json());
  }
  EXPECT_EQ(run_rows, ids.size());
  HttpReply runs_csv = Get("runs", window + "&format=csv");
  ASSERT_EQ(runs_csv.status, 200);
  EXPECT_EQ(ParseCsv(runs_csv.body)[0][0], "Id");
  EXPECT_EQ(ParseCsv(runs_csv.body)[0][1], "JobId");
}

TEST_F(Export, JsonlRowsEqualTheApiObjectsForAwkwardJobsInEveryState) {
  std::string queue = Unique("q");
  std::string from = Now(milliseconds(-1));
  json awkward = {{"quote", "say \"hi\" \\ there"},
                  {"lines", "one\r\ntwo\tthree"},
                  {"control", std::string("\x01\x1f\x7f", 3)},
                  {"unicode", "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80"},
                  {"null", nullptr},
                  {"numbers", {0, -1, 2.5, 1e-7, 9007199254740993}}};
  std::vector<std::string> ids;
  // processing, succeeded, failed (a retry due), dead_letter: null fields and filled ones
  // (error, result, completed_at, duration_ms). Created first: the poll claims only these.
  for (int i = 0; i < 4; ++i)
    ids.push_back(CreateJob(flared(), JobBody(queue, {{"max_attempts", i == 3 ? 1 : 3}}))["id"]);
  json claims = Poll(flared(), "w", queue, 4);
  ASSERT_EQ(claims.size(), 4u);
  ASSERT_EQ(
      Ack(flared(), claims[1], "w", "succeeded", {{"result", {{"r", "\xe2\x82\xac\n"}}}}).status,
      200);
  json error = {{"type", "E\"rr"}, {"message", "bad\nthing \xf0\x9f\x92\xa5"}};
  ASSERT_EQ(Ack(flared(), claims[2], "w", "failed", {{"error", error}}).status, 200);
  ASSERT_EQ(Ack(flared(), claims[3], "w", "failed", {{"error", error}}).status, 200);
  // pending, with every optional field filled with awkward text.
  std::string slug = Unique("slug");
  std::transform(slug.begin(), slug.end(), slug.begin(), ::tolower);
  ids.push_back(CreateJob(flared(), JobBody(queue, {{"payload", awkward},
                                                    {"name", "N \"1\"\n\xc3\xa9"},
                                                    {"description", "line\r\nline"},
                                                    {"slug", slug},
                                                    {"tags", {{"k\"ey", "v\nal"}}}}))["id"]);
  // scheduled: a cron job and a one-off later on.
  ids.push_back(CreateJob(flared(), JobBody(queue, {{"schedule", "0 3 * * *"}}))["id"]);
  ids.push_back(
      CreateJob(flared(), JobBody(queue, {{"run_at", Now(std::chrono::hours(1))}}))["id"]);
  std::string cancelled = CreateJob(flared(), JobBody(queue))["id"];
  ASSERT_EQ(flared().Call("POST", "/flare/v1/jobs/" + cancelled + "/cancel").status, 200);
  ids.push_back(cancelled);

  HttpReply jsonl =
      Get("jobs", "from=" + Encode(from) + "&until=" + Encode(Now(seconds(1))) + "&format=jsonl");
  ASSERT_EQ(jsonl.status, 200) << jsonl.body;
  std::vector<std::string> seen;
  std::set<std::string> states;
  std::istringstream lines(jsonl.body);
  for (std::string line; std::getline(lines, line);) {
    json row = json::parse(line);  // throws on anything that is not valid JSON and UTF-8
    if (row["queue"] != queue) continue;
    seen.push_back(row["id"]);
    states.insert(row["state"].get<std::string>());
    EXPECT_EQ(row, GetJob(flared(), row["id"])) << line;
  }
  EXPECT_EQ(seen, ids);
  EXPECT_EQ(states, (std::set<std::string>{"pending", "scheduled", "processing", "succeeded",
                                           "failed", "dead_letter", "cancelled"}));
}

TEST_F(Export, EveryErrorCodeOfSeed004) {
  std::string until = Encode(Now());
  EXPECT_TRUE(IsError(Get("jobs", "until=" + until), 400, "invalid_from", "from"));
  EXPECT_TRUE(IsError(Get("jobs", "from=yesterday&until=" + until), 400, "invalid_from"));
  EXPECT_TRUE(IsError(Get("jobs", "from=" + until), 400, "invalid_until", "until"));
  EXPECT_TRUE(IsError(Get("runs", "from=" + until + "&until=soon"), 400, "invalid_until"));
  EXPECT_TRUE(
      IsError(Get("jobs", "from=" + until + "&until=2020-01-01T00:00:00Z"), 400, "invalid_range"));
  EXPECT_TRUE(IsError(Get("jobs", "from=" + until + "&until=" + until), 400, "invalid_range"));
  EXPECT_TRUE(IsError(Get("jobs", "from=2026-01-01T00:00:00Z&until=2026-04-01T00:00:01Z"), 400,
                      "range_too_large"));
  EXPECT_EQ(Get("jobs", "from=2026-01-01T00:00:00Z&until=2026-04-01T00:00:00Z").status, 200)
      << "exactly 90 days is allowed";
  EXPECT_TRUE(IsError(Get("jobs", "from=" + Encode(Now(-std::chrono::hours(24))) +
                                      "&until=" + until + "&format=xml"),
                      400, "invalid_format", "format"));
}

TEST_F(Export, FlarectlWritesTheExportToAFileAndFollowsTheEventLog) {
  std::string queue = Unique("q");
  std::string id = CreateJob(flared(), JobBody(queue))["id"];
  auto file = flared().data_dir() / "jobs.csv";
  auto exported =
      flared().Flarectl({"jobs", "export", "--from", "1h", "--format", "csv", "-O", file.string()});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_TRUE(exported.out.empty()) << "data goes to the file";
  EXPECT_TRUE(exported.err.empty()) << "no progress when stderr is not a terminal";
  std::ifstream in(file);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text.rfind(kJobsHeader, 0), 0u);
  EXPECT_NE(text.find(id), std::string::npos);
  auto runs = flared().Flarectl({"runs", "export", "--from", "1h"});
  ASSERT_EQ(runs.exit_code, 0) << runs.err;
  EXPECT_NE(runs.out.find(id), std::string::npos);

  auto list = flared().Flarectl({"-o", "json", "events", "--job", id});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(json::parse(list.out)["data"][0]["type"], "created");
  // --follow --after the first event: the rest arrives, one JSON object per line.
  ASSERT_EQ(flared().Call("POST", "/flare/v1/jobs/" + id + "/cancel").status, 200);
  std::string first = json::parse(list.out)["data"][0]["id"];
  auto follow = flared().Flarectl(
      {"-o", "jsonl", "events", "--follow", "--job", id, "--after", first, "--count", "1"});
  ASSERT_EQ(follow.exit_code, 0) << follow.err;
  EXPECT_EQ(json::parse(follow.out)["type"], "cancelled");
}

TEST(ExportLimits, OneExportPerMinutePerProjectAndKindThen429WithRetryAfter) {
  FlaredProcess flared;
  std::string window = "from=2026-01-01T00:00:00Z&until=2026-02-01T00:00:00Z";
  EXPECT_EQ(flared.Call("GET", "/flare/v1/jobs/export?" + window).status, 200);
  HttpReply again = flared.Call("GET", "/flare/v1/jobs/export?" + window + "&format=csv");
  EXPECT_TRUE(IsError(again, 429, "rate_limit_exceeded"));
  int retry_after = std::atoi(again.header("Retry-After").c_str());
  EXPECT_GE(retry_after, 1);
  EXPECT_LE(retry_after, 60);
  EXPECT_EQ(flared.Call("GET", "/flare/v1/runs/export?" + window).status, 200)
      << "runs have their own minute";
  auto cli = flared.Flarectl({"jobs", "export", "--from", "1h"});
  EXPECT_EQ(cli.exit_code, 7) << cli.err;
  EXPECT_NE(cli.err.find("rate_limit_exceeded"), std::string::npos) << cli.err;
  ExpectCleanShutdown(flared);
}

}  // namespace
}  // namespace flare::testing

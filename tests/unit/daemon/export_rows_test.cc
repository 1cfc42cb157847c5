// Export rows written from the store's raw rows (export_rows.cc) against the API's views:
// every JSONL line is byte for byte the body GET /jobs/{id} or GET /runs/{id} would send,
// for jobs in every state and with awkward content; CSV cells are the views' values; pages
// (by count, with ties on created_at, and by size) neither lose nor repeat a row.

#include <set>
#include <sstream>

#include "daemon/service/csv.h"
#include "daemon/service/export_prefetch.h"
#include "daemon/service/export_service.h"
#include "tests/unit/daemon/service_fixture.h"

namespace flare::daemon {
namespace {

using nlohmann::json;

std::string Wire(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::vector<std::string> Lines(const std::string& text, const char* end = "\n") {
  std::vector<std::string> lines;
  size_t at = 0;
  for (size_t next; (next = text.find(end, at)) != std::string::npos;
       at = next + std::strlen(end)) {
    lines.push_back(text.substr(at, next - at));
  }
  EXPECT_EQ(at, text.size()) << "the text ends with a complete line";
  return lines;
}

class ExportRowsTest : public ServiceTest {
 protected:
  std::string Export(ExportKind kind, ExportFormat format) {
    ExportCursor cursor(readers_, kProject, kind, format, clock_.Now() - std::chrono::hours(24),
                        clock_.Now() + std::chrono::hours(24));
    std::string out;
    for (int pages = 0; cursor.Next(out); ++pages) {
      EXPECT_LT(pages, 100000) << "an export ends";
    }
    return out;
  }
  void Ack(const json& claimed, const std::string& status, json extra = json::object()) {
    json ack = {{"job_id", claimed["id"]}, {"worker_id", "w1"}, {"status", status}};
    ack.update(extra);
    auto acked = workers_.Ack(kProject, ack);
    ASSERT_TRUE(acked.ok()) << acked.error().message;
  }
  std::string Create(json body) {
    if (!body.contains("job_type")) body["job_type"] = "t";
    if (!body.contains("payload")) body["payload"] = json::object();
    return MustCreate(body)["id"];
  }

  // Jobs in every state of SPEC §3 (and a deleted one), with text that needs escaping.
  std::vector<std::string> AwkwardJobsInEveryState() {
    std::vector<std::string> ids;
    json awkward = {
        {"quote", "say \"hi\"\\"},
        {"lines", "one\r\ntwo\tthree"},
        {"control", std::string("\x01\x1f\x7f", 3)},
        {"unicode", "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80"},
        {"nested", {{"list", {1, 2.5, -3e-7, true, nullptr}}, {"empty", json::object()}}},
        {"=formula", "+1"}};
    // pending, with every optional spec field and an idempotency key.
    auto first = jobs_.Create(kProject,
                              {{"job_type", "=HYPERLINK(\"x\")"},
                               {"queue", "q-\xc3\xa9"},
                               {"payload", awkward},
                               {"tags", {{"note", "a, \"quoted\"\r\nline"}, {"env", "-1"}}},
                               {"name", "Name \"1\"\n"},
                               {"description", "d\xe2\x82\xac"},
                               {"slug", "awkward-one"},
                               {"priority", 5},
                               {"timeout_seconds", 60},
                               {"max_attempts", 4},
                               {"concurrency_policy", "forbid"},
                               {"retry", {{"strategy", "linear"}, {"initial_delay_seconds", 7}}}},
                              "idem-\"key\"");
    EXPECT_TRUE(first.ok()) << (first.ok() ? "" : first.error().message);
    ids.push_back(first.ok() ? first->id : "");
    // scheduled: a cron job, and a one-off in the future.
    ids.push_back(Create({{"schedule", "*/5 * * * *"}, {"timezone", "Europe/Berlin"}}));
    ids.push_back(Create({{"run_at", FormatTime(clock_.Now() + std::chrono::hours(2))}}));
    // an HTTP job: its header values are masked in the export as in the API.
    json http = {
        {"url", "http://127.0.0.1:9/hook"},
        {"method", "POST"},
        {"headers", json::array({{{"name", "Authorization"}, {"value", "Bearer s3cret"}}})}};
    ids.push_back(Create({{"http", http}, {"job_type", "http"}}));
    // processing with progress, succeeded with a result, failed (a retry due), dead_letter
    // with an error, cancelled, deleted.
    std::string queue = "work";
    for (int i = 0; i < 6; ++i) {
      ids.push_back(Create({{"queue", queue}, {"max_attempts", i == 3 ? 1 : 3}}));
    }
    auto claimed = Claim(queue, 6);
    EXPECT_EQ(claimed.size(), 6u);
    EXPECT_TRUE(
        workers_
            .Progress(kProject,
                      {{"job_id", claimed[0]["id"]}, {"worker_id", "w1"}, {"progress", 0.25}})
            .ok());
    Advance(std::chrono::milliseconds(1234));
    Ack(claimed[1], "succeeded", {{"result", {{"ok", "y\xc3\xa9s\n"}}}, {"duration_ms", 17}});
    Ack(claimed[2], "failed",
        {{"error", {{"type", "Boom"}, {"message", "bad \"thing\"\n"}, {"stack_trace", "at x"}}}});
    Ack(claimed[3], "failed", {{"error", {{"type", "Fatal"}, {"message", "=cmd|' /C calc'!A0"}}}});
    Ack(claimed[4], "succeeded");
    EXPECT_TRUE(jobs_.Delete(kProject, claimed[4]["id"]).ok());
    std::string to_cancel = Create({});
    EXPECT_TRUE(jobs_.Cancel(kProject, to_cancel).ok());
    ids.push_back(to_cancel);
    return ids;
  }
};

// The job answers written as text (create, get, update) are JobView's dump byte for byte,
// for records read back from the store and for records as a create built them.
TEST_F(ExportRowsTest, JobViewTextIsTheJobViewDumpByteForByte) {
  for (const std::string& id : AwkwardJobsInEveryState()) {
    JobRecord read = jobs_.Get(kProject, id).value();
    EXPECT_EQ(JobViewText(read), Wire(JobView(read))) << id;
  }
  auto created = jobs_.Create(kProject,
                              {{"job_type", "t\xc3\xa9"},
                               {"payload", {{"b", 1.25}, {"a", "\"x\"\n"}}},
                               {"tags", {{"k", "v"}}},
                               {"schedule", "@every 5m"},
                               {"http",
                                {{"url", "http://127.0.0.1:9/x"},
                                 {"headers", json::array({{{"name", "X-Key"}, {"value", "k"}}})}}}},
                              "");
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_EQ(JobViewText(created->job), Wire(JobView(created->job)));
  EXPECT_EQ(json::parse(JobViewText(created->job))["http"]["headers"][0]["value"], "***");
}

TEST_F(ExportRowsTest, JsonlLinesAreTheApiJobAndRunBodiesByteForByte) {
  auto ids = AwkwardJobsInEveryState();
  auto lines = Lines(Export(ExportKind::kJobs, ExportFormat::kJsonl));
  ASSERT_EQ(lines.size(), ids.size());
  std::set<std::string> states;
  std::set<std::string> run_ids;
  for (const auto& line : lines) {
    json row = json::parse(line);
    EXPECT_EQ(line, Wire(Job(row["id"])));
    states.insert(row["state"].get<std::string>());
    if (row["last_run_id"].is_string()) run_ids.insert(row["last_run_id"].get<std::string>());
  }
  EXPECT_EQ(states, (std::set<std::string>{"pending", "scheduled", "processing", "succeeded",
                                           "failed", "dead_letter", "cancelled"}));
  const std::string& http = lines[3];  // ids sort in creation order
  ASSERT_EQ(json::parse(http)["id"], ids[3]);
  EXPECT_NE(http.find("\"value\":\"***\""), std::string::npos) << http;
  EXPECT_EQ(http.find("s3cret"), std::string::npos);

  auto runs = Lines(Export(ExportKind::kRuns, ExportFormat::kJsonl));
  ASSERT_GE(runs.size(), 8u);
  for (const auto& line : runs) {
    json row = json::parse(line);
    EXPECT_EQ(line, Wire(Run(row["id"])));
    run_ids.erase(row["id"].get<std::string>());
  }
  EXPECT_TRUE(run_ids.empty()) << "every job's last run is exported";
}

// The cells the API's view gives for a CSV column: empty for null, JSON text for objects.
std::string Cell(const json& value) {
  if (value.is_null()) return "";
  if (value.is_string()) return value.get<std::string>();
  return Wire(value);
}

std::string CsvOf(const std::vector<std::string>& cells) {
  std::string out;
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendCsvCell(out, cells[i]);
  }
  return out;
}

TEST_F(ExportRowsTest, CsvRecordsCarryTheViewsValuesQuotedAndNeutralised) {
  AwkwardJobsInEveryState();
  auto jobs = Lines(Export(ExportKind::kJobs, ExportFormat::kCsv), "\r\n");
  // Quoted cells may hold CRLF; the expected text is rebuilt the same way and compared whole.
  std::string expected =
      "Id,State,JobType,Queue,CreatedAt,CompletedAt,Attempt,MaxAttempts,DurationMs,Error,Tags\r\n";
  auto lines = Lines(Export(ExportKind::kJobs, ExportFormat::kJsonl));
  for (const auto& line : lines) {
    json v = Job(json::parse(line)["id"]);
    expected += CsvOf({Cell(v["id"]), Cell(v["state"]), Cell(v["job_type"]), Cell(v["queue"]),
                       Cell(v["created_at"]), Cell(v["completed_at"]), Cell(v["attempt"]),
                       Cell(v["max_attempts"]), Cell(v["duration_ms"]), Cell(v["error"]),
                       Cell(v["tags"])}) +
                "\r\n";
  }
  EXPECT_EQ(Export(ExportKind::kJobs, ExportFormat::kCsv), expected);
  EXPECT_NE(expected.find(",\"'=HYPERLINK(\"\"x\"\")\","), std::string::npos) << expected;

  std::string runs_expected =
      "Id,JobId,JobVersion,Trigger,RerunOf,State,Queue,JobType,Attempt,MaxAttempts,CreatedAt,"
      "ScheduledFor,StartedAt,CompletedAt,DurationMs,PendingDurationMs,FailureReason,WorkerId,"
      "Error\r\n";
  for (const auto& line : Lines(Export(ExportKind::kRuns, ExportFormat::kJsonl))) {
    json v = Run(json::parse(line)["id"]);
    runs_expected +=
        CsvOf({Cell(v["id"]), Cell(v["job_id"]), Cell(v["job_version"]), Cell(v["trigger"]),
               Cell(v["rerun_of"]), Cell(v["state"]), Cell(v["queue"]), Cell(v["job_type"]),
               Cell(v["attempt"]), Cell(v["max_attempts"]), Cell(v["created_at"]),
               Cell(v["scheduled_for"]), Cell(v["started_at"]), Cell(v["completed_at"]),
               Cell(v["duration_ms"]), Cell(v["pending_duration_ms"]), Cell(v["failure_reason"]),
               Cell(v["worker_id"]), Cell(v["error"])}) +
        "\r\n";
  }
  EXPECT_EQ(Export(ExportKind::kRuns, ExportFormat::kCsv), runs_expected);
}

TEST_F(ExportRowsTest, PagesOfTiedCreationTimesNeitherLoseNorRepeatARow) {
  // The fake clock stands still: 2,500 jobs share one created_at, so pages of 1,000 rows
  // continue by id alone.
  std::vector<std::string> ids;
  for (int batch = 0; batch < 3; ++batch) {
    json items = json::array();
    for (int i = 0; i < (batch < 2 ? 1000 : 500); ++i)
      items.push_back({{"job_type", "t"}, {"payload", {{"i", i}}}});
    auto created = jobs_.CreateBatch(kProject, {{"jobs", items}});
    ASSERT_TRUE(created.ok()) << created.error().message;
  }
  auto lines = Lines(Export(ExportKind::kJobs, ExportFormat::kJsonl));
  ASSERT_EQ(lines.size(), 2500u);
  std::string previous;
  for (const auto& line : lines) {
    std::string id = json::parse(line)["id"];
    EXPECT_LT(previous, id) << "ordered by id within one created_at, no repeats";
    previous = id;
  }
  EXPECT_EQ(Lines(Export(ExportKind::kRuns, ExportFormat::kCsv), "\r\n").size(), 2501u);
}

TEST_F(ExportRowsTest, LargeRowsEndAPageBySizeAndStillComeOnce) {
  std::string big(200 * 1024, 'x');
  std::vector<std::string> ids;
  for (int i = 0; i < 15; ++i) ids.push_back(Create({{"payload", {{"big", big}, {"i", i}}}}));
  ExportCursor cursor(readers_, kProject, ExportKind::kJobs, ExportFormat::kJsonl,
                      clock_.Now() - std::chrono::hours(1), clock_.Now() + std::chrono::hours(1));
  std::string all;
  int pages = 0;
  for (std::string page; page.clear(), cursor.Next(page); ++pages) {
    EXPECT_LT(page.size(), (1u << 20) + big.size() + 4096) << "a page stops past ~1 MiB";
    all += page;
  }
  EXPECT_EQ(pages, 3) << "pages of six ~200 KiB rows: 6, 6 and 3";
  std::vector<std::string> seen;
  for (const auto& line : Lines(all)) seen.push_back(json::parse(line)["id"]);
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(seen, ids);
  EXPECT_EQ(cursor.rows(), 15u);
}

TEST_F(ExportRowsTest, PrefetchedPagesAreTheCursorsPagesInOrder) {
  for (int batch = 0; batch < 3; ++batch) {
    json items = json::array();
    for (int i = 0; i < 1000; ++i) items.push_back({{"job_type", "t"}, {"payload", {{"i", i}}}});
    ASSERT_TRUE(jobs_.CreateBatch(kProject, {{"jobs", items}}).ok());
  }
  auto cursor = [&] {
    return std::make_unique<ExportCursor>(readers_, kProject, ExportKind::kJobs, ExportFormat::kCsv,
                                          clock_.Now() - std::chrono::hours(1),
                                          clock_.Now() + std::chrono::hours(1));
  };
  std::vector<std::string> direct;
  auto plain = cursor();
  for (std::string page; page.clear(), plain->Next(page);) direct.push_back(page);
  ExportPrefetcher prefetched(cursor());
  std::vector<std::string> pages;
  for (std::string page; prefetched.Next(page);) pages.push_back(page);
  EXPECT_EQ(pages, direct) << "the CSV header, then three pages of 1,000 rows";
  ASSERT_EQ(pages.size(), 4u);
  std::string page;
  EXPECT_FALSE(prefetched.Next(page)) << "and stays finished";
}

TEST_F(ExportRowsTest, APrefetcherDroppedMidExportStopsItsReader) {
  json items = json::array();
  for (int i = 0; i < 1000; ++i) items.push_back({{"job_type", "t"}, {"payload", {{"i", i}}}});
  for (int batch = 0; batch < 5; ++batch)
    ASSERT_TRUE(jobs_.CreateBatch(kProject, {{"jobs", items}}).ok());
  auto prefetched = std::make_unique<ExportPrefetcher>(std::make_unique<ExportCursor>(
      readers_, kProject, ExportKind::kJobs, ExportFormat::kJsonl,
      clock_.Now() - std::chrono::hours(1), clock_.Now() + std::chrono::hours(1)));
  std::string page;
  ASSERT_TRUE(prefetched->Next(page));
  // The client goes away with pages unread: the reader, blocked with its next page in hand,
  // must end at once instead of hanging the connection's thread (a hang fails by timeout).
  auto dropped = std::chrono::steady_clock::now();
  prefetched.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - dropped, std::chrono::seconds(2));
}

}  // namespace
}  // namespace flare::daemon

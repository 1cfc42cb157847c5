// Event streams against a real flared: the job snapshot stream of seed 004 (first frame at
// once, one per change, closes on a terminal state or at its time limit), the project event
// log as JSON pages with filters and as a live SSE stream that resumes after Last-Event-ID
// with no gap and no duplicate (also across a restart), and the cap on open streams.

#include <cctype>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/time_format.h"
#include "tests/integration/itest.h"
#include "tests/integration/sse_client.h"

namespace flare::testing {
namespace {

// The job stream's 120 s and the 15 s heartbeat, shortened so tests can watch them.
const std::vector<std::string> kShortStreams = {"--job-stream-ms", "1500", "--stream-heartbeat-ms",
                                                "300"};

class Events : public ::testing::Test {
 public:
  static void SetUpTestSuite() { shared_ = std::make_unique<FlaredProcess>(kShortStreams); }
  static void TearDownTestSuite() {
    ExpectCleanShutdown(*shared_);
    shared_.reset();
  }
  static FlaredProcess& flared() { return *shared_; }

 protected:
  void SetUp() override { queue_ = Unique("q"); }
  std::unique_ptr<SseClient> Stream(const std::string& path, const httplib::Headers& headers = {}) {
    return std::make_unique<SseClient>(flared().port(), path, flared().admin_key(), headers);
  }
  json Claim(const std::string& worker) {
    json claims = Poll(flared(), worker, queue_);
    EXPECT_EQ(claims.size(), 1u);
    return claims.empty() ? json::object() : claims[0];
  }

  std::string queue_;

 private:
  static inline std::unique_ptr<FlaredProcess> shared_;
};

json DataOf(const SseFrame& frame) { return json::parse(frame.data, nullptr, false); }

TEST_F(Events, SnapshotStreamSendsTheJobAtOnceThenEachChangeAndClosesWhenItSucceeds) {
  std::string id = CreateJob(flared(), JobBody(queue_, {{"max_attempts", 3}}))["id"];
  auto stream = Stream("/flare/v1/jobs/" + id + "/events");
  auto frames = stream->WaitForFrames(1, seconds(5));
  ASSERT_EQ(frames.size(), 1u) << stream->raw();
  EXPECT_EQ(stream->status(), 200);
  EXPECT_EQ(stream->header("Content-Type"), "text/event-stream");
  // Seed 004's frame, exactly: "event: snapshot" and a data object of four fields.
  EXPECT_EQ(stream->raw().rfind("event: snapshot\ndata: {", 0), 0u) << stream->raw();
  EXPECT_EQ(frames[0].event, "snapshot");
  EXPECT_EQ(
      DataOf(frames[0]),
      json({{"state", "pending"}, {"progress", nullptr}, {"attempt", 0}, {"max_attempts", 3}}));

  std::string worker = Unique("w");
  json claim = Claim(worker);
  frames = stream->WaitForFrames(2, seconds(5));
  ASSERT_EQ(frames.size(), 2u) << stream->raw();
  EXPECT_EQ(DataOf(frames[1])["state"], "processing");
  EXPECT_EQ(DataOf(frames[1])["attempt"], 1);

  ASSERT_EQ(flared()
                .Call("POST", "/flare/v1/workers/progress",
                      {{"worker_id", worker}, {"job_id", id}, {"progress", 0.5}})
                .status,
            200);
  frames = stream->WaitForFrames(3, seconds(5));
  ASSERT_EQ(frames.size(), 3u) << stream->raw();
  EXPECT_EQ(DataOf(frames[2])["progress"], 0.5);

  ASSERT_EQ(Ack(flared(), claim, worker, "succeeded").status, 200);
  frames = stream->WaitForFrames(4, seconds(5));
  ASSERT_EQ(frames.size(), 4u) << stream->raw();
  EXPECT_EQ(DataOf(frames[3])["state"], "succeeded");
  EXPECT_TRUE(stream->WaitClosed(seconds(5))) << "a terminal snapshot ends the stream";
}

TEST_F(Events, SnapshotStreamFollowsAJobThatBecomesDueWithoutAnEvent) {
  // run_at in the future: scheduled, then pending when due (no event marks that change).
  auto run_at = FormatTime(
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()) +
      milliseconds(600));
  std::string id = CreateJob(flared(), JobBody(queue_, {{"run_at", run_at}}))["id"];
  auto stream = Stream("/flare/v1/jobs/" + id + "/events");
  auto frames = stream->WaitForFrames(2, seconds(5));
  ASSERT_EQ(frames.size(), 2u) << stream->raw();
  EXPECT_EQ(DataOf(frames[0])["state"], "scheduled");
  EXPECT_EQ(DataOf(frames[1])["state"], "pending");
}

TEST_F(Events, SnapshotStreamClosesAtItsTimeLimitAndSendsKeepAlives) {
  std::string id = CreateJob(flared(), JobBody(queue_))["id"];
  auto start = Clock::now();
  auto stream = Stream("/flare/v1/jobs/" + id + "/events");
  EXPECT_TRUE(stream->WaitForComment("keep-alive", seconds(5))) << stream->raw();
  ASSERT_TRUE(stream->WaitClosed(seconds(10)));
  EXPECT_GE(MillisBetween(start, Clock::now()), 1400);  // --job-stream-ms 1500
  EXPECT_EQ(stream->WaitForFrames(1, milliseconds(0)).size(), 1u) << stream->raw();
}

TEST_F(Events, SnapshotStreamOfAMissingJobIs404AndWithoutAcceptTheHistoryIsJson) {
  HttpReply missing = flared().Call("GET", "/flare/v1/jobs/job_01HYX3K7M8N9P2Q4R5S6T7V8W9/events",
                                    nullptr, "\x01", {{"Accept", "text/event-stream"}});
  EXPECT_TRUE(IsError(missing, 404, "job_not_found"));
  std::string id = CreateJob(flared(), JobBody(queue_))["id"];
  HttpReply history = flared().Call("GET", "/flare/v1/jobs/" + id + "/events");
  ASSERT_EQ(history.status, 200);
  EXPECT_EQ(history.json()["data"][0]["type"], "created");
}

TEST_F(Events, LogPagesAreNewestFirstWithCursorsAndFilters) {
  std::string slug = Unique("slug");
  for (char& c : slug) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string a = CreateJob(flared(), JobBody(queue_, {{"slug", slug}}))["id"];
  std::string b = CreateJob(flared(), JobBody(queue_))["id"];
  ASSERT_EQ(flared().Call("POST", "/flare/v1/jobs/" + b + "/cancel").status, 200);

  HttpReply page = flared().Call("GET", "/flare/v1/events?queue=" + queue_ + "&limit=2");
  ASSERT_EQ(page.status, 200) << page.body;
  json first = page.json();
  ASSERT_EQ(first["data"].size(), 2u);
  EXPECT_EQ(first["has_more"], true);
  EXPECT_EQ(first["data"][0]["type"], "cancelled");
  EXPECT_EQ(first["data"][0]["job_id"], b);
  EXPECT_TRUE(IsPrefixedId(first["data"][0]["id"], "evt"));
  EXPECT_GT(first["data"][0]["id"].get<std::string>(), first["data"][1]["id"].get<std::string>());
  json rest = flared()
                  .Call("GET", "/flare/v1/events?queue=" + queue_ +
                                   "&cursor=" + first["next_cursor"].get<std::string>())
                  .json();
  ASSERT_GE(rest["data"].size(), 1u);
  EXPECT_EQ(rest["has_more"], false);
  EXPECT_TRUE(rest["next_cursor"].is_null());
  EXPECT_LT(rest["data"][0]["id"].get<std::string>(), first["data"][1]["id"].get<std::string>());

  json by_slug = flared().Call("GET", "/flare/v1/events?job=" + slug).json();
  ASSERT_GE(by_slug["data"].size(), 1u);
  for (const auto& event : by_slug["data"]) EXPECT_EQ(event["job_id"], a);
  json cancelled =
      flared().Call("GET", "/flare/v1/events?type=cancelled,started&queue=" + queue_).json();
  ASSERT_EQ(cancelled["data"].size(), 1u);
  EXPECT_EQ(cancelled["data"][0]["job_id"], b);

  EXPECT_TRUE(IsError(flared().Call("GET", "/flare/v1/events?type=exploded"), 400,
                      "invalid_request", "type"));
  EXPECT_TRUE(
      IsError(flared().Call("GET", "/flare/v1/events?limit=101"), 400, "invalid_request", "limit"));
  EXPECT_TRUE(
      IsError(flared().Call("GET", "/flare/v1/events?job=nope-" + queue_), 404, "job_not_found"));
}

TEST_F(Events, LiveLogStreamSendsNewEventsWithIdsAndHonoursFilters) {
  auto everything = Stream("/flare/v1/events?queue=" + queue_);
  auto cancellations = Stream("/flare/v1/events?type=cancelled&queue=" + queue_);
  ASSERT_TRUE(WaitFor([&] { return everything->status() == 200; }, seconds(5)));
  ASSERT_TRUE(WaitFor([&] { return cancellations->status() == 200; }, seconds(5)));
  std::string id = CreateJob(flared(), JobBody(queue_))["id"];
  ASSERT_EQ(flared().Call("POST", "/flare/v1/jobs/" + id + "/cancel").status, 200);
  auto frames = everything->WaitForFrames(2, seconds(5));
  ASSERT_EQ(frames.size(), 2u) << everything->raw();
  EXPECT_EQ(frames[0].event, "created");
  EXPECT_EQ(frames[1].event, "cancelled");
  for (const auto& frame : frames) {
    EXPECT_TRUE(IsPrefixedId(frame.id, "evt")) << frame.id;
    EXPECT_EQ(DataOf(frame)["id"], frame.id);
    EXPECT_EQ(DataOf(frame)["job_id"], id);
  }
  auto only = cancellations->WaitForFrames(1, seconds(5));
  ASSERT_EQ(only.size(), 1u);
  EXPECT_EQ(only[0].id, frames[1].id);
}

TEST_F(Events, LastEventIdThatIsNotAnEventOrFromTheFutureIsRefused) {
  HttpReply garbage = flared().Call("GET", "/flare/v1/events", nullptr, "\x01",
                                    {{"Accept", "text/event-stream"}, {"Last-Event-ID", "x"}});
  EXPECT_TRUE(IsError(garbage, 400, "invalid_request", "last_event_id"));
  // 7ZZZZZZZZZ… is the largest ULID: a time thousands of years ahead.
  HttpReply future =
      flared().Call("GET", "/flare/v1/events?last_event_id=evt_7ZZZZZZZZZZZZZZZZZZZZZZZZZ", nullptr,
                    "\x01", {{"Accept", "text/event-stream"}});
  EXPECT_TRUE(IsError(future, 400, "invalid_request", "last_event_id"));
}

// Events written while no stream follows the log are not kept for streams that may come
// (on PostgreSQL the tail moves past them): a stream resumed later reads them from the
// database, each once and in order, and then goes on live.
TEST_F(Events, AStreamResumedAfterEventsNobodyFollowedGetsEachOnceInOrderThenLive) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(CreateJob(flared(), JobBody(queue_))["id"]);
  std::this_thread::sleep_for(milliseconds(1500));  // past the tail's once-a-second look
  json log = flared().Call("GET", "/flare/v1/events?type=created&queue=" + queue_).json()["data"];
  ASSERT_EQ(log.size(), 5u);
  std::vector<std::string> expected;  // oldest first, after the first
  for (auto it = log.rbegin() + 1; it != log.rend(); ++it) expected.push_back((*it)["id"]);
  auto stream = Stream("/flare/v1/events?type=created&queue=" + queue_,
                       {{"Last-Event-ID", log.back()["id"].get<std::string>()}});
  auto frames = stream->WaitForFrames(4, seconds(5));
  std::string live = CreateJob(flared(), JobBody(queue_))["id"];
  frames = stream->WaitForFrames(5, seconds(5));
  ASSERT_EQ(frames.size(), 5u) << stream->raw();
  std::vector<std::string> got;
  for (size_t i = 0; i < 4; ++i) got.push_back(frames[i].id);
  EXPECT_EQ(got, expected);
  EXPECT_EQ(json::parse(frames[4].data).value("job_id", ""), live);
  EXPECT_EQ(stream->WaitForFrames(6, milliseconds(300)).size(), 5u) << "an event came twice";
}

TEST_F(Events, UnknownButPastLastEventIdResumesAfterItsPositionAndSaysSo) {
  std::string id = CreateJob(flared(), JobBody(queue_))["id"];
  json created = flared().Call("GET", "/flare/v1/events?job=" + id).json()["data"][0];
  // An id of the same millisecond just below the real one: not in the log.
  std::string before = created["id"];
  const std::string crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  size_t digit = crockford.find(before.back());
  if (digit == 0) GTEST_SKIP() << "no smaller id of that millisecond";
  before.back() = crockford[digit - 1];
  auto stream = Stream("/flare/v1/events?job=" + id, {{"Last-Event-ID", before}});
  auto frames = stream->WaitForFrames(1, seconds(5));
  ASSERT_EQ(frames.size(), 1u) << stream->raw();
  EXPECT_EQ(frames[0].id, created["id"]);
  EXPECT_TRUE(stream->WaitForComment("not in the log", seconds(1))) << stream->raw();
}

TEST_F(Events, FlarectlJobsEventsFollowPrintsSnapshotsUntilTheJobEnds) {
  std::string id = CreateJob(flared(), JobBody(queue_))["id"];
  ASSERT_EQ(flared().Call("POST", "/flare/v1/jobs/" + id + "/cancel").status, 200);
  auto follow = flared().Flarectl({"-o", "jsonl", "jobs", "events", id, "--follow"});
  ASSERT_EQ(follow.exit_code, 0) << follow.err;
  EXPECT_EQ(
      json::parse(follow.out),
      json({{"state", "cancelled"}, {"progress", nullptr}, {"attempt", 0}, {"max_attempts", 3}}));
  auto history = flared().Flarectl({"-o", "json", "jobs", "events", id});
  ASSERT_EQ(history.exit_code, 0) << history.err;
  EXPECT_EQ(json::parse(history.out)["data"][0]["type"], "cancelled");
}

TEST(EventStreams, ResumeAfterLastEventIdAcrossARestartWithNoGapAndNoDuplicate) {
  FlaredProcess flared;
  std::string queue = Unique("q");
  auto create = [&](int n) {
    for (int i = 0; i < n; ++i) CreateJob(flared, JobBody(queue));
  };
  std::string first_id;
  {
    SseClient stream(flared.port(), "/flare/v1/events?queue=" + queue, flared.admin_key());
    ASSERT_TRUE(WaitFor([&] { return stream.status() == 200; }, seconds(5)));
    create(3);
    auto frames = stream.WaitForFrames(3, seconds(5));
    ASSERT_EQ(frames.size(), 3u);
    first_id = frames[0].id;  // as if the client had read only the first one
  }
  ASSERT_EQ(flared.Stop(), 0);
  flared.Restart();
  create(2);
  SseClient resumed(flared.port(), "/flare/v1/events?queue=" + queue, flared.admin_key(),
                    {{"Last-Event-ID", first_id}});
  auto frames = resumed.WaitForFrames(4, seconds(5));
  create(1);  // and the stream goes on live after the catch-up
  frames = resumed.WaitForFrames(5, seconds(5));
  json log = flared.Call("GET", "/flare/v1/events?queue=" + queue).json()["data"];
  ASSERT_EQ(log.size(), 6u);
  std::vector<std::string> expected;
  for (auto it = log.rbegin(); it != log.rend(); ++it) expected.push_back((*it)["id"]);
  expected.erase(expected.begin());  // everything after the first event, oldest first
  std::vector<std::string> got;
  for (const auto& frame : frames) got.push_back(frame.id);
  EXPECT_EQ(got, expected);
  ExpectCleanShutdown(flared);
}

TEST(EventStreams, StreamsBeyondTheCapAre429AndSigtermEndsOpenStreamsPromptly) {
  FlaredProcess flared({"--max-streams", "2"});
  SseClient one(flared.port(), "/flare/v1/events", flared.admin_key());
  SseClient two(flared.port(), "/flare/v1/events", flared.admin_key());
  ASSERT_TRUE(WaitFor([&] { return one.status() == 200 && two.status() == 200; }, seconds(5)));
  HttpReply third =
      flared.Call("GET", "/flare/v1/events", nullptr, "\x01", {{"Accept", "text/event-stream"}});
  EXPECT_TRUE(IsError(third, 429, "rate_limit_exceeded"));
  EXPECT_FALSE(third.header("Retry-After").empty());
  // Other requests still get threads, and the JSON log is not a stream.
  EXPECT_EQ(flared.Call("GET", "/flare/v1/events").status, 200);
  one.Close();
  EXPECT_TRUE(WaitFor(
      [&] {
        SseClient again(flared.port(), "/flare/v1/events", flared.admin_key());
        return WaitFor([&] { return again.status() != 0; }, seconds(2)) && again.status() == 200;
      },
      seconds(10)))
      << "a closed stream gives its slot back";
  auto start = Clock::now();
  EXPECT_EQ(flared.Stop(seconds(10)), 0);
  EXPECT_LT(MillisBetween(start, Clock::now()), 2000);
  EXPECT_TRUE(two.WaitClosed(seconds(1)));
}

}  // namespace
}  // namespace flare::testing

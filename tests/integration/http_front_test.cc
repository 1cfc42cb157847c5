// The HTTP server in front (issue 6 §5, items 4, 14): body limits however the body is
// framed, no decompression, JSON whatever the declared type, bytes that are not UTF-8,
// and slow clients that must not starve everyone else.

#include <thread>
#include <vector>

#include "tests/integration/itest.h"
#include "tests/integration/raw_http.h"

namespace flare::testing {
namespace {

class HttpFrontTest : public FlaredSuite {};

constexpr size_t kMiB = 1024 * 1024;

std::string ChunkedHead(const FlaredProcess& flared, const std::string& path) {
  return "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
         flared.admin_key() +
         "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
}

std::string Chunk(const std::string& data) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return size + data + "\r\n";
}

TEST_F(HttpFrontTest, ChunkedBodyPastTwoMibAnswers413WithoutWaitingForTheRest) {
  RawConnection connection(flared().port());
  ASSERT_TRUE(connection.connected());
  std::string body_part(64 * 1024, ' ');
  // 2.5 MiB of a body that never ends: the answer must come from the cap, not the end.
  std::thread sender([&] {
    if (!connection.Send(ChunkedHead(flared(), "/flare/v1/jobs"))) return;
    for (size_t sent = 0; sent < 2 * kMiB + kMiB / 2; sent += body_part.size()) {
      if (!connection.Send(Chunk(body_part), seconds(5))) return;
    }
  });
  std::string response = connection.ReadResponse(seconds(10));
  sender.join();
  EXPECT_EQ(StatusOf(response), 413) << response;
  EXPECT_EQ(json::parse(BodyOf(response), nullptr, false)["error"]["code"], "payload_too_large");
  ExpectHealthy(flared());
}

TEST_F(HttpFrontTest, BodyWithoutLengthOrChunkingIsEmptyNotReadUntilClose) {
  RawConnection connection(flared().port());
  ASSERT_TRUE(connection.connected());
  ASSERT_TRUE(connection.Send("POST /flare/v1/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                              flared().admin_key() + "\r\nContent-Type: application/json\r\n\r\n"));
  std::string response = connection.ReadResponse(seconds(5));
  EXPECT_EQ(StatusOf(response), 400) << response;  // an empty body is not a job
}

TEST_F(HttpFrontTest, CompressedBodyIsRefusedWith415) {
  // A gzip member header: were it inflated, a few KiB could expand without bound.
  std::string gzip("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10);
  HttpReply reply = flared().Send("POST", "/flare/v1/jobs", gzip, "application/json",
                                  {{"Content-Encoding", "gzip"}});
  EXPECT_TRUE(IsError(reply, 415, "unsupported_media_type")) << reply.body;
  EXPECT_NE(reply.json()["error"]["message"].get<std::string>().find("uncompressed"),
            std::string::npos);
}

TEST_F(HttpFrontTest, DeclaredLengthPastTwoMibAnswers413AtOnce) {
  RawConnection connection(flared().port());
  ASSERT_TRUE(connection.connected());
  ASSERT_TRUE(connection.Send(
      "POST /flare/v1/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + flared().admin_key() +
      "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(3 * kMiB) +
      "\r\n\r\n{"));
  std::string response = connection.ReadResponse(seconds(5));
  EXPECT_EQ(StatusOf(response), 413) << response;
}

TEST_F(HttpFrontTest, JsonBodyIsAcceptedWhateverTheDeclaredContentType) {
  // What `curl -d @job.json` sends: a form content type around a JSON body of 20 KB.
  json body = JobBody(Unique("form"), {{"payload", {{"blob", std::string(20'000, 'x')}}}});
  HttpReply reply =
      flared().Send("POST", "/flare/v1/jobs", body.dump(), "application/x-www-form-urlencoded", {});
  EXPECT_EQ(reply.status, 201) << reply.body;
}

TEST_F(HttpFrontTest, HeaderThatIsNotUtf8Answers400) {
  HttpReply reply = flared().Call("POST", "/flare/v1/jobs", JobBody(Unique("utf8")), "\x01",
                                  {{"Idempotency-Key", "k\xe9\xff"}});
  EXPECT_TRUE(IsError(reply, 400, "invalid_request")) << reply.body;
  EXPECT_NE(reply.json()["error"]["message"].get<std::string>().find("Idempotency-Key"),
            std::string::npos);
  ExpectHealthy(flared());
}

TEST_F(HttpFrontTest, QueryOrPathThatIsNotUtf8Answers400) {
  EXPECT_TRUE(IsError(flared().Call("GET", "/flare/v1/jobs?state=%FF%FE"), 400, "invalid_request"));
  EXPECT_TRUE(IsError(flared().Call("GET", "/flare/v1/jobs/job%C3%28"), 400, "invalid_request"));
  ExpectHealthy(flared());
}

TEST_F(HttpFrontTest, UnauthenticatedBodyIsNeverRead) {
  RawConnection connection(flared().port());
  ASSERT_TRUE(connection.connected());
  ASSERT_TRUE(connection.Send(
      "POST /flare/v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: 1000000\r\n\r\n{"));
  std::string response = connection.ReadResponse(seconds(5));
  EXPECT_EQ(StatusOf(response), 401) << response;
}

// A client that asks to close and whose body goes unread (here: an unknown path) gets one
// "Connection: close", not one from flared and another from the HTTP library.
TEST_F(HttpFrontTest, AnAnswerSaysConnectionCloseOnce) {
  for (const char* asked : {"close", "Close", "keep-alive"}) {
    RawConnection connection(flared().port());
    ASSERT_TRUE(connection.connected());
    ASSERT_TRUE(connection.Send(
        "POST /flare/v1/no-such-thing HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
        flared().admin_key() + "\r\nConnection: " + asked + "\r\nContent-Length: 2\r\n\r\n{}"));
    std::string response = connection.ReadResponse(seconds(5));
    EXPECT_EQ(StatusOf(response), 404) << response;
    std::string head = response.substr(0, response.find("\r\n\r\n"));
    size_t first = head.find("\r\nConnection: close");
    ASSERT_NE(first, std::string::npos) << asked << ": " << head;
    EXPECT_EQ(head.find("\r\nConnection:", first + 1), std::string::npos) << asked << ": " << head;
    EXPECT_TRUE(connection.ClosedWithin(seconds(5))) << asked;
  }
}

// Many clients that open a connection and send a head a byte at a time never finish it;
// each held a server thread until its read timed out, so ~1,500 of them starved the API.
TEST(HttpFrontSlowClients, HealthAnswersWhileManyHeadsAreStillArriving) {
  FlaredProcess flared({"--max-waiters", "1"});  // a ceiling of 513 request threads
  std::vector<std::unique_ptr<RawConnection>> slow;
  for (int i = 0; i < 600; ++i) {
    auto connection = std::make_unique<RawConnection>(flared.port());
    ASSERT_TRUE(connection->connected());
    ASSERT_TRUE(connection->Send("GET /flare/v1/jobs HTTP/1.1\r\nHost: x\r\nX-Slow: "));
    slow.push_back(std::move(connection));
  }
  auto start = Clock::now();
  HttpReply health = flared.Call("GET", "/healthz", nullptr, "");
  EXPECT_EQ(health.status, 200);
  EXPECT_LT(MillisBetween(start, Clock::now()), 1000);
  HttpReply list = flared.Call("GET", "/flare/v1/jobs?limit=1");
  EXPECT_EQ(list.status, 200);
  slow.clear();
  ExpectCleanShutdown(flared);
}

}  // namespace
}  // namespace flare::testing

// DeadlineStream's writes: a response head that announces a body goes out with that body in
// one send; everything else goes out at once; nothing is lost or reordered when the socket's
// buffer is full.

#include "daemon/api/deadline_stream.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

namespace flare::daemon {
namespace {

using namespace std::chrono_literals;

class DeadlineStreamWrites : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds_), 0); }
  void TearDown() override {
    ::close(fds_[0]);
    ::close(fds_[1]);
  }
  DeadlineStream Stream() {
    return DeadlineStream(fds_[0], "", std::chrono::steady_clock::now() + 5s, 5000ms);
  }
  // What the peer can read without waiting.
  std::string Received() {
    std::string out;
    char chunk[4096];
    ssize_t n = 0;
    while ((n = ::recv(fds_[1], chunk, sizeof chunk, MSG_DONTWAIT)) > 0)
      out.append(chunk, static_cast<size_t>(n));
    return out;
  }
  static ssize_t Write(DeadlineStream& stream, const std::string& text) {
    return stream.write(text.data(), text.size());
  }

  int fds_[2] = {-1, -1};
};

const std::string kHead =
    "HTTP/1.1 200 OK\r\nContent-Length: 11\r\nContent-Type: text/plain\r\n\r\n";

TEST_F(DeadlineStreamWrites, AHeadThatAnnouncesABodyGoesOutWithIt) {
  DeadlineStream stream = Stream();
  EXPECT_EQ(Write(stream, kHead), static_cast<ssize_t>(kHead.size()));
  EXPECT_EQ(Received(), "") << "held until its body is written";
  EXPECT_EQ(Write(stream, "hello world"), 11);
  EXPECT_EQ(Received(), kHead + "hello world");
  EXPECT_TRUE(stream.Flush());
  EXPECT_EQ(Received(), "");
}

TEST_F(DeadlineStreamWrites, OtherWritesGoOutAtOnce) {
  DeadlineStream stream = Stream();
  const std::string chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  Write(stream, chunked);
  EXPECT_EQ(Received(), chunked) << "a stream's head is never held (SSE, exports)";
  const std::string empty = "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n";
  Write(stream, empty);
  EXPECT_EQ(Received(), empty);
  const std::string proceed = "HTTP/1.1 100 Continue\r\n\r\n";
  Write(stream, proceed);
  EXPECT_EQ(Received(), proceed);
  Write(stream, "data: 1\n\n");
  EXPECT_EQ(Received(), "data: 1\n\n");
}

TEST_F(DeadlineStreamWrites, FlushSendsAHeadWhoseBodyNeverCame) {
  DeadlineStream stream = Stream();  // e.g. the answer to a HEAD request
  Write(stream, kHead);
  EXPECT_EQ(Received(), "");
  EXPECT_TRUE(stream.Flush());
  EXPECT_EQ(Received(), kHead);
}

TEST_F(DeadlineStreamWrites, AFullSocketBufferLosesAndReordersNothing) {
  int small = 4096;
  ASSERT_EQ(::setsockopt(fds_[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small), 0);
  std::string body(1 << 20, 'x');
  for (size_t i = 0; i < body.size(); i += 997) body[i] = static_cast<char>('a' + i % 26);
  std::string head =
      "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  std::string received;
  std::thread reader([&] {
    char chunk[1000];
    while (received.size() < head.size() + body.size()) {
      ssize_t n = ::recv(fds_[1], chunk, sizeof chunk, 0);
      if (n <= 0) return;
      received.append(chunk, static_cast<size_t>(n));
      std::this_thread::sleep_for(10us);  // a slow client: the writer meets EAGAIN
    }
  });
  DeadlineStream stream = Stream();
  EXPECT_EQ(Write(stream, head), static_cast<ssize_t>(head.size()));
  size_t written = 0;
  for (int calls = 0; written < body.size() && calls < 1'000'000; ++calls) {
    ssize_t n = stream.write(body.data() + written, body.size() - written);
    ASSERT_GE(n, 0);
    written += static_cast<size_t>(n);
  }
  EXPECT_TRUE(stream.Flush());
  reader.join();
  EXPECT_EQ(written, body.size());
  EXPECT_TRUE(received == head + body) << "received " << received.size() << " bytes";
}

}  // namespace
}  // namespace flare::daemon

// The API server's connection handling, with small limits so each bound shows in a test:
// a request no thread can take answers 503, and a head or body that arrives too slowly
// ends the connection at its deadline however steadily its bytes trickle in.

#include "daemon/api/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <thread>

#include "daemon/api/http_util.h"

namespace flare::daemon {
namespace {

using namespace std::chrono_literals;

int Connect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  return fd;
}

// Sends `text` a byte every `gap` until the server closes; how long that took.
std::chrono::milliseconds TrickleUntilClosed(int fd, const std::string& text,
                                             std::chrono::milliseconds gap,
                                             std::chrono::milliseconds give_up) {
  auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; std::chrono::steady_clock::now() - start < give_up; ++i) {
    pollfd entry{fd, POLLIN, 0};
    if (::poll(&entry, 1, static_cast<int>(gap.count())) > 0) {
      char byte;
      if (::recv(fd, &byte, 1, MSG_DONTWAIT) <= 0) break;
    }
    if (::send(fd, &text[i % text.size()], 1, MSG_NOSIGNAL) < 0) break;
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start);
}

class HttpServerTest : public ::testing::Test {
 protected:
  void Start(HttpServerOptions options) {
    router_.Add("GET", "/healthz", "", [](RequestContext&, httplib::Response& r) {
      SendJson(r, 200, {{"status", "ok"}});
    });
    router_.Add("GET", "/block", "", [this](RequestContext&, httplib::Response& r) {
      entered_.set_value();
      released_.wait();
      SendJson(r, 200, nlohmann::json::object());
    });
    router_.Add("POST", "/echo", "", [](RequestContext& c, httplib::Response& r) {
      SendJson(r, 200, {{"bytes", c.request.body.size()}});
    });
    server_ = std::make_unique<HttpServer>(router_, options);
    auto port = server_->Bind("127.0.0.1", 0);
    ASSERT_TRUE(port.ok());
    port_ = *port;
    serving_ = std::thread([this] { server_->Serve(); });
  }
  void TearDown() override {
    if (!server_) return;
    server_->Stop();
    serving_.join();
  }

  Authenticator auth_{{}};
  Router router_{auth_};
  std::unique_ptr<HttpServer> server_;
  std::thread serving_;
  int port_ = 0;
  std::promise<void> entered_;
  std::promise<void> release_;
  std::shared_future<void> released_ = release_.get_future().share();
};

TEST_F(HttpServerTest, RequestNoThreadCanTakeAnswers503) {
  HttpServerOptions options;
  options.max_threads = 1;
  Start(options);
  std::thread blocked([&] { httplib::Client("127.0.0.1", port_).Get("/block"); });
  entered_.get_future().wait();
  auto reply = httplib::Client("127.0.0.1", port_).Get("/healthz");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 503);
  EXPECT_EQ(nlohmann::json::parse(reply->body)["error"]["code"], "unavailable");
  release_.set_value();
  blocked.join();
  // The thread is free again once it has handed its connection back.
  int status = 0;
  for (auto until = std::chrono::steady_clock::now() + 5s;
       status != 200 && std::chrono::steady_clock::now() < until;) {
    auto again = httplib::Client("127.0.0.1", port_).Get("/healthz");
    status = again ? again->status : 0;
  }
  EXPECT_EQ(status, 200);
}

TEST_F(HttpServerTest, HeadArrivingTooSlowlyIsCutAtItsDeadline) {
  HttpServerOptions options;
  options.gate.head = 300ms;
  Start(options);
  int fd = Connect(port_);
  auto took = TrickleUntilClosed(
      fd, "GET /healthz HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 20ms,
      5s);
  ::close(fd);
  EXPECT_LT(took, 2s);
}

TEST_F(HttpServerTest, BodyArrivingTooSlowlyIsCutAtTheRequestDeadline) {
  HttpServerOptions options;
  options.request_timeout = 500ms;
  Start(options);
  int fd = Connect(port_);
  std::string head = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n";
  ASSERT_EQ(::send(fd, head.data(), head.size(), MSG_NOSIGNAL), static_cast<ssize_t>(head.size()));
  auto took = TrickleUntilClosed(fd, "x", 20ms, 5s);
  ::close(fd);
  EXPECT_LT(took, 3s);
}

TEST_F(HttpServerTest, KeepAliveConnectionServesManyRequestsAndPipelines) {
  Start(HttpServerOptions{});
  httplib::Client client("127.0.0.1", port_);
  client.set_keep_alive(true);
  for (int i = 0; i < 50; ++i) {
    auto reply =
        client.Post("/echo", std::string(static_cast<size_t>(i) * 100, 'x'), "application/json");
    ASSERT_TRUE(reply);
    EXPECT_EQ(nlohmann::json::parse(reply->body)["bytes"], i * 100);
  }
  int fd = Connect(port_);
  std::string two =
      "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(::send(fd, two.data(), two.size(), MSG_NOSIGNAL), static_cast<ssize_t>(two.size()));
  std::string answers;
  char buffer[4096];
  auto deadline = std::chrono::steady_clock::now() + 5s;
  size_t count = 0;
  while (count < 2 && std::chrono::steady_clock::now() < deadline) {
    pollfd entry{fd, POLLIN, 0};
    if (::poll(&entry, 1, 100) <= 0) continue;
    ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    answers.append(buffer, static_cast<size_t>(n));
    count = 0;
    for (size_t at = answers.find("HTTP/1.1 200"); at != std::string::npos;
         at = answers.find("HTTP/1.1 200", at + 1)) {
      ++count;
    }
  }
  ::close(fd);
  EXPECT_EQ(count, 2u) << answers;
}

// Reads from `fd` until one whole answer to GET /healthz is in; its status line.
std::string ReadOneAnswer(int fd) {
  std::string answer;
  char buffer[4096];
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (answer.find("{\"status\":\"ok\"}") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    pollfd entry{fd, POLLIN, 0};
    if (::poll(&entry, 1, 100) <= 0) continue;
    ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    answer.append(buffer, static_cast<size_t>(n));
  }
  return answer.substr(0, answer.find("\r\n"));
}

// Between two requests a keep-alive connection first waits on its pool thread for a moment,
// then in the gate: a next request that comes at once, one that comes later, and one whose
// head comes in two pieces across that moment are all answered.
TEST_F(HttpServerTest, NextRequestIsAnsweredWhetherItComesAtOnceLaterOrInPieces) {
  Start(HttpServerOptions{});
  int fd = Connect(port_);
  const std::string request = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  auto send_text = [&](const std::string& text) {
    ASSERT_EQ(::send(fd, text.data(), text.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(text.size()));
  };
  for (int i = 0; i < 20; ++i) {  // at once
    send_text(request);
    EXPECT_EQ(ReadOneAnswer(fd), "HTTP/1.1 200 OK") << i;
  }
  std::this_thread::sleep_for(50ms);  // later: well past the pool thread's wait
  send_text(request);
  EXPECT_EQ(ReadOneAnswer(fd), "HTTP/1.1 200 OK");
  send_text(request.substr(0, 10));  // in pieces: the rest after the wait is over
  std::this_thread::sleep_for(50ms);
  send_text(request.substr(10));
  EXPECT_EQ(ReadOneAnswer(fd), "HTTP/1.1 200 OK");
  ::close(fd);
}

TEST_F(HttpServerTest, StopBeforeServeIsNotLost) {
  Authenticator auth{{}};
  Router router{auth};
  HttpServer server(router, HttpServerOptions{});
  ASSERT_TRUE(server.Bind("127.0.0.1", 0).ok());
  server.Stop();
  auto served = std::async(std::launch::async, [&] { return server.Serve(); });
  EXPECT_EQ(served.wait_for(5s), std::future_status::ready);
}

}  // namespace
}  // namespace flare::daemon

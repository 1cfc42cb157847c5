// ApiClient's transport as a user behind a proxy meets it: http_proxy / HTTPS_PROXY are
// honoured, NO_PROXY bypasses them, and one connection carries every page of a list.
// The servers here are raw sockets on 127.0.0.1 so they can see the request line as sent
// (absolute-form through a proxy, CONNECT for https).

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cli/api_client.h"
#include "tests/unit/cli/cli_test_support.h"

namespace flare::cli {
namespace {

/// Answers every request on 127.0.0.1 with `answer(request_line)` (a JSON body, 200) — or 403
/// to CONNECT — keeping connections alive; records request lines and counts connections.
class RecordingServer {
 public:
  using Answer = std::function<std::string(const std::string&)>;
  explicit RecordingServer(Answer answer = nullptr) : answer_(std::move(answer)) {
    listener_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (bind(listener_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        listen(listener_, 8) != 0 ||
        getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      throw std::runtime_error("cannot listen on 127.0.0.1");
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~RecordingServer() {
    shutdown(listener_, SHUT_RDWR);
    {
      std::lock_guard lock(mutex_);
      if (connection_ >= 0) shutdown(connection_, SHUT_RDWR);
    }
    thread_.join();
    close(listener_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<std::string> lines() const {
    std::lock_guard lock(mutex_);
    return lines_;
  }
  int connections() const {
    std::lock_guard lock(mutex_);
    return connections_;
  }

 private:
  void Serve() {
    while (true) {
      int fd = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return;
      {
        std::lock_guard lock(mutex_);
        connection_ = fd;
        ++connections_;
      }
      ServeConnection(fd);
      {
        std::lock_guard lock(mutex_);
        connection_ = -1;
      }
      close(fd);
    }
  }
  void ServeConnection(int fd) {
    std::string buffer;
    char chunk[4096];
    while (true) {
      size_t head_end;
      while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n <= 0) return;
        buffer.append(chunk, static_cast<size_t>(n));
      }
      std::string head = buffer.substr(0, head_end);
      size_t body_length = 0;
      if (size_t at = head.find("Content-Length: "); at != std::string::npos) {
        body_length = std::stoul(head.substr(at + 16));
      }
      while (buffer.size() < head_end + 4 + body_length) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n <= 0) return;
        buffer.append(chunk, static_cast<size_t>(n));
      }
      buffer.erase(0, head_end + 4 + body_length);
      std::string line = head.substr(0, head.find("\r\n"));
      {
        std::lock_guard lock(mutex_);
        lines_.push_back(line);
      }
      std::string reply;
      if (line.rfind("CONNECT ", 0) == 0) {
        reply = "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      } else {
        std::string body = answer_ ? answer_(line) : R"({"ok":true})";
        reply = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                std::to_string(body.size()) + "\r\n\r\n" + body;
      }
      if (write(fd, reply.data(), reply.size()) != static_cast<ssize_t>(reply.size())) return;
      if (line.rfind("CONNECT ", 0) == 0) return;
    }
  }

  Answer answer_;
  int listener_ = -1;
  int port_ = 0;
  mutable std::mutex mutex_;
  int connection_ = -1;
  int connections_ = 0;
  std::vector<std::string> lines_;
  std::thread thread_;
};

/// Sets the proxy variables for one test and restores the process's own afterwards.
class ProxyEnvTest : public ::testing::Test {
 protected:
  static constexpr const char* kNames[] = {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY",
                                           "all_proxy",  "ALL_PROXY",  "no_proxy",    "NO_PROXY"};
  void SetUp() override {
    for (const char* name : kNames) {
      const char* value = getenv(name);
      saved_.emplace_back(name, value ? std::optional<std::string>(value) : std::nullopt);
      unsetenv(name);
    }
  }
  void TearDown() override {
    for (const auto& [name, value] : saved_) {
      if (value) {
        setenv(name.c_str(), value->c_str(), 1);
      } else {
        unsetenv(name.c_str());
      }
    }
  }
  static std::unique_ptr<ApiClient> Client(const std::string& base_url) {
    Settings settings;
    settings.base_url = base_url;
    settings.api_key = "sk_secret";
    settings.timeout = std::chrono::seconds(10);
    return std::make_unique<ApiClient>(settings, nullptr);
  }
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

TEST_F(ProxyEnvTest, HttpRequestsGoThroughHttpProxy) {
  RecordingServer proxy;
  setenv("http_proxy", proxy.url().c_str(), 1);
  // Nothing listens on 127.0.0.2:9: only the proxy can have answered.
  auto body = Client("http://127.0.0.2:9")->Call("GET", "/flare/v1/health");
  EXPECT_EQ(body["ok"], true);
  ASSERT_EQ(proxy.lines().size(), 1u);
  EXPECT_EQ(proxy.lines()[0], "GET http://127.0.0.2:9/flare/v1/health HTTP/1.1");
}

TEST_F(ProxyEnvTest, HttpsRequestsTunnelThroughHttpsProxy) {
  RecordingServer proxy;
  setenv("HTTPS_PROXY", proxy.url().c_str(), 1);
  auto response = Client("https://127.0.0.2:9")->Send(HttpRequest{});
  EXPECT_FALSE(response.ok());  // the proxy refused the tunnel
  ASSERT_EQ(proxy.lines().size(), 1u);
  EXPECT_EQ(proxy.lines()[0], "CONNECT 127.0.0.2:9 HTTP/1.1");
}

TEST_F(ProxyEnvTest, NoProxyHostsAreReachedDirectly) {
  RecordingServer proxy, api;
  setenv("http_proxy", proxy.url().c_str(), 1);
  setenv("HTTPS_PROXY", proxy.url().c_str(), 1);
  setenv("NO_PROXY", "localhost,127.0.0.1", 1);
  auto body = Client(api.url())->Call("GET", "/flare/v1/health");
  EXPECT_EQ(body["ok"], true);
  EXPECT_TRUE(proxy.lines().empty());
  ASSERT_EQ(api.lines().size(), 1u);
  EXPECT_EQ(api.lines()[0], "GET /flare/v1/health HTTP/1.1");
}

TEST_F(ProxyEnvTest, EveryPageOfAListTravelsOnOneConnection) {
  RecordingServer api([](const std::string& line) -> std::string {
    if (line.find("cursor=c2") != std::string::npos) return R"({"data":[3],"has_more":false})";
    if (line.find("cursor=c1") != std::string::npos) {
      return R"({"data":[2],"has_more":true,"next_cursor":"c2"})";
    }
    return R"({"data":[1],"has_more":true,"next_cursor":"c1"})";
  });
  auto client = Client(api.url());
  PageOptions page;
  page.all = true;
  auto list = client->List("/flare/v1/jobs", {}, page);
  EXPECT_EQ(list["data"], nlohmann::json({1, 2, 3}));
  EXPECT_EQ(api.lines().size(), 3u);
  EXPECT_EQ(api.connections(), 1);
}

}  // namespace
}  // namespace flare::cli

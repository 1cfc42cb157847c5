#include "tests/testutil/test_http_server.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace flare::testing {
namespace {

constexpr int kSlowDripBytes = 200;  // 10 s at 50 ms a byte

sockaddr_in Loopback(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  return address;
}

// A socket bound to 127.0.0.1 on an ephemeral port; returns the fd and the port.
int BindLoopback(int& port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address = Loopback(0);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    throw std::runtime_error("cannot bind 127.0.0.1");
  }
  socklen_t length = sizeof address;
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  port = ntohs(address.sin_port);
  return fd;
}

}  // namespace

TestHttpServer::TestHttpServer(const TestCertificates* tls) : https_(tls != nullptr) {
  if (tls != nullptr) {
    server_ =
        std::make_unique<httplib::SSLServer>(tls->server_cert.c_str(), tls->server_key.c_str());
  } else {
    server_ = std::make_unique<httplib::Server>();
  }
  if (!server_->is_valid()) throw std::runtime_error("test server is not valid");
  AddRoutes();
  port_ = server_->bind_to_any_port("127.0.0.1");
  if (port_ <= 0) throw std::runtime_error("test server cannot bind 127.0.0.1");
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // stop() is a no-op until the server runs, so a quick test could otherwise
  // leave the listener running forever: wait (bounded) until it is up.
  for (int i = 0; i < 5000 && !server_->is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (!server_->is_running()) throw std::runtime_error("test server did not start");
}

TestHttpServer::~TestHttpServer() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  server_->stop();
  thread_.join();
}

std::string TestHttpServer::Url(const std::string& path) const {
  return std::string(https_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) + path;
}

int TestHttpServer::requests() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return requests_;
}

int TestHttpServer::connections() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<int>(client_ports_.size());
}

bool TestHttpServer::WaitForRequests(int count, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return requests_ >= count; });
}

void TestHttpServer::Note(const httplib::Request& request) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++requests_;
    client_ports_.insert(request.remote_port);
  }
  changed_.notify_all();
}

bool TestHttpServer::SleepUnlessStopping(std::chrono::milliseconds duration) {
  std::unique_lock<std::mutex> lock(mutex_);
  return !changed_.wait_for(lock, duration, [&] { return stopping_; });
}

void TestHttpServer::AddRoutes() {
  server_->Get(R"(/status/(\d+))", [this](const httplib::Request& req, httplib::Response& res) {
    Note(req);
    res.status = std::stoi(req.matches[1]);
    if (req.has_param("retry_after")) {
      res.set_header("Retry-After", req.get_param_value("retry_after"));
    }
    // 204 and 304 have no body (RFC 9110); one would desync a kept-alive connection.
    if (res.status != 204 && res.status != 304) {
      res.set_content("status " + std::string(req.matches[1]), "text/plain");
    }
  });
  server_->Get(R"(/delay/(\d+))", [this](const httplib::Request& req, httplib::Response& res) {
    Note(req);
    SleepUnlessStopping(std::chrono::milliseconds(std::stoi(req.matches[1])));
    res.set_content("late", "text/plain");
  });
  server_->Get("/drip", [this](const httplib::Request& req, httplib::Response& res) {
    Note(req);
    res.set_chunked_content_provider("text/plain", [this](size_t offset, httplib::DataSink& sink) {
      if (offset >= kSlowDripBytes || !SleepUnlessStopping(std::chrono::milliseconds(50))) {
        sink.done();
        return true;
      }
      return sink.write(".", 1);
    });
  });
  server_->Get(R"(/bytes/(\d+))", [this](const httplib::Request& req, httplib::Response& res) {
    Note(req);
    res.set_content(std::string(std::stoul(req.matches[1]), 'x'), "application/octet-stream");
  });
  auto echo = [this](const httplib::Request& req, httplib::Response& res) {
    Note(req);
    nlohmann::json headers = nlohmann::json::object();
    for (const auto& [name, value] : req.headers) headers[name] = value;
    nlohmann::json body = {
        {"method", req.method}, {"path", req.path}, {"headers", headers}, {"body", req.body}};
    res.set_content(body.dump(), "application/json");
  };
  server_->Get("/echo", echo);
  server_->Post("/echo", echo);
  server_->Put("/echo", echo);
  server_->Patch("/echo", echo);
  server_->Delete("/echo", echo);
  server_->Get(R"(/redirect/(\d+))", [this](const httplib::Request& req, httplib::Response& res) {
    Note(req);
    int left = std::stoi(req.matches[1]);
    if (left == 0) return res.set_content("done", "text/plain");
    res.set_redirect("/redirect/" + std::to_string(left - 1), 302);
  });
  auto to = [this](const httplib::Request& req, httplib::Response& res) {
    Note(req);
    int code = req.has_param("code") ? std::stoi(req.get_param_value("code")) : 302;
    res.set_redirect(req.get_param_value("url"), code);
  };
  server_->Get("/to", to);
  server_->Post("/to", to);
}

ResettingServer::ResettingServer() {
  listener_ = BindLoopback(port_);
  listen(listener_, 8);
  thread_ = std::thread([this] {
    // Ends when the destructor shuts the listener down.
    for (;;) {
      int fd = accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      linger reset{1, 0};  // close with RST instead of FIN
      setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
      char buffer[1024];
      (void)recv(fd, buffer, sizeof buffer, 0);  // let the request arrive first
      close(fd);
    }
  });
}

ResettingServer::~ResettingServer() {
  shutdown(listener_, SHUT_RDWR);
  thread_.join();
  close(listener_);
}

int ClosedPort() {
  int port = 0;
  close(BindLoopback(port));
  return port;
}

}  // namespace flare::testing

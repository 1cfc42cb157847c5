#include "tests/testutil/hostile_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

namespace flare::testing {
namespace {

constexpr size_t kHugeLine = 2 * 1024 * 1024;
constexpr size_t kMaxEndlessBytes = 256 * 1024 * 1024;  // bound of the endless stream
constexpr int kHostileDripBytes = 120;                  // two minutes of dripping
constexpr int kMaxConnections = 64;

}  // namespace

HostileServer::HostileServer(Behaviour behaviour, std::string canned)
    : behaviour_(behaviour), canned_(std::move(canned)) {
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      ::listen(listener_, 64) != 0 ||
      ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0 ||
      ::pipe2(stop_pipe_, O_CLOEXEC) != 0) {
    throw std::runtime_error("HostileServer: cannot listen on 127.0.0.1");
  }
  port_ = ntohs(address.sin_port);
  acceptor_ = std::thread([this] { Accept(); });
}

HostileServer::~HostileServer() {
  stopping_ = true;
  (void)!::write(stop_pipe_[1], "x", 1);
  acceptor_.join();
  for (auto& handler : handlers_) handler.join();
  ::close(listener_);
  ::close(stop_pipe_[0]);
  ::close(stop_pipe_[1]);
}

std::string HostileServer::Url(const std::string& path, bool https) const {
  return std::string(https ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) + path;
}

bool HostileServer::WaitForConnections(int count, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return accepted_.wait_for(lock, timeout, [&] { return connections_ >= count; });
}

void HostileServer::Accept() {
  while (!stopping_) {
    pollfd fds[2] = {{listener_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0 || (fds[1].revents & POLLIN) != 0) return;
    int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::lock_guard lock(mutex_);
    if (connections_ >= kMaxConnections) {
      ::close(fd);
      continue;
    }
    ++connections_;
    accepted_.notify_all();
    handlers_.emplace_back([this, fd] {
      Serve(fd);
      ::close(fd);
    });
  }
}

bool HostileServer::Pause(int fd, std::chrono::milliseconds duration) {
  auto until = std::chrono::steady_clock::now() + duration;
  char buffer[4096];
  while (!stopping_) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() <= 0) return true;
    pollfd fds[2] = {{fd, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    if (::poll(fds, 2, static_cast<int>(left.count())) < 0 || (fds[1].revents & POLLIN) != 0) {
      return false;
    }
    if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0 &&
        ::recv(fd, buffer, sizeof buffer, 0) <= 0) {
      return false;  // the peer closed: nothing left to torment
    }
  }
  return false;
}

bool HostileServer::WriteAll(int fd, std::string_view data) {
  while (!data.empty() && !stopping_) {
    pollfd fds[2] = {{fd, POLLOUT, 0}, {stop_pipe_[0], POLLIN, 0}};
    if (::poll(fds, 2, 10'000) <= 0 || (fds[1].revents & POLLIN) != 0) return false;
    ssize_t sent = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (sent <= 0) return false;
    data.remove_prefix(static_cast<size_t>(sent));
  }
  return data.empty();
}

void HostileServer::Serve(int fd) {
  using std::chrono::milliseconds;
  switch (behaviour_) {
    case Behaviour::kHugeStatusLine: {
      std::string line = "HTTP/1.1 200 " + std::string(kHugeLine, 'x');
      if (WriteAll(fd, line)) Pause(fd, milliseconds(30'000));
      return;
    }
    case Behaviour::kEndlessHeaders: {
      if (!WriteAll(fd, "HTTP/1.1 200 OK\r\n")) return;
      std::string block;
      for (int i = 0; i < 256; ++i) block += "X-Filler-" + std::to_string(i) + ": more\r\n";
      for (size_t sent = 0; sent < kMaxEndlessBytes && WriteAll(fd, block); sent += block.size()) {
      }
      return;
    }
    case Behaviour::kSilent:
      Pause(fd, milliseconds(120'000));
      return;
    case Behaviour::kDrip: {
      std::string response =
          "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'd');
      for (int i = 0; i < kHostileDripBytes && i < static_cast<int>(response.size()); ++i) {
        if (!WriteAll(fd, response.substr(i, 1)) || !Pause(fd, milliseconds(1000))) return;
      }
      return;
    }
    case Behaviour::kCanned:
      if (WriteAll(fd, canned_)) {
        ::shutdown(fd, SHUT_WR);
        Pause(fd, milliseconds(5000));
      }
      return;
  }
}

}  // namespace flare::testing

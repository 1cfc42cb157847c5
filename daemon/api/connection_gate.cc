#include "daemon/api/connection_gate.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

#include "common/thread_name.h"
#include "daemon/api/http_util.h"

namespace flare::daemon {
namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr auto kSweepInterval = std::chrono::milliseconds(100);

}  // namespace

void CloseSocket(int fd) {
  ::shutdown(fd, SHUT_RDWR);
  ::close(fd);
}

bool HeadComplete(const std::string& buffered, size_t searched_from) {
  size_t from = searched_from >= 3 ? searched_from - 3 : 0;
  return buffered.find("\r\n\r\n", from) != std::string::npos;
}

ConnectionGate::ConnectionGate(GateLimits limits, Ready on_ready)
    : limits_(limits), on_ready_(std::move(on_ready)) {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (epoll_fd_ < 0 || wake_fd_ < 0) throw std::runtime_error("cannot create the connection gate");
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.fd = wake_fd_;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &event);
  next_sweep_ = SteadyClock::now() + kSweepInterval;
  thread_ = NamedThread("connections", [this] { Loop(); });
}

ConnectionGate::~ConnectionGate() {
  Stop();
  ::close(wake_fd_);
  ::close(epoll_fd_);
}

void ConnectionGate::Add(PendingConnection connection) {
  Held held{std::move(connection), SteadyClock::now() + limits_.idle, false, false};
  if (!held.connection.buffered.empty()) {
    held.started = true;
    held.connection.first_byte = SteadyClock::now();
    held.deadline = held.connection.first_byte + limits_.head;
  }
  Enqueue(std::move(held));
}

void ConnectionGate::Refuse(int fd, const std::string& reply) {
  [[maybe_unused]] auto sent = ::send(fd, reply.data(), reply.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  ::shutdown(fd, SHUT_WR);
  Enqueue(Held{{fd, {}, {}}, SteadyClock::now() + limits_.linger, true, true});
}

void ConnectionGate::Enqueue(Held held) {
  {
    std::lock_guard lock(mutex_);
    if (!stopped_) {
      incoming_.push_back(std::move(held));
      uint64_t one = 1;
      [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
      return;
    }
  }
  CloseSocket(held.connection.fd);
}

void ConnectionGate::Stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    stopped_ = true;
    uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
  }
  if (thread_.joinable()) thread_.join();
}

void ConnectionGate::Loop() {
  std::vector<epoll_event> events(256);
  while (true) {
    int count = ::epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()),
                             static_cast<int>(kSweepInterval.count()));
    {
      std::lock_guard lock(mutex_);
      if (stopped_) break;
    }
    for (int i = 0; i < count; ++i) {
      int fd = events[i].data.fd;
      if (fd == wake_fd_) {
        uint64_t value = 0;
        [[maybe_unused]] auto n = ::read(wake_fd_, &value, sizeof value);
        continue;
      }
      OnReadable(fd);
    }
    TakeIncoming();
    if (SteadyClock::now() >= next_sweep_) CloseExpired();
  }
  std::vector<Held> incoming;
  {
    std::lock_guard lock(mutex_);
    incoming.swap(incoming_);
  }
  for (auto& held : incoming) CloseSocket(held.connection.fd);
  for (auto& [fd, held] : held_) CloseSocket(fd);
  held_.clear();
}

void ConnectionGate::TakeIncoming() {
  std::vector<Held> incoming;
  {
    std::lock_guard lock(mutex_);
    incoming.swap(incoming_);
  }
  for (auto& held : incoming) {
    // A pipelined request may already be whole in what the last one left behind.
    if (!held.draining && HeadComplete(held.connection.buffered, 0)) {
      on_ready_(std::move(held.connection));
    } else {
      Watch(std::move(held));
    }
  }
}

void ConnectionGate::Watch(Held held) {
  int fd = held.connection.fd;
  epoll_event event{};
  event.events = EPOLLIN | EPOLLRDHUP;
  event.data.fd = fd;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) {
    CloseSocket(fd);
    return;
  }
  held_.emplace(fd, std::move(held));
}

void ConnectionGate::Forget(int fd) {
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  held_.erase(fd);
}

void ConnectionGate::OnReadable(int fd) {
  auto it = held_.find(fd);
  if (it == held_.end()) return;
  Held& held = it->second;
  char chunk[16 * 1024];
  ssize_t n = ::recv(fd, chunk, sizeof chunk, MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) {
    Forget(fd);
    CloseSocket(fd);
    return;
  }
  if (held.draining) return;
  if (!held.started) {
    held.started = true;
    held.connection.first_byte = SteadyClock::now();
    held.deadline = held.connection.first_byte + limits_.head;
  }
  size_t before = held.connection.buffered.size();
  held.connection.buffered.append(chunk, static_cast<size_t>(n));
  if (HeadComplete(held.connection.buffered, before)) {
    PendingConnection ready = std::move(held.connection);
    Forget(fd);
    on_ready_(std::move(ready));
    return;
  }
  if (held.connection.buffered.size() > limits_.max_head_bytes) {
    Forget(fd);
    static const std::string kTooLarge = RawErrorResponse(
        431, "Request Header Fields Too Large",
        Error{ErrorCode::kInvalidRequest,
              "the request head is larger than 64 KiB; send fewer or shorter headers"});
    ::send(fd, kTooLarge.data(), kTooLarge.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    CloseSocket(fd);
  }
}

void ConnectionGate::CloseExpired() {
  auto now = SteadyClock::now();
  next_sweep_ = now + kSweepInterval;
  std::vector<int> expired;
  for (const auto& [fd, held] : held_) {
    if (now >= held.deadline) expired.push_back(fd);
  }
  for (int fd : expired) {
    Forget(fd);
    CloseSocket(fd);
  }
}

}  // namespace flare::daemon

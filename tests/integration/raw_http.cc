#include "tests/integration/raw_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

namespace flare::testing {
namespace {

using SteadyClock = std::chrono::steady_clock;

int MillisLeft(SteadyClock::time_point deadline) {
  auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

size_t ContentLength(const std::string& head) {
  for (const char* name : {"Content-Length: ", "content-length: "}) {
    size_t at = head.find(name);
    if (at != std::string::npos) return std::strtoul(head.c_str() + at + 16, nullptr, 10);
  }
  return 0;
}

}  // namespace

RawConnection::RawConnection(int port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

RawConnection::~RawConnection() {
  if (fd_ >= 0) ::close(fd_);
}

bool RawConnection::Send(const std::string& bytes, std::chrono::milliseconds timeout) {
  auto deadline = SteadyClock::now() + timeout;
  size_t sent = 0;
  while (sent < bytes.size()) {
    pollfd entry{fd_, POLLOUT, 0};
    if (::poll(&entry, 1, MillisLeft(deadline)) <= 0) return false;
    ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

std::string RawConnection::ReadResponse(std::chrono::milliseconds timeout) {
  auto deadline = SteadyClock::now() + timeout;
  std::string data;
  char buffer[65536];
  while (true) {
    size_t head_end = data.find("\r\n\r\n");
    if (head_end != std::string::npos &&
        data.size() >= head_end + 4 + ContentLength(data.substr(0, head_end))) {
      return data;
    }
    pollfd entry{fd_, POLLIN, 0};
    if (::poll(&entry, 1, MillisLeft(deadline)) <= 0) return "";
    ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n <= 0) return head_end == std::string::npos ? "" : data;
    data.append(buffer, static_cast<size_t>(n));
  }
}

bool RawConnection::ClosedWithin(std::chrono::milliseconds timeout) {
  auto deadline = SteadyClock::now() + timeout;
  char buffer[4096];
  while (true) {
    pollfd entry{fd_, POLLIN, 0};
    if (::poll(&entry, 1, MillisLeft(deadline)) <= 0) return false;
    ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) return true;
  }
}

int StatusOf(const std::string& response) {
  if (response.compare(0, 5, "HTTP/") != 0) return 0;
  size_t space = response.find(' ');
  return space == std::string::npos ? 0 : std::atoi(response.c_str() + space + 1);
}

std::string BodyOf(const std::string& response) {
  size_t head_end = response.find("\r\n\r\n");
  return head_end == std::string::npos ? "" : response.substr(head_end + 4);
}

}  // namespace flare::testing

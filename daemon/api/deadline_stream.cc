#include "daemon/api/deadline_stream.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>

namespace flare::daemon {
namespace {

constexpr size_t kChunk = 16 * 1024;

bool WaitFor(int fd, short events, int timeout_ms) {
  pollfd entry{fd, events, 0};
  while (true) {
    int ready = ::poll(&entry, 1, timeout_ms);
    if (ready < 0 && errno == EINTR) continue;
    return ready > 0;
  }
}

void NumericAddress(const sockaddr_storage& address, socklen_t length, std::string& ip, int& port) {
  char host[NI_MAXHOST] = {};
  char service[NI_MAXSERV] = {};
  if (::getnameinfo(reinterpret_cast<const sockaddr*>(&address), length, host, sizeof host, service,
                    sizeof service, NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
    ip = host;
    port = std::atoi(service);
  }
}

// A whole response head ("HTTP/1.x ...\r\n\r\n") whose Content-Length promises a body,
// which cpp-httplib writes with its very next call. Header names arrive as the server set
// them; flared's and cpp-httplib's spell it "Content-Length".
bool IsHeadBeforeABody(const char* data, size_t size) {
  constexpr size_t kLongestHeldHead = 16 * 1024;
  std::string_view text(data, size);
  if (size > kLongestHeldHead || !text.starts_with("HTTP/1.") || !text.ends_with("\r\n\r\n")) {
    return false;
  }
  constexpr std::string_view kLength = "\r\nContent-Length: ";
  size_t at = text.find(kLength);
  if (at == std::string_view::npos) return false;
  size_t digits = at + kLength.size();
  return digits < text.size() && text[digits] >= '1' && text[digits] <= '9';
}

}  // namespace

DeadlineStream::DeadlineStream(int fd, std::string buffered, TimePoint read_deadline,
                               std::chrono::milliseconds write_timeout)
    : fd_(fd),
      buffer_(std::move(buffered)),
      read_deadline_(read_deadline),
      write_timeout_(write_timeout) {}

bool DeadlineStream::is_readable() const {
  if (offset_ < buffer_.size()) return true;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      read_deadline_ - std::chrono::steady_clock::now());
  if (left.count() <= 0) return false;
  return WaitFor(fd_, POLLIN, static_cast<int>(std::min<long long>(left.count() + 1, 3'600'000)));
}

bool DeadlineStream::is_writable() const {
  return WaitFor(fd_, POLLOUT, static_cast<int>(write_timeout_.count()));
}

ssize_t DeadlineStream::read(char* ptr, size_t size) {
  if (offset_ < buffer_.size()) {
    size_t n = std::min(size, buffer_.size() - offset_);
    std::memcpy(ptr, buffer_.data() + offset_, n);
    offset_ += n;
    if (offset_ == buffer_.size()) {
      buffer_.clear();
      offset_ = 0;
    }
    return static_cast<ssize_t>(n);
  }
  while (true) {
    if (!is_readable()) return -1;
    // The parser reads a line a byte at a time: receive a chunk and serve it from memory.
    bool direct = size >= kChunk;
    if (!direct) buffer_.resize(kChunk);
    ssize_t n = ::recv(fd_, direct ? ptr : buffer_.data(), direct ? size : kChunk, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!direct) buffer_.clear();
      continue;
    }
    if (direct) return n;
    buffer_.resize(n > 0 ? static_cast<size_t>(n) : 0);
    if (n <= 0) return n;
    return read(ptr, size);
  }
}

ssize_t DeadlineStream::write(const char* ptr, size_t size) {
  if (held_head_.empty() && IsHeadBeforeABody(ptr, size)) {
    held_head_.assign(ptr, size);
    held_sent_ = 0;
    return static_cast<ssize_t>(size);
  }
  while (true) {
    // The send comes first: poll only when the socket's buffer is full.
    bool head_was_held = !held_head_.empty();
    ssize_t sent = SendAfterHeldHead(ptr, size);
    if (sent > 0 || (sent == 0 && !head_was_held)) return sent;
    if (sent == 0) {  // (some of) the head went out, none of `ptr` yet
      if (size == 0 && held_head_.empty()) return 0;  // a Flush: done
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN || !is_writable()) return -1;
  }
}

ssize_t DeadlineStream::SendAfterHeldHead(const char* ptr, size_t size) {
  if (held_head_.empty()) return ::send(fd_, ptr, size, MSG_DONTWAIT | MSG_NOSIGNAL);
  iovec parts[2] = {{held_head_.data() + held_sent_, held_head_.size() - held_sent_},
                    {const_cast<char*>(ptr), size}};
  msghdr message{};
  message.msg_iov = parts;
  message.msg_iovlen = 2;
  ssize_t sent = ::sendmsg(fd_, &message, MSG_DONTWAIT | MSG_NOSIGNAL);
  if (sent < 0) return sent;
  size_t of_head = std::min(static_cast<size_t>(sent), held_head_.size() - held_sent_);
  held_sent_ += of_head;
  if (held_sent_ == held_head_.size()) held_head_.clear();
  return sent - static_cast<ssize_t>(of_head);
}

bool DeadlineStream::Flush() {
  if (held_head_.empty()) return true;
  bool sent = write("", 0) == 0;  // what is left of the head, and nothing after it
  held_head_.clear();
  return sent;
}

void DeadlineStream::get_remote_ip_and_port(std::string& ip, int& port) const {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (::getpeername(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    NumericAddress(address, length, ip, port);
  }
}

void DeadlineStream::get_local_ip_and_port(std::string& ip, int& port) const {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    NumericAddress(address, length, ip, port);
  }
}

std::string DeadlineStream::TakeBuffered() {
  std::string rest = buffer_.substr(offset_);
  buffer_.clear();
  offset_ = 0;
  return rest;
}

}  // namespace flare::daemon

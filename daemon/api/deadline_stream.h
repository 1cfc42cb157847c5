#pragma once
// The socket stream cpp-httplib parses a request from, with one deadline over everything
// the request reads (head and body) instead of the library's timeout per recv, which a
// client sending one byte every 29 s never trips. Bytes the connection gate already
// received are read first; what the request leaves unread (a pipelined next request)
// goes back to the gate with the connection.
//
// Writes go out at once, with one exception: cpp-httplib writes a response's head and its
// body in two calls, and on loopback each send wakes the client (profiled at ~5 % of
// flared's CPU per answer, one wake-up too many). A head that announces a body by
// Content-Length is therefore held and sent with the body in one sendmsg. Streams (SSE,
// exports) are chunked, so their heads are never held; Flush sends a head whose body never
// came (HEAD requests), and the server calls it when the request ends.

#include <httplib.h>

#include <chrono>
#include <string>

namespace flare::daemon {

class DeadlineStream final : public httplib::Stream {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  DeadlineStream(int fd, std::string buffered, TimePoint read_deadline,
                 std::chrono::milliseconds write_timeout);

  bool is_readable() const override;
  bool is_writable() const override;
  ssize_t read(char* ptr, size_t size) override;
  ssize_t write(const char* ptr, size_t size) override;
  using httplib::Stream::write;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  int socket() const override { return fd_; }

  /// Sends a held response head, if any (false if the connection failed).
  bool Flush();
  /// Received bytes the request did not consume.
  std::string TakeBuffered();

 private:
  /// One send of what is left of the held head (if any) followed by `ptr`; returns the
  /// bytes of `ptr` sent, or -1 with errno.
  ssize_t SendAfterHeldHead(const char* ptr, size_t size);

  const int fd_;
  std::string buffer_;
  size_t offset_ = 0;
  std::string held_head_;  // a response head waiting for its body
  size_t held_sent_ = 0;   // bytes of held_head_ already sent
  const TimePoint read_deadline_;
  const std::chrono::milliseconds write_timeout_;
};

}  // namespace flare::daemon

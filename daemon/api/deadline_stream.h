#pragma once
// The socket stream cpp-httplib parses a request from, with one deadline over everything
// the request reads (head and body) instead of the library's timeout per recv, which a
// client sending one byte every 29 s never trips. Bytes the connection gate already
// received are read first; what the request leaves unread (a pipelined next request)
// goes back to the gate with the connection.

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

  /// Received bytes the request did not consume.
  std::string TakeBuffered();

 private:
  const int fd_;
  std::string buffer_;
  size_t offset_ = 0;
  const TimePoint read_deadline_;
  const std::chrono::milliseconds write_timeout_;
};

}  // namespace flare::daemon

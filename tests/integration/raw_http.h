#pragma once
// Raw TCP to a local flared, for what an HTTP client library will not send: heads that
// never finish, chunked bodies cut short, bytes that are not UTF-8.

#include <chrono>
#include <string>

namespace flare::testing {

/// A connected socket to 127.0.0.1:port (closed by the destructor).
class RawConnection {
 public:
  explicit RawConnection(int port);
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return fd_ >= 0; }
  /// Sends all of `bytes` (false when the peer stopped reading for `timeout` or closed).
  bool Send(const std::string& bytes, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  /// Reads one answer: "" when none arrives within `timeout` or the peer closed first.
  std::string ReadResponse(std::chrono::milliseconds timeout);
  /// True when the peer closes (EOF or reset) within `timeout`, discarding what it sends.
  bool ClosedWithin(std::chrono::milliseconds timeout);

 private:
  int fd_ = -1;
};

/// The status code of a raw answer ("HTTP/1.1 413 ..." → 413), 0 when there is none.
int StatusOf(const std::string& response);
/// The body of a raw answer (after the blank line).
std::string BodyOf(const std::string& response);

}  // namespace flare::testing

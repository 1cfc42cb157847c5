#pragma once
// A raw TCP server on 127.0.0.1 (port 0) that behaves like a hostile or broken HTTP
// target, for transport and executor tests. Each connection gets its own thread; every
// behaviour ends when the peer closes, the server is destroyed, or a bound (bytes, time)
// is reached.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace flare::testing {

class HostileServer {
 public:
  enum class Behaviour {
    kHugeStatusLine,  // "HTTP/1.1 200 " followed by 2 MB of 'x' and no line end
    kEndlessHeaders,  // a status line, then short header lines as fast as they are read
    kSilent,          // accepts and never writes (an https:// handshake never finishes)
    kDrip,            // a valid response, one byte a second
    kCanned,          // writes `canned` (the whole response) and closes
  };

  explicit HostileServer(Behaviour behaviour, std::string canned = "");
  ~HostileServer();
  HostileServer(const HostileServer&) = delete;
  HostileServer& operator=(const HostileServer&) = delete;

  int port() const { return port_; }
  /// "http://127.0.0.1:<port><path>" (or https://).
  std::string Url(const std::string& path, bool https = false) const;
  /// Waits until `count` connections were accepted; false after `timeout`.
  bool WaitForConnections(int count, std::chrono::milliseconds timeout) const;

 private:
  void Accept();
  void Serve(int fd);
  // Writes all of `data` unless the peer goes away or the server stops.
  bool WriteAll(int fd, std::string_view data);
  // Waits up to `duration`; false when the server stops or the peer closed.
  bool Pause(int fd, std::chrono::milliseconds duration);

  Behaviour behaviour_;
  std::string canned_;
  int listener_ = -1;
  int stop_pipe_[2] = {-1, -1};
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  mutable std::condition_variable accepted_;
  int connections_ = 0;
  std::vector<std::thread> handlers_;
  std::thread acceptor_;
};

}  // namespace flare::testing

#pragma once
// A scripted HTTP(S) sink on 127.0.0.1, port 0, for transport tests.
//
// Routes:
//   /status/<code>[?retry_after=<value>]  that status, optional Retry-After
//   /delay/<ms>                           200 after <ms> (cut short on shutdown)
//   /drip                                 headers, then one byte every 50 ms (≤ 10 s)
//   /bytes/<n>                            n bytes of 'x'
//   /echo                                 JSON {method, path, headers, body}
//   /redirect/<n>                         302 → /redirect/<n-1>; /redirect/0 is 200 "done"
//   /to?url=<url>[&code=<3xx>]            that redirect to <url>
// Every request is counted; distinct client ports count connections.

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "tests/testutil/test_tls.h"

namespace flare::testing {

class TestHttpServer {
 public:
  /// Plain HTTP, or HTTPS with `tls` certificates.
  explicit TestHttpServer(const TestCertificates* tls = nullptr);
  ~TestHttpServer();
  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;

  int port() const { return port_; }
  /// "http://127.0.0.1:<port><path>" (https when TLS).
  std::string Url(const std::string& path) const;
  /// Requests received so far (counted when a handler starts).
  int requests() const;
  /// Distinct TCP connections that carried a request.
  int connections() const;
  /// Waits until `count` requests have started; false after `timeout`.
  bool WaitForRequests(int count, std::chrono::milliseconds timeout) const;

 private:
  void AddRoutes();
  void Note(const httplib::Request& request);
  // Sleeps up to `duration`; returns early (false) when the server shuts down.
  bool SleepUnlessStopping(std::chrono::milliseconds duration);

  std::unique_ptr<httplib::Server> server_;
  bool https_ = false;
  int port_ = 0;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  int requests_ = 0;
  std::set<int> client_ports_;
  bool stopping_ = false;
  std::thread thread_;
};

/// A TCP listener on 127.0.0.1 that accepts and resets every connection
/// without answering.
class ResettingServer {
 public:
  ResettingServer();
  ~ResettingServer();
  int port() const { return port_; }

 private:
  int listener_ = -1;
  int port_ = 0;
  std::thread thread_;
};

/// A 127.0.0.1 port with nothing listening (bound, then closed).
int ClosedPort();

}  // namespace flare::testing

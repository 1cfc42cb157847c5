#pragma once
// cpp-httplib, set up for flared: TCP_NODELAY (without it every answer waits ~40 ms on
// Nagle + delayed ACK), long keep-alive, an elastic thread pool, a 2 MiB body limit, JSON
// errors for everything the library answers itself, one log line per request, and a
// listen backlog raised after bind (the packaged library compiles in a backlog of 5).

#include <memory>
#include <string>

#include "common/result.h"
#include "daemon/api/router.h"

namespace flare::daemon {

class HttpServer {
 public:
  HttpServer(const Router& router, size_t max_threads);
  ~HttpServer();

  /// Binds host:port (port 0 = any free port); returns the bound port.
  Result<int> Bind(const std::string& host, int port);
  /// Serves until Stop(); returns false if the server failed.
  bool Serve();
  void Stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace flare::daemon

#pragma once
// cpp-httplib as flared's API server, with the parts that face the network replaced:
// - flared binds the listening socket itself (no SO_REUSEPORT, so a port in use fails at
//   start instead of two daemons splitting requests) with a large backlog;
// - a connection takes a pool thread only once its request head is in (ConnectionGate),
//   every read of a request shares one deadline (DeadlineStream), and a request no thread
//   can take answers 503;
// - bodies are read through the content reader after authentication, stop at 2 MiB (413,
//   chunked or not), and compressed bodies are refused (415): nothing inflates.
// Plus TCP_NODELAY, JSON errors for everything the library answers itself, and one log
// line per request.

#include <chrono>
#include <memory>
#include <string>

#include "common/result.h"
#include "daemon/api/connection_gate.h"
#include "daemon/api/router.h"

namespace flare::daemon {

struct HttpServerOptions {
  size_t max_threads = 1512;
  size_t max_body_bytes = 2 * 1024 * 1024;
  GateLimits gate;
  /// Head and body of one request must arrive within this, counted from its first byte.
  std::chrono::milliseconds request_timeout{30'000};
  std::chrono::milliseconds write_timeout{30'000};
};

/// The socket of the request this thread is serving (-1 elsewhere): a long answer (an event
/// stream, a parked poll) checks it to notice a client that went away while nothing was
/// being written.
int CurrentRequestSocket();
/// True when the client of `fd` has closed its side or the connection broke (false for -1).
/// Never blocks; bytes the client sent are left unread.
bool PeerClosed(int fd);

class HttpServer {
 public:
  HttpServer(const Router& router, HttpServerOptions options);
  ~HttpServer();

  /// Binds host:port (port 0 = any free port); returns the bound port.
  Result<int> Bind(const std::string& host, int port);
  /// Serves until Stop(), then finishes the requests in flight; false if the server failed.
  bool Serve();
  /// Any thread, any time, also before Serve (which then returns at once).
  void Stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace flare::daemon

#pragma once
// flared's lifecycle: open the store, start the engines and the HTTP server, serve until
// asked to stop, then stop in order — stop accepting, release waiting polls, finish
// in-flight requests, stop the timer, drain the writer.

#include <atomic>
#include <memory>
#include <mutex>

#include "daemon/config.h"

namespace flare::daemon {

class Daemon {
 public:
  explicit Daemon(DaemonConfig config);
  ~Daemon();

  /// Serves until RequestStop(); returns the process exit code.
  int Run();
  /// Safe to call from any thread, any number of times.
  void RequestStop();

 private:
  struct Parts;
  DaemonConfig config_;
  std::unique_ptr<Parts> parts_;
  std::atomic<bool> stop_requested_{false};
  std::mutex stop_mutex_;  // orders RequestStop with Run creating what it stops
};

}  // namespace flare::daemon

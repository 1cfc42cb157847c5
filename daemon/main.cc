// flared: parse flags, route SIGINT/SIGTERM to an orderly stop, run.
// Signals are blocked in every thread and taken by one thread with sigwait, so no code runs
// in a signal handler. A second SIGINT/SIGTERM exits at once.

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <mutex>
#include <thread>

#include "daemon/config.h"
#include "daemon/daemon.h"
#include "daemon/log.h"

// jemalloc's options, read at its first allocation (MALLOC_CONF in the environment still
// wins). A background thread returns freed pages to the OS a second after they go idle, off
// the request path: without it a burst (a 1M-job fill) left ~35 MiB of dirty pages in RSS.
extern "C" const char* malloc_conf;
const char* malloc_conf = "background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0";

int main(int argc, char** argv) {
  using namespace flare::daemon;
  // First of all, so a stop that arrives while flared starts waits for sigwait below
  // instead of killing the process half-started.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  DaemonConfig config;
  std::string message;
  switch (ParseDaemonArgs(argc, argv, config, message)) {
    case ParseOutcome::kExitOk:
      std::puts(message.c_str());
      return 0;
    case ParseOutcome::kExitUsage:
      std::fprintf(stderr, "%s\n", message.c_str());
      return 2;
    case ParseOutcome::kRun:
      break;
  }
  ConfigureLog(config.log_format, config.log_level);
  signal(SIGPIPE, SIG_IGN);

  Daemon daemon(config);
  // The signal thread stays detached (it may be blocked in sigwait when main returns), so
  // the daemon's lifetime is guarded: once Run has returned, a late signal must not reach
  // the daemon that main is about to destroy. Both outlive main (static storage), since the
  // thread may wake while the process exits.
  static std::mutex lifetime;
  static bool daemon_finished = false;
  std::thread signal_thread([&daemon, stop_signals] {
    int signal_number = 0;
    if (sigwait(&stop_signals, &signal_number) != 0) return;
    {
      std::lock_guard lock(lifetime);
      if (!daemon_finished) daemon.RequestStop();
    }
    if (sigwait(&stop_signals, &signal_number) == 0) _exit(130);
  });
  signal_thread.detach();
  int status = 1;
  try {
    status = daemon.Run();
  } catch (const std::exception& e) {
    LogError("flared failed", {{"error", e.what()}});
  }
  std::lock_guard lock(lifetime);
  daemon_finished = true;
  return status;
}

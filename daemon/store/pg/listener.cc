#include "daemon/store/pg/listener.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <memory>
#include <stdexcept>

#include "common/thread_name.h"
#include "daemon/log.h"
#include "daemon/store/pg/error.h"

namespace flare::daemon::pg {

Listener::Listener(ListenerOptions options, OnNotification on_notification, OnResync on_resync)
    : options_(std::move(options)),
      on_notification_(std::move(on_notification)),
      on_resync_(std::move(on_resync)),
      stop_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (stop_fd_ < 0) throw std::runtime_error("cannot create the listener's eventfd");
}

Listener::~Listener() {
  Stop();
  close(stop_fd_);
}

void Listener::Start() {
  thread_ = NamedThread("pg-listen", [this] { Loop(); });
}

void Listener::Stop() {
  if (!stopping_.exchange(true)) {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t written = write(stop_fd_, &one, sizeof one);
  }
  if (thread_.joinable()) thread_.join();
}

bool Listener::SleepUnlessStopped(std::chrono::milliseconds delay) {
  pollfd stop{stop_fd_, POLLIN, 0};
  poll(&stop, 1, static_cast<int>(delay.count()));
  return !stopping_.load();
}

void Listener::Loop() {
  using Clock = std::chrono::steady_clock;
  std::unique_ptr<Connection> session;
  std::chrono::milliseconds backoff = options_.reconnect_min;
  Clock::time_point next_resync = Clock::now();
  while (!stopping_.load()) {
    try {
      if (!session) {
        session = std::make_unique<Connection>(options_.uri);
        for (const std::string& channel : options_.channels) session->Listen(channel);
        backend_pid_ = session->BackendPid();
        ++connections_;
        backoff = options_.reconnect_min;
        next_resync = Clock::now();  // whatever was sent while no session listened
      }
      if (Clock::now() >= next_resync) {
        on_resync_();
        next_resync = Clock::now() + options_.safety_interval;
      }
      auto wait = std::chrono::ceil<std::chrono::milliseconds>(next_resync - Clock::now());
      auto notification =
          session->WaitForNotification(std::max(wait, std::chrono::milliseconds(1)), stop_fd_);
      if (notification && !stopping_.load()) on_notification_(*notification);
    } catch (const PgError& e) {
      // The message names host, port and database only (connection.h): no secret.
      LogWarn("lost the PostgreSQL session that listens for other nodes' wake-ups; reconnecting",
              {{"error", e.what()}, {"retry_in_ms", std::to_string(backoff.count())}});
      session.reset();
      backend_pid_ = 0;
      if (!SleepUnlessStopped(backoff)) break;
      backoff = std::min(backoff * 2, options_.reconnect_max);
    }
  }
}

}  // namespace flare::daemon::pg

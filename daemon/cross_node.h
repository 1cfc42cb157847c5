#pragma once
// Wake-ups between flared nodes that share a PostgreSQL database.
//
// On one node, a commit that makes work ready wakes the engine that performs it (a parked
// poll, the timer, the executor) in-process. With several nodes the work may belong to an
// engine of another node: a poll parked on node A must hear of a job created through node
// B within milliseconds, the timer of every node must know the next due fire (so a fire is
// not late when the node that scheduled it dies), and a cancel through B must reach the
// node performing the HTTP call.
//
// So each local announcement (after its commit) is also handed to a sender thread, which
// coalesces what queued up and sends it as NOTIFY on channel `flare_wake`; every node
// LISTENs there (pg::Listener) and replays what other nodes announced on its own engines.
// Notifications are a fast path, not the record: the listener's resync (after every
// reconnection, and every few seconds) makes the engines look at the database again, so
// a lost NOTIFY costs latency, never work. Handing off never blocks the committing thread.

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "common/time_format.h"
#include "daemon/store/pg/listener.h"

namespace flare::daemon {

/// What this node's engines do with an announcement from another node.
struct LocalEngines {
  std::function<void(const std::string& project, const std::string& queue,
                     const std::string& job_type)>
      worker_run_ready;
  std::function<void(TimePoint)> wake_at;
  std::function<void(const std::string& run_id)> run_cancelled;
  /// Look at the database again: `reconnected` after the listening session was (re)opened,
  /// when announcements sent meanwhile were missed; false for the periodic safety look.
  std::function<void(bool reconnected)> resync;
  /// Another node committed events (the event tail reads them).
  std::function<void()> events_committed;
};

class CrossNodeWakeups {
 public:
  static constexpr const char* kChannel = "flare_wake";

  CrossNodeWakeups(std::string uri, std::string node_id, LocalEngines local);
  ~CrossNodeWakeups();
  CrossNodeWakeups(const CrossNodeWakeups&) = delete;
  CrossNodeWakeups& operator=(const CrossNodeWakeups&) = delete;

  void Start();
  /// Sends what is queued, then stops sending and listening.
  void Stop();

  // Announcements of this node's commits (hand-offs: they queue and return).
  void WorkerRunReady(const std::string& project, const std::string& queue,
                      const std::string& job_type);
  void WakeAt(TimePoint t);
  void RunCancelled(const std::string& run_id);
  void EventsCommitted();

 private:
  struct Batch {
    std::set<std::tuple<std::string, std::string, std::string>> ready;  // project, queue, type
    OptTime wake_at;
    std::set<std::string> cancelled;
    bool events = false;
    bool empty() const { return ready.empty() && !wake_at && cancelled.empty() && !events; }
  };
  void SendLoop();
  /// The batch as NOTIFY payloads, each under PostgreSQL's 8000-byte limit.
  std::vector<std::string> Payloads(const Batch& batch) const;
  void Send(const std::vector<std::string>& payloads);
  void Replay(const pg::Notification& notification);
  void Queue(const std::function<void(Batch&)>& add);

  const std::string uri_;
  const std::string node_id_;
  LocalEngines local_;
  std::unique_ptr<pg::Listener> listener_;
  std::unique_ptr<pg::Connection> sender_;  // the sender thread's own session
  std::mutex mutex_;
  std::condition_variable queued_;
  Batch batch_;
  bool stopping_ = false;
  int sessions_seen_ = 0;  // the listener's session count at its last resync (its thread)
  std::thread thread_;
};

}  // namespace flare::daemon

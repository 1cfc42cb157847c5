#pragma once
// Feeds the event bus from the database, on a backend where commits do not arrive in
// position order (PostgreSQL: many sessions and several nodes write the log at once).
//
// One thread per node reads the events of every project that settled after the last one
// it published (EventStore::Tail) and publishes them to the bus in position order, so
// streams on this node see the work of every node, in one order on all of them. It reads
// when poked (a local commit wrote events, or another node announced that it did) while
// somebody listens; again a few milliseconds later while committed events wait for an
// older transaction to end; and once a second in any case, so a lost poke costs latency,
// never events. With no stream open and nobody listening it reads only the newest settled
// position and moves the bus's floor there (EventBus::SkipTo): a stream that starts later
// reads what it missed from the database.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "daemon/service/event_bus.h"
#include "daemon/store/readers.h"

namespace flare::daemon {

class EventTail {
 public:
  /// Publishes what settles after `from` (the bus's floor: EventBus::Start).
  EventTail(Readers& readers, EventBus& bus, std::string from);
  ~EventTail();
  EventTail(const EventTail&) = delete;
  EventTail& operator=(const EventTail&) = delete;

  void Start();
  void Stop();
  /// Events were committed here or on another node. Never blocks.
  void Poke();

 private:
  void Loop();
  /// Returns when poked while somebody listens, at Stop, or after `longest`.
  void WaitForReason(std::unique_lock<std::mutex>& lock,
                     std::chrono::steady_clock::duration longest);
  /// Publishes one page; true when the next read is due soon (a full page, or committed
  /// events that are not settled yet).
  bool ReadOnce();

  Readers& readers_;
  EventBus& bus_;
  std::string position_;  // the tail thread's
  std::mutex mutex_;
  std::condition_variable wake_;
  bool poked_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace flare::daemon

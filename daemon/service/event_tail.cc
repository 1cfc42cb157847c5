#include "daemon/service/event_tail.h"

#include <algorithm>
#include <exception>
#include <memory>
#include <vector>

#include "common/thread_name.h"
#include "daemon/log.h"

namespace flare::daemon {
namespace {

constexpr int kPage = 1000;
// How soon to look again while committed events wait for an older transaction: about the
// length of one short write transaction.
constexpr auto kUnsettledRetry = std::chrono::milliseconds(3);
// The safety read, with nobody listening or a poke lost; also the pause after a failed read.
constexpr auto kIdleRead = std::chrono::seconds(1);
// How often a poke nobody listened for is looked at again.
constexpr auto kListenerCheck = std::chrono::milliseconds(20);

}  // namespace

EventTail::EventTail(Readers& readers, EventBus& bus, std::string from)
    : readers_(readers), bus_(bus), position_(std::move(from)) {}

EventTail::~EventTail() { Stop(); }

void EventTail::Start() {
  thread_ = NamedThread("event-tail", [this] { Loop(); });
}

void EventTail::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void EventTail::Poke() {
  {
    std::lock_guard lock(mutex_);
    poked_ = true;
  }
  wake_.notify_one();
}

void EventTail::Loop() {
  bool soon = false;
  bool failing = false;
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    WaitForReason(lock, soon ? kUnsettledRetry : kIdleRead);
    if (stopping_) break;
    poked_ = false;
    lock.unlock();
    try {
      soon = ReadOnce();
      if (failing) LogInfo("the event tail reads the database again");
      failing = false;
    } catch (const std::exception& e) {
      // The database is away (a restart, a network cut): streams wait, nothing is lost,
      // since the next read starts where the last published event was.
      if (!failing) LogWarn("the event tail could not read the log", {{"error", e.what()}});
      failing = true;
      soon = false;
    }
    lock.lock();
  }
}

void EventTail::WaitForReason(std::unique_lock<std::mutex>& lock,
                              std::chrono::steady_clock::duration longest) {
  auto deadline = std::chrono::steady_clock::now() + longest;
  // A poke counts only while somebody listens: with no stream, the safety read keeps the
  // ring current at a page per second instead of a query per commit. A stream may start
  // waiting after the poke, and nothing notifies this thread of that, so a pending poke
  // is looked at again every few milliseconds.
  while (!stopping_ && !(poked_ && bus_.HasListeners())) {
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return;
    wake_.wait_until(lock, poked_ ? std::min(deadline, now + kListenerCheck) : deadline);
  }
}

bool EventTail::ReadOnce() {
  std::optional<EventTailPage> page;
  {
    auto reader = readers_.Acquire();
    if (bus_.NobodyFollows()) {
      // Nobody to publish to: move past what settled instead of reading it (under load,
      // reading every event cost the database a tenth of its time). A stream that starts
      // later and is behind reads the database, as when it is behind the ring.
      std::string settled = reader->events().NewestPosition();
      if (settled <= position_) return false;
      if (bus_.SkipTo(settled)) {
        position_ = std::move(settled);
        return false;
      }
    }
    page = reader->events().Tail(position_, kPage);
  }
  if (!page) return false;
  std::vector<std::shared_ptr<const BusEvent>> events;
  events.reserve(page->events.size());
  for (size_t i = 0; i < page->events.size(); ++i) {
    events.push_back(
        std::make_shared<const BusEvent>(std::move(page->events[i]), std::move(page->queues[i])));
  }
  if (!events.empty()) position_ = events.back()->record().position;
  bool full = events.size() == static_cast<size_t>(kPage);
  bus_.PublishSettled(std::move(events));
  return full || page->unsettled;
}

}  // namespace flare::daemon

#pragma once
// The in-process event bus: how live streams learn about commits without reading the
// database on a timer.
//
// It keeps a ring of the most recent events in the order streams read the log (positions,
// store/event_store.h). Project log streams (GET /events as SSE) read new events from the
// ring, so a thousand followers of one project cost no query per commit; the event is
// rendered as a frame once and shared. The ring covers every event after `floor`: the
// newest position stored before flared started, then the last position evicted. A stream
// whose position is older reads the database until it reaches the floor, then continues
// from the ring; since both are in position order and the floor is read before the query,
// nothing is skipped and nothing repeated.
//
// Where events come from depends on the backend:
//   - SQLite (one writer, id order = commit order): it watches the event log
//     (EventObserver) and appends each transaction's events after its commit.
//   - PostgreSQL (many writers, several nodes): commits only signal (FeedFromTail), and an
//     EventTail (event_tail.h) reads settled events from the database and publishes them
//     in position order, whichever node wrote them.
//
// Wake-ups stay off the writer: its after-commit action only appends and, when a stream
// sleeps, flags a fan-out thread, which wakes the sleeping streams (a broadcast to a
// thousand threads would cost the writer far more than the append). Job snapshot streams (GET
// /jobs/{id}/events) wait on their job's channel, bumped when the job's row is saved
// (WorkNotifier::JobSaved) or an event of it is appended; only jobs somebody watches cost anything.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "daemon/service/event_observer.h"

namespace flare::daemon {

using SteadyTime = std::chrono::steady_clock::time_point;

/// One committed event as the bus keeps it.
class BusEvent {
 public:
  BusEvent(EventRecord record, std::string queue)
      : record_(std::move(record)), queue_(std::move(queue)) {}
  const EventRecord& record() const { return record_; }
  /// The queue of the event's job when the event was written.
  const std::string& queue() const { return queue_; }
  /// The SSE frame ("id:", "event:", "data:"), rendered by the first stream that needs it.
  const std::string& Frame() const;

 private:
  EventRecord record_;
  std::string queue_;
  mutable std::once_flag rendered_;
  mutable std::string frame_;
};

/// The SSE frame of `event`: "id: <id>\nevent: <type>\ndata: <EventView JSON>\n\n".
std::string EventFrame(const EventRecord& event);

class EventBus final : public EventObserver {
 public:
  explicit EventBus(size_t ring_capacity = 8192);
  ~EventBus() override;
  EventBus(const EventBus&) = delete;
  EventBus& operator=(const EventBus&) = delete;

  /// `newest_position`: the newest position in the database before any write of this
  /// process ("" when empty). Call before the first write.
  void Start(const std::string& newest_position);
  /// Commits no longer publish their events: they call `events_committed` (after the
  /// commit), and an EventTail publishes what it reads (PublishSettled). Call before Start.
  void FeedFromTail(std::function<void()> events_committed);
  /// The tail: `events` follow every event published before, in position order.
  void PublishSettled(std::vector<std::shared_ptr<const BusEvent>> events);
  /// True while a stream waits for events or somebody watches a job: the tail reads at
  /// once when poked only then.
  bool HasListeners() const;
  /// True while no log stream is open and nobody listens: what the tail may skip (SkipTo).
  bool NobodyFollows() const;
  /// The tail, with no stream open and nobody listening: forgets the ring and moves its
  /// floor up to `settled_position` (every event up to it committed), so that events
  /// nobody reads are not read from the database either. A stream that starts behind then
  /// reads the database up to the floor, as one behind the ring always does. Refused
  /// (false) while a stream is open or a job is watched: their events must be published,
  /// to wake them and so that a stream busy sending finds its next events in the ring.
  /// Call only after `settled_position` was read.
  bool SkipTo(const std::string& settled_position);
  /// Wakes every waiter; later waits return at once. Idempotent.
  void Shutdown();
  bool stopping() const { return stopping_.load(); }

  // EventObserver (writer thread): appends after the commit.
  void OnEvent(Tx& tx, const JobRecord& job, const RunRecord* run,
               const EventRecord& event) override;
  /// Writer thread: a job's row was saved (wakes that job's snapshot streams).
  void JobSaved(Tx& tx, const JobRecord& job);

  /// Events after `after_position` (at most `max`) into `out`; false (and `floor` set to
  /// the ring's floor) when the ring no longer reaches back to it: read the database.
  bool ReadAfter(const std::string& after_position, size_t max,
                 std::vector<std::shared_ptr<const BusEvent>>& out, std::string& floor) const;
  /// The newest position the bus knows (its floor when nothing was published).
  std::string Newest() const;
  /// Counts publications; pass it to WaitPast.
  uint64_t generation() const;
  /// Sleeps until something is published after `seen`, `until`, or Shutdown. True when
  /// something was published.
  bool WaitPast(uint64_t seen, SteadyTime until) const;

  /// An open log stream (RAII): while one is, the tail publishes every event (SkipTo).
  class OpenStream {
   public:
    explicit OpenStream(EventBus& bus);
    ~OpenStream();
    OpenStream(const OpenStream&) = delete;
    OpenStream& operator=(const OpenStream&) = delete;

   private:
    EventBus& bus_;
  };

  /// A registration for one job's changes (RAII).
  class JobWatch {
   public:
    JobWatch(EventBus& bus, std::string job_id);
    ~JobWatch();
    JobWatch(const JobWatch&) = delete;
    JobWatch& operator=(const JobWatch&) = delete;
    /// How many changes of the job were seen so far.
    uint64_t version() const;
    /// Sleeps until the job changes after `seen`, `until`, or Shutdown; true on a change.
    bool Wait(uint64_t seen, SteadyTime until) const;

   private:
    EventBus& bus_;
    std::string job_id_;
  };

 private:
  struct JobChannel {
    uint64_t version = 0;
    int watchers = 0;
    std::condition_variable changed;
  };
  void Publish(std::vector<std::shared_ptr<const BusEvent>> events);
  /// Counts a change of the ring and wakes the streams that wait for one.
  void Announce();
  void BumpJob(const std::string& job_id);
  void FanOut();
  /// The ring's last position, or its floor when the ring is empty; ring_mutex_ held.
  const std::string& NewestLocked() const;

  std::function<void()> events_committed_;  // set: fed by a tail

  const size_t capacity_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> job_watchers_{0};
  std::atomic<int> open_streams_{0};
  std::atomic<uint64_t> generation_{0};
  // Streams inside WaitPast. With none, a publication wakes nobody: on a machine where a
  // thread wake costs tens of µs, waking the fan-out thread for every create (and its
  // contention on wait_mutex_ with the writer) was two of the ~15 context switches a
  // create cost. Sequentially consistent with generation_ (see Publish).
  mutable std::atomic<int> stream_waiters_{0};

  // Three locks, so a thousand streams waking at once do not queue on one: the ring is
  // read under a shared lock, waiting uses its own mutex, job channels theirs.
  mutable std::shared_mutex ring_mutex_;              // guards ring_ and floor_
  std::deque<std::shared_ptr<const BusEvent>> ring_;  // ascending positions
  std::string floor_;

  mutable std::mutex wait_mutex_;  // only for waiting on published_
  mutable std::condition_variable published_;

  std::mutex fan_out_mutex_;  // guards fan_out_pending_
  std::condition_variable fan_out_wake_;
  bool fan_out_pending_ = false;

  mutable std::mutex jobs_mutex_;  // guards jobs_
  std::unordered_map<std::string, std::unique_ptr<JobChannel>> jobs_;
  std::thread fan_out_;
};

}  // namespace flare::daemon

#include "daemon/service/event_bus.h"

#include <algorithm>

#include "daemon/service/views.h"

namespace flare::daemon {

std::string EventFrame(const EventRecord& event) {
  std::string data =
      EventView(event).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string frame;
  frame.reserve(data.size() + event.id.size() + event.type.size() + 32);
  frame.append("id: ").append(event.id).append("\nevent: ").append(event.type);
  frame.append("\ndata: ").append(data).append("\n\n");
  return frame;
}

const std::string& BusEvent::Frame() const {
  std::call_once(rendered_, [this] { frame_ = EventFrame(record_); });
  return frame_;
}

EventBus::EventBus(size_t ring_capacity)
    : capacity_(ring_capacity), fan_out_([this] { FanOut(); }) {}

EventBus::~EventBus() {
  Shutdown();
  if (fan_out_.joinable()) fan_out_.join();
}

void EventBus::Start(const std::string& newest_position) {
  std::unique_lock lock(ring_mutex_);
  floor_ = newest_position;
}

void EventBus::FeedFromTail(std::function<void()> events_committed) {
  events_committed_ = std::move(events_committed);
}

void EventBus::Shutdown() {
  stopping_ = true;
  { std::lock_guard lock(wait_mutex_); }
  published_.notify_all();
  { std::lock_guard lock(fan_out_mutex_); }
  fan_out_wake_.notify_all();
  std::lock_guard lock(jobs_mutex_);
  for (auto& [id, channel] : jobs_) channel->changed.notify_all();
}

void EventBus::OnEvent(Tx& tx, const JobRecord& job, const RunRecord*, const EventRecord& event) {
  if (events_committed_) {
    tx.OnCommit(events_committed_);  // the tail publishes it once it is settled
    return;
  }
  auto entry = std::make_shared<const BusEvent>(event, job.queue);
  tx.OnCommit([this, entry = std::move(entry)]() mutable {
    std::vector<std::shared_ptr<const BusEvent>> events;
    events.push_back(std::move(entry));
    Publish(std::move(events));
  });
}

void EventBus::PublishSettled(std::vector<std::shared_ptr<const BusEvent>> events) {
  if (!events.empty()) Publish(std::move(events));
}

bool EventBus::HasListeners() const {
  return stream_waiters_.load() > 0 || job_watchers_.load() > 0;
}

bool EventBus::NobodyFollows() const { return open_streams_.load() == 0 && !HasListeners(); }

void EventBus::JobSaved(Tx& tx, const JobRecord& job) {
  // Registered even when nobody watches now: a stream may start watching (and read the
  // job) while this transaction is still open. BumpJob checks for watchers after the
  // commit, so either it sees the new watcher or the watcher's read sees the commit.
  tx.OnCommit([this, id = job.id] { BumpJob(id); });
}

void EventBus::Publish(std::vector<std::shared_ptr<const BusEvent>> events) {
  for (const auto& event : events) BumpJob(event->record().job_id);
  std::vector<std::shared_ptr<const BusEvent>> evicted;  // freed after the lock
  {
    std::unique_lock lock(ring_mutex_);
    for (auto& event : events) {
      ring_.push_back(std::move(event));
      if (ring_.size() > capacity_) {
        evicted.push_back(std::move(ring_.front()));
        ring_.pop_front();
        floor_ = evicted.back()->record().position;
      }
    }
  }
  Announce();
}

bool EventBus::SkipTo(const std::string& settled_position) {
  // A stream, watch or wait that starts after this check reads the database after
  // `settled_position` was read, so it sees every event skipped here.
  if (!NobodyFollows()) return false;
  std::deque<std::shared_ptr<const BusEvent>> forgotten;  // freed after the lock
  {
    std::unique_lock lock(ring_mutex_);
    if (settled_position <= NewestLocked()) return true;  // nothing new to skip
    forgotten.swap(ring_);
    floor_ = settled_position;
  }
  Announce();  // a stream that began waiting since the check reads past the new floor
  return true;
}

void EventBus::Announce() {
  ++generation_;
  // A waiter counts itself before it checks generation_, and this reads the count after
  // bumping it (both seq_cst): either the waiter sees the new generation and does not
  // sleep, or this sees the waiter and wakes it through the fan-out thread.
  if (stream_waiters_.load() == 0) return;
  std::lock_guard lock(fan_out_mutex_);
  if (!fan_out_pending_) {
    fan_out_pending_ = true;
    fan_out_wake_.notify_one();
  }
}

void EventBus::BumpJob(const std::string& job_id) {
  if (job_watchers_.load() == 0) return;
  std::lock_guard lock(jobs_mutex_);
  if (auto it = jobs_.find(job_id); it != jobs_.end()) {
    ++it->second->version;
    it->second->changed.notify_all();
  }
}

void EventBus::FanOut() {
  std::unique_lock lock(fan_out_mutex_);
  while (true) {
    fan_out_wake_.wait(lock, [&] { return fan_out_pending_ || stopping_; });
    if (stopping_) return;
    fan_out_pending_ = false;
    lock.unlock();
    {
      // A stream checks the generation under wait_mutex_ before it sleeps: passing through
      // the mutex here means it either saw the new generation or is asleep and is woken.
      std::lock_guard wait_lock(wait_mutex_);
    }
    published_.notify_all();
    lock.lock();
  }
}

bool EventBus::ReadAfter(const std::string& after_position, size_t max,
                         std::vector<std::shared_ptr<const BusEvent>>& out,
                         std::string& floor) const {
  std::shared_lock lock(ring_mutex_);
  floor = floor_;
  if (after_position < floor_) return false;
  auto first = std::upper_bound(ring_.begin(), ring_.end(), after_position,
                                [](const std::string& position, const auto& event) {
                                  return position < event->record().position;
                                });
  for (auto it = first; it != ring_.end() && out.size() < max; ++it) out.push_back(*it);
  return true;
}

std::string EventBus::Newest() const {
  std::shared_lock lock(ring_mutex_);
  return NewestLocked();
}

const std::string& EventBus::NewestLocked() const {
  return ring_.empty() ? floor_ : ring_.back()->record().position;
}

uint64_t EventBus::generation() const { return generation_.load(); }

bool EventBus::WaitPast(uint64_t seen, SteadyTime until) const {
  std::unique_lock lock(wait_mutex_);
  ++stream_waiters_;
  published_.wait_until(lock, until, [&] { return generation_.load() != seen || stopping_; });
  --stream_waiters_;
  return generation_.load() != seen;
}

EventBus::OpenStream::OpenStream(EventBus& bus) : bus_(bus) { ++bus_.open_streams_; }

EventBus::OpenStream::~OpenStream() { --bus_.open_streams_; }

EventBus::JobWatch::JobWatch(EventBus& bus, std::string job_id)
    : bus_(bus), job_id_(std::move(job_id)) {
  std::lock_guard lock(bus_.jobs_mutex_);
  auto& channel = bus_.jobs_[job_id_];
  if (!channel) channel = std::make_unique<JobChannel>();
  ++channel->watchers;
  ++bus_.job_watchers_;
}

EventBus::JobWatch::~JobWatch() {
  std::lock_guard lock(bus_.jobs_mutex_);
  auto it = bus_.jobs_.find(job_id_);
  --bus_.job_watchers_;
  if (--it->second->watchers == 0) bus_.jobs_.erase(it);
}

uint64_t EventBus::JobWatch::version() const {
  std::lock_guard lock(bus_.jobs_mutex_);
  return bus_.jobs_.at(job_id_)->version;
}

bool EventBus::JobWatch::Wait(uint64_t seen, SteadyTime until) const {
  std::unique_lock lock(bus_.jobs_mutex_);
  JobChannel& channel = *bus_.jobs_.at(job_id_);
  channel.changed.wait_until(lock, until,
                             [&] { return channel.version != seen || bus_.stopping_; });
  return channel.version != seen;
}

}  // namespace flare::daemon

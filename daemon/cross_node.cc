#include "daemon/cross_node.h"

#include <cstring>
#include <nlohmann/json.hpp>

#include "common/thread_name.h"
#include "daemon/log.h"
#include "daemon/store/pg/error.h"

namespace flare::daemon {
namespace {

// Under PostgreSQL's 8000-byte payload limit, with room for the envelope.
constexpr size_t kMaxPayload = 7000;

}  // namespace

CrossNodeWakeups::CrossNodeWakeups(std::string uri, std::string node_id, LocalEngines local)
    : uri_(std::move(uri)), node_id_(std::move(node_id)), local_(std::move(local)) {
  pg::ListenerOptions options;
  options.uri = uri_;
  options.channels = {kChannel};
  listener_ = std::make_unique<pg::Listener>(
      options, [this](const pg::Notification& n) { Replay(n); },
      [this] {
        int sessions = listener_->connections();
        bool reconnected = sessions != sessions_seen_;
        sessions_seen_ = sessions;
        if (local_.resync) local_.resync(reconnected);
      });
}

CrossNodeWakeups::~CrossNodeWakeups() { Stop(); }

void CrossNodeWakeups::Start() {
  listener_->Start();
  thread_ = NamedThread("cross-node", [this] { SendLoop(); });
}

void CrossNodeWakeups::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  queued_.notify_all();
  if (thread_.joinable()) thread_.join();
  listener_->Stop();
}

void CrossNodeWakeups::Queue(const std::function<void(Batch&)>& add) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    add(batch_);
  }
  queued_.notify_one();
}

void CrossNodeWakeups::WorkerRunReady(const std::string& project, const std::string& queue,
                                      const std::string& job_type) {
  Queue([&](Batch& b) { b.ready.emplace(project, queue, job_type); });
}

void CrossNodeWakeups::WakeAt(TimePoint t) {
  Queue([&](Batch& b) { b.wake_at = Earliest(b.wake_at, t); });
}

void CrossNodeWakeups::RunCancelled(const std::string& run_id) {
  Queue([&](Batch& b) { b.cancelled.insert(run_id); });
}

void CrossNodeWakeups::EventsCommitted() {
  Queue([](Batch& b) { b.events = true; });
}

void CrossNodeWakeups::SendLoop() {
  while (true) {
    Batch batch;
    {
      std::unique_lock lock(mutex_);
      queued_.wait(lock, [&] { return stopping_ || !batch_.empty(); });
      if (batch_.empty()) return;  // stopping, everything sent
      std::swap(batch, batch_);
    }
    // What queued while this batch was sent goes out together in the next one.
    Send(Payloads(batch));
  }
}

std::vector<std::string> CrossNodeWakeups::Payloads(const Batch& batch) const {
  std::vector<std::string> payloads;
  nlohmann::json message;
  size_t bytes = 0;  // the size of message.dump(), kept as items are added (not re-dumped)
  auto start = [&] {
    message = nlohmann::json{{"node", node_id_}};
    bytes = message.dump().size();
  };
  auto flush = [&] {
    if (message.size() > 1) payloads.push_back(message.dump());
    start();
  };
  auto add = [&](const char* key, nlohmann::json item) {
    // The item, its comma, and the key with its brackets when it is the key's first item.
    size_t grows = item.dump().size() + 1 + (message.contains(key) ? 0 : std::strlen(key) + 5);
    if (bytes + grows > kMaxPayload && message.size() > 1) {
      flush();
      grows = item.dump().size() + std::strlen(key) + 6;
    }
    message[key].push_back(std::move(item));
    bytes += grows;
  };
  start();
  if (batch.wake_at) message["wake_at"] = ToMillis(*batch.wake_at);
  if (batch.events) message["events"] = true;
  bytes = message.dump().size();
  for (const auto& [project, queue, type] : batch.ready) add("ready", {project, queue, type});
  for (const auto& run : batch.cancelled) add("cancelled", run);
  flush();
  return payloads;
}

void CrossNodeWakeups::Send(const std::vector<std::string>& payloads) {
  try {
    if (!sender_ || sender_->IsBroken()) sender_ = std::make_unique<pg::Connection>(uri_);
    for (const std::string& payload : payloads) sender_->Notify(kChannel, payload);
  } catch (const pg::PgError& e) {
    // The other nodes' resync finds the work; only the wake-up's speed is lost.
    sender_.reset();
    LogWarn("could not announce work to the other nodes", {{"error", e.what()}});
  }
}

void CrossNodeWakeups::Replay(const pg::Notification& notification) {
  nlohmann::json message = nlohmann::json::parse(notification.payload, nullptr, false);
  if (!message.is_object() || message.value("node", "") == node_id_) return;  // our own
  if (auto at = message.find("wake_at"); at != message.end() && at->is_number_integer())
    local_.wake_at(FromMillis(at->get<int64_t>()));
  for (const auto& item : message.value("ready", nlohmann::json::array())) {
    if (item.is_array() && item.size() == 3 && item[0].is_string() && item[1].is_string() &&
        item[2].is_string())
      local_.worker_run_ready(item[0].get<std::string>(), item[1].get<std::string>(),
                              item[2].get<std::string>());
  }
  for (const auto& run : message.value("cancelled", nlohmann::json::array())) {
    if (run.is_string()) local_.run_cancelled(run.get<std::string>());
  }
  if (auto events = message.find("events");
      events != message.end() && events->is_boolean() && events->get<bool>()) {
    if (local_.events_committed) local_.events_committed();
  }
}

}  // namespace flare::daemon

#pragma once
// The webhook outbox: turns job events into delivery rows inside the transaction of the
// change (event_observer.h), so a delivery exists exactly when its state change committed.
//
//   succeeded → job.completed      retry_scheduled → job.failed (a retry is due)
//   dead_lettered → job.dead_letter   cancelled → job.cancelled   started → run.started
//
// Each enabled endpoint of the job's project that subscribes to the type (or "*") gets one
// row with the body {type, created_at, data: job detail + run}. The endpoints of a project
// are cached in memory, so the hot path of a project without webhooks costs one map lookup;
// every write to a project's endpoints invalidates its entry. After the commit the delivery
// engine is woken (DeliverySender::Wake only hands off).

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "daemon/service/event_observer.h"

namespace flare::daemon {

class DeliverySender;

/// The webhook event type a job event maps to; nullptr when none does.
const char* WebhookEventFor(const std::string& job_event_type);
/// True when `events` (types or "*") asks for `type`.
bool Subscribes(const std::vector<std::string>& events, const std::string& type);

class WebhookOutbox final : public EventObserver {
 public:
  explicit WebhookOutbox(DeliverySender& sender) : sender_(sender) {}

  void OnEvent(Tx& tx, const JobRecord& job, const RunRecord* run,
               const EventRecord& event) override;
  /// Forgets the cached endpoints of `project_id` (after they changed).
  void Invalidate(const std::string& project_id);
  /// Invalidates now and again once `tx` ends, committed or rolled back (so a cache filled
  /// meanwhile from these writes, by this or a grouped operation, does not outlive them).
  void InvalidateWith(Tx& tx, const std::string& project_id);

 private:
  struct Endpoint {
    std::string id;
    std::vector<std::string> events;
  };
  using Endpoints = std::shared_ptr<const std::vector<Endpoint>>;
  Endpoints EndpointsOf(Tx& tx, const std::string& project_id);

  DeliverySender& sender_;
  std::mutex mutex_;  // the writer thread and invalidations from after-commit actions
  std::unordered_map<std::string, Endpoints> cache_;
};

}  // namespace flare::daemon

#include "daemon/service/webhook_outbox.h"

#include <algorithm>

#include "common/ids.h"
#include "daemon/service/views.h"
#include "daemon/service/webhook_delivery_service.h"
#include "daemon/store/webhook_store.h"

namespace flare::daemon {

const char* WebhookEventFor(const std::string& job_event_type) {
  if (job_event_type == "succeeded") return "job.completed";
  if (job_event_type == "retry_scheduled") return "job.failed";
  if (job_event_type == "dead_lettered") return "job.dead_letter";
  if (job_event_type == "cancelled") return "job.cancelled";
  if (job_event_type == "started") return "run.started";
  return nullptr;
}

bool Subscribes(const std::vector<std::string>& events, const std::string& type) {
  return std::any_of(events.begin(), events.end(),
                     [&](const std::string& e) { return e == "*" || e == type; });
}

void WebhookOutbox::OnEvent(Tx& tx, const JobRecord& job, const RunRecord* run,
                            const EventRecord& event) {
  const char* type = WebhookEventFor(event.type);
  if (type == nullptr) return;
  Endpoints endpoints = EndpointsOf(tx, job.project_id);
  std::string body;
  for (const Endpoint& endpoint : *endpoints) {
    if (!Subscribes(endpoint.events, type)) continue;
    if (body.empty()) {
      nlohmann::json data = JobView(job);
      data["run"] = run ? RunView(*run) : nlohmann::json(nullptr);
      body = nlohmann::json{{"type", type}, {"created_at", FormatTime(event.at)}, {"data", data}}
                 .dump();
    }
    DeliveryRecord delivery;
    delivery.id = NewId("whd", tx.now());
    delivery.webhook_id = endpoint.id;
    delivery.project_id = job.project_id;
    delivery.event_type = type;
    delivery.payload = body;
    delivery.next_attempt_at = tx.now();
    delivery.created_at = tx.now();
    tx.webhooks().InsertDelivery(delivery);
  }
  if (!body.empty()) tx.OnCommit([&sender = sender_] { sender.Wake(); });
}

WebhookOutbox::Endpoints WebhookOutbox::EndpointsOf(Tx& tx, const std::string& project_id) {
  {
    std::lock_guard lock(mutex_);
    auto it = cache_.find(project_id);
    if (it != cache_.end()) return it->second;
  }
  auto endpoints = std::make_shared<std::vector<Endpoint>>();
  for (WebhookRecord& webhook : tx.webhooks().OfProject(project_id)) {
    if (webhook.enabled) endpoints->push_back({webhook.id, std::move(webhook.events)});
  }
  std::lock_guard lock(mutex_);
  return cache_.insert_or_assign(project_id, std::move(endpoints)).first->second;
}

void WebhookOutbox::Invalidate(const std::string& project_id) {
  std::lock_guard lock(mutex_);
  cache_.erase(project_id);
}

void WebhookOutbox::InvalidateWith(Tx& tx, const std::string& project_id) {
  Invalidate(project_id);
  // After the outcome too: meanwhile an operation of the same transaction (a group) may have
  // filled the cache from these writes, which a rollback takes back.
  tx.OnCommit([this, project_id] { Invalidate(project_id); });
  tx.OnAbort([this, project_id] { Invalidate(project_id); });
}

}  // namespace flare::daemon

#include "daemon/api/webhook_views.h"

#include "daemon/service/views.h"

namespace flare::daemon {

nlohmann::json WebhookView(const WebhookRecord& w) {
  return {
      {"id", w.id},
      {"url", w.url},
      {"events", w.events},
      {"description", TextOrNull(w.description)},
      {"enabled", w.enabled},
      {"disabled_reason", TextOrNull(w.disabled_reason)},
      {"previous_secret_expires_at", TimeOrNull(w.previous_secret_expires_at)},
      {"created_at", FormatTime(w.created_at)},
      {"updated_at", FormatTime(w.updated_at)},
  };
}

nlohmann::json DeliveryView(const DeliveryRecord& d) {
  return {
      {"id", d.id},
      {"webhook_id", d.webhook_id},
      {"event_type", d.event_type},
      {"status", d.status},
      {"attempts", d.attempts},
      {"response_code", OrNull(d.last_response_code)},
      {"latency_ms", OrNull(d.last_latency_ms)},
      {"last_error", TextOrNull(d.last_error)},
      {"next_attempt_at", d.status == "pending" ? TimeOrNull(d.next_attempt_at) : nullptr},
      {"created_at", FormatTime(d.created_at)},
      {"completed_at", TimeOrNull(d.completed_at)},
      {"payload", nlohmann::json::parse(d.payload, nullptr, false)},
  };
}

nlohmann::json WebhookWithSecretView(const WebhookWithSecret& created) {
  nlohmann::json answer = WebhookView(created.webhook);
  answer["secret"] = created.secret;
  return answer;
}

nlohmann::json DeletedWebhookView(const WebhookRecord& webhook) {
  return {{"id", webhook.id}, {"deleted", true}};
}

}  // namespace flare::daemon

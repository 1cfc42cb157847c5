#include "daemon/service/webhook_service.h"

#include <future>
#include <memory>
#include <set>

#include "common/http_url.h"
#include "common/ids.h"
#include "common/json_fields.h"
#include "common/webhook_signing.h"
#include "daemon/service/views.h"

namespace flare::daemon {
namespace {

constexpr int64_t kDefaultOverlapSeconds = 24 * 3600;
constexpr int64_t kMaxOverlapSeconds = 7 * 24 * 3600;
const std::set<std::string> kEventTypes = {"job.completed", "job.failed",  "job.dead_letter",
                                           "job.cancelled", "run.started", "*"};

Error WebhookNotFound(const std::string& id) {
  return Error{ErrorCode::kNotFound, "webhook " + id.substr(0, 100) + " does not exist"};
}

Result<std::string> ReadUrl(const nlohmann::json& value) {
  auto url = ReadString(value, "url", 2048);
  if (!url) return url.error();
  if (auto parsed = ParseHttpUrl(*url); !parsed) {
    return InvalidRequest(
        "url must be an absolute http:// or https:// URL: " + parsed.error().message, "url");
  }
  return url;
}

Result<std::vector<std::string>> ReadEvents(const nlohmann::json& value) {
  if (!value.is_array() || value.empty()) {
    return InvalidRequest(
        "events must be a non-empty list of job.completed, job.failed, job.dead_letter, "
        "job.cancelled, run.started, or [\"*\"] for all",
        "events");
  }
  std::vector<std::string> events;
  for (const auto& item : value) {
    if (!item.is_string() || !kEventTypes.contains(item.get<std::string>())) {
      return InvalidRequest(
          "events: " +
              (item.is_string() ? "'" + item.get<std::string>().substr(0, 100) + "'"
                                : std::string("a non-string")) +
              " is not an event type; use job.completed, job.failed, job.dead_letter, "
              "job.cancelled, run.started or *",
          "events");
    }
    if (std::find(events.begin(), events.end(), item) == events.end())
      events.push_back(item.get<std::string>());
  }
  return events;
}

Result<std::string> ReadDescription(const nlohmann::json& value) {
  if (value.is_null()) return std::string();
  return ReadString(value, "description", 500, 0);
}

// The fields of `body` that create and update share, applied to `webhook`.
Status ApplyFields(const nlohmann::json& body, WebhookRecord& webhook) {
  if (body.contains("url")) {
    auto url = ReadUrl(body["url"]);
    if (!url) return url.error();
    webhook.url = *url;
  }
  if (body.contains("events")) {
    auto events = ReadEvents(body["events"]);
    if (!events) return events.error();
    webhook.events = *events;
  }
  if (body.contains("description")) {
    auto description = ReadDescription(body["description"]);
    if (!description) return description.error();
    webhook.description = *description;
  }
  return Ok{};
}

}  // namespace

nlohmann::json WebhookView(const WebhookRecord& w) {
  return {
      {"id", w.id},
      {"url", w.url},
      {"events", w.events},
      {"description",
       w.description.empty() ? nlohmann::json(nullptr) : nlohmann::json(w.description)},
      {"enabled", w.enabled},
      {"disabled_reason",
       w.disabled_reason.empty() ? nlohmann::json(nullptr) : nlohmann::json(w.disabled_reason)},
      {"previous_secret_expires_at", TimeOrNull(w.previous_secret_expires_at)},
      {"created_at", FormatTime(w.created_at)},
      {"updated_at", FormatTime(w.updated_at)},
  };
}

nlohmann::json DeliveryView(const DeliveryRecord& d) {
  auto or_null = [](const std::optional<int64_t>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
  };
  return {
      {"id", d.id},
      {"webhook_id", d.webhook_id},
      {"event_type", d.event_type},
      {"status", d.status},
      {"attempts", d.attempts},
      {"response_code", or_null(d.last_response_code)},
      {"latency_ms", or_null(d.last_latency_ms)},
      {"last_error", d.last_error.empty() ? nlohmann::json(nullptr) : nlohmann::json(d.last_error)},
      {"next_attempt_at", d.status == "pending" ? TimeOrNull(d.next_attempt_at) : nullptr},
      {"created_at", FormatTime(d.created_at)},
      {"completed_at", TimeOrNull(d.completed_at)},
      {"payload", nlohmann::json::parse(d.payload, nullptr, false)},
  };
}

Result<nlohmann::json> WebhookService::Create(const std::string& project_id,
                                              const nlohmann::json& body) {
  if (auto unknown = RejectUnknownFields(body, {"url", "events", "description"}); !unknown)
    return unknown.error();
  if (!body.contains("url")) return InvalidRequest("url is required", "url");
  if (!body.contains("events"))
    return InvalidRequest("events is required, e.g. [\"job.completed\"] or [\"*\"]", "events");
  WebhookRecord webhook;
  if (auto applied = ApplyFields(body, webhook); !applied) return applied.error();
  std::string secret = NewWebhookSecret();
  return ctx_.writer.Run<nlohmann::json>([&](Tx& tx) -> Result<nlohmann::json> {
    webhook.id = NewId("wh", tx.now());
    webhook.project_id = project_id;
    webhook.secret_box = secrets_.Seal(webhook.id, secret);
    webhook.created_at = webhook.updated_at = tx.now();
    tx.webhooks().Insert(webhook);
    outbox_.InvalidateWith(tx, project_id);
    nlohmann::json answer = WebhookView(webhook);
    answer["secret"] = secret;
    return answer;
  });
}

Result<nlohmann::json> WebhookService::List(const std::string& project_id,
                                            const std::string& cursor_text, int limit) {
  auto cursor = CursorFrom(cursor_text);
  if (!cursor) return cursor.error();
  auto reader = ctx_.readers.Acquire();
  return PageOf(reader->webhooks().List(project_id, *cursor, limit + 1), limit, WebhookView);
}

Result<nlohmann::json> WebhookService::Get(const std::string& project_id, const std::string& id) {
  auto reader = ctx_.readers.Acquire();
  auto webhook = reader->webhooks().Find(project_id, id);
  if (!webhook) return WebhookNotFound(id);
  return WebhookView(*webhook);
}

Result<nlohmann::json> WebhookService::Update(const std::string& project_id, const std::string& id,
                                              const nlohmann::json& body) {
  if (auto unknown = RejectUnknownFields(body, {"url", "events", "description", "enabled"});
      !unknown)
    return unknown.error();
  std::optional<bool> enabled;
  if (body.contains("enabled")) {
    auto value = ReadBool(body["enabled"], "enabled");
    if (!value) return value.error();
    enabled = *value;
  }
  return ctx_.writer.Run<nlohmann::json>([&](Tx& tx) -> Result<nlohmann::json> {
    auto webhook = tx.webhooks().Find(project_id, id);
    if (!webhook) return WebhookNotFound(id);
    if (auto applied = ApplyFields(body, *webhook); !applied) return applied.error();
    if (enabled && *enabled != webhook->enabled) {
      webhook->enabled = *enabled;
      webhook->disabled_reason = *enabled ? "" : "disabled by request";
      // Only enabled endpoints are claimed from: what was waiting ends here, visibly.
      if (!*enabled)
        tx.webhooks().FailPendingDeliveries(webhook->id, "the webhook was disabled", tx.now());
    }
    webhook->updated_at = tx.now();
    tx.webhooks().Save(*webhook);
    outbox_.InvalidateWith(tx, project_id);
    return WebhookView(*webhook);
  });
}

Result<nlohmann::json> WebhookService::Delete(const std::string& project_id,
                                              const std::string& id) {
  return ctx_.writer.Run<nlohmann::json>([&](Tx& tx) -> Result<nlohmann::json> {
    auto webhook = tx.webhooks().Find(project_id, id);
    if (!webhook) return WebhookNotFound(id);
    tx.webhooks().Delete(webhook->id);
    outbox_.InvalidateWith(tx, project_id);
    return nlohmann::json{{"id", webhook->id}, {"deleted", true}};
  });
}

Result<nlohmann::json> WebhookService::RotateSecret(const std::string& project_id,
                                                    const std::string& id,
                                                    const nlohmann::json& body) {
  if (auto unknown = RejectUnknownFields(body, {"overlap_seconds"}); !unknown)
    return unknown.error();
  int64_t overlap = kDefaultOverlapSeconds;
  if (body.contains("overlap_seconds")) {
    auto value = ReadInteger(body["overlap_seconds"], "overlap_seconds", 0, kMaxOverlapSeconds);
    if (!value) return value.error();
    overlap = *value;
  }
  std::string secret = NewWebhookSecret();
  return ctx_.writer.Run<nlohmann::json>([&](Tx& tx) -> Result<nlohmann::json> {
    auto webhook = tx.webhooks().Find(project_id, id);
    if (!webhook) return WebhookNotFound(id);
    if (overlap > 0) {
      webhook->previous_secret_box = webhook->secret_box;
      webhook->previous_secret_expires_at = tx.now() + std::chrono::seconds(overlap);
    } else {
      webhook->previous_secret_box.clear();
      webhook->previous_secret_expires_at.reset();
    }
    webhook->secret_box = secrets_.Seal(webhook->id, secret);
    webhook->updated_at = tx.now();
    tx.webhooks().Save(*webhook);
    nlohmann::json answer = WebhookView(*webhook);
    answer["secret"] = secret;
    return answer;
  });
}

Result<nlohmann::json> WebhookService::Test(const std::string& project_id, const std::string& id) {
  auto call = ctx_.writer.Run<DeliveryCall>([&](Tx& tx) -> Result<DeliveryCall> {
    auto webhook = tx.webhooks().Find(project_id, id);
    if (!webhook) return WebhookNotFound(id);
    DeliveryRecord delivery;
    delivery.id = NewId("whd", tx.now());
    delivery.webhook_id = webhook->id;
    delivery.project_id = project_id;
    delivery.event_type = "webhook.test";
    delivery.payload =
        nlohmann::json{{"type", "webhook.test"},
                       {"created_at", FormatTime(tx.now())},
                       {"data", {{"webhook_id", webhook->id}, {"message", "a test from flared"}}}}
            .dump();
    delivery.created_at = tx.now();
    auto prepared = deliveries_.Prepare(tx, *webhook, delivery);  // leased to this request
    if (!prepared) return prepared.error();
    tx.webhooks().InsertDelivery(delivery);
    return prepared;
  });
  if (!call) return call.error();
  std::string delivery_id = call->delivery.id;
  // The request thread waits, never the writer: the engine records the outcome first.
  auto recorded = std::make_shared<std::promise<void>>();
  std::future<void> done = recorded->get_future();
  sender_.SendNow(std::move(*call), [recorded] { recorded->set_value(); });
  done.wait_for(deliveries_.options().timeout + std::chrono::seconds(5));
  auto reader = ctx_.readers.Acquire();
  auto delivery = reader->webhooks().FindDelivery(delivery_id);
  if (!delivery) return WebhookNotFound(id);  // deleted meanwhile
  return DeliveryView(*delivery);
}

Result<nlohmann::json> WebhookService::Deliveries(const std::string& project_id,
                                                  const std::string& id,
                                                  const std::string& cursor_text, int limit) {
  auto cursor = CursorFrom(cursor_text);
  if (!cursor) return cursor.error();
  auto reader = ctx_.readers.Acquire();
  if (!reader->webhooks().Find(project_id, id)) return WebhookNotFound(id);
  return PageOf(reader->webhooks().ListDeliveries(id, *cursor, limit + 1), limit, DeliveryView);
}

}  // namespace flare::daemon

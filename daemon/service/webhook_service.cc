#include "daemon/service/webhook_service.h"

#include <future>
#include <memory>
#include <set>

#include "common/http_url.h"
#include "common/ids.h"
#include "common/json_fields.h"
#include "common/webhook_signing.h"

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

Result<WebhookWithSecret> WebhookService::Create(const std::string& project_id,
                                                 const nlohmann::json& body) {
  if (auto unknown = RejectUnknownFields(body, {"url", "events", "description"}); !unknown)
    return unknown.error();
  if (!body.contains("url")) return InvalidRequest("url is required", "url");
  if (!body.contains("events"))
    return InvalidRequest("events is required, e.g. [\"job.completed\"] or [\"*\"]", "events");
  WebhookRecord webhook;
  if (auto applied = ApplyFields(body, webhook); !applied) return applied.error();
  std::string secret = NewWebhookSecret();
  return ctx_.writer.Run<WebhookWithSecret>([&](Tx& tx) -> Result<WebhookWithSecret> {
    webhook.id = NewId("wh", tx.now());
    webhook.project_id = project_id;
    webhook.secret_box = secrets_.Seal(webhook.id, secret);
    webhook.created_at = webhook.updated_at = tx.now();
    tx.webhooks().Insert(webhook);
    outbox_.InvalidateWith(tx, project_id);
    return WebhookWithSecret{webhook, secret};
  });
}

Result<Page<WebhookRecord>> WebhookService::List(const std::string& project_id,
                                                 const std::string& cursor_text, int limit) {
  auto cursor = CursorFrom(cursor_text);
  if (!cursor) return cursor.error();
  auto reader = ctx_.readers.Acquire();
  return PageOfRows(reader->webhooks().List(project_id, *cursor, limit + 1), limit);
}

Result<WebhookRecord> WebhookService::Get(const std::string& project_id, const std::string& id) {
  auto reader = ctx_.readers.Acquire();
  auto webhook = reader->webhooks().Find(project_id, id);
  if (!webhook) return WebhookNotFound(id);
  return std::move(*webhook);
}

Result<WebhookRecord> WebhookService::Update(const std::string& project_id, const std::string& id,
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
  return ctx_.writer.Run<WebhookRecord>([&](Tx& tx) -> Result<WebhookRecord> {
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
    return std::move(*webhook);
  });
}

Result<WebhookRecord> WebhookService::Delete(const std::string& project_id, const std::string& id) {
  return ctx_.writer.Run<WebhookRecord>([&](Tx& tx) -> Result<WebhookRecord> {
    auto webhook = tx.webhooks().Find(project_id, id);
    if (!webhook) return WebhookNotFound(id);
    tx.webhooks().Delete(webhook->id);
    outbox_.InvalidateWith(tx, project_id);
    return std::move(*webhook);
  });
}

Result<WebhookWithSecret> WebhookService::RotateSecret(const std::string& project_id,
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
  return ctx_.writer.Run<WebhookWithSecret>([&](Tx& tx) -> Result<WebhookWithSecret> {
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
    return WebhookWithSecret{std::move(*webhook), secret};
  });
}

Result<DeliveryRecord> WebhookService::Test(const std::string& project_id, const std::string& id) {
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
  return std::move(*delivery);
}

Result<Page<DeliveryRecord>> WebhookService::Deliveries(const std::string& project_id,
                                                        const std::string& id,
                                                        const std::string& cursor_text, int limit) {
  auto cursor = CursorFrom(cursor_text);
  if (!cursor) return cursor.error();
  auto reader = ctx_.readers.Acquire();
  if (!reader->webhooks().Find(project_id, id)) return WebhookNotFound(id);
  return PageOfRows(reader->webhooks().ListDeliveries(id, *cursor, limit + 1), limit);
}

}  // namespace flare::daemon

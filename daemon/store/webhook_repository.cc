#include "daemon/store/webhook_repository.h"

#include <algorithm>

#include "daemon/store/columns.h"
#include "daemon/store/node_repository.h"

namespace flare::daemon {
namespace {

#define WEBHOOK_SELECT                                                                  \
  "SELECT id, project_id, url, events, description, enabled, disabled_reason, secret, " \
  "previous_secret, previous_secret_expires_at, created_at, updated_at FROM webhooks "

#define DELIVERY_SELECT                                                                \
  "SELECT id, webhook_id, project_id, event_type, payload, status, attempts, "         \
  "next_attempt_at, lease_id, lease_expires_at, last_response_code, last_latency_ms, " \
  "last_error, created_at, completed_at, node_id FROM webhook_deliveries "

void BindBlob(SQLite::Statement& st, int index, const std::string& bytes) {
  if (bytes.empty())
    st.bind(index);
  else
    st.bind(index, bytes.data(), static_cast<int>(bytes.size()));
}

std::string ColBlob(SQLite::Statement& st, int index) {
  auto column = st.getColumn(index);
  if (column.isNull()) return {};
  return std::string(static_cast<const char*>(column.getBlob()), column.getBytes());
}

// Binds ?1..?12 in the column order of WEBHOOK_SELECT.
void BindWebhook(SQLite::Statement& st, const WebhookRecord& w) {
  st.bind(1, w.id);
  st.bind(2, w.project_id);
  st.bind(3, w.url);
  st.bind(4, nlohmann::json(w.events).dump());
  BindText(st, 5, w.description);
  st.bind(6, w.enabled ? 1 : 0);
  BindText(st, 7, w.disabled_reason);
  BindBlob(st, 8, w.secret_box);
  BindBlob(st, 9, w.previous_secret_box);
  BindTime(st, 10, w.previous_secret_expires_at);
  BindTime(st, 11, w.created_at);
  BindTime(st, 12, w.updated_at);
}

WebhookRecord ReadWebhook(SQLite::Statement& st) {
  WebhookRecord w;
  w.id = ColText(st, 0);
  w.project_id = ColText(st, 1);
  w.url = ColText(st, 2);
  nlohmann::json events = ColJson(st, 3);
  if (events.is_array()) {
    for (const auto& e : events)
      if (e.is_string()) w.events.push_back(e.get<std::string>());
  }
  w.description = ColText(st, 4);
  w.enabled = st.getColumn(5).getInt() != 0;
  w.disabled_reason = ColText(st, 6);
  w.secret_box = ColBlob(st, 7);
  w.previous_secret_box = ColBlob(st, 8);
  w.previous_secret_expires_at = ColTime(st, 9);
  w.created_at = ColTimeRequired(st, 10);
  w.updated_at = ColTimeRequired(st, 11);
  return w;
}

std::vector<WebhookRecord> ReadWebhooks(SQLite::Statement& st) {
  std::vector<WebhookRecord> out;
  while (st.executeStep()) out.push_back(ReadWebhook(st));
  return out;
}

// Binds ?1..?16 in the column order of DELIVERY_SELECT.
void BindDelivery(SQLite::Statement& st, const DeliveryRecord& d) {
  st.bind(1, d.id);
  st.bind(2, d.webhook_id);
  st.bind(3, d.project_id);
  st.bind(4, d.event_type);
  st.bind(5, d.payload);
  st.bind(6, d.status);
  st.bind(7, d.attempts);
  BindTime(st, 8, d.next_attempt_at);
  BindText(st, 9, d.lease_id);
  BindTime(st, 10, d.lease_expires_at);
  BindOptional(st, 11, d.last_response_code);
  BindOptional(st, 12, d.last_latency_ms);
  BindText(st, 13, d.last_error);
  BindTime(st, 14, d.created_at);
  BindTime(st, 15, d.completed_at);
  BindText(st, 16, d.node_id);
}

DeliveryRecord ReadDelivery(SQLite::Statement& st) {
  DeliveryRecord d;
  d.id = ColText(st, 0);
  d.webhook_id = ColText(st, 1);
  d.project_id = ColText(st, 2);
  d.event_type = ColText(st, 3);
  d.payload = ColText(st, 4);
  d.status = ColText(st, 5);
  d.attempts = st.getColumn(6).getInt();
  d.next_attempt_at = ColTime(st, 7);
  d.lease_id = ColText(st, 8);
  d.lease_expires_at = ColTime(st, 9);
  d.last_response_code = ColInt64(st, 10);
  d.last_latency_ms = ColInt64(st, 11);
  d.last_error = ColText(st, 12);
  d.created_at = ColTimeRequired(st, 13);
  d.completed_at = ColTime(st, 14);
  d.node_id = ColText(st, 15);
  return d;
}

std::vector<DeliveryRecord> ReadDeliveries(SQLite::Statement& st) {
  std::vector<DeliveryRecord> out;
  while (st.executeStep()) out.push_back(ReadDelivery(st));
  return out;
}

std::vector<std::string> EnabledWebhookIds(Connection& c) {
  auto& st = c.Prepare("SELECT id FROM webhooks WHERE enabled = 1");
  std::vector<std::string> ids;
  while (st.executeStep()) ids.push_back(st.getColumn(0).getString());
  st.reset();
  return ids;
}

}  // namespace

void InsertWebhook(Connection& c, const WebhookRecord& webhook) {
  auto& st = c.Prepare(
      "INSERT INTO webhooks (id, project_id, url, events, description, enabled, "
      "disabled_reason, secret, previous_secret, previous_secret_expires_at, created_at, "
      "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
  BindWebhook(st, webhook);
  st.exec();
}

void SaveWebhook(Connection& c, const WebhookRecord& webhook) {
  auto& st = c.Prepare(
      "UPDATE webhooks SET project_id = ?2, url = ?3, events = ?4, description = ?5, "
      "enabled = ?6, disabled_reason = ?7, secret = ?8, previous_secret = ?9, "
      "previous_secret_expires_at = ?10, created_at = ?11, updated_at = ?12 WHERE id = ?1");
  BindWebhook(st, webhook);
  st.exec();
}

std::optional<WebhookRecord> FindWebhook(Connection& c, const std::string& project_id,
                                         const std::string& id) {
  auto& st = c.Prepare(WEBHOOK_SELECT "WHERE id = ?1 AND project_id = ?2");
  st.bind(1, id);
  st.bind(2, project_id);
  if (!st.executeStep()) return std::nullopt;
  return ReadWebhook(st);
}

std::vector<WebhookRecord> WebhooksOfProject(Connection& c, const std::string& project_id) {
  auto& st = c.Prepare(WEBHOOK_SELECT "WHERE project_id = ?1");
  st.bind(1, project_id);
  return ReadWebhooks(st);
}

std::vector<WebhookRecord> ListWebhooks(Connection& c, const std::string& project_id,
                                        const std::optional<PageCursor>& cursor, int limit) {
  auto& st = c.Prepare(WEBHOOK_SELECT
                       "WHERE project_id = ?1 AND (?2 IS NULL OR (created_at, id) < (?2, ?3)) "
                       "ORDER BY created_at DESC, id DESC LIMIT ?4");
  st.bind(1, project_id);
  BindCursor(st, 2, cursor);
  st.bind(4, limit);
  return ReadWebhooks(st);
}

void DeleteWebhook(Connection& c, const std::string& id) {
  auto& deliveries = c.Prepare("DELETE FROM webhook_deliveries WHERE webhook_id = ?1");
  deliveries.bind(1, id);
  deliveries.exec();
  auto& st = c.Prepare("DELETE FROM webhooks WHERE id = ?1");
  st.bind(1, id);
  st.exec();
}

void InsertDelivery(Connection& c, const DeliveryRecord& delivery) {
  auto& st = c.Prepare(
      "INSERT INTO webhook_deliveries (id, webhook_id, project_id, event_type, payload, status, "
      "attempts, next_attempt_at, lease_id, lease_expires_at, last_response_code, "
      "last_latency_ms, last_error, created_at, completed_at, node_id) VALUES (?1, ?2, ?3, ?4, "
      "?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)");
  BindDelivery(st, delivery);
  st.exec();
}

void SaveDelivery(Connection& c, const DeliveryRecord& d) {
  auto& st = c.Prepare(
      "UPDATE webhook_deliveries SET status = ?2, attempts = ?3, next_attempt_at = ?4, "
      "lease_id = ?5, lease_expires_at = ?6, last_response_code = ?7, last_latency_ms = ?8, "
      "last_error = ?9, completed_at = ?10, node_id = ?11 WHERE id = ?1");
  st.bind(1, d.id);
  st.bind(2, d.status);
  st.bind(3, d.attempts);
  BindTime(st, 4, d.next_attempt_at);
  BindText(st, 5, d.lease_id);
  BindTime(st, 6, d.lease_expires_at);
  BindOptional(st, 7, d.last_response_code);
  BindOptional(st, 8, d.last_latency_ms);
  BindText(st, 9, d.last_error);
  BindTime(st, 10, d.completed_at);
  BindText(st, 11, d.node_id);
  st.exec();
}

std::optional<DeliveryRecord> FindDelivery(Connection& c, const std::string& id) {
  auto& st = c.Prepare(DELIVERY_SELECT "WHERE id = ?1");
  st.bind(1, id);
  if (!st.executeStep()) return std::nullopt;
  return ReadDelivery(st);
}

std::vector<DeliveryRecord> ListDeliveries(Connection& c, const std::string& webhook_id,
                                           const std::optional<PageCursor>& cursor, int limit) {
  auto& st = c.Prepare(DELIVERY_SELECT
                       "WHERE webhook_id = ?1 AND (?2 IS NULL OR (created_at, id) < (?2, ?3)) "
                       "ORDER BY created_at DESC, id DESC LIMIT ?4");
  st.bind(1, webhook_id);
  BindCursor(st, 2, cursor);
  st.bind(4, limit);
  return ReadDeliveries(st);
}

// Each endpoint is read on its own through webhook_deliveries_due (webhook_id,
// next_attempt_at): a claim costs one index seek per enabled endpoint, however large a
// backlog one of them has — never a scan of every due row.
std::vector<DeliveryRecord> DueDeliveries(Connection& c, TimePoint now, int per_webhook, int limit,
                                          const std::set<std::string>& exclude) {
  std::vector<DeliveryRecord> due;
  auto& st = c.Prepare(DELIVERY_SELECT
                       "WHERE webhook_id = ?1 AND status = 'pending' AND next_attempt_at <= ?2 "
                       "ORDER BY next_attempt_at LIMIT ?3");
  for (const std::string& webhook_id : EnabledWebhookIds(c)) {
    if (exclude.contains(webhook_id)) continue;
    st.reset();
    st.bind(1, webhook_id);
    BindTime(st, 2, now);
    st.bind(3, per_webhook);
    while (st.executeStep()) due.push_back(ReadDelivery(st));
  }
  std::stable_sort(due.begin(), due.end(), [](const DeliveryRecord& a, const DeliveryRecord& b) {
    return a.next_attempt_at < b.next_attempt_at;
  });
  if (due.size() > static_cast<size_t>(limit)) due.resize(static_cast<size_t>(limit));
  return due;
}

OptTime EarliestDeliveryDue(Connection& c, const std::set<std::string>& exclude) {
  OptTime earliest;
  auto& st = c.Prepare(
      "SELECT MIN(next_attempt_at) FROM webhook_deliveries WHERE webhook_id = ?1 AND "
      "status = 'pending'");
  for (const std::string& webhook_id : EnabledWebhookIds(c)) {
    if (exclude.contains(webhook_id)) continue;
    st.reset();
    st.bind(1, webhook_id);
    if (!st.executeStep()) continue;
    OptTime due = ColTime(st, 0);
    if (due && (!earliest || *due < *earliest)) earliest = due;
  }
  return earliest;
}

int ReleaseLostNodesDeliveryLeases(Connection& c, const std::string& self, TimePoint alive_since,
                                   TimePoint now) {
  auto& st = c.Prepare(
      "UPDATE webhook_deliveries SET next_attempt_at = ?1, lease_id = NULL, "
      "lease_expires_at = NULL WHERE status = 'pending' AND lease_id IS NOT NULL "
      "AND " FLARE_SQL_NODE_IS_LOST("webhook_deliveries.node_id", "?2", "?3"));
  BindTime(st, 1, now);
  st.bind(2, self);
  BindTime(st, 3, alive_since);
  return st.exec();
}

int FailPendingDeliveries(Connection& c, const std::string& webhook_id, const std::string& why,
                          TimePoint now) {
  auto& st = c.Prepare(
      "UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL, lease_id = NULL, "
      "lease_expires_at = NULL, last_error = ?2, completed_at = ?3 "
      "WHERE webhook_id = ?1 AND status = 'pending'");
  st.bind(1, webhook_id);
  st.bind(2, why);
  BindTime(st, 3, now);
  return st.exec();
}

DeliveryCounts CountDeliveries(Connection& c, const std::string& project_id, TimePoint from,
                               TimePoint until) {
  auto& st = c.Prepare(
      "SELECT COUNT(*), COALESCE(SUM(status = 'succeeded'), 0), COALESCE(SUM(status = "
      "'failed'), 0) FROM webhook_deliveries WHERE project_id = ?1 AND created_at >= ?2 AND "
      "created_at < ?3");
  st.bind(1, project_id);
  BindTime(st, 2, from);
  BindTime(st, 3, until);
  DeliveryCounts counts;
  if (st.executeStep()) {
    counts.created = st.getColumn(0).getInt64();
    counts.succeeded = st.getColumn(1).getInt64();
    counts.failed = st.getColumn(2).getInt64();
  }
  return counts;
}

}  // namespace flare::daemon

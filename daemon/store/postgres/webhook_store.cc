#include "daemon/store/postgres/webhook_store.h"

#include <nlohmann/json.hpp>

#include "daemon/store/node_sql.h"
#include "daemon/store/pg/result.h"
#include "daemon/store/postgres/columns.h"

namespace flare::daemon::postgres {
// Everything of this file is in its own namespace: flare_pgstore is compiled in unity
// batches, where another store's helpers (a hex codec, row readers) share one translation
// unit with these.
namespace webhook_sql {
namespace {

// --- webhooks ---

#define PG_WEBHOOK_COLUMNS                                                              \
  "id, project_id, url, events, description, enabled, disabled_reason, "                \
  "encode(secret, 'hex'), encode(previous_secret, 'hex'), previous_secret_expires_at, " \
  "created_at, updated_at "
#define PG_WEBHOOK_SELECT "SELECT " PG_WEBHOOK_COLUMNS "FROM webhooks "

WebhookRecord ReadWebhook(const pg::PgResult& r, int row) {
  WebhookRecord w;
  w.id = TextAt(r, row, 0);
  w.project_id = TextAt(r, row, 1);
  w.url = TextAt(r, row, 2);
  nlohmann::json events = JsonAt(r, row, 3);
  if (events.is_array()) {
    for (const auto& e : events)
      if (e.is_string()) w.events.push_back(e.get<std::string>());
  }
  w.description = TextAt(r, row, 4);
  w.enabled = FlagAt(r, row, 5);
  w.disabled_reason = TextAt(r, row, 6);
  w.secret_box = BytesAt(r, row, 7);
  w.previous_secret_box = BytesAt(r, row, 8);
  w.previous_secret_expires_at = OptTimeAt(r, row, 9);
  w.created_at = TimeAt(r, row, 10);
  w.updated_at = TimeAt(r, row, 11);
  return w;
}

std::vector<WebhookRecord> ReadWebhooks(const pg::PgResult& r) {
  std::vector<WebhookRecord> out;
  out.reserve(static_cast<size_t>(r.rows()));
  for (int row = 0; row < r.rows(); ++row) out.push_back(ReadWebhook(r, row));
  return out;
}

// Runs `sql` with $1..$12 bound in the column order of PG_WEBHOOK_COLUMNS.
void ExecWithWebhook(pg::Connection& db, const char* sql, const WebhookRecord& w) {
  db.Exec(sql, w.id, w.project_id, w.url, nlohmann::json(w.events).dump(),
          TextOrNull(w.description), Flag(w.enabled), TextOrNull(w.disabled_reason),
          HexOrNull(w.secret_box), HexOrNull(w.previous_secret_box),
          Millis(w.previous_secret_expires_at), Millis(w.created_at), Millis(w.updated_at));
}

// --- deliveries ---

#define PG_DELIVERY_COLUMNS                                                            \
  "id, webhook_id, project_id, event_type, payload, status, attempts, "                \
  "next_attempt_at, lease_id, lease_expires_at, last_response_code, last_latency_ms, " \
  "last_error, created_at, completed_at, node_id "
#define PG_DELIVERY_SELECT "SELECT " PG_DELIVERY_COLUMNS "FROM webhook_deliveries "

DeliveryRecord ReadDelivery(const pg::PgResult& r, int row) {
  DeliveryRecord d;
  d.id = TextAt(r, row, 0);
  d.webhook_id = TextAt(r, row, 1);
  d.project_id = TextAt(r, row, 2);
  d.event_type = TextAt(r, row, 3);
  d.payload = TextAt(r, row, 4);
  d.status = TextAt(r, row, 5);
  d.attempts = static_cast<int>(r.Int64(row, 6));
  d.next_attempt_at = OptTimeAt(r, row, 7);
  d.lease_id = TextAt(r, row, 8);
  d.lease_expires_at = OptTimeAt(r, row, 9);
  d.last_response_code = OptInt64At(r, row, 10);
  d.last_latency_ms = OptInt64At(r, row, 11);
  d.last_error = TextAt(r, row, 12);
  d.created_at = TimeAt(r, row, 13);
  d.completed_at = OptTimeAt(r, row, 14);
  d.node_id = TextAt(r, row, 15);
  return d;
}

std::vector<DeliveryRecord> ReadDeliveries(const pg::PgResult& r) {
  std::vector<DeliveryRecord> out;
  out.reserve(static_cast<size_t>(r.rows()));
  for (int row = 0; row < r.rows(); ++row) out.push_back(ReadDelivery(r, row));
  return out;
}

std::optional<int64_t> CursorMillis(const std::optional<PageCursor>& cursor) {
  if (!cursor) return std::nullopt;
  return cursor->created_ms;
}
std::optional<std::string> CursorId(const std::optional<PageCursor>& cursor) {
  if (!cursor) return std::nullopt;
  return cursor->id;
}

// --- the statements, one per operation of the store ---

void Insert(Session session, const WebhookRecord& webhook) {
  ExecWithWebhook(session.db,
                  "INSERT INTO webhooks (id, project_id, url, events, description, enabled, "
                  "disabled_reason, secret, previous_secret, previous_secret_expires_at, "
                  "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, "
                  "decode($8, 'hex'), decode($9, 'hex'), $10, $11, $12)",
                  webhook);
}

void Save(Session session, const WebhookRecord& webhook) {
  ExecWithWebhook(session.db,
                  "UPDATE webhooks SET project_id = $2, url = $3, events = $4, description = $5, "
                  "enabled = $6, disabled_reason = $7, secret = decode($8, 'hex'), "
                  "previous_secret = decode($9, 'hex'), previous_secret_expires_at = $10, "
                  "created_at = $11, updated_at = $12 WHERE id = $1",
                  webhook);
}

std::optional<WebhookRecord> Find(Session session, const std::string& project_id,
                                  const std::string& id) {
  pg::PgResult r = session.db.Exec(
      std::string(PG_WEBHOOK_SELECT "WHERE id = $1 AND project_id = $2") + session.lock(), id,
      project_id);
  if (r.rows() == 0) return std::nullopt;
  return ReadWebhook(r, 0);
}

std::vector<WebhookRecord> OfProject(Session session, const std::string& project_id) {
  return ReadWebhooks(session.db.Exec(PG_WEBHOOK_SELECT "WHERE project_id = $1", project_id));
}

std::vector<WebhookRecord> List(Session session, const std::string& project_id,
                                const std::optional<PageCursor>& cursor, int limit) {
  return ReadWebhooks(session.db.Exec(
      PG_WEBHOOK_SELECT
      "WHERE project_id = $1 AND ($2::bigint IS NULL OR (created_at, id) < ($2, $3::text)) "
      "ORDER BY created_at DESC, id DESC LIMIT $4",
      project_id, CursorMillis(cursor), CursorId(cursor), limit));
}

// One statement: the deliveries go in a data-modifying CTE, the endpoint in the main query.
void Delete(Session session, const std::string& id) {
  session.db.Exec(
      "WITH deliveries AS (DELETE FROM webhook_deliveries WHERE webhook_id = $1) "
      "DELETE FROM webhooks WHERE id = $1",
      id);
}

void InsertDelivery(Session session, const DeliveryRecord& d) {
  session.Write("INSERT INTO webhook_deliveries (" PG_DELIVERY_COLUMNS
                ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
                d.id, d.webhook_id, d.project_id, d.event_type, d.payload, d.status, d.attempts,
                Millis(d.next_attempt_at), TextOrNull(d.lease_id), Millis(d.lease_expires_at),
                d.last_response_code, d.last_latency_ms, TextOrNull(d.last_error),
                Millis(d.created_at), Millis(d.completed_at), TextOrNull(d.node_id));
}

void SaveDelivery(Session session, const DeliveryRecord& d) {
  session.db.Exec(
      "UPDATE webhook_deliveries SET status = $2, attempts = $3, next_attempt_at = $4, "
      "lease_id = $5, lease_expires_at = $6, last_response_code = $7, last_latency_ms = $8, "
      "last_error = $9, completed_at = $10, node_id = $11 WHERE id = $1",
      d.id, d.status, d.attempts, Millis(d.next_attempt_at), TextOrNull(d.lease_id),
      Millis(d.lease_expires_at), d.last_response_code, d.last_latency_ms, TextOrNull(d.last_error),
      Millis(d.completed_at), TextOrNull(d.node_id));
}

std::optional<DeliveryRecord> FindDelivery(Session session, const std::string& id) {
  pg::PgResult r =
      session.db.Exec(std::string(PG_DELIVERY_SELECT "WHERE id = $1") + session.lock(), id);
  if (r.rows() == 0) return std::nullopt;
  return ReadDelivery(r, 0);
}

std::vector<DeliveryRecord> ListDeliveries(Session session, const std::string& webhook_id,
                                           const std::optional<PageCursor>& cursor, int limit) {
  return ReadDeliveries(session.db.Exec(
      PG_DELIVERY_SELECT
      "WHERE webhook_id = $1 AND ($2::bigint IS NULL OR (created_at, id) < ($2, $3::text)) "
      "ORDER BY created_at DESC, id DESC LIMIT $4",
      webhook_id, CursorMillis(cursor), CursorId(cursor), limit));
}

// One statement for the whole claim: for each enabled endpoint (in the order SQLite reads
// them, by rowid) a LATERAL seek on webhook_deliveries_due takes its earliest due rows, so
// a claim costs one index seek per endpoint however large one endpoint's backlog is.
//
// The lock sits in the per-endpoint subquery, so rows another node holds are skipped and
// that endpoint's next due rows are taken instead: two nodes claiming at once get disjoint
// deliveries and neither waits. An endpoint never locks more than it could contribute
// (LEAST(per_webhook, limit)); rows locked there but cut by the overall limit stay pending
// and are merely skipped by other nodes until this transaction ends.
std::vector<DeliveryRecord> DueDeliveries(Session session, TimePoint now, int per_webhook,
                                          int limit, const std::set<std::string>& exclude) {
  const std::string due_of_endpoint =
      "SELECT " PG_DELIVERY_COLUMNS
      ", rowid AS delivery_rowid FROM webhook_deliveries "
      "WHERE webhook_id = w.id AND status = 'pending' AND next_attempt_at <= $1 "
      "ORDER BY next_attempt_at, rowid LIMIT LEAST($2::int, $3::int)" +
      std::string(session.claim());
  return ReadDeliveries(
      session.db.Exec("SELECT d.* FROM webhooks w CROSS JOIN LATERAL (" + due_of_endpoint +
                          ") d WHERE w.enabled = 1 AND w.id <> ALL($4::text[]) "
                          "ORDER BY d.next_attempt_at, w.rowid, d.delivery_rowid LIMIT $3",
                      Millis(now), per_webhook, limit, TextArray(exclude)));
}

// The earliest due row of each enabled endpoint is one index seek (webhook_deliveries_due);
// the minimum of those is the answer. No lock: nothing is claimed, and PostgreSQL refuses
// FOR UPDATE next to an aggregate anyway.
OptTime EarliestDeliveryDue(Session session, const std::set<std::string>& exclude) {
  pg::PgResult r = session.db.Exec(
      "SELECT MIN(d.next_attempt_at) FROM webhooks w CROSS JOIN LATERAL ("
      "SELECT next_attempt_at FROM webhook_deliveries WHERE webhook_id = w.id AND "
      "status = 'pending' ORDER BY next_attempt_at LIMIT 1) d "
      "WHERE w.enabled = 1 AND w.id <> ALL($1::text[])",
      TextArray(exclude));
  return OptTimeAt(r, 0, 0);
}

// The leases to release are chosen with the queue lock (session.h): a lease another
// transaction is taking over or renewing right now is left to it, not waited for.
int ReleaseLostNodesDeliveryLeases(Session session, const std::string& self, TimePoint alive_since,
                                   TimePoint now) {
  const std::string leases_of_lost_nodes =
      "SELECT rowid FROM webhook_deliveries WHERE status = 'pending' AND lease_id IS NOT NULL "
      "AND " FLARE_SQL_NODE_IS_LOST("webhook_deliveries.node_id", "$2", "$3::bigint") +
      std::string(session.claim());
  pg::PgResult r = session.db.Exec(
      "UPDATE webhook_deliveries SET next_attempt_at = $1, lease_id = NULL, "
      "lease_expires_at = NULL WHERE rowid IN (" +
          leases_of_lost_nodes + ")",
      Millis(now), self, Millis(alive_since));
  return static_cast<int>(r.affected_rows());
}

int FailPendingDeliveries(Session session, const std::string& webhook_id, const std::string& why,
                          TimePoint now) {
  pg::PgResult r = session.db.Exec(
      "UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL, "
      "lease_id = NULL, lease_expires_at = NULL, last_error = $2, completed_at = $3 "
      "WHERE webhook_id = $1 AND status = 'pending'",
      webhook_id, why, Millis(now));
  return static_cast<int>(r.affected_rows());
}

}  // namespace
}  // namespace webhook_sql

void PgWebhookStore::Insert(const WebhookRecord& webhook) {
  webhook_sql::Insert(session_, webhook);
}
void PgWebhookStore::Save(const WebhookRecord& webhook) { webhook_sql::Save(session_, webhook); }
std::optional<WebhookRecord> PgWebhookStore::Find(const std::string& project_id,
                                                  const std::string& id) {
  return webhook_sql::Find(session_, project_id, id);
}
std::vector<WebhookRecord> PgWebhookStore::OfProject(const std::string& project_id) {
  return webhook_sql::OfProject(session_, project_id);
}
std::vector<WebhookRecord> PgWebhookStore::List(const std::string& project_id,
                                                const std::optional<PageCursor>& cursor,
                                                int limit) {
  return webhook_sql::List(session_, project_id, cursor, limit);
}
void PgWebhookStore::Delete(const std::string& id) { webhook_sql::Delete(session_, id); }
void PgWebhookStore::InsertDelivery(const DeliveryRecord& delivery) {
  webhook_sql::InsertDelivery(session_, delivery);
}
void PgWebhookStore::SaveDelivery(const DeliveryRecord& delivery) {
  webhook_sql::SaveDelivery(session_, delivery);
}
std::optional<DeliveryRecord> PgWebhookStore::FindDelivery(const std::string& id) {
  return webhook_sql::FindDelivery(session_, id);
}
std::vector<DeliveryRecord> PgWebhookStore::ListDeliveries(const std::string& webhook_id,
                                                           const std::optional<PageCursor>& cursor,
                                                           int limit) {
  return webhook_sql::ListDeliveries(session_, webhook_id, cursor, limit);
}
std::vector<DeliveryRecord> PgWebhookStore::DueDeliveries(TimePoint now, int per_webhook, int limit,
                                                          const std::set<std::string>& exclude) {
  return webhook_sql::DueDeliveries(session_, now, per_webhook, limit, exclude);
}
OptTime PgWebhookStore::EarliestDeliveryDue(const std::set<std::string>& exclude) {
  return webhook_sql::EarliestDeliveryDue(session_, exclude);
}
int PgWebhookStore::ReleaseLostNodesDeliveryLeases(const std::string& self, TimePoint alive_since,
                                                   TimePoint now) {
  return webhook_sql::ReleaseLostNodesDeliveryLeases(session_, self, alive_since, now);
}
int PgWebhookStore::FailPendingDeliveries(const std::string& webhook_id, const std::string& why,
                                          TimePoint now) {
  return webhook_sql::FailPendingDeliveries(session_, webhook_id, why, now);
}

}  // namespace flare::daemon::postgres

#undef PG_WEBHOOK_COLUMNS
#undef PG_WEBHOOK_SELECT
#undef PG_DELIVERY_COLUMNS
#undef PG_DELIVERY_SELECT

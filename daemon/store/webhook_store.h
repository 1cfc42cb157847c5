#pragma once
// The storage port for one resource: Webhook endpoints and their deliveries (webhook_repository.h).
// Services reach it through their transaction (Tx::webhooks()) or a read lease; each backend
// implements it (SQLite: SqliteWebhookStore in webhook_repository.h).

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "daemon/store/records.h"

namespace flare::daemon {

struct WebhookRecord {
  std::string id;
  std::string project_id;
  std::string url;
  std::vector<std::string> events;  // event types, or "*"
  std::string description;
  bool enabled = true;
  std::string disabled_reason;
  std::string secret_box;           // the whsec_ text, sealed (secret_box.h)
  std::string previous_secret_box;  // the secret before the last rotation, while it overlaps
  OptTime previous_secret_expires_at;
  TimePoint created_at;
  TimePoint updated_at;
};

struct DeliveryRecord {
  std::string id;  // also the webhook-id header: the same on every attempt
  std::string webhook_id;
  std::string project_id;
  std::string event_type;
  std::string payload;             // the exact body sent
  std::string status = "pending";  // pending, succeeded, failed
  int attempts = 0;
  OptTime next_attempt_at;  // pending only; pushed to the lease expiry while claimed
  std::string lease_id;
  OptTime lease_expires_at;
  std::string node_id;  // while leased: the node whose engine sends it
  std::optional<int64_t> last_response_code;
  std::optional<int64_t> last_latency_ms;
  std::string last_error;
  TimePoint created_at;
  OptTime completed_at;
};

class WebhookStore {
 public:
  virtual ~WebhookStore() = default;

  virtual void Insert(const WebhookRecord& webhook) = 0;
  /// Writes every mutable column of `webhook` (found by id).
  virtual void Save(const WebhookRecord& webhook) = 0;
  virtual std::optional<WebhookRecord> Find(const std::string& project_id,
                                            const std::string& id) = 0;
  /// Every endpoint of a project (the outbox's cache loads these).
  virtual std::vector<WebhookRecord> OfProject(const std::string& project_id) = 0;
  /// Up to `limit` endpoints, newest first, strictly after `cursor` when given.
  virtual std::vector<WebhookRecord> List(const std::string& project_id,
                                          const std::optional<PageCursor>& cursor, int limit) = 0;
  /// Deletes the endpoint and its deliveries.
  virtual void Delete(const std::string& id) = 0;

  virtual void InsertDelivery(const DeliveryRecord& delivery) = 0;
  /// Writes the mutable columns (status, attempts, times, lease, last outcome).
  virtual void SaveDelivery(const DeliveryRecord& delivery) = 0;
  virtual std::optional<DeliveryRecord> FindDelivery(const std::string& id) = 0;
  virtual std::vector<DeliveryRecord> ListDeliveries(const std::string& webhook_id,
                                                     const std::optional<PageCursor>& cursor,
                                                     int limit) = 0;
  /// Pending deliveries of enabled endpoints due at `now` (a lapsed lease counts as due),
  /// oldest due first, at most `per_webhook` of any one endpoint and `limit` in all. Endpoints
  /// in `exclude` (already at their limit of calls in flight) are skipped.
  virtual std::vector<DeliveryRecord> DueDeliveries(TimePoint now, int per_webhook, int limit,
                                                    const std::set<std::string>& exclude) = 0;
  /// The earliest next_attempt_at of a pending delivery of an enabled endpoint not in `exclude`.
  virtual OptTime EarliestDeliveryDue(const std::set<std::string>& exclude) = 0;
  /// Makes the claimed pending deliveries of lost nodes due at `now`: their sender is gone.
  /// Lost as for HTTP runs (the run store's HTTP runs of lost nodes): not `self`, and
  /// stopped, unknown or none named, or not seen since `alive_since`. The number released.
  virtual int ReleaseLostNodesDeliveryLeases(const std::string& self, TimePoint alive_since,
                                             TimePoint now) = 0;
  /// Ends every pending delivery of an endpoint as failed with `why`.
  virtual int FailPendingDeliveries(const std::string& webhook_id, const std::string& why,
                                    TimePoint now) = 0;
};

}  // namespace flare::daemon

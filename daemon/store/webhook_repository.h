#pragma once
// SQL for webhook endpoints and their deliveries (the outbox the delivery engine drains).

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "daemon/store/connection.h"
#include "daemon/store/records.h"
#include "daemon/store/webhook_store.h"

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

void InsertWebhook(Connection& c, const WebhookRecord& webhook);
/// Writes every mutable column of `webhook` (found by id).
void SaveWebhook(Connection& c, const WebhookRecord& webhook);
std::optional<WebhookRecord> FindWebhook(Connection& c, const std::string& project_id,
                                         const std::string& id);
/// Every endpoint of a project (the outbox's cache loads these).
std::vector<WebhookRecord> WebhooksOfProject(Connection& c, const std::string& project_id);
/// Up to `limit` endpoints, newest first, strictly after `cursor` when given.
std::vector<WebhookRecord> ListWebhooks(Connection& c, const std::string& project_id,
                                        const std::optional<PageCursor>& cursor, int limit);
/// Deletes the endpoint and its deliveries.
void DeleteWebhook(Connection& c, const std::string& id);

void InsertDelivery(Connection& c, const DeliveryRecord& delivery);
/// Writes the mutable columns (status, attempts, times, lease, last outcome).
void SaveDelivery(Connection& c, const DeliveryRecord& delivery);
std::optional<DeliveryRecord> FindDelivery(Connection& c, const std::string& id);
std::vector<DeliveryRecord> ListDeliveries(Connection& c, const std::string& webhook_id,
                                           const std::optional<PageCursor>& cursor, int limit);
/// Pending deliveries of enabled endpoints due at `now` (a lapsed lease counts as due),
/// oldest due first, at most `per_webhook` of any one endpoint and `limit` in all. Endpoints
/// in `exclude` (already at their limit of calls in flight) are skipped.
std::vector<DeliveryRecord> DueDeliveries(Connection& c, TimePoint now, int per_webhook, int limit,
                                          const std::set<std::string>& exclude);
/// The earliest next_attempt_at of a pending delivery of an enabled endpoint not in `exclude`.
OptTime EarliestDeliveryDue(Connection& c, const std::set<std::string>& exclude);
/// Makes the claimed pending deliveries of lost nodes due at `now`: their sender is gone.
/// Lost as for HTTP runs (run_repository.h, HttpRunsOfLostNodes): not `self`, and stopped,
/// unknown or none named, or not seen since `alive_since`. The number released.
int ReleaseLostNodesDeliveryLeases(Connection& c, const std::string& self, TimePoint alive_since,
                                   TimePoint now);
/// Ends every pending delivery of an endpoint as failed with `why`.
int FailPendingDeliveries(Connection& c, const std::string& webhook_id, const std::string& why,
                          TimePoint now);

struct DeliveryCounts {
  int64_t created = 0;
  int64_t succeeded = 0;
  int64_t failed = 0;
};
/// Deliveries of a project created in [from, until), and how many of them ended each way.
DeliveryCounts CountDeliveries(Connection& c, const std::string& project_id, TimePoint from,
                               TimePoint until);

/// The SQLite WebhookStore (stores.h): the functions above over one connection.
class SqliteWebhookStore final : public WebhookStore {
 public:
  explicit SqliteWebhookStore(Connection& c) : c_(c) {}

 private:
  [[maybe_unused]] Connection& c_;
};

}  // namespace flare::daemon

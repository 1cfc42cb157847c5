#pragma once
// SQL for webhook endpoints and their deliveries (the outbox the delivery engine drains): the
// SQLite WebhookStore (webhook_store.h, where the contract of each function is written).

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "daemon/store/connection.h"
#include "daemon/store/records.h"
#include "daemon/store/webhook_store.h"

namespace flare::daemon {

void InsertWebhook(Connection& c, const WebhookRecord& webhook);
void SaveWebhook(Connection& c, const WebhookRecord& webhook);
std::optional<WebhookRecord> FindWebhook(Connection& c, const std::string& project_id,
                                         const std::string& id);
std::vector<WebhookRecord> WebhooksOfProject(Connection& c, const std::string& project_id);
std::vector<WebhookRecord> ListWebhooks(Connection& c, const std::string& project_id,
                                        const std::optional<PageCursor>& cursor, int limit);
void DeleteWebhook(Connection& c, const std::string& id);

void InsertDelivery(Connection& c, const DeliveryRecord& delivery);
void SaveDelivery(Connection& c, const DeliveryRecord& delivery);
std::optional<DeliveryRecord> FindDelivery(Connection& c, const std::string& id);
std::vector<DeliveryRecord> ListDeliveries(Connection& c, const std::string& webhook_id,
                                           const std::optional<PageCursor>& cursor, int limit);
std::vector<DeliveryRecord> DueDeliveries(Connection& c, TimePoint now, int per_webhook, int limit,
                                          const std::set<std::string>& exclude);
OptTime EarliestDeliveryDue(Connection& c, const std::set<std::string>& exclude);
int ReleaseLostNodesDeliveryLeases(Connection& c, const std::string& self, TimePoint alive_since,
                                   TimePoint now);
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

  void Insert(const WebhookRecord& webhook) override { InsertWebhook(c_, webhook); }
  void Save(const WebhookRecord& webhook) override { SaveWebhook(c_, webhook); }
  std::optional<WebhookRecord> Find(const std::string& project_id, const std::string& id) override {
    return FindWebhook(c_, project_id, id);
  }
  std::vector<WebhookRecord> OfProject(const std::string& project_id) override {
    return WebhooksOfProject(c_, project_id);
  }
  std::vector<WebhookRecord> List(const std::string& project_id,
                                  const std::optional<PageCursor>& cursor, int limit) override {
    return ListWebhooks(c_, project_id, cursor, limit);
  }
  void Delete(const std::string& id) override { DeleteWebhook(c_, id); }
  void InsertDelivery(const DeliveryRecord& delivery) override {
    daemon::InsertDelivery(c_, delivery);
  }
  void SaveDelivery(const DeliveryRecord& delivery) override { daemon::SaveDelivery(c_, delivery); }
  std::optional<DeliveryRecord> FindDelivery(const std::string& id) override {
    return daemon::FindDelivery(c_, id);
  }
  std::vector<DeliveryRecord> ListDeliveries(const std::string& webhook_id,
                                             const std::optional<PageCursor>& cursor,
                                             int limit) override {
    return daemon::ListDeliveries(c_, webhook_id, cursor, limit);
  }
  std::vector<DeliveryRecord> DueDeliveries(TimePoint now, int per_webhook, int limit,
                                            const std::set<std::string>& exclude) override {
    return daemon::DueDeliveries(c_, now, per_webhook, limit, exclude);
  }
  OptTime EarliestDeliveryDue(const std::set<std::string>& exclude) override {
    return daemon::EarliestDeliveryDue(c_, exclude);
  }
  int ReleaseLostNodesDeliveryLeases(const std::string& self, TimePoint alive_since,
                                     TimePoint now) override {
    return daemon::ReleaseLostNodesDeliveryLeases(c_, self, alive_since, now);
  }
  int FailPendingDeliveries(const std::string& webhook_id, const std::string& why,
                            TimePoint now) override {
    return daemon::FailPendingDeliveries(c_, webhook_id, why, now);
  }

 private:
  Connection& c_;
};

}  // namespace flare::daemon

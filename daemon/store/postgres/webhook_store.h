#pragma once
// The PostgreSQL WebhookStore (store/webhook_store.h, whose comments are the contract; the SQLite
// one is in store/webhook_repository.*). session.h says what a write transaction locks.

#include "daemon/store/postgres/session.h"
#include "daemon/store/webhook_store.h"

namespace flare::daemon::postgres {

class PgWebhookStore final : public WebhookStore {
 public:
  explicit PgWebhookStore(Session session) : session_(session) {}
  void Insert(const WebhookRecord& webhook) override;
  void Save(const WebhookRecord& webhook) override;
  std::optional<WebhookRecord> Find(const std::string& project_id, const std::string& id) override;
  std::vector<WebhookRecord> OfProject(const std::string& project_id) override;
  std::vector<WebhookRecord> List(const std::string& project_id,
                                  const std::optional<PageCursor>& cursor, int limit) override;
  void Delete(const std::string& id) override;
  void InsertDelivery(const DeliveryRecord& delivery) override;
  void SaveDelivery(const DeliveryRecord& delivery) override;
  std::optional<DeliveryRecord> FindDelivery(const std::string& id) override;
  std::vector<DeliveryRecord> ListDeliveries(const std::string& webhook_id,
                                             const std::optional<PageCursor>& cursor,
                                             int limit) override;
  std::vector<DeliveryRecord> DueDeliveries(TimePoint now, int per_webhook, int limit,
                                            const std::set<std::string>& exclude) override;
  OptTime EarliestDeliveryDue(const std::set<std::string>& exclude) override;
  int ReleaseLostNodesDeliveryLeases(const std::string& self, TimePoint alive_since,
                                     TimePoint now) override;
  int FailPendingDeliveries(const std::string& webhook_id, const std::string& why,
                            TimePoint now) override;

 private:
  Session session_;
};

}  // namespace flare::daemon::postgres

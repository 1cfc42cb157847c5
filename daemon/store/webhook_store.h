#pragma once
// The storage port for one resource: Webhook endpoints and their deliveries (webhook_repository.h).
// Services reach it through their transaction (Tx::webhooks()) or a read lease; each backend
// implements it (SQLite: SqliteWebhookStore in webhook_repository.h).

#include "daemon/store/records.h"

namespace flare::daemon {

class WebhookStore {
 public:
  virtual ~WebhookStore() = default;
};

}  // namespace flare::daemon

#pragma once
// Webhook endpoints (SPEC §7): create (the whsec_ secret shown once), list, read, update,
// delete, rotate the secret with an overlap, send a test delivery now, and list an
// endpoint's deliveries. Every call is scoped to the caller's project: another project's
// endpoint answers 404 not_found exactly like a missing one.

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "daemon/service/context.h"
#include "daemon/service/page.h"
#include "daemon/service/webhook_delivery_service.h"
#include "daemon/service/webhook_outbox.h"
#include "daemon/service/webhook_secrets.h"

namespace flare::daemon {

/// An endpoint with its signing secret (whsec_…): shown once, when the secret is made.
struct WebhookWithSecret {
  WebhookRecord webhook;
  std::string secret;
};

class WebhookService {
 public:
  WebhookService(ServiceContext context, const WebhookSecrets& secrets, WebhookOutbox& outbox,
                 WebhookDeliveryService& deliveries, DeliverySender& sender)
      : ctx_(context),
        secrets_(secrets),
        outbox_(outbox),
        deliveries_(deliveries),
        sender_(sender) {}

  /// The new endpoint and its secret.
  Result<WebhookWithSecret> Create(const std::string& project_id, const nlohmann::json& body);
  Result<Page<WebhookRecord>> List(const std::string& project_id, const std::string& cursor,
                                   int limit);
  Result<WebhookRecord> Get(const std::string& project_id, const std::string& id);
  Result<WebhookRecord> Update(const std::string& project_id, const std::string& id,
                               const nlohmann::json& body);
  /// The endpoint as it was before it was deleted.
  Result<WebhookRecord> Delete(const std::string& project_id, const std::string& id);
  /// The endpoint with its new secret; the old one signs until previous_secret_expires_at.
  Result<WebhookWithSecret> RotateSecret(const std::string& project_id, const std::string& id,
                                         const nlohmann::json& body);
  /// Sends a webhook.test delivery now and answers with it once it has an outcome (or, if
  /// that takes longer than the delivery timeout allows, as it stands, still pending).
  Result<DeliveryRecord> Test(const std::string& project_id, const std::string& id);
  /// The endpoint's deliveries, newest first.
  Result<Page<DeliveryRecord>> Deliveries(const std::string& project_id, const std::string& id,
                                          const std::string& cursor, int limit);

 private:
  ServiceContext ctx_;
  const WebhookSecrets& secrets_;
  WebhookOutbox& outbox_;
  WebhookDeliveryService& deliveries_;
  DeliverySender& sender_;
};

}  // namespace flare::daemon

#pragma once
// Webhook endpoints (SPEC §7): create (the whsec_ secret shown once), list, read, update,
// delete, rotate the secret with an overlap, send a test delivery now, and list an
// endpoint's deliveries. Every call is scoped to the caller's project: another project's
// endpoint answers 404 not_found exactly like a missing one.

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "daemon/service/context.h"
#include "daemon/service/webhook_delivery_service.h"
#include "daemon/service/webhook_outbox.h"
#include "daemon/service/webhook_secrets.h"

namespace flare::daemon {

class WebhookService {
 public:
  WebhookService(ServiceContext context, const WebhookSecrets& secrets, WebhookOutbox& outbox,
                 WebhookDeliveryService& deliveries, DeliverySender& sender)
      : ctx_(context),
        secrets_(secrets),
        outbox_(outbox),
        deliveries_(deliveries),
        sender_(sender) {}

  /// 201 body: the endpoint and its `secret`.
  Result<nlohmann::json> Create(const std::string& project_id, const nlohmann::json& body);
  Result<nlohmann::json> List(const std::string& project_id, const std::string& cursor, int limit);
  Result<nlohmann::json> Get(const std::string& project_id, const std::string& id);
  Result<nlohmann::json> Update(const std::string& project_id, const std::string& id,
                                const nlohmann::json& body);
  Result<nlohmann::json> Delete(const std::string& project_id, const std::string& id);
  /// The endpoint with its new `secret`; the old one signs until previous_secret_expires_at.
  Result<nlohmann::json> RotateSecret(const std::string& project_id, const std::string& id,
                                      const nlohmann::json& body);
  /// Sends a webhook.test delivery now and answers with it once it has an outcome (or, if
  /// that takes longer than the delivery timeout allows, as it stands, still pending).
  Result<nlohmann::json> Test(const std::string& project_id, const std::string& id);
  Result<nlohmann::json> Deliveries(const std::string& project_id, const std::string& id,
                                    const std::string& cursor, int limit);

 private:
  ServiceContext ctx_;
  const WebhookSecrets& secrets_;
  WebhookOutbox& outbox_;
  WebhookDeliveryService& deliveries_;
  DeliverySender& sender_;
};

/// The wire shapes. Secrets never appear in them.
nlohmann::json WebhookView(const WebhookRecord& webhook);
nlohmann::json DeliveryView(const DeliveryRecord& delivery);

}  // namespace flare::daemon

#pragma once
// Everything webhooks are in flared, built in one place: the key file, the secrets, the
// outbox (an event observer), the delivery service and engine, and the API's service.

#include <memory>

#include "common/egress.h"
#include "daemon/config.h"
#include "daemon/engines/delivery_engine.h"
#include "daemon/service/webhook_service.h"

namespace flare::daemon {

class Webhooks {
 public:
  /// `key` (32 bytes) encrypts the webhook secrets; the engine gets its own libcurl
  /// transport with the executor's egress `policy`; its leases are taken in the name of
  /// `node_id`. Nothing runs until engine().Start().
  static Result<std::unique_ptr<Webhooks>> Make(ServiceContext context, const DaemonConfig& config,
                                                const EgressPolicy& policy,
                                                const std::string& node_id, std::string key);

  WebhookOutbox& outbox() { return *outbox_; }
  WebhookService& service() { return *service_; }
  DeliveryEngine& engine() { return *engine_; }
  /// Metrics hear of every finished attempt (see WebhookDeliveryService::CountAttemptsWith).
  void CountAttemptsWith(WebhookDeliveryService::AttemptCounter counter) {
    deliveries_->CountAttemptsWith(std::move(counter));
  }

 private:
  // The outbox and the API service are made before the engine they wake.
  class Forwarder final : public DeliverySender {
   public:
    DeliveryEngine* engine = nullptr;
    void Wake() override { engine->Wake(); }
    void SendNow(DeliveryCall call, std::function<void()> recorded) override {
      engine->SendNow(std::move(call), std::move(recorded));
    }
  };

  Forwarder forwarder_;
  std::unique_ptr<WebhookSecrets> secrets_;
  std::unique_ptr<WebhookOutbox> outbox_;
  std::unique_ptr<WebhookDeliveryService> deliveries_;
  std::unique_ptr<DeliveryEngine> engine_;
  std::unique_ptr<WebhookService> service_;
};

/// The delivery options `config` asks for (the hidden test flags included).
WebhookDeliveryOptions DeliveryOptionsFrom(const DaemonConfig& config);

}  // namespace flare::daemon

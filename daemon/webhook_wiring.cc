#include "daemon/webhook_wiring.h"

namespace flare::daemon {

WebhookDeliveryOptions DeliveryOptionsFrom(const DaemonConfig& config) {
  WebhookDeliveryOptions options;
  options.timeout = std::chrono::milliseconds(config.webhook_timeout_ms);
  options.retry_base = std::chrono::milliseconds(config.webhook_retry_base_ms);
  options.retry_window = std::chrono::seconds(config.webhook_retry_window_s);
  return options;
}

Result<std::unique_ptr<Webhooks>> Webhooks::Make(ServiceContext context, const DaemonConfig& config,
                                                 const EgressPolicy& policy,
                                                 const std::string& node_id, std::string key) {
  auto w = std::unique_ptr<Webhooks>(new Webhooks());
  w->secrets_ = std::make_unique<WebhookSecrets>(std::move(key));
  w->outbox_ = std::make_unique<WebhookOutbox>(w->forwarder_);
  WebhookDeliveryOptions options = DeliveryOptionsFrom(config);
  options.node_id = node_id;
  w->deliveries_ =
      std::make_unique<WebhookDeliveryService>(context, *w->secrets_, *w->outbox_, options);
  w->engine_ = std::make_unique<DeliveryEngine>(*w->deliveries_, MakeCurlTransport(policy));
  w->forwarder_.engine = w->engine_.get();
  w->service_ = std::make_unique<WebhookService>(context, *w->secrets_, *w->outbox_,
                                                 *w->deliveries_, w->forwarder_);
  return w;
}

}  // namespace flare::daemon

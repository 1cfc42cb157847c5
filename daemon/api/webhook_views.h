#pragma once
// The wire form of webhook endpoints and their deliveries (SPEC §7). Secrets never appear in
// them, except the one a create or rotate-secret has just made, shown that once.

#include <nlohmann/json.hpp>

#include "daemon/service/webhook_service.h"

namespace flare::daemon {

nlohmann::json WebhookView(const WebhookRecord& webhook);
/// The endpoint and its new `secret`.
nlohmann::json WebhookWithSecretView(const WebhookWithSecret& created);
/// The endpoint just deleted: {id, deleted: true}.
nlohmann::json DeletedWebhookView(const WebhookRecord& webhook);
nlohmann::json DeliveryView(const DeliveryRecord& delivery);

}  // namespace flare::daemon

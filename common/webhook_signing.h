#pragma once
// Standard Webhooks signatures (https://www.standardwebhooks.com): a delivery carries
// `webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature`, a
// space-separated list of "v1,<base64 HMAC-SHA256(key, id + "." + timestamp + "." + body)>".
// The secret a user holds is "whsec_" + base64 of the key bytes; during a rotation
// overlap flared sends one signature per secret and a receiver accepts any one that matches.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace flare {

/// A new secret: "whsec_" + base64 of 32 random bytes.
std::string NewWebhookSecret();
/// The key bytes of "whsec_<base64>" (the prefix is optional, as in the reference
/// libraries); nullopt when the base64 does not decode or is empty.
std::optional<std::string> WebhookSecretKey(std::string_view secret);

/// "v1,<base64>" for one key (the raw bytes, not the whsec_ text).
std::string SignWebhookWithKey(std::string_view key, std::string_view id, int64_t timestamp,
                               std::string_view body);
/// The same from the whsec_ text; an error when the secret does not decode.
Result<std::string> SignWebhook(std::string_view secret, std::string_view id, int64_t timestamp,
                                std::string_view body);
/// The whole `webhook-signature` header value: one "v1,…" per key, space-separated.
std::string WebhookSignatureHeader(const std::vector<std::string>& keys, std::string_view id,
                                   int64_t timestamp, std::string_view body);

/// Checks a received delivery: ok when one v1 signature of `signature_header` matches
/// `secret` (compared in constant time) and the timestamp is within `tolerance` of `now`.
/// The error says what is wrong (bad signature, timestamp too old or in the future, …).
Status VerifyWebhook(std::string_view secret, std::string_view id, std::string_view timestamp,
                     std::string_view signature_header, std::string_view body, int64_t now,
                     std::chrono::seconds tolerance = std::chrono::minutes(5));

}  // namespace flare

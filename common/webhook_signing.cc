#include "common/webhook_signing.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <charconv>
#include <stdexcept>

#include "common/encoding.h"

namespace flare {
namespace {

constexpr std::string_view kSecretPrefix = "whsec_";

std::string HmacSha256(std::string_view key, std::string_view message) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest,
            &length)) {
    throw std::runtime_error("HMAC-SHA256 failed");
  }
  return std::string(reinterpret_cast<const char*>(digest), length);
}

std::vector<std::string_view> SplitSpaces(std::string_view text) {
  std::vector<std::string_view> parts;
  while (!text.empty()) {
    size_t space = text.find(' ');
    std::string_view part = text.substr(0, space);
    if (!part.empty()) parts.push_back(part);
    if (space == std::string_view::npos) break;
    text.remove_prefix(space + 1);
  }
  return parts;
}

}  // namespace

std::string NewWebhookSecret() {
  unsigned char key[32];
  if (RAND_bytes(key, sizeof key) != 1) throw std::runtime_error("RAND_bytes failed");
  return std::string(kSecretPrefix) +
         Base64Encode(std::string_view(reinterpret_cast<const char*>(key), sizeof key));
}

std::optional<std::string> WebhookSecretKey(std::string_view secret) {
  if (secret.starts_with(kSecretPrefix)) secret.remove_prefix(kSecretPrefix.size());
  auto key = Base64Decode(secret);
  if (!key || key->empty()) return std::nullopt;
  return key;
}

std::string SignWebhookWithKey(std::string_view key, std::string_view id, int64_t timestamp,
                               std::string_view body) {
  std::string signed_text;
  signed_text.reserve(id.size() + body.size() + 24);
  signed_text.append(id).append(".").append(std::to_string(timestamp)).append(".").append(body);
  return "v1," + Base64Encode(HmacSha256(key, signed_text));
}

Result<std::string> SignWebhook(std::string_view secret, std::string_view id, int64_t timestamp,
                                std::string_view body) {
  auto key = WebhookSecretKey(secret);
  if (!key) return InvalidRequest("the secret is not whsec_ followed by base64", "secret");
  return SignWebhookWithKey(*key, id, timestamp, body);
}

std::string WebhookSignatureHeader(const std::vector<std::string>& keys, std::string_view id,
                                   int64_t timestamp, std::string_view body) {
  std::string header;
  for (const std::string& key : keys) {
    if (!header.empty()) header += ' ';
    header += SignWebhookWithKey(key, id, timestamp, body);
  }
  return header;
}

Status VerifyWebhook(std::string_view secret, std::string_view id, std::string_view timestamp,
                     std::string_view signature_header, std::string_view body, int64_t now,
                     std::chrono::seconds tolerance) {
  auto key = WebhookSecretKey(secret);
  if (!key) return InvalidRequest("the secret is not whsec_ followed by base64", "secret");
  if (id.empty()) return InvalidRequest("the webhook-id header is missing", "id");
  int64_t sent = 0;
  auto [end, ec] = std::from_chars(timestamp.data(), timestamp.data() + timestamp.size(), sent);
  if (timestamp.empty() || ec != std::errc() || end != timestamp.data() + timestamp.size()) {
    return InvalidRequest("the webhook-timestamp is not a whole number of Unix seconds",
                          "timestamp");
  }
  if (now - sent > tolerance.count()) {
    return InvalidRequest("the timestamp is too old (" + std::to_string(now - sent) +
                              " s ago, more than the " + std::to_string(tolerance.count()) +
                              " s allowed): a replay, or the receiver's clock is wrong",
                          "timestamp");
  }
  if (sent - now > tolerance.count()) {
    return InvalidRequest("the timestamp is too far in the future (" + std::to_string(sent - now) +
                              " s ahead): check the receiver's clock",
                          "timestamp");
  }
  std::string expected = SignWebhookWithKey(*key, id, sent, body);
  bool any_v1 = false;
  for (std::string_view candidate : SplitSpaces(signature_header)) {
    if (!candidate.starts_with("v1,")) continue;
    any_v1 = true;
    if (ConstantTimeEquals(candidate, expected)) return Ok{};
  }
  if (!any_v1) return InvalidRequest("the webhook-signature has no v1 signature", "signature");
  return InvalidRequest(
      "bad signature: no v1 signature matches this secret over id.timestamp.body (wrong secret, "
      "or the body was changed, e.g. re-serialized JSON instead of the raw bytes)",
      "signature");
}

}  // namespace flare

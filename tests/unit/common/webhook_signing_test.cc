#include "common/webhook_signing.h"

#include <gtest/gtest.h>

#include "common/encoding.h"
#include "common/secret_box.h"

namespace flare {
namespace {

// The published Standard Webhooks test vector (the spec's reference libraries test it).
constexpr const char* kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr const char* kId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
constexpr int64_t kTimestamp = 1614265330;
constexpr const char* kBody = R"({"test": 2432232314})";
constexpr const char* kExpected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

TEST(WebhookSigning, ReproducesTheStandardWebhooksTestVector) {
  auto signature = SignWebhook(kSecret, kId, kTimestamp, kBody);
  ASSERT_TRUE(signature.ok());
  EXPECT_EQ(*signature, kExpected);
  // The whsec_ prefix is optional, as in the reference libraries.
  EXPECT_EQ(*SignWebhook("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", kId, kTimestamp, kBody), kExpected);
}

TEST(WebhookSigning, VerifiesTheVectorWithinTheTolerance) {
  EXPECT_TRUE(VerifyWebhook(kSecret, kId, "1614265330", kExpected, kBody, kTimestamp + 10).ok());
  // One of several signatures (a rotation overlap) is enough.
  std::string two = std::string("v1,bm9wZQ== ") + kExpected;
  EXPECT_TRUE(VerifyWebhook(kSecret, kId, "1614265330", two, kBody, kTimestamp).ok());
}

TEST(WebhookSigning, RefusesAChangedBodyWithABadSignatureSentence) {
  auto status =
      VerifyWebhook(kSecret, kId, "1614265330", kExpected, R"({"test":2432232314})", kTimestamp);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find("bad signature"), std::string::npos);
  auto wrong = VerifyWebhook(NewWebhookSecret(), kId, "1614265330", kExpected, kBody, kTimestamp);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message.find("bad signature"), std::string::npos);
}

TEST(WebhookSigning, RefusesAnOldOrFutureTimestamp) {
  auto old = VerifyWebhook(kSecret, kId, "1614265330", kExpected, kBody, kTimestamp + 301);
  ASSERT_FALSE(old.ok());
  EXPECT_NE(old.error().message.find("too old"), std::string::npos);
  auto future = VerifyWebhook(kSecret, kId, "1614265330", kExpected, kBody, kTimestamp - 301);
  ASSERT_FALSE(future.ok());
  EXPECT_NE(future.error().message.find("future"), std::string::npos);
  EXPECT_FALSE(VerifyWebhook(kSecret, kId, "16142x", kExpected, kBody, kTimestamp).ok());
}

TEST(WebhookSigning, HeaderCarriesOneSignaturePerKey) {
  auto key = WebhookSecretKey(kSecret);
  ASSERT_TRUE(key.has_value());
  auto other = WebhookSecretKey(NewWebhookSecret());
  std::string header = WebhookSignatureHeader({*other, *key}, kId, kTimestamp, kBody);
  EXPECT_EQ(header.substr(header.find(' ') + 1), kExpected);
}

TEST(WebhookSigning, NewSecretsAreWhsecWith32KeyBytes) {
  std::string secret = NewWebhookSecret();
  EXPECT_EQ(secret.rfind("whsec_", 0), 0u);
  EXPECT_EQ(WebhookSecretKey(secret)->size(), 32u);
  EXPECT_NE(secret, NewWebhookSecret());
  EXPECT_FALSE(WebhookSecretKey("whsec_!!!").has_value());
}

TEST(SecretBox, RoundTripsAndHidesThePlaintext) {
  std::string key(kSecretBoxKeySize, '\x07');
  std::string box = SealSecret(key, kSecret, "wh_1");
  EXPECT_EQ(box.find("MfKQ9r8G"), std::string::npos);
  auto opened = OpenSecret(key, box, "wh_1");
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, kSecret);
  EXPECT_NE(SealSecret(key, kSecret, "wh_1"), box);  // a fresh nonce every time
}

TEST(SecretBox, AWrongKeyContextOrTamperedBoxDoesNotOpen) {
  std::string key(kSecretBoxKeySize, '\x07');
  std::string box = SealSecret(key, kSecret, "wh_1");
  EXPECT_FALSE(OpenSecret(std::string(kSecretBoxKeySize, '\x08'), box, "wh_1").ok());
  EXPECT_FALSE(OpenSecret(key, box, "wh_2").ok());
  std::string tampered = box;
  tampered[14] ^= 1;
  EXPECT_FALSE(OpenSecret(key, tampered, "wh_1").ok());
  EXPECT_FALSE(OpenSecret(key, box.substr(0, 20), "wh_1").ok());
}

}  // namespace
}  // namespace flare

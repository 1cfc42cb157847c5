// flarectl webhooks against a real flared: the whole life of an endpoint, and `verify`
// checking a delivery a receiver got (valid, tampered body, old timestamp).

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/integration/webhook_receiver.h"
#include "tests/testutil/flared_process.h"

namespace flare::testing {
namespace {

using json = nlohmann::json;

TEST(CliWebhooks, CreateTestRotateListUpdateDelete) {
  WebhookReceiver receiver;
  FlaredProcess flared({"--allow-private-targets", "--webhook-timeout-ms", "2000"});
  auto created =
      flared.Flarectl({"-o", "json", "webhooks", "create", "--url", receiver.Url("/cli"), "--event",
                       "job.completed", "--event", "job.failed", "--description", "from the cli"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  json webhook = json::parse(created.out);
  std::string id = webhook["id"];
  EXPECT_EQ(webhook["secret"].get<std::string>().rfind("whsec_", 0), 0u);
  EXPECT_NE(created.err.find("shown only now"), std::string::npos);

  auto tested = flared.Flarectl({"-o", "json", "webhooks", "test", id});
  ASSERT_EQ(tested.exit_code, 0) << tested.err;
  EXPECT_EQ(json::parse(tested.out)["status"], "succeeded");

  auto rotated =
      flared.Flarectl({"-o", "json", "webhooks", "rotate-secret", id, "--overlap-seconds", "60"});
  ASSERT_EQ(rotated.exit_code, 0) << rotated.err;
  EXPECT_NE(json::parse(rotated.out)["secret"], webhook["secret"]);

  auto listed = flared.Flarectl({"-o", "id", "webhooks", "list"});
  EXPECT_EQ(listed.out, id + "\n");
  auto deliveries = flared.Flarectl({"-o", "json", "webhooks", "deliveries", id});
  ASSERT_EQ(deliveries.exit_code, 0) << deliveries.err;
  EXPECT_NE(deliveries.out.find("webhook.test"), std::string::npos);

  auto disabled = flared.Flarectl({"-o", "json", "webhooks", "update", id, "--disable"});
  ASSERT_EQ(disabled.exit_code, 0) << disabled.err;
  EXPECT_EQ(json::parse(disabled.out)["enabled"], false);
  auto got = flared.Flarectl({"-o", "json", "webhooks", "get", id});
  EXPECT_FALSE(json::parse(got.out).contains("secret"));

  EXPECT_EQ(flared.Flarectl({"webhooks", "delete", id}).exit_code, 2) << "needs --yes";
  EXPECT_EQ(flared.Flarectl({"webhooks", "delete", id, "--yes"}).exit_code, 0);
  EXPECT_EQ(flared.Flarectl({"webhooks", "get", id}).exit_code, 3);
}

TEST(CliWebhooks, VerifyAcceptsAGoodDeliveryAndSaysWhatIsWrongWithABadOne) {
  WebhookReceiver receiver;
  FlaredProcess flared({"--allow-private-targets", "--webhook-timeout-ms", "2000"});
  auto created =
      flared.Flarectl({"-o", "json", "webhooks", "create", "--url", receiver.Url("/verify")});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  json webhook = json::parse(created.out);
  std::string secret = webhook["secret"];
  ASSERT_EQ(flared.Flarectl({"webhooks", "test", webhook["id"]}).exit_code, 0);
  ASSERT_TRUE(receiver.WaitForCount("/verify", 1));
  ReceivedDelivery d = receiver.Received("/verify")[0];

  auto body_file = flared.data_dir() / "body.json";
  std::ofstream(body_file, std::ios::binary) << d.body;
  auto headers_file = flared.data_dir() / "headers.txt";
  std::ofstream(headers_file) << "POST /verify HTTP/1.1\r\nwebhook-id: " << d.id
                              << "\r\nWebhook-Timestamp: " << d.timestamp
                              << "\r\nwebhook-signature: " << d.signature << "\r\n\r\n";
  auto good =
      flared.Flarectl({"webhooks", "verify", "--secret", secret, "--id", d.id, "--timestamp",
                       d.timestamp, "--signature", d.signature, "--body", body_file.string()});
  EXPECT_EQ(good.exit_code, 0) << good.err;
  EXPECT_NE(good.out.find("valid"), std::string::npos);
  auto from_headers = flared.Flarectl({"webhooks", "verify", "--secret", secret, "--headers",
                                       headers_file.string(), "--body", body_file.string()});
  EXPECT_EQ(from_headers.exit_code, 0) << from_headers.err;

  std::ofstream(body_file, std::ios::binary) << d.body << " ";
  auto tampered = flared.Flarectl({"webhooks", "verify", "--secret", secret, "--headers",
                                   headers_file.string(), "--body", body_file.string()});
  EXPECT_NE(tampered.exit_code, 0);
  EXPECT_NE(tampered.err.find("bad signature"), std::string::npos) << tampered.err;

  std::ofstream(body_file, std::ios::binary) << d.body;
  auto old = flared.Flarectl({"webhooks", "verify", "--secret", secret, "--id", d.id, "--timestamp",
                              std::to_string(std::stoll(d.timestamp) - 3600), "--signature",
                              d.signature, "--body", body_file.string()});
  EXPECT_NE(old.exit_code, 0);
  EXPECT_NE(old.err.find("too old"), std::string::npos) << old.err;
}

}  // namespace
}  // namespace flare::testing

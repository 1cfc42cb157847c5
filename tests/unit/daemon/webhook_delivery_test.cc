// Webhook delivery pieces that need no network: the retry schedule, the key file, which
// secrets sign during a rotation overlap, and the claim query's fairness between endpoints.

#include <sys/stat.h>

#include <fstream>

#include "common/ids.h"
#include "common/secret_box.h"
#include "common/webhook_signing.h"
#include "daemon/service/webhook_delivery_service.h"
#include "daemon/service/webhook_secrets.h"
#include "daemon/store/webhook_repository.h"
#include "tests/unit/daemon/service_fixture.h"

namespace flare::daemon {
namespace {

using namespace std::chrono_literals;

TEST(WebhookRetryDelay, DoublesFromTheBaseWithJitterAndStopsAtTheCap) {
  WebhookDeliveryOptions options;  // base 5 s, cap 2 h
  EXPECT_EQ(WebhookRetryDelay(options, 1, 1.0), 5000ms);
  EXPECT_EQ(WebhookRetryDelay(options, 1, 0.0), 2500ms);  // jitter spreads over [d/2, d]
  EXPECT_EQ(WebhookRetryDelay(options, 2, 0.0), 5000ms);
  EXPECT_EQ(WebhookRetryDelay(options, 3, 0.0), 10000ms);
  EXPECT_EQ(WebhookRetryDelay(options, 30, 0.0), std::chrono::milliseconds(3600'000));
  EXPECT_LE(WebhookRetryDelay(options, 30, 1.0), std::chrono::milliseconds(7200'000));
  // The schedule reaches the 24 h window in a couple of dozen attempts, not thousands.
  std::chrono::milliseconds total{0};
  int attempts = 0;
  while (total < options.retry_window && attempts < 1000)
    total += WebhookRetryDelay(options, ++attempts, 0.5);
  EXPECT_LT(attempts, 30);
  EXPECT_GT(attempts, 10);
}

TEST(WebhookRetryDelay, ScalesWithTheBase) {
  WebhookDeliveryOptions options;
  options.retry_base = 100ms;
  EXPECT_EQ(WebhookRetryDelay(options, 1, 1.0), 100ms);
  EXPECT_EQ(WebhookRetryDelay(options, 3, 1.0), 400ms);
}

TEST(WebhookKeyFile, IsCreatedPrivateOnceAndReadBackTheSame) {
  testing::TempDir dir;
  auto first = LoadOrCreateWebhookKey(dir.path().string());
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->size(), kSecretBoxKeySize);
  struct stat st {};
  ASSERT_EQ(::stat((dir.path() / "webhook.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto second = LoadOrCreateWebhookKey(dir.path().string());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*first, *second);
}

TEST(WebhookKeyFile, AKeyFileOfTheWrongSizeIsRefused) {
  testing::TempDir dir;
  std::ofstream(dir.path() / "webhook.key") << "short";
  auto key = LoadOrCreateWebhookKey(dir.path().string());
  ASSERT_FALSE(key.ok());
  EXPECT_NE(key.error().message.find("32-byte"), std::string::npos);
}

TEST(WebhookSecretsTest, ThePreviousSecretSignsOnlyUntilItsOverlapEnds) {
  WebhookSecrets secrets(std::string(kSecretBoxKeySize, 'k'));
  TimePoint now = *ParseTime("2026-03-08T06:00:00Z");
  std::string current = NewWebhookSecret(), previous = NewWebhookSecret();
  WebhookRecord webhook;
  webhook.id = "wh_1";
  webhook.secret_box = secrets.Seal(webhook.id, current);
  webhook.previous_secret_box = secrets.Seal(webhook.id, previous);
  webhook.previous_secret_expires_at = now + 60s;
  auto during = secrets.SigningKeys(webhook, now);
  ASSERT_TRUE(during.ok());
  ASSERT_EQ(during->size(), 2u);
  EXPECT_EQ((*during)[0], *WebhookSecretKey(current));
  EXPECT_EQ((*during)[1], *WebhookSecretKey(previous));
  auto after = secrets.SigningKeys(webhook, now + 60s);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->size(), 1u);
  // Another key (a database copied without its key file) opens nothing.
  WebhookSecrets other(std::string(kSecretBoxKeySize, 'x'));
  EXPECT_FALSE(other.SigningKeys(webhook, now).ok());
}

class DueDeliveriesTest : public ServiceTest {
 protected:
  void Insert(const std::string& webhook_id, int count) {
    ASSERT_TRUE(writer_
                    .Run<Ok>([&](Tx& tx) -> Status {
                      WebhookRecord webhook;
                      webhook.id = webhook_id;
                      webhook.project_id = kProject;
                      webhook.url = "http://127.0.0.1:1/";
                      webhook.events = {"*"};
                      webhook.secret_box = "box";
                      webhook.created_at = webhook.updated_at = tx.now();
                      InsertWebhook(tx.conn(), webhook);
                      for (int i = 0; i < count; ++i) {
                        DeliveryRecord d;
                        d.id = NewId("whd", tx.now());
                        d.webhook_id = webhook_id;
                        d.project_id = kProject;
                        d.event_type = "job.completed";
                        d.payload = "{}";
                        d.next_attempt_at = tx.now();
                        d.created_at = tx.now();
                        InsertDelivery(tx.conn(), d);
                      }
                      return Ok{};
                    })
                    .ok());
  }
  std::vector<DeliveryRecord> Due(int per_webhook, int limit, std::set<std::string> exclude = {}) {
    auto reader = readers_.Borrow();
    return DueDeliveries(*reader, clock_.Now(), per_webhook, limit, exclude);
  }
};

TEST_F(DueDeliveriesTest, OneEndpointsBacklogDoesNotCrowdOutAnother) {
  Insert("wh_slow", 50);
  Insert("wh_fast", 2);
  auto due = Due(8, 100);
  ASSERT_EQ(due.size(), 10u);
  EXPECT_EQ(std::count_if(due.begin(), due.end(),
                          [](const DeliveryRecord& d) { return d.webhook_id == "wh_fast"; }),
            2);
  auto without_slow = Due(8, 100, {"wh_slow"});
  ASSERT_EQ(without_slow.size(), 2u);
  EXPECT_EQ(without_slow[0].webhook_id, "wh_fast");
  auto reader = readers_.Borrow();
  EXPECT_TRUE(EarliestDeliveryDue(*reader, {}).has_value());
  EXPECT_TRUE(EarliestDeliveryDue(*reader, {"wh_slow"}).has_value());
  EXPECT_FALSE(EarliestDeliveryDue(*reader, {"wh_slow", "wh_fast"}).has_value());
}

}  // namespace
}  // namespace flare::daemon

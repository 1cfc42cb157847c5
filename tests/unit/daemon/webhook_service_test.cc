// The webhook service over a real database: tenancy (another project's endpoint answers
// exactly like a missing one) and the outbox (a job change writes its delivery rows in its
// own transaction and wakes the sender after the commit).

#include "daemon/service/webhook_service.h"

#include "daemon/store/webhook_repository.h"
#include "tests/unit/daemon/service_fixture.h"

namespace flare::daemon {
namespace {

class FakeSender final : public DeliverySender {
 public:
  void Wake() override { ++wakes; }
  void SendNow(DeliveryCall call, std::function<void()> recorded) override {
    sent.push_back(call.delivery.id);
    recorded();
  }
  int wakes = 0;
  std::vector<std::string> sent;
};

// Routes events to the outbox, as flared's notifier does.
class OutboxNotifier final : public WorkNotifier {
 public:
  explicit OutboxNotifier(EventObserver& outbox) : outbox_(outbox) {}
  void WorkerRunReady(const std::string&, const std::string&, const std::string&) override {}
  void HttpRunReady(const PendingHttpRun&) override {}
  void WakeAt(TimePoint) override {}
  void RunCancelled(const std::string&) override {}
  EventObserver* events() override { return &outbox_; }

 private:
  EventObserver& outbox_;
};

class WebhookServiceTest : public ServiceTest {
 protected:
  std::vector<DeliveryRecord> DeliveriesOf(const std::string& webhook_id) {
    auto reader = readers_.Borrow();
    return ListDeliveries(*reader, webhook_id, std::nullopt, 100);
  }

  FakeSender sender_;
  WebhookSecrets secrets_{std::string(32, 's')};
  WebhookOutbox outbox_{sender_};
  OutboxNotifier hooked_{outbox_};
  ServiceContext hooked_context_{writer_, readers_, clock_, hooked_};
  JobService hooked_jobs_{hooked_context_};
  WorkerService hooked_workers_{hooked_context_};
  WebhookDeliveryService deliveries_{context_, secrets_, outbox_, WebhookDeliveryOptions{}};
  WebhookService webhooks_{context_, secrets_, outbox_, deliveries_, sender_};
};

TEST_F(WebhookServiceTest, AnotherProjectsWebhookAnswersExactlyLikeAMissingOne) {
  auto created = webhooks_.Create(kProject, {{"url", "https://example.com/h"}, {"events", {"*"}}});
  ASSERT_TRUE(created.ok()) << created.error().message;
  std::string id = created->webhook.id;
  const std::string other = "prj_other";
  auto refusal = [](const auto& answer) -> std::optional<Error> {
    if (answer.ok()) return std::nullopt;
    return answer.error();
  };
  std::vector<std::optional<Error>> refusals = {
      refusal(webhooks_.Get(other, id)),
      refusal(webhooks_.Update(other, id, {{"enabled", false}})),
      refusal(webhooks_.RotateSecret(other, id, nlohmann::json::object())),
      refusal(webhooks_.Test(other, id)),
      refusal(webhooks_.Deliveries(other, id, "", 50)),
      refusal(webhooks_.Delete(other, id)),
  };
  auto missing = webhooks_.Get(kProject, "wh_01HYX3K7M8N9P2Q4R5S6T7U8V9");
  ASSERT_FALSE(missing.ok());
  for (const auto& error : refusals) {
    ASSERT_TRUE(error.has_value());
    EXPECT_EQ(error->code, ErrorCode::kNotFound);
    EXPECT_EQ(error->message, "webhook " + id + " does not exist");
  }
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(sender_.sent.empty());
  EXPECT_TRUE(webhooks_.Get(kProject, id).ok()) << "untouched by the other project";
  auto list = webhooks_.List(other, "", 50);
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->items.empty());
}

TEST_F(WebhookServiceTest, AJobChangeWritesItsDeliveryAndWakesTheSenderAfterCommit) {
  auto created =
      webhooks_.Create(kProject, {{"url", "https://example.com/h"}, {"events", {"job.completed"}}});
  ASSERT_TRUE(created.ok());
  std::string id = created->webhook.id;
  auto job = hooked_jobs_.Create(kProject, {{"job_type", "t"}, {"payload", {{"n", 1}}}}, "");
  ASSERT_TRUE(job.ok());
  PollRequest poll{"w1", {"default"}, {}, 1, 0};
  nlohmann::json claims =
      nlohmann::json::parse(PollAnswerText(hooked_workers_.Claim(kProject, poll).value()))["jobs"];
  ASSERT_EQ(claims.size(), 1u);
  EXPECT_TRUE(DeliveriesOf(id).empty()) << "run.started is not subscribed";
  nlohmann::json ack = {{"job_id", claims[0]["id"]},
                        {"run_id", claims[0]["run_id"]},
                        {"lease_id", claims[0]["lease_id"]},
                        {"worker_id", "w1"},
                        {"status", "succeeded"}};
  ASSERT_TRUE(hooked_workers_.Ack(kProject, ack).ok());
  auto rows = DeliveriesOf(id);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].event_type, "job.completed");
  EXPECT_EQ(rows[0].status, "pending");
  auto body = nlohmann::json::parse(rows[0].payload);
  EXPECT_EQ(body["type"], "job.completed");
  EXPECT_EQ(body["data"]["id"], claims[0]["id"]);
  EXPECT_EQ(body["data"]["run"]["state"], "succeeded");
  EXPECT_EQ(sender_.wakes, 1);

  // Disabled: the cache forgets it, and no row is written any more.
  ASSERT_TRUE(webhooks_.Update(kProject, id, {{"enabled", false}}).ok());
  auto second = hooked_jobs_.Create(kProject, {{"job_type", "t"}, {"payload", {{"n", 2}}}}, "");
  claims =
      nlohmann::json::parse(PollAnswerText(hooked_workers_.Claim(kProject, poll).value()))["jobs"];
  ASSERT_EQ(claims.size(), 1u);
  ack["job_id"] = claims[0]["id"];
  ack["run_id"] = claims[0]["run_id"];
  ack["lease_id"] = claims[0]["lease_id"];
  ASSERT_TRUE(hooked_workers_.Ack(kProject, ack).ok());
  EXPECT_EQ(DeliveriesOf(id).size(), 1u);
}

TEST_F(WebhookServiceTest, TestSendsASignedLeasedDeliveryThroughTheSender) {
  auto created = webhooks_.Create(kProject, {{"url", "https://example.com/h"}, {"events", {"*"}}});
  ASSERT_TRUE(created.ok());
  auto delivery = webhooks_.Test(kProject, created->webhook.id);
  ASSERT_TRUE(delivery.ok()) << delivery.error().message;
  EXPECT_EQ(delivery->event_type, "webhook.test");
  ASSERT_EQ(sender_.sent.size(), 1u);
  EXPECT_EQ(sender_.sent[0], delivery->id);
}

}  // namespace
}  // namespace flare::daemon

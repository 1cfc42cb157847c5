#include "daemon/service/webhook_delivery_service.h"

#include "common/backoff.h"
#include "common/ids.h"
#include "common/webhook_signing.h"
#include "daemon/log.h"
#include "daemon/service/usage_service.h"
#include "daemon/service/webhook_outbox.h"

namespace flare::daemon {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;
using std::chrono::seconds;

// Past the timeout, time for the outcome to be recorded before another sender may take over.
constexpr milliseconds kLeaseMargin{30'000};

bool IsSuccess(int status) { return status >= 200 && status < 300; }

std::string AttemptError(const HttpCallOutcome& outcome) {
  if (outcome.failure != FailureReason::kNone) {
    return std::string(FailureReasonName(outcome.failure)) + ": " + outcome.error_message;
  }
  std::string text = "the endpoint answered " + std::to_string(outcome.status);
  if (outcome.status >= 300 && outcome.status < 400)
    text += " (redirects are not followed: answer 2xx at the registered url)";
  return text;
}

}  // namespace

milliseconds WebhookRetryDelay(const WebhookDeliveryOptions& options, int failed_attempts,
                               double unit_random) {
  // RetryDelay counts in seconds; one "second" of this policy is one retry_base.
  RetryPolicy policy;
  policy.strategy = RetryStrategy::kExponential;
  policy.initial_delay_seconds = 1;
  policy.max_delay_seconds = std::max<int64_t>(1, options.retry_max / options.retry_base);
  policy.jitter = true;
  milliseconds units = RetryDelay(policy, failed_attempts, unit_random);
  return milliseconds(units.count() * options.retry_base.count() / 1000);
}

Result<int> WebhookDeliveryService::ReleaseLeases() {
  return ctx_.writer.Run<int>([&](Tx& tx) -> Result<int> {
    return tx.webhooks().ReleaseLostNodesDeliveryLeases(options_.node_id,
                                                        tx.now() - kNodeSilenceLimit, tx.now());
  });
}

Result<DeliveryCall> WebhookDeliveryService::Prepare(Tx& tx, const WebhookRecord& webhook,
                                                     DeliveryRecord& delivery) {
  auto keys = secrets_.SigningKeys(webhook, tx.now());
  if (!keys) return keys.error();
  milliseconds lease = options_.timeout + kLeaseMargin;
  delivery.lease_id = RandomHex(8);
  delivery.lease_expires_at = tx.now() + lease;
  delivery.node_id = options_.node_id;
  delivery.next_attempt_at = delivery.lease_expires_at;
  DeliveryCall call;
  int64_t timestamp = duration_cast<seconds>(tx.now().time_since_epoch()).count();
  call.spec.method = "POST";
  call.spec.url = webhook.url;
  call.spec.body = delivery.payload;
  call.spec.timeout = options_.timeout;
  call.spec.max_redirects = 0;
  call.spec.headers = {
      {"Content-Type", "application/json"},
      {"webhook-id", delivery.id},
      {"webhook-timestamp", std::to_string(timestamp)},
      {"webhook-signature",
       WebhookSignatureHeader(*keys, delivery.id, timestamp, delivery.payload)},
  };
  call.delivery = delivery;
  return call;
}

std::set<std::string> WebhookDeliveryService::Full(
    const std::map<std::string, int>& in_flight) const {
  std::set<std::string> full;
  for (const auto& [id, count] : in_flight)
    if (count >= options_.per_endpoint_in_flight) full.insert(id);
  return full;
}

Result<std::vector<DeliveryCall>> WebhookDeliveryService::ClaimIn(
    Tx& tx, int limit, std::map<std::string, int>& in_flight) {
  std::vector<DeliveryCall> calls;
  std::map<std::string, std::optional<WebhookRecord>> endpoints;
  auto due = tx.webhooks().DueDeliveries(tx.now(), options_.per_endpoint_in_flight, limit,
                                         Full(in_flight));
  for (DeliveryRecord& delivery : due) {
    if (in_flight[delivery.webhook_id] >= options_.per_endpoint_in_flight) continue;
    auto found = endpoints.find(delivery.webhook_id);
    if (found == endpoints.end()) {
      found = endpoints
                  .emplace(delivery.webhook_id,
                           tx.webhooks().Find(delivery.project_id, delivery.webhook_id))
                  .first;
    }
    const auto& webhook = found->second;
    if (!webhook || !webhook->enabled) {
      delivery.status = "failed";
      delivery.next_attempt_at.reset();
      delivery.completed_at = tx.now();
      delivery.last_error =
          "the webhook is disabled" + (webhook ? ": " + webhook->disabled_reason : std::string());
      tx.webhooks().SaveDelivery(delivery);
      continue;
    }
    auto call = Prepare(tx, *webhook, delivery);
    if (!call) return call.error();
    tx.webhooks().SaveDelivery(delivery);
    ++in_flight[delivery.webhook_id];
    calls.push_back(std::move(*call));
  }
  return calls;
}

Result<DeliveryTurn> WebhookDeliveryService::Turn(const std::vector<DeliveryResult>& results,
                                                  int limit, std::map<std::string, int> in_flight) {
  return ctx_.writer.Run<DeliveryTurn>([&](Tx& tx) -> Result<DeliveryTurn> {
    // Counted on a copy: the body may run again after a failed attempt, from the same start.
    std::map<std::string, int> flight = in_flight;
    DeliveryTurn turn;
    turn.statuses.resize(results.size());
    for (size_t i = 0; i < results.size(); ++i) {
      if (auto recorded = RecordOne(tx, results[i], turn.statuses[i]); !recorded)
        return recorded.error();
    }
    if (limit > 0) {
      auto calls = ClaimIn(tx, limit, flight);
      if (!calls) return calls.error();
      turn.calls = std::move(*calls);
    }
    turn.next_due = tx.webhooks().EarliestDeliveryDue(Full(flight));
    return turn;
  });
}

Status WebhookDeliveryService::RecordOne(Tx& tx, const DeliveryResult& result,
                                         std::string& status) {
  const HttpCallOutcome& outcome = result.outcome;
  auto stored = tx.webhooks().FindDelivery(result.call.delivery.id);
  // Deleted with its endpoint, or claimed anew after this lease lapsed: not ours to record.
  if (!stored || stored->status != "pending" || stored->lease_id != result.call.delivery.lease_id)
    return Ok{};
  DeliveryRecord& d = *stored;
  ++d.attempts;
  d.lease_id.clear();
  d.lease_expires_at.reset();
  d.last_latency_ms = outcome.trace.total_ms;
  if (outcome.status > 0)
    d.last_response_code = outcome.status;
  else
    d.last_response_code.reset();
  bool success = outcome.failure == FailureReason::kNone && IsSuccess(outcome.status);
  d.last_error = success ? std::string() : AttemptError(outcome);
  if (success) {
    d.status = "succeeded";
  } else if (outcome.status == 410) {
    d.status = "failed";
    auto webhook = tx.webhooks().Find(d.project_id, d.webhook_id);
    if (webhook && webhook->enabled) {
      webhook->enabled = false;
      webhook->disabled_reason = "the endpoint answered 410 Gone at " + FormatTime(tx.now()) +
                                 "; re-enable it once it accepts deliveries again";
      webhook->updated_at = tx.now();
      tx.webhooks().Save(*webhook);
      tx.webhooks().FailPendingDeliveries(d.webhook_id, "the webhook was disabled (410 Gone)",
                                          tx.now());
      outbox_.InvalidateWith(tx, d.project_id);
      LogWarn("webhook disabled: its endpoint answered 410 Gone", {{"webhook_id", d.webhook_id}});
    }
  } else {
    milliseconds delay = outcome.retry_after
                             ? duration_cast<milliseconds>(*outcome.retry_after)
                             : WebhookRetryDelay(options_, d.attempts, UnitRandom());
    TimePoint next = tx.now() + delay;
    if (next > d.created_at + options_.retry_window) {
      d.status = "failed";
      d.last_error += "; gave up: no attempt left within the retry window";
    } else {
      d.next_attempt_at = next;
    }
  }
  if (d.status != "pending") {
    d.next_attempt_at.reset();
    d.completed_at = tx.now();
  }
  tx.webhooks().SaveDelivery(d);
  status = d.status;
  // Every attempt made is a delivery in the usage (it is what a receiver sees), counted in
  // the same transaction as its outcome.
  UsageService::CountWebhookDelivery(tx, d.project_id);
  if (count_attempt_) {
    std::string ended = d.status == "pending" ? "retry" : d.status;
    tx.OnCommit(
        [&count = count_attempt_, project = d.project_id, ended] { count(project, ended); });
  }
  return Ok{};
}

}  // namespace flare::daemon

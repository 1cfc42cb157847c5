#pragma once
// The domain side of webhook deliveries: claiming due rows with a lease, signing them, and
// recording how each attempt ended (retry with backoff and jitter for 24 h, give up, or
// disable an endpoint that answered 410 Gone). The delivery engine performs the calls in
// between; like HttpRunService it passes HttpCallSpec/HttpCallOutcome as plain data.
//
// A claim has the shape of a worker run's lease: it sets lease_id and lease_expires_at and
// pushes next_attempt_at to the lease expiry. A sender that dies leaves the row pending and
// due again when the lease lapses (at start flared releases every lease at once), so a
// delivery is sent at least once, always with the same webhook-id (its own id).

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "daemon/service/context.h"
#include "daemon/service/node_service.h"
#include "daemon/service/webhook_secrets.h"
#include "daemon/store/webhook_store.h"
#include "daemon/transport/http_transport.h"

namespace flare::daemon {

class WebhookOutbox;

struct WebhookDeliveryOptions {
  std::chrono::milliseconds timeout{10'000};  // one attempt, connect to last byte
  /// Backoff: base · 2^(attempt-1), at most retry_max, jittered over [d/2, d].
  std::chrono::milliseconds retry_base{5'000};
  std::chrono::milliseconds retry_max{std::chrono::hours(2)};
  /// No attempt starts later than this after the delivery was created.
  std::chrono::milliseconds retry_window{std::chrono::hours(24)};
  int per_endpoint_in_flight = 8;  // a slow endpoint holds at most this many calls
  int max_in_flight = 256;         // every endpoint together
  std::string node_id;             // this flared's node, named on every lease it takes
};

/// The delay before the attempt after `failed_attempts` failures (common/backoff.h).
std::chrono::milliseconds WebhookRetryDelay(const WebhookDeliveryOptions& options,
                                            int failed_attempts, double unit_random);

/// A claimed delivery and the signed request that carries it.
struct DeliveryCall {
  DeliveryRecord delivery;
  HttpCallSpec spec;
};

struct DeliveryResult {
  DeliveryCall call;
  HttpCallOutcome outcome;
};

struct DeliveryTurn {
  /// Per result: "succeeded", "pending" (retry scheduled), "failed", or "" (lease lost).
  std::vector<std::string> statuses;
  std::vector<DeliveryCall> calls;  // claimed, to perform now
  OptTime next_due;
};

/// The engine, as the domain sees it. Both calls only hand off and never block.
class DeliverySender {
 public:
  virtual ~DeliverySender() = default;
  /// New delivery rows were committed.
  virtual void Wake() = 0;
  /// Performs a delivery claimed by someone else (a test send) now; `recorded` runs once its
  /// outcome is stored (not at all if flared stops first).
  virtual void SendNow(DeliveryCall call, std::function<void()> recorded) = 0;
};

class WebhookDeliveryService {
 public:
  WebhookDeliveryService(ServiceContext context, const WebhookSecrets& secrets,
                         WebhookOutbox& outbox, WebhookDeliveryOptions options)
      : ctx_(context), secrets_(secrets), outbox_(outbox), options_(options) {}

  /// Told, after commit, of every attempt that ended: its project and outcome
  /// ("succeeded", "retry" or "failed"). For metrics; set before the engine starts.
  using AttemptCounter =
      std::function<void(const std::string& project_id, const std::string& outcome)>;
  void CountAttemptsWith(AttemptCounter counter) { count_attempt_ = std::move(counter); }

  const WebhookDeliveryOptions& options() const { return options_; }
  /// At start: deliveries claimed by a lost node (a previous flared on this database, or a
  /// node that stopped or went silent) are due now; returns how many.
  Result<int> ReleaseLeases();
  /// One turn of the engine, in one transaction: records `results`, then claims up to
  /// `limit` due deliveries (none of an endpoint with per_endpoint_in_flight calls in
  /// `in_flight` already), signs each, and tells when the next one of an endpoint with room
  /// is due.
  Result<DeliveryTurn> Turn(const std::vector<DeliveryResult>& results, int limit,
                            std::map<std::string, int> in_flight);

  /// Signs `delivery` for `webhook` now and leases it to the caller: the request to send.
  Result<DeliveryCall> Prepare(Tx& tx, const WebhookRecord& webhook, DeliveryRecord& delivery);

 private:
  Status RecordOne(Tx& tx, const DeliveryResult& result, std::string& status);
  Result<std::vector<DeliveryCall>> ClaimIn(Tx& tx, int limit,
                                            std::map<std::string, int>& in_flight);
  std::set<std::string> Full(const std::map<std::string, int>& in_flight) const;

  ServiceContext ctx_;
  const WebhookSecrets& secrets_;
  WebhookOutbox& outbox_;
  WebhookDeliveryOptions options_;
  AttemptCounter count_attempt_;
};

}  // namespace flare::daemon

#pragma once
// The webhook delivery engine: drains the outbox (webhook_delivery_service.h) through its
// own libcurl transport, which carries every call at once on one event-loop thread and
// applies the executor's egress guard.
//
// One loop thread does all bookkeeping. It sleeps until the earliest due delivery, a wake-up
// (new rows were committed) or a finished call, whichever comes first — never polling. Each
// turn it records every finished call and claims due rows, then starts them. A slow endpoint cannot
// hold up the others: it has at most per_endpoint_in_flight calls at once, its due rows are not
// claimed while it is full, and the earliest-due time the loop sleeps until ignores it. A turn
// records and claims in one transaction, so a busy engine costs one commit per turn, not one per
// delivery. The API is never held up either: the writer only ever sees short claim and record
// transactions, and Wake/SendNow only hand off. At stop, calls still in flight after the grace
// period are abandoned unrecorded; their leases make them due again at the next start, with the
// same webhook-id.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "daemon/service/webhook_delivery_service.h"
#include "daemon/transport/http_transport.h"

namespace flare::daemon {

class DeliveryEngine final : public DeliverySender {
 public:
  DeliveryEngine(WebhookDeliveryService& service, std::unique_ptr<HttpTransport> transport);
  ~DeliveryEngine() override;

  /// Releases the leases a previous flared left and starts the loop.
  void Start();
  /// Waits up to `grace` for calls in flight, then abandons the rest and joins the loop.
  void Stop(std::chrono::milliseconds grace);

  void Wake() override;
  void SendNow(DeliveryCall call, std::function<void()> recorded) override;

  /// Deliveries that ended succeeded / failed for good since start (for metrics).
  uint64_t delivered() const { return delivered_.load(); }
  uint64_t failed() const { return failed_.load(); }
  /// Attempts that failed and were scheduled again.
  uint64_t retried() const { return retried_.load(); }

 private:
  struct Flight {
    DeliveryCall call;
    std::function<void()> recorded;
  };
  struct Finished {
    HttpTransport::CallId id = 0;
    HttpCallOutcome outcome;
  };

  void Loop();
  void RunTurn(std::deque<Finished> finished, bool claim);
  void StartLocked(DeliveryCall call, std::function<void()> recorded);

  WebhookDeliveryService& service_;
  std::unique_ptr<HttpTransport> transport_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  bool woken_ = true;
  std::chrono::steady_clock::time_point next_wake_{};  // the earliest due row, or a rescan
  bool draining_ = false;
  bool stopping_ = false;
  std::deque<Finished> finished_;
  std::map<HttpTransport::CallId, Flight> flights_;
  std::map<std::string, int> in_flight_;  // webhook id → calls in flight
  HttpTransport::CallId next_call_id_ = 1;
  std::atomic<uint64_t> delivered_{0}, failed_{0}, retried_{0};
  std::thread thread_;
};

}  // namespace flare::daemon

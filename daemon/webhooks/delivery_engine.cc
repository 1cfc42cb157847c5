#include "daemon/webhooks/delivery_engine.h"

#include <set>

#include "common/clock.h"
#include "daemon/log.h"

namespace flare::daemon {
namespace {

using SteadyClock = std::chrono::steady_clock;
// After a failed claim or record (a transient database error), the loop tries again then.
constexpr std::chrono::seconds kRetryAfterError{1};
// Without anything due the loop still looks once in a while (a row no wake-up announced).
constexpr std::chrono::seconds kSafetyRescan{60};

}  // namespace

DeliveryEngine::DeliveryEngine(WebhookDeliveryService& service,
                               std::unique_ptr<HttpTransport> transport)
    : service_(service), transport_(std::move(transport)) {}

DeliveryEngine::~DeliveryEngine() { Stop(std::chrono::milliseconds(0)); }

void DeliveryEngine::Start() {
  if (auto released = service_.ReleaseLeases(); released.ok() && *released > 0) {
    LogInfo("webhook deliveries interrupted by a stop are due again",
            {{"deliveries", std::to_string(*released)}});
  }
  thread_ = std::thread([this] { Loop(); });
}

void DeliveryEngine::Stop(std::chrono::milliseconds grace) {
  {
    std::unique_lock lock(mutex_);
    if (stopping_) return;
    draining_ = true;
    changed_.notify_all();
    changed_.wait_for(lock, grace, [&] { return flights_.empty(); });
    stopping_ = true;
    changed_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  transport_->Shutdown();
}

void DeliveryEngine::Wake() {
  std::lock_guard lock(mutex_);
  woken_ = true;
  changed_.notify_all();
}

void DeliveryEngine::SendNow(DeliveryCall call, std::function<void()> recorded) {
  std::lock_guard lock(mutex_);
  if (stopping_) return;
  StartLocked(std::move(call), std::move(recorded));
}

void DeliveryEngine::StartLocked(DeliveryCall call, std::function<void()> recorded) {
  HttpTransport::CallId id = next_call_id_++;
  ++in_flight_[call.delivery.webhook_id];
  HttpCallSpec spec = call.spec;
  flights_.emplace(id, Flight{std::move(call), std::move(recorded)});
  transport_->Start(id, std::move(spec), [this, id](HttpCallOutcome outcome) {
    std::lock_guard lock(mutex_);
    finished_.push_back({id, std::move(outcome)});
    changed_.notify_all();
  });
}

void DeliveryEngine::Loop() {
  while (true) {
    std::deque<Finished> finished;
    bool claim = false;
    {
      std::unique_lock lock(mutex_);
      auto until = next_wake_;
      changed_.wait_until(lock, until, [&] { return stopping_ || woken_ || !finished_.empty(); });
      if (stopping_) return;
      finished.swap(finished_);
      claim = !draining_ && (woken_ || SteadyClock::now() >= until || !finished.empty());
      woken_ = false;
    }
    if (!finished.empty()) RecordFinished(std::move(finished));
    if (claim) ClaimAndStart();
  }
}

void DeliveryEngine::RecordFinished(std::deque<Finished> finished) {
  std::vector<DeliveryResult> results;
  std::vector<Flight> flights;
  {
    std::lock_guard lock(mutex_);
    for (Finished& done : finished) {
      auto it = flights_.find(done.id);
      if (it == flights_.end()) continue;
      results.push_back({it->second.call, std::move(done.outcome)});
      flights.push_back(std::move(it->second));
      flights_.erase(it);
    }
  }
  auto statuses = service_.Record(results);
  if (!statuses) {
    // Left pending and leased: the lease lapses and the delivery is sent again.
    LogWarn("cannot record webhook deliveries", {{"error", statuses.error().message}});
  } else {
    for (const std::string& status : *statuses) {
      if (status == "succeeded") ++delivered_;
      if (status == "failed") ++failed_;
      if (status == "pending") ++retried_;
    }
  }
  std::lock_guard lock(mutex_);
  for (Flight& flight : flights) {
    if (--in_flight_[flight.call.delivery.webhook_id] <= 0)
      in_flight_.erase(flight.call.delivery.webhook_id);
    if (flight.recorded) flight.recorded();
  }
  changed_.notify_all();  // Stop may be waiting for the last flight
}

void DeliveryEngine::ClaimAndStart() {
  std::map<std::string, int> in_flight;
  int room = 0;
  {
    std::lock_guard lock(mutex_);
    in_flight = in_flight_;
    room = service_.options().max_in_flight - static_cast<int>(flights_.size());
  }
  SteadyClock::time_point next = SteadyClock::now() + kSafetyRescan;
  if (room > 0) {
    auto calls = service_.Claim(room, in_flight);
    if (!calls) {
      LogWarn("cannot claim webhook deliveries", {{"error", calls.error().message}});
      next = SteadyClock::now() + kRetryAfterError;
    } else {
      std::lock_guard lock(mutex_);
      for (DeliveryCall& call : *calls) {
        if (call.delivery.id.empty()) continue;
        ++in_flight[call.delivery.webhook_id];
        StartLocked(std::move(call), nullptr);
      }
      // A full batch may have left more due rows behind: look again at once.
      if (static_cast<int>(calls->size()) == room) woken_ = true;
    }
  }
  std::set<std::string> full;
  for (const auto& [id, count] : in_flight)
    if (count >= service_.options().per_endpoint_in_flight) full.insert(id);
  if (OptTime due = service_.NextDue(full)) {
    auto wait =
        std::chrono::duration_cast<SteadyClock::duration>(*due - SystemClock::Instance().Now());
    next = std::min(next, SteadyClock::now() + std::max(wait, SteadyClock::duration::zero()));
  }
  std::lock_guard lock(mutex_);
  next_wake_ = next;
}

}  // namespace flare::daemon

#include "daemon/engines/delivery_engine.h"

#include "common/clock.h"
#include "common/thread_name.h"
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
  thread_ = NamedThread("deliveries", [this] { Loop(); });
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
      claim = !draining_;
      woken_ = false;
    }
    RunTurn(std::move(finished), claim);
  }
}

// Records what finished and claims what is due in one transaction (one commit per turn).
void DeliveryEngine::RunTurn(std::deque<Finished> finished, bool claim) {
  std::vector<DeliveryResult> results;
  std::vector<Flight> flights;
  std::map<std::string, int> in_flight;
  int room = 0;
  {
    std::lock_guard lock(mutex_);
    for (Finished& done : finished) {
      auto it = flights_.find(done.id);
      if (it == flights_.end()) continue;
      // The row stays leased until recorded, so freeing the slot first claims nothing twice.
      if (--in_flight_[it->second.call.delivery.webhook_id] <= 0)
        in_flight_.erase(it->second.call.delivery.webhook_id);
      results.push_back({it->second.call, std::move(done.outcome)});
      flights.push_back(std::move(it->second));
      flights_.erase(it);
    }
    in_flight = in_flight_;
    room = claim ? service_.options().max_in_flight - static_cast<int>(flights_.size()) : 0;
  }
  auto turn = service_.Turn(results, std::max(room, 0), in_flight);
  SteadyClock::time_point next = SteadyClock::now() + kSafetyRescan;
  if (!turn) {
    // What finished stays leased: the lease lapses and it is sent again (same webhook-id).
    LogWarn("cannot record or claim webhook deliveries", {{"error", turn.error().message}});
    next = SteadyClock::now() + kRetryAfterError;
  } else {
    for (const std::string& status : turn->statuses) {
      if (status == "succeeded") ++delivered_;
      if (status == "failed") ++failed_;
      if (status == "pending") ++retried_;
    }
    if (turn->next_due) {
      auto wait = std::chrono::duration_cast<SteadyClock::duration>(*turn->next_due -
                                                                    SystemClock::Instance().Now());
      next = std::min(next, SteadyClock::now() + std::max(wait, SteadyClock::duration::zero()));
    }
  }
  std::lock_guard lock(mutex_);
  for (Flight& flight : flights)
    if (flight.recorded) flight.recorded();
  if (turn) {
    for (DeliveryCall& call : turn->calls) StartLocked(std::move(call), nullptr);
  }
  next_wake_ = next;
  changed_.notify_all();  // Stop may be waiting for the last flight
}

}  // namespace flare::daemon

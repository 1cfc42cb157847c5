// The libcurl HttpTransport: one event-loop thread owns a curl multi handle and carries
// every call at once; the multi handle's connection cache keeps connections for reuse.
//
// Other threads never touch curl. Start and Cancel put the request in a queue under a
// short lock and wake the loop with curl_multi_wakeup, so neither can block on a call in
// progress (a cancel ends a call stuck in a TLS handshake at once). The loop takes both
// queues, adds and removes easy handles, lets curl work, and waits in curl_multi_poll
// until a socket, a curl timer or a wakeup needs it: no polling while idle.
//
// Redirects are followed here, hop by hop, not by curl: each hop is a new transfer on the
// call's easy handle, so every hop connects through the egress check (curl_call.cc), the
// job's own headers are dropped once a redirect leaves the job's origin (curl would keep
// custom headers), and an https → http redirect is not followed.

#include <curl/curl.h>
#include <strings.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include "common/clock.h"
#include "common/thread_name.h"
#include "daemon/log.h"
#include "daemon/transport/curl_call.h"
#include "daemon/transport/retry_after.h"

namespace flare::daemon {
namespace {

constexpr int kMaxRedirects = 5;
constexpr long kMaxCachedConnections = 256;
constexpr int kIdleWaitMs = 60'000;  // curl shortens it to its own next timer

using Instant = std::chrono::steady_clock::time_point;

bool IsRedirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

std::string HeaderValue(const HeaderList& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (key.size() == name.size() && strncasecmp(key.data(), name.data(), name.size()) == 0) {
      return value;
    }
  }
  return {};
}

// What the job set for its own origin does not travel to another one: credentials, API
// keys, anything. Only Content-Type stays while the body it describes is still sent.
void DropJobHeaders(HttpCallSpec& spec) {
  std::erase_if(spec.headers, [&](const auto& header) {
    return spec.body.empty() || strcasecmp(header.first.c_str(), "Content-Type") != 0;
  });
}

class CurlTransport final : public HttpTransport {
 public:
  CurlTransport(EgressPolicy policy, CurlTransportOptions options) : policy_(std::move(policy)) {
    for (const std::string& entry : options.fixed_names) {
      fixed_names_ = curl_slist_append(fixed_names_, entry.c_str());
    }
    multi_ = curl_multi_init();
    curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, kMaxCachedConnections);
    thread_ = NamedThread("http-calls", [this] { Loop(); });
  }

  ~CurlTransport() override {
    Shutdown();
    curl_multi_cleanup(multi_);
    curl_slist_free_all(fixed_names_);
  }

  void Start(CallId id, HttpCallSpec spec, Done done) override {
    auto call = std::make_unique<CurlCall>();
    call->id = id;
    call->spec = std::move(spec);
    call->done = std::move(done);
    call->start = std::chrono::steady_clock::now();
    call->deadline = call->start + call->spec.timeout;
    call->policy = &policy_;
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    bool wake = NothingQueued();
    starts_.push_back(std::move(call));
    if (wake) curl_multi_wakeup(multi_);
  }

  void Cancel(CallId id) override {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    bool wake = NothingQueued();
    cancels_.push_back(id);
    if (wake) curl_multi_wakeup(multi_);
  }

  void Shutdown() override {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      stopping_ = true;
      curl_multi_wakeup(multi_);
    }
    thread_.join();
  }

  int64_t connections_opened() const override { return connections_opened_.load(); }

 private:
  void Loop();
  void TakeRequests();
  void Begin(std::unique_ptr<CurlCall> call);
  // With mutex_ held. Only the first request queued since the loop last took them wakes
  // the loop: it takes every queued request at once, and a wake already sent is pending
  // until it does. The executor starts up to 256 calls under its own lock, one wake (a
  // syscall) each made that lock a long hold for the writer's hand-offs to wait on.
  bool NothingQueued() const { return starts_.empty() && cancels_.empty(); }
  void StartHop(CurlCall& call);
  void OnHopDone(CurlCall& call, CURLcode code);
  bool FollowRedirect(CurlCall& call);
  void Finish(CurlCall& call);
  void AbandonAll();

  EgressPolicy policy_;
  curl_slist* fixed_names_ = nullptr;
  CURLM* multi_ = nullptr;
  std::atomic<int64_t> connections_opened_{0};

  std::mutex mutex_;  // guards the three below
  std::vector<std::unique_ptr<CurlCall>> starts_;
  std::vector<CallId> cancels_;
  bool stopping_ = false;

  // The loop thread's alone.
  std::map<CallId, std::unique_ptr<CurlCall>> calls_;
  std::vector<CURL*> idle_easies_;
  std::thread thread_;  // last: starts once everything above exists
};

void CurlTransport::Loop() {
  while (true) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) break;
    }
    TakeRequests();
    int running = 0;
    curl_multi_perform(multi_, &running);
    int queued = 0;
    while (CURLMsg* message = curl_multi_info_read(multi_, &queued)) {
      if (message->msg != CURLMSG_DONE) continue;
      CurlCall* call = nullptr;
      curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &call);
      CURLcode code = message->data.result;
      curl_multi_remove_handle(multi_, message->easy_handle);
      OnHopDone(*call, code);
    }
    curl_multi_poll(multi_, nullptr, 0, kIdleWaitMs, nullptr);
  }
  AbandonAll();
}

void CurlTransport::TakeRequests() {
  std::vector<std::unique_ptr<CurlCall>> starts;
  std::vector<CallId> cancels;
  {
    std::lock_guard lock(mutex_);
    starts.swap(starts_);
    cancels.swap(cancels_);
  }
  // Starts first: a cancel taken in the same turn finds its call.
  for (auto& call : starts) Begin(std::move(call));
  for (CallId id : cancels) {
    auto it = calls_.find(id);
    if (it == calls_.end()) continue;  // already over
    CurlCall& call = *it->second;
    curl_multi_remove_handle(multi_, call.easy);
    call.outcome.status = 0;
    call.outcome.failure = FailureReason::kCancelled;
    call.outcome.error_message = "cancelled";
    Finish(call);
  }
}

void CurlTransport::Begin(std::unique_ptr<CurlCall> call) {
  CurlCall& ref = *call;
  if (idle_easies_.empty()) {
    ref.easy = curl_easy_init();
  } else {
    ref.easy = idle_easies_.back();
    idle_easies_.pop_back();
  }
  calls_[ref.id] = std::move(call);
  Result<HttpUrl> url = ParseHttpUrl(ref.spec.url);
  ref.outcome.final_url = ref.spec.url;
  if (!url.ok()) {
    ref.outcome.failure = FailureReason::kConnectionError;
    ref.outcome.error_message = "the url " + url.error().message;
    return Finish(ref);
  }
  ref.url = std::move(*url);
  ref.spec.max_redirects = std::clamp(ref.spec.max_redirects, 0, kMaxRedirects);
  StartHop(ref);
}

void CurlTransport::StartHop(CurlCall& call) {
  curl_easy_reset(call.easy);
  ConfigureHop(call, fixed_names_);
  if (CURLMcode added = curl_multi_add_handle(multi_, call.easy); added != CURLM_OK) {
    call.outcome.failure = FailureReason::kConnectionError;
    call.outcome.error_message =
        std::string("cannot start the request: ") + curl_multi_strerror(added);
    Finish(call);
  }
}

void CurlTransport::OnHopDone(CurlCall& call, CURLcode code) {
  RecordHop(call, code);
  long connects = 0;
  curl_easy_getinfo(call.easy, CURLINFO_NUM_CONNECTS, &connects);
  connections_opened_ += connects;
  ReleaseHop(call);
  if (call.outcome.failure == FailureReason::kNone && FollowRedirect(call)) return;
  HttpCallOutcome& outcome = call.outcome;
  if (outcome.failure == FailureReason::kNone && (outcome.status == 429 || outcome.status == 503)) {
    std::string value = HeaderValue(outcome.headers, "Retry-After");
    if (!value.empty()) outcome.retry_after = ParseRetryAfter(value, SystemClock::Instance().Now());
  }
  Finish(call);
}

// Starts the next hop when the answer is a redirect to follow; false when it is final.
bool CurlTransport::FollowRedirect(CurlCall& call) {
  HttpCallOutcome& outcome = call.outcome;
  std::string location = HeaderValue(outcome.headers, "Location");
  int limit = call.spec.max_redirects;
  if (!IsRedirect(outcome.status) || location.empty() || limit == 0) return false;
  if (outcome.redirects == limit) {
    outcome.error_message = "stopped after " + std::to_string(limit) + " redirects";
    return false;
  }
  Result<HttpUrl> next = ResolveLocation(call.url, location);
  if (!next.ok()) {
    outcome.failure = FailureReason::kConnectionError;
    outcome.error_message = "bad redirect: the Location " + next.error().message;
    return false;
  }
  if (call.url.https && !next->https) {
    outcome.error_message = "did not follow a redirect from https to http (a downgrade)";
    return false;
  }
  if (outcome.status == 303) {
    call.spec.method = "GET";
    call.spec.body.clear();
  }
  if (next->Origin() != call.url.Origin()) DropJobHeaders(call.spec);
  call.url = std::move(*next);
  ++outcome.redirects;
  StartHop(call);
  return true;
}

void CurlTransport::Finish(CurlCall& call) {
  call.outcome.trace.total_ms =
      std::max<int64_t>(0, std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now() - call.start)
                               .count());
  ReleaseHop(call);
  idle_easies_.push_back(call.easy);
  auto owned = std::move(calls_[call.id]);
  calls_.erase(call.id);
  owned->done(std::move(owned->outcome));
}

void CurlTransport::AbandonAll() {
  for (auto& [id, call] : calls_) {
    curl_multi_remove_handle(multi_, call->easy);
    ReleaseHop(*call);
    curl_easy_cleanup(call->easy);
  }
  calls_.clear();
  for (CURL* easy : idle_easies_) curl_easy_cleanup(easy);
  idle_easies_.clear();
  std::lock_guard lock(mutex_);
  starts_.clear();
}

}  // namespace

HttpCallOutcome PerformAndWait(HttpTransport& transport, HttpCallSpec spec) {
  static std::atomic<HttpTransport::CallId> next_id{1ULL << 62};
  std::promise<HttpCallOutcome> promise;
  std::future<HttpCallOutcome> future = promise.get_future();
  transport.Start(next_id++, std::move(spec),
                  [&promise](HttpCallOutcome outcome) { promise.set_value(std::move(outcome)); });
  return future.get();
}

std::unique_ptr<HttpTransport> MakeCurlTransport(EgressPolicy policy,
                                                 CurlTransportOptions options) {
  return std::make_unique<CurlTransport>(std::move(policy), std::move(options));
}

}  // namespace flare::daemon

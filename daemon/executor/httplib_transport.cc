// The cpp-httplib HttpTransport.
//
// One call is a chain of hops (one unless redirects are followed). Each hop:
// parse the URL, take the host as an IP literal or resolve it once, check
// every address with the egress guard, then connect to the first address only
// — cpp-httplib's hostname→address map pins the connection while the Host
// header and TLS SNI/verification keep using the name.
//
// Deadlines: the per-socket timeouts are set to the time left, and a Watchdog
// stops the client at the call's deadline so a server dripping bytes cannot
// stretch a call. Cancel stops the client the same way (httplib's stop() shuts
// the socket down from another thread).
//
// Trace honesty: httplib exposes no "connected" event. We observe
//   - resolution (ours),
//   - socket creation (socket_options callback, new connections only),
//   - TLS handshake done (SSL info callback) or the first body byte written
//     (content provider) — whichever comes first marks "ready".
// connect_ms = resolution + (socket created → ready) when both are seen. A new
// plain-http connection without a body has no "ready" event: its TCP connect
// time falls into ttfb_ms. A reused connection has connect_ms = resolution.

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <atomic>
#include <cctype>

#include "common/clock.h"
#include "daemon/executor/client_pool.h"
#include "daemon/executor/http_transport.h"
#include "daemon/executor/http_url.h"
#include "daemon/executor/retry_after.h"
#include "daemon/executor/tls_store.h"
#include "daemon/executor/watchdog.h"

namespace flare::daemon {
namespace {

using Instant = std::chrono::steady_clock::time_point;
using std::chrono::milliseconds;

constexpr int kMaxRedirects = 5;
constexpr size_t kBodyKeep = 64 * 1024;
constexpr int64_t kBodyReadCap = 10 * 1024 * 1024;
// OpenSSL finds no certificates here, which keeps httplib from adding the
// system trust store next to a target's own ca_cert.
constexpr char kNoSystemCaDir[] = "/nonexistent/flare-ca-cert-only";

Instant Now() { return std::chrono::steady_clock::now(); }

int64_t MillisBetween(Instant from, Instant to) {
  return std::max<int64_t>(0, std::chrono::duration_cast<milliseconds>(to - from).count());
}

// Stops the client of the hop in flight; shared by Cancel and the watchdog.
class Aborter {
 public:
  void Abort(FailureReason why) {
    FailureReason none = FailureReason::kNone;
    why_.compare_exchange_strong(none, why);
    std::lock_guard<std::mutex> lock(mutex_);
    if (client_ != nullptr) client_->stop();
  }
  FailureReason why() const { return why_.load(); }
  void Attach(httplib::ClientImpl* client) {
    std::lock_guard<std::mutex> lock(mutex_);
    client_ = client;
  }

 private:
  std::atomic<FailureReason> why_{FailureReason::kNone};
  std::mutex mutex_;
  httplib::ClientImpl* client_ = nullptr;
};

// Everything one hop needs besides the URL.
struct HopRequest {
  std::string method;
  HeaderList headers;
  std::string body;
};

// What a hop observed, for the trace.
struct HopTimes {
  Instant start, resolved;
  std::optional<Instant> headers_at;
  Instant end;
};

void Fail(HttpCallOutcome& outcome, FailureReason reason, std::string message) {
  outcome.failure = reason;
  outcome.error_message = std::move(message);
}

bool IsRedirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

bool SameName(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string HeaderValue(const HeaderList& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (SameName(key, name)) return value;
  }
  return {};
}

void DropHeaders(HeaderList& headers, std::initializer_list<std::string_view> names) {
  std::erase_if(headers, [&](const auto& header) {
    return std::any_of(names.begin(), names.end(),
                       [&](std::string_view name) { return SameName(header.first, name); });
  });
}

void OnTlsInfo(const SSL* ssl, int where, int /*ret*/) {
  if ((where & SSL_CB_HANDSHAKE_DONE) == 0) return;
  auto* probe = static_cast<ConnectionProbe*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
  if (probe != nullptr) probe->MarkReady();
}

class HttplibTransport final : public HttpTransport {
 public:
  HttplibTransport(EgressPolicy policy, std::shared_ptr<Resolver> resolver)
      : policy_(std::move(policy)), resolver_(std::move(resolver)) {}

  HttpCallOutcome Perform(const HttpCallSpec& spec, CancelFlag& cancel) override;

 private:
  void RunHops(const HttpCallSpec& spec, Instant deadline, Aborter& aborter,
               HttpCallOutcome& outcome);
  std::optional<IpAddress> PinAddress(const HttpUrl& url, HttpCallOutcome& outcome);
  Result<std::unique_ptr<PooledClient>> MakeClient(const HttpUrl& url, const IpAddress& address,
                                                   const HttpCallSpec& spec);
  void PerformHop(const HttpUrl& url, const HopRequest& request, const HttpCallSpec& spec,
                  Instant deadline, Aborter& aborter, HttpCallOutcome& outcome);
  void Send(PooledClient& pooled, const HttpUrl& url, const HopRequest& request, Instant deadline,
            Aborter& aborter, HopTimes& times, HttpCallOutcome& outcome);

  EgressPolicy policy_;
  std::shared_ptr<Resolver> resolver_;
  ClientPool pool_;
  Watchdog watchdog_;
};

HttpCallOutcome HttplibTransport::Perform(const HttpCallSpec& spec, CancelFlag& cancel) {
  Instant start = Now();
  Instant deadline = start + spec.timeout;
  HttpCallOutcome outcome;
  outcome.final_url = spec.url;
  Aborter aborter;
  cancel.SetAbort([&aborter] { aborter.Abort(FailureReason::kCancelled); });
  uint64_t ticket = watchdog_.Arm(deadline, [&aborter] { aborter.Abort(FailureReason::kTimeout); });
  RunHops(spec, deadline, aborter, outcome);
  watchdog_.Disarm(ticket);
  cancel.ClearAbort();
  outcome.trace.total_ms = MillisBetween(start, Now());
  return outcome;
}

void HttplibTransport::RunHops(const HttpCallSpec& spec, Instant deadline, Aborter& aborter,
                               HttpCallOutcome& outcome) {
  Result<HttpUrl> url = ParseHttpUrl(spec.url);
  if (!url.ok()) return Fail(outcome, FailureReason::kConnectionError, url.error().message);
  HopRequest request{spec.method, spec.headers, spec.body};
  int max_redirects = std::clamp(spec.max_redirects, 0, kMaxRedirects);
  for (int hop = 0; hop <= max_redirects; ++hop) {
    outcome.final_url = url->ToString();
    PerformHop(*url, request, spec, deadline, aborter, outcome);
    std::string location = HeaderValue(outcome.headers, "Location");
    if (outcome.failure != FailureReason::kNone || !IsRedirect(outcome.status) ||
        location.empty() || max_redirects == 0) {
      return;
    }
    if (hop == max_redirects) {
      outcome.error_message = "stopped after " + std::to_string(max_redirects) + " redirects";
      return;
    }
    Result<HttpUrl> next = ResolveLocation(*url, location);
    if (!next.ok()) {
      return Fail(outcome, FailureReason::kConnectionError,
                  "bad redirect: " + next.error().message);
    }
    if (outcome.status == 303 && request.method != "HEAD") {
      request.method = "GET";
      request.body.clear();
    }
    // Credentials are for the origin they were written for (curl does the same).
    if (next->Origin() != url->Origin()) DropHeaders(request.headers, {"Authorization", "Cookie"});
    url = std::move(next);
    ++outcome.redirects;
  }
}

std::optional<IpAddress> HttplibTransport::PinAddress(const HttpUrl& url,
                                                      HttpCallOutcome& outcome) {
  std::vector<IpAddress> addresses;
  if (std::optional<IpAddress> literal = ParseIpLiteral(url.host)) {
    addresses.push_back(*literal);
  } else {
    Result<std::vector<IpAddress>> resolved = resolver_->Resolve(url.host);
    if (!resolved.ok()) {
      Fail(outcome, FailureReason::kConnectionError, resolved.error().message);
      return std::nullopt;
    }
    addresses = std::move(*resolved);
  }
  // Every address must pass: a name that also resolves privately is a rebinding attempt.
  for (const IpAddress& address : addresses) {
    Status verdict = CheckEgress(address, policy_, url.host);
    if (!verdict.ok()) {
      Fail(outcome, FailureReason::kSsrfBlocked, verdict.error().message);
      return std::nullopt;
    }
  }
  return addresses.front();
}

Result<std::unique_ptr<PooledClient>> HttplibTransport::MakeClient(const HttpUrl& url,
                                                                   const IpAddress& address,
                                                                   const HttpCallSpec& spec) {
  auto pooled = std::make_unique<PooledClient>();
  if (url.https) {
    auto tls = std::make_unique<httplib::SSLClient>(url.host, url.port);
    pooled->tls = tls.get();
    pooled->client = std::move(tls);
    pooled->client->enable_server_certificate_verification(spec.tls_verify);
    if (!spec.ca_cert_pem.empty()) {
      Result<X509StorePtr> store = LoadCaStore(spec.ca_cert_pem);
      if (!store.ok()) return store.error();
      pooled->tls->set_ca_cert_store(store->release());  // the SSL_CTX owns it now
      pooled->client->set_ca_cert_path("", kNoSystemCaDir);
    }
    SSL_CTX_set_app_data(pooled->tls->ssl_context(), pooled->probe.get());
    SSL_CTX_set_info_callback(pooled->tls->ssl_context(), OnTlsInfo);
  } else {
    pooled->client = std::make_unique<httplib::ClientImpl>(url.host, url.port);
  }
  pooled->client->set_hostname_addr_map({{url.host, address.ToString()}});
  pooled->client->set_keep_alive(true);
  ConnectionProbe* probe = pooled->probe.get();
  pooled->client->set_socket_options([probe](socket_t) { probe->socket_created = Now(); });
  return pooled;
}

std::string PoolKey(const HttpUrl& url, const IpAddress& address, const HttpCallSpec& spec) {
  std::string key = url.Origin() + "|" + address.ToString();
  if (url.https) {
    key += spec.tls_verify ? "|verify" : "|noverify";
    if (!spec.ca_cert_pem.empty()) key += "|" + Sha256Hex(spec.ca_cert_pem);
  }
  return key;
}

void HttplibTransport::PerformHop(const HttpUrl& url, const HopRequest& request,
                                  const HttpCallSpec& spec, Instant deadline, Aborter& aborter,
                                  HttpCallOutcome& outcome) {
  outcome.status = 0;
  outcome.headers.clear();
  outcome.body.clear();
  outcome.body_truncated = false;
  outcome.body_bytes = 0;
  outcome.retry_after.reset();
  HopTimes times{Now(), {}, {}, {}};
  std::optional<IpAddress> address = PinAddress(url, outcome);
  times.resolved = Now();
  if (!address) return;
  std::string key = PoolKey(url, *address, spec);
  std::unique_ptr<PooledClient> pooled = pool_.Acquire(key);
  if (!pooled) {
    Result<std::unique_ptr<PooledClient>> made = MakeClient(url, *address, spec);
    if (!made.ok()) return Fail(outcome, FailureReason::kTlsError, made.error().message);
    pooled = std::move(*made);
  }
  milliseconds left = std::chrono::duration_cast<milliseconds>(deadline - Now());
  if (left <= milliseconds{0}) return Fail(outcome, FailureReason::kTimeout, "timed out");
  pooled->client->set_connection_timeout(left);
  pooled->client->set_read_timeout(left);
  pooled->client->set_write_timeout(left);
  Send(*pooled, url, request, deadline, aborter, times, outcome);
  pool_.Release(key, std::move(pooled));
}

httplib::Request BuildRequest(const HttpUrl& url, const HopRequest& request,
                              ConnectionProbe& probe) {
  httplib::Request req;
  req.method = request.method;
  req.path = url.target;
  for (const auto& [name, value] : request.headers) {
    // httplib frames the body itself; a second framing header would smuggle.
    if (SameName(name, "Content-Length") || SameName(name, "Transfer-Encoding")) continue;
    req.headers.emplace(name, value);
  }
  if (!request.body.empty()) {
    // A provider instead of req.body: its first call tells us the connection is ready.
    req.content_length_ = request.body.size();
    req.content_provider_ = [&request, &probe](size_t offset, size_t length,
                                               httplib::DataSink& sink) {
      probe.MarkReady();
      return sink.write(request.body.data() + offset, length);
    };
  }
  return req;
}

std::string DescribeTlsFailure(httplib::Error error, PooledClient& pooled, const HttpUrl& url) {
  if (error == httplib::Error::SSLServerVerification && pooled.tls != nullptr) {
    long result = pooled.tls->get_openssl_verify_result();
    if (result != X509_V_OK) {
      return "TLS certificate of " + url.host +
             " is not trusted: " + X509_verify_cert_error_string(result);
    }
    return "TLS certificate does not match host " + url.host;
  }
  if (error == httplib::Error::SSLLoadingCerts) return "could not load the TLS trust store";
  std::string detail;
  if (unsigned long code = ERR_peek_last_error(); code != 0) {
    const char* reason = ERR_reason_error_string(code);
    if (reason != nullptr) detail = std::string(": ") + reason;
  }
  return "TLS handshake with " + url.host + " failed" + detail;
}

// Maps an httplib error to a failure reason with a readable message.
void MapError(httplib::Error error, FailureReason aborted, bool past_deadline, PooledClient& pooled,
              const HttpUrl& url, HttpCallOutcome& outcome) {
  std::string where = url.host + ":" + std::to_string(url.port);
  if (aborted == FailureReason::kCancelled) return Fail(outcome, aborted, "cancelled");
  if (aborted == FailureReason::kTimeout || past_deadline ||
      error == httplib::Error::ConnectionTimeout) {
    return Fail(outcome, FailureReason::kTimeout,
                "no complete response from " + where + " within the timeout");
  }
  switch (error) {
    case httplib::Error::SSLConnection:
    case httplib::Error::SSLLoadingCerts:
    case httplib::Error::SSLServerVerification:
      return Fail(outcome, FailureReason::kTlsError, DescribeTlsFailure(error, pooled, url));
    case httplib::Error::Connection:
      return Fail(outcome, FailureReason::kConnectionError,
                  "could not connect to " + where + " (refused or unreachable)");
    case httplib::Error::Read:
      return Fail(outcome, FailureReason::kConnectionError,
                  "connection to " + where + " closed before a complete response");
    case httplib::Error::Write:
      return Fail(outcome, FailureReason::kConnectionError,
                  "connection to " + where + " closed while sending the request");
    default:
      return Fail(outcome, FailureReason::kConnectionError,
                  "request to " + where + " failed: " + httplib::to_string(error));
  }
}

void RecordTrace(const HopTimes& times, const ConnectionProbe& probe, HttpTrace& trace) {
  Instant connected = times.resolved;
  if (probe.socket_created && probe.ready) connected = *probe.ready;
  trace.connect_ms += MillisBetween(times.start, connected);
  trace.ttfb_ms = times.headers_at ? MillisBetween(connected, *times.headers_at) : 0;
  trace.transfer_ms = times.headers_at ? MillisBetween(*times.headers_at, times.end) : 0;
}

void HttplibTransport::Send(PooledClient& pooled, const HttpUrl& url, const HopRequest& request,
                            Instant deadline, Aborter& aborter, HopTimes& times,
                            HttpCallOutcome& outcome) {
  pooled.probe->Reset();
  httplib::Request req = BuildRequest(url, request, *pooled.probe);
  bool hit_read_cap = false;
  req.response_handler = [&](const httplib::Response& response) {
    times.headers_at = Now();
    outcome.status = response.status;
    for (const auto& [name, value] : response.headers) outcome.headers.emplace_back(name, value);
    return aborter.why() == FailureReason::kNone;
  };
  req.content_receiver = [&](const char* data, size_t length, uint64_t, uint64_t) {
    outcome.body_bytes += static_cast<int64_t>(length);
    if (outcome.body.size() < kBodyKeep) {
      outcome.body.append(data, std::min(length, kBodyKeep - outcome.body.size()));
    }
    hit_read_cap = outcome.body_bytes >= kBodyReadCap;
    return !hit_read_cap && aborter.why() == FailureReason::kNone;
  };
  aborter.Attach(pooled.client.get());
  httplib::Result result = aborter.why() == FailureReason::kNone
                               ? pooled.client->send(req)
                               : httplib::Result(nullptr, httplib::Error::Canceled);
  aborter.Attach(nullptr);
  times.end = Now();
  if (result && outcome.status == 0) {
    // httplib calls response_handler only for answers that may carry a body: a 204 (or an
    // answer to HEAD) arrives in the result alone.
    times.headers_at = times.end;
    outcome.status = result->status;
    for (const auto& [name, value] : result->headers) outcome.headers.emplace_back(name, value);
  }
  outcome.body_truncated = outcome.body_bytes > static_cast<int64_t>(kBodyKeep) || hit_read_cap;
  RecordTrace(times, *pooled.probe, outcome.trace);
  bool stopped_at_cap = hit_read_cap && aborter.why() == FailureReason::kNone;
  if (!result && !stopped_at_cap) {
    // The per-read timeouts end at the deadline too and may beat the watchdog to it.
    bool past_deadline = times.end + milliseconds{20} >= deadline;
    return MapError(result.error(), aborter.why(), past_deadline, pooled, url, outcome);
  }
  if (outcome.status == 429 || outcome.status == 503) {
    std::string value = HeaderValue(outcome.headers, "Retry-After");
    if (!value.empty()) outcome.retry_after = ParseRetryAfter(value, SystemClock::Instance().Now());
  }
}

}  // namespace

std::unique_ptr<HttpTransport> MakeHttplibTransport(EgressPolicy policy,
                                                    std::shared_ptr<Resolver> resolver) {
  if (!resolver) resolver = MakeSystemResolver();
  return std::make_unique<HttplibTransport>(std::move(policy), std::move(resolver));
}

}  // namespace flare::daemon

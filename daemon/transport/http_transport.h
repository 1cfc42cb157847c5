#pragma once
// The HttpTransport seam: the executor hands it HTTP calls and is told, on a transport
// thread, how each ended, so executor tests can use a fake. The real transport
// (MakeCurlTransport) is libcurl's multi interface: one event-loop thread carries every
// call at once. It checks the address of every connection it opens with the egress guard
// (the address connected to, on every redirect hop), follows redirects only when asked and
// never logs header values.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/egress.h"

namespace flare::daemon {

/// Why a call failed. kNonSuccessStatus is never produced by a transport: the
/// caller judges `success_status`. kCancelled never reaches the wire: a
/// cancelled run is recorded as cancelled, not failed.
enum class FailureReason {
  kNone,
  kTimeout,
  kConnectionError,
  kTlsError,
  kNonSuccessStatus,
  kSsrfBlocked,
  kCancelled,
};

/// "TIMEOUT", "CONNECTION_ERROR", ... (SPEC §2); "" for kNone.
std::string_view FailureReasonName(FailureReason reason);

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpCallSpec {
  std::string method = "POST";
  std::string url;     // absolute http:// or https://
  HeaderList headers;  // the job's own: sent to the job's origin only
  /// flared's own (User-Agent aside): which job, run and attempt; sent on every hop.
  HeaderList identity_headers;
  std::string body;
  std::chrono::milliseconds timeout{30000};  // the whole call, redirects included
  bool tls_verify = true;
  std::string ca_cert_pem;  // when set, the only trust store
  int max_redirects = 0;    // 0 = do not follow; at most 5
};

/// Milliseconds. queue_wait_ms is the executor's to fill (the transport leaves 0).
/// connect_ms: name resolution, TCP connect and TLS handshake (0 on a reused connection),
///   summed over the hops. ttfb_ms: from then until the response headers began (final
///   hop). transfer_ms: from there until the body was read (final hop). total_ms: the whole
///   call, every hop included.
struct HttpTrace {
  int64_t queue_wait_ms = 0;
  int64_t connect_ms = 0;
  int64_t ttfb_ms = 0;
  int64_t transfer_ms = 0;
  int64_t total_ms = 0;
};

struct HttpCallOutcome {
  FailureReason failure = FailureReason::kNone;
  std::string error_message;  // one line; never contains header values
  int status = 0;             // 0 when no response arrived
  HeaderList headers;
  std::string body;  // the first 64 KiB
  bool body_truncated = false;
  int64_t body_bytes = 0;  // bytes received (reading stops at 10 MiB)
  HttpTrace trace{};
  std::string final_url;
  int redirects = 0;
  std::optional<std::chrono::seconds> retry_after;  // from a 429/503 Retry-After
};

class HttpTransport {
 public:
  using CallId = uint64_t;
  using Done = std::function<void(HttpCallOutcome)>;

  virtual ~HttpTransport() = default;
  /// Starts a call; `done` runs exactly once, on a transport thread, when it ended (unless
  /// Shutdown() came first). `id` is the caller's, unique among calls in flight. Never blocks.
  virtual void Start(CallId id, HttpCallSpec spec, Done done) = 0;
  /// Ends call `id` as kCancelled if it is still running; no effect otherwise. Never blocks:
  /// it only hands the request to the transport thread.
  virtual void Cancel(CallId id) = 0;
  /// Abandons every call without running its `done` and stops the transport's threads.
  virtual void Shutdown() = 0;
  /// Connections opened so far (a reused connection is not counted again).
  virtual int64_t connections_opened() const = 0;
};

/// Starts a call and waits for its outcome (tools and tests).
HttpCallOutcome PerformAndWait(HttpTransport& transport, HttpCallSpec spec);

struct CurlTransportOptions {
  /// Extra CURLOPT_RESOLVE entries ("host:port:address"), for tests that need a name.
  std::vector<std::string> fixed_names;
};

/// The libcurl transport. Call curl_global_init once before the first one is made.
std::unique_ptr<HttpTransport> MakeCurlTransport(EgressPolicy policy,
                                                 CurlTransportOptions options = {});

}  // namespace flare::daemon

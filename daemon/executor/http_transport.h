#pragma once
// The HttpTransport seam: the executor hands it one HTTP call and gets back
// what happened, so executor tests can use a fake. The real transport
// (MakeHttplibTransport) resolves the host once, checks every address with the
// egress guard, connects only to the checked address, follows redirects only
// when asked (re-checking every hop) and never logs header values.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/egress.h"
#include "daemon/executor/resolver.h"

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
  std::string url;  // absolute http:// or https://
  HeaderList headers;
  std::string body;
  std::chrono::milliseconds timeout{30000};  // the whole call, redirects included
  bool tls_verify = true;
  std::string ca_cert_pem;  // when set, the only trust store
  int max_redirects = 0;    // 0 = do not follow; at most 5
};

/// Milliseconds. queue_wait_ms is the executor's to fill (the transport leaves 0).
/// connect_ms: name resolution plus, on a new connection, TCP connect and TLS
///   handshake, as far as observable (see the file-top comment of httplib_transport.cc).
/// ttfb_ms: from the end of connect_ms until the response headers arrived (final hop).
/// transfer_ms: from the response headers until the body was read (final hop).
/// total_ms: the whole Perform call, every hop included.
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

/// Cancels one call from another thread. Transports install an abort hook for
/// the time a request is in flight; Cancel() runs it at once.
class CancelFlag {
 public:
  /// Marks the call cancelled and aborts it if it is in flight. Thread-safe; may
  /// wait for a TCP connect in progress to finish (bounded by the call's timeout).
  void Cancel();
  bool cancelled() const;

  /// For transports: Cancel() calls `abort` until ClearAbort(). Runs it at once
  /// when already cancelled.
  void SetAbort(std::function<void()> abort);
  /// After this returns no abort hook is running or will run.
  void ClearAbort();

 private:
  mutable std::mutex mutex_;
  bool cancelled_ = false;
  std::function<void()> abort_;
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  /// Performs the call; blocks until done, failed, timed out or cancelled.
  virtual HttpCallOutcome Perform(const HttpCallSpec& spec, CancelFlag& cancel) = 0;
};

/// The cpp-httplib transport. `resolver` null means getaddrinfo.
std::unique_ptr<HttpTransport> MakeHttplibTransport(EgressPolicy policy,
                                                    std::shared_ptr<Resolver> resolver = nullptr);

}  // namespace flare::daemon

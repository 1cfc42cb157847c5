#include "daemon/executor/http_transport.h"

namespace flare::daemon {

// The hook runs under the mutex so that ClearAbort() cannot return while it
// runs: the transport may hand the client to another call right after.
void CancelFlag::Cancel() {
  std::lock_guard<std::mutex> lock(mutex_);
  cancelled_ = true;
  if (abort_) abort_();
}

bool CancelFlag::cancelled() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return cancelled_;
}

void CancelFlag::SetAbort(std::function<void()> abort) {
  std::lock_guard<std::mutex> lock(mutex_);
  abort_ = std::move(abort);
  if (cancelled_ && abort_) abort_();
}

void CancelFlag::ClearAbort() {
  std::lock_guard<std::mutex> lock(mutex_);
  abort_ = nullptr;
}

std::string_view FailureReasonName(FailureReason reason) {
  switch (reason) {
    case FailureReason::kNone:
      return "";
    case FailureReason::kTimeout:
      return "TIMEOUT";
    case FailureReason::kConnectionError:
      return "CONNECTION_ERROR";
    case FailureReason::kTlsError:
      return "TLS_ERROR";
    case FailureReason::kNonSuccessStatus:
      return "NON_SUCCESS_STATUS";
    case FailureReason::kSsrfBlocked:
      return "SSRF_BLOCKED";
    case FailureReason::kCancelled:
      return "CANCELLED";
  }
  return "";
}

}  // namespace flare::daemon

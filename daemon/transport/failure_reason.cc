#include "daemon/transport/http_transport.h"

namespace flare::daemon {

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

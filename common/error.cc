#include "common/error.h"

#include <array>
#include <nlohmann/json.hpp>
#include <utility>

namespace flare {
namespace {

struct CodeInfo {
  ErrorCode code;
  std::string_view name;
  int status;
};

constexpr std::array kCodes = {
    CodeInfo{ErrorCode::kInvalidRequest, "invalid_request", 400},
    CodeInfo{ErrorCode::kInvalidFrom, "invalid_from", 400},
    CodeInfo{ErrorCode::kInvalidUntil, "invalid_until", 400},
    CodeInfo{ErrorCode::kInvalidRange, "invalid_range", 400},
    CodeInfo{ErrorCode::kRangeTooLarge, "range_too_large", 400},
    CodeInfo{ErrorCode::kInvalidFormat, "invalid_format", 400},
    CodeInfo{ErrorCode::kUnauthorized, "unauthorized", 401},
    CodeInfo{ErrorCode::kBillingStateBlocked, "billing_state_blocked", 402},
    CodeInfo{ErrorCode::kForbidden, "forbidden", 403},
    CodeInfo{ErrorCode::kNotFound, "not_found", 404},
    CodeInfo{ErrorCode::kJobNotFound, "job_not_found", 404},
    CodeInfo{ErrorCode::kRunNotFound, "run_not_found", 404},
    CodeInfo{ErrorCode::kMethodNotAllowed, "method_not_allowed", 405},
    CodeInfo{ErrorCode::kInvalidState, "invalid_state", 409},
    CodeInfo{ErrorCode::kIdempotencyKeyReuse, "idempotency_key_reuse", 409},
    CodeInfo{ErrorCode::kParentTerminal, "parent_terminal", 409},
    CodeInfo{ErrorCode::kLeaseLost, "lease_lost", 409},
    CodeInfo{ErrorCode::kConflict, "conflict", 409},
    CodeInfo{ErrorCode::kPayloadTooLarge, "payload_too_large", 413},
    CodeInfo{ErrorCode::kUnsupportedMediaType, "unsupported_media_type", 415},
    CodeInfo{ErrorCode::kParentNotFound, "parent_not_found", 422},
    CodeInfo{ErrorCode::kRateLimitExceeded, "rate_limit_exceeded", 429},
    CodeInfo{ErrorCode::kInternal, "internal", 500},
    CodeInfo{ErrorCode::kNotSupported, "not_supported", 501},
    CodeInfo{ErrorCode::kUnavailable, "unavailable", 503},
};

const CodeInfo& InfoOf(ErrorCode code) {
  for (const auto& info : kCodes) {
    if (info.code == code) return info;
  }
  return kCodes[kCodes.size() - 3];  // internal
}

}  // namespace

std::string_view ErrorCodeName(ErrorCode code) { return InfoOf(code).name; }

int HttpStatusOf(ErrorCode code) { return InfoOf(code).status; }

ErrorCode ErrorCodeFromName(std::string_view name) {
  for (const auto& info : kCodes) {
    if (info.name == name) return info.code;
  }
  return ErrorCode::kInternal;
}

nlohmann::json Error::ToJson() const {
  nlohmann::json body = {{"code", ErrorCodeName(code)}, {"message", message}};
  if (!field.empty()) body["field"] = field;
  return {{"error", std::move(body)}};
}

}  // namespace flare

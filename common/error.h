#pragma once
// The error model of SPEC §1: a snake_case code, a sentence that says what to do,
// and optionally the offending field. Each code maps to exactly one HTTP status.

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <utility>

namespace flare {

enum class ErrorCode {
  kInvalidRequest,        // 400
  kInvalidFrom,           // 400 (export)
  kInvalidUntil,          // 400 (export)
  kInvalidRange,          // 400 (export)
  kRangeTooLarge,         // 400 (export)
  kInvalidFormat,         // 400 (export)
  kUnauthorized,          // 401
  kBillingStateBlocked,   // 402
  kForbidden,             // 403
  kNotFound,              // 404
  kJobNotFound,           // 404
  kRunNotFound,           // 404
  kMethodNotAllowed,      // 405
  kInvalidState,          // 409
  kIdempotencyKeyReuse,   // 409
  kParentTerminal,        // 409
  kLeaseLost,             // 409
  kConflict,              // 409
  kPayloadTooLarge,       // 413
  kUnsupportedMediaType,  // 415
  kParentNotFound,        // 422
  kRateLimitExceeded,     // 429
  kInternal,              // 500
  kNotSupported,          // 501
  kUnavailable,           // 503
};

/// The wire spelling of a code, e.g. "invalid_request".
std::string_view ErrorCodeName(ErrorCode code);
/// The HTTP status every response with this code carries.
int HttpStatusOf(ErrorCode code);
/// Reverse of ErrorCodeName; unknown names map to kInternal.
ErrorCode ErrorCodeFromName(std::string_view name);

struct Error {
  Error() = default;
  Error(ErrorCode c, std::string m, std::string f = {})
      : code(c), message(std::move(m)), field(std::move(f)) {}

  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  std::string field;  // empty when the error is not about one field

  /// {"error": {"code", "message", "field"?}}
  nlohmann::json ToJson() const;
};

inline Error InvalidRequest(std::string message, std::string field = {}) {
  return Error{ErrorCode::kInvalidRequest, std::move(message), std::move(field)};
}

}  // namespace flare

#include "daemon/api/http_util.h"

#include "common/json_fields.h"

namespace flare::daemon {

void SendJson(httplib::Response& response, int status, const nlohmann::json& body) {
  response.status = status;
  response.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                       "application/json");
}

void SendError(httplib::Response& response, const Error& error) {
  if (error.code == ErrorCode::kRateLimitExceeded && !response.has_header("Retry-After")) {
    response.set_header("Retry-After", "1");
  }
  SendJson(response, HttpStatusOf(error.code), error.ToJson());
}

void SendResult(httplib::Response& response, const Result<nlohmann::json>& result, int status) {
  if (result) SendJson(response, status, *result);
  else SendError(response, result.error());
}

Result<nlohmann::json> BodyObject(const httplib::Request& request) {
  return ParseJsonObject(request.body);
}

Result<int> QueryLimit(const httplib::Request& request) {
  if (!request.has_param("limit")) return 50;
  std::string text = request.get_param_value("limit");
  char* end = nullptr;
  long value = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || value < 1 || value > 100) {
    return InvalidRequest("limit must be a whole number from 1 to 100", "limit");
  }
  return static_cast<int>(value);
}

Result<std::optional<TimePoint>> QueryTime(const httplib::Request& request, const char* name) {
  if (!request.has_param(name)) return std::optional<TimePoint>();
  auto t = ParseTime(request.get_param_value(name));
  if (!t) return Error{ErrorCode::kInvalidRequest, std::string(name) + ": " + t.error().message, name};
  return std::optional<TimePoint>(*t);
}

}  // namespace flare::daemon

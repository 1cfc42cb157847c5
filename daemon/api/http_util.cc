#include "daemon/api/http_util.h"

#include "common/json_fields.h"
#include "common/quote.h"

namespace flare::daemon {

std::string DumpAnswer(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void SendJson(httplib::Response& response, int status, const nlohmann::json& body) {
  SendJsonText(response, status, DumpAnswer(body));
}

void SendJsonText(httplib::Response& response, int status, std::string body) {
  response.status = status;
  response.set_content(std::move(body), "application/json");
}

void SendError(httplib::Response& response, const Error& error) {
  if (error.code == ErrorCode::kRateLimitExceeded && !response.has_header("Retry-After")) {
    response.set_header("Retry-After", "1");
  }
  SendJson(response, HttpStatusOf(error.code), error.ToJson());
}

std::string RawErrorResponse(int status, const char* reason, const Error& error) {
  std::string body = error.ToJson().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return "HTTP/1.1 " + std::to_string(status) + " " + reason +
         "\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

bool IsValidUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    auto c = static_cast<unsigned char>(text[i]);
    size_t extra = 0;
    if (c < 0x80)
      extra = 0;
    else if ((c >> 5) == 0x6)
      extra = 1;
    else if ((c >> 4) == 0xE)
      extra = 2;
    else if ((c >> 3) == 0x1E)
      extra = 3;
    else
      return false;
    if (i + extra >= text.size()) return false;
    uint32_t code = extra == 0 ? c : c & (0x3Fu >> extra);
    for (size_t k = 1; k <= extra; ++k) {
      auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3Fu);
    }
    // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8.
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (code < kMin[extra] || (code >= 0xD800 && code <= 0xDFFF) || code > 0x10FFFF) return false;
    i += extra + 1;
  }
  return true;
}

Status CheckRequestText(const httplib::Request& request) {
  if (!IsValidUtf8(request.path)) {
    return InvalidRequest("the request path is not valid UTF-8; percent-encode UTF-8 text");
  }
  for (const auto& [name, value] : request.params) {
    if (!IsValidUtf8(name) || !IsValidUtf8(value)) {
      return InvalidRequest("the query parameter " + Printable(name) +
                            " is not valid UTF-8; percent-encode UTF-8 text");
    }
  }
  for (const auto& [name, value] : request.headers) {
    if (!IsValidUtf8(name) || !IsValidUtf8(value)) {
      return InvalidRequest("the " + Printable(name) +
                            " header is not valid UTF-8; send header values as UTF-8 text");
    }
  }
  return Ok{};
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
  if (!t)
    return Error{ErrorCode::kInvalidRequest, std::string(name) + ": " + t.error().message, name};
  return std::optional<TimePoint>(*t);
}

}  // namespace flare::daemon

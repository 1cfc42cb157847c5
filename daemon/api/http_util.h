#pragma once
// Small helpers every route uses: JSON answers, the error model, body and query parsing.

#include <httplib.h>

#include <nlohmann/json.hpp>
#include <string>

#include "common/result.h"
#include "common/time_format.h"

namespace flare::daemon {

void SendJson(httplib::Response& response, int status, const nlohmann::json& body);
/// `value` as SendJson writes it (invalid UTF-8 replaced): for answers written as text.
std::string DumpAnswer(const nlohmann::json& value);
/// An answer already written as JSON text.
void SendJsonText(httplib::Response& response, int status, std::string body);
/// {"error": {code, message, field?}} with the code's status (and Retry-After on 429).
void SendError(httplib::Response& response, const Error& error);
/// A whole HTTP/1.1 answer carrying `error`, with Connection: close, for the few places that
/// answer on a raw socket before (or instead of) cpp-httplib.
std::string RawErrorResponse(int status, const char* reason, const Error& error);
bool IsValidUtf8(std::string_view text);
/// The first header, query parameter or path text of `request` that is not valid UTF-8, as
/// a 400 saying which; these bytes would otherwise reach JSON (which must be UTF-8).
Status CheckRequestText(const httplib::Request& request);
/// Sends a service's typed `result` as `view(*result)` with `status`, the error otherwise:
/// services answer with records, and the wire shape is chosen here, at the edge.
template <typename T, typename View>
void SendView(httplib::Response& response, const Result<T>& result, View view, int status = 200) {
  if (result)
    SendJson(response, status, view(*result));
  else
    SendError(response, result.error());
}
/// The body as a JSON object (400 when it is not one).
Result<nlohmann::json> BodyObject(const httplib::Request& request);
/// `limit` in 1..100, default 50.
Result<int> QueryLimit(const httplib::Request& request);
/// An optional RFC 3339 query parameter.
Result<std::optional<TimePoint>> QueryTime(const httplib::Request& request, const char* name);

}  // namespace flare::daemon

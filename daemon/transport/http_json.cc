#include "daemon/transport/http_json.h"

namespace flare::daemon {

// nlohmann refuses to dump invalid UTF-8 by default (it throws), and a target may send any
// bytes. Round-tripping through dump(replace) turns invalid bytes into U+FFFD.
std::string Utf8Safe(const std::string& text) {
  std::string quoted =
      nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return nlohmann::json::parse(quoted).get<std::string>();
}

nlohmann::json RedactedRequest(const HttpCallSpec& spec) {
  nlohmann::json headers = nlohmann::json::array();
  for (const auto& [name, value] : spec.headers) {
    headers.push_back({{"name", name}, {"value", "***"}});
  }
  return {{"method", spec.method},
          {"url", spec.url},
          {"headers", headers},
          {"body_bytes", spec.body.size()}};
}

nlohmann::json ResultJson(const HttpCallOutcome& outcome) {
  nlohmann::json headers = nlohmann::json::object();
  for (const auto& [raw_name, value] : outcome.headers) {
    std::string name = Utf8Safe(raw_name);
    auto it = headers.find(name);
    if (it == headers.end()) {
      headers[name] = Utf8Safe(value);
    } else {
      *it = it->get<std::string>() + ", " + Utf8Safe(value);
    }
  }
  return {{"status", outcome.status},
          {"headers", headers},
          {"body", Utf8Safe(outcome.body)},
          {"body_truncated", outcome.body_truncated},
          {"body_bytes", outcome.body_bytes}};
}

nlohmann::json TraceJson(const HttpTrace& trace) {
  return {{"queue_wait_ms", trace.queue_wait_ms},
          {"connect_ms", trace.connect_ms},
          {"ttfb_ms", trace.ttfb_ms},
          {"transfer_ms", trace.transfer_ms},
          {"total_ms", trace.total_ms}};
}

}  // namespace flare::daemon

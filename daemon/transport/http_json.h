#pragma once
// The SPEC §2 wire shapes of an HTTP run: `request` (header values redacted),
// `result` and `trace`.

#include <nlohmann/json.hpp>

#include "daemon/transport/http_transport.h"

namespace flare::daemon {

/// `text` with every invalid UTF-8 sequence replaced by U+FFFD: what a target sends
/// (header names and values, body, a Location in an error message) before it goes to JSON.
std::string Utf8Safe(const std::string& text);

/// {"method", "url", "headers": [{"name", "value": "***"}], "body_bytes"}.
nlohmann::json RedactedRequest(const HttpCallSpec& spec);

/// {"status", "headers": {name: value}, "body", "body_truncated", "body_bytes"}.
/// Repeated header names are joined with ", "; a body that is not UTF-8 is
/// passed with invalid bytes replaced.
nlohmann::json ResultJson(const HttpCallOutcome& outcome);

/// {"queue_wait_ms", "connect_ms", "ttfb_ms", "transfer_ms", "total_ms"}.
nlohmann::json TraceJson(const HttpTrace& trace);

}  // namespace flare::daemon

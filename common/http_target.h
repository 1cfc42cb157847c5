#pragma once
// The "http" target of an HTTP job (SPEC §4): what flared's executor requests.

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"

namespace flare {

struct HttpTarget {
  std::string method = "POST";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<std::string> body;
  std::string success_status = "2xx";  // "200" (a code) or "2xx" (a class)
  bool tls_verify = true;
  std::string ca_cert;       // PEM bundle; empty = system trust store
  int follow_redirects = 0;  // 0 = do not follow; at most 5 hops

  /// The wire form; header values are "***" unless `reveal_secrets`.
  nlohmann::json ToJson(bool reveal_secrets) const;
};

/// Validates an "http" object: method, absolute http(s) url <= 2048, headers as a list of
/// {name, value} or an object, body <= 1 MiB, success_status, tls_verify, ca_cert (PEM),
/// follow_redirects (false/true/0..5).
Result<HttpTarget> ParseHttpTarget(const nlohmann::json& value);

}  // namespace flare

#include "common/http_target.h"

#include <algorithm>
#include <cctype>

#include "common/http_status.h"
#include "common/http_url.h"
#include "common/json_fields.h"

namespace flare {
namespace {

constexpr size_t kMaxUrl = 2048;
constexpr size_t kMaxBody = 1 << 20;
constexpr size_t kMaxHeaders = 50;

bool ValidHeaderName(std::string_view name) {
  if (name.empty() || name.size() > 256) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

bool ValidHeaderValue(std::string_view value) {
  return value.size() <= 8192 && std::none_of(value.begin(), value.end(), [](char c) {
           return c == '\r' || c == '\n' || c == '\0';
         });
}

Status AddHeader(HttpTarget& target, const std::string& name, const nlohmann::json& value) {
  if (!ValidHeaderName(name)) {
    return InvalidRequest("http.headers has an invalid header name '" + name.substr(0, 64) + "'",
                          "http.headers");
  }
  if (!value.is_string() || !ValidHeaderValue(value.get<std::string>())) {
    return InvalidRequest("http.headers value of '" + name +
                              "' must be a string without line breaks (at most 8192 bytes)",
                          "http.headers");
  }
  target.headers.emplace_back(name, value.get<std::string>());
  return Ok{};
}

Status ParseHeaders(HttpTarget& target, const nlohmann::json& value) {
  if (value.size() > kMaxHeaders) {
    return InvalidRequest("http.headers has more than 50 headers", "http.headers");
  }
  if (value.is_object()) {
    for (const auto& [name, item] : value.items()) {
      if (auto added = AddHeader(target, name, item); !added) return added.error();
    }
    return Ok{};
  }
  if (!value.is_array()) {
    return InvalidRequest("http.headers must be a list of {name, value} or an object",
                          "http.headers");
  }
  for (const auto& item : value) {
    if (!item.is_object() || !item.contains("name") || !item.contains("value") ||
        item.size() != 2 || !item["name"].is_string()) {
      return InvalidRequest("each entry of http.headers must be {\"name\": …, \"value\": …}",
                            "http.headers");
    }
    if (auto added = AddHeader(target, item["name"].get<std::string>(), item["value"]); !added) {
      return added.error();
    }
  }
  return Ok{};
}

// The executor's own parser decides, so a URL accepted here is one the transport can request.
Status ParseUrl(HttpTarget& target, const nlohmann::json& value) {
  auto url = ReadString(value, "http.url", kMaxUrl);
  if (!url) return url.error();
  if (auto parsed = ParseHttpUrl(*url); !parsed) {
    return InvalidRequest("http.url " + parsed.error().message, "http.url");
  }
  target.url = *url;
  return Ok{};
}

Status ParseSuccessStatus(HttpTarget& target, const nlohmann::json& value) {
  std::string spec = value.is_number_integer()
                         ? std::to_string(value.get<int>())
                         : (value.is_string() ? value.get<std::string>() : "");
  std::transform(spec.begin(), spec.end(), spec.begin(), ::tolower);
  if (!IsValidSuccessStatus(spec)) {
    return InvalidRequest("http.success_status must be a status code like 200 or a class like 2xx",
                          "http.success_status");
  }
  target.success_status = spec;
  return Ok{};
}

Status ParseRedirects(HttpTarget& target, const nlohmann::json& value) {
  if (value.is_boolean()) {
    target.follow_redirects = value.get<bool>() ? 5 : 0;
    return Ok{};
  }
  auto hops = ReadInteger(value, "http.follow_redirects", 0, 5);
  if (!hops) return hops.error();
  target.follow_redirects = static_cast<int>(*hops);
  return Ok{};
}

Status ParseField(HttpTarget& target, std::string_view key, const nlohmann::json& item) {
  if (key == "method") {
    std::string method = item.is_string() ? item.get<std::string>() : "";
    std::transform(method.begin(), method.end(), method.begin(), ::toupper);
    if (method != "GET" && method != "POST" && method != "PUT" && method != "PATCH" &&
        method != "DELETE") {
      return InvalidRequest("http.method must be GET, POST, PUT, PATCH or DELETE", "http.method");
    }
    target.method = method;
    return Ok{};
  }
  if (key == "url") return ParseUrl(target, item);
  if (key == "headers") return ParseHeaders(target, item);
  if (key == "body") {
    if (item.is_null()) return Ok{};
    auto body = ReadString(item, "http.body", kMaxBody, 0);
    if (!body) return body.error();
    target.body = *body;
    return Ok{};
  }
  if (key == "success_status") return ParseSuccessStatus(target, item);
  if (key == "tls_verify") {
    auto verify = ReadBool(item, "http.tls_verify");
    if (!verify) return verify.error();
    target.tls_verify = *verify;
    return Ok{};
  }
  if (key == "ca_cert") {
    if (item.is_null()) return Ok{};
    auto pem = ReadString(item, "http.ca_cert", 256 * 1024);
    if (!pem) return pem.error();
    if (pem->find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
      return InvalidRequest("http.ca_cert must be a PEM bundle (-----BEGIN CERTIFICATE-----)",
                            "http.ca_cert");
    }
    target.ca_cert = *pem;
    return Ok{};
  }
  return ParseRedirects(target, item);  // the only key left after RejectUnknownFields
}

}  // namespace

nlohmann::json HttpTarget::ToJson(bool reveal_secrets) const {
  nlohmann::json header_list = nlohmann::json::array();
  for (const auto& [name, value] : headers) {
    header_list.push_back({{"name", name}, {"value", reveal_secrets ? value : "***"}});
  }
  nlohmann::json out = {{"method", method},
                        {"url", url},
                        {"headers", std::move(header_list)},
                        {"body", body ? nlohmann::json(*body) : nlohmann::json(nullptr)},
                        {"success_status", success_status},
                        {"tls_verify", tls_verify},
                        {"follow_redirects", follow_redirects}};
  out["ca_cert"] = ca_cert.empty() ? nlohmann::json(nullptr) : nlohmann::json(ca_cert);
  return out;
}

Result<HttpTarget> ParseHttpTarget(const nlohmann::json& value) {
  if (!value.is_object())
    return InvalidRequest("http must be an object with at least a url", "http");
  if (auto unknown = RejectUnknownFields(value,
                                         {"method", "url", "headers", "body", "success_status",
                                          "tls_verify", "ca_cert", "follow_redirects"},
                                         "http.");
      !unknown) {
    return unknown.error();
  }
  if (!value.contains("url")) return InvalidRequest("http.url is required", "http.url");
  HttpTarget target;
  for (const auto& [key, item] : value.items()) {
    if (auto parsed = ParseField(target, key, item); !parsed) return parsed.error();
  }
  return target;
}

}  // namespace flare

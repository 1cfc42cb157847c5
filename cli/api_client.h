#pragma once
// ApiClient: the only place in flarectl that knows URLs and speaks HTTP, through libcurl:
// https:// with the system CAs, and the proxy variables every curl user knows (http_proxy,
// HTTPS_PROXY, ALL_PROXY, NO_PROXY), which hosted users behind a corporate proxy need.
// Keep-alive connections are reused across calls of one client (pagination). It sends the
// Bearer key, JSON in and out, maps the error body {"error":{code,message,field}} and
// transport failures to CliError with the exit codes of SPEC §9, follows list cursors, and
// with --debug traces every request on stderr (bodies cut at 4 KiB) — never the key.

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cli/cli_error.h"
#include "cli/config.h"
#include "cli/io.h"
#include "common/result.h"

namespace flare::cli {

using Query = std::vector<std::pair<std::string, std::string>>;
using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";
  std::string path;  // "/flare/v1/jobs", without the base URL's own path prefix
  Query query;
  std::string body;  // sent when non-empty (or for POST/PUT/PATCH)
  std::string content_type = "application/json";
  HeaderList headers;
  std::chrono::seconds read_timeout{0};  // 0: the client's --timeout
};

/// A POST of `body` as JSON to `path`.
HttpRequest PostJson(const std::string& path, const nlohmann::json& body);

struct HttpResponse {
  int status = 0;
  std::string body;
  HeaderList headers;
  /// Case-insensitive header lookup; "" when absent.
  std::string Header(std::string_view name) const;
  /// The body as JSON (null when empty or not JSON).
  nlohmann::json Json() const;
};

/// Options of a list call: --limit, --cursor, --all.
struct PageOptions {
  int limit = 0;  // 0: the server's default
  std::string cursor;
  bool all = false;
};

/// Percent-encodes one path segment or query value.
std::string UrlEncode(std::string_view text);
/// The CliError an error response stands for: exit code by status, the body's code and
/// message (or a generic sentence), a hint for 401/404/429.
CliError ErrorFromResponse(const HttpResponse& response);

class ApiClient {
 public:
  /// `trace` gets the --debug lines; pass nullptr for none.
  ApiClient(const Settings& settings, Io* trace);
  ~ApiClient();
  ApiClient(const ApiClient&) = delete;
  ApiClient& operator=(const ApiClient&) = delete;

  const std::string& base_url() const { return base_url_; }

  /// One request. Fails only when no HTTP answer came (connection, TLS, timeout);
  /// error statuses are returned as responses.
  Result<HttpResponse> Send(const HttpRequest& request);
  /// Streams the body to `on_chunk` (return false to stop); the response handler sees
  /// the status first. Error statuses come back with their (unstreamed) body.
  Result<HttpResponse> Stream(const HttpRequest& request,
                              const std::function<bool(std::string_view)>& on_chunk);
  /// Send + throw CliError on a transport failure or a non-2xx status; returns the JSON body.
  nlohmann::json Call(const std::string& method, const std::string& path,
                      const nlohmann::json& body = nullptr, const Query& query = {},
                      const HeaderList& headers = {});
  /// GETs a list, following next_cursor while `page.all`; returns {"data", "has_more",
  /// "next_cursor"} with every item. `on_page` (may be null) hears the running count.
  nlohmann::json List(const std::string& path, Query query, const PageOptions& page,
                      const std::function<void(size_t)>& on_page = nullptr);
  /// Aborts the request in flight (or else the next one) from another thread, at once
  /// (worker shutdown).
  void Stop();
  /// The CliError for "no HTTP answer" (exit 6), with a hint naming the base URL.
  CliError Unreachable(const std::string& reason) const;

 private:
  Result<HttpResponse> Execute(const HttpRequest& request,
                               const std::function<bool(std::string_view)>* on_chunk);
  std::string Target(const HttpRequest& request) const;
  void TraceRequest(const HttpRequest& request);
  void TraceResponse(const HttpResponse& response, std::chrono::milliseconds elapsed);
  std::string Redact(std::string_view text) const;

  std::string base_url_;
  std::string path_prefix_;  // e.g. "/api" in https://host/api
  std::string api_key_;
  std::chrono::seconds timeout_;
  Io* trace_;
  struct Curl;  // the easy and multi handles (the multi handle keeps the connections)
  std::unique_ptr<Curl> curl_;
  std::atomic<bool> stop_{false};
};

}  // namespace flare::cli

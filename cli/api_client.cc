#include "cli/api_client.h"

#include <httplib.h>
#include <strings.h>

#include <algorithm>

#include "flare/version.h"

namespace flare::cli {
namespace {

constexpr size_t kTraceLimit = 4096;

std::string Cut(std::string_view body) {
  if (body.size() <= kTraceLimit) return std::string(body);
  return std::string(body.substr(0, kTraceLimit)) + "… (" + std::to_string(body.size()) + " bytes)";
}

bool IsSuccess(int status) { return status >= 200 && status < 300; }

/// "https://host:8443/api" → {"https://host:8443", "/api"}.
std::pair<std::string, std::string> SplitBaseUrl(std::string url) {
  if (url.find("://") == std::string::npos) url = "http://" + url;
  size_t slash = url.find('/', url.find("://") + 3);
  if (slash == std::string::npos) return {url, ""};
  return {url.substr(0, slash), url.substr(slash)};
}

}  // namespace

int ExitCodeForStatus(int status) {
  if (IsSuccess(status)) return kExitOk;
  switch (status) {
    case 401:
    case 403:
      return kExitUnauthorized;
    case 404:
      return kExitNotFound;
    case 409:
    case 422:
      return kExitConflict;
    case 429:
      return kExitRateLimited;
    default:
      return kExitError;
  }
}

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

HttpRequest PostJson(const std::string& path, const nlohmann::json& body) {
  HttpRequest request;
  request.method = "POST";
  request.path = path;
  request.body = body.dump();
  return request;
}

std::string HttpResponse::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key.size() == name.size() && strncasecmp(key.data(), name.data(), name.size()) == 0) {
      return value;
    }
  }
  return "";
}

nlohmann::json HttpResponse::Json() const {
  if (body.empty()) return nullptr;
  auto parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  return parsed.is_discarded() ? nlohmann::json() : parsed;
}

CliError ErrorFromResponse(const HttpResponse& response) {
  nlohmann::json error = response.Json();
  std::string code = "http_" + std::to_string(response.status);
  std::string message = "the API answered HTTP " + std::to_string(response.status);
  if (error.is_object() && error.contains("error") && error["error"].is_object()) {
    const auto& body = error["error"];
    code = body.value("code", code);
    message = body.value("message", message);
    std::string field = body.value("field", "");
    if (!field.empty() && message.find(field) == std::string::npos) {
      message = field + ": " + message;
    }
  }
  std::string hint;
  if (response.status == 401) {
    hint = "check the API key: --api-key, FLARE_API_KEY or 'flarectl config set api_key KEY'";
  } else if (response.status == 403) {
    hint = "the API key lacks the scope this call needs";
  } else if (response.status == 429 && !response.Header("Retry-After").empty()) {
    hint = "retry after " + response.Header("Retry-After") + " s";
  }
  return CliError(ExitCodeForStatus(response.status), code, message, hint);
}

ApiClient::ApiClient(const Settings& settings, Io* trace)
    : base_url_(settings.base_url),
      api_key_(settings.api_key),
      timeout_(settings.timeout),
      trace_(trace) {
  auto [origin, prefix] = SplitBaseUrl(settings.base_url);
  path_prefix_ = prefix;
  while (!path_prefix_.empty() && path_prefix_.back() == '/') path_prefix_.pop_back();
  client_ = std::make_unique<httplib::Client>(origin);
  client_->set_keep_alive(true);
  client_->set_connection_timeout(std::min<time_t>(timeout_.count(), 10), 0);
  client_->set_read_timeout(timeout_.count(), 0);
  client_->set_write_timeout(timeout_.count(), 0);
}

ApiClient::~ApiClient() = default;

void ApiClient::Stop() { client_->stop(); }

std::string ApiClient::Target(const HttpRequest& request) const {
  std::string target = path_prefix_ + request.path;
  char separator = target.find('?') == std::string::npos ? '?' : '&';
  for (const auto& [name, value] : request.query) {
    target += separator;
    target += UrlEncode(name) + "=" + UrlEncode(value);
    separator = '&';
  }
  return target;
}

std::string ApiClient::Redact(std::string_view text) const {
  std::string out(text);
  if (api_key_.empty()) return out;
  for (size_t at = out.find(api_key_); at != std::string::npos; at = out.find(api_key_, at)) {
    out.replace(at, api_key_.size(), "***");
  }
  return out;
}

void ApiClient::TraceRequest(const HttpRequest& request) {
  if (trace_ == nullptr) return;
  trace_->ErrLine(Redact("* " + request.method + " " + base_url_ + Target(request)));
  for (const auto& [name, value] : request.headers) {
    trace_->ErrLine(Redact("> " + name + ": " + value));
  }
  if (!request.body.empty()) trace_->ErrLine(Redact("> " + Cut(request.body)));
}

void ApiClient::TraceResponse(const HttpResponse& response, std::chrono::milliseconds elapsed) {
  if (trace_ == nullptr) return;
  trace_->ErrLine("< " + std::to_string(response.status) + " (" + std::to_string(elapsed.count()) +
                  " ms)");
  for (const auto& [name, value] : response.headers) {
    trace_->ErrLine(Redact("< " + name + ": " + value));
  }
  if (!response.body.empty()) trace_->ErrLine(Redact("< " + Cut(response.body)));
}

Result<HttpResponse> ApiClient::Send(const HttpRequest& request) {
  return Execute(request, nullptr);
}

Result<HttpResponse> ApiClient::Stream(const HttpRequest& request,
                                       const std::function<bool(std::string_view)>& on_chunk) {
  return Execute(request, &on_chunk);
}

Result<HttpResponse> ApiClient::Execute(const HttpRequest& request,
                                        const std::function<bool(std::string_view)>* on_chunk) {
  httplib::Request req;
  req.method = request.method;
  req.path = Target(request);
  bool has_accept = false;
  for (const auto& [name, value] : request.headers) {
    req.headers.emplace(name, value);
    has_accept = has_accept || strcasecmp(name.c_str(), "Accept") == 0;
  }
  if (!has_accept) req.headers.emplace("Accept", "application/json");
  req.headers.emplace("User-Agent", std::string("flarectl/") + kVersion);
  if (!api_key_.empty()) req.headers.emplace("Authorization", "Bearer " + api_key_);
  bool sends_body = !request.body.empty() || request.method == "POST" || request.method == "PUT" ||
                    request.method == "PATCH";
  if (sends_body) {
    req.body = request.body;
    req.headers.emplace("Content-Type", request.content_type);
  }
  HttpResponse response;
  if (on_chunk != nullptr) {
    req.response_handler = [&](const httplib::Response& head) {
      response.status = head.status;
      return true;
    };
    req.content_receiver = [&](const char* data, size_t size, uint64_t, uint64_t) {
      if (!IsSuccess(response.status)) {
        response.body.append(data, size);
        return true;
      }
      return (*on_chunk)(std::string_view(data, size));
    };
  }
  TraceRequest(request);
  auto timeout = request.read_timeout.count() > 0 ? request.read_timeout : timeout_;
  client_->set_read_timeout(timeout.count(), 0);
  auto started = std::chrono::steady_clock::now();
  httplib::Response res;
  httplib::Error error = httplib::Error::Success;
  bool sent = client_->send(req, res, error);
  client_->set_read_timeout(timeout_.count(), 0);
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  // A stream that got its status and then ended (stopped by us, read timeout) is an answer.
  if (!sent && (on_chunk == nullptr || response.status == 0)) {
    if (trace_ != nullptr) trace_->ErrLine("< no answer: " + httplib::to_string(error));
    return Error{ErrorCode::kUnavailable,
                 "cannot reach the API at " + base_url_ + " (" + httplib::to_string(error) + ")",
                 ""};
  }
  response.status = res.status != -1 ? res.status : response.status;
  if (on_chunk == nullptr) response.body = std::move(res.body);
  for (const auto& [name, value] : res.headers) response.headers.emplace_back(name, value);
  TraceResponse(response, elapsed);
  return response;
}

CliError ApiClient::Unreachable(const std::string& reason) const {
  std::string hint = IsLoopbackUrl(base_url_)
                         ? "is flared running? start it with 'flared' or pass --base-url"
                         : "check --base-url and your network";
  return CliError(kExitUnreachable, "unreachable", reason, hint);
}

nlohmann::json ApiClient::Call(const std::string& method, const std::string& path,
                               const nlohmann::json& body, const Query& query,
                               const HeaderList& headers) {
  HttpRequest request;
  request.method = method;
  request.path = path;
  request.query = query;
  request.headers = headers;
  if (!body.is_null()) request.body = body.dump();
  auto response = Send(request);
  if (!response.ok()) throw Unreachable(response.error().message);
  if (!IsSuccess(response->status)) throw ErrorFromResponse(*response);
  return response->Json();
}

nlohmann::json ApiClient::List(const std::string& path, Query query, const PageOptions& page,
                               const std::function<void(size_t)>& on_page) {
  if (page.limit > 0) query.emplace_back("limit", std::to_string(page.limit));
  std::string cursor = page.cursor;
  nlohmann::json result = {
      {"data", nlohmann::json::array()}, {"has_more", false}, {"next_cursor", nullptr}};
  while (true) {
    Query this_page = query;
    if (!cursor.empty()) this_page.emplace_back("cursor", cursor);
    nlohmann::json body = Call("GET", path, nullptr, this_page);
    if (body.is_array()) body = {{"data", std::move(body)}};  // a bare list
    if (body.is_object() && body.contains("data") && body["data"].is_array()) {
      for (auto& item : body["data"]) result["data"].push_back(std::move(item));
    }
    result["has_more"] = body.value("has_more", false);
    result["next_cursor"] = body.contains("next_cursor") ? body["next_cursor"] : nullptr;
    if (on_page) on_page(result["data"].size());
    const auto& next = result["next_cursor"];
    if (!page.all || !result["has_more"].get<bool>() || !next.is_string() || next == cursor) {
      break;
    }
    cursor = next.get<std::string>();
  }
  return result;
}

}  // namespace flare::cli

#include "cli/api_client.h"

#include <curl/curl.h>
#include <strings.h>

#include <algorithm>
#include <mutex>

#include "flare/version.h"

namespace flare::cli {
namespace {

constexpr size_t kTraceLimit = 4096;

std::string Cut(std::string_view body) {
  if (body.size() <= kTraceLimit) return std::string(body);
  return std::string(body.substr(0, kTraceLimit)) + "… (" + std::to_string(body.size()) + " bytes)";
}

bool IsSuccess(int status) { return status >= 200 && status < 300; }

void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

/// curl_slist owned for one request.
struct HeaderSlist {
  curl_slist* list = nullptr;
  ~HeaderSlist() { curl_slist_free_all(list); }
  void Add(const std::string& line) { list = curl_slist_append(list, line.c_str()); }
};

/// What the callbacks of one transfer fill in.
struct Transfer {
  CURL* easy = nullptr;
  HttpResponse* response = nullptr;
  const std::function<bool(std::string_view)>* on_chunk = nullptr;
  bool stopped_by_handler = false;
};

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  std::string_view line(data, size * count);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.rfind("HTTP/", 0) == 0) {
    transfer->response->headers.clear();  // a new response (after 100 Continue, a redirect)
  } else if (size_t colon = line.find(':'); colon != std::string_view::npos) {
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    transfer->response->headers.emplace_back(std::string(line.substr(0, colon)),
                                             std::string(value));
  }
  return size * count;
}

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  size_t bytes = size * count;
  HttpResponse& response = *transfer->response;
  if (response.status == 0) {
    long status = 0;
    curl_easy_getinfo(transfer->easy, CURLINFO_RESPONSE_CODE, &status);
    response.status = static_cast<int>(status);
  }
  // Error statuses come back with their body; only a success streams.
  if (transfer->on_chunk == nullptr || !IsSuccess(response.status)) {
    response.body.append(data, bytes);
    return bytes;
  }
  if ((*transfer->on_chunk)(std::string_view(data, bytes))) return bytes;
  transfer->stopped_by_handler = true;
  return 0;  // ends the transfer (CURLE_WRITE_ERROR)
}

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

struct ApiClient::Curl {
  CURL* easy = nullptr;
  CURLM* multi = nullptr;  // holds the connection cache, so connections outlive one call
  std::string origin;      // "https://host:8443"
  Curl() {
    InitCurlOnce();
    easy = curl_easy_init();
    multi = curl_multi_init();
    if (easy == nullptr || multi == nullptr) throw std::runtime_error("cannot set up libcurl");
  }
  ~Curl() {
    curl_easy_cleanup(easy);
    curl_multi_cleanup(multi);
  }
};

ApiClient::ApiClient(const Settings& settings, Io* trace)
    : base_url_(settings.base_url),
      api_key_(settings.api_key),
      timeout_(settings.timeout),
      trace_(trace),
      curl_(std::make_unique<Curl>()) {
  auto [origin, prefix] = SplitBaseUrl(settings.base_url);
  curl_->origin = origin;
  path_prefix_ = prefix;
  while (!path_prefix_.empty() && path_prefix_.back() == '/') path_prefix_.pop_back();
}

ApiClient::~ApiClient() = default;

void ApiClient::Stop() {
  stop_ = true;
  curl_multi_wakeup(curl_->multi);  // thread-safe: ends the poll of the transfer at once
}

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
  CURL* easy = curl_->easy;
  curl_easy_reset(easy);  // options only: connections stay in the multi handle's cache
  std::string url = curl_->origin + Target(request);
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
  // The proxy comes from the environment (curl's own rules for http_proxy, HTTPS_PROXY,
  // ALL_PROXY and NO_PROXY); nothing here overrides it.
  HeaderSlist headers;
  bool has_accept = false;
  for (const auto& [name, value] : request.headers) {
    headers.Add(name + ": " + value);
    has_accept = has_accept || strcasecmp(name.c_str(), "Accept") == 0;
  }
  if (!has_accept) headers.Add("Accept: application/json");
  headers.Add(std::string("User-Agent: flarectl/") + kVersion);
  if (!api_key_.empty()) headers.Add("Authorization: Bearer " + api_key_);
  headers.Add("Expect:");  // no 100-continue round trip before a body
  bool sends_body = !request.body.empty() || request.method == "POST" || request.method == "PUT" ||
                    request.method == "PATCH";
  if (sends_body) {
    headers.Add("Content-Type: " + request.content_type);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
  }
  if (request.method == "HEAD") {
    curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
  } else if (request.method != "GET" || sends_body) {
    if (request.method != "POST")
      curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers.list);
  auto timeout = request.read_timeout.count() > 0 ? request.read_timeout : timeout_;
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT, std::min<long>(timeout_.count(), 10));
  curl_easy_setopt(easy, CURLOPT_TIMEOUT, static_cast<long>(timeout.count()));
  HttpResponse response;
  Transfer transfer{easy, &response, on_chunk};
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &transfer);
  char detail[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, detail);

  TraceRequest(request);
  auto started = std::chrono::steady_clock::now();
  // The multi interface, so Stop() from another thread ends the wait at once.
  CURLcode result = CURLE_OK;
  bool stopped = false;
  curl_multi_add_handle(curl_->multi, easy);
  while (true) {
    int running = 0;
    if (curl_multi_perform(curl_->multi, &running) != CURLM_OK) {
      result = CURLE_FAILED_INIT;
      break;
    }
    if (running == 0) {
      int left = 0;
      while (CURLMsg* message = curl_multi_info_read(curl_->multi, &left)) {
        if (message->msg == CURLMSG_DONE) result = message->data.result;
      }
      break;
    }
    if (stop_.exchange(false)) {
      stopped = true;
      break;
    }
    curl_multi_poll(curl_->multi, nullptr, 0, 1000, nullptr);
  }
  curl_multi_remove_handle(curl_->multi, easy);
  if (response.status == 0 && result == CURLE_OK && !stopped) {
    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    response.status = static_cast<int>(status);
  }
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  bool answered = result == CURLE_OK && !stopped && response.status > 0;
  // A stream that got its status and then ended (stopped by us or the handler, a timeout)
  // is an answer.
  if (on_chunk != nullptr && response.status > 0 && IsSuccess(response.status)) answered = true;
  if (!answered) {
    std::string reason = stopped             ? "stopped"
                         : detail[0] != '\0' ? std::string(detail)
                                             : std::string(curl_easy_strerror(result));
    if (trace_ != nullptr) trace_->ErrLine("< no answer: " + reason);
    return Error{ErrorCode::kUnavailable,
                 "cannot reach the API at " + base_url_ + " (" + reason + ")", ""};
  }
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

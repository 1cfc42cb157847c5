// What curl does for one hop of a call, and the limits a target cannot push past.
//
// Egress: curl resolves the name once per hop (its threaded resolver, bounded by the
// hop's CURLOPT_TIMEOUT_MS) and asks OpenSocket for every address it is about to connect
// to. OpenSocket runs the egress guard on exactly that address and refuses the socket when
// the guard does, so the address checked is the address connected to, with no second
// lookup; a reused connection was checked when it was opened. Proxies are off: a proxy
// would connect on our behalf to an address nobody checked.
//
// Limits: curl already refuses a single header line over 100 KiB (a 2 MB status line is
// rejected there, never buffered whole); OnHeader bounds the whole header block (64 KiB,
// 100 lines) so an endless stream of short headers ends too. OnBody keeps the first
// 64 KiB and stops reading at 10 MiB. One deadline (CURLOPT_TIMEOUT_MS) covers DNS,
// connect, TLS and the transfer, so a server that drips a byte a second ends on time.

#include "daemon/transport/curl_call.h"

#include <netinet/in.h>
#include <strings.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

#include "flare/version.h"

namespace flare::daemon {
namespace {

constexpr size_t kMaxHeaderBytes = 64 * 1024;
constexpr int kMaxHeaderLines = 100;
constexpr size_t kBodyKeep = 64 * 1024;
constexpr int64_t kBodyReadCap = 10 * 1024 * 1024;

std::string_view TrimLine(std::string_view text) {
  while (!text.empty() && (text.back() == '\r' || text.back() == '\n' || text.back() == ' ' ||
                           text.back() == '\t')) {
    text.remove_suffix(1);
  }
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  return text;
}

size_t OnHeader(char* data, size_t size, size_t count, void* context) {
  auto& call = *static_cast<CurlCall*>(context);
  size_t length = size * count;
  call.header_bytes += length;
  if (call.header_bytes > kMaxHeaderBytes || ++call.header_lines > kMaxHeaderLines) {
    call.headers_too_large = true;
    return 0;  // curl ends the transfer with CURLE_WRITE_ERROR
  }
  std::string_view line(data, length);
  if (line.starts_with("HTTP/")) {
    call.outcome.headers.clear();  // a new response (after a 1xx): its headers alone count
    return length;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return length;  // blank line, junk
  call.outcome.headers.emplace_back(std::string(TrimLine(line.substr(0, colon))),
                                    std::string(TrimLine(line.substr(colon + 1))));
  return length;
}

size_t OnBody(char* data, size_t size, size_t count, void* context) {
  auto& call = *static_cast<CurlCall*>(context);
  size_t length = size * count;
  HttpCallOutcome& outcome = call.outcome;
  outcome.body_bytes += static_cast<int64_t>(length);
  if (outcome.body.size() < kBodyKeep) {
    outcome.body.append(data, std::min(length, kBodyKeep - outcome.body.size()));
  }
  if (outcome.body_bytes >= kBodyReadCap) {
    call.hit_read_cap = true;
    return 0;  // enough: the answer is what we have
  }
  return length;
}

std::optional<IpAddress> AddressOf(const curl_sockaddr& address) {
  IpAddress result;
  if (address.family == AF_INET && address.addrlen >= sizeof(sockaddr_in)) {
    sockaddr_in v4;
    std::memcpy(&v4, &address.addr, sizeof v4);
    std::memcpy(result.bytes.data(), &v4.sin_addr, 4);
    return result;
  }
  if (address.family == AF_INET6 && address.addrlen >= sizeof(sockaddr_in6)) {
    sockaddr_in6 v6;
    std::memcpy(&v6, &address.addr, sizeof v6);
    result.family = IpAddress::Family::kV6;
    std::memcpy(result.bytes.data(), &v6.sin6_addr, 16);
    return result;
  }
  return std::nullopt;
}

curl_socket_t OpenSocket(void* context, curlsocktype, curl_sockaddr* address) {
  auto& call = *static_cast<CurlCall*>(context);
  std::optional<IpAddress> ip = AddressOf(*address);
  if (!ip) {
    call.blocked = "flared connects only to IPv4 and IPv6 addresses";
    return CURL_SOCKET_BAD;
  }
  if (Status verdict = CheckEgress(*ip, *call.policy, call.url.host); !verdict.ok()) {
    if (call.blocked.empty()) call.blocked = verdict.error().message;
    return CURL_SOCKET_BAD;
  }
  return socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

bool IsFramingHeader(std::string_view name) {
  return strcasecmp(std::string(name).c_str(), "Content-Length") == 0 ||
         strcasecmp(std::string(name).c_str(), "Transfer-Encoding") == 0;
}

void AppendHeader(curl_slist*& list, const std::string& name, const std::string& value) {
  // "Name;" is curl's way to send a header with an empty value ("Name:" would remove it).
  std::string line = value.empty() ? name + ";" : name + ": " + value;
  list = curl_slist_append(list, line.c_str());
}

curl_slist* BuildHeaderList(const HttpCallSpec& spec) {
  curl_slist* list = nullptr;
  for (const auto& [name, value] : spec.headers) {
    // curl frames the body itself; a second framing header would smuggle a request.
    if (!IsFramingHeader(name)) AppendHeader(list, name, value);
  }
  for (const auto& [name, value] : spec.identity_headers) AppendHeader(list, name, value);
  // No "Expect: 100-continue" pause before larger bodies: targets rarely answer it.
  list = curl_slist_append(list, "Expect:");
  return list;
}

void SetMethodAndBody(CURL* easy, const HttpCallSpec& spec) {
  if (spec.body.empty() && spec.method == "GET") {
    curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
    return;
  }
  // Always framed, even when empty ("Content-Length: 0"): servers wait for a PUT/PATCH body.
  curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(spec.body.size()));
  curl_easy_setopt(easy, CURLOPT_POSTFIELDS, spec.body.data());
  curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, spec.method.c_str());
}

void SetTls(CURL* easy, const HttpCallSpec& spec) {
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, spec.tls_verify ? 1L : 0L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, spec.tls_verify ? 2L : 0L);
  if (spec.ca_cert_pem.empty()) return;
  curl_blob blob{const_cast<char*>(spec.ca_cert_pem.data()), spec.ca_cert_pem.size(),
                 CURL_BLOB_COPY};
  curl_easy_setopt(easy, CURLOPT_CAINFO_BLOB, &blob);
  curl_easy_setopt(easy, CURLOPT_CAPATH, nullptr);  // the given bundle is the only trust
}

int64_t MicrosInfo(CURL* easy, CURLINFO info) {
  curl_off_t value = 0;
  curl_easy_getinfo(easy, info, &value);
  return static_cast<int64_t>(value);
}

int64_t Millis(int64_t micros) { return std::max<int64_t>(0, micros / 1000); }

void RecordTrace(CurlCall& call) {
  int64_t connected = std::max({MicrosInfo(call.easy, CURLINFO_CONNECT_TIME_T),
                                MicrosInfo(call.easy, CURLINFO_APPCONNECT_TIME_T)});
  int64_t pretransfer = MicrosInfo(call.easy, CURLINFO_PRETRANSFER_TIME_T);
  int64_t first_byte = MicrosInfo(call.easy, CURLINFO_STARTTRANSFER_TIME_T);
  int64_t total = MicrosInfo(call.easy, CURLINFO_TOTAL_TIME_T);
  HttpTrace& trace = call.outcome.trace;
  trace.connect_ms += Millis(connected);
  trace.ttfb_ms = first_byte > 0 ? Millis(first_byte - pretransfer) : 0;
  trace.transfer_ms = first_byte > 0 ? Millis(total - first_byte) : 0;
}

void Fail(HttpCallOutcome& outcome, FailureReason reason, std::string message) {
  outcome.failure = reason;
  outcome.error_message = std::move(message);
}

bool IsTlsFailure(CURLcode code) {
  switch (code) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
      return true;
    default:
      return false;
  }
}

// Maps a hop that did not end with a usable response onto a failure with a sentence.
void MapFailure(CurlCall& call, CURLcode code) {
  HttpCallOutcome& outcome = call.outcome;
  std::string where = call.url.host + ":" + std::to_string(call.url.port);
  std::string detail = call.error_buffer[0] != 0 ? call.error_buffer : curl_easy_strerror(code);
  if (call.headers_too_large) {
    return Fail(outcome, FailureReason::kConnectionError,
                where + " sent more than 64 KiB or 100 lines of response headers");
  }
  if (!call.blocked.empty() && code != CURLE_OPERATION_TIMEDOUT) {
    return Fail(outcome, FailureReason::kSsrfBlocked, call.blocked);
  }
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return Fail(outcome, FailureReason::kTimeout,
                  "no complete response from " + where + " within the timeout");
    case CURLE_COULDNT_RESOLVE_HOST:
      return Fail(outcome, FailureReason::kConnectionError,
                  "cannot resolve " + call.url.host + ": " + detail);
    case CURLE_COULDNT_CONNECT:
      return Fail(outcome, FailureReason::kConnectionError,
                  "could not connect to " + where + " (refused or unreachable)");
    case CURLE_PEER_FAILED_VERIFICATION:
      return Fail(outcome, FailureReason::kTlsError,
                  "TLS certificate of " + call.url.host + " is not trusted: " + detail);
    case CURLE_SSL_CACERT_BADFILE:
      return Fail(outcome, FailureReason::kTlsError,
                  "ca_cert is not a usable PEM bundle: " + detail);
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
      return Fail(outcome, FailureReason::kConnectionError,
                  "connection to " + where + " closed before a complete response: " + detail);
    default:
      break;
  }
  if (IsTlsFailure(code)) {
    return Fail(outcome, FailureReason::kTlsError,
                "TLS handshake with " + call.url.host + " failed: " + detail);
  }
  Fail(outcome, FailureReason::kConnectionError, "request to " + where + " failed: " + detail);
}

}  // namespace

void ConfigureHop(CurlCall& call, curl_slist* fixed_names) {
  CURL* easy = call.easy;
  call.header_bytes = 0;
  call.header_lines = 0;
  call.headers_too_large = false;
  call.hit_read_cap = false;
  call.blocked.clear();
  call.error_buffer[0] = 0;
  HttpCallOutcome& outcome = call.outcome;
  outcome.status = 0;
  outcome.headers.clear();
  outcome.body.clear();
  outcome.body_truncated = false;
  outcome.body_bytes = 0;
  outcome.retry_after.reset();
  outcome.final_url = call.url.ToString();

  static const std::string kUserAgent = std::string("flared/") + kVersion;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      call.deadline - std::chrono::steady_clock::now());
  curl_easy_setopt(easy, CURLOPT_URL, outcome.final_url.c_str());
  curl_easy_setopt(easy, CURLOPT_PRIVATE, &call);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, call.error_buffer);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(std::max<int64_t>(1, left.count())));
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);  // hop by hop, here
  curl_easy_setopt(easy, CURLOPT_PROXY, "");
  curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
  curl_easy_setopt(easy, CURLOPT_USERAGENT, kUserAgent.c_str());
  call.header_list = BuildHeaderList(call.spec);
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, call.header_list);
  SetMethodAndBody(easy, call.spec);
  SetTls(easy, call.spec);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &call);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &call);
  curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, OpenSocket);
  curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, &call);
  if (fixed_names != nullptr) curl_easy_setopt(easy, CURLOPT_RESOLVE, fixed_names);
}

void RecordHop(CurlCall& call, CURLcode code) {
  HttpCallOutcome& outcome = call.outcome;
  RecordTrace(call);
  long status = 0;
  curl_easy_getinfo(call.easy, CURLINFO_RESPONSE_CODE, &status);
  outcome.body_truncated =
      outcome.body_bytes > static_cast<int64_t>(kBodyKeep) || call.hit_read_cap;
  bool stopped_at_cap = code == CURLE_WRITE_ERROR && call.hit_read_cap;
  outcome.status = static_cast<int>(status);  // kept on a timeout after the status line
  if (code != CURLE_OK && !stopped_at_cap) MapFailure(call, code);
}

void ReleaseHop(CurlCall& call) {
  curl_slist_free_all(call.header_list);
  call.header_list = nullptr;
}

}  // namespace flare::daemon

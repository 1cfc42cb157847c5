#pragma once
// A webhook receiver on 127.0.0.1 for the webhook tests. It keeps every request as it came
// (raw body, the three Standard Webhooks headers), answers from a per-path script (status
// and optional Retry-After, then 200 once the script runs out) and can hold requests until
// released. It checks signatures on its own, with plain OpenSSL HMAC-SHA256 over the raw
// body — never flare's signing code — as a user's receiver would.

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace flare::testing {

struct ReceivedDelivery {
  std::string path;
  std::string id;         // webhook-id
  std::string timestamp;  // webhook-timestamp
  std::string signature;  // webhook-signature
  std::string content_type;
  std::string user_agent;
  std::string body;
  std::chrono::steady_clock::time_point at;
};

struct ScriptedAnswer {
  int status = 200;
  std::string retry_after;  // sent when not empty
};

class WebhookReceiver {
 public:
  WebhookReceiver();
  ~WebhookReceiver();
  WebhookReceiver(const WebhookReceiver&) = delete;
  WebhookReceiver& operator=(const WebhookReceiver&) = delete;

  /// "http://127.0.0.1:<port><path>".
  std::string Url(const std::string& path) const;
  /// Answers the next requests to `path` with these, in order.
  void Script(const std::string& path, std::vector<ScriptedAnswer> answers);
  /// While held, requests to `path` wait (at most 30 s) until Release or shutdown.
  void Hold(const std::string& path);
  void Release(const std::string& path);
  /// Requests received on `path` so far (all paths when empty).
  std::vector<ReceivedDelivery> Received(const std::string& path = "") const;
  /// Waits until `count` requests reached `path`; false after `timeout`.
  bool WaitForCount(const std::string& path, size_t count,
                    std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

 private:
  std::unique_ptr<httplib::Server> server_;
  int port_ = 0;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::vector<ReceivedDelivery> received_;
  std::map<std::string, std::deque<ScriptedAnswer>> scripts_;
  std::map<std::string, bool> held_;
  bool stopping_ = false;
  std::thread thread_;
};

/// How many of the v1 signatures in `delivery` verify with `secret` ("whsec_<base64>"),
/// computed independently: base64-decode the key, HMAC-SHA256 over "id.timestamp.body".
int MatchingSignatures(const ReceivedDelivery& delivery, const std::string& secret);
/// The number of v1 signatures the delivery carries.
int SignatureCount(const ReceivedDelivery& delivery);

}  // namespace flare::testing

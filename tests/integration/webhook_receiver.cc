#include "tests/integration/webhook_receiver.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <sstream>

namespace flare::testing {
namespace {

std::string DecodeBase64(const std::string& text) {
  std::string out(text.size(), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return {};
  size_t padding = 0;
  for (auto it = text.rbegin(); it != text.rend() && *it == '='; ++it) ++padding;
  out.resize(static_cast<size_t>(n) - padding);
  return out;
}

std::string EncodeBase64(const unsigned char* bytes, size_t size) {
  std::string out(4 * ((size + 2) / 3) + 1, '\0');
  int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes, static_cast<int>(size));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::vector<std::string> Signatures(const ReceivedDelivery& delivery) {
  std::vector<std::string> out;
  std::istringstream in(delivery.signature);
  std::string item;
  while (in >> item)
    if (item.rfind("v1,", 0) == 0) out.push_back(item.substr(3));
  return out;
}

}  // namespace

int MatchingSignatures(const ReceivedDelivery& delivery, const std::string& secret) {
  std::string key = DecodeBase64(secret.substr(secret.rfind("whsec_", 0) == 0 ? 6 : 0));
  std::string message = delivery.id + "." + delivery.timestamp + "." + delivery.body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &mac_size);
  std::string expected = EncodeBase64(mac, mac_size);
  int matches = 0;
  for (const std::string& signature : Signatures(delivery)) matches += signature == expected;
  return matches;
}

int SignatureCount(const ReceivedDelivery& delivery) {
  return static_cast<int>(Signatures(delivery).size());
}

WebhookReceiver::WebhookReceiver() : server_(std::make_unique<httplib::Server>()) {
  // Held requests each keep a thread: enough that they never starve the other paths.
  server_->new_task_queue = [] { return new httplib::ThreadPool(64); };
  // One request per connection: an idle keep-alive connection would hold stop() for 5 s.
  server_->set_keep_alive_max_count(1);
  server_->Post(".*", [this](const httplib::Request& request, httplib::Response& response) {
    ScriptedAnswer answer;
    {
      std::unique_lock lock(mutex_);
      received_.push_back(
          {request.path, request.get_header_value("webhook-id"),
           request.get_header_value("webhook-timestamp"),
           request.get_header_value("webhook-signature"), request.get_header_value("Content-Type"),
           request.get_header_value("User-Agent"), request.body, std::chrono::steady_clock::now()});
      changed_.notify_all();
      changed_.wait_for(lock, std::chrono::seconds(30),
                        [&] { return stopping_ || !held_[request.path]; });
      auto& script = scripts_[request.path];
      if (!script.empty()) {
        answer = script.front();
        script.pop_front();
      }
    }
    response.status = answer.status;
    if (!answer.retry_after.empty()) response.set_header("Retry-After", answer.retry_after);
    response.set_content("{}", "application/json");
  });
  port_ = server_->bind_to_any_port("127.0.0.1");
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // Bound: listen_after_bind starts at once; this only covers the thread's start-up.
  for (int i = 0; i < 5000 && !server_->is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

WebhookReceiver::~WebhookReceiver() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    changed_.notify_all();
  }
  server_->stop();
  thread_.join();
}

std::string WebhookReceiver::Url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

void WebhookReceiver::Script(const std::string& path, std::vector<ScriptedAnswer> answers) {
  std::lock_guard lock(mutex_);
  scripts_[path] = std::deque<ScriptedAnswer>(answers.begin(), answers.end());
}

void WebhookReceiver::Hold(const std::string& path) {
  std::lock_guard lock(mutex_);
  held_[path] = true;
}

void WebhookReceiver::Release(const std::string& path) {
  std::lock_guard lock(mutex_);
  held_[path] = false;
  changed_.notify_all();
}

std::vector<ReceivedDelivery> WebhookReceiver::Received(const std::string& path) const {
  std::lock_guard lock(mutex_);
  std::vector<ReceivedDelivery> out;
  for (const auto& delivery : received_)
    if (path.empty() || delivery.path == path) out.push_back(delivery);
  return out;
}

bool WebhookReceiver::WaitForCount(const std::string& path, size_t count,
                                   std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] {
    size_t n = 0;
    for (const auto& delivery : received_) n += delivery.path == path;
    return n >= count;
  });
}

}  // namespace flare::testing

#include "tests/integration/sse_client.h"

namespace flare::testing {

SseClient::SseClient(int port, const std::string& path, const std::string& key,
                     const httplib::Headers& headers)
    : client_("127.0.0.1", port) {
  client_.set_read_timeout(std::chrono::seconds(60));
  httplib::Headers all = headers;
  all.emplace("Accept", "text/event-stream");
  if (!key.empty()) all.emplace("Authorization", "Bearer " + key);
  thread_ = std::thread([this, path, all] {
    client_.Get(
        path, all,
        [this](const httplib::Response& response) {
          std::lock_guard lock(mutex_);
          status_ = response.status;
          response_headers_ = response.headers;
          changed_.notify_all();
          return true;
        },
        [this](const char* data, size_t length) {
          Feed(data, length);
          std::lock_guard lock(mutex_);
          return !stop_;
        });
    std::lock_guard lock(mutex_);
    closed_ = true;
    changed_.notify_all();
  });
}

SseClient::~SseClient() { Close(); }

void SseClient::Close() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  client_.stop();
  if (thread_.joinable()) thread_.join();
}

void SseClient::Feed(const char* data, size_t length) {
  std::lock_guard lock(mutex_);
  raw_.append(data, length);
  pending_.append(data, length);
  size_t start = 0;
  for (size_t end = pending_.find('\n'); end != std::string::npos;
       end = pending_.find('\n', start)) {
    std::string line = pending_.substr(start, end - start);
    start = end + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) {
      if (has_data_) frames_.push_back(current_);
      current_ = SseFrame{};
      has_data_ = false;
      continue;
    }
    if (line[0] == ':') {
      comments_.push_back(line);
      continue;
    }
    size_t colon = line.find(':');
    std::string name = line.substr(0, colon);
    std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.erase(0, 1);
    if (name == "id") current_.id = value;
    if (name == "event") current_.event = value;
    if (name == "data") {
      if (has_data_) current_.data += '\n';
      current_.data += value;
      has_data_ = true;
    }
  }
  pending_.erase(0, start);
  changed_.notify_all();
}

std::vector<SseFrame> SseClient::WaitForFrames(size_t count, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return frames_.size() >= count || closed_; });
  return frames_;
}

bool SseClient::WaitClosed(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return closed_; });
}

bool SseClient::WaitForComment(const std::string& text, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] {
    for (const auto& comment : comments_) {
      if (comment.find(text) != std::string::npos) return true;
    }
    return false;
  });
}

int SseClient::status() const {
  std::lock_guard lock(mutex_);
  return status_;
}

std::string SseClient::header(const std::string& name) const {
  std::lock_guard lock(mutex_);
  auto it = response_headers_.find(name);
  return it == response_headers_.end() ? "" : it->second;
}

std::string SseClient::raw() const {
  std::lock_guard lock(mutex_);
  return raw_;
}

}  // namespace flare::testing

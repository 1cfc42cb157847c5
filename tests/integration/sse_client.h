#pragma once
// A Server-Sent Events client for the integration tests: reads one stream on its own
// thread and keeps every frame (and comment) it sees, so a test can wait, with a deadline,
// for the frames it expects and for the server to close the stream.

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace flare::testing {

struct SseFrame {
  std::string id;
  std::string event;  // "message" when the frame names none
  std::string data;
};

class SseClient {
 public:
  /// GETs `path` from 127.0.0.1:`port` with Accept: text/event-stream, the Bearer `key` and
  /// `headers`, and starts reading.
  SseClient(int port, const std::string& path, const std::string& key,
            const httplib::Headers& headers = {});
  ~SseClient();
  SseClient(const SseClient&) = delete;
  SseClient& operator=(const SseClient&) = delete;

  /// Waits until `count` frames arrived (or the stream ended, or `timeout`); returns them.
  std::vector<SseFrame> WaitForFrames(size_t count, std::chrono::milliseconds timeout);
  /// Waits until the server ended the stream; false on timeout.
  bool WaitClosed(std::chrono::milliseconds timeout);
  /// Waits until a comment line (": …") containing `text` arrived.
  bool WaitForComment(const std::string& text, std::chrono::milliseconds timeout);
  /// The status and headers of the answer (0 before it came).
  int status() const;
  std::string header(const std::string& name) const;
  /// Everything received so far (an error body too).
  std::string raw() const;
  /// Ends the stream from the client side (closes the connection).
  void Close();

 private:
  void Feed(const char* data, size_t length);

  httplib::Client client_;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  int status_ = 0;
  httplib::Headers response_headers_;
  std::string raw_;
  std::string pending_;
  SseFrame current_;
  bool has_data_ = false;
  std::vector<SseFrame> frames_;
  std::vector<std::string> comments_;
  bool closed_ = false;
  bool stop_ = false;
};

}  // namespace flare::testing

#pragma once
// A Server-Sent Events parser fed with arbitrary chunks (as the transport hands them over):
// lines "event:", "data:" (joined with \n), "id:", comments ":…", an empty line ends an event.

#include <functional>
#include <string>
#include <string_view>

namespace flare::cli {

struct SseEvent {
  std::string event = "message";
  std::string data;
  std::string id;
};

class SseParser {
 public:
  using Handler = std::function<void(const SseEvent&)>;
  explicit SseParser(Handler handler) : handler_(std::move(handler)) {}

  /// Feeds bytes; calls the handler for every complete event.
  void Feed(std::string_view chunk);

 private:
  void Line(std::string_view line);

  Handler handler_;
  std::string buffer_;
  SseEvent current_;
  bool has_data_ = false;
};

}  // namespace flare::cli

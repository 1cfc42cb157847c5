#include "cli/sse.h"

namespace flare::cli {

void SseParser::Feed(std::string_view chunk) {
  buffer_.append(chunk);
  size_t start = 0;
  for (size_t end = buffer_.find('\n'); end != std::string::npos; end = buffer_.find('\n', start)) {
    std::string_view line(buffer_.data() + start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    Line(line);
    start = end + 1;
  }
  buffer_.erase(0, start);
}

void SseParser::Line(std::string_view line) {
  if (line.empty()) {
    if (has_data_) handler_(current_);
    current_ = SseEvent();
    has_data_ = false;
    return;
  }
  if (line[0] == ':') return;  // comment / keep-alive
  size_t colon = line.find(':');
  std::string_view name = line.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 1);
  if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
  if (name == "event") {
    current_.event = value;
  } else if (name == "data") {
    if (has_data_) current_.data += '\n';
    current_.data += value;
    has_data_ = true;
  } else if (name == "id") {
    current_.id = value;
  }
}

}  // namespace flare::cli

#include "daemon/api/event_stream_response.h"

#include <algorithm>

#include "daemon/api/http_server.h"

namespace flare::daemon {
namespace {

constexpr auto kPeerCheck = std::chrono::seconds(1);

struct StreamState {
  std::shared_ptr<void> slot;
  std::string first;
  StreamSource source;
  std::function<bool()> done;
  SteadyTime deadline;
  std::chrono::milliseconds heartbeat;
  SteadyTime next_beat;
  int fd = -1;
};

bool Write(httplib::DataSink& sink, const std::string& text) {
  return sink.write(text.data(), text.size());
}

// One turn of the provider loop: cpp-httplib calls it again until it finishes the
// response (sink.done) or it returns false (the client is gone: close).
bool Turn(StreamState& state, httplib::DataSink& sink) {
  auto now = std::chrono::steady_clock::now();
  if (!state.first.empty()) {
    std::string first = std::move(state.first);
    state.first.clear();
    if (!Write(sink, first)) return false;
    state.next_beat = now + state.heartbeat;
  }
  if (now >= state.deadline || state.done()) {
    sink.done();
    return true;
  }
  std::string out;
  auto until = std::min({state.deadline, state.next_beat, now + kPeerCheck});
  StreamRead read = state.source(out, until);
  if (!out.empty()) {
    if (!Write(sink, out)) return false;
    state.next_beat = std::chrono::steady_clock::now() + state.heartbeat;
  } else if (std::chrono::steady_clock::now() >= state.next_beat) {
    if (!Write(sink, ": keep-alive\n\n")) return false;
    state.next_beat = std::chrono::steady_clock::now() + state.heartbeat;
  }
  if (read == StreamRead::kStopped || state.done()) {
    sink.done();
    return true;
  }
  return !PeerClosed(state.fd);
}

}  // namespace

std::shared_ptr<void> StreamSlots::TryAcquire() {
  size_t open = open_.load();
  do {
    if (open >= max_) return nullptr;
  } while (!open_.compare_exchange_weak(open, open + 1));
  return std::shared_ptr<void>(static_cast<void*>(this), [this](void*) { --open_; });
}

bool WantsEventStream(const httplib::Request& request) {
  return request.get_header_value("Accept").find("text/event-stream") != std::string::npos;
}

void ServeEventStream(httplib::Response& response, std::shared_ptr<void> slot, std::string first,
                      StreamSource source, std::function<bool()> done, SteadyTime deadline,
                      std::chrono::milliseconds heartbeat) {
  auto state = std::make_shared<StreamState>();
  state->slot = std::move(slot);
  state->first = std::move(first);
  state->source = std::move(source);
  state->done = std::move(done);
  state->deadline = deadline;
  state->heartbeat = heartbeat;
  state->next_beat = std::chrono::steady_clock::now() + heartbeat;
  state->fd = CurrentRequestSocket();
  response.status = 200;
  response.set_header("Cache-Control", "no-cache");
  response.set_header("X-Accel-Buffering", "no");
  response.set_chunked_content_provider(
      "text/event-stream", [state](size_t, httplib::DataSink& sink) { return Turn(*state, sink); });
}

}  // namespace flare::daemon

#pragma once
// Serving Server-Sent Events over cpp-httplib's chunked content provider, and the cap on
// streams open at once.
//
// A stream holds its pool thread for its whole life, as a waiting long-poll does; the pool
// is sized for --max-waiters polls plus --max-streams streams plus ordinary traffic, and a
// stream beyond the cap is refused with 429 before it takes anything. While idle a stream
// sleeps on the event bus, wakes at least once a second to notice a client that went away,
// and writes a ": keep-alive" comment every heartbeat so proxies keep the connection open.
// When flared stops, the bus wakes every stream and each ends its response at once.

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "daemon/service/event_log_service.h"

namespace flare::daemon {

struct StreamOptions {
  size_t max_streams = 1000;
  std::chrono::milliseconds heartbeat{15'000};
  /// A job snapshot stream closes after this (seed 004: 120 s).
  std::chrono::milliseconds job_stream_limit{120'000};
};

/// Counts open streams against the cap.
class StreamSlots {
 public:
  explicit StreamSlots(size_t max) : max_(max) {}
  /// A held slot (released when the last copy goes); null when `max` are open.
  std::shared_ptr<void> TryAcquire();
  size_t open() const { return open_.load(); }

 private:
  const size_t max_;
  std::atomic<size_t> open_{0};
};

/// True when the client asked for text/event-stream.
bool WantsEventStream(const httplib::Request& request);

/// Produces frames (StreamRead::kFrames), waits (kIdle) or ends the stream (kStopped).
using StreamSource = std::function<StreamRead(std::string& out, SteadyTime until)>;

/// Makes `response` an SSE stream: `first` (may be empty) is sent at once, then what
/// `source` produces, with heartbeats. It ends when `source` says kStopped, when `done`
/// says so after a write, or at `deadline`.
void ServeEventStream(httplib::Response& response, std::shared_ptr<void> slot, std::string first,
                      StreamSource source, std::function<bool()> done, SteadyTime deadline,
                      std::chrono::milliseconds heartbeat);

}  // namespace flare::daemon
